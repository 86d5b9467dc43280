//! Transcript tests of ACD queue calls: a locally answered caller is offered to agents
//! (`CallInput::Connect`), bridged on the answer, and keeps waiting when the agent does
//! not answer (RFC 3261 §9.1, §13.2.2.4, §16.7, RFC 3264) [ACD-2, ACD-7].

mod support;

use std::time::Duration;

use call_control::io::{
    CallEvent, CallInput, ConnectFailure, DtmfSource, HangupCause, MediaCommand, Side, TargetPlan,
};
use sip_message::{Method, StatusCode};
use support::acd::*;
use support::*;

fn ended(cause: HangupCause) -> CallEvent {
    CallEvent::Ended { cause }
}

fn failed(cause: ConnectFailure) -> CallEvent {
    CallEvent::ConnectFailed { cause }
}

/// The audio m= line of an SDP body.
fn m_line(body: &[u8]) -> String {
    let text = String::from_utf8(body.to_vec()).unwrap();
    text.lines()
        .find(|l| l.starts_with("m=audio"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn acd_2_connect_rings_the_agent_and_bridges_the_waiting_caller_on_answer() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 20.0, agent(5091));
    assert!(outs.responds().is_empty(), "leg A is already answered");
    assert!(sim.call.is_connecting());
    let (req, invite, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp(AGENT));
    assert_eq!(invite.uri.to_string(), "sip:2001@127.0.0.1:5091");
    let h = &invite.headers;
    assert_ne!(h.call_id().unwrap(), A_CALL_ID, "leg B has its own Call-ID");
    assert_eq!(
        h.call_id().unwrap(),
        sim.call.call_ids()[1],
        "routable by the runtime"
    );
    let from = h.from().unwrap();
    assert_eq!(
        from.uri.user.as_deref(),
        Some("3331234567"),
        "the agent sees the caller"
    );
    assert!(from.tag().is_some_and(|t| t != A_TAG));
    assert_eq!(h.to().unwrap().uri.to_string(), "sip:2001@127.0.0.1:5091");
    assert_eq!(h.to().unwrap().tag(), None);
    let (addr, dir) = sdp_audio(&invite.body);
    assert_eq!((addr.port(), dir.as_str()), (B_PORT, "sendrecv"));
    // RFC 3264: only the codec already negotiated with the caller, plus its events.
    assert_eq!(
        m_line(&invite.body),
        format!("m=audio {B_PORT} RTP/AVP 8 101")
    );
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(24)),
        "no-response timer"
    );

    sim.at(21.0);
    let outs = sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    assert!(outs.responds().is_empty(), "no 180 to an answered caller");
    assert!(
        outs.media().is_empty(),
        "the music goes on while the agent rings"
    );
    assert_eq!(outs.events(), vec![CallEvent::ConnectRinging]);
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(35)),
        "ring timeout"
    );
    // A second provisional is not reported again.
    let outs = sim.respond(req, reply(&invite, 183, "callee-tag", 5091, None));
    assert!(outs.is_empty(), "{outs:#?}");

    sim.at(25.0);
    let outs = answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    let acks = outs.acks();
    assert_eq!(acks.len(), 1, "RFC 3261 §13.2.2.4: the 2xx is ACKed");
    assert_eq!(acks[0].0.headers.cseq().unwrap().seq, 1);
    assert_eq!(acks[0].1, udp(AGENT));
    assert!(outs.responds().is_empty(), "B's answer is not relayed to A");
    assert_eq!(
        outs.media(),
        vec![
            MediaCommand::Stop { side: Side::A },
            MediaCommand::SetRemote {
                side: Side::B,
                rtp: "127.0.0.1:7000".parse().unwrap()
            },
        ]
    );
    assert_eq!(
        outs.events(),
        vec![CallEvent::Connected],
        "no second Answered"
    );
    assert!(!sim.call.is_local() && !sim.call.is_connecting());
    assert_eq!(
        sim.call.codec(Side::B),
        Some(sdp_offer_answer::AudioCodec::Pcma)
    );
    assert_eq!(
        sim.call.poll_timeout(),
        None,
        "no timers without session timers"
    );

    // DTMF from the caller is still reported once bridged.
    let outs = sim.input(CallInput::Dtmf {
        digit: '7',
        started: sim.now,
    });
    assert_eq!(
        outs.events(),
        vec![CallEvent::Dtmf {
            digit: '7',
            via: DtmfSource::Rfc4733
        }]
    );
    // A second Connect on a bridged call is ignored.
    assert!(connect(&mut sim, 26.0, agent(5092)).is_empty());

    // The agent hangs up: 200, BYE to the caller, one Ended.
    sim.at(90.0);
    let (tx, bye) = sim.b_request("BYE", "", "");
    let outs = sim.send_request(tx, bye, AGENT);
    assert_eq!(outs.statuses(), vec![200]);
    let (r, bye_a, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(CALLER));
    assert_eq!(bye_a.headers.call_id().unwrap(), A_CALL_ID);
    assert_eq!(outs.events(), vec![ended(HangupCause::CalleeHangup)]);
    sim.respond(r, reply(&bye_a, 200, "x", 5061, None));
    assert!(sim.call.is_terminated());
    assert_eq!(sim.ended().len(), 1);
    assert_eq!(count(&sim, |e| *e == CallEvent::Answered), 1);
}

