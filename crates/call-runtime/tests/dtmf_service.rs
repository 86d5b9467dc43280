//! In-process test of a call the engine answers itself (DEMO row 9001, service
//! `dtmf-test`) on loopback: the carrier calls 9001, hears the welcome prompt as RTP,
//! presses `1` as RFC 4733 events and `2` as a SIP INFO, and both digits come out of
//! the CTI bus as `dtmf` events, between `call.answered` and `call.ended`
//! [IVR-1, IVR-4; issue "Media engine" items 1, 4, 7].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use call_control::dial_plan::{Destination, DialPlan, OriginClass, Route};
use call_control::trunk::TrunkConfig;
use call_runtime::{Runtime, RuntimeConfig, SipTimers};
use media_relay::RelayConfig;
use sip_message::{HeaderName, Limits, Message, Response, parse_datagram};
use tokio::net::UdpSocket;

fn config(media_base: u16, prompts_dir: PathBuf) -> RuntimeConfig {
    RuntimeConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        realm: "centralino".into(),
        digest_challenge: vec![sip_dialog::auth::DigestAlgorithm::Md5],
        timers: SipTimers { t1: Duration::from_millis(500), t2: Duration::from_secs(4), t4: Duration::from_secs(5) },
        ring_timeout: Duration::from_secs(10),
        session_expires: Some(Duration::from_secs(1800)),
        min_se: Duration::from_secs(90),
        min_expires: 60,
        max_expires: 3600,
        default_expires: 3600,
        media: RelayConfig {
            bind_ip: "127.0.0.1".parse().unwrap(),
            port_min: media_base,
            port_max: media_base + 99,
            inactivity_timeout: Duration::from_secs(30),
            relatch_after: Duration::from_secs(2),
        },
        http_listen: None,
        agents: vec![],
        trunks: vec![TrunkConfig {
            name: "carrier".into(),
            allow: vec!["127.0.0.11".parse().unwrap()],
            outbound: vec![],
            options_interval: None,
        }],
        trunk_registrations: vec![],
        trunk_channels: vec![Some(sql_store::Channel::Verde)],
        store_url: None,
        dial_plan: DialPlan {
            routes: vec![
                Route { numbers: "9001".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Service("dtmf-test".into()) },
                Route { numbers: "9002".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Service("no-such-service".into()) },
            ],
        },
        prompts_dir,
        web_users: vec![],
        recording: Default::default(),
    }
}

/// A prompt folder holding only `it/benvenuto` (copied from the shipped set), so the
/// test decodes one file.
fn prompt_folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("centralino-dtmf-service-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("it")).unwrap();
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../prompts/it/benvenuto.wav");
    std::fs::copy(shipped, dir.join("it/benvenuto.wav")).unwrap();
    dir
}

async fn recv(sock: &UdpSocket) -> Message {
    let mut buf = vec![0u8; 65535];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf)).await.expect("a SIP message in time").unwrap();
    parse_datagram(&buf[..n], &Limits::default()).expect("the engine sends valid SIP")
}

async fn response(sock: &UdpSocket, status: u16) -> Response {
    loop {
        if let Message::Response(r) = recv(sock).await {
            if r.status.0 == status {
                return r;
            }
            assert!(r.status.0 < 200, "unexpected final {}", r.status.0);
        }
    }
}

fn sdp(port: u16) -> String {
    format!(
        "v=0\r\no=x 1 1 IN IP4 127.0.0.11\r\ns=-\r\nc=IN IP4 127.0.0.11\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
    )
}

