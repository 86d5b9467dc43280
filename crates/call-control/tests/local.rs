//! Transcript tests of calls the engine answers itself (`Call::new_local`): answer,
//! validation, in-dialog requests, hold, prompts, DTMF by RFC 4733 and SIP INFO as one
//! event stream, hangup from either side (RFC 3261 §12-§15, RFC 3264, RFC 4733)
//! [IVR-1, IVR-4].

mod support;

use std::time::Duration;

use call_control::io::{CallEvent, CallInput, DtmfSource, HangupCause, MediaCommand, Side};
use sip_message::{HeaderName, Method, StatusCode};
use support::*;

fn ended(cause: HangupCause) -> CallEvent {
    CallEvent::Ended { cause }
}

/// A local call the caller has acknowledged.
fn acked() -> Sim {
    let (mut sim, _) = Sim::local();
    sim.at(0.1);
    sim.a_ack(1, "");
    sim
}

fn dtmf(digit: char, via: DtmfSource) -> CallEvent {
    CallEvent::Dtmf { digit, via }
}

#[test]
fn ivr_1_a_local_call_is_answered_at_once_with_our_sdp_on_the_a_port() {
    let (sim, outs) = Sim::local();
    let ok = outs.one_response(200);
    assert_eq!(outs.statuses(), vec![200], "no provisional, no leg B");
    assert!(outs.sends().is_empty(), "no leg B: {outs:#?}");
    let (addr, dir) = sdp_audio(&ok.body);
    assert_eq!(
        (addr.to_string(), dir.as_str()),
        (format!("127.0.0.1:{A_PORT}"), "sendrecv")
    );
    let body = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        body.contains("RTP/AVP 8 101"),
        "PCMA and the caller's telephone-event: {body}"
    );
    assert!(ok.headers.to().unwrap().tag().is_some());
    assert!(ok.headers.get(&HeaderName::Contact).is_some());
    assert!(
        ok.headers
            .get(&HeaderName::Allow)
            .is_some_and(|a| a.contains("INFO"))
    );
    assert_eq!(
        outs.media(),
        vec![
            MediaCommand::SetRemote {
                side: Side::A,
                rtp: CALLER_RTP.parse().unwrap()
            },
            MediaCommand::DtmfPayloadType {
                side: Side::A,
                pt: Some(101)
            },
        ]
    );
    assert_eq!(outs.events(), vec![CallEvent::Answered]);
    assert!(sim.call.is_local());
    assert_eq!(
        sim.call.codec(Side::A),
        Some(sdp_offer_answer::AudioCodec::Pcma)
    );
    assert_eq!(sim.call.codec(Side::B), None);
    assert_eq!(
        sim.call.poll_timeout(),
        None,
        "no timers without session timers"
    );
}

#[test]
fn ivr_1_a_caller_without_telephone_event_gets_dtmf_detection_off() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let (_, outs) = Sim::start_local(&invite, config()).unwrap();
    let body = String::from_utf8(outs.one_response(200).body.clone()).unwrap();
    assert!(body.contains("m=audio 20000 RTP/AVP 8\r\n"), "{body}");
    assert!(outs.media().contains(&MediaCommand::DtmfPayloadType {
        side: Side::A,
        pt: None
    }));
}

#[test]
fn rfc3264_a_local_call_refuses_what_a_bridged_call_refuses() {
    let g729 = SIPP_SDP
        .replace("RTP/AVP 8", "RTP/AVP 18")
        .replace("8 PCMA/8000", "18 G729/8000");
    let cases = [
        (
            caller_invite(SIPP_EXTRA, Some("application/sdp"), &g729),
            config(),
            488,
        ),
        (
            caller_invite(SIPP_EXTRA, Some("text/plain"), "hello"),
            config(),
            415,
        ),
        (
            caller_invite(
                "Contact: <sip:sipp@127.0.0.1:5061>\nMax-Forwards: 0",
                Some("application/sdp"),
                SIPP_SDP,
            ),
            config(),
            483,
        ),
        (
            caller_invite(
                &format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 30"),
                Some("application/sdp"),
                SIPP_SDP,
            ),
            config_with_timers(),
            422,
        ),
    ];
    for (invite, cfg, status) in cases {
        let (sim, outs) = Sim::start_local(&invite, cfg).unwrap();
        assert_eq!(outs.statuses(), vec![status]);
        assert!(outs.sends().is_empty());
        assert_eq!(
            outs.events(),
            vec![ended(HangupCause::Refused(StatusCode(status)))]
        );
        assert!(
            !outs
                .media()
                .iter()
                .any(|m| matches!(m, MediaCommand::DtmfPayloadType { .. }))
        );
        assert!(sim.call.is_terminated());
    }
}

