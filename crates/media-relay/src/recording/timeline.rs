//! The pure part of recording (CRM-4, VM-1): decodes G.711 payloads (ITU-T G.711, PT 0/8 of
//! RFC 3551 §6) and places them on one 8 kHz timeline per recording by RTP timestamp
//! (RFC 3550 §5.1), anchored on each stream's arrival time so the channels stay aligned.
//!
//! Positions are sample frames since the recording started. Each side's stream is anchored
//! when its first packet arrives (a new SSRC re-anchors, continuing where the side's audio
//! ended if it arrives within [`SNAP_FRAMES`]); later packets are placed at the anchor plus
//! their timestamp offset, so jitter and reordering do not move audio. Frames older than
//! the reorder window are committed in order; anything never received is silence. A pause
//! masks its span with silence at commit time. Time comes in as arguments: no clock reads.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rtp_media::g711::{alaw_to_linear, ulaw_to_linear};

use crate::Side;

/// The sample rate of every recording (G.711, RFC 3551 §4.5.14).
pub(crate) const SAMPLE_RATE: u32 = 8000;
/// Frames held back for late and reordered packets before they are committed (120 ms).
pub(crate) const REORDER_FRAMES: u64 = 960;
/// A new stream starting this close after its side's last audio continues it seamlessly.
pub(crate) const SNAP_FRAMES: i64 = 800;
/// A stream whose timestamps drift this far from arrival times is re-anchored (1 s).
pub(crate) const RESYNC_FRAMES: i64 = 8000;

/// One run of committed frames, ready for the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Interleaved samples (one per channel per frame).
    Samples(Vec<i16>),
    /// This many frames of silence.
    Silence(u64),
}

/// The timeline of one recording.
#[derive(Debug)]
pub(crate) struct Timeline {
    origin: Instant,
    channels: usize,
    /// The channel each side is written to; `None` if the side is not recorded.
    side_channel: [Option<usize>; 2],
    clocks: [SideClock; 2],
    /// Frames before this position have been handed out.
    committed: u64,
    /// Frames from `committed` on that received audio (zero elsewhere).
    pending: VecDeque<[i16; 2]>,
    /// The end of the placed audio and of pauses: the file never ends before it.
    content_end: u64,
    /// Paused spans, `[start, end)`; the last may still be open.
    mutes: Vec<(u64, Option<u64>)>,
    max_frames: Option<u64>,
    out: Vec<Segment>,
    late_packets: u64,
}

impl Timeline {
    /// A timeline starting at `origin`. `side_channel` maps sides to channels of a
    /// `channels`-channel file; `max` caps its length.
    pub(crate) fn new(
        origin: Instant,
        channels: usize,
        side_channel: [Option<usize>; 2],
        max: Option<Duration>,
    ) -> Self {
        Timeline {
            origin,
            channels: channels.clamp(1, 2),
            side_channel,
            clocks: [SideClock::default(), SideClock::default()],
            committed: 0,
            pending: VecDeque::new(),
            content_end: 0,
            mutes: Vec::new(),
            max_frames: max.map(frames_in),
            out: Vec::new(),
            late_packets: 0,
        }
    }

