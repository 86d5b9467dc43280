//! Service time as seen by the indicators: when the service is open with operators
//! [SLA-9 AS denominator, SLA-1 in/out of service time] and how much working time lies
//! between two instants [SLA-6]. The business calendar, which counts in Unix seconds,
//! plugs in through [`SecondsHours`] (so this core needs no dependency on it);
//! [`AlwaysOpen`] and [`WeeklyUtcHours`] are simple implementations for tests and tools.

/// Open-with-operators time of a service. Times are Unix milliseconds UTC.
pub trait ServiceHours {
    /// The open-with-operators intervals `[start, end)` between `from` and `to`,
    /// clipped to `[from, to)`, sorted and not overlapping.
    fn open_intervals(&self, from: i64, to: i64) -> Vec<(i64, i64)>;

    /// Working (open) milliseconds between `from` and `to`; 0 when `to <= from`.
    /// Used for the SLA.O take-in-charge and resolution windows [SLA-6].
    fn working_millis_between(&self, from: i64, to: i64) -> i64;
}

/// A service open around the clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlwaysOpen;

impl ServiceHours for AlwaysOpen {
    fn open_intervals(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        if to > from {
            vec![(from, to)]
        } else {
            Vec::new()
        }
    }

    fn working_millis_between(&self, from: i64, to: i64) -> i64 {
        crate::span(from, to)
    }
}

/// The same opening windows every week, in UTC (no holidays, no DST).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyUtcHours {
    /// `(weekday, start_minute, end_minute)`: weekday 0 = Monday … 6 = Sunday, minutes
    /// from 00:00 UTC of that day, `end_minute` up to 1440.
    pub windows: Vec<(u8, u32, u32)>,
}

/// At most this many days are scanned by [`WeeklyUtcHours`] (about 110 years), so absurd
/// ranges cost bounded time.
const MAX_DAYS_SCANNED: i64 = 40_000;

impl WeeklyUtcHours {
    /// Monday to Friday, `start_minute..end_minute` UTC.
    pub fn weekdays(start_minute: u32, end_minute: u32) -> WeeklyUtcHours {
        WeeklyUtcHours {
            windows: (0..5).map(|d| (d, start_minute, end_minute)).collect(),
        }
    }
}

impl ServiceHours for WeeklyUtcHours {
    fn open_intervals(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        if to <= from {
            return Vec::new();
        }
        let first_day = from.div_euclid(86_400_000);
        let last_day = to
            .div_euclid(86_400_000)
            .min(first_day.saturating_add(MAX_DAYS_SCANNED));
        let mut out = Vec::new();
        let mut day = first_day;
        while day <= last_day {
            // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
            let weekday = (day + 3).rem_euclid(7);
            let base = day.saturating_mul(86_400_000);
            for &(wd, start, end) in &self.windows {
                if i64::from(wd) != weekday {
                    continue;
                }
                let a = base
                    .saturating_add(i64::from(start.min(1440)) * 60_000)
                    .max(from);
                let b = base
                    .saturating_add(i64::from(end.min(1440)) * 60_000)
                    .min(to);
                if b > a {
                    out.push((a, b));
                }
            }
            day += 1;
        }
        crate::merge_intervals(out)
    }

    fn working_millis_between(&self, from: i64, to: i64) -> i64 {
        crate::total_millis(&self.open_intervals(from, to))
    }
}

/// Open time from a source that counts in whole Unix seconds, such as the business
/// calendar (`SecondsHours(|a, b| calendar.open_intervals(a, b))`) [SLA-9 AS
/// denominator, SLA-6].
///
/// The wrapped function receives `[from, to)` widened to whole seconds (`from` rounded
/// down, `to` rounded up) and returns sorted open intervals in seconds; they are turned
/// into milliseconds and clipped back to the millisecond bounds asked for.
#[derive(Debug, Clone, Copy)]
pub struct SecondsHours<F>(pub F);

impl<F: Fn(i64, i64) -> Vec<(i64, i64)>> ServiceHours for SecondsHours<F> {
    fn open_intervals(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        if to <= from {
            return Vec::new();
        }
        let from_s = from.div_euclid(1000);
        let to_s = to
            .div_euclid(1000)
            .saturating_add(i64::from(to.rem_euclid(1000) != 0));
        let v = (self.0)(from_s, to_s)
            .into_iter()
            .map(|(a, b)| {
                (
                    a.saturating_mul(1000).max(from),
                    b.saturating_mul(1000).min(to),
                )
            })
            .collect();
        crate::merge_intervals(v)
    }

    fn working_millis_between(&self, from: i64, to: i64) -> i64 {
        crate::total_millis(&self.open_intervals(from, to))
    }
}

