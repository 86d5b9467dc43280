//! Session timers (RFC 4028): negotiation of Session-Expires/Min-SE on both sides of a
//! dialog, who refreshes, and when a silent peer's session is considered dead.

use std::time::{Duration, Instant};

use sip_message::{HeaderName, Headers};

/// Which side sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// We refresh (re-INVITE or UPDATE at half the interval).
    Local,
    /// The peer refreshes; we tear the call down if it stops.
    Remote,
}

/// Our session-timer policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// Interval we ask for and accept by default.
    pub session_expires: Duration,
    /// The smallest interval we accept (RFC 4028 §5: at least 90 s).
    pub min_se: Duration,
}

/// A negotiated session timer on one dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimer {
    pub interval: Duration,
    pub refresher: Refresher,
    last_refresh: Instant,
}

/// The peer asked for an interval below our Min-SE: answer 422 with `Min-SE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("session interval too small; Min-SE is {min_se:?}")]
pub struct IntervalTooSmall {
    pub min_se: Duration,
}

/// The UAS decision for a dialog-creating or refreshing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UasSessionTimer {
    pub timer: SessionTimer,
    /// Value for the `Session-Expires` header of our 2xx.
    pub session_expires_header: String,
    /// Whether the 2xx must carry `Require: timer` (the peer supports timers).
    pub require_timer: bool,
}

impl SessionTimer {
    pub fn new(interval: Duration, refresher: Refresher, now: Instant) -> Self {
        SessionTimer { interval, refresher, last_refresh: now }
    }

    /// A refresh (ours answered 2xx, or the peer's received) restarts the interval.
    pub fn refreshed(&mut self, now: Instant) {
        self.last_refresh = now;
    }

    /// When we must send a refresh (half the interval, RFC 4028 §10), if we refresh.
    pub fn refresh_at(&self) -> Option<Instant> {
        (self.refresher == Refresher::Local).then(|| self.last_refresh + self.interval / 2)
    }

    /// When the session expires without a refresh: for a peer refresher, the interval
    /// minus min(32 s, interval/3) (RFC 4028 §10); for us, the whole interval.
    pub fn expires_at(&self) -> Instant {
        match self.refresher {
            Refresher::Remote => {
                let margin = (self.interval / 3).min(Duration::from_secs(32));
                self.last_refresh + self.interval.saturating_sub(margin)
            }
            Refresher::Local => self.last_refresh + self.interval,
        }
    }

    /// The next instant this timer needs attention.
    pub fn deadline(&self) -> Instant {
        self.refresh_at().map_or(self.expires_at(), |r| r.min(self.expires_at()))
    }
}

/// Reads `Session-Expires: delta;refresher=uac|uas`.
pub fn parse_session_expires(value: &str) -> Option<(u32, Option<&str>)> {
    let mut parts = value.split(';');
    let secs = parts.next()?.trim().parse::<u32>().ok()?;
    let refresher = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("refresher").then(|| v.trim())
    });
    Some((secs, refresher))
}

/// Does the header list (Supported/Require) name the `timer` option tag?
pub fn lists_timer(headers: &Headers, name: &HeaderName) -> bool {
    headers.get_all(name).any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("timer")))
}

/// RFC 4028 §9: the UAS side of a session-timer negotiation for `request` headers.
/// `Ok(None)` means no session timer on this dialog (peer does not support it and
/// our policy is off).
pub fn negotiate_uas(
    request: &Headers,
    cfg: Option<&SessionTimerConfig>,
    now: Instant,
) -> Result<Option<UasSessionTimer>, IntervalTooSmall> {
    let supported = lists_timer(request, &HeaderName::Supported) || lists_timer(request, &HeaderName::Require);
    let asked = request.get(&HeaderName::SessionExpires).and_then(parse_session_expires);
    let min_se = cfg.map_or(Duration::from_secs(90), |c| c.min_se);
    let interval = match (asked, cfg) {
        (Some((secs, _)), _) => {
            let secs = Duration::from_secs(u64::from(secs));
            if secs < min_se {
                return Err(IntervalTooSmall { min_se });
            }
            secs
        }
        (None, Some(c)) if supported => c.session_expires,
        _ => return Ok(None),
    };
    // The peer's choice of refresher stands; otherwise the UAC refreshes when it
    // supports timers, and we do when it does not (RFC 4028 §9).
    let refresher = match asked.and_then(|(_, r)| r) {
        Some(r) if r.eq_ignore_ascii_case("uas") => Refresher::Local,
        Some(_) => Refresher::Remote,
        None if supported => Refresher::Remote,
        None => Refresher::Local,
    };
    let tag = if refresher == Refresher::Remote { "uac" } else { "uas" };
    Ok(Some(UasSessionTimer {
        timer: SessionTimer::new(interval, refresher, now),
        session_expires_header: format!("{};refresher={tag}", interval.as_secs()),
        require_timer: supported,
    }))
}