    /// Places one RTP packet received from `side` at `arrival`. Payload types other than
    /// PCMU (0) and PCMA (8) are ignored, as are sides this recording does not capture.
    pub(crate) fn push(
        &mut self,
        side: Side,
        packet: &PacketInfo,
        payload: &[u8],
        arrival: Instant,
    ) {
        let Some(channel) = self.side_channel[side.index()] else {
            return;
        };
        let decode: fn(u8) -> i16 = match packet.payload_type {
            PT_PCMA => alaw_to_linear,
            PT_PCMU => ulaw_to_linear,
            _ => return,
        };
        let len = i64::try_from(payload.len()).unwrap_or(i64::MAX);
        if len == 0 {
            return;
        }
        let arrival_pos = to_i64(self.frames_at(arrival));
        let Some(pos) =
            self.clocks[side.index()].place(packet, len, arrival_pos, to_i64(self.committed))
        else {
            return;
        };
        // Audio after a long silence: commit what can no longer change, so the zeros in
        // between are written as a run instead of being held in memory.
        let safe = pos.min(arrival_pos.saturating_sub(to_i64(REORDER_FRAMES)));
        if safe > to_i64(self.pending_end()) {
            self.commit_to(u64::try_from(safe).unwrap_or(0));
        }
        let committed = to_i64(self.committed);
        let end = pos.saturating_add(len);
        if end <= committed {
            self.late_packets = self.late_packets.saturating_add(1);
            return;
        }
        let limit = self.max_frames.map_or(i64::MAX, to_i64);
        let skip = usize::try_from(committed.saturating_sub(pos)).unwrap_or(0);
        let first = pos.max(committed);
        let end = end.min(limit);
        if first >= end {
            return;
        }
        let Ok(end_u) = u64::try_from(end) else {
            return;
        };
        let Ok(first_u) = u64::try_from(first) else {
            return;
        };
        let needed = usize::try_from(end_u - self.committed).unwrap_or(usize::MAX);
        if needed > MAX_PENDING_FRAMES {
            self.late_packets = self.late_packets.saturating_add(1);
            return;
        }
        if self.pending.len() < needed {
            self.pending.resize(needed, [0, 0]);
        }
        let start = usize::try_from(first_u - self.committed).unwrap_or(0);
        let count = usize::try_from(end_u - first_u).unwrap_or(0);
        for (slot, code) in self
            .pending
            .range_mut(start..start.saturating_add(count))
            .zip(payload.iter().skip(skip))
        {
            slot[channel] = decode(*code);
        }
        self.content_end = self.content_end.max(end_u);
        let clock = &mut self.clocks[side.index()];
        clock.end = Some(clock.end.map_or(end, |e| e.max(end)));
    }

    /// Starts a pause at `at`: everything from there on is written as silence until
    /// [`Timeline::resume`]. Pausing twice is a no-op.
    pub(crate) fn pause(&mut self, at: Instant) {
        if self.is_paused() {
            return;
        }
        let start = self.frames_at(at).max(self.committed);
        self.mutes.push((start, None));
    }

    /// Ends the pause at `at`; the paused span counts as content.
    pub(crate) fn resume(&mut self, at: Instant) {
        let pos = self.frames_at(at);
        if let Some((start, end @ None)) = self.mutes.last_mut() {
            let stop = pos.max(*start);
            *end = Some(stop);
            self.content_end = self.content_end.max(stop);
        }
    }

    /// Whether a pause is in force.
    pub(crate) fn is_paused(&self) -> bool {
        matches!(self.mutes.last(), Some((_, None)))
    }

    /// Commits what the reorder window no longer holds at `now` (periodic flush).
    pub(crate) fn tick(&mut self, now: Instant) {
        let now_pos = self.frames_at(now);
        if self.is_paused() {
            self.content_end = self.content_end.max(now_pos);
        }
        let frontier = now_pos.saturating_sub(REORDER_FRAMES).min(self.content_end);
        self.commit_to(frontier);
    }

    /// Commits everything: the recording ends at `now`. A pause in force ends there, and
    /// the file ends with the last audio or pause (trailing silence is not written).
    pub(crate) fn finish(&mut self, now: Instant) {
        if self.is_paused() {
            self.resume(now);
        }
        self.commit_to(self.content_end);
    }

    /// Takes the committed segments.
    pub(crate) fn take_output(&mut self) -> Vec<Segment> {
        std::mem::take(&mut self.out)
    }

    /// Frames committed so far.
    pub(crate) fn committed(&self) -> u64 {
        self.committed
    }

    /// Packets that came after their place on the timeline was committed.
    pub(crate) fn late_packets(&self) -> u64 {
        self.late_packets
    }

    /// Whether the length cap is reached.
    pub(crate) fn is_full(&self) -> bool {
        self.max_frames.is_some_and(|m| self.committed >= m)
    }

    /// The number of channels of the file.
    pub(crate) fn channels(&self) -> usize {
        self.channels
    }
}

/// The RTP header fields recording needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PacketInfo {
    pub(crate) payload_type: u8,
    pub(crate) sequence: u16,
    pub(crate) timestamp: u32,
    pub(crate) ssrc: u32,
}

/// Static payload type of PCMU (RFC 3551 §6).
pub(crate) const PT_PCMU: u8 = 0;
/// Static payload type of PCMA (RFC 3551 §6).
pub(crate) const PT_PCMA: u8 = 8;

/// The longest stretch of uncommitted audio held (the rest is dropped as out of range).
const MAX_PENDING_FRAMES: usize = 5 * 8000;

