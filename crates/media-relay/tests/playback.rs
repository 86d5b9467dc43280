//! Loopback tests of prompt and music playback and DTMF detection in the relay task
//! (IVR-1, IVR-2 DTMF and barge-in; IVR-4 prompts; IVR-5 music on hold; RFC 3550 §5.1
//! SSRC/sequence/timestamp continuity; RFC 4733 §2.5 one report per event).
//! Each test uses its own port sub-range inside 43000–43999.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use media_relay::prompts::{AudioCodec, MusicLoop, Prompt};
use media_relay::{MediaRelay, PlayOptions, RelayConfig, RelayEvent, RelaySession, Side};
use tokio::net::UdpSocket;
use tokio::time::{Instant, timeout};

const LOCALHOST: &str = "127.0.0.1";
const WAIT: Duration = Duration::from_secs(3);

fn relay(port_min: u16, port_max: u16) -> MediaRelay {
    MediaRelay::new(RelayConfig {
        bind_ip: LOCALHOST.parse().unwrap(),
        port_min,
        port_max,
        inactivity_timeout: Duration::from_secs(600),
        relatch_after: Duration::from_secs(5),
    })
}

fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An RFC 4733 §2.3 telephone-event packet.
fn dtmf(seq: u16, ts: u32, event: u8, end: bool, duration: u16) -> Vec<u8> {
    let d = duration.to_be_bytes();
    let flags = if end { 0x80 | 10 } else { 10 };
    rtp(101, seq, ts, 0xd7d7, &[event, flags, d[0], d[1]])
}

/// (payload type, sequence, timestamp, ssrc, marker) of a packet.
fn fields(p: &[u8]) -> (u8, u16, u32, u32, bool) {
    (
        p[1] & 0x7f,
        u16::from_be_bytes([p[2], p[3]]),
        u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
        p[1] & 0x80 != 0,
    )
}

async fn recv(sock: &UdpSocket) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    let (n, _) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("packet in time")
        .unwrap();
    buf[..n].to_vec()
}

async fn call(relay: &MediaRelay) -> (RelaySession, UdpSocket, UdpSocket) {
    let session = relay.allocate().await.unwrap();
    let caller = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    let agent = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    session.set_remote(Side::A, caller.local_addr().unwrap());
    session.set_remote(Side::B, agent.local_addr().unwrap());
    (session, caller, agent)
}

fn addr(s: &RelaySession, side: Side) -> SocketAddr {
    SocketAddr::new(s.local_ip(), s.local_rtp_port(side))
}

/// A prompt of `frames` 20 ms frames whose samples are distinct per frame.
fn prompt(frames: usize) -> Arc<Prompt> {
    let pcm = (0..frames * 160).map(|i| (i / 160) as i16 * 100).collect();
    Arc::new(Prompt::from_pcm("it", "test", pcm))
}

async fn next_event(session: &mut RelaySession) -> RelayEvent {
    timeout(WAIT, session.next_event())
        .await
        .expect("event in time")
        .expect("relay alive")
}

