//! Loopback tests of call and voicemail recording (CRM-4, VM-1; "Media engine" item 5):
//! generated tones are sent as PCMA RTP through a session and the WAV files are checked by
//! content (normalized cross-correlation with the tone sent), timing and silence, not only
//! by existence. Each test uses its own port sub-range inside 47000–47999.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use media_relay::recording::{RecordingEnd, RecordingMode, RecordingSpec};
use media_relay::{MediaRelay, RelayConfig, RelaySession, Side};
use rtp_media::g711::encode_alaw;
use tokio::net::UdpSocket;
use tokio::time::{Instant, sleep, timeout};

const LOCALHOST: &str = "127.0.0.1";
/// Frames per 20 ms packet.
const FRAME: usize = 160;
/// 40 ms at 8 kHz: the tolerance on durations and offsets.
const TOLERANCE: usize = 320;
/// Every test finishes well within this.
const BOUND: Duration = Duration::from_secs(15);

fn relay(port_min: u16, port_max: u16) -> MediaRelay {
    MediaRelay::new(RelayConfig {
        bind_ip: LOCALHOST.parse().unwrap(),
        port_min,
        port_max,
        inactivity_timeout: Duration::from_secs(600),
        relatch_after: Duration::from_secs(5),
    })
}

async fn call(relay: &MediaRelay) -> (RelaySession, UdpSocket, UdpSocket) {
    let session = relay.allocate().await.unwrap();
    let caller = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    let agent = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    session.set_remote(Side::A, caller.local_addr().unwrap());
    session.set_remote(Side::B, agent.local_addr().unwrap());
    (session, caller, agent)
}

fn relay_addr(s: &RelaySession, side: Side) -> SocketAddr {
    SocketAddr::new(s.local_ip(), s.local_rtp_port(side))
}

fn temp_wav(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "centralino-recording-{}-{name}.wav",
        std::process::id()
    ))
}

/// A sine tone of `freq` Hz, `n` samples at 8 kHz.
fn tone(freq: f64, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            (8000.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16
        })
        .collect()
}

/// One RTP stream to send: its identity and which 20 ms slots are actually sent.
struct Stream {
    ssrc: u32,
    seq0: u16,
    ts0: u32,
}

/// Sends `audio` as PCMA packets every 20 ms (absolute deadlines) from `sock` to `dest`;
/// slots for which `send` is false advance sequence and timestamp but are not sent (loss).
async fn send_tone(
    sock: &UdpSocket,
    dest: SocketAddr,
    audio: &[i16],
    stream: &Stream,
    send: impl Fn(usize) -> bool,
) {
    let mut pace = tokio::time::interval(Duration::from_millis(20));
    for (i, chunk) in audio.chunks(FRAME).enumerate() {
        pace.tick().await;
        if !send(i) {
            continue;
        }
        let mut p = vec![0x80, 8];
        p.extend_from_slice(&stream.seq0.wrapping_add(i as u16).to_be_bytes());
        let ts = stream.ts0.wrapping_add((i * FRAME) as u32);
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&stream.ssrc.to_be_bytes());
        let mut payload = vec![0u8; chunk.len()];
        encode_alaw(chunk, &mut payload);
        p.extend_from_slice(&payload);
        sock.send_to(&p, dest).await.unwrap();
    }
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let samples = reader.samples::<i16>().map(Result::unwrap).collect();
    (spec, samples)
}

fn channel(samples: &[i16], channels: usize, index: usize) -> Vec<i16> {
    samples
        .iter()
        .skip(index)
        .step_by(channels)
        .copied()
        .collect()
}

/// The normalized cross-correlation of `recorded` with `reference` at the best lag in
/// `0..=max_lag` (the reference delayed by the lag), over their overlap.
fn best_ncc(recorded: &[i16], reference: &[i16], max_lag: usize) -> f64 {
    let mut best = f64::MIN;
    for lag in 0..=max_lag.min(recorded.len()) {
        let r = &recorded[lag..];
        let n = r.len().min(reference.len());
        let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
        for (x, y) in r[..n].iter().zip(&reference[..n]) {
            let (x, y) = (f64::from(*x), f64::from(*y));
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }
        if xx > 0.0 && yy > 0.0 {
            best = best.max(xy / (xx * yy).sqrt());
        }
    }
    best
}

fn onset(samples: &[i16]) -> usize {
    samples
        .iter()
        .position(|&s| s != 0)
        .expect("the channel has audio")
}

