//! Loopback tests of the SIP transport shell: UDP delivery, stateless 400 for a
//! malformed request, TCP framing across writes (RFC 3261 §18.3).

use super::*;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const OPTIONS: &str = "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx1\r\n\
From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: t1\r\nCSeq: 1 OPTIONS\r\n\
Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

async fn start() -> (SipTransport, mpsc::Receiver<Inbound>) {
    let (tx, rx) = mpsc::channel(16);
    let t = SipTransport::start("127.0.0.1:0".parse().unwrap(), Limits::default(), tx).await.unwrap();
    (t, rx)
}

#[tokio::test]
async fn udp_message_is_delivered_with_its_source() {
    let (t, mut rx) = start().await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    peer.send_to(OPTIONS.as_bytes(), t.local_addr()).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(got.source.addr, peer.local_addr().unwrap());
    assert_eq!(got.source.transport, Transport::Udp);
    assert!(got.message.is_request());
}

#[tokio::test]
async fn malformed_udp_request_gets_a_stateless_400() {
    let (t, _rx) = start().await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let bad = OPTIONS.replace("CSeq: 1 OPTIONS", "CSeq: 99999999999999 OPTIONS").replace("Content-Length: 0", "Content-Length: -5");
    peer.send_to(bad.as_bytes(), t.local_addr()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), peer.recv_from(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("SIP/2.0 400"), "{text}");
    assert!(text.contains("Call-ID: t1"), "{text}");
}

#[tokio::test]
async fn garbage_is_dropped_and_the_socket_keeps_working() {
    let (t, mut rx) = start().await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    peer.send_to(b"\x00\x01garbage\xff", t.local_addr()).await.unwrap();
    peer.send_to(b"\r\n\r\n", t.local_addr()).await.unwrap();
    peer.send_to(OPTIONS.as_bytes(), t.local_addr()).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert!(got.message.is_request());
}

#[tokio::test]
async fn tcp_framing_splits_and_joins_messages() {
    let (t, mut rx) = start().await;
    let mut s = tokio::net::TcpStream::connect(t.local_addr()).await.unwrap();
    let two = format!("{OPTIONS}{}", OPTIONS.replace("t1", "t2"));
    let (a, b) = two.as_bytes().split_at(100);
    s.write_all(a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    s.write_all(b).await.unwrap();
    for want in ["t1", "t2"] {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
        assert_eq!(got.source.transport, Transport::Tcp);
        assert_eq!(got.message.headers().call_id().unwrap(), want);
    }
    // A response goes back over the same connection.
    t.send(Transmit { to: Peer { addr: s.local_addr().unwrap(), transport: Transport::Tcp }, bytes: b"hello".to_vec() });
    let mut buf = [0u8; 5];
    tokio::time::timeout(Duration::from_secs(5), tokio::io::AsyncReadExt::read_exact(&mut s, &mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf, b"hello");
}
