//! One-direction RTP relay rewriting: a single output SSRC with continuous sequence and
//! timestamp spaces across input source changes (RFC 3550 §5.1, §8.2 and RFC 7667 §3.2.1.3
//! "media translator" behaviour), plus payload-type mapping between the two legs' SDP.

use std::time::Instant;

use crate::rtp::{self, RtpError, RtpHeader};

/// Which SSRC the rewriter writes on its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSsrc {
    /// Keep the SSRC of the first packet seen: the relay is transparent until the source
    /// changes.
    FirstInput,
    /// Always write this SSRC (taken from a caller-seeded RNG).
    Fixed(u32),
}

/// What to do with a packet after [`StreamRewriter::rewrite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteOutcome {
    /// The buffer was rewritten in place; send it.
    Forward,
    /// Do not send the packet.
    Drop(DropReason),
}

/// Why a packet is not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The datagram is not a valid RTP packet.
    Malformed(RtpError),
}

/// Where an output stream stands: the SSRC, the last sequence number and timestamp sent, and
/// when. This is the hand-over point between the relayed stream and a [`crate::player::Player`]
/// writing to the same destination, so the receiver sees one continuous stream
/// (RFC 3550 §5.1, §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPosition {
    /// The output SSRC.
    pub ssrc: u32,
    /// The highest sequence number sent.
    pub last_seq: u16,
    /// The timestamp of the packet with [`StreamPosition::last_seq`].
    pub last_ts: u32,
    /// When that packet was sent.
    pub at: Instant,
}

impl StreamPosition {
    /// The sequence number and timestamp of the next packet of a new talk spurt sent at
    /// `now`: the next sequence number, and a timestamp advanced by the wall-clock gap since
    /// the last packet (at least one 20 ms frame at `clock_rate`).
    pub fn continue_at(&self, now: Instant, clock_rate: u32) -> (u16, u32) {
        let advance = gap_ticks(self.at, now, clock_rate);
        (
            self.last_seq.wrapping_add(1),
            self.last_ts.wrapping_add(advance),
        )
    }
}

/// Rewrites the packets of one relay direction in place.
#[derive(Debug, Clone)]
pub struct StreamRewriter {
    output: OutputSsrc,
    clock_rate: u32,
    payload_map: [u8; 128],
    state: Option<StreamState>,
    ssrc_changes: u64,
    /// Set by [`StreamRewriter::resume_from`]: the next packet re-anchors the offsets.
    reanchor: bool,
}

#[derive(Debug, Clone, Copy)]
struct StreamState {
    out_ssrc: u32,
    in_ssrc: u32,
    seq_offset: u16,
    ts_offset: u32,
    highest_out_seq: u16,
    highest_out_ts: u32,
    last_arrival: Instant,
}

impl StreamRewriter {
    /// Creates a rewriter for a stream with media clock `clock_rate` (8000 for G.711).
    pub fn new(output: OutputSsrc, clock_rate: u32) -> Self {
        StreamRewriter {
            output,
            clock_rate: clock_rate.max(1),
            payload_map: identity_map(),
            state: None,
            ssrc_changes: 0,
            reanchor: false,
        }
    }

    /// The position of the output stream after the last forwarded packet, for handing the
    /// destination over to a player.
    pub fn position(&self) -> Option<StreamPosition> {
        self.state.map(|s| StreamPosition {
            ssrc: s.out_ssrc,
            last_seq: s.highest_out_seq,
            last_ts: s.highest_out_ts,
            at: s.last_arrival,
        })
    }

    /// Takes the destination back from a player that stopped at `pos`: the next packet keeps
    /// `pos.ssrc`, continues with sequence `pos.last_seq + 1` and a timestamp advanced by the
    /// wall-clock gap since `pos.at`, and carries the marker bit (a new talk spurt).
    pub fn resume_from(&mut self, pos: StreamPosition) {
        let in_ssrc = self.state.map_or(0, |s| s.in_ssrc);
        self.state = Some(StreamState {
            out_ssrc: pos.ssrc,
            in_ssrc,
            seq_offset: 0,
            ts_offset: 0,
            highest_out_seq: pos.last_seq,
            highest_out_ts: pos.last_ts,
            last_arrival: pos.at,
        });
        self.reanchor = true;
    }

