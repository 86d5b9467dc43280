//! Sans-IO automatic call distributor: queues, agents, distribution strategies, visible queue and overflow [ACD-1..7, IVR-4, IVR-5, TEL-6, CTI-3..6].
//!
//! One [`Acd`] owns every queue and agent. The shell feeds it [`AcdInput`]s with the current
//! time, calls [`Acd::handle_timeout`] at [`Acd::poll_timeout`], and executes the drained
//! [`AcdOutput`]s (ring an agent, stop ringing, play an announcement, send a caller to an exit).
//!
//! Documented choices:
//! - Service order is priority (higher first), then original arrival, then arrival order in the
//!   engine. A caller moved to another queue (overflow or [`AcdInput::TransferToQueue`]) keeps
//!   its original arrival time so it is not penalised; max wait and level widening count from
//!   the entry into the current queue.
//! - Cross-queue fairness: whenever agents are free, waiting callers of all queues are served in
//!   the order (priority, wait × queue weight, arrival); each takes the best free eligible member
//!   of its own queue by that queue's strategy. So an agent in several queues gets the
//!   longest-(weighted-)waiting eligible caller.
//! - Idle time for longest-idle starts when the agent becomes Available (login, ready, end of
//!   wrap-up, re-registration). A ring that is cancelled, rejected or not answered does not
//!   reset it.
//! - A caller that fails with an agent tries the other eligible agents first; when only agents
//!   already tried are left, the round starts again.
//! - A rejecting agent stays Available but is not offered any call for the queue's reject delay.
//! - An expired registration pauses the agent with reason "unregistered" (a login is kept);
//!   registering again makes it Available. A queue counts as having "no agents" when no member
//!   is logged in and registered; paused members count as present.
//! - Pause, logout or unregistration during a call take effect when the call's wrap-up ends;
//!   during wrap-up they end it at once; while ringing they cancel the offer.
//! - The entry announcement is skipped when the caller is offered at once; periodic
//!   announcements are skipped while the caller is ringing an agent (the timer keeps running).
//! - A max wait that expires while the caller is ringing waits for that offer: if it is
//!   answered the caller is connected, otherwise it exits.
//! - External exits are capped at `external_share_cap_percent` of the arrivals of a rolling
//!   window (`external_share_window`, default one hour); a refused External exit leaves the
//!   caller in its queue (its max wait is re-armed) and emits [`AcdOutput::OverflowRefused`].
//! - Queue-to-queue exits on arrival are followed at most once per queue, so a cycle of
//!   overflows cannot loop: past that the caller joins the last queue reached.
//! - [`ExitAction::Callback`] keeps the caller's place after it hangs up: no announcements or
//!   exits apply any more, and when its turn comes the agent is offered as usual; the shell,
//!   told by [`AcdOutput::CallbackKept`], dials the caller once the agent answered. It is
//!   counted as requested and, when answered, as answered.
//! - Counters are kept since start; the shell calls [`Acd::reset_statistics`] at midnight.

mod agent;
mod caller;
mod config;
mod dispatch;
mod error;
mod event;
pub mod expected_wait;
mod overflow;
mod queue;
mod snapshot;
mod strategy;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

pub use agent::{AgentState, PAUSE_NO_ANSWER, PAUSE_UNREGISTERED};
pub use config::{
    AcdConfig, AgentConfig, AgentId, CallId, ExitAction, Member, QueueConfig, QueueName, Strategy,
};
pub use error::{AcdConfigError, AcdError};
pub use event::{AcdInput, AcdOutput, ExitReason, OfferFailure};
pub use queue::QueueCounters;
pub use snapshot::{
    AcdSnapshot, AgentCounts, AgentSnapshot, InvariantViolation, QueueSnapshot, WaitingCaller,
};

use agent::Agent;
use overflow::ExternalShare;
use queue::{Caller, Queue};

/// The automatic call distributor core.
pub struct Acd {
    queues: Vec<Queue>,
    queue_index: HashMap<QueueName, usize>,
    agents: Vec<Agent>,
    agent_index: HashMap<AgentId, usize>,
    callers: BTreeMap<CallId, Caller>,
    /// Connected calls and the agent talking to them.
    connected: BTreeMap<CallId, usize>,
    outputs: VecDeque<AcdOutput>,
    next_seq: u64,
    external: ExternalShare,
}

impl Acd {
    /// Validates the configuration and builds the engine; every agent starts logged out and
    /// registered.
    pub fn new(config: AcdConfig, now: Instant) -> Result<Acd, AcdConfigError> {
        config.validate()?;
        let agents: Vec<Agent> = config
            .agents
            .into_iter()
            .map(|a| Agent::new(a, now))
            .collect();
        let agent_index: HashMap<AgentId, usize> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        let mut queue_index = HashMap::new();
        let mut queues = Vec::new();
        for (qi, cfg) in config.queues.into_iter().enumerate() {
            let members = cfg
                .members
                .iter()
                .filter_map(|m| agent_index.get(&m.agent).map(|a| (*a, m.penalty)))
                .collect();
            queue_index.insert(cfg.name.clone(), qi);
            queues.push(Queue::new(cfg, members));
        }
        Ok(Acd {
            queues,
            queue_index,
            agents,
            agent_index,
            callers: BTreeMap::new(),
            connected: BTreeMap::new(),
            outputs: VecDeque::new(),
            next_seq: 0,
            external: ExternalShare::new(
                config.external_share_cap_percent,
                config.external_share_window,
            ),
        })
    }

