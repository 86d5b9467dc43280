//! Tender service levels SLA.C.1..4 and SLA.O.1..3, the overflow rule and the penalty
//! amounts [SLA-2, SLA-3, SLA-4, SLA-5, SLA-6, SLA-7, SLA-8].
//!
//! Functions take the records of the slice to measure (period and channel already
//! chosen by the caller); only inbound calls ([`CallRecord::is_inbound`]) are counted.

use std::collections::HashMap;

use crate::hours::ServiceHours;
use crate::traffic::queue_wait_millis;
use crate::{CallRecord, Outcome, Share, TicketRecord};

/// SLA.C.1 [SLA-2]: "≥90% of contacts find a free line and reach the welcome message".
///
/// Implemented as: inbound calls whose outcome is not `busy` / inbound calls. Calls that
/// reached the closed-hours message or were interrupted after the welcome did find a
/// free line, so they count in the numerator.
pub fn free_line_share(calls: &[CallRecord]) -> Share {
    let inbound = calls.iter().filter(|c| c.is_inbound());
    let (mut ok, mut total) = (0u64, 0u64);
    for c in inbound {
        total += 1;
        if c.outcome != Outcome::Busy {
            ok += 1;
        }
    }
    Share::new(ok, total)
}

/// SLA.C.2 [SLA-3]: "queued calls wait <30 s for ≥90% of them and never >90 s".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueWaitFigures {
    /// Queued calls answered by an operator with a wait strictly below `within_seconds`
    /// / queued calls (abandoned ones count in the denominator).
    pub answered_within: Share,
    /// Queued calls (answered or not) whose wait is strictly above `never_over_seconds`;
    /// must be 0.
    pub over_limit: u64,
    /// Queued calls whose wait could not be known (no wait, no end): left out of both.
    pub unknown_wait: u64,
}

/// SLA.C.2 [SLA-3]: "queued calls wait <30 s for ≥90% of them and never >90 s"; the
/// tender's values are `within_seconds = 30`, `never_over_seconds = 90`.
///
/// A call is *queued* when it has a `queue`. Its wait is the engine's `wait_seconds`, or
/// else from `operator_requested_at` (or `started_at`) to `answered_at` (or `ended_at`),
/// see [`queue_wait_millis`].
pub fn queue_wait_compliance(
    calls: &[CallRecord],
    within_seconds: i64,
    never_over_seconds: i64,
) -> QueueWaitFigures {
    let (mut within, mut total, mut over, mut unknown) = (0u64, 0u64, 0u64, 0u64);
    for c in calls.iter().filter(|c| c.is_inbound() && c.queue.is_some()) {
        let Some(w) = queue_wait_millis(c) else {
            unknown += 1;
            continue;
        };
        total += 1;
        if c.answered_at.is_some() && w < within_seconds.saturating_mul(1000) {
            within += 1;
        }
        if w > never_over_seconds.saturating_mul(1000) {
            over += 1;
        }
    }
    QueueWaitFigures {
        answered_within: Share::new(within, total),
        over_limit: over,
        unknown_wait: unknown,
    }
}

/// SLA.C.3 [SLA-4]: "abandoned while waiting ≤5% of queued calls".
///
/// Implemented as: queued inbound calls with outcome `abandoned_queue` / queued inbound
/// calls (those with a `queue`). Calls abandoned in the IVR never reached a queue and are
/// not counted here (see [`crate::abandon_rate`]).
pub fn queue_abandon_share(calls: &[CallRecord]) -> Share {
    let queued = calls.iter().filter(|c| c.is_inbound() && c.queue.is_some());
    let (mut ab, mut total) = (0u64, 0u64);
    for c in queued {
        total += 1;
        if c.outcome == Outcome::AbandonedQueue {
            ab += 1;
        }
    }
    Share::new(ab, total)
}

/// SLA.C.4 [SLA-5]: "≥80% resolved at first contact".
///
/// Implemented as: over the tickets whose first-contact verdict is known
/// (`resolved_first_contact` is `Some`), those marked resolved at first contact **and**
/// without a repeat contact, / those tickets. A repeat contact is an inbound call from
/// the same `caller` (call `from`, compared exactly) that is not linked to this ticket,
/// or another ticket of the same caller, starting in `(opened_at, opened_at +
/// repeat_window_millis]`. Tickets without a caller are judged on the verdict alone.
pub fn first_contact_resolution(
    tickets: &[TicketRecord],
    calls: &[CallRecord],
    repeat_window_millis: i64,
) -> Share {
    // Contacts per caller, sorted by instant: (instant, ticket the contact belongs to).
    // Calls carry their linked ticket; a ticket is its own contact.
    let mut contacts: HashMap<&str, Vec<(i64, Option<i64>)>> = HashMap::new();
    for c in calls.iter().filter(|c| c.is_inbound()) {
        contacts
            .entry(c.from.as_str())
            .or_default()
            .push((c.started_at, c.ticket_id));
    }
    for o in tickets {
        if let Some(caller) = o.caller.as_deref() {
            contacts
                .entry(caller)
                .or_default()
                .push((o.opened_at, Some(o.id)));
        }
    }
    for list in contacts.values_mut() {
        list.sort_unstable();
    }
    let (mut ok, mut total) = (0u64, 0u64);
    for t in tickets {
        let Some(verdict) = t.resolved_first_contact else {
            continue;
        };
        total += 1;
        if !verdict {
            continue;
        }
        let window_end = t.opened_at.saturating_add(repeat_window_millis.max(0));
        let repeated = t
            .caller
            .as_deref()
            .and_then(|c| contacts.get(c))
            .is_some_and(|list| {
                let first = list.partition_point(|&(at, _)| at <= t.opened_at);
                list.get(first..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|&&(at, _)| at <= window_end)
                    .any(|&(_, ticket)| ticket != Some(t.id))
            });
        if !repeated {
            ok += 1;
        }
    }
    Share::new(ok, total)
}

