//! Transcript tests of overflow and exits: max wait, max length, no agents, exit key, queue-to-queue moves, external share cap [ACD-7, IVR-4, TEL-6].

mod common;

use acd_engine::{
    AcdConfig, AcdInput, AcdOutput, CallId, ExitAction, ExitReason, QueueConfig, Strategy,
};
use common::{Harness, agent, agents, offers, queue, secs};

fn exits(out: &[AcdOutput]) -> Vec<(u64, ExitAction, ExitReason)> {
    out.iter()
        .filter_map(|o| match o {
            AcdOutput::Exit {
                call,
                action,
                reason,
            } => Some((call.0, action.clone(), *reason)),
            _ => None,
        })
        .collect()
}

fn vm() -> ExitAction {
    ExitAction::Voicemail("100".into())
}

fn verde(tune: impl FnOnce(&mut QueueConfig)) -> Harness {
    let mut q = QueueConfig::new("verde", Strategy::Linear, &["2001"]);
    tune(&mut q);
    Harness::simple(
        vec![q, QueueConfig::new("riserva", Strategy::Linear, &["2002"])],
        &["2001", "2002"],
    )
}

#[test]
fn max_wait_sends_the_caller_to_voicemail_acd7() {
    let mut h = verde(|q| q.max_wait = Some((secs(60), vm())));
    h.arrive(0, 1, "verde");
    assert_eq!(h.acd.poll_timeout(), Some(h.at(60)));
    assert!(exits(&h.advance(59)).is_empty());
    let out = h.advance(60);
    assert_eq!(exits(&out), vec![(1, vm(), ExitReason::MaxWait)]);
    assert!(h.waiting("verde").is_empty());
    assert_eq!(h.acd.snapshot(h.at(60)).queues[0].counters.exited, 1);
}

#[test]
fn max_wait_while_ringing_waits_for_the_offer() {
    let mut h = verde(|q| {
        q.max_wait = Some((secs(10), vm()));
        q.ring_timeout = secs(15);
    });
    h.arrive(0, 1, "verde");
    h.login(5, "2001");
    assert!(
        exits(&h.advance(12)).is_empty(),
        "the ringing offer is not interrupted"
    );
    let out = h.advance(20);
    assert_eq!(exits(&out), vec![(1, vm(), ExitReason::MaxWait)]);
}

#[test]
fn max_length_rejects_on_arrival_acd7() {
    let mut h = verde(|q| q.max_length = Some((2, ExitAction::MessageAndHangup("busy".into()))));
    h.arrive(0, 1, "verde");
    h.arrive(1, 2, "verde");
    let out = h.arrive(2, 3, "verde");
    assert_eq!(
        exits(&out),
        vec![(
            3,
            ExitAction::MessageAndHangup("busy".into()),
            ExitReason::MaxLength
        )]
    );
    assert_eq!(h.waiting("verde"), vec![1, 2]);
}

#[test]
fn no_agents_on_arrival_and_when_the_last_member_logs_out_ivr4() {
    let mut h = verde(|q| q.when_no_agents = Some(vm()));
    let out = h.arrive(0, 1, "verde");
    assert_eq!(exits(&out), vec![(1, vm(), ExitReason::NoAgents)]);
    h.login(1, "2001");
    h.input(
        2,
        AcdInput::AgentPause {
            agent: agent("2001"),
            reason: "x".into(),
        },
    );
    // A paused member counts as present: the caller waits.
    assert!(exits(&h.arrive(3, 2, "verde")).is_empty());
    let out = h.input(
        4,
        AcdInput::AgentLogout {
            agent: agent("2001"),
        },
    );
    assert_eq!(exits(&out), vec![(2, vm(), ExitReason::NoAgents)]);
}

#[test]
fn unregistration_of_the_last_member_counts_as_no_agents() {
    let mut h = verde(|q| q.when_no_agents = Some(vm()));
    h.login(0, "2001");
    h.input(
        1,
        AcdInput::AgentBusyElsewhere {
            agent: agent("2001"),
            busy: true,
        },
    );
    h.arrive(2, 1, "verde");
    let out = h.input(
        3,
        AcdInput::AgentRegistration {
            agent: agent("2001"),
            registered: false,
        },
    );
    assert_eq!(exits(&out), vec![(1, vm(), ExitReason::NoAgents)]);
}

#[test]
fn exit_key_leaves_during_the_wait() {
    let mut h = verde(|q| q.exit_key = Some(('9', vm())));
    h.arrive(0, 1, "verde");
    assert!(
        h.input(
            1,
            AcdInput::CallerKey {
                call: CallId(1),
                key: '5'
            }
        )
        .is_empty()
    );
    let out = h.input(
        2,
        AcdInput::CallerKey {
            call: CallId(1),
            key: '9',
        },
    );
    assert_eq!(exits(&out), vec![(1, vm(), ExitReason::Key)]);
}

#[test]
fn overflow_to_another_queue_keeps_the_original_arrival() {
    let mut h = verde(|q| q.max_wait = Some((secs(30), ExitAction::Queue(queue("riserva")))));
    h.arrive(0, 1, "verde");
    h.arrive(10, 2, "riserva");
    let out = h.advance(30);
    assert!(out.iter().any(|o| matches!(o,
        AcdOutput::Moved { call: CallId(1), reason: ExitReason::MaxWait, to, .. } if to.0 == "riserva")));
    assert_eq!(h.waiting("riserva"), vec![1, 2]);
    let out = h.login(31, "2002");
    assert_eq!(offers(&out), vec![(1, "2002".into())]);
}