/// The longest run of exact zeros (silence; A-law never decodes to 0) as (start, length).
fn longest_silence(samples: &[i16]) -> (usize, usize) {
    let (mut best, mut start) = ((0, 0), None);
    for (i, &s) in samples.iter().chain(std::iter::once(&1)).enumerate() {
        match (s == 0, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                if i - st > best.1 {
                    best = (st, i - st);
                }
                start = None;
            }
            _ => {}
        }
    }
    best
}

fn near(actual: usize, expected: usize, tolerance: usize) -> bool {
    actual.abs_diff(expected) <= tolerance
}

async fn bounded<F: Future>(f: F) -> F::Output {
    timeout(BOUND, f).await.expect("test finished in time")
}

#[tokio::test]
async fn vm1_voicemail_of_side_a_correlates_with_the_tone_sent() {
    bounded(async {
        let relay = relay(47000, 47019);
        let (session, caller, agent) = call(&relay).await;
        let path = temp_wav("voicemail");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Voicemail { side: Side::A },
                max_duration: None,
            })
            .unwrap();
        let a_tone = tone(440.0, 8000);
        let b_tone = tone(660.0, 8000);
        let a = Stream {
            ssrc: 0xa1,
            seq0: 100,
            ts0: 1_000,
        };
        let b = Stream {
            ssrc: 0xb1,
            seq0: 9,
            ts0: 77_000,
        };
        // The agent talks at the same time: it must not be in side A's voicemail.
        tokio::join!(
            send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
                true
            }),
            send_tone(&agent, relay_addr(&session, Side::B), &b_tone, &b, |_| true),
        );
        sleep(Duration::from_millis(150)).await;
        let summary = handle.stop().await.unwrap();
        assert_eq!(summary.end, RecordingEnd::Stopped);
        assert_eq!(summary.path, path);
        assert_eq!(summary.dropped_packets, 0);

        let (spec, samples) = read_wav(&path);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 8000, 16)
        );
        assert_eq!(spec.sample_format, hound::SampleFormat::Int);
        assert_eq!(samples.len() as u64, summary.samples_written);
        // 50 packets of 20 ms were sent: 1 s (plus the moment before the first arrived).
        assert!(
            near(samples.len(), 8000, TOLERANCE),
            "{} frames",
            samples.len()
        );
        assert!(
            summary.duration.abs_diff(Duration::from_secs(1)) <= Duration::from_millis(40),
            "{:?}",
            summary.duration
        );
        let start = onset(&samples);
        assert!(near(samples.len() - start, 8000, 0), "contiguous audio");
        let with_a = best_ncc(&samples, &a_tone, 800);
        let with_b = best_ncc(&samples, &b_tone, 800);
        assert!(with_a > 0.95, "correlation with A's tone {with_a}");
        assert!(with_b < 0.3, "correlation with B's tone {with_b}");
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn crm4_call_recording_is_stereo_aligned_caller_left_agent_right() {
    bounded(async {
        let relay = relay(47020, 47039);
        let (session, caller, agent) = call(&relay).await;
        let path = temp_wav("stereo");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Call,
                max_duration: None,
            })
            .unwrap();
        let a_tone = tone(440.0, 8000);
        let b_tone = tone(1000.0, 8000);
        let a = Stream {
            ssrc: 0xa2,
            seq0: 65_500,
            ts0: u32::MAX - 4_000,
        };
        let b = Stream {
            ssrc: 0xb2,
            seq0: 3,
            ts0: 123_456,
        };
        tokio::join!(
            send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
                true
            }),
            send_tone(&agent, relay_addr(&session, Side::B), &b_tone, &b, |_| true),
        );
        sleep(Duration::from_millis(150)).await;
        let summary = handle.stop().await.unwrap();

        let (spec, samples) = read_wav(&path);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, 8000, 16)
        );
        assert_eq!(samples.len() as u64, 2 * summary.samples_written);
        let left = channel(&samples, 2, 0);
        let right = channel(&samples, 2, 1);
        assert!(best_ncc(&left, &a_tone, 800) > 0.95, "left is the caller");
        assert!(best_ncc(&right, &b_tone, 800) > 0.95, "right is the agent");
        assert!(best_ncc(&left, &b_tone, 800) < 0.3, "no agent on the left");
        assert!(
            best_ncc(&right, &a_tone, 800) < 0.3,
            "no caller on the right"
        );
        let (l0, r0) = (onset(&left), onset(&right));
        assert!(
            near(l0, r0, TOLERANCE),
            "aligned: left starts at {l0}, right at {r0}"
        );
        assert!(near(left.len() - l0, 8000, TOLERANCE));
        // The timestamps wrapped around on side A without leaving a gap.
        assert!(longest_silence(&left[l0..]).1 < FRAME);
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn crm4_gap_in_side_b_is_silence_in_the_right_channel() {
    bounded(async {
        let relay = relay(47040, 47059);
        let (session, caller, agent) = call(&relay).await;
        let path = temp_wav("gap");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Call,
                max_duration: None,
            })
            .unwrap();
        let a_tone = tone(440.0, 12_000);
        let b_tone = tone(660.0, 12_000);
        let a = Stream {
            ssrc: 0xa3,
            seq0: 1,
            ts0: 0,
        };
        let b = Stream {
            ssrc: 0xb3,
            seq0: 500,
            ts0: 40_000,
        };
        // Side B loses 25 packets (500 ms) after its first 500 ms.
        tokio::join!(
            send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
                true
            }),
            send_tone(&agent, relay_addr(&session, Side::B), &b_tone, &b, |i| {
                !(25..50).contains(&i)
            }),
        );
        sleep(Duration::from_millis(150)).await;
        handle.stop().await.unwrap();

        let (_, samples) = read_wav(&path);
        let left = channel(&samples, 2, 0);
        let right = channel(&samples, 2, 1);
        let r0 = onset(&right);
        let (gap_start, gap_len) = longest_silence(&right[r0..]);
        assert!(near(gap_len, 4000, TOLERANCE), "gap of {gap_len} frames");
        assert!(
            near(gap_start, 4000, TOLERANCE),
            "gap starts at +{gap_start}"
        );
        // After the gap, B's audio continues until the end of its stream.
        assert!(right[r0 + gap_start + gap_len..].iter().all(|&s| s != 0));
        assert!(near(right.len() - r0, 12_000, TOLERANCE));
        // The caller's channel has no such gap.
        let l0 = onset(&left);
        assert!(longest_silence(&left[l0..]).1 < FRAME);
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn crm4_pause_writes_silence_for_the_paused_span() {
    bounded(async {
        let relay = relay(47060, 47079);
        let (session, caller, _agent) = call(&relay).await;
        let path = temp_wav("pause");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Call,
                max_duration: None,
            })
            .unwrap();
        let started = Instant::now();
        let a_tone = tone(440.0, 12_000);
        let a = Stream {
            ssrc: 0xa4,
            seq0: 1,
            ts0: 0,
        };
        let control = async {
            tokio::time::sleep_until(started + Duration::from_millis(500)).await;
            handle.pause().unwrap();
            tokio::time::sleep_until(started + Duration::from_millis(1000)).await;
            handle.resume().unwrap();
        };
        tokio::join!(
            send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
                true
            }),
            control,
        );
        sleep(Duration::from_millis(150)).await;
        let summary = handle.stop().await.unwrap();
        // The paused span is kept as silence: the file is as long as what was sent.
        assert!(near(summary.samples_written as usize, 12_000, TOLERANCE));

        let (_, samples) = read_wav(&path);
        let left = channel(&samples, 2, 0);
        let (gap_start, gap_len) = longest_silence(&left);
        assert!(near(gap_start, 4000, 480), "pause starts at {gap_start}");
        assert!(near(gap_len, 4000, 480), "pause lasts {gap_len} frames");
        let l0 = onset(&left);
        assert!(left[l0..gap_start].iter().all(|&s| s != 0));
        assert!(left[gap_start + gap_len..].iter().all(|&s| s != 0));
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn vm1_file_is_a_valid_wav_while_recording() {
    bounded(async {
        let relay = relay(47080, 47099);
        let (session, caller, _agent) = call(&relay).await;
        let path = temp_wav("live");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Voicemail { side: Side::A },
                max_duration: None,
            })
            .unwrap();
        let started = Instant::now();
        let a_tone = tone(440.0, 16_000);
        let a = Stream {
            ssrc: 0xa5,
            seq0: 1,
            ts0: 0,
        };
        let peek = async {
            tokio::time::sleep_until(started + Duration::from_millis(1500)).await;
            let (spec, samples) = read_wav(&path);
            (spec, samples.len())
        };
        let ((), (spec, live_frames)) = tokio::join!(
            send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
                true
            }),
            peek,
        );
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 8000, 16)
        );
        // At 1.5 s at least 0.8 s is on disk with a header that says so.
        assert!(
            live_frames >= 6400,
            "{live_frames} frames readable mid-recording"
        );
        assert!(handle.pause().is_ok() && handle.resume().is_ok());
        sleep(Duration::from_millis(150)).await;
        let summary = handle.stop().await.unwrap();
        assert!(near(summary.samples_written as usize, 16_000, TOLERANCE));
        let (_, samples) = read_wav(&path);
        assert!(best_ncc(&samples, &a_tone, 800) > 0.95);
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn vm1_max_duration_stops_by_itself() {
    bounded(async {
        let relay = relay(47100, 47119);
        let (session, caller, _agent) = call(&relay).await;
        let path = temp_wav("max");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Voicemail { side: Side::A },
                max_duration: Some(Duration::from_millis(500)),
            })
            .unwrap();
        let a_tone = tone(440.0, 8000);
        let a = Stream {
            ssrc: 0xa6,
            seq0: 1,
            ts0: 0,
        };
        let mut handle = handle;
        send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
            true
        })
        .await;
        assert!(handle.is_finished(), "ended at max_duration");
        assert_eq!(handle.ended().await.unwrap().end, RecordingEnd::MaxDuration);
        assert!(handle.pause().is_err());
        let summary = handle.stop().await.unwrap();
        assert_eq!(summary.end, RecordingEnd::MaxDuration);
        assert!(summary.samples_written <= 4000);
        assert!(summary.samples_written >= 4000 - TOLERANCE as u64);
        let (_, samples) = read_wav(&path);
        assert_eq!(samples.len() as u64, summary.samples_written);
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn crm4_dropping_the_session_finalizes_the_file() {
    bounded(async {
        let relay = relay(47120, 47139);
        let (session, caller, _agent) = call(&relay).await;
        let path = temp_wav("drop");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Call,
                max_duration: None,
            })
            .unwrap();
        let a_tone = tone(440.0, 2400);
        let a = Stream {
            ssrc: 0xa7,
            seq0: 1,
            ts0: 0,
        };
        send_tone(&caller, relay_addr(&session, Side::A), &a_tone, &a, |_| {
            true
        })
        .await;
        sleep(Duration::from_millis(100)).await;
        drop(session);
        let mut handle = handle;
        let ended = handle.ended().await.unwrap();
        assert_eq!(ended.end, RecordingEnd::SessionEnded);
        let summary = handle.stop().await.unwrap();
        assert_eq!(summary, ended);
        assert!(near(summary.samples_written as usize, 2400, TOLERANCE));
        let (spec, samples) = read_wav(&path);
        assert_eq!(spec.channels, 2);
        assert_eq!(samples.len() as u64, 2 * summary.samples_written);
        let _ = std::fs::remove_file(&path);
    })
    .await;
}

