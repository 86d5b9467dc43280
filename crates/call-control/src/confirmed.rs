//! The bridged call: in-dialog requests on either leg (BYE, re-INVITE/hold relayed
//! with SDP rewritten, UPDATE, OPTIONS, INFO), session timers (RFC 4028) and release
//! (RFC 3261 §12.2, §14, §15).

use std::time::Instant;

use sdp_offer_answer::Direction;
use sip_dialog::session_timer::Refresher;
use sip_message::{HeaderName, Method, Request, Response, StatusCode};
use sip_transaction::{Peer, ServerTxId};

use crate::call::{ALLOW, Call, Confirmed, Pending, Phase, Purpose};
use crate::io::{CallOutput, DtmfSource, HangupCause, MediaCommand, Side};
use crate::legs;

impl Call {
    /// A request inside the bridged call. `self.phase` is `Done` while this runs; the
    /// caller puts `c` back unless the call ended.
    pub(crate) fn confirmed_request(
        &mut self,
        now: Instant,
        c: &mut Confirmed,
        side: Side,
        tx: ServerTxId,
        request: Request,
        _source: Peer,
    ) {
        let dialog = match side {
            Side::A => &mut self.a_dialog,
            Side::B => &mut c.b,
        };
        if !dialog.matches_request(&request) {
            // The Call-ID is ours but the tags are not: another fork's dialog, or a stale
            // one (RFC 3261 §12.2.2).
            let resp = Response::from_request(&request, StatusCode::CALL_DOES_NOT_EXIST);
            return self.emit(CallOutput::Respond { tx, response: resp });
        }
        if let Err(e) = dialog.check_remote_request(&request) {
            let resp = Response::from_request(&request, StatusCode::from(&e));
            return self.emit(CallOutput::Respond { tx, response: resp });
        }
        match request.method {
            Method::Bye => {
                self.emit(CallOutput::Respond {
                    tx,
                    response: Response::from_request(&request, StatusCode::OK),
                });
                self.abort_pending(c);
                match side {
                    Side::A => self.send_bye_b(c),
                    Side::B => self.send_bye_a(now),
                }
                let cause = if side == Side::A {
                    HangupCause::CallerHangup
                } else {
                    HangupCause::CalleeHangup
                };
                self.phase = Phase::Ending;
                self.finish(now, cause);
            }
            Method::Invite => self.reinvite(now, c, side, tx, request),
            Method::Update => {
                // A session refresh without SDP; media changes come by re-INVITE.
                self.refreshed(now, side);
                let mut ok = Response::from_request(&request, StatusCode::OK);
                ok.headers
                    .push(HeaderName::Contact, format!("<{}>", self.cfg.local_contact));
                if side == Side::A {
                    self.add_a_timer_headers(&mut ok);
                }
                if !request.body.is_empty() {
                    ok = Response::from_request(&request, StatusCode::NOT_ACCEPTABLE_HERE);
                    ok.headers.push(
                        HeaderName::Warning,
                        "399 centralino \"media changes by re-INVITE only\"",
                    );
                }
                self.emit(CallOutput::Respond { tx, response: ok });
            }
            Method::Options => {
                let ok = legs::options_ok(&request);
                self.emit(CallOutput::Respond { tx, response: ok });
            }
            Method::Info => {
                // Relayed to the other leg (DTMF as application/dtmf-relay, …).
                self.emit(CallOutput::Respond {
                    tx,
                    response: Response::from_request(&request, StatusCode::OK),
                });
                // The caller's keys are also reported, like RFC 4733 ones [IVR-1].
                if side == Side::A
                    && let Some(digit) = legs::info_dtmf(&request)
                {
                    self.report_dtmf(digit, DtmfSource::SipInfo);
                }
                let other = match side {
                    Side::A => &mut c.b,
                    Side::B => &mut self.a_dialog,
                };
                let fallback = if side == Side::A {
                    c.b_peer
                } else {
                    self.a_peer
                };
                if let Ok(mut info) = other.request(Method::Info) {
                    let to = legs::resolve(other.next_hop(), fallback);
                    if let Some(ct) = request.headers.content_type() {
                        info.headers.set(HeaderName::ContentType, ct.to_owned());
                    }
                    info.body = request.body.clone();
                    let req = self.new_req(Purpose::Relay);
                    self.emit(CallOutput::Send {
                        req,
                        request: info,
                        to,
                    });
                }
            }
            _ => {
                let mut resp = Response::from_request(&request, StatusCode::NOT_IMPLEMENTED);
                resp.headers.push(HeaderName::Allow, ALLOW);
                self.emit(CallOutput::Respond { tx, response: resp });
            }
        }
    }

