//! Transcript tests of call set-up: the direct call, forking, failures, failover
//! [TEL-2], refusals and the late offer (RFC 3261 §13, §16.7, RFC 3264).

mod support;

use call_control::io::{CallEvent, CallInput, HangupCause, MediaCommand, Side};
use sip_message::{HeaderName, Method, StatusCode};
use support::*;

fn ended(cause: HangupCause) -> CallEvent {
    CallEvent::Ended { cause }
}

#[test]
fn rfc3261_direct_call_from_invite_to_caller_bye() {
    let (mut sim, outs) = Sim::direct();
    // The caller's media address is known from its offer.
    assert!(outs.media().contains(&MediaCommand::SetRemote {
        side: Side::A,
        rtp: CALLER_RTP.parse().unwrap()
    }));
    assert!(
        outs.responds().is_empty(),
        "the transaction layer sends 100, not the call"
    );
    let (req, invite, to) = outs.one_sent(Method::Invite);
    assert_eq!(invite.uri.to_string(), "sip:2001@127.0.0.1:5091");
    assert_eq!(to, udp("127.0.0.1:5091"));
    let h = &invite.headers;
    assert_ne!(h.call_id().unwrap(), A_CALL_ID, "leg B has its own Call-ID");
    let from = h.from().unwrap();
    assert_ne!(from.tag(), Some(A_TAG), "leg B has its own From tag");
    assert!(from.tag().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        from.uri.user.as_deref(),
        Some("3331234567"),
        "the agent sees the caller's number"
    );
    assert_eq!(h.to().unwrap().tag(), None);
    assert_eq!(h.content_type(), Some("application/sdp"));
    assert_eq!(
        h.max_forwards().unwrap(),
        Some(69),
        "Max-Forwards decremented"
    );
    assert_eq!(h.cseq().unwrap().method, Method::Invite);
    assert!(
        h.get(&HeaderName::Contact)
            .is_some_and(|c| c.contains("centralino@127.0.0.1:5060"))
    );
    let (addr, dir) = sdp_audio(&invite.body);
    assert_eq!(
        addr,
        format!("127.0.0.1:{B_PORT}").parse().unwrap(),
        "offer from the relay's B port"
    );
    assert_eq!(dir, "sendrecv");

    // Ringing is relayed with our tag and Contact.
    sim.at(1.0);
    let outs = sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    let ringing = outs.one_response(180);
    assert!(ringing.headers.to().unwrap().tag().is_some());
    assert!(ringing.headers.get(&HeaderName::Contact).is_some());
    assert_eq!(ringing.headers.call_id().unwrap(), A_CALL_ID);
    assert_eq!(outs.events(), vec![CallEvent::Ringing]);
    let a_tag = ringing.headers.to().unwrap().tag().unwrap().to_owned();

    // The answer: ACK to B, 200 with SDP on the A port to the caller.
    sim.at(5.0);
    sim.b_invite = Some(invite.clone());
    let outs = sim.respond(
        req,
        reply(
            &invite,
            200,
            "callee-tag",
            5091,
            Some(&callee_sdp(7000, "sendrecv")),
        ),
    );
    let acks = outs.acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].0.method, Method::Ack);
    assert_eq!(acks[0].0.headers.cseq().unwrap().seq, 1);
    assert_eq!(acks[0].0.uri.to_string(), "sip:2001@127.0.0.1:5091");
    assert_eq!(acks[0].1, udp("127.0.0.1:5091"));
    let ok = outs.one_response(200);
    assert_eq!(
        ok.headers.to().unwrap().tag(),
        Some(a_tag.as_str()),
        "the same tag as the 180"
    );
    assert_eq!(ok.headers.content_type(), Some("application/sdp"));
    assert!(ok.headers.get(&HeaderName::Contact).is_some());
    let (addr, _) = sdp_audio(&ok.body);
    assert_eq!(addr, format!("127.0.0.1:{A_PORT}").parse().unwrap());
    assert!(outs.media().contains(&MediaCommand::SetRemote {
        side: Side::B,
        rtp: "127.0.0.1:7000".parse().unwrap()
    }));
    assert_eq!(outs.events(), vec![CallEvent::Answered]);
    assert_eq!(
        sim.call.poll_timeout(),
        None,
        "no timers without session timers"
    );

    sim.at(5.1);
    assert!(sim.a_ack(1, "").is_empty());

    // The caller hangs up.
    sim.at(60.0);
    let (tx, bye) = sim.a_request("BYE", None, "", "");
    let outs = sim.send_request(tx, bye, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    let (bye_req, bye_b, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp("127.0.0.1:5091"));
    assert_eq!(
        bye_b.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert_eq!(bye_b.headers.cseq().unwrap().seq, 2);
    assert_eq!(bye_b.headers.to().unwrap().tag(), Some("callee-tag"));
    assert_eq!(outs.events(), vec![ended(HangupCause::CallerHangup)]);
    assert!(!sim.call.is_terminated());
    sim.at(60.1);
    let outs = sim.respond(bye_req, reply(&bye_b, 200, "callee-tag", 5091, None));
    assert!(outs.is_empty());
    assert!(sim.call.is_terminated());
    assert_eq!(sim.ended().len(), 1);
}

#[test]
fn rfc3261_16_7_parallel_fork_first_2xx_wins_and_a_late_2xx_is_hung_up() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![vec![
        target("2001", 5091, None),
        target("2001", 5092, None),
    ]]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let forks = outs.sent(Method::Invite);
    assert_eq!(forks.len(), 2);
    let (r1, i1, _) = (forks[0].0, forks[0].1.clone(), forks[0].2);
    let (r2, i2, to2) = (forks[1].0, forks[1].1.clone(), forks[1].2);
    assert_eq!(to2, udp("127.0.0.1:5092"));
    assert_eq!(i1.headers.call_id().unwrap(), i2.headers.call_id().unwrap());

    sim.at(1.0);
    let outs = sim.respond(r2, reply(&i2, 180, "phone-2", 5092, None));
    assert_eq!(outs.statuses(), vec![180]);
    // A second 180 is not relayed again.
    let outs = sim.respond(r1, reply(&i1, 180, "phone-1", 5091, None));
    assert!(outs.responds().is_empty());

    sim.at(3.0);
    let outs = sim.respond(
        r1,
        reply(
            &i1,
            200,
            "phone-1",
            5091,
            Some(&callee_sdp(7000, "sendrecv")),
        ),
    );
    assert_eq!(outs.statuses(), vec![200]);
    assert_eq!(outs.cancels(), vec![r2], "the losing fork is cancelled");
    assert_eq!(outs.acks().len(), 1);

    // The loser answered before our CANCEL arrived: ACK it and hang it up.
    sim.at(3.1);
    let outs = sim.respond(
        r2,
        reply(
            &i2,
            200,
            "phone-2",
            5092,
            Some(&callee_sdp(7002, "sendrecv")),
        ),
    );
    assert_eq!(outs.acks().len(), 1, "{outs:#?}");
    assert_eq!(outs.acks()[0].1, udp("127.0.0.1:5092"));
    let (_, bye, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp("127.0.0.1:5092"));
    assert_eq!(bye.headers.to().unwrap().tag(), Some("phone-2"));
    assert!(outs.responds().is_empty(), "the caller sees nothing of it");
    assert!(
        !outs
            .events()
            .iter()
            .any(|e| matches!(e, CallEvent::Answered))
    );
}