#[tokio::test]
async fn crm4_ssrc_change_is_reanchored_without_a_gap() {
    bounded(async {
        let relay = relay(47140, 47159);
        let (session, caller, _agent) = call(&relay).await;
        let path = temp_wav("ssrc");
        let handle = session
            .record(RecordingSpec {
                path: path.clone(),
                mode: RecordingMode::Voicemail { side: Side::A },
                max_duration: None,
            })
            .unwrap();
        let a_tone = tone(440.0, 8000);
        let (first, second) = a_tone.split_at(4000);
        let dest = relay_addr(&session, Side::A);
        send_tone(
            &caller,
            dest,
            first,
            &Stream {
                ssrc: 1,
                seq0: 10,
                ts0: 0,
            },
            |_| true,
        )
        .await;
        // A new source (another media server) with unrelated sequence and timestamps.
        let next = Stream {
            ssrc: 2,
            seq0: 40_000,
            ts0: 3_000_000_000,
        };
        send_tone(&caller, dest, second, &next, |_| true).await;
        sleep(Duration::from_millis(150)).await;
        let summary = handle.stop().await.unwrap();
        let (_, samples) = read_wav(&path);
        let start = onset(&samples);
        assert!(
            near(samples.len() - start, 8000, TOLERANCE),
            "{}",
            samples.len() - start
        );
        assert!(
            longest_silence(&samples[start..]).1 < TOLERANCE,
            "no big gap"
        );
        assert_eq!(summary.late_packets, 0);
        let _ = std::fs::remove_file(&path);
    })
    .await;
}
