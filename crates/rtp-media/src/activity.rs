//! Media inactivity tracking: the last packet instant and the deadline after which a call
//! with no RTP is reported idle once (RTP timeout, as in RFC 3550 §6.3.5 for members).

use std::time::{Duration, Instant};

/// Tracks when media last flowed and reports idleness once per quiet period.
#[derive(Debug, Clone)]
pub struct Activity {
    since: Instant,
    last_packet: Option<Instant>,
    reported: bool,
}

impl Activity {
    /// Starts tracking at `now`; a stream that never sends is idle from `now`.
    pub fn new(now: Instant) -> Self {
        Activity {
            since: now,
            last_packet: None,
            reported: false,
        }
    }

    /// Records a packet at `now` and re-arms the idle report.
    pub fn on_packet(&mut self, now: Instant) {
        self.last_packet = Some(now);
        self.reported = false;
    }

    /// When the last packet arrived.
    pub fn last_packet(&self) -> Option<Instant> {
        self.last_packet
    }

    /// When the stream becomes idle, or `None` if the idle period was already reported.
    pub fn deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.reported {
            return None;
        }
        self.last_packet.unwrap_or(self.since).checked_add(timeout)
    }

    /// Returns how long the stream has been quiet if `timeout` has passed at `now` and this
    /// period was not reported yet; marks it reported.
    pub fn poll_idle(&mut self, now: Instant, timeout: Duration) -> Option<Duration> {
        let deadline = self.deadline(timeout)?;
        if now < deadline {
            return None;
        }
        self.reported = true;
        Some(now.saturating_duration_since(self.last_packet.unwrap_or(self.since)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_reported_once_and_rearmed_by_traffic() {
        let t0 = crate::test_epoch();
        let timeout = Duration::from_secs(60);
        let mut a = Activity::new(t0);
        assert_eq!(a.deadline(timeout), Some(t0 + timeout));
        assert_eq!(a.poll_idle(t0 + Duration::from_secs(59), timeout), None);
        assert_eq!(
            a.poll_idle(t0 + Duration::from_secs(61), timeout),
            Some(Duration::from_secs(61))
        );
        assert_eq!(a.deadline(timeout), None);
        assert_eq!(a.poll_idle(t0 + Duration::from_secs(200), timeout), None);
        let t1 = t0 + Duration::from_secs(300);
        a.on_packet(t1);
        assert_eq!(a.last_packet(), Some(t1));
        assert_eq!(a.deadline(timeout), Some(t1 + timeout));
        assert_eq!(a.poll_idle(t1 + timeout, timeout), Some(timeout));
    }
}
