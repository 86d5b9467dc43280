//! Civil (wall-clock) values: dates, times of day, weekdays, and their text forms, used by
//! the opening-hours schedule of a service [IVR-7] and the closed message [IVR-6].

use std::fmt;

use cc_model::wall_clock::{civil_from_days, days_from_civil};

use crate::config::CalendarError;

/// A proleptic Gregorian calendar date, without a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

/// A wall-clock time of day to the minute; `24:00` is allowed and means the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    pub hour: u32,
    pub minute: u32,
}

/// A wall-clock date and time to the second, without a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime {
    pub date: LocalDate,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// A day of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl LocalDate {
    /// The date, if `month` and `day` name a real day of `year`.
    pub fn new(year: i64, month: u32, day: u32) -> Option<LocalDate> {
        if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
            Some(LocalDate { year, month, day })
        } else {
            None
        }
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> LocalDate {
        let (year, month, day) = civil_from_days(days);
        LocalDate { year, month, day }
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The day of the week.
    pub fn weekday(&self) -> Weekday {
        Weekday::from_days(self.days())
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<LocalDate, CalendarError> {
        let bad = |reason: &'static str| CalendarError::BadDate {
            text: text.to_owned(),
            reason,
        };
        let mut parts = text.trim().split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected YYYY-MM-DD"));
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad("expected YYYY-MM-DD"));
        }
        let year = digits(y).ok_or_else(|| bad("the year is not a number"))?;
        let month = digits(m).ok_or_else(|| bad("the month is not a number"))?;
        let day = digits(d).ok_or_else(|| bad("the day is not a number"))?;
        LocalDate::new(i64::from(year), month, day)
            .ok_or_else(|| bad("no such day in the calendar"))
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl LocalTime {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: LocalTime = LocalTime { hour: 0, minute: 0 };
    /// The end of the day, `24:00`.
    pub const END_OF_DAY: LocalTime = LocalTime {
        hour: 24,
        minute: 0,
    };

    /// The time, if it lies in `00:00..=24:00`.
    pub fn new(hour: u32, minute: u32) -> Option<LocalTime> {
        if (hour < 24 && minute < 60) || (hour == 24 && minute == 0) {
            Some(LocalTime { hour, minute })
        } else {
            None
        }
    }

    /// Minutes since the start of the day (`0..=1440`).
    pub fn minutes(&self) -> u32 {
        self.hour * 60 + self.minute
    }

    /// The time `minutes` after midnight, if at most `24:00`.
    pub fn from_minutes(minutes: u32) -> Option<LocalTime> {
        LocalTime::new(minutes / 60, minutes % 60)
    }

    /// Parses `HH:MM` (also `H:MM`); `24:00` is accepted as the end of the day.
    pub fn parse(text: &str) -> Result<LocalTime, CalendarError> {
        let bad = |reason: &'static str| CalendarError::BadTime {
            text: text.to_owned(),
            reason,
        };
        let Some((h, m)) = text.trim().split_once(':') else {
            return Err(bad("expected HH:MM"));
        };
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad("expected HH:MM"));
        }
        let hour = digits(h).ok_or_else(|| bad("the hour is not a number"))?;
        let minute = digits(m).ok_or_else(|| bad("the minute is not a number"))?;
        LocalTime::new(hour, minute).ok_or_else(|| bad("out of range (00:00 to 24:00)"))
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl LocalDateTime {
    /// Seconds since the start of the local day.
    pub fn second_of_day(&self) -> i64 {
        i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }

    /// The date-time `second_of_day` seconds (`0..86_400`, wrapped) into `date`.
    pub fn from_date_and_seconds(date: LocalDate, second_of_day: i64) -> LocalDateTime {
        let s = second_of_day.rem_euclid(86_400);
        // `s` is below 86 400, so these fit in u32.
        let s = u32::try_from(s).unwrap_or(0);
        LocalDateTime {
            date,
            hour: s / 3600,
            minute: s / 60 % 60,
            second: s % 60,
        }
    }
}

impl Weekday {
    /// All weekdays, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The weekday of the day `days` after 1970-01-01 (a Thursday).
    pub fn from_days(days: i64) -> Weekday {
        let i = (days + 3).rem_euclid(7);
        Weekday::ALL[usize::try_from(i).unwrap_or(0)]
    }

