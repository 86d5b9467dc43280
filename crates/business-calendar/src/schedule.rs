//! Weekly opening hours of a service, several intervals per day, in local Europe/Rome
//! wall-clock time, parsed from lines like `Mon-Fri 08:00-13:00,14:00-19:00` [IVR-7] and
//! described back in the same form for the closed message [IVR-6].

use crate::civil::{LocalTime, Weekday};
use crate::config::CalendarError;

/// One opening interval of a day, `start` inclusive to `end` exclusive, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpeningInterval {
    pub start: LocalTime,
    pub end: LocalTime,
}

/// Opening intervals per weekday, each day sorted, merged and non-overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklySchedule {
    days: [Vec<OpeningInterval>; 7],
}

impl OpeningInterval {
    /// The interval, if `start` is before `end`.
    pub fn new(start: LocalTime, end: LocalTime) -> Option<OpeningInterval> {
        (start < end).then_some(OpeningInterval { start, end })
    }

    /// Parses `HH:MM-HH:MM`.
    pub fn parse(text: &str) -> Result<OpeningInterval, CalendarError> {
        let bad = |reason: &'static str| CalendarError::BadInterval {
            text: text.to_owned(),
            reason,
        };
        let Some((a, b)) = text.trim().split_once('-') else {
            return Err(bad("expected HH:MM-HH:MM"));
        };
        let start = LocalTime::parse(a).map_err(|_| bad("the start is not a time HH:MM"))?;
        let end =
            LocalTime::parse(b).map_err(|_| bad("the end is not a time HH:MM (24:00 allowed)"))?;
        if start == end {
            return Err(bad("the interval is empty"));
        }
        OpeningInterval::new(start, end)
            .ok_or_else(|| bad("the end is before the start; split an overnight interval at 24:00"))
    }
}

impl WeeklySchedule {
    /// A schedule open nowhere.
    pub fn new() -> WeeklySchedule {
        WeeklySchedule::default()
    }

    /// Adds an interval to `day`, merging it with overlapping or touching ones.
    pub fn add(&mut self, day: Weekday, interval: OpeningInterval) {
        let list = &mut self.days[day.index()];
        list.push(interval);
        list.sort();
        let mut merged: Vec<OpeningInterval> = Vec::with_capacity(list.len());
        for iv in list.drain(..) {
            match merged.last_mut() {
                Some(last) if iv.start <= last.end => last.end = last.end.max(iv.end),
                _ => merged.push(iv),
            }
        }
        *list = merged;
    }

    /// Parses and adds one line: days then intervals, e.g. `Mon-Fri 08:00-13:00,14:00-19:00`,
    /// `Sat 08:00-14:00`, `Mon,Wed 09:00-12:00 15:00-18:00`. Lines add up.
    pub fn add_line(&mut self, line: &str) -> Result<(), CalendarError> {
        let text = line.trim();
        let Some((days_text, rest)) = text.split_once(char::is_whitespace) else {
            return Err(CalendarError::BadHours {
                text: line.to_owned(),
                reason: "expected days then intervals",
            });
        };
        let days = parse_days(days_text)?;
        let mut intervals = Vec::new();
        for part in rest
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            intervals.push(OpeningInterval::parse(part)?);
        }
        if intervals.is_empty() {
            return Err(CalendarError::BadHours {
                text: line.to_owned(),
                reason: "no opening interval after the days",
            });
        }
        for day in days {
            for iv in &intervals {
                self.add(day, *iv);
            }
        }
        Ok(())
    }

    /// Parses a whole schedule from lines (see [`WeeklySchedule::add_line`]).
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Result<WeeklySchedule, CalendarError> {
        let mut s = WeeklySchedule::new();
        for line in lines {
            s.add_line(line.as_ref())?;
        }
        Ok(s)
    }

    /// The intervals of `day`, sorted.
    pub fn intervals(&self, day: Weekday) -> &[OpeningInterval] {
        &self.days[day.index()]
    }

    /// Whether no day has an interval.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Runs of consecutive weekdays with the same intervals, Monday first, closed days
    /// left out: what the IVR says when closed [IVR-6].
    pub fn groups(&self) -> Vec<(Weekday, Weekday, Vec<OpeningInterval>)> {
        let mut out: Vec<(Weekday, Weekday, Vec<OpeningInterval>)> = Vec::new();
        for day in Weekday::ALL {
            let ivs = self.intervals(day);
            if ivs.is_empty() {
                continue;
            }
            match out.last_mut() {
                Some((_, last, prev))
                    if prev.as_slice() == ivs && last.index() + 1 == day.index() =>
                {
                    *last = day
                }
                _ => out.push((day, day, ivs.to_vec())),
            }
        }
        out
    }

    /// The schedule as parseable lines, e.g. `["Mon-Fri 08:00-13:00,14:00-19:00"]`.
    pub fn describe(&self) -> Vec<String> {
        self.groups()
            .into_iter()
            .map(|(first, last, ivs)| {
                let days = if first == last {
                    first.to_string()
                } else {
                    format!("{first}-{last}")
                };
                let ivs: Vec<String> = ivs
                    .iter()
                    .map(|iv| format!("{}-{}", iv.start, iv.end))
                    .collect();
                format!("{days} {}", ivs.join(","))
            })
            .collect()
    }
}

