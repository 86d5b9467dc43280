//! Paced RTP packetizer for pre-encoded 8 kHz G.711 audio: prompt playlists and music-on-hold
//! loops joined "as a radio" (requirements IVR-4, IVR-5; RFC 3550 §5.1 header fields,
//! RFC 3551 §4.1 marker bit at talk-spurt start, RFC 3551 §4.5.14 PCMA/PCMU at 8000 Hz).
//!
//! A [`Player`] continues an output stream from a [`StreamPosition`] (the relayed stream's or
//! a fresh one), so switching a destination between relay, prompt and music keeps one SSRC
//! with continuous sequence numbers and timestamps. Packet `k` is due at `start + k * 20 ms`:
//! pacing is by absolute deadlines, never by accumulated sleeps.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::rewrite::StreamPosition;
use crate::rtp::RTP_FIXED_HEADER_LEN;

/// Samples (and G.711 bytes) per 20 ms packet at 8000 Hz.
pub const FRAME_SAMPLES: usize = 160;
/// The packetization interval.
pub const FRAME_DURATION: Duration = Duration::from_millis(20);
/// The media clock of G.711 (RFC 3551 §4.5.14).
pub const CLOCK_RATE: u32 = 8000;
/// How many late frames are sent in a burst before the player skips ahead instead (the
/// skipped frames are silence to the receiver: the timestamps still advance).
pub const MAX_CATCH_UP_FRAMES: u64 = 3;

/// Something the player reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerEvent {
    /// Item `index` of the playlist was sent completely.
    ItemDone { index: usize },
    /// The whole playlist was sent. Loops never finish.
    Finished,
}

/// Turns pre-encoded G.711 audio (one byte per sample) into paced RTP packets.
#[derive(Debug, Clone)]
pub struct Player {
    ssrc: u32,
    payload_type: u8,
    silence: u8,
    first_seq: u16,
    first_ts: u32,
    start: Instant,
    next_frame: u64,
    /// Packets sent: sequence numbers count packets, timestamps count frames.
    sent: u16,
    source: Source,
    position: StreamPosition,
    sent_any: bool,
    finished: bool,
    events: VecDeque<PlayerEvent>,
    buf: Vec<u8>,
}

impl Player {
    /// Plays `items` once each, in order, continuing the stream at `from` from `now` on.
    /// `silence` is the codec's silence byte (0xD5 A-law, 0xFF µ-law) padding the last
    /// frame of each item.
    pub fn playlist(
        from: StreamPosition,
        payload_type: u8,
        silence: u8,
        items: Vec<Arc<[u8]>>,
        now: Instant,
    ) -> Self {
        let source = Source::Playlist {
            items: items.into(),
            index: 0,
            offset: 0,
        };
        let mut player = Player::new(from, payload_type, silence, source, now);
        player.skip_empty_items();
        player
    }

    /// Plays `audio` in a loop until dropped. A listener joins the loop "as a radio": the
    /// first frame is the one playing `since_loop_start` after the loop started.
    pub fn looping(
        from: StreamPosition,
        payload_type: u8,
        audio: Arc<[u8]>,
        since_loop_start: Duration,
        now: Instant,
    ) -> Self {
        let offset = radio_offset(audio.len(), since_loop_start);
        let finished = audio.is_empty();
        let mut player = Player::new(from, payload_type, 0, Source::Loop { audio, offset }, now);
        player.finished = finished;
        player
    }

