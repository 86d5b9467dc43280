//! Caller inputs: arrival with priority, abandon, DTMF exit key, answer, transfer to another queue keeping the original arrival [ACD-1, ACD-6, ACD-7, CTI-3].

use std::cmp::Reverse;
use std::time::Instant;

use crate::Acd;
use crate::agent::{AgentCall, AgentState};
use crate::config::{AgentId, CallId, ExitAction, QueueName};
use crate::error::AcdError;
use crate::event::{AcdOutput, ExitReason};
use crate::queue::{Caller, WaitKey};

impl Acd {
    pub(crate) fn caller_arrived(
        &mut self,
        call: CallId,
        queue: &QueueName,
        priority: u8,
        now: Instant,
    ) -> Result<(), AcdError> {
        self.check_new_call(call)?;
        let qi = self.queue_idx(queue)?;
        self.external.record_arrival(now);
        self.enter_queue(call, qi, priority, now, 0, now);
        Ok(())
    }

    pub(crate) fn caller_left(&mut self, call: CallId, now: Instant) -> Result<(), AcdError> {
        if let Some(caller) = self.remove_caller(call, now) {
            if let Some(q) = self.queues.get_mut(caller.queue) {
                q.counters.abandoned = q.counters.abandoned.saturating_add(1);
            }
            return Ok(());
        }
        // A hang-up on a connected call ends it.
        let a = self
            .connected
            .remove(&call)
            .ok_or(AcdError::UnknownCall(call))?;
        self.end_call(a, now);
        Ok(())
    }

    pub(crate) fn caller_key(
        &mut self,
        call: CallId,
        key: char,
        now: Instant,
    ) -> Result<(), AcdError> {
        let caller = self.callers.get(&call).ok_or(AcdError::UnknownCall(call))?;
        if caller.callback {
            // The caller already hung up; a late key is ignored.
            return Ok(());
        }
        let exit = self
            .queues
            .get(caller.queue)
            .and_then(|q| q.cfg.exit_key.clone())
            .filter(|(k, _)| k.eq_ignore_ascii_case(&key));
        if let Some((_, action)) = exit {
            self.exit_queued(call, action, ExitReason::Key, now);
        }
        Ok(())
    }

    pub(crate) fn offer_answered(
        &mut self,
        call: CallId,
        agent: &AgentId,
        now: Instant,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        self.check_offer(call, a, agent)?;
        // Ring-all losers stop ringing and keep their idle clock.
        let losers: Vec<usize> = self
            .callers
            .get(&call)
            .map(|c| {
                c.offers
                    .iter()
                    .map(|o| o.agent)
                    .filter(|x| *x != a)
                    .collect()
            })
            .unwrap_or_default();
        for loser in losers {
            self.cancel_agent_offer(loser);
            self.set_agent_state(loser, AgentState::Available, now);
        }
        if let Some(ag) = self.agents.get_mut(a) {
            ag.offer = None;
        }
        let Some(caller) = self.remove_caller(call, now) else {
            return Err(AcdError::UnknownCall(call));
        };
        let waited = now.saturating_duration_since(caller.key.arrival);
        let Some(q) = self.queues.get_mut(caller.queue) else {
            return Err(AcdError::UnknownCall(call));
        };
        q.counters.answered = q.counters.answered.saturating_add(1);
        if caller.callback {
            q.counters.callbacks_answered = q.counters.callbacks_answered.saturating_add(1);
        }
        if waited <= q.cfg.service_level_target {
            q.counters.answered_within_target = q.counters.answered_within_target.saturating_add(1);
        }
        q.counters.answered_wait_total = q.counters.answered_wait_total.saturating_add(waited);
        let queue = q.cfg.name.clone();
        if let Some(ag) = self.agents.get_mut(a) {
            ag.calls_taken = ag.calls_taken.saturating_add(1);
            ag.no_answer_streak = 0;
            ag.current = Some(AgentCall {
                call,
                queue: caller.queue,
                answered_at: now,
                arrival: caller.key.arrival,
            });
        }
        self.connected.insert(call, a);
        self.set_agent_state(a, AgentState::OnCall, now);
        self.outputs.push_back(AcdOutput::Connected {
            call,
            agent: agent.clone(),
            queue,
            waited,
            announced_wait: caller.announced_wait,
        });
        Ok(())
    }

