//! Transcript tests of the recording pause/resume path: the call passes the request to
//! the media shell while it is up and drops it once it ended [CRM-4; issue "Media
//! engine" item 5].

mod support;

use call_control::io::{CallInput, MediaCommand, RecordingControl};
use support::*;

#[test]
fn crm_4_pause_and_resume_reach_the_media_shell_of_a_bridged_call() {
    let mut sim = Sim::confirmed();
    sim.at(10.0);
    let outs = sim.input(CallInput::Recording(RecordingControl::Pause));
    assert_eq!(
        outs.media(),
        vec![MediaCommand::Recording(RecordingControl::Pause)]
    );
    assert!(
        outs.sends().is_empty() && outs.events().is_empty(),
        "{outs:#?}"
    );
    sim.at(20.0);
    let outs = sim.input(CallInput::Recording(RecordingControl::Resume));
    assert_eq!(
        outs.media(),
        vec![MediaCommand::Recording(RecordingControl::Resume)]
    );
}

#[test]
fn crm_4_recording_controls_after_the_end_are_dropped() {
    let mut sim = Sim::confirmed();
    sim.at(10.0);
    sim.input(CallInput::Hangup);
    let outs = sim.input(CallInput::Recording(RecordingControl::Pause));
    assert!(outs.media().is_empty(), "{outs:#?}");
}
