//! The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6): Trying, Proceeding,
//! Completed, Terminated, with Timers E (UDP only), F and K.

use std::time::{Duration, Instant};

use sip_message::Response;

use crate::message::{Outputs, Report};
use crate::timer::{Durations, Timer, Timers, after};
use crate::{ClientTxId, Peer, TuEvent};

/// One non-INVITE client transaction.
pub(crate) struct ClientNonInvite {
    id: ClientTxId,
    to: Peer,
    request: Vec<u8>,
    report: Report,
    durations: Durations,
    timers: Timers,
    state: State,
}

enum State {
    Trying(Trying),
    Proceeding(Proceeding),
    Completed(Completed),
    Terminated,
}

/// Waiting for any response; Timer E retransmits with interval `e`.
struct Trying {
    e: Duration,
}

/// A provisional arrived; Timer E now retransmits every T2.
struct Proceeding;

/// A final arrived; Timer K absorbs its retransmissions.
struct Completed;

impl ClientNonInvite {
    /// Sends the request and enters Trying (§17.1.2.2).
    pub(crate) fn start(
        now: Instant,
        id: ClientTxId,
        to: Peer,
        request: Vec<u8>,
        report: Report,
        durations: Durations,
        out: &mut Outputs,
    ) -> ClientNonInvite {
        out.send(to, request.clone());
        let mut timers = Timers::default();
        if !durations.reliable {
            timers.set(Timer::E, after(now, durations.t1));
        }
        timers.set(Timer::F, after(now, durations.t1x64()));
        ClientNonInvite {
            id,
            to,
            request,
            report,
            durations,
            timers,
            state: State::Trying(Trying { e: durations.t1 }),
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Feeds a response matched to this transaction (§17.1.2.2).
    pub(crate) fn on_response(&mut self, now: Instant, resp: Response, out: &mut Outputs) {
        let state = std::mem::replace(&mut self.state, State::Terminated);
        self.state = match state {
            State::Trying(_) | State::Proceeding(_) => {
                let fin = resp.status.is_final();
                self.deliver(resp, out);
                if fin {
                    self.timers.clear(Timer::E);
                    self.timers.clear(Timer::F);
                    self.enter_completed(now)
                } else {
                    State::Proceeding(Proceeding)
                }
            }
            // Retransmissions of the final response are absorbed by Timer K.
            State::Completed(c) => State::Completed(c),
            State::Terminated => State::Terminated,
        };
    }

    /// Processes every timer due at `now`.
    pub(crate) fn on_timers(&mut self, now: Instant, out: &mut Outputs) {
        while let Some(timer) = self.timers.take_due(now) {
            let state = std::mem::replace(&mut self.state, State::Terminated);
            self.state = match (state, timer) {
                (State::Trying(t), Timer::E) => {
                    out.send(self.to, self.request.clone());
                    let e = self.durations.backoff(t.e);
                    self.timers.set(Timer::E, after(now, e));
                    State::Trying(Trying { e })
                }
                (State::Proceeding(p), Timer::E) => {
                    out.send(self.to, self.request.clone());
                    self.timers.set(Timer::E, after(now, self.durations.t2));
                    State::Proceeding(p)
                }
                (State::Trying(_) | State::Proceeding(_), Timer::F) => {
                    if self.report == Report::Tu {
                        out.event(TuEvent::Timeout { tx: self.id });
                    }
                    self.terminate()
                }
                (State::Completed(_), Timer::K) => self.terminate(),
                (state, _) => state,
            };
        }
    }

    /// Reports a transport failure and terminates (§17.1.4).
    pub(crate) fn on_transport_error(&mut self, out: &mut Outputs) {
        if self.report == Report::Tu && !self.is_terminated() {
            out.event(TuEvent::TransportError { tx: self.id });
        }
        self.state = self.terminate();
    }

    fn deliver(&self, response: Response, out: &mut Outputs) {
        if self.report == Report::Tu {
            out.event(TuEvent::Response {
                tx: self.id,
                response,
                retransmission: false,
            });
        }
    }

    fn enter_completed(&mut self, now: Instant) -> State {
        self.timers
            .set(Timer::K, after(now, self.durations.timer_i_k()));
        State::Completed(Completed)
    }

    fn terminate(&mut self) -> State {
        self.timers.clear_all();
        State::Terminated
    }
}
