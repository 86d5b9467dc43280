//! System test of what the caller hears for "sei il numero 3 in coda" [IVR-5; issue
//! "Media engine" item 7]: a hand-written SIP UA on 127.0.0.11 (the carrier) calls the
//! test service `say-position-test` on 9002, records the RTP payload it receives, and
//! checks that it is exactly the pre-encoded A-law frames of `it/sei_il_numero`,
//! `it/n3` and `it/in_coda` as the engine's prompt library produces them, each
//! prompt's last frame padded with A-law silence.
//!
//! Engine on SIP 127.0.0.1:55060 / HTTP 58080, the UA on 56100 (SIP) and 56102 (RTP).

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use centralino_tests::{Engine, workspace_root};
use media_relay::prompts::{AudioCodec, PromptLibrary};

const SIP_PORT: u16 = 55060;
const HTTP_PORT: u16 = 58080;
const UA_SIP: &str = "127.0.0.11:56100";
const UA_RTP_PORT: u16 = 56102;
const PHRASE: [&str; 3] = ["it/sei_il_numero", "it/n3", "it/in_coda"];

#[test]
fn ivr_5_the_caller_hears_sei_il_numero_3_in_coda_as_the_concatenated_prompts() -> anyhow::Result<()> {
    let engine = Engine::start_on("say-position", SIP_PORT, HTTP_PORT, |c| {
        c + "\n[[route]]\nnumbers = \"9002\"\nfrom = [\"trunk\"]\nto = \"service:say-position-test\"\n"
    })?;
    let expected = expected_frames()?;
    let received = call_and_listen(&engine)?;

    let total: usize = expected.iter().map(Vec::len).sum();
    ensure!(
        received.len() == total,
        "the caller must receive {total} frames (one per 20 ms of the three prompts), got {}",
        received.len()
    );
    let mut at = 0;
    for (prompt, frames) in PHRASE.iter().zip(&expected) {
        for (i, frame) in frames.iter().enumerate() {
            let got = received.get(at).context("frame missing")?;
            ensure!(got.len() == 160, "{prompt} frame {i}: {} bytes, not 160", got.len());
            ensure!(got == frame, "{prompt} frame {i} (packet {at}) differs from the library's A-law frame");
            at += 1;
        }
    }
    Ok(())
}

/// The library's A-law frames of each prompt of the phrase, the last one padded with
/// A-law silence to 160 bytes, as the player sends them.
fn expected_frames() -> anyhow::Result<Vec<Vec<Vec<u8>>>> {
    let dir = std::env::temp_dir().join(format!("centralino-say-position-prompts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("it"))?;
    for p in PHRASE {
        std::fs::copy(workspace_root().join(format!("prompts/{p}.wav")), dir.join(format!("{p}.wav")))?;
    }
    let (library, errors) = PromptLibrary::load(&dir);
    ensure!(errors.is_empty(), "prompt errors: {errors:?}");
    let mut out = Vec::new();
    for p in PHRASE {
        let prompt = library.prompt_path(p)?;
        let bytes = prompt.encoded(AudioCodec::Pcma);
        ensure!(!bytes.is_empty(), "{p} is empty");
        let frames = bytes
            .chunks(160)
            .map(|c| {
                let mut f = c.to_vec();
                f.resize(160, AudioCodec::Pcma.silence());
                f
            })
            .collect();
        out.push(frames);
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(out)
}

/// Calls 9002, acknowledges the answer, collects the RTP payloads until the engine
/// hangs up, answers the BYE; returns the payloads in timestamp order (one per 20 ms
/// slot from the first packet, so a missing packet shows as a shorter list).
fn call_and_listen(engine: &Engine) -> anyhow::Result<Vec<Vec<u8>>> {
    let sip = UdpSocket::bind(UA_SIP)?;
    let media = UdpSocket::bind(("127.0.0.11", UA_RTP_PORT))?;
    sip.set_read_timeout(Some(Duration::from_millis(10)))?;
    media.set_read_timeout(Some(Duration::from_millis(10)))?;
    let e = engine.sip;
    let sdp = format!(
        "v=0\r\no=ua 1 1 IN IP4 127.0.0.11\r\ns=-\r\nc=IN IP4 127.0.0.11\r\nt=0 0\r\n\
         m=audio {UA_RTP_PORT} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
    );
    let invite = format!(
        "INVITE sip:9002@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {UA_SIP};branch=z9hG4bKsay1\r\nFrom: <sip:+39000333@{UA_SIP}>;tag=ua1\r\n\
         To: <sip:9002@{e}>\r\nCall-ID: say-position-1\r\nCSeq: 1 INVITE\r\nContact: <sip:ua@{UA_SIP}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    sip.send_to(invite.as_bytes(), e)?;

    let mut packets: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut buf = vec![0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut bye_seen: Option<Instant> = None;
    while Instant::now() < deadline {
        if let Ok((n, from)) = sip.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if text.starts_with("SIP/2.0 200") && text.contains("INVITE") {
                let to = header(&text, "To").context("To in the 200")?;
                let ack = format!(
                    "ACK sip:centralino@{e} SIP/2.0\r\nVia: SIP/2.0/UDP {UA_SIP};branch=z9hG4bKsayack\r\nFrom: <sip:+39000333@{UA_SIP}>;tag=ua1\r\n\
                     To: {to}\r\nCall-ID: say-position-1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                );
                sip.send_to(ack.as_bytes(), from)?;
            } else if text.starts_with("SIP/2.0 4") || text.starts_with("SIP/2.0 5") {
                bail!("the call to 9002 was refused:\n{text}\n{}", engine.log());
            } else if text.starts_with("BYE ") {
                sip.send_to(ok_for(&text).as_bytes(), from)?;
                bye_seen.get_or_insert_with(Instant::now);
            }
        }
        while let Ok((n, _)) = media.recv_from(&mut buf) {
            let p = buf.get(..n).context("datagram")?;
            ensure!(n > 12 && p[1] & 0x7f == 8, "PCMA RTP expected");
            let ts = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
            packets.push((ts, p[12..].to_vec()));
        }
        if bye_seen.is_some_and(|t| t.elapsed() > Duration::from_millis(300)) {
            break;
        }
    }
    ensure!(bye_seen.is_some(), "the service hangs up when the phrase is over\n{}", engine.log());
    packets.sort_by_key(|(ts, _)| *ts);
    packets.dedup_by_key(|(ts, _)| *ts);
    let first = packets.first().map(|(ts, _)| *ts).context("no RTP received")?;
    // Every 20 ms slot between the first and the last packet must be there.
    let slots = packets.last().map_or(0, |(ts, _)| ts.wrapping_sub(first) / 160 + 1);
    ensure!(slots as usize == packets.len(), "{} packets for {slots} slots: packets were lost or skipped", packets.len());
    Ok(packets.into_iter().map(|(_, p)| p).collect())
}

fn header(msg: &str, name: &str) -> Option<String> {
    msg.lines()
        .find(|l| l.split(':').next().is_some_and(|h| h.trim().eq_ignore_ascii_case(name)))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// A 200 OK for an in-dialog request (headers copied per RFC 3261 §8.2.6.2).
fn ok_for(req: &str) -> String {
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for l in req.lines().filter(|l| l.split(':').next().is_some_and(|h| h.trim().eq_ignore_ascii_case(name))) {
            out.push_str(l.trim_end());
            out.push_str("\r\n");
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

