//! Per-stream receive statistics: sequence validation and extended highest sequence
//! (RFC 3550 Appendix A.1), expected/lost counts and interval fraction lost (A.3), and
//! interarrival jitter (A.8), with duplicate detection over a 64-packet window.

use std::time::Instant;

const SEQ_MOD: u64 = 1 << 16;
const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const MIN_SEQUENTIAL: u8 = 2;
const DUP_WINDOW: u16 = 64;

/// How one packet's sequence number was judged (RFC 3550 Appendix A.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqStatus {
    /// In order, reordered within bounds, or a confirmed restart: counted as received.
    Valid,
    /// The source is not yet validated (first `MIN_SEQUENTIAL` packets).
    Probation,
    /// Seen before within the last 64 sequence numbers: not counted again.
    Duplicate,
    /// A large jump; counted only if the next packet confirms it (then the stream restarts).
    Jump,
}

/// Loss over the interval since the previous call of [`ReceiveStats::take_interval`]
/// (RFC 3550 Appendix A.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalLoss {
    /// Packets expected in the interval.
    pub expected: u64,
    /// Packets received in the interval.
    pub received: u64,
    /// The 8-bit fixed-point fraction lost carried in a reception report.
    pub fraction_lost: u8,
}

/// Receive statistics for one source.
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    clock_rate: u32,
    started: bool,
    max_seq: u16,
    cycles: u64,
    base_seq: u64,
    bad_seq: u32,
    probation: u8,
    received: u64,
    duplicates: u64,
    expected_prior: u64,
    received_prior: u64,
    window: u64,
    epoch: Option<Instant>,
    transit: Option<u32>,
    jitter_x16: u64,
}

impl ReceiveStats {
    /// Creates empty statistics for a stream with media clock `clock_rate`.
    pub fn new(clock_rate: u32) -> Self {
        ReceiveStats {
            clock_rate: clock_rate.max(1),
            started: false,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 1 << 16 | 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            duplicates: 0,
            expected_prior: 0,
            received_prior: 0,
            window: 0,
            epoch: None,
            transit: None,
            jitter_x16: 0,
        }
    }

    /// Accounts one received packet with its sequence number, RTP timestamp and arrival
    /// time.
    pub fn handle_packet(&mut self, seq: u16, rtp_timestamp: u32, now: Instant) -> SeqStatus {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let status = self.update_seq(seq);
        if status == SeqStatus::Valid {
            self.update_jitter(rtp_timestamp, now);
        }
        status
    }

    /// The extended highest sequence number received (cycles in the high 16 bits), as carried
    /// in a reception report (truncated to 32 bits).
    pub fn extended_highest_seq(&self) -> u32 {
        (self.extended_max() & 0xffff_ffff) as u32
    }

