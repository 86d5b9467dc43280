//! Transcript tests of distribution: FIFO with priority, longest idle, linear, round-robin, fewest calls, ring-all, cross-queue fairness, levels [ACD-1, ACD-2, ACD-3, ACD-6, ACD-7].

mod common;

use acd_engine::{
    AcdConfig, AcdInput, AcdOutput, AgentConfig, AgentState, CallId, Member, QueueConfig, Strategy,
};
use common::{Harness, agent, cancels, offers, queue, secs};

const FIVE: [&str; 5] = ["2001", "2002", "2003", "2004", "2005"];

fn one_queue(strategy: Strategy, members: &[&str]) -> Harness {
    let mut q = QueueConfig::new("verde", strategy, members);
    q.wrap_up = secs(0);
    Harness::simple(vec![q], members)
}

#[test]
fn longest_idle_follows_login_order_acd3() {
    // Member order is reversed so that only the idle clock can explain the result.
    let members = ["2005", "2004", "2003", "2002", "2001"];
    let mut h = one_queue(Strategy::LongestIdle, &members);
    for (i, id) in FIVE.iter().enumerate() {
        h.login(i as u64, id);
    }
    let mut got = Vec::new();
    for call in 1..=5 {
        got.extend(offers(&h.arrive(10 + call, call, "verde")));
    }
    let expected: Vec<(u64, String)> = (1..=5).zip(FIVE.iter().map(|s| s.to_string())).collect();
    assert_eq!(got, expected);
}

#[test]
fn longest_idle_counts_from_available_not_from_hang_up_acd3() {
    let mut q = QueueConfig::new("verde", Strategy::LongestIdle, &["2001", "2002"]);
    q.wrap_up = secs(30);
    let mut h = Harness::simple(vec![q], &["2001", "2002"]);
    h.login(0, "2001");
    h.login(1, "2002");
    assert_eq!(offers(&h.arrive(2, 1, "verde")), vec![(1, "2001".into())]);
    assert_eq!(offers(&h.arrive(3, 2, "verde")), vec![(2, "2002".into())]);
    h.answer(4, 1, "2001");
    h.answer(5, 2, "2002");
    // 2001 hangs up first (t=20) but stays in wrap-up until t=50; 2002 hangs up at t=30 and
    // presses ready at t=31, so 2002 has been Available the longest.
    h.end(20, 1);
    h.end(30, 2);
    h.input(
        31,
        AcdInput::AgentReady {
            agent: agent("2002"),
        },
    );
    h.advance(60);
    assert_eq!(h.state("2001"), AgentState::Available);
    assert_eq!(offers(&h.arrive(60, 3, "verde")), vec![(3, "2002".into())]);
}

#[test]
fn longest_idle_is_shared_across_the_agents_queues_acd3() {
    let mut q1 = QueueConfig::new("q1", Strategy::LongestIdle, &["2001"]);
    q1.wrap_up = secs(0);
    let mut q2 = QueueConfig::new("q2", Strategy::LongestIdle, &["2001", "2002"]);
    q2.wrap_up = secs(0);
    let mut h = Harness::simple(vec![q1, q2], &["2001", "2002"]);
    h.login(0, "2001");
    h.login(1, "2002");
    assert_eq!(offers(&h.arrive(5, 1, "q1")), vec![(1, "2001".into())]);
    h.answer(5, 1, "2001");
    h.end(6, 1);
    // 2001 became Available again at t=6, after 2002 (t=1).
    assert_eq!(offers(&h.arrive(10, 2, "q2")), vec![(2, "2002".into())]);
}

#[test]
fn linear_takes_first_free_in_member_order_acd2() {
    let mut h = one_queue(Strategy::Linear, &["2003", "2001", "2002"]);
    h.login(0, "2001");
    h.login(1, "2002");
    h.login(2, "2003");
    assert_eq!(offers(&h.arrive(5, 1, "verde")), vec![(1, "2003".into())]);
    assert_eq!(offers(&h.arrive(6, 2, "verde")), vec![(2, "2001".into())]);
    h.answer(7, 1, "2003");
    h.end(8, 1);
    // 2003 is free again and first in order.
    assert_eq!(offers(&h.arrive(9, 3, "verde")), vec![(3, "2003".into())]);
}

