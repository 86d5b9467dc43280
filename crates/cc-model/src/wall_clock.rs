//! UTC civil time from and to Unix milliseconds, without a date library: RFC 3339
//! stamps for CTI events and the register, compact stamps for file names [SLA-9].
//!
//! Pure: a `SystemTime` is converted as a value, never read here.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC date and time of day, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

impl UtcDateTime {
    /// The civil time `ms` milliseconds after 1970-01-01T00:00:00Z (negative: before).
    pub fn from_unix_millis(ms: i64) -> UtcDateTime {
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        // `in_day` is below 86 400 000, so these all fit in u32.
        let in_day = u32::try_from(in_day).unwrap_or(0);
        UtcDateTime {
            year,
            month,
            day,
            hour: in_day / 3_600_000,
            minute: in_day / 60_000 % 60,
            second: in_day / 1000 % 60,
            millis: in_day % 1000,
        }
    }

    /// The civil time of a `SystemTime` value.
    pub fn from_system_time(t: SystemTime) -> UtcDateTime {
        let ms = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m),
        };
        UtcDateTime::from_unix_millis(ms)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn unix_millis(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400_000
            + i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millis)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339).
    pub fn rfc3339_millis(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }

    /// `YYYYMMDDTHHMMSSZ`, for file names.
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_instants() {
        assert_eq!(UtcDateTime::from_unix_millis(0).rfc3339_millis(), "1970-01-01T00:00:00.000Z");
        let t = UtcDateTime::from_unix_millis(1_795_560_227_211);
        assert_eq!(t.rfc3339_millis(), "2026-11-24T22:43:47.211Z");
        assert_eq!(t.compact(), "20261124T224347Z");
        assert_eq!(UtcDateTime::from_unix_millis(951_782_400_000).rfc3339_millis(), "2000-02-29T00:00:00.000Z");
        assert_eq!(UtcDateTime::from_unix_millis(-1).rfc3339_millis(), "1969-12-31T23:59:59.999Z");
        let st = UNIX_EPOCH + Duration::from_millis(1_795_560_227_211);
        assert_eq!(UtcDateTime::from_system_time(st), t);
    }

    #[test]
    fn civil_days_round_trip_across_four_centuries() {
        for days in (-200_000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
    }

    #[test]
    fn unix_millis_round_trips() {
        for ms in [0, 1, 86_399_999, 1_795_560_227_211, -5_000, 253_402_300_799_999] {
            assert_eq!(UtcDateTime::from_unix_millis(ms).unix_millis(), ms);
        }
    }
}
