//! Live statistics for supervisors and /metrics, and the engine's internal invariants [ACD-5, CTI-4, CTI-5, CTI-6].

use std::time::{Duration, Instant};

use crate::Acd;
use crate::agent::AgentState;
use crate::config::{AgentId, CallId, QueueName, Strategy};
use crate::queue::QueueCounters;

/// Everything a supervisor sees at one instant; the shell samples it periodically [CTI-6].
#[derive(Clone, Debug, PartialEq)]
pub struct AcdSnapshot {
    pub queues: Vec<QueueSnapshot>,
    pub agents: Vec<AgentSnapshot>,
}

/// One queue [CTI-5].
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSnapshot {
    pub name: QueueName,
    pub waiting: usize,
    /// Wait (since original arrival) of the longest-waiting caller.
    pub longest_wait: Option<Duration>,
    /// Waiting callers in service order.
    pub callers: Vec<WaitingCaller>,
    /// Members by state.
    pub agents: AgentCounts,
    /// Members logged in and registered (terminals able to take calls).
    pub present: usize,
    /// Waiting callers per present member.
    pub average_load: Option<f64>,
    pub handle_time: Duration,
    /// Expected wait of a caller arriving now.
    pub expected_wait: Option<Duration>,
    pub counters: QueueCounters,
}

/// A waiting caller in a queue snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingCaller {
    pub call: CallId,
    pub position: usize,
    pub priority: u8,
    pub waited: Duration,
    /// Agents currently ringing for this caller.
    pub ringing: Vec<AgentId>,
    /// Waiting for a callback (the caller hung up).
    pub callback: bool,
}

/// Number of members per state; `busy_elsewhere` counts agents on a direct or outbound call
/// whatever their state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentCounts {
    pub logged_out: usize,
    pub available: usize,
    pub reserved: usize,
    pub on_call: usize,
    pub wrap_up: usize,
    pub paused: usize,
    pub busy_elsewhere: usize,
}

/// One agent [CTI-5].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSnapshot {
    pub id: AgentId,
    pub name: String,
    pub level: u8,
    pub state: AgentState,
    /// Time in the current state.
    pub since: Duration,
    /// Calls answered since login.
    pub calls_taken: u32,
    /// The queue call the agent is on or wrapping up.
    pub current_call: Option<CallId>,
    /// The call the agent is ringing for.
    pub offered_call: Option<CallId>,
    pub registered: bool,
    pub busy_elsewhere: bool,
}

/// A broken internal invariant (a bug in the engine), reported by [`Acd::check_invariants`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ACD invariant violated: {0}")]
pub struct InvariantViolation(pub String);