#[test]
fn round_robin_remembers_the_last_agent_offered_acd2() {
    let mut h = one_queue(Strategy::RoundRobin, &["2001", "2002", "2003"]);
    for id in ["2001", "2002", "2003"] {
        h.login(0, id);
    }
    let mut got = Vec::new();
    for call in 1..=4 {
        let out = h.arrive(call, call, "verde");
        let o = offers(&out);
        h.answer(call, call, &o[0].1);
        h.end(call, call);
        got.extend(o);
    }
    let names: Vec<&str> = got.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(names, vec!["2001", "2002", "2003", "2001"]);
}

#[test]
fn fewest_calls_prefers_the_least_loaded_agent() {
    let mut h = one_queue(Strategy::FewestCalls, &["2001", "2002"]);
    h.login(0, "2001");
    h.login(1, "2002");
    // 2001 takes two calls while 2002 is paused.
    h.input(
        1,
        AcdInput::AgentPause {
            agent: agent("2002"),
            reason: "break".into(),
        },
    );
    for call in 1..=2 {
        h.arrive(2, call, "verde");
        h.answer(2, call, "2001");
        h.end(3, call);
    }
    h.input(
        4,
        AcdInput::AgentReady {
            agent: agent("2002"),
        },
    );
    // 2001 has been idle longer (t=3) than 2002 (t=4) but took more calls.
    assert_eq!(offers(&h.arrive(5, 3, "verde")), vec![(3, "2002".into())]);
}

#[test]
fn ring_all_offers_everyone_and_the_first_answer_wins() {
    let mut h = one_queue(Strategy::RingAll, &["2001", "2002", "2003"]);
    for id in ["2001", "2002", "2003"] {
        h.login(0, id);
    }
    let out = h.arrive(1, 1, "verde");
    assert_eq!(offers(&out).len(), 3);
    let out = h.answer(2, 1, "2002");
    assert_eq!(cancels(&out), vec![(1, "2001".into()), (1, "2003".into())]);
    assert_eq!(h.state("2001"), AgentState::Available);
    assert_eq!(h.state("2002"), AgentState::OnCall);
    assert_eq!(h.state("2003"), AgentState::Available);
}

#[test]
fn fifo_by_arrival_with_priority_first_acd1_acd7() {
    let mut h = one_queue(Strategy::Linear, &["2001"]);
    h.arrive_prio(1, 1, "verde", 0);
    h.arrive_prio(2, 2, "verde", 0);
    h.arrive_prio(3, 3, "verde", 5);
    h.arrive_prio(4, 4, "verde", 5);
    assert_eq!(h.waiting("verde"), vec![3, 4, 1, 2]);
    let mut served = Vec::new();
    served.extend(offers(&h.login(10, "2001")));
    for round in 0..4u64 {
        let call = served.last().map(|(c, _)| *c).expect("an offer");
        h.answer(11 + round, call, "2001");
        served.extend(offers(&h.end(12 + round, call)));
    }
    let order: Vec<u64> = served.iter().map(|(c, _)| *c).collect();
    assert_eq!(order, vec![3, 4, 1, 2]);
}

#[test]
fn cross_queue_fairness_serves_the_longest_waiting_caller_first() {
    let q1 = QueueConfig::new("q1", Strategy::Linear, &["2001"]);
    let q2 = QueueConfig::new("q2", Strategy::Linear, &["2001"]);
    let mut h = Harness::simple(vec![q1, q2], &["2001"]);
    h.arrive(1, 1, "q2");
    h.arrive(2, 2, "q1");
    assert_eq!(offers(&h.login(10, "2001")), vec![(1, "2001".into())]);
}

