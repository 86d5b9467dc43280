//! System test of call recording [CRM-4; issue "Media engine" items 5, 7]: with
//! `[recording] mode = "all"`, a SIPp carrier caller (`caller.xml`, which plays
//! `/usr/share/sip-tester/g711a.pcap`) calls agent 2001 (a SIPp UAS echoing RTP); once
//! the call is over the stereo WAV exists under `data/recordings/`, is named without
//! the caller's number, and its left channel (the caller) correlates with the audio
//! decoded from the pcap's RTP payloads (normalized cross-correlation at the best lag
//! above 0.9).
//!
//! Engine on SIP 127.0.0.1:55060 / HTTP 58080; SIPp peers on 56200–56499.

#[allow(dead_code)]
mod sipp_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use centralino_tests::Engine;
use sipp_support::{Listen, Uas, register, require_tools, run_scenario};

const SIP_PORT: u16 = 55060;
const HTTP_PORT: u16 = 58080;
const CALLER_PORT: u16 = 56200;
const CALLER_MEDIA: u16 = 56300;
const AGENT_PORT: u16 = 56210;
const AGENT_MEDIA: u16 = 56400;
const REGISTER_PORT: u16 = 56250;
const PCAP: &str = "/usr/share/sip-tester/g711a.pcap";

#[test]
fn crm_4_a_recorded_call_left_channel_correlates_with_the_callers_pcap_audio() -> anyhow::Result<()> {
    require_tools()?;
    let engine = Engine::start_on("call-recording", SIP_PORT, HTTP_PORT, |c| {
        c.replace("mode = \"off\"", "mode = \"all\"")
            // No announcement here: the whole pcap (7 s) is recorded.
            .replace("consent_prompt = \"it/consenso_registrazione\"\n", "")
    })?;
    let run = register(&engine, "register-2001", &[("2001", "pw2001", AGENT_PORT)], REGISTER_PORT)?;
    ensure!(run.success, "agent 2001 must register\n{}", run.explain());
    let mut agent = Uas::start(
        &engine,
        "agent",
        "agent-uas.xml",
        Listen { ip: "127.0.0.1", port: AGENT_PORT, media_port: AGENT_MEDIA },
        Some(1),
        Duration::from_secs(40),
    )?;
    let (port, mp) = (CALLER_PORT.to_string(), CALLER_MEDIA.to_string());
    let call = run_scenario(
        &engine,
        "caller",
        "caller.xml",
        &["-s", "2001", "-i", "127.0.0.11", "-p", &port, "-mp", &mp, "-m", "1"],
        Duration::from_secs(30),
    )?;
    ensure!(call.success, "the call to 2001 must be answered and hung up\n{}", call.explain());
    let _ = agent.wait(Duration::from_secs(10));

    // The recording is finalized when the call task ends.
    let root = engine.dir.join("data/recordings");
    let mut files = Vec::new();
    for _ in 0..50 {
        files = wav_files(&root);
        if !files.is_empty() && engine.log().contains("call recording finalized") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ensure!(files.len() == 1, "one recording expected under {}, found {files:?}\n{}", root.display(), engine.log());
    let file = &files[0];
    let rel = file.strip_prefix(&root)?.to_string_lossy().into_owned();
    ensure!(!rel.contains("sipp") && !rel.contains("+39"), "no caller identity in the file name: {rel}");

    let (channels, samples) = read_wav(file)?;
    ensure!(channels == 2, "a stereo recording (caller left, agent right), got {channels} channels");
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    ensure!(left.len() > 6 * 8000, "the recording holds the 7 s call, got {} samples", left.len());

    let reference = pcap_audio(Path::new(PCAP))?;
    ensure!(reference.len() > 6 * 8000, "the pcap holds ~7 s of PCMA, decoded {}", reference.len());
    let c = best_correlation(&reference, &left);
    eprintln!("recording {rel}: {} s, left/pcap correlation {c:.4}", left.len() / 8000);
    ensure!(c > 0.9, "the left channel must be the caller's audio (correlation {c:.3})");
    ensure!(right.iter().any(|&s| s.unsigned_abs() > 1000), "the agent's echo is in the right channel");
    Ok(())
}

fn wav_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(wav_files(&p));
        } else if p.extension().is_some_and(|x| x == "wav") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A 16-bit PCM WAV: channel count and interleaved samples.
