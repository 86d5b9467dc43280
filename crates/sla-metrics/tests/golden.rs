//! Golden tests on a synthetic October 2026 register (tests/data/october-2026.csv)
//! whose figures were worked out by hand below [SLA-2..SLA-10, ARERA TIQV SLA-9].
//!
//! The month is the Europe/Rome month: 2026-09-30T22:00Z .. 2026-10-31T23:00Z (the DST
//! change on 2026-10-25 makes it 745 hours long). Service hours in these tests are
//! Monday–Friday 08:00–18:00 UTC ([`WeeklyUtcHours`]); October 2026 has 22 weekdays
//! (Thu 1, Fri 2, then four full weeks 5–9, 12–16, 19–23, 26–30), so 22 × 10 h =
//! 792 000 open seconds. The trunk has 2 lines.
//!
//! Call map (ids; UTC; R/A/E = operator requested / answered / ended, seconds after start):
//! - 5 Oct: 1 verde 09:00 R10 A25 E205 wait 15; 2 verde 09:01 R12 A52 E352 wait 40;
//!   3 verde busy 09:02; 4 verde 09:05 R15 abandoned in queue E75 wait 60; 5 verde
//!   abandoned in IVR 09:10 E20; 6 verde 09:20 R8 A28 E148 wait 20 (same caller as 1);
//!   7 centralino 10:00; 8 internal 10:30.
//! - 6 Oct: 9 verde 08:30 R10 A110 E410 wait 100; 10 verde 08:35:00.5 R10 A30 E90 wait 20;
//!   11 verde 08:40 abandoned in queue E25 wait 5; 12 verde busy 08:36; 13 verde voicemail
//!   12:00; 14 verde 12:10 R10 A20 E140 wait 10 transferred.
//! - 7 Oct: 15 verde 17:50 R10 A20 E1210 wait 10; 16 verde closed 19:00 E15; 17 centralino
//!   closed 19:00:05 E15; 18 verde abandoned in IVR 21:58 E360 (23:58→00:04 local: spans
//!   midnight, counted on 7 Oct).
//! - 8 Oct: 19 verde interrupted, R10, queue, no answer, no end; 20 outbound 11:00.
//! - 12 Oct: 21 R10 A20 wait 10; 22 R30 A60 wait 30 (not < 30); 23 abandoned in queue
//!   wait 120; 24 R10 A39 wait 29; 25 centralino wait 90.
//! - 14 Oct: 26 R10 A25 wait 15; 27 abandoned in IVR; 28 R10 A100 wait 90 (not > 90);
//!   29 busy.
//! - 20 Oct: 30 R10 A35 wait 25; 31 abandoned in queue E40 wait 30; 32 voicemail.
//! - 24–25 Oct (weekend, DST): 33 closed 24 Oct 10:00Z; 36 closed 24 Oct 23:30Z (01:30
//!   CEST on the 25th); 34 closed 00:30Z (02:30 CEST); 35 closed 01:30Z (02:30 CET).
//! - 26 Oct: 37 R10 A20 wait 10; 38 R10 A45 wait 35; 39 abandoned in queue E190 wait 180
//!   (same caller as 30); 40 17:59 R10 A70 wait 60.
//! - 29 Oct: 41 centralino abandoned in IVR 14:00:00 E30; 42 verde 14:00:10 R10 A30 E150.
//! - 31 Oct: 43 closed 22:58Z (23:58 local) E300, spans midnight into November.
//! - Boundaries: 44 closed 30 Sep 21:59Z (23:59 local, September); 45 closed 30 Sep
//!   22:01Z (00:01 local 1 Oct, October); 46 closed 1 Nov 00:00Z (November).

mod common;

use common::{rome, utc};
use sla_metrics::*;

fn register() -> Vec<CallRecord> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/october-2026.csv"
    ))
    .expect("test data present");
    parse_calls_csv(&text).expect("valid register")
}

fn october() -> (i64, i64) {
    (utc(2026, 9, 30, 22, 0, 0), utc(2026, 10, 31, 23, 0, 0))
}

