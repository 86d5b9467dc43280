//! Transcript tests of the visible queue: entry and periodic announcements, expected wait from live staffing, position changes, accuracy data, statistics [IVR-5, CTI-3, CTI-5].

mod common;

use acd_engine::{AcdInput, AcdOutput, CallId, QueueConfig, Strategy};
use common::{Harness, queue, secs};

fn announces(out: &[AcdOutput]) -> Vec<(u64, usize, Option<u64>)> {
    out.iter()
        .filter_map(|o| match o {
            AcdOutput::Announce {
                call,
                position,
                expected_wait,
            } => Some((call.0, *position, expected_wait.map(|d| d.as_secs()))),
            _ => None,
        })
        .collect()
}

/// Two agents both on calls; handle time 120 s; announcements every 30 s.
fn busy_queue() -> Harness {
    let mut q = QueueConfig::new("verde", Strategy::LongestIdle, &["2001", "2002"]);
    q.initial_handle_time = secs(120);
    q.announce_every = Some(secs(30));
    q.wrap_up = secs(0);
    let mut h = Harness::simple(vec![q], &["2001", "2002"]);
    h.login(0, "2001");
    h.login(0, "2002");
    h.arrive(1, 100, "verde");
    h.arrive(1, 101, "verde");
    h.answer(2, 100, "2001");
    h.answer(2, 101, "2002");
    h
}

#[test]
fn entry_announcement_gives_position_and_expected_wait_ivr5() {
    let mut h = busy_queue();
    // Position 1 with 2 busy agents and 120 s handle time: 1 × 120 / 2 = 60 s.
    assert_eq!(announces(&h.arrive(10, 1, "verde")), vec![(1, 1, Some(60))]);
    // Position 3: 3 × 120 / 2 = 180 s.
    h.arrive(11, 2, "verde");
    assert_eq!(
        announces(&h.arrive(12, 3, "verde")),
        vec![(3, 3, Some(180))]
    );
    assert_eq!(
        h.acd.expected_wait(&queue("verde"), 2, h.at(12)),
        Some(secs(120))
    );
}

#[test]
fn announcements_repeat_every_period_ivr5() {
    let mut h = busy_queue();
    h.arrive(10, 1, "verde");
    assert_eq!(h.acd.poll_timeout(), Some(h.at(40)));
    assert_eq!(announces(&h.advance(40)), vec![(1, 1, Some(60))]);
    assert_eq!(announces(&h.advance(70)), vec![(1, 1, Some(60))]);
}

#[test]
fn position_changes_when_a_caller_ahead_leaves_ivr5() {
    let mut h = busy_queue();
    h.arrive(10, 1, "verde");
    h.arrive(11, 2, "verde");
    let out = h.input(12, AcdInput::CallerLeft { call: CallId(1) });
    assert_eq!(
        out,
        vec![AcdOutput::PositionChanged {
            call: CallId(2),
            position: 1
        }]
    );
    // A higher-priority arrival pushes call 2 back.
    let out = h.arrive_prio(13, 3, "verde", 9);
    assert!(out.contains(&AcdOutput::PositionChanged {
        call: CallId(2),
        position: 2
    }));
}

#[test]
fn immediate_offer_skips_the_entry_announcement_and_connects_at_once() {
    let mut q = QueueConfig::new("verde", Strategy::Linear, &["2001"]);
    q.announce_every = Some(secs(30));
    let mut h = Harness::simple(vec![q], &["2001"]);
    h.login(0, "2001");
    let out = h.arrive(1, 1, "verde");
    assert!(announces(&out).is_empty());
    assert!(matches!(out.first(), Some(AcdOutput::Offer { .. })));
}

#[test]
fn connected_reports_the_announced_and_the_real_wait_ivr5() {
    let mut h = busy_queue();
    h.arrive(10, 1, "verde");
    h.end(50, 100);
    let out = h.answer(52, 1, "2001");
    let connected = out.iter().find_map(|o| match o {
        AcdOutput::Connected {
            waited,
            announced_wait,
            ..
        } => Some((*waited, *announced_wait)),
        _ => None,
    });
    assert_eq!(connected, Some((secs(42), Some(secs(60)))));
}

#[test]
fn handle_time_mean_follows_real_calls_ivr5() {
    let mut h = busy_queue();
    // Call 100 talked 2..202 = 200 s, no wrap-up: mean (4 × 120 + 200) / 5 = 136 s.
    h.end(202, 100);
    let snap = h.acd.snapshot(h.at(202));
    assert_eq!(snap.queues[0].handle_time, secs(136));
}

#[test]
fn expected_wait_is_zero_with_a_free_agent_and_unknown_without_staff() {
    let mut q = QueueConfig::new("verde", Strategy::Linear, &["2001"]);
    q.required_level = Some(1);
    let mut h = Harness::simple(vec![q], &["2001"]);
    assert_eq!(h.acd.expected_wait(&queue("verde"), 1, h.at(0)), None);
    assert_eq!(announces(&h.arrive(0, 1, "verde")), vec![(1, 1, None)]);
    h.input(1, AcdInput::CallerLeft { call: CallId(1) });
    h.login(2, "2001");
    assert_eq!(
        h.acd.expected_wait(&queue("verde"), 1, h.at(2)),
        Some(secs(0))
    );
    assert_eq!(h.acd.expected_wait(&queue("nope"), 1, h.at(2)), None);
}

#[test]
fn snapshot_shows_queue_and_agent_figures_cti5() {
    let mut h = busy_queue();
    h.arrive(10, 1, "verde");
    h.arrive(20, 2, "verde");
    h.input(25, AcdInput::CallerLeft { call: CallId(2) });
    h.arrive(26, 3, "verde");
    let snap = h.acd.snapshot(h.at(40));
    let q = &snap.queues[0];
    assert_eq!(q.waiting, 2);
    assert_eq!(q.longest_wait, Some(secs(30)));
    assert_eq!(q.agents.on_call, 2);
    assert_eq!(q.present, 2);
    assert_eq!(q.average_load, Some(1.0));
    assert_eq!(q.counters.answered, 2);
    assert_eq!(q.counters.answered_within_target, 2);
    assert_eq!(q.counters.abandoned, 1);
    assert_eq!(
        q.callers
            .iter()
            .map(|c| (c.call.0, c.position))
            .collect::<Vec<_>>(),
        vec![(1, 1), (3, 2)]
    );
    let a = &snap.agents[0];
    assert_eq!((a.current_call, a.since), (Some(CallId(100)), secs(38)));
    h.acd.reset_statistics();
    assert_eq!(h.acd.snapshot(h.at(40)).queues[0].counters.answered, 0);
}
