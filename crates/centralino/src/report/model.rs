//! The data of one `centralino report`: the per-channel and total reports of
//! `sla-metrics`, the monthly ARERA TIQV rows with their semester view, the daily
//! aggregation and the register rows, computed once and rendered as JSON, CSV or xlsx
//! [SLA-9, SLA-10, issue 7 items 3-4].

use business_calendar::Calendar;
use business_calendar::LocalDate;
use sla_metrics::{
    AlwaysOpen, CallRecord, Granularity, LineBusyInterval, MeanSeconds, Outcome, Report,
    ReportConfig, ReportInput, SecondsHours, ServiceHours, Share, average_handle_time,
    average_speed_of_answer, build_report, lines_busy_from_calls, mean_wait_tma, period_of,
    service_level_ls,
};

/// The channels that have a TIQV and tender meaning when no call and no service names
/// them: the green number and the switchboard.
pub const DEFAULT_CHANNELS: [&str; 2] = ["verde", "centralino"];

/// Where the service hours come from.
pub enum HoursSource<'a> {
    /// The `[[service]]` calendars of the config, by channel name.
    Calendars(Vec<(&'a str, &'a Calendar)>),
    /// No config: every channel is open around the clock.
    AlwaysOpen,
}

/// What the report was asked for.
pub struct Request<'a> {
    pub from_day: LocalDate,
    pub to_day: LocalDate,
    /// `--channel`: only this channel.
    pub channel: Option<&'a str>,
    /// Lines (trunk capacity) of each channel, for AS from the calls [issue 7 item 2].
    pub lines: u32,
    /// `--group-by`: per-period reports besides the whole period.
    pub group_by: Option<Granularity>,
    /// Human description of the data source (`store sqlite://…`, `file calls.csv`).
    pub source: String,
}

/// The monthly (or partial-month) TIQV figures of one channel [SLA-9].
#[derive(Debug, Clone)]
pub struct TiqvRow {
    pub channel: String,
    /// `2026-11`.
    pub label: String,
    pub from: i64,
    pub to: i64,
    /// The report's period covers only part of the month.
    pub partial: bool,
    pub accessibility: Share,
    pub mean_wait: MeanSeconds,
    pub service_level: Share,
    /// AS, TMA, LS met (`None` = no data).
    pub met: [Option<bool>; 3],
    pub misses: u8,
    pub vus_com_penalty_eur: u32,
}

/// The TIQV semester view of one channel over the months of the report [SLA-9].
#[derive(Debug, Clone)]
pub struct SemesterRow {
    pub channel: String,
    /// `2026-S2`.
    pub label: String,
    pub months: u32,
    pub months_compliant: u32,
    pub accessibility: Share,
    pub mean_wait: MeanSeconds,
    pub service_level: Share,
    pub penalties_eur: u32,
}

/// One local day of the daily aggregation [SLA-10].
#[derive(Debug, Clone)]
pub struct DayRow {
    /// `2026-11-24`.
    pub label: String,
    pub calls: u64,
    pub answered: u64,
    pub abandoned_queue: u64,
    pub abandoned_ivr: u64,
    pub average_speed_of_answer: MeanSeconds,
    pub average_handle_time: MeanSeconds,
}

/// The reports of one period of `--group-by` [SLA-10].
pub struct Group {
    /// `2026-11-24`, `2026-W48`, `2026-11`, `2026`.
    pub label: String,
    pub from: i64,
    pub to: i64,
    /// The period is cut by the report's bounds.
    pub partial: bool,
    pub channels: Vec<Report>,
    pub total: Option<Report>,
}

/// A local period clipped to the report's bounds.
pub struct ClippedPeriod {
    pub label: String,
    pub from: i64,
    pub to: i64,
    pub partial: bool,
}

/// The local periods of granularity `g` overlapping `[from, to)`, clipped to it, in
/// order [SLA-10].
pub fn periods(g: Granularity, from: i64, to: i64) -> Vec<ClippedPeriod> {
    let mut out = Vec::new();
    let mut cursor = from;
    while cursor < to {
        let p = period_of(cursor, g, &rome_offset);
        let (a, b) = (p.from.max(from), p.to.min(to));
        if b <= cursor {
            break;
        }
        out.push(ClippedPeriod {
            label: p.label,
            from: a,
            to: b,
            partial: a != p.from || b != p.to,
        });
        cursor = b;
    }
    out
}