fn verde_october(calls: &[CallRecord]) -> Vec<CallRecord> {
    let (from, to) = october();
    calls
        .iter()
        .filter(|c| c.channel == "verde" && c.started_at >= from && c.started_at < to)
        .cloned()
        .collect()
}

fn hours() -> WeeklyUtcHours {
    WeeklyUtcHours::weekdays(8 * 60, 18 * 60)
}

fn pair(s: Share) -> (u64, u64, Option<f64>) {
    (s.count, s.total, s.percent_one_decimal)
}

#[test]
fn register_parses_with_month_bounds_in_local_time_sla_10() {
    let calls = register();
    assert_eq!(calls.len(), 46);
    assert_eq!(local_month_bounds(2026, 10, &rome), october());
    // October (local) holds ids 1–43 and 45 = 44 calls; 38 of them are verde.
    let (from, to) = october();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.started_at >= from && c.started_at < to)
            .count(),
        44
    );
    assert_eq!(verde_october(&calls).len(), 38);
    // Call 10 keeps its milliseconds.
    let c10 = calls.iter().find(|c| c.id == 10).expect("call 10");
    assert_eq!(c10.started_at, utc(2026, 10, 6, 8, 35, 0) + 500);
    assert_eq!(c10.announced_wait_seconds, Some(30));
}

#[test]
fn tender_call_figures_sla_2_3_4() {
    let v = verde_october(&register());
    // SLA.C.1 [SLA-2]: busy = 3, 12, 29 → 35 / 38 = 92.105 % → 92.1.
    assert_eq!(pair(free_line_share(&v)), (35, 38, Some(92.1)));
    // SLA.C.2 [SLA-3]: 23 queued (1 2 4 6 9 10 11 14 15 19 21 22 23 24 26 28 30 31 37 38
    // 39 40 42); 19 has no known wait → 22. Answered with wait < 30: 1 6 10 14 15 21 24 26
    // 30 37 42 = 11 → 11 / 22 = 50.0 %. Over 90 s: 9 (100), 23 (120), 39 (180) = 3
    // (28 waited exactly 90: not over).
    let q = queue_wait_compliance(&v, 30, 90);
    assert_eq!(pair(q.answered_within), (11, 22, Some(50.0)));
    assert_eq!(q.over_limit, 3);
    assert_eq!(q.unknown_wait, 1);
    // SLA.C.3 [SLA-4]: abandoned in queue 4 11 23 31 39 = 5 / 23 queued = 21.739 → 21.7.
    // Abandoned in the IVR (5, 18, 27) never queued and are not counted.
    assert_eq!(pair(queue_abandon_share(&v)), (5, 23, Some(21.7)));
    // Service level at 60 s: the 11 above + 2 (40) + 22 (30) + 38 (35) = 14; 40 waited
    // exactly 60 (not < 60) → 14 / 22 = 63.636 → 63.6.
    assert_eq!(pair(service_level(&v, 60)), (14, 22, Some(63.6)));
}

#[test]
fn arera_tma_and_ls_sla_9() {
    let v = verde_october(&register());
    // TMA [SLA-9]: the 23 calls asking for an operator minus 19 (no answer, no end) = 22.
    // Seconds from start to answer (or end): 25 52 75 28 110 30 25 20 20 20 60 130 39 25
    // 100 35 40 20 45 190 70 30; sum = 1189 → 1189 / 22 = 54.045 s → 54.0.
    let tma = mean_wait_tma(&v);
    assert_eq!(
        (tma.count, tma.total_millis, tma.seconds_one_decimal),
        (22, 1_189_000, Some(54.0))
    );
    // LS [SLA-9]: talked = 1 2 6 9 10 14 15 21 22 24 26 28 30 37 38 40 42 = 17 of the 23
    // that asked (19 counts as asked and not talked) → 73.913 % → 73.9.
    assert_eq!(pair(service_level_ls(&v)), (17, 23, Some(73.9)));
}

