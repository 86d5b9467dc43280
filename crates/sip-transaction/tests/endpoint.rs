//! Single-endpoint tests in virtual time: exact Timer A/B/E/F/G/H/L schedules (RFC 3261 §17,
//! RFC 6026), reliable-transport behaviour, request matching (§17.2.3 and the RFC 2543
//! fallback), RFC 3581 received/rport, message construction (§8.1.1.7, §9.1, §17.1.1.3) and
//! misuse errors.

mod harness;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use harness::{Side, addr, answer, config, parse, parse_text, request, start_line};
use sip_message::{HeaderName, Message, Method, Response, StatusCode};
use sip_transaction::{Config, Endpoint, Peer, ServerTxId, TransactionError, Transport, TuEvent};

const MS: Duration = Duration::from_millis(1);

fn endpoint(cfg: Config) -> Endpoint {
    Endpoint::new(cfg, fastrand::Rng::with_seed(7))
}

fn udp(side: Side) -> Peer {
    Peer {
        addr: addr(side),
        transport: Transport::Udp,
    }
}

fn tcp(side: Side) -> Peer {
    Peer {
        addr: addr(side),
        transport: Transport::Tcp,
    }
}

/// Transmits as (offset in ms, start line) and events as (offset in ms, event).
type Trace = (Vec<(u128, String)>, Vec<(u128, TuEvent)>);

/// Runs `ep` alone until `until` after `t0`, returning (offset in ms, start line) of every
/// transmit and (offset in ms, event) of every event.
fn run_alone(ep: &mut Endpoint, t0: Instant, from: Instant, until: Duration) -> Trace {
    let mut sent = Vec::new();
    let mut events = Vec::new();
    let mut now = from;
    for _ in 0..10_000 {
        while let Some(t) = ep.poll_transmit() {
            sent.push(((now - t0).as_millis(), start_line(&t.bytes)));
        }
        while let Some(e) = ep.poll_event() {
            events.push(((now - t0).as_millis(), e));
        }
        match ep.poll_timeout() {
            Some(next) if next <= t0 + until => {
                now = now.max(next);
                ep.handle_timeout(now);
            }
            _ => return (sent, events),
        }
    }
    panic!("endpoint did not settle");
}

fn times(sent: &[(u128, String)], needle: &str) -> Vec<u128> {
    sent.iter()
        .filter(|(_, l)| l.contains(needle))
        .map(|(t, _)| *t)
        .collect()
}

const INVITE_FROM_C: &str = "INVITE sip:bob@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.3:5070;branch=z9hG4bKcall1
From: <sip:carol@c.example>;tag=c1
To: <sip:bob@b.example>
Call-ID: call-from-c
CSeq: 7 INVITE
Contact: <sip:carol@10.0.0.3:5070>
Max-Forwards: 70
Content-Length: 0

";

fn carol() -> Peer {
    Peer {
        addr: SocketAddr::from(([10, 0, 0, 3], 5070)),
        transport: Transport::Udp,
    }
}

/// Feeds a text request to `ep` and returns the server transaction and request it created.
fn inject_request(
    ep: &mut Endpoint,
    now: Instant,
    text: &str,
    source: Peer,
) -> Option<(ServerTxId, sip_message::Request)> {
    ep.handle_message(now, parse_text(text), source);
    let mut found = None;
    while let Some(ev) = ep.poll_event() {
        if let TuEvent::Request { tx, request, .. } = ev {
            found = Some((tx, request));
        }
    }
    found
}

