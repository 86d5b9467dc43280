//! Two-endpoint simulations over a lossy in-memory network with virtual time: RFC 3261 §17
//! transactions, §13.3.1.4 2xx retransmission, §9 CANCEL and RFC 6026 Accepted states.

mod harness;

use std::time::Duration;

use harness::{Side, Sim, ack_for_2xx, answer, is_response, request};
use sip_message::{Method, StatusCode};
use sip_transaction::{Endpoint, Transport, TuEvent};

const SECOND: Duration = Duration::from_secs(1);

/// A UAC TU that ACKs every 2xx to an INVITE.
fn uac_acks(side: Side, ep: &mut Endpoint, now: std::time::Instant, ev: &TuEvent) {
    if side == Side::A
        && let TuEvent::Response { response, .. } = ev
        && response.status.is_success()
        && response
            .headers
            .cseq()
            .is_ok_and(|c| c.method == Method::Invite)
    {
        ep.send_ack_2xx(now, ack_for_2xx(response), udp_peer(Side::B));
    }
}

fn udp_peer(side: Side) -> sip_transaction::Peer {
    sip_transaction::Peer {
        addr: harness::addr(side),
        transport: Transport::Udp,
    }
}

/// A UAS TU that answers every new request with `status`.
fn uas_answers(
    status: StatusCode,
) -> impl FnMut(Side, &mut Endpoint, std::time::Instant, &TuEvent) {
    move |side, ep, now, ev| {
        if side == Side::B
            && let TuEvent::Request { tx, request, .. } = ev
        {
            ep.send_response(now, *tx, answer(request, status))
                .expect("live transaction");
        }
    }
}

#[test]
fn lost_200_ok_is_retransmitted_until_ack_rfc3261_13_3_1_4() {
    let mut sim = Sim::new(Transport::Udp, 1);
    let mut dropped = 0;
    sim.drop_rule = Box::new(move |from, line| {
        if from == Side::B && line.starts_with("SIP/2.0 200") && dropped < 2 {
            dropped += 1;
            return true;
        }
        false
    });
    let inv = request(Method::Invite, "lost200", 1);
    let peer = sim.peer(Side::B);
    let now = sim.now;
    sim.a.send_request(now, inv, peer);
    let mut uas = uas_answers(StatusCode::OK);
    sim.run_for(40 * SECOND, |side, ep, now, ev| {
        uas(side, ep, now, ev);
        uac_acks(side, ep, now, ev);
    });
    let oks = sim.sent(Side::B, "SIP/2.0 200");
    assert_eq!(oks.len(), 3, "two lost 200s, then one delivered: {oks:?}");
    // The 2xx retransmission interval starts at T1 and doubles (§13.3.1.4).
    assert_eq!(oks[1].at - oks[0].at, Duration::from_millis(500));
    assert_eq!(oks[2].at - oks[1].at, Duration::from_millis(1000));
    let acks: Vec<_> = sim
        .events(Side::B)
        .iter()
        .filter(|(_, e)| matches!(e, TuEvent::Ack { .. }))
        .collect();
    assert_eq!(acks.len(), 1);
    assert!(
        !sim.events(Side::B)
            .iter()
            .any(|(_, e)| matches!(e, TuEvent::AckTimeout { .. }))
    );
    assert_eq!(
        sim.events(Side::A)
            .iter()
            .filter(|(_, e)| is_response(e, 200))
            .count(),
        1
    );
    assert_eq!(sim.a.transaction_count(), 0);
    assert_eq!(sim.b.transaction_count(), 0);
    assert_eq!(sim.a.poll_timeout(), None);
    assert_eq!(sim.b.poll_timeout(), None);
}