#[test]
fn rfc3261_12_1_1_a_local_invite_without_contact_is_refused_400() {
    let invite = caller_invite("Max-Forwards: 70", Some("application/sdp"), SIPP_SDP);
    let Err(resp) = Sim::start_local(&invite, config()) else {
        panic!("a call without Contact must not start");
    };
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
}

#[test]
fn rfc3264_4_a_late_offer_is_answered_in_the_ack_and_sets_the_dtmf_payload_type() {
    let invite = caller_invite(SIPP_EXTRA, None, "");
    let (mut sim, outs) = Sim::start_local(&invite, config()).unwrap();
    let ok = outs.one_response(200);
    let text = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        text.contains(&format!("m=audio {A_PORT} RTP/AVP 8 0 101")),
        "our full offer: {text}"
    );
    assert_eq!(outs.events(), vec![CallEvent::Answered]);
    sim.at(0.2);
    let outs = sim.a_ack(1, &caller_sdp_te(1, "sendrecv"));
    assert_eq!(
        outs.media(),
        vec![
            MediaCommand::SetRemote {
                side: Side::A,
                rtp: CALLER_RTP.parse().unwrap()
            },
            MediaCommand::DtmfPayloadType {
                side: Side::A,
                pt: Some(101)
            },
        ]
    );
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3261_15_1_2_caller_bye_ends_a_local_call_with_200() {
    let mut sim = acked();
    sim.at(5.0);
    let (tx, bye) = sim.a_request("BYE", None, "", "");
    let outs = sim.send_request(tx, bye, CALLER);
    assert_eq!(outs.responds(), vec![(tx, &outs.one_response(200))]);
    assert!(outs.sends().is_empty(), "nobody else to hang up");
    assert_eq!(outs.events(), vec![ended(HangupCause::CallerHangup)]);
    assert!(sim.call.is_terminated());
    // A retransmitted BYE (new transaction after the call ended) still gets 200.
    let (tx2, bye2) = sim.a_request("BYE", None, "", "");
    assert_eq!(sim.send_request(tx2, bye2, CALLER).statuses(), vec![200]);
    assert_eq!(sim.ended().len(), 1);
}

#[test]
fn ivr_1_hangup_sends_bye_to_the_caller_and_ends_once() {
    let mut sim = acked();
    sim.at(30.0);
    let outs = sim.input(CallInput::Hangup);
    let (r, bye, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(CALLER));
    assert_eq!(
        bye.uri.to_string(),
        "sip:sipp@127.0.0.1:5061",
        "to the caller's Contact"
    );
    assert_eq!(bye.headers.to().unwrap().tag(), Some(A_TAG));
    assert_eq!(outs.events(), vec![ended(HangupCause::Hangup)]);
    assert!(!sim.call.is_terminated(), "waits for the BYE's answer");
    sim.at(30.1);
    sim.respond(r, reply(&bye, 200, "x", 5061, None));
    assert!(sim.call.is_terminated());
    assert!(sim.input(CallInput::Hangup).is_empty());
    assert_eq!(sim.ended().len(), 1);
}

#[test]
fn an_unanswered_bye_lingers_then_the_local_call_terminates() {
    let mut sim = acked();
    sim.at(10.0);
    sim.input(CallInput::Hangup);
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(42))
    );
    sim.tick(42.0);
    assert!(sim.call.is_terminated());
}