    /// When the next packet is due; `None` once the playlist is finished.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        self.deadline(self.next_frame)
    }

    /// The next packet if it is due at `now`. A caller late by more than
    /// [`MAX_CATCH_UP_FRAMES`] frames gets the current frame and the older ones are skipped.
    pub fn poll_packet(&mut self, now: Instant) -> Option<&[u8]> {
        if self.finished || self.deadline(self.next_frame)? > now {
            return None;
        }
        let due = self.frames_due(now);
        while due.saturating_sub(self.next_frame) > MAX_CATCH_UP_FRAMES && !self.finished {
            self.advance(false);
            self.next_frame += 1;
        }
        if self.finished {
            return None;
        }
        let k = self.next_frame;
        let seq = self.first_seq.wrapping_add(self.sent);
        let ts = self
            .first_ts
            .wrapping_add(((k.wrapping_mul(FRAME_SAMPLES as u64)) & 0xffff_ffff) as u32);
        let marker = !self.sent_any;
        self.buf.clear();
        self.buf.push(0x80);
        self.buf
            .push(self.payload_type & 0x7f | if marker { 0x80 } else { 0 });
        self.buf.extend_from_slice(&seq.to_be_bytes());
        self.buf.extend_from_slice(&ts.to_be_bytes());
        self.buf.extend_from_slice(&self.ssrc.to_be_bytes());
        self.advance(true);
        self.next_frame += 1;
        self.sent = self.sent.wrapping_add(1);
        self.sent_any = true;
        self.position = StreamPosition {
            ssrc: self.ssrc,
            last_seq: seq,
            last_ts: ts,
            at: now,
        };
        Some(&self.buf)
    }

    /// Drains the next event.
    pub fn poll_event(&mut self) -> Option<PlayerEvent> {
        self.events.pop_front()
    }

    /// Where the output stream stands: after the last packet sent, or where it was handed
    /// over if nothing was sent. The relay resumes from here.
    pub fn position(&self) -> StreamPosition {
        self.position
    }

    /// Whether the playlist was sent completely.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The SSRC this player writes.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    fn new(
        from: StreamPosition,
        payload_type: u8,
        silence: u8,
        source: Source,
        now: Instant,
    ) -> Self {
        let (first_seq, first_ts) = from.continue_at(now, CLOCK_RATE);
        Player {
            ssrc: from.ssrc,
            payload_type,
            silence,
            first_seq,
            first_ts,
            start: now,
            next_frame: 0,
            sent: 0,
            source,
            position: from,
            sent_any: false,
            finished: false,
            events: VecDeque::new(),
            buf: Vec::with_capacity(RTP_FIXED_HEADER_LEN + FRAME_SAMPLES),
        }
    }

    fn deadline(&self, frame: u64) -> Option<Instant> {
        let nanos = u128::from(frame).saturating_mul(FRAME_DURATION.as_nanos());
        let offset = Duration::from_nanos(u64::try_from(nanos).ok()?);
        self.start.checked_add(offset)
    }

    /// The number of frames whose deadline is at or before `now`.
    fn frames_due(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start).as_nanos();
        let frames = elapsed / FRAME_DURATION.as_nanos() + 1;
        u64::try_from(frames).unwrap_or(u64::MAX)
    }

    /// Moves the source on by one frame, appending its payload to the packet if `emit`.
    fn advance(&mut self, emit: bool) {
        match &mut self.source {
            Source::Loop { audio, offset } => {
                let mut left = FRAME_SAMPLES;
                while left > 0 {
                    let chunk = audio.get(*offset..).unwrap_or_default();
                    let take = chunk.len().min(left);
                    if take == 0 {
                        // Unreachable with a non-empty loop; an empty one is finished.
                        self.finished = true;
                        return;
                    }
                    if emit {
                        self.buf
                            .extend_from_slice(chunk.get(..take).unwrap_or_default());
                    }
                    left -= take;
                    *offset = (*offset + take) % audio.len().max(1);
                }
            }
            Source::Playlist {
                items,
                index,
                offset,
            } => {
                let Some(item) = items.front() else {
                    self.finished = true;
                    return;
                };
                let chunk = item.get(*offset..).unwrap_or_default();
                let take = chunk.len().min(FRAME_SAMPLES);
                if emit {
                    self.buf
                        .extend_from_slice(chunk.get(..take).unwrap_or_default());
                    self.buf
                        .resize(self.buf.len() + (FRAME_SAMPLES - take), self.silence);
                }
                *offset += take;
                if *offset >= item.len() {
                    self.events
                        .push_back(PlayerEvent::ItemDone { index: *index });
                    items.pop_front();
                    *index += 1;
                    *offset = 0;
                    self.skip_empty_items();
                }
            }
        }
    }

    /// Reports empty items as done at once, and the playlist as finished when none is left.
    fn skip_empty_items(&mut self) {
        let Source::Playlist {
            items,
            index,
            offset,
        } = &mut self.source
        else {
            return;
        };
        while items.front().is_some_and(|i| i.is_empty()) {
            self.events
                .push_back(PlayerEvent::ItemDone { index: *index });
            items.pop_front();
            *index += 1;
            *offset = 0;
        }
        if items.is_empty() && !self.finished {
            self.finished = true;
            self.events.push_back(PlayerEvent::Finished);
        }
    }
}

