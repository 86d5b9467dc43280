//! The prompt store: list, add or replace (any supported format, converted to 8 kHz mono
//! 16-bit WAV), delete, version history, and backup to / restore from one tar archive of the
//! prompts folder (requirement IVR-2; issue "Media engine" item 6). A blocking shell used by
//! the CLI and later by the web UI; the engine picks changes up when it next loads the library.
//!
//! Layout under the root: `<lang>/<name>.wav` (and `moh/<name>.wav` for music) are the current
//! prompts; `.history/<lang>/<name>/<version>.<ext>` keeps every replaced or deleted file, where
//! the version is the UTC time it left service (`20261124T230450Z`, with `-2`, `-3`… when two
//! leave in the same second). Nothing is ever destroyed except by a [`RestoreMode::Replace`]
//! restore, which swaps the whole tree for the archive's.

mod archive;
mod files;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{DecodeError, PromptLibrary, SUPPORTED_EXTENSIONS, decode_file};

pub use archive::{RestoreMode, RestoreSummary};

/// The folder (under the root) holding replaced and deleted versions.
pub const HISTORY_FOLDER: &str = ".history";

/// One current prompt (or music-on-hold file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptInfo {
    /// The language folder (`moh` for music on hold).
    pub language: String,
    /// The file name without extension.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// The playing time; `None` when the file cannot be read as audio.
    pub duration: Option<Duration>,
    /// The file size.
    pub bytes: u64,
    /// The file's modification time.
    pub modified: SystemTime,
    /// How many older versions the history keeps.
    pub versions: usize,
}

/// One version kept in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// The version identifier: the UTC time it was replaced or deleted, `YYYYMMDDTHHMMSSZ`
    /// with an optional `-N` suffix. Identifiers sort in time order.
    pub id: String,
    /// When it was replaced or deleted (from the identifier).
    pub archived_at: SystemTime,
    /// The file.
    pub path: PathBuf,
    /// The playing time; `None` when the file cannot be read as audio.
    pub duration: Option<Duration>,
    /// The file size.
    pub bytes: u64,
}

