//! SIP over TCP (RFC 3261 §18.3): one reader and one writer task per connection,
//! Content-Length framing, connection reuse for responses and requests to a peer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sip_message::{Limits, error_response, parse_stream};
use sip_transaction::{Peer, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tracing::debug;

use crate::Inbound;

/// A peer that sends a partial message and then nothing for this long is dropped
/// (RFC 4475 §3.1.2.2 clerr).
const PARTIAL_MESSAGE_TIMEOUT: Duration = Duration::from_secs(32);
/// An idle connection is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// Messages queued for one connection before new ones are dropped.
const WRITE_QUEUE: usize = 256;

/// The open TCP connections, by peer address; cheap to clone.
#[derive(Clone, Debug)]
pub struct TcpConnections {
    writers: Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>>>,
    limits: Limits,
    inbound: mpsc::Sender<Inbound>,
}

impl TcpConnections {
    pub(crate) fn new(limits: Limits, inbound: mpsc::Sender<Inbound>) -> Self {
        TcpConnections { writers: Arc::default(), limits, inbound }
    }

    pub(crate) async fn accept(self, listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    self.adopt(stream, peer);
                }
                Err(e) => {
                    debug!(%e, "TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Queues `bytes` for `to`, connecting first when no connection is open.
    pub(crate) fn send(&self, to: SocketAddr, bytes: Vec<u8>) {
        let existing = self.lock().get(&to).cloned();
        if let Some(w) = existing {
            if w.try_send(bytes).is_err() {
                metrics::counter!("centralino_sip_dropped_total", "reason" => "tcp_queue").increment(1);
            }
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(to)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    let w = this.adopt(stream, to);
                    let _ = w.try_send(bytes);
                }
                _ => debug!(%to, "TCP connect failed"),
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>> {
        self.writers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn adopt(&self, stream: TcpStream, peer: SocketAddr) -> mpsc::Sender<Vec<u8>> {
        let (mut rd, mut wr) = stream.into_split();
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
        self.lock().insert(peer, tx.clone());
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if wr.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });
        let this = self.clone();
        let writer = tx.clone();
        tokio::spawn(async move {
            this.read_loop(&mut rd, peer, &writer).await;
            let mut map = this.lock();
            if map.get(&peer).is_some_and(|w| w.same_channel(&writer)) {
                map.remove(&peer);
            }
        });
        tx
    }

    async fn read_loop(&self, rd: &mut tokio::net::tcp::OwnedReadHalf, peer: SocketAddr, writer: &mpsc::Sender<Vec<u8>>) {
        let mut buf: Vec<u8> = Vec::with_capacity(8192);
        let mut chunk = vec![0u8; 16384];
        loop {
            // Frame every complete message already buffered.
            loop {
                match parse_stream(&buf, &self.limits) {
                    Ok(Some((message, used))) => {
                        buf.drain(..used.min(buf.len()));
                        let source = Peer { addr: peer, transport: Transport::Tcp };
                        if self.inbound.send(Inbound { message, source }).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        // The stream cannot be re-synchronised: answer if we can, then close.
                        metrics::counter!("centralino_sip_malformed_total").increment(1);
                        if let Some(status) = e.status() {
                            if let Some(resp) = error_response(&buf, status, &e.to_string()) {
                                let _ = writer.try_send(resp.to_bytes());
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        return;
                    }
                }
            }
            if buf.len() > self.limits.max_message_bytes.saturating_mul(2) {
                return;
            }
            let wait = if buf.is_empty() { IDLE_TIMEOUT } else { PARTIAL_MESSAGE_TIMEOUT };
            match tokio::time::timeout(wait, rd.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}