/// Where one side's streams sit on the timeline.
#[derive(Debug, Default, Clone, Copy)]
struct SideClock {
    current: Option<Anchor>,
    /// The stream before the current one, so its stragglers still land in place.
    previous: Option<Anchor>,
    /// The end of this side's placed audio.
    end: Option<i64>,
}

/// Maps one SSRC's timestamps to positions: `ref_ts` sits at `ref_pos`.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    ssrc: u32,
    ref_ts: u32,
    ref_pos: i64,
    last_seq: u16,
}

impl Anchor {
    fn position(&self, ts: u32) -> i64 {
        // The signed distance handles timestamp wrap-around (RFC 3550 §5.1).
        self.ref_pos
            .saturating_add(i64::from(ts.wrapping_sub(self.ref_ts) as i32))
    }
}

impl SideClock {
    /// The position of a packet's first sample, re-anchoring the stream when it is new or
    /// its timestamps left the arrival times behind.
    fn place(&mut self, p: &PacketInfo, len: i64, arrival_pos: i64, committed: i64) -> Option<i64> {
        if let Some(anchor) = self.current.as_mut().filter(|a| a.ssrc == p.ssrc) {
            let mut pos = anchor.position(p.timestamp);
            let newer = (p.sequence.wrapping_sub(anchor.last_seq) as i16) > 0;
            if newer {
                let slipped = pos.saturating_add(len) <= committed
                    || pos.saturating_sub(arrival_pos).unsigned_abs()
                        > RESYNC_FRAMES.unsigned_abs();
                if slipped {
                    pos = arrival_pos.max(committed);
                }
                anchor.ref_ts = p.timestamp;
                anchor.ref_pos = pos;
                anchor.last_seq = p.sequence;
            }
            return Some(pos);
        }
        if let Some(anchor) = self.previous.filter(|a| a.ssrc == p.ssrc) {
            let pos = anchor.position(p.timestamp);
            // Stragglers of the old stream only fill in; they never re-anchor.
            return (pos.saturating_sub(arrival_pos) <= RESYNC_FRAMES).then_some(pos);
        }
        let start = match self.end {
            Some(end) if arrival_pos <= end.saturating_add(SNAP_FRAMES) => end,
            _ => arrival_pos,
        }
        .max(committed);
        self.previous = self.current.take();
        self.current = Some(Anchor {
            ssrc: p.ssrc,
            ref_ts: p.timestamp,
            ref_pos: start,
            last_seq: p.sequence,
        });
        Some(start)
    }
}

impl Timeline {
    /// Hands out frames up to `frontier` (capped by the length limit) as segments.
    fn commit_to(&mut self, frontier: u64) {
        let frontier = self.max_frames.map_or(frontier, |m| frontier.min(m));
        if frontier <= self.committed {
            return;
        }
        let from_pending = usize::try_from(frontier - self.committed)
            .unwrap_or(usize::MAX)
            .min(self.pending.len());
        if from_pending > 0 {
            let mut samples = Vec::with_capacity(from_pending.saturating_mul(self.channels));
            let (mutes, committed) = (&self.mutes, self.committed);
            for (i, frame) in self.pending.drain(..from_pending).enumerate() {
                let muted = is_muted(mutes, committed.saturating_add(i as u64));
                for sample in frame.iter().take(self.channels) {
                    samples.push(if muted { 0 } else { *sample });
                }
            }
            self.committed = self.committed.saturating_add(from_pending as u64);
            self.emit(Segment::Samples(samples));
        }
        if frontier > self.committed {
            self.emit(Segment::Silence(frontier - self.committed));
            self.committed = frontier;
        }
        let committed = self.committed;
        self.mutes
            .retain(|(_, end)| end.is_none_or(|e| e > committed));
    }

    fn emit(&mut self, segment: Segment) {
        match (self.out.last_mut(), segment) {
            (Some(Segment::Silence(n)), Segment::Silence(m)) => *n = n.saturating_add(m),
            (Some(Segment::Samples(a)), Segment::Samples(b)) => a.extend_from_slice(&b),
            (_, segment) => self.out.push(segment),
        }
    }

    fn pending_end(&self) -> u64 {
        self.committed.saturating_add(self.pending.len() as u64)
    }

    fn frames_at(&self, at: Instant) -> u64 {
        frames_in(at.saturating_duration_since(self.origin))
    }
}

