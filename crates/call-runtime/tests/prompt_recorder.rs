//! In-process test of recording a prompt by phone (service `prompt-recorder` on 9000,
//! IVR-2; issue "Media engine" item 6) on loopback: agent 2001 registers, dials 9000
//! (answering the 407 challenge), hears the instructions and the beep, sends a two-tone
//! signal as PCMA RTP, presses `#` (RFC 4733), hears the take played back, presses `1`;
//! the new prompt `it/registrazione_<HHMMSS>` exists in the prompts folder and its
//! audio correlates with what the agent sent, and the engine hangs up after the
//! confirmation.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use call_control::dial_plan::{Destination, DialPlan, OriginClass, Route};
use call_runtime::{Runtime, RuntimeConfig};
use sip_dialog::auth::digest_response;
use sip_message::{HeaderName, Response};
use support::{cti_event, media_port, request, response, telephone_event};
use tokio::net::UdpSocket;

const PROMPTS: [&str; 6] =
    ["registra_annuncio", "beep", "conferma_annuncio", "annuncio_salvato", "errore_tecnico", "arrivederci"];

/// The agent's signal: 523 Hz + 784 Hz (C5 + G5), 8 kHz, `secs` long.
fn tone(secs: f64) -> Vec<i16> {
    let n = (secs * 8000.0) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let v = 0.3 * (2.0 * std::f64::consts::PI * 523.0 * t).sin() + 0.2 * (2.0 * std::f64::consts::PI * 784.0 * t).sin();
            (v * 32767.0) as i16
        })
        .collect()
}

fn rtp_pcma(seq: u16, ts: u32, samples: &[i16]) -> Vec<u8> {
    let mut p = vec![0x80, 8];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&[0x20, 0x01, 0x20, 0x01]);
    let mut payload = vec![0u8; samples.len()];
    rtp_media::g711::encode_alaw(samples, &mut payload);
    p.extend_from_slice(&payload);
    p
}

/// Receives PCMA RTP until `quiet` passes without a packet (or `max` overall); returns
/// the decoded audio.
async fn listen(media: &UdpSocket, quiet: Duration, max: Duration) -> Vec<i16> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    let end = tokio::time::Instant::now() + max;
    loop {
        let until = (tokio::time::Instant::now() + quiet).min(end);
        match tokio::time::timeout_at(until, media.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) if n > 12 && buf[1] & 0x7f == 8 => {
                let mut pcm = vec![0i16; n - 12];
                rtp_media::g711::decode_alaw(&buf[12..n], &mut pcm);
                out.extend(pcm);
            }
            Ok(_) => {}
            Err(_) => return out,
        }
    }
}

/// The best normalized cross-correlation of `reference` within `signal`.
fn best_correlation(reference: &[i16], signal: &[i16]) -> f64 {
    let r: Vec<f64> = reference.iter().map(|&v| f64::from(v)).collect();
    let s: Vec<f64> = signal.iter().map(|&v| f64::from(v)).collect();
    let rr: f64 = r.iter().map(|v| v * v).sum();
    let mut best = 0.0f64;
    for lag in 0..s.len().saturating_sub(r.len()) {
        let w = &s[lag..lag + r.len()];
        let ss: f64 = w.iter().map(|v| v * v).sum();
        if ss <= 0.0 {
            continue;
        }
        let dot: f64 = r.iter().zip(w).map(|(a, b)| a * b).sum();
        best = best.max(dot / (rr * ss).sqrt());
    }
    best
}

fn config(media_base: u16, prompts_dir: PathBuf) -> RuntimeConfig {
    RuntimeConfig {
        session_expires: None,
        trunks: vec![],
        trunk_channels: vec![],
        dial_plan: DialPlan {
            routes: vec![Route {
                numbers: "9000".parse().unwrap(),
                from: vec![OriginClass::Agent],
                to: Destination::Service("prompt-recorder".into()),
            }],
        },
        prompts_dir,
        ..support::base_config(media_base)
    }
}

