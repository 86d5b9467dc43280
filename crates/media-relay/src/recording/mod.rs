//! Call and voicemail recording (CRM-4, VM-1; "Media engine" item 5): the relay task copies
//! the G.711 RTP it receives from a side (before any rewriting) into a bounded queue, and a
//! writer task per recording decodes it onto an 8 kHz timeline (see `timeline.rs`) and
//! writes a PCM16 WAV file incrementally.
//!
//! Choices, written down because an auditor depends on them:
//! - The timeline starts when [`crate::RelaySession::record`] is called and is true to wall
//!   time: lost packets, hold and one-sided talk are silence in that side's channel; a side
//!   is placed by RTP timestamp from its first packet's arrival, so the channels of a call
//!   recording stay aligned. Trailing silence after the last audio is not written.
//! - Pause writes silence for the paused span rather than cutting it out, so the file keeps
//!   its length and the auditor hears a gap where sensitive data (card numbers) was spoken.
//! - The relay never waits for the writer: when the queue is full the packet is dropped and
//!   counted ([`RecordingSummary::dropped_packets`]). Packets arriving after their place was
//!   written (beyond the 120 ms reorder window) are counted as late.
//! - The file is flushed every [`FLUSH_PERIOD`] with a valid header (hound's `flush`), so a
//!   crash loses at most the last flush period plus the reorder window (under a second).
//! - The recording ends, and the file is finalized, on [`RecordingHandle::stop`], when the
//!   handle is dropped, when the session is dropped, or at `max_duration`.

mod timeline;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rtp_media::rtp::RtpHeader;
use tokio::sync::{mpsc, watch};

use crate::Side;
use crate::recording::timeline::{PT_PCMA, PT_PCMU, PacketInfo, Timeline};

/// What to record and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSpec {
    /// The WAV file to create (an existing file is replaced).
    pub path: PathBuf,
    /// Which audio goes into which channel.
    pub mode: RecordingMode,
    /// The recording stops by itself after this much timeline.
    pub max_duration: Option<Duration>,
}

/// The layout of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingMode {
    /// Mono 8 kHz 16-bit PCM of what `side` sends (a voicemail message, VM-1).
    Voicemail { side: Side },
    /// Stereo 8 kHz 16-bit PCM: the caller (side A) left, the agent (side B) right,
    /// time-aligned (CRM-4).
    Call,
}

/// How a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingEnd {
    /// [`RecordingHandle::stop`] was called.
    Stopped,
    /// The handle was dropped without stopping.
    HandleDropped,
    /// The relay session was dropped (the call ended).
    SessionEnded,
    /// `max_duration` was reached.
    MaxDuration,
}

/// The outcome of a finished recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSummary {
    /// The finalized WAV file.
    pub path: PathBuf,
    /// The length of the file's audio.
    pub duration: Duration,
    /// Sample frames written (one sample per channel each).
    pub samples_written: u64,
    /// Packets dropped because the writer was behind (full queue).
    pub dropped_packets: u64,
    /// Packets that arrived after their place on the timeline was written.
    pub late_packets: u64,
    /// Why the recording ended.
    pub end: RecordingEnd,
}

/// Why a recording could not be made or controlled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RecordingError {
    /// The WAV file could not be created or written.
    #[error("recording file error: {0}")]
    File(Arc<std::io::Error>),
    /// The writer has not yet taken the previous pause/resume commands.
    #[error("recording command queue full")]
    CommandQueueFull,
    /// The recording has already ended (stopped, session gone or `max_duration`).
    #[error("recording already ended")]
    Ended,
    /// The writer task ended without a summary (runtime shut down).
    #[error("recording writer ended without a summary")]
    WriterGone,
}

/// Controls one recording. Dropping it stops and finalizes the recording.
#[derive(Debug)]
pub struct RecordingHandle {
    path: PathBuf,
    control: mpsc::Sender<WriterCommand>,
    outcome: watch::Receiver<Option<Outcome>>,
}

impl RecordingHandle {
    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Pauses the recording now: silence is written until [`RecordingHandle::resume`]
    /// (the timeline keeps its length).
    pub fn pause(&self) -> Result<(), RecordingError> {
        self.command(WriterCommand::Pause(tokio::time::Instant::now().into_std()))
    }

    /// Resumes a paused recording now.
    pub fn resume(&self) -> Result<(), RecordingError> {
        self.command(WriterCommand::Resume(
            tokio::time::Instant::now().into_std(),
        ))
    }

    /// Whether the recording has ended (and its file is finalized).
    pub fn is_finished(&self) -> bool {
        self.outcome.borrow().is_some()
    }

    /// Stops the recording, waits until the file is finalized and returns its summary. A
    /// recording that already ended returns the summary of that end.
    pub async fn stop(mut self) -> Result<RecordingSummary, RecordingError> {
        // A closed queue means the writer has already ended; its outcome is waiting.
        let _ = self.control.send(WriterCommand::Stop).await;
        self.ended().await
    }

