//! The per-call B2BUA state machine: leg A (our UAS dialog with the caller), leg B
//! (our UAC dialogs towards the callee, forked in parallel), and the anchored media
//! plan between them (RFC 3261 §12-§15, RFC 3264, RFC 4028) [TEL-1, TEL-2, TEL-5].
//!
//! Sans-IO: `handle(now, input)` and `handle_timeout(now)` mutate, `poll_output()`
//! drains what to send, `poll_timeout()` says when to call back.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use sdp_offer_answer::{AudioCodec, Direction, LocalSdp, MediaSummary, SessionDescription};
use sip_dialog::dialog::Dialog;
use sip_dialog::session_timer::{self, SessionTimer};
use sip_message::{HeaderName, Method, Request, Response, StatusCode};
use sip_transaction::{Peer, ServerTxId};

use crate::io::{
    CallConfig, CallEvent, CallInput, CallOutput, DtmfSource, HangupCause, MediaCommand,
    MediaPorts, ReqRef, Side, TargetPlan,
};
use crate::connect::Connecting;
use crate::disconnect::{Released, Requeue};
use crate::legs::{self, Fork, ForkState};

/// Methods we accept inside a dialog.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE";

/// One B2BUA call.
#[derive(Debug)]
pub struct Call {
    pub(crate) cfg: CallConfig,
    pub(crate) ports: MediaPorts,
    pub(crate) a_invite: Request,
    pub(crate) a_tx: ServerTxId,
    pub(crate) a_peer: Peer,
    pub(crate) a_dialog: Dialog,
    /// The caller's SDP offer, `None` for a late offer (SDP in our 2xx, answer in ACK).
    pub(crate) a_offer: Option<SessionDescription>,
    pub(crate) a_summary: Option<MediaSummary>,
    pub(crate) a_sdp: LocalSdp,
    pub(crate) b_sdp: LocalSdp,
    /// The last SDP we sent on each leg (re-sent on refreshes).
    pub(crate) a_last_sdp: Option<SessionDescription>,
    pub(crate) b_offer: Option<SessionDescription>,
    pub(crate) b_call_id: String,
    pub(crate) b_from_tag: String,
    /// Every leg-B branch ever started, kept past the answer so that a 2xx from a
    /// losing branch (crossing our CANCEL) can still be ACKed and hung up.
    pub(crate) forks: Vec<Fork>,
    pub(crate) phase: Phase,
    pub(crate) next_req: u32,
    pub(crate) purposes: HashMap<ReqRef, Purpose>,
    pub(crate) outputs: VecDeque<CallOutput>,
    pub(crate) a_timer: Option<SessionTimer>,
    pub(crate) a_timer_header: Option<String>,
    pub(crate) a_require_timer: bool,
    pub(crate) b_timer: Option<SessionTimer>,
    pub(crate) ended: bool,
    pub(crate) linger_until: Option<Instant>,
}

/// Where the call is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Leg B is being rung.
    Setup(Setup),
    /// Both legs answered; media relayed.
    Confirmed(Box<Confirmed>),
    /// Answered by the engine itself: leg A only, prompts and DTMF [IVR-1, IVR-4].
    Local(Local),
    /// Releasing: BYEs sent, waiting for their answers.
    Ending,
    /// Nothing left to do but absorb late messages until the linger time passes.
    Done,
}

#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) plan: TargetPlan,
    pub(crate) group: usize,
    pub(crate) ring_deadline: Instant,
    pub(crate) a_provisional_sent: bool,
    pub(crate) failures: Vec<StatusCode>,
}

#[derive(Debug)]
pub(crate) struct Confirmed {
    pub(crate) b: Dialog,
    pub(crate) b_peer: Peer,
    /// The ACK we sent for B's 2xx, re-sent on a retransmitted 2xx.
    pub(crate) b_ack: Request,
    pub(crate) b_ack_peer: Peer,
    pub(crate) b_answer_req: ReqRef,
    pub(crate) codec: AudioCodec,
    pub(crate) codec_pt: u8,
    pub(crate) b_telephone_event_pt: Option<u8>,
    /// A re-INVITE relayed from one leg to the other, waiting for the answer.
    pub(crate) pending: Option<Pending>,
    /// The caller has acknowledged our 2xx.
    pub(crate) a_acked: bool,
    pub(crate) a_held: bool,
    pub(crate) b_held: bool,
    /// What the call was as a locally answered call, when `Connect` bridged it: what
    /// `Disconnect` restores [ACD-6]. `None` for a call set up bridged.
    pub(crate) requeue: Option<Requeue>,
}