#[test]
fn queue_weight_scales_the_wait_across_queues() {
    let mut q1 = QueueConfig::new("q1", Strategy::Linear, &["2001"]);
    q1.weight = 3;
    let q2 = QueueConfig::new("q2", Strategy::Linear, &["2001"]);
    let mut h = Harness::simple(vec![q1, q2], &["2001"]);
    h.arrive(0, 1, "q2");
    h.arrive(6, 2, "q1");
    // At t=10: call 1 waited 10 s × 1, call 2 waited 4 s × 3 = 12 s.
    assert_eq!(offers(&h.login(10, "2001")), vec![(2, "2001".into())]);
}

#[test]
fn lower_penalty_members_are_offered_first() {
    let mut q = QueueConfig::new("verde", Strategy::LongestIdle, &[]);
    q.members = vec![
        Member {
            agent: agent("2001"),
            penalty: 1,
        },
        Member {
            agent: agent("2002"),
            penalty: 0,
        },
    ];
    let mut h = Harness::simple(vec![q], &["2001", "2002"]);
    h.login(0, "2001");
    h.login(5, "2002");
    assert_eq!(offers(&h.arrive(6, 1, "verde")), vec![(1, "2002".into())]);
    assert_eq!(offers(&h.arrive(7, 2, "verde")), vec![(2, "2001".into())]);
}

fn levels() -> Harness {
    let mut q2 = QueueConfig::new("secondo", Strategy::LongestIdle, &["2001", "2002"]);
    q2.required_level = Some(2);
    q2.widen_after = Some(secs(30));
    q2.ring_timeout = secs(100);
    let mut q1 = QueueConfig::new("primo", Strategy::LongestIdle, &["2001"]);
    q1.wrap_up = secs(0);
    let agents = vec![
        AgentConfig::new("2001", "Livello I", 1),
        AgentConfig::new("2002", "Livello II", 2),
    ];
    Harness::new(AcdConfig::new(vec![q1, q2], agents))
}

#[test]
fn level_requirement_widens_after_the_threshold_acd6() {
    let mut h = levels();
    h.login(0, "2001");
    let out = h.arrive(1, 1, "secondo");
    assert!(
        offers(&out).is_empty(),
        "level I agent must not get a level II call: {out:?}"
    );
    assert_eq!(h.acd.poll_timeout(), Some(h.at(31)));
    let out = h.advance(31);
    assert_eq!(offers(&out), vec![(1, "2001".into())]);
}

#[test]
fn level_two_agent_is_offered_at_once_acd6() {
    let mut h = levels();
    h.login(0, "2001");
    h.login(0, "2002");
    assert_eq!(offers(&h.arrive(1, 1, "secondo")), vec![(1, "2002".into())]);
}

#[test]
fn transfer_from_level_one_keeps_the_original_arrival_acd6() {
    let mut h = levels();
    h.login(0, "2001");
    assert_eq!(offers(&h.arrive(10, 1, "primo")), vec![(1, "2001".into())]);
    h.answer(12, 1, "2001");
    // Another caller reaches level II directly at t=20.
    h.arrive(20, 2, "secondo");
    let out = h.input(
        40,
        AcdInput::TransferToQueue {
            call: CallId(1),
            queue: queue("secondo"),
            priority: 0,
        },
    );
    assert!(out.iter().any(|o| matches!(
        o,
        AcdOutput::AgentStateChanged {
            state: AgentState::Available,
            ..
        }
    )));
    // Call 1 arrived at t=10, before call 2, so it is served first.
    assert_eq!(h.waiting("secondo"), vec![1, 2]);
    let out = h.login(41, "2002");
    assert_eq!(offers(&out), vec![(1, "2002".into())]);
    let waited = out.iter().find_map(|o| match o {
        AcdOutput::Offer { waited, .. } => Some(*waited),
        _ => None,
    });
    assert_eq!(
        waited,
        Some(secs(31)),
        "[CTI-3] the offer carries the time since first arrival"
    );
}