#[test]
fn busy_from_the_only_target_gives_the_caller_486() {
    let (mut sim, outs) = Sim::direct();
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(2.0);
    let outs = sim.respond(req, reply(&invite, 486, "callee-tag", 5091, None));
    let busy = outs.one_response(486);
    assert!(busy.headers.to().unwrap().tag().is_some());
    assert_eq!(
        outs.events(),
        vec![ended(HangupCause::Rejected(StatusCode::BUSY_HERE))]
    );
    assert!(sim.call.is_terminated());
}

/// Runs a two-fork call whose forks fail with `first` then `second` (0 = timeout).
fn two_forks_fail(first: u16, second: u16) -> (Sim, support::Outs) {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![vec![
        target("2001", 5091, None),
        target("2001", 5092, None),
    ]]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let forks: Vec<_> = outs
        .sent(Method::Invite)
        .into_iter()
        .map(|(r, q, _)| (r, q.clone()))
        .collect();
    let mut last = support::Outs::default();
    for ((r, q), status) in forks.into_iter().zip([first, second]) {
        last = if status == 0 {
            sim.input(CallInput::RequestFailed { req: r })
        } else {
            sim.respond(r, reply(&q, status, "t", 5091, None))
        };
    }
    (sim, last)
}

#[test]
fn rfc3261_16_7_best_response_when_every_fork_fails() {
    // Busy beats not-found.
    let (_, outs) = two_forks_fail(404, 486);
    assert_eq!(outs.statuses(), vec![486]);
    let (_, outs) = two_forks_fail(486, 404);
    assert_eq!(outs.statuses(), vec![486]);
    // A plain client error is passed on.
    let (_, outs) = two_forks_fail(404, 0);
    assert_eq!(outs.statuses(), vec![404]);
    // Timeouts and server errors become 480.
    let (_, outs) = two_forks_fail(0, 0);
    assert_eq!(outs.statuses(), vec![480]);
    let (_, outs) = two_forks_fail(503, 0);
    assert_eq!(outs.statuses(), vec![480]);
    assert!(outs.events().contains(&ended(HangupCause::Rejected(
        StatusCode::TEMPORARILY_UNAVAILABLE
    ))));
}

