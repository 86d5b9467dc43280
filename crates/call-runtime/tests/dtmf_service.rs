//! In-process test of a call the engine answers itself (DEMO row 9001, service
//! `dtmf-test`) on loopback: the carrier calls 9001, hears the welcome prompt as RTP,
//! presses `1` as RFC 4733 events and `2` as a SIP INFO, and both digits come out of
//! the CTI bus as `dtmf` events, between `call.answered` and `call.ended`
//! [IVR-1, IVR-4; issue "Media engine" items 1, 4, 7].

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use call_control::dial_plan::{Destination, DialPlan, OriginClass, Route};
use call_runtime::{Runtime, RuntimeConfig};
use sip_message::HeaderName;
use support::{cti_event, media_port, response, sdp, telephone_event};
use tokio::net::UdpSocket;

/// A request inside the caller's dialog.
fn in_dialog(method: &str, cseq: u32, engine: SocketAddr, ca: SocketAddr, to: &str, extra: &str, body: &str) -> String {
    format!(
        "{method} sip:centralino@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bK{method}{cseq}\r\n\
         From: <sip:+39000111@{ca}>;tag=c1\r\nTo: {to}\r\nCall-ID: dtmf1\r\nCSeq: {cseq} {method}\r\n\
         Max-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn config(media_base: u16, prompts_dir: PathBuf) -> RuntimeConfig {
    RuntimeConfig {
        agents: vec![],
        dial_plan: DialPlan {
            routes: vec![
                Route { numbers: "9001".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Service("dtmf-test".into()) },
                Route { numbers: "9002".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Service("no-such-service".into()) },
            ],
        },
        prompts_dir,
        ..support::base_config(media_base)
    }
}

#[tokio::test]
async fn ivr_1_ivr_4_demo_9001_plays_the_welcome_and_reports_rfc4733_and_info_digits() {
    let prompts = support::prompt_folder("dtmf-service", &["benvenuto"]);
    let rt = Runtime::start(config(43000, prompts.clone())).await.unwrap();
    let mut cti = rt.cti().subscribe();
    let engine = rt.sip_addr();

    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let media = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let body = sdp("127.0.0.11", media.local_addr().unwrap().port());
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
    // Schema v1 (docs/events.md): every call event carries the channel and the seconds waited [CTI-3].
    let answered = cti_event(&mut cti, "call.answered").await;
    assert_eq!((answered["channel"].as_str(), answered["waited_seconds"].as_u64()), (Some("verde"), Some(0)), "{answered}");
    cti_bus::schema::check("call.answered", &answered).unwrap();

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
    let ended = cti_event(&mut cti, "call.ended").await;
    assert_eq!((ended["cause"].as_str(), ended["answered"].as_bool()), (Some("caller_hangup"), Some(true)), "{ended}");
    cti_bus::schema::check("call.ended", &ended).unwrap();
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