#[test]
fn acd_2_after_connect_the_caller_hangup_byes_the_agent_and_hold_is_relayed() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 5.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    // RFC 3264 §8.4: the caller's hold goes to the agent as our re-INVITE.
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
    assert_eq!(
        reinvite.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert_eq!(sdp_audio(&reinvite.body).1, "sendonly");
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
    assert_eq!(outs.acks().len(), 1);
    assert_eq!(outs.statuses(), vec![200]);

    sim.at(60.0);
    let (tx, bye) = sim.a_request("BYE", None, "", "");
    let outs = sim.send_request(tx, bye, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    let (_, bye_b, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(AGENT));
    assert_eq!(bye_b.headers.to().unwrap().tag(), Some("callee-tag"));
    assert_eq!(outs.events(), vec![ended(HangupCause::CallerHangup)]);
}

#[test]
fn acd_7_a_busy_agent_leaves_the_caller_waiting_and_the_next_agent_answers() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 10.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(11.0);
    let outs = sim.respond(req, reply(&invite, 486, "busy-tag", 5091, None));
    assert_eq!(
        outs.events(),
        vec![failed(ConnectFailure::Rejected(StatusCode::BUSY_HERE))]
    );
    assert!(outs.responds().is_empty() && outs.sends().is_empty() && outs.acks().is_empty());
    assert!(sim.call.is_local() && !sim.call.is_connecting());
    assert_eq!(sim.call.poll_timeout(), None);
    // Still an ordinary waiting call: prompts, DTMF.
    let outs = sim.input(CallInput::Play {
        prompts: vec!["it/attesa".to_owned()],
        barge_in: false,
    });
    assert!(matches!(
        outs.media().as_slice(),
        [MediaCommand::Play { side: Side::A, .. }]
    ));
    let outs = sim.input(CallInput::Dtmf {
        digit: '1',
        started: sim.now,
    });
    assert_eq!(
        outs.events(),
        vec![CallEvent::Dtmf {
            digit: '1',
            via: DtmfSource::Rfc4733
        }]
    );

    // [ACD-2] The next agent: a new dialog (From tag) on the same leg-B Call-ID.
    let outs = connect(&mut sim, 30.0, plan(vec![vec![target("2002", 5092, None)]]));
    let (req2, invite2, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp("127.0.0.1:5092"));
    assert_eq!(
        invite2.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert_ne!(
        invite2.headers.from().unwrap().tag(),
        invite.headers.from().unwrap().tag()
    );
    sim.at(33.0);
    let outs = answer(&mut sim, req2, &invite2, &callee_sdp(7002, "sendrecv"));
    assert_eq!(outs.acks().len(), 1);
    assert_eq!(outs.acks()[0].1, udp("127.0.0.1:5092"));
    assert_eq!(outs.events(), vec![CallEvent::Connected]);
    assert!(outs.media().contains(&MediaCommand::SetRemote {
        side: Side::B,
        rtp: "127.0.0.1:7002".parse().unwrap()
    }));
    assert_eq!(
        count(&sim, |e| matches!(e, CallEvent::ConnectFailed { .. })),
        1
    );
}

#[test]
fn acd_7_ring_timeout_cancels_the_agent_and_absorbs_its_487() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 1.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.at(1.5);
    sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    assert_eq!(
        sim.call.poll_timeout(),
        Some(sim.base + Duration::from_secs(16))
    );
    assert!(sim.tick(15.9).is_empty());
    let outs = sim.tick(16.0);
    assert_eq!(
        outs.cancels(),
        vec![req],
        "RFC 3261 §9.1: CANCEL the pending INVITE"
    );
    assert_eq!(outs.events(), vec![failed(ConnectFailure::NoAnswer)]);
    assert!(outs.responds().is_empty() && outs.sends().is_empty());
    assert!(sim.call.is_local() && !sim.call.is_connecting());
    assert_eq!(sim.call.poll_timeout(), None);
    sim.at(16.1);
    let outs = sim.respond(req, reply(&invite, 487, "callee-tag", 5091, None));
    assert!(outs.is_empty(), "{outs:#?}");
    assert!(!sim.call.is_terminated());
    assert!(sim.ended().is_empty());
}