/// Everything a renderer needs.
pub struct ReportData {
    pub from_day: LocalDate,
    pub to_day: LocalDate,
    /// `[from, to)` in Unix milliseconds UTC.
    pub from: i64,
    pub to: i64,
    pub source: String,
    pub lines: u32,
    /// Rules applied and data missing, in plain sentences.
    pub notes: Vec<String>,
    pub channels: Vec<Report>,
    /// All channels together; `None` with `--channel`.
    pub total: Option<Report>,
    pub tiqv_months: Vec<TiqvRow>,
    pub semesters: Vec<SemesterRow>,
    pub daily: Vec<DayRow>,
    /// Per-period reports for `--group-by` (empty for the total only).
    pub groups: Vec<Group>,
    /// The register rows of the period (and channel), oldest first.
    pub calls: Vec<CallRecord>,
    /// Health samples were available (the store keeps none yet) [SLA-1].
    pub has_health: bool,
}

/// The Europe/Rome offset in milliseconds at a UTC instant in milliseconds.
pub fn rome_offset(t: i64) -> i64 {
    sla_metrics::offset_millis_from_seconds(&business_calendar::rome::offset_at, t)
}

/// The UTC instant (ms) of local midnight opening `day` in Europe/Rome.
pub fn local_midnight(day: LocalDate) -> i64 {
    business_calendar::rome::lookup(day, 0)
        .resolve()
        .saturating_mul(1000)
}

/// Computes the whole report from the calls (any period: they are filtered here).
pub fn compute(req: &Request<'_>, all_calls: &[CallRecord], hours: &HoursSource<'_>) -> ReportData {
    let from = local_midnight(req.from_day);
    let to = local_midnight(LocalDate::from_days(req.to_day.days().saturating_add(1)));
    let mut notes = Vec::new();
    let in_scope = |c: &CallRecord| req.channel.is_none_or(|ch| c.channel == ch);
    let mut calls: Vec<CallRecord> = all_calls
        .iter()
        .filter(|c| c.started_at >= from && c.started_at < to && in_scope(c))
        .cloned()
        .collect();
    calls.sort_by_key(|c| (c.started_at, c.id));
    let channels = channel_list(req.channel, &calls, hours);
    if matches!(hours, HoursSource::AlwaysOpen) {
        notes.push(
            "no configuration found: service hours taken as always open (AS, SLA-1 and SLA.O \
             use round-the-clock time)"
                .to_owned(),
        );
    }
    notes.push(format!(
        "AS is computed from the calls' own intervals with {} lines per channel (--lines); \
         a time unit overlapping an all-lines-busy interval has no free line",
        req.lines
    ));
    notes.push("no health samples in the register: SLA-1 availability has no data".to_owned());
    notes.push("no tickets in this source: SLA.C.4 and SLA.O.1-3 have no data".to_owned());
    notes.push(
        "calls without an end or interrupted are left out of the figures that need the \
         missing times and listed in incomplete_call_ids"
            .to_owned(),
    );
    let config = ReportConfig::default();
    let mut setups = Vec::new();
    for ch in &channels {
        let (h, configured) = hours_for(hours, ch);
        if !configured && matches!(hours, HoursSource::Calendars(_)) {
            notes.push(format!(
                "channel {ch}: no [[service]] calendar in the config, taken as always open"
            ));
        }
        let own: Vec<CallRecord> = all_calls
            .iter()
            .filter(|c| &c.channel == ch)
            .cloned()
            .collect();
        setups.push(ChannelSetup {
            name: ch.clone(),
            busy: lines_busy_from_calls(&own, req.lines),
            hours: h,
        });
    }
    let all_busy: Vec<LineBusyInterval> =
        setups.iter().flat_map(|s| s.busy.iter().copied()).collect();
    let union = UnionHours(setups.iter().map(|s| s.hours.as_ref()).collect());
    let reports_between = |a: i64, b: i64| {
        // Calls are sorted by start, so the period's calls are one slice.
        let lo = calls.partition_point(|c| c.started_at < a);
        let hi = calls.partition_point(|c| c.started_at < b);
        let slice = calls.get(lo..hi).unwrap_or(&[]);
        let per_channel: Vec<Report> = setups
            .iter()
            .map(|s| {
                let input = ReportInput {
                    calls: slice,
                    tickets: &[],
                    busy: &s.busy,
                    health: &[],
                    hours: s.hours.as_ref(),
                    offset: &rome_offset,
                    config: &config,
                };
                build_report(&input, a, b, Some(&s.name))
            })
            .collect();
        let total = req.channel.is_none().then(|| {
            let input = ReportInput {
                calls: slice,
                tickets: &[],
                busy: &all_busy,
                health: &[],
                hours: &union,
                offset: &rome_offset,
                config: &config,
            };
            build_report(&input, a, b, None)
        });
        (per_channel, total)
    };
    let (per_channel, total) = reports_between(from, to);
    let groups: Vec<Group> = match req.group_by {
        None => Vec::new(),
        Some(g) => periods(g, from, to)
            .into_iter()
            .map(|p| {
                let (channels, total) = reports_between(p.from, p.to);
                Group {
                    label: p.label,
                    from: p.from,
                    to: p.to,
                    partial: p.partial,
                    channels,
                    total,
                }
            })
            .collect(),
    };
    let tiqv_months: Vec<TiqvRow> = setups
        .iter()
        .flat_map(|s| {
            tiqv_rows(
                &calls,
                &s.busy,
                s.hours.as_ref(),
                &s.name,
                from,
                to,
                &config,
            )
        })
        .collect();
    let semesters = semester_rows(&tiqv_months);
    let daily = daily_rows(&calls, req.from_day, req.to_day);
    ReportData {
        from_day: req.from_day,
        to_day: req.to_day,
        from,
        to,
        source: req.source.clone(),
        lines: req.lines,
        notes,
        channels: per_channel,
        total,
        tiqv_months,
        semesters,
        daily,
        groups,
        calls,
        has_health: false,
    }
}

