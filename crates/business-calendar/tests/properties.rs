//! Property tests of the business calendar over the years 1990–2100: Rome time
//! round-trips and offsets, next opening, drain and working-time arithmetic [IVR-7]
//! [SLA-6].

use business_calendar::{
    Calendar, CalendarConfig, ClosureConfig, LocalDate, LocalDateTime, LocalHolidayConfig, Status,
    rome,
};
use proptest::prelude::*;

const FROM: i64 = 631_152_000; // 1990-01-01T00:00:00Z
const TO: i64 = 4_133_980_800; // 2101-01-01T00:00:00Z

/// Calendars with different shapes: split days, Saturday hours, 24/7 with midnight
/// merges, night hours crossing midnight, and hours inside the DST change night.
fn calendars() -> Vec<Calendar> {
    let configs: [(&[&str], u32); 5] = [
        (&["Mon-Fri 09:00-17:00"], 15),
        (&["Mon-Fri 08:00-13:00,14:00-19:00", "Sat 08:00-14:00"], 15),
        (&["Mon-Sun 00:00-24:00"], 0),
        (&["Mon-Fri 20:00-24:00", "Tue-Sat 00:00-06:00"], 30),
        (&["Sun 01:30-03:30", "Wed 10:00-10:01"], 90),
    ];
    configs
        .iter()
        .filter_map(|(hours, drain)| {
            CalendarConfig {
                hours: hours.iter().map(|s| (*s).to_owned()).collect(),
                drain_minutes: *drain,
                local_holidays: vec![LocalHolidayConfig {
                    date: "06-24".into(),
                    name: "San Giovanni".into(),
                }],
                closures: vec![ClosureConfig {
                    first: "2030-12-20".into(),
                    last: "2031-01-10".into(),
                    name: "Chiusura".into(),
                }],
            }
            .build()
            .ok()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn offsets_are_cet_or_cest(t in FROM..TO) {
        // [IVR-7] Europe/Rome has two offsets only.
        let o = rome::offset_at(t);
        prop_assert!(o == 3600 || o == 7200);
        let local = rome::to_local(t);
        if (4..=9).contains(&local.date.month) {
            prop_assert_eq!(o, 7200);
        }
        if local.date.month <= 2 || local.date.month >= 11 {
            prop_assert_eq!(o, 3600);
        }
    }

    #[test]
    fn utc_to_local_to_utc_finds_the_instant(t in FROM..TO) {
        let local = rome::to_local(t);
        match rome::lookup(local.date, local.second_of_day()) {
            rome::LocalResult::Single(u) => prop_assert_eq!(u, t),
            rome::LocalResult::Ambiguous { first, second } => prop_assert!(t == first || t == second),
            rome::LocalResult::Gap { .. } => prop_assert!(false, "a real instant is never in the gap"),
        }
    }

    #[test]
    fn local_to_utc_to_local_round_trips_outside_gaps(days in (FROM / 86_400)..(TO / 86_400), sod in 0i64..86_400) {
        let date = LocalDate::from_days(days);
        let local = LocalDateTime::from_date_and_seconds(date, sod);
        match rome::lookup(date, sod) {
            rome::LocalResult::Gap { gap_end } => {
                // The gap resolves to 03:00 local, forward of the asked time.
                let back = rome::to_local(gap_end);
                prop_assert!(back > local);
                prop_assert_eq!((back.hour, back.minute, back.second), (3, 0, 0));
            }
            other => prop_assert_eq!(rome::to_local(other.resolve()), local),
        }
    }

    #[test]
    fn local_to_utc_is_monotone(days in (FROM / 86_400)..(TO / 86_400), a in 0i64..86_400, b in 0i64..86_400) {
        let date = LocalDate::from_days(days);
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(rome::lookup(date, lo).resolve() <= rome::lookup(date, hi).resolve());
    }

    #[test]
    fn sla6_add_then_count_gives_back_the_same_working_time(
        which in 0usize..5, t in FROM..TO, s in 1i64..3_000_000,
    ) {
        let cals = calendars();
        let cal = &cals[which % cals.len()];
        let end = cal.add_working_time(t, s);
        prop_assert!(end.is_some());
        let end = end.unwrap_or(t);
        prop_assert_eq!(cal.working_seconds_between(t, end), s);
        // The last counted second is open: the result is the earliest such instant.
        prop_assert_eq!(cal.working_seconds_between(t, end - 1), s - 1);
        prop_assert!(cal.is_open(end - 1));
    }

    #[test]
    fn next_opening_is_open_and_nothing_before_it_is(which in 0usize..5, t in FROM..TO) {
        let cals = calendars();
        let cal = &cals[which % cals.len()];
        let next = cal.next_opening(t);
        prop_assert!(next.is_some());
        let next = next.unwrap_or(t);
        prop_assert!(next >= t);
        prop_assert!(cal.is_open(next));
        prop_assert_eq!(cal.working_seconds_between(t, next), 0);
        prop_assert_eq!(cal.is_open(t), next == t);
    }

    #[test]
    fn ivr7_status_agrees_with_open_time_and_the_drain(which in 0usize..5, t in FROM..TO) {
        let cals = calendars();
        let cal = &cals[which % cals.len()];
        let status = cal.status(t);
        prop_assert_eq!(status.is_open(), cal.working_seconds_between(t, t + 1) == 1);
        match status {
            Status::Open => {}
            Status::Draining { closes_at } => {
                prop_assert!(closes_at > t && closes_at - t <= cal.drain_seconds());
                prop_assert_eq!(cal.working_seconds_between(t, closes_at), 0);
                // The service was open within the last drain window.
                prop_assert!(cal.working_seconds_between(t - cal.drain_seconds(), t) > 0);
            }
            Status::Closed { next_open, .. } => {
                prop_assert_eq!(next_open, cal.next_opening(t));
                prop_assert_eq!(cal.working_seconds_between(t - cal.drain_seconds(), t), 0);
            }
        }
    }

    #[test]
    fn open_intervals_are_sorted_disjoint_and_sum_to_the_count(
        which in 0usize..5, t in FROM..TO, len in 0i64..2_000_000,
    ) {
        let cals = calendars();
        let cal = &cals[which % cals.len()];
        let iv = cal.open_intervals(t, t + len);
        for w in iv.windows(2) {
            prop_assert!(w[0].1 < w[1].0);
        }
        for (s, e) in &iv {
            prop_assert!(t <= *s && s < e && *e <= t + len);
        }
        prop_assert_eq!(iv.iter().map(|(s, e)| e - s).sum::<i64>(), cal.working_seconds_between(t, t + len));
    }
}