fn media_port(body: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().find(|l| l.starts_with("m=audio ")).expect("an audio m-line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// An RFC 4733 §2.3 telephone-event packet (payload type 101).
fn telephone_event(seq: u16, ts: u32, event: u8, end: bool, duration: u16, marker: bool) -> Vec<u8> {
    let mut p = vec![0x80, 101 | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&[0x55, 0x66, 0x77, 0x88]);
    p.extend_from_slice(&[event, if end { 0x80 | 10 } else { 10 }]);
    p.extend_from_slice(&duration.to_be_bytes());
    p
}

/// A request inside the caller's dialog.
fn in_dialog(method: &str, cseq: u32, engine: SocketAddr, ca: SocketAddr, to: &str, extra: &str, body: &str) -> String {
    format!(
        "{method} sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bK{method}{cseq}\r\n\
         From: <sip:+39000111@{ca}>;tag=c1\r\nTo: {to}\r\nCall-ID: dtmf1\r\nCSeq: {cseq} {method}\r\n\
         Max-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Waits for the next CTI event of `kind` and returns its data.
async fn cti_event(rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<cti_bus::CtiEvent>>, kind: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv()).await.unwrap_or_else(|_| panic!("no {kind} CTI event in time")).expect("the bus is open");
        if ev.kind == kind {
            assert!(ev.call.is_some(), "CTI events name the call");
            return ev.data.clone();
        }
    }
}

#[tokio::test]
async fn ivr_1_ivr_4_demo_9001_plays_the_welcome_and_reports_rfc4733_and_info_digits() {
    let prompts = prompt_folder();
    let rt = Runtime::start(config(43000, prompts.clone())).await.unwrap();
    let mut cti = rt.cti().subscribe();
    let engine = rt.sip_addr();

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let media = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let body = sdp(media.local_addr().unwrap().port());
    let invite = format!(
        "INVITE sip:9001@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKinv1\r\nFrom: <sip:+39000111@{ca}>;tag=c1\r\n\
         To: <sip:9001@{engine}>\r\nCall-ID: dtmf1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();

    // Answered by the engine itself, with its A-side media port.
    let ok = response(&carrier, 200).await;
    let relay_a: SocketAddr = format!("127.0.0.1:{}", media_port(&ok.body)).parse().unwrap();
    assert!((43000..43100).contains(&relay_a.port()));
    assert!(String::from_utf8_lossy(&ok.body).contains("telephone-event/8000"));
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    carrier.send_to(in_dialog("ACK", 1, engine, ca, &to, "", "").as_bytes(), engine).await.unwrap();
    assert_eq!(cti_event(&mut cti, "call.answered").await, serde_json::json!({}));

    // The welcome prompt (2 s) arrives as paced PCMA RTP.
    let mut buf = vec![0u8; 2048];
    let mut packets = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(2200);
    while let Ok(Ok((n, from))) = tokio::time::timeout_at(until, media.recv_from(&mut buf)).await {
        assert_eq!(from, relay_a, "symmetric RTP from the answered port");
        assert_eq!(buf[1] & 0x7f, 8, "PCMA");
        assert_eq!(n, 172);
        packets += 1;
    }
    assert!(packets > 50, "only {packets} prompt packets in ~2 s");

    // "1" as RFC 4733: a start packet and three end packets (same timestamp).
    media.send_to(&telephone_event(1, 16000, 1, false, 160, true), relay_a).await.unwrap();
    for seq in 2..=4 {
        media.send_to(&telephone_event(seq, 16000, 1, true, 800, false), relay_a).await.unwrap();
    }
    assert_eq!(cti_event(&mut cti, "dtmf").await, serde_json::json!({ "digit": "1", "via": "rfc4733" }));

    // "2" as SIP INFO (application/dtmf-relay).
    let info = in_dialog("INFO", 2, engine, ca, &to, "Content-Type: application/dtmf-relay\r\n", "Signal=2\r\nDuration=160\r\n");
    carrier.send_to(info.as_bytes(), engine).await.unwrap();
    response(&carrier, 200).await;
    assert_eq!(cti_event(&mut cti, "dtmf").await, serde_json::json!({ "digit": "2", "via": "sip_info" }));

    // The caller hangs up.
    carrier.send_to(in_dialog("BYE", 3, engine, ca, &to, "", "").as_bytes(), engine).await.unwrap();
    response(&carrier, 200).await;
    assert_eq!(cti_event(&mut cti, "call.ended").await, serde_json::json!({ "cause": "caller_hangup" }));
    let _ = std::fs::remove_dir_all(prompts);
}

#[tokio::test]
async fn a_route_to_an_unknown_service_is_refused_404() {
    let rt = Runtime::start(config(43200, "no-such-prompts-folder".into())).await.unwrap();
    let engine = rt.sip_addr();
    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let invite = format!(
        "INVITE sip:9002@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKinv2\r\nFrom: <sip:+39000111@{ca}>;tag=c2\r\n\
         To: <sip:9002@{engine}>\r\nCall-ID: dtmf2\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();
    assert_eq!(response(&carrier, 404).await.status.0, 404);
}
