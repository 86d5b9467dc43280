//! Built-in services a dial-plan route can name (`to = "service:NAME"`): calls the
//! engine answers itself. Each service is a small sans-IO driver the call task feeds
//! with the call's events and time; it answers with `CallInput`s for the call and, for
//! the prompt recorder, media actions the call task carries out (`service/media.rs`)
//! [IVR-1, IVR-2, IVR-4, IVR-5; DEMO row 9001; issue "Media engine" items 6, 7].

mod media;
mod prompt_recorder;
mod say_position;

use std::time::{Duration, Instant};

use call_control::io::CallInput;

pub(crate) use media::ServiceMedia;
pub(crate) use prompt_recorder::PromptRecorderService;
pub(crate) use say_position::SayPositionService;

/// The service names the dial plan may use (the config loader checks routes against
/// this list).
pub const SERVICES: &[&str] = &[DtmfTestService::NAME, SayPositionService::NAME, PromptRecorderService::NAME];

/// A built-in service, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// `dtmf-test`: answer, play the welcome, report digits, hang up after 30 s.
    DtmfTest,
    /// `say-position-test`: answer, say "sei il numero 3 in coda", hang up (system test
    /// of the phrase player, IVR-5).
    SayPositionTest,
    /// `prompt-recorder`: record a prompt by phone (IVR-2).
    PromptRecorder,
}

impl Service {
    /// The service called `name`, if the runtime has one.
    pub(crate) fn from_name(name: &str) -> Option<Service> {
        [Service::DtmfTest, Service::SayPositionTest, Service::PromptRecorder].into_iter().find(|s| s.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::DtmfTest => DtmfTestService::NAME,
            Service::SayPositionTest => SayPositionService::NAME,
            Service::PromptRecorder => PromptRecorderService::NAME,
        }
    }
}

/// A media action a service asks the call task for, beyond what `Call` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceAction {
    /// Record the caller (mono, voicemail layout) into a scratch file.
    StartRecording,
    /// Stop that recording and finalize the file.
    StopRecording,
    /// Play the scratch file to the caller (barge-in on).
    PlayRecording,
    /// Save the scratch file as a new prompt.
    SavePrompt,
}

/// How a [`ServiceAction`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServiceResult {
    /// The recording was stopped; `ok` is false if it failed or holds no audio.
    Recorded { ok: bool },
    /// The recording could not be played back.
    PlaybackFailed,
    /// The prompt was saved under this `language/name`, or not (`None`).
    Saved(Option<String>),
}

/// A running service's driver.
#[derive(Debug)]
pub(crate) enum ServiceDriver {
    DtmfTest(DtmfTestService),
    SayPosition(SayPositionService),
    PromptRecorder(PromptRecorderService),
}

impl ServiceDriver {
    pub(crate) fn new(service: Service) -> Self {
        match service {
            Service::DtmfTest => ServiceDriver::DtmfTest(DtmfTestService::new(DtmfTestService::HOLD_TIME)),
            Service::SayPositionTest => ServiceDriver::SayPosition(SayPositionService::new(3)),
            Service::PromptRecorder => ServiceDriver::PromptRecorder(PromptRecorderService::new()),
        }
    }

    /// The call was answered.
    pub(crate) fn on_answered(&mut self, now: Instant) -> Vec<CallInput> {
        match self {
            ServiceDriver::DtmfTest(s) => s.on_answered(now),
            ServiceDriver::SayPosition(s) => s.on_answered(now),
            ServiceDriver::PromptRecorder(s) => s.on_answered(now),
        }
    }

    /// The caller pressed a key.
    pub(crate) fn on_dtmf(&mut self, digit: char, now: Instant) -> Vec<CallInput> {
        match self {
            ServiceDriver::DtmfTest(s) => s.on_dtmf(digit),
            ServiceDriver::SayPosition(_) => Vec::new(),
            ServiceDriver::PromptRecorder(s) => s.on_dtmf(digit, now),
        }
    }

    /// A playback to the caller ended.
    pub(crate) fn on_playback_done(&mut self, completed: bool, now: Instant) -> Vec<CallInput> {
        match self {
            ServiceDriver::DtmfTest(_) => Vec::new(),
            ServiceDriver::SayPosition(s) => s.on_playback_done(completed),
            ServiceDriver::PromptRecorder(s) => s.on_playback_done(completed, now),
        }
    }

