//! Europe/Rome civil time without a tz database: CET (UTC+1) and CEST (UTC+2) by the EU
//! rule, applied to every year, for the service hours of [IVR-7] and deadlines of [SLA-6].
//!
//! Summer time runs from the last Sunday of March 01:00 UTC to the last Sunday of October
//! 01:00 UTC. Local times that do not exist (the spring gap, 02:00–03:00) resolve to the
//! end of the gap (03:00 CEST, the transition instant); ambiguous local times (the autumn
//! 02:00–03:00, seen twice) resolve to the first occurrence (CEST). Both rules keep the
//! local→UTC mapping non-decreasing, so an opening interval never turns negative.

use crate::UnixSeconds;
use crate::civil::{LocalDate, LocalDateTime};

/// UTC offset of CET, in seconds.
pub const CET: i64 = 3600;
/// UTC offset of CEST, in seconds.
pub const CEST: i64 = 7200;

/// How a local date-time maps to instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalResult {
    /// Exactly one instant.
    Single(UnixSeconds),
    /// Twice, in autumn: first during CEST, then during CET.
    Ambiguous {
        first: UnixSeconds,
        second: UnixSeconds,
    },
    /// Never, in spring; `gap_end` is the transition instant (03:00 CEST).
    Gap { gap_end: UnixSeconds },
}

impl LocalResult {
    /// The documented resolution: the instant itself, the first occurrence, or the end
    /// of the gap.
    pub fn resolve(self) -> UnixSeconds {
        match self {
            LocalResult::Single(t) => t,
            LocalResult::Ambiguous { first, .. } => first,
            LocalResult::Gap { gap_end } => gap_end,
        }
    }
}

/// Start of summer time in `year`: last Sunday of March, 01:00 UTC.
pub fn dst_start(year: i64) -> UnixSeconds {
    last_sunday(year, 3).days() * 86_400 + 3600
}

/// End of summer time in `year`: last Sunday of October, 01:00 UTC.
pub fn dst_end(year: i64) -> UnixSeconds {
    last_sunday(year, 10).days() * 86_400 + 3600
}

/// The UTC offset of Europe/Rome at `t`, in seconds: [`CET`] or [`CEST`].
pub fn offset_at(t: UnixSeconds) -> i64 {
    let t = crate::clamp(t);
    let year = LocalDate::from_days(t.div_euclid(86_400)).year;
    if (dst_start(year)..dst_end(year)).contains(&t) {
        CEST
    } else {
        CET
    }
}

/// The Europe/Rome wall-clock date and time at `t`.
pub fn to_local(t: UnixSeconds) -> LocalDateTime {
    let t = crate::clamp(t);
    let local = t + offset_at(t);
    LocalDateTime::from_date_and_seconds(
        LocalDate::from_days(local.div_euclid(86_400)),
        local.rem_euclid(86_400),
    )
}

/// The Europe/Rome local date at `t`.
pub fn local_date(t: UnixSeconds) -> LocalDate {
    to_local(t).date
}

/// How the local `date` at `second_of_day` (may be `86_400` for the end of the day, or
/// any value: it is added to local midnight) maps to instants.
pub fn lookup(date: LocalDate, second_of_day: i64) -> LocalResult {
    let wall = crate::clamp(
        date.days()
            .saturating_mul(86_400)
            .saturating_add(second_of_day),
    );
    let summer = wall - CEST;
    let winter = wall - CET;
    let summer_ok = offset_at(summer) == CEST;
    let winter_ok = offset_at(winter) == CET;
    match (summer_ok, winter_ok) {
        (true, true) => LocalResult::Ambiguous {
            first: summer,
            second: winter,
        },
        (true, false) => LocalResult::Single(summer),
        (false, true) => LocalResult::Single(winter),
        // In the gap both guesses land on the wrong side of the spring transition;
        // the transition itself is `winter` rounded down to the start of summer time.
        (false, false) => LocalResult::Gap {
            gap_end: dst_start(LocalDate::from_days(winter.div_euclid(86_400)).year),
        },
    }
}

/// The instant of a Europe/Rome wall-clock date-time, resolved as [`LocalResult::resolve`].
pub fn to_utc(local: &LocalDateTime) -> UnixSeconds {
    lookup(local.date, local.second_of_day()).resolve()
}

