//! Call set-up: validating the caller's offer, ringing leg B (parallel forks within a
//! target group, sequential failover across groups [TEL-2]), relaying provisional
//! responses, and bridging on the first 2xx (RFC 3261 §13, §16.7, RFC 3264).

use std::time::Instant;

use sdp_offer_answer::{AudioCodec, Direction};
use sip_dialog::dialog::Dialog;
use sip_dialog::session_timer;
use sip_message::{CSeq, HeaderName, Method, NameAddr, Request, Response, Scheme, StatusCode};

use crate::call::{ALLOW, Call, Confirmed, Phase, Purpose, Setup};
use crate::io::{CallEvent, CallOutput, HangupCause, MediaCommand, Side, TargetPlan};
use crate::legs::{self, Fork, ForkState};

impl Call {
    pub(crate) fn start(&mut self, now: Instant, plan: TargetPlan) {
        if !self.admit_a(now) {
            return;
        }
        let (codecs, te_pt, direction) = match &self.a_summary {
            Some(s) => (s.codecs.clone(), s.telephone_event_pt, s.direction),
            None => (
                self.cfg
                    .capabilities
                    .codecs
                    .iter()
                    .map(|&c| (legs::static_pt(c), c))
                    .collect(),
                self.cfg.capabilities.telephone_event.then_some(101),
                Direction::SendRecv,
            ),
        };
        self.b_offer = Some(
            self.b_sdp
                .offer(self.ports.b_port, &codecs, te_pt, direction),
        );
        if plan.groups.iter().all(Vec::is_empty) {
            return self.refuse(
                now,
                StatusCode::TEMPORARILY_UNAVAILABLE,
                "no registered contact",
            );
        }
        self.phase = Phase::Setup(Setup {
            plan,
            group: 0,
            ring_deadline: now + self.cfg.ring_timeout,
            a_provisional_sent: false,
            failures: Vec::new(),
        });
        self.start_group(now, 0);
    }

    /// Validates the caller's INVITE before anything is sent anywhere: Max-Forwards
    /// (483), session interval (422), the body (415) and the offer (488). Answers and
    /// ends the call on failure; on success the offer is summarized and leg A's RTP
    /// address set.
    pub(crate) fn admit_a(&mut self, now: Instant) -> bool {
        // Loop protection: a B2BUA still honours Max-Forwards (RFC 3261 §16.3 step 3).
        let max_forwards = self
            .a_invite
            .headers
            .max_forwards()
            .ok()
            .flatten()
            .unwrap_or(70);
        if max_forwards == 0 {
            self.refuse(now, StatusCode::TOO_MANY_HOPS, "Max-Forwards exhausted");
            return false;
        }
        if let Err(status) = self.start_session_timer_a(now) {
            let mut resp = self.a_response(status);
            if let Some(cfg) = &self.cfg.session_timer {
                resp.headers
                    .push(HeaderName::MinSe, cfg.min_se.as_secs().to_string());
            }
            let tx = self.a_tx;
            self.emit(CallOutput::Respond { tx, response: resp });
            self.finish(now, HangupCause::Refused(status));
            return false;
        }
        // The caller's offer (or a late offer: SDP in our 2xx, answer in the ACK).
        if !self.a_invite.body.is_empty() {
            let Some(offer) = legs::sdp_body(&self.a_invite) else {
                self.refuse(
                    now,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "the body is not a valid SDP",
                );
                return false;
            };
            match sdp_offer_answer::summarize_offer(&offer, &self.cfg.capabilities) {
                Ok(summary) => {
                    if let Some(rtp) = summary.remote_rtp {
                        self.media(MediaCommand::SetRemote { side: Side::A, rtp });
                    }
                    self.a_summary = Some(summary);
                    self.a_offer = Some(offer);
                }
                Err(e) => {
                    self.refuse(now, StatusCode::NOT_ACCEPTABLE_HERE, &e.to_string());
                    return false;
                }
            }
        }
        true
    }

    /// Rings every target of group `g` in parallel.
    fn start_group(&mut self, now: Instant, g: usize) {
        let targets = match &self.phase {
            Phase::Setup(s) => s.plan.groups.get(g).cloned().unwrap_or_default(),
            _ => return,
        };
        let mut forks = Vec::with_capacity(targets.len());
        for target in targets {
            let invite = self.b_invite(&target.uri);
            let req = self.new_req(Purpose::Fork(0));
            forks.push(Fork {
                req,
                target,
                invite,
                state: ForkState::Calling,
                no_response_deadline: Some(now + self.cfg.no_response_timeout),
            });
        }
        let Phase::Setup(s) = &mut self.phase else {
            return;
        };
        s.group = g;
        let base = self.forks.len();
        for (k, f) in forks.iter().enumerate() {
            self.purposes.insert(f.req, Purpose::Fork(base + k));
        }
        let sends: Vec<CallOutput> = forks
            .iter()
            .map(|f| CallOutput::Send {
                req: f.req,
                request: f.invite.clone(),
                to: f.target.peer,
            })
            .collect();
        self.forks.extend(forks);
        for out in sends {
            self.emit(out);
        }
        let _ = now;
    }