/// The byte offset into a loop of `len` samples at 8000 Hz, `since_loop_start` after the
/// loop started: every listener hears the same point of the loop at the same time.
pub fn radio_offset(len: usize, since_loop_start: Duration) -> usize {
    if len == 0 {
        return 0;
    }
    let samples = since_loop_start
        .as_nanos()
        .saturating_mul(u128::from(CLOCK_RATE))
        / 1_000_000_000;
    let len = len as u128;
    usize::try_from(samples % len).unwrap_or(0)
}

#[derive(Debug, Clone)]
enum Source {
    Playlist {
        items: VecDeque<Arc<[u8]>>,
        index: usize,
        offset: usize,
    },
    Loop {
        audio: Arc<[u8]>,
        offset: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpHeader;

    fn clip(len: usize, byte: u8) -> Arc<[u8]> {
        vec![byte; len].into()
    }

    fn fresh(t: Instant) -> StreamPosition {
        StreamPosition {
            ssrc: 0x5151,
            last_seq: 65534,
            last_ts: 1000,
            at: t,
        }
    }

    /// Drains the player at each deadline: (seq, ts, marker, payload, deadline).
    fn run(p: &mut Player) -> Vec<(u16, u32, bool, Vec<u8>, Instant)> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            let Some(at) = p.poll_timeout() else { break };
            let Some(pkt) = p.poll_packet(at) else { break };
            let h = RtpHeader::parse(pkt).unwrap();
            assert_eq!(h.ssrc(), 0x5151);
            assert_eq!(h.payload_type(), 8);
            let payload = pkt[h.payload_range()].to_vec();
            out.push((h.sequence(), h.timestamp(), h.marker(), payload, at));
        }
        out
    }

    #[test]
    fn ivr4_playlist_is_paced_continuous_and_reports_completion() {
        let t0 = crate::test_epoch();
        // 400 samples: 3 frames, the last padded; then 160 samples: one frame; an empty one.
        let items = vec![clip(400, 1), clip(0, 9), clip(160, 2)];
        let start = t0 + Duration::from_millis(100);
        let mut p = Player::playlist(fresh(t0), 8, 0xd5, items, start);
        assert_eq!(p.poll_packet(start - Duration::from_millis(1)), None);
        let out = run(&mut p);
        assert_eq!(out.len(), 4);
        for (k, (seq, ts, marker, payload, at)) in out.iter().enumerate() {
            // Continues after seq 65534 (wrapping) and 100 ms after the last packet.
            assert_eq!(*seq, 65535u16.wrapping_add(k as u16));
            assert_eq!(*ts, 1000 + 800 + 160 * k as u32);
            assert_eq!(*marker, k == 0, "marker only at the talk-spurt start");
            assert_eq!(*at, start + FRAME_DURATION * k as u32);
            assert_eq!(payload.len(), FRAME_SAMPLES);
        }
        assert_eq!(&out[2].3[..80], &[1; 80]);
        assert_eq!(
            &out[2].3[80..],
            &[0xd5; 80],
            "last frame padded with silence"
        );
        assert_eq!(out[3].3, vec![2; 160]);
        let events: Vec<_> = std::iter::from_fn(|| p.poll_event()).collect();
        assert_eq!(
            events,
            [
                PlayerEvent::ItemDone { index: 0 },
                PlayerEvent::ItemDone { index: 1 },
                PlayerEvent::ItemDone { index: 2 },
                PlayerEvent::Finished
            ]
        );
        assert!(p.is_finished());
        assert_eq!(p.poll_timeout(), None);
        let pos = p.position();
        assert_eq!(
            (pos.last_seq, pos.last_ts, pos.at),
            (2, 1000 + 800 + 480, out[3].4)
        );
    }

    #[test]
    fn late_poll_catches_up_boundedly_and_keeps_timestamps() {
        let t0 = crate::test_epoch();
        let mut p = Player::playlist(fresh(t0), 8, 0xd5, vec![clip(160 * 20, 3)], t0);
        // Polled 30 ms late: frames 0 and 1 are both due and sent back to back.
        let late = t0 + Duration::from_millis(30);
        let a = RtpHeader::parse(p.poll_packet(late).unwrap()).unwrap();
        let b = RtpHeader::parse(p.poll_packet(late).unwrap()).unwrap();
        assert_eq!(b.timestamp().wrapping_sub(a.timestamp()), 160);
        assert_eq!(p.poll_packet(late), None);
        // Stalled for 200 ms: only the last few due frames are sent, the rest skipped.
        let stalled = t0 + Duration::from_millis(230);
        let mut sent = Vec::new();
        while let Some(pkt) = p.poll_packet(stalled) {
            sent.push(RtpHeader::parse(pkt).unwrap());
        }
        assert_eq!(sent.len() as u64, MAX_CATCH_UP_FRAMES);
        let first = sent.first().unwrap();
        assert_eq!(
            first.sequence(),
            b.sequence().wrapping_add(1),
            "no sequence gap"
        );
        // Frames 0..=11 are due by 230 ms; 2..=8 are skipped and 9..=11 sent: the
        // timestamp jumps over the skipped frames.
        assert_eq!(first.timestamp().wrapping_sub(a.timestamp()), 160 * 9);
        assert_eq!(p.poll_timeout(), Some(t0 + Duration::from_millis(240)));
    }

    #[test]
    fn ivr5_music_loop_joins_as_a_radio_and_wraps() {
        let t0 = crate::test_epoch();
        // A 1 s loop whose sample value is its index / 32, so offsets are recognisable.
        let audio: Arc<[u8]> = (0..8000u32).map(|i| (i / 32) as u8).collect();
        assert_eq!(radio_offset(8000, Duration::from_millis(2500)), 4000);
        assert_eq!(radio_offset(0, Duration::from_secs(9)), 0);
        // Joined 2.98 s after the loop started: 7840 samples in, the first frame wraps.
        let mut p = Player::looping(fresh(t0), 8, audio, Duration::from_millis(2980), t0);
        let pkt = p.poll_packet(t0).unwrap().to_vec();
        let h = RtpHeader::parse(&pkt).unwrap();
        let payload = &pkt[h.payload_range()];
        assert_eq!(payload[0], (7840 / 32) as u8);
        assert_eq!(payload[159], (7999 / 32) as u8);
        let pkt = p.poll_packet(t0 + FRAME_DURATION).unwrap().to_vec();
        assert_eq!(pkt[12], 0, "wrapped to the loop start");
        for k in 2..500u32 {
            assert!(p.poll_packet(t0 + FRAME_DURATION * k).is_some());
        }
        assert!(!p.is_finished());
        assert_eq!(p.poll_event(), None);
        let empty = Player::looping(fresh(t0), 8, clip(0, 0), Duration::ZERO, t0);
        assert_eq!(empty.poll_timeout(), None);
    }

    #[test]
    fn rfc3550_relay_prompt_relay_is_one_continuous_stream() {
        use crate::rewrite::{OutputSsrc, StreamRewriter};
        use crate::rtp::test_packet;
        let t0 = crate::test_epoch();
        let mut rw = StreamRewriter::new(OutputSsrc::Fixed(0x5151), 8000);
        let mut seen = Vec::new();
        for k in 0..3u16 {
            let mut p = test_packet(0, 500 + k, 7000 + 160 * u32::from(k), 0xaa, &[0xff; 160]);
            rw.rewrite(&mut p, t0 + FRAME_DURATION * u32::from(k));
            seen.push(RtpHeader::parse(&p).unwrap());
        }
        let start = t0 + Duration::from_millis(60);
        let mut player =
            Player::playlist(rw.position().unwrap(), 0, 0xff, vec![clip(320, 1)], start);
        for k in 0..2u32 {
            seen.push(
                RtpHeader::parse(player.poll_packet(start + FRAME_DURATION * k).unwrap()).unwrap(),
            );
        }
        rw.resume_from(player.position());
        let mut p = test_packet(0, 503, 7480, 0xaa, &[0xff; 160]);
        rw.rewrite(&mut p, start + FRAME_DURATION * 2);
        seen.push(RtpHeader::parse(&p).unwrap());
        let got: Vec<_> = seen
            .iter()
            .map(|h| (h.ssrc(), h.sequence(), h.timestamp(), h.marker()))
            .collect();
        assert_eq!(
            got,
            [
                (0x5151, 500, 7000, false),
                (0x5151, 501, 7160, false),
                (0x5151, 502, 7320, false),
                (0x5151, 503, 7480, true),
                (0x5151, 504, 7640, false),
                (0x5151, 505, 7800, true),
            ]
        );
    }

    #[test]
    fn empty_playlist_finishes_at_once() {
        let t0 = crate::test_epoch();
        let mut p = Player::playlist(fresh(t0), 0, 0xff, Vec::new(), t0);
        assert_eq!(p.poll_timeout(), None);
        assert_eq!(p.poll_packet(t0), None);
        assert_eq!(p.poll_event(), Some(PlayerEvent::Finished));
        assert_eq!(
            p.position(),
            fresh(t0),
            "nothing sent: the hand-over point is kept"
        );
    }
}