#[test]
fn timer_a_doubles_and_timer_b_times_out_invite_rfc3261_17_1_1_2() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    let tx = ep.send_request(t0, request(Method::Invite, "timer-b", 1), udp(Side::B));
    let (sent, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    assert_eq!(
        times(&sent, "INVITE"),
        vec![0, 500, 1500, 3500, 7500, 15500, 31500]
    );
    assert_eq!(events, vec![(32_000, TuEvent::Timeout { tx })]);
    assert_eq!(ep.transaction_count(), 0);
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn timer_e_backoff_is_exact_and_timer_f_times_out_rfc3261_17_1_2_2() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    let tx = ep.send_request(t0, request(Method::Options, "timer-f", 1), udp(Side::B));
    let (sent, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    // Intervals 500 ms, 1 s, 2 s, 4 s, 4 s, … (T1 doubling, capped at T2).
    let expected = vec![
        0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ];
    assert_eq!(times(&sent, "OPTIONS"), expected);
    assert_eq!(events, vec![(32_000, TuEvent::Timeout { tx })]);
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn timer_e_uses_t2_in_proceeding_rfc3261_17_1_2_2() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    ep.send_request(t0, request(Method::Options, "proceeding", 1), udp(Side::B));
    let sent = ep.poll_transmit().expect("OPTIONS");
    let Message::Request(options) = parse(&sent.bytes) else {
        panic!("a request")
    };
    ep.handle_message(
        t0 + 200 * MS,
        Message::Response(Response::from_request(&options, StatusCode::TRYING)),
        udp(Side::B),
    );
    let (sent, _) = run_alone(&mut ep, t0, t0 + 200 * MS, Duration::from_secs(12));
    assert_eq!(times(&sent, "OPTIONS"), vec![500, 4500, 8500]);
}

#[test]
fn timer_g_backoff_is_exact_and_timer_h_ends_rfc3261_17_2_1() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let (tx, req) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("new INVITE");
    ep.send_response(t0, tx, answer(&req, StatusCode::BUSY_HERE))
        .expect("486");
    let (sent, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    assert_eq!(times(&sent, "100 Trying"), vec![0]);
    let expected = vec![
        0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ];
    assert_eq!(times(&sent, "486"), expected);
    assert!(
        events.is_empty(),
        "Timer H reports nothing to the TU: {events:?}"
    );
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn ack_timeout_when_2xx_never_acked_rfc3261_13_3_1_4() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let (tx, req) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("new INVITE");
    ep.send_response(t0, tx, answer(&req, StatusCode::OK))
        .expect("200");
    let (sent, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    let expected = vec![
        0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ];
    assert_eq!(times(&sent, "200 OK"), expected);
    assert_eq!(events, vec![(32_000, TuEvent::AckTimeout { tx })]);
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn ack_for_2xx_matched_by_dialog_stops_retransmission_and_is_delivered_once_rfc3261_13_3_1_4() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let (tx, req) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("new INVITE");
    ep.send_response(t0, tx, answer(&req, StatusCode::OK))
        .expect("200");
    let ack = INVITE_FROM_C
        .replace("INVITE sip", "ACK sip")
        .replace("7 INVITE", "7 ACK")
        .replace("z9hG4bKcall1", "z9hG4bKack1")
        .replace(
            "To: <sip:bob@b.example>",
            "To: <sip:bob@b.example>;tag=to-b",
        );
    let (before, _) = run_alone(&mut ep, t0, t0, 700 * MS);
    assert_eq!(times(&before, "200 OK"), vec![0, 500]);
    let now = t0 + 700 * MS;
    ep.handle_message(now, parse_text(&ack), carol());
    assert!(matches!(ep.poll_event(), Some(TuEvent::Ack { .. })));
    // A retransmitted ACK (the UAC re-ACKs every 2xx it sees) is absorbed.
    ep.handle_message(
        now,
        parse_text(&ack.replace("z9hG4bKack1", "z9hG4bKack2")),
        carol(),
    );
    assert_eq!(ep.poll_event(), None);
    let (sent, events) = run_alone(&mut ep, t0, now, Duration::from_secs(100));
    assert!(
        sent.is_empty(),
        "no 2xx retransmission after the ACK: {sent:?}"
    );
    assert!(events.is_empty());
    assert_eq!(ep.transaction_count(), 0);
    // An ACK for a dialog with no transaction goes to the dialog layer.
    let later = t0 + Duration::from_secs(60);
    ep.handle_message(later, parse_text(&ack), carol());
    assert!(matches!(ep.poll_event(), Some(TuEvent::Ack { .. })));
}

#[test]
fn tcp_client_transactions_never_retransmit_rfc3261_17_1() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    let inv = ep.send_request(t0, request(Method::Invite, "tcp-inv", 1), tcp(Side::B));
    let opt = ep.send_request(t0, request(Method::Options, "tcp-opt", 1), tcp(Side::B));
    let (sent, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    assert_eq!(times(&sent, "INVITE"), vec![0]);
    assert_eq!(times(&sent, "OPTIONS"), vec![0]);
    assert_eq!(events.len(), 2);
    assert!(events.contains(&(32_000, TuEvent::Timeout { tx: inv })));
    assert!(events.contains(&(32_000, TuEvent::Timeout { tx: opt })));
}

#[test]
fn tcp_server_sends_finals_once_and_timer_k_is_zero_rfc3261_17_2() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let c = Peer {
        transport: Transport::Tcp,
        ..carol()
    };
    let (tx, req) =
        inject_request(&mut ep, t0, &INVITE_FROM_C.replace("UDP", "TCP"), c).expect("INVITE");
    ep.send_response(t0, tx, answer(&req, StatusCode::BUSY_HERE))
        .expect("486");
    let (tx2, req2) = inject_request(
        &mut ep,
        t0,
        &INVITE_FROM_C
            .replace("UDP", "TCP")
            .replace("call1", "call2"),
        c,
    )
    .expect("INVITE");
    ep.send_response(t0, tx2, answer(&req2, StatusCode::OK))
        .expect("200");
    let (sent, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    assert_eq!(times(&sent, "486"), vec![0]);
    assert_eq!(times(&sent, "200"), vec![0]);
    assert_eq!(events, vec![(32_000, TuEvent::AckTimeout { tx: tx2 })]);
    assert_eq!(ep.transaction_count(), 0);

    // Client side: a final over TCP ends the non-INVITE transaction at once (Timer K = 0).
    let mut a = endpoint(config(Side::A));
    a.send_request(t0, request(Method::Options, "tcp-k", 1), tcp(Side::B));
    let Message::Request(options) = parse(&a.poll_transmit().expect("OPTIONS").bytes) else {
        panic!("a request")
    };
    a.handle_message(
        t0,
        Message::Response(answer(&options, StatusCode::OK)),
        tcp(Side::B),
    );
    assert!(harness::is_response(
        &a.poll_event().expect("200 delivered"),
        200
    ));
    assert_eq!(a.poll_timeout(), Some(t0));
    a.handle_timeout(t0);
    assert_eq!(a.transaction_count(), 0);
}

#[test]
fn request_retransmission_is_absorbed_and_last_response_resent_rfc3261_17_2_2() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let options = INVITE_FROM_C.replace("INVITE", "OPTIONS");
    let (tx, req) = inject_request(&mut ep, t0, &options, carol()).expect("OPTIONS");
    // Before any response, the retransmission is silently absorbed (Trying).
    assert!(inject_request(&mut ep, t0 + 500 * MS, &options, carol()).is_none());
    assert!(ep.poll_transmit().is_none());
    ep.send_response(t0 + 600 * MS, tx, answer(&req, StatusCode::OK))
        .expect("200");
    assert!(ep.poll_transmit().is_some());
    assert!(inject_request(&mut ep, t0 + 1500 * MS, &options, carol()).is_none());
    let resent = ep.poll_transmit().expect("200 re-sent");
    assert_eq!(start_line(&resent.bytes), "SIP/2.0 200 OK");
    assert_eq!(resent.to, carol());

    // An INVITE retransmission gets the last provisional again (first the 100 Trying).
    let (itx, ireq) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("INVITE");
    assert_eq!(
        start_line(&ep.poll_transmit().expect("100").bytes),
        "SIP/2.0 100 Trying"
    );
    assert!(inject_request(&mut ep, t0 + 500 * MS, INVITE_FROM_C, carol()).is_none());
    assert_eq!(
        start_line(&ep.poll_transmit().expect("100 again").bytes),
        "SIP/2.0 100 Trying"
    );
    ep.send_response(t0, itx, answer(&ireq, StatusCode::RINGING))
        .expect("180");
    ep.poll_transmit();
    assert!(inject_request(&mut ep, t0 + 1000 * MS, INVITE_FROM_C, carol()).is_none());
    assert_eq!(
        start_line(&ep.poll_transmit().expect("180 again").bytes),
        "SIP/2.0 180 Ringing"
    );
}

const INVITE_2543: &str = "INVITE sip:bob@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.3:5070
From: <sip:carol@c.example>;tag=old1
To: <sip:bob@b.example>
Call-ID: legacy-call
CSeq: 3 INVITE
Content-Length: 0

";

#[test]
fn rfc2543_branchless_invite_and_its_ack_are_matched_rfc3261_17_2_3() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let (tx, req) = inject_request(&mut ep, t0, INVITE_2543, carol()).expect("INVITE");
    ep.send_response(t0, tx, answer(&req, StatusCode::NOT_FOUND))
        .expect("404");
    assert_eq!(
        start_line(&ep.poll_transmit().expect("100").bytes),
        "SIP/2.0 100 Trying"
    );
    assert_eq!(
        start_line(&ep.poll_transmit().expect("404").bytes),
        "SIP/2.0 404 Not Found"
    );
    // The retransmitted INVITE matches by Request-URI, tags, Call-ID, CSeq and top Via.
    assert!(inject_request(&mut ep, t0 + 100 * MS, INVITE_2543, carol()).is_none());
    assert_eq!(
        start_line(&ep.poll_transmit().expect("404 again").bytes),
        "SIP/2.0 404 Not Found"
    );
    let ack = INVITE_2543
        .replace("INVITE sip", "ACK sip")
        .replace("3 INVITE", "3 ACK")
        .replace(
            "To: <sip:bob@b.example>",
            "To: <sip:bob@b.example>;tag=to-b",
        );
    ep.handle_message(t0 + 200 * MS, parse_text(&ack), carol());
    assert_eq!(
        ep.poll_event(),
        None,
        "the non-2xx ACK is absorbed by the transaction"
    );
    let (sent, _) = run_alone(&mut ep, t0, t0 + 200 * MS, Duration::from_secs(100));
    // Timer G stopped because the ACK moved the transaction to Confirmed.
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(ep.transaction_count(), 0);
    // A different CSeq is a new transaction.
    assert!(
        inject_request(
            &mut ep,
            t0,
            &INVITE_2543.replace("3 INVITE", "4 INVITE"),
            carol()
        )
        .is_some()
    );
}

