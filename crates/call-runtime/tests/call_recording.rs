//! In-process test of call recording on loopback [CRM-4; issue "Media engine" item 5]:
//! with `RecordingPolicy::All` and a consent prompt, a carrier call to agent 2001 is
//! bridged, the caller hears the consent prompt, then the call is recorded as a stereo
//! WAV (caller left, agent right) under the configured folder and name; the recording's
//! path is in the `call.ended` CTI event.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use call_control::dial_plan::{Destination, DialPlan, OriginClass, Route};
use call_runtime::{RecordingConfig, RecordingPolicy, Runtime, RuntimeConfig};
use sip_dialog::auth::digest_response;
use sip_message::{HeaderName, Message, Response};
use support::{media_port, recv, response, sdp, via_source};
use tokio::net::UdpSocket;

fn config(media_base: u16, root: &std::path::Path) -> RuntimeConfig {
    RuntimeConfig {
        session_expires: None,
        trunk_channels: vec![None],
        dial_plan: DialPlan {
            routes: vec![Route { numbers: "2001".parse().unwrap(), from: vec![OriginClass::AnyTrunk], to: Destination::Agent }],
        },
        prompts_dir: root.join("prompts"),
        recording: RecordingConfig {
            policy: RecordingPolicy::All,
            dir: root.join("recordings"),
            file: "{date}/{call}-{time}.wav".into(),
            // A short announcement keeps the test short; any prompt will do.
            consent_prompt: Some("it/beep".into()),
            max_duration: Duration::from_secs(600),
        },
        ..support::base_config(media_base)
    }
}

/// A sine of `hz` at 8 kHz.
fn sine(hz: f64, secs: f64) -> Vec<i16> {
    (0..(secs * 8000.0) as usize).map(|i| ((2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0).sin() * 12000.0) as i16).collect()
}

