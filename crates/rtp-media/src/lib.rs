//! Sans-IO RTP/RTCP header views, relay rewriting, G.711, RFC 4733, paced prompt/music
//! packetization (IVR-4, IVR-5).
//!
//! Everything here is pure: time comes in as `now: Instant`, nothing reads a clock, touches
//! a socket or spawns. The `media-relay` shell drives these types per packet.

pub mod activity;
pub mod dtmf;
pub mod g711;
pub mod latch;
pub mod loss;
pub mod player;
pub mod rewrite;
pub mod rtp;

/// The base instant of the unit tests. This is the only clock read in the crate, and it is
/// test-only: the code under test always receives time as an argument.
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(crate) fn test_epoch() -> std::time::Instant {
    std::time::Instant::now()
}
