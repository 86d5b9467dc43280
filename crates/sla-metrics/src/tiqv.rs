//! ARERA TIQV indicators AS, TMA and LS per green number, monthly and per semester, and
//! the line-occupancy facts AS is computed from [SLA-9, SLA-8 Vus Com penalties].
//!
//! REQUIREMENTS.md SLA-9 (V §12.1), quoted:
//! - "AS (accessibility) = time units with at least one free line / time units open
//!   with operators × 100, one decimal; target >95%."
//! - "TMA (mean wait) = mean seconds from the start of the answer (even automatic) to the
//!   start of the conversation with an operator, or to the end of the call if the caller
//!   gives up, over calls that asked for (or were routed to) an operator; target <180 s."
//! - "LS (service level) = calls that talked to an operator / calls that asked for one
//!   × 100, one decimal; target >85%."

use crate::hours::ServiceHours;
use crate::periods::local_month_bounds;
use crate::{CallRecord, LineBusyInterval, MeanSeconds, Outcome, Share};

/// TIQV targets; comparisons are strict, on the one-decimal values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiqvTargets {
    /// AS must be above this (95.0).
    pub accessibility_above: f64,
    /// TMA must be below this many seconds (180.0).
    pub mean_wait_below_seconds: f64,
    /// LS must be above this (85.0).
    pub service_level_above: f64,
}

impl Default for TiqvTargets {
    fn default() -> Self {
        TiqvTargets {
            accessibility_above: 95.0,
            mean_wait_below_seconds: 180.0,
            service_level_above: 85.0,
        }
    }
}

/// TIQV settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiqvConfig {
    /// The AS time unit in milliseconds (default 1000 = 1 s); values below 1 count as 1.
    pub unit_millis: i64,
    pub targets: TiqvTargets,
}

impl Default for TiqvConfig {
    fn default() -> Self {
        TiqvConfig {
            unit_millis: 1000,
            targets: TiqvTargets::default(),
        }
    }
}