    /// Waits, without stopping it, until the recording ends by itself (session dropped,
    /// `max_duration`) and its file is finalized; returns its summary. Cancel-safe, so a
    /// call task can select on it.
    pub async fn ended(&mut self) -> Result<RecordingSummary, RecordingError> {
        match self.outcome.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or(Err(RecordingError::WriterGone)),
            Err(_) => Err(RecordingError::WriterGone),
        }
    }

    fn command(&self, command: WriterCommand) -> Result<(), RecordingError> {
        self.control.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => RecordingError::CommandQueueFull,
            mpsc::error::TrySendError::Closed(_) => RecordingError::Ended,
        })
    }
}

/// How often the writer commits audio and updates the WAV header.
pub const FLUSH_PERIOD: Duration = Duration::from_millis(500);

/// The relay task's side of one recording.
#[derive(Debug)]
pub(crate) struct RecordTap {
    sides: [bool; 2],
    packets: mpsc::Sender<TapPacket>,
    dropped: Arc<AtomicU64>,
}

/// The recordings a relay task feeds.
#[derive(Debug, Default)]
pub(crate) struct Recorders {
    taps: Vec<RecordTap>,
}

impl Recorders {
    /// Starts feeding a recording.
    pub(crate) fn add(&mut self, tap: RecordTap) {
        self.taps.push(tap);
    }

    /// Copies a G.711 packet received from `side` to the recordings of that side. Never
    /// waits: a full queue drops the packet and counts it; ended recordings are removed.
    pub(crate) fn offer(&mut self, side: Side, header: &RtpHeader, packet: &[u8], now: Instant) {
        if self.taps.is_empty() {
            return;
        }
        let payload_type = header.payload_type();
        if payload_type != PT_PCMA && payload_type != PT_PCMU {
            return;
        }
        let payload = packet.get(header.payload_range()).unwrap_or_default();
        let info = PacketInfo {
            payload_type,
            sequence: header.sequence(),
            timestamp: header.timestamp(),
            ssrc: header.ssrc(),
        };
        self.taps
            .retain(|tap| !tap.sides[side.index()] || tap.offer(side, info, payload, now));
    }
}

/// Most payload bytes carried by one queued packet (60 ms of G.711); longer payloads are
/// split into several entries.
const CHUNK: usize = 480;
/// Packets queued between the relay and a writer (about 5 s of both sides at 20 ms).
const PACKET_QUEUE: usize = 512;
/// Pause/resume/stop commands queued for a writer.
const CONTROL_QUEUE: usize = 8;

/// A payload copied out of the relay's receive buffer; fixed-size so the hot path does not
/// allocate.
#[derive(Debug)]
pub(crate) struct TapPacket {
    side: Side,
    info: PacketInfo,
    len: usize,
    payload: [u8; CHUNK],
    arrival: Instant,
}

#[derive(Debug)]
enum WriterCommand {
    Pause(Instant),
    Resume(Instant),
    Stop,
}

type Outcome = Result<RecordingSummary, RecordingError>;