#[test]
fn received_and_rport_are_stamped_and_responses_follow_them_rfc3581_4() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let text = INVITE_FROM_C
        .replace("branch=z9hG4bKcall1", "branch=z9hG4bKnat;rport")
        .replace("10.0.0.3:5070", "192.168.1.5:5070");
    let nat = Peer {
        addr: SocketAddr::from(([203, 0, 113, 9], 40000)),
        transport: Transport::Udp,
    };
    let (tx, req) = inject_request(&mut ep, t0, &text, nat).expect("INVITE");
    let via = req.headers.top_via().expect("Via");
    assert_eq!(via.received(), Some("203.0.113.9"));
    assert_eq!(via.rport(), Some(Some(40000)));
    let trying = ep.poll_transmit().expect("100");
    assert_eq!(trying.to, nat);
    ep.send_response(t0, tx, answer(&req, StatusCode::BUSY_HERE))
        .expect("486");
    assert_eq!(ep.poll_transmit().expect("486").to, nat);

    // Without rport: received is added when the IP differs and responses go to the Via port.
    let mut ep = endpoint(config(Side::B));
    let text = INVITE_FROM_C.replace("10.0.0.3:5070", "192.168.1.5:5070");
    let (_, req) = inject_request(&mut ep, t0, &text, nat).expect("INVITE");
    let via = req.headers.top_via().expect("Via");
    assert_eq!(via.received(), Some("203.0.113.9"));
    assert_eq!(via.rport(), None);
    assert_eq!(
        ep.poll_transmit().expect("100").to.addr,
        SocketAddr::from(([203, 0, 113, 9], 5070))
    );

    // Same IP and no rport: the Via is left alone.
    let mut ep = endpoint(config(Side::B));
    let (_, req) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("INVITE");
    assert_eq!(req.headers.top_via().expect("Via").received(), None);
}

