//! Media engine figures (IVR-4, IVR-5 capacity): CPU per relayed and per played packet, in
//! the sans-IO core and through the relay task on loopback, and receiver jitter with 200
//! concurrent playbacks. Run with `cargo run -p media-relay --example media_bench`; it
//! prints µs/packet and jitter and stops by itself after about 10 s. Build profile matters:
//! the figures of a debug build are several times those of a release build.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use media_relay::prompts::{AudioCodec, Prompt};
use media_relay::{MediaRelay, PlayOptions, RelayConfig, RelayEvent, RelaySession, Side};
use rtp_media::player::Player;
use rtp_media::rewrite::{OutputSsrc, StreamPosition, StreamRewriter};
use tokio::net::UdpSocket;

const RELAY_THREAD: &str = "relay-rt";
const PLAYBACKS: usize = 200;
const PLAY_FRAMES: usize = 250;
const RELAYED: usize = 20_000;

fn main() {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("media_bench ({profile} build)");
    core_figures();
    let relay_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(RELAY_THREAD)
        .enable_all()
        .build()
        .expect("relay runtime");
    let endpoint_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("endpoint runtime");
    let relay = MediaRelay::new(RelayConfig {
        bind_ip: "127.0.0.1".parse().expect("literal"),
        port_min: 44000,
        port_max: 44999,
        inactivity_timeout: Duration::from_secs(600),
        relatch_after: Duration::from_secs(5),
    });
    relayed_figures(&relay, &relay_rt, &endpoint_rt);
    played_figures(&relay, &relay_rt, &endpoint_rt);
}

