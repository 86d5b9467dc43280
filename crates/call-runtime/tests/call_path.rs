//! In-process test of the runtime on loopback: an agent registers with digest, the
//! carrier calls it, RTP goes through the relay both ways, the caller hangs up
//! (issue "Walking skeleton" items 6-9) [TEL-2, TEL-5].

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use call_control::dial_plan::{DialPlan, Destination, OriginClass, Route};
use call_runtime::{Runtime, RuntimeConfig};
use sip_dialog::auth::digest_response;
use sip_message::{HeaderName, Message, Response};
use support::{media_port, recv, response, sdp, via_source};
use tokio::net::UdpSocket;

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 8, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

fn config(media_base: u16) -> RuntimeConfig {
    RuntimeConfig {
        dial_plan: DialPlan {
            routes: vec![Route { numbers: "2001-2020".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Agent }],
        },
        ..support::base_config(media_base)
    }
}

#[tokio::test]
async fn tel_5_registered_agent_answers_a_carrier_call_with_anchored_rtp() {
    let dir = std::env::temp_dir().join(format!("centralino-register-{}", std::process::id()));
    let url = format!("sqlite://{}/calls.db?mode=rwc", dir.display());
    let store = sql_store::Store::open(&url).await.unwrap();
    let (writer, _task) = sql_store::StoreWriter::spawn(store.clone(), sql_store::WriterConfig::default());
    let rt = Runtime::start_with_register(config(42000), Some(writer.clone())).await.unwrap();
    let engine = rt.sip_addr();

    // The agent's phone registers with digest.
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let pa = phone.local_addr().unwrap();
    let register = |cseq: u32, auth: Option<String>| {
        let mut m = format!(
            "REGISTER sip:{e} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKreg{cseq}\r\nFrom: <sip:2001@{e}>;tag=r1\r\n\
             To: <sip:2001@{e}>\r\nCall-ID: reg1\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:2001@{pa}>\r\nExpires: 600\r\n\
             Max-Forwards: 70\r\n",
            e = engine
        );
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("Content-Length: 0\r\n\r\n");
        m
    };
    phone.send_to(register(1, None).as_bytes(), engine).await.unwrap();
    let challenge = response(&phone, 401).await;
    let www = challenge.headers.get(&HeaderName::WwwAuthenticate).unwrap().to_owned();
    let uri = format!("sip:{}", engine);
    let wrong = digest_response(&www, "REGISTER", &uri, "2001", "nope", "c1", 1).unwrap();
    phone.send_to(register(2, Some(wrong)).as_bytes(), engine).await.unwrap();
    response(&phone, 401).await;
    let auth = digest_response(&www, "REGISTER", &uri, "2001", "pw2001", "c1", 2).unwrap();
    phone.send_to(register(3, Some(auth)).as_bytes(), engine).await.unwrap();
    let ok = response(&phone, 200).await;
    assert!(ok.headers.get(&HeaderName::Contact).unwrap().contains("expires=600"));

    // The carrier calls 2001.
    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let caller_rtp = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let crtp = caller_rtp.local_addr().unwrap().port();
    let body = sdp("127.0.0.1", crtp);
    let invite = format!(
        "INVITE sip:2001@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKinv1\r\nFrom: <sip:+39000111@{ca}>;tag=c1\r\n\
         To: <sip:2001@{e}>\r\nCall-ID: call1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        e = engine
    );
    carrier.send_to(invite.as_bytes(), engine).await.unwrap();

    // The phone rings and answers with its own media port.
    let Message::Request(b_invite) = recv(&phone).await else { panic!("expected the leg-B INVITE") };
    assert_eq!(b_invite.uri.to_string(), format!("sip:2001@{pa}"));
    assert_ne!(b_invite.headers.call_id().unwrap(), "call1", "leg B has its own Call-ID");
    let relay_b = media_port(&b_invite.body);
    assert!((42000..42100).contains(&relay_b), "offer from the relay's pool: {relay_b}");
    let agent_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut ringing = Response::from_request(&b_invite, sip_message::StatusCode::RINGING);
    let mut to = ringing.headers.to().unwrap();
    to.set_tag("agent1".into());
    ringing.headers.set(HeaderName::To, to.to_string());
    phone.send_to(&ringing.to_bytes(), via_source(&b_invite)).await.unwrap();
    let mut answer = ringing.clone();
    answer.status = sip_message::StatusCode::OK;
    answer.reason = "OK".into();
    answer.headers.push(HeaderName::Contact, format!("<sip:2001@{pa}>"));
    answer.headers.push(HeaderName::ContentType, "application/sdp");
    answer.body = sdp("127.0.0.1", agent_rtp.local_addr().unwrap().port()).into_bytes();
    phone.send_to(&answer.to_bytes(), via_source(&b_invite)).await.unwrap();

    // The caller hears ringing, then gets 200 with the relay's A-side port.
    let ok = response(&carrier, 200).await;
    let relay_a = media_port(&ok.body);
    assert!((42000..42100).contains(&relay_a) && relay_a != relay_b);
    let Message::Request(ack) = recv(&phone).await else { panic!("expected the ACK to the phone") };
    assert_eq!(ack.method, sip_message::Method::Ack);
    let ack_a = format!(
        "ACK sip:centralino@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKack1\r\nFrom: <sip:+39000111@{ca}>;tag=c1\r\n\
         To: {to}\r\nCall-ID: call1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        e = engine,
        to = ok.headers.get(&HeaderName::To).unwrap()
    );
    carrier.send_to(ack_a.as_bytes(), engine).await.unwrap();

    // RTP both ways through the relay.
    let relay_a_addr: SocketAddr = format!("127.0.0.1:{relay_a}").parse().unwrap();
    let relay_b_addr: SocketAddr = format!("127.0.0.1:{relay_b}").parse().unwrap();
    // A paced stream each way (20 ms, like a phone); the first packets may race the
    // relay learning the far side's address, so count what arrives.
    let sender = |sock: std::sync::Arc<UdpSocket>, to: SocketAddr| {
        tokio::spawn(async move {
            for seq in 1..=50u16 {
                let _ = sock.send_to(&rtp(seq), to).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let caller_rtp = std::sync::Arc::new(caller_rtp);
    let agent_rtp = std::sync::Arc::new(agent_rtp);
    let s1 = sender(caller_rtp.clone(), relay_a_addr);
    let s2 = sender(agent_rtp.clone(), relay_b_addr);
    for (sock, who) in [(&agent_rtp, "agent"), (&caller_rtp, "caller")] {
        let mut buf = vec![0u8; 2048];
        let mut got = 0;
        while got < 40 {
            let Ok(Ok((n, _))) = tokio::time::timeout(Duration::from_secs(3), sock.recv_from(&mut buf)).await else { break };
            assert_eq!(n, 172, "RTP relayed unchanged in size");
            got += 1;
        }
        assert!(got >= 40, "only {got} of 50 RTP packets reached the {who} through the relay");
    }
    let _ = (s1.await, s2.await);

    // The caller hangs up: 200 to the caller, BYE to the phone.
    let bye = ack_a.replace("ACK sip", "BYE sip").replace("CSeq: 1 ACK", "CSeq: 2 BYE").replace("z9hG4bKack1", "z9hG4bKbye1");
    carrier.send_to(bye.as_bytes(), engine).await.unwrap();
    response(&carrier, 200).await;
    let Message::Request(b_bye) = recv(&phone).await else { panic!("expected BYE to the phone") };
    assert_eq!(b_bye.method, sip_message::Method::Bye);
    let bye_ok = Response::from_request(&b_bye, sip_message::StatusCode::OK);
    phone.send_to(&bye_ok.to_bytes(), engine).await.unwrap();

    // SLA-9: the register row is complete once the call task has ended.
    let mut row = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        writer.flush().await.unwrap();
        let calls = store.calls(10, None).await.unwrap();
        if calls.first().is_some_and(|c| c.ended_at.is_some()) {
            row = calls.into_iter().next();
            break;
        }
    }
    let row = serde_json::to_value(row.expect("the call's register row is closed")).unwrap();
    assert_eq!(row["channel"], "verde");
    assert_eq!(row["from"], "+39000111");
    assert_eq!(row["to"], "2001");
    assert_eq!(row["agent"], "2001");
    assert_eq!(row["outcome"], "answered");
    assert!(row["answered_at"].is_string() && row["operator_requested_at"].is_string(), "{row}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_stranger_cannot_place_a_call() {
    let rt = Runtime::start(config(42200)).await.unwrap();
    let engine = rt.sip_addr();
    let stranger = UdpSocket::bind("127.0.0.99:0").await.unwrap();
    let sa = stranger.local_addr().unwrap();
    let invite = format!(
        "INVITE sip:2001@{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {sa};branch=z9hG4bKs1\r\nFrom: <sip:x@{sa}>;tag=s\r\n\
         To: <sip:2001@{engine}>\r\nCall-ID: s1\r\nCSeq: 1 INVITE\r\nContact: <sip:x@{sa}>\r\nMax-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    stranger.send_to(invite.as_bytes(), engine).await.unwrap();
    let r = response(&stranger, 403).await;
    assert_eq!(r.status.0, 403);
}


