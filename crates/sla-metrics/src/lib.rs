//! Sans-IO service-level and regulatory indicators over the per-call register
//! [SLA-1..SLA-10, ARERA TIQV = SLA-9]: input records, shared figure types and rounding.
//!
//! Every function in this crate is pure: no clock reads, no IO. Times are `i64` Unix
//! milliseconds UTC throughout. Local time (Europe/Rome) enters only through an offset
//! callback `&dyn Fn(i64) -> i64` that returns, for a UTC instant, the local offset in
//! milliseconds (the lead passes the business calendar's offset; tests pass a fixed rule).
//!
//! Figures never divide by zero: a period without data gives `None`, never NaN or 100%.
//!
//! Records with missing timestamps (typically `interrupted` calls) are counted by this
//! rule: a record takes part in an indicator only when the timestamps that indicator
//! needs are present; otherwise it is left out of that indicator and its id is listed in
//! [`Report::incomplete_call_ids`].

pub mod availability;
pub mod csv;
pub mod erlang;
pub mod hours;
pub mod periods;
pub mod report;
pub mod rfc3339;
pub mod tender;
pub mod tiqv;
pub mod traffic;

pub use availability::{AvailabilityFigure, availability, availability_month};
pub use csv::{CsvError, parse_calls_csv};
pub use erlang::{Staffing, erlang_c_agents, erlang_c_service_level};
pub use hours::{
    AlwaysOpen, SecondsHours, ServiceHours, WeeklyUtcHours, offset_millis_from_seconds,
};
pub use periods::{Granularity, Period, local_month_bounds, period_of, split_calls_by_period};
pub use report::{Report, ReportConfig, ReportInput, TenderThresholds, build_report};
pub use rfc3339::{TimestampError, parse_rfc3339};
pub use tender::{
    OfflineConfig, OfflineFigures, QueueWaitFigures, ThresholdKind, TimeBasis,
    first_contact_resolution, free_line_share, offline_tickets, overflow_threshold,
    penalty_per_point, queue_abandon_share, queue_wait_compliance, vus_com_penalty_eur,
};
pub use tiqv::{
    Semester, SemesterView, TiqvConfig, TiqvMonth, TiqvTargets, accessibility, asked_for_operator,
    lines_busy_from_calls, mean_wait_tma, service_level_ls, tiqv_month, tiqv_semester,
};
pub use traffic::{
    AnnouncementAccuracy, OutcomeCount, abandon_rate, announcement_accuracy, average_handle_time,
    average_speed_of_answer, average_talk_time, calls_per_hour_slot, outcome_mix,
    queue_wait_millis, service_level,
};

/// Final state of a call in the register (`outcome` column of `GET /api/calls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Talked to an operator.
    Answered,
    /// Hung up while waiting in a queue.
    AbandonedQueue,
    /// Hung up in the IVR, before reaching a queue.
    AbandonedIvr,
    /// Arrived outside service hours and heard the closed message.
    Closed,
    /// Left a voicemail.
    Voicemail,
    /// Found every line busy (rejected before the welcome message).
    Busy,
    /// Transferred elsewhere.
    Transferred,
    /// Interrupted by a failure; timestamps may be missing.
    Interrupted,
}

impl Outcome {
    /// Every outcome, in the register's order.
    pub const ALL: [Outcome; 8] = [
        Outcome::Answered,
        Outcome::AbandonedQueue,
        Outcome::AbandonedIvr,
        Outcome::Closed,
        Outcome::Voicemail,
        Outcome::Busy,
        Outcome::Transferred,
        Outcome::Interrupted,
    ];

    /// The register's spelling (`abandoned_queue`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::AbandonedQueue => "abandoned_queue",
            Outcome::AbandonedIvr => "abandoned_ivr",
            Outcome::Closed => "closed",
            Outcome::Voicemail => "voicemail",
            Outcome::Busy => "busy",
            Outcome::Transferred => "transferred",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Parses the register's spelling, ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One row of the per-call register (`GET /api/calls`, the exported CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: i64,
    /// `verde`, `centralino`, `internal` or `outbound`.
    pub channel: String,
    pub from: String,
    pub to: String,
    /// Start of the call = start of the (possibly automatic) answer by the engine.
    pub started_at: i64,
    /// When the caller asked for an operator (IVR choice), if they did.
    pub operator_requested_at: Option<i64>,
    /// Start of the conversation with an operator.
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// The queue the call was routed to, if any (the call "was queued").
    pub queue: Option<String>,
    pub agent: Option<String>,
    /// Seconds waited in the queue, as measured by the engine.
    pub wait_seconds: Option<i64>,
    pub talk_seconds: Option<i64>,
    pub outcome: Outcome,
    /// The expected wait announced to the caller, if one was announced.
    pub announced_wait_seconds: Option<i64>,
    pub ticket_id: Option<i64>,
}

impl CallRecord {
    /// True for calls that arrive from outside on a service line: every channel except
    /// `internal` and `outbound`.
    pub fn is_inbound(&self) -> bool {
        !(self.channel.eq_ignore_ascii_case("internal")
            || self.channel.eq_ignore_ascii_case("outbound"))
    }
}

/// A ticket (CRM request) as needed by SLA.C.4 and SLA.O.1/2/3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    pub id: i64,
    pub channel: String,
    pub opened_at: i64,
    /// Taken in charge by an operator.
    pub taken_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// The operator's own verdict: resolved during the first contact.
    pub resolved_first_contact: Option<bool>,
    /// The caller's number or address, to find repeat contacts.
    pub caller: Option<String>,
    /// An off-line request (e-mail, web form, voicemail) [SLA-6].
    pub offline: bool,
}