    /// Our INVITE for leg B: the caller's identity for the agent's display, our own
    /// Call-ID/tags/Contact, and our offer from the relay's B-side port.
    pub(crate) fn b_invite(&mut self, uri: &sip_message::Uri) -> Request {
        let mut req = Request::new(Method::Invite, uri.clone());
        let caller = self.a_dialog.remote.clone();
        let mut from_uri = self.cfg.local_contact.clone();
        from_uri.user = caller
            .uri
            .user
            .clone()
            .or_else(|| Some("anonymous".to_owned()));
        from_uri.params = Default::default();
        if from_uri.scheme != Scheme::Sips {
            from_uri.scheme = Scheme::Sip;
        }
        let mut from = NameAddr {
            display_name: caller.display_name.clone(),
            uri: from_uri,
            params: Default::default(),
        };
        from.set_tag(self.b_from_tag.clone());
        let to = NameAddr {
            display_name: None,
            uri: uri.clone(),
            params: Default::default(),
        };
        let mf = self
            .a_invite
            .headers
            .max_forwards()
            .ok()
            .flatten()
            .unwrap_or(70)
            .saturating_sub(1)
            .min(70);
        let h = &mut req.headers;
        h.push(HeaderName::MaxForwards, mf.to_string());
        h.push(HeaderName::From, from.to_string());
        h.push(HeaderName::To, to.to_string());
        h.push(HeaderName::CallId, self.b_call_id.clone());
        h.push(
            HeaderName::CSeq,
            CSeq {
                seq: 1,
                method: Method::Invite,
            }
            .to_string(),
        );
        h.push(HeaderName::Contact, format!("<{}>", self.cfg.local_contact));
        h.push(HeaderName::Allow, ALLOW);
        if let Some(st) = &self.cfg.session_timer {
            h.push(HeaderName::Supported, "timer");
            h.push(
                HeaderName::SessionExpires,
                st.session_expires.as_secs().to_string(),
            );
            h.push(HeaderName::MinSe, st.min_se.as_secs().to_string());
        }
        if let Some(offer) = &self.b_offer {
            let (mut headers, mut body) = (std::mem::take(&mut req.headers), Vec::new());
            legs::set_sdp(&mut headers, &mut body, offer);
            req.headers = headers;
            req.body = body;
        }
        req
    }

    pub(crate) fn fork_response(
        &mut self,
        now: Instant,
        _req: crate::io::ReqRef,
        i: usize,
        response: Response,
    ) {
        let status = response.status;
        if let Some(f) = self.forks.get_mut(i) {
            f.no_response_deadline = None;
        }
        if status.is_provisional() {
            if status == StatusCode::TRYING {
                return;
            }
            self.fork_provisional(i, &response);
        } else if status.is_success() {
            self.fork_answered(now, i, response);
        } else {
            let retry = status.0 == 408
                || status.0 == 503
                || status.0 == 500
                || status.0 == 502
                || status.0 == 504;
            self.fork_failed(now, i, status, retry);
        }
    }

    /// Forks that got no response at all within the no-response timeout are given up
    /// as unreachable (a silent trunk link): the next target group is tried [TEL-2].
    pub(crate) fn fork_no_response(&mut self, now: Instant) {
        let due: Vec<usize> = self
            .forks
            .iter()
            .enumerate()
            .filter(|(_, f)| f.state == ForkState::Calling && f.no_response_deadline.is_some_and(|d| now >= d))
            .map(|(i, _)| i)
            .collect();
        for i in due {
            if let Some(f) = self.forks.get_mut(i) {
                f.no_response_deadline = None;
            }
            let req = self.forks[i].req;
            self.fork_failed(now, i, StatusCode::REQUEST_TIMEOUT, true);
            // Stop the INVITE's retransmissions too (deferred by the transaction layer
            // until a provisional arrives, if ever).
            self.emit(CallOutput::Cancel { req });
        }
    }

