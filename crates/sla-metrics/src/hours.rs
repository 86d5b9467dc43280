//! Service time as seen by the indicators: when the service is open with operators
//! [SLA-9 AS denominator, SLA-1 in/out of service time] and how much working time lies
//! between two instants [SLA-6]. The business calendar implements [`ServiceHours`];
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
}