#[test]
fn rfc3261_16_7_a_6xx_wins_and_cancels_the_other_forks() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![vec![
        target("2001", 5091, None),
        target("2001", 5092, None),
    ]]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let forks: Vec<_> = outs
        .sent(Method::Invite)
        .into_iter()
        .map(|(r, q, _)| (r, q.clone()))
        .collect();
    sim.respond(forks[1].0, reply(&forks[1].1, 180, "t2", 5092, None));
    let outs = sim.respond(forks[0].0, reply(&forks[0].1, 603, "t1", 5091, None));
    assert_eq!(outs.cancels(), vec![forks[1].0]);
    assert_eq!(outs.statuses(), vec![603]);
    // The cancelled fork's 487 changes nothing.
    let outs = sim.respond(forks[1].0, reply(&forks[1].1, 487, "t2", 5092, None));
    assert!(outs.is_empty());
    assert!(sim.call.is_terminated());
    // Also when the 6xx comes after a busy.
    let (_, outs) = two_forks_fail(486, 603);
    assert_eq!(outs.statuses(), vec![603]);
}

#[test]
fn ring_timeout_cancels_leg_b_and_gives_the_caller_480() {
    let (mut sim, outs) = Sim::direct();
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(1.0);
    sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + std::time::Duration::from_secs(30))
    );
    assert!(sim.tick(29.9).is_empty());
    let outs = sim.tick(30.0);
    assert_eq!(outs.cancels(), vec![req]);
    let resp = outs.one_response(480);
    assert!(resp.headers.to().unwrap().tag().is_some());
    assert_eq!(outs.events(), vec![ended(HangupCause::NoAnswer)]);
    // B confirms the CANCEL with 487; the call is over.
    sim.at(30.1);
    let outs = sim.respond(req, reply(&invite, 487, "callee-tag", 5091, None));
    assert!(outs.is_empty());
    assert!(sim.call.is_terminated());
}

#[test]
fn caller_cancel_while_ringing_cancels_leg_b_and_answers_487() {
    let (mut sim, outs) = Sim::direct();
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(1.0);
    sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    sim.at(4.0);
    let outs = sim.input(CallInput::Cancelled);
    assert_eq!(outs.cancels(), vec![req]);
    assert_eq!(outs.statuses(), vec![487]);
    assert_eq!(outs.events(), vec![ended(HangupCause::Cancelled)]);
    // A second CANCEL changes nothing.
    assert!(sim.input(CallInput::Cancelled).is_empty());
}

