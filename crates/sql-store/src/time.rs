//! Wall-clock instants of the per-call register [SLA-9]: UTC epoch milliseconds, stored as
//! a 64-bit integer on both backends and rendered as RFC 3339 UTC text (RFC 3339 §5.6).
//!
//! The civil-date arithmetic (Howard Hinnant's `days_from_civil`/`civil_from_days`) lives in
//! `cc_model::wall_clock`, so the
//! crate needs no date library; time zones (Europe/Rome) belong to the reporting layer.

use cc_model::wall_clock::{civil_from_days, days_from_civil};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant in UTC, as milliseconds since 1970-01-01T00:00:00Z.
///
/// This is the storage encoding on SQLite (`INTEGER`) and PostgreSQL (`BIGINT`) alike, which
/// keeps comparisons, indexes and arithmetic identical on both backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(i64);

impl UnixMillis {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> UnixMillis {
        UnixMillis(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Converts a system time; times before the epoch are negative, and times beyond the
    /// `i64` range saturate.
    pub fn from_system_time(time: SystemTime) -> UnixMillis {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => UnixMillis(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => UnixMillis(
                i64::try_from(before.duration().as_millis())
                    .map(|m| -m)
                    .unwrap_or(i64::MIN),
            ),
        }
    }

    /// Reads the system clock. Shells only: callers that can should pass the instant in.
    pub fn now() -> UnixMillis {
        UnixMillis::from_system_time(SystemTime::now())
    }

    /// The instant of a UTC civil date and time, or `None` when a field is out of range.
    pub fn from_utc(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Option<UnixMillis> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60
            && (-1_000_000..=1_000_000).contains(&year);
        if !valid {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
        seconds.checked_mul(1000).map(UnixMillis)
    }

    /// Parses RFC 3339 date-time text (`2026-11-24T23:21:09Z`, optional fraction, `Z` or a
    /// `±hh:mm` offset); fractions beyond milliseconds are truncated.
    pub fn parse_rfc3339(text: &str) -> Option<UnixMillis> {
        let b = text.as_bytes();
        if b.len() < 20 || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let year = i64::from(digits(b, 0, 4)?);
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
            return None;
        }
        let base = UnixMillis::from_utc(
            year,
            digits(b, 5, 2)?,
            digits(b, 8, 2)?,
            digits(b, 11, 2)?,
            digits(b, 14, 2)?,
            digits(b, 17, 2)?,
        )?;
        let mut i = 19;
        let mut millis: i64 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                if i - start < 3 {
                    millis = millis * 10 + i64::from(c - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..3 {
                millis *= 10;
            }
        }
        let offset_minutes: i64 = match b.get(i) {
            Some(b'Z' | b'z') if b.len() == i + 1 => 0,
            Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
                let hours = i64::from(digits(b, i + 1, 2)?);
                let minutes = i64::from(digits(b, i + 4, 2)?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let total = hours * 60 + minutes;
                if *sign == b'-' { -total } else { total }
            }
            _ => return None,
        };
        base.0
            .checked_add(millis)?
            .checked_sub(offset_minutes * 60_000)
            .map(UnixMillis)
    }

    /// RFC 3339 UTC text with millisecond precision, e.g. `2026-11-24T23:21:09.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    /// The same wall-clock instant `years` calendar years earlier (29 February becomes
    /// 28 February); used for the retention floor [SEC-3].
    pub fn years_before(self, years: u32) -> UnixMillis {
        let (days, millis_of_day) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (y, m, d) = civil_from_days(days);
        let year = y - i64::from(years);
        let day = d.min(days_in_month(year, m));
        let shifted = days_from_civil(year, m, day);
        UnixMillis(
            shifted
                .saturating_mul(86_400_000)
                .saturating_add(millis_of_day),
        )
    }

    /// This instant moved by `delta` (saturating).
    pub fn saturating_add(self, delta: Duration) -> UnixMillis {
        let ms = i64::try_from(delta.as_millis()).unwrap_or(i64::MAX);
        UnixMillis(self.0.saturating_add(ms))
    }

    /// Whole seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn seconds_since(self, earlier: UnixMillis) -> i64 {
        self.0.saturating_sub(earlier.0) / 1000
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&cc_model::wall_clock::UtcDateTime::from_unix_millis(self.0).rfc3339_millis())
    }
}

impl serde::Serialize for UnixMillis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}



fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `len` ASCII digits of `b` starting at `at`, or `None`.
fn digits(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = b.get(at..at.checked_add(len)?)?;
    slice.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_instants_render_as_rfc3339_utc() {
        assert_eq!(
            UnixMillis::from_millis(0).to_rfc3339(),
            "1970-01-01T00:00:00.000Z"
        );
        let t = UnixMillis::from_utc(2026, 11, 24, 23, 21, 9).unwrap();
        assert_eq!(t.as_millis(), 1_795_562_469_000);
        assert_eq!(t.to_rfc3339(), "2026-11-24T23:21:09.000Z");
        assert_eq!(
            UnixMillis::from_millis(-1).to_rfc3339(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            UnixMillis::from_utc(2024, 2, 29, 12, 0, 0)
                .unwrap()
                .to_rfc3339(),
            "2024-02-29T12:00:00.000Z"
        );
    }

    #[test]
    fn invalid_civil_fields_are_rejected() {
        assert_eq!(UnixMillis::from_utc(2025, 2, 29, 0, 0, 0), None);
        assert_eq!(UnixMillis::from_utc(2025, 13, 1, 0, 0, 0), None);
        assert_eq!(UnixMillis::from_utc(2025, 1, 1, 24, 0, 0), None);
    }

    #[test]
    fn rfc3339_round_trips_and_honours_offsets() {
        for ms in [0, 1, 999, 1_796_080_869_123, -86_400_001, 4_102_444_800_000] {
            let t = UnixMillis::from_millis(ms);
            assert_eq!(UnixMillis::parse_rfc3339(&t.to_rfc3339()), Some(t));
        }
        let rome = UnixMillis::parse_rfc3339("2026-11-25T00:21:09+01:00").unwrap();
        assert_eq!(rome.to_rfc3339(), "2026-11-24T23:21:09.000Z");
        let frac = UnixMillis::parse_rfc3339("2026-11-24T23:21:09.5Z").unwrap();
        assert_eq!(frac.as_millis() % 1000, 500);
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24T23:21:09",
            "2026-11-24T23:21:09.Z",
            "2026-11-24T23:21:09Zx",
            "2026-1a-24T23:21:09Z",
        ] {
            assert_eq!(UnixMillis::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn sec3_years_before_is_calendar_aware() {
        let t = UnixMillis::from_utc(2026, 11, 24, 10, 0, 0).unwrap();
        assert_eq!(
            t.years_before(3),
            UnixMillis::from_utc(2023, 11, 24, 10, 0, 0).unwrap()
        );
        let leap = UnixMillis::from_utc(2028, 2, 29, 1, 2, 3).unwrap();
        assert_eq!(
            leap.years_before(3),
            UnixMillis::from_utc(2025, 2, 28, 1, 2, 3).unwrap()
        );
    }

    #[test]
    fn extreme_values_do_not_panic() {
        for ms in [i64::MIN, i64::MAX] {
            let t = UnixMillis::from_millis(ms);
            let _ = t.to_rfc3339();
            let _ = t.years_before(3);
            let _ = t.saturating_add(Duration::from_secs(u64::MAX));
            let _ = t.seconds_since(UnixMillis::from_millis(-ms.saturating_add(1)));
        }
    }
}