/// RFC 4028 §7.2: the UAC side, from the 2xx to our INVITE (which offered
/// `cfg.session_expires` with `Supported: timer`). Without Session-Expires in the
/// answer the UAS does not support timers and we refresh ourselves.
pub fn negotiate_uac(response: &Headers, cfg: &SessionTimerConfig, now: Instant) -> SessionTimer {
    match response.get(&HeaderName::SessionExpires).and_then(parse_session_expires) {
        Some((secs, refresher)) => {
            let interval = Duration::from_secs(u64::from(secs.max(1)));
            let refresher = match refresher {
                Some(r) if r.eq_ignore_ascii_case("uas") => Refresher::Remote,
                _ => Refresher::Local,
            };
            SessionTimer::new(interval, refresher, now)
        }
        None => SessionTimer::new(cfg.session_expires, Refresher::Local, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(HeaderName, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in lines {
            h.push(n.clone(), *v);
        }
        h
    }

    const CFG: SessionTimerConfig =
        SessionTimerConfig { session_expires: Duration::from_secs(1800), min_se: Duration::from_secs(90) };

    #[test]
    fn rfc4028_uac_refresher_by_default_when_supported() {
        let now = Instant::now();
        let h = headers(&[(HeaderName::Supported, "timer"), (HeaderName::SessionExpires, "600")]);
        let st = negotiate_uas(&h, Some(&CFG), now).unwrap().unwrap();
        assert_eq!(st.timer.refresher, Refresher::Remote);
        assert_eq!(st.session_expires_header, "600;refresher=uac");
        assert!(st.require_timer);
        // Peer refreshes; we give up at 600 - 32 s.
        assert_eq!(st.timer.expires_at(), now + Duration::from_secs(568));
        assert_eq!(st.timer.refresh_at(), None);
    }

    #[test]
    fn rfc4028_too_small_interval_is_422() {
        let h = headers(&[(HeaderName::Supported, "timer"), (HeaderName::SessionExpires, "30")]);
        let err = negotiate_uas(&h, Some(&CFG), Instant::now()).unwrap_err();
        assert_eq!(err.min_se, Duration::from_secs(90));
    }

    #[test]
    fn rfc4028_we_refresh_when_peer_lacks_support() {
        let now = Instant::now();
        let h = headers(&[(HeaderName::SessionExpires, "1000")]);
        let st = negotiate_uas(&h, Some(&CFG), now).unwrap().unwrap();
        assert_eq!(st.timer.refresher, Refresher::Local);
        assert_eq!(st.timer.refresh_at(), Some(now + Duration::from_secs(500)));
        assert!(!st.require_timer);
        // No header, no support, no timer.
        assert_eq!(negotiate_uas(&Headers::new(), Some(&CFG), now).unwrap(), None);
        // Supported without a request: our policy applies, the UAC refreshes.
        let h = headers(&[(HeaderName::Supported, "100rel, timer")]);
        let st = negotiate_uas(&h, Some(&CFG), now).unwrap().unwrap();
        assert_eq!(st.session_expires_header, "1800;refresher=uac");
    }

    #[test]
    fn rfc4028_uac_side_follows_the_answer() {
        let now = Instant::now();
        let h = headers(&[(HeaderName::SessionExpires, "900;refresher=uas")]);
        let t = negotiate_uac(&h, &CFG, now);
        assert_eq!((t.interval, t.refresher), (Duration::from_secs(900), Refresher::Remote));
        let t = negotiate_uac(&Headers::new(), &CFG, now);
        assert_eq!(t.refresher, Refresher::Local);
        assert_eq!(t.deadline(), now + Duration::from_secs(900));
    }
}