/// AS [SLA-9]: "time units with at least one free line / time units open with operators
/// × 100, one decimal".
///
/// Time is cut into units `[k·u, (k+1)·u)` aligned on the Unix epoch (`u` =
/// `unit_millis`). A unit is *open* when its start lies in an open interval of `hours`
/// within `[from, to)`. An open unit has *no free line* when it overlaps any
/// all-lines-busy interval, even partially (the conservative reading: a caller could
/// have found every line busy in that unit). `count` = open units with a free line,
/// `total` = open units; `percent_one_decimal` is the regulated figure (half up).
/// No open time gives `None`.
pub fn accessibility(
    busy: &[LineBusyInterval],
    hours: &dyn ServiceHours,
    from: i64,
    to: i64,
    unit_millis: i64,
) -> Share {
    let u = i128::from(unit_millis.max(1));
    let open: Vec<(i128, i128)> = hours
        .open_intervals(from, to)
        .into_iter()
        .map(|(a, b)| {
            (
                ceil_div(i128::from(a.max(from)), u),
                ceil_div(i128::from(b.min(to)), u),
            )
        })
        .collect();
    let busy_units: Vec<(i128, i128)> = busy
        .iter()
        .filter(|b| b.to > b.from)
        .map(|b| {
            (
                i128::from(b.from).div_euclid(u),
                ceil_div(i128::from(b.to), u),
            )
        })
        .collect();
    let open = merge_units(open);
    let busy_units = merge_units(busy_units);
    let total: i128 = open.iter().map(|(a, b)| b - a).sum();
    let (mut i, mut j, mut blocked) = (0usize, 0usize, 0i128);
    while let (Some(&(a0, a1)), Some(&(b0, b1))) = (open.get(i), busy_units.get(j)) {
        blocked += (a1.min(b1) - a0.max(b0)).max(0);
        if a1 < b1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    let total = u64::try_from(total).unwrap_or(u64::MAX);
    let free = u64::try_from((i128::from(total) - blocked).max(0)).unwrap_or(0);
    Share::new(free, total)
}

/// Line occupancy rebuilt offline from the register [issue 7 item 2]: the intervals in
/// which at least `lines` calls were up at once, i.e. every line was busy.
///
/// A call occupies a line over `[started_at, ended_at)`. Calls with outcome `busy` (they
/// never got a line), `internal` calls (no trunk line) and calls without `ended_at` are
/// left out. A line freed at `t` is free again at `t`. With `lines == 0` every instant is
/// busy: one interval `[i64::MIN, i64::MAX)` is returned.
pub fn lines_busy_from_calls(calls: &[CallRecord], lines: u32) -> Vec<LineBusyInterval> {
    if lines == 0 {
        return vec![LineBusyInterval {
            from: i64::MIN,
            to: i64::MAX,
        }];
    }
    let mut events: Vec<(i64, i32)> = Vec::new();
    for c in calls {
        if c.outcome == Outcome::Busy || c.channel.eq_ignore_ascii_case("internal") {
            continue;
        }
        if let Some(end) = c.ended_at.filter(|&e| e > c.started_at) {
            events.push((c.started_at, 1));
            events.push((end, -1));
        }
    }
    // Ends sort before starts at the same instant.
    events.sort_unstable();
    let mut out = Vec::new();
    let mut up: u64 = 0;
    let mut since: Option<i64> = None;
    let mut i = 0usize;
    while let Some(&(t, _)) = events.get(i) {
        // Apply every change at instant `t` before looking at the count.
        while let Some(&(_, delta)) = events.get(i).filter(|e| e.0 == t) {
            if delta > 0 {
                up += 1;
            } else {
                up = up.saturating_sub(1);
            }
            i += 1;
        }
        let full = up >= u64::from(lines);
        match (full, since) {
            (true, None) => since = Some(t),
            (false, Some(s)) => {
                if t > s {
                    out.push(LineBusyInterval { from: s, to: t });
                }
                since = None;
            }
            _ => {}
        }
    }
    out
}

/// True when a call "asked for (or was routed to) an operator" [SLA-9]:
/// `operator_requested_at` or `queue` is set.
pub fn asked_for_operator(c: &CallRecord) -> bool {
    c.operator_requested_at.is_some() || c.queue.is_some()
}

/// TMA [SLA-9]: "mean seconds from the start of the answer (even automatic) to the start
/// of the conversation with an operator, or to the end of the call if the caller gives
/// up, over calls that asked for (or were routed to) an operator".
///
/// Implemented as: over inbound calls with [`asked_for_operator`], the mean of
/// `answered_at − started_at`, or `ended_at − started_at` when there was no
/// conversation. `started_at` is the engine's (automatic) answer. Calls with neither
/// `answered_at` nor `ended_at` are left out (listed as incomplete by the report).
pub fn mean_wait_tma(calls: &[CallRecord]) -> MeanSeconds {
    MeanSeconds::from_millis(
        calls
            .iter()
            .filter(|c| c.is_inbound() && asked_for_operator(c))
            .filter_map(|c| Some(crate::span(c.started_at, c.answered_at.or(c.ended_at)?))),
    )
}

/// LS [SLA-9]: "calls that talked to an operator / calls that asked for one × 100, one
/// decimal".
///
/// Implemented as: inbound calls with [`asked_for_operator`] that have `answered_at` /
/// inbound calls with [`asked_for_operator`]; the regulated value is
/// `percent_one_decimal` (half up).
pub fn service_level_ls(calls: &[CallRecord]) -> Share {
    let asked = calls
        .iter()
        .filter(|c| c.is_inbound() && asked_for_operator(c));
    let (mut talked, mut total) = (0u64, 0u64);
    for c in asked {
        total += 1;
        if c.answered_at.is_some() {
            talked += 1;
        }
    }
    Share::new(talked, total)
}

/// The TIQV figures of one green number over one local month (or any period).
#[derive(Debug, Clone, PartialEq)]
pub struct TiqvMonth {
    pub year: i64,
    pub month: u32,
    pub channel: String,
    pub from: i64,
    pub to: i64,
    pub accessibility: Share,
    pub mean_wait: MeanSeconds,
    pub service_level: Share,
    /// `None` when the figure has no data.
    pub accessibility_met: Option<bool>,
    pub mean_wait_met: Option<bool>,
    pub service_level_met: Option<bool>,
    /// How many of AS, TMA, LS missed (figures without data do not count as missed).
    pub misses: u8,
    /// The Vus Com penalty for the month [SLA-8], in euros.
    pub vus_com_penalty_eur: u32,
}

/// The TIQV figures of `channel` (a green number) for the local month `year-month`:
/// calls are those of that channel started in the month; AS uses `busy` and the open
/// time of `hours` in the month.
#[allow(clippy::too_many_arguments)]
pub fn tiqv_month(
    calls: &[CallRecord],
    busy: &[LineBusyInterval],
    hours: &dyn ServiceHours,
    channel: &str,
    year: i64,
    month: u32,
    offset: &dyn Fn(i64) -> i64,
    config: &TiqvConfig,
) -> TiqvMonth {
    let (from, to) = local_month_bounds(year, month, offset);
    let slice: Vec<CallRecord> = calls
        .iter()
        .filter(|c| c.channel == channel && c.started_at >= from && c.started_at < to)
        .cloned()
        .collect();
    let accessibility = accessibility(busy, hours, from, to, config.unit_millis);
    let mean_wait = mean_wait_tma(&slice);
    let service_level = service_level_ls(&slice);
    let t = &config.targets;
    let accessibility_met = accessibility
        .percent_one_decimal
        .map(|v| v > t.accessibility_above);
    let mean_wait_met = mean_wait
        .seconds_one_decimal
        .map(|v| v < t.mean_wait_below_seconds);
    let service_level_met = service_level
        .percent_one_decimal
        .map(|v| v > t.service_level_above);
    let misses = [accessibility_met, mean_wait_met, service_level_met]
        .iter()
        .filter(|m| **m == Some(false))
        .count() as u8;
    TiqvMonth {
        year,
        month: month.clamp(1, 12),
        channel: channel.to_string(),
        from,
        to,
        accessibility,
        mean_wait,
        service_level,
        accessibility_met,
        mean_wait_met,
        service_level_met,
        misses,
        vus_com_penalty_eur: crate::tender::vus_com_penalty_eur(misses),
    }
}

/// Half of a calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semester {
    /// January to June.
    First,
    /// July to December.
    Second,
}