#[test]
fn lost_ack_for_2xx_redelivers_200_flagged_retransmission_rfc6026_8_4() {
    let mut sim = Sim::new(Transport::Udp, 2);
    let mut dropped = false;
    sim.drop_rule = Box::new(move |from, line| {
        if from == Side::A && line.starts_with("ACK") && !dropped {
            dropped = true;
            return true;
        }
        false
    });
    let peer = sim.peer(Side::B);
    let now = sim.now;
    sim.a
        .send_request(now, request(Method::Invite, "lostack2xx", 1), peer);
    let mut uas = uas_answers(StatusCode::OK);
    sim.run_for(40 * SECOND, |side, ep, now, ev| {
        uas(side, ep, now, ev);
        uac_acks(side, ep, now, ev);
    });
    let flags: Vec<bool> = sim
        .events(Side::A)
        .iter()
        .filter_map(|(_, e)| match e {
            TuEvent::Response {
                response,
                retransmission,
                ..
            } if response.status.0 == 200 => Some(*retransmission),
            _ => None,
        })
        .collect();
    assert_eq!(flags, vec![false, true]);
    assert_eq!(sim.sent(Side::A, "ACK").len(), 2);
    assert_eq!(
        sim.events(Side::B)
            .iter()
            .filter(|(_, e)| matches!(e, TuEvent::Ack { .. }))
            .count(),
        1
    );
}

#[test]
fn lost_ack_for_non_2xx_timer_g_retransmits_final_absorbed_by_client_rfc3261_17_2_1() {
    let mut sim = Sim::new(Transport::Udp, 3);
    let mut dropped = false;
    sim.drop_rule = Box::new(move |from, line| {
        if from == Side::A && line.starts_with("ACK") && !dropped {
            dropped = true;
            return true;
        }
        false
    });
    let peer = sim.peer(Side::B);
    let now = sim.now;
    sim.a
        .send_request(now, request(Method::Invite, "lostack486", 1), peer);
    sim.run_for(40 * SECOND, uas_answers(StatusCode::BUSY_HERE));
    let finals = sim.sent(Side::B, "SIP/2.0 486");
    assert_eq!(
        finals.len(),
        2,
        "the 486 is retransmitted once by Timer G: {finals:?}"
    );
    assert_eq!(finals[1].at - finals[0].at, Duration::from_millis(500));
    // The client absorbs the retransmitted final but re-sends its ACK (§17.1.1.2).
    assert_eq!(
        sim.events(Side::A)
            .iter()
            .filter(|(_, e)| is_response(e, 486))
            .count(),
        1
    );
    assert_eq!(sim.sent(Side::A, "ACK").len(), 2);
    assert!(
        sim.events(Side::B)
            .iter()
            .all(|(_, e)| !matches!(e, TuEvent::Ack { .. }))
    );
    assert_eq!(sim.b.transaction_count(), 0);
    assert_eq!(sim.a.transaction_count(), 0);
}

#[test]
fn late_cancel_after_200_has_no_effect_and_no_487_rfc3261_9_2() {
    let mut sim = Sim::new(Transport::Udp, 4);
    let peer = sim.peer(Side::B);
    let now = sim.now;
    let tx = sim
        .a
        .send_request(now, request(Method::Invite, "latecancel", 1), peer);
    let mut cancel_result = None;
    let mut invite: Option<sip_message::Request> = None;
    sim.run_for(40 * SECOND, |side, ep, now, ev| {
        match (side, ev) {
            // The UAS rings and answers at once; the 200 is in flight when A cancels.
            (Side::B, TuEvent::Request { tx, request, .. }) => {
                ep.send_response(now, *tx, answer(request, StatusCode::RINGING))
                    .expect("180");
                ep.send_response(now, *tx, answer(request, StatusCode::OK))
                    .expect("200");
                invite = Some(request.clone());
            }
            (Side::A, TuEvent::Response { response, .. }) if response.status.0 == 180 => {
                cancel_result = Some(ep.cancel(now, tx));
            }
            (Side::B, TuEvent::Cancelled { invite_tx, .. }) => {
                // A TU would answer 487 here; this must not happen after the 200.
                if let Some(invite) = &invite {
                    let _ = ep.send_response(
                        now,
                        *invite_tx,
                        answer(invite, StatusCode::REQUEST_TERMINATED),
                    );
                }
            }
            _ => {}
        }
        uac_acks(side, ep, now, ev);
    });
    assert_eq!(cancel_result, Some(Ok(())));
    assert_eq!(sim.sent(Side::A, "CANCEL").len(), 1);
    assert!(
        sim.events(Side::B)
            .iter()
            .all(|(_, e)| !matches!(e, TuEvent::Cancelled { .. }))
    );
    assert!(sim.sent(Side::B, "487").is_empty());
    // The CANCEL matched the (accepted) INVITE transaction: 200, absorbed by A's CANCEL tx.
    assert_eq!(sim.sent(Side::B, "SIP/2.0 200").len(), 2);
    let a_responses: Vec<u16> = sim
        .events(Side::A)
        .iter()
        .filter_map(|(_, e)| match e {
            TuEvent::Response { response, .. } => Some(response.status.0),
            _ => None,
        })
        .collect();
    assert_eq!(a_responses, vec![100, 180, 200]);
    assert_eq!(
        sim.events(Side::B)
            .iter()
            .filter(|(_, e)| matches!(e, TuEvent::Ack { .. }))
            .count(),
        1
    );
}