impl Acd {
    /// The live state of every queue and agent.
    pub fn snapshot(&self, now: Instant) -> AcdSnapshot {
        let agents = self
            .agents
            .iter()
            .map(|ag| AgentSnapshot {
                id: ag.id.clone(),
                name: ag.name.clone(),
                level: ag.level,
                state: ag.state.clone(),
                since: now.saturating_duration_since(ag.since),
                calls_taken: ag.calls_taken,
                current_call: ag.current.map(|c| c.call),
                offered_call: ag.offer,
                registered: ag.registered,
                busy_elsewhere: ag.busy_elsewhere,
            })
            .collect();
        let queues = self
            .queues
            .iter()
            .enumerate()
            .map(|(qi, q)| {
                let callers: Vec<WaitingCaller> = q
                    .waiting
                    .iter()
                    .enumerate()
                    .map(|(i, k)| WaitingCaller {
                        call: k.call,
                        position: i + 1,
                        priority: k.priority.0,
                        waited: now.saturating_duration_since(k.arrival),
                        ringing: self
                            .callers
                            .get(&k.call)
                            .map(|c| {
                                c.offers
                                    .iter()
                                    .filter_map(|o| self.agents.get(o.agent).map(|a| a.id.clone()))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        callback: self.callers.get(&k.call).is_some_and(|c| c.callback),
                    })
                    .collect();
                let mut counts = AgentCounts::default();
                let mut present = 0;
                for (a, _) in &q.members {
                    let Some(ag) = self.agents.get(*a) else {
                        continue;
                    };
                    if ag.is_present() {
                        present += 1;
                    }
                    if ag.busy_elsewhere {
                        counts.busy_elsewhere += 1;
                    }
                    match ag.state {
                        AgentState::LoggedOut => counts.logged_out += 1,
                        AgentState::Available => counts.available += 1,
                        AgentState::Reserved => counts.reserved += 1,
                        AgentState::OnCall => counts.on_call += 1,
                        AgentState::WrapUp => counts.wrap_up += 1,
                        AgentState::Paused { .. } => counts.paused += 1,
                    }
                }
                QueueSnapshot {
                    name: q.cfg.name.clone(),
                    waiting: callers.len(),
                    longest_wait: callers.iter().map(|c| c.waited).max(),
                    average_load: (present > 0).then(|| callers.len() as f64 / present as f64),
                    callers,
                    agents: counts,
                    present,
                    handle_time: q.handle_time,
                    expected_wait: self.expected_wait_at(
                        qi,
                        q.waiting.len().saturating_add(1),
                        now,
                    ),
                    counters: q.counters,
                }
            })
            .collect();
        AcdSnapshot { queues, agents }
    }

    /// Checks the internal invariants: every caller is in exactly one queue position and not
    /// connected; offers and Reserved agents match one to one; a caller has at most one offer
    /// unless its queue rings all; OnCall agents own a connected call; and no waiting caller
    /// without an offer could be offered to a free eligible agent (nothing is stuck).
    pub fn check_invariants(&self, now: Instant) -> Result<(), InvariantViolation> {
        let fail = |s: String| Err(InvariantViolation(s));
        let queued: usize = self.queues.iter().map(|q| q.waiting.len()).sum();
        if queued != self.callers.len() {
            return fail(format!(
                "{queued} queue entries for {} callers",
                self.callers.len()
            ));
        }
        for (id, c) in &self.callers {
            let entries: usize = self
                .queues
                .iter()
                .map(|q| q.waiting.iter().filter(|k| k.call == *id).count())
                .sum();
            let in_own = self
                .queues
                .get(c.queue)
                .and_then(|q| q.position(*id))
                .is_some();
            if entries != 1 || !in_own {
                return fail(format!("{id:?} has {entries} queue entries"));
            }
            if self.connected.contains_key(id) {
                return fail(format!("{id:?} is both waiting and connected"));
            }
            let ring_all = self
                .queues
                .get(c.queue)
                .is_some_and(|q| q.cfg.strategy == Strategy::RingAll);
            if !ring_all && c.offers.len() > 1 {
                return fail(format!("{id:?} has {} offers", c.offers.len()));
            }
            for o in &c.offers {
                match self.agents.get(o.agent) {
                    Some(ag) if ag.offer == Some(*id) && ag.state == AgentState::Reserved => {}
                    _ => return fail(format!("{id:?} offer to agent #{} not mirrored", o.agent)),
                }
            }
        }
        for (i, ag) in self.agents.iter().enumerate() {
            let reserved = ag.state == AgentState::Reserved;
            if reserved != ag.offer.is_some() {
                return fail(format!(
                    "agent {} is {:?} with offer {:?}",
                    ag.id, ag.state, ag.offer
                ));
            }
            if let Some(call) = ag.offer {
                let mirrored = self
                    .callers
                    .get(&call)
                    .is_some_and(|c| c.offers.iter().filter(|o| o.agent == i).count() == 1);
                if !mirrored {
                    return fail(format!("agent {} offer {call:?} not mirrored", ag.id));
                }
            }
            let on_call = ag.state == AgentState::OnCall;
            let connected = ag
                .current
                .is_some_and(|c| self.connected.get(&c.call) == Some(&i));
            if on_call != connected {
                return fail(format!(
                    "agent {} is {:?} with call {:?}",
                    ag.id, ag.state, ag.current
                ));
            }
            if (ag.state == AgentState::WrapUp) != (ag.current.is_some() && !on_call) {
                return fail(format!("agent {} wrap-up without call", ag.id));
            }
        }
        for (call, a) in &self.connected {
            if self
                .agents
                .get(*a)
                .and_then(|ag| ag.current)
                .map(|c| c.call)
                != Some(*call)
            {
                return fail(format!("{call:?} connected to an agent not on it"));
            }
        }
        for (id, c) in &self.callers {
            if !c.offers.is_empty() || c.overdue {
                continue;
            }
            let Some(q) = self.queues.get(c.queue) else {
                continue;
            };
            let widened = c.widened || c.widen_at.is_some_and(|w| w <= now);
            let level = if widened { None } else { q.cfg.required_level };
            let stuck = q.members.iter().any(|(a, _)| {
                self.agents
                    .get(*a)
                    .is_some_and(|ag| ag.is_free(now) && level.is_none_or(|l| ag.level >= l))
            });
            if stuck {
                return fail(format!("{id:?} waits while a free eligible agent exists"));
            }
        }
        Ok(())
    }
}
