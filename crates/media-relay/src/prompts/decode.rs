//! Audio file decoding for the prompt library: WAV, FLAC, Ogg Vorbis and MP3 through
//! `symphonia` 0.6, mixed to mono and resampled to 8 kHz with `rubato`'s band-limited sinc
//! resampler (requirements IVR-4, IVR-5).

use std::fs::File;
use std::path::Path;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// The sample rate prompts are stored at (G.711, RFC 3551 §4.5.14).
pub const PROMPT_RATE: u32 = 8000;

/// File extensions the library decodes.
pub const SUPPORTED_EXTENSIONS: [&str; 5] = ["wav", "flac", "ogg", "oga", "mp3"];

/// Why one audio file could not be turned into a prompt.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// The extension is not one of [`SUPPORTED_EXTENSIONS`].
    #[error("unsupported file type {0:?} (expected wav, flac, ogg or mp3)")]
    UnsupportedExtension(String),
    /// No format reader recognised the content.
    #[error("unrecognised or corrupt container: {0}")]
    Container(String),
    /// The container holds no decodable audio track.
    #[error("no audio track")]
    NoAudioTrack,
    /// The audio codec is not supported or its data is corrupt.
    #[error("cannot decode audio: {0}")]
    Codec(String),
    /// The file decoded to no samples.
    #[error("no audio samples")]
    Empty,
    /// The stream announced an unusable sample rate.
    #[error("invalid sample rate {0}")]
    BadSampleRate(u32),
    /// The resampler rejected the conversion.
    #[error("cannot resample: {0}")]
    Resample(String),
}

/// Decodes `path` to 8 kHz mono 16-bit PCM.
pub fn decode_file(path: &Path) -> Result<Vec<i16>, DecodeError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
        return Err(DecodeError::UnsupportedExtension(ext));
    }
    let file = File::open(path)?;
    let (mono, rate) = decode_mono(file, &ext)?;
    let resampled = resample_to_8k(&mono, rate)?;
    Ok(resampled.iter().map(|s| to_i16(*s)).collect())
}

/// Resamples mono `samples` at `rate` Hz to 8000 Hz (a copy when already at 8000 Hz). The
/// output has `ceil(len * 8000 / rate)` samples, aligned with the input (the filter delay is
/// removed).
pub fn resample_to_8k(samples: &[f32], rate: u32) -> Result<Vec<f32>, DecodeError> {
    if rate == 0 {
        return Err(DecodeError::BadSampleRate(rate));
    }
    if rate == PROMPT_RATE || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let ratio = f64::from(PROMPT_RATE) / f64::from(rate);
    let params = SincInterpolationParameters::new(128, WindowFunction::BlackmanHarris2)
        .oversampling_factor(128)
        .interpolation(SincInterpolationType::Linear);
    let mut resampler =
        Async::<f32>::new_sinc(ratio, 1.0, &params, RESAMPLE_CHUNK, 1, FixedAsync::Input)
            .map_err(|e| DecodeError::Resample(e.to_string()))?;
    let input = InterleavedSlice::new(samples, 1, samples.len())
        .map_err(|e| DecodeError::Resample(e.to_string()))?;
    let capacity = resampler.process_all_needed_output_len(samples.len());
    let mut out = vec![0.0f32; capacity];
    let mut output = InterleavedSlice::new_mut(&mut out, 1, capacity)
        .map_err(|e| DecodeError::Resample(e.to_string()))?;
    let (_, produced) = resampler
        .process_all_into_buffer(&input, &mut output, samples.len(), None)
        .map_err(|e| DecodeError::Resample(e.to_string()))?;
    out.truncate(produced);
    Ok(out)
}

/// Input frames per resampler call.
const RESAMPLE_CHUNK: usize = 1024;

/// Decodes every packet of the default audio track, averaging the channels to mono.
fn decode_mono(file: File, ext: &str) -> Result<(Vec<f32>, u32), DecodeError> {
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| DecodeError::Container(e.to_string()))?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or(DecodeError::NoAudioTrack)?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or(DecodeError::NoAudioTrack)?;
    let mut rate = params.sample_rate;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| DecodeError::Codec(e.to_string()))?;
    let mut mono = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut last_error = None;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) | Err(SymphoniaError::ResetRequired) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) => return Err(DecodeError::Container(e.to_string())),
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                let spec = buf.spec();
                rate = Some(spec.rate());
                let channels = spec.channels().count().max(1);
                buf.copy_to_vec_interleaved(&mut interleaved);
                let scale = 1.0 / channels as f32;
                mono.extend(
                    interleaved
                        .chunks_exact(channels)
                        .map(|frame| frame.iter().sum::<f32>() * scale),
                );
            }
            // A corrupt packet is skipped; the file fails only if nothing decodes.
            Err(SymphoniaError::DecodeError(e)) => last_error = Some(e.to_string()),
            Err(e) => return Err(DecodeError::Codec(e.to_string())),
        }
    }
    if mono.is_empty() {
        return Err(match last_error {
            Some(e) => DecodeError::Codec(e),
            None => DecodeError::Empty,
        });
    }
    let rate = rate.ok_or(DecodeError::BadSampleRate(0))?;
    Ok((mono, rate))
}

fn to_i16(sample: f32) -> i16 {
    // The float-to-int cast saturates; NaN becomes 0.
    (sample * 32767.0).round().clamp(-32768.0, 32767.0) as i16
}