/// Sends `samples` as paced PCMA RTP (20 ms packets).
fn sender(sock: Arc<UdpSocket>, to: SocketAddr, samples: Vec<i16>, ssrc: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for (i, frame) in samples.chunks(160).enumerate() {
            let i = i as u16;
            let mut p = vec![0x80, 8];
            p.extend_from_slice(&i.to_be_bytes());
            p.extend_from_slice(&(u32::from(i) * 160).to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            let mut payload = vec![0u8; frame.len()];
            rtp_media::g711::encode_alaw(frame, &mut payload);
            p.extend_from_slice(&payload);
            let _ = sock.send_to(&p, to).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// Energy of `hz` in `x` relative to the signal's energy (a one-bin DFT), 0..1.
fn tone_share(x: &[i16], hz: f64) -> f64 {
    let (mut re, mut im, mut e) = (0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let v = f64::from(v);
        let w = 2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0;
        re += v * w.cos();
        im += v * w.sin();
        e += v * v;
    }
    if e == 0.0 { 0.0 } else { 2.0 * (re * re + im * im) / (x.len() as f64 * e) }
}

#[tokio::test]
async fn crm_4_a_bridged_call_is_announced_then_recorded_in_stereo() {
    let root = std::env::temp_dir().join(format!("centralino-call-recording-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("prompts/it")).unwrap();
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../prompts/it/beep.wav");
    std::fs::copy(shipped, root.join("prompts/it/beep.wav")).unwrap();
    let rt = Runtime::start(config(43600, &root)).await.unwrap();
    let mut cti = rt.cti().subscribe();
    let e = rt.sip_addr();

    // Agent 2001 registers.
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let pa = phone.local_addr().unwrap();
    let register = |cseq: u32, auth: Option<String>| {
        let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        format!(
            "REGISTER sip:{e} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKrreg{cseq}\r\nFrom: <sip:2001@{e}>;tag=r1\r\n\
             To: <sip:2001@{e}>\r\nCall-ID: rreg1\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:2001@{pa}>\r\nExpires: 600\r\n\
             Max-Forwards: 70\r\n{auth}Content-Length: 0\r\n\r\n"
        )
    };
    phone.send_to(register(1, None).as_bytes(), e).await.unwrap();
    let www = response(&phone, 401).await.headers.get(&HeaderName::WwwAuthenticate).unwrap().to_owned();
    let auth = digest_response(&www, "REGISTER", &format!("sip:{e}"), "2001", "pw2001", "c1", 1).unwrap();
    phone.send_to(register(2, Some(auth)).as_bytes(), e).await.unwrap();
    response(&phone, 200).await;

    // The carrier calls 2001; the phone answers at once.
    let carrier = UdpSocket::bind("127.0.0.11:0").await.unwrap();
    let ca = carrier.local_addr().unwrap();
    let caller_rtp = Arc::new(UdpSocket::bind("127.0.0.11:0").await.unwrap());
    let body = sdp("127.0.0.11", caller_rtp.local_addr().unwrap().port());
    let invite = format!(
        "INVITE sip:2001@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKrinv1\r\nFrom: <sip:+39000222@{ca}>;tag=c1\r\n\
         To: <sip:2001@{e}>\r\nCall-ID: rcall1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{ca}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    carrier.send_to(invite.as_bytes(), e).await.unwrap();
    let Message::Request(b_invite) = recv(&phone).await else { panic!("expected the leg-B INVITE") };
    let relay_b: SocketAddr = format!("127.0.0.1:{}", media_port(&b_invite.body)).parse().unwrap();
    let agent_rtp = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let mut answer = Response::from_request(&b_invite, sip_message::StatusCode::OK);
    let mut to = answer.headers.to().unwrap();
    to.set_tag("agent1".into());
    answer.headers.set(HeaderName::To, to.to_string());
    answer.headers.push(HeaderName::Contact, format!("<sip:2001@{pa}>"));
    answer.headers.push(HeaderName::ContentType, "application/sdp");
    answer.body = sdp("127.0.0.1", agent_rtp.local_addr().unwrap().port()).into_bytes();
    phone.send_to(&answer.to_bytes(), via_source(&b_invite)).await.unwrap();
    let ok = response(&carrier, 200).await;
    let relay_a: SocketAddr = format!("127.0.0.1:{}", media_port(&ok.body)).parse().unwrap();
    let ack_a = format!(
        "ACK sip:centralino@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {ca};branch=z9hG4bKrack1\r\nFrom: <sip:+39000222@{ca}>;tag=c1\r\n\
         To: {}\r\nCall-ID: rcall1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        ok.headers.get(&HeaderName::To).unwrap()
    );
    carrier.send_to(ack_a.as_bytes(), e).await.unwrap();

    // The caller hears the consent prompt (the 300 ms beep) before anything else.
    let mut buf = vec![0u8; 2048];
    let mut announced = Vec::new();
    while announced.len() < 2400 {
        let (n, _) = tokio::time::timeout(Duration::from_secs(3), caller_rtp.recv_from(&mut buf)).await.expect("the consent prompt").unwrap();
        let mut pcm = vec![0i16; n - 12];
        rtp_media::g711::decode_alaw(&buf[12..n], &mut pcm);
        announced.extend(pcm);
    }
    assert!(tone_share(&announced[..2400], 1000.0) > 0.8, "the consent prompt (1 kHz beep) reaches the caller");

    // Then both talk: the caller at 440 Hz, the agent at 1200 Hz, 1.5 s each.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s1 = sender(caller_rtp.clone(), relay_a, sine(440.0, 1.5), 0xA1);
    let s2 = sender(agent_rtp.clone(), relay_b, sine(1200.0, 1.5), 0xB2);
    let _ = (s1.await, s2.await);

    // The caller hangs up.
    let bye = ack_a.replace("ACK sip", "BYE sip").replace("CSeq: 1 ACK", "CSeq: 2 BYE").replace("z9hG4bKrack1", "z9hG4bKrbye1");
    carrier.send_to(bye.as_bytes(), e).await.unwrap();
    response(&carrier, 200).await;
    loop {
        if let Message::Request(r) = recv(&phone).await
            && r.method == sip_message::Method::Bye
        {
            phone.send_to(&Response::from_request(&r, sip_message::StatusCode::OK).to_bytes(), e).await.unwrap();
            break;
        }
    }
    let ended = loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), cti.recv()).await.expect("call.ended in time").unwrap();
        if ev.kind == "call.ended" {
            break ev.data.clone();
        }
    };
    let path = PathBuf::from(ended["recording"].as_str().unwrap_or_else(|| panic!("a recording path in {ended}")));
    assert!(path.starts_with(root.join("recordings")), "{}", path.display());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(!name.contains("39000222"), "no caller number in the file name: {name}");

    // The file is finalized when the call task ends.
    let mut samples = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(bytes) = std::fs::read(&path)
            && bytes.len() > 44
            && u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize == bytes.len() - 44
        {
            assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 2, "stereo");
            samples = bytes[44..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect::<Vec<_>>();
            if samples.len() > 2 * 8000 {
                break;
            }
        }
    }
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert!(left.len() > 8000, "at least a second recorded, got {} frames", left.len());
    // Where the caller talked, the left channel is the caller's tone and the right the agent's.
    let loud = left.iter().position(|s| s.unsigned_abs() > 4000).expect("the caller's audio is in the left channel");
    let window = loud + 800..(loud + 8800).min(left.len());
    assert!(tone_share(&left[window.clone()], 440.0) > 0.8, "left = caller");
    assert!(tone_share(&right[window.clone()], 1200.0) > 0.8, "right = agent");
    assert!(tone_share(&left[window.clone()], 1200.0) < 0.05, "the agent is not in the left channel");
    let _ = std::fs::remove_dir_all(root);
}
