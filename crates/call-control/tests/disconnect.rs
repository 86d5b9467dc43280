//! Transcript tests of the level I → level II transfer of a queue call: the agent's leg
//! is released by `CallInput::Disconnect` (BYE, RFC 3261 §15), the caller keeps waiting
//! on the engine and can be connected to another agent [ACD-6].

mod support;

use std::time::Duration;

use call_control::io::{CallEvent, CallInput, DtmfSource, HangupCause, MediaCommand, ReqRef, Side};
use sip_message::{HeaderName, Method, Request};
use support::acd::*;
use support::*;

const AGENT2: &str = "127.0.0.1:5092";

fn ended(cause: HangupCause) -> CallEvent {
    CallEvent::Ended { cause }
}

/// A waiting call connected to the agent on 5091 at 5 s; returns the leg-B INVITE.
fn connected() -> (Sim, ReqRef, Request) {
    let mut sim = waiting();
    let outs = connect(&mut sim, 5.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(6.0);
    let outs = answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    assert_eq!(outs.events(), vec![CallEvent::Connected]);
    (sim, req, invite)
}

/// Every BYE the call ever sent to `peer`.
fn byes_to(sim: &Sim, peer: &str) -> usize {
    Outs(sim.log.clone())
        .sent(Method::Bye)
        .iter()
        .filter(|(_, _, to)| *to == udp(peer))
        .count()
}

#[test]
fn acd_6_disconnect_byes_the_agent_and_the_caller_waits_for_a_second_agent() {
    let (mut sim, _, invite) = connected();
    sim.at(30.0);
    let outs = sim.input(CallInput::Disconnect);
    // RFC 3261 §15.1.1: the agent's dialog is ended with a BYE.
    let (bye_req, bye, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(AGENT));
    assert_eq!(
        bye.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert_eq!(bye.headers.to().unwrap().tag(), Some("callee-tag"));
    assert_eq!(
        bye.headers.from().unwrap().tag(),
        invite.headers.from().unwrap().tag()
    );
    assert!(outs.responds().is_empty(), "nothing goes to the caller");
    assert_eq!(
        outs.media(),
        vec![MediaCommand::Hold {
            side: Side::B,
            on_hold: true
        }],
        "the relay sends nothing more to the released agent"
    );
    assert_eq!(
        outs.events(),
        vec![CallEvent::Disconnected],
        "at once, before the BYE's answer"
    );
    assert!(sim.call.is_local() && !sim.call.is_connecting());
    assert_eq!(sim.call.codec(Side::B), None);
    assert_eq!(
        sim.call.codec(Side::A),
        Some(sdp_offer_answer::AudioCodec::Pcma)
    );
    assert_eq!(sim.call.poll_timeout(), None);

    // The caller is an ordinary waiting caller again: music, DTMF.
    let outs = sim.input(CallInput::Play {
        prompts: vec!["it/attesa".to_owned()],
        barge_in: false,
    });
    assert_eq!(
        outs.media(),
        vec![MediaCommand::Play {
            side: Side::A,
            prompts: vec!["it/attesa".to_owned()],
            barge_in: false
        }]
    );
    let outs = sim.input(CallInput::Dtmf {
        digit: '9',
        started: sim.now,
    });
    assert_eq!(
        outs.events(),
        vec![CallEvent::Dtmf {
            digit: '9',
            via: DtmfSource::Rfc4733
        }]
    );
    // The agent's 200 to our BYE changes nothing.
    sim.at(30.1);
    assert!(
        sim.respond(bye_req, reply(&bye, 200, "callee-tag", 5091, None))
            .is_empty()
    );

    // [ACD-6] The level II agent: a new dialog (From tag) on the same leg-B Call-ID.
    let outs = connect(&mut sim, 40.0, plan(vec![vec![target("3001", 5092, None)]]));
    let (req2, invite2, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(AGENT2));
    assert_eq!(
        invite2.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    let tags = [&invite, &invite2].map(|i| i.headers.from().unwrap().tag().map(str::to_owned));
    assert_ne!(tags[0], tags[1]);
    assert_eq!(invite2.headers.cseq().unwrap().seq, 1, "a new dialog");
    sim.at(42.0);
    sim.b_tag = "agent2-tag".to_owned();
    let outs = answer(&mut sim, req2, &invite2, &callee_sdp(7002, "sendrecv"));
    assert_eq!(outs.acks().len(), 1);
    assert_eq!(outs.acks()[0].1, udp(AGENT2));
    assert_eq!(
        outs.media(),
        vec![
            MediaCommand::Stop { side: Side::A },
            MediaCommand::SetRemote {
                side: Side::B,
                rtp: "127.0.0.1:7002".parse().unwrap()
            },
            MediaCommand::Hold {
                side: Side::B,
                on_hold: false
            },
        ]
    );
    assert_eq!(outs.events(), vec![CallEvent::Connected]);
    assert!(!sim.call.is_local());

    // The level II agent hangs up: 200, BYE to the caller, one Ended.
    sim.at(120.0);
    let (tx, bye) = sim.b_request("BYE", "", "");
    let outs = sim.send_request(tx, bye, AGENT2);
    assert_eq!(outs.statuses(), vec![200]);
    let (r, bye_a, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(CALLER));
    assert_eq!(bye_a.headers.call_id().unwrap(), A_CALL_ID);
    assert_eq!(outs.events(), vec![ended(HangupCause::CalleeHangup)]);
    sim.respond(r, reply(&bye_a, 200, "x", 5061, None));
    assert!(sim.call.is_terminated());
    assert_eq!(sim.ended().len(), 1);
    assert_eq!(count(&sim, |e| *e == CallEvent::Disconnected), 1);
    assert_eq!(count(&sim, |e| *e == CallEvent::Connected), 2);
    assert_eq!(byes_to(&sim, AGENT), 1);
}

#[test]
fn acd_6_caller_bye_after_disconnect_ends_once_and_sends_no_second_bye_to_the_agent() {
    let (mut sim, _, _) = connected();
    sim.at(20.0);
    let outs = sim.input(CallInput::Disconnect);
    let (bye_req, bye, _) = outs.one_sent(Method::Bye);
    // RFC 3261 §15.1.2: the caller's BYE crosses ours to the agent.
    sim.at(20.05);
    let (tx, bye_a) = sim.a_request("BYE", None, "", "");
    let outs = sim.send_request(tx, bye_a, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    assert!(outs.sends().is_empty(), "{outs:#?}");
    assert_eq!(outs.events(), vec![ended(HangupCause::CallerHangup)]);
    assert!(
        !sim.call.is_terminated(),
        "our BYE to the agent is still out"
    );
    // A 481 to our BYE (the agent already gone) is fine too.
    let outs = sim.respond(bye_req, reply(&bye, 481, "callee-tag", 5091, None));
    assert!(outs.is_empty(), "{outs:#?}");
    assert!(sim.call.is_terminated());
    assert_eq!(sim.ended().len(), 1);
    assert_eq!(byes_to(&sim, AGENT), 1);
    assert_eq!(byes_to(&sim, CALLER), 0);
}

#[test]
fn rfc3261_15_1_2_a_bye_from_the_released_agent_crossing_ours_gets_200_and_no_event() {
    let (mut sim, _, _) = connected();
    sim.at(20.0);
    let outs = sim.input(CallInput::Disconnect);
    let (bye_req, _, _) = outs.one_sent(Method::Bye);
    sim.at(20.01);
    let (tx, bye) = sim.b_request("BYE", "", "");
    let outs = sim.send_request(tx, bye, AGENT);
    assert_eq!(outs.statuses(), vec![200]);
    assert!(outs.events().is_empty() && outs.sends().is_empty() && outs.media().is_empty());
    // Our BYE times out: nothing either.
    let outs = sim.input(CallInput::RequestFailed { req: bye_req });
    assert!(outs.is_empty(), "{outs:#?}");
    // Any other request on the released dialog has none (481).
    let (tx, info) = sim.b_request("INFO", "", "");
    assert_eq!(sim.send_request(tx, info, AGENT).statuses(), vec![481]);
    assert!(sim.call.is_local() && sim.ended().is_empty());
    assert_eq!(count(&sim, |e| *e == CallEvent::Disconnected), 1);
}

#[test]
fn rfc3261_13_2_2_4_a_retransmitted_2xx_of_the_released_agent_is_acked_again() {
    let (mut sim, req, invite) = connected();
    sim.input(CallInput::Disconnect);
    let outs = answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    assert_eq!(outs.acks().len(), 1);
    assert!(outs.events().is_empty() && outs.sends().is_empty());
}

#[test]
fn acd_6_disconnect_on_a_call_not_connected_from_a_queue_is_ignored() {
    // A call set up bridged.
    let mut bridged = Sim::confirmed();
    assert!(bridged.input(CallInput::Disconnect).is_empty());
    assert!(!bridged.call.is_local());
    // A local call never connected.
    let mut sim = waiting();
    assert!(sim.input(CallInput::Disconnect).is_empty());
    // A call whose agent is still ringing: the attempt goes on.
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    assert!(sim.input(CallInput::Disconnect).is_empty());
    assert!(sim.call.is_connecting());
    answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    // Connected, then disconnected once: a second Disconnect is a no-op.
    assert_eq!(
        sim.input(CallInput::Disconnect).events(),
        vec![CallEvent::Disconnected]
    );
    assert!(sim.input(CallInput::Disconnect).is_empty());
    // A call that ended.
    sim.input(CallInput::Hangup);
    assert!(sim.input(CallInput::Disconnect).is_empty());
    assert_eq!(sim.ended().len(), 1);
}

#[test]
fn acd_6_caller_hold_after_disconnect_is_answered_as_on_a_local_call() {
    let (mut sim, _, _) = connected();
    sim.at(20.0);
    sim.input(CallInput::Disconnect);
    sim.at(25.0);
    let (tx, hold) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp_te(2, "sendonly"),
    );
    let outs = sim.send_request(tx, hold, CALLER);
    assert!(
        outs.sends().is_empty(),
        "nothing relayed to the released agent"
    );
    let ok = outs.one_response(200);
    assert_eq!(
        sdp_audio(&ok.body),
        ("127.0.0.1:20000".parse().unwrap(), "recvonly".to_owned())
    );
    assert!(outs.media().contains(&MediaCommand::Hold {
        side: Side::A,
        on_hold: true
    }));
    assert!(sim.call.caller_on_hold());
    // INFO DTMF is reported as on a local call [IVR-1].
    let (tx, info) = sim.a_request(
        "INFO",
        None,
        "Content-Type: application/dtmf-relay",
        "Signal=#\r\n",
    );
    let outs = sim.send_request(tx, info, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    assert!(outs.sends().is_empty());
    assert_eq!(
        outs.events(),
        vec![CallEvent::Dtmf {
            digit: '#',
            via: DtmfSource::SipInfo
        }]
    );
}

#[test]
fn rfc3264_8_4_a_caller_held_by_the_agent_gets_a_sendrecv_reinvite_on_disconnect() {
    let (mut sim, _, _) = connected();
    // The agent puts the caller on hold before the transfer: relayed to the caller.
    sim.at(10.0);
    let (tx, hold) = sim.b_request(
        "INVITE",
        "Content-Type: application/sdp",
        &callee_sdp(7000, "sendonly").replace("o=agent 1 1", "o=agent 1 2"),
    );
    let outs = sim.send_request(tx, hold, AGENT);
    let (r, reinvite, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(CALLER));
    assert_eq!(sdp_audio(&reinvite.body).1, "sendonly");
    let outs = sim.respond(
        r,
        reply(
            &reinvite,
            200,
            "x",
            5061,
            Some(&caller_sdp_te(2, "recvonly")),
        ),
    );
    assert_eq!(outs.acks().len(), 1);
    assert_eq!(outs.statuses(), vec![200]);

    sim.at(20.0);
    let outs = sim.input(CallInput::Disconnect);
    assert_eq!(outs.sent(Method::Bye).len(), 1);
    let (r, resume, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(CALLER));
    assert_eq!(resume.headers.call_id().unwrap(), A_CALL_ID);
    assert_eq!(
        sdp_audio(&resume.body).1,
        "sendrecv",
        "the music must get through"
    );
    assert_eq!(outs.events(), vec![CallEvent::Disconnected]);
    let outs = sim.respond(
        r,
        reply(&resume, 200, "x", 5061, Some(&caller_sdp_te(3, "sendrecv"))),
    );
    assert_eq!(outs.acks().len(), 1, "RFC 3261 §13.2.2.4");
    assert!(outs.events().is_empty());
    assert!(sim.call.is_local() && sim.ended().is_empty());
}

#[test]
fn acd_6_an_agent_reinvite_pending_at_disconnect_gets_487_and_the_callers_2xx_is_acked() {
    let (mut sim, _, _) = connected();
    sim.at(10.0);
    let (tx, hold) = sim.b_request(
        "INVITE",
        "Content-Type: application/sdp",
        &callee_sdp(7000, "sendonly").replace("o=agent 1 1", "o=agent 1 2"),
    );
    let outs = sim.send_request(tx, hold, AGENT);
    let (r, reinvite, _) = outs.one_sent(Method::Invite);
    let outs = sim.input(CallInput::Disconnect);
    assert_eq!(outs.statuses(), vec![487], "RFC 3261 §15.1.2");
    assert_eq!(outs.sent(Method::Bye).len(), 1);
    assert!(
        outs.sent(Method::Invite).is_empty(),
        "one INVITE to the caller at a time"
    );
    assert_eq!(outs.events(), vec![CallEvent::Disconnected]);
    let outs = sim.respond(
        r,
        reply(
            &reinvite,
            200,
            "x",
            5061,
            Some(&caller_sdp_te(2, "recvonly")),
        ),
    );
    assert_eq!(outs.acks().len(), 1);
    assert!(outs.responds().is_empty() && outs.events().is_empty());
    assert!(sim.call.is_local());
}

#[test]
fn acd_6_a_caller_reinvite_pending_at_disconnect_is_answered_locally() {
    let (mut sim, _, _) = connected();
    sim.at(10.0);
    let (tx, hold) = sim.a_request(
        "INVITE",
        None,
        "Content-Type: application/sdp",
        &caller_sdp_te(2, "sendonly"),
    );
    let outs = sim.send_request(tx, hold, CALLER);
    let (r, reinvite, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(AGENT));
    let outs = sim.input(CallInput::Disconnect);
    let ok = outs.one_response(200);
    assert_eq!(sdp_audio(&ok.body).1, "recvonly");
    assert_eq!(outs.events(), vec![CallEvent::Disconnected]);
    assert!(sim.call.caller_on_hold());
    // The agent's late answer to the relayed hold is not relayed.
    let outs = sim.respond(
        r,
        reply(
            &reinvite,
            200,
            "callee-tag",
            5091,
            Some(&callee_sdp(7000, "recvonly")),
        ),
    );
    assert!(
        outs.responds().is_empty() && outs.events().is_empty(),
        "{outs:#?}"
    );
}

#[test]
fn rfc3264_a_payload_rewrite_of_the_released_agent_is_cleared() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    let sdp = "v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 98 96\r\na=rtpmap:98 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n";
    answer(&mut sim, req, &invite, sdp);
    let outs = sim.input(CallInput::Disconnect);
    assert_eq!(
        outs.media(),
        vec![
            MediaCommand::Hold {
                side: Side::B,
                on_hold: true
            },
            MediaCommand::PayloadMap {
                from: Side::A,
                map: vec![]
            },
            MediaCommand::PayloadMap {
                from: Side::B,
                map: vec![]
            },
        ]
    );
}

#[test]
fn rfc4028_disconnect_stops_the_agents_session_timer_and_keeps_the_callers() {
    // We refresh the caller every 900 s (RFC 4028 §7.2, refresher=uas).
    let extra = format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 1800;refresher=uas");
    let invite = caller_invite(
        &extra,
        Some("application/sdp"),
        &caller_sdp_te(1, "sendrecv"),
    );
    let (mut sim, _) = Sim::start_local(&invite, config_with_timers()).unwrap();
    sim.a_ack(1, "");
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(3.0);
    let mut ok = reply(
        &invite,
        200,
        "callee-tag",
        5091,
        Some(&callee_sdp(7000, "sendrecv")),
    );
    ok.headers
        .push(HeaderName::SessionExpires, "90;refresher=uac");
    sim.b_invite = Some(invite.clone());
    assert_eq!(sim.respond(req, ok).events(), vec![CallEvent::Connected]);
    // Leg B's refresh (at half of 90 s) comes first while the agent is up.
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(48))
    );
    sim.at(10.0);
    sim.input(CallInput::Disconnect);
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(900)),
        "only the caller's timer is left"
    );
    // Run the timers for an hour: refreshes go to the caller only, the call stays up.
    let end = sim.base + Duration::from_secs(3600);
    let mut steps = 0;
    while let Some(at) = sim.call.poll_timeout().filter(|at| *at <= end) {
        let outs = sim.tick((at - sim.base).as_secs_f64());
        for (r, q, to) in outs.sends() {
            assert_eq!(to, udp(CALLER), "nothing to the released agent");
            let q = q.clone();
            sim.respond(r, reply(&q, 200, "x", 5061, None));
        }
        steps += 1;
        assert!(steps < 20, "timers do not converge");
    }
    assert!(steps > 0);
    let refreshes = Outs(sim.log.clone())
        .sends()
        .iter()
        .filter(|(_, q, to)| *to == udp(CALLER) && q.method != Method::Bye)
        .count();
    assert!(refreshes >= 1);
    assert!(sim.ended().is_empty() && sim.call.is_local());
}