#[test]
fn request_without_via_is_dropped() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let text = INVITE_FROM_C.replace("Via: SIP/2.0/UDP 10.0.0.3:5070;branch=z9hG4bKcall1\n", "");
    ep.handle_message(t0, parse_text(&text), carol());
    assert_eq!(ep.poll_event(), None);
    assert_eq!(ep.poll_transmit(), None);
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn full_table_answers_503_statelessly() {
    let mut cfg = config(Side::B);
    cfg.max_transactions = 1;
    let mut ep = endpoint(cfg);
    let t0 = Instant::now();
    assert!(inject_request(&mut ep, t0, INVITE_FROM_C, carol()).is_some());
    ep.poll_transmit();
    assert!(
        inject_request(
            &mut ep,
            t0,
            &INVITE_FROM_C.replace("call1", "call2"),
            carol()
        )
        .is_none()
    );
    let Message::Response(resp) = parse(&ep.poll_transmit().expect("503").bytes) else {
        panic!("a response")
    };
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers.to().expect("To").tag().is_some());
    assert_eq!(ep.transaction_count(), 1);
}

#[test]
fn cancel_matching_proceeding_invite_is_answered_200_and_reported_rfc3261_9_2() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let (tx, _) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("INVITE");
    ep.poll_transmit();
    let cancel = INVITE_FROM_C
        .replace("INVITE sip", "CANCEL sip")
        .replace("7 INVITE", "7 CANCEL");
    ep.handle_message(t0, parse_text(&cancel), carol());
    assert!(
        matches!(ep.poll_event(), Some(TuEvent::Cancelled { invite_tx, .. }) if invite_tx == tx)
    );
    let Message::Response(ok) = parse(&ep.poll_transmit().expect("200").bytes) else {
        panic!("a response")
    };
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.headers.cseq().expect("CSeq").method, Method::Cancel);
    // A retransmitted CANCEL gets the same 200 and no second event.
    ep.handle_message(t0 + 500 * MS, parse_text(&cancel), carol());
    assert_eq!(ep.poll_event(), None);
    assert_eq!(
        start_line(&ep.poll_transmit().expect("200 again").bytes),
        "SIP/2.0 200 OK"
    );
}

