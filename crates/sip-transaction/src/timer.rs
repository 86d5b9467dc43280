//! The per-transaction timer table, indexed by the RFC 3261 §17 timer names (Table 4) plus
//! Timers L and M of RFC 6026 and the §13.3.1.4 2xx retransmission timer.

use std::time::{Duration, Instant};

use crate::Transport;

/// The timers a transaction can run, named after RFC 3261 Table 4 and RFC 6026 §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// INVITE request retransmit interval, UDP only (starts at T1, doubles).
    A,
    /// INVITE transaction timeout (64*T1); re-armed after CANCEL per §9.1.
    B,
    /// Wait time for response retransmits after a non-2xx INVITE final (32 s UDP, 0 reliable).
    D,
    /// Non-INVITE request retransmit interval, UDP only (T1 doubling, capped at T2).
    E,
    /// Non-INVITE transaction timeout (64*T1).
    F,
    /// INVITE non-2xx final response retransmit interval, UDP only (T1 doubling, capped at T2).
    G,
    /// Wait time for ACK receipt (64*T1).
    H,
    /// Wait time for ACK retransmits (T4 UDP, 0 reliable).
    I,
    /// Wait time for non-INVITE request retransmits (64*T1 UDP, 0 reliable).
    J,
    /// Wait time for non-INVITE response retransmits (T4 UDP, 0 reliable).
    K,
    /// RFC 6026: wait time for INVITE request and ACK retransmits in server Accepted (64*T1).
    L,
    /// RFC 6026: wait time for 2xx retransmits in client Accepted (64*T1).
    M,
    /// RFC 3261 §13.3.1.4: 2xx retransmit interval until the ACK arrives (T1 doubling, capped at
    /// T2), run by the endpoint on behalf of the UAS core.
    Retransmit2xx,
}

impl Timer {
    const ALL: [Timer; 13] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
        Timer::M,
        Timer::Retransmit2xx,
    ];

    fn index(self) -> usize {
        match self {
            Timer::A => 0,
            Timer::B => 1,
            Timer::D => 2,
            Timer::E => 3,
            Timer::F => 4,
            Timer::G => 5,
            Timer::H => 6,
            Timer::I => 7,
            Timer::J => 8,
            Timer::K => 9,
            Timer::L => 10,
            Timer::M => 11,
            Timer::Retransmit2xx => 12,
        }
    }
}

/// Deadlines of one transaction, one slot per [`Timer`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Timers {
    at: [Option<Instant>; 13],
}

impl Timers {
    /// Arms `timer` to fire at `at`, replacing any earlier deadline.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.at.get_mut(timer.index()) {
            *slot = Some(at);
        }
    }

    /// Disarms `timer`.
    pub(crate) fn clear(&mut self, timer: Timer) {
        if let Some(slot) = self.at.get_mut(timer.index()) {
            *slot = None;
        }
    }

    /// Disarms every timer.
    pub(crate) fn clear_all(&mut self) {
        self.at = [None; 13];
    }

    /// The earliest deadline of all armed timers.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// Disarms and returns the earliest timer whose deadline is at or before `now`.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<Timer> {
        let mut best: Option<(Instant, Timer)> = None;
        for timer in Timer::ALL {
            if let Some(Some(at)) = self.at.get(timer.index())
                && *at <= now
                && best.is_none_or(|(b, _)| *at < b)
            {
                best = Some((*at, timer));
            }
        }
        let (_, timer) = best?;
        self.clear(timer);
        Some(timer)
    }
}

/// The timer durations for one transaction, derived from the [`crate::Config`] and whether its
/// transport is reliable (RFC 3261 Table 4).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Durations {
    pub(crate) t1: Duration,
    pub(crate) t2: Duration,
    pub(crate) t4: Duration,
    pub(crate) reliable: bool,
}

impl Durations {
    /// T1 and T2 are clamped to at least 1 ms so that a retransmit timer can never re-fire at
    /// the instant it was handled.
    pub(crate) fn new(cfg: &crate::Config, transport: Transport) -> Durations {
        let floor = Duration::from_millis(1);
        Durations {
            t1: cfg.t1.max(floor),
            t2: cfg.t2.max(floor),
            t4: cfg.t4,
            reliable: transport.reliable(),
        }
    }

    /// 64*T1, the value of Timers B, F, H, J (UDP), L and M.
    pub(crate) fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D: at least 32 s on unreliable transports, zero on reliable ones.
    pub(crate) fn timer_d(&self) -> Duration {
        if self.reliable {
            Duration::ZERO
        } else {
            Duration::from_secs(32).max(self.t1x64())
        }
    }

    /// Timers I and K: T4 on unreliable transports, zero on reliable ones.
    pub(crate) fn timer_i_k(&self) -> Duration {
        if self.reliable {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// Timer J: 64*T1 on unreliable transports, zero on reliable ones.
    pub(crate) fn timer_j(&self) -> Duration {
        if self.reliable {
            Duration::ZERO
        } else {
            self.t1x64()
        }
    }

    /// The next retransmit interval after `current`, doubled and capped at T2 (Timers E and G).
    pub(crate) fn backoff(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }
}

/// Adds a duration to an instant without panicking on overflow (it saturates at `now`, which
/// makes the timer fire at once rather than never).
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_due_returns_earliest_first_and_disarms() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.set(Timer::F, t0 + Duration::from_secs(2));
        t.set(Timer::E, t0 + Duration::from_secs(1));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.take_due(t0), None);
        let now = t0 + Duration::from_secs(3);
        assert_eq!(t.take_due(now), Some(Timer::E));
        assert_eq!(t.take_due(now), Some(Timer::F));
        assert_eq!(t.take_due(now), None);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn reliable_transport_zeroes_d_i_j_k() {
        let cfg = crate::Config::new("127.0.0.1:5060".parse().expect("literal address"));
        let tcp = Durations::new(&cfg, Transport::Tcp);
        assert_eq!(tcp.timer_d(), Duration::ZERO);
        assert_eq!(tcp.timer_i_k(), Duration::ZERO);
        assert_eq!(tcp.timer_j(), Duration::ZERO);
        let udp = Durations::new(&cfg, Transport::Udp);
        assert_eq!(udp.timer_d(), Duration::from_secs(32));
        assert_eq!(udp.timer_i_k(), Duration::from_secs(5));
        assert_eq!(udp.timer_j(), Duration::from_secs(32));
        assert_eq!(udp.backoff(Duration::from_secs(2)), Duration::from_secs(4));
        assert_eq!(udp.backoff(Duration::from_secs(4)), Duration::from_secs(4));
    }
}
