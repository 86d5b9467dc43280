//! Transcript tests of every path of the shipped switchboard script
//! `config/ivr/centralino.toml` [TEL-4] [IVR-3] [IVR-6] [VM-1]: simulated caller input →
//! the exact actions.

mod common;

use business_calendar::Status;
use common::{Caller, closed, holiday};
use ivr_script::IvrInput;

const WELCOME: &str = "play* it/benvenuto_centralino";
const HOLD: &str = "play* it/attendere";
const INVALID: &str = "play it/scelta_non_valida";
const UNAVAILABLE: &str = "play* it/tutti_occupati it/premere it/n1 it/oppure it/premere it/n2";
const CLOSED: &str = "play it/chiuso it/orari_centralino";

fn open_caller() -> Caller {
    let mut caller = Caller::on("centralino.toml", "0874111222");
    assert_eq!(caller.send(IvrInput::Started), ["schedule? centralino"]);
    assert_eq!(
        caller.send(IvrInput::CalendarStatus(Status::Open)),
        [WELCOME]
    );
    caller
}

/// A caller whose transfer to office 3001 failed (busy or no answer).
fn office_unavailable() -> Caller {
    let mut caller = open_caller();
    caller.done();
    caller.done();
    assert_eq!(caller.keys("3001"), ["transfer office 3001"]);
    assert_eq!(caller.send(IvrInput::TransferFailed), [UNAVAILABLE]);
    caller.done();
    caller
}

#[test]
fn ivr_8_silent_caller_reaches_the_switchboard_queue() {
    let mut caller = open_caller();
    assert_eq!(caller.done(), [HOLD]);
    assert_eq!(caller.done(), Vec::<String>::new());
    assert_eq!(
        caller.silence(),
        ["mark", "enqueue centralino 0", "finished"]
    );
    assert_eq!(
        caller.path(),
        ["orario", "benvenuto", "interno", "operatore"]
    );
}

#[test]
fn tel_4_extension_keyed_during_the_welcome_goes_to_the_office() {
    let mut caller = open_caller();
    assert_eq!(caller.keys("3"), ["stop"]);
    assert_eq!(caller.keys("00"), Vec::<String>::new());
    assert_eq!(caller.stopped(), Vec::<String>::new());
    assert_eq!(caller.keys("1"), ["transfer office 3001"]);
    assert_eq!(caller.send(IvrInput::HandedOff), ["finished"]);
    assert_eq!(caller.run.variables()["interno"], "3001");
    assert_eq!(caller.path(), ["orario", "benvenuto", "interno", "ufficio"]);
}

#[test]
fn tel_4_whole_extension_typed_ahead_is_used_without_waiting() {
    let mut caller = open_caller();
    assert_eq!(caller.keys("3120"), ["stop"]);
    assert_eq!(caller.stopped(), ["transfer office 3120"]);
}

#[test]
fn tel_4_extension_keyed_after_the_prompts() {
    let mut caller = open_caller();
    caller.done();
    caller.done();
    let first = caller.run.poll_timeout();
    caller.now += std::time::Duration::from_secs(3);
    assert_eq!(caller.keys("3"), Vec::<String>::new());
    // Each key restarts the 5 s inter-digit timer.
    assert!(caller.run.poll_timeout() > first);
    assert_eq!(caller.keys("456"), ["transfer office 3456"]);
}

#[test]
fn tel_4_extension_not_starting_with_3_is_refused_then_retried() {
    let mut caller = open_caller();
    caller.done();
    caller.done();
    assert_eq!(caller.keys("4001"), [INVALID]);
    assert_eq!(caller.done(), [HOLD]);
    caller.done();
    assert_eq!(caller.keys("3002"), ["transfer office 3002"]);
}

#[test]
fn tel_4_short_extension_ended_with_hash_is_invalid() {
    let mut caller = open_caller();
    caller.done();
    caller.done();
    assert_eq!(caller.keys("30#"), [INVALID]);
    assert!(!caller.run.variables().contains_key("interno"));
}