#[test]
fn client_builds_via_cancel_and_non_2xx_ack_rfc3261_8_1_1_7_9_1_17_1_1_3() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    let tx = ep.send_request(t0, request(Method::Invite, "build", 5), udp(Side::B));
    let Message::Request(inv) = parse(&ep.poll_transmit().expect("INVITE").bytes) else {
        panic!("a request")
    };
    let via = inv.headers.get(&HeaderName::Via).expect("Via").to_owned();
    assert!(
        via.starts_with("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK"),
        "{via}"
    );
    assert!(via.ends_with(";rport"), "{via}");
    assert_eq!(inv.headers.max_forwards().expect("Max-Forwards"), Some(70));

    ep.handle_message(
        t0,
        Message::Response(answer(&inv, StatusCode::RINGING)),
        udp(Side::B),
    );
    ep.cancel(t0, tx).expect("cancel");
    assert_eq!(
        ep.cancel(t0, tx),
        Err(TransactionError::AlreadyCancelled(tx))
    );
    let Message::Request(cancel) = parse(&ep.poll_transmit().expect("CANCEL").bytes) else {
        panic!("a request")
    };
    assert_eq!(cancel.method, Method::Cancel);
    assert_eq!(cancel.uri, inv.uri);
    assert_eq!(cancel.headers.get(&HeaderName::Via), Some(via.as_str()));
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
        assert_eq!(cancel.headers.get(&name), inv.headers.get(&name));
    }
    assert_eq!(cancel.headers.cseq().expect("CSeq").seq, 5);
    // The CANCEL's own 200 is absorbed.
    ep.handle_message(
        t0,
        Message::Response(answer(&cancel, StatusCode::OK)),
        udp(Side::B),
    );
    while let Some(ev) = ep.poll_event() {
        assert!(
            harness::is_response(&ev, 180),
            "only the 180 reaches the TU: {ev:?}"
        );
    }

    let terminated = answer(&inv, StatusCode::REQUEST_TERMINATED);
    ep.handle_message(t0, Message::Response(terminated.clone()), udp(Side::B));
    assert!(harness::is_response(&ep.poll_event().expect("487"), 487));
    let Message::Request(ack) = parse(&ep.poll_transmit().expect("ACK").bytes) else {
        panic!("a request")
    };
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.headers.get(&HeaderName::Via), Some(via.as_str()));
    assert_eq!(
        ack.headers.get(&HeaderName::To),
        terminated.headers.get(&HeaderName::To)
    );
    assert_eq!(ack.headers.cseq().expect("CSeq").to_string(), "5 ACK");
    // A retransmitted 487 is absorbed and re-ACKed.
    ep.handle_message(t0, Message::Response(terminated), udp(Side::B));
    assert_eq!(ep.poll_event(), None);
    assert_eq!(
        start_line(&ep.poll_transmit().expect("ACK again").bytes),
        start_line(&ack.to_bytes())
    );
    assert_eq!(
        ep.cancel(t0, tx),
        Err(TransactionError::FinalResponseAlreadyReceived(tx))
    );
}

