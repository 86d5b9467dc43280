//! The `prompt-recorder` service (IVR-2 "record a prompt by phone"; issue "Media engine"
//! item 6): an agent dials it, hears the instructions and a beep, speaks, presses `#`
//! (or stops after 60 s), hears the recording back, then presses 1 to save it or 2 to
//! record again. A saved recording becomes the prompt `it/registrazione_<HHMMSS>` (UTC
//! time of saving) in the prompt store, with the usual version history; the engine
//! confirms with `it/annuncio_salvato` and hangs up. The new prompt is playable after
//! the next library reload; renaming it to replace a standard prompt is done with the
//! prompt-management API (`centralino prompts …`).
//!
//! Sans-IO: time comes in as `now`; recording, playback of the take and saving are
//! [`ServiceAction`]s the call task carries out and answers with [`ServiceResult`]s.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use call_control::io::CallInput;

use super::{ServiceAction, ServiceResult};

/// The prompt-recorder's state machine.
#[derive(Debug)]
pub(crate) struct PromptRecorderService {
    step: Step,
    deadline: Option<Instant>,
    actions: VecDeque<ServiceAction>,
    menu_repeats: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Not answered yet.
    Idle,
    /// The instructions and the beep play.
    Instructions,
    /// The caller speaks.
    Recording,
    /// The recording is being finalized.
    Stopping,
    /// The take plays back.
    Playback,
    /// "1 to save, 2 to record again" plays or waits for a key.
    Menu,
    /// The take is being saved.
    Saving,
    /// The last prompt plays; the call ends when it is over.
    Goodbye,
    /// Hung up.
    Over,
}