#[tokio::test(start_paused = true)]
async fn ivr4_rfc3550_prompt_continues_relayed_stream_with_paused_time() {
    let relay = relay(43000, 43019);
    let (mut session, caller, agent) = call(&relay).await;
    // The agent talks to the caller: seq 100..=104, ts 1000 + 160 k.
    for k in 0..5u16 {
        let p = rtp(8, 100 + k, 1000 + 160 * u32::from(k), 0xb0b, &[0xd5; 160]);
        agent.send_to(&p, addr(&session, Side::B)).await.unwrap();
        assert_eq!(fields(&recv(&caller).await).1, 100 + k);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // 20 ms after the last relayed packet the engine plays a 5-frame prompt to the caller.
    let p = prompt(5);
    let started = Instant::now();
    let opts = PlayOptions {
        barge_in: false,
        codec: AudioCodec::Pcma,
    };
    session.play(Side::A, vec![Arc::clone(&p)], opts).unwrap();
    let mut last_ts = 0;
    for k in 0..5u16 {
        let pkt = recv(&caller).await;
        let late =
            (Instant::now() - started).saturating_sub(Duration::from_millis(20) * u32::from(k));
        assert!(
            late <= Duration::from_millis(1),
            "packet {k} at its absolute deadline: {late:?} late"
        );
        let (pt, seq, ts, ssrc, marker) = fields(&pkt);
        // Continues 1640 + 160 (the 20 ms gap) with the next sequence number.
        let want_ts = 1000 + 160 * 4 + 160 + 160 * u32::from(k);
        assert_eq!(
            (pt, seq, ts, ssrc, marker),
            (8, 105 + k, want_ts, 0xb0b, k == 0)
        );
        let frame = &p.encoded(AudioCodec::Pcma)[usize::from(k) * 160..][..160];
        assert_eq!(&pkt[12..], frame);
        last_ts = ts;
        // The agent keeps talking during the prompt: suppressed towards the caller.
        if k < 4 {
            let p = rtp(8, 105 + k, 1800 + 160 * u32::from(k), 0xb0b, &[0xd5; 160]);
            agent.send_to(&p, addr(&session, Side::B)).await.unwrap();
        }
    }
    assert_eq!(
        next_event(&mut session).await,
        RelayEvent::PlaybackDone {
            side: Side::A,
            completed: true
        }
    );
    // 100 ms after the last prompt packet the relayed stream resumes, re-anchored.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let p = rtp(8, 110, 2600, 0xb0b, &[0xd5; 160]);
    agent.send_to(&p, addr(&session, Side::B)).await.unwrap();
    let pkt = recv(&caller).await;
    assert_eq!(fields(&pkt), (8, 110, last_ts + 800, 0xb0b, true));
    let p = rtp(8, 111, 2760, 0xb0b, &[0xd5; 160]);
    agent.send_to(&p, addr(&session, Side::B)).await.unwrap();
    assert_eq!(
        fields(&recv(&caller).await),
        (8, 111, last_ts + 960, 0xb0b, false)
    );
}

#[tokio::test]
async fn ivr1_rfc4733_dtmf_reported_once_and_still_relayed() {
    let relay = relay(43020, 43039);
    let (mut session, caller, agent) = call(&relay).await;
    session.set_dtmf_payload_type(Side::A, Some(101));
    let to = addr(&session, Side::A);
    // Key 5: three updates and three retransmitted ends.
    let mut seq = 1;
    for (end, d) in [
        (false, 160),
        (false, 320),
        (false, 480),
        (true, 640),
        (true, 640),
        (true, 640),
    ] {
        caller
            .send_to(&dtmf(seq, 8000, 5, end, d), to)
            .await
            .unwrap();
        seq += 1;
    }
    // Key # with its start lost: only the ends arrive.
    for _ in 0..3 {
        caller
            .send_to(&dtmf(seq, 16000, 11, true, 800), to)
            .await
            .unwrap();
        seq += 1;
    }
    for _ in 0..9 {
        assert_eq!(
            fields(&recv(&agent).await).0,
            101,
            "telephone-events relayed"
        );
    }
    let RelayEvent::Dtmf { side, digit, .. } = next_event(&mut session).await else {
        panic!("expected DTMF");
    };
    assert_eq!((side, digit), (Side::A, '5'));
    let RelayEvent::Dtmf { digit, .. } = next_event(&mut session).await else {
        panic!("expected DTMF");
    };
    assert_eq!(digit, '#');
    assert!(
        timeout(Duration::from_millis(200), session.next_event())
            .await
            .is_err(),
        "each press once"
    );
    // Side B has no DTMF payload type: its telephone-events are only relayed.
    agent
        .send_to(&dtmf(1, 0, 1, true, 160), addr(&session, Side::B))
        .await
        .unwrap();
    recv(&caller).await;
    // A flood of distinct events is bounded by the event queue.
    for k in 0..300u32 {
        caller
            .send_to(&dtmf(seq, 100_000 + k * 160, 1, true, 160), to)
            .await
            .unwrap();
        seq = seq.wrapping_add(1);
    }
    // Nobody reads events meanwhile: the queue holds 64, the rest is dropped.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut flood = 0;
    while let Ok(Some(ev)) = timeout(Duration::from_millis(100), session.next_event()).await {
        assert!(matches!(ev, RelayEvent::Dtmf { digit: '1', .. }));
        flood += 1;
    }
    assert_eq!(flood, 64, "bounded by the event queue");
}

#[tokio::test]
async fn ivr2_barge_in_stops_the_playlist_and_relay_resumes() {
    let relay = relay(43040, 43059);
    let (mut session, caller, agent) = call(&relay).await;
    session.set_dtmf_payload_type(Side::A, Some(101));
    let opts = PlayOptions {
        barge_in: true,
        codec: AudioCodec::Pcmu,
    };
    session
        .play(Side::A, vec![prompt(100), prompt(100)], opts)
        .unwrap();
    for _ in 0..3 {
        assert_eq!(fields(&recv(&caller).await).0, 0, "PCMU prompt");
    }
    caller
        .send_to(&dtmf(1, 4000, 9, false, 160), addr(&session, Side::A))
        .await
        .unwrap();
    assert!(matches!(
        next_event(&mut session).await,
        RelayEvent::Dtmf {
            side: Side::A,
            digit: '9',
            ..
        }
    ));
    assert_eq!(
        next_event(&mut session).await,
        RelayEvent::PlaybackDone {
            side: Side::A,
            completed: false
        }
    );
    // Drain what was in flight, then the agent's audio reaches the caller again.
    while timeout(Duration::from_millis(100), recv(&caller))
        .await
        .is_ok()
    {}
    agent
        .send_to(&rtp(0, 7, 0, 0xa9e7, &[0xff; 160]), addr(&session, Side::B))
        .await
        .unwrap();
    let (pt, _, _, ssrc, marker) = fields(&recv(&caller).await);
    assert_eq!(pt, 0);
    assert!(marker, "new talk spurt after the prompt");
    assert_ne!(
        ssrc, 0xa9e7,
        "keeps the prompt's SSRC: one stream to the caller"
    );
    // Without barge-in a key press does not stop the prompt.
    let opts = PlayOptions {
        barge_in: false,
        codec: AudioCodec::Pcmu,
    };
    session.play(Side::A, vec![prompt(10)], opts).unwrap();
    caller
        .send_to(&dtmf(2, 9000, 3, true, 160), addr(&session, Side::A))
        .await
        .unwrap();
    assert!(matches!(
        next_event(&mut session).await,
        RelayEvent::Dtmf { digit: '3', .. }
    ));
    assert_eq!(
        next_event(&mut session).await,
        RelayEvent::PlaybackDone {
            side: Side::A,
            completed: true
        }
    );
}

#[tokio::test(start_paused = true)]
async fn ivr5_music_joins_as_a_radio_and_stops_on_request() {
    let relay = relay(43060, 43079);
    let (mut session, _caller, agent) = call(&relay).await;
    // A 1 s loop that started 500 ms ago: the listener hears sample 4000 first.
    let pcm = (0..8000).map(|i| ((i / 160) * 200) as i16).collect();
    let music = Arc::new(Prompt::from_pcm("moh", "jazz", pcm));
    let epoch = Instant::now() - Duration::from_millis(500);
    let moh = Arc::new(MusicLoop::new(Arc::clone(&music), epoch));
    session
        .play_music(Side::B, Arc::clone(&moh), AudioCodec::Pcma)
        .unwrap();
    let audio = music.encoded(AudioCodec::Pcma);
    let first = recv(&agent).await;
    assert_eq!(&first[12..], &audio[4000..4160]);
    // 1.2 s later it has wrapped around the loop and is still playing.
    let mut last = first;
    for _ in 0..60 {
        last = recv(&agent).await;
    }
    assert_eq!(&last[12..], &audio[(4000 + 60 * 160) % 8000..][..160]);
    // A playlist replaces the music: the music ends not completed.
    let opts = PlayOptions {
        barge_in: false,
        codec: AudioCodec::Pcma,
    };
    session.play(Side::B, vec![prompt(2)], opts).unwrap();
    assert_eq!(
        next_event(&mut session).await,
        RelayEvent::PlaybackDone {
            side: Side::B,
            completed: false
        }
    );
    let (_, seq, _, ssrc, _) = fields(&recv(&agent).await);
    assert_eq!(
        (seq, ssrc),
        (fields(&last).1.wrapping_add(1), fields(&last).3)
    );
    session.play_music(Side::B, moh, AudioCodec::Pcma).unwrap();
    session.stop(Side::B).unwrap();
    for completed in [false, false] {
        assert_eq!(
            next_event(&mut session).await,
            RelayEvent::PlaybackDone {
                side: Side::B,
                completed
            }
        );
    }
}

#[tokio::test]
async fn ivr4_realtime_two_second_prompt_jitter_is_bounded() {
    let relay = relay(43080, 43099);
    let (mut session, caller, _agent) = call(&relay).await;
    let opts = PlayOptions {
        barge_in: false,
        codec: AudioCodec::Pcma,
    };
    session.play(Side::A, vec![prompt(100)], opts).unwrap();
    let mut arrivals = Vec::with_capacity(100);
    let mut timestamps = Vec::with_capacity(100);
    for _ in 0..100 {
        let pkt = recv(&caller).await;
        arrivals.push(Instant::now().into_std());
        timestamps.push(fields(&pkt).2);
    }
    assert_eq!(
        next_event(&mut session).await,
        RelayEvent::PlaybackDone {
            side: Side::A,
            completed: true
        }
    );
    let stats = jitter(&arrivals, &timestamps);
    println!(
        "2 s prompt, 100 packets: RFC 3550 jitter {:.3} ms, max |arrival - schedule| {:.3} ms, span {:.1} ms",
        stats.rfc3550_ms, stats.max_offset_ms, stats.span_ms
    );
    assert!(stats.rfc3550_ms < 10.0, "jitter {:.3} ms", stats.rfc3550_ms);
    assert!(
        stats.max_offset_ms < 50.0,
        "drift {:.3} ms",
        stats.max_offset_ms
    );
}

struct Jitter {
    rfc3550_ms: f64,
    max_offset_ms: f64,
    span_ms: f64,
}

/// RFC 3550 §6.4.1 interarrival jitter and the largest deviation from the 20 ms schedule.
fn jitter(arrivals: &[std::time::Instant], timestamps: &[u32]) -> Jitter {
    let mut j = 0.0f64;
    let mut max_offset = 0.0f64;
    let t0 = arrivals[0];
    for k in 1..arrivals.len() {
        let transit = |i: usize| {
            arrivals[i].duration_since(t0).as_secs_f64() * 1000.0
                - f64::from(timestamps[i].wrapping_sub(timestamps[0])) / 8.0
        };
        let d = (transit(k) - transit(k - 1)).abs();
        j += (d - j) / 16.0;
        max_offset = max_offset.max(transit(k).abs());
    }
    let span = arrivals[arrivals.len() - 1]
        .duration_since(t0)
        .as_secs_f64()
        * 1000.0;
    Jitter {
        rfc3550_ms: j,
        max_offset_ms: max_offset,
        span_ms: span,
    }
}
