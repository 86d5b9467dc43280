//! The relay exports its counters through the `metrics` facade, batched (Prometheus names
//! `centralino_rtp_*`). This binary installs a global debugging recorder, so it holds one test.

use std::net::SocketAddr;
use std::time::Duration;

use media_relay::{MediaRelay, RelayConfig, Side};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tokio::net::UdpSocket;
use tokio::time::timeout;

#[tokio::test]
async fn prometheus_counters_exported_per_direction() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let relay = MediaRelay::new(RelayConfig {
        bind_ip: "127.0.0.1".parse().unwrap(),
        port_min: 41500,
        port_max: 41549,
        inactivity_timeout: Duration::from_secs(60),
        relatch_after: Duration::from_secs(5),
    });
    let session = relay.allocate().await.unwrap();
    let caller = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let agent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    session.set_remote(Side::A, caller.local_addr().unwrap());
    session.set_remote(Side::B, agent.local_addr().unwrap());
    let a = SocketAddr::new(session.local_ip(), session.local_rtp_port(Side::A));
    let mut buf = [0u8; 256];
    for seq in 0..60u16 {
        let mut p = vec![0x80, 0];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0xd5, 0xd5]);
        caller.send_to(&p, a).await.unwrap();
        timeout(Duration::from_secs(2), agent.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
    }
    caller.send_to(b"junk", a).await.unwrap();
    for _ in 0..100 {
        if session.counters().a_to_b.dropped == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(session);

    // The final flush happens when the task ends; poll the recorder, bounded. The debugging
    // recorder resets counters on each snapshot, so the values are summed.
    let mut relayed = 0;
    let mut dropped = 0;
    for _ in 0..200 {
        for (key, _, _, value) in snapshotter.snapshot().into_vec() {
            let key = key.key();
            let a_to_b = key
                .labels()
                .any(|l| l.key() == "direction" && l.value() == "a_to_b");
            if let (true, DebugValue::Counter(n)) = (a_to_b, value) {
                match key.name() {
                    "centralino_rtp_packets_relayed_total" => relayed += n,
                    "centralino_rtp_packets_dropped_total" => dropped += n,
                    _ => {}
                }
            }
        }
        if relayed == 60 && dropped == 1 && relay.stats().sessions_active == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!((relayed, dropped), (60, 1));
    let stats = relay.stats();
    assert_eq!((stats.packets_relayed, stats.packets_dropped), (60, 1));
}
