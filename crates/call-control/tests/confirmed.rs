//! Transcript tests of the bridged call: hangups, hold and re-INVITE glare, in-dialog
//! requests, session timers and media/ACK timeouts (RFC 3261 §12-§15, RFC 4028).

mod support;

use std::time::Duration;

use call_control::io::{CallEvent, CallInput, HangupCause, MediaCommand, Side};
use sip_message::{HeaderName, Method};
use support::*;

fn ended(cause: HangupCause) -> CallEvent {
    CallEvent::Ended { cause }
}

/// Asserts that `outs` holds a BYE to each leg and returns their refs and requests.
fn byes_to_both(outs: &Outs) -> Vec<(call_control::io::ReqRef, sip_message::Request)> {
    let byes = outs.sent(Method::Bye);
    assert_eq!(byes.len(), 2, "{outs:#?}");
    let peers: Vec<_> = byes.iter().map(|(_, _, p)| *p).collect();
    assert!(peers.contains(&udp(CALLER)) && peers.contains(&udp("127.0.0.1:5091")));
    byes.into_iter().map(|(r, q, _)| (r, q.clone())).collect()
}

#[test]
fn rfc3261_15_callee_hangup_answers_200_and_byes_the_caller() {
    let mut sim = Sim::confirmed();
    sim.at(30.0);
    let (tx, bye) = sim.b_request("BYE", "", "");
    let outs = sim.send_request(tx, bye, "127.0.0.1:5091");
    assert_eq!(outs.responds(), vec![(tx, &outs.one_response(200))]);
    let (r, bye_a, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(CALLER));
    assert_eq!(
        bye_a.uri.to_string(),
        "sip:sipp@127.0.0.1:5061",
        "to the caller's Contact"
    );
    assert_eq!(bye_a.headers.call_id().unwrap(), A_CALL_ID);
    assert_eq!(bye_a.headers.to().unwrap().tag(), Some(A_TAG));
    assert_eq!(
        bye_a.headers.from().unwrap().tag(),
        sim.a_local_tag.as_deref()
    );
    assert_eq!(outs.events(), vec![ended(HangupCause::CalleeHangup)]);
    // A crossing BYE from the caller is answered 200 and ends nothing twice.
    let (tx2, bye2) = sim.a_request("BYE", None, "", "");
    let outs = sim.send_request(tx2, bye2, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    sim.respond(r, reply(&bye_a, 200, "x", 5061, None));
    assert!(sim.call.is_terminated());
    assert_eq!(sim.ended().len(), 1);
}

#[test]
fn unanswered_byes_linger_then_the_call_terminates() {
    let mut sim = Sim::confirmed();
    sim.at(30.0);
    let outs = sim.input(CallInput::Hangup);
    byes_to_both(&outs);
    assert_eq!(outs.events(), vec![ended(HangupCause::Hangup)]);
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(62))
    );
    assert!(!sim.call.is_terminated());
    sim.tick(62.0);
    assert!(sim.call.is_terminated());
}

#[test]
fn rfc3264_8_4_hold_from_the_caller_is_relayed_as_a_reinvite_to_leg_b() {
    let mut sim = Sim::confirmed();
    sim.at(10.0);
    let (tx, reinvite) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp(2, "sendonly"),
    );
    let outs = sim.send_request(tx, reinvite, CALLER);
    assert!(
        outs.media().contains(&MediaCommand::Hold {
            side: Side::A,
            on_hold: true
        }),
        "{outs:#?}"
    );
    assert!(outs.responds().is_empty(), "the caller waits for leg B");
    let (r, to_b, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp("127.0.0.1:5091"));
    assert_eq!(to_b.headers.cseq().unwrap().seq, 2);
    let (addr, dir) = sdp_audio(&to_b.body);
    assert_eq!((addr.port(), dir.as_str()), (B_PORT, "sendonly"));

    // Glare: a second re-INVITE from either side while this one is pending.
    let (tx2, again) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp(3, "sendrecv"),
    );
    assert_eq!(sim.send_request(tx2, again, CALLER).statuses(), vec![491]);
    let (tx3, from_b) = sim.b_request(
        "INVITE",
        "Content-Type: application/sdp",
        &callee_sdp(7000, "sendrecv"),
    );
    assert_eq!(
        sim.send_request(tx3, from_b, "127.0.0.1:5091").statuses(),
        vec![491]
    );

    sim.at(10.2);
    let outs = sim.respond(
        r,
        reply(
            &to_b,
            200,
            "callee-tag",
            5091,
            Some(&callee_sdp(7000, "recvonly")),
        ),
    );
    let acks = outs.acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].0.headers.cseq().unwrap().seq, 2);
    let ok = outs.one_response(200);
    assert_eq!(outs.responds()[0].0, tx);
    let (addr, dir) = sdp_audio(&ok.body);
    assert_eq!((addr.port(), dir.as_str()), (A_PORT, "recvonly"));
    assert!(ok.headers.get(&HeaderName::Contact).is_some());

    // Resume.
    sim.at(20.0);
    let (tx, resume) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp(4, "sendrecv"),
    );
    let outs = sim.send_request(tx, resume, CALLER);
    assert!(outs.media().contains(&MediaCommand::Hold {
        side: Side::A,
        on_hold: false
    }));
    let (r, to_b, _) = outs.one_sent(Method::Invite);
    assert_eq!(sdp_audio(&to_b.body).1, "sendrecv");
    let outs = sim.respond(
        r,
        reply(
            &to_b,
            200,
            "callee-tag",
            5091,
            Some(&callee_sdp(7000, "sendrecv")),
        ),
    );
    assert_eq!(sdp_audio(&outs.one_response(200).body).1, "sendrecv");
}