/// CPU of the pure core: rewriting a relayed packet and building a played one.
fn core_figures() {
    let t0 = Instant::now();
    let mut rw = StreamRewriter::new(OutputSsrc::Fixed(7), 8000);
    let mut packet = vec![0x80, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    packet.extend_from_slice(&[0xd5; 160]);
    let n = 1_000_000u32;
    let start = Instant::now();
    for k in 0..n {
        packet[2..4].copy_from_slice(&((k & 0xffff) as u16).to_be_bytes());
        packet[4..8].copy_from_slice(&(k.wrapping_mul(160)).to_be_bytes());
        std::hint::black_box(rw.rewrite(&mut packet, t0));
    }
    let rewrite_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let audio: Arc<[u8]> = vec![0xd5; 8000].into();
    let from = StreamPosition {
        ssrc: 7,
        last_seq: 0,
        last_ts: 0,
        at: t0,
    };
    let mut player = Player::looping(from, 8, audio, Duration::ZERO, t0);
    let start = Instant::now();
    for k in 0..n {
        let at = t0 + Duration::from_millis(20) * k;
        std::hint::black_box(player.poll_packet(at).map(<[u8]>::len));
    }
    let play_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("core: rewrite {rewrite_us:.3} µs/packet, player {play_us:.3} µs/packet");
}

/// Relay-thread CPU per packet relayed A→B on loopback, 16 packets in flight.
fn relayed_figures(
    relay: &MediaRelay,
    relay_rt: &tokio::runtime::Runtime,
    endpoint_rt: &tokio::runtime::Runtime,
) {
    let session = relay_rt.block_on(relay.allocate()).expect("session");
    let cpu_before = relay_cpu();
    let wall = Instant::now();
    let received = endpoint_rt.block_on(async {
        let (caller, agent) = endpoints(&session).await;
        let to = addr(&session, Side::A);
        let mut buf = [0u8; 2048];
        let mut received = 0;
        for burst in 0..RELAYED / 16 {
            for k in 0..16 {
                let seq = (burst * 16 + k) as u16;
                let _ = caller.send_to(&rtp(seq), to).await;
            }
            for _ in 0..16 {
                match tokio::time::timeout(Duration::from_millis(200), agent.recv(&mut buf)).await {
                    Ok(Ok(_)) => received += 1,
                    _ => break,
                }
            }
        }
        received
    });
    let cpu = relay_cpu().saturating_sub(cpu_before);
    println!(
        "relay: {received}/{RELAYED} packets relayed in {:.2} s, relay thread CPU {:.2} µs/packet",
        wall.elapsed().as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / received.max(1) as f64
    );
}

/// 200 concurrent 5 s playbacks: relay-thread CPU per played packet and receiver jitter.
fn played_figures(
    relay: &MediaRelay,
    relay_rt: &tokio::runtime::Runtime,
    endpoint_rt: &tokio::runtime::Runtime,
) {
    let mut sessions = Vec::with_capacity(PLAYBACKS);
    for _ in 0..PLAYBACKS {
        match relay_rt.block_on(relay.allocate()) {
            Ok(s) => sessions.push(s),
            Err(e) => {
                println!("playback: allocated {} sessions only: {e}", sessions.len());
                break;
            }
        }
    }
    let pcm: Vec<i16> = (0..PLAY_FRAMES * 160)
        .map(|i| ((i % 40) * 500) as i16)
        .collect();
    let prompt = Arc::new(Prompt::from_pcm("it", "bench", pcm));
    let cpu_before = relay_cpu();
    let results = endpoint_rt.block_on(async {
        let mut receivers = Vec::with_capacity(sessions.len());
        for session in &sessions {
            let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
            session.set_remote(Side::A, sock.local_addr().expect("addr"));
            receivers.push(sock);
        }
        let opts = PlayOptions {
            barge_in: false,
            codec: AudioCodec::Pcma,
        };
        for session in &sessions {
            session
                .play(Side::A, vec![Arc::clone(&prompt)], opts)
                .expect("play");
        }
        let tasks: Vec<_> = receivers
            .into_iter()
            .map(|sock| tokio::spawn(receive(sock)))
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for t in tasks {
            results.push(t.await.expect("receiver"));
        }
        for session in &mut sessions {
            let done = tokio::time::timeout(Duration::from_secs(1), session.next_event()).await;
            if !matches!(
                done,
                Ok(Some(RelayEvent::PlaybackDone {
                    completed: true,
                    ..
                }))
            ) {
                println!("playback: unexpected end {done:?}");
            }
        }
        results
    });
    let cpu = relay_cpu().saturating_sub(cpu_before);
    let packets: usize = results.iter().map(|r| r.packets).sum();
    let mut jitters: Vec<f64> = results.iter().map(|r| r.jitter_ms).collect();
    jitters.sort_by(f64::total_cmp);
    let max_offset = results.iter().map(|r| r.max_offset_ms).fold(0.0, f64::max);
    let pct = |p: f64| jitters[((jitters.len() - 1) as f64 * p) as usize];
    println!(
        "playback: {} sessions, {packets}/{} packets received, relay thread CPU {:.2} µs/packet",
        results.len(),
        results.len() * PLAY_FRAMES,
        cpu.as_secs_f64() * 1e6 / packets.max(1) as f64
    );
    println!(
        "playback jitter (RFC 3550, at the receivers): median {:.3} ms, p99 {:.3} ms, max {:.3} ms; max |arrival - schedule| {:.3} ms",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        max_offset
    );
}

struct Reception {
    packets: usize,
    jitter_ms: f64,
    max_offset_ms: f64,
}

/// Receives one playback until 300 ms of silence and computes its RFC 3550 §6.4.1 jitter.
async fn receive(sock: UdpSocket) -> Reception {
    let mut buf = [0u8; 2048];
    let mut first: Option<(Instant, u32)> = None;
    let mut prev_transit = 0.0f64;
    let mut jitter = 0.0f64;
    let mut max_offset = 0.0f64;
    let mut packets = 0;
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_millis(300), sock.recv(&mut buf)).await
    {
        let now = Instant::now();
        let Some(ts) = buf.get(4..8).filter(|_| n >= 12) else {
            continue;
        };
        let ts = u32::from_be_bytes([ts[0], ts[1], ts[2], ts[3]]);
        packets += 1;
        let (t0, ts0) = *first.get_or_insert((now, ts));
        let transit =
            now.duration_since(t0).as_secs_f64() * 1000.0 - f64::from(ts.wrapping_sub(ts0)) / 8.0;
        if packets > 1 {
            jitter += ((transit - prev_transit).abs() - jitter) / 16.0;
        }
        prev_transit = transit;
        max_offset = max_offset.max(transit.abs());
    }
    Reception {
        packets,
        jitter_ms: jitter,
        max_offset_ms: max_offset,
    }
}

async fn endpoints(session: &RelaySession) -> (UdpSocket, UdpSocket) {
    let caller = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let agent = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    session.set_remote(Side::A, caller.local_addr().expect("addr"));
    session.set_remote(Side::B, agent.local_addr().expect("addr"));
    (caller, agent)
}

fn addr(session: &RelaySession, side: Side) -> SocketAddr {
    SocketAddr::new(session.local_ip(), session.local_rtp_port(side))
}

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 8];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&0x1234u32.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

/// User plus system CPU time of the relay runtime's threads (from /proc, Linux only).
fn relay_cpu() -> Duration {
    let mut ticks = 0u64;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != RELAY_THREAD {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        for i in [11, 12] {
            ticks += fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    // Linux reports these in USER_HZ, 100 per second.
    Duration::from_millis(ticks * 10)
}
