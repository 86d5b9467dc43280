//! Releasing the agent of a queue call and keeping the caller on the engine (a level I
//! → level II transfer): BYE to leg B (RFC 3261 §15.1.1), the relay stops sending to
//! the agent, leg B's session timer stops (RFC 4028) and the call is a locally
//! answered call again, ready for prompts, DTMF and another `Connect` [ACD-6].
//!
//! What the relay is told on `Disconnect`: `Hold { side: B, on_hold: true }` (nothing
//! more goes to the released agent's address, which the relay keeps) and, if a
//! payload-type rewrite was in place, an empty `PayloadMap` for each side. The next
//! agent's answer sends `SetRemote { side: B }` and `Hold { side: B, on_hold: false }`.
//! The music is the runtime's: it starts it on `CallEvent::Disconnected`.

use std::time::Instant;

use sdp_offer_answer::Direction;
use sip_dialog::dialog::Dialog;
use sip_message::{Method, Request, Response, StatusCode};
use sip_transaction::{Peer, ServerTxId};

use crate::call::{Call, Confirmed, Local, Phase, Purpose};
use crate::io::{CallEvent, CallOutput, MediaCommand, ReqRef, Side};

/// What a locally answered call was when `Connect` bridged it, kept in the bridged
/// call so that `Disconnect` can make it local again [ACD-6].
#[derive(Debug)]
pub(crate) struct Requeue {
    /// Connect attempts so far; the next one gets a new From tag.
    pub(crate) attempts: u32,
    /// Our leg-B From tag as built, the stem of each attempt's tag.
    pub(crate) b_tag_base: String,
    /// The caller's telephone-event payload type.
    pub(crate) te_pt: Option<u8>,
}

/// An agent's leg released by `Disconnect`, kept so that its late messages get the
/// right answer [ACD-6].
#[derive(Debug)]
pub(crate) struct Released {
    /// The released dialog: a crossing BYE matching it gets 200 (RFC 3261 §15.1.2).
    pub(crate) dialog: Dialog,
    /// Our ACK of the agent's 2xx, re-sent if the 2xx is retransmitted (§13.2.2.4).
    pub(crate) ack: Request,
    pub(crate) ack_peer: Peer,
    /// The INVITE the agent answered.
    pub(crate) answer_req: ReqRef,
}

impl Call {
    /// Releases the agent of a call bridged by `Connect` and makes the call local
    /// again [ACD-6]; any other call ignores it (debug log, no event).
    pub(crate) fn disconnect(&mut self, now: Instant) {
        if !matches!(&self.phase, Phase::Confirmed(c) if c.requeue.is_some()) {
            tracing::debug!("disconnect ignored: the call was not connected from a queue");
            return;
        }
        let Phase::Confirmed(c) = std::mem::replace(&mut self.phase, Phase::Done) else {
            return;
        };
        let mut c = *c;
        let Some(requeue) = c.requeue.take() else {
            return;
        };
        // Requests still out on leg B no longer matter; a re-INVITE still out to the
        // caller is answered like a session refresh (ACKed, nothing relayed).
        for purpose in self.purposes.values_mut() {
            match purpose {
                Purpose::Refresh { to: Side::B } | Purpose::ReInvite { to: Side::B } => {
                    *purpose = Purpose::Stale;
                }
                Purpose::ReInvite { to: Side::A } => *purpose = Purpose::Refresh { to: Side::A },
                _ => {}
            }
        }
        // A re-INVITE the agent sent is over with its dialog (RFC 3261 §15.1.2); one the
        // caller sent is answered below as on a local call.
        let caller_reinvite = match c.pending.take() {
            Some(p) if p.from == Side::B => {
                let resp = Response::from_request(&p.request, StatusCode::REQUEST_TERMINATED);
                self.emit(CallOutput::Respond {
                    tx: p.tx,
                    response: resp,
                });
                None
            }
            other => other,
        };
        self.send_bye_b(&mut c);
        self.b_timer = None;
        self.media(MediaCommand::Hold {
            side: Side::B,
            on_hold: true,
        });
        if self.payload_rewritten(&c) {
            for from in [Side::A, Side::B] {
                self.media(MediaCommand::PayloadMap {
                    from,
                    map: Vec::new(),
                });
            }
        }
        let agent_held_caller = c.b_held;
        let mut l = Local {
            codec: c.codec,
            te_pt: requeue.te_pt,
            a_acked: c.a_acked,
            held: c.a_held,
            playing: false,
            connect: None,
            attempts: requeue.attempts,
            b_tag_base: requeue.b_tag_base,
            released_b: Some(Box::new(Released {
                dialog: c.b,
                ack: c.b_ack,
                ack_peer: c.b_ack_peer,
                answer_req: c.b_answer_req,
            })),
        };
        if let Some(p) = caller_reinvite {
            self.local_reinvite(now, &mut l, p.tx, &p.request);
        }
        self.phase = Phase::Local(l);
        if agent_held_caller {
            self.resume_caller();
        }
        self.emit(CallOutput::Event(CallEvent::Disconnected));
    }

    /// A request on leg B while the call is local: only the BYE of the agent last
    /// released, crossing ours, gets 200 (RFC 3261 §15.1.2); anything else has no
    /// dialog (481).
    pub(crate) fn released_b_request(&mut self, l: &Local, tx: ServerTxId, request: &Request) {
        let crossing = request.method == Method::Bye
            && l.released_b
                .as_ref()
                .is_some_and(|r| r.dialog.matches_request(request));
        let status = if crossing {
            StatusCode::OK
        } else {
            StatusCode::CALL_DOES_NOT_EXIST
        };
        self.emit(CallOutput::Respond {
            tx,
            response: Response::from_request(request, status),
        });
    }

    /// The released agent had put the caller on hold, so our last offer to the caller
    /// was not sendrecv: a re-INVITE with a sendrecv offer lets the music through
    /// (RFC 3264 §8.4). Sent like a session refresh; skipped while another INVITE to
    /// the caller is out (FIXME: the caller then keeps the agent's direction until its
    /// next re-INVITE).
    fn resume_caller(&mut self) {
        let outstanding = self.purposes.values().any(|p| {
            matches!(
                p,
                Purpose::Refresh { to: Side::A } | Purpose::ReInvite { to: Side::A }
            )
        });
        let Phase::Local(l) = &self.phase else {
            return;
        };
        if outstanding {
            return;
        }
        let codecs = [(self.a_codec_pt(l.codec), l.codec)];
        let sdp = self
            .a_sdp
            .offer(self.ports.a_port, &codecs, l.te_pt, Direction::SendRecv);
        self.a_last_sdp = Some(sdp);
        self.send_refresh(Side::A);
    }

    /// Whether the bridge rewrote payload types (the rule of `payload_maps`).
    fn payload_rewritten(&self, c: &Confirmed) -> bool {
        let a_pt = self.a_codec_pt(c.codec);
        let a_te = self
            .a_summary
            .as_ref()
            .and_then(|s| s.telephone_event_pt)
            .or(Some(101));
        let te_differs = matches!((a_te, c.b_telephone_event_pt), (Some(a), Some(b)) if a != b);
        a_pt != c.codec_pt || te_differs
    }
}