#[test]
fn a_refused_relayed_reinvite_is_refused_to_its_originator() {
    let mut sim = Sim::confirmed();
    let (tx, reinvite) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp(2, "sendonly"),
    );
    let outs = sim.send_request(tx, reinvite, CALLER);
    let (r, to_b, _) = outs.one_sent(Method::Invite);
    let outs = sim.respond(r, reply(&to_b, 491, "callee-tag", 5091, None));
    assert_eq!(outs.statuses(), vec![491]);
    // The relay takes the caller off hold again: the hold never happened.
    assert_eq!(
        outs.media(),
        vec![MediaCommand::Hold {
            side: Side::A,
            on_hold: false
        }]
    );
    // A new re-INVITE may go out afterwards.
    let (tx, reinvite) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp(3, "sendonly"),
    );
    let outs = sim.send_request(tx, reinvite, CALLER);
    let (r, _, _) = outs.one_sent(Method::Invite);
    let outs = sim.input(CallInput::RequestFailed { req: r });
    assert_eq!(outs.statuses(), vec![408]);
}

#[test]
fn rfc4028_a_reinvite_with_the_same_direction_is_answered_locally() {
    let mut sim = Sim::confirmed();
    sim.at(10.0);
    let (tx, refresh) = sim.a_request("INVITE", None, "Content-Type: application/sdp", SIPP_SDP);
    let outs = sim.send_request(tx, refresh, CALLER);
    assert!(outs.sends().is_empty(), "nothing to tell leg B: {outs:#?}");
    let ok = outs.one_response(200);
    let (addr, dir) = sdp_audio(&ok.body);
    assert_eq!((addr.port(), dir.as_str()), (A_PORT, "sendrecv"));
    // Without SDP, our offer goes in the 2xx.
    let (tx, bare) = sim.a_request("INVITE", None, "", "");
    let outs = sim.send_request(tx, bare, CALLER);
    assert_eq!(sdp_audio(&outs.one_response(200).body).0.port(), A_PORT);
}

