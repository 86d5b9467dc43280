//! The RTP port pool: even RTP ports with the next odd port for RTCP (RFC 3550 §11), leased
//! per relay session and returned when the session's sockets are closed.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::RelayInner;

/// The free even base ports. Freed pairs go to the back so a just-closed port is reused last
/// and stray packets of an ended call rarely reach a new one.
#[derive(Debug)]
pub(crate) struct PortPool {
    free: VecDeque<u16>,
}

/// One bound RTP/RTCP socket pair.
pub(crate) struct BoundPair {
    pub(crate) base: u16,
    pub(crate) rtp: UdpSocket,
    pub(crate) rtcp: UdpSocket,
}

/// Tracks whether the session handle and the lease are gone, so the relay knows how many
/// released sessions are still closing their sockets.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    bits: AtomicU8,
}

const HANDLE_GONE: u8 = 1;
const LEASE_GONE: u8 = 2;

impl PortPool {
    /// Builds the pool of even base ports `b` with `port_min <= b` and `b + 1 <= port_max`.
    pub(crate) fn new(port_min: u16, port_max: u16) -> Self {
        let mut free = VecDeque::new();
        let mut base = u32::from(port_min).next_multiple_of(2).max(2);
        while base < u32::from(port_max) {
            if let Ok(b) = u16::try_from(base) {
                free.push_back(b);
            }
            base += 2;
        }
        PortPool { free }
    }

    /// Takes and binds `count` pairs on `ip`, skipping ports that fail to bind (they go back
    /// to the end of the pool). Returns `None` if not enough pairs could be bound; then every
    /// port taken is returned.
    pub(crate) fn bind_pairs(&mut self, ip: IpAddr, count: usize) -> Option<Vec<BoundPair>> {
        let mut bound = Vec::with_capacity(count);
        let mut failed = Vec::new();
        let candidates = self.free.len();
        for _ in 0..candidates {
            if bound.len() == count {
                break;
            }
            let Some(base) = self.free.pop_front() else {
                break;
            };
            match bind_pair(ip, base) {
                Ok(pair) => bound.push(pair),
                Err(e) => {
                    tracing::debug!(port = base, error = %e, "RTP port pair unavailable");
                    failed.push(base);
                }
            }
        }
        self.free.extend(failed);
        if bound.len() == count {
            Some(bound)
        } else {
            for pair in bound.into_iter().rev() {
                self.free.push_front(pair.base);
            }
            None
        }
    }

    /// Returns pairs to the pool.
    pub(crate) fn release(&mut self, bases: &[u16]) {
        self.free.extend(bases.iter().copied());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.free.len()
    }
}

/// Ports leased to one session; dropping it (after the sockets) returns them to the pool.
pub(crate) struct PortLease {
    pub(crate) relay: Arc<RelayInner>,
    pub(crate) bases: [u16; 2],
    pub(crate) lifecycle: Arc<Lifecycle>,
}

impl Drop for PortLease {
    fn drop(&mut self) {
        lock(&self.relay.pool).release(&self.bases);
        self.relay.sessions_active.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("centralino_rtp_sessions_active").decrement(1.0);
        self.lifecycle.lease_gone(&self.relay.closing);
        self.relay.released.notify_waiters();
    }
}

impl Lifecycle {
    /// Records that the session handle was dropped.
    pub(crate) fn handle_gone(&self, closing: &AtomicI64) {
        let prev = self.bits.fetch_or(HANDLE_GONE, Ordering::AcqRel);
        if prev & LEASE_GONE == 0 {
            closing.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn lease_gone(&self, closing: &AtomicI64) {
        let prev = self.bits.fetch_or(LEASE_GONE, Ordering::AcqRel);
        if prev & HANDLE_GONE != 0 {
            closing.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the pool stays
/// consistent: every mutation is a single push or pop).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn bind_pair(ip: IpAddr, base: u16) -> std::io::Result<BoundPair> {
    let rtp = UdpSocket::bind(SocketAddr::new(ip, base))?;
    let rtcp = UdpSocket::bind(SocketAddr::new(ip, base.saturating_add(1)))?;
    rtp.set_nonblocking(true)?;
    rtcp.set_nonblocking(true)?;
    Ok(BoundPair { base, rtp, rtcp })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3550_11_pool_holds_even_rtp_ports_with_odd_rtcp() {
        assert_eq!(PortPool::new(41001, 41006).free, [41002, 41004]);
        assert_eq!(PortPool::new(41000, 41005).free, [41000, 41002, 41004]);
        assert_eq!(PortPool::new(41000, 41000).len(), 0);
        assert_eq!(PortPool::new(65534, 65535).free, [65534]);
        assert_eq!(PortPool::new(0, 3).free, [2]);
    }

    #[test]
    fn busy_ports_are_skipped_and_kept() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let _busy = UdpSocket::bind("127.0.0.1:41021").unwrap();
        let mut pool = PortPool::new(41020, 41025);
        let pairs = pool.bind_pairs(ip, 2).unwrap();
        assert_eq!(
            pairs.iter().map(|p| p.base).collect::<Vec<_>>(),
            [41022, 41024]
        );
        assert_eq!(
            pool.free,
            [41020],
            "the busy pair stays in the pool for later"
        );
        assert!(pool.bind_pairs(ip, 2).is_none());
        assert_eq!(pool.free, [41020]);
    }
}
