//! Symmetric RTP latching (RFC 4961, "comedia" for NAT'd endpoints): the relay sends to the
//! address packets actually come from, starting from the address the SDP announced.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What to do with a packet after [`Latch::on_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatchDecision {
    /// The packet comes from the latched address.
    Accept,
    /// The packet comes from a new source, which is now the target; `previous` is the
    /// address latched before, if any.
    Latched { previous: Option<SocketAddr> },
    /// The packet comes from a stranger while the latched source is alive.
    Drop,
}

/// The latch of one media endpoint (one side's RTP or RTCP port).
#[derive(Debug, Clone)]
pub struct Latch {
    relatch_after: Duration,
    expected: Option<SocketAddr>,
    latched: Option<SocketAddr>,
    last_from_latched: Option<Instant>,
    dropped: u64,
    relatches: u64,
}

impl Latch {
    /// Creates an unlatched latch. After latching, another source takes over only when no
    /// packet came from the latched address for `relatch_after`.
    pub fn new(relatch_after: Duration) -> Self {
        Latch {
            relatch_after,
            expected: None,
            latched: None,
            last_from_latched: None,
            dropped: 0,
            relatches: 0,
        }
    }

    /// Sets the address announced in SDP. A different address than before (re-INVITE to a
    /// new endpoint) releases the latch, so the next packet latches again.
    pub fn set_expected(&mut self, addr: SocketAddr) {
        if self.expected != Some(addr) {
            self.expected = Some(addr);
            self.latched = None;
            self.last_from_latched = None;
        }
    }

    /// Judges a packet received from `from` at `now`, latching when allowed.
    pub fn on_packet(&mut self, from: SocketAddr, now: Instant) -> LatchDecision {
        match (self.latched, self.last_from_latched) {
            (Some(addr), _) if addr == from => {
                self.last_from_latched = Some(now);
                LatchDecision::Accept
            }
            (Some(_), Some(last)) if now.saturating_duration_since(last) < self.relatch_after => {
                self.dropped = self.dropped.saturating_add(1);
                LatchDecision::Drop
            }
            (previous, _) => {
                if previous.is_some() {
                    self.relatches = self.relatches.saturating_add(1);
                }
                self.latched = Some(from);
                self.last_from_latched = Some(now);
                LatchDecision::Latched { previous }
            }
        }
    }

    /// Where to send to this endpoint: the latched source, else the SDP address.
    pub fn target(&self) -> Option<SocketAddr> {
        self.latched.or(self.expected)
    }

    /// The latched source, if any packet has been accepted yet.
    pub fn latched(&self) -> Option<SocketAddr> {
        self.latched
    }

    /// The SDP address, if known.
    pub fn expected(&self) -> Option<SocketAddr> {
        self.expected
    }

    /// Packets dropped because they came from a stranger.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How many times the latch moved from one source to another.
    pub fn relatches(&self) -> u64 {
        self.relatches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn rfc4961_first_packet_latches_over_the_sdp_address() {
        let t0 = crate::test_epoch();
        let mut l = Latch::new(Duration::from_secs(2));
        l.set_expected(addr("10.0.0.5:4000"));
        assert_eq!(l.target(), Some(addr("10.0.0.5:4000")));
        // A NAT'd softphone sends from its public mapping.
        let nat = addr("203.0.113.9:61000");
        assert_eq!(
            l.on_packet(nat, t0),
            LatchDecision::Latched { previous: None }
        );
        assert_eq!(l.target(), Some(nat));
        assert_eq!(l.on_packet(nat, t0), LatchDecision::Accept);
    }

    #[test]
    fn rfc4961_strangers_dropped_until_latched_source_goes_quiet() {
        let t0 = crate::test_epoch();
        let mut l = Latch::new(Duration::from_secs(2));
        let good = addr("127.0.0.1:5000");
        let other = addr("127.0.0.1:6000");
        l.on_packet(good, t0);
        assert_eq!(
            l.on_packet(other, t0 + Duration::from_millis(500)),
            LatchDecision::Drop
        );
        assert_eq!(
            l.on_packet(good, t0 + Duration::from_secs(1)),
            LatchDecision::Accept
        );
        assert_eq!(
            l.on_packet(other, t0 + Duration::from_millis(2900)),
            LatchDecision::Drop
        );
        assert_eq!(l.dropped(), 2);
        assert_eq!(
            l.on_packet(other, t0 + Duration::from_secs(3)),
            LatchDecision::Latched {
                previous: Some(good)
            }
        );
        assert_eq!(l.target(), Some(other));
        assert_eq!(l.relatches(), 1);
        assert_eq!(
            l.on_packet(good, t0 + Duration::from_secs(3)),
            LatchDecision::Drop
        );
    }

    #[test]
    fn new_sdp_address_releases_the_latch() {
        let t0 = crate::test_epoch();
        let mut l = Latch::new(Duration::from_secs(60));
        l.set_expected(addr("127.0.0.1:5000"));
        l.on_packet(addr("127.0.0.1:5002"), t0);
        l.set_expected(addr("127.0.0.1:5000"));
        assert_eq!(
            l.latched(),
            Some(addr("127.0.0.1:5002")),
            "same SDP keeps the latch"
        );
        l.set_expected(addr("127.0.0.1:7000"));
        assert_eq!(l.latched(), None);
        assert_eq!(l.target(), Some(addr("127.0.0.1:7000")));
        assert_eq!(
            l.on_packet(addr("127.0.0.1:7002"), t0),
            LatchDecision::Latched { previous: None }
        );
    }
}
