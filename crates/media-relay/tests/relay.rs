//! Loopback tests of the media relay: two fake endpoints exchange RTP/RTCP through a session
//! (RFC 3550 rewriting, RFC 4961 latching, PT map, hold, inactivity, port pool, garbage).
//! Each test uses its own port sub-range inside 41000–41999.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use media_relay::{MediaRelay, RelayConfig, RelayError, RelayEvent, RelaySession, Side};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const LOCALHOST: &str = "127.0.0.1";
const WAIT: Duration = Duration::from_secs(2);

fn relay(port_min: u16, port_max: u16) -> MediaRelay {
    relay_with(port_min, port_max, Duration::from_secs(60))
}

fn relay_with(port_min: u16, port_max: u16, inactivity: Duration) -> MediaRelay {
    MediaRelay::new(RelayConfig {
        bind_ip: LOCALHOST.parse().unwrap(),
        port_min,
        port_max,
        inactivity_timeout: inactivity,
        relatch_after: Duration::from_secs(5),
    })
}

fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

/// (payload type, sequence, timestamp, ssrc, marker) of a received packet.
fn fields(p: &[u8]) -> (u8, u16, u32, u32, bool) {
    (
        p[1] & 0x7f,
        u16::from_be_bytes([p[2], p[3]]),
        u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
        u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
        p[1] & 0x80 != 0,
    )
}

async fn endpoint() -> UdpSocket {
    UdpSocket::bind((LOCALHOST, 0)).await.unwrap()
}

fn relay_addr(s: &RelaySession, side: Side) -> SocketAddr {
    SocketAddr::new(s.local_ip(), s.local_rtp_port(side))
}

async fn recv(sock: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("packet relayed in time")
        .unwrap();
    (buf[..n].to_vec(), from)
}

async fn nothing_arrives(sock: &UdpSocket) -> bool {
    let mut buf = [0u8; 2048];
    timeout(Duration::from_millis(200), sock.recv_from(&mut buf))
        .await
        .is_err()
}

/// Sets up a session with caller and agent endpoints announced in "SDP".
async fn call(relay: &MediaRelay) -> (RelaySession, UdpSocket, UdpSocket) {
    let session = relay.allocate().await.unwrap();
    let caller = endpoint().await;
    let agent = endpoint().await;
    session.set_remote(Side::A, caller.local_addr().unwrap());
    session.set_remote(Side::B, agent.local_addr().unwrap());
    (session, caller, agent)
}

#[tokio::test]
async fn rfc3550_relays_both_ways_with_ssrc_continuity() {
    let relay = relay(41100, 41149);
    let (session, caller, agent) = call(&relay).await;
    let port_a = session.local_rtp_port(Side::A);
    let port_b = session.local_rtp_port(Side::B);
    assert_eq!(port_a % 2, 0);
    assert_eq!(port_b % 2, 0);
    assert_ne!(port_a, port_b);
    assert!((41100..=41149).contains(&port_a) && (41100..=41149).contains(&port_b));

    for i in 0..10u16 {
        caller
            .send_to(
                &rtp(0, 1000 + i, 160 * u32::from(i), 0xaaaa),
                relay_addr(&session, Side::A),
            )
            .await
            .unwrap();
        let (p, from) = recv(&agent).await;
        assert_eq!(
            from,
            relay_addr(&session, Side::B),
            "symmetric: sent from B's port"
        );
        assert_eq!(fields(&p), (0, 1000 + i, 160 * u32::from(i), 0xaaaa, false));
        assert_eq!(p.len(), 172);
    }
    // The caller's source changes (re-INVITE, another media server): the agent still sees
    // one stream with continuous sequence numbers.
    for i in 0..5u16 {
        caller
            .send_to(
                &rtp(0, 50000 + i, 777_000 + 160 * u32::from(i), 0xbbbb),
                relay_addr(&session, Side::A),
            )
            .await
            .unwrap();
        let (p, _) = recv(&agent).await;
        let (_, seq, _, ssrc, marker) = fields(&p);
        assert_eq!((seq, ssrc, marker), (1010 + i, 0xaaaa, i == 0));
    }
    for i in 0..7u16 {
        agent
            .send_to(&rtp(8, i, 0, 0xcccc), relay_addr(&session, Side::B))
            .await
            .unwrap();
        let (p, from) = recv(&caller).await;
        assert_eq!(from, relay_addr(&session, Side::A));
        assert_eq!(fields(&p).1, i);
        assert_eq!(fields(&p).3, 0xcccc);
    }
    let c = session.counters();
    assert_eq!((c.a_to_b.packets, c.a_to_b.bytes), (15, 15 * 172));
    assert_eq!(
        (c.b_to_a.packets, c.a_to_b.dropped, c.b_to_a.dropped),
        (7, 0, 0)
    );
    assert_eq!(relay.stats().sessions_active, 1);
    drop(session);
    // Totals are flushed when the task ends.
    let mut stats = relay.stats();
    for _ in 0..100 {
        if stats.sessions_active == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        stats = relay.stats();
    }
    assert_eq!((stats.sessions_active, stats.packets_relayed), (0, 22));
}