#[test]
fn caller_cancel_crossing_the_callee_answer_acks_and_hangs_up_leg_b() {
    let (mut sim, outs) = Sim::direct();
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(4.0);
    sim.input(CallInput::Cancelled);
    let outs = sim.respond(
        req,
        reply(
            &invite,
            200,
            "callee-tag",
            5091,
            Some(&callee_sdp(7000, "sendrecv")),
        ),
    );
    assert_eq!(outs.acks().len(), 1);
    let (bye_req, bye, _) = outs.one_sent(Method::Bye);
    assert!(outs.responds().is_empty());
    assert_eq!(sim.ended().len(), 1);
    sim.respond(bye_req, reply(&bye, 200, "callee-tag", 5091, None));
    assert!(sim.call.is_terminated());
}

/// Runs failover from a trunk destination that fails with `status` (0 = timeout).
fn failover(status: u16) {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![
        vec![target("0212345", 5093, Some(0))],
        vec![target("0212345", 5094, Some(0))],
    ]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let (r1, i1, to1) = outs.one_sent(Method::Invite);
    assert_eq!(to1, udp("127.0.0.1:5093"));
    sim.at(5.0);
    let outs = if status == 0 {
        sim.input(CallInput::RequestFailed { req: r1 })
    } else {
        sim.respond(r1, reply(&i1, status, "t1", 5093, None))
    };
    assert!(
        outs.responds().is_empty(),
        "the caller is not answered yet: {outs:#?}"
    );
    assert_eq!(
        outs.events(),
        vec![CallEvent::TrunkResult {
            trunk: 0,
            destination: "127.0.0.1:5093".parse().unwrap(),
            ok: false
        }]
    );
    let (r2, i2, to2) = outs.one_sent(Method::Invite);
    assert_eq!(to2, udp("127.0.0.1:5094"));
    assert_ne!(r1, r2);
    sim.at(6.0);
    let outs = sim.respond(
        r2,
        reply(&i2, 200, "t2", 5094, Some(&callee_sdp(7000, "sendrecv"))),
    );
    assert_eq!(outs.statuses(), vec![200]);
    let events = outs.events();
    assert_eq!(
        events[0],
        CallEvent::TrunkResult {
            trunk: 0,
            destination: "127.0.0.1:5094".parse().unwrap(),
            ok: true
        }
    );
    assert!(events.contains(&CallEvent::Answered));
}

#[test]
fn tel_2_failover_to_the_next_group_after_a_timeout() {
    failover(0);
}

#[test]
fn tel_2_failover_to_the_next_group_after_503() {
    failover(503);
}

#[test]
fn tel_2_no_failover_after_busy_and_the_trunk_counts_as_healthy() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![
        vec![target("0212345", 5093, Some(0))],
        vec![target("0212345", 5094, Some(0))],
    ]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let (r1, i1, _) = outs.one_sent(Method::Invite);
    let outs = sim.respond(r1, reply(&i1, 486, "t1", 5093, None));
    assert!(outs.sent(Method::Invite).is_empty());
    assert_eq!(outs.statuses(), vec![486]);
    assert!(outs.events().contains(&CallEvent::TrunkResult {
        trunk: 0,
        destination: "127.0.0.1:5093".parse().unwrap(),
        ok: true
    }));
}

#[test]
fn rfc3264_no_common_codec_is_refused_488() {
    let g729 = SIPP_SDP
        .replace("RTP/AVP 8", "RTP/AVP 18")
        .replace("8 PCMA/8000", "18 G729/8000");
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), &g729);
    let (sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config(),
    )
    .unwrap();
    assert_eq!(outs.statuses(), vec![488]);
    assert!(outs.sends().is_empty());
    assert_eq!(
        outs.events(),
        vec![ended(HangupCause::Refused(StatusCode::NOT_ACCEPTABLE_HERE))]
    );
    assert!(sim.call.is_terminated());
}

