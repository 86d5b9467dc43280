//! Call recording of bridged calls (CRM-4; issue "Media engine" item 5): the policy
//! (`[recording]` in the config file), the file-name template, and the per-call recorder
//! the call task drives: optional consent prompt to the caller on answer, then a stereo
//! recording (caller left, agent right) until the call ends, with pause/resume.
//!
//! File-name template placeholders (always UTC, so names sort and never jump at DST):
//! `{date}` = `YYYY-MM-DD`, `{time}` = `HHMMSS` (when the recording starts), `{call}` =
//! the engine's call number. The caller's number never appears in a file name (privacy):
//! there is no placeholder for it. The template is a relative path under `dir`, may hold
//! folders (`{date}/…`), must end in `.wav`, must contain `{call}` (so two calls in the
//! same second never share a file) and must not climb out with `..`.

use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use call_control::Call;
use call_control::io::{CallEvent, RecordingControl, Side};
use media_relay::prompts::PromptLibrary;
use media_relay::recording::{RecordingHandle, RecordingMode, RecordingSpec};
use media_relay::{PlayOptions, RelaySession};
use tracing::{debug, info, warn};

/// Which calls are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordingPolicy {
    /// No call is recorded (the demo default).
    #[default]
    Off,
    /// Every bridged call is recorded.
    All,
}

/// The `[recording]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingConfig {
    pub policy: RecordingPolicy,
    /// The folder recordings go to (relative to the working directory).
    pub dir: PathBuf,
    /// The file-name template under `dir` (see the module documentation).
    pub file: String,
    /// A prompt (`it/consenso_registrazione`) played to the caller when the call is
    /// bridged, before the recording starts; `None` = no announcement.
    pub consent_prompt: Option<String>,
    /// A recording stops by itself after this long (a safety cap for stuck calls).
    pub max_duration: Duration,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig {
            policy: RecordingPolicy::Off,
            dir: PathBuf::from(Self::DEFAULT_DIR),
            file: Self::DEFAULT_FILE.to_owned(),
            consent_prompt: None,
            max_duration: Duration::from_secs(8 * 3600),
        }
    }
}

/// Why a file-name template is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}} (known: {{date}}, {{time}}, {{call}})")]
    UnknownPlaceholder(String),
    #[error("unclosed {{ in the template")]
    Unclosed,
    #[error("the template must contain {{call}} so two calls never share a file")]
    NoCallNumber,
    #[error("the template must end in .wav")]
    NotWav,
    #[error("the template must be a relative path without ..")]
    NotRelative,
}

impl RecordingConfig {
    /// The demo's recording folder.
    pub const DEFAULT_DIR: &'static str = "data/recordings";
    /// The default file-name template.
    pub const DEFAULT_FILE: &'static str = "{date}/{call}-{time}.wav";

    /// Checks a file-name template (the config loader reports the error with its line).
    pub fn check_template(template: &str) -> Result<(), TemplateError> {
        let sample = render(template, 1, UNIX_EPOCH)?;
        if !template.contains("{call}") {
            return Err(TemplateError::NoCallNumber);
        }
        if !template.ends_with(".wav") {
            return Err(TemplateError::NotWav);
        }
        let relative = Path::new(&sample).components().all(|c| matches!(c, Component::Normal(_)));
        if !relative {
            return Err(TemplateError::NotRelative);
        }
        Ok(())
    }

    /// The file for call `call` recorded from `at` (wall clock).
    pub fn path_for(&self, call: u64, at: SystemTime) -> Result<PathBuf, TemplateError> {
        Ok(self.dir.join(render(&self.file, call, at)?))
    }
}

