//! The report of one period and channel: every figure of the tenders and of ARERA TIQV
//! with its numerator and denominator, as plain fields the shell serialises
//! [SLA-1..SLA-10].

use crate::availability::{AvailabilityFigure, availability};
use crate::erlang::{Staffing, erlang_c_agents};
use crate::hours::ServiceHours;
use crate::tender::{
    OfflineConfig, OfflineFigures, QueueWaitFigures, ThresholdKind, first_contact_resolution,
    free_line_share, offline_tickets, overflow_threshold, penalty_per_point, queue_abandon_share,
    queue_wait_compliance, vus_com_penalty_eur,
};
use crate::tiqv::{TiqvConfig, accessibility, mean_wait_tma, service_level_ls};
use crate::traffic::{
    AnnouncementAccuracy, OutcomeCount, abandon_rate, announcement_accuracy, average_handle_time,
    average_speed_of_answer, average_talk_time, calls_per_hour_slot, outcome_mix,
};
use crate::{
    CallRecord, Component, HealthSample, LineBusyInterval, MeanSeconds, Outcome, Share,
    TicketRecord,
};

/// Settings of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportConfig {
    /// SLA.C.2 threshold (30 s).
    pub answer_within_seconds: i64,
    /// SLA.C.2 ceiling (90 s).
    pub never_over_seconds: i64,
    /// SLA.C.4 repeat-contact window (default 7 days).
    pub repeat_window_millis: i64,
    pub offline: OfflineConfig,
    pub tiqv: TiqvConfig,
    /// Tolerance of the expected-wait announcement (±30 s).
    pub announcement_tolerance_seconds: i64,
    /// SLA-1 validity of one health sample (default 2 minutes).
    pub sample_validity_millis: i64,
    /// Staffing target for the Erlang-C suggestion: share (0..=1) within `answer_within_seconds`.
    pub staffing_target_share: f64,
    /// Upper bound of the Erlang-C search.
    pub max_agents: u32,
    /// Inbound calls the service was sized for in the report's period; when the traffic
    /// exceeds it the SLA.C thresholds are relaxed by the overflow rule [SLA-7].
    pub sizing_calls: Option<u64>,
    /// Penalty per point (or fraction) below an SLA.C threshold, in euro cents [SLA-8 M §7.4].
    pub penalty_per_point_cents: i64,
}

/// SLA.C thresholds in percent after the overflow rule [SLA-2..SLA-5, SLA-7].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TenderThresholds {
    /// SLA.C.1, at least (90).
    pub free_line_min: f64,
    /// SLA.C.2, at least (90).
    pub answered_within_min: f64,
    /// SLA.C.3, at most (5).
    pub queue_abandon_max: f64,
    /// SLA.C.4, at least (80).
    pub first_contact_min: f64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            answer_within_seconds: 30,
            never_over_seconds: 90,
            repeat_window_millis: 7 * 86_400_000,
            offline: OfflineConfig::default(),
            tiqv: TiqvConfig::default(),
            announcement_tolerance_seconds: 30,
            sample_validity_millis: 120_000,
            staffing_target_share: 0.9,
            max_agents: 1000,
            sizing_calls: None,
            penalty_per_point_cents: 0,
        }
    }
}

/// Everything a report needs besides the period.
pub struct ReportInput<'a> {
    pub calls: &'a [CallRecord],
    pub tickets: &'a [TicketRecord],
    /// All-lines-busy facts (from the engine or [`crate::lines_busy_from_calls`]).
    pub busy: &'a [LineBusyInterval],
    pub health: &'a [HealthSample],
    pub hours: &'a dyn ServiceHours,
    /// Local offset in milliseconds for a UTC instant (Europe/Rome from the calendar).
    pub offset: &'a dyn Fn(i64) -> i64,
    pub config: &'a ReportConfig,
}

