//! Scenario tests of the business calendar on known dates: service hours, drain, holidays,
//! overrides and take-in-charge arithmetic across weekends, holidays and DST [IVR-7]
//! [IVR-8] [SLA-6].

use business_calendar::{
    Calendar, CalendarConfig, ClosedReason, ClosureConfig, LocalDate, LocalHolidayConfig, Override,
    OverrideClosed, Status, rome,
};

/// The instant of a Europe/Rome wall-clock time.
fn rome_at(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    rome::lookup(
        LocalDate {
            year: y,
            month: mo,
            day: d,
        },
        h * 3600 + mi * 60,
    )
    .resolve()
}

/// The instant of a UTC wall-clock time.
fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    LocalDate {
        year: y,
        month: mo,
        day: d,
    }
    .days()
        * 86_400
        + h * 3600
        + mi * 60
}

fn build(hours: &[&str], drain_minutes: u32) -> Calendar {
    let cfg = CalendarConfig {
        hours: hours.iter().map(|s| (*s).to_owned()).collect(),
        drain_minutes,
        local_holidays: vec![LocalHolidayConfig {
            date: "05-19".into(),
            name: "San Pietro Celestino".into(),
        }],
        closures: vec![ClosureConfig {
            first: "2026-08-10".into(),
            last: "2026-08-14".into(),
            name: "Chiusura estiva".into(),
        }],
    };
    match cfg.build() {
        Ok(c) => c,
        Err(e) => panic!("test config must build: {e}"),
    }
}

/// Vus Com: Mon–Fri 09:00–17:00 with a 15-minute drain [IVR-7].
fn vus_com() -> Calendar {
    build(&["Mon-Fri 09:00-17:00"], 15)
}

/// Molise-like: Mon–Fri 08:00–13:00 and 14:00–19:00, Sat 08:00–14:00 [IVR-7].
fn molise(drain: u32) -> Calendar {
    build(
        &["Mon-Fri 08:00-13:00,14:00-19:00", "Sat 08:00-14:00"],
        drain,
    )
}

#[test]
fn ivr7_open_then_draining_then_closed_on_a_weekday() {
    let cal = vus_com();
    // Wednesday 25 November 2026 (CET).
    assert_eq!(
        cal.status(rome_at(2026, 11, 25, 8, 59)),
        Status::Closed {
            reason: ClosedReason::OutOfHours,
            next_open: Some(utc(2026, 11, 25, 8, 0))
        }
    );
    assert_eq!(cal.status(rome_at(2026, 11, 25, 9, 0)), Status::Open);
    assert!(cal.is_open(rome_at(2026, 11, 25, 16, 59)));
    let closes_at = rome_at(2026, 11, 25, 17, 15);
    assert_eq!(
        cal.status(rome_at(2026, 11, 25, 17, 0)),
        Status::Draining { closes_at }
    );
    assert_eq!(cal.status(closes_at - 1), Status::Draining { closes_at });
    assert!(
        !cal.is_open(rome_at(2026, 11, 25, 17, 5)),
        "draining takes no new callers"
    );
    assert_eq!(
        cal.status(closes_at),
        Status::Closed {
            reason: ClosedReason::OutOfHours,
            next_open: Some(rome_at(2026, 11, 26, 9, 0))
        }
    );
}

#[test]
fn ivr7_drain_is_cut_by_the_next_opening_in_a_lunch_break() {
    let cal = molise(15);
    assert_eq!(
        cal.status(rome_at(2026, 11, 25, 13, 5)),
        Status::Draining {
            closes_at: rome_at(2026, 11, 25, 13, 15)
        }
    );
    assert_eq!(
        cal.status(rome_at(2026, 11, 25, 13, 30)),
        Status::Closed {
            reason: ClosedReason::OutOfHours,
            next_open: Some(rome_at(2026, 11, 25, 14, 0))
        }
    );
    let long = molise(90);
    assert_eq!(
        long.status(rome_at(2026, 11, 25, 13, 30)),
        Status::Draining {
            closes_at: rome_at(2026, 11, 25, 14, 0)
        }
    );
    assert_eq!(long.status(rome_at(2026, 11, 25, 14, 0)), Status::Open);
    // Saturday closing drains too, then the weekend.
    assert_eq!(
        cal.status(rome_at(2026, 11, 28, 14, 10)),
        Status::Draining {
            closes_at: rome_at(2026, 11, 28, 14, 15)
        }
    );
    assert_eq!(
        cal.next_opening(rome_at(2026, 11, 28, 14, 10)),
        Some(rome_at(2026, 11, 30, 8, 0))
    );
}