#[tokio::test]
async fn rfc3550_a1_loss_counted_per_direction() {
    let relay = relay(41150, 41199);
    let (session, caller, agent) = call(&relay).await;
    for seq in (0..20u16).filter(|s| *s != 7 && *s != 8) {
        caller
            .send_to(
                &rtp(0, seq, u32::from(seq) * 160, 1),
                relay_addr(&session, Side::A),
            )
            .await
            .unwrap();
        recv(&agent).await;
    }
    assert_eq!(session.counters().a_to_b.lost, 2);
    assert_eq!(session.counters().b_to_a.lost, 0);
}

#[tokio::test]
async fn rfc4961_latches_to_the_actual_source_port() {
    let relay = relay(41200, 41249);
    let session = relay.allocate().await.unwrap();
    let agent = endpoint().await;
    // The caller's SDP names a port nobody listens on (NAT rewrote it).
    let natted = endpoint().await;
    let sdp_addr: SocketAddr = "127.0.0.1:41290".parse().unwrap();
    session.set_remote(Side::A, sdp_addr);
    session.set_remote(Side::B, agent.local_addr().unwrap());

    natted
        .send_to(&rtp(0, 1, 160, 7), relay_addr(&session, Side::A))
        .await
        .unwrap();
    recv(&agent).await;
    agent
        .send_to(&rtp(0, 1, 160, 9), relay_addr(&session, Side::B))
        .await
        .unwrap();
    let (p, _) = recv(&natted).await;
    assert_eq!(
        fields(&p).3,
        9,
        "B→A goes to the latched source, not the SDP port"
    );

    // A stranger on side A is dropped while the latched source is alive.
    let stranger = endpoint().await;
    stranger
        .send_to(&rtp(0, 2, 320, 66), relay_addr(&session, Side::A))
        .await
        .unwrap();
    assert!(nothing_arrives(&agent).await);
    assert_eq!(session.counters().a_to_b.dropped, 1);
    assert_eq!(session.counters().a_to_b.packets, 1);
}

#[tokio::test]
async fn payload_type_map_applies_per_direction() {
    let relay = relay(41250, 41289);
    let (session, caller, agent) = call(&relay).await;
    // telephone-event is 101 on the trunk and 96 at the agent.
    session.set_payload_map(Side::A, vec![(101, 96)]);
    session.set_payload_map(Side::B, vec![(96, 101)]);
    caller
        .send_to(&rtp(101, 1, 0, 1), relay_addr(&session, Side::A))
        .await
        .unwrap();
    assert_eq!(fields(&recv(&agent).await.0).0, 96);
    caller
        .send_to(&rtp(8, 2, 160, 1), relay_addr(&session, Side::A))
        .await
        .unwrap();
    assert_eq!(fields(&recv(&agent).await.0).0, 8);
    agent
        .send_to(&rtp(96, 1, 0, 2), relay_addr(&session, Side::B))
        .await
        .unwrap();
    assert_eq!(fields(&recv(&caller).await.0).0, 101);
}