    /// Replaces the payload-type map: a packet with payload type `from` leaves with `to`.
    /// Types not listed pass unchanged; entries above 127, and targets in the RTCP range
    /// 64–95 (RFC 5761 §4), are ignored.
    pub fn set_payload_map(&mut self, map: &[(u8, u8)]) {
        self.payload_map = identity_map();
        for &(from, to) in map {
            if (64..=95).contains(&(to & 0x7f)) {
                continue;
            }
            if let Some(slot) = self.payload_map.get_mut(usize::from(from)) {
                *slot = to & 0x7f;
            }
        }
    }

    /// Rewrites `packet` in place for forwarding: output SSRC, sequence and timestamp offsets,
    /// payload-type map. On an input SSRC change the output continues with sequence +1 and
    /// a timestamp advanced by the wall-clock gap since the previous packet (at least one
    /// 20 ms frame), and the marker bit is set so the receiver resynchronises its jitter
    /// buffer. Never panics on any input.
    pub fn rewrite(&mut self, packet: &mut [u8], now: Instant) -> RewriteOutcome {
        let header = match RtpHeader::parse(packet) {
            Ok(h) => h,
            Err(e) => return RewriteOutcome::Drop(DropReason::Malformed(e)),
        };
        let state = match self.state {
            None => self.first_packet(&header, now),
            Some(state) if self.reanchor || state.in_ssrc != header.ssrc() => {
                if !self.reanchor {
                    self.ssrc_changes = self.ssrc_changes.saturating_add(1);
                }
                self.reanchor = false;
                let out = switch_source(state, &header, now, self.clock_rate);
                if let Err(e) = rtp::set_marker(packet, true) {
                    return RewriteOutcome::Drop(DropReason::Malformed(e));
                }
                out
            }
            Some(state) => state,
        };
        let out_seq = header.sequence().wrapping_add(state.seq_offset);
        let out_ts = header.timestamp().wrapping_add(state.ts_offset);
        let mut next = state;
        next.last_arrival = now;
        if is_newer(out_seq, state.highest_out_seq) {
            next.highest_out_seq = out_seq;
            next.highest_out_ts = out_ts;
        }
        self.state = Some(next);

        let mapped = self
            .payload_map
            .get(usize::from(header.payload_type()))
            .copied()
            .unwrap_or(header.payload_type());
        let written = rtp::set_ssrc(packet, state.out_ssrc)
            .and_then(|()| rtp::set_sequence(packet, out_seq))
            .and_then(|()| rtp::set_timestamp(packet, out_ts))
            .and_then(|()| rtp::set_payload_type(packet, mapped));
        match written {
            Ok(()) => RewriteOutcome::Forward,
            Err(e) => RewriteOutcome::Drop(DropReason::Malformed(e)),
        }
    }

    /// How many times the input SSRC changed (re-INVITE, source switch).
    pub fn ssrc_changes(&self) -> u64 {
        self.ssrc_changes
    }

    /// The SSRC written on output, once the first packet has fixed it.
    pub fn output_ssrc(&self) -> Option<u32> {
        self.state.map(|s| s.out_ssrc)
    }

    /// The SSRC of the source currently being relayed.
    pub fn input_ssrc(&self) -> Option<u32> {
        self.state.map(|s| s.in_ssrc)
    }

    fn first_packet(&self, header: &RtpHeader, now: Instant) -> StreamState {
        let out_ssrc = match self.output {
            OutputSsrc::FirstInput => header.ssrc(),
            OutputSsrc::Fixed(ssrc) => ssrc,
        };
        StreamState {
            out_ssrc,
            in_ssrc: header.ssrc(),
            seq_offset: 0,
            ts_offset: 0,
            highest_out_seq: header.sequence(),
            highest_out_ts: header.timestamp(),
            last_arrival: now,
        }
    }
}

fn switch_source(
    state: StreamState,
    header: &RtpHeader,
    now: Instant,
    clock_rate: u32,
) -> StreamState {
    let advance = gap_ticks(state.last_arrival, now, clock_rate);
    let out_seq = state.highest_out_seq.wrapping_add(1);
    let out_ts = state.highest_out_ts.wrapping_add(advance);
    StreamState {
        out_ssrc: state.out_ssrc,
        in_ssrc: header.ssrc(),
        seq_offset: out_seq.wrapping_sub(header.sequence()),
        ts_offset: out_ts.wrapping_sub(header.timestamp()),
        highest_out_seq: state.highest_out_seq,
        highest_out_ts: state.highest_out_ts,
        last_arrival: state.last_arrival,
    }
}