/// The semester compliance view of one green number.
#[derive(Debug, Clone, PartialEq)]
pub struct SemesterView {
    pub year: i64,
    pub semester: Semester,
    /// The six monthly values.
    pub months: Vec<TiqvMonth>,
    /// Months where no figure missed its target.
    pub months_compliant: u32,
    /// True when no month missed any target (months without data do not break it).
    pub every_month_met: bool,
    /// Totals over the whole semester.
    pub accessibility: Share,
    pub mean_wait: MeanSeconds,
    pub service_level: Share,
    /// Sum of the monthly Vus Com penalties, in euros.
    pub penalties_eur: u32,
}

/// Monthly TIQV values of `channel` for a semester and the totals over it.
#[allow(clippy::too_many_arguments)]
pub fn tiqv_semester(
    calls: &[CallRecord],
    busy: &[LineBusyInterval],
    hours: &dyn ServiceHours,
    channel: &str,
    year: i64,
    semester: Semester,
    offset: &dyn Fn(i64) -> i64,
    config: &TiqvConfig,
) -> SemesterView {
    let first = match semester {
        Semester::First => 1,
        Semester::Second => 7,
    };
    let months: Vec<TiqvMonth> = (first..first + 6)
        .map(|m| tiqv_month(calls, busy, hours, channel, year, m, offset, config))
        .collect();
    let sum_share = |f: fn(&TiqvMonth) -> Share| {
        let (c, t) = months
            .iter()
            .map(f)
            .fold((0u64, 0u64), |(c, t), s| (c + s.count, t + s.total));
        Share::new(c, t)
    };
    let accessibility = sum_share(|m| m.accessibility);
    let service_level = sum_share(|m| m.service_level);
    let (wc, wt) = months.iter().fold((0u64, 0u64), |(c, t), m| {
        (
            c + m.mean_wait.count,
            t.saturating_add(m.mean_wait.total_millis),
        )
    });
    let mean_wait = mean_from_totals(wc, wt);
    let months_compliant = months.iter().filter(|m| m.misses == 0).count() as u32;
    SemesterView {
        year,
        semester,
        every_month_met: months_compliant == 6,
        months_compliant,
        accessibility,
        mean_wait,
        service_level,
        penalties_eur: months.iter().map(|m| m.vus_com_penalty_eur).sum(),
        months,
    }
}