#[tokio::test]
async fn hold_drops_packets_towards_the_held_side() {
    let relay = relay(41300, 41339);
    let (session, caller, agent) = call(&relay).await;
    session.set_hold(Side::B, true);
    for seq in 0..3u16 {
        caller
            .send_to(&rtp(0, seq, 0, 1), relay_addr(&session, Side::A))
            .await
            .unwrap();
    }
    assert!(nothing_arrives(&agent).await);
    assert_eq!(session.counters().a_to_b.dropped, 3);
    // The other direction still flows.
    agent
        .send_to(&rtp(0, 0, 0, 2), relay_addr(&session, Side::B))
        .await
        .unwrap();
    recv(&caller).await;
    session.set_hold(Side::B, false);
    caller
        .send_to(&rtp(0, 3, 480, 1), relay_addr(&session, Side::A))
        .await
        .unwrap();
    assert_eq!(fields(&recv(&agent).await.0).1, 3);
    let c = session.counters();
    assert_eq!((c.a_to_b.packets, c.b_to_a.packets), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn inactivity_reported_once_with_paused_time() {
    let relay = relay(41340, 41369);
    let mut session = relay.allocate().await.unwrap();
    let started = tokio::time::Instant::now();
    let ev = timeout(Duration::from_secs(120), session.next_event())
        .await
        .expect("inactivity reported");
    let Some(RelayEvent::Inactive { idle }) = ev else {
        panic!("unexpected event {ev:?}");
    };
    assert!(idle >= Duration::from_secs(60));
    assert!(started.elapsed() >= Duration::from_secs(60));
    // Reported once per quiet period.
    assert!(
        timeout(Duration::from_secs(300), session.next_event())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn inactivity_rearmed_when_packets_flow_again() {
    let relay = relay_with(41370, 41399, Duration::from_millis(300));
    let (mut session, caller, agent) = call(&relay).await;
    let first = timeout(WAIT, session.next_event()).await.unwrap();
    assert!(matches!(first, Some(RelayEvent::Inactive { .. })));
    // While packets flow every 100 ms no event comes.
    for seq in 0..5u16 {
        caller
            .send_to(&rtp(0, seq, 0, 1), relay_addr(&session, Side::A))
            .await
            .unwrap();
        recv(&agent).await;
        let quiet = timeout(Duration::from_millis(100), session.next_event()).await;
        assert!(quiet.is_err(), "no event while media flows");
    }
    let again = timeout(WAIT, session.next_event()).await.unwrap();
    let Some(RelayEvent::Inactive { idle }) = again else {
        panic!("unexpected event {again:?}");
    };
    assert!(idle >= Duration::from_millis(300));
}

#[tokio::test]
async fn pool_exhaustion_and_port_reuse_after_drop() {
    // Exactly two RTP/RTCP pairs: one session.
    let relay = relay(41400, 41403);
    let first = relay.allocate().await.unwrap();
    let ports = (first.local_rtp_port(Side::A), first.local_rtp_port(Side::B));
    assert!(matches!(
        relay.allocate().await,
        Err(RelayError::PoolExhausted)
    ));
    drop(first);
    let second = relay.allocate().await.expect("ports returned after drop");
    let mut reused = [
        second.local_rtp_port(Side::A),
        second.local_rtp_port(Side::B),
    ];
    reused.sort_unstable();
    let mut before = [ports.0, ports.1];
    before.sort_unstable();
    assert_eq!(reused, before);
    assert_eq!(relay.stats().sessions_active, 1);
}

#[tokio::test]
async fn busy_ports_are_skipped() {
    let _busy = std::net::UdpSocket::bind("127.0.0.1:41411").unwrap();
    let relay = relay(41410, 41415);
    let session = relay.allocate().await.unwrap();
    let mut ports = [
        session.local_rtp_port(Side::A),
        session.local_rtp_port(Side::B),
    ];
    ports.sort_unstable();
    assert_eq!(ports, [41412, 41414]);
    assert_eq!(
        session.local_rtcp_port(Side::A),
        session.local_rtp_port(Side::A) + 1
    );
    assert_eq!(session.local_ip(), LOCALHOST.parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn garbage_is_counted_and_relaying_continues() {
    let relay = relay(41420, 41449);
    let (session, caller, agent) = call(&relay).await;
    let a_rtp = relay_addr(&session, Side::A);
    let a_rtcp = SocketAddr::new(session.local_ip(), session.local_rtcp_port(Side::A));
    let junk: [&[u8]; 6] = [
        b"",
        b"x",
        b"INVITE sip:bob@example.com SIP/2.0\r\n",
        &[0x80, 0x00, 0x00],
        &[0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], // CSRC count past the end
        &[0x80, 200, 0, 1],                       // RTCP on the RTP port
    ];
    for j in junk {
        caller.send_to(j, a_rtp).await.unwrap();
        caller.send_to(j, a_rtcp).await.unwrap();
    }
    caller.send_to(&rtp(0, 1, 0, 1), a_rtp).await.unwrap();
    assert_eq!(fields(&recv(&agent).await.0).1, 1);
    // The RTCP socket is drained independently of the RTP one: wait for it, bounded.
    for _ in 0..100 {
        if session.counters().a_to_b.dropped == 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let c = session.counters();
    assert_eq!((c.a_to_b.dropped, c.a_to_b.packets), (12, 1));
}

#[tokio::test]
async fn rtcp_relayed_to_the_next_port() {
    let relay = relay(41450, 41479);
    let session = relay.allocate().await.unwrap();
    let caller_rtcp = UdpSocket::bind("127.0.0.1:41491").await.unwrap();
    let agent_rtcp = UdpSocket::bind("127.0.0.1:41493").await.unwrap();
    session.set_remote(Side::A, "127.0.0.1:41490".parse().unwrap());
    session.set_remote(Side::B, "127.0.0.1:41492".parse().unwrap());
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 42];
    let a_rtcp = SocketAddr::new(session.local_ip(), session.local_rtcp_port(Side::A));
    let b_rtcp = SocketAddr::new(session.local_ip(), session.local_rtcp_port(Side::B));
    caller_rtcp.send_to(&rr, a_rtcp).await.unwrap();
    let (p, from) = recv(&agent_rtcp).await;
    assert_eq!((p.as_slice(), from), (&rr[..], b_rtcp));
    agent_rtcp.send_to(&rr, b_rtcp).await.unwrap();
    assert_eq!(recv(&caller_rtcp).await.1, a_rtcp);
    let c = session.counters();
    assert_eq!((c.a_to_b.rtcp_packets, c.b_to_a.rtcp_packets), (1, 1));
    assert_eq!(c.a_to_b.packets, 0, "RTCP is not counted as RTP");
}
