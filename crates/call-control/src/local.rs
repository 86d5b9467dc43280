//! A call the engine answers itself: leg A answered at once with our SDP on the
//! relay's A port, in-dialog requests handled here (BYE, re-INVITE/hold, UPDATE,
//! OPTIONS, INFO DTMF), prompts played to the caller and DTMF digits reported as one
//! stream whether they came by RFC 4733 or SIP INFO (RFC 3261 §12-§15, RFC 3264,
//! RFC 4733) [IVR-1, IVR-4, IVR-5].

use std::time::Instant;

use sdp_offer_answer::{Capabilities, Direction};
use sip_message::{HeaderName, Method, Request, Response, StatusCode};
use sip_transaction::ServerTxId;

use crate::call::{ALLOW, Call, Local, Phase};
use crate::io::{CallEvent, CallOutput, DtmfSource, HangupCause, MediaCommand, Side};
use crate::legs;

impl Call {
    /// Answers the caller at once (after the same validation as a bridged call).
    pub(crate) fn start_local(&mut self, now: Instant) {
        if !self.admit_a(now) {
            return;
        }
        let caps = self.cfg.capabilities.clone();
        let (codec, te_pt, sdp) = match self.a_offer.clone() {
            Some(offer) => {
                match self
                    .a_sdp
                    .answer(&offer, self.ports.a_port, &caps, Direction::SendRecv)
                {
                    Ok((sdp, n)) => (n.codec, n.telephone_event_pt, sdp),
                    Err(e) => {
                        return self.refuse(now, StatusCode::NOT_ACCEPTABLE_HERE, &e.to_string());
                    }
                }
            }
            None => {
                // A late offer: ours goes in the 2xx, the caller answers in the ACK.
                let codecs: Vec<_> = caps
                    .codecs
                    .iter()
                    .map(|&c| (legs::static_pt(c), c))
                    .collect();
                let Some(&(_, first)) = codecs.first() else {
                    return self.refuse(
                        now,
                        StatusCode::NOT_ACCEPTABLE_HERE,
                        "no codec configured",
                    );
                };
                let te = caps.telephone_event.then_some(101);
                let sdp = self
                    .a_sdp
                    .offer(self.ports.a_port, &codecs, te, Direction::SendRecv);
                (first, None, sdp)
            }
        };
        let held = self.a_summary.as_ref().is_some_and(|s| s.on_hold);
        self.a_last_sdp = Some(sdp.clone());
        let mut ok = self.a_response(StatusCode::OK);
        ok.headers.push(HeaderName::Allow, ALLOW);
        ok.headers.push(HeaderName::Supported, "timer");
        self.add_a_timer_headers(&mut ok);
        legs::set_sdp(&mut ok.headers, &mut ok.body, &sdp);
        let tx = self.a_tx;
        self.emit(CallOutput::Respond { tx, response: ok });
        self.a_dialog.confirm();
        if let Some(t) = &mut self.a_timer {
            t.refreshed(now);
        }
        self.phase = Phase::Local(Local {
            codec,
            te_pt,
            a_acked: false,
            held,
            playing: false,
            connect: None,
            attempts: 0,
            b_tag_base: self.b_from_tag.clone(),
            released_b: None,
        });
        self.media(MediaCommand::DtmfPayloadType {
            side: Side::A,
            pt: te_pt,
        });
        self.emit(CallOutput::Event(CallEvent::Answered));
    }

    /// The caller's ACK; a late offer is answered in it (RFC 3264 §4).
    pub(crate) fn local_ack(&mut self, now: Instant, request: &Request) {
        let Phase::Local(l) = &mut self.phase else {
            return;
        };
        l.a_acked = true;
        if self.a_offer.is_some() || request.body.is_empty() {
            return;
        }
        let (Some(ours), Some(answer)) = (self.a_last_sdp.clone(), legs::sdp_body(request)) else {
            return;
        };
        match sdp_offer_answer::negotiated_from_answer(&ours, &answer) {
            Ok(n) => {
                l.codec = n.codec;
                l.te_pt = n.telephone_event_pt;
                if let Some(rtp) = n.remote_rtp {
                    self.media(MediaCommand::SetRemote { side: Side::A, rtp });
                }
                self.media(MediaCommand::DtmfPayloadType {
                    side: Side::A,
                    pt: n.telephone_event_pt,
                });
                self.a_offer = Some(answer);
            }
            Err(_) => self.release(now, HangupCause::Refused(StatusCode::NOT_ACCEPTABLE_HERE)),
        }
    }

