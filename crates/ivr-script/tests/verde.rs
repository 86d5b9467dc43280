//! Transcript tests of every path of the shipped green-number script `config/ivr/verde.toml`
//! [IVR-3] [IVR-6] [IVR-8] [VM-1]: simulated caller input → the exact actions.

mod common;

use business_calendar::Status;
use common::{Caller, closed, draining, holiday, night};
use ivr_script::IvrInput;

const WELCOME: &str = "play* it/benvenuto_numero_verde it/premere it/n1 it/oppure it/attendere";
const CLOSED: &str = "play it/chiuso it/orari_numero_verde";

fn open_caller() -> Caller {
    let mut caller = Caller::on("verde.toml", "3331234567");
    assert_eq!(caller.send(IvrInput::Started), ["schedule? verde"]);
    assert_eq!(
        caller.send(IvrInput::CalendarStatus(Status::Open)),
        [WELCOME]
    );
    caller
}

#[test]
fn ivr_8_silent_caller_in_hours_reaches_the_queue() {
    let mut caller = open_caller();
    assert_eq!(caller.done(), Vec::<String>::new());
    assert_eq!(caller.silence(), ["mark", "enqueue verde 0", "finished"]);
    assert_eq!(caller.path(), ["orario", "benvenuto", "operatore"]);
    assert_eq!(caller.run.variables()["schedule"], "open");
    assert!(caller.run.operator_requested());
}

#[test]
fn ivr_3_welcome_is_five_seconds_of_waiting_after_the_prompt() {
    let mut caller = open_caller();
    assert_eq!(caller.run.poll_timeout(), None);
    let start = caller.now;
    caller.done();
    assert_eq!(
        caller.run.poll_timeout(),
        Some(start + std::time::Duration::from_secs(5))
    );
    // A timeout fed early is ignored.
    assert_eq!(caller.send(IvrInput::Timeout), Vec::<String>::new());
}

#[test]
fn ivr_8_key_1_during_the_welcome_barges_in_to_the_queue() {
    let mut caller = open_caller();
    assert_eq!(caller.keys("1"), ["stop"]);
    assert_eq!(caller.stopped(), ["mark", "enqueue verde 0", "finished"]);
}

#[test]
fn ivr_8_key_0_after_the_welcome_reaches_the_queue() {
    let mut caller = open_caller();
    caller.done();
    assert_eq!(caller.keys("0"), ["mark", "enqueue verde 0", "finished"]);
}

#[test]
fn ivr_8_invalid_key_is_told_and_the_menu_repeats() {
    let mut caller = open_caller();
    caller.done();
    assert_eq!(caller.keys("7"), ["play it/scelta_non_valida"]);
    assert_eq!(caller.done(), [WELCOME]);
    caller.done();
    assert_eq!(caller.keys("1"), ["mark", "enqueue verde 0", "finished"]);
    assert_eq!(
        caller.path(),
        ["orario", "benvenuto", "benvenuto", "operatore"]
    );
}

#[test]
fn ivr_8_after_the_retries_invalid_keys_still_reach_the_queue() {
    let mut caller = open_caller();
    caller.done();
    for _ in 0..2 {
        assert_eq!(caller.keys("9"), ["play it/scelta_non_valida"]);
        assert_eq!(caller.done(), [WELCOME]);
        caller.done();
    }
    assert_eq!(caller.keys("9"), ["mark", "enqueue verde 0", "finished"]);
}

#[test]
fn ivr_8_invalid_then_silence_reaches_the_queue() {
    let mut caller = open_caller();
    caller.done();
    caller.keys("*");
    caller.done();
    caller.done();
    assert_eq!(caller.silence(), ["mark", "enqueue verde 0", "finished"]);
}

#[test]
fn ivr_6_vm_1_out_of_hours_says_the_hours_then_records_a_message() {
    let mut caller = Caller::on("verde.toml", "3331234567");
    caller.send(IvrInput::Started);
    assert_eq!(caller.send(IvrInput::CalendarStatus(closed())), [CLOSED]);
    // The closed message cannot be skipped.
    assert_eq!(caller.keys("1"), Vec::<String>::new());
    assert_eq!(caller.done(), ["voicemail verde"]);
    assert_eq!(caller.send(IvrInput::HandedOff), ["finished"]);
    assert_eq!(caller.path(), ["orario", "chiuso", "segreteria"]);
    assert!(!caller.run.operator_requested());
}

#[test]
fn ivr_6_draining_after_closing_takes_no_new_callers() {
    let mut caller = Caller::on("verde.toml", "3331234567");
    caller.send(IvrInput::Started);
    assert_eq!(caller.send(IvrInput::CalendarStatus(draining())), [CLOSED]);
    assert_eq!(caller.done(), ["voicemail verde"]);
    assert_eq!(caller.run.variables()["schedule"], "draining");
}

#[test]
fn ivr_6_holiday_and_night_mode_are_closed() {
    for (status, name) in [(holiday("Natale"), "Natale"), (night(), "")] {
        let mut caller = Caller::on("verde.toml", "3331234567");
        caller.send(IvrInput::Started);
        assert_eq!(caller.send(IvrInput::CalendarStatus(status)), [CLOSED]);
        assert_eq!(caller.done(), ["voicemail verde"]);
        assert_eq!(caller.run.variables()["holiday"], name);
    }
}

#[test]
fn vm_1_mailbox_that_cannot_record_tells_the_caller_and_hangs_up() {
    let mut caller = Caller::on("verde.toml", "3331234567");
    caller.send(IvrInput::Started);
    caller.send(IvrInput::CalendarStatus(closed()));
    caller.done();
    assert_eq!(
        caller.send(IvrInput::VoicemailFailed),
        ["play it/errore_tecnico"]
    );
    assert_eq!(caller.done(), ["hangup", "finished"]);
    assert_eq!(
        caller.path(),
        ["orario", "chiuso", "segreteria", "errore", "fine"]
    );
}

#[test]
fn ivr_9_caller_hanging_up_in_the_menu_ends_the_run_with_its_path() {
    let mut caller = open_caller();
    assert_eq!(caller.send(IvrInput::CallerHungUp), ["finished"]);
    assert!(caller.run.is_finished());
    assert_eq!(caller.path(), ["orario", "benvenuto"]);
    assert_eq!(caller.done(), Vec::<String>::new());
}

#[test]
fn ivr_1_reload_leaves_a_running_call_on_its_version() {
    let caller = open_caller();
    let reloaded = common::shipped("verde.toml");
    assert!(reloaded.is_ok());
    assert_eq!(caller.run.script().name(), "verde");
    assert_eq!(caller.run.script().start(), "orario");
}
