//! Traffic figures for supervisors and reports: service level at any threshold, average
//! speed of answer, handle and talk time, abandon rate, calls per hour slot, outcome mix
//! and expected-wait announcement accuracy [SLA-10, SLA-3].

use crate::{CallRecord, MeanSeconds, Outcome, Share};

/// The queue wait of a call in milliseconds: the engine's `wait_seconds` when present,
/// else from `operator_requested_at` (or `started_at`) to `answered_at` (or `ended_at`);
/// `None` when neither end is known. Negative values are clamped to 0.
pub fn queue_wait_millis(c: &CallRecord) -> Option<i64> {
    if let Some(w) = c.wait_seconds {
        return Some(w.max(0).saturating_mul(1000));
    }
    let end = c.answered_at.or(c.ended_at)?;
    Some(crate::span(
        c.operator_requested_at.unwrap_or(c.started_at),
        end,
    ))
}

/// Service level at any threshold [SLA-3, SLA-10]: queued inbound calls answered by an
/// operator with a wait strictly below `threshold_seconds` / queued inbound calls with a
/// known wait (abandoned calls count in the denominator). Same rule as SLA.C.2.
pub fn service_level(calls: &[CallRecord], threshold_seconds: i64) -> Share {
    crate::tender::queue_wait_compliance(calls, threshold_seconds, i64::MAX / 2000).answered_within
}

/// Average speed of answer [SLA-10 "mean answer and queue wait"]: mean queue wait
/// ([`queue_wait_millis`]) over queued inbound calls answered by an operator.
pub fn average_speed_of_answer(calls: &[CallRecord]) -> MeanSeconds {
    MeanSeconds::from_millis(
        calls
            .iter()
            .filter(|c| c.is_inbound() && c.queue.is_some() && c.answered_at.is_some())
            .filter_map(queue_wait_millis),
    )
}

/// Average handle time: mean of `ended_at − answered_at` (the whole operator part of the
/// call, talk plus hold and transfer) over calls answered by an operator with both
/// timestamps.
pub fn average_handle_time(calls: &[CallRecord]) -> MeanSeconds {
    MeanSeconds::from_millis(
        calls
            .iter()
            .filter_map(|c| Some(crate::span(c.answered_at?, c.ended_at?))),
    )
}

/// Average talk time [SLA-10 "mean talk time"]: mean `talk_seconds` over calls answered
/// by an operator; when `talk_seconds` is missing, `ended_at − answered_at`.
pub fn average_talk_time(calls: &[CallRecord]) -> MeanSeconds {
    MeanSeconds::from_millis(
        calls
            .iter()
            .filter(|c| c.answered_at.is_some())
            .filter_map(|c| match c.talk_seconds {
                Some(t) => Some(t.max(0).saturating_mul(1000)),
                None => Some(crate::span(c.answered_at?, c.ended_at?)),
            }),
    )
}

/// Abandon rate [SLA-10 "abandoned, lost"]: inbound calls abandoned anywhere (in the IVR
/// or in a queue) / inbound calls that found a free line (outcome not `busy`).
pub fn abandon_rate(calls: &[CallRecord]) -> Share {
    let offered = calls
        .iter()
        .filter(|c| c.is_inbound() && c.outcome != Outcome::Busy);
    let (mut ab, mut total) = (0u64, 0u64);
    for c in offered {
        total += 1;
        if matches!(c.outcome, Outcome::AbandonedQueue | Outcome::AbandonedIvr) {
            ab += 1;
        }
    }
    Share::new(ab, total)
}

/// Calls per hour slot [SLA-10]: inbound calls by the local hour (0..=23) of `started_at`;
/// `offset(utc)` gives the local offset in milliseconds (Europe/Rome from the calendar).
pub fn calls_per_hour_slot(calls: &[CallRecord], offset: &dyn Fn(i64) -> i64) -> [u64; 24] {
    let mut slots = [0u64; 24];
    for c in calls.iter().filter(|c| c.is_inbound()) {
        let local = c.started_at.saturating_add(offset(c.started_at));
        let hour = usize::try_from(local.rem_euclid(86_400_000) / 3_600_000).unwrap_or(0);
        if let Some(s) = slots.get_mut(hour) {
            *s += 1;
        }
    }
    slots
}

/// One line of the outcome mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutcomeCount {
    pub outcome: Outcome,
    /// Calls with this outcome / all calls of the slice.
    pub share: Share,
}

/// Outcome mix [SLA-10 "outcome of inbound calls (answered, abandoned, lost)"]: every
/// outcome in [`Outcome::ALL`] order with its count over the inbound calls.
pub fn outcome_mix(calls: &[CallRecord]) -> Vec<OutcomeCount> {
    let inbound: Vec<&CallRecord> = calls.iter().filter(|c| c.is_inbound()).collect();
    let total = inbound.len() as u64;
    Outcome::ALL
        .into_iter()
        .map(|o| OutcomeCount {
            outcome: o,
            share: Share::new(
                inbound.iter().filter(|c| c.outcome == o).count() as u64,
                total,
            ),
        })
        .collect()
}

/// Accuracy of the expected-wait announcement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnnouncementAccuracy {
    /// Mean of |announced − real wait| over the calls that heard an announcement and
    /// whose real wait is known.
    pub mean_absolute_error: MeanSeconds,
    /// Of those calls, the ones whose real wait was within ± `tolerance_seconds` of the
    /// announcement (inclusive).
    pub within_tolerance: Share,
}

/// Expected-wait announcement accuracy: announced (`announced_wait_seconds`) vs real
/// queue wait ([`queue_wait_millis`]); callers who abandoned count with the wait they
/// actually endured. The brief's tolerance is ±30 s.
pub fn announcement_accuracy(calls: &[CallRecord], tolerance_seconds: i64) -> AnnouncementAccuracy {
    let errors: Vec<i64> = calls
        .iter()
        .filter_map(|c| {
            let announced = c.announced_wait_seconds?.saturating_mul(1000);
            Some(
                announced
                    .saturating_sub(queue_wait_millis(c)?)
                    .saturating_abs(),
            )
        })
        .collect();
    let tol = tolerance_seconds.max(0).saturating_mul(1000);
    let within = errors.iter().filter(|&&e| e <= tol).count() as u64;
    AnnouncementAccuracy {
        within_tolerance: Share::new(within, errors.len() as u64),
        mean_absolute_error: MeanSeconds::from_millis(errors),
    }
}