#[test]
fn ivr7_friday_closing_across_both_dst_weekends() {
    let cal = vus_com();
    // Spring 2026: Friday 27 March is CET, Monday 30 March is CEST.
    assert_eq!(cal.status(utc(2026, 3, 27, 15, 59)), Status::Open);
    assert_eq!(
        cal.status(utc(2026, 3, 27, 16, 0)),
        Status::Draining {
            closes_at: utc(2026, 3, 27, 16, 15)
        }
    );
    assert_eq!(
        cal.next_opening(utc(2026, 3, 27, 16, 30)),
        Some(utc(2026, 3, 30, 7, 0))
    );
    assert_eq!(
        cal.status(utc(2026, 4, 3, 15, 0)),
        Status::Draining {
            closes_at: utc(2026, 4, 3, 15, 15)
        }
    );
    // Autumn 2026: Friday 23 October is CEST, Monday 26 October is CET.
    assert_eq!(
        cal.status(utc(2026, 10, 23, 15, 0)),
        Status::Draining {
            closes_at: utc(2026, 10, 23, 15, 15)
        }
    );
    assert_eq!(
        cal.next_opening(utc(2026, 10, 23, 15, 30)),
        Some(utc(2026, 10, 26, 8, 0))
    );
    assert_eq!(
        cal.status(utc(2026, 10, 30, 16, 0)),
        Status::Draining {
            closes_at: utc(2026, 10, 30, 16, 15)
        }
    );
}

#[test]
fn ivr7_national_local_holidays_and_closures_close_the_day() {
    let cal = vus_com();
    // Easter Monday 2026.
    assert_eq!(
        cal.status(rome_at(2026, 4, 6, 10, 0)),
        Status::Closed {
            reason: ClosedReason::Holiday("Lunedì dell'Angelo".into()),
            next_open: Some(rome_at(2026, 4, 7, 9, 0))
        }
    );
    // Easter Monday 2024 falls on 1 April.
    assert!(!cal.is_open(rome_at(2024, 4, 1, 10, 0)));
    assert!(cal.is_open(rome_at(2024, 4, 2, 10, 0)));
    // Patron saint (local holiday) and a summer closure.
    assert_eq!(
        cal.status(rome_at(2026, 5, 19, 10, 0)),
        Status::Closed {
            reason: ClosedReason::Holiday("San Pietro Celestino".into()),
            next_open: Some(rome_at(2026, 5, 20, 9, 0))
        }
    );
    assert_eq!(
        cal.status(rome_at(2026, 8, 12, 10, 0)),
        Status::Closed {
            reason: ClosedReason::Closure("Chiusura estiva".into()),
            next_open: Some(rome_at(2026, 8, 17, 9, 0))
        }
    );
    // Late on a holiday it names the holiday; late on a working day it is out of hours.
    assert!(matches!(
        cal.status(rome_at(2026, 4, 5, 23, 0)),
        Status::Closed {
            reason: ClosedReason::Holiday(_),
            ..
        }
    ));
    assert!(matches!(
        cal.status(rome_at(2026, 4, 3, 23, 0)),
        Status::Closed {
            reason: ClosedReason::OutOfHours,
            ..
        }
    ));
}

