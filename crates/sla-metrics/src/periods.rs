//! Reporting periods in local time: day, ISO week, month, year, and the split of the
//! register into them [SLA-10 aggregation total/daily/weekly/monthly/yearly, SLA-9
//! monthly values].
//!
//! A call belongs to the period in which it *started* (local time), so a call spanning
//! midnight counts on the day it began. Local time comes from an offset callback
//! (`utc_millis -> offset_millis`), so DST days are 23 or 25 hours long.

use cc_model::wall_clock::{civil_from_days, days_from_civil};

use crate::CallRecord;

/// The size of an aggregation bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    /// ISO 8601 week, Monday to Sunday.
    Week,
    Month,
    Year,
}

/// A local period `[from, to)` expressed in UTC milliseconds, with its label
/// (`2026-10-25`, `2026-W43`, `2026-10`, `2026`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    pub label: String,
}

/// The UTC instant of local midnight opening `year-month-01` and that of the next month.
/// `month` is clamped to 1..=12 and `year` to ±1 000 000 so no input can overflow.
pub fn local_month_bounds(year: i64, month: u32, offset: &dyn Fn(i64) -> i64) -> (i64, i64) {
    let month = month.clamp(1, 12);
    let year = year.clamp(-1_000_000, 1_000_000);
    let (ny, nm) = if month == 12 {
        (year.saturating_add(1), 1)
    } else {
        (year, month + 1)
    };
    (
        local_midnight(days_from_civil(year, month, 1), offset),
        local_midnight(days_from_civil(ny, nm, 1), offset),
    )
}

/// The local period of granularity `g` containing the UTC instant `t`.
pub fn period_of(t: i64, g: Granularity, offset: &dyn Fn(i64) -> i64) -> Period {
    let local_day = t.saturating_add(offset(t)).div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(local_day);
    match g {
        Granularity::Day => Period {
            from: local_midnight(local_day, offset),
            to: local_midnight(local_day + 1, offset),
            label: format!("{y:04}-{m:02}-{d:02}"),
        },
        Granularity::Week => {
            // Monday = 0; 1970-01-01 was a Thursday.
            let monday = local_day - (local_day + 3).rem_euclid(7);
            // The ISO week-year is the year of the week's Thursday.
            let (iso_year, _, _) = civil_from_days(monday + 3);
            let week1_monday = {
                let jan4 = days_from_civil(iso_year, 1, 4);
                jan4 - (jan4 + 3).rem_euclid(7)
            };
            let week = (monday - week1_monday) / 7 + 1;
            Period {
                from: local_midnight(monday, offset),
                to: local_midnight(monday + 7, offset),
                label: format!("{iso_year:04}-W{week:02}"),
            }
        }
        Granularity::Month => {
            let (from, to) = local_month_bounds(y, m, offset);
            Period {
                from,
                to,
                label: format!("{y:04}-{m:02}"),
            }
        }
        Granularity::Year => Period {
            from: local_midnight(days_from_civil(y, 1, 1), offset),
            to: local_midnight(days_from_civil(y.saturating_add(1), 1, 1), offset),
            label: format!("{y:04}"),
        },
    }
}

/// Splits the register into local periods by the calls' start, in chronological order;
/// periods without calls are not listed.
pub fn split_calls_by_period(
    calls: &[CallRecord],
    g: Granularity,
    offset: &dyn Fn(i64) -> i64,
) -> Vec<(Period, Vec<CallRecord>)> {
    let mut buckets: std::collections::BTreeMap<Period, Vec<CallRecord>> =
        std::collections::BTreeMap::new();
    for c in calls {
        buckets
            .entry(period_of(c.started_at, g, offset))
            .or_default()
            .push(c.clone());
    }
    buckets.into_iter().collect()
}

/// The UTC instant of local midnight starting the local day `days` (days since
/// 1970-01-01 in local time). The offset is sampled twice so the instant is right on DST
/// days, whose transitions never happen at midnight in Europe.
fn local_midnight(days: i64, offset: &dyn Fn(i64) -> i64) -> i64 {
    let local = days.saturating_mul(86_400_000);
    let guess = local.saturating_sub(offset(local));
    local.saturating_sub(offset(guess))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Europe/Rome in 2026: CEST (+2 h) from 2026-03-29T01:00Z to 2026-10-25T01:00Z.
    fn rome_2026(t: i64) -> i64 {
        let start = days_from_civil(2026, 3, 29) * 86_400_000 + 3_600_000;
        let end = days_from_civil(2026, 10, 25) * 86_400_000 + 3_600_000;
        if (start..end).contains(&t) {
            7_200_000
        } else {
            3_600_000
        }
    }

    #[test]
    fn dst_day_lasts_25_hours_sla_10() {
        let noon = days_from_civil(2026, 10, 25) * 86_400_000 + 12 * 3_600_000;
        let p = period_of(noon, Granularity::Day, &rome_2026);
        assert_eq!(p.label, "2026-10-25");
        // Local midnight 25 Oct is 22:00Z on the 24th (CEST); 26 Oct starts at 23:00Z on the 25th.
        assert_eq!(
            p.from,
            days_from_civil(2026, 10, 24) * 86_400_000 + 22 * 3_600_000
        );
        assert_eq!(p.to - p.from, 25 * 3_600_000);
    }

    #[test]
    fn weeks_and_months_have_iso_labels() {
        let t = days_from_civil(2026, 10, 25) * 86_400_000;
        assert_eq!(
            period_of(t, Granularity::Week, &rome_2026).label,
            "2026-W43"
        );
        let t = days_from_civil(2027, 1, 1) * 86_400_000 + 43_200_000;
        // 2027-01-01 is a Friday, in ISO week 53 of 2026.
        assert_eq!(period_of(t, Granularity::Week, &|_| 0).label, "2026-W53");
        let p = period_of(t, Granularity::Month, &rome_2026);
        assert_eq!(p.label, "2027-01");
        assert_eq!(
            p.from,
            days_from_civil(2026, 12, 31) * 86_400_000 + 23 * 3_600_000
        );
        assert_eq!(period_of(t, Granularity::Year, &|_| 0).label, "2027");
    }
}