/// A call the engine answered itself: the caller's media terminates at the relay's
/// A side.
#[derive(Debug)]
pub(crate) struct Local {
    pub(crate) codec: AudioCodec,
    /// The caller's telephone-event payload type, if it offered one.
    pub(crate) te_pt: Option<u8>,
    /// The caller has acknowledged our 2xx.
    pub(crate) a_acked: bool,
    /// The caller put us on hold (sendonly/inactive re-INVITE).
    pub(crate) held: bool,
    /// A playback to the caller is under way.
    pub(crate) playing: bool,
    /// The pending attempt to connect the caller to an agent [ACD-2].
    pub(crate) connect: Option<Connecting>,
    /// Connect attempts so far; each gets its own leg-B From tag.
    pub(crate) attempts: u32,
    /// Our leg-B From tag as built, the stem of each attempt's tag.
    pub(crate) b_tag_base: String,
    /// The agent's leg last released by `Disconnect` [ACD-6]: its crossing BYE is
    /// answered 200 and its retransmitted 2xx re-ACKed; the relay holds side B meanwhile.
    pub(crate) released_b: Option<Box<Released>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) from: Side,
    pub(crate) tx: ServerTxId,
    pub(crate) request: Request,
    pub(crate) offer: SessionDescription,
    /// The originator's hold state before this re-INVITE, restored if the other leg refuses it.
    pub(crate) was_held: bool,
}

/// Why the call sent a request, to route its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A leg-B INVITE to the fork with this index.
    Fork(usize),
    /// A leg-B INVITE of connect attempt `attempt` to the fork with index `fork`
    /// (a locally answered call offered to an agent) [ACD-2].
    Connect {
        attempt: u32,
        fork: usize,
    },
    /// A re-INVITE relayed to `to`.
    ReInvite {
        to: Side,
    },
    /// A session refresh on `to` (re-INVITE or UPDATE), RFC 4028.
    Refresh {
        to: Side,
    },
    Bye,
    /// An INFO relayed to the other leg; its answer does not matter.
    Relay,
    /// A request on a leg B that `Disconnect` released since; its answer does not
    /// matter [ACD-6].
    Stale,
}