#[test]
fn rfc3261_9_1_a_2xx_crossing_our_cancel_is_acked_and_hung_up_with_one_failure() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 1.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    let outs = sim.tick(16.0);
    assert_eq!(outs.cancels(), vec![req]);
    sim.at(16.05);
    let outs = answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    assert_eq!(outs.acks().len(), 1, "{outs:#?}");
    let (bye_req, bye, to) = outs.one_sent(Method::Bye);
    assert_eq!(to, udp(AGENT));
    assert_eq!(bye.headers.to().unwrap().tag(), Some("callee-tag"));
    assert!(outs.events().is_empty() && outs.media().is_empty() && outs.responds().is_empty());
    sim.respond(bye_req, reply(&bye, 200, "callee-tag", 5091, None));
    // A retransmitted 2xx after that changes nothing either.
    assert!(
        answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"))
            .events()
            .is_empty()
    );
    assert_eq!(
        count(&sim, |e| matches!(e, CallEvent::ConnectFailed { .. })),
        1
    );
    assert_eq!(count(&sim, |e| *e == CallEvent::Connected), 0);
    assert!(sim.call.is_local());
}

#[test]
fn rfc3261_9_1_cancel_connect_cancels_and_reports_cancelled_once() {
    let mut sim = waiting();
    assert!(
        sim.input(CallInput::CancelConnect).is_empty(),
        "nothing pending: a no-op"
    );
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.respond(req, reply(&invite, 100, "", 5091, None));
    sim.at(4.0);
    let outs = sim.input(CallInput::CancelConnect);
    assert_eq!(outs.cancels(), vec![req]);
    assert_eq!(outs.events(), vec![failed(ConnectFailure::Cancelled)]);
    assert!(sim.input(CallInput::CancelConnect).is_empty());
    assert!(
        sim.respond(req, reply(&invite, 487, "t", 5091, None))
            .is_empty()
    );
    assert!(sim.call.is_local() && sim.ended().is_empty());
}

