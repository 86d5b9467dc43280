//! The serde-free configuration of one service's calendar (plain string fields the shell
//! deserialises) and the errors found while reading it [IVR-7].

use crate::calendar::Calendar;
use crate::civil::LocalDate;
use crate::holidays::{Closure, Holidays, LocalHoliday};
use crate::schedule::WeeklySchedule;

/// The longest accepted drain window after a closing, in minutes (one day).
pub const MAX_DRAIN_MINUTES: u32 = 24 * 60;

/// One service's calendar as written in a configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarConfig {
    /// Opening hours lines in local time, e.g. `Mon-Fri 08:00-13:00,14:00-19:00`; lines add up.
    pub hours: Vec<String>,
    /// Minutes after each closing during which queued callers are still served [IVR-7].
    pub drain_minutes: u32,
    /// Recurring local holidays (patron saints).
    pub local_holidays: Vec<LocalHolidayConfig>,
    /// One-off closures.
    pub closures: Vec<ClosureConfig>,
}

/// A recurring local holiday: `date` is `MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalHolidayConfig {
    pub date: String,
    pub name: String,
}

/// A one-off closure from `first` to `last` included, both `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosureConfig {
    pub first: String,
    pub last: String,
    pub name: String,
}

/// What is wrong in a calendar configuration; every variant quotes the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("bad opening hours line {text:?}: {reason}")]
    BadHours { text: String, reason: &'static str },
    #[error("bad weekdays {text:?}: {reason}")]
    BadDays { text: String, reason: &'static str },
    #[error("bad interval {text:?}: {reason}")]
    BadInterval { text: String, reason: &'static str },
    #[error("bad time {text:?}: {reason}")]
    BadTime { text: String, reason: &'static str },
    #[error("bad date {text:?}: {reason}")]
    BadDate { text: String, reason: &'static str },
    #[error("bad local holiday {text:?}: {reason}")]
    BadLocalHoliday { text: String, reason: &'static str },
    #[error("bad closure {name:?}: {reason}")]
    BadClosure { name: String, reason: &'static str },
    #[error("drain of {minutes} minutes is longer than the maximum of {MAX_DRAIN_MINUTES}")]
    DrainTooLong { minutes: u32 },
}

impl CalendarConfig {
    /// Validates the configuration and builds the calendar (override `Auto`).
    pub fn build(&self) -> Result<Calendar, CalendarError> {
        let schedule = WeeklySchedule::parse(&self.hours)?;
        let mut holidays = Holidays::default();
        for h in &self.local_holidays {
            holidays.local.push(parse_local_holiday(h)?);
        }
        for c in &self.closures {
            let first = LocalDate::parse(&c.first)?;
            let last = LocalDate::parse(&c.last)?;
            if last < first {
                return Err(CalendarError::BadClosure {
                    name: c.name.clone(),
                    reason: "the last day is before the first",
                });
            }
            holidays.closures.push(Closure {
                first,
                last,
                name: c.name.clone(),
            });
        }
        if self.drain_minutes > MAX_DRAIN_MINUTES {
            return Err(CalendarError::DrainTooLong {
                minutes: self.drain_minutes,
            });
        }
        Ok(Calendar::new(
            schedule,
            holidays,
            i64::from(self.drain_minutes) * 60,
        ))
    }
}

/// Parses `MM-DD` against a leap year so that 29 February is accepted.
fn parse_local_holiday(h: &LocalHolidayConfig) -> Result<LocalHoliday, CalendarError> {
    let bad = |reason: &'static str| CalendarError::BadLocalHoliday {
        text: h.date.clone(),
        reason,
    };
    let text = h.date.trim();
    if text.len() != 5 {
        return Err(bad("expected MM-DD"));
    }
    let date = LocalDate::parse(&format!("2000-{text}"))
        .map_err(|_| bad("expected MM-DD naming a real day"))?;
    Ok(LocalHoliday {
        month: date.month,
        day: date.day,
        name: h.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> CalendarConfig {
        CalendarConfig {
            hours: vec!["Mon-Fri 09:00-17:00".into()],
            drain_minutes: 15,
            local_holidays: vec![LocalHolidayConfig {
                date: "05-19".into(),
                name: "San Pietro Celestino".into(),
            }],
            closures: vec![ClosureConfig {
                first: "2026-08-10".into(),
                last: "2026-08-14".into(),
                name: "Estate".into(),
            }],
        }
    }

    #[test]
    fn a_valid_config_builds() {
        let cal = base().build();
        assert!(cal.is_ok(), "{cal:?}");
        if let Ok(cal) = cal {
            assert_eq!(cal.drain_seconds(), 900);
            assert_eq!(
                cal.weekly_hours().describe(),
                vec!["Mon-Fri 09:00-17:00".to_owned()]
            );
            assert_eq!(cal.holidays().local.len(), 1);
        }
    }

    #[test]
    fn each_error_names_its_cause() {
        let mut c = base();
        c.local_holidays[0].date = "02-30".into();
        assert!(
            matches!(c.build(), Err(CalendarError::BadLocalHoliday { text, .. }) if text == "02-30")
        );
        let mut c = base();
        c.local_holidays[0].date = "2-3".into();
        assert!(matches!(
            c.build(),
            Err(CalendarError::BadLocalHoliday { .. })
        ));
        let mut c = base();
        c.local_holidays[0].date = "02-29".into();
        assert!(c.build().is_ok());
        let mut c = base();
        c.closures[0].last = "2026-08-01".into();
        assert!(
            matches!(c.build(), Err(CalendarError::BadClosure { name, .. }) if name == "Estate")
        );
        let mut c = base();
        c.closures[0].first = "2026-8-1".into();
        assert!(
            matches!(c.build(), Err(CalendarError::BadDate { text, .. }) if text == "2026-8-1")
        );
        let mut c = base();
        c.drain_minutes = MAX_DRAIN_MINUTES + 1;
        assert!(matches!(
            c.build(),
            Err(CalendarError::DrainTooLong { minutes: 1441 })
        ));
        let mut c = base();
        c.hours.push("Sat 08:00-14:00,15:00".into());
        assert!(
            matches!(c.build(), Err(CalendarError::BadInterval { text, .. }) if text == "15:00")
        );
    }
}
