//! Overflow and exits: max wait, max length, no agents, exit key, queue-to-queue moves and the external share cap [ACD-7, IVR-4, TEL-6].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::Acd;
use crate::config::{CallId, ExitAction};
use crate::event::{AcdOutput, ExitReason};

/// Arrivals and External exits of the rolling window, to cap the external share [TEL-6].
pub(crate) struct ExternalShare {
    cap_percent: u8,
    window: Duration,
    arrivals: VecDeque<Instant>,
    externals: VecDeque<Instant>,
}

impl ExternalShare {
    pub(crate) fn new(cap_percent: u8, window: Duration) -> Self {
        ExternalShare {
            cap_percent,
            window,
            arrivals: VecDeque::new(),
            externals: VecDeque::new(),
        }
    }

    pub(crate) fn record_arrival(&mut self, now: Instant) {
        self.prune(now);
        self.arrivals.push_back(now);
    }

    /// One more External exit keeps the share within the cap:
    /// `(externals + 1) * 100 <= cap * arrivals`.
    pub(crate) fn allows(&mut self, now: Instant) -> bool {
        self.prune(now);
        let wanted = (self.externals.len() as u128 + 1) * 100;
        wanted <= u128::from(self.cap_percent) * self.arrivals.len() as u128
    }

    fn record_external(&mut self, now: Instant) {
        self.externals.push_back(now);
    }

    fn prune(&mut self, now: Instant) {
        let Some(cutoff) = now.checked_sub(self.window) else {
            return;
        };
        while self.arrivals.front().is_some_and(|t| *t < cutoff) {
            self.arrivals.pop_front();
        }
        while self.externals.front().is_some_and(|t| *t < cutoff) {
            self.externals.pop_front();
        }
    }
}

impl Acd {
    /// A waiting caller leaves through `action`; returns false (caller stays) when an External
    /// exit is refused by the cap.
    pub(crate) fn exit_queued(
        &mut self,
        call: CallId,
        action: ExitAction,
        reason: ExitReason,
        now: Instant,
    ) -> bool {
        if action == ExitAction::Callback {
            return self.keep_for_callback(call);
        }
        if !self.exit_allowed(call, &action, reason, now) {
            return false;
        }
        let Some(caller) = self.remove_caller(call, now) else {
            return false;
        };
        self.perform_exit(
            call,
            caller.queue,
            action,
            reason,
            caller.key.priority.0,
            caller.key.arrival,
            caller.hops,
            now,
        );
        true
    }

    /// The caller hangs up and keeps its place for a callback: no more announcements or
    /// exits; when its turn comes the agent is offered as usual [ACD-7].
    fn keep_for_callback(&mut self, call: CallId) -> bool {
        let Some(c) = self.callers.get_mut(&call) else {
            return false;
        };
        c.callback = true;
        c.next_announce = None;
        c.max_wait_at = None;
        c.overdue = false;
        c.entry_pending = false;
        let qi = c.queue;
        let Some(q) = self.queues.get_mut(qi) else {
            return false;
        };
        q.counters.callbacks_requested = q.counters.callbacks_requested.saturating_add(1);
        let position = q.position(call).unwrap_or(0);
        self.outputs
            .push_back(AcdOutput::CallbackKept { call, position });
        true
    }

    /// Checks the external share cap, emitting OverflowRefused when it is reached [TEL-6].
    pub(crate) fn exit_allowed(
        &mut self,
        call: CallId,
        action: &ExitAction,
        reason: ExitReason,
        now: Instant,
    ) -> bool {
        let ExitAction::External(destination) = action else {
            return true;
        };
        if self.external.allows(now) {
            return true;
        }
        self.outputs.push_back(AcdOutput::OverflowRefused {
            call,
            destination: destination.clone(),
            reason,
        });
        false
    }

    /// Carries out an allowed exit of a caller that is in no queue now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn perform_exit(
        &mut self,
        call: CallId,
        from: usize,
        action: ExitAction,
        reason: ExitReason,
        priority: u8,
        arrival: Instant,
        hops: usize,
        now: Instant,
    ) {
        let target = match &action {
            ExitAction::Queue(name) => self.queue_index.get(name).copied(),
            _ => None,
        };
        let Some(q) = self.queues.get_mut(from) else {
            return;
        };
        let from_name = q.cfg.name.clone();
        match (target, &action) {
            (Some(to), ExitAction::Queue(to_name)) => {
                q.counters.moved_out = q.counters.moved_out.saturating_add(1);
                self.outputs.push_back(AcdOutput::Moved {
                    call,
                    from: from_name,
                    to: to_name.clone(),
                    reason,
                });
                self.enter_queue(call, to, priority, arrival, hops.saturating_add(1), now);
            }
            _ => {
                q.counters.exited = q.counters.exited.saturating_add(1);
                if matches!(action, ExitAction::External(_)) {
                    self.external.record_external(now);
                }
                self.outputs.push_back(AcdOutput::Exit {
                    call,
                    action,
                    reason,
                });
            }
        }
    }

    /// The max wait of a waiting caller expired; when the exit is refused the timer is re-armed.
    pub(crate) fn max_wait_exit(&mut self, call: CallId, now: Instant) {
        let Some(c) = self.callers.get_mut(&call) else {
            return;
        };
        c.overdue = false;
        let Some((wait, action)) = self
            .queues
            .get(c.queue)
            .and_then(|q| q.cfg.max_wait.clone())
        else {
            return;
        };
        if !self.exit_queued(call, action, ExitReason::MaxWait, now)
            && let Some(c) = self.callers.get_mut(&call)
        {
            c.max_wait_at = now.checked_add(wait);
        }
    }

    /// Agent `a` left (logout or unregistration): queues of which no member is present any
    /// more send their callers to `when_no_agents`.
    pub(crate) fn check_no_agents(&mut self, a: usize, now: Instant) {
        for qi in 0..self.queues.len() {
            let Some(q) = self.queues.get(qi) else {
                continue;
            };
            let Some(action) = q.cfg.when_no_agents.clone() else {
                continue;
            };
            if q.member_pos(a).is_none() || self.queue_present(qi) {
                continue;
            }
            // Callback callers keep waiting for agents to come back.
            let calls: Vec<CallId> = q
                .waiting
                .iter()
                .map(|k| k.call)
                .filter(|c| self.callers.get(c).is_some_and(|x| !x.callback))
                .collect();
            for call in calls {
                self.exit_queued(call, action.clone(), ExitReason::NoAgents, now);
            }
        }
    }
}
