//! Shell: SIP over UDP and TCP (RFC 3261 §18). Sockets and stream framing live here;
//! every well-formed message goes to the SIP core task as an [`Inbound`], malformed
//! requests are answered statelessly (400/505/513) and garbage is dropped and counted.

mod tcp;

use std::net::SocketAddr;
use std::sync::Arc;

use sip_message::{Limits, Message, ParseError, error_response, parse_datagram};
use sip_transaction::{Peer, Transmit, Transport};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, warn};

pub use tcp::TcpConnections;

/// A message received from the network.
#[derive(Debug)]
pub struct Inbound {
    pub message: Message,
    pub source: Peer,
}

/// Transport-level failures (start-up only; runtime errors are logged and counted).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot bind SIP {transport} on {addr}: {source}")]
    Bind { transport: &'static str, addr: SocketAddr, source: std::io::Error },
}

/// The bound sockets and the sending half, cheap to clone.
#[derive(Clone, Debug)]
pub struct SipTransport {
    udp: Arc<UdpSocket>,
    tcp: TcpConnections,
    local: SocketAddr,
}

impl SipTransport {
    /// Binds UDP and TCP on `listen` and starts the receive tasks, which deliver
    /// messages on `inbound` (bounded: when the core falls behind, UDP datagrams are
    /// dropped and the peers' retransmissions recover them).
    pub async fn start(listen: SocketAddr, limits: Limits, inbound: mpsc::Sender<Inbound>) -> Result<Self, TransportError> {
        let udp = UdpSocket::bind(listen)
            .await
            .map_err(|source| TransportError::Bind { transport: "UDP", addr: listen, source })?;
        let local = udp.local_addr().map_err(|source| TransportError::Bind { transport: "UDP", addr: listen, source })?;
        let tcp_listener = tokio::net::TcpListener::bind(local)
            .await
            .map_err(|source| TransportError::Bind { transport: "TCP", addr: local, source })?;
        let udp = Arc::new(udp);
        let tcp = TcpConnections::new(limits.clone(), inbound.clone());
        tokio::spawn(udp_receive(udp.clone(), limits, inbound));
        tokio::spawn(tcp.clone().accept(tcp_listener));
        Ok(SipTransport { udp, tcp, local })
    }

    /// The address we listen on (UDP and TCP).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sends one message without waiting: UDP at once, TCP through the connection's
    /// writer task (opening a connection if there is none).
    pub fn send(&self, t: Transmit) {
        match t.to.transport {
            Transport::Udp => send_udp(&self.udp, t.to.addr, t.bytes),
            Transport::Tcp => self.tcp.send(t.to.addr, t.bytes),
        }
    }
}

fn send_udp(udp: &Arc<UdpSocket>, to: SocketAddr, bytes: Vec<u8>) {
    match udp.try_send_to(&bytes, to) {
        Ok(_) => metrics::counter!("centralino_sip_bytes_sent_total", "transport" => "udp").increment(bytes.len() as u64),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            let udp = udp.clone();
            tokio::spawn(async move {
                if let Err(e) = udp.send_to(&bytes, to).await {
                    debug!(%e, "UDP send failed");
                }
            });
        }
        Err(e) => debug!(%e, "UDP send failed"),
    }
}

async fn udp_receive(udp: Arc<UdpSocket>, limits: Limits, inbound: mpsc::Sender<Inbound>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = match udp.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                // ICMP port unreachable and the like surface here on Linux: not fatal.
                debug!(%e, "UDP receive error");
                continue;
            }
        };
        let bytes = &buf[..n];
        // Keep-alive CRLFs (RFC 5626 §4.4.1) are not messages.
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0)) {
            continue;
        }
        let source = Peer { addr: from, transport: Transport::Udp };
        match parse_datagram(bytes, &limits) {
            Ok(message) => {
                if inbound.try_send(Inbound { message, source }).is_err() {
                    metrics::counter!("centralino_sip_dropped_total", "reason" => "overload").increment(1);
                }
            }
            Err(e) => reject(&udp, bytes, &e, from),
        }
    }
}

/// A request that failed to parse gets its status statelessly when its Via can be
/// found; anything else (responses, garbage) is dropped.
fn reject(udp: &Arc<UdpSocket>, bytes: &[u8], e: &ParseError, from: SocketAddr) {
    metrics::counter!("centralino_sip_malformed_total").increment(1);
    let Some(status) = e.status() else {
        debug!(error = %e, "dropped malformed message");
        return;
    };
    match error_response(bytes, status, &e.to_string()) {
        Some(resp) => send_udp(udp, from, resp.to_bytes()),
        None => warn!(error = %e, "malformed request without a usable Via dropped"),
    }
}

#[cfg(test)]
mod tests;
