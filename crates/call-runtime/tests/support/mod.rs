//! Helpers shared by the runtime's loopback tests: a base configuration, a minimal SIP
//! peer over UDP (receive, wait for a status or a request), SDP and RTP builders, and
//! CTI event waits.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use call_control::dial_plan::DialPlan;
use call_control::trunk::TrunkConfig;
use call_runtime::{AgentAccount, RuntimeConfig, SipTimers};
use media_relay::RelayConfig;
use sip_dialog::auth::digest_response;
use sip_message::{HeaderName, Limits, Message, Request, Response, parse_datagram};
use tokio::net::UdpSocket;

/// SIP on an ephemeral loopback port, media from `media_base..media_base+99`, agent 2001
/// (password pw2001), the carrier trusted from 127.0.0.11 (channel `verde`), no routes,
/// no prompts, no store, no recording. Tests override fields with struct update syntax.
pub fn base_config(media_base: u16) -> RuntimeConfig {
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
        agents: vec![AgentAccount { extension: "2001".into(), password: "pw2001".into() }],
        trunks: vec![TrunkConfig {
            name: "carrier".into(),
            allow: vec!["127.0.0.11".parse().unwrap()],
            outbound: vec![],
            options_interval: None,
        }],
        trunk_registrations: vec![],
        trunk_channels: vec![Some(sql_store::Channel::Verde)],
        store_url: None,
        dial_plan: DialPlan::default(),
        prompts_dir: "no-such-prompts-folder".into(),
        web_users: vec![],
        recording: Default::default(),
        webhooks: Vec::new(),
        services: Vec::new(),
        acd: acd_engine::AcdConfig::new(Vec::new(), Vec::new()),
        ivr_files: Vec::new(),
        ivr_scripts: Default::default(),
        voicemail_dir: std::env::temp_dir().join(format!("centralino-vm-{}", std::process::id())),
    }
}

/// A scratch prompt folder holding copies of the shipped Italian prompts `names`.
pub fn prompt_folder(test: &str, names: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("centralino-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("it")).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts/it");
    for p in names {
        std::fs::copy(shipped.join(format!("{p}.wav")), dir.join(format!("it/{p}.wav"))).unwrap();
    }
    dir
}

/// The next SIP message on `sock` (5 s at most).
pub async fn recv(sock: &UdpSocket) -> Message {
    let mut buf = vec![0u8; 65535];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .expect("a SIP message in time")
        .unwrap();
    parse_datagram(&buf[..n], &Limits::default()).expect("the engine sends valid SIP")
}

/// Receives until a response with `status`, skipping provisionals and requests.
pub async fn response(sock: &UdpSocket, status: u16) -> Response {
    loop {
        if let Message::Response(r) = recv(sock).await {
            if r.status.0 == status {
                return r;
            }
            assert!(r.status.0 < 200, "unexpected final {}", r.status.0);
        }
    }
}

/// The next request on `sock`, skipping responses.
pub async fn request(sock: &UdpSocket, timeout: Duration) -> Request {
    tokio::time::timeout(timeout, async {
        loop {
            if let Message::Request(r) = recv(sock).await {
                return r;
            }
        }
    })
    .await
    .expect("a request from the engine in time")
}

/// A PCMA + telephone-event offer/answer from `ip:port`.
pub fn sdp(ip: &str, port: u16) -> String {
    format!(
        "v=0\r\no=x 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
    )
}