/// The channels to report on: `--channel`, else the configured services and every
/// inbound channel seen in the calls, else [`DEFAULT_CHANNELS`].
fn channel_list(only: Option<&str>, calls: &[CallRecord], hours: &HoursSource<'_>) -> Vec<String> {
    if let Some(ch) = only {
        return vec![ch.to_owned()];
    }
    let mut out: Vec<String> = Vec::new();
    if let HoursSource::Calendars(cals) = hours {
        for (name, _) in cals {
            if !out.iter().any(|c| c.as_str() == *name) {
                out.push((*name).to_owned());
            }
        }
    }
    for c in calls.iter().filter(|c| c.is_inbound()) {
        if !out.contains(&c.channel) {
            out.push(c.channel.clone());
        }
    }
    if out.is_empty() {
        out = DEFAULT_CHANNELS.iter().map(|s| (*s).to_owned()).collect();
    }
    out
}

/// The service hours of a channel, and whether a calendar was configured for it.
fn hours_for<'a>(hours: &HoursSource<'a>, channel: &str) -> (Box<dyn ServiceHours + 'a>, bool) {
    match hours {
        HoursSource::Calendars(cals) => match cals.iter().find(|(name, _)| *name == channel) {
            Some(&(_, cal)) => (
                Box::new(SecondsHours(move |a, b| cal.open_intervals(a, b))),
                true,
            ),
            None => (Box::new(AlwaysOpen), false),
        },
        HoursSource::AlwaysOpen => (Box::new(AlwaysOpen), false),
    }
}

/// One channel's service hours and all-lines-busy intervals.
struct ChannelSetup<'a> {
    name: String,
    hours: Box<dyn ServiceHours + 'a>,
    busy: Vec<LineBusyInterval>,
}

/// Open time of several services together: open when any of them is.
struct UnionHours<'a>(Vec<&'a dyn ServiceHours>);

impl ServiceHours for UnionHours<'_> {
    fn open_intervals(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        let mut all: Vec<(i64, i64)> = self
            .0
            .iter()
            .flat_map(|h| h.open_intervals(from, to))
            .filter(|(a, b)| b > a)
            .collect();
        all.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }

    fn working_millis_between(&self, from: i64, to: i64) -> i64 {
        self.open_intervals(from, to)
            .iter()
            .fold(0i64, |acc, (a, b)| acc.saturating_add(b - a))
    }
}

/// TIQV rows of `channel` for every local month touched by `[from, to)`, each clipped to
/// the period (then marked `partial`) [SLA-9].
fn tiqv_rows(
    calls: &[CallRecord],
    busy: &[LineBusyInterval],
    hours: &dyn ServiceHours,
    channel: &str,
    from: i64,
    to: i64,
    config: &ReportConfig,
) -> Vec<TiqvRow> {
    let mut rows = Vec::new();
    for month in periods(Granularity::Month, from, to) {
        let (a, b) = (month.from, month.to);
        let slice: Vec<CallRecord> = calls
            .iter()
            .filter(|c| c.channel == channel && c.started_at >= a && c.started_at < b)
            .cloned()
            .collect();
        let accessibility = sla_metrics::accessibility(busy, hours, a, b, config.tiqv.unit_millis);
        let mean_wait = mean_wait_tma(&slice);
        let service_level = service_level_ls(&slice);
        let t = &config.tiqv.targets;
        let met = [
            accessibility
                .percent_one_decimal
                .map(|v| v > t.accessibility_above),
            mean_wait
                .seconds_one_decimal
                .map(|v| v < t.mean_wait_below_seconds),
            service_level
                .percent_one_decimal
                .map(|v| v > t.service_level_above),
        ];
        let misses = met.iter().filter(|m| **m == Some(false)).count() as u8;
        rows.push(TiqvRow {
            channel: channel.to_owned(),
            label: month.label,
            from: a,
            to: b,
            partial: month.partial,
            accessibility,
            mean_wait,
            service_level,
            met,
            misses,
            vus_com_penalty_eur: sla_metrics::vus_com_penalty_eur(misses),
        });
    }
    rows
}