#[test]
fn acd_2_caller_hangup_while_the_agent_rings_cancels_it_and_ends_once() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.respond(req, reply(&invite, 180, "callee-tag", 5091, None));
    sim.at(5.0);
    let (tx, bye) = sim.a_request("BYE", None, "", "");
    let outs = sim.send_request(tx, bye, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    assert_eq!(outs.cancels(), vec![req]);
    assert_eq!(
        outs.events(),
        vec![ended(HangupCause::CallerHangup)],
        "no ConnectFailed"
    );
    assert!(
        !sim.call.is_terminated(),
        "waits for the INVITE's final answer"
    );
    // The agent answers anyway: ACK and BYE it.
    let outs = answer(&mut sim, req, &invite, &callee_sdp(7000, "sendrecv"));
    assert_eq!(outs.acks().len(), 1);
    let (r, bye_b, _) = outs.one_sent(Method::Bye);
    assert!(outs.events().is_empty());
    sim.respond(r, reply(&bye_b, 200, "callee-tag", 5091, None));
    assert!(sim.call.is_terminated());
    assert_eq!(sim.ended().len(), 1);
}

#[test]
fn acd_2_an_operator_hangup_while_connecting_cancels_the_agent() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    let outs = sim.input(CallInput::Hangup);
    assert_eq!(outs.cancels(), vec![req]);
    assert_eq!(outs.one_sent(Method::Bye).2, udp(CALLER));
    assert_eq!(outs.events(), vec![ended(HangupCause::Hangup)]);
    sim.respond(req, reply(&invite, 487, "t", 5091, None));
    let limit = sim.now + Duration::from_secs(3600);
    let at = sim.call.poll_timeout().expect("lingers for the BYE");
    assert!(at <= limit);
    sim.tick((at - sim.base).as_secs_f64());
    assert!(sim.call.is_terminated());
}

#[test]
fn rfc3264_a_different_payload_numbering_of_the_agent_is_rewritten() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    let sdp = "v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 98 96\r\na=rtpmap:98 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n";
    let outs = answer(&mut sim, req, &invite, sdp);
    assert_eq!(
        outs.media(),
        vec![
            MediaCommand::Stop { side: Side::A },
            MediaCommand::SetRemote {
                side: Side::B,
                rtp: "127.0.0.1:7000".parse().unwrap()
            },
            MediaCommand::PayloadMap {
                from: Side::A,
                map: vec![(8, 98), (101, 96)]
            },
            MediaCommand::PayloadMap {
                from: Side::B,
                map: vec![(98, 8), (96, 101)]
            },
        ]
    );
    assert_eq!(outs.events(), vec![CallEvent::Connected]);
}

#[test]
fn rfc3264_the_offer_to_the_agent_carries_only_the_callers_codec() {
    // The caller offers PCMU and PCMA without telephone-event; one is chosen on leg A.
    let sdp = "v=0\r\no=user1 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n";
    let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), sdp);
    let (mut sim, outs) = Sim::start_local(&invite, config()).unwrap();
    let chosen = m_line(&outs.one_response(200).body);
    let codec = sim.call.codec(Side::A).unwrap();
    let pt = if codec == sdp_offer_answer::AudioCodec::Pcmu {
        0
    } else {
        8
    };
    assert_eq!(chosen, format!("m=audio {A_PORT} RTP/AVP {pt}"));
    let outs = connect(&mut sim, 1.0, agent(5091));
    let (_, invite, _) = outs.one_sent(Method::Invite);
    assert_eq!(
        m_line(&invite.body),
        format!("m=audio {B_PORT} RTP/AVP {pt}"),
        "no telephone-event either"
    );
}

