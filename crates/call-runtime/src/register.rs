//! The per-call regulatory register: one row per call, written as the call
//! progresses (start, answer, end), so a crash loses no completed call [SLA-9, SEC-3].
//!
//! Writes go through `sql_store::StoreWriter`, a bounded write-behind queue: a slow or
//! absent database never holds a call up, and records wait for it to come back.

use std::time::SystemTime;

use call_control::io::{CallEvent, HangupCause};
use cc_model::ticket::TicketState;
use sql_store::{CallKey, CallUpdate, Channel, HangupSide, NewAttachment, NewCall, NewEvent, NewTicket, Outcome, StoreWriter, TicketPatch, UnixMillis};
use tokio::sync::oneshot;
use tracing::warn;

/// What the SIP core knows about a call when it admits it.
#[derive(Debug, Clone)]
pub(crate) struct RegisterSpec {
    pub(crate) channel: Channel,
    pub(crate) trunk: Option<String>,
    pub(crate) dialled: String,
    pub(crate) caller: String,
    /// The agent the call is routed to directly (agent extensions), if any.
    pub(crate) agent: Option<String>,
    /// Answered by the engine itself (a service), not by an operator.
    pub(crate) service: bool,
    /// The ACD queue a queue call waits in.
    pub(crate) queue: Option<String>,
    pub(crate) sip_call_id: String,
}

/// The register row of one call.
#[derive(Debug)]
pub(crate) struct CallRegister {
    writer: StoreWriter,
    key: CallKey,
    spec: RegisterSpec,
    answered: bool,
    ended: bool,
    ticket_requested: bool,
    /// The service was closed (the caller heard the closed message).
    closed: bool,
    /// The caller was offered the voicemail (recording started).
    voicemail: bool,
    /// The IVR put the call through to an office or number outside the engine.
    transferred_out: bool,
    /// The expected wait was announced (and stored) once.
    wait_announced: bool,
}

impl CallRegister {
    /// Opens the call's row; `None` when the engine runs without a store.
    pub(crate) fn open(writer: Option<&StoreWriter>, spec: RegisterSpec, started: SystemTime) -> Option<CallRegister> {
        let writer = writer?.clone();
        let started = UnixMillis::from_system_time(started);
        let new = NewCall {
            channel: spec.channel,
            trunk: spec.trunk.clone(),
            dialled: spec.dialled.clone(),
            caller: spec.caller.clone(),
            started_at: started,
            sip_call_id: Some(spec.sip_call_id.clone()),
        };
        let key = match writer.insert_call(new) {
            Ok(k) => k,
            Err(e) => {
                warn!(error = %e, "call register row not queued");
                return None;
            }
        };
        let reg = CallRegister { writer, key, spec, answered: false, ended: false, ticket_requested: false, closed: false, voicemail: false, transferred_out: false, wait_announced: false };
        // A call routed straight to an operator or a queue asked for one at once.
        if !reg.spec.service {
            reg.update(CallUpdate::operator_requested(started, reg.spec.queue.as_deref()));
        }
        Some(reg)
    }

    /// The call is offered to `agent` (ringing): the first offer opens the call's ticket
    /// (exactly one per call [CRM-1]); the receiver yields its number once written.
    pub(crate) fn offered(&mut self, agent: &str, level: u8, at: SystemTime) -> Option<oneshot::Receiver<i64>> {
        if self.ticket_requested || self.spec.service {
            return None;
        }
        self.ticket_requested = true;
        let ticket = NewTicket {
            channel: self.spec.channel.as_str().to_owned(),
            caller: Some(self.spec.caller.clone()),
            agent: Some(agent.to_owned()),
            level,
            ..NewTicket::default()
        };
        match self.writer.open_ticket(self.key, ticket, UnixMillis::from_system_time(at)) {
            Ok(rx) => Some(rx),
            Err(e) => {
                warn!(error = %e, "ticket not queued");
                None
            }
        }
    }

