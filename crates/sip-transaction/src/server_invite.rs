//! The INVITE server transaction (RFC 3261 §17.2.1, Figure 7, as amended by RFC 6026 §8.5–8.7):
//! Proceeding, Completed, Confirmed, Accepted, Terminated, with Timers G (UDP only), H, I and L,
//! plus the §13.3.1.4 2xx retransmission the endpoint runs for the UAS core until the ACK
//! arrives (UDP only) or Timer L fires (then [`crate::TuEvent::AckTimeout`]).

use std::time::{Duration, Instant};

use sip_message::Response;

use crate::message::{Outputs, to_tag_of_response};
use crate::timer::{Durations, Timer, Timers, after};
use crate::{Peer, ServerTxId, TransactionError, TuEvent};

/// One INVITE server transaction.
pub(crate) struct ServerInvite {
    id: ServerTxId,
    to: Peer,
    durations: Durations,
    timers: Timers,
    /// The To tag of the last response sent (for the CANCEL 200, §9.2, and RFC 2543 ACK matching).
    to_tag: Option<String>,
    state: State,
}

/// What to do with an ACK that matched this transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// The first ACK for our 2xx: hand it to the TU.
    Deliver,
    /// A retransmitted or non-2xx ACK: absorb it.
    Absorb,
}

enum State {
    Proceeding(Proceeding),
    Completed(Completed),
    Confirmed(Confirmed),
    Accepted(Accepted),
    Terminated,
}

/// No final sent yet; the last provisional (at least our 100 Trying) answers retransmissions.
struct Proceeding {
    last: Vec<u8>,
}

/// A non-2xx final was sent; Timer G retransmits it with interval `g` until the ACK arrives.
struct Completed {
    last: Vec<u8>,
    g: Duration,
}

/// The ACK for the non-2xx final arrived; Timer I absorbs its retransmissions.
struct Confirmed;

/// RFC 6026: a 2xx was sent; it is retransmitted with interval `interval` until `acked`.
struct Accepted {
    last: Vec<u8>,
    interval: Duration,
    acked: bool,
}