    /// Applies one input, then offers free agents to waiting callers. An input refused with an
    /// error has no effect.
    pub fn handle(&mut self, input: AcdInput, now: Instant) -> Result<(), AcdError> {
        let result = match input {
            AcdInput::CallerArrived {
                call,
                queue,
                priority,
            } => self.caller_arrived(call, &queue, priority, now),
            AcdInput::CallerLeft { call } => self.caller_left(call, now),
            AcdInput::CallerKey { call, key } => self.caller_key(call, key, now),
            AcdInput::OfferAnswered { call, agent } => self.offer_answered(call, &agent, now),
            AcdInput::OfferFailed {
                call,
                agent,
                reason,
            } => {
                let a = self.agent_idx(&agent)?;
                self.check_offer(call, a, &agent)?;
                self.fail_offer(call, a, reason, false, now);
                Ok(())
            }
            AcdInput::CallEnded { call } => {
                let a = self
                    .connected
                    .remove(&call)
                    .ok_or(AcdError::UnknownCall(call))?;
                self.end_call(a, now);
                Ok(())
            }
            AcdInput::AgentLogin { agent } => self.agent_login(&agent, now),
            AcdInput::AgentLogout { agent } => self.agent_logout(&agent, now),
            AcdInput::AgentPause { agent, reason } => self.agent_pause(&agent, reason, now),
            AcdInput::AgentReady { agent } => self.agent_ready(&agent, now),
            AcdInput::AgentExtendWrapUp { agent, by } => self.agent_extend_wrap_up(&agent, by),
            AcdInput::AgentRegistration { agent, registered } => {
                self.agent_registration(&agent, registered, now)
            }
            AcdInput::AgentBusyElsewhere { agent, busy } => {
                self.agent_busy_elsewhere(&agent, busy, now)
            }
            AcdInput::TransferToQueue {
                call,
                queue,
                priority,
            } => self.transfer_to_queue(call, &queue, priority, now),
        };
        self.settle(now);
        result
    }

    /// Fires every timer due at `now` (ring timeouts, wrap-up ends, reject delays, widening,
    /// max waits, announcements), then offers free agents.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.fire_timers(now);
        self.settle(now);
    }

    /// The earliest pending deadline; `None` when nothing is timed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let callers = self.callers.values().flat_map(|c| {
            c.offers
                .iter()
                .filter_map(|o| o.deadline)
                .chain(c.next_announce)
                .chain(c.max_wait_at)
                .chain(c.widen_at)
        });
        let agents = self
            .agents
            .iter()
            .flat_map(|a| a.wrap_until.into_iter().chain(a.blocked_until));
        callers.chain(agents).min()
    }

    /// Next output for the shell.
    pub fn poll_output(&mut self) -> Option<AcdOutput> {
        self.outputs.pop_front()
    }

    /// Expected wait of the caller at `position` (1-based) in `queue`, from live staffing and
    /// the queue's mean handle time (see [`expected_wait`]); `None` for an unknown queue or when
    /// no member is staffed.
    pub fn expected_wait(
        &self,
        queue: &QueueName,
        position: usize,
        now: Instant,
    ) -> Option<Duration> {
        let qi = *self.queue_index.get(queue)?;
        self.expected_wait_at(qi, position, now)
    }

    /// Zeroes the per-queue counters (e.g. at midnight) [CTI-5].
    pub fn reset_statistics(&mut self) {
        for q in &mut self.queues {
            q.counters = QueueCounters::default();
        }
    }

    fn agent_idx(&self, agent: &AgentId) -> Result<usize, AcdError> {
        self.agent_index
            .get(agent)
            .copied()
            .ok_or_else(|| AcdError::UnknownAgent(agent.clone()))
    }

    fn queue_idx(&self, queue: &QueueName) -> Result<usize, AcdError> {
        self.queue_index
            .get(queue)
            .copied()
            .ok_or_else(|| AcdError::UnknownQueue(queue.clone()))
    }

    fn check_offer(&self, call: CallId, a: usize, agent: &AgentId) -> Result<(), AcdError> {
        let caller = self.callers.get(&call).ok_or(AcdError::UnknownCall(call))?;
        if caller.offers.iter().any(|o| o.agent == a) {
            Ok(())
        } else {
            Err(AcdError::NoSuchOffer {
                call,
                agent: agent.clone(),
            })
        }
    }
}