    /// A re-INVITE: a refresh (same SDP version, or no SDP) is answered here; a media
    /// change is applied to the relay and, when the direction changes (hold/resume),
    /// relayed to the other leg with our own SDP for that leg.
    fn reinvite(
        &mut self,
        now: Instant,
        c: &mut Confirmed,
        side: Side,
        tx: ServerTxId,
        request: Request,
    ) {
        if c.pending.is_some() {
            let resp = Response::from_request(&request, StatusCode::REQUEST_PENDING);
            return self.emit(CallOutput::Respond { tx, response: resp });
        }
        match side {
            Side::A => self
                .a_dialog
                .refresh_target(request.headers.contacts().ok()),
            Side::B => c.b.refresh_target(request.headers.contacts().ok()),
        }
        self.refreshed(now, side);
        let offer = legs::sdp_body(&request);
        let Some(offer) = offer else {
            // No offer: ours goes in the 2xx, the answer in the ACK (RFC 3264 §4).
            return self.answer_reinvite_locally(c, side, tx, &request, None, Direction::SendRecv);
        };
        let summary = match sdp_offer_answer::summarize_offer(&offer, &self.cfg.capabilities) {
            Ok(s) if s.codecs.iter().any(|(_, codec)| *codec == c.codec) => s,
            _ => {
                let mut resp = Response::from_request(&request, StatusCode::NOT_ACCEPTABLE_HERE);
                resp.headers.push(
                    HeaderName::Warning,
                    "305 centralino \"the bridged codec must stay\"",
                );
                return self.emit(CallOutput::Respond { tx, response: resp });
            }
        };
        if let Some(rtp) = summary.remote_rtp {
            self.media(MediaCommand::SetRemote { side, rtp });
        }
        let was_held = if side == Side::A { c.a_held } else { c.b_held };
        if summary.on_hold == was_held {
            return self.answer_reinvite_locally(
                c,
                side,
                tx,
                &request,
                Some(offer),
                Direction::SendRecv,
            );
        }
        // Hold or resume: tell the other side with a re-INVITE of ours.
        if side == Side::A {
            c.a_held = summary.on_hold;
            self.a_summary = Some(summary.clone());
        } else {
            c.b_held = summary.on_hold;
        }
        let other = side.other();
        self.media(MediaCommand::Hold {
            side,
            on_hold: summary.on_hold,
        });
        let sdp = match other {
            Side::B => {
                let codecs = [(c.codec_pt, c.codec)];
                self.b_sdp.offer(
                    self.ports.b_port,
                    &codecs,
                    c.b_telephone_event_pt,
                    summary.direction,
                )
            }
            Side::A => {
                // Leg A keeps the payload numbers it negotiated, not leg B's.
                let codecs = [(self.a_codec_pt(c.codec), c.codec)];
                let te = self.a_summary.as_ref().and_then(|s| s.telephone_event_pt);
                self.a_sdp
                    .offer(self.ports.a_port, &codecs, te, summary.direction)
            }
        };
        let (dialog, fallback) = match other {
            Side::A => (&mut self.a_dialog, self.a_peer),
            Side::B => (&mut c.b, c.b_peer),
        };
        let Ok(mut reinvite) = dialog.request(Method::Invite) else {
            return self.emit(CallOutput::Respond {
                tx,
                response: Response::from_request(&request, StatusCode::SERVER_INTERNAL_ERROR),
            });
        };
        let to = legs::resolve(dialog.next_hop(), fallback);
        reinvite.headers.push(HeaderName::Allow, ALLOW);
        legs::set_sdp(&mut reinvite.headers, &mut reinvite.body, &sdp);
        if other == Side::B {
            self.b_offer = Some(sdp);
        } else {
            self.a_last_sdp = Some(sdp);
        }
        let req = self.new_req(Purpose::ReInvite { to: other });
        c.pending = Some(Pending {
            from: side,
            tx,
            request,
            offer,
            was_held,
        });
        self.emit(CallOutput::Send {
            req,
            request: reinvite,
            to,
        });
    }