#[test]
fn acd_2_an_answer_without_usable_sdp_is_hung_up_and_reported_488() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    sim.b_invite = Some(invite.clone());
    let outs = sim.respond(req, reply(&invite, 200, "callee-tag", 5091, None));
    assert_eq!(outs.acks().len(), 1);
    let (_, bye, to) = outs.one_sent(Method::Bye);
    assert_eq!(
        (to, bye.headers.to().unwrap().tag()),
        (udp(AGENT), Some("callee-tag"))
    );
    assert_eq!(
        outs.events(),
        vec![failed(ConnectFailure::Rejected(
            StatusCode::NOT_ACCEPTABLE_HERE
        ))]
    );
    assert!(outs.media().is_empty(), "the music goes on");
    assert!(sim.call.is_local());
    // A PCMU-only answer to our PCMA offer is no better.
    let outs = connect(&mut sim, 5.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    let pcmu = callee_sdp(7000, "sendrecv")
        .replace("RTP/AVP 8 101", "RTP/AVP 0")
        .replace("8 PCMA", "0 PCMU");
    let outs = answer(&mut sim, req, &invite, &pcmu);
    assert_eq!(outs.sent(Method::Bye).len(), 1);
    assert_eq!(
        outs.events(),
        vec![failed(ConnectFailure::Rejected(
            StatusCode::NOT_ACCEPTABLE_HERE
        ))]
    );
}

#[test]
fn rfc3261_16_7_parallel_agents_first_2xx_wins_and_the_other_is_cancelled() {
    let mut sim = waiting();
    let p = plan(vec![vec![
        target("2001", 5091, None),
        target("2001", 5092, None),
    ]]);
    let outs = connect(&mut sim, 2.0, p);
    let invites: Vec<_> = outs
        .sent(Method::Invite)
        .into_iter()
        .map(|(r, q, _)| (r, q.clone()))
        .collect();
    assert_eq!(invites.len(), 2);
    sim.respond(invites[0].0, reply(&invites[0].1, 180, "t1", 5091, None));
    let outs = sim.respond(invites[1].0, reply(&invites[1].1, 180, "t2", 5092, None));
    assert!(outs.events().is_empty(), "ConnectRinging once per attempt");
    let outs = answer(
        &mut sim,
        invites[1].0,
        &invites[1].1,
        &callee_sdp(7000, "sendrecv"),
    );
    assert_eq!(outs.cancels(), vec![invites[0].0]);
    assert_eq!(outs.events(), vec![CallEvent::Connected]);
    // The loser's 2xx crossing our CANCEL: ACK and BYE, nothing else.
    let outs = sim.respond(
        invites[0].0,
        reply(
            &invites[0].1,
            200,
            "t1",
            5091,
            Some(&callee_sdp(7001, "sendrecv")),
        ),
    );
    assert_eq!(outs.acks().len(), 1);
    assert_eq!(
        outs.one_sent(Method::Bye).1.headers.to().unwrap().tag(),
        Some("t1")
    );
    assert!(outs.events().is_empty() && outs.media().is_empty());
}

#[test]
fn acd_7_a_6xx_ends_every_branch_and_is_reported() {
    let mut sim = waiting();
    let p = plan(vec![vec![
        target("2001", 5091, None),
        target("2001", 5092, None),
    ]]);
    let outs = connect(&mut sim, 2.0, p);
    let invites: Vec<_> = outs
        .sent(Method::Invite)
        .into_iter()
        .map(|(r, q, _)| (r, q.clone()))
        .collect();
    let outs = sim.respond(invites[0].0, reply(&invites[0].1, 603, "t1", 5091, None));
    assert_eq!(outs.cancels(), vec![invites[1].0]);
    assert_eq!(
        outs.events(),
        vec![failed(ConnectFailure::Rejected(StatusCode(603)))]
    );
    assert!(
        sim.respond(invites[1].0, reply(&invites[1].1, 487, "t2", 5092, None))
            .is_empty()
    );
}

