//! Property tests [IVR-1] [IVR-8]: random caller behaviour on the shipped scripts never
//! panics and, once the caller goes silent, always ends within a bounded number of steps
//! in a hand-off or a hang-up (no loop without input); loading never panics.

mod common;

use std::time::Duration;

use business_calendar::Status;
use common::{Caller, closed, draining, holiday, night};
use ivr_script::{IvrAction, IvrInput, load};
use proptest::prelude::*;

/// One thing that happens to a run.
#[derive(Debug, Clone)]
enum Op {
    Input(IvrInput),
    Advance(u64),
    Expire,
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Open),
        Just(draining()),
        Just(closed()),
        Just(holiday("Natale")),
        Just(night()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::sample::select(vec!['0', '1', '2', '3', '4', '5', '9', '*', '#', 'a'])
            .prop_map(|c| Op::Input(IvrInput::Digit(c))),
        3 => any::<bool>().prop_map(|completed| Op::Input(IvrInput::PlaybackDone { completed })),
        2 => Just(Op::Expire),
        1 => (0u64..20).prop_map(Op::Advance),
        1 => Just(Op::Input(IvrInput::Timeout)),
        1 => status().prop_map(|s| Op::Input(IvrInput::CalendarStatus(s))),
        1 => Just(Op::Input(IvrInput::TransferFailed)),
        1 => Just(Op::Input(IvrInput::VoicemailFailed)),
        1 => Just(Op::Input(IvrInput::HandedOff)),
        1 => Just(Op::Input(IvrInput::Started)),
    ]
}

/// What the run waits for, judged from the last action that asks for an answer.
#[derive(Clone, Copy)]
enum Pending {
    Start,
    Playback,
    Schedule,
    Transfer,
    Voicemail,
    Nothing,
}

/// The most inputs a silent caller needs to reach the end of a shipped script.
const SILENT_STEPS: usize = 100;

fn drive(file: &str, first_status: Status, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut caller = Caller::on(file, "0874111222");
    let mut actions: Vec<IvrAction> = Vec::new();
    let mut pending = Pending::Start;
    let collect = |caller: &mut Caller, actions: &mut Vec<IvrAction>, pending: &mut Pending| {
        while let Some(action) = caller.run.poll_action() {
            *pending = match action {
                IvrAction::Play { .. } | IvrAction::StopPlayback => Pending::Playback,
                IvrAction::QuerySchedule { .. } => Pending::Schedule,
                IvrAction::Transfer { .. } => Pending::Transfer,
                IvrAction::Voicemail { .. } => Pending::Voicemail,
                IvrAction::Finished => Pending::Nothing,
                _ => *pending,
            };
            actions.push(action);
        }
    };
    caller.run.handle(IvrInput::Started, caller.now);
    collect(&mut caller, &mut actions, &mut pending);
    caller
        .run
        .handle(IvrInput::CalendarStatus(first_status), caller.now);
    collect(&mut caller, &mut actions, &mut pending);
    for op in ops {
        match op {
            Op::Input(input) => caller.run.handle(input.clone(), caller.now),
            Op::Advance(secs) => caller.now += Duration::from_secs(*secs),
            Op::Expire => {
                if let Some(deadline) = caller.run.poll_timeout() {
                    caller.now = caller.now.max(deadline);
                    caller.run.handle(IvrInput::Timeout, caller.now);
                }
            }
        }
        collect(&mut caller, &mut actions, &mut pending);
    }
    // The caller now stays silent; the shell answers everything (transfers fail).
    let mut steps = 0;
    while !caller.run.is_finished() {
        steps += 1;
        prop_assert!(
            steps <= SILENT_STEPS,
            "no end after {SILENT_STEPS} silent steps: {actions:?}"
        );
        let input = if let Some(deadline) = caller.run.poll_timeout() {
            caller.now = caller.now.max(deadline);
            IvrInput::Timeout
        } else {
            match pending {
                Pending::Start => IvrInput::Started,
                Pending::Playback => IvrInput::PlaybackDone { completed: true },
                Pending::Schedule => IvrInput::CalendarStatus(Status::Open),
                Pending::Transfer => IvrInput::TransferFailed,
                Pending::Voicemail => IvrInput::HandedOff,
                Pending::Nothing => IvrInput::HandedOff,
            }
        };
        caller.run.handle(input, caller.now);
        collect(&mut caller, &mut actions, &mut pending);
    }
    prop_assert_eq!(actions.last(), Some(&IvrAction::Finished));
    let finished = actions
        .iter()
        .filter(|a| **a == IvrAction::Finished)
        .count();
    prop_assert_eq!(finished, 1);
    let before = actions.len().checked_sub(2).and_then(|i| actions.get(i));
    prop_assert!(
        matches!(
            before,
            Some(
                IvrAction::Enqueue { .. }
                    | IvrAction::Hangup
                    | IvrAction::Voicemail { .. }
                    | IvrAction::Transfer { .. }
            )
        ),
        "ended with {before:?}"
    );
    // Every enqueue is preceded by the operator-requested mark (TIQV register).
    if let Some(index) = actions
        .iter()
        .position(|a| matches!(a, IvrAction::Enqueue { .. }))
    {
        prop_assert!(actions[..index].contains(&IvrAction::MarkOperatorRequested));
    }
    prop_assert!(caller.run.path().len() <= actions.len().saturating_add(ops.len()) + 2);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn ivr_8_random_callers_on_verde_always_end(status in status(), ops in proptest::collection::vec(op(), 0..60)) {
        drive("verde.toml", status, &ops)?;
    }

    #[test]
    fn tel_4_random_callers_on_centralino_always_end(status in status(), ops in proptest::collection::vec(op(), 0..60)) {
        drive("centralino.toml", status, &ops)?;
    }

    #[test]
    fn ivr_1_loading_arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = load("x.toml".as_ref(), &text, &|_| true, &common::QUEUES);
    }

    #[test]
    fn ivr_1_damaged_shipped_scripts_never_panic_and_point_inside_the_file(
        file in prop_oneof![Just("verde.toml"), Just("centralino.toml")],
        drop in 0usize..80,
        swap in 0usize..80,
    ) {
        let text = std::fs::read_to_string(common::root().join("config/ivr").join(file)).unwrap_or_default();
        let mut lines: Vec<&str> = text.lines().collect();
        if drop < lines.len() {
            lines.remove(drop);
        }
        if swap + 1 < lines.len() {
            lines.swap(swap, swap + 1);
        }
        let damaged = lines.join("\n");
        if let Err(errors) = load(file.as_ref(), &damaged, &common::prompt_exists, &common::QUEUES) {
            prop_assert!(!errors.is_empty());
            for error in errors {
                prop_assert!(error.line >= 1 && error.line <= lines.len() + 1, "{error}");
            }
        }
    }
}