#[test]
fn in_dialog_options_info_and_unknown_methods() {
    let mut sim = Sim::confirmed();
    let (tx, options) = sim.a_request("OPTIONS", None, "", "");
    let outs = sim.send_request(tx, options, CALLER);
    let ok = outs.one_response(200);
    assert!(
        ok.headers
            .get(&HeaderName::Allow)
            .is_some_and(|a| a.contains("INVITE"))
    );

    let dtmf = "Signal=5\r\nDuration=160\r\n";
    let (tx, info) = sim.a_request("INFO", None, "Content-Type: application/dtmf-relay", dtmf);
    let outs = sim.send_request(tx, info, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    let (r, relayed, to) = outs.one_sent(Method::Info);
    assert_eq!(to, udp("127.0.0.1:5091"));
    assert_eq!(relayed.body, dtmf.as_bytes());
    assert_eq!(
        relayed.headers.content_type(),
        Some("application/dtmf-relay")
    );
    // Its answer does not matter, even a failure.
    assert!(
        sim.respond(r, reply(&relayed, 415, "callee-tag", 5091, None))
            .is_empty()
    );
    // And the other way round.
    let (tx, info) = sim.b_request("INFO", "Content-Type: application/dtmf-relay", dtmf);
    let outs = sim.send_request(tx, info, "127.0.0.1:5091");
    assert_eq!(outs.one_sent(Method::Info).2, udp(CALLER));

    let (tx, message) = sim.a_request("MESSAGE", None, "Content-Type: text/plain", "hi");
    let outs = sim.send_request(tx, message, CALLER);
    let resp = &outs.responds()[0].1;
    assert!(matches!(resp.status.0, 405 | 501), "{resp:?}");
    assert!(resp.headers.get(&HeaderName::Allow).is_some());
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3261_12_2_2_a_lower_cseq_is_answered_500() {
    let mut sim = Sim::confirmed();
    let (tx, options) = sim.a_request("OPTIONS", Some(10), "", "");
    assert_eq!(sim.send_request(tx, options, CALLER).statuses(), vec![200]);
    let (tx, old) = sim.a_request("OPTIONS", Some(5), "", "");
    assert_eq!(sim.send_request(tx, old, CALLER).statuses(), vec![500]);
    let (tx, bye) = sim.a_request("BYE", Some(9), "", "");
    let outs = sim.send_request(tx, bye, CALLER);
    assert_eq!(outs.statuses(), vec![500]);
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3261_12_2_2_unknown_dialogs_are_answered_481() {
    let mut sim = Sim::confirmed();
    let head = "OPTIONS sip:centralino@127.0.0.1:5060 SIP/2.0\n\
                Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-stranger\n\
                From: <sip:x@127.0.0.1>;tag=x\nTo: <sip:y@127.0.0.1>;tag=y\n\
                Call-ID: nobody@127.0.0.1\nCSeq: 5 OPTIONS\nMax-Forwards: 70";
    let (tx, req) = sim.mint_request(head, "", CALLER);
    assert_eq!(sim.send_request(tx, req, CALLER).statuses(), vec![481]);
    // The right Call-ID with a tag of another dialog (a losing fork's BYE) is not ours either.
    let our_from = sim
        .b_invite
        .clone()
        .unwrap()
        .headers
        .get(&HeaderName::From)
        .unwrap()
        .to_owned();
    let b_call_id = sim.call.call_ids()[1].to_owned();
    let head = format!(
        "BYE sip:centralino@127.0.0.1:5060 SIP/2.0\n\
         Via: SIP/2.0/UDP 127.0.0.1:5092;branch=z9hG4bK-loser\n\
         From: <sip:2001@127.0.0.1:5092>;tag=phone-2\nTo: {our_from}\n\
         Call-ID: {b_call_id}\nCSeq: 7 BYE\nMax-Forwards: 70"
    );
    let (tx, bye) = sim.mint_request(&head, "", "127.0.0.1:5092");
    let outs = sim.send_request(tx, bye, "127.0.0.1:5092");
    assert_eq!(outs.statuses(), vec![481]);
    assert!(outs.sends().is_empty());
    assert!(sim.ended().is_empty(), "the bridged call stays up");
}

fn timer_call() -> Sim {
    let extra = format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 90;refresher=uac");
    let invite = caller_invite(&extra, Some("application/sdp"), SIPP_SDP);
    let (mut sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config_with_timers(),
    )
    .unwrap();
    let outs = sim.answer_direct(&outs);
    let ok = outs.one_response(200);
    let se = ok
        .headers
        .get(&HeaderName::SessionExpires)
        .expect("Session-Expires in our 2xx");
    assert!(se.starts_with("90") && se.contains("refresher=uac"), "{se}");
    assert!(
        ok.headers
            .get_all(&HeaderName::Require)
            .any(|v| v.contains("timer"))
    );
    sim.a_ack(1, "");
    sim
}

#[test]
fn rfc4028_10_a_silent_refresher_gets_both_legs_hung_up() {
    let mut sim = timer_call();
    // 90 s minus min(32, 90/3) = 60 s.
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(60))
    );
    assert!(sim.tick(59.0).sends().is_empty());
    let outs = sim.tick(60.0);
    byes_to_both(&outs);
    assert_eq!(outs.events(), vec![ended(HangupCause::SessionExpired)]);
}

#[test]
fn rfc4028_a_refresh_in_time_keeps_the_call_up() {
    let mut sim = timer_call();
    sim.at(40.0);
    let (tx, refresh) = sim.a_request(
        "INVITE",
        None,
        "Supported: timer\nSession-Expires: 90;refresher=uac\nContent-Type: application/sdp",
        SIPP_SDP,
    );
    let outs = sim.send_request(tx, refresh, CALLER);
    let ok = outs.one_response(200);
    assert!(ok.headers.get(&HeaderName::SessionExpires).is_some());
    assert!(sim.tick(60.0).is_empty());
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(100))
    );
    sim.at(90.0);
    let (tx, update) = sim.a_request(
        "UPDATE",
        None,
        "Supported: timer\nSession-Expires: 90;refresher=uac",
        "",
    );
    let outs = sim.send_request(tx, update, CALLER);
    assert!(
        outs.one_response(200)
            .headers
            .get(&HeaderName::SessionExpires)
            .is_some()
    );
    assert!(sim.tick(120.0).is_empty());
    assert!(sim.ended().is_empty());
    let outs = sim.tick(150.0);
    byes_to_both(&outs);
}