/// An interval `[from, to)` during which every line (trunk capacity) was busy [SLA-9 AS].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineBusyInterval {
    pub from: i64,
    pub to: i64,
}

/// An infrastructure component whose availability is measured [SLA-1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    Acd,
    Ivr,
    Cti,
}

/// A health observation of one component by the engine [SLA-1].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSample {
    pub at: i64,
    pub component: Component,
    pub up: bool,
}

/// A share `count / total`, with the percentages behind it so reports can show
/// numerator and denominator. `percent` is `None` when `total` is 0.
///
/// `percent_one_decimal` is the percentage rounded to one decimal "as the regulation
/// says" (ARERA TIQV): round half up on the first decimal, computed exactly in integer
/// arithmetic (`round(count × 1000 / total) / 10` with halves rounded up), so 95.05 %
/// gives 95.1 and never suffers from binary floating point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub count: u64,
    pub total: u64,
    pub percent: Option<f64>,
    pub percent_one_decimal: Option<f64>,
}

impl Share {
    /// The share `count / total`; a `count` above `total` is clamped to `total`.
    pub fn new(count: u64, total: u64) -> Share {
        let count = count.min(total);
        if total == 0 {
            return Share {
                count,
                total,
                percent: None,
                percent_one_decimal: None,
            };
        }
        let percent = count as f64 * 100.0 / total as f64;
        let tenths = div_round_half_up(u128::from(count) * 1000, u128::from(total));
        Share {
            count,
            total,
            percent: Some(percent),
            percent_one_decimal: Some(tenths as f64 / 10.0),
        }
    }
}

/// A mean duration over `count` samples. `seconds` is `None` when `count` is 0;
/// `seconds_one_decimal` is rounded half up on the first decimal in integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSeconds {
    pub count: u64,
    /// Sum of the samples, in milliseconds (negative samples are clamped to 0).
    pub total_millis: u64,
    pub seconds: Option<f64>,
    pub seconds_one_decimal: Option<f64>,
}

impl MeanSeconds {
    /// The mean of durations given in milliseconds; negative durations count as 0.
    pub fn from_millis<I: IntoIterator<Item = i64>>(samples: I) -> MeanSeconds {
        let mut count = 0u64;
        let mut total: u64 = 0;
        for s in samples {
            count = count.saturating_add(1);
            total = total.saturating_add(u64::try_from(s.max(0)).unwrap_or(0));
        }
        if count == 0 {
            return MeanSeconds {
                count,
                total_millis: total,
                seconds: None,
                seconds_one_decimal: None,
            };
        }
        let seconds = total as f64 / 1000.0 / count as f64;
        let tenths = div_round_half_up(u128::from(total), u128::from(count) * 100);
        MeanSeconds {
            count,
            total_millis: total,
            seconds: Some(seconds),
            seconds_one_decimal: Some(tenths as f64 / 10.0),
        }
    }
}

/// `num / den` rounded half up, for `den > 0` (returns 0 for `den == 0`).
pub(crate) fn div_round_half_up(num: u128, den: u128) -> u128 {
    if den == 0 {
        return 0;
    }
    num.saturating_mul(2).saturating_add(den) / den.saturating_mul(2)
}

/// Length of `[from, to)` in milliseconds, 0 when empty or reversed.
pub(crate) fn span(from: i64, to: i64) -> i64 {
    to.saturating_sub(from).max(0)
}

/// Sorts and merges half-open intervals, dropping empty ones.
pub(crate) fn merge_intervals(mut v: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    v.retain(|&(a, b)| b > a);
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Total length of the intersection of two merged interval lists.
pub(crate) fn intersection_millis(a: &[(i64, i64)], b: &[(i64, i64)]) -> i64 {
    let (mut i, mut j, mut total) = (0usize, 0usize, 0i64);
    while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
        total = total.saturating_add(span(a0.max(b0), a1.min(b1)));
        if a1 < b1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}

/// Total length of a merged interval list.
pub(crate) fn total_millis(a: &[(i64, i64)]) -> i64 {
    a.iter()
        .fold(0i64, |acc, &(x, y)| acc.saturating_add(span(x, y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_rounds_half_up_on_one_decimal_sla_9() {
        // 1901 / 2000 = 95.05 % exactly: half up gives 95.1.
        assert_eq!(Share::new(1901, 2000).percent_one_decimal, Some(95.1));
        // 2 / 3 = 66.666… → 66.7.
        assert_eq!(Share::new(2, 3).percent_one_decimal, Some(66.7));
        assert_eq!(Share::new(0, 0).percent, None);
        assert_eq!(Share::new(5, 3).count, 3);
    }

    #[test]
    fn mean_seconds_of_nothing_is_none() {
        let m = MeanSeconds::from_millis([]);
        assert_eq!(m.seconds, None);
        let m = MeanSeconds::from_millis([1000, 2050, -7]);
        // (1000 + 2050 + 0) / 3 = 1016.67 ms → 1.0 s to one decimal.
        assert_eq!(m.seconds_one_decimal, Some(1.0));
        assert_eq!(m.total_millis, 3050);
    }

    #[test]
    fn outcome_round_trips() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::parse("ABANDONED_IVR"), Some(Outcome::AbandonedIvr));
        assert_eq!(Outcome::parse("lost"), None);
    }

    #[test]
    fn intervals_merge_and_intersect() {
        let a = merge_intervals(vec![(5, 10), (0, 3), (2, 4), (7, 7)]);
        assert_eq!(a, vec![(0, 4), (5, 10)]);
        let b = merge_intervals(vec![(3, 6), (9, 20)]);
        // (3,4) + (5,6) + (9,10) = 3.
        assert_eq!(intersection_millis(&a, &b), 3);
        assert_eq!(total_millis(&a), 9);
    }
}