impl ServerInvite {
    /// Creates the transaction in Proceeding and sends `trying` (§17.2.1); `to` is where
    /// responses go (§18.2.2).
    pub(crate) fn start(
        id: ServerTxId,
        to: Peer,
        durations: Durations,
        trying: &Response,
        out: &mut Outputs,
    ) -> ServerInvite {
        let last = sip_message::Message::Response(trying.clone()).to_bytes();
        out.send(to, last.clone());
        ServerInvite {
            id,
            to,
            durations,
            timers: Timers::default(),
            to_tag: to_tag_of_response(trying),
            state: State::Proceeding(Proceeding { last }),
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn is_proceeding(&self) -> bool {
        matches!(self.state, State::Proceeding(_))
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    pub(crate) fn to_tag(&self) -> Option<&str> {
        self.to_tag.as_deref()
    }

    /// A retransmission of the INVITE arrived (§17.2.1): re-send the last provisional or the
    /// non-2xx final; absorb it in Confirmed and Accepted (RFC 6026 §8.5).
    pub(crate) fn on_retransmission(&mut self, out: &mut Outputs) {
        match &self.state {
            State::Proceeding(Proceeding { last }) | State::Completed(Completed { last, .. }) => {
                out.send(self.to, last.clone());
            }
            State::Confirmed(_) | State::Accepted(_) | State::Terminated => {}
        }
    }

    /// An ACK matched this transaction, by branch (a non-2xx ACK, or an RFC 2543 ACK) or by the
    /// dialog identifiers of our 2xx (§13.3.1.4).
    pub(crate) fn on_ack(&mut self, now: Instant) -> AckOutcome {
        let state = std::mem::replace(&mut self.state, State::Terminated);
        let (state, outcome) = match state {
            State::Completed(_) => {
                self.timers.clear(Timer::G);
                self.timers.clear(Timer::H);
                self.timers
                    .set(Timer::I, after(now, self.durations.timer_i_k()));
                (State::Confirmed(Confirmed), AckOutcome::Absorb)
            }
            State::Accepted(mut a) => {
                if a.acked {
                    (State::Accepted(a), AckOutcome::Absorb)
                } else {
                    a.acked = true;
                    self.timers.clear(Timer::Retransmit2xx);
                    (State::Accepted(a), AckOutcome::Deliver)
                }
            }
            state => (state, AckOutcome::Absorb),
        };
        self.state = state;
        outcome
    }

    /// The TU sends a response (§17.2.1, RFC 6026 §8.6: further 2xx are allowed in Accepted).
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        resp: &Response,
        out: &mut Outputs,
    ) -> Result<(), TransactionError> {
        let code = resp.status.0;
        if !(100..=699).contains(&code) {
            return Err(TransactionError::InvalidStatus(code));
        }
        let bytes = sip_message::Message::Response(resp.clone()).to_bytes();
        let state = std::mem::replace(&mut self.state, State::Terminated);
        let (state, result) = match state {
            State::Proceeding(_) => {
                out.send(self.to, bytes.clone());
                self.to_tag = to_tag_of_response(resp).or(self.to_tag.take());
                if resp.status.is_provisional() {
                    (State::Proceeding(Proceeding { last: bytes }), Ok(()))
                } else if resp.status.is_success() {
                    (self.enter_accepted(now, bytes), Ok(()))
                } else {
                    if !self.durations.reliable {
                        self.timers.set(Timer::G, after(now, self.durations.t1));
                    }
                    self.timers
                        .set(Timer::H, after(now, self.durations.t1x64()));
                    (
                        State::Completed(Completed {
                            last: bytes,
                            g: self.durations.t1,
                        }),
                        Ok(()),
                    )
                }
            }
            State::Accepted(mut a) if resp.status.is_success() => {
                out.send(self.to, bytes.clone());
                a.last = bytes;
                (State::Accepted(a), Ok(()))
            }
            state => (
                state,
                Err(TransactionError::FinalResponseAlreadySent(self.id)),
            ),
        };
        self.state = state;
        result
    }

    /// Processes every timer due at `now`; Timer L without an ACK reports AckTimeout.
    pub(crate) fn on_timers(&mut self, now: Instant, out: &mut Outputs) {
        while let Some(timer) = self.timers.take_due(now) {
            let state = std::mem::replace(&mut self.state, State::Terminated);
            self.state = match (state, timer) {
                (State::Completed(c), Timer::G) => {
                    out.send(self.to, c.last.clone());
                    let g = self.durations.backoff(c.g);
                    self.timers.set(Timer::G, after(now, g));
                    State::Completed(Completed { last: c.last, g })
                }
                (State::Completed(_), Timer::H) => {
                    tracing::debug!(tx = ?self.id, "Timer H fired: no ACK for the non-2xx final");
                    self.terminate()
                }
                (State::Confirmed(_), Timer::I) => self.terminate(),
                (State::Accepted(a), Timer::Retransmit2xx) => {
                    out.send(self.to, a.last.clone());
                    let interval = self.durations.backoff(a.interval);
                    self.timers.set(Timer::Retransmit2xx, after(now, interval));
                    State::Accepted(Accepted { interval, ..a })
                }
                (State::Accepted(a), Timer::L) => {
                    if !a.acked {
                        out.event(TuEvent::AckTimeout { tx: self.id });
                    }
                    self.terminate()
                }
                (state, _) => state,
            };
        }
    }

    fn enter_accepted(&mut self, now: Instant, last: Vec<u8>) -> State {
        if !self.durations.reliable {
            self.timers
                .set(Timer::Retransmit2xx, after(now, self.durations.t1));
        }
        self.timers
            .set(Timer::L, after(now, self.durations.t1x64()));
        State::Accepted(Accepted {
            last,
            interval: self.durations.t1,
            acked: false,
        })
    }

    fn terminate(&mut self) -> State {
        self.timers.clear_all();
        State::Terminated
    }
}