#[test]
fn a_body_that_is_not_sdp_is_refused_415() {
    let invite = caller_invite(SIPP_EXTRA, Some("text/plain"), "hello");
    let (_, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config(),
    )
    .unwrap();
    assert_eq!(outs.statuses(), vec![415]);
    assert!(outs.sends().is_empty());
}

#[test]
fn rfc3261_16_3_max_forwards_zero_is_refused_483() {
    let extra = "Contact: <sip:sipp@127.0.0.1:5061>\nMax-Forwards: 0";
    let invite = caller_invite(extra, Some("application/sdp"), SIPP_SDP);
    let (_, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config(),
    )
    .unwrap();
    assert_eq!(outs.statuses(), vec![483]);
    assert!(outs.sends().is_empty());
}

#[test]
fn no_targets_is_refused_480() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let (sim, outs) = Sim::start(&invite, plan(vec![]), config()).unwrap();
    assert_eq!(outs.statuses(), vec![480]);
    let (sim2, outs2) = Sim::start(&invite, plan(vec![vec![], vec![]]), config()).unwrap();
    assert_eq!(outs2.statuses(), vec![480]);
    assert!(sim.call.is_terminated() && sim2.call.is_terminated());
}

#[test]
fn rfc3261_12_1_1_an_invite_without_contact_is_refused_400() {
    let invite = caller_invite("Max-Forwards: 70", Some("application/sdp"), SIPP_SDP);
    let Err(resp) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config(),
    ) else {
        panic!("a call without Contact must not start");
    };
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    assert!(resp.headers.to().unwrap().tag().is_some());
    assert_eq!(resp.headers.call_id().unwrap(), A_CALL_ID);
}

#[test]
fn rfc3264_late_offer_gets_our_offer_in_the_2xx_and_the_answer_in_the_ack() {
    let invite = caller_invite(SIPP_EXTRA, None, "");
    let (mut sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config(),
    )
    .unwrap();
    assert!(outs.media().is_empty(), "no caller address yet");
    let (_, b_invite, _) = outs.one_sent(Method::Invite);
    let text = String::from_utf8(b_invite.body.clone()).unwrap();
    assert!(
        text.contains(&format!("m=audio {B_PORT} RTP/AVP 8 0 101")),
        "full offer to B: {text}"
    );
    let outs = sim.answer_direct(&outs);
    let ok = outs.one_response(200);
    let (addr, dir) = sdp_audio(&ok.body);
    assert_eq!(addr.port(), A_PORT);
    assert_eq!(dir, "sendrecv");
    let our_offer = String::from_utf8(ok.body.clone()).unwrap();
    assert!(our_offer.contains("a=rtpmap:8 PCMA/8000"));
    let outs = sim.a_ack(1, &caller_sdp(1, "sendrecv"));
    assert_eq!(
        outs.media(),
        vec![MediaCommand::SetRemote {
            side: Side::A,
            rtp: CALLER_RTP.parse().unwrap()
        }]
    );
    assert!(sim.ended().is_empty());
}

#[test]
fn an_answer_without_sdp_is_hung_up_and_the_other_forks_are_cancelled() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![vec![
        target("2001", 5091, None),
        target("2001", 5092, None),
    ]]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let forks: Vec<_> = outs
        .sent(Method::Invite)
        .into_iter()
        .map(|(r, q, _)| (r, q.clone()))
        .collect();
    let outs = sim.respond(forks[0].0, reply(&forks[0].1, 200, "t1", 5091, None));
    assert_eq!(outs.acks().len(), 1);
    assert_eq!(outs.one_sent(Method::Bye).2, udp("127.0.0.1:5091"));
    assert_eq!(
        outs.cancels(),
        vec![forks[1].0],
        "the other phone stops ringing"
    );
    assert_eq!(outs.statuses(), vec![488]);
    assert_eq!(
        outs.events(),
        vec![ended(HangupCause::Refused(StatusCode::NOT_ACCEPTABLE_HERE))]
    );
}