#[test]
fn ivr7_holidays_on_weekends_are_reported_and_skip_nothing_more() {
    let cal = vus_com();
    // 15 August 2026 is a Saturday: reported as the holiday; Monday opens as usual.
    assert_eq!(
        cal.status(rome_at(2026, 8, 15, 10, 0)),
        Status::Closed {
            reason: ClosedReason::Holiday("Ferragosto".into()),
            next_open: Some(rome_at(2026, 8, 17, 9, 0))
        }
    );
    // Christmas 2026 is a Friday and Santo Stefano a Saturday: closed Thursday evening to Monday.
    assert_eq!(
        cal.next_opening(rome_at(2026, 12, 24, 18, 0)),
        Some(rome_at(2026, 12, 28, 9, 0))
    );
    // 1 November 2026 is a Sunday: Monday 2 November is a working day.
    assert!(cal.is_open(rome_at(2026, 11, 2, 9, 0)));
    let molise = molise(0);
    // 25 April 2026 is a Saturday, a working day for Molise if it were not Liberation Day.
    assert!(!molise.is_open(rome_at(2026, 4, 25, 9, 0)));
    assert!(molise.is_open(rome_at(2026, 4, 18, 9, 0)));
}

#[test]
fn ivr8_overrides_force_open_closed_and_night() {
    let mut cal = vus_com();
    let sunday = rome_at(2026, 11, 29, 11, 0);
    let weekday = rome_at(2026, 11, 25, 11, 0);
    cal.set_override(Override::ForceOpen);
    assert_eq!(cal.status(sunday), Status::Open);
    assert_eq!(cal.next_opening(sunday), Some(sunday));
    cal.set_override(Override::ForceClosed);
    assert_eq!(
        cal.status(weekday),
        Status::Closed {
            reason: ClosedReason::Override(OverrideClosed::ForceClosed),
            next_open: None
        }
    );
    assert_eq!(cal.next_opening(weekday), None);
    assert!(!cal.status(weekday).is_night());
    cal.set_override(Override::Night);
    assert!(cal.status(weekday).is_night());
    assert!(!cal.is_open(weekday));
    // The schedule view and working-time arithmetic ignore the override [SLA-6].
    assert_eq!(cal.schedule_status(weekday), Status::Open);
    assert_eq!(cal.add_working_time(weekday, 3600), Some(weekday + 3600));
    assert_eq!(cal.override_mode(), Override::Night);
    cal.set_override(Override::Auto);
    assert_eq!(cal.status(weekday), Status::Open);
    assert_eq!(
        cal.status(sunday),
        Status::Closed {
            reason: ClosedReason::OutOfHours,
            next_open: Some(rome_at(2026, 11, 30, 9, 0))
        }
    );
}

#[test]
fn sla6_four_working_hours_across_nights_weekends_and_holidays() {
    let cal = vus_com();
    let h4 = 4 * 3600;
    // Wednesday 11:00 + 4h = 15:00 the same day.
    assert_eq!(
        cal.add_working_time(rome_at(2026, 11, 25, 11, 0), h4),
        Some(rome_at(2026, 11, 25, 15, 0))
    );
    // Wednesday 15:00 + 4h = Thursday 11:00; the drain does not count.
    assert_eq!(
        cal.add_working_time(rome_at(2026, 11, 25, 15, 0), h4),
        Some(rome_at(2026, 11, 26, 11, 0))
    );
    // A message left on Saturday: Monday 13:00 (the first 4 hours of the first working day).
    assert_eq!(
        cal.add_working_time(rome_at(2026, 11, 28, 10, 0), h4),
        Some(rome_at(2026, 11, 30, 13, 0))
    );
    // Friday 3 April 2026 15:00 + 4h skips the weekend and Easter Monday: Tuesday 11:00.
    assert_eq!(
        cal.add_working_time(rome_at(2026, 4, 3, 15, 0), h4),
        Some(rome_at(2026, 4, 7, 11, 0))
    );
    // Across the spring DST change: Friday 16:00 CET + 4h = Monday 12:00 CEST.
    assert_eq!(
        cal.add_working_time(utc(2026, 3, 27, 15, 0), h4),
        Some(utc(2026, 3, 30, 10, 0))
    );
    // Across the autumn DST change: Friday 16:00 CEST + 4h = Monday 12:00 CET.
    assert_eq!(
        cal.add_working_time(utc(2026, 10, 23, 14, 0), h4),
        Some(utc(2026, 10, 26, 11, 0))
    );
    // Ending exactly at a closing returns the closing, not the next opening.
    assert_eq!(
        cal.add_working_time(rome_at(2026, 11, 25, 13, 0), h4),
        Some(rome_at(2026, 11, 25, 17, 0))
    );
    assert_eq!(
        cal.add_working_time(rome_at(2026, 11, 25, 13, 0), 0),
        Some(rome_at(2026, 11, 25, 13, 0))
    );
    assert_eq!(
        cal.add_working_time(rome_at(2026, 11, 25, 13, 0), -5),
        Some(rome_at(2026, 11, 25, 13, 0))
    );
}