/// Renders a template: `{date}`, `{time}` (UTC) and `{call}`.
pub fn render(template: &str, call: u64, at: SystemTime) -> Result<String, TemplateError> {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, mo, d) = cc_model::wall_clock::civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let rem = secs % 86_400;
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let close = after.find('}').ok_or(TemplateError::Unclosed)?;
        let name = after.get(..close).unwrap_or_default();
        match name {
            "date" => out.push_str(&format!("{y:04}-{mo:02}-{d:02}")),
            "time" => out.push_str(&format!("{:02}{:02}{:02}", rem / 3600, rem / 60 % 60, rem % 60)),
            "call" => out.push_str(&call.to_string()),
            other => return Err(TemplateError::UnknownPlaceholder(other.to_owned())),
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// `HHMMSS` of `at`, UTC.
pub(crate) fn utc_hhmmss(at: SystemTime) -> String {
    render("{time}", 0, at).unwrap_or_default()
}

/// One call's recorder, driven by the call task with the call's events.
#[derive(Debug)]
pub(crate) struct CallRecorder {
    cfg: Option<RecordingConfig>,
    call: u64,
    state: State,
    path: Option<PathBuf>,
}

#[derive(Debug)]
enum State {
    Idle,
    /// The consent prompt plays; the recording starts when it ends.
    Consent,
    Recording(RecordingHandle),
    Done,
}

impl CallRecorder {
    /// A recorder for call number `call`; `bridged` is false for calls the engine
    /// answers itself (services are never call-recorded).
    pub(crate) fn new(cfg: &RecordingConfig, bridged: bool, call: u64) -> Self {
        let on = bridged && cfg.policy == RecordingPolicy::All;
        CallRecorder { cfg: on.then(|| cfg.clone()), call, state: State::Idle, path: None }
    }

    /// The recording's file, once it started (for the `call.ended` CTI event).
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reacts to a call event: the answer starts the consent prompt or the recording,
    /// the end of the consent prompt starts the recording, the end of the call stops it.
    pub(crate) fn on_event(&mut self, ev: &CallEvent, session: &RelaySession, call: &Call, prompts: &PromptLibrary) {
        let Some(cfg) = &self.cfg else {
            return;
        };
        match (ev, &self.state) {
            (CallEvent::Answered, State::Idle) => match &cfg.consent_prompt {
                Some(name) => self.state = play_consent(name, session, call, prompts),
                None => self.start(session),
            },
            (CallEvent::PlaybackDone { .. }, State::Consent) => self.start(session),
            (CallEvent::Ended { .. }, _) => {
                if matches!(self.state, State::Consent) {
                    self.state = State::Done;
                }
            }
            _ => {}
        }
    }

    /// Pauses or resumes the recording (the API's hook for sensitive data) [CRM-4].
    pub(crate) fn control(&mut self, control: RecordingControl) {
        let State::Recording(handle) = &self.state else {
            debug!(?control, "no recording to control");
            return;
        };
        let result = match control {
            RecordingControl::Pause => handle.pause(),
            RecordingControl::Resume => handle.resume(),
        };
        match result {
            Ok(()) => info!(?control, "recording control"),
            Err(e) => warn!(?control, error = %e, "recording control failed"),
        }
    }

    /// Stops the recording, if one runs, and waits until its file is finalized.
    pub(crate) async fn finish(&mut self) {
        if let State::Recording(handle) = std::mem::replace(&mut self.state, State::Done) {
            match handle.stop().await {
                Ok(s) => info!(
                    seconds = s.duration.as_secs(),
                    dropped = s.dropped_packets,
                    late = s.late_packets,
                    "call recording finalized"
                ),
                Err(e) => warn!(error = %e, "call recording not finalized"),
            }
        }
    }

    fn start(&mut self, session: &RelaySession) {
        self.state = State::Done;
        let Some(cfg) = &self.cfg else {
            return;
        };
        let path = match cfg.path_for(self.call, SystemTime::now()) {
            Ok(p) => p,
            Err(e) => return warn!(error = %e, "recording file name"),
        };
        if let Some(parent) = path.parent()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            return warn!(dir = %parent.display(), error = %e, "recording folder not created");
        }
        let spec = RecordingSpec { path: path.clone(), mode: RecordingMode::Call, max_duration: Some(cfg.max_duration) };
        match session.record(spec) {
            Ok(handle) => {
                info!(path = %path.display(), "call recording started");
                self.path = Some(path);
                self.state = State::Recording(handle);
            }
            Err(e) => warn!(path = %path.display(), error = %e, "call recording not started"),
        }
    }
}

/// Plays the consent prompt to the caller. When it cannot be played the call is not
/// recorded: recording without the announcement is worse than not recording.
fn play_consent(name: &str, session: &RelaySession, call: &Call, prompts: &PromptLibrary) -> State {
    let prompt = match prompts.prompt_path(name) {
        Ok(p) => p,
        Err(e) => {
            warn!(prompt = name, error = %e, "consent prompt missing: call not recorded");
            return State::Done;
        }
    };
    let Some(codec) = call.codec(Side::A) else {
        warn!("no codec towards the caller: call not recorded");
        return State::Done;
    };
    let options = PlayOptions { barge_in: false, codec: crate::call_task::prompt_codec(codec) };
    match session.play(media_relay::Side::A, vec![prompt], options) {
        Ok(()) => State::Consent,
        Err(e) => {
            warn!(error = %e, "consent prompt not played: call not recorded");
            State::Done
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn crm_4_the_default_template_names_date_call_and_time_in_utc() {
        // 2026-11-24T23:46:54Z.
        let t = at(1_795_564_014);
        assert_eq!(render(RecordingConfig::DEFAULT_FILE, 42, t).unwrap(), "2026-11-24/42-234654.wav");
        let cfg = RecordingConfig::default();
        assert_eq!(cfg.path_for(7, at(0)).unwrap(), PathBuf::from("data/recordings/1970-01-01/7-000000.wav"));
        assert_eq!(utc_hhmmss(at(3600 + 62)), "010102");
    }

    #[test]
    fn dates_are_right_across_leap_years() {
        // 2024-02-29 and 2000-03-01 in rendered names.
        assert!(render("{date}/{call}.wav", 1, at(19_782 * 86_400)).unwrap().starts_with("2024-02-29/"));
        assert!(render("{date}/{call}.wav", 1, at(11_017 * 86_400)).unwrap().starts_with("2000-03-01/"));
    }

    #[test]
    fn bad_templates_are_refused_with_their_reason() {
        assert_eq!(RecordingConfig::check_template("{date}/{call}-{time}.wav"), Ok(()));
        assert_eq!(
            RecordingConfig::check_template("{caller}-{call}.wav"),
            Err(TemplateError::UnknownPlaceholder("caller".into())),
            "no placeholder exposes the caller's number"
        );
        assert_eq!(RecordingConfig::check_template("{time}.wav"), Err(TemplateError::NoCallNumber));
        assert_eq!(RecordingConfig::check_template("{call}.mp3"), Err(TemplateError::NotWav));
        assert_eq!(RecordingConfig::check_template("../{call}.wav"), Err(TemplateError::NotRelative));
        assert_eq!(RecordingConfig::check_template("/tmp/{call}.wav"), Err(TemplateError::NotRelative));
        assert_eq!(RecordingConfig::check_template("{call.wav"), Err(TemplateError::Unclosed));
    }
}
