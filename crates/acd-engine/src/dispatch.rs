//! Distribution: matching waiting callers to free agents with cross-queue fairness, offers and their failures, timers and visible-queue announcements [ACD-1..3, ACD-6, ACD-7, IVR-5].

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use crate::Acd;
use crate::agent::{AgentState, PAUSE_NO_ANSWER, paused};
use crate::config::{CallId, Strategy};
use crate::event::{AcdOutput, OfferFailure};
use crate::expected_wait::conditional_wait;
use crate::queue::Offer;
use crate::strategy::{Candidate, select};

impl Acd {
    /// Runs after every input and timeout: resolves overdue exits, offers free agents, emits
    /// the entry announcements and position changes.
    pub(crate) fn settle(&mut self, now: Instant) {
        let overdue: Vec<CallId> = self
            .callers
            .iter()
            .filter(|(_, c)| c.overdue && c.offers.is_empty())
            .map(|(id, _)| *id)
            .collect();
        for call in overdue {
            self.max_wait_exit(call, now);
        }
        self.dispatch(now);
        self.entry_announcements(now);
        self.refresh_positions();
    }

    /// An offer of `call` to agent `a` failed. The caller keeps its place; the agent returns to
    /// Available, is blocked for the reject delay, or is paused after too many no-answers.
    pub(crate) fn fail_offer(
        &mut self,
        call: CallId,
        a: usize,
        reason: OfferFailure,
        emit_cancel: bool,
        now: Instant,
    ) {
        let Some(c) = self.callers.get_mut(&call) else {
            return;
        };
        c.offers.retain(|o| o.agent != a);
        if !c.tried.contains(&a) {
            c.tried.push(a);
        }
        let Some(q) = self.queues.get(c.queue) else {
            return;
        };
        let (reject_delay, max_no_answer) = (q.cfg.reject_delay, q.cfg.max_no_answer);
        let Some(ag) = self.agents.get_mut(a) else {
            return;
        };
        if ag.offer != Some(call) {
            return;
        }
        ag.offer = None;
        if emit_cancel {
            self.outputs.push_back(AcdOutput::CancelOffer {
                call,
                agent: ag.id.clone(),
            });
        }
        let next = match reason {
            OfferFailure::Rejected => {
                ag.blocked_until = if reject_delay.is_zero() {
                    None
                } else {
                    now.checked_add(reject_delay)
                };
                AgentState::Available
            }
            OfferFailure::NoAnswer | OfferFailure::Unreachable => {
                ag.no_answer_streak = ag.no_answer_streak.saturating_add(1);
                if max_no_answer > 0 && ag.no_answer_streak >= max_no_answer {
                    ag.no_answer_streak = 0;
                    paused(PAUSE_NO_ANSWER)
                } else {
                    AgentState::Available
                }
            }
        };
        self.set_agent_state(a, next, now);
    }

    /// Fires every timer due at `now`.
    pub(crate) fn fire_timers(&mut self, now: Instant) {
        let rings: Vec<(CallId, usize)> = self
            .callers
            .iter()
            .flat_map(|(id, c)| {
                c.offers
                    .iter()
                    .filter(|o| o.deadline.is_some_and(|d| d <= now))
                    .map(|o| (*id, o.agent))
            })
            .collect();
        for (call, a) in rings {
            self.fail_offer(call, a, OfferFailure::NoAnswer, true, now);
        }
        let wraps: Vec<(usize, Instant)> = self
            .agents
            .iter()
            .enumerate()
            .filter_map(|(i, ag)| ag.wrap_until.filter(|w| *w <= now).map(|w| (i, w)))
            .collect();
        for (a, at) in wraps {
            self.finish_wrap_up(a, at);
        }
        for ag in &mut self.agents {
            if ag.blocked_until.is_some_and(|b| b <= now) {
                ag.blocked_until = None;
            }
        }
        let mut max_waits = Vec::new();
        let mut announces = Vec::new();
        for (id, c) in &mut self.callers {
            if c.widen_at.is_some_and(|w| w <= now) {
                c.widen_at = None;
                c.widened = true;
            }
            if c.max_wait_at.is_some_and(|w| w <= now) {
                c.max_wait_at = None;
                if c.offers.is_empty() {
                    max_waits.push(*id);
                } else {
                    c.overdue = true;
                }
            }
            if c.next_announce.is_some_and(|w| w <= now) {
                let every = self.queues.get(c.queue).and_then(|q| q.cfg.announce_every);
                c.next_announce = every.and_then(|e| now.checked_add(e));
                if c.offers.is_empty() {
                    announces.push(*id);
                }
            }
        }
        for call in max_waits {
            self.max_wait_exit(call, now);
        }
        for call in announces {
            self.announce(call, now);
        }
    }

    /// Expected wait at `position` in queue `qi`: callers ahead, free and staffed members,
    /// and the queue's mean handle time [IVR-5].
    pub(crate) fn expected_wait_at(
        &self,
        qi: usize,
        position: usize,
        now: Instant,
    ) -> Option<Duration> {
        let q = self.queues.get(qi)?;
        let level = q.cfg.required_level;
        let mut staffed = 0;
        let mut free = 0;
        for (a, _) in &q.members {
            let Some(ag) = self.agents.get(*a) else {
                continue;
            };
            let on_duty = matches!(
                ag.state,
                AgentState::Available
                    | AgentState::Reserved
                    | AgentState::OnCall
                    | AgentState::WrapUp
            );
            if on_duty && ag.registered {
                staffed += 1;
                if ag.is_free(now) && level.is_none_or(|l| ag.level >= l) {
                    free += 1;
                }
            }
        }
        conditional_wait(position, free, staffed, q.handle_time)
    }

