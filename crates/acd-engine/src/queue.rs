//! Runtime state of a queue and of its waiting callers: FIFO by original arrival with caller priority [ACD-1, ACD-7].

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use crate::config::{CallId, QueueConfig};

/// Counters of a queue since the ACD started or since the last `reset_statistics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounters {
    pub answered: u64,
    /// Answered within the queue's service level target.
    pub answered_within_target: u64,
    /// Hung up while waiting or ringing.
    pub abandoned: u64,
    /// Left through an exit action other than another queue.
    pub exited: u64,
    /// Left to another queue (overflow or transfer).
    pub moved_out: u64,
    /// Callers that chose a callback keeping their place.
    pub callbacks_requested: u64,
    /// Callbacks whose agent answered (also counted in `answered`).
    pub callbacks_answered: u64,
    /// Sum of the waits of answered calls.
    pub answered_wait_total: Duration,
}

/// Sort key of a waiting caller: higher priority first, then original arrival, then arrival
/// order in the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WaitKey {
    pub priority: Reverse<u8>,
    pub arrival: Instant,
    pub seq: u64,
    pub call: CallId,
}

pub(crate) struct Queue {
    pub cfg: QueueConfig,
    /// Member agents as (agent index, penalty) in configured order.
    pub members: Vec<(usize, u32)>,
    /// Waiting callers in service order.
    pub waiting: Vec<WaitKey>,
    /// Member position offered last (round-robin memory).
    pub last_offered: Option<usize>,
    /// Mean handle time (talk plus wrap-up), exponentially weighted.
    pub handle_time: Duration,
    pub counters: QueueCounters,
}

/// An outstanding offer of a caller to an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offer {
    pub agent: usize,
    /// Ring timeout; `None` when the deadline is not representable.
    pub deadline: Option<Instant>,
}

/// A caller waiting in a queue (possibly ringing an agent, keeping its place).
pub(crate) struct Caller {
    pub queue: usize,
    pub key: WaitKey,
    pub offers: Vec<Offer>,
    /// Agents that failed for this caller in the current round; tried last.
    pub tried: Vec<usize>,
    pub next_announce: Option<Instant>,
    pub max_wait_at: Option<Instant>,
    /// The max wait passed while ringing: exit once the offers are resolved unanswered.
    pub overdue: bool,
    pub widen_at: Option<Instant>,
    pub widened: bool,
    /// The entry announcement is still to be decided (after the first dispatch).
    pub entry_pending: bool,
    pub announced_wait: Option<Duration>,
    /// Last position told to the shell (1-based).
    pub position: usize,
    /// The caller hung up and waits for a callback, keeping its place.
    pub callback: bool,
    /// Number of queue-to-queue overflows so far (bounds overflow chains on arrival).
    pub hops: usize,
}

impl Queue {
    pub(crate) fn new(cfg: QueueConfig, members: Vec<(usize, u32)>) -> Self {
        let handle_time = cfg.initial_handle_time;
        Queue {
            cfg,
            members,
            waiting: Vec::new(),
            last_offered: None,
            handle_time,
            counters: QueueCounters::default(),
        }
    }

    /// Inserts in service order and returns the 1-based position.
    pub(crate) fn insert(&mut self, key: WaitKey) -> usize {
        let index = self.waiting.partition_point(|k| *k < key);
        self.waiting.insert(index, key);
        index + 1
    }

    pub(crate) fn remove(&mut self, call: CallId) {
        self.waiting.retain(|k| k.call != call);
    }

    /// 1-based position of a waiting caller.
    pub(crate) fn position(&self, call: CallId) -> Option<usize> {
        self.waiting
            .iter()
            .position(|k| k.call == call)
            .map(|i| i + 1)
    }

    pub(crate) fn member_pos(&self, agent: usize) -> Option<usize> {
        self.members.iter().position(|(a, _)| *a == agent)
    }
}
