//! Property tests: indicators never panic and percentages stay within 0..=100 for
//! random records [SLA-2..SLA-10; issue 7 "Bad input"].

mod common;

use proptest::prelude::*;
use sla_metrics::*;

fn opt() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![Just(None), (-100_000i64..4_000_000).prop_map(Some)]
}

fn arb_call() -> impl Strategy<Value = CallRecord> {
    (
        (0i64..50, 0usize..4, 0i64..3_000_000, opt(), opt(), opt()),
        (
            any::<bool>(),
            prop::option::of(-50i64..500),
            prop::option::of(-50i64..500),
            0usize..8,
            prop::option::of(-50i64..500),
            0usize..3,
        ),
    )
        .prop_map(
            |((id, ch, start, req, ans, end), (queued, wait, talk, outcome, announced, from))| {
                CallRecord {
                    id,
                    channel: ["verde", "centralino", "internal", "outbound"][ch].to_string(),
                    from: format!("+39{from}"),
                    to: "800".into(),
                    started_at: start,
                    operator_requested_at: req,
                    answered_at: ans,
                    ended_at: end,
                    queue: queued.then(|| "info".to_string()),
                    agent: None,
                    wait_seconds: wait,
                    talk_seconds: talk,
                    outcome: Outcome::ALL[outcome],
                    announced_wait_seconds: announced,
                    ticket_id: None,
                }
            },
        )
}

fn in_range(s: Share) -> bool {
    s.count <= s.total
        && s.percent.is_none_or(|p| (0.0..=100.0).contains(&p))
        && s.percent_one_decimal
            .is_none_or(|p| (0.0..=100.0).contains(&p))
        && s.percent.is_some() == (s.total > 0)
}

proptest! {
    #[test]
    fn indicators_stay_in_range(calls in prop::collection::vec(arb_call(), 0..40), lines in 0u32..4, unit in -5i64..5000,
                                 from in -1_000_000i64..2_000_000, len in 0i64..5_000_000) {
        let to = from + len;
        let busy = lines_busy_from_calls(&calls, lines);
        prop_assert!(busy.iter().all(|b| b.to > b.from));
        let hours = WeeklyUtcHours::weekdays(60, 600);
        let shares = [
            free_line_share(&calls),
            queue_wait_compliance(&calls, 30, 90).answered_within,
            queue_abandon_share(&calls),
            service_level_ls(&calls),
            service_level(&calls, 20),
            abandon_rate(&calls),
            announcement_accuracy(&calls, 30).within_tolerance,
            accessibility(&busy, &hours, from, to, unit),
            accessibility(&busy, &AlwaysOpen, from, to, unit),
        ];
        for s in shares {
            prop_assert!(in_range(s), "{s:?}");
        }
        for m in [mean_wait_tma(&calls), average_speed_of_answer(&calls), average_handle_time(&calls), average_talk_time(&calls)] {
            prop_assert!(m.seconds.is_none_or(|x| x >= 0.0 && x.is_finite()));
        }
        prop_assert!(outcome_mix(&calls).iter().all(|o| in_range(o.share)));
        prop_assert_eq!(calls_per_hour_slot(&calls, &common::rome).iter().sum::<u64>(),
            calls.iter().filter(|c| c.is_inbound()).count() as u64);
        let cfg = ReportConfig::default();
        let input = ReportInput { calls: &calls, tickets: &[], busy: &busy, health: &[], hours: &hours, offset: &common::rome, config: &cfg };
        let r = build_report(&input, from, to, None);
        prop_assert!(in_range(r.tiqv_accessibility) && in_range(r.first_contact_resolution));
        prop_assert!(r.availability.iter().all(|a| in_range(a.in_service) && in_range(a.out_of_service) && in_range(a.h24)));
    }

    #[test]
    fn health_and_tickets_stay_in_range(samples in prop::collection::vec((-10_000i64..100_000, 0usize..3, any::<bool>()), 0..30),
                                        validity in -10i64..50_000,
                                        tickets in prop::collection::vec((0i64..100_000, prop::option::of(0i64..200_000), prop::option::of(0i64..200_000), any::<bool>(), prop::option::of(any::<bool>())), 0..20)) {
        let samples: Vec<HealthSample> = samples.into_iter()
            .map(|(at, c, up)| HealthSample { at, component: [Component::Acd, Component::Ivr, Component::Cti][c], up })
            .collect();
        let hours = WeeklyUtcHours::weekdays(0, 1);
        for a in [Component::Acd, Component::Ivr, Component::Cti].map(|c| availability(&samples, c, &hours, 0, 90_000, validity)) {
            prop_assert!(in_range(a.in_service) && in_range(a.out_of_service) && in_range(a.h24));
        }
        let tickets: Vec<TicketRecord> = tickets.into_iter().enumerate().map(|(i, (opened, taken, resolved, offline, fcr))| TicketRecord {
            id: i as i64, channel: "email".into(), opened_at: opened, taken_at: taken, resolved_at: resolved,
            resolved_first_contact: fcr, caller: Some(format!("c{}", i % 3)), offline,
        }).collect();
        let f = offline_tickets(&tickets, &hours, &OfflineConfig::default(), 150_000);
        prop_assert!(in_range(f.taken_within) && in_range(f.resolved_within_first) && in_range(f.resolved_within_second));
        prop_assert!(in_range(first_contact_resolution(&tickets, &[], 50_000)));
    }

    #[test]
    fn csv_and_timestamps_never_panic(text in ".{0,300}", stamp in "[0-9T:.Z+-]{0,30}") {
        let _ = parse_calls_csv(&text);
        let _ = parse_calls_csv(&format!("id,channel,started_at,outcome\n{text}"));
        let _ = parse_rfc3339(&stamp);
    }

    #[test]
    fn erlang_is_monotone(calls_per_hour in 0.0f64..5000.0, aht in 1.0f64..900.0, target in 0.0f64..0.99) {
        if let Some(s) = erlang_c_agents(calls_per_hour, aht, target, 20.0, 2000) {
            prop_assert!(s.service_level >= target && s.service_level <= 1.0);
            prop_assert!(f64::from(s.agents) >= s.traffic_erlangs);
            if s.agents > 1 && f64::from(s.agents - 1) > s.traffic_erlangs {
                let fewer = erlang_c_service_level(calls_per_hour, aht, s.agents - 1, 20.0);
                prop_assert!(fewer.is_some_and(|f| f < target));
            }
        }
    }
}
