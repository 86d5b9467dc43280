//! The call task's side of the services' media actions (IVR-2): records the caller into
//! a scratch WAV file, plays it back, saves it into the prompt store. Blocking file work
//! (decoding, the store) runs on tokio's blocking pool.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use call_control::Call;
use call_control::io::{CallInput, Side};
use media_relay::prompts::store::PromptStore;
use media_relay::prompts::{Prompt, decode_file};
use media_relay::recording::{RecordingHandle, RecordingMode, RecordingSpec};
use media_relay::{PlayOptions, RelaySession};
use tracing::{info, warn};

use super::{ServiceAction, ServiceDriver, ServiceResult};
use crate::{CallKey, Shared};

/// The media a service owns during a call: the running take and its scratch file.
#[derive(Debug, Default)]
pub(crate) struct ServiceMedia {
    recording: Option<RecordingHandle>,
    file: Option<PathBuf>,
    takes: u32,
}

impl ServiceMedia {
    /// Carries out every pending action of `service` and returns the inputs its
    /// reactions give for the call.
    pub(crate) async fn run(
        &mut self,
        service: &mut ServiceDriver,
        key: CallKey,
        session: &RelaySession,
        shared: &Shared,
        call: &Call,
    ) -> Vec<CallInput> {
        let mut inputs = Vec::new();
        while let Some(action) = service.poll_action() {
            if let Some(result) = self.execute(action, key, session, shared, call).await {
                inputs.extend(service.on_result(result, crate::now()));
            }
        }
        inputs
    }

    async fn execute(
        &mut self,
        action: ServiceAction,
        key: CallKey,
        session: &RelaySession,
        shared: &Shared,
        call: &Call,
    ) -> Option<ServiceResult> {
        match action {
            ServiceAction::StartRecording => {
                self.discard();
                self.takes = self.takes.saturating_add(1);
                let name = format!("centralino-take-{}-{}-{}.wav", std::process::id(), key.0, self.takes);
                let path = std::env::temp_dir().join(name);
                let spec = RecordingSpec {
                    path: path.clone(),
                    mode: RecordingMode::Voicemail { side: media_relay::Side::A },
                    // The service stops the take at 60 s; this is the safety net.
                    max_duration: Some(Duration::from_secs(75)),
                };
                match session.record(spec) {
                    Ok(handle) => {
                        self.recording = Some(handle);
                        self.file = Some(path);
                    }
                    Err(e) => warn!(error = %e, "prompt take not started"),
                }
                None
            }
            ServiceAction::StopRecording => {
                let ok = match self.recording.take() {
                    Some(handle) => match handle.stop().await {
                        Ok(s) => {
                            info!(ms = s.duration.as_millis() as u64, "prompt take recorded");
                            s.samples_written > 0
                        }
                        Err(e) => {
                            warn!(error = %e, "prompt take failed");
                            false
                        }
                    },
                    None => false,
                };
                Some(ServiceResult::Recorded { ok })
            }
            ServiceAction::PlayRecording => {
                let played = match self.file.clone() {
                    Some(path) => play_file(path, session, call).await,
                    None => false,
                };
                (!played).then_some(ServiceResult::PlaybackFailed)
            }
            ServiceAction::SavePrompt => {
                let saved = match self.file.clone() {
                    Some(path) => save(path, shared, key).await,
                    None => None,
                };
                Some(ServiceResult::Saved(saved))
            }
        }
    }

    /// Removes the scratch file (a new take replaces it; the call's end drops it).
    fn discard(&mut self) {
        self.recording = None;
        if let Some(path) = self.file.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for ServiceMedia {
    fn drop(&mut self) {
        self.discard();
    }
}

/// Decodes the take and plays it to the caller; false if that failed.
async fn play_file(path: PathBuf, session: &RelaySession, call: &Call) -> bool {
    let Some(codec) = call.codec(Side::A) else {
        return false;
    };
    let pcm = match tokio::task::spawn_blocking(move || decode_file(&path)).await {
        Ok(Ok(pcm)) => pcm,
        Ok(Err(e)) => {
            warn!(error = %e, "prompt take not decoded");
            return false;
        }
        Err(_) => return false,
    };
    let prompt = Arc::new(Prompt::from_pcm("it", "registrazione", pcm));
    let options = PlayOptions { barge_in: true, codec: crate::call_task::prompt_codec(codec) };
    session.play(media_relay::Side::A, vec![prompt], options).is_ok()
}

/// Saves the take as `it/registrazione_<HHMMSS>` (UTC) and announces it on the CTI bus.
async fn save(path: PathBuf, shared: &Shared, key: CallKey) -> Option<String> {
    let name = format!("registrazione_{}", crate::recording::utc_hhmmss(SystemTime::now()));
    let store = PromptStore::new(shared.cfg.prompts_dir.clone());
    let stored = name.clone();
    match tokio::task::spawn_blocking(move || store.add("it", &stored, &path)).await {
        Ok(Ok(info)) => {
            let prompt = format!("it/{name}");
            info!(prompt = %prompt, path = %info.path.display(), "prompt recorded by phone");
            shared.cti.emit(Some(key.0), &cti_bus::schema::PromptSaved { prompt: prompt.clone() });
            Some(prompt)
        }
        Ok(Err(e)) => {
            warn!(error = %e, "recorded prompt not saved");
            None
        }
        Err(_) => None,
    }
}