/// Every figure for one period `[from, to)` and one channel (or all).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub from: i64,
    pub to: i64,
    /// `None` = every channel.
    pub channel: Option<String>,
    /// All calls of the slice (started in the period, of the channel).
    pub calls: u64,
    /// Inbound calls of the slice.
    pub inbound_calls: u64,
    /// SLA.C.1 [SLA-2], target ≥90%.
    pub free_line: Share,
    /// SLA.C.2 [SLA-3], target ≥90% and 0 over 90 s.
    pub queue_wait: QueueWaitFigures,
    /// SLA.C.3 [SLA-4], target ≤5%.
    pub queue_abandon: Share,
    /// SLA.C.4 [SLA-5], target ≥80%, over tickets opened in the period.
    pub first_contact_resolution: Share,
    /// SLA.O.1/2/3 [SLA-6] over off-line tickets opened in the period, judged at `to`.
    pub offline: OfflineFigures,
    /// ARERA AS [SLA-9], target >95% (use `percent_one_decimal`).
    pub tiqv_accessibility: Share,
    /// ARERA TMA [SLA-9], target <180 s.
    pub tiqv_mean_wait: MeanSeconds,
    /// ARERA LS [SLA-9], target >85% (use `percent_one_decimal`).
    pub tiqv_service_level: Share,
    /// How many of AS, TMA, LS missed their target (figures without data excluded).
    pub tiqv_misses: u8,
    /// Vus Com penalty for those misses, in euros [SLA-8]; meaningful for a month.
    pub tiqv_vus_com_penalty_eur: u32,
    /// SLA.C thresholds after the overflow rule.
    pub thresholds: TenderThresholds,
    /// Sum of the per-point penalties of SLA.C.1..4 against `thresholds`, in euro cents
    /// [SLA-8 M §7.4]; figures without data cost nothing.
    pub penalties_cents: i64,
    /// SLA-1, ACD, IVR, CTI in that order.
    pub availability: Vec<AvailabilityFigure>,
    pub average_speed_of_answer: MeanSeconds,
    pub average_handle_time: MeanSeconds,
    pub average_talk_time: MeanSeconds,
    pub abandon_rate: Share,
    /// Inbound calls per local hour of the day.
    pub calls_per_hour_slot: [u64; 24],
    pub outcome_mix: Vec<OutcomeCount>,
    pub announcement: AnnouncementAccuracy,
    /// Erlang-C agents for the busiest local hour slot averaged over the period's days
    /// and the period's AHT; `None` without data.
    pub staffing: Option<Staffing>,
    /// Ids of calls with missing timestamps (no `ended_at`, or `interrupted`), which are
    /// left out of the figures needing them.
    pub incomplete_call_ids: Vec<i64>,
}