    pub(crate) fn transfer_to_queue(
        &mut self,
        call: CallId,
        queue: &QueueName,
        priority: u8,
        now: Instant,
    ) -> Result<(), AcdError> {
        let qi = self.queue_idx(queue)?;
        let arrival = if let Some(caller) = self.remove_caller(call, now) {
            if let Some(q) = self.queues.get_mut(caller.queue) {
                q.counters.moved_out = q.counters.moved_out.saturating_add(1);
            }
            caller.key.arrival
        } else if let Some(a) = self.connected.remove(&call) {
            // Level I hands the caller to level II [ACD-6]: the agent's leg ends.
            let arrival = self
                .agents
                .get(a)
                .and_then(|ag| ag.current)
                .map_or(now, |c| c.arrival);
            self.end_call(a, now);
            arrival
        } else {
            // A call the ACD never saw (e.g. a direct call) enters like a new arrival.
            self.external.record_arrival(now);
            now
        };
        self.enter_queue(call, qi, priority, arrival, 0, now);
        Ok(())
    }

    /// Puts a caller in queue `qi`, applying the arrival exits (no agents, max length) first.
    /// `hops` counts queue-to-queue overflows; past the number of queues they are not followed.
    pub(crate) fn enter_queue(
        &mut self,
        call: CallId,
        qi: usize,
        priority: u8,
        arrival: Instant,
        hops: usize,
        now: Instant,
    ) {
        let Some(q) = self.queues.get(qi) else { return };
        let follow = hops < self.queues.len();
        let no_agents = q
            .cfg
            .when_no_agents
            .clone()
            .filter(|_| !self.queue_present(qi));
        let full = q
            .cfg
            .max_length
            .clone()
            .filter(|(n, _)| q.waiting.len() >= *n)
            .map(|(_, a)| a);
        let exits = [
            (no_agents, ExitReason::NoAgents),
            (full, ExitReason::MaxLength),
        ];
        for (action, reason) in exits {
            let Some(action) = action else { continue };
            let unfollowed = !follow && matches!(action, ExitAction::Queue(_));
            if unfollowed || action == ExitAction::Callback {
                continue;
            }
            if self.exit_allowed(call, &action, reason, now) {
                self.perform_exit(call, qi, action, reason, priority, arrival, hops, now);
                return;
            }
        }
        let Some(q) = self.queues.get_mut(qi) else {
            return;
        };
        let key = WaitKey {
            priority: Reverse(priority),
            arrival,
            seq: self.next_seq,
            call,
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        let position = q.insert(key);
        let cfg = &q.cfg;
        let caller = Caller {
            queue: qi,
            key,
            offers: Vec::new(),
            tried: Vec::new(),
            next_announce: cfg.announce_every.and_then(|e| now.checked_add(e)),
            max_wait_at: cfg.max_wait.as_ref().and_then(|(w, _)| now.checked_add(*w)),
            overdue: false,
            widen_at: cfg
                .required_level
                .and(cfg.widen_after)
                .and_then(|w| now.checked_add(w)),
            widened: false,
            entry_pending: true,
            announced_wait: None,
            position,
            hops,
            callback: false,
        };
        self.callers.insert(call, caller);
    }

    /// Removes a waiting caller from its queue, withdrawing its offers (CancelOffer; the
    /// agents return to Available with their idle clock unchanged).
    pub(crate) fn remove_caller(&mut self, call: CallId, now: Instant) -> Option<Caller> {
        let caller = self.callers.remove(&call)?;
        if let Some(q) = self.queues.get_mut(caller.queue) {
            q.remove(call);
        }
        for offer in &caller.offers {
            let Some(ag) = self.agents.get_mut(offer.agent) else {
                continue;
            };
            if ag.offer == Some(call) {
                ag.offer = None;
                let agent = ag.id.clone();
                self.outputs
                    .push_back(AcdOutput::CancelOffer { call, agent });
                self.set_agent_state(offer.agent, AgentState::Available, now);
            }
        }
        Some(caller)
    }

    /// Logged in and registered members exist in queue `qi`.
    pub(crate) fn queue_present(&self, qi: usize) -> bool {
        self.queues.get(qi).is_some_and(|q| {
            q.members
                .iter()
                .any(|(a, _)| self.agents.get(*a).is_some_and(|ag| ag.is_present()))
        })
    }

    fn check_new_call(&self, call: CallId) -> Result<(), AcdError> {
        if self.callers.contains_key(&call) || self.connected.contains_key(&call) {
            Err(AcdError::DuplicateCall(call))
        } else {
            Ok(())
        }
    }
}