impl RecordTap {
    /// Queues the packet; returns false if the recording has ended.
    fn offer(&self, side: Side, info: PacketInfo, payload: &[u8], now: Instant) -> bool {
        for (k, chunk) in payload.chunks(CHUNK).enumerate() {
            let mut entry = TapPacket {
                side,
                info,
                len: chunk.len(),
                payload: [0; CHUNK],
                arrival: now,
            };
            let offset = u32::try_from(k.saturating_mul(CHUNK)).unwrap_or(u32::MAX);
            entry.info.timestamp = info.timestamp.wrapping_add(offset);
            if let Some(dst) = entry.payload.get_mut(..chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            match self.packets.try_send(entry) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
        }
        true
    }
}

/// Creates the file, spawns the writer task, and returns the tap for the relay task and the
/// handle for the caller. The timeline starts now.
pub(crate) fn start(spec: RecordingSpec) -> Result<(RecordTap, RecordingHandle), RecordingError> {
    start_with_queue(spec, PACKET_QUEUE)
}

fn start_with_queue(
    spec: RecordingSpec,
    queue: usize,
) -> Result<(RecordTap, RecordingHandle), RecordingError> {
    let origin = tokio::time::Instant::now();
    let (channels, side_channel, sides) = match spec.mode {
        RecordingMode::Voicemail { side: Side::A } => (1, [Some(0), None], [true, false]),
        RecordingMode::Voicemail { side: Side::B } => (1, [None, Some(0)], [false, true]),
        RecordingMode::Call => (2, [Some(0), Some(1)], [true, true]),
    };
    let wav = writer::create(&spec.path, channels)?;
    let timeline = Timeline::new(
        origin.into_std(),
        usize::from(channels),
        side_channel,
        spec.max_duration,
    );
    let (packets_tx, packets_rx) = mpsc::channel(queue.max(1));
    let (control_tx, control_rx) = mpsc::channel(CONTROL_QUEUE);
    let (outcome_tx, outcome_rx) = watch::channel(None);
    let dropped = Arc::new(AtomicU64::new(0));
    let deadline = spec.max_duration.and_then(|d| origin.checked_add(d));
    let job = writer::Writer {
        wav: Some(wav),
        timeline,
        packets: packets_rx,
        control: control_rx,
        dropped: Arc::clone(&dropped),
        deadline,
        path: spec.path.clone(),
        outcome: outcome_tx,
    };
    tokio::spawn(job.run());
    Ok((
        RecordTap {
            sides,
            packets: packets_tx,
            dropped,
        },
        RecordingHandle {
            path: spec.path,
            control: control_tx,
            outcome: outcome_rx,
        },
    ))
}

fn file_error(e: hound::Error) -> RecordingError {
    let io = match e {
        hound::Error::IoError(io) => io,
        other => std::io::Error::other(other),
    };
    RecordingError::File(Arc::new(io))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("centralino-{}-{name}.wav", std::process::id()))
    }

    fn pcma_packet(seq: u16, ts: u32) -> Vec<u8> {
        let mut p = vec![0x80, PT_PCMA];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&0x1234u32.to_be_bytes());
        p.extend_from_slice(&[0xd5 ^ 0x70; 160]);
        p
    }

    /// CRM-4: a writer that falls behind makes the relay drop and count, never wait.
    #[tokio::test]
    async fn crm4_writer_lag_drops_and_counts() {
        let path = temp_path("lag");
        let spec = RecordingSpec {
            path: path.clone(),
            mode: RecordingMode::Voicemail { side: Side::A },
            max_duration: None,
        };
        let (tap, handle) = start_with_queue(spec, 2).unwrap();
        let mut recorders = Recorders::default();
        recorders.add(tap);
        let now = tokio::time::Instant::now().into_std();
        // The writer task cannot run while this test does not yield: the queue of two
        // fills and the other eight packets are dropped.
        for i in 0..10u16 {
            let packet = pcma_packet(i, 160 * u32::from(i));
            let header = RtpHeader::parse(&packet).unwrap();
            recorders.offer(Side::A, &header, &packet, now);
        }
        // Packets of the side not recorded are not queued at all.
        let packet = pcma_packet(99, 0);
        let header = RtpHeader::parse(&packet).unwrap();
        recorders.offer(Side::B, &header, &packet, now);
        assert_eq!(recorders.taps[0].dropped.load(Ordering::Relaxed), 8);
        drop(recorders);
        let summary = handle.stop().await.unwrap();
        assert_eq!(summary.dropped_packets, 8);
        // Two packets of 160 frames, after the few frames between `start` and `now`.
        assert!(
            (320..=328).contains(&summary.samples_written),
            "{summary:?}"
        );
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(u64::from(reader.duration()), summary.samples_written);
        let _ = std::fs::remove_file(&path);
    }

    /// A long payload is split into queue entries whose timestamps follow each other.
    #[tokio::test]
    async fn vm1_long_payload_is_split_contiguously() {
        let path = temp_path("split");
        let spec = RecordingSpec {
            path: path.clone(),
            mode: RecordingMode::Voicemail { side: Side::A },
            max_duration: None,
        };
        let (tap, handle) = start(spec).unwrap();
        let mut recorders = Recorders::default();
        recorders.add(tap);
        let mut packet = pcma_packet(1, 0);
        packet.extend_from_slice(&[0xd5 ^ 0x70; 640]);
        let header = RtpHeader::parse(&packet).unwrap();
        recorders.offer(
            Side::A,
            &header,
            &packet,
            tokio::time::Instant::now().into_std(),
        );
        drop(recorders);
        let summary = handle.stop().await.unwrap();
        assert!(
            (800..=808).contains(&summary.samples_written),
            "{summary:?}"
        );
        let mut reader = hound::WavReader::open(&path).unwrap();
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len() as u64, summary.samples_written);
        // The leading frames before the packet are silence, the 800 frames are contiguous.
        let first = samples.iter().position(|&s| s != 0).unwrap();
        assert!(samples[first..].iter().all(|&s| s != 0));
        assert_eq!(samples.len() - first, 800);
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn vm1_unwritable_path_is_an_error() {
        let spec = RecordingSpec {
            path: PathBuf::from("/nonexistent-dir/x/y.wav"),
            mode: RecordingMode::Call,
            max_duration: None,
        };
        assert!(matches!(start(spec), Err(RecordingError::File(_))));
    }
}