    fn fork_provisional(&mut self, i: usize, response: &Response) {
        let Phase::Setup(s) = &mut self.phase else {
            return;
        };
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        if f.state == ForkState::Calling {
            f.state = ForkState::Ringing;
        }
        if s.a_provisional_sent {
            return;
        }
        s.a_provisional_sent = true;
        let ringing = self.a_response(if response.status.0 == 183 {
            StatusCode::SESSION_PROGRESS
        } else {
            StatusCode::RINGING
        });
        let tx = self.a_tx;
        self.emit(CallOutput::Respond {
            tx,
            response: ringing,
        });
        self.emit(CallOutput::Event(CallEvent::Ringing));
    }

    pub(crate) fn fork_failed(&mut self, now: Instant, i: usize, status: StatusCode, retry: bool) {
        let Phase::Setup(s) = &mut self.phase else {
            return;
        };
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        if matches!(
            f.state,
            ForkState::Cancelled | ForkState::Answered | ForkState::Failed { .. }
        ) {
            return;
        }
        f.state = ForkState::Failed { retry };
        s.failures.push(status);
        let trunk_report = f.target.trunk.map(|t| (t, f.target.peer.addr));
        if status.0 >= 600 {
            // A global failure ends every branch (RFC 3261 §16.7 step 5).
            self.cancel_forks(None);
        }
        let Phase::Setup(s) = &mut self.phase else {
            return;
        };
        let group_over = self
            .forks
            .iter()
            .all(|f| matches!(f.state, ForkState::Failed { .. } | ForkState::Cancelled));
        let all_retry = self
            .forks
            .iter()
            .all(|f| matches!(f.state, ForkState::Failed { retry: true }));
        let next = s.group + 1;
        let has_next = s.plan.groups.len() > next;
        let best = best_failure(&s.failures);
        if let Some((trunk, destination)) = trunk_report {
            self.emit(CallOutput::Event(CallEvent::TrunkResult {
                trunk,
                destination,
                ok: !retry,
            }));
        }
        if !group_over {
            return;
        }
        if all_retry && has_next {
            return self.start_group(now, next);
        }
        let resp = self.a_response(best);
        let tx = self.a_tx;
        self.emit(CallOutput::Respond { tx, response: resp });
        self.finish(now, HangupCause::Rejected(best));
    }

    fn fork_answered(&mut self, now: Instant, i: usize, response: Response) {
        let Some(fork) = self.forks.get(i).cloned() else {
            return;
        };
        let dialog = Dialog::new_uac(&fork.invite, &response);
        let late = !matches!(self.phase, Phase::Setup(_)) || fork.state == ForkState::Cancelled;
        let Ok(mut b) = dialog else {
            // A 2xx we cannot build a dialog from: nothing sane to ACK; treat as failed.
            return self.fork_failed(now, i, StatusCode(502), false);
        };
        let invite_cseq = fork.invite.headers.cseq().map(|c| c.seq).unwrap_or(1);
        let ack = b.ack(invite_cseq);
        let ack_peer = legs::resolve(b.next_hop(), fork.target.peer);
        self.emit(CallOutput::SendAck {
            request: ack.clone(),
            to: ack_peer,
        });
        if late {
            // A second fork answered after the call was decided: hang it up at once.
            if let Ok(bye) = b.request(Method::Bye) {
                let req = self.new_req(Purpose::Bye);
                self.emit(CallOutput::Send {
                    req,
                    request: bye,
                    to: ack_peer,
                });
            }
            return;
        }
        // This fork decided the call, whatever its answer: everyone else stops ringing.
        if let Some(f) = self.forks.get_mut(i) {
            f.state = ForkState::Answered;
        }
        self.cancel_forks(Some(i));
        if let Some(trunk) = fork.target.trunk {
            let destination = fork.target.peer.addr;
            self.emit(CallOutput::Event(CallEvent::TrunkResult {
                trunk,
                destination,
                ok: true,
            }));
        }
        // Media: B's answer decides the codec; A gets the same one.
        let Some(b_answer) = legs::response_sdp(&response) else {
            self.send_bye_b_dialog(&mut b, ack_peer);
            return self.refuse(
                now,
                StatusCode::NOT_ACCEPTABLE_HERE,
                "the callee answered without SDP",
            );
        };
        let Some(offer) = self.b_offer.clone() else {
            return;
        };
        let negotiated = match sdp_offer_answer::negotiated_from_answer(&offer, &b_answer) {
            Ok(n) => n,
            Err(e) => {
                self.send_bye_b_dialog(&mut b, ack_peer);
                return self.refuse(now, StatusCode::NOT_ACCEPTABLE_HERE, &e.to_string());
            }
        };
        if let Some(rtp) = negotiated.remote_rtp {
            self.media(MediaCommand::SetRemote { side: Side::B, rtp });
        }
        let a_te = self.a_summary.as_ref().and_then(|s| s.telephone_event_pt);
        let te =
            negotiated.telephone_event_pt.is_some() && (a_te.is_some() || self.a_offer.is_none());
        self.payload_maps(
            negotiated.codec,
            negotiated.payload_type,
            negotiated.telephone_event_pt,
        );
        let Some(a_sdp) = self.a_answer(negotiated.codec, te, negotiated.direction) else {
            self.send_bye_b_dialog(&mut b, ack_peer);
            return self.refuse(
                now,
                StatusCode::NOT_ACCEPTABLE_HERE,
                "no codec in common with the callee",
            );
        };
        if let Some(cfg) = &self.cfg.session_timer {
            // An interval below our Min-SE would make us refresh (or expect refreshes)
            // too often; hold the callee to our minimum (RFC 4028 §4).
            let t = session_timer::negotiate_uac(&response.headers, cfg, now);
            self.b_timer = Some(session_timer::SessionTimer::new(
                t.interval.max(cfg.min_se),
                t.refresher,
                now,
            ));
        }
        let mut ok = self.a_response(StatusCode::OK);
        ok.headers.push(HeaderName::Allow, ALLOW);
        ok.headers.push(HeaderName::Supported, "timer");
        self.add_a_timer_headers(&mut ok);
        legs::set_sdp(&mut ok.headers, &mut ok.body, &a_sdp);
        let tx = self.a_tx;
        self.emit(CallOutput::Respond { tx, response: ok });
        self.a_dialog.confirm();
        if let Some(t) = &mut self.a_timer {
            t.refreshed(now);
        }
        self.phase = Phase::Confirmed(Box::new(Confirmed {
            b,
            b_peer: fork.target.peer,
            b_ack: ack,
            b_ack_peer: ack_peer,
            b_answer_req: fork.req,
            codec: negotiated.codec,
            codec_pt: negotiated.payload_type,
            b_telephone_event_pt: negotiated.telephone_event_pt,
            pending: None,
            a_acked: false,
            a_held: false,
            b_held: false,
            requeue: None,
        }));
        self.emit(CallOutput::Event(CallEvent::Answered));
    }