/// A call whose callee ignores session timers: we refresh leg B every 900 s.
fn refresher_call() -> (Sim, call_control::io::ReqRef, sip_message::Request) {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let (mut sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config_with_timers(),
    )
    .unwrap();
    let (_, b_invite, _) = outs.one_sent(Method::Invite);
    assert!(b_invite.headers.get(&HeaderName::SessionExpires).is_some());
    let outs = sim.answer_direct(&outs);
    assert!(
        outs.one_response(200)
            .headers
            .get(&HeaderName::SessionExpires)
            .is_none(),
        "the caller did not ask"
    );
    sim.a_ack(1, "");
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(900))
    );
    let outs = sim.tick(900.0);
    let (r, refresh, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp("127.0.0.1:5091"));
    assert!(
        refresh
            .headers
            .get(&HeaderName::SessionExpires)
            .is_some_and(|v| v.contains("refresher=uac"))
    );
    assert_eq!(sdp_audio(&refresh.body).0.port(), B_PORT);
    (sim, r, refresh)
}

#[test]
fn rfc4028_we_refresh_leg_b_at_half_the_interval() {
    let (mut sim, r, refresh) = refresher_call();
    let outs = sim.respond(
        r,
        reply(
            &refresh,
            200,
            "callee-tag",
            5091,
            Some(&callee_sdp(7000, "sendrecv")),
        ),
    );
    let acks = outs.acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(
        acks[0].0.headers.cseq().unwrap().seq,
        refresh.headers.cseq().unwrap().seq
    );
    assert!(sim.tick(1700.0).sends().is_empty());
    assert_eq!(
        sim.tick(1800.0).sent(Method::Invite).len(),
        1,
        "the next refresh"
    );
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc4028_10_a_481_or_408_to_our_refresh_ends_the_call() {
    for status in [481, 408] {
        let (mut sim, r, refresh) = refresher_call();
        let outs = sim.respond(r, reply(&refresh, status, "callee-tag", 5091, None));
        assert_eq!(
            outs.events(),
            vec![ended(HangupCause::SessionExpired)],
            "{status}"
        );
        assert!(
            outs.sent(Method::Bye)
                .iter()
                .any(|(_, _, p)| *p == udp(CALLER))
        );
    }
    let (mut sim, r, _) = refresher_call();
    let outs = sim.input(CallInput::RequestFailed { req: r });
    assert_eq!(outs.events(), vec![ended(HangupCause::SessionExpired)]);
}

#[test]
fn media_inactivity_hangs_up_both_legs() {
    let mut sim = Sim::confirmed();
    sim.at(100.0);
    let outs = sim.input(CallInput::MediaInactive);
    let byes = byes_to_both(&outs);
    assert_eq!(outs.events(), vec![ended(HangupCause::MediaTimeout)]);
    assert!(sim.input(CallInput::MediaInactive).is_empty());
    for (r, q) in byes {
        sim.respond(r, reply(&q, 200, "x", 5091, None));
    }
    assert!(sim.call.is_terminated());
}

#[test]
fn rfc3261_13_3_1_4_an_unacknowledged_2xx_hangs_up_both_legs() {
    let (mut sim, outs) = Sim::direct();
    sim.answer_direct(&outs);
    // An AckTimeout of another transaction is not about the call's INVITE.
    let (tx, options) = sim.a_request("OPTIONS", None, "", "");
    sim.send_request(tx, options, CALLER);
    assert!(sim.input(CallInput::AckTimeout { tx }).is_empty());
    sim.at(32.0);
    let a_tx = sim.a_tx;
    let outs = sim.input(CallInput::AckTimeout { tx: a_tx });
    byes_to_both(&outs);
    assert_eq!(outs.events(), vec![ended(HangupCause::AckTimeout)]);
}

#[test]
fn rfc3261_15_1_2_a_bye_during_a_relayed_reinvite_answers_it_487() {
    let mut sim = Sim::confirmed();
    let (tx, reinvite) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp(2, "sendonly"),
    );
    sim.send_request(tx, reinvite, CALLER);
    let (bye_tx, bye) = sim.b_request("BYE", "", "");
    let outs = sim.send_request(bye_tx, bye, "127.0.0.1:5091");
    let answered: Vec<_> = outs
        .responds()
        .into_iter()
        .map(|(t, r)| (t, r.status.0))
        .collect();
    assert!(
        answered.contains(&(bye_tx, 200)) && answered.contains(&(tx, 487)),
        "{answered:?}"
    );
    assert_eq!(outs.events(), vec![ended(HangupCause::CalleeHangup)]);
}