#[test]
fn sla6_working_seconds_over_a_week_and_the_year_2026() {
    let cal = vus_com();
    let week =
        cal.working_seconds_between(rome_at(2026, 11, 23, 0, 0), rome_at(2026, 11, 30, 0, 0));
    assert_eq!(week, 5 * 8 * 3600);
    // 2026: 261 weekdays, 7 national holidays on weekdays, 19 May (Tue) and 10–14 August.
    let year = cal.working_seconds_between(rome_at(2026, 1, 1, 0, 0), rome_at(2027, 1, 1, 0, 0));
    assert_eq!(year, (261 - 7 - 1 - 5) * 8 * 3600);
    assert_eq!(
        cal.working_seconds_between(rome_at(2026, 11, 25, 10, 0), rome_at(2026, 11, 25, 10, 0)),
        0
    );
    assert_eq!(
        cal.working_seconds_between(rome_at(2026, 11, 25, 12, 0), rome_at(2026, 11, 25, 10, 0)),
        0
    );
    assert_eq!(
        cal.working_seconds_between(rome_at(2026, 11, 25, 16, 0), rome_at(2026, 11, 26, 10, 0)),
        2 * 3600
    );
}

#[test]
fn open_intervals_lists_the_open_time_and_merges_midnight() {
    let cal = molise(15);
    let iv = cal.open_intervals(rome_at(2026, 11, 27, 12, 0), rome_at(2026, 11, 30, 9, 0));
    assert_eq!(
        iv,
        vec![
            (rome_at(2026, 11, 27, 12, 0), rome_at(2026, 11, 27, 13, 0)),
            (rome_at(2026, 11, 27, 14, 0), rome_at(2026, 11, 27, 19, 0)),
            (rome_at(2026, 11, 28, 8, 0), rome_at(2026, 11, 28, 14, 0)),
            (rome_at(2026, 11, 30, 8, 0), rome_at(2026, 11, 30, 9, 0)),
        ]
    );
    // A 24/7 service is one span, cut only by holidays.
    let always = build(&["Mon-Sun 00:00-24:00"], 0);
    let from = rome_at(2026, 12, 20, 0, 0);
    let to = rome_at(2026, 12, 31, 0, 0);
    assert_eq!(
        always.open_intervals(from, to),
        vec![
            (from, rome_at(2026, 12, 25, 0, 0)),
            (rome_at(2026, 12, 27, 0, 0), to)
        ]
    );
    assert_eq!(always.status(rome_at(2026, 12, 24, 23, 59)), Status::Open);
    assert_eq!(
        always.status(rome_at(2026, 12, 25, 0, 0)),
        Status::Closed {
            reason: ClosedReason::Holiday("Natale".into()),
            next_open: Some(rome_at(2026, 12, 27, 0, 0))
        }
    );
}