    /// `0` for Monday up to `6` for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The English three-letter name (`Mon`).
    pub fn short_name(self) -> &'static str {
        match self {
            Weekday::Mon => "Mon",
            Weekday::Tue => "Tue",
            Weekday::Wed => "Wed",
            Weekday::Thu => "Thu",
            Weekday::Fri => "Fri",
            Weekday::Sat => "Sat",
            Weekday::Sun => "Sun",
        }
    }

    /// Parses an English (`Mon`, `Monday`) or Italian (`Lun`, `Lunedì`) name, any case.
    pub fn parse(text: &str) -> Option<Weekday> {
        let t = text.trim().to_lowercase();
        let w = match t.as_str() {
            "mon" | "monday" | "lun" | "lunedì" | "lunedi" => Weekday::Mon,
            "tue" | "tuesday" | "mar" | "martedì" | "martedi" => Weekday::Tue,
            "wed" | "wednesday" | "mer" | "mercoledì" | "mercoledi" => Weekday::Wed,
            "thu" | "thursday" | "gio" | "giovedì" | "giovedi" => Weekday::Thu,
            "fri" | "friday" | "ven" | "venerdì" | "venerdi" => Weekday::Fri,
            "sat" | "saturday" | "sab" | "sabato" => Weekday::Sat,
            "sun" | "sunday" | "dom" | "domenica" => Weekday::Sun,
            _ => return None,
        };
        Some(w)
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// Days in `month` of `year` (Gregorian leap rule); 0 for a month outside 1..=12.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// A short run of ASCII digits as a number; `None` for anything else.
fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_validate() {
        assert_eq!(
            LocalDate::parse("2024-02-29").map(|d| d.to_string()).ok(),
            Some("2024-02-29".into())
        );
        assert!(LocalDate::parse("2025-02-29").is_err());
        assert!(LocalDate::parse("2025-13-01").is_err());
        assert!(LocalDate::parse("2025-1-01").is_err());
        assert!(LocalDate::parse("2025/01/01").is_err());
        assert!(LocalDate::parse("").is_err());
        assert!(LocalDate::parse("2025-01-01-01").is_err());
        assert!(LocalDate::parse("+025-01-01").is_err());
    }

    #[test]
    fn times_parse_with_end_of_day() {
        assert_eq!(
            LocalTime::parse("09:00").ok(),
            Some(LocalTime { hour: 9, minute: 0 })
        );
        assert_eq!(
            LocalTime::parse("9:05").ok(),
            Some(LocalTime { hour: 9, minute: 5 })
        );
        assert_eq!(LocalTime::parse("24:00").ok(), Some(LocalTime::END_OF_DAY));
        for bad in [
            "24:01", "25:00", "12:60", "12", "12:5", "ab:cd", "", "-1:00", "123:00",
        ] {
            assert!(LocalTime::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(LocalTime::END_OF_DAY.minutes(), 1440);
        assert_eq!(
            LocalTime::from_minutes(14 * 60 + 30).map(|t| t.to_string()),
            Some("14:30".into())
        );
    }

    #[test]
    fn weekdays_from_known_dates() {
        assert_eq!(Weekday::from_days(0), Weekday::Thu);
        assert_eq!(
            LocalDate {
                year: 2026,
                month: 3,
                day: 29
            }
            .weekday(),
            Weekday::Sun
        );
        assert_eq!(
            LocalDate {
                year: 2024,
                month: 12,
                day: 25
            }
            .weekday(),
            Weekday::Wed
        );
        assert_eq!(
            LocalDate {
                year: 1969,
                month: 12,
                day: 29
            }
            .weekday(),
            Weekday::Mon
        );
        assert_eq!(Weekday::parse("venerdì"), Some(Weekday::Fri));
        assert_eq!(Weekday::parse("SAT"), Some(Weekday::Sat));
        assert_eq!(Weekday::parse("xyz"), None);
    }

    #[test]
    fn leap_years() {
        assert!(
            is_leap_year(2000) && is_leap_year(2024) && !is_leap_year(1900) && !is_leap_year(2100)
        );
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2024, 0), 0);
    }
}
