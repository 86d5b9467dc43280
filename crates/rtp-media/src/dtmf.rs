//! RFC 4733 telephone-event payloads (§2.3) and a receiver that reports each key press once
//! (§2.5.1: retransmitted end packets, lost start packets, a new timestamp starts a new event).

use std::collections::VecDeque;
use std::time::Instant;

/// Length of one telephone-event payload block (RFC 4733 §2.3).
pub const TELEPHONE_EVENT_LEN: usize = 4;

/// Why a telephone-event payload was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// The payload is shorter than the 4-byte event block.
    #[error("telephone-event payload too short: {0} bytes")]
    TooShort(usize),
}

/// One RFC 4733 §2.3 event block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash (RFC 4733 §3.2).
    pub event: u8,
    /// The E bit: this packet marks the end of the event.
    pub end: bool,
    /// Power level in -dBm0 (0–63).
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event block of a payload; trailing blocks (RFC 4733 §2.5.1.5) are
    /// ignored.
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        match payload {
            [event, flags, d0, d1, ..] => Ok(TelephoneEvent {
                event: *event,
                end: flags & 0x80 != 0,
                volume: flags & 0x3f,
                duration: u16::from_be_bytes([*d0, *d1]),
            }),
            _ => Err(DtmfError::TooShort(payload.len())),
        }
    }

    /// Serializes the event block; the reserved bit is zero and volume is masked to 6 bits.
    pub fn to_bytes(&self) -> [u8; TELEPHONE_EVENT_LEN] {
        let d = self.duration.to_be_bytes();
        let flags = (if self.end { 0x80 } else { 0 }) | (self.volume & 0x3f);
        [self.event, flags, d[0], d[1]]
    }

    /// The DTMF key of this event, if it is one of the 16 keys.
    pub fn digit(&self) -> Option<char> {
        digit_of(self.event)
    }
}

/// One key press, reported once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPress {
    /// The event code (see [`TelephoneEvent::event`]).
    pub event: u8,
    /// The key, for codes 0–15.
    pub digit: Option<char>,
    /// The RTP timestamp identifying the event.
    pub rtp_timestamp: u32,
    /// When the first packet of the event was received.
    pub started: Instant,
}

/// Turns a telephone-event packet stream into key presses, each reported exactly once.
///
/// An event is identified by its RTP timestamp and code: retransmitted start/update/end
/// packets of the same event are absorbed; if the start packets were lost the first packet
/// seen (even an end packet) reports the press. The queue of unread presses is bounded; on a
/// flood the newest presses are dropped and counted.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    recent: [Option<(u32, u8)>; RECENT_EVENTS],
    next_slot: usize,
    queue: VecDeque<DtmfPress>,
    capacity: usize,
    overflowed: u64,
}

impl DtmfReceiver {
    /// Creates a receiver holding at most `capacity` unread presses (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        DtmfReceiver {
            recent: [None; RECENT_EVENTS],
            next_slot: 0,
            queue: VecDeque::with_capacity(capacity),
            capacity,
            overflowed: 0,
        }
    }

    /// Feeds one telephone-event RTP packet: its timestamp and payload.
    pub fn handle_packet(
        &mut self,
        rtp_timestamp: u32,
        payload: &[u8],
        now: Instant,
    ) -> Result<(), DtmfError> {
        let ev = TelephoneEvent::parse(payload)?;
        let key = (rtp_timestamp, ev.event);
        if self.recent.contains(&Some(key)) {
            return Ok(());
        }
        if let Some(slot) = self.recent.get_mut(self.next_slot) {
            *slot = Some(key);
        }
        self.next_slot = (self.next_slot + 1) % RECENT_EVENTS;
        if self.queue.len() >= self.capacity {
            self.overflowed = self.overflowed.saturating_add(1);
            return Ok(());
        }
        self.queue.push_back(DtmfPress {
            event: ev.event,
            digit: ev.digit(),
            rtp_timestamp,
            started: now,
        });
        Ok(())
    }

    /// Drains the next unread key press.
    pub fn poll_press(&mut self) -> Option<DtmfPress> {
        self.queue.pop_front()
    }

    /// Presses dropped because the queue was full.
    pub fn overflowed(&self) -> u64 {
        self.overflowed
    }
}