#[test]
fn overflow_cycle_on_arrival_terminates() {
    let mut a = QueueConfig::new("a", Strategy::Linear, &["2001"]);
    a.when_no_agents = Some(ExitAction::Queue(queue("b")));
    let mut b = QueueConfig::new("b", Strategy::Linear, &["2002"]);
    b.when_no_agents = Some(ExitAction::Queue(queue("a")));
    let mut h = Harness::simple(vec![a, b], &["2001", "2002"]);
    let out = h.arrive(0, 1, "a");
    let moves = out
        .iter()
        .filter(|o| matches!(o, AcdOutput::Moved { .. }))
        .count();
    assert!(moves <= 3, "{out:?}");
    let total: usize = h.waiting("a").len() + h.waiting("b").len();
    assert_eq!(total, 1);
}

#[test]
fn external_exits_are_capped_at_thirty_percent_tel6() {
    let mut q = QueueConfig::new("verde", Strategy::Linear, &["2001"]);
    q.exit_key = Some(('0', ExitAction::External("sede2".into())));
    let mut h = Harness::new(AcdConfig::new(vec![q], agents(&["2001"])));
    for call in 1..=10 {
        h.arrive(call, call, "verde");
    }
    let mut sent = 0;
    let mut refused = 0;
    for call in 1..=10 {
        let out = h.input(
            20,
            AcdInput::CallerKey {
                call: CallId(call),
                key: '0',
            },
        );
        sent += exits(&out).len();
        refused += out
            .iter()
            .filter(|o| matches!(o, AcdOutput::OverflowRefused { .. }))
            .count();
    }
    assert_eq!((sent, refused), (3, 7), "30% of 10 arrivals");
    assert_eq!(
        h.waiting("verde").len(),
        7,
        "refused callers stay in the queue"
    );
    // The share is computed over a rolling hour: new arrivals later make room again.
    for call in 11..=14 {
        h.arrive(3700, call, "verde");
    }
    let out = h.input(
        3700,
        AcdInput::CallerKey {
            call: CallId(11),
            key: '0',
        },
    );
    assert_eq!(exits(&out).len(), 1);
}

#[test]
fn refused_external_max_wait_is_rearmed_tel6() {
    let mut q = QueueConfig::new("verde", Strategy::Linear, &["2001"]);
    q.max_wait = Some((secs(60), ExitAction::External("sede2".into())));
    let mut config = AcdConfig::new(vec![q], agents(&["2001"]));
    config.external_share_cap_percent = 0;
    let mut h = Harness::new(config);
    h.arrive(0, 1, "verde");
    let out = h.advance(60);
    assert!(out.iter().any(|o| matches!(
        o,
        AcdOutput::OverflowRefused {
            reason: ExitReason::MaxWait,
            ..
        }
    )));
    assert_eq!(h.acd.poll_timeout(), Some(h.at(120)));
}

#[test]
fn callback_keeps_the_callers_place_acd7() {
    let mut h = verde(|q| {
        q.exit_key = Some(('1', ExitAction::Callback));
        q.announce_every = Some(secs(30));
        q.max_wait = Some((secs(100), vm()));
    });
    h.arrive(0, 1, "verde");
    h.arrive(5, 2, "verde");
    let out = h.input(
        10,
        AcdInput::CallerKey {
            call: CallId(1),
            key: '1',
        },
    );
    assert_eq!(
        out,
        vec![AcdOutput::CallbackKept {
            call: CallId(1),
            position: 1
        }]
    );
    // No announcements or max-wait exit for the caller who hung up; call 2 still hears them.
    let out = h.advance(150);
    assert!(out.iter().all(|o| !matches!(
        o,
        AcdOutput::Announce {
            call: CallId(1),
            ..
        }
    )));
    assert_eq!(exits(&out), vec![(2, vm(), ExitReason::MaxWait)]);
    assert_eq!(h.waiting("verde"), vec![1]);
    // When an agent is free the callback is offered first; answering counts it.
    let out = h.login(160, "2001");
    assert_eq!(offers(&out), vec![(1, "2001".into())]);
    h.answer(165, 1, "2001");
    let counters = h.acd.snapshot(h.at(165)).queues[0].counters;
    assert_eq!(
        (
            counters.callbacks_requested,
            counters.callbacks_answered,
            counters.answered
        ),
        (1, 1, 1)
    );
}

#[test]
fn max_wait_while_ringing_connects_when_the_offer_is_answered() {
    let mut h = verde(|q| {
        q.max_wait = Some((secs(10), vm()));
        q.ring_timeout = secs(15);
    });
    h.arrive(0, 1, "verde");
    h.login(5, "2001");
    assert!(exits(&h.advance(12)).is_empty());
    let out = h.answer(13, 1, "2001");
    assert!(out.iter().any(|o| matches!(
        o,
        AcdOutput::Connected {
            call: CallId(1),
            ..
        }
    )));
    assert!(exits(&h.advance(60)).is_empty());
}