/// Parses `Mon-Fri`, `Sat`, `Mon,Wed,Fri`, `Mon-Wed,Sat` into weekdays.
fn parse_days(text: &str) -> Result<Vec<Weekday>, CalendarError> {
    let bad = |reason: &'static str| CalendarError::BadDays {
        text: text.to_owned(),
        reason,
    };
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let a = Weekday::parse(a)
                    .ok_or_else(|| bad("unknown weekday at the start of a range"))?;
                let b = Weekday::parse(b)
                    .ok_or_else(|| bad("unknown weekday at the end of a range"))?;
                if b < a {
                    return Err(bad("a day range must run forward from Monday to Sunday"));
                }
                out.extend(Weekday::ALL.iter().copied().filter(|d| *d >= a && *d <= b));
            }
            None => out.push(Weekday::parse(part).ok_or_else(|| bad("unknown weekday"))?),
        }
    }
    if out.is_empty() {
        return Err(bad("no weekday"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> LocalTime {
        LocalTime { hour: h, minute: m }
    }

    #[test]
    fn parses_the_molise_and_vus_com_hours() {
        // [IVR-7] Molise Mon–Fri 08:00–19:00 (with a lunch split here), Sat 08:00–14:00.
        let s = WeeklySchedule::parse(&["Mon-Fri 08:00-13:00,14:00-19:00", "Sat 08:00-14:00"])
            .unwrap_or_default();
        assert_eq!(
            s.intervals(Weekday::Wed),
            &[
                OpeningInterval {
                    start: t(8, 0),
                    end: t(13, 0)
                },
                OpeningInterval {
                    start: t(14, 0),
                    end: t(19, 0)
                }
            ]
        );
        assert_eq!(
            s.intervals(Weekday::Sat),
            &[OpeningInterval {
                start: t(8, 0),
                end: t(14, 0)
            }]
        );
        assert!(s.intervals(Weekday::Sun).is_empty());
        assert_eq!(
            s.describe(),
            vec![
                "Mon-Fri 08:00-13:00,14:00-19:00".to_owned(),
                "Sat 08:00-14:00".to_owned()
            ]
        );
        let again = WeeklySchedule::parse(&s.describe()).unwrap_or_default();
        assert_eq!(again, s);
    }

    #[test]
    fn overlapping_lines_merge() {
        let s = WeeklySchedule::parse(&[
            "Mon 09:00-12:00",
            "Mon 11:00-13:00 13:00-14:00",
            "lun,mer 16:00-24:00",
        ])
        .unwrap_or_default();
        assert_eq!(
            s.intervals(Weekday::Mon),
            &[
                OpeningInterval {
                    start: t(9, 0),
                    end: t(14, 0)
                },
                OpeningInterval {
                    start: t(16, 0),
                    end: LocalTime::END_OF_DAY
                }
            ]
        );
        assert_eq!(
            s.describe(),
            vec![
                "Mon 09:00-14:00,16:00-24:00".to_owned(),
                "Wed 16:00-24:00".to_owned()
            ]
        );
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = |l: &str| WeeklySchedule::parse(&[l]).err();
        assert!(
            matches!(err("Mon-Fri 09:00-08:00"), Some(CalendarError::BadInterval { text, .. }) if text == "09:00-08:00")
        );
        assert!(
            matches!(err("Mon-Fri 22:00-02:00"), Some(CalendarError::BadInterval { reason, .. }) if reason.contains("overnight"))
        );
        assert!(matches!(
            err("Mon-Fri 09:00-09:00"),
            Some(CalendarError::BadInterval {
                reason: "the interval is empty",
                ..
            })
        ));
        assert!(matches!(
            err("Mon-Fri 9-17"),
            Some(CalendarError::BadInterval { .. })
        ));
        assert!(matches!(
            err("Mon-Fri 09:00-25:00"),
            Some(CalendarError::BadInterval { .. })
        ));
        assert!(
            matches!(err("Fri-Mon 09:00-17:00"), Some(CalendarError::BadDays { text, .. }) if text == "Fri-Mon")
        );
        assert!(matches!(
            err("Moo 09:00-17:00"),
            Some(CalendarError::BadDays { .. })
        ));
        assert!(matches!(
            err("Mon-Fri"),
            Some(CalendarError::BadHours { .. })
        ));
        assert!(matches!(
            err("Mon-Fri ,"),
            Some(CalendarError::BadHours { .. })
        ));
        assert!(matches!(err(""), Some(CalendarError::BadHours { .. })));
        let e = err("Mon-Fri 09:00-08:00")
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("09:00-08:00") && e.contains("before the start"),
            "{e}"
        );
    }
}