const RECENT_EVENTS: usize = 8;

fn digit_of(event: u8) -> Option<char> {
    const KEYS: &[u8; 16] = b"0123456789*#ABCD";
    KEYS.get(usize::from(event)).map(|b| char::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc4733_2_3_parse_and_build() {
        let ev = TelephoneEvent {
            event: 11,
            end: true,
            volume: 10,
            duration: 1280,
        };
        let bytes = ev.to_bytes();
        assert_eq!(bytes, [11, 0x80 | 10, 0x05, 0x00]);
        assert_eq!(TelephoneEvent::parse(&bytes), Ok(ev));
        assert_eq!(ev.digit(), Some('#'));
        assert_eq!(
            TelephoneEvent::parse(&[1, 2, 3]),
            Err(DtmfError::TooShort(3))
        );
        // The reserved bit is ignored on parse.
        assert_eq!(
            TelephoneEvent::parse(&[5, 0x40 | 7, 0, 160])
                .unwrap()
                .volume,
            7
        );
        assert_eq!(digit_of(16), None);
    }

    fn block(event: u8, end: bool, duration: u16) -> [u8; 4] {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    #[test]
    fn rfc4733_2_5_one_press_per_event_despite_retransmitted_ends() {
        let t0 = crate::test_epoch();
        let mut rx = DtmfReceiver::new(8);
        for (i, d) in [160u16, 320, 480].iter().enumerate() {
            rx.handle_packet(
                8000,
                &block(5, false, *d),
                t0 + Duration::from_millis(20 * i as u64),
            )
            .unwrap();
        }
        for _ in 0..3 {
            rx.handle_packet(8000, &block(5, true, 640), t0 + Duration::from_millis(80))
                .unwrap();
        }
        let press = rx.poll_press().unwrap();
        assert_eq!(
            (press.digit, press.rtp_timestamp, press.started),
            (Some('5'), 8000, t0)
        );
        assert_eq!(rx.poll_press(), None);
    }

    #[test]
    fn rfc4733_2_5_lost_start_still_reports_and_same_key_twice_is_two_presses() {
        let t0 = crate::test_epoch();
        let mut rx = DtmfReceiver::new(8);
        // Only the end packets of the first press arrive.
        let t1 = t0 + Duration::from_millis(100);
        rx.handle_packet(1000, &block(1, true, 800), t1).unwrap();
        rx.handle_packet(1000, &block(1, true, 800), t1).unwrap();
        // The same key pressed again: new timestamp, new event.
        let t2 = t0 + Duration::from_millis(400);
        rx.handle_packet(4000, &block(1, false, 160), t2).unwrap();
        rx.handle_packet(4000, &block(1, true, 480), t2).unwrap();
        let a = rx.poll_press().unwrap();
        let b = rx.poll_press().unwrap();
        assert_eq!((a.digit, a.started), (Some('1'), t1));
        assert_eq!((b.digit, b.started, b.rtp_timestamp), (Some('1'), t2, 4000));
        assert_eq!(rx.poll_press(), None);
        // A late retransmission of the first event is still absorbed.
        rx.handle_packet(1000, &block(1, true, 800), t2).unwrap();
        assert_eq!(rx.poll_press(), None);
        assert!(rx.handle_packet(5000, &[1], t2).is_err());
    }

    #[test]
    fn flood_is_bounded() {
        let t0 = crate::test_epoch();
        let mut rx = DtmfReceiver::new(4);
        for ts in 0..1000u32 {
            rx.handle_packet(ts * 160, &block(2, true, 160), t0)
                .unwrap();
        }
        assert_eq!(rx.overflowed(), 996);
        let mut n = 0;
        while rx.poll_press().is_some() {
            n += 1;
        }
        assert_eq!(n, 4);
    }
}