#[test]
fn tel_4_partial_extension_then_silence_is_invalid() {
    let mut caller = open_caller();
    caller.done();
    caller.done();
    assert_eq!(caller.keys("30"), Vec::<String>::new());
    assert_eq!(caller.silence(), [INVALID]);
    assert_eq!(caller.done(), [HOLD]);
}

#[test]
fn ivr_8_three_wrong_extensions_reach_the_switchboard_queue() {
    let mut caller = open_caller();
    caller.done();
    caller.done();
    for _ in 0..2 {
        assert_eq!(caller.keys("5555"), [INVALID]);
        caller.done();
        caller.done();
    }
    assert_eq!(
        caller.keys("5555"),
        ["mark", "enqueue centralino 0", "finished"]
    );
}

#[test]
fn tel_4_vm_1_busy_office_then_key_1_leaves_a_message() {
    let mut caller = office_unavailable();
    assert_eq!(caller.keys("1"), ["voicemail centralino"]);
    assert_eq!(caller.send(IvrInput::HandedOff), ["finished"]);
    assert_eq!(
        caller.path(),
        [
            "orario",
            "benvenuto",
            "interno",
            "ufficio",
            "non_disponibile",
            "segreteria"
        ]
    );
}

#[test]
fn tel_4_busy_office_then_key_2_asks_for_a_return_call() {
    let mut caller = office_unavailable();
    assert_eq!(
        caller.keys("2"),
        ["callback 0874111222 about 3001", "play it/arrivederci"]
    );
    assert_eq!(caller.done(), ["hangup", "finished"]);
}

#[test]
fn tel_4_busy_office_and_silence_reaches_the_switchboard_queue() {
    let mut caller = office_unavailable();
    assert_eq!(
        caller.silence(),
        ["mark", "enqueue centralino 0", "finished"]
    );
}

#[test]
fn tel_4_busy_office_and_wrong_keys_reach_the_switchboard_queue() {
    let mut caller = office_unavailable();
    for _ in 0..2 {
        assert_eq!(caller.keys("5"), [INVALID]);
        assert_eq!(caller.done(), [UNAVAILABLE]);
        caller.done();
    }
    assert_eq!(
        caller.keys("5"),
        ["mark", "enqueue centralino 0", "finished"]
    );
}

#[test]
fn vm_1_busy_office_and_full_mailbox_tell_the_caller() {
    let mut caller = office_unavailable();
    caller.keys("1");
    assert_eq!(
        caller.send(IvrInput::VoicemailFailed),
        ["play it/errore_tecnico"]
    );
    assert_eq!(caller.done(), ["hangup", "finished"]);
}

#[test]
fn ivr_6_vm_1_out_of_hours_closed_message_then_voicemail() {
    for status in [closed(), holiday("Santi Pietro e Paolo")] {
        let mut caller = Caller::on("centralino.toml", "0874111222");
        caller.send(IvrInput::Started);
        assert_eq!(caller.send(IvrInput::CalendarStatus(status)), [CLOSED]);
        assert_eq!(caller.done(), ["voicemail centralino"]);
        assert_eq!(caller.send(IvrInput::HandedOff), ["finished"]);
        assert_eq!(caller.path(), ["orario", "chiuso", "segreteria"]);
    }
}

#[test]
fn vm_1_out_of_hours_mailbox_failure_tells_the_caller() {
    let mut caller = Caller::on("centralino.toml", "0874111222");
    caller.send(IvrInput::Started);
    caller.send(IvrInput::CalendarStatus(closed()));
    caller.done();
    assert_eq!(
        caller.send(IvrInput::VoicemailFailed),
        ["play it/errore_tecnico"]
    );
    assert_eq!(caller.done(), ["hangup", "finished"]);
}

#[test]
fn tel_4_inputs_that_do_not_fit_the_state_are_ignored() {
    let mut caller = open_caller();
    for input in [
        IvrInput::TransferFailed,
        IvrInput::VoicemailFailed,
        IvrInput::HandedOff,
        IvrInput::Started,
        IvrInput::CalendarStatus(Status::Open),
        IvrInput::Timeout,
        IvrInput::Digit('x'),
    ] {
        assert_eq!(caller.send(input), Vec::<String>::new());
    }
    assert_eq!(caller.done(), [HOLD]);
}