    fn answer_reinvite_locally(
        &mut self,
        c: &mut Confirmed,
        side: Side,
        tx: ServerTxId,
        request: &Request,
        offer: Option<sdp_offer_answer::SessionDescription>,
        want: Direction,
    ) {
        // What we want on this leg; `LocalSdp::answer` narrows it to what the offer allows
        // (RFC 3264 §6.1), so a sendonly offer gets a recvonly answer.
        let direction = want;
        let pt = if side == Side::A {
            self.a_codec_pt(c.codec)
        } else {
            c.codec_pt
        };
        let codecs = [(pt, c.codec)];
        let caps = sdp_offer_answer::Capabilities {
            codecs: vec![c.codec],
            telephone_event: true,
        };
        let sdp = match (side, offer) {
            (Side::A, Some(o)) => self
                .a_sdp
                .answer(&o, self.ports.a_port, &caps, direction)
                .ok()
                .map(|(s, _)| s),
            (Side::B, Some(o)) => self
                .b_sdp
                .answer(&o, self.ports.b_port, &caps, direction)
                .ok()
                .map(|(s, _)| s),
            (Side::A, None) => {
                let te = self.a_summary.as_ref().and_then(|s| s.telephone_event_pt);
                Some(self.a_sdp.offer(self.ports.a_port, &codecs, te, direction))
            }
            (Side::B, None) => Some(self.b_sdp.offer(
                self.ports.b_port,
                &codecs,
                c.b_telephone_event_pt,
                direction,
            )),
        };
        let Some(sdp) = sdp else {
            let resp = Response::from_request(request, StatusCode::NOT_ACCEPTABLE_HERE);
            return self.emit(CallOutput::Respond { tx, response: resp });
        };
        let mut ok = Response::from_request(request, StatusCode::OK);
        ok.headers
            .push(HeaderName::Contact, format!("<{}>", self.cfg.local_contact));
        ok.headers.push(HeaderName::Allow, ALLOW);
        if side == Side::A {
            self.add_a_timer_headers(&mut ok);
            self.a_last_sdp = Some(sdp.clone());
        }
        legs::set_sdp(&mut ok.headers, &mut ok.body, &sdp);
        self.emit(CallOutput::Respond { tx, response: ok });
    }

    /// The other leg answered our relayed re-INVITE.
    pub(crate) fn reinvite_response(&mut self, now: Instant, to: Side, response: Response) {
        if response.status.is_provisional() {
            return;
        }
        let Phase::Confirmed(c) = &mut self.phase else {
            return;
        };
        let Some(pending) = c.pending.take() else {
            return;
        };
        if !response.status.is_success() {
            Self::undo_hold(&mut self.outputs, c, &pending);
            let status = if response.status == StatusCode::REQUEST_PENDING {
                response.status
            } else {
                StatusCode::NOT_ACCEPTABLE_HERE
            };
            let resp = Response::from_request(&pending.request, status);
            return self.emit(CallOutput::Respond {
                tx: pending.tx,
                response: resp,
            });
        }
        // ACK the other leg's 2xx.
        let (dialog, fallback) = match to {
            Side::A => (&self.a_dialog, self.a_peer),
            Side::B => (&c.b, c.b_peer),
        };
        let cseq = response
            .headers
            .cseq()
            .map(|c| c.seq)
            .unwrap_or(dialog.local_cseq());
        let ack = dialog.ack(cseq);
        let ack_to = legs::resolve(dialog.next_hop(), fallback);
        // The originator gets the direction the other leg answered: the B2BUA is
        // transparent for hold (RFC 3264 §8.4).
        let mut want = Direction::SendRecv;
        if let (Some(ours), Some(answer)) = (
            if to == Side::B {
                self.b_offer.clone()
            } else {
                self.a_last_sdp.clone()
            },
            legs::response_sdp(&response),
        ) && let Ok(n) = sdp_offer_answer::negotiated_from_answer(&ours, &answer)
        {
            if let Some(rtp) = n.remote_rtp {
                self.outputs
                    .push_back(CallOutput::Media(MediaCommand::SetRemote { side: to, rtp }));
            }
            want = n.direction.reversed();
        }
        self.emit(CallOutput::SendAck {
            request: ack,
            to: ack_to,
        });
        // Now answer the originator with an answer to its offer.
        let Phase::Confirmed(mut c) = std::mem::replace(&mut self.phase, Phase::Done) else {
            return;
        };
        let from = pending.from;
        self.answer_reinvite_locally(
            &mut c,
            from,
            pending.tx,
            &pending.request,
            Some(pending.offer),
            want,
        );
        self.phase = Phase::Confirmed(c);
        let _ = now;
    }

    pub(crate) fn reinvite_failed(&mut self, _now: Instant, status: StatusCode) {
        let Phase::Confirmed(c) = &mut self.phase else {
            return;
        };
        if let Some(p) = c.pending.take() {
            Self::undo_hold(&mut self.outputs, c, &p);
            let resp = Response::from_request(&p.request, status);
            self.emit(CallOutput::Respond {
                tx: p.tx,
                response: resp,
            });
        }
    }