fn read_wav(path: &Path) -> anyhow::Result<(u16, Vec<i16>)> {
    let bytes = std::fs::read(path)?;
    ensure!(bytes.get(..4) == Some(b"RIFF") && bytes.get(8..12) == Some(b"WAVE"), "not a WAV file");
    let mut at = 12;
    let mut channels = 0;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into()?) as usize;
        let body = bytes.get(at + 8..(at + 8 + len).min(bytes.len())).context("chunk")?;
        if id == b"fmt " {
            channels = u16::from_le_bytes(body.get(2..4).context("fmt")?.try_into()?);
            let bits = u16::from_le_bytes(body.get(14..16).context("fmt")?.try_into()?);
            ensure!(bits == 16, "16-bit PCM expected, got {bits}");
        } else if id == b"data" {
            let samples = body.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
            return Ok((channels, samples));
        }
        at += 8 + len + (len & 1);
    }
    bail!("no data chunk in {}", path.display())
}

/// The A-law RTP payloads of a pcap (Ethernet/IPv4/UDP/RTP), in sequence order,
/// decoded to 16-bit PCM.
fn pcap_audio(path: &Path) -> anyhow::Result<Vec<i16>> {
    let bytes = std::fs::read(path)?;
    let magic = bytes.get(..4).context("pcap header")?;
    let le = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] => false,
        _ => bail!("not a pcap file"),
    };
    let u32_at = |b: &[u8], i: usize| -> anyhow::Result<u32> {
        let a: [u8; 4] = b.get(i..i + 4).context("truncated")?.try_into()?;
        Ok(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    };
    let mut packets: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let incl = u32_at(&bytes, at + 8)? as usize;
        let frame = bytes.get(at + 16..at + 16 + incl).context("truncated record")?;
        at += 16 + incl;
        // Ethernet II carrying IPv4 carrying UDP.
        if frame.len() < 14 || frame[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &frame[14..];
        let ihl = usize::from(ip.first().context("ip")? & 0x0f) * 4;
        if ip.get(9) != Some(&17) {
            continue;
        }
        let Some(rtp) = ip.get(ihl + 8..) else { continue };
        if rtp.len() < 12 || rtp[0] >> 6 != 2 || rtp[1] & 0x7f != 8 {
            continue;
        }
        let csrc = usize::from(rtp[0] & 0x0f) * 4;
        let mut start = 12 + csrc;
        if rtp[0] & 0x10 != 0 {
            let words = u16::from_be_bytes([*rtp.get(start + 2).context("ext")?, *rtp.get(start + 3).context("ext")?]);
            start += 4 + usize::from(words) * 4;
        }
        let seq = u16::from_be_bytes([rtp[2], rtp[3]]);
        packets.push((seq, rtp.get(start..).context("payload")?.to_vec()));
    }
    packets.sort_by_key(|(s, _)| *s);
    let mut pcm = Vec::new();
    for (_, payload) in packets {
        let mut out = vec![0i16; payload.len()];
        rtp_media::g711::decode_alaw(&payload, &mut out);
        pcm.extend(out);
    }
    Ok(pcm)
}

/// Normalized cross-correlation of `reference` against `signal` at the best lag: a
/// 0.25 s slice from the middle of the reference finds the lag, the whole overlap is
/// then scored at that lag (±2 samples).
fn best_correlation(reference: &[i16], signal: &[i16]) -> f64 {
    let r: Vec<f64> = reference.iter().map(|&v| f64::from(v)).collect();
    let s: Vec<f64> = signal.iter().map(|&v| f64::from(v)).collect();
    let mid = r.len() / 2;
    let probe = &r[mid..(mid + 2000).min(r.len())];
    let (mut best_lag, mut best) = (0i64, f64::MIN);
    for start in 0..s.len().saturating_sub(probe.len()) {
        let c = ncc(probe, &s[start..start + probe.len()]);
        if c > best {
            best = c;
            best_lag = start as i64 - mid as i64;
        }
    }
    (best_lag - 2..=best_lag + 2)
        .map(|lag| {
            // Overlap of reference[i] with signal[i + lag].
            let from = (-lag).max(0) as usize;
            let to = r.len().min((s.len() as i64 - lag).max(0) as usize);
            if to <= from {
                return 0.0;
            }
            let a = &r[from..to];
            let b_from = (from as i64 + lag) as usize;
            ncc(a, &s[b_from..b_from + a.len()])
        })
        .fold(0.0, f64::max)
}

fn ncc(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 { 0.0 } else { ab / (aa * bb).sqrt() }
}