/// The last Sunday of `month` (March or October here) in `year`.
fn last_sunday(year: i64, month: u32) -> LocalDate {
    // Both months have 31 days.
    let last = LocalDate {
        year,
        month,
        day: 31,
    };
    // Days back from the 31st to its Sunday: weekday index (Monday 0) minus Sunday's 6, mod 7.
    let back = (last.days() + 3).rem_euclid(7) - 6;
    LocalDate::from_days(last.days() - back.rem_euclid(7))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> UnixSeconds {
        LocalDate {
            year: y,
            month: mo,
            day: d,
        }
        .days()
            * 86_400
            + h * 3600
            + mi * 60
    }

    fn date(y: i64, m: u32, d: u32) -> LocalDate {
        LocalDate {
            year: y,
            month: m,
            day: d,
        }
    }

    #[test]
    fn dst_2026_is_29_march_and_25_october() {
        // [IVR-7] Europe/Rome: the 2026 changes.
        assert_eq!(dst_start(2026), utc(2026, 3, 29, 1, 0));
        assert_eq!(dst_end(2026), utc(2026, 10, 25, 1, 0));
        assert_eq!(dst_start(2024), utc(2024, 3, 31, 1, 0));
        assert_eq!(dst_end(2024), utc(2024, 10, 27, 1, 0));
        assert_eq!(dst_start(2027), utc(2027, 3, 28, 1, 0));
        assert_eq!(dst_end(2027), utc(2027, 10, 31, 1, 0));
    }

    #[test]
    fn offsets_around_the_changes() {
        let s = dst_start(2026);
        assert_eq!(offset_at(s - 1), CET);
        assert_eq!(offset_at(s), CEST);
        let e = dst_end(2026);
        assert_eq!(offset_at(e - 1), CEST);
        assert_eq!(offset_at(e), CET);
        assert_eq!(offset_at(utc(2026, 1, 1, 0, 0)), CET);
        assert_eq!(offset_at(utc(2026, 7, 1, 0, 0)), CEST);
    }

    #[test]
    fn local_time_at_the_changes() {
        let l = to_local(dst_start(2026));
        assert_eq!((l.date, l.hour, l.minute), (date(2026, 3, 29), 3, 0));
        let l = to_local(dst_start(2026) - 1);
        assert_eq!((l.hour, l.minute, l.second), (1, 59, 59));
        let l = to_local(dst_end(2026));
        assert_eq!((l.date, l.hour), (date(2026, 10, 25), 2));
        let l = to_local(dst_end(2026) - 1);
        assert_eq!((l.hour, l.minute, l.second), (2, 59, 59));
    }

    #[test]
    fn spring_gap_resolves_to_the_end_of_the_gap() {
        // 02:30 on 29 March 2026 does not exist in Rome.
        let r = lookup(date(2026, 3, 29), 2 * 3600 + 1800);
        assert_eq!(
            r,
            LocalResult::Gap {
                gap_end: dst_start(2026)
            }
        );
        assert_eq!(r.resolve(), utc(2026, 3, 29, 1, 0));
        assert_eq!(
            lookup(date(2026, 3, 29), 2 * 3600).resolve(),
            utc(2026, 3, 29, 1, 0)
        );
        assert_eq!(
            lookup(date(2026, 3, 29), 3 * 3600),
            LocalResult::Single(utc(2026, 3, 29, 1, 0))
        );
        assert_eq!(
            lookup(date(2026, 3, 29), 3600 + 3599),
            LocalResult::Single(utc(2026, 3, 29, 0, 59) + 59)
        );
    }

    #[test]
    fn autumn_overlap_resolves_to_the_first_occurrence() {
        // 02:30 on 25 October 2026 happens twice in Rome.
        let r = lookup(date(2026, 10, 25), 2 * 3600 + 1800);
        assert_eq!(
            r,
            LocalResult::Ambiguous {
                first: utc(2026, 10, 25, 0, 30),
                second: utc(2026, 10, 25, 1, 30)
            }
        );
        assert_eq!(r.resolve(), utc(2026, 10, 25, 0, 30));
        assert_eq!(
            lookup(date(2026, 10, 25), 3 * 3600),
            LocalResult::Single(utc(2026, 10, 25, 2, 0))
        );
        assert_eq!(
            lookup(date(2026, 10, 25), 3600 + 3599),
            LocalResult::Single(utc(2026, 10, 24, 23, 59) + 59)
        );
    }

    #[test]
    fn friday_17_local_before_and_after_the_changes() {
        // [IVR-7] Friday closing time maps to the right UTC instant on both sides.
        assert_eq!(
            lookup(date(2026, 3, 27), 17 * 3600).resolve(),
            utc(2026, 3, 27, 16, 0)
        );
        assert_eq!(
            lookup(date(2026, 4, 3), 17 * 3600).resolve(),
            utc(2026, 4, 3, 15, 0)
        );
        assert_eq!(
            lookup(date(2026, 10, 23), 17 * 3600).resolve(),
            utc(2026, 10, 23, 15, 0)
        );
        assert_eq!(
            lookup(date(2026, 10, 30), 17 * 3600).resolve(),
            utc(2026, 10, 30, 16, 0)
        );
    }

    #[test]
    fn end_of_day_maps_to_next_midnight() {
        assert_eq!(
            lookup(date(2026, 12, 31), 86_400).resolve(),
            utc(2026, 12, 31, 23, 0)
        );
        assert_eq!(
            lookup(date(2026, 7, 31), 86_400).resolve(),
            utc(2026, 7, 31, 22, 0)
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for t in [i64::MIN, i64::MAX, 0, -1] {
            let o = offset_at(t);
            assert!(o == CET || o == CEST);
            let _ = to_local(t);
        }
        let _ = lookup(date(i64::MAX / 1_000_000, 1, 1), i64::MAX);
    }
}