    /// The other leg refused a relayed hold/resume: the originator's hold state and the
    /// relay go back to what they were.
    fn undo_hold(
        outputs: &mut std::collections::VecDeque<CallOutput>,
        c: &mut Confirmed,
        p: &Pending,
    ) {
        let held = if p.from == Side::A {
            &mut c.a_held
        } else {
            &mut c.b_held
        };
        if *held != p.was_held {
            *held = p.was_held;
            outputs.push_back(CallOutput::Media(MediaCommand::Hold {
                side: p.from,
                on_hold: p.was_held,
            }));
        }
    }

    /// Our session refresh was answered.
    pub(crate) fn refresh_response(&mut self, now: Instant, to: Side, response: Response) {
        if response.status.is_provisional() {
            return;
        }
        if response.status.is_success() {
            if response
                .headers
                .cseq()
                .is_ok_and(|c| c.method == Method::Invite)
            {
                let (dialog, fallback) = match (to, &self.phase) {
                    (Side::A, Phase::Confirmed(_) | Phase::Local(_)) => {
                        (&self.a_dialog, self.a_peer)
                    }
                    (Side::B, Phase::Confirmed(c)) => (&c.b, c.b_peer),
                    _ => return,
                };
                let seq = response
                    .headers
                    .cseq()
                    .map(|c| c.seq)
                    .unwrap_or(dialog.local_cseq());
                let ack = dialog.ack(seq);
                let ack_to = legs::resolve(dialog.next_hop(), fallback);
                self.emit(CallOutput::SendAck {
                    request: ack,
                    to: ack_to,
                });
            }
            self.refreshed(now, to);
        } else if matches!(response.status.0, 408 | 481) {
            // RFC 4028 §10: the peer is gone.
            self.release(now, HangupCause::SessionExpired);
        } else {
            // Other failures (e.g. 405/501 to UPDATE) leave the session as it was.
            self.refreshed(now, to);
        }
    }

    fn refreshed(&mut self, now: Instant, side: Side) {
        let timer = if side == Side::A {
            &mut self.a_timer
        } else {
            &mut self.b_timer
        };
        if let Some(t) = timer {
            t.refreshed(now);
        }
    }

    /// Session timers: send our refreshes, or release a session the peer let expire.
    pub(crate) fn session_timers(&mut self, now: Instant) {
        for side in [Side::A, Side::B] {
            let timer = if side == Side::A {
                self.a_timer
            } else {
                self.b_timer
            };
            let Some(t) = timer else { continue };
            if t.refresher == Refresher::Remote && now >= t.expires_at() {
                return self.release(now, HangupCause::SessionExpired);
            }
            if t.refresh_at().is_some_and(|at| now >= at) {
                // Mark it now so one refresh goes out per interval; the answer restarts it.
                let timer = if side == Side::A {
                    &mut self.a_timer
                } else {
                    &mut self.b_timer
                };
                if let Some(t) = timer {
                    t.refreshed(now);
                }
                self.send_refresh(side);
            }
        }
    }

    /// A refresh with UPDATE (no SDP) when the peer allows it, else a re-INVITE with
    /// our unchanged SDP (RFC 4028 §9, §7.4).
    pub(crate) fn send_refresh(&mut self, side: Side) {
        // Leg A is refreshed in a bridged and in a locally answered call alike.
        let (dialog, fallback) = match (side, &mut self.phase) {
            (Side::A, Phase::Confirmed(_) | Phase::Local(_)) => (&mut self.a_dialog, self.a_peer),
            (Side::B, Phase::Confirmed(c)) => (&mut c.b, c.b_peer),
            _ => return,
        };
        let Ok(mut req) = dialog.request(Method::Invite) else {
            return;
        };
        let to = legs::resolve(dialog.next_hop(), fallback);
        let sdp = if side == Side::A {
            self.a_last_sdp.clone()
        } else {
            self.b_offer.clone()
        };
        if let Some(sdp) = sdp {
            legs::set_sdp(&mut req.headers, &mut req.body, &sdp);
        }
        if let Some(st) = &self.cfg.session_timer {
            req.headers.push(HeaderName::Supported, "timer");
            let secs = if side == Side::A {
                self.a_timer
            } else {
                self.b_timer
            }
            .map_or(st.session_expires, |t| t.interval);
            // We send this refresh, so we are its UAC and the refresher (RFC 4028 §7.4).
            req.headers.push(
                HeaderName::SessionExpires,
                format!("{};refresher=uac", secs.as_secs()),
            );
        }
        let r = self.new_req(Purpose::Refresh { to: side });
        self.emit(CallOutput::Send {
            req: r,
            request: req,
            to,
        });
    }
}

impl Side {
    /// The other leg.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}