#[test]
fn acd_7_unreachable_agents_fail_over_then_report_unreachable() {
    let mut sim = waiting();
    let p = plan(vec![
        vec![target("2001", 5091, Some(0))],
        vec![],
        vec![target("2001", 5093, Some(1))],
    ]);
    let outs = connect(&mut sim, 2.0, p);
    let (r1, _, _) = outs.one_sent(Method::Invite);
    // [TEL-2] The first destination stays silent past the no-response timeout.
    let outs = sim.tick(6.0);
    assert_eq!(
        outs.cancels(),
        vec![r1],
        "stop the INVITE's retransmissions"
    );
    let (r2, _, to) = outs.one_sent(Method::Invite);
    assert_eq!(to, udp("127.0.0.1:5093"), "the empty group is skipped");
    assert!(
        outs.events()
            .iter()
            .all(|e| matches!(e, CallEvent::TrunkResult { ok: false, .. }))
    );
    // The backup cannot be reached at all.
    let outs = sim.input(CallInput::RequestFailed { req: r2 });
    assert!(
        outs.events().contains(&failed(ConnectFailure::Unreachable)),
        "{outs:#?}"
    );
    assert!(sim.call.is_local() && !sim.call.is_connecting());
    // An empty plan fails at once.
    let outs = connect(&mut sim, 8.0, TargetPlan::default());
    assert_eq!(outs.events(), vec![failed(ConnectFailure::Unreachable)]);
    assert!(outs.sends().is_empty());
}

#[test]
fn acd_2_connect_while_pending_or_on_a_bridged_call_is_ignored() {
    let mut sim = waiting();
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    assert!(
        connect(&mut sim, 3.0, agent(5092)).is_empty(),
        "one attempt at a time"
    );
    sim.respond(req, reply(&invite, 486, "t", 5091, None));
    assert_eq!(
        count(&sim, |e| matches!(e, CallEvent::ConnectFailed { .. })),
        1
    );
    // A call set up bridged has no local caller to connect.
    let mut bridged = Sim::confirmed();
    assert!(connect(&mut bridged, 9.0, agent(5092)).is_empty());
    assert!(bridged.input(CallInput::CancelConnect).is_empty());
}

#[test]
fn acd_2_sip_info_dtmf_is_reported_while_connecting() {
    let mut sim = waiting();
    connect(&mut sim, 2.0, agent(5091));
    let (tx, info) = sim.a_request(
        "INFO",
        None,
        "Content-Type: application/dtmf-relay",
        "Signal=3\r\n",
    );
    let outs = sim.send_request(tx, info, CALLER);
    assert_eq!(outs.statuses(), vec![200]);
    assert_eq!(
        outs.events(),
        vec![CallEvent::Dtmf {
            digit: '3',
            via: DtmfSource::SipInfo
        }]
    );
}

#[test]
fn rfc4028_a_connected_agent_gets_session_timers() {
    let invite = caller_invite(
        SIPP_EXTRA,
        Some("application/sdp"),
        &caller_sdp_te(1, "sendrecv"),
    );
    let (mut sim, _) = Sim::start_local(&invite, config_with_timers()).unwrap();
    sim.a_ack(1, "");
    let outs = connect(&mut sim, 2.0, agent(5091));
    let (req, invite, _) = outs.one_sent(Method::Invite);
    assert!(
        invite
            .headers
            .get(&sip_message::HeaderName::SessionExpires)
            .is_some()
    );
    sim.at(3.0);
    let mut ok = reply(
        &invite,
        200,
        "callee-tag",
        5091,
        Some(&callee_sdp(7000, "sendrecv")),
    );
    ok.headers.push(
        sip_message::HeaderName::SessionExpires,
        "1800;refresher=uac",
    );
    sim.b_invite = Some(invite.clone());
    let outs = sim.respond(req, ok);
    assert_eq!(outs.events(), vec![CallEvent::Connected]);
    // We are the refresher on leg B: a refresh goes out at half the interval.
    let outs = sim.tick(3.0 + 900.0);
    assert!(
        outs.sends()
            .iter()
            .any(|(_, q, p)| q.method == Method::Invite && *p == udp(AGENT)),
        "{outs:#?}"
    );
}