#[test]
fn misuse_is_reported_as_errors() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    let opt = ep.send_request(t0, request(Method::Options, "misuse", 1), udp(Side::B));
    assert_eq!(ep.cancel(t0, opt), Err(TransactionError::NotAnInvite(opt)));
    let mut b = endpoint(config(Side::B));
    let (tx, req) = inject_request(&mut b, t0, INVITE_FROM_C, carol()).expect("INVITE");
    b.send_response(t0, tx, answer(&req, StatusCode::BUSY_HERE))
        .expect("486");
    assert_eq!(
        b.send_response(t0, tx, answer(&req, StatusCode::OK)),
        Err(TransactionError::FinalResponseAlreadySent(tx))
    );
    let mut bad = answer(&req, StatusCode::OK);
    bad.status = StatusCode(700);
    assert_eq!(
        b.send_response(t0, tx, bad),
        Err(TransactionError::InvalidStatus(700))
    );
    b.handle_transport_error(opt);
    ep.handle_transport_error(opt);
    assert_eq!(ep.poll_event(), Some(TuEvent::TransportError { tx: opt }));
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn forked_2xx_in_accepted_is_delivered_and_repeats_are_flagged_rfc6026_8_4() {
    let mut ep = endpoint(config(Side::A));
    let t0 = Instant::now();
    let tx = ep.send_request(t0, request(Method::Invite, "fork", 1), udp(Side::B));
    let Message::Request(inv) = parse(&ep.poll_transmit().expect("INVITE").bytes) else {
        panic!("a request")
    };
    let first = answer(&inv, StatusCode::OK);
    let mut second = Response::from_request(&inv, StatusCode::OK);
    let mut to = second.headers.to().expect("To");
    to.set_tag("other-fork".to_owned());
    second.headers.set(HeaderName::To, to.to_string());
    let mut flags = Vec::new();
    for resp in [first.clone(), second, first] {
        ep.handle_message(t0, Message::Response(resp), udp(Side::B));
        match ep.poll_event() {
            Some(TuEvent::Response {
                tx: t,
                retransmission,
                ..
            }) if t == tx => flags.push(retransmission),
            other => panic!("expected a 2xx for {tx:?}, got {other:?}"),
        }
    }
    assert_eq!(flags, vec![false, false, true]);
    // Timer M (64*T1) ends the Accepted state.
    let (_, events) = run_alone(&mut ep, t0, t0, Duration::from_secs(100));
    assert!(events.is_empty());
    assert_eq!(ep.transaction_count(), 0);
}