/// Semester totals of the monthly rows, per channel and semester, in row order [SLA-9].
fn semester_rows(months: &[TiqvRow]) -> Vec<SemesterRow> {
    let mut out: Vec<SemesterRow> = Vec::new();
    for m in months {
        let label = semester_label(&m.label);
        let pos = out
            .iter()
            .position(|s| s.channel == m.channel && s.label == label);
        let idx = match pos {
            Some(i) => i,
            None => {
                out.push(SemesterRow {
                    channel: m.channel.clone(),
                    label,
                    months: 0,
                    months_compliant: 0,
                    accessibility: Share::new(0, 0),
                    mean_wait: MeanSeconds::from_millis([]),
                    service_level: Share::new(0, 0),
                    penalties_eur: 0,
                });
                out.len() - 1
            }
        };
        if let Some(s) = out.get_mut(idx) {
            s.months += 1;
            s.months_compliant += u32::from(m.misses == 0);
            s.accessibility = add_shares(s.accessibility, m.accessibility);
            s.service_level = add_shares(s.service_level, m.service_level);
            s.mean_wait = add_means(s.mean_wait, m.mean_wait);
            s.penalties_eur = s.penalties_eur.saturating_add(m.vus_com_penalty_eur);
        }
    }
    out
}

/// `2026-11` → `2026-S2`.
fn semester_label(month_label: &str) -> String {
    let (year, month) = month_label.split_once('-').unwrap_or((month_label, "01"));
    let second = month.parse::<u32>().is_ok_and(|m| m >= 7);
    format!("{year}-S{}", if second { 2 } else { 1 })
}

fn add_shares(a: Share, b: Share) -> Share {
    Share::new(
        a.count.saturating_add(b.count),
        a.total.saturating_add(b.total),
    )
}

/// The mean of two groups of samples, rounded half up on one decimal like
/// [`MeanSeconds::from_millis`].
fn add_means(a: MeanSeconds, b: MeanSeconds) -> MeanSeconds {
    let count = a.count.saturating_add(b.count);
    let total = a.total_millis.saturating_add(b.total_millis);
    if count == 0 {
        return MeanSeconds::from_millis([]);
    }
    let den = u128::from(count) * 100;
    let tenths = (u128::from(total) * 2 + den) / (den * 2);
    MeanSeconds {
        count,
        total_millis: total,
        seconds: Some(total as f64 / 1000.0 / count as f64),
        seconds_one_decimal: Some(tenths as f64 / 10.0),
    }
}

/// One row per local day of the period, days without calls included [SLA-10].
fn daily_rows(calls: &[CallRecord], from_day: LocalDate, to_day: LocalDate) -> Vec<DayRow> {
    let first = from_day.days();
    let days = usize::try_from(to_day.days().saturating_sub(first).saturating_add(1)).unwrap_or(0);
    let mut buckets: Vec<Vec<CallRecord>> = vec![Vec::new(); days];
    for c in calls {
        let local_day = c
            .started_at
            .saturating_add(rome_offset(c.started_at))
            .div_euclid(86_400_000);
        let slot = usize::try_from(local_day.saturating_sub(first)).ok();
        if let Some(b) = slot.and_then(|i| buckets.get_mut(i)) {
            b.push(c.clone());
        }
    }
    buckets
        .into_iter()
        .enumerate()
        .map(|(i, slice)| {
            let count = |o: Outcome| slice.iter().filter(|c| c.outcome == o).count() as u64;
            DayRow {
                label: LocalDate::from_days(first.saturating_add(i as i64)).to_string(),
                calls: slice.len() as u64,
                answered: count(Outcome::Answered),
                abandoned_queue: count(Outcome::AbandonedQueue),
                abandoned_ivr: count(Outcome::AbandonedIvr),
                average_speed_of_answer: average_speed_of_answer(&slice),
                average_handle_time: average_handle_time(&slice),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semesters_split_at_july_sla_9() {
        assert_eq!(semester_label("2026-06"), "2026-S1");
        assert_eq!(semester_label("2026-07"), "2026-S2");
    }

    #[test]
    fn merged_means_round_half_up_sla_9() {
        let m = add_means(
            MeanSeconds::from_millis([1000]),
            MeanSeconds::from_millis([1100]),
        );
        // (1000 + 1100) / 2 = 1050 ms → 1.1 s.
        assert_eq!(m.seconds_one_decimal, Some(1.1));
        assert_eq!(m.count, 2);
    }
}