/// Which clock measures an SLA.O window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBasis {
    /// Working time from [`ServiceHours::working_millis_between`].
    Working,
    /// Elapsed calendar time.
    Elapsed,
}

/// Limits of SLA.O.1/2/3 [SLA-6].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfflineConfig {
    /// SLA.O.1 window: 4 working hours.
    pub take_in_charge_millis: i64,
    /// SLA.O.2 window: 24 h.
    pub resolve_first_millis: i64,
    /// SLA.O.3 window: 48 h.
    pub resolve_second_millis: i64,
    /// Clock for the take-in-charge window (default working time).
    pub take_in_charge_basis: TimeBasis,
    /// Clock for the two resolution windows (default working time, as the tender
    /// counts working hours from the calendar).
    pub resolve_basis: TimeBasis,
}

impl Default for OfflineConfig {
    fn default() -> Self {
        OfflineConfig {
            take_in_charge_millis: 4 * 3_600_000,
            resolve_first_millis: 24 * 3_600_000,
            resolve_second_millis: 48 * 3_600_000,
            take_in_charge_basis: TimeBasis::Working,
            resolve_basis: TimeBasis::Working,
        }
    }
}

/// SLA.O.1/2/3 figures with the tickets still pending at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfflineFigures {
    /// SLA.O.1: taken in charge within the window (target ≥80%).
    pub taken_within: Share,
    /// SLA.O.2: resolved within the first window (target ≥80%).
    pub resolved_within_first: Share,
    /// SLA.O.3: resolved within the second window (target 100%).
    pub resolved_within_second: Share,
    /// Tickets not yet taken in charge whose window had not expired at `as_of`: not judged.
    pub pending_take: u64,
    /// Tickets not yet resolved whose second window had not expired at `as_of`.
    pub pending_resolution: u64,
}

/// SLA.O.1/2/3 [SLA-6]: "≥80% taken in charge within 4 h; ≥80% resolved within 24 h;
/// 100% within 48 h" for off-line requests (`offline` tickets), hours counted on the
/// business calendar.
///
/// For each off-line ticket, the time from `opened_at` to `taken_at` (resp.
/// `resolved_at`) is measured on the configured clock and compared (`<=`) with the
/// window. A ticket with no `taken_at`/`resolved_at` fails the window once the window has
/// expired at `as_of`; before that it is pending and left out of that figure's
/// denominator. `pending_resolution` counts unresolved tickets whose second window is
/// still running at `as_of`.
pub fn offline_tickets(
    tickets: &[TicketRecord],
    hours: &dyn ServiceHours,
    config: &OfflineConfig,
    as_of: i64,
) -> OfflineFigures {
    let measure = |basis: TimeBasis, from: i64, to: i64| match basis {
        TimeBasis::Working => hours.working_millis_between(from, to),
        TimeBasis::Elapsed => crate::span(from, to),
    };
    let (mut take_ok, mut take_n, mut pend_take) = (0u64, 0u64, 0u64);
    let (mut r1_ok, mut r2_ok, mut r1_n, mut r2_n, mut pend_res) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for t in tickets.iter().filter(|t| t.offline) {
        match t.taken_at {
            Some(at) => {
                take_n += 1;
                if measure(config.take_in_charge_basis, t.opened_at, at)
                    <= config.take_in_charge_millis
                {
                    take_ok += 1;
                }
            }
            None if measure(config.take_in_charge_basis, t.opened_at, as_of)
                <= config.take_in_charge_millis =>
            {
                pend_take += 1;
            }
            None => take_n += 1,
        }
        match t.resolved_at {
            Some(at) => {
                let d = measure(config.resolve_basis, t.opened_at, at);
                r1_n += 1;
                r2_n += 1;
                r1_ok += u64::from(d <= config.resolve_first_millis);
                r2_ok += u64::from(d <= config.resolve_second_millis);
            }
            None => {
                let elapsed = measure(config.resolve_basis, t.opened_at, as_of);
                if elapsed > config.resolve_first_millis {
                    r1_n += 1;
                }
                if elapsed > config.resolve_second_millis {
                    r2_n += 1;
                } else {
                    pend_res += 1;
                }
            }
        }
    }
    OfflineFigures {
        taken_within: Share::new(take_ok, take_n),
        resolved_within_first: Share::new(r1_ok, r1_n),
        resolved_within_second: Share::new(r2_ok, r2_n),
        pending_take: pend_take,
        pending_resolution: pend_res,
    }
}