/// Builds the report of `[from, to)` for `channel` (`None` = all channels). Calls and
/// tickets belong to the period in which they started / were opened. For a per-queue
/// report pass only that queue's calls in [`ReportInput::calls`]; for daily / weekly /
/// monthly / yearly rows call this once per [`crate::Period`] of
/// [`crate::split_calls_by_period`] or [`crate::period_of`].
pub fn build_report(input: &ReportInput<'_>, from: i64, to: i64, channel: Option<&str>) -> Report {
    let cfg = input.config;
    let calls: Vec<CallRecord> = input
        .calls
        .iter()
        .filter(|c| {
            c.started_at >= from && c.started_at < to && channel.is_none_or(|ch| c.channel == ch)
        })
        .cloned()
        .collect();
    let tickets: Vec<TicketRecord> = input
        .tickets
        .iter()
        .filter(|t| {
            t.opened_at >= from && t.opened_at < to && channel.is_none_or(|ch| t.channel == ch)
        })
        .cloned()
        .collect();
    let accessibility = accessibility(input.busy, input.hours, from, to, cfg.tiqv.unit_millis);
    let mean_wait = mean_wait_tma(&calls);
    let ls = service_level_ls(&calls);
    let t = &cfg.tiqv.targets;
    let misses = [
        accessibility
            .percent_one_decimal
            .map(|v| v > t.accessibility_above),
        mean_wait
            .seconds_one_decimal
            .map(|v| v < t.mean_wait_below_seconds),
        ls.percent_one_decimal.map(|v| v > t.service_level_above),
    ]
    .iter()
    .filter(|m| **m == Some(false))
    .count() as u8;
    let inbound = calls.iter().filter(|c| c.is_inbound()).count() as u64;
    let adjust = |base: f64, kind: ThresholdKind| match cfg.sizing_calls {
        Some(sizing) => overflow_threshold(base, kind, sizing, inbound),
        None => base,
    };
    let thresholds = TenderThresholds {
        free_line_min: adjust(90.0, ThresholdKind::AtLeast),
        answered_within_min: adjust(90.0, ThresholdKind::AtLeast),
        queue_abandon_max: adjust(5.0, ThresholdKind::AtMost),
        first_contact_min: adjust(80.0, ThresholdKind::AtLeast),
    };
    let free_line = free_line_share(&calls);
    let queue_wait =
        queue_wait_compliance(&calls, cfg.answer_within_seconds, cfg.never_over_seconds);
    let queue_abandon = queue_abandon_share(&calls);
    let fcr = first_contact_resolution(&tickets, input.calls, cfg.repeat_window_millis);
    let per_point = cfg.penalty_per_point_cents;
    let penalties_cents = [
        penalty_per_point(
            free_line.percent,
            thresholds.free_line_min,
            ThresholdKind::AtLeast,
            per_point,
        ),
        penalty_per_point(
            queue_wait.answered_within.percent,
            thresholds.answered_within_min,
            ThresholdKind::AtLeast,
            per_point,
        ),
        penalty_per_point(
            queue_abandon.percent,
            thresholds.queue_abandon_max,
            ThresholdKind::AtMost,
            per_point,
        ),
        penalty_per_point(
            fcr.percent,
            thresholds.first_contact_min,
            ThresholdKind::AtLeast,
            per_point,
        ),
    ]
    .iter()
    .fold(0i64, |a, b| a.saturating_add(*b));
    let slots = calls_per_hour_slot(&calls, input.offset);
    let aht = average_handle_time(&calls);
    let staffing = staffing_for_peak(&slots, aht.seconds, from, to, cfg);
    Report {
        from,
        to,
        channel: channel.map(str::to_string),
        calls: calls.len() as u64,
        inbound_calls: inbound,
        free_line,
        queue_wait,
        queue_abandon,
        first_contact_resolution: fcr,
        offline: offline_tickets(&tickets, input.hours, &cfg.offline, to),
        tiqv_accessibility: accessibility,
        tiqv_mean_wait: mean_wait,
        tiqv_service_level: ls,
        tiqv_misses: misses,
        tiqv_vus_com_penalty_eur: vus_com_penalty_eur(misses),
        thresholds,
        penalties_cents,
        availability: [Component::Acd, Component::Ivr, Component::Cti]
            .into_iter()
            .map(|c| {
                availability(
                    input.health,
                    c,
                    input.hours,
                    from,
                    to,
                    cfg.sample_validity_millis,
                )
            })
            .collect(),
        average_speed_of_answer: average_speed_of_answer(&calls),
        average_handle_time: aht,
        average_talk_time: average_talk_time(&calls),
        abandon_rate: abandon_rate(&calls),
        calls_per_hour_slot: slots,
        outcome_mix: outcome_mix(&calls),
        announcement: announcement_accuracy(&calls, cfg.announcement_tolerance_seconds),
        staffing,
        incomplete_call_ids: calls
            .iter()
            .filter(|c| c.ended_at.is_none() || c.outcome == Outcome::Interrupted)
            .map(|c| c.id)
            .collect(),
    }
}

/// Erlang-C staffing for the busiest hour slot: its calls divided by the number of days
/// in the period (at least 1) give calls per hour.
fn staffing_for_peak(
    slots: &[u64; 24],
    aht_seconds: Option<f64>,
    from: i64,
    to: i64,
    cfg: &ReportConfig,
) -> Option<Staffing> {
    let peak = slots.iter().copied().max().filter(|&p| p > 0)?;
    let days = (crate::span(from, to) as f64 / 86_400_000.0)
        .ceil()
        .max(1.0);
    erlang_c_agents(
        peak as f64 / days,
        aht_seconds?,
        cfg.staffing_target_share,
        cfg.answer_within_seconds as f64,
        cfg.max_agents,
    )
}