#[test]
fn rfc3264_8_4_hold_and_resume_are_answered_locally_and_recorded() {
    let mut sim = acked();
    sim.at(3.0);
    let (tx, hold) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp_te(2, "sendonly"),
    );
    let outs = sim.send_request(tx, hold, CALLER);
    let ok = outs.one_response(200);
    assert!(outs.sends().is_empty(), "no leg B to tell");
    let (addr, dir) = sdp_audio(&ok.body);
    assert_eq!((addr.port(), dir.as_str()), (A_PORT, "recvonly"));
    assert!(
        outs.media().contains(&MediaCommand::Hold {
            side: Side::A,
            on_hold: true
        }),
        "{outs:#?}"
    );
    assert!(sim.call.caller_on_hold());
    sim.a_ack(2, "");

    sim.at(8.0);
    let (tx, resume) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp_te(3, "sendrecv"),
    );
    let outs = sim.send_request(tx, resume, CALLER);
    let (_, dir) = sdp_audio(&outs.one_response(200).body);
    assert_eq!(dir, "sendrecv");
    assert!(outs.media().contains(&MediaCommand::Hold {
        side: Side::A,
        on_hold: false
    }));
    assert!(!sim.call.caller_on_hold());
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3264_a_reinvite_without_sdp_gets_our_offer_and_a_codec_change_is_refused() {
    let mut sim = acked();
    sim.at(2.0);
    let (tx, reinvite) = sim.a_request("INVITE", None, "", "");
    let outs = sim.send_request(tx, reinvite, CALLER);
    let body = String::from_utf8(outs.one_response(200).body.clone()).unwrap();
    assert!(
        body.contains(&format!("m=audio {A_PORT} RTP/AVP 8 101")),
        "{body}"
    );
    sim.a_ack(2, &caller_sdp_te(2, "sendrecv"));
    let pcmu = caller_sdp(3, "sendrecv")
        .replace("RTP/AVP 8", "RTP/AVP 0")
        .replace("8 PCMA/8000", "0 PCMU/8000");
    let (tx, reinvite) = sim.a_request("INVITE", None, "Content-Type: application/sdp", &pcmu);
    assert_eq!(sim.send_request(tx, reinvite, CALLER).statuses(), vec![488]);
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3261_11_options_inside_a_local_call_gets_200_with_allow() {
    let mut sim = acked();
    let (tx, options) = sim.a_request("OPTIONS", None, "", "");
    let outs = sim.send_request(tx, options, CALLER);
    let ok = outs.one_response(200);
    assert!(
        ok.headers
            .get(&HeaderName::Allow)
            .is_some_and(|a| a.contains("BYE"))
    );
    assert!(outs.events().is_empty());
}

#[test]
fn ivr_1_sip_info_dtmf_relay_and_dtmf_bodies_become_dtmf_events() {
    let mut sim = acked();
    sim.at(4.0);
    let (tx, info) = sim.a_request(
        "INFO",
        None,
        "Content-Type: application/dtmf-relay",
        "Signal=5\r\nDuration=160\r\n",
    );
    let outs = sim.send_request(tx, info, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    assert!(outs.sends().is_empty());
    assert_eq!(outs.events(), vec![dtmf('5', DtmfSource::SipInfo)]);

    let (tx, info) = sim.a_request("INFO", None, "Content-Type: application/dtmf", "#");
    let outs = sim.send_request(tx, info, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    assert_eq!(outs.events(), vec![dtmf('#', DtmfSource::SipInfo)]);

    // Event codes for * and #, as some phones send them.
    let (tx, info) = sim.a_request(
        "INFO",
        None,
        "Content-Type: application/dtmf-relay",
        "Signal=10\r\nDuration=100\r\n",
    );
    assert_eq!(
        sim.send_request(tx, info, CALLER).events(),
        vec![dtmf('*', DtmfSource::SipInfo)]
    );

    // Anything else is acknowledged and reports nothing.
    for (ct, body) in [
        ("application/dtmf-relay", "Signal=Z\r\nDuration=160\r\n"),
        ("application/dtmf-relay", "Duration=160\r\n"),
        ("application/media_control+xml", "<media_control/>"),
    ] {
        let (tx, info) = sim.a_request("INFO", None, &format!("Content-Type: {ct}"), body);
        let outs = sim.send_request(tx, info, CALLER);
        assert_eq!(outs.statuses(), vec![200], "{ct}");
        assert!(outs.events().is_empty(), "{ct}: {outs:#?}");
    }
    assert!(sim.ended().is_empty());
}

#[test]
fn ivr_1_rfc4733_digits_from_the_relay_are_reemitted_as_the_same_event() {
    let mut sim = acked();
    sim.at(6.0);
    let started = sim.now;
    let outs = sim.input(CallInput::Dtmf {
        digit: '1',
        started,
    });
    assert_eq!(outs.events(), vec![dtmf('1', DtmfSource::Rfc4733)]);
    assert!(outs.responds().is_empty() && outs.sends().is_empty() && outs.media().is_empty());
    // Something that is not a key is dropped.
    assert!(
        sim.input(CallInput::Dtmf {
            digit: 'x',
            started
        })
        .is_empty()
    );
}

#[test]
fn ivr_4_play_stop_and_playback_done_drive_the_relay_and_report_back() {
    let mut sim = acked();
    sim.at(0.5);
    let outs = sim.input(CallInput::Play {
        prompts: vec!["it/benvenuto".into(), "it/n3".into()],
        barge_in: true,
    });
    assert_eq!(
        outs.media(),
        vec![MediaCommand::Play {
            side: Side::A,
            prompts: vec!["it/benvenuto".into(), "it/n3".into()],
            barge_in: true
        }]
    );
    sim.at(2.5);
    let outs = sim.input(CallInput::PlaybackDone { completed: true });
    assert_eq!(
        outs.events(),
        vec![CallEvent::PlaybackDone { completed: true }]
    );

    sim.input(CallInput::Play {
        prompts: vec!["it/attendere".into()],
        barge_in: false,
    });
    let outs = sim.input(CallInput::StopPlayback);
    assert_eq!(outs.media(), vec![MediaCommand::Stop { side: Side::A }]);
    let outs = sim.input(CallInput::PlaybackDone { completed: false });
    assert_eq!(
        outs.events(),
        vec![CallEvent::PlaybackDone { completed: false }]
    );
}

#[test]
fn ivr_4_play_on_a_bridged_call_ends_at_once_unplayed() {
    let mut sim = Sim::confirmed();
    let outs = sim.input(CallInput::Play {
        prompts: vec!["it/benvenuto".into()],
        barge_in: false,
    });
    assert!(outs.media().is_empty());
    assert_eq!(
        outs.events(),
        vec![CallEvent::PlaybackDone { completed: false }]
    );
    // After the call ended nothing is reported at all.
    sim.input(CallInput::Hangup);
    assert!(
        sim.input(CallInput::Play {
            prompts: vec!["it/benvenuto".into()],
            barge_in: false
        })
        .is_empty()
    );
}

#[test]
fn ivr_1_digits_before_the_answer_or_after_the_end_are_not_reported() {
    let (mut sim, _) = Sim::direct();
    let started = sim.now;
    assert!(
        sim.input(CallInput::Dtmf {
            digit: '1',
            started
        })
        .events()
        .is_empty(),
        "still ringing"
    );
    let mut sim = acked();
    sim.input(CallInput::Hangup);
    assert!(
        sim.input(CallInput::Dtmf {
            digit: '1',
            started
        })
        .events()
        .is_empty(),
        "ended"
    );
}

#[test]
fn ivr_1_info_dtmf_on_a_bridged_call_is_relayed_and_reported() {
    let mut sim = Sim::confirmed();
    sim.at(5.0);
    let (tx, info) = sim.a_request(
        "INFO",
        None,
        "Content-Type: application/dtmf-relay",
        "Signal=7\r\nDuration=160\r\n",
    );
    let outs = sim.send_request(tx, info, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    let (_, relayed, to) = outs.one_sent(Method::Info);
    assert_eq!(to, udp("127.0.0.1:5091"));
    assert_eq!(relayed.body, b"Signal=7\r\nDuration=160\r\n");
    assert_eq!(outs.events(), vec![dtmf('7', DtmfSource::SipInfo)]);
    // The callee's keys are relayed to the caller but are not the caller's digits.
    let (tx, info) = sim.b_request(
        "INFO",
        "Content-Type: application/dtmf-relay",
        "Signal=8\r\nDuration=160\r\n",
    );
    let outs = sim.send_request(tx, info, "127.0.0.1:5091");
    assert_eq!(outs.sent(Method::Info).len(), 1);
    assert!(outs.events().is_empty());
    // RFC 4733 digits of a bridged caller are reported too.
    let started = sim.now;
    assert_eq!(
        sim.input(CallInput::Dtmf {
            digit: '9',
            started
        })
        .events(),
        vec![dtmf('9', DtmfSource::Rfc4733)]
    );
}

#[test]
fn media_inactivity_ends_a_local_call() {
    let mut sim = acked();
    sim.at(60.0);
    let outs = sim.input(CallInput::MediaInactive);
    outs.one_sent(Method::Bye);
    assert_eq!(outs.events(), vec![ended(HangupCause::MediaTimeout)]);
}

#[test]
fn rfc3261_13_3_1_4_an_unacknowledged_local_answer_is_hung_up() {
    let (mut sim, _) = Sim::local();
    sim.at(32.0);
    let tx = sim.a_tx;
    let outs = sim.input(CallInput::AckTimeout { tx });
    outs.one_sent(Method::Bye);
    assert_eq!(outs.events(), vec![ended(HangupCause::AckTimeout)]);
}

#[test]
fn rfc4028_session_timers_run_on_a_local_call() {
    // The caller asks to be the refresher; a missed refresh ends the call.
    let extra = format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 90;refresher=uac");
    let invite = caller_invite(
        &extra,
        Some("application/sdp"),
        &caller_sdp_te(1, "sendrecv"),
    );
    let (mut sim, outs) = Sim::start_local(&invite, config_with_timers()).unwrap();
    let se = outs
        .one_response(200)
        .headers
        .get(&HeaderName::SessionExpires)
        .unwrap()
        .to_owned();
    assert!(se.starts_with("90") && se.contains("refresher=uac"), "{se}");
    sim.a_ack(1, "");
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(60))
    );
    sim.at(40.0);
    let (tx, update) = sim.a_request(
        "UPDATE",
        None,
        "Supported: timer\nSession-Expires: 90;refresher=uac",
        "",
    );
    assert_eq!(sim.send_request(tx, update, CALLER).statuses(), vec![200]);
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(100))
    );
    let outs = sim.tick(100.0);
    outs.one_sent(Method::Bye);
    assert_eq!(outs.events(), vec![ended(HangupCause::SessionExpired)]);
}

#[test]
fn rfc4028_we_refresh_a_local_call_when_we_are_the_refresher() {
    let extra = format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 1800;refresher=uas");
    let invite = caller_invite(
        &extra,
        Some("application/sdp"),
        &caller_sdp_te(1, "sendrecv"),
    );
    let (mut sim, _) = Sim::start_local(&invite, config_with_timers()).unwrap();
    sim.a_ack(1, "");
    let due = sim.call.poll_timeout().expect("a refresh is scheduled");
    let secs = (due - sim.base).as_secs_f64();
    assert!((899.0..=901.0).contains(&secs), "half the interval: {secs}");
    let outs = sim.tick(secs);
    let (r, refresh, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(CALLER));
    assert_eq!(sdp_audio(&refresh.body).0.port(), A_PORT);
    let outs = sim.respond(
        r,
        reply(
            &refresh,
            200,
            "x",
            5061,
            Some(&caller_sdp_te(2, "sendrecv")),
        ),
    );
    assert_eq!(outs.acks().len(), 1, "our refresh's 2xx is acknowledged");
    assert!(sim.ended().is_empty());
}
