//! Edge cases of the indicators: empty periods, all calls abandoned, zero open time,
//! missing timestamps [SLA-2..SLA-9; issue 7 "Bad input": no data → "no data", never a
//! division by zero or 100%].

mod common;

use common::{rome, utc};
use sla_metrics::*;

fn call(
    id: i64,
    outcome: Outcome,
    started: i64,
    requested: Option<i64>,
    answered: Option<i64>,
    ended: Option<i64>,
) -> CallRecord {
    CallRecord {
        id,
        channel: "verde".into(),
        from: format!("+39{id}"),
        to: "800".into(),
        started_at: started,
        operator_requested_at: requested,
        answered_at: answered,
        ended_at: ended,
        queue: requested.map(|_| "info".to_string()),
        agent: None,
        wait_seconds: None,
        talk_seconds: None,
        outcome,
        announced_wait_seconds: None,
        ticket_id: None,
    }
}

#[test]
fn empty_period_gives_no_data_sla_9() {
    let none: &[CallRecord] = &[];
    assert_eq!(free_line_share(none).percent, None);
    assert_eq!(
        queue_wait_compliance(none, 30, 90).answered_within.percent,
        None
    );
    assert_eq!(queue_abandon_share(none).percent_one_decimal, None);
    assert_eq!(mean_wait_tma(none).seconds, None);
    assert_eq!(service_level_ls(none).percent, None);
    assert_eq!(average_speed_of_answer(none).seconds, None);
    assert_eq!(abandon_rate(none).percent, None);
    assert_eq!(
        announcement_accuracy(none, 30).within_tolerance.percent,
        None
    );
    assert!(outcome_mix(none).iter().all(|o| o.share.percent.is_none()));
    assert_eq!(first_contact_resolution(&[], none, 1000).percent, None);
    let f = offline_tickets(&[], &AlwaysOpen, &OfflineConfig::default(), 0);
    assert_eq!(f.taken_within.percent, None);
    let cfg = ReportConfig::default();
    let input = ReportInput {
        calls: none,
        tickets: &[],
        busy: &[],
        health: &[],
        hours: &AlwaysOpen,
        offset: &rome,
        config: &cfg,
    };
    let r = build_report(
        &input,
        utc(2026, 11, 1, 0, 0, 0),
        utc(2026, 12, 1, 0, 0, 0),
        Some("verde"),
    );
    assert_eq!(r.calls, 0);
    assert_eq!(r.tiqv_service_level.percent, None);
    assert_eq!(r.tiqv_mean_wait.seconds, None);
    // AS has open time and no busy line: 100 % is a fact here, not a default.
    assert_eq!(r.tiqv_accessibility.percent_one_decimal, Some(100.0));
    assert_eq!(r.tiqv_misses, 0);
    assert_eq!(r.staffing, None);
    // A reversed period is empty, not a panic.
    let r = build_report(&input, 10, 0, None);
    assert_eq!(r.tiqv_accessibility.percent, None);
}

#[test]
fn all_abandoned_sla_4_sla_9() {
    let t = utc(2026, 11, 2, 9, 0, 0);
    let calls = vec![
        call(
            1,
            Outcome::AbandonedQueue,
            t,
            Some(t + 5_000),
            None,
            Some(t + 65_000),
        ),
        call(
            2,
            Outcome::AbandonedQueue,
            t + 100_000,
            Some(t + 110_000),
            None,
            Some(t + 130_000),
        ),
        call(
            3,
            Outcome::AbandonedIvr,
            t + 200_000,
            None,
            None,
            Some(t + 210_000),
        ),
    ];
    // Queue abandon 2 / 2 = 100 %; nobody answered within 30 s (0 / 2).
    assert_eq!(queue_abandon_share(&calls).percent_one_decimal, Some(100.0));
    let q = queue_wait_compliance(&calls, 30, 90);
    assert_eq!(
        (
            q.answered_within.count,
            q.answered_within.total,
            q.over_limit
        ),
        (0, 2, 0)
    );
    // LS 0 / 2; TMA = (65 + 30) / 2 = 47.5 s (start to end, as they gave up).
    assert_eq!(service_level_ls(&calls).percent_one_decimal, Some(0.0));
    assert_eq!(mean_wait_tma(&calls).seconds_one_decimal, Some(47.5));
    assert_eq!(abandon_rate(&calls).percent, Some(100.0));
    assert_eq!(average_speed_of_answer(&calls).seconds, None);
    assert_eq!(average_handle_time(&calls).seconds, None);
}

#[test]
fn zero_open_time_gives_no_accessibility_sla_9() {
    let closed = WeeklyUtcHours::default();
    let busy = [LineBusyInterval {
        from: 0,
        to: 1_000_000,
    }];
    let s = accessibility(&busy, &closed, 0, 10_000_000, 1000);
    assert_eq!((s.count, s.total, s.percent), (0, 0, None));
    let a = availability(&[], Component::Acd, &closed, 0, 1000, 100);
    assert_eq!(a.in_service.percent, None);
    assert_eq!(a.out_of_service.percent, Some(0.0));
    // A zero or negative unit counts as 1 ms: 10 open ms, 4 blocked.
    let s = accessibility(
        &[LineBusyInterval { from: 3, to: 7 }],
        &AlwaysOpen,
        0,
        10,
        0,
    );
    assert_eq!((s.count, s.total), (6, 10));
}

#[test]
fn missing_timestamps_are_left_out_and_listed() {
    let t = utc(2026, 11, 2, 9, 0, 0);
    let calls = vec![
        call(1, Outcome::Interrupted, t, Some(t + 5_000), None, None),
        call(
            2,
            Outcome::Answered,
            t + 60_000,
            Some(t + 65_000),
            Some(t + 75_000),
            Some(t + 95_000),
        ),
    ];
    // TMA uses only call 2: 15 s. LS counts call 1 as asked and not talked: 1 / 2.
    assert_eq!(mean_wait_tma(&calls).seconds_one_decimal, Some(15.0));
    assert_eq!(service_level_ls(&calls).percent_one_decimal, Some(50.0));
    // Without wait_seconds, the wait of call 2 comes from the timestamps: 75 − 65 = 10 s.
    assert_eq!(queue_wait_millis(&calls[1]), Some(10_000));
    assert_eq!(queue_wait_millis(&calls[0]), None);
    let cfg = ReportConfig::default();
    let input = ReportInput {
        calls: &calls,
        tickets: &[],
        busy: &[],
        health: &[],
        hours: &AlwaysOpen,
        offset: &|_| 0,
        config: &cfg,
    };
    let r = build_report(&input, t, t + 86_400_000, None);
    assert_eq!(r.incomplete_call_ids, vec![1]);
    // The line sweep ignores the call without an end.
    assert!(
        lines_busy_from_calls(&calls, 1)
            .iter()
            .all(|b| b.from >= t + 60_000)
    );
}