#[test]
fn rfc4028_4_a_callee_interval_below_min_se_is_raised_to_it() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let (mut sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config_with_timers(),
    )
    .unwrap();
    let (req, b_invite, _) = outs.one_sent(Method::Invite);
    sim.b_invite = Some(b_invite.clone());
    let mut ok = reply(
        &b_invite,
        200,
        "callee-tag",
        5091,
        Some(&callee_sdp(7000, "sendrecv")),
    );
    ok.headers
        .push(HeaderName::SessionExpires, "10;refresher=uac");
    sim.respond(req, ok);
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(45)),
        "half of Min-SE, not 5 s"
    );
}

#[test]
fn rfc3261_13_2_2_4_a_retransmitted_2xx_from_the_callee_is_acked_again() {
    let (mut sim, outs) = Sim::direct();
    let (req, invite, _) = outs.one_sent(Method::Invite);
    let ok = reply(
        &invite,
        200,
        "callee-tag",
        5091,
        Some(&callee_sdp(7000, "sendrecv")),
    );
    sim.b_invite = Some(invite);
    let first = sim.respond(req, ok.clone());
    let again = sim.respond(req, ok);
    assert_eq!(again.acks(), first.acks());
    assert!(again.responds().is_empty() && again.events().is_empty());
}

#[test]
fn rfc4028_when_the_caller_asks_us_to_refresh_we_reinvite_leg_a() {
    let extra = format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 120;refresher=uas");
    let invite = caller_invite(&extra, Some("application/sdp"), SIPP_SDP);
    let (mut sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config_with_timers(),
    )
    .unwrap();
    let outs = sim.answer_direct(&outs);
    let se = outs
        .one_response(200)
        .headers
        .get(&HeaderName::SessionExpires)
        .unwrap()
        .to_owned();
    assert!(
        se.starts_with("120") && se.contains("refresher=uas"),
        "{se}"
    );
    let a_sdp = outs.one_response(200).body;
    sim.a_ack(1, "");
    let outs = sim.tick(60.0);
    let (r, refresh, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(CALLER));
    assert_eq!(refresh.headers.call_id().unwrap(), A_CALL_ID);
    assert_eq!(
        refresh.body, a_sdp,
        "the same SDP, the same version (RFC 3264 §8)"
    );
    let outs = sim.respond(r, reply(&refresh, 200, A_TAG, 5061, Some(SIPP_SDP)));
    assert_eq!(outs.acks()[0].1, udp(CALLER));
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3264_a_reinvite_dropping_the_bridged_codec_is_refused_488() {
    let mut sim = Sim::confirmed();
    let pcmu = caller_sdp(2, "sendrecv")
        .replace("RTP/AVP 8", "RTP/AVP 0")
        .replace("8 PCMA", "0 PCMU");
    let (tx, reinvite) = sim.a_request("INVITE", None, "Content-Type: application/sdp", &pcmu);
    let outs = sim.send_request(tx, reinvite, CALLER);
    assert_eq!(outs.statuses(), vec![488]);
    assert!(outs.sends().is_empty());
    assert!(sim.ended().is_empty());
}