    /// Packets expected since the stream was validated.
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            return 0;
        }
        (self.extended_max() + 1).saturating_sub(self.base_seq)
    }

    /// Packets received and counted (duplicates excluded).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Duplicates detected and not counted.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Cumulative packets lost: expected minus received. It can be negative in theory
    /// (duplicates older than the window), so it is signed like the RTCP field.
    pub fn cumulative_lost(&self) -> i64 {
        let expected = i64::try_from(self.expected()).unwrap_or(i64::MAX);
        let received = i64::try_from(self.received).unwrap_or(i64::MAX);
        expected.saturating_sub(received)
    }

    /// Loss since the previous call (RFC 3550 Appendix A.3).
    pub fn take_interval(&mut self) -> IntervalLoss {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval == 0 {
            0
        } else {
            u8::try_from((lost_interval << 8) / expected_interval).unwrap_or(u8::MAX)
        };
        IntervalLoss {
            expected: expected_interval,
            received: received_interval,
            fraction_lost,
        }
    }

    /// Interarrival jitter in timestamp units (RFC 3550 Appendix A.8).
    pub fn jitter(&self) -> u32 {
        u32::try_from(self.jitter_x16 >> 4).unwrap_or(u32::MAX)
    }

    fn extended_max(&self) -> u64 {
        self.cycles.saturating_add(u64::from(self.max_seq))
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u64::from(seq);
        self.max_seq = seq;
        self.bad_seq = (1 << 16) + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        self.window = 1;
    }

    fn update_seq(&mut self, seq: u16) -> SeqStatus {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SeqStatus::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqStatus::Probation;
        }
        if udelta == 0 {
            self.duplicates = self.duplicates.saturating_add(1);
            return SeqStatus::Duplicate;
        }
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.saturating_add(SEQ_MOD);
            }
            self.max_seq = seq;
            self.window = if udelta >= DUP_WINDOW {
                1
            } else {
                (self.window << udelta) | 1
            };
        } else if udelta <= u16::MAX - MAX_MISORDER + 1 {
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
            } else {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return SeqStatus::Jump;
            }
        } else {
            // A reordered or duplicated packet behind the highest sequence.
            let back = self.max_seq.wrapping_sub(seq);
            if back < DUP_WINDOW {
                let bit = 1u64 << back;
                if self.window & bit != 0 {
                    self.duplicates = self.duplicates.saturating_add(1);
                    return SeqStatus::Duplicate;
                }
                self.window |= bit;
            }
        }
        self.received = self.received.saturating_add(1);
        SeqStatus::Valid
    }

    fn update_jitter(&mut self, rtp_timestamp: u32, now: Instant) {
        let epoch = *self.epoch.get_or_insert(now);
        let elapsed = now.saturating_duration_since(epoch);
        let ticks = elapsed
            .as_micros()
            .saturating_mul(u128::from(self.clock_rate))
            / 1_000_000;
        // Arrival time in timestamp units, modulo 2^32 like the RTP timestamp.
        let arrival = (ticks & 0xffff_ffff) as u32;
        let transit = arrival.wrapping_sub(rtp_timestamp);
        if let Some(prev) = self.transit {
            let d = u64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            // J += (|D| - J) / 16, kept scaled by 16 (RFC 3550 Appendix A.8).
            self.jitter_x16 = self
                .jitter_x16
                .saturating_add(d)
                .saturating_sub((self.jitter_x16 + 8) >> 4);
        }
        self.transit = Some(transit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn feed(stats: &mut ReceiveStats, seqs: &[u16]) -> Vec<SeqStatus> {
        let t0 = crate::test_epoch();
        seqs.iter()
            .map(|&s| stats.handle_packet(s, u32::from(s) * 160, t0))
            .collect()
    }

    #[test]
    fn rfc3550_a1_probation_then_counting() {
        let mut s = ReceiveStats::new(8000);
        let st = feed(&mut s, &[100, 101, 102]);
        assert_eq!(
            st,
            [SeqStatus::Probation, SeqStatus::Valid, SeqStatus::Valid]
        );
        assert_eq!((s.expected(), s.received(), s.cumulative_lost()), (2, 2, 0));
    }

    #[test]
    fn rfc3550_a3_counts_gaps_as_lost() {
        let mut s = ReceiveStats::new(8000);
        let seqs: Vec<u16> = (0..20).filter(|s| *s != 5 && *s != 6 && *s != 13).collect();
        feed(&mut s, &seqs);
        assert_eq!(s.expected(), 19);
        assert_eq!(s.cumulative_lost(), 3);
        let i = s.take_interval();
        assert_eq!((i.expected, i.received), (19, 16));
        assert_eq!(i.fraction_lost, ((3u64 << 8) / 19) as u8);
        assert_eq!(s.take_interval().fraction_lost, 0, "empty interval");
    }

    #[test]
    fn rfc3550_a1_wraparound_extends_cycles() {
        let mut s = ReceiveStats::new(8000);
        feed(&mut s, &[65533, 65534, 65535, 0, 1]);
        assert_eq!(s.extended_highest_seq(), (1 << 16) | 1);
        assert_eq!((s.expected(), s.cumulative_lost()), (4, 0));
    }

    #[test]
    fn rfc3550_a1_reordering_and_duplicates() {
        let mut s = ReceiveStats::new(8000);
        let st = feed(&mut s, &[1, 2, 4, 3, 3, 4, 5, 2]);
        assert_eq!(st[3], SeqStatus::Valid, "late 3 fills the gap");
        assert_eq!(st[4], SeqStatus::Duplicate);
        assert_eq!(st[5], SeqStatus::Duplicate);
        assert_eq!(st[7], SeqStatus::Duplicate);
        assert_eq!((s.expected(), s.received(), s.duplicates()), (4, 4, 3));
        assert_eq!(s.cumulative_lost(), 0);
    }

    #[test]
    fn rfc3550_a1_large_jump_needs_confirmation() {
        let mut s = ReceiveStats::new(8000);
        feed(&mut s, &[10, 11, 12]);
        assert_eq!(feed(&mut s, &[20000]), [SeqStatus::Jump]);
        assert_eq!(s.received(), 2);
        assert_eq!(feed(&mut s, &[20001]), [SeqStatus::Valid]);
        assert_eq!(
            (s.expected(), s.received()),
            (1, 1),
            "stream restarted at 20001"
        );
    }

    #[test]
    fn rfc3550_a8_jitter_zero_for_perfect_pacing_and_grows_with_variation() {
        let t0 = crate::test_epoch();
        let mut s = ReceiveStats::new(8000);
        for i in 0..50u16 {
            s.handle_packet(
                i,
                u32::from(i) * 160,
                t0 + Duration::from_millis(20 * u64::from(i)),
            );
        }
        assert_eq!(s.jitter(), 0);
        let mut s = ReceiveStats::new(8000);
        for i in 0..200u16 {
            // Alternate on-time and 10 ms late arrivals: |D| = 80 ticks each time.
            let skew = if i % 2 == 0 { 0 } else { 10 };
            let at = t0 + Duration::from_millis(20 * u64::from(i) + skew);
            s.handle_packet(i, u32::from(i) * 160, at);
        }
        // J converges to |D| = 80 ticks (10 ms at 8 kHz).
        assert!((75..=80).contains(&s.jitter()), "jitter {}", s.jitter());
    }
}