#[test]
fn invite_retransmission_in_accepted_is_absorbed_rfc6026_8_5() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let (tx, req) = inject_request(&mut ep, t0, INVITE_FROM_C, carol()).expect("INVITE");
    ep.send_response(t0, tx, answer(&req, StatusCode::OK))
        .expect("200");
    while ep.poll_transmit().is_some() {}
    assert!(inject_request(&mut ep, t0 + 100 * MS, INVITE_FROM_C, carol()).is_none());
    assert_eq!(
        ep.poll_transmit(),
        None,
        "only Timer-driven 2xx retransmissions, none per request"
    );
}

#[test]
fn timer_j_keeps_non_invite_server_transaction_for_64_t1_on_udp_rfc3261_17_2_2() {
    let mut ep = endpoint(config(Side::B));
    let t0 = Instant::now();
    let options = INVITE_FROM_C.replace("INVITE", "OPTIONS");
    let (tx, req) = inject_request(&mut ep, t0, &options, carol()).expect("OPTIONS");
    ep.send_response(t0, tx, answer(&req, StatusCode::OK))
        .expect("200");
    assert_eq!(ep.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    ep.handle_timeout(t0 + Duration::from_secs(32));
    assert_eq!(ep.transaction_count(), 0);
    // Once Timer J fired, the same request is new again.
    assert!(inject_request(&mut ep, t0 + Duration::from_secs(33), &options, carol()).is_some());
}

#[test]
fn mutated_network_input_never_panics() {
    let seeds = [
        INVITE_FROM_C.to_owned(),
        INVITE_2543.to_owned(),
        INVITE_FROM_C.replace("INVITE sip", "ACK sip").replace("7 INVITE", "7 ACK"),
        INVITE_FROM_C.replace("INVITE sip", "CANCEL sip").replace("7 INVITE", "7 CANCEL"),
        "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx\nFrom: <sip:a@a>;tag=1\nTo: <sip:b@b>;tag=2\nCall-ID: r\nCSeq: 1 INVITE\nContent-Length: 0\n\n".to_owned(),
    ];
    let mut rng = fastrand::Rng::with_seed(42);
    let mut ep = endpoint(config(Side::B));
    let mut now = Instant::now();
    let alphabet = b";=:,<>@ \r\nz9hG4bK0123456789INVITEACKCANCELSIP/2.0";
    for _ in 0..3000 {
        let seed = &seeds[rng.usize(..seeds.len())];
        let mut bytes = seed.replace('\n', "\r\n").into_bytes();
        for _ in 0..rng.usize(1..4) {
            let i = rng.usize(..bytes.len());
            match rng.u8(..3) {
                0 => bytes[i] = alphabet[rng.usize(..alphabet.len())],
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, alphabet[rng.usize(..alphabet.len())]),
            }
        }
        if let Ok(msg) = sip_message::parse_datagram(&bytes, &sip_message::Limits::default()) {
            ep.handle_message(now, msg, carol());
        }
        while let Some(ev) = ep.poll_event() {
            if let TuEvent::Request { tx, request, .. } = ev {
                let status = if rng.bool() {
                    StatusCode::OK
                } else {
                    StatusCode::BUSY_HERE
                };
                let _ = ep.send_response(now, tx, Response::from_request(&request, status));
            }
        }
        while ep.poll_transmit().is_some() {}
        now += 100 * MS;
        ep.handle_timeout(now);
    }
    ep.handle_timeout(now + Duration::from_secs(100));
    while ep.poll_event().is_some() {}
    assert_eq!(ep.transaction_count(), 0, "every answered transaction ends");
}
