//! Transcript tests of the agent model: reserve, talk, wrap-up, ring timeout, no-answer pause, reject delay, busy elsewhere, registration, pause and errors [ACD-3, ACD-5, ACD-7].

mod common;

use acd_engine::{
    AcdError, AcdInput, AcdOutput, AgentState, CallId, OfferFailure, QueueConfig, Strategy,
};
use common::{Harness, agent, cancels, offers, paused, queue, secs};

fn verde(members: &[&str], tune: impl FnOnce(&mut QueueConfig)) -> Harness {
    let mut q = QueueConfig::new("verde", Strategy::Linear, members);
    tune(&mut q);
    Harness::simple(vec![q], members)
}

fn states(out: &[AcdOutput], id: &str) -> Vec<AgentState> {
    out.iter()
        .filter_map(|o| match o {
            AcdOutput::AgentStateChanged { agent, state } if agent.0 == id => Some(state.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn agent_goes_reserved_on_call_wrap_up_available() {
    let mut h = verde(&["2001"], |q| q.wrap_up = secs(10));
    assert_eq!(
        states(&h.login(0, "2001"), "2001"),
        vec![AgentState::Available]
    );
    let out = h.arrive(1, 1, "verde");
    assert_eq!(states(&out, "2001"), vec![AgentState::Reserved]);
    let out = h.answer(3, 1, "2001");
    assert_eq!(states(&out, "2001"), vec![AgentState::OnCall]);
    assert!(out.iter().any(|o| matches!(
        o,
        AcdOutput::Connected {
            call: CallId(1),
            ..
        }
    )));
    let out = h.end(20, 1);
    assert_eq!(states(&out, "2001"), vec![AgentState::WrapUp]);
    assert_eq!(h.acd.poll_timeout(), Some(h.at(30)));
    let out = h.advance(30);
    assert_eq!(states(&out, "2001"), vec![AgentState::Available]);
    let snap = h.acd.snapshot(h.at(30));
    assert_eq!(snap.agents[0].calls_taken, 1);
    assert_eq!(snap.queues[0].counters.answered, 1);
}

#[test]
fn wrap_up_can_be_extended_by_the_agent() {
    let mut h = verde(&["2001"], |q| q.wrap_up = secs(10));
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    h.answer(1, 1, "2001");
    h.end(5, 1);
    h.input(
        6,
        AcdInput::AgentExtendWrapUp {
            agent: agent("2001"),
            by: secs(20),
        },
    );
    assert_eq!(h.acd.poll_timeout(), Some(h.at(35)));
    h.advance(34);
    assert_eq!(h.state("2001"), AgentState::WrapUp);
    h.advance(35);
    assert_eq!(h.state("2001"), AgentState::Available);
    let err = h.acd.handle(
        AcdInput::AgentExtendWrapUp {
            agent: agent("2001"),
            by: secs(1),
        },
        h.at(36),
    );
    assert_eq!(err, Err(AcdError::AgentNotInWrapUp(agent("2001"))));
}

#[test]
fn ring_timeout_tries_the_next_agent_and_the_caller_keeps_its_place() {
    let mut h = verde(&["2001", "2002"], |q| q.ring_timeout = secs(15));
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    h.arrive(2, 2, "verde");
    assert_eq!(h.waiting("verde"), vec![1, 2]);
    h.login(3, "2002");
    // Call 2 rings 2002 meanwhile; call 1 times out on 2001 at t=16.
    let out = h.advance(16);
    assert_eq!(cancels(&out), vec![(1, "2001".into())]);
    // 2001 is free again; call 1 already tried it, 2002 is busy ringing, so 2001 is retried.
    assert_eq!(offers(&out), vec![(1, "2001".into())]);
    assert_eq!(h.waiting("verde"), vec![1, 2]);
}

#[test]
fn next_untried_agent_is_preferred_after_a_no_answer() {
    let mut h = verde(&["2001", "2002"], |q| q.ring_timeout = secs(15));
    h.login(0, "2001");
    h.login(0, "2002");
    assert_eq!(offers(&h.arrive(1, 1, "verde")), vec![(1, "2001".into())]);
    let out = h.advance(16);
    assert_eq!(offers(&out), vec![(1, "2002".into())]);
}

#[test]
fn consecutive_no_answers_pause_the_agent() {
    let mut h = verde(&["2001"], |q| {
        q.ring_timeout = secs(10);
        q.max_no_answer = 2;
    });
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    let out = h.advance(11);
    assert_eq!(
        offers(&out),
        vec![(1, "2001".into())],
        "retried after the first no-answer"
    );
    let out = h.advance(21);
    assert_eq!(states(&out, "2001").last(), Some(&paused("no answer")));
    assert!(offers(&out).is_empty());
    assert_eq!(h.waiting("verde"), vec![1]);
}

#[test]
fn answered_call_resets_the_no_answer_streak() {
    let mut h = verde(&["2001"], |q| {
        q.ring_timeout = secs(10);
        q.max_no_answer = 2;
        q.wrap_up = secs(0);
    });
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    h.advance(11);
    h.answer(12, 1, "2001");
    h.end(13, 1);
    h.arrive(14, 2, "verde");
    h.advance(24);
    assert_eq!(h.state("2001"), AgentState::Reserved);
}

#[test]
fn rejecting_agent_is_not_offered_for_the_reject_delay() {
    let mut h = verde(&["2001"], |q| q.reject_delay = secs(20));
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    let out = h.input(
        2,
        AcdInput::OfferFailed {
            call: CallId(1),
            agent: agent("2001"),
            reason: OfferFailure::Rejected,
        },
    );
    assert!(offers(&out).is_empty());
    assert_eq!(h.state("2001"), AgentState::Available);
    assert_eq!(h.acd.poll_timeout(), Some(h.at(22)));
    let out = h.advance(22);
    assert_eq!(offers(&out), vec![(1, "2001".into())]);
}

#[test]
fn agent_busy_elsewhere_is_never_offered() {
    let mut h = verde(&["2001"], |_| {});
    h.login(0, "2001");
    h.input(
        1,
        AcdInput::AgentBusyElsewhere {
            agent: agent("2001"),
            busy: true,
        },
    );
    assert!(offers(&h.arrive(2, 1, "verde")).is_empty());
    let out = h.input(
        30,
        AcdInput::AgentBusyElsewhere {
            agent: agent("2001"),
            busy: false,
        },
    );
    assert_eq!(offers(&out), vec![(1, "2001".into())]);
    // A direct call while ringing withdraws the offer.
    let out = h.input(
        31,
        AcdInput::AgentBusyElsewhere {
            agent: agent("2001"),
            busy: true,
        },
    );
    assert_eq!(cancels(&out), vec![(1, "2001".into())]);
    assert_eq!(h.waiting("verde"), vec![1]);
}

#[test]
fn expired_registration_pauses_and_reregistration_restores() {
    let mut h = verde(&["2001"], |_| {});
    h.login(0, "2001");
    h.input(
        1,
        AcdInput::AgentRegistration {
            agent: agent("2001"),
            registered: false,
        },
    );
    assert_eq!(h.state("2001"), paused("unregistered"));
    assert!(offers(&h.arrive(2, 1, "verde")).is_empty());
    let err = h.acd.handle(
        AcdInput::AgentReady {
            agent: agent("2001"),
        },
        h.at(3),
    );
    assert_eq!(err, Err(AcdError::AgentUnregistered(agent("2001"))));
    let out = h.input(
        4,
        AcdInput::AgentRegistration {
            agent: agent("2001"),
            registered: true,
        },
    );
    assert_eq!(offers(&out), vec![(1, "2001".into())]);
}

#[test]
fn pause_during_a_call_applies_after_wrap_up() {
    let mut h = verde(&["2001"], |q| q.wrap_up = secs(5));
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    h.answer(1, 1, "2001");
    h.input(
        2,
        AcdInput::AgentPause {
            agent: agent("2001"),
            reason: "pranzo".into(),
        },
    );
    assert_eq!(h.state("2001"), AgentState::OnCall);
    h.end(10, 1);
    assert_eq!(h.state("2001"), AgentState::WrapUp);
    h.advance(15);
    assert_eq!(h.state("2001"), paused("pranzo"));
    h.arrive(16, 2, "verde");
    let out = h.input(
        20,
        AcdInput::AgentReady {
            agent: agent("2001"),
        },
    );
    assert_eq!(offers(&out), vec![(2, "2001".into())]);
}

#[test]
fn pause_while_ringing_cancels_the_offer() {
    let mut h = verde(&["2001"], |_| {});
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    let out = h.input(
        2,
        AcdInput::AgentPause {
            agent: agent("2001"),
            reason: "x".into(),
        },
    );
    assert_eq!(cancels(&out), vec![(1, "2001".into())]);
    assert_eq!(h.state("2001"), paused("x"));
}

#[test]
fn caller_hanging_up_while_ringing_stops_the_phone() {
    let mut h = verde(&["2001"], |_| {});
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    let out = h.input(2, AcdInput::CallerLeft { call: CallId(1) });
    assert_eq!(cancels(&out), vec![(1, "2001".into())]);
    assert_eq!(h.state("2001"), AgentState::Available);
    assert_eq!(h.acd.snapshot(h.at(2)).queues[0].counters.abandoned, 1);
    assert_eq!(h.acd.poll_timeout(), None);
}

#[test]
fn misuse_and_unknown_ids_are_errors_not_panics() {
    let mut h = verde(&["2001"], |_| {});
    let t = h.at(1);
    let pause = AcdInput::AgentPause {
        agent: agent("2001"),
        reason: "x".into(),
    };
    assert_eq!(
        h.acd.handle(pause, t),
        Err(AcdError::AgentNotLoggedIn(agent("2001")))
    );
    let login = AcdInput::AgentLogin {
        agent: agent("9999"),
    };
    assert_eq!(
        h.acd.handle(login, t),
        Err(AcdError::UnknownAgent(agent("9999")))
    );
    let arrive = AcdInput::CallerArrived {
        call: CallId(1),
        queue: queue("nope"),
        priority: 0,
    };
    assert_eq!(
        h.acd.handle(arrive, t),
        Err(AcdError::UnknownQueue(queue("nope")))
    );
    assert_eq!(
        h.acd.handle(AcdInput::CallEnded { call: CallId(7) }, t),
        Err(AcdError::UnknownCall(CallId(7)))
    );
    assert_eq!(
        h.acd.handle(AcdInput::CallerLeft { call: CallId(7) }, t),
        Err(AcdError::UnknownCall(CallId(7)))
    );
    h.arrive(2, 1, "verde");
    let dup = AcdInput::CallerArrived {
        call: CallId(1),
        queue: queue("verde"),
        priority: 0,
    };
    assert_eq!(
        h.acd.handle(dup, t),
        Err(AcdError::DuplicateCall(CallId(1)))
    );
    // An answer that raced with the engine's own ring timeout is refused.
    h.login(3, "2001");
    h.advance(18);
    h.input(
        18,
        AcdInput::AgentPause {
            agent: agent("2001"),
            reason: "x".into(),
        },
    );
    let late = AcdInput::OfferAnswered {
        call: CallId(1),
        agent: agent("2001"),
    };
    assert_eq!(
        h.acd.handle(late, h.at(19)),
        Err(AcdError::NoSuchOffer {
            call: CallId(1),
            agent: agent("2001")
        })
    );
}

#[test]
fn logout_clears_calls_taken_and_idle_restarts_at_login() {
    let mut h = verde(&["2001"], |q| q.wrap_up = secs(0));
    h.login(0, "2001");
    h.arrive(1, 1, "verde");
    h.answer(1, 1, "2001");
    h.end(2, 1);
    h.input(
        3,
        AcdInput::AgentLogout {
            agent: agent("2001"),
        },
    );
    assert_eq!(h.state("2001"), AgentState::LoggedOut);
    h.login(4, "2001");
    let snap = h.acd.snapshot(h.at(10));
    assert_eq!(snap.agents[0].calls_taken, 0);
    assert_eq!(snap.agents[0].since, secs(6));
}