#[tokio::test]
async fn ivr_2_an_agent_records_a_prompt_by_phone_and_it_is_saved() {
    let prompts = support::prompt_folder("prompt-recorder", &PROMPTS);
    let rt = Runtime::start(config(43400, prompts.clone())).await.unwrap();
    let mut cti = rt.cti().subscribe();
    let e: SocketAddr = rt.sip_addr();

    // Agent 2001 registers (401, then digest).
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let pa = phone.local_addr().unwrap();
    let register = |cseq: u32, auth: Option<String>| {
        let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        format!(
            "REGISTER sip:{e} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKpreg{cseq}\r\nFrom: <sip:2001@{e}>;tag=r1\r\n\
             To: <sip:2001@{e}>\r\nCall-ID: preg1\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:2001@{pa}>\r\nExpires: 600\r\n\
             Max-Forwards: 70\r\n{auth}Content-Length: 0\r\n\r\n"
        )
    };
    phone.send_to(register(1, None).as_bytes(), e).await.unwrap();
    let www = response(&phone, 401).await.headers.get(&HeaderName::WwwAuthenticate).unwrap().to_owned();
    let auth = digest_response(&www, "REGISTER", &format!("sip:{e}"), "2001", "pw2001", "c1", 1).unwrap();
    phone.send_to(register(2, Some(auth)).as_bytes(), e).await.unwrap();
    response(&phone, 200).await;

    // It dials 9000: challenged with 407, it answers with Proxy-Authorization.
    let media = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mp = media.local_addr().unwrap().port();
    let sdp = format!(
        "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {mp} RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
    );
    let uri = format!("sip:9000@{e}");
    let invite = |cseq: u32, auth: Option<String>| {
        let auth = auth.map(|a| format!("Proxy-Authorization: {a}\r\n")).unwrap_or_default();
        format!(
            "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKpinv{cseq}\r\nFrom: <sip:2001@{e}>;tag=a1\r\n\
             To: <sip:9000@{e}>\r\nCall-ID: prec1\r\nCSeq: {cseq} INVITE\r\nContact: <sip:2001@{pa}>\r\nMax-Forwards: 70\r\n\
             {auth}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        )
    };
    phone.send_to(invite(1, None).as_bytes(), e).await.unwrap();
    let challenge = response(&phone, 407).await;
    let to_407 = challenge.headers.get(&HeaderName::To).unwrap().to_owned();
    let ack_407 = format!(
        "ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKpinv1\r\nFrom: <sip:2001@{e}>;tag=a1\r\nTo: {to_407}\r\n\
         Call-ID: prec1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    phone.send_to(ack_407.as_bytes(), e).await.unwrap();
    let proxy = challenge.headers.get(&HeaderName::ProxyAuthenticate).unwrap().to_owned();
    let auth = digest_response(&proxy, "INVITE", &uri, "2001", "pw2001", "c2", 1).unwrap();
    phone.send_to(invite(2, Some(auth)).as_bytes(), e).await.unwrap();
    let ok = response(&phone, 200).await;
    let relay: SocketAddr = format!("127.0.0.1:{}", media_port(&ok.body)).parse().unwrap();
    let to = ok.headers.get(&HeaderName::To).unwrap().to_owned();
    let in_dialog = |method: &str, cseq: u32| {
        format!(
            "{method} sip:centralino@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {pa};branch=z9hG4bKp{method}{cseq}\r\nFrom: <sip:2001@{e}>;tag=a1\r\n\
             To: {to}\r\nCall-ID: prec1\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
    };
    phone.send_to(in_dialog("ACK", 2).as_bytes(), e).await.unwrap();
    cti_event(&mut cti, "call.answered").await;

    // The instructions and the beep (about 5 s), then silence: the take starts.
    let heard = listen(&media, Duration::from_millis(400), Duration::from_secs(10)).await;
    assert!(heard.len() > 8000 * 4, "instructions + beep expected, heard {} samples", heard.len());

    // The agent speaks (a two-tone signal, 2 s, paced like a phone), then presses #.
    let signal = tone(2.0);
    let mut seq = 100u16;
    let mut ts = 48_000u32;
    for (i, frame) in signal.chunks(160).enumerate() {
        media.send_to(&rtp_pcma(seq, ts, frame), relay).await.unwrap();
        seq = seq.wrapping_add(1);
        ts = ts.wrapping_add(160);
        if i % 5 == 4 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    media.send_to(&telephone_event(seq, ts, 11, false, 160, true), relay).await.unwrap();
    for k in 1..=3u16 {
        media.send_to(&telephone_event(seq.wrapping_add(k), ts, 11, true, 800, false), relay).await.unwrap();
    }
    assert_eq!(cti_event(&mut cti, "dtmf").await["digit"], "#");

    // The take plays back, then the menu: both without a gap. 2.5 s covers the take.
    let playback = listen(&media, Duration::from_millis(400), Duration::from_millis(2500)).await;
    let reference = &signal[6000..8000];
    let c = best_correlation(reference, &playback);
    assert!(c > 0.9, "the playback must be the take (correlation {c:.3})");

    // 1 saves it.
    let s2 = seq.wrapping_add(10);
    let t2 = ts.wrapping_add(8000);
    media.send_to(&telephone_event(s2, t2, 1, false, 160, true), relay).await.unwrap();
    for k in 1..=3u16 {
        media.send_to(&telephone_event(s2.wrapping_add(k), t2, 1, true, 800, false), relay).await.unwrap();
    }
    let saved = cti_event(&mut cti, "prompt.saved").await;
    let name = saved["prompt"].as_str().unwrap().to_owned();
    assert!(name.starts_with("it/registrazione_") && name.len() == "it/registrazione_HHMMSS".len(), "{name}");
    let file = prompts.join(format!("{name}.wav"));
    assert!(file.is_file(), "{} must exist", file.display());
    let stored = media_relay::prompts::decode_file(&file).unwrap();
    let c = best_correlation(reference, &stored);
    assert!(c > 0.9, "the saved prompt must be the take (correlation {c:.3})");

    // The confirmation plays, then the engine hangs up.
    let bye = request(&phone, Duration::from_secs(15)).await;
    assert_eq!(bye.method, sip_message::Method::Bye);
    phone.send_to(&Response::from_request(&bye, sip_message::StatusCode::OK).to_bytes(), e).await.unwrap();
    assert_eq!(cti_event(&mut cti, "call.ended").await["cause"], "hangup");
    let _ = std::fs::remove_dir_all(prompts);
}