#[test]
fn cancel_after_transaction_ended_is_answered_481_rfc3261_9_2() {
    let mut sim = Sim::new(Transport::Udp, 5);
    let peer = sim.peer(Side::B);
    let now = sim.now;
    let tx = sim
        .a
        .send_request(now, request(Method::Invite, "cancel481", 1), peer);
    // B's transaction is gone (lost state); a CANCEL matching nothing gets 481.
    sim.run_for(20 * sim.latency, |side, ep, _, ev| {
        if side == Side::B && matches!(ev, TuEvent::Request { .. }) {
            *ep = Endpoint::new(harness::config(Side::B), fastrand::Rng::with_seed(9));
        }
    });
    let now = sim.now;
    sim.a.cancel(now, tx).expect("proceeding after 100");
    sim.run_idle(SECOND);
    assert_eq!(sim.sent(Side::B, "SIP/2.0 481").len(), 1);
    assert!(
        sim.events(Side::B)
            .iter()
            .all(|(_, e)| !matches!(e, TuEvent::Cancelled { .. }))
    );
    // The CANCEL response is absorbed by the endpoint.
    assert!(!sim.events(Side::A).iter().any(|(_, e)| is_response(e, 481)));
}

#[test]
fn cancel_before_any_provisional_is_deferred_rfc3261_9_1() {
    let mut sim = Sim::new(Transport::Udp, 6);
    let peer = sim.peer(Side::B);
    let now = sim.now;
    let tx = sim
        .a
        .send_request(now, request(Method::Invite, "deferred", 1), peer);
    sim.a.cancel(now, tx).expect("cancel accepted");
    let mut invite = None;
    sim.run_for(40 * SECOND, |side, ep, now, ev| match (side, ev) {
        (Side::B, TuEvent::Request { request, .. }) => invite = Some(request.clone()),
        (Side::B, TuEvent::Cancelled { invite_tx, .. }) => {
            let invite = invite.as_ref().expect("INVITE seen before its CANCEL");
            ep.send_response(
                now,
                *invite_tx,
                answer(invite, StatusCode::REQUEST_TERMINATED),
            )
            .expect("487 on the INVITE");
        }
        _ => {}
    });
    let cancels = sim.sent(Side::A, "CANCEL");
    assert_eq!(cancels.len(), 1);
    let trying_arrival = sim.sent(Side::B, "SIP/2.0 100")[0].at + sim.latency;
    assert_eq!(
        cancels[0].at, trying_arrival,
        "the CANCEL leaves when the 100 arrives"
    );
    assert_eq!(
        sim.events(Side::B)
            .iter()
            .filter(|(_, e)| matches!(e, TuEvent::Cancelled { .. }))
            .count(),
        1
    );
    assert_eq!(
        sim.sent(Side::B, "SIP/2.0 200").len(),
        1,
        "200 to the CANCEL"
    );
    assert!(sim.events(Side::A).iter().any(|(_, e)| is_response(e, 487)));
    // The 487 is ACKed by the client transaction itself (§17.1.1.3).
    assert_eq!(sim.sent(Side::A, "ACK").len(), 1);
    assert_eq!(sim.a.transaction_count(), 0);
    assert_eq!(sim.b.transaction_count(), 0);
}