/// The local offset in milliseconds at the UTC instant `t_millis`, from an offset
/// function counted in seconds (such as `business_calendar::rome::offset_at`): the
/// offset callback every local-time figure of this crate takes.
pub fn offset_millis_from_seconds(offset_seconds: &dyn Fn(i64) -> i64, t_millis: i64) -> i64 {
    offset_seconds(t_millis.div_euclid(1000)).saturating_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_hours_skip_the_weekend() {
        // 2026-11-20 is a Friday; day 20 777 × 86 400 000 = 1 795 132 800 000.
        let friday = 1_795_132_800_000i64;
        let h = WeeklyUtcHours::weekdays(8 * 60, 17 * 60);
        let iv = h.open_intervals(friday, friday + 4 * 86_400_000);
        // Friday 08-17 and Monday 08-17 only.
        assert_eq!(
            iv,
            vec![
                (friday + 8 * 3_600_000, friday + 17 * 3_600_000),
                (
                    friday + 3 * 86_400_000 + 8 * 3_600_000,
                    friday + 3 * 86_400_000 + 17 * 3_600_000
                )
            ]
        );
        // From Friday 15:00 to Monday 10:00: 2 h on Friday + 2 h on Monday.
        let w = h.working_millis_between(
            friday + 15 * 3_600_000,
            friday + 3 * 86_400_000 + 10 * 3_600_000,
        );
        assert_eq!(w, 4 * 3_600_000);
        assert_eq!(h.working_millis_between(10, 5), 0);
        assert_eq!(AlwaysOpen.working_millis_between(5, 10), 5);
        assert!(AlwaysOpen.open_intervals(10, 10).is_empty());
    }

    /// Days since 1970-01-01 × one day in milliseconds.
    fn utc_midnight(y: i64, m: u32, d: u32) -> i64 {
        cc_model::wall_clock::days_from_civil(y, m, d) * 86_400_000
    }

    fn calendar(lines: &[&str]) -> business_calendar::Calendar {
        business_calendar::CalendarConfig {
            hours: lines.iter().map(|l| l.to_string()).collect(),
            ..Default::default()
        }
        .build()
        .expect("a valid calendar")
    }

    #[test]
    fn seconds_hours_widen_then_clip_to_milliseconds_sla_9() {
        // Open [10 s, 20 s); the source sees the bounds widened to whole seconds.
        let asked = std::cell::Cell::new((0i64, 0i64));
        let h = SecondsHours(|a: i64, b: i64| {
            asked.set((a, b));
            if b > 10 && a < 20 {
                vec![(a.max(10), b.min(20))]
            } else {
                Vec::new()
            }
        });
        assert_eq!(h.open_intervals(5_300, 12_700), vec![(10_000, 12_700)]);
        assert_eq!(asked.get(), (5, 13));
        assert_eq!(h.open_intervals(10_500, 15_000), vec![(10_500, 15_000)]);
        assert_eq!(asked.get(), (10, 15));
        // Negative instants round towards minus infinity.
        assert!(h.open_intervals(-1_500, -200).is_empty());
        assert_eq!(asked.get(), (-2, 0));
        assert_eq!(h.working_millis_between(0, 30_000), 10_000);
        assert!(h.open_intervals(7, 7).is_empty());
    }

    #[test]
    fn business_calendar_open_day_in_milliseconds_sla_9() {
        let cal = calendar(&["Mon-Fri 08:00-17:00"]);
        let h = SecondsHours(|a, b| cal.open_intervals(a, b));
        // Monday 2026-11-23, CET (+1 h): 08:00-17:00 local = 07:00-16:00 UTC.
        let monday = utc_midnight(2026, 11, 23);
        let day = h.open_intervals(monday - 3_600_000, monday + 23 * 3_600_000);
        assert_eq!(day, vec![(monday + 7 * 3_600_000, monday + 16 * 3_600_000)]);
        assert_eq!(
            h.working_millis_between(monday, monday + 86_400_000),
            9 * 3_600_000
        );
        // Saturday 2026-11-21 is closed.
        let saturday = utc_midnight(2026, 11, 21);
        assert!(h.open_intervals(saturday, saturday + 86_400_000).is_empty());
    }

    #[test]
    fn business_calendar_dst_day_lasts_25_hours_sla_9() {
        let cal = calendar(&["Mon-Sun 00:00-24:00"]);
        let h = SecondsHours(|a, b| cal.open_intervals(a, b));
        let offset = |t| offset_millis_from_seconds(&business_calendar::rome::offset_at, t);
        // Sunday 2026-10-25: local midnight is 22:00Z on the 24th (CEST) and the next
        // local midnight 23:00Z on the 25th (CET): 25 hours of open time.
        let from = utc_midnight(2026, 10, 24) + 22 * 3_600_000;
        let to = utc_midnight(2026, 10, 25) + 23 * 3_600_000;
        assert_eq!(h.working_millis_between(from, to), 25 * 3_600_000);
        assert_eq!(offset(utc_midnight(2026, 10, 25) + 3_599_999), 7_200_000);
        assert_eq!(offset(utc_midnight(2026, 10, 25) + 3_600_000), 3_600_000);
        // Spring: Sunday 2026-03-29 lasts 23 hours.
        let from = utc_midnight(2026, 3, 28) + 23 * 3_600_000;
        let to = utc_midnight(2026, 3, 29) + 22 * 3_600_000;
        assert_eq!(h.working_millis_between(from, to), 23 * 3_600_000);
    }
}