impl PromptRecorderService {
    pub(crate) const NAME: &'static str = "prompt-recorder";
    /// "Registrate l'annuncio dopo il segnale acustico…" then the beep.
    pub(crate) const INSTRUCTIONS: [&'static str; 2] = ["it/registra_annuncio", "it/beep"];
    /// "Premete uno per salvare l'annuncio, due per registrarlo di nuovo."
    pub(crate) const MENU: &'static str = "it/conferma_annuncio";
    /// "L'annuncio è stato salvato. Arrivederci."
    pub(crate) const SAVED: &'static str = "it/annuncio_salvato";
    pub(crate) const FAILED: &'static str = "it/errore_tecnico";
    pub(crate) const GOODBYE: &'static str = "it/arrivederci";
    /// The longest take.
    pub(crate) const MAX_RECORDING: Duration = Duration::from_secs(60);
    /// How long the menu waits for a key before it is repeated.
    pub(crate) const MENU_WAIT: Duration = Duration::from_secs(8);
    /// How often the menu is repeated before the call ends without saving.
    pub(crate) const MENU_REPEATS: u8 = 2;
    /// A safety net for every step that waits on the media shell.
    pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(90);

    pub(crate) fn new() -> Self {
        PromptRecorderService { step: Step::Idle, deadline: None, actions: VecDeque::new(), menu_repeats: 0 }
    }

    pub(crate) fn on_answered(&mut self, now: Instant) -> Vec<CallInput> {
        self.instructions(now)
    }

    pub(crate) fn on_dtmf(&mut self, digit: char, now: Instant) -> Vec<CallInput> {
        match (self.step, digit) {
            (Step::Recording, '#') => {
                self.stop_recording(now);
                Vec::new()
            }
            (Step::Playback | Step::Menu, '1') => {
                self.step = Step::Saving;
                self.deadline = Some(now + Self::STEP_TIMEOUT);
                self.actions.push_back(ServiceAction::SavePrompt);
                vec![CallInput::StopPlayback]
            }
            (Step::Playback | Step::Menu, '2') => {
                self.menu_repeats = 0;
                self.instructions(now)
            }
            _ => Vec::new(),
        }
    }

    /// A playback ended. Only a completed playback moves the instructions and the
    /// goodbye on: a `false` there is the end of a playlist this one replaced.
    pub(crate) fn on_playback_done(&mut self, completed: bool, now: Instant) -> Vec<CallInput> {
        match self.step {
            Step::Instructions if completed => {
                self.step = Step::Recording;
                self.deadline = Some(now + Self::MAX_RECORDING);
                self.actions.push_back(ServiceAction::StartRecording);
                Vec::new()
            }
            // The take is over or the caller barged in: offer the menu.
            Step::Playback => self.menu(now),
            Step::Menu if completed => {
                self.deadline = Some(now + Self::MENU_WAIT);
                Vec::new()
            }
            Step::Goodbye if completed => self.hangup(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<CallInput> {
        if self.deadline.is_none_or(|d| now < d) {
            return Vec::new();
        }
        self.deadline = None;
        match self.step {
            Step::Recording => {
                self.stop_recording(now);
                Vec::new()
            }
            Step::Menu if self.menu_repeats < Self::MENU_REPEATS => {
                self.menu_repeats = self.menu_repeats.saturating_add(1);
                self.menu(now)
            }
            Step::Menu => self.goodbye(now, Self::GOODBYE),
            _ => self.hangup(),
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    pub(crate) fn poll_action(&mut self) -> Option<ServiceAction> {
        self.actions.pop_front()
    }

    pub(crate) fn on_result(&mut self, result: ServiceResult, now: Instant) -> Vec<CallInput> {
        match (self.step, result) {
            (Step::Stopping, ServiceResult::Recorded { ok: true }) => {
                self.step = Step::Playback;
                self.deadline = Some(now + Self::MAX_RECORDING + Self::STEP_TIMEOUT);
                self.actions.push_back(ServiceAction::PlayRecording);
                Vec::new()
            }
            (Step::Stopping, ServiceResult::Recorded { ok: false }) => self.goodbye(now, Self::FAILED),
            (Step::Playback, ServiceResult::PlaybackFailed) => self.menu(now),
            (Step::Saving, ServiceResult::Saved(Some(_))) => self.goodbye(now, Self::SAVED),
            (Step::Saving, ServiceResult::Saved(None)) => self.goodbye(now, Self::FAILED),
            _ => Vec::new(),
        }
    }

    fn instructions(&mut self, now: Instant) -> Vec<CallInput> {
        self.step = Step::Instructions;
        self.deadline = Some(now + Self::STEP_TIMEOUT);
        vec![CallInput::Play { prompts: Self::INSTRUCTIONS.iter().map(|&p| p.to_owned()).collect(), barge_in: false }]
    }

    fn stop_recording(&mut self, now: Instant) {
        self.step = Step::Stopping;
        self.deadline = Some(now + Self::STEP_TIMEOUT);
        self.actions.push_back(ServiceAction::StopRecording);
    }

    fn menu(&mut self, now: Instant) -> Vec<CallInput> {
        self.step = Step::Menu;
        self.deadline = Some(now + Self::STEP_TIMEOUT);
        vec![CallInput::Play { prompts: vec![Self::MENU.to_owned()], barge_in: true }]
    }

    fn goodbye(&mut self, now: Instant, prompt: &str) -> Vec<CallInput> {
        self.step = Step::Goodbye;
        self.deadline = Some(now + Self::STEP_TIMEOUT);
        vec![CallInput::Play { prompts: vec![prompt.to_owned()], barge_in: false }]
    }

    fn hangup(&mut self) -> Vec<CallInput> {
        if self.step == Step::Over {
            return Vec::new();
        }
        self.step = Step::Over;
        self.deadline = None;
        vec![CallInput::Hangup]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(prompts: &[&str], barge_in: bool) -> CallInput {
        CallInput::Play { prompts: prompts.iter().map(|&p| p.to_owned()).collect(), barge_in }
    }

    fn secs(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    /// The whole happy path as a transcript: beep, speak, `#`, listen, `1`, saved.
    #[test]
    fn ivr_2_record_listen_and_save_by_phone() {
        let t0 = Instant::now();
        let mut s = PromptRecorderService::new();
        assert_eq!(s.on_answered(t0), vec![play(&["it/registra_annuncio", "it/beep"], false)]);
        assert_eq!(s.poll_action(), None, "nothing is recorded during the instructions");
        assert!(s.on_dtmf('#', secs(t0, 1)).is_empty(), "# before the beep does nothing");
        assert!(s.on_playback_done(true, secs(t0, 5)).is_empty());
        assert_eq!(s.poll_action(), Some(ServiceAction::StartRecording));
        assert_eq!(s.poll_timeout(), Some(secs(t0, 65)), "60 s at most");
        assert!(s.on_dtmf('#', secs(t0, 12)).is_empty());
        assert_eq!(s.poll_action(), Some(ServiceAction::StopRecording));
        assert!(s.on_result(ServiceResult::Recorded { ok: true }, secs(t0, 12)).is_empty());
        assert_eq!(s.poll_action(), Some(ServiceAction::PlayRecording));
        assert_eq!(s.on_playback_done(true, secs(t0, 19)), vec![play(&["it/conferma_annuncio"], true)]);
        assert!(s.on_playback_done(true, secs(t0, 22)).is_empty());
        assert_eq!(s.poll_timeout(), Some(secs(t0, 30)), "the menu waits 8 s");
        assert_eq!(s.on_dtmf('1', secs(t0, 23)), vec![CallInput::StopPlayback]);
        assert_eq!(s.poll_action(), Some(ServiceAction::SavePrompt));
        assert_eq!(
            s.on_result(ServiceResult::Saved(Some("it/registrazione_101010".into())), secs(t0, 23)),
            vec![play(&["it/annuncio_salvato"], false)]
        );
        assert!(s.on_playback_done(false, secs(t0, 23)).is_empty(), "the stopped menu's end is not the goodbye's");
        assert_eq!(s.on_playback_done(true, secs(t0, 26)), vec![CallInput::Hangup]);
        assert_eq!(s.poll_timeout(), None);
        assert!(s.on_playback_done(true, secs(t0, 27)).is_empty(), "hangs up once");
    }

    #[test]
    fn ivr_2_two_records_again_and_60_s_stops_the_take() {
        let t0 = Instant::now();
        let mut s = PromptRecorderService::new();
        s.on_answered(t0);
        s.on_playback_done(true, secs(t0, 5));
        assert_eq!(s.poll_action(), Some(ServiceAction::StartRecording));
        assert!(s.on_timeout(secs(t0, 64)).is_empty());
        assert!(s.on_timeout(secs(t0, 65)).is_empty());
        assert_eq!(s.poll_action(), Some(ServiceAction::StopRecording), "60 s stop the take");
        s.on_result(ServiceResult::Recorded { ok: true }, secs(t0, 65));
        assert_eq!(s.poll_action(), Some(ServiceAction::PlayRecording));
        // A key during the playback barges in: 2 records again.
        assert_eq!(s.on_dtmf('2', secs(t0, 70)), vec![play(&["it/registra_annuncio", "it/beep"], false)]);
        assert!(s.on_playback_done(false, secs(t0, 70)).is_empty(), "the barged-in take's end is ignored");
        assert_eq!(s.poll_action(), None);
        s.on_playback_done(true, secs(t0, 75));
        assert_eq!(s.poll_action(), Some(ServiceAction::StartRecording));
    }

    #[test]
    fn ivr_2_no_key_repeats_the_menu_then_hangs_up_without_saving() {
        let t0 = Instant::now();
        let mut s = PromptRecorderService::new();
        s.on_answered(t0);
        s.on_playback_done(true, secs(t0, 5));
        s.on_dtmf('#', secs(t0, 10));
        s.on_result(ServiceResult::Recorded { ok: true }, secs(t0, 10));
        while s.poll_action().is_some() {}
        let menu = vec![play(&["it/conferma_annuncio"], true)];
        assert_eq!(s.on_playback_done(true, secs(t0, 15)), menu);
        let mut t = 15;
        for _ in 0..PromptRecorderService::MENU_REPEATS {
            s.on_playback_done(true, secs(t0, t + 3));
            t += 3 + 8;
            assert_eq!(s.on_timeout(secs(t0, t)), menu);
        }
        s.on_playback_done(true, secs(t0, t + 3));
        assert_eq!(s.on_timeout(secs(t0, t + 11)), vec![play(&["it/arrivederci"], false)]);
        assert_eq!(s.on_playback_done(true, secs(t0, t + 14)), vec![CallInput::Hangup]);
        assert_eq!(s.poll_action(), None, "nothing saved");
    }

    #[test]
    fn a_failed_take_or_save_says_so_and_hangs_up() {
        let t0 = Instant::now();
        let mut s = PromptRecorderService::new();
        s.on_answered(t0);
        s.on_playback_done(true, secs(t0, 5));
        s.on_dtmf('#', secs(t0, 6));
        assert_eq!(s.on_result(ServiceResult::Recorded { ok: false }, secs(t0, 6)), vec![play(&["it/errore_tecnico"], false)]);
        assert_eq!(s.on_playback_done(true, secs(t0, 9)), vec![CallInput::Hangup]);

        let mut s = PromptRecorderService::new();
        s.on_answered(t0);
        s.on_playback_done(true, secs(t0, 5));
        s.on_dtmf('#', secs(t0, 6));
        s.on_result(ServiceResult::Recorded { ok: true }, secs(t0, 6));
        assert_eq!(s.on_result(ServiceResult::PlaybackFailed, secs(t0, 6)), vec![play(&["it/conferma_annuncio"], true)]);
        s.on_dtmf('1', secs(t0, 7));
        assert_eq!(s.on_result(ServiceResult::Saved(None), secs(t0, 7)), vec![play(&["it/errore_tecnico"], false)]);
        // A stuck goodbye still ends the call.
        assert_eq!(s.on_timeout(secs(t0, 7 + 90)), vec![CallInput::Hangup]);
    }
}