    /// A request from the caller inside a locally answered call. `self.phase` is `Done`
    /// while this runs; the caller puts `l` back unless the call ended.
    pub(crate) fn local_request(
        &mut self,
        now: Instant,
        l: &mut Local,
        tx: ServerTxId,
        request: Request,
    ) {
        if !self.a_dialog.matches_request(&request) {
            let resp = Response::from_request(&request, StatusCode::CALL_DOES_NOT_EXIST);
            return self.emit(CallOutput::Respond { tx, response: resp });
        }
        if let Err(e) = self.a_dialog.check_remote_request(&request) {
            let resp = Response::from_request(&request, StatusCode::from(&e));
            return self.emit(CallOutput::Respond { tx, response: resp });
        }
        match request.method {
            Method::Bye => {
                let ok = Response::from_request(&request, StatusCode::OK);
                self.emit(CallOutput::Respond { tx, response: ok });
                // An agent still ringing for this caller is CANCELled (RFC 3261 §9.1).
                self.abandon_connect(l);
                self.phase = Phase::Ending;
                self.finish(now, HangupCause::CallerHangup);
            }
            Method::Invite => self.local_reinvite(now, l, tx, &request),
            Method::Update => {
                // A session refresh; media changes come by re-INVITE.
                if let Some(t) = &mut self.a_timer {
                    t.refreshed(now);
                }
                let resp = if request.body.is_empty() {
                    let mut ok = Response::from_request(&request, StatusCode::OK);
                    ok.headers
                        .push(HeaderName::Contact, format!("<{}>", self.cfg.local_contact));
                    self.add_a_timer_headers(&mut ok);
                    ok
                } else {
                    let mut r = Response::from_request(&request, StatusCode::NOT_ACCEPTABLE_HERE);
                    r.headers.push(
                        HeaderName::Warning,
                        "399 centralino \"media changes by re-INVITE only\"",
                    );
                    r
                };
                self.emit(CallOutput::Respond { tx, response: resp });
            }
            Method::Options => {
                let ok = legs::options_ok(&request);
                self.emit(CallOutput::Respond { tx, response: ok });
            }
            Method::Info => {
                let ok = Response::from_request(&request, StatusCode::OK);
                self.emit(CallOutput::Respond { tx, response: ok });
                if let Some(digit) = legs::info_dtmf(&request) {
                    self.report_dtmf(digit, DtmfSource::SipInfo);
                }
            }
            _ => {
                let mut resp = Response::from_request(&request, StatusCode::NOT_IMPLEMENTED);
                resp.headers.push(HeaderName::Allow, ALLOW);
                self.emit(CallOutput::Respond { tx, response: resp });
            }
        }
    }