impl Call {
    /// Starts a call from the caller's INVITE on server transaction `tx`: validates
    /// it, answers errors at once, or sends the leg-B INVITEs of the first target group.
    /// An INVITE that cannot even form a dialog is refused with the returned response.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        now: Instant,
        invite: Request,
        tx: ServerTxId,
        source: Peer,
        plan: TargetPlan,
        ports: MediaPorts,
        cfg: CallConfig,
        seed: u64,
    ) -> Result<Call, Response> {
        let mut call = Call::build(invite, tx, source, ports, cfg, seed)?;
        call.start(now, plan);
        Ok(call)
    }

    /// Starts a call the engine answers itself (an IVR, a test service): validates the
    /// caller's INVITE like [`Call::new`] (483, 422, 415, 488 answered through the
    /// outputs) and answers 200 at once with our SDP on the relay's A port. The call
    /// stays in the local phase: leg A only, prompts and DTMF [IVR-1, IVR-4].
    pub fn new_local(
        now: Instant,
        invite: Request,
        tx: ServerTxId,
        source: Peer,
        ports: MediaPorts,
        cfg: CallConfig,
        seed: u64,
    ) -> Result<Call, Response> {
        let mut call = Call::build(invite, tx, source, ports, cfg, seed)?;
        call.start_local(now);
        Ok(call)
    }

    /// The call before it starts: leg A's dialog and our identities for both legs.
    fn build(
        invite: Request,
        tx: ServerTxId,
        source: Peer,
        ports: MediaPorts,
        cfg: CallConfig,
        seed: u64,
    ) -> Result<Call, Response> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let a_tag = legs::token(&mut rng, 10);
        let a_dialog = match Dialog::new_uas(&invite, &a_tag, cfg.local_contact.clone()) {
            Ok(d) => d,
            Err(e) => {
                let mut resp = Response::from_request(&invite, StatusCode::from(&e));
                legs::set_to_tag(&mut resp, &a_tag);
                resp.headers
                    .push(HeaderName::Warning, format!("399 centralino \"{e}\""));
                return Err(resp);
            }
        };
        let b_call_id = format!("{}@centralino", legs::token(&mut rng, 20));
        let b_from_tag = legs::token(&mut rng, 10);
        let a_sdp = LocalSdp::new(rng.u64(1..u64::MAX / 2), ports.ip);
        let b_sdp = LocalSdp::new(rng.u64(1..u64::MAX / 2), ports.ip);
        Ok(Call {
            cfg,

            ports,
            a_invite: invite,
            a_tx: tx,
            a_peer: source,
            a_dialog,
            a_offer: None,
            a_summary: None,
            a_sdp,
            b_sdp,
            a_last_sdp: None,
            b_offer: None,
            b_call_id,
            b_from_tag,
            forks: Vec::new(),
            phase: Phase::Done,
            next_req: 0,
            purposes: HashMap::new(),
            outputs: VecDeque::new(),
            a_timer: None,
            a_timer_header: None,
            a_require_timer: false,
            b_timer: None,
            ended: false,
            linger_until: None,
        })
    }

    /// Feeds one input.
    pub fn handle(&mut self, now: Instant, input: CallInput) {
        match input {
            CallInput::Cancelled => self.on_cancelled(now),
            CallInput::Request {
                tx,
                request,
                source,
            } => self.on_request(now, tx, request, source),
            CallInput::Ack { request } => self.on_ack(now, request),
            CallInput::Response { req, response } => self.on_response(now, req, response),
            CallInput::RequestFailed { req } => self.on_request_failed(now, req),
            CallInput::AckTimeout { tx } => {
                if tx == self.a_tx {
                    self.release(now, HangupCause::AckTimeout);
                }
            }
            // No RTP is expected before the answer: only a bridged call can go silent.
            CallInput::MediaInactive if matches!(self.phase, Phase::Confirmed(_) | Phase::Local(_)) => {
                self.release(now, HangupCause::MediaTimeout);
            }
            CallInput::MediaInactive => {}
            CallInput::Hangup => self.release(now, HangupCause::Hangup),
            CallInput::Dtmf { digit, started: _ } => {
                self.dtmf(digit, DtmfSource::Rfc4733)
            }
            CallInput::Play { prompts, barge_in } => self.play(prompts, barge_in),
            CallInput::StopPlayback => self.stop_playback(),
            CallInput::PlaybackDone { completed } => self.playback_done(completed),
            // The recording belongs to the media shell; a call that ended has none left.
            CallInput::Recording(control) if !self.ended => {
                self.media(MediaCommand::Recording(control));
            }
            CallInput::Recording(_) => {}
            CallInput::Connect { plan, ring_timeout } => self.connect(now, plan, ring_timeout),
            CallInput::CancelConnect => self.cancel_connect(),
            CallInput::Disconnect => self.disconnect(now),
        }
    }

    /// Timers: ring timeout, session refresh/expiry, linger.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Setup(_)) {
            self.fork_no_response(now);
        }
        if matches!(self.phase, Phase::Local(_)) {
            self.connect_timers(now);
        }
        match &self.phase {
            Phase::Setup(s) if now >= s.ring_deadline => self.ring_timeout(now),
            Phase::Confirmed(_) | Phase::Local(_) => self.session_timers(now),
            _ => {}
        }
        if self.linger_until.is_some_and(|t| now >= t) {
            self.purposes.clear();
            self.phase = Phase::Done;
        }
    }

    pub fn poll_output(&mut self) -> Option<CallOutput> {
        self.outputs.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let phase = match &self.phase {
            Phase::Setup(s) => {
                let no_response = self.forks.iter().filter(|f| f.state == crate::legs::ForkState::Calling).filter_map(|f| f.no_response_deadline).min();
                Some(no_response.map_or(s.ring_deadline, |d| d.min(s.ring_deadline)))
            }
            Phase::Confirmed(_) | Phase::Local(_) => [
                self.a_timer.map(|t| t.deadline()),
                self.b_timer.map(|t| t.deadline()),
                self.connect_deadline(),
            ]
            .into_iter()
            .flatten()
            .min(),
            _ => None,
        };
        [phase, self.linger_until].into_iter().flatten().min()
    }

    /// True once both legs are released and the linger time has passed (or nothing
    /// is outstanding): the task may drop the call.
    pub fn is_terminated(&self) -> bool {
        matches!(self.phase, Phase::Done)
            && (self.purposes.is_empty() || self.linger_until.is_none())
    }

    /// The codec negotiated with `side`, once that side is answered (what prompts are
    /// played in).
    pub fn codec(&self, side: Side) -> Option<AudioCodec> {
        match (&self.phase, side) {
            (Phase::Confirmed(c), _) => Some(c.codec),
            (Phase::Local(l), Side::A) => Some(l.codec),
            _ => None,
        }
    }

    /// Whether the caller has put the call on hold.
    pub fn caller_on_hold(&self) -> bool {
        match &self.phase {
            Phase::Confirmed(c) => c.a_held,
            Phase::Local(l) => l.held,
            _ => false,
        }
    }

    /// Whether the engine answered this call itself (no leg B).
    pub fn is_local(&self) -> bool {
        matches!(self.phase, Phase::Local(_))
    }

    /// The Call-IDs of leg A and leg B, so the runtime can route in-dialog traffic.
    pub fn call_ids(&self) -> [&str; 2] {
        [&self.a_dialog.id.call_id, &self.b_call_id]
    }

    /// Which leg a request belongs to, by Call-ID.
    pub(crate) fn side_of(&self, request: &Request) -> Option<Side> {
        let cid = request.headers.call_id().ok()?;
        if cid == self.a_dialog.id.call_id {
            Some(Side::A)
        } else if cid == self.b_call_id {
            Some(Side::B)
        } else {
            None
        }
    }

    pub(crate) fn new_req(&mut self, purpose: Purpose) -> ReqRef {
        self.next_req = self.next_req.wrapping_add(1);
        let r = ReqRef(self.next_req);
        self.purposes.insert(r, purpose);
        r
    }

    pub(crate) fn emit(&mut self, out: CallOutput) {
        self.outputs.push_back(out);
    }

    pub(crate) fn media(&mut self, cmd: MediaCommand) {
        self.outputs.push_back(CallOutput::Media(cmd));
    }

    /// A response to the caller's initial INVITE, with our To tag and Contact.
    pub(crate) fn a_response(&self, status: StatusCode) -> Response {
        let mut resp = Response::from_request(&self.a_invite, status);
        legs::set_to_tag(&mut resp, &self.a_dialog.id.local_tag);
        if status.0 > 100 && status.0 < 300 {
            resp.headers
                .push(HeaderName::Contact, format!("<{}>", self.cfg.local_contact));
        }
        resp
    }

    /// Answers the initial INVITE with an error and ends the call.
    pub(crate) fn refuse(&mut self, now: Instant, status: StatusCode, why: &str) {
        let mut resp = self.a_response(status);
        if !why.is_empty() {
            resp.headers.push(
                HeaderName::Warning,
                format!("399 centralino \"{}\"", why.replace('"', "'")),
            );
        }
        let tx = self.a_tx;
        self.emit(CallOutput::Respond { tx, response: resp });
        self.finish(now, HangupCause::Refused(status));
    }

    /// Marks the call over: one `Ended` event, then linger for late messages.
    pub(crate) fn finish(&mut self, now: Instant, cause: HangupCause) {
        if !self.ended {
            self.ended = true;
            self.emit(CallOutput::Event(CallEvent::Ended { cause }));
        }
        if self.purposes.is_empty() {
            self.phase = Phase::Done;
            self.linger_until = None;
        } else {
            self.phase = if matches!(self.phase, Phase::Setup(_) | Phase::Done) {
                Phase::Done
            } else {
                Phase::Ending
            };
            self.linger_until = Some(now + self.cfg.linger);
        }
    }

    /// Releases whatever is up: CANCEL/480 while ringing, BYE on both legs after.
    pub(crate) fn release(&mut self, now: Instant, cause: HangupCause) {
        match std::mem::replace(&mut self.phase, Phase::Ending) {
            Phase::Setup(setup) => {
                self.phase = Phase::Setup(setup);
                self.cancel_forks(None);
                let status = match cause {
                    HangupCause::NoAnswer => StatusCode::TEMPORARILY_UNAVAILABLE,
                    _ => StatusCode::REQUEST_TERMINATED,
                };
                let resp = self.a_response(status);
                let tx = self.a_tx;
                self.emit(CallOutput::Respond { tx, response: resp });
                self.finish(now, cause);
            }
            Phase::Confirmed(mut c) => {
                self.abort_pending(&mut c);
                self.send_bye_a(now);
                self.send_bye_b(&mut c);
                self.finish(now, cause);
            }
            Phase::Local(mut l) => {
                self.abandon_connect(&mut l);
                self.send_bye_a(now);
                self.finish(now, cause);
            }
            other => self.phase = other,
        }
    }

    /// A re-INVITE still waiting for the other leg gets 487 when the call is released
    /// (RFC 3261 §15.1.2).
    pub(crate) fn abort_pending(&mut self, c: &mut Confirmed) {
        if let Some(p) = c.pending.take() {
            let resp = Response::from_request(&p.request, StatusCode::REQUEST_TERMINATED);
            self.emit(CallOutput::Respond {
                tx: p.tx,
                response: resp,
            });
        }
    }

    /// The payload type leg A uses for `codec` (its offer's number, else the static one).
    pub(crate) fn a_codec_pt(&self, codec: AudioCodec) -> u8 {
        self.a_summary
            .as_ref()
            .and_then(|s| {
                s.codecs
                    .iter()
                    .find(|(_, c)| *c == codec)
                    .map(|(pt, _)| *pt)
            })
            .unwrap_or_else(|| legs::static_pt(codec))
    }

    pub(crate) fn send_bye_a(&mut self, _now: Instant) {
        let Ok(bye) = self.a_dialog.request(Method::Bye) else {
            return;
        };
        let to = legs::resolve(self.a_dialog.next_hop(), self.a_peer);
        let req = self.new_req(Purpose::Bye);
        self.emit(CallOutput::Send {
            req,
            request: bye,
            to,
        });
    }

    pub(crate) fn send_bye_b(&mut self, c: &mut Confirmed) {
        let Ok(bye) = c.b.request(Method::Bye) else {
            return;
        };
        let to = legs::resolve(c.b.next_hop(), c.b_peer);
        let req = self.new_req(Purpose::Bye);
        self.emit(CallOutput::Send {
            req,
            request: bye,
            to,
        });
    }

    fn on_request(&mut self, now: Instant, tx: ServerTxId, request: Request, source: Peer) {
        let Some(side) = self.side_of(&request) else {
            self.emit(CallOutput::Respond {
                tx,
                response: Response::from_request(&request, StatusCode::CALL_DOES_NOT_EXIST),
            });
            return;
        };
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Confirmed(mut c) => {
                self.confirmed_request(now, &mut c, side, tx, request, source);
                if matches!(self.phase, Phase::Done) && !self.ended {
                    self.phase = Phase::Confirmed(c);
                }
            }
            Phase::Local(mut l) if side == Side::A => {
                self.local_request(now, &mut l, tx, request);
                if matches!(self.phase, Phase::Done) && !self.ended {
                    self.phase = Phase::Local(l);
                }
            }
            Phase::Local(l) => {
                self.released_b_request(&l, tx, &request);
                self.phase = Phase::Local(l);
            }
            other => {
                self.phase = other;
                // Crossing BYEs while releasing are fine; anything else has no dialog.
                let _ = side;
                let status = if request.method == Method::Bye && self.ended {
                    StatusCode::OK
                } else {
                    StatusCode::CALL_DOES_NOT_EXIST
                };
                self.emit(CallOutput::Respond {
                    tx,
                    response: Response::from_request(&request, status),
                });
            }
        }
    }

    fn on_ack(&mut self, now: Instant, request: Request) {
        let side = self.side_of(&request);
        if let Phase::Local(_) = &self.phase
            && side == Some(Side::A)
        {
            return self.local_ack(now, &request);
        }
        if let Phase::Confirmed(c) = &mut self.phase
            && side == Some(Side::A)
        {
            c.a_acked = true;
            // A late offer is answered in the ACK (RFC 3264 §4).
            if self.a_offer.is_none()
                && !request.body.is_empty()
                && let (Some(ours), Some(answer)) =
                    (self.a_last_sdp.clone(), legs::sdp_body(&request))
            {
                match sdp_offer_answer::negotiated_from_answer(&ours, &answer) {
                    Ok(n) => {
                        if let Some(rtp) = n.remote_rtp {
                            self.media(MediaCommand::SetRemote { side: Side::A, rtp });
                        }
                        self.a_offer = Some(answer);
                    }
                    Err(_) => {
                        self.release(now, HangupCause::Refused(StatusCode::NOT_ACCEPTABLE_HERE))
                    }
                }
            }
        }
    }

    fn on_request_failed(&mut self, now: Instant, req: ReqRef) {
        match self.purposes.remove(&req) {
            Some(Purpose::Fork(i)) => self.fork_failed(now, i, StatusCode::REQUEST_TIMEOUT, true),
            Some(Purpose::Connect { attempt, fork }) => {
                self.connect_request_failed(now, attempt, fork)
            }
            Some(Purpose::Refresh { .. }) => self.release(now, HangupCause::SessionExpired),
            Some(Purpose::ReInvite { .. }) => {
                self.reinvite_failed(now, StatusCode::REQUEST_TIMEOUT)
            }
            Some(Purpose::Bye | Purpose::Relay | Purpose::Stale) | None => {}
        }
        self.maybe_done(now);
    }

    fn on_response(&mut self, now: Instant, req: ReqRef, response: Response) {
        let Some(purpose) = self.purposes.get(&req).cloned() else {
            // A 2xx retransmission for the winning fork: re-send our ACK.
            if let Phase::Confirmed(c) = &self.phase
                && c.b_answer_req == req
                && response.status.is_success()
            {
                let (ack, to) = (c.b_ack.clone(), c.b_ack_peer);
                self.emit(CallOutput::SendAck { request: ack, to });
            }
            // The same for an agent released by `Disconnect` [ACD-6].
            if let Phase::Local(l) = &self.phase
                && let Some(r) = &l.released_b
                && r.answer_req == req
                && response.status.is_success()
            {
                let (ack, to) = (r.ack.clone(), r.ack_peer);
                self.emit(CallOutput::SendAck { request: ack, to });
            }
            return;
        };
        if response.status.is_final() {
            self.purposes.remove(&req);
        }
        match purpose {
            Purpose::Fork(i) => self.fork_response(now, req, i, response),
            Purpose::Connect { attempt, fork } => {
                self.connect_response(now, attempt, fork, response)
            }
            Purpose::ReInvite { to } => self.reinvite_response(now, to, response),
            Purpose::Refresh { to } => self.refresh_response(now, to, response),
            Purpose::Bye | Purpose::Relay | Purpose::Stale => {}
        }
        self.maybe_done(now);
    }

    fn maybe_done(&mut self, _now: Instant) {
        if self.ended
            && matches!(self.phase, Phase::Ending | Phase::Done)
            && self.purposes.is_empty()
        {
            self.phase = Phase::Done;
            self.linger_until = None;
        }
    }

    fn on_cancelled(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Setup(_)) {
            self.release(now, HangupCause::Cancelled);
        }
    }

    fn ring_timeout(&mut self, now: Instant) {
        self.release(now, HangupCause::NoAnswer);
    }

    /// CANCELs every fork still ringing except `keep`.
    pub(crate) fn cancel_forks(&mut self, keep: Option<usize>) {
        let mut cancels = Vec::new();
        for (i, f) in self.forks.iter_mut().enumerate() {
            if Some(i) != keep && matches!(f.state, ForkState::Calling | ForkState::Ringing) {
                f.state = ForkState::Cancelled;
                cancels.push(f.req);
            }
        }
        for req in cancels {
            self.emit(CallOutput::Cancel { req });
        }
    }

    /// Builds the SDP answer for leg A given the codec leg B chose.
    pub(crate) fn a_answer(
        &mut self,
        codec: AudioCodec,
        te: bool,
        direction: Direction,
    ) -> Option<SessionDescription> {
        let caps = sdp_offer_answer::Capabilities {
            codecs: vec![codec],
            telephone_event: te,
        };
        let sdp = match &self.a_offer {
            Some(offer) => self
                .a_sdp
                .answer(offer, self.ports.a_port, &caps, direction)
                .ok()
                .map(|(sdp, _)| sdp)?,
            None => {
                let pt = legs::static_pt(codec);
                let te_pt = te.then_some(101);
                self.a_sdp
                    .offer(self.ports.a_port, &[(pt, codec)], te_pt, direction)
            }
        };
        self.a_last_sdp = Some(sdp.clone());
        Some(sdp)
    }

    /// Session-timer headers for a 2xx to the caller (RFC 4028 §9).
    pub(crate) fn add_a_timer_headers(&self, resp: &mut Response) {
        if let Some(v) = &self.a_timer_header {
            resp.headers.push(HeaderName::SessionExpires, v.clone());
            if self.a_require_timer {
                resp.headers.push(HeaderName::Require, "timer");
            }
        }
    }

    pub(crate) fn start_session_timer_a(&mut self, now: Instant) -> Result<(), StatusCode> {
        match session_timer::negotiate_uas(
            &self.a_invite.headers,
            self.cfg.session_timer.as_ref(),
            now,
        ) {
            Ok(Some(st)) => {
                self.a_timer = Some(st.timer);
                self.a_timer_header = Some(st.session_expires_header);
                self.a_require_timer = st.require_timer;
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(_) => Err(StatusCode::SESSION_INTERVAL_TOO_SMALL),
        }
    }
}
