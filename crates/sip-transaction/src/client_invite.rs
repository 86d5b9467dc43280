//! The INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as amended by RFC 6026 §8.4):
//! Calling, Proceeding, Accepted, Completed, Terminated, with Timers A (UDP only), B, D and M,
//! the non-2xx ACK (§17.1.1.3) and the CANCEL rules of §9.1 (deferred until a provisional,
//! 64*T1 guard afterwards).

use std::time::{Duration, Instant};

use sip_message::{Request, Response};

use crate::message::{Outputs, ack_for_non_2xx, to_tag_of_response};
use crate::timer::{Durations, Timer, Timers, after};
use crate::{ClientTxId, Peer, TransactionError, TuEvent};

/// How many distinct 2xx To tags (forks) the Accepted state remembers to flag retransmissions.
const MAX_REMEMBERED_FORKS: usize = 64;

/// One INVITE client transaction.
pub(crate) struct ClientInvite {
    id: ClientTxId,
    to: Peer,
    /// The INVITE as sent (with our Via), kept to build the ACK and the CANCEL.
    request: Request,
    bytes: Vec<u8>,
    durations: Durations,
    timers: Timers,
    state: State,
}

/// What the endpoint must do after a response or a cancel request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelAction {
    /// Nothing to send now.
    None,
    /// Build and send the CANCEL now.
    SendCancel,
}