    /// A re-INVITE from the caller, answered here: a refresh, a new address, or hold
    /// and resume (recorded; the relay stops sending to a held caller except prompts).
    pub(crate) fn local_reinvite(&mut self, now: Instant, l: &mut Local, tx: ServerTxId, request: &Request) {
        self.a_dialog
            .refresh_target(request.headers.contacts().ok());
        if let Some(t) = &mut self.a_timer {
            t.refreshed(now);
        }
        let pt = self.a_codec_pt(l.codec);
        let sdp = match legs::sdp_body(request) {
            None => {
                if !request.body.is_empty() {
                    let resp = Response::from_request(request, StatusCode::UNSUPPORTED_MEDIA_TYPE);
                    return self.emit(CallOutput::Respond { tx, response: resp });
                }
                // No offer: ours in the 2xx, the answer in the ACK (RFC 3264 §4).
                self.a_sdp.offer(
                    self.ports.a_port,
                    &[(pt, l.codec)],
                    l.te_pt,
                    Direction::SendRecv,
                )
            }
            Some(offer) => {
                let summary =
                    match sdp_offer_answer::summarize_offer(&offer, &self.cfg.capabilities) {
                        Ok(s) if s.codecs.iter().any(|(_, c)| *c == l.codec) => s,
                        _ => {
                            let mut resp =
                                Response::from_request(request, StatusCode::NOT_ACCEPTABLE_HERE);
                            resp.headers.push(
                                HeaderName::Warning,
                                "305 centralino \"the answered codec must stay\"",
                            );
                            return self.emit(CallOutput::Respond { tx, response: resp });
                        }
                    };
                let caps = Capabilities {
                    codecs: vec![l.codec],
                    telephone_event: true,
                };
                let Ok((sdp, n)) =
                    self.a_sdp
                        .answer(&offer, self.ports.a_port, &caps, Direction::SendRecv)
                else {
                    let resp = Response::from_request(request, StatusCode::NOT_ACCEPTABLE_HERE);
                    return self.emit(CallOutput::Respond { tx, response: resp });
                };
                if let Some(rtp) = summary.remote_rtp {
                    self.media(MediaCommand::SetRemote { side: Side::A, rtp });
                }
                if summary.on_hold != l.held {
                    l.held = summary.on_hold;
                    self.media(MediaCommand::Hold {
                        side: Side::A,
                        on_hold: l.held,
                    });
                }
                if n.telephone_event_pt != l.te_pt {
                    l.te_pt = n.telephone_event_pt;
                    self.media(MediaCommand::DtmfPayloadType {
                        side: Side::A,
                        pt: l.te_pt,
                    });
                }
                self.a_summary = Some(summary);
                self.a_offer = Some(offer);
                sdp
            }
        };
        let mut ok = Response::from_request(request, StatusCode::OK);
        ok.headers
            .push(HeaderName::Contact, format!("<{}>", self.cfg.local_contact));
        ok.headers.push(HeaderName::Allow, ALLOW);
        self.add_a_timer_headers(&mut ok);
        self.a_last_sdp = Some(sdp.clone());
        legs::set_sdp(&mut ok.headers, &mut ok.body, &sdp);
        self.emit(CallOutput::Respond { tx, response: ok });
    }

    /// A key the relay decoded from the caller's RTP: reported once the caller is
    /// answered [IVR-1].
    pub(crate) fn dtmf(&mut self, digit: char, via: DtmfSource) {
        if matches!(self.phase, Phase::Local(_) | Phase::Confirmed(_)) {
            self.report_dtmf(digit, via);
        }
    }

    /// A key the caller pressed, by either path, as one event stream [IVR-1]. Called
    /// from in-dialog request handling, where `self.phase` is taken out.
    pub(crate) fn report_dtmf(&mut self, digit: char, via: DtmfSource) {
        if !self.ended && legs::is_dtmf_digit(digit) {
            self.emit(CallOutput::Event(CallEvent::Dtmf { digit, via }));
        }
    }

    /// Plays prompts to the caller of a local call; anywhere else the request ends at
    /// once, unplayed, so a driver waiting for it is not stuck.
    pub(crate) fn play(&mut self, prompts: Vec<String>, barge_in: bool) {
        match &mut self.phase {
            Phase::Local(l) => {
                l.playing = true;
                self.media(MediaCommand::Play {
                    side: Side::A,
                    prompts,
                    barge_in,
                });
            }
            _ if self.ended => {}
            _ => self.emit(CallOutput::Event(CallEvent::PlaybackDone {
                completed: false,
            })),
        }
    }

    pub(crate) fn stop_playback(&mut self) {
        if let Phase::Local(l) = &mut self.phase {
            l.playing = false;
            self.media(MediaCommand::Stop { side: Side::A });
        }
    }

    pub(crate) fn playback_done(&mut self, completed: bool) {
        if let Phase::Local(l) = &mut self.phase {
            l.playing = false;
        }
        if !self.ended {
            self.emit(CallOutput::Event(CallEvent::PlaybackDone { completed }));
        }
    }
}