/// Whole frames in `d` at 8 kHz.
pub(crate) fn frames_in(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().saturating_mul(u128::from(SAMPLE_RATE)) / 1_000_000_000)
        .unwrap_or(u64::MAX)
}

/// Whether frame `pos` lies in a paused span.
fn is_muted(mutes: &[(u64, Option<u64>)], pos: u64) -> bool {
    mutes
        .iter()
        .any(|(start, end)| pos >= *start && end.is_none_or(|e| pos < e))
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtp_media::g711::linear_to_alaw;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn info(seq: u16, ts: u32, ssrc: u32) -> PacketInfo {
        PacketInfo {
            payload_type: PT_PCMA,
            sequence: seq,
            timestamp: ts,
            ssrc,
        }
    }

    /// A 20 ms A-law payload of constant `value`.
    fn payload(value: i16) -> Vec<u8> {
        vec![linear_to_alaw(value); 160]
    }

    fn collect(t: &mut Timeline) -> Vec<i16> {
        let mut all = Vec::new();
        for s in t.take_output() {
            match s {
                Segment::Samples(v) => all.extend(v),
                Segment::Silence(n) => all.extend(std::iter::repeat_n(0, n as usize * t.channels)),
            }
        }
        all
    }

    fn mono(origin: Instant) -> Timeline {
        Timeline::new(origin, 1, [Some(0), None], None)
    }

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn crm4_reordered_packets_land_by_timestamp() {
        let t0 = epoch();
        let mut t = mono(t0);
        // Packets 0, 2, 1: the third is late by 40 ms but within the window.
        t.push(Side::A, &info(10, 1000, 7), &payload(1000), t0);
        t.push(Side::A, &info(12, 1320, 7), &payload(3000), t0 + ms(40));
        t.push(Side::A, &info(11, 1160, 7), &payload(2000), t0 + ms(41));
        t.finish(t0 + ms(60));
        let out = collect(&mut t);
        assert_eq!(out.len(), 480);
        let levels: Vec<i16> = [0, 160, 320].iter().map(|&i| out[i]).collect();
        assert!((levels[0] - 1000).abs() < 64 && (levels[1] - 2000).abs() < 64);
        assert!((levels[2] - 3000).abs() < 128);
        assert_eq!(t.late_packets(), 0);
    }

    #[test]
    fn crm4_gap_in_timestamps_is_silence() {
        let t0 = epoch();
        let mut t = mono(t0);
        t.push(Side::A, &info(1, 0, 7), &payload(1000), t0);
        // Five packets lost (100 ms).
        t.push(Side::A, &info(7, 960, 7), &payload(1000), t0 + ms(120));
        t.finish(t0 + ms(140));
        let out = collect(&mut t);
        assert_eq!(out.len(), 1120);
        assert!(out[160..960].iter().all(|&s| s == 0));
        assert!(out[960..].iter().all(|&s| s != 0));
    }

    #[test]
    fn crm4_ssrc_change_continues_without_gap() {
        let t0 = epoch();
        let mut t = mono(t0);
        t.push(Side::A, &info(1, 5000, 7), &payload(1000), t0);
        t.push(Side::A, &info(2, 5160, 7), &payload(1000), t0 + ms(20));
        // A new source with unrelated timestamps, arriving 30 ms later than contiguous.
        t.push(Side::A, &info(900, 99_000, 8), &payload(2000), t0 + ms(70));
        t.push(Side::A, &info(901, 99_160, 8), &payload(2000), t0 + ms(90));
        // A straggler of the old source still lands in place (its slot was already filled).
        t.push(Side::A, &info(2, 5160, 7), &payload(1000), t0 + ms(91));
        t.finish(t0 + ms(100));
        let out = collect(&mut t);
        assert_eq!(out.len(), 640);
        assert!(out.iter().all(|&s| s != 0), "no gap at the SSRC change");
        assert!((out[320] - 2000).abs() < 64);
    }

    #[test]
    fn crm4_timestamp_wraparound_is_contiguous() {
        let t0 = epoch();
        let mut t = mono(t0);
        t.push(Side::A, &info(1, u32::MAX - 159, 7), &payload(1000), t0);
        t.push(Side::A, &info(2, 0, 7), &payload(1000), t0 + ms(20));
        t.finish(t0 + ms(40));
        let out = collect(&mut t);
        assert_eq!(out.len(), 320);
        assert!(out.iter().all(|&s| s != 0));
    }

    #[test]
    fn crm4_stalled_timestamps_are_reanchored_on_arrival() {
        let t0 = epoch();
        let mut t = mono(t0);
        t.push(Side::A, &info(1, 0, 7), &payload(1000), t0);
        // The sender paused 2 s without advancing its timestamps.
        t.tick(t0 + ms(2000));
        t.push(Side::A, &info(2, 160, 7), &payload(1000), t0 + ms(2000));
        t.finish(t0 + ms(2020));
        let out = collect(&mut t);
        assert_eq!(out.len(), 16_160);
        assert!(out[160..16_000].iter().all(|&s| s == 0));
        assert!(out[16_000..].iter().all(|&s| s != 0));
        assert_eq!(t.late_packets(), 0);
    }

    #[test]
    fn crm4_packet_behind_the_window_is_counted_late() {
        let t0 = epoch();
        let mut t = mono(t0);
        t.push(Side::A, &info(1, 0, 7), &payload(1000), t0);
        t.push(Side::A, &info(3, 320, 7), &payload(1000), t0 + ms(40));
        t.tick(t0 + ms(500));
        t.push(Side::A, &info(2, 160, 7), &payload(1000), t0 + ms(500));
        assert_eq!(t.late_packets(), 1);
        t.finish(t0 + ms(500));
        assert_eq!(t.committed(), 480);
    }

    #[test]
    fn crm4_stereo_sides_are_aligned_by_arrival() {
        let t0 = epoch();
        let mut t = Timeline::new(t0, 2, [Some(0), Some(1)], None);
        t.push(Side::A, &info(1, 12_345, 1), &payload(1000), t0 + ms(10));
        t.push(Side::B, &info(1, 777, 2), &payload(-1000), t0 + ms(30));
        t.finish(t0 + ms(50));
        let out = collect(&mut t);
        // Frames 80.. on the left, 240.. on the right.
        assert_eq!(out.len(), 2 * 400);
        assert_eq!(out[2 * 79], 0);
        assert!(out[2 * 80] > 0);
        assert_eq!(out[2 * 239 + 1], 0);
        assert!(out[2 * 240 + 1] < 0);
    }

    #[test]
    fn crm4_pause_masks_its_span() {
        let t0 = epoch();
        let mut t = mono(t0);
        for i in 0..10u16 {
            let at = t0 + ms(20 * u64::from(i));
            if i == 3 {
                t.pause(at);
            }
            if i == 6 {
                t.resume(at);
            }
            t.push(Side::A, &info(i, 160 * u32::from(i), 7), &payload(1000), at);
        }
        t.finish(t0 + ms(200));
        let out = collect(&mut t);
        assert_eq!(out.len(), 1600);
        assert!(out[..480].iter().all(|&s| s != 0));
        assert!(out[480..960].iter().all(|&s| s == 0));
        assert!(out[960..].iter().all(|&s| s != 0));
    }

    #[test]
    fn vm1_other_payload_types_and_sides_are_ignored() {
        let t0 = epoch();
        let mut t = mono(t0);
        let mut dtmf = info(1, 0, 7);
        dtmf.payload_type = 101;
        t.push(Side::A, &dtmf, &[1, 0x8a, 0, 160], t0);
        t.push(Side::B, &info(1, 0, 9), &payload(1000), t0);
        let mut ulaw = info(2, 0, 7);
        ulaw.payload_type = PT_PCMU;
        t.push(Side::A, &ulaw, &[0x80; 160], t0 + ms(20));
        t.finish(t0 + ms(40));
        let out = collect(&mut t);
        assert_eq!(out.len(), 320);
        assert!(out[..160].iter().all(|&s| s == 0));
        assert!(out[160..].iter().all(|&s| s == 32124));
    }

    #[test]
    fn crm4_length_cap_stops_the_timeline() {
        let t0 = epoch();
        let mut t = Timeline::new(t0, 1, [Some(0), None], Some(ms(30)));
        t.push(Side::A, &info(1, 0, 7), &payload(1000), t0);
        t.push(Side::A, &info(2, 160, 7), &payload(1000), t0 + ms(20));
        assert!(!t.is_full());
        t.finish(t0 + ms(40));
        assert_eq!(t.committed(), 240);
        assert!(t.is_full());
    }
}