#[test]
fn line_occupancy_rebuilt_from_calls_sla_9() {
    let busy = lines_busy_from_calls(&register(), 2);
    // Overlaps of two non-internal, non-busy calls: 1∩2, 2∩4, 9∩10, 16∩17, 41∩42.
    let ms = |y, mo, d, h, mi, s| utc(y, mo, d, h, mi, s);
    assert_eq!(
        busy,
        vec![
            LineBusyInterval {
                from: ms(2026, 10, 5, 9, 1, 0),
                to: ms(2026, 10, 5, 9, 3, 25)
            },
            LineBusyInterval {
                from: ms(2026, 10, 5, 9, 5, 0),
                to: ms(2026, 10, 5, 9, 6, 15)
            },
            LineBusyInterval {
                from: ms(2026, 10, 6, 8, 35, 0) + 500,
                to: ms(2026, 10, 6, 8, 36, 30) + 500
            },
            LineBusyInterval {
                from: ms(2026, 10, 7, 19, 0, 5),
                to: ms(2026, 10, 7, 19, 0, 15)
            },
            LineBusyInterval {
                from: ms(2026, 10, 29, 14, 0, 10),
                to: ms(2026, 10, 29, 14, 0, 30)
            },
        ]
    );
    // AS over the month, 1 s units: blocked open units = 145 + 75 + 91 (08:35:00.5–08:36:30.5
    // touches 91 whole seconds) + 20 = 331; the 19:00 overlap is outside service hours.
    // (792 000 − 331) / 792 000 = 99.958 % → 100.0.
    let (from, to) = october();
    assert_eq!(
        pair(accessibility(&busy, &hours(), from, to, 1000)),
        (791_669, 792_000, Some(100.0))
    );
    // 5 Oct alone: (36 000 − 220) / 36 000 = 99.389 % → 99.4.
    let day = (utc(2026, 10, 5, 0, 0, 0), utc(2026, 10, 6, 0, 0, 0));
    assert_eq!(
        pair(accessibility(&busy, &hours(), day.0, day.1, 1000)),
        (35_780, 36_000, Some(99.4))
    );
    // Same day in 1-minute units: 600 open minutes; 09:01, 09:02, 09:03, 09:05, 09:06 are
    // blocked → 595 / 600 = 99.1666 % → 99.2.
    assert_eq!(
        pair(accessibility(&busy, &hours(), day.0, day.1, 60_000)),
        (595, 600, Some(99.2))
    );
}

