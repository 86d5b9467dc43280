//! File helpers of the prompt store (IVR-2): folder listing, atomic writes, the 8 kHz mono
//! 16-bit WAV writer, WAV durations and the UTC version timestamps of the history.

use std::cmp::Ordering;
use std::fs::{self, File, Metadata};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::StoreError;
use crate::prompts::{PROMPT_RATE, decode_file};

/// The prefix of every temporary file or folder the store creates; such entries are never
/// listed, backed up or restored.
pub(super) const TEMP_PREFIX: &str = ".store-";

/// The entries of `dir` in name order.
pub(super) fn sorted_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = fs::read_dir(dir).map_err(|e| io(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(entry.map_err(|e| io(dir, e))?.path());
    }
    paths.sort();
    Ok(paths)
}

/// The file name of `path` unless it is hidden or not UTF-8.
pub(super) fn visible_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    (!name.starts_with('.')).then(|| name.to_owned())
}

/// Whether `path`'s file name is one of the store's temporaries.
pub(super) fn is_temporary(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(TEMP_PREFIX))
}

pub(super) fn metadata(path: &Path) -> Result<Metadata, StoreError> {
    fs::metadata(path).map_err(|e| io(path, e))
}

pub(super) fn create_dir_all(path: &Path) -> Result<(), StoreError> {
    fs::create_dir_all(path).map_err(|e| io(path, e))
}

pub(super) fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs::rename(from, to).map_err(|e| io(from, e))
}

pub(super) fn copy(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs::copy(from, to).map(|_| ()).map_err(|e| io(from, e))
}

pub(super) fn remove_file(path: &Path) -> Result<(), StoreError> {
    fs::remove_file(path).map_err(|e| io(path, e))
}

/// Removes a temporary file or folder after a failure; a failure to remove is only logged.
pub(super) fn remove_quietly(path: &Path) {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "temporary not removed");
    }
}

/// A hidden temporary name next to `path`, unique to this call.
pub(super) fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    path.with_file_name(format!("{TEMP_PREFIX}{}-{name}", nonce()))
}

/// A unique suffix for temporary names.
pub(super) fn nonce() -> String {
    format!("{}-{:016x}", std::process::id(), fastrand::u64(..))
}

/// Writes `bytes` to a new file `path` and flushes it to disk.
pub(super) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = File::create(path).map_err(|e| io(path, e))?;
    file.write_all(bytes).map_err(|e| io(path, e))?;
    file.sync_all().map_err(|e| io(path, e))
}

/// A canonical 44-byte-header WAV file: PCM, mono, 8000 Hz, 16-bit little-endian.
pub(super) fn wav_bytes(pcm: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(pcm.len().saturating_mul(2)).unwrap_or(u32::MAX - 36) & !1;
    let samples = (data_len / 2) as usize;
    let mut out = Vec::with_capacity(44 + samples * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&PROMPT_RATE.to_le_bytes());
    out.extend_from_slice(&(PROMPT_RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in pcm.iter().take(samples) {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The playing time of an audio file: from the header for PCM WAV, by decoding otherwise.
pub(super) fn audio_duration(path: &Path) -> Option<Duration> {
    let is_wav = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    if is_wav && let Some(d) = fs::read(path).ok().and_then(|b| wav_duration(&b)) {
        return Some(d);
    }
    let pcm = decode_file(path).ok()?;
    Some(Duration::from_micros(
        pcm.len() as u64 * 1_000_000 / u64::from(PROMPT_RATE),
    ))
}

/// The duration of a PCM WAV from its `fmt ` and `data` chunks.
fn wav_duration(bytes: &[u8]) -> Option<Duration> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut pos = 12usize;
    let mut byte_rate = None;
    while let Some(header) = bytes.get(pos..pos.checked_add(8)?) {
        let id = header.get(0..4)?;
        let len = u32::from_le_bytes(header.get(4..8)?.try_into().ok()?);
        let body = pos.checked_add(8)?;
        if id == b"fmt " {
            let rate = bytes.get(body.checked_add(8)?..body.checked_add(12)?)?;
            byte_rate = Some(u32::from_le_bytes(rate.try_into().ok()?));
        } else if id == b"data" {
            let rate = u64::from(byte_rate.filter(|r| *r > 0)?);
            let available = bytes.len().saturating_sub(body) as u64;
            let len = u64::from(len).min(available);
            return Some(Duration::from_micros(len * 1_000_000 / rate));
        }
        let padded = usize::try_from(len)
            .ok()?
            .checked_add(usize::try_from(len & 1).ok()?)?;
        pos = body.checked_add(padded)?;
    }
    None
}

/// `t` as `YYYYMMDDTHHMMSSZ` (UTC).
pub(super) fn format_timestamp(t: SystemTime) -> String {
    cc_model::wall_clock::UtcDateTime::from_system_time(t).compact()
}

/// The time a version identifier names (its `-N` suffix ignored).
pub(super) fn parse_timestamp(id: &str) -> Option<SystemTime> {
    if !is_version_id(id) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> { id.get(range)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    let days = cc_model::wall_clock::days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(hh * 3600 + mm * 60 + ss)?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Whether `id` is `YYYYMMDDTHHMMSSZ` optionally followed by `-N` (N from 2 to 9999).
pub(super) fn is_version_id(id: &str) -> bool {
    let (stamp, suffix) = match id.split_once('-') {
        Some((stamp, n)) => (stamp, Some(n)),
        None => (id, None),
    };
    let b = stamp.as_bytes();
    let stamp_ok = b.len() == 16
        && b.iter().enumerate().all(|(i, c)| match i {
            8 => *c == b'T',
            15 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    let suffix_ok = suffix.is_none_or(|n| {
        (1..=4).contains(&n.len())
            && n.bytes().all(|c| c.is_ascii_digit())
            && !n.starts_with('0')
            && n != "1"
    });
    stamp_ok && suffix_ok
}

/// Orders version identifiers by time, then by suffix (`-2` after the bare stamp, `-10` after
/// `-9`).
pub(super) fn version_order(a: &str, b: &str) -> Ordering {
    let key = |id: &str| -> (String, u32) {
        match id.split_once('-') {
            Some((stamp, n)) => (stamp.to_owned(), n.parse().unwrap_or(u32::MAX)),
            None => (id.to_owned(), 1),
        }
    };
    key(a).cmp(&key(b))
}

/// `<folder>/<stamp>.<ext>`, or the first free `<stamp>-N.<ext>` when taken (by any
/// extension).
pub(super) fn free_version_path(folder: &Path, stamp: &str, ext: &str) -> PathBuf {
    let taken = |id: &str| {
        crate::prompts::SUPPORTED_EXTENSIONS
            .iter()
            .any(|e| folder.join(format!("{id}.{e}")).exists())
    };
    let mut id = stamp.to_owned();
    let mut n = 2u32;
    while taken(&id) && n <= 9999 {
        id = format!("{stamp}-{n}");
        n += 1;
    }
    folder.join(format!("{id}.{ext}"))
}

pub(super) fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}


