//! The writer task of one recording (CRM-4, VM-1): drains the relay's packet queue into the
//! timeline, and every flush period hands the committed audio to a blocking thread that
//! appends it to the WAV file and updates the header (hound `flush`), so the file on disk
//! is always a valid WAV. Finalizes the file when the recording ends.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hound::{SampleFormat, WavSpec, WavWriter};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant as TokioInstant, MissedTickBehavior};

use crate::recording::timeline::{SAMPLE_RATE, Segment, Timeline};
use crate::recording::{
    FLUSH_PERIOD, Outcome, RecordingEnd, RecordingError, RecordingSummary, TapPacket,
    WriterCommand, file_error,
};

pub(crate) type Wav = WavWriter<BufWriter<File>>;

/// Creates the WAV file with its header (8 kHz, 16-bit PCM, `channels` channels).
pub(crate) fn create(path: &Path, channels: u16) -> Result<Wav, RecordingError> {
    let spec = WavSpec {
        channels,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    let mut wav = WavWriter::create(path, spec).map_err(file_error)?;
    // The header of an empty file is valid from the start.
    wav.flush().map_err(file_error)?;
    Ok(wav)
}

/// Everything the writer task owns.
pub(crate) struct Writer {
    pub(crate) wav: Option<Wav>,
    pub(crate) timeline: Timeline,
    pub(crate) packets: mpsc::Receiver<TapPacket>,
    pub(crate) control: mpsc::Receiver<WriterCommand>,
    pub(crate) dropped: Arc<AtomicU64>,
    pub(crate) deadline: Option<TokioInstant>,
    pub(crate) path: PathBuf,
    pub(crate) outcome: watch::Sender<Option<Outcome>>,
}

impl Writer {
    /// Runs until the recording ends, then publishes its outcome.
    pub(crate) async fn run(mut self) {
        let outcome = self.record().await;
        if let Ok(summary) = &outcome {
            metrics::counter!("centralino_recording_packets_dropped_total")
                .increment(summary.dropped_packets);
            tracing::debug!(
                frames = summary.samples_written,
                dropped = summary.dropped_packets,
                late = summary.late_packets,
                end = ?summary.end,
                "recording finished"
            );
        } else {
            tracing::warn!("recording failed");
        }
        self.outcome.send_replace(Some(outcome));
    }

    async fn record(&mut self) -> Outcome {
        let mut flush = tokio::time::interval(FLUSH_PERIOD);
        flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let deadline = tokio::time::sleep_until(self.deadline.unwrap_or_else(TokioInstant::now));
        tokio::pin!(deadline);
        let end = loop {
            tokio::select! {
                command = self.control.recv() => match command {
                    Some(WriterCommand::Pause(at)) => self.timeline.pause(at),
                    Some(WriterCommand::Resume(at)) => self.timeline.resume(at),
                    Some(WriterCommand::Stop) => {
                        // Packets the relay queued before the stop still belong in the file.
                        while let Ok(packet) = self.packets.try_recv() {
                            self.push(&packet);
                        }
                        break RecordingEnd::Stopped;
                    }
                    None => break RecordingEnd::HandleDropped,
                },
                packet = self.packets.recv() => match packet {
                    Some(packet) => self.push(&packet),
                    None => break RecordingEnd::SessionEnded,
                },
                _ = flush.tick() => {
                    self.timeline.tick(TokioInstant::now().into_std());
                    self.write(false).await?;
                    if self.timeline.is_full() {
                        break RecordingEnd::MaxDuration;
                    }
                }
                () = &mut deadline, if self.deadline.is_some() => break RecordingEnd::MaxDuration,
            }
        };
        self.timeline.finish(TokioInstant::now().into_std());
        self.write(true).await?;
        let frames = self.timeline.committed();
        Ok(RecordingSummary {
            path: self.path.clone(),
            duration: frames_duration(frames),
            samples_written: frames,
            dropped_packets: self.dropped.load(Ordering::Relaxed),
            late_packets: self.timeline.late_packets(),
            end,
        })
    }

    fn push(&mut self, packet: &TapPacket) {
        let payload = packet.payload.get(..packet.len).unwrap_or_default();
        self.timeline
            .push(packet.side, &packet.info, payload, packet.arrival);
    }

    /// Appends the committed audio on a blocking thread and flushes the header, or
    /// finalizes the file when `last`.
    async fn write(&mut self, last: bool) -> Result<(), RecordingError> {
        let segments = self.timeline.take_output();
        if segments.is_empty() && !last {
            return Ok(());
        }
        let Some(mut wav) = self.wav.take() else {
            return Err(RecordingError::WriterGone);
        };
        let channels = self.timeline.channels();
        let job = tokio::task::spawn_blocking(move || {
            let written = append(&mut wav, &segments, channels);
            if last {
                (None, written.and_then(|()| wav.finalize()))
            } else {
                let flushed = written.and_then(|()| wav.flush());
                (Some(wav), flushed)
            }
        });
        let (wav, result) = job.await.map_err(|_| RecordingError::WriterGone)?;
        self.wav = wav;
        result.map_err(file_error)
    }
}

fn append(wav: &mut Wav, segments: &[Segment], channels: usize) -> Result<(), hound::Error> {
    for segment in segments {
        match segment {
            Segment::Samples(samples) => {
                for s in samples {
                    wav.write_sample(*s)?;
                }
            }
            Segment::Silence(frames) => {
                let total = frames.saturating_mul(channels as u64);
                for _ in 0..total {
                    wav.write_sample(0i16)?;
                }
            }
        }
    }
    Ok(())
}

fn frames_duration(frames: u64) -> Duration {
    let rate = u64::from(SAMPLE_RATE);
    Duration::from_secs(frames / rate)
        + Duration::from_nanos((frames % rate).saturating_mul(1_000_000_000) / rate)
}