    /// Offers free agents to waiting callers, served in the order (priority, weighted wait,
    /// arrival); each caller takes the best free eligible member of its queue.
    fn dispatch(&mut self, now: Instant) {
        let mut free = self.agents.iter().filter(|a| a.is_free(now)).count();
        if free == 0 {
            return;
        }
        let mut order: Vec<_> = self
            .callers
            .iter()
            .filter(|(_, c)| c.offers.is_empty() && !c.overdue)
            .map(|(id, c)| {
                let weight = self.queues.get(c.queue).map_or(1, |q| q.cfg.weight);
                let waited = now
                    .saturating_duration_since(c.key.arrival)
                    .saturating_mul(weight);
                (
                    c.key.priority,
                    Reverse(waited),
                    c.key.arrival,
                    c.key.seq,
                    *id,
                )
            })
            .collect();
        order.sort();
        for (.., call) in order {
            if free == 0 {
                break;
            }
            free = free.saturating_sub(self.offer_caller(call, now));
        }
    }

    /// Offers one waiting caller to the agent(s) its queue's strategy picks; returns how many
    /// offers were made.
    fn offer_caller(&mut self, call: CallId, now: Instant) -> usize {
        let Some(c) = self.callers.get(&call) else {
            return 0;
        };
        let Some(q) = self.queues.get(c.queue) else {
            return 0;
        };
        let widened = c.widened || c.widen_at.is_some_and(|w| w <= now);
        let level = if widened { None } else { q.cfg.required_level };
        let candidates: Vec<Candidate> = q
            .members
            .iter()
            .enumerate()
            .filter_map(|(pos, (a, penalty))| {
                let ag = self.agents.get(*a)?;
                if !ag.is_free(now) || level.is_some_and(|l| ag.level < l) {
                    return None;
                }
                Some(Candidate {
                    agent: *a,
                    member_pos: pos,
                    penalty: *penalty,
                    idle_for: now.saturating_duration_since(ag.idle_since),
                    calls_taken: ag.calls_taken,
                })
            })
            .collect();
        if candidates.is_empty() {
            return 0;
        }
        let untried: Vec<Candidate> = candidates
            .iter()
            .filter(|x| !c.tried.contains(&x.agent))
            .copied()
            .collect();
        let new_round = untried.is_empty();
        let pool = if new_round { candidates } else { untried };
        let chosen = select(q.cfg.strategy, &pool, q.members.len(), q.last_offered);
        let deadline = now.checked_add(q.cfg.ring_timeout);
        let queue = q.cfg.name.clone();
        let waited = now.saturating_duration_since(c.key.arrival);
        let qi = c.queue;
        if q.cfg.strategy != Strategy::RingAll {
            let last = chosen.first().and_then(|a| q.member_pos(*a));
            if let Some(q) = self.queues.get_mut(qi) {
                q.last_offered = last.or(q.last_offered);
            }
        }
        let Some(c) = self.callers.get_mut(&call) else {
            return 0;
        };
        if new_round {
            c.tried.clear();
        }
        for a in &chosen {
            c.offers.push(Offer {
                agent: *a,
                deadline,
            });
        }
        for a in &chosen {
            let Some(ag) = self.agents.get_mut(*a) else {
                continue;
            };
            ag.offer = Some(call);
            self.outputs.push_back(AcdOutput::Offer {
                call,
                agent: ag.id.clone(),
                queue: queue.clone(),
                waited,
            });
            self.set_agent_state(*a, AgentState::Reserved, now);
        }
        chosen.len()
    }

    /// Entry announcements of callers that were not offered at once; the announced wait is
    /// kept for the accuracy report [IVR-5].
    fn entry_announcements(&mut self, now: Instant) {
        let pending: Vec<(CallId, bool)> = self
            .callers
            .iter()
            .filter(|(_, c)| c.entry_pending)
            .map(|(id, c)| (*id, c.offers.is_empty()))
            .collect();
        for (call, waiting) in pending {
            let announced = if waiting {
                self.announce(call, now)
            } else {
                None
            };
            if let Some(c) = self.callers.get_mut(&call) {
                c.entry_pending = false;
                c.announced_wait = announced;
            }
        }
    }

    fn announce(&mut self, call: CallId, now: Instant) -> Option<Duration> {
        let c = self.callers.get(&call)?;
        let qi = c.queue;
        let position = self.queues.get(qi)?.position(call)?;
        let expected_wait = self.expected_wait_at(qi, position, now);
        if let Some(c) = self.callers.get_mut(&call) {
            c.position = position;
        }
        self.outputs.push_back(AcdOutput::Announce {
            call,
            position,
            expected_wait,
        });
        expected_wait
    }

    fn refresh_positions(&mut self) {
        for q in &self.queues {
            for (i, k) in q.waiting.iter().enumerate() {
                let Some(c) = self.callers.get_mut(&k.call) else {
                    continue;
                };
                let position = i + 1;
                if c.position != position {
                    c.position = position;
                    self.outputs.push_back(AcdOutput::PositionChanged {
                        call: k.call,
                        position,
                    });
                }
            }
        }
    }
}