#[test]
fn no_final_after_cancel_times_out_after_64_t1_rfc3261_9_1() {
    let mut sim = Sim::new(Transport::Udp, 7);
    let peer = sim.peer(Side::B);
    let now = sim.now;
    let tx = sim
        .a
        .send_request(now, request(Method::Invite, "cancelsilent", 1), peer);
    // B's TU ignores the CANCEL and never answers the INVITE.
    sim.run_for(SECOND, |_, _, _, _| {});
    let cancel_at = sim.now;
    sim.a.cancel(cancel_at, tx).expect("proceeding");
    sim.run_idle(100 * SECOND);
    let timeouts: Vec<_> = sim
        .events(Side::A)
        .iter()
        .filter(|(_, e)| matches!(e, TuEvent::Timeout { tx: t } if *t == tx))
        .collect();
    assert_eq!(timeouts.len(), 1);
    assert_eq!(timeouts[0].0 - cancel_at, 32 * SECOND);
}

#[test]
fn stray_late_2xx_is_delivered_as_stray_response() {
    let mut sim = Sim::new(Transport::Udp, 8);
    let peer = sim.peer(Side::B);
    let now = sim.now;
    sim.a
        .send_request(now, request(Method::Invite, "stray", 1), peer);
    let mut ok = None;
    sim.run_for(40 * SECOND, |side, ep, now, ev| {
        if let (Side::B, TuEvent::Request { tx, request, .. }) = (side, ev) {
            let resp = answer(request, StatusCode::OK);
            ok = Some(resp.clone());
            ep.send_response(now, *tx, resp).expect("200");
        }
        uac_acks(side, ep, now, ev);
    });
    assert_eq!(
        sim.a.transaction_count(),
        0,
        "Timer M ended the client transaction"
    );
    // A late 2xx (e.g. from another fork, or a duplicate) now matches nothing.
    let ok = ok.expect("B answered");
    let now = sim.now;
    sim.a.handle_message(
        now,
        sip_message::Message::Response(ok.clone()),
        sim.peer(Side::B),
    );
    let ev = sim.a.poll_event();
    assert!(matches!(ev, Some(TuEvent::StrayResponse { response, .. }) if response == ok));
}

#[test]
fn lossy_network_every_transaction_ends_and_tables_drain() {
    for seed in 0..8 {
        let mut sim = Sim::new(Transport::Udp, 100 + seed);
        sim.loss = 0.3;
        let peer = sim.peer(Side::B);
        let now = sim.now;
        let mut txs = Vec::new();
        for i in 0..10 {
            let method = if i % 2 == 0 {
                Method::Invite
            } else {
                Method::Options
            };
            txs.push(sim.a.send_request(
                now,
                request(method, &format!("lossy-{seed}-{i}"), 1),
                peer,
            ));
        }
        let mut uas = uas_answers(StatusCode::OK);
        sim.run_for(200 * SECOND, |side, ep, now, ev| {
            uas(side, ep, now, ev);
            uac_acks(side, ep, now, ev);
        });
        for tx in txs {
            let ended = sim.events(Side::A).iter().any(|(_, e)| match e {
                TuEvent::Response {
                    tx: t, response, ..
                } => *t == tx && response.status.is_final(),
                TuEvent::Timeout { tx: t } => *t == tx,
                _ => false,
            });
            assert!(
                ended,
                "seed {seed}: {tx:?} got neither a final nor a timeout"
            );
        }
        assert_eq!(sim.a.transaction_count(), 0, "seed {seed}");
        assert_eq!(sim.b.transaction_count(), 0, "seed {seed}");
        assert_eq!(sim.a.poll_timeout(), None);
        assert_eq!(sim.b.poll_timeout(), None);
    }
}