    /// The IVR recorded that the caller asked for an operator [SLA-9].
    pub(crate) fn operator_requested(&mut self, at: SystemTime) {
        if self.spec.service {
            self.spec.service = false;
            self.update(CallUpdate::operator_requested(UnixMillis::from_system_time(at), None));
        }
    }

    /// The wait announced to the caller on entering the queue (the first announcement with
    /// an expected wait), stored next to the real wait [IVR-5].
    pub(crate) fn announced_wait(&mut self, seconds: u64) {
        if !self.wait_announced {
            self.wait_announced = true;
            let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
            self.update(CallUpdate { announced_wait_seconds: Some(seconds), ..CallUpdate::default() });
        }
    }

    /// The IVR put the caller in `queue`.
    pub(crate) fn queued(&mut self, queue: &str) {
        self.spec.queue = Some(queue.to_owned());
        self.update(CallUpdate { queue: Some(queue.to_owned()), ..CallUpdate::default() });
    }

    /// The IVR put the call through to an office (the call leaves the engine's operators).
    pub(crate) fn transferred_out(&mut self) {
        self.transferred_out = true;
    }

    /// The caller asked to be called back (a return call when the office did not answer
    /// [TEL-4]): an off-line ticket to call `number` back.
    pub(crate) fn callback_requested(&mut self, number: &str, about: Option<&str>, at: SystemTime) {
        let description = match about {
            Some(a) => format!("Richiamare {number} ({a})"),
            None => format!("Richiamare {number}"),
        };
        let ticket = NewTicket {
            channel: self.spec.channel.as_str().to_owned(),
            caller: Some(number.to_owned()),
            level: 1,
            offline: true,
            description: Some(description),
            ..NewTicket::default()
        };
        self.ticket_requested = true;
        if let Err(e) = self.writer.open_ticket(self.key, ticket, UnixMillis::from_system_time(at)) {
            warn!(error = %e, "callback ticket not queued");
        }
    }

    /// The service was closed for this call [IVR-7].
    pub(crate) fn closed(&mut self) {
        self.closed = true;
    }

    /// The caller is leaving a message [VM-1].
    pub(crate) fn voicemail(&mut self) {
        self.voicemail = true;
    }

    /// Files a voicemail: the call's ticket (opened now if it has none) with the recording
    /// attached; the receiver yields the ticket number [VM-1, CRM-3].
    pub(crate) fn file_voicemail(&mut self, ticket: NewTicket, attachment: NewAttachment, at: SystemTime) -> Option<oneshot::Receiver<i64>> {
        self.ticket_requested = true;
        match self.writer.open_ticket_with(self.key, ticket, Some(attachment), UnixMillis::from_system_time(at)) {
            Ok(rx) => Some(rx),
            Err(e) => {
                warn!(error = %e, "voicemail ticket not queued");
                None
            }
        }
    }

    /// The caller moved from `agent` to `queue` (level I → level II): an event in the
    /// call's log, and the ticket follows at level II with its history [ACD-6, CRM-6].
    pub(crate) fn transferred(&mut self, agent: &str, queue: &str, by: &str) {
        let at = UnixMillis::from_system_time(SystemTime::now());
        let event = NewEvent {
            at,
            kind: "transferred".into(),
            agent: Some(agent.to_owned()),
            queue: Some(queue.to_owned()),
            detail: serde_json::json!({ "by": by, "mode": "blind" }),
        };
        if let Err(e) = self.writer.add_event(self.key, event) {
            warn!(error = %e, "transfer event not queued");
        }
        let patch = TicketPatch { state: Some(TicketState::AssignedLevel2), level: Some(2), ..TicketPatch::default() };
        if let Err(e) = self.writer.patch_call_ticket(self.key, patch, by, at) {
            warn!(error = %e, "ticket transfer not queued");
        }
    }