/// The media-clock ticks between `from` and `to`, at least one 20 ms frame, modulo 2^32 like
/// every RTP timestamp.
fn gap_ticks(from: Instant, to: Instant, clock_rate: u32) -> u32 {
    let gap = to.saturating_duration_since(from);
    let ticks = gap
        .as_micros()
        .saturating_mul(u128::from(clock_rate))
        .checked_div(1_000_000)
        .unwrap_or(0);
    let min_ticks = u128::from((clock_rate / 50).max(1));
    (ticks.max(min_ticks) & 0xffff_ffff) as u32
}

/// Whether sequence `a` is after `b` in modulo-2^16 order (RFC 3550 Appendix A.1).
fn is_newer(a: u16, b: u16) -> bool {
    let diff = a.wrapping_sub(b);
    diff != 0 && diff < 0x8000
}

fn identity_map() -> [u8; 128] {
    let mut map = [0u8; 128];
    for (i, slot) in map.iter_mut().enumerate() {
        *slot = i as u8;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::test_packet;
    use proptest::prelude::*;
    use std::time::Duration;

    fn out(p: &[u8]) -> (u32, u16, u32, u8, bool) {
        let h = RtpHeader::parse(p).unwrap();
        (
            h.ssrc(),
            h.sequence(),
            h.timestamp(),
            h.payload_type(),
            h.marker(),
        )
    }

    #[test]
    fn first_input_ssrc_is_transparent() {
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::FirstInput, 8000);
        let mut p = test_packet(0, 100, 1000, 0xaaaa, &[1]);
        assert_eq!(rw.rewrite(&mut p, t0), RewriteOutcome::Forward);
        assert_eq!(out(&p), (0xaaaa, 100, 1000, 0, false));
    }

    #[test]
    fn rfc3550_ssrc_change_keeps_one_output_stream_continuous() {
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::Fixed(0x1111), 8000);
        for i in 0..5u16 {
            let mut p = test_packet(0, 65533u16.wrapping_add(i), 160 * u32::from(i), 0xaaaa, &[]);
            assert_eq!(
                rw.rewrite(&mut p, t0 + Duration::from_millis(20 * u64::from(i))),
                RewriteOutcome::Forward
            );
            assert_eq!(out(&p).0, 0x1111);
        }
        // Last output: seq 65533+4 = 1 (wrapped), ts 640, at 80 ms.
        // A new source starts 1 s later with unrelated numbering.
        let t1 = t0 + Duration::from_millis(1080);
        let mut p = test_packet(0, 40000, 9_000_000, 0xbbbb, &[]);
        assert_eq!(rw.rewrite(&mut p, t1), RewriteOutcome::Forward);
        assert_eq!(out(&p), (0x1111, 2, 640 + 8000, 0, true));
        assert_eq!(rw.ssrc_changes(), 1);
        assert_eq!(rw.input_ssrc(), Some(0xbbbb));
        let mut p = test_packet(0, 40001, 9_000_160, 0xbbbb, &[]);
        assert_eq!(
            rw.rewrite(&mut p, t1 + Duration::from_millis(20)),
            RewriteOutcome::Forward
        );
        assert_eq!(out(&p), (0x1111, 3, 640 + 8000 + 160, 0, false));
    }

    #[test]
    fn immediate_switch_advances_at_least_one_frame() {
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::FirstInput, 8000);
        let mut p = test_packet(0, 10, 500, 1, &[]);
        rw.rewrite(&mut p, t0);
        let mut p = test_packet(0, 7, 3, 2, &[]);
        rw.rewrite(&mut p, t0);
        assert_eq!(out(&p), (1, 11, 660, 0, true));
    }

    #[test]
    fn reordered_packet_does_not_move_the_continuation_point() {
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::FirstInput, 8000);
        for (seq, ts) in [(10u16, 1600u32), (12, 1920), (11, 1760)] {
            let mut p = test_packet(0, seq, ts, 1, &[]);
            rw.rewrite(&mut p, t0);
            assert_eq!(out(&p).1, seq);
        }
        let mut p = test_packet(0, 0, 0, 2, &[]);
        rw.rewrite(&mut p, t0 + Duration::from_millis(20));
        assert_eq!(
            out(&p).1,
            13,
            "continues after the highest sequence, not the last"
        );
        assert_eq!(out(&p).2, 1920 + 160);
    }

    #[test]
    fn rfc3550_resume_from_player_position_continues_the_stream() {
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::FirstInput, 8000);
        let mut p = test_packet(0, 10, 1600, 0xaaaa, &[]);
        rw.rewrite(&mut p, t0);
        let pos = rw.position().unwrap();
        assert_eq!(
            (pos.ssrc, pos.last_seq, pos.last_ts, pos.at),
            (0xaaaa, 10, 1600, t0)
        );
        // A player sent seq 11..=20 with timestamps up to 1600 + 160*10, the last at 200 ms.
        let t1 = t0 + Duration::from_millis(200);
        rw.resume_from(StreamPosition {
            ssrc: 0xaaaa,
            last_seq: 20,
            last_ts: 3200,
            at: t1,
        });
        // The same input source continues 40 ms later: re-anchored, marked, not a source change.
        let mut p = test_packet(0, 21, 4960, 0xaaaa, &[]);
        rw.rewrite(&mut p, t1 + Duration::from_millis(40));
        assert_eq!(out(&p), (0xaaaa, 21, 3200 + 320, 0, true));
        let mut p = test_packet(0, 22, 5120, 0xaaaa, &[]);
        rw.rewrite(&mut p, t1 + Duration::from_millis(60));
        assert_eq!(out(&p), (0xaaaa, 22, 3200 + 480, 0, false));
        assert_eq!(rw.ssrc_changes(), 0);
        assert_eq!(
            pos.continue_at(t0 + Duration::from_millis(1), 8000),
            (11, 1760),
            "at least one frame"
        );
    }

    #[test]
    fn payload_type_map_rewrites_telephone_event() {
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::FirstInput, 8000);
        rw.set_payload_map(&[(101, 96), (200, 1)]);
        let mut p = test_packet(101, 1, 1, 1, &[0, 0, 0, 0]);
        p[1] |= 0x80;
        rw.rewrite(&mut p, t0);
        assert_eq!(out(&p).3, 96);
        assert!(out(&p).4, "marker survives the PT rewrite");
        let mut p = test_packet(8, 2, 1, 1, &[]);
        rw.rewrite(&mut p, t0);
        assert_eq!(out(&p).3, 8, "unmapped types pass unchanged");
        rw.set_payload_map(&[]);
        let mut p = test_packet(101, 3, 1, 1, &[]);
        rw.rewrite(&mut p, t0);
        assert_eq!(out(&p).3, 101);
    }

    #[test]
    fn garbage_is_dropped_not_forwarded() {
        let mut rw = StreamRewriter::new(OutputSsrc::FirstInput, 8000);
        let mut junk = *b"hello, not rtp";
        assert!(matches!(
            rw.rewrite(&mut junk, crate::test_epoch()),
            RewriteOutcome::Drop(DropReason::Malformed(_))
        ));
        assert_eq!(
            &junk, b"hello, not rtp",
            "dropped packets are left untouched"
        );
        assert_eq!(rw.output_ssrc(), None);
    }

    proptest! {
        /// Fuzz: arbitrary datagrams and arrival gaps never panic the rewriter, and whatever it
        /// forwards still parses as RTP with the output SSRC.
        #[test]
        fn fuzz_rewriter_never_panics(
            packets in proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 0..64), 0u64..100_000), 0..40),
            ssrc in any::<u32>(),
        ) {
            let mut now = crate::test_epoch();
            let mut rw = StreamRewriter::new(OutputSsrc::Fixed(ssrc), 8000);
            rw.set_payload_map(&[(0, 8), (101, 96)]);
            for (mut bytes, gap) in packets {
                // Make about half of the inputs look like RTP so the rewrite path runs.
                if let Some(b) = bytes.first_mut()
                    && gap % 2 == 0
                {
                    *b = 0x80 | (*b & 0x0f);
                }
                now += Duration::from_micros(gap);
                if rw.rewrite(&mut bytes, now) == RewriteOutcome::Forward {
                    let h = RtpHeader::parse(&bytes);
                    prop_assert!(h.is_ok());
                    prop_assert_eq!(h.map(|h| h.ssrc()).ok(), Some(ssrc));
                }
            }
        }
    }
}