    /// Time passed.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<CallInput> {
        match self {
            ServiceDriver::DtmfTest(s) => s.on_timeout(now),
            ServiceDriver::SayPosition(s) => s.on_timeout(now),
            ServiceDriver::PromptRecorder(s) => s.on_timeout(now),
        }
    }

    /// When to call `on_timeout`.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self {
            ServiceDriver::DtmfTest(s) => s.poll_timeout(),
            ServiceDriver::SayPosition(s) => s.poll_timeout(),
            ServiceDriver::PromptRecorder(s) => s.poll_timeout(),
        }
    }

    /// The next media action to carry out.
    pub(crate) fn poll_action(&mut self) -> Option<ServiceAction> {
        match self {
            ServiceDriver::PromptRecorder(s) => s.poll_action(),
            ServiceDriver::DtmfTest(_) | ServiceDriver::SayPosition(_) => None,
        }
    }

    /// How a media action went.
    pub(crate) fn on_result(&mut self, result: ServiceResult, now: Instant) -> Vec<CallInput> {
        match self {
            ServiceDriver::PromptRecorder(s) => s.on_result(result, now),
            ServiceDriver::DtmfTest(_) | ServiceDriver::SayPosition(_) => Vec::new(),
        }
    }

    /// How many digits the caller pressed (the DTMF test line's summary).
    pub(crate) fn digits_heard(&self) -> u32 {
        match self {
            ServiceDriver::DtmfTest(s) => s.digits_heard(),
            ServiceDriver::SayPosition(_) | ServiceDriver::PromptRecorder(_) => 0,
        }
    }
}

/// The DTMF test line (DEMO row 9001): plays `it/benvenuto` once answered and hangs up
/// `hold_time` later. The digits it hears are reported by the call task as CTI `dtmf`
/// events like every call's; the service counts them for its end-of-call summary.
#[derive(Debug)]
pub(crate) struct DtmfTestService {
    hold_time: Duration,
    hangup_at: Option<Instant>,
    digits_heard: u32,
}

impl DtmfTestService {
    pub(crate) const NAME: &'static str = "dtmf-test";
    /// What the caller hears.
    pub(crate) const PROMPT: &'static str = "it/benvenuto";
    /// How long the line stays up (DEMO: 30 s).
    pub(crate) const HOLD_TIME: Duration = Duration::from_secs(30);

    pub(crate) fn new(hold_time: Duration) -> Self {
        DtmfTestService { hold_time, hangup_at: None, digits_heard: 0 }
    }

    /// The call was answered: play the welcome and start the hang-up clock.
    pub(crate) fn on_answered(&mut self, now: Instant) -> Vec<CallInput> {
        self.hangup_at = Some(now + self.hold_time);
        vec![CallInput::Play { prompts: vec![Self::PROMPT.to_owned()], barge_in: false }]
    }

    /// A digit was heard: it is counted; the line goes on (the prompt is not barged in).
    pub(crate) fn on_dtmf(&mut self, _digit: char) -> Vec<CallInput> {
        self.digits_heard = self.digits_heard.saturating_add(1);
        Vec::new()
    }

    /// Time passed: hang up once the hold time is over.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<CallInput> {
        match self.hangup_at {
            Some(at) if now >= at => {
                self.hangup_at = None;
                vec![CallInput::Hangup]
            }
            _ => Vec::new(),
        }
    }

    /// When to call `on_timeout`.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.hangup_at
    }

    /// How many digits the caller pressed.
    pub(crate) fn digits_heard(&self) -> u32 {
        self.digits_heard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_9001_plays_the_welcome_and_hangs_up_after_30_s_ivr_1() {
        let t0 = Instant::now();
        let mut s = DtmfTestService::new(DtmfTestService::HOLD_TIME);
        assert_eq!(s.poll_timeout(), None, "no clock before the answer");
        assert_eq!(
            s.on_answered(t0),
            vec![CallInput::Play { prompts: vec!["it/benvenuto".into()], barge_in: false }]
        );
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
        assert!(s.on_dtmf('1').is_empty());
        assert!(s.on_dtmf('#').is_empty());
        assert_eq!(s.digits_heard(), 2);
        assert!(s.on_timeout(t0 + Duration::from_secs(29)).is_empty());
        assert_eq!(s.on_timeout(t0 + Duration::from_secs(30)), vec![CallInput::Hangup]);
        assert_eq!(s.poll_timeout(), None, "hangs up once");
        assert!(s.on_timeout(t0 + Duration::from_secs(31)).is_empty());
    }

    #[test]
    fn services_are_found_by_name() {
        assert_eq!(Service::from_name("dtmf-test"), Some(Service::DtmfTest));
        assert_eq!(Service::from_name("prompt-recorder"), Some(Service::PromptRecorder));
        assert_eq!(Service::from_name("say-position-test"), Some(Service::SayPositionTest));
        assert_eq!(Service::from_name("nope"), None);
        assert!(SERVICES.iter().all(|n| Service::from_name(n).is_some_and(|s| s.name() == *n)));
    }
}