/// A mean rebuilt from a count and a total.
fn mean_from_totals(count: u64, total_millis: u64) -> MeanSeconds {
    if count == 0 {
        return MeanSeconds::from_millis([]);
    }
    let tenths = crate::div_round_half_up(u128::from(total_millis), u128::from(count) * 100);
    MeanSeconds {
        count,
        total_millis,
        seconds: Some(total_millis as f64 / 1000.0 / count as f64),
        seconds_one_decimal: Some(tenths as f64 / 10.0),
    }
}

/// `ceil(a / b)` for `b > 0`.
fn ceil_div(a: i128, b: i128) -> i128 {
    -((-a).div_euclid(b))
}

/// Sorts and merges half-open unit ranges.
fn merge_units(mut v: Vec<(i128, i128)>) -> Vec<(i128, i128)> {
    v.retain(|&(a, b)| b > a);
    v.sort_unstable();
    let mut out: Vec<(i128, i128)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AlwaysOpen;

    #[test]
    fn as_counts_partially_busy_units_as_blocked_sla_9() {
        // Open 0..10 s in 1 s units = 10 units; busy 2.5 s..4 s touches units 2 and 3.
        let busy = [LineBusyInterval {
            from: 2500,
            to: 4000,
        }];
        let s = accessibility(&busy, &AlwaysOpen, 0, 10_000, 1000);
        assert_eq!((s.count, s.total), (8, 10));
        assert_eq!(s.percent_one_decimal, Some(80.0));
        // Busy outside open time does not count.
        let busy = [
            LineBusyInterval { from: -5000, to: 0 },
            LineBusyInterval {
                from: 10_000,
                to: 20_000,
            },
        ];
        assert_eq!(accessibility(&busy, &AlwaysOpen, 0, 10_000, 1000).count, 10);
        assert_eq!(accessibility(&[], &AlwaysOpen, 0, 0, 1000).percent, None);
    }

    #[test]
    fn lines_busy_sweeps_overlaps() {
        let call = |id, s, e| CallRecord {
            id,
            channel: "verde".into(),
            from: String::new(),
            to: String::new(),
            started_at: s,
            operator_requested_at: None,
            answered_at: None,
            ended_at: Some(e),
            queue: None,
            agent: None,
            wait_seconds: None,
            talk_seconds: None,
            outcome: Outcome::Answered,
            announced_wait_seconds: None,
            ticket_id: None,
        };
        // Two lines: calls 0-10, 5-15, 10-20 → both busy 5-15 (end at 10 and start at 10 keep two up).
        let calls = [call(1, 0, 10), call(2, 5, 15), call(3, 10, 20)];
        assert_eq!(
            lines_busy_from_calls(&calls, 2),
            vec![LineBusyInterval { from: 5, to: 15 }]
        );
        assert_eq!(
            lines_busy_from_calls(&calls, 1),
            vec![LineBusyInterval { from: 0, to: 20 }]
        );
        assert!(lines_busy_from_calls(&calls, 3).is_empty());
        let s = accessibility(
            &lines_busy_from_calls(&calls, 0),
            &AlwaysOpen,
            0,
            10_000,
            1000,
        );
        assert_eq!((s.count, s.total), (0, 10));
    }
}