enum State {
    Calling(Calling),
    Proceeding(Proceeding),
    Accepted(Accepted),
    Completed(Completed),
    Terminated,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cancel {
    NotRequested,
    /// Requested before any provisional: §9.1 says wait for one.
    Deferred,
    Sent,
}

/// No response yet; Timer A retransmits with interval `a`.
struct Calling {
    a: Duration,
    cancel: Cancel,
}

/// A provisional arrived.
struct Proceeding {
    cancel: Cancel,
}

/// RFC 6026: a 2xx arrived; further 2xx go to the TU until Timer M fires.
struct Accepted {
    to_tags: Vec<String>,
}

/// A non-2xx final arrived and was ACKed; the ACK is re-sent on its retransmissions.
struct Completed {
    ack: Vec<u8>,
}

impl ClientInvite {
    /// Sends the INVITE and enters Calling (§17.1.1.2).
    pub(crate) fn start(
        now: Instant,
        id: ClientTxId,
        to: Peer,
        request: Request,
        durations: Durations,
        out: &mut Outputs,
    ) -> ClientInvite {
        let bytes = sip_message::Message::Request(request.clone()).to_bytes();
        out.send(to, bytes.clone());
        let mut timers = Timers::default();
        if !durations.reliable {
            timers.set(Timer::A, after(now, durations.t1));
        }
        timers.set(Timer::B, after(now, durations.t1x64()));
        ClientInvite {
            id,
            to,
            request,
            bytes,
            durations,
            timers,
            state: State::Calling(Calling {
                a: durations.t1,
                cancel: Cancel::NotRequested,
            }),
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    pub(crate) fn peer(&self) -> Peer {
        self.to
    }

    /// The TU asks to cancel (§9.1): allowed until a final response arrives; deferred while no
    /// provisional has been received. Once the CANCEL goes out, Timer B is re-armed to 64*T1 so
    /// the transaction ends if no final follows.
    pub(crate) fn request_cancel(
        &mut self,
        now: Instant,
    ) -> Result<CancelAction, TransactionError> {
        match &mut self.state {
            State::Calling(c) => match c.cancel {
                Cancel::NotRequested => {
                    c.cancel = Cancel::Deferred;
                    Ok(CancelAction::None)
                }
                Cancel::Deferred | Cancel::Sent => Err(TransactionError::AlreadyCancelled(self.id)),
            },
            State::Proceeding(p) => match p.cancel {
                Cancel::NotRequested => {
                    p.cancel = Cancel::Sent;
                    self.timers
                        .set(Timer::B, after(now, self.durations.t1x64()));
                    Ok(CancelAction::SendCancel)
                }
                Cancel::Deferred | Cancel::Sent => Err(TransactionError::AlreadyCancelled(self.id)),
            },
            State::Accepted(_) | State::Completed(_) | State::Terminated => {
                Err(TransactionError::FinalResponseAlreadyReceived(self.id))
            }
        }
    }

    /// Feeds a response matched to this transaction (§17.1.1.2, RFC 6026 §8.4).
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        resp: Response,
        out: &mut Outputs,
    ) -> CancelAction {
        let state = std::mem::replace(&mut self.state, State::Terminated);
        let mut action = CancelAction::None;
        self.state = match state {
            State::Calling(Calling { cancel, .. }) | State::Proceeding(Proceeding { cancel }) => {
                if resp.status.is_provisional() {
                    self.timers.clear(Timer::A);
                    let cancel = if cancel == Cancel::Deferred {
                        action = CancelAction::SendCancel;
                        self.timers
                            .set(Timer::B, after(now, self.durations.t1x64()));
                        Cancel::Sent
                    } else {
                        if cancel == Cancel::NotRequested {
                            // Timer B only guards Calling; in Proceeding the INVITE may
                            // legitimately wait for the callee (§17.1.1.2).
                            self.timers.clear(Timer::B);
                        }
                        cancel
                    };
                    self.deliver(resp, false, out);
                    State::Proceeding(Proceeding { cancel })
                } else if resp.status.is_success() {
                    self.timers.clear_all();
                    self.timers
                        .set(Timer::M, after(now, self.durations.t1x64()));
                    let to_tags = to_tag_of_response(&resp).into_iter().collect();
                    self.deliver(resp, false, out);
                    State::Accepted(Accepted { to_tags })
                } else {
                    self.timers.clear_all();
                    let ack = sip_message::Message::Request(ack_for_non_2xx(&self.request, &resp))
                        .to_bytes();
                    out.send(self.to, ack.clone());
                    self.timers
                        .set(Timer::D, after(now, self.durations.timer_d()));
                    self.deliver(resp, false, out);
                    State::Completed(Completed { ack })
                }
            }
            State::Accepted(mut a) => {
                if resp.status.is_success() {
                    let tag = to_tag_of_response(&resp);
                    let seen = tag.as_ref().is_some_and(|t| a.to_tags.contains(t));
                    if let Some(tag) = tag
                        && !seen
                        && a.to_tags.len() < MAX_REMEMBERED_FORKS
                    {
                        a.to_tags.push(tag);
                    }
                    self.deliver(resp, seen, out);
                }
                State::Accepted(a)
            }
            State::Completed(c) => {
                if resp.status.is_final() && !resp.status.is_success() {
                    out.send(self.to, c.ack.clone());
                }
                State::Completed(c)
            }
            State::Terminated => State::Terminated,
        };
        action
    }

    /// Processes every timer due at `now`.
    pub(crate) fn on_timers(&mut self, now: Instant, out: &mut Outputs) {
        while let Some(timer) = self.timers.take_due(now) {
            let state = std::mem::replace(&mut self.state, State::Terminated);
            self.state = match (state, timer) {
                (State::Calling(c), Timer::A) => {
                    out.send(self.to, self.bytes.clone());
                    let a = c.a.saturating_mul(2);
                    self.timers.set(Timer::A, after(now, a));
                    State::Calling(Calling {
                        a,
                        cancel: c.cancel,
                    })
                }
                (State::Calling(_) | State::Proceeding(_), Timer::B) => {
                    out.event(TuEvent::Timeout { tx: self.id });
                    self.terminate()
                }
                (State::Completed(_), Timer::D) | (State::Accepted(_), Timer::M) => {
                    self.terminate()
                }
                (state, _) => state,
            };
        }
    }

    /// Reports a transport failure and terminates (§17.1.4).
    pub(crate) fn on_transport_error(&mut self, out: &mut Outputs) {
        if !self.is_terminated() {
            out.event(TuEvent::TransportError { tx: self.id });
        }
        self.state = self.terminate();
    }

    fn deliver(&self, response: Response, retransmission: bool, out: &mut Outputs) {
        out.event(TuEvent::Response {
            tx: self.id,
            response,
            retransmission,
        });
    }

    fn terminate(&mut self) -> State {
        self.timers.clear_all();
        State::Terminated
    }
}