#[test]
fn ivr7_opening_hours_inside_the_dst_change_night() {
    // A Sunday 01:00–04:00 service: 2 real hours in spring, 4 in autumn.
    let cal = build(&["Sun 01:00-04:00"], 0);
    let spring =
        cal.working_seconds_between(rome_at(2026, 3, 29, 0, 0), rome_at(2026, 3, 30, 0, 0));
    assert_eq!(spring, 2 * 3600);
    let autumn =
        cal.working_seconds_between(rome_at(2026, 10, 25, 0, 0), rome_at(2026, 10, 26, 0, 0));
    assert_eq!(autumn, 4 * 3600);
    // An interval wholly inside the spring gap has no open time at all.
    let gap = build(&["Sun 02:00-03:00"], 0);
    assert!(
        gap.day_intervals(LocalDate {
            year: 2026,
            month: 3,
            day: 29
        })
        .is_empty()
    );
    assert_eq!(
        gap.next_opening(rome_at(2026, 3, 28, 12, 0)),
        Some(rome_at(2026, 4, 12, 2, 0))
    );
}

#[test]
fn an_empty_schedule_never_opens() {
    let cal = build(&[], 15);
    let t = rome_at(2026, 11, 25, 10, 0);
    assert_eq!(
        cal.status(t),
        Status::Closed {
            reason: ClosedReason::OutOfHours,
            next_open: None
        }
    );
    assert_eq!(cal.next_opening(t), None);
    assert_eq!(cal.add_working_time(t, 1), None);
    assert_eq!(cal.working_seconds_between(t, t + 86_400 * 365), 0);
}

#[test]
fn extreme_instants_do_not_panic() {
    let cal = molise(15);
    for t in [i64::MIN, i64::MAX, 0, -1, business_calendar::MAX_INSTANT] {
        let _ = cal.status(t);
        let _ = cal.next_opening(t);
        let _ = cal.open_intervals(t, t.saturating_add(86_400 * 7));
        assert!(cal.working_seconds_between(t, t.saturating_add(3600)) <= 3600);
    }
    assert_eq!(cal.add_working_time(i64::MIN, i64::MAX), None);
    assert_eq!(
        cal.add_working_time(business_calendar::MAX_INSTANT - 86_400, 86_400 * 30),
        None
    );
}

#[test]
fn ivr7_drain_crosses_midnight_into_a_holiday() {
    // Evening hours to 24:00 on Thursday 24 December 2026; Christmas Day is closed, so the
    // 30-minute drain runs into Christmas night while Friday's hours never start.
    let cal = build(&["Mon-Fri 20:00-24:00", "Tue-Sat 00:00-06:00"], 30);
    let closes_at = rome_at(2026, 12, 25, 0, 30);
    assert_eq!(
        cal.status(rome_at(2026, 12, 25, 0, 10)),
        Status::Draining { closes_at }
    );
    assert_eq!(
        cal.status(closes_at),
        Status::Closed {
            reason: ClosedReason::Holiday("Natale".into()),
            next_open: Some(rome_at(2026, 12, 28, 20, 0))
        }
    );
    // On ordinary nights the evening and the early morning are one open span.
    assert_eq!(cal.status(rome_at(2026, 11, 26, 0, 0)), Status::Open);
    assert_eq!(
        cal.open_intervals(rome_at(2026, 11, 25, 0, 0), rome_at(2026, 11, 27, 0, 0)),
        vec![
            (rome_at(2026, 11, 25, 0, 0), rome_at(2026, 11, 25, 6, 0)),
            (rome_at(2026, 11, 25, 20, 0), rome_at(2026, 11, 26, 6, 0)),
            (rome_at(2026, 11, 26, 20, 0), rome_at(2026, 11, 27, 0, 0)),
        ]
    );
}

#[test]
fn sla6_a_century_of_working_time_is_counted_per_day() {
    // 1990–2100 walks about 40,000 days; a per-minute walk would take 58 million steps.
    let cal = vus_com();
    let total = cal.working_seconds_between(rome_at(1990, 1, 1, 0, 0), rome_at(2101, 1, 1, 0, 0));
    let weekdays_upper_bound = 111 * 262 * 8 * 3600;
    assert!(total > 0 && total < weekdays_upper_bound, "{total}");
    assert_eq!(
        cal.add_working_time(rome_at(1990, 1, 1, 0, 0), total),
        Some(rome_at(2100, 12, 31, 17, 0))
    );
}