/// The audio port an SDP body names.
pub fn media_port(body: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().find(|l| l.starts_with("m=audio ")).expect("an audio m-line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Where responses to a request go: its top Via.
pub fn via_source(req: &Request) -> SocketAddr {
    let via = req.headers.top_via().unwrap();
    format!("{}:{}", via.host, via.port.unwrap_or(5060)).parse().unwrap()
}

/// An RFC 4733 §2.3 telephone-event packet (payload type 101).
pub fn telephone_event(seq: u16, ts: u32, event: u8, end: bool, duration: u16, marker: bool) -> Vec<u8> {
    let mut p = vec![0x80, 101 | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&[0x55, 0x66, 0x77, 0x88]);
    p.extend_from_slice(&[event, if end { 0x80 | 10 } else { 10 }]);
    p.extend_from_slice(&duration.to_be_bytes());
    p
}

/// Waits (5 s at most) for the next CTI event of `kind` and returns its data.
pub async fn cti_event(
    rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<cti_bus::CtiEvent>>,
    kind: &str,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {kind} CTI event in time"))
            .expect("the bus is open");
        if ev.kind == kind {
            assert!(ev.call.is_some(), "CTI events name the call");
            return ev.data.clone();
        }
    }
}

/// A `200 OK` to `req` (an in-dialog request from the engine), copying the dialog headers.
pub fn ok_to(req: &Request) -> String {
    let h = |n: HeaderName| req.headers.get(&n).unwrap_or_default().to_owned();
    format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        h(HeaderName::Via),
        h(HeaderName::From),
        h(HeaderName::To),
        h(HeaderName::CallId),
        h(HeaderName::CSeq)
    )
}

/// A phone that registered `ext` with digest; returns its socket.
pub async fn phone(engine: SocketAddr, ext: &str) -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let pa = sock.local_addr().unwrap();
    let register = |cseq: u32, auth: Option<String>| {
        let mut m = format!(
            "REGISTER sip:{engine} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKreg{ext}{cseq}\r\nFrom: <sip:{ext}@{engine}>;tag=r{ext}\r\n\
             To: <sip:{ext}@{engine}>\r\nCall-ID: reg{ext}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{ext}@{pa}>\r\nExpires: 600\r\n\
             Max-Forwards: 70\r\n"
        );
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("Content-Length: 0\r\n\r\n");
        m
    };
    sock.send_to(register(1, None).as_bytes(), engine).await.unwrap();
    let challenge = response(&sock, 401).await;
    let www = challenge.headers.get(&HeaderName::WwwAuthenticate).unwrap().to_owned();
    let auth = digest_response(&www, "REGISTER", &format!("sip:{engine}"), ext, &format!("pw{ext}"), "c1", 1).unwrap();
    sock.send_to(register(2, Some(auth)).as_bytes(), engine).await.unwrap();
    response(&sock, 200).await;
    sock
}

/// A response to `req` from the phone, with `extra` headers and `body`.
pub fn answer(req: &Request, status: u16, reason: &str, to_tag: &str, contact: SocketAddr, body: &str) -> String {
    let h = |n: HeaderName| req.headers.get(&n).unwrap_or_default().to_owned();
    let ctype = if body.is_empty() { String::new() } else { "Content-Type: application/sdp\r\n".to_owned() };
    format!(
        "SIP/2.0 {status} {reason}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag={to_tag}\r\nCall-ID: {}\r\nCSeq: {}\r\n\
         Contact: <sip:agent@{contact}>\r\n{ctype}Content-Length: {}\r\n\r\n{body}",
        h(HeaderName::Via),
        h(HeaderName::From),
        h(HeaderName::To),
        h(HeaderName::CallId),
        h(HeaderName::CSeq),
        body.len()
    )
}

/// Waits for the next CTI event of `kind` (any call or none).
pub async fn event(rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<cti_bus::CtiEvent>>, kind: &str) -> serde_json::Value {
    event_of(rx, kind).await.data.clone()
}

/// Waits for the next CTI event of `kind` and returns all of it (the call number too).
pub async fn event_of(rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<cti_bus::CtiEvent>>, kind: &str) -> std::sync::Arc<cti_bus::CtiEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv()).await.unwrap_or_else(|_| panic!("no {kind} in time")).unwrap();
        if ev.kind == kind {
            return ev;
        }
    }
}

/// A folder of short (0.2 s) silent prompts with the given names, so a flow's prompts play
/// quickly.
pub fn short_prompts(test: &str, names: &[&str]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("centralino-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("it")).unwrap();
    let samples = 1600u32;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples * 2).to_le_bytes());
    wav.resize(wav.len() + samples as usize * 2, 0);
    for n in names {
        std::fs::write(dir.join(format!("it/{n}.wav")), &wav).unwrap();
    }
    dir
}