#[test]
fn tiqv_month_and_semester_sla_9_sla_8() {
    let calls = register();
    let busy = lines_busy_from_calls(&calls, 2);
    let cfg = TiqvConfig::default();
    let m = tiqv_month(&calls, &busy, &hours(), "verde", 2026, 10, &rome, &cfg);
    assert_eq!((m.from, m.to), october());
    assert_eq!(m.accessibility.percent_one_decimal, Some(100.0));
    assert_eq!(m.mean_wait.seconds_one_decimal, Some(54.0));
    assert_eq!(m.service_level.percent_one_decimal, Some(73.9));
    // AS 100.0 > 95 and TMA 54.0 < 180 are met; LS 73.9 ≤ 85 misses → one miss → €200.
    assert_eq!(
        (m.accessibility_met, m.mean_wait_met, m.service_level_met),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!((m.misses, m.vus_com_penalty_eur), (1, 200));
    let s = tiqv_semester(
        &calls,
        &busy,
        &hours(),
        "verde",
        2026,
        Semester::Second,
        &rome,
        &cfg,
    );
    assert_eq!(s.months.len(), 6);
    // Only October misses; the other months have open time (AS 100 %) and no operator calls.
    assert_eq!(
        (s.months_compliant, s.every_month_met, s.penalties_eur),
        (5, false, 200)
    );
    assert_eq!(s.accessibility.total - s.accessibility.count, 331);
    assert_eq!(pair(s.service_level), (17, 23, Some(73.9)));
    assert_eq!(s.months[0].mean_wait.seconds, None);
}

#[test]
fn traffic_figures_sla_10() {
    let v = verde_october(&register());
    // ASA: the 17 answered calls' waits 15 40 20 100 20 10 10 10 30 29 15 90 25 10 35 60 20
    // sum 539 → 539 / 17 = 31.705 → 31.7 s.
    let asa = average_speed_of_answer(&v);
    assert_eq!((asa.count, asa.seconds_one_decimal), (17, Some(31.7)));
    // Handle time (end − answer) of the 17: 180 300 120 300 60 120 1190 180 300 60 120 100
    // 180 120 60 300 120, sum 3810 → 224.117 → 224.1 s; talk_seconds are the same values.
    let aht = average_handle_time(&v);
    assert_eq!(
        (aht.count, aht.total_millis, aht.seconds_one_decimal),
        (17, 3_810_000, Some(224.1))
    );
    assert_eq!(average_talk_time(&v).seconds_one_decimal, Some(224.1));
    // Abandon rate: (5 in queue + 3 in IVR) / (38 − 3 busy) = 8 / 35 = 22.857 → 22.9.
    assert_eq!(pair(abandon_rate(&v)), (8, 35, Some(22.9)));
    // Outcome mix: 16 answered, 5 abandoned in queue, 3 in IVR, 7 closed (16 33 34 35 36
    // 43 45), 2 voicemail, 3 busy, 1 transferred, 1 interrupted = 38.
    let mix: Vec<u64> = outcome_mix(&v).iter().map(|o| o.share.count).collect();
    assert_eq!(mix, vec![16, 5, 3, 7, 2, 3, 1, 1]);
    // Hour slots in local time (CEST = UTC+2 until 25 Oct 01:00Z, then CET = UTC+1):
    // 0: 45 · 1: 36 · 2: 34 (02:30 CEST) and 35 (02:30 CET) · 9: 37 38 · 10: 9 10 11 12
    // 21 39 · 11: 1 2 3 4 5 6 22 · 12: 19 23 33 · 13: 24 · 14: 13 14 · 15: 26 27 28 29 42
    // · 17: 30 31 · 18: 32 40 · 19: 15 · 21: 16 · 23: 18 43.
    let mut expected = [0u64; 24];
    for (h, n) in [
        (0, 1),
        (1, 1),
        (2, 2),
        (9, 2),
        (10, 6),
        (11, 7),
        (12, 3),
        (13, 1),
        (14, 2),
        (15, 5),
        (17, 2),
        (18, 2),
        (19, 1),
        (21, 1),
        (23, 2),
    ] {
        expected[h] = n;
    }
    assert_eq!(calls_per_hour_slot(&v, &rome), expected);
    // Announcements: |announced − wait| for 1 2 4 9 10 21 28 38 39 = 5 10 0 10 10 10 30 5
    // 60, sum 140 → 15.555 → 15.6 s; within ±30 s: all but 39 → 8 / 9 = 88.9 %.
    let a = announcement_accuracy(&v, 30);
    assert_eq!(
        (
            a.mean_absolute_error.count,
            a.mean_absolute_error.seconds_one_decimal
        ),
        (9, Some(15.6))
    );
    assert_eq!(pair(a.within_tolerance), (8, 9, Some(88.9)));
}

#[test]
fn day_buckets_follow_local_midnight_and_dst() {
    let v = verde_october(&register());
    let days = split_calls_by_period(&v, Granularity::Day, &rome);
    let find = |label: &str| {
        days.iter()
            .find(|(p, _)| p.label == label)
            .map(|(p, c)| (p.to - p.from, c.len()))
    };
    // 7 Oct: 15, 16, 18 (18 spans local midnight and stays on the 7th).
    assert_eq!(find("2026-10-07"), Some((86_400_000, 3)));
    // 25 Oct lasts 25 h and holds 36, 34, 35.
    assert_eq!(find("2026-10-25"), Some((90_000_000, 3)));
    assert_eq!(find("2026-10-01").map(|x| x.1), Some(1));
    assert_eq!(find("2026-09-30"), None);
    let months = split_calls_by_period(&register(), Granularity::Month, &rome);
    let labels: Vec<(&str, usize)> = months
        .iter()
        .map(|(p, c)| (p.label.as_str(), c.len()))
        .collect();
    assert_eq!(
        labels,
        vec![("2026-09", 1), ("2026-10", 44), ("2026-11", 1)]
    );
}

fn ticket(id: i64, opened_at: i64, fcr: Option<bool>, caller: Option<&str>) -> TicketRecord {
    TicketRecord {
        id,
        channel: "verde".into(),
        opened_at,
        taken_at: None,
        resolved_at: None,
        resolved_first_contact: fcr,
        caller: caller.map(str::to_string),
        offline: false,
    }
}

#[test]
fn first_contact_resolution_with_repeats_sla_5() {
    let calls = register();
    let tickets = [
        // 101: call 1, but the same caller called again at 09:20 (call 6) → repeat.
        ticket(
            101,
            utc(2026, 10, 5, 9, 3, 0),
            Some(true),
            Some("+39333000001"),
        ),
        // 102: call 26, no other call from that number → resolved at first contact.
        ticket(
            102,
            utc(2026, 10, 14, 13, 2, 0),
            Some(true),
            Some("+39333000026"),
        ),
        // 103: the operator marked it not resolved.
        ticket(
            103,
            utc(2026, 10, 29, 14, 2, 0),
            Some(false),
            Some("+39333000042"),
        ),
        // 104: no caller known → the verdict alone.
        ticket(104, utc(2026, 10, 15, 10, 0, 0), Some(true), None),
        // 105: no verdict → left out.
        ticket(105, utc(2026, 10, 15, 11, 0, 0), None, Some("+39333000005")),
        // 106: call 30's caller calls again on 26 Oct 09:00 (call 39), 5.7 days later.
        ticket(
            106,
            utc(2026, 10, 20, 15, 4, 0),
            Some(true),
            Some("+39333000030"),
        ),
    ];
    // Window 7 days: 102 and 104 of 101 102 103 104 106 → 2 / 5 = 40 %.
    assert_eq!(
        pair(first_contact_resolution(&tickets, &calls, 7 * 86_400_000)),
        (2, 5, Some(40.0))
    );
    // Window 1 day: 106's repeat is too late to count → 3 / 5 = 60 %.
    assert_eq!(
        pair(first_contact_resolution(&tickets, &calls, 86_400_000)),
        (3, 5, Some(60.0))
    );
}

#[test]
fn offline_requests_in_working_hours_sla_6() {
    let off = |id, opened, taken: Option<i64>, resolved: Option<i64>| TicketRecord {
        id,
        channel: "email".into(),
        opened_at: opened,
        taken_at: taken,
        resolved_at: resolved,
        resolved_first_contact: None,
        caller: None,
        offline: true,
    };
    let tickets = [
        // O1 Fri 2 Oct 16:00 → taken Mon 5 09:00 (2 h + 1 h = 3 h ✓), resolved Mon 17:00 (2 + 9 = 11 h ✓ ✓).
        off(
            1,
            utc(2026, 10, 2, 16, 0, 0),
            Some(utc(2026, 10, 5, 9, 0, 0)),
            Some(utc(2026, 10, 5, 17, 0, 0)),
        ),
        // O2 Mon 5 10:00 → taken 15:00 (5 h ✗), resolved Wed 7 12:00 (8 + 10 + 4 = 22 h ✓ ✓).
        off(
            2,
            utc(2026, 10, 5, 10, 0, 0),
            Some(utc(2026, 10, 5, 15, 0, 0)),
            Some(utc(2026, 10, 7, 12, 0, 0)),
        ),
        // O3 Tue 6 08:00 → taken 12:00 (4 h, ✓ inclusive), resolved Fri 9 10:00 (10+10+10+2 = 32 h: ✗ 24, ✓ 48).
        off(
            3,
            utc(2026, 10, 6, 8, 0, 0),
            Some(utc(2026, 10, 6, 12, 0, 0)),
            Some(utc(2026, 10, 9, 10, 0, 0)),
        ),
        // O4 Mon 12 09:00 → taken 10:00 (1 h ✓), resolved Mon 19 09:00 (5 × 10 = 50 h ✗ ✗).
        off(
            4,
            utc(2026, 10, 12, 9, 0, 0),
            Some(utc(2026, 10, 12, 10, 0, 0)),
            Some(utc(2026, 10, 19, 9, 0, 0)),
        ),
        // O5 Fri 30 17:00, untouched: 1 working hour by the end of the month → pending.
        off(5, utc(2026, 10, 30, 17, 0, 0), None, None),
        // O6 Mon 26 08:00, untouched: 50 working hours by the end → fails all three.
        off(6, utc(2026, 10, 26, 8, 0, 0), None, None),
        // A ticket from a call (not off-line) is ignored.
        ticket(101, utc(2026, 10, 5, 9, 3, 0), Some(true), None),
    ];
    let f = offline_tickets(&tickets, &hours(), &OfflineConfig::default(), october().1);
    // O.1: 1 3 4 of 1 2 3 4 6 → 60 %. O.2: 1 2 of 1 2 3 4 6 → 40 %. O.3: 1 2 3 of 5 → 60 %.
    assert_eq!(pair(f.taken_within), (3, 5, Some(60.0)));
    assert_eq!(pair(f.resolved_within_first), (2, 5, Some(40.0)));
    assert_eq!(pair(f.resolved_within_second), (3, 5, Some(60.0)));
    assert_eq!((f.pending_take, f.pending_resolution), (1, 1));
    // Measured on elapsed time instead, O1's take-in-charge (65 h) fails.
    let elapsed = OfflineConfig {
        take_in_charge_basis: TimeBasis::Elapsed,
        ..OfflineConfig::default()
    };
    assert_eq!(
        offline_tickets(&tickets, &hours(), &elapsed, october().1)
            .taken_within
            .count,
        2
    );
}

#[test]
fn month_report_gathers_the_figures_sla_10() {
    let calls = register();
    let busy = lines_busy_from_calls(&calls, 2);
    let cfg = ReportConfig::default();
    let input = ReportInput {
        calls: &calls,
        tickets: &[],
        busy: &busy,
        health: &[],
        hours: &hours(),
        offset: &rome,
        config: &cfg,
    };
    let (from, to) = october();
    let r = build_report(&input, from, to, Some("verde"));
    assert_eq!((r.calls, r.inbound_calls), (38, 38));
    assert_eq!(pair(r.free_line), (35, 38, Some(92.1)));
    assert_eq!(r.queue_wait.over_limit, 3);
    assert_eq!(r.tiqv_mean_wait.seconds_one_decimal, Some(54.0));
    assert_eq!(r.tiqv_misses, 1);
    assert_eq!(r.incomplete_call_ids, vec![19]);
    assert_eq!(r.first_contact_resolution.percent, None);
    // No health samples at all: every component is down.
    assert_eq!(
        r.availability
            .iter()
            .map(|a| a.h24.percent)
            .collect::<Vec<_>>(),
        vec![Some(0.0); 3]
    );
    // LS 73.9 misses → €200; no sizing → tender thresholds unchanged; no per-point amount.
    assert_eq!(r.tiqv_vus_com_penalty_eur, 200);
    assert_eq!(r.thresholds.free_line_min, 90.0);
    assert_eq!(r.penalties_cents, 0);
    // Sized for 30 calls, 38 came: +26.7 % → 2.67 → 3 points [SLA-7]. SLA.C.1 92.1 ≥ 87:
    // no penalty; SLA.C.2 50.0 vs 87: 37 points; SLA.C.3 21.739 vs 5 + 3 = 8: 13.739 → 14
    // points; SLA.C.4 has no tickets → nothing. 51 points × €10 = €510 [SLA-8].
    let sized = ReportConfig {
        sizing_calls: Some(30),
        penalty_per_point_cents: 1000,
        ..ReportConfig::default()
    };
    let r = build_report(
        &ReportInput {
            config: &sized,
            ..input
        },
        from,
        to,
        Some("verde"),
    );
    assert_eq!(
        (r.thresholds.free_line_min, r.thresholds.queue_abandon_max),
        (87.0, 8.0)
    );
    assert_eq!(r.penalties_cents, 51_000);
    let all = build_report(&input, from, to, None);
    // 44 October calls; internal 8 and outbound 20 are not inbound.
    assert_eq!((all.calls, all.inbound_calls), (44, 42));
    // Centralino adds 7 (answered), 17 (closed), 25 (answered), 41 (abandoned in IVR):
    // free line (35 + 4) / 42 = 92.857 → 92.9.
    assert_eq!(pair(all.free_line), (39, 42, Some(92.9)));
}