    /// The conversation with an agent started (a queue call's agent answered) [SLA-9].
    pub(crate) fn connected(&mut self, agent: &str, at: SystemTime) {
        if !self.answered {
            self.answered = true;
            self.update(CallUpdate::answered(UnixMillis::from_system_time(at), agent));
        }
    }

    /// Follows the call's events.
    pub(crate) fn on_event(&mut self, event: &CallEvent, at: SystemTime) {
        let at = UnixMillis::from_system_time(at);
        match event {
            // A queue call's answer is the engine's: the operator's is `connected`.
            CallEvent::Answered if !self.answered && !self.spec.service && self.spec.queue.is_none() => {
                self.answered = true;
                let agent = self.spec.agent.clone().unwrap_or_else(|| self.spec.dialled.clone());
                self.update(CallUpdate::answered(at, &agent));
            }
            CallEvent::Ended { cause } if !self.ended => {
                self.ended = true;
                let (mut outcome, side) = outcome_of(cause, self.answered, self.spec.service);
                if self.transferred_out {
                    outcome = Outcome::Transferred;
                } else if self.voicemail {
                    outcome = Outcome::Voicemail;
                } else if self.closed {
                    outcome = Outcome::Closed;
                } else if self.spec.queue.is_some() && !self.answered && side == HangupSide::Caller {
                    // The caller gave up while waiting in the queue [SLA-4].
                    outcome = Outcome::AbandonedQueue;
                }
                self.update(CallUpdate::ended(at, outcome, side, cause.label()));
            }
            _ => {}
        }
    }

    fn update(&self, update: CallUpdate) {
        if let Err(e) = self.writer.update_call(self.key, update) {
            warn!(error = %e, "call register update not queued");
        }
    }
}

impl Drop for CallRegister {
    /// A call task that ends without an `Ended` event (a bug, a panic) still closes
    /// its row rather than leaving it open until the next start.
    fn drop(&mut self) {
        if !self.ended {
            let at = UnixMillis::from_system_time(SystemTime::now());
            self.update(CallUpdate::ended(at, Outcome::Interrupted, HangupSide::System, "call task ended"));
        }
    }
}

/// The register's outcome and hangup side for a call's end (direct and service calls;
/// queue and IVR outcomes come with the ACD and the IVR).
fn outcome_of(cause: &HangupCause, answered: bool, service: bool) -> (Outcome, HangupSide) {
    let side = match cause {
        HangupCause::CallerHangup | HangupCause::Cancelled => HangupSide::Caller,
        HangupCause::CalleeHangup | HangupCause::Rejected(_) => HangupSide::Callee,
        _ => HangupSide::System,
    };
    let outcome = if service {
        Outcome::AbandonedIvr
    } else if answered {
        Outcome::Answered
    } else {
        match cause {
            // The caller gave up while the operator's phone rang.
            HangupCause::Cancelled => Outcome::AbandonedQueue,
            _ => Outcome::Busy,
        }
    };
    (outcome, side)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_message::StatusCode;

    #[test]
    fn sla_9_outcomes_follow_how_the_call_ended() {
        assert_eq!(outcome_of(&HangupCause::CallerHangup, true, false), (Outcome::Answered, HangupSide::Caller));
        assert_eq!(outcome_of(&HangupCause::CalleeHangup, true, false), (Outcome::Answered, HangupSide::Callee));
        assert_eq!(outcome_of(&HangupCause::Cancelled, false, false), (Outcome::AbandonedQueue, HangupSide::Caller));
        assert_eq!(outcome_of(&HangupCause::Rejected(StatusCode::BUSY_HERE), false, false), (Outcome::Busy, HangupSide::Callee));
        assert_eq!(outcome_of(&HangupCause::NoAnswer, false, false).0, Outcome::Busy);
        assert_eq!(outcome_of(&HangupCause::CallerHangup, true, true).0, Outcome::AbandonedIvr);
    }
}