/// Why a store operation failed. Every variant names the file or prompt concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The language is neither two lowercase letters nor `moh`.
    #[error("invalid language {0:?}: expected two lowercase letters (it, en) or moh")]
    InvalidLanguage(String),
    /// The prompt name does not match `[a-z0-9_]{{1,64}}`.
    #[error("invalid prompt name {0:?}: expected 1 to 64 of a-z, 0-9 and _")]
    InvalidName(String),
    /// The version identifier is not one the store makes.
    #[error("invalid version {0:?}: expected YYYYMMDDTHHMMSSZ as shown by history")]
    InvalidVersion(String),
    /// No current file has this name.
    #[error("prompt {language}/{name} not found")]
    NotFound {
        /// The language folder.
        language: String,
        /// The prompt name.
        name: String,
    },
    /// The history has no such version.
    #[error("prompt {language}/{name} has no version {version}")]
    VersionNotFound {
        /// The language folder.
        language: String,
        /// The prompt name.
        name: String,
        /// The requested version.
        version: String,
    },
    /// An audio file could not be decoded.
    #[error("{}: {source}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: DecodeError,
    },
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The prompts folder holds something a backup cannot carry.
    #[error("{}: {reason}", path.display())]
    Unsupported {
        /// The entry.
        path: PathBuf,
        /// Why it cannot be backed up.
        reason: &'static str,
    },
    /// The archive could not be read as tar.
    #[error("{}: not a readable tar archive: {source}", archive.display())]
    ArchiveRead {
        /// The archive.
        archive: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An archive entry is unsafe or not allowed; nothing was restored.
    #[error("{}: entry {entry:?} rejected: {reason}", archive.display())]
    ArchiveEntry {
        /// The archive.
        archive: PathBuf,
        /// The entry's path as stored in the archive.
        entry: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An audio file in the archive does not decode; nothing was restored.
    #[error("{}: entry {entry:?} is not valid audio: {source}", archive.display())]
    ArchiveAudio {
        /// The archive.
        archive: PathBuf,
        /// The entry's path as stored in the archive.
        entry: String,
        /// The cause.
        source: DecodeError,
    },
}

/// The clock giving history timestamps.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The prompts folder and the operations on it. Every method is blocking file I/O.
#[derive(Clone)]
pub struct PromptStore {
    root: PathBuf,
    clock: Clock,
}

impl std::fmt::Debug for PromptStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl PromptStore {
    /// A store rooted at `root`, stamping history versions with the system clock.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self::with_clock(root, Arc::new(SystemTime::now))
    }

    /// A store rooted at `root` whose history timestamps come from `clock` (tests pass a fixed
    /// time).
    pub fn with_clock(root: impl Into<PathBuf>, clock: Clock) -> Self {
        PromptStore {
            root: root.into(),
            clock,
        }
    }

    /// The prompts folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every current prompt and music-on-hold file (files with a supported audio extension in
    /// the visible sub-folders), sorted by language then name.
    pub fn list(&self) -> Result<Vec<PromptInfo>, StoreError> {
        let mut out = Vec::new();
        for folder in files::sorted_dir(&self.root)? {
            let Some(language) = files::visible_name(&folder) else {
                continue;
            };
            if !folder.is_dir() {
                continue;
            }
            for file in files::sorted_dir(&folder)? {
                if files::visible_name(&file).is_none() || !file.is_file() {
                    continue;
                }
                let Some(name) = audio_stem(&file) else {
                    continue;
                };
                let meta = files::metadata(&file)?;
                out.push(PromptInfo {
                    versions: self.versions(&language, &name)?.len(),
                    duration: files::audio_duration(&file),
                    bytes: meta.len(),
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    path: file,
                    language: language.clone(),
                    name,
                });
            }
        }
        Ok(out)
    }

    /// Adds or replaces `<language>/<name>` with the audio in `source` (WAV, FLAC, Ogg Vorbis
    /// or MP3, any rate and channel count), stored as 8 kHz mono 16-bit WAV. The file is
    /// written to a temporary name and renamed into place; a previous file of that name (any
    /// extension) moves into the history first. A source that does not decode changes nothing.
    pub fn add(&self, language: &str, name: &str, source: &Path) -> Result<PromptInfo, StoreError> {
        validate(language, name)?;
        let pcm = decode_file(source).map_err(|e| StoreError::Decode {
            path: source.to_owned(),
            source: e,
        })?;
        let folder = self.root.join(language);
        files::create_dir_all(&folder)?;
        let target = folder.join(format!("{name}.wav"));
        let temp = files::temp_sibling(&target);
        files::write_synced(&temp, &files::wav_bytes(&pcm))?;
        let result = self
            .retire_current(language, name)
            .and_then(|_| files::rename(&temp, &target));
        if let Err(e) = result {
            files::remove_quietly(&temp);
            return Err(e);
        }
        self.info(language, name, &target)
    }

    /// Moves `<language>/<name>` (every extension) into the history. Fails with
    /// [`StoreError::NotFound`] when there is no such prompt.
    pub fn delete(&self, language: &str, name: &str) -> Result<(), StoreError> {
        validate(language, name)?;
        if self.retire_current(language, name)?.is_empty() {
            return Err(StoreError::NotFound {
                language: language.to_owned(),
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    /// The versions of `<language>/<name>` kept in the history, oldest first. A prompt that was
    /// deleted still has its history.
    pub fn history(&self, language: &str, name: &str) -> Result<Vec<VersionInfo>, StoreError> {
        validate(language, name)?;
        self.versions(language, name)?
            .into_iter()
            .map(|(id, path)| {
                let meta = files::metadata(&path)?;
                Ok(VersionInfo {
                    archived_at: files::parse_timestamp(&id).unwrap_or(SystemTime::UNIX_EPOCH),
                    duration: files::audio_duration(&path),
                    bytes: meta.len(),
                    path,
                    id,
                })
            })
            .collect()
    }

    /// Puts version `version` of `<language>/<name>` back in service; the current file (if
    /// any) moves into the history.
    pub fn restore_version(
        &self,
        language: &str,
        name: &str,
        version: &str,
    ) -> Result<PromptInfo, StoreError> {
        validate(language, name)?;
        if !files::is_version_id(version) {
            return Err(StoreError::InvalidVersion(version.to_owned()));
        }
        let (_, old) = self
            .versions(language, name)?
            .into_iter()
            .find(|(id, _)| id == version)
            .ok_or_else(|| StoreError::VersionNotFound {
                language: language.to_owned(),
                name: name.to_owned(),
                version: version.to_owned(),
            })?;
        let ext = old
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("wav")
            .to_owned();
        let folder = self.root.join(language);
        files::create_dir_all(&folder)?;
        let target = folder.join(format!("{name}.{ext}"));
        // Copy the old version out first, so that a failure leaves the history intact.
        let temp = files::temp_sibling(&target);
        files::copy(&old, &temp)?;
        let result = self
            .retire_current(language, name)
            .and_then(|_| files::rename(&temp, &target))
            .and_then(|_| files::remove_file(&old));
        if let Err(e) = result {
            files::remove_quietly(&temp);
            return Err(e);
        }
        self.info(language, name, &target)
    }

    /// Writes the whole prompts tree, history included, to the tar archive `archive`
    /// (written to a temporary name, then renamed). Symbolic links to files are stored as the
    /// files they point to; a linked folder is refused.
    pub fn backup(&self, archive: &Path) -> Result<usize, StoreError> {
        archive::backup(&self.root, archive)
    }

    /// Restores the tree from `archive`. Every entry is checked (relative paths only, no
    /// `..`, regular files and folders only) and every audio file must decode, in a staging
    /// folder, before anything is touched: a bad archive changes nothing. See [`RestoreMode`].
    pub fn restore(&self, archive: &Path, mode: RestoreMode) -> Result<RestoreSummary, StoreError> {
        archive::restore(self, archive, mode)
    }

    /// Moves every current file of `<language>/<name>` into the history; returns the history
    /// paths.
    fn retire_current(&self, language: &str, name: &str) -> Result<Vec<PathBuf>, StoreError> {
        let folder = self.root.join(language);
        let mut moved = Vec::new();
        for ext in SUPPORTED_EXTENSIONS {
            let current = folder.join(format!("{name}.{ext}"));
            if current.is_file() {
                moved.push(self.move_to_history(language, name, &current)?);
            }
        }
        Ok(moved)
    }

    /// Moves `file` into `.history/<language>/<name>/<now>.<ext>`.
    fn move_to_history(
        &self,
        language: &str,
        name: &str,
        file: &Path,
    ) -> Result<PathBuf, StoreError> {
        let folder = self.history_folder(language, name);
        files::create_dir_all(&folder)?;
        let ext = file
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("wav")
            .to_ascii_lowercase();
        let stamp = files::format_timestamp((self.clock)());
        let target = files::free_version_path(&folder, &stamp, &ext);
        files::rename(file, &target)?;
        Ok(target)
    }

    /// The history versions of `<language>/<name>` as (id, path), oldest first.
    fn versions(&self, language: &str, name: &str) -> Result<Vec<(String, PathBuf)>, StoreError> {
        let folder = self.history_folder(language, name);
        if !folder.is_dir() {
            return Ok(Vec::new());
        }
        let mut out: Vec<(String, PathBuf)> = files::sorted_dir(&folder)?
            .into_iter()
            .filter(|p| p.is_file())
            .filter_map(|p| {
                let id = audio_stem(&p)?;
                files::is_version_id(&id).then_some((id, p))
            })
            .collect();
        out.sort_by(|a, b| files::version_order(&a.0, &b.0));
        Ok(out)
    }

    fn history_folder(&self, language: &str, name: &str) -> PathBuf {
        self.root.join(HISTORY_FOLDER).join(language).join(name)
    }

    fn info(&self, language: &str, name: &str, path: &Path) -> Result<PromptInfo, StoreError> {
        let meta = files::metadata(path)?;
        Ok(PromptInfo {
            language: language.to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
            duration: files::audio_duration(path),
            bytes: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            versions: self.versions(language, name)?.len(),
        })
    }
}

/// Checks a language (`[a-z]{2}` or `moh`) and a prompt name (`[a-z0-9_]{1,64}`).
pub fn validate(language: &str, name: &str) -> Result<(), StoreError> {
    let language_ok = language == PromptLibrary::MUSIC_FOLDER
        || (language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase()));
    if !language_ok {
        return Err(StoreError::InvalidLanguage(language.to_owned()));
    }
    let name_ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(StoreError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// `t` in the history's UTC format, `YYYYMMDDTHHMMSSZ` (for listings).
pub fn utc_timestamp(t: SystemTime) -> String {
    files::format_timestamp(t)
}

/// The stem of a file with a supported audio extension.
fn audio_stem(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    Some(path.file_stem()?.to_str()?.to_owned())
}

#[cfg(test)]
mod tests;
