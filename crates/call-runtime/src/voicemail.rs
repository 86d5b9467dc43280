//! Voicemail of a closed service: the caller's message is recorded (mono WAV) under
//! `<voicemail_dir>/<box>/<date>/`, then filed as an off-line work item: the call's ticket with the
//! recording attached (size and SHA-256) and a take-in-charge deadline four working hours
//! later, announced by `voicemail.created` [VM-1, VM-2, CRM-3, SLA-6].

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use cti_bus::schema;
use media_relay::RelaySession;
use media_relay::recording::{RecordingHandle, RecordingMode, RecordingSpec};
use sha2::{Digest, Sha256};
use sql_store::{NewAttachment, NewTicket, UnixMillis};
use tracing::{info, warn};

use crate::{CallKey, Shared};

/// A message being recorded.
#[derive(Debug)]
pub(crate) struct Take {
    handle: RecordingHandle,
    path: PathBuf,
    started: Instant,
}

/// What the ticket and the event say about the call.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub(crate) channel: &'static str,
    pub(crate) from: Option<String>,
    pub(crate) to: String,
    pub(crate) queue: Option<String>,
    pub(crate) waited_seconds: u64,
}

/// Starts recording the caller (after the beep).
pub(crate) fn start(root: &std::path::Path, key: CallKey, box_name: &str, session: &RelaySession) -> Option<Take> {
    let date = cc_model::wall_clock::UtcDateTime::from_system_time(SystemTime::now()).compact();
    let day = date.get(..8).unwrap_or("undated");
    let path = root.join(box_name).join(day).join(format!("vm-{date}-{}.wav", key.0));
    if let Some(dir) = path.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        warn!(error = %e, dir = %dir.display(), "voicemail folder not created");
        return None;
    }
    let spec = RecordingSpec {
        path: path.clone(),
        mode: RecordingMode::Voicemail { side: media_relay::Side::A },
        // The queue call stops at two minutes; this is the safety net.
        max_duration: Some(Duration::from_secs(150)),
    };
    match session.record(spec) {
        Ok(handle) => Some(Take { handle, path, started: crate::now() }),
        Err(e) => {
            warn!(error = %e, "voicemail not started");
            None
        }
    }
}

/// Stops the take and files it: ticket with the attachment, `voicemail.created` and
/// `ticket.created`. An empty take (the caller hung up at the beep) is discarded.
pub(crate) async fn file(take: Take, shared: &Shared, key: CallKey, facts: &Facts, register: Option<&mut crate::register::CallRegister>) {
    let Take { handle, path, started } = take;
    let seconds = crate::now().saturating_duration_since(started).as_secs();
    let recorded = match handle.stop().await {
        Ok(s) => s.samples_written > 0,
        Err(e) => {
            warn!(error = %e, "voicemail recording failed");
            false
        }
    };
    if !recorded {
        info!("empty voicemail discarded");
        let _ = std::fs::remove_file(&path);
        return;
    }
    let file = path.clone();
    let digest = tokio::task::spawn_blocking(move || std::fs::read(&file).map(|bytes| (bytes.len(), hex(&Sha256::digest(&bytes))))).await;
    let Ok(Ok((size, sha256))) = digest else {
        warn!(path = %path.display(), "voicemail file unreadable");
        return;
    };
    info!(seconds, bytes = size, "voicemail recorded");
    let now = SystemTime::now();
    let due = shared.schedules.add_working_time(facts.channel, now, 4 * 3600);
    let ticket = NewTicket {
        channel: facts.channel.to_owned(),
        caller: facts.from.clone(),
        agent: None,
        level: 1,
        offline: true,
        due_at: due.map(UnixMillis::from_system_time),
        description: Some(format!("Messaggio in segreteria ({seconds} s)")),
    };
    let name = path.file_name().map_or_else(|| "voicemail.wav".to_owned(), |n| n.to_string_lossy().into_owned());
    let attachment = NewAttachment {
        kind: "voicemail".into(),
        name,
        path: path.display().to_string(),
        mime: "audio/wav".into(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        sha256,
    };
    let Some(reply) = register.and_then(|r| r.file_voicemail(ticket, attachment, now)) else {
        warn!("voicemail recorded but no store: no ticket");
        return;
    };
    let (cti, call, facts) = (shared.cti.clone(), key.0, facts.clone());
    tokio::spawn(async move {
        let Ok(id) = reply.await else { return };
        let id = u64::try_from(id).unwrap_or_default();
        cti.emit(
            Some(call),
            &schema::VoicemailCreated {
                voicemail: id,
                channel: facts.channel.to_owned(),
                from: facts.from.clone(),
                to: facts.to.clone(),
                queue: facts.queue.clone(),
                seconds,
                ticket: Some(id),
                waited_seconds: facts.waited_seconds,
            },
        );
        cti.emit(
            Some(call),
            &schema::TicketCreated {
                ticket: id,
                channel: facts.channel.to_owned(),
                state: "open".to_owned(),
                agent: None,
                queue: facts.queue,
                contact: None,
                waited_seconds: Some(facts.waited_seconds),
            },
        );
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