#[test]
fn rfc3264_a_dynamic_payload_type_of_the_caller_is_kept_on_leg_a() {
    let sdp = SIPP_SDP
        .replace("RTP/AVP 8", "RTP/AVP 96")
        .replace("rtpmap:8 PCMA", "rtpmap:96 PCMA");
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), &sdp);
    let (mut sim, outs) = Sim::start(
        &invite,
        plan(vec![vec![target("2001", 5091, None)]]),
        config(),
    )
    .unwrap();
    let outs = sim.answer_direct(&outs);
    let ok = String::from_utf8(outs.one_response(200).body).unwrap();
    assert!(ok.contains("m=audio 20000 RTP/AVP 96"), "{ok}");
    assert!(outs.media().contains(&MediaCommand::PayloadMap {
        from: Side::A,
        map: vec![(96, 8)]
    }));
    sim.a_ack(1, "");
    // The callee holds: our re-INVITE to the caller keeps 96.
    let (tx, hold) = sim.b_request(
        "INVITE",
        "Content-Type: application/sdp",
        &callee_sdp(7000, "sendonly"),
    );
    let outs = sim.send_request(tx, hold, "127.0.0.1:5091");
    assert!(outs.media().contains(&MediaCommand::Hold {
        side: Side::B,
        on_hold: true
    }));
    let (r, to_a, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(CALLER));
    assert_eq!(to_a.headers.to().unwrap().tag(), Some(A_TAG));
    let offer = String::from_utf8(to_a.body.clone()).unwrap();
    assert!(
        offer.contains("m=audio 20000 RTP/AVP 96") && offer.contains("a=sendonly"),
        "{offer}"
    );
    let outs = sim.respond(
        r,
        reply(&to_a, 200, A_TAG, 5061, Some(&caller_sdp(3, "recvonly"))),
    );
    assert_eq!(outs.acks()[0].1, udp(CALLER));
    assert_eq!(sdp_audio(&outs.one_response(200).body).1, "recvonly");
}

#[test]
fn media_inactivity_while_ringing_does_not_end_the_call() {
    let (mut sim, _) = Sim::direct();
    sim.at(20.0);
    assert!(
        sim.input(CallInput::MediaInactive).is_empty(),
        "no RTP is expected before the answer"
    );
    assert!(sim.ended().is_empty());
}

/// A silent primary (not even 100 Trying) is given up after the no-response timeout
/// (4 s here), long before Timer B and the ring timeout: the backup group is rung
/// and the caller never notices [TEL-2].
#[test]
fn tel_2_a_silent_primary_fails_over_to_the_backup_within_seconds() {
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![
        vec![target("0212345", 5093, Some(0))],
        vec![target("0212345", 5094, Some(0))],
    ]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let (r1, _, _) = outs.one_sent(Method::Invite);
    let outs = sim.tick(3.9);
    assert!(outs.sent(Method::Invite).is_empty(), "still waiting for the primary");
    let outs = sim.tick(4.0);
    assert_eq!(outs.cancels(), vec![r1], "the silent INVITE is cancelled");
    let backup = outs.sent(Method::Invite);
    assert_eq!(backup.len(), 1, "the backup group is rung");
    assert!(outs.statuses().is_empty(), "the caller is still waiting");
    // A primary that answers 100 Trying in time is not given up.
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
    let p = plan(vec![vec![target("0212345", 5093, Some(0))], vec![target("0212345", 5094, Some(0))]]);
    let (mut sim, outs) = Sim::start(&invite, p, config()).unwrap();
    let (r1, req, _) = outs.one_sent(Method::Invite);
    sim.at(0.1);
    sim.respond(r1, reply(&req, 100, "t", 5093, None));
    let outs = sim.tick(10.0);
    assert!(outs.sent(Method::Invite).is_empty() && outs.cancels().is_empty());
}
