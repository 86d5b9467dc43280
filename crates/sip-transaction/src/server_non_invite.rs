//! The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8): Trying, Proceeding,
//! Completed, Terminated, with Timer J (64*T1 on UDP, zero on reliable transports).

use std::time::Instant;

use sip_message::Response;

use crate::message::Outputs;
use crate::timer::{Durations, Timer, Timers, after};
use crate::{Peer, ServerTxId, TransactionError};

/// One non-INVITE server transaction.
pub(crate) struct ServerNonInvite {
    id: ServerTxId,
    to: Peer,
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

/// No response sent yet; retransmitted requests are silently absorbed.
struct Trying;

/// A provisional was sent; it is re-sent on each request retransmission.
struct Proceeding {
    last: Vec<u8>,
}

/// A final was sent; it is re-sent on each request retransmission until Timer J fires.
struct Completed {
    last: Vec<u8>,
}

impl ServerNonInvite {
    /// Creates the transaction in Trying (§17.2.2); `to` is where responses go (§18.2.2).
    pub(crate) fn new(id: ServerTxId, to: Peer, durations: Durations) -> ServerNonInvite {
        ServerNonInvite {
            id,
            to,
            durations,
            timers: Timers::default(),
            state: State::Trying(Trying),
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// A retransmission of the request arrived: re-send the last response, if any.
    pub(crate) fn on_retransmission(&mut self, out: &mut Outputs) {
        match &self.state {
            State::Proceeding(Proceeding { last }) | State::Completed(Completed { last }) => {
                out.send(self.to, last.clone());
            }
            State::Trying(_) | State::Terminated => {}
        }
    }

    /// The TU sends a response (§17.2.2).
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        resp: &Response,
        out: &mut Outputs,
    ) -> Result<(), TransactionError> {
        if !(100..=699).contains(&resp.status.0) {
            return Err(TransactionError::InvalidStatus(resp.status.0));
        }
        let state = std::mem::replace(&mut self.state, State::Terminated);
        let (state, result) = match state {
            State::Trying(_) | State::Proceeding(_) => {
                let bytes = sip_message::Message::Response(resp.clone()).to_bytes();
                out.send(self.to, bytes.clone());
                if resp.status.is_final() {
                    self.timers
                        .set(Timer::J, after(now, self.durations.timer_j()));
                    (State::Completed(Completed { last: bytes }), Ok(()))
                } else {
                    (State::Proceeding(Proceeding { last: bytes }), Ok(()))
                }
            }
            state @ (State::Completed(_) | State::Terminated) => (
                state,
                Err(TransactionError::FinalResponseAlreadySent(self.id)),
            ),
        };
        self.state = state;
        result
    }

    /// Processes every timer due at `now`.
    pub(crate) fn on_timers(&mut self, now: Instant) {
        while let Some(timer) = self.timers.take_due(now) {
            if timer == Timer::J && matches!(self.state, State::Completed(_)) {
                self.timers.clear_all();
                self.state = State::Terminated;
            }
        }
    }
}