    pub(crate) fn send_bye_b_dialog(&mut self, b: &mut Dialog, to: sip_transaction::Peer) {
        if let Ok(bye) = b.request(Method::Bye) {
            let req = self.new_req(Purpose::Bye);
            self.emit(CallOutput::Send {
                req,
                request: bye,
                to,
            });
        }
    }

    /// Payload-type rewrites so each side sees the numbers it negotiated.
    pub(crate) fn payload_maps(&mut self, codec: AudioCodec, b_pt: u8, b_te: Option<u8>) {
        let a_pt = self
            .a_summary
            .as_ref()
            .and_then(|s| {
                s.codecs
                    .iter()
                    .find(|(_, c)| *c == codec)
                    .map(|(pt, _)| *pt)
            })
            .unwrap_or_else(|| legs::static_pt(codec));
        let a_te = self
            .a_summary
            .as_ref()
            .and_then(|s| s.telephone_event_pt)
            .or(Some(101));
        let mut a_to_b = Vec::new();
        let mut b_to_a = Vec::new();
        if a_pt != b_pt {
            a_to_b.push((a_pt, b_pt));
            b_to_a.push((b_pt, a_pt));
        }
        if let (Some(a), Some(b)) = (a_te, b_te)
            && a != b
        {
            a_to_b.push((a, b));
            b_to_a.push((b, a));
        }
        if !a_to_b.is_empty() {
            self.media(MediaCommand::PayloadMap {
                from: Side::A,
                map: a_to_b,
            });
            self.media(MediaCommand::PayloadMap {
                from: Side::B,
                map: b_to_a,
            });
        }
    }
}

/// The response to give the caller when every branch failed (RFC 3261 §16.7 step 6,
/// simplified): a 6xx wins, then busy, then the first other failure; timeouts and
/// server errors become 480 (the operator is not reachable right now).
fn best_failure(failures: &[StatusCode]) -> StatusCode {
    if let Some(s) = failures.iter().find(|s| s.0 >= 600) {
        return *s;
    }
    if failures.contains(&StatusCode::BUSY_HERE) {
        return StatusCode::BUSY_HERE;
    }
    match failures
        .iter()
        .find(|s| s.0 < 500 && !matches!(s.0, 401 | 407 | 408))
    {
        Some(s) => *s,
        None => StatusCode::TEMPORARILY_UNAVAILABLE,
    }
}
