//! Italian national holidays computed for any year (Easter by the anonymous Gregorian
//! algorithm), configurable local holidays (patron saints) and one-off closures, which
//! close a service for the whole local day [IVR-7].

use crate::civil::LocalDate;

/// Why a whole local day is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOff {
    pub kind: DayOffKind,
    pub name: String,
}

/// The origin of a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOffKind {
    /// An Italian national holiday.
    National,
    /// A configured recurring local holiday (patron saint).
    Local,
    /// A configured one-off closure.
    Closure,
}

/// A holiday repeating every year on the same month and day (for 29 February: leap
/// years only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHoliday {
    pub month: u32,
    pub day: u32,
    pub name: String,
}

/// A one-off closure covering the local dates `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub first: LocalDate,
    pub last: LocalDate,
    pub name: String,
}

/// The days off of one service: national holidays plus its local holidays and closures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    pub local: Vec<LocalHoliday>,
    pub closures: Vec<Closure>,
}

/// Easter Sunday of `year` (Gregorian calendar; anonymous Gregorian / Meeus–Jones–Butcher
/// algorithm).
pub fn easter_sunday(year: i64) -> LocalDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    // `month` is 3 or 4 and `day` within 1..=31 by construction of the algorithm.
    LocalDate {
        year,
        month: u32::try_from(month).unwrap_or(4),
        day: u32::try_from(day).unwrap_or(1),
    }
}

/// The Italian national holiday on `date`, by its Italian name.
pub fn national_holiday(date: LocalDate) -> Option<&'static str> {
    let fixed = match (date.month, date.day) {
        (1, 1) => Some("Capodanno"),
        (1, 6) => Some("Epifania"),
        (4, 25) => Some("Festa della Liberazione"),
        (5, 1) => Some("Festa del Lavoro"),
        (6, 2) => Some("Festa della Repubblica"),
        (8, 15) => Some("Ferragosto"),
        (11, 1) => Some("Ognissanti"),
        (12, 8) => Some("Immacolata Concezione"),
        (12, 25) => Some("Natale"),
        (12, 26) => Some("Santo Stefano"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if !(3..=4).contains(&date.month) {
        return None;
    }
    let easter = easter_sunday(date.year).days();
    match date.days() - easter {
        0 => Some("Pasqua"),
        1 => Some("Lunedì dell'Angelo"),
        _ => None,
    }
}

impl Holidays {
    /// The day off on `date`, if any: national holidays first, then local holidays, then
    /// closures (the first matching entry in configuration order).
    pub fn day_off(&self, date: LocalDate) -> Option<DayOff> {
        if let Some(name) = national_holiday(date) {
            return Some(DayOff {
                kind: DayOffKind::National,
                name: name.to_owned(),
            });
        }
        if let Some(h) = self
            .local
            .iter()
            .find(|h| h.month == date.month && h.day == date.day)
        {
            return Some(DayOff {
                kind: DayOffKind::Local,
                name: h.name.clone(),
            });
        }
        self.closures
            .iter()
            .find(|c| c.first <= date && date <= c.last)
            .map(|c| DayOff {
                kind: DayOffKind::Closure,
                name: c.name.clone(),
            })
    }

    /// Whether `date` is a day off, without building its name.
    pub fn is_day_off(&self, date: LocalDate) -> bool {
        national_holiday(date).is_some()
            || self
                .local
                .iter()
                .any(|h| h.month == date.month && h.day == date.day)
            || self
                .closures
                .iter()
                .any(|c| c.first <= date && date <= c.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::Weekday;

    fn date(y: i64, m: u32, d: u32) -> LocalDate {
        LocalDate {
            year: y,
            month: m,
            day: d,
        }
    }

    #[test]
    fn easter_known_dates() {
        // [IVR-7] Easter and Easter Monday are national holidays.
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25));
        assert_eq!(easter_sunday(2000), date(2000, 4, 23));
        assert_eq!(easter_sunday(2285), date(2285, 3, 22));
        assert_eq!(easter_sunday(1943), date(1943, 4, 25));
    }

    #[test]
    fn easter_is_a_sunday_between_22_march_and_25_april() {
        for year in 1583..3000 {
            let e = easter_sunday(year);
            assert_eq!(e.weekday(), Weekday::Sun, "{year}");
            assert!(e >= date(year, 3, 22) && e <= date(year, 4, 25), "{year}");
        }
    }

    #[test]
    fn easter_monday_can_fall_in_april_after_a_march_easter() {
        // 2024: Easter 31 March, Easter Monday 1 April.
        assert_eq!(national_holiday(date(2024, 3, 31)), Some("Pasqua"));
        assert_eq!(
            national_holiday(date(2024, 4, 1)),
            Some("Lunedì dell'Angelo")
        );
        assert_eq!(
            national_holiday(date(2026, 4, 6)),
            Some("Lunedì dell'Angelo")
        );
        assert_eq!(national_holiday(date(2026, 4, 7)), None);
    }

    #[test]
    fn the_twelve_national_holidays_of_2026() {
        let mut found = Vec::new();
        for days in date(2026, 1, 1).days()..=date(2026, 12, 31).days() {
            let d = LocalDate::from_days(days);
            if national_holiday(d).is_some() {
                found.push((d.month, d.day));
            }
        }
        let expected = vec![
            (1, 1),
            (1, 6),
            (4, 5),
            (4, 6),
            (4, 25),
            (5, 1),
            (6, 2),
            (8, 15),
            (11, 1),
            (12, 8),
            (12, 25),
            (12, 26),
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn easter_2038_coincides_with_liberation_day() {
        // 25 April 2038 is both Easter and Liberation Day; it is one day off either way.
        assert!(national_holiday(date(2038, 4, 25)).is_some());
        assert_eq!(
            national_holiday(date(2038, 4, 26)),
            Some("Lunedì dell'Angelo")
        );
    }

    #[test]
    fn local_holidays_and_closures() {
        let h = Holidays {
            local: vec![
                LocalHoliday {
                    month: 5,
                    day: 19,
                    name: "San Pietro Celestino".into(),
                },
                LocalHoliday {
                    month: 2,
                    day: 29,
                    name: "Giorno bisestile".into(),
                },
            ],
            closures: vec![Closure {
                first: date(2026, 8, 10),
                last: date(2026, 8, 14),
                name: "Chiusura estiva".into(),
            }],
        };
        assert_eq!(
            h.day_off(date(2027, 5, 19)).map(|d| d.kind),
            Some(DayOffKind::Local)
        );
        assert_eq!(
            h.day_off(date(2028, 2, 29)).map(|d| d.name),
            Some("Giorno bisestile".into())
        );
        assert_eq!(
            h.day_off(date(2026, 8, 10)).map(|d| d.kind),
            Some(DayOffKind::Closure)
        );
        assert_eq!(
            h.day_off(date(2026, 8, 14)).map(|d| d.name),
            Some("Chiusura estiva".into())
        );
        assert_eq!(
            h.day_off(date(2026, 8, 15)).map(|d| d.kind),
            Some(DayOffKind::National)
        );
        assert_eq!(h.day_off(date(2026, 8, 9)), None);
        assert_eq!(h.day_off(date(2027, 8, 10)), None);
        for days in date(2026, 1, 1).days()..date(2029, 1, 1).days() {
            let d = LocalDate::from_days(days);
            assert_eq!(h.is_day_off(d), h.day_off(d).is_some());
        }
    }
}