/// Whether a threshold is a floor (service level ≥ x) or a ceiling (abandon ≤ x).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdKind {
    AtLeast,
    AtMost,
}

/// SLA-7 overflow tolerance: "for every +10% of traffic above the sizing, the SLA
/// threshold drops by 1 point (rounded to integer)".
///
/// Implemented as: excess = (traffic − sizing) / sizing × 100 %; points =
/// excess / 10 rounded half up to an integer (so +14% → 1, +15% → 2, +25% → 3), computed
/// exactly in integers; a floor threshold is lowered by that many points (not below 0),
/// a ceiling threshold is raised by as many (not above 100). Traffic at or below the
/// sizing, or a zero sizing, leaves the threshold unchanged.
pub fn overflow_threshold(
    threshold_percent: f64,
    kind: ThresholdKind,
    sizing_calls: u64,
    actual_calls: u64,
) -> f64 {
    if sizing_calls == 0 || actual_calls <= sizing_calls {
        return threshold_percent;
    }
    let excess = u128::from(actual_calls - sizing_calls);
    let points = crate::div_round_half_up(excess * 10, u128::from(sizing_calls)) as f64;
    match kind {
        ThresholdKind::AtLeast => (threshold_percent - points).max(0.0),
        ThresholdKind::AtMost => (threshold_percent + points).min(100.0),
    }
}

/// SLA-8 (M §7.4): "penalties per point (or fraction) below threshold".
///
/// Implemented as: shortfall = threshold − value (floor threshold) or value − threshold
/// (ceiling); when positive, every started point counts as a whole point (`ceil`, with
/// a 1e-9 tolerance against binary noise) and is charged `amount_per_point_cents`.
/// A missing value (no data) is charged nothing. Returns euro cents.
pub fn penalty_per_point(
    value: Option<f64>,
    threshold: f64,
    kind: ThresholdKind,
    amount_per_point_cents: i64,
) -> i64 {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return 0;
    };
    let shortfall = match kind {
        ThresholdKind::AtLeast => threshold - v,
        ThresholdKind::AtMost => v - threshold,
    };
    if shortfall <= 1e-9 {
        return 0;
    }
    let points = (shortfall - 1e-9).ceil().min(1e6) as i64;
    points.saturating_mul(amount_per_point_cents)
}

/// SLA-8 (V §13.2): "Vus Com: €200 / €500 / €1,500 when one / two / three of AS, TMA, LS
/// miss in a month". `misses` is the number of indicators missed that month (values
/// above 3 are treated as 3). Returns euros.
pub fn vus_com_penalty_eur(misses: u8) -> u32 {
    match misses {
        0 => 0,
        1 => 200,
        2 => 500,
        _ => 1500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_rounds_points_sla_7() {
        // +14% → 1.4 → 1 point; +15% → 1.5 → 2 points; +25% → 3; -10% → none.
        assert_eq!(
            overflow_threshold(90.0, ThresholdKind::AtLeast, 1000, 1140),
            89.0
        );
        assert_eq!(
            overflow_threshold(90.0, ThresholdKind::AtLeast, 1000, 1150),
            88.0
        );
        assert_eq!(
            overflow_threshold(5.0, ThresholdKind::AtMost, 1000, 1250),
            8.0
        );
        assert_eq!(
            overflow_threshold(90.0, ThresholdKind::AtLeast, 1000, 900),
            90.0
        );
        assert_eq!(
            overflow_threshold(90.0, ThresholdKind::AtLeast, 0, 900),
            90.0
        );
        assert_eq!(
            overflow_threshold(90.0, ThresholdKind::AtLeast, 1, u64::MAX),
            0.0
        );
    }

    #[test]
    fn penalties_count_fractions_as_points_sla_8() {
        // 87.5 against 90: 2.5 points → 3 points × €100.
        assert_eq!(
            penalty_per_point(Some(87.5), 90.0, ThresholdKind::AtLeast, 10_000),
            30_000
        );
        assert_eq!(
            penalty_per_point(Some(88.0), 90.0, ThresholdKind::AtLeast, 10_000),
            20_000
        );
        assert_eq!(
            penalty_per_point(Some(90.0), 90.0, ThresholdKind::AtLeast, 10_000),
            0
        );
        assert_eq!(
            penalty_per_point(Some(5.1), 5.0, ThresholdKind::AtMost, 10_000),
            10_000
        );
        assert_eq!(
            penalty_per_point(None, 90.0, ThresholdKind::AtLeast, 10_000),
            0
        );
        assert_eq!(
            [0, 1, 2, 3, 7].map(vus_com_penalty_eur),
            [0, 200, 500, 1500, 1500]
        );
    }
}
