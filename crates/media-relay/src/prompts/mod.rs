//! The prompt library: audio prompts by language (`<dir>/<lang>/<name>.<ext>`) and music on
//! hold (`<dir>/moh/<name>.<ext>`), decoded once at load, stored as 8 kHz PCM and
//! pre-encoded G.711 A-law and µ-law (requirements IVR-4, IVR-5; ITU-T G.711).

mod decode;
pub mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rtp_media::g711;

pub use decode::{DecodeError, PROMPT_RATE, SUPPORTED_EXTENSIONS, decode_file, resample_to_8k};

/// The G.711 variant a prompt is played in (RFC 3551 §4.5.14 static payload types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// µ-law, payload type 0.
    Pcmu,
    /// A-law, payload type 8.
    Pcma,
}

impl AudioCodec {
    /// The static RTP payload type.
    pub fn payload_type(self) -> u8 {
        match self {
            AudioCodec::Pcmu => 0,
            AudioCodec::Pcma => 8,
        }
    }

    /// The code of a zero sample, used to pad the last frame of a prompt.
    pub fn silence(self) -> u8 {
        match self {
            AudioCodec::Pcmu => g711::linear_to_ulaw(0),
            AudioCodec::Pcma => g711::linear_to_alaw(0),
        }
    }
}

/// One decoded prompt: 8 kHz mono PCM and its two G.711 encodings.
#[derive(Debug, Clone)]
pub struct Prompt {
    language: String,
    name: String,
    pcm: Arc<[i16]>,
    alaw: Arc<[u8]>,
    ulaw: Arc<[u8]>,
}

impl Prompt {
    /// Builds a prompt from 8 kHz mono samples, encoding both G.711 laws once.
    pub fn from_pcm(language: &str, name: &str, pcm: Vec<i16>) -> Self {
        let alaw: Arc<[u8]> = pcm.iter().map(|s| g711::linear_to_alaw(*s)).collect();
        let ulaw: Arc<[u8]> = pcm.iter().map(|s| g711::linear_to_ulaw(*s)).collect();
        Prompt {
            language: language.to_owned(),
            name: name.to_owned(),
            pcm: pcm.into(),
            alaw,
            ulaw,
        }
    }

    /// The language folder the prompt came from (`moh` for music).
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The file name without extension.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 8 kHz mono samples.
    pub fn pcm(&self) -> &[i16] {
        &self.pcm
    }

    /// The pre-encoded payload bytes for `codec`, one byte per sample.
    pub fn encoded(&self, codec: AudioCodec) -> &Arc<[u8]> {
        match codec {
            AudioCodec::Pcmu => &self.ulaw,
            AudioCodec::Pcma => &self.alaw,
        }
    }

    /// The playing time.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.pcm.len() as u64 * 1_000_000 / u64::from(PROMPT_RATE))
    }
}

/// A music-on-hold loop: every listener hears the point of the loop that wall time since
/// `epoch` designates, like a radio station.
#[derive(Debug, Clone)]
pub struct MusicLoop {
    prompt: Arc<Prompt>,
    epoch: tokio::time::Instant,
}

impl MusicLoop {
    /// A loop of `prompt` that started at `epoch`.
    pub fn new(prompt: Arc<Prompt>, epoch: tokio::time::Instant) -> Self {
        MusicLoop { prompt, epoch }
    }

    /// The looped audio.
    pub fn prompt(&self) -> &Arc<Prompt> {
        &self.prompt
    }

    /// When the loop started.
    pub fn epoch(&self) -> tokio::time::Instant {
        self.epoch
    }
}

/// A file that did not load, and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct PromptLoadError {
    /// The file (or folder) that failed.
    pub path: PathBuf,
    /// The cause.
    pub reason: LoadFailure,
}

/// Why a file or folder of the library failed to load.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailure {
    /// The folder could not be listed.
    #[error("cannot list folder: {0}")]
    ReadDir(std::io::Error),
    /// The file could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Another file with the same name (and a different extension) was loaded first.
    #[error("duplicate of {0}")]
    Duplicate(PathBuf),
}

/// A lookup that found nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// Neither the requested nor the default language has this prompt.
    #[error("prompt {name:?} not found in {language:?} or the default language")]
    NotFound { language: String, name: String },
    /// No music-on-hold file has this name.
    #[error("music on hold {0:?} not found")]
    MusicNotFound(String),
}

/// All prompts and music loops, decoded at load and shared read-only.
#[derive(Debug, Clone)]
pub struct PromptLibrary {
    default_language: String,
    prompts: HashMap<(String, String), Arc<Prompt>>,
    music: HashMap<String, Arc<MusicLoop>>,
}

impl PromptLibrary {
    /// The language used when a prompt is missing in the requested one.
    pub const DEFAULT_LANGUAGE: &'static str = "it";
    /// The folder holding music-on-hold files.
    pub const MUSIC_FOLDER: &'static str = "moh";

    /// An empty library.
    pub fn new(default_language: &str) -> Self {
        PromptLibrary {
            default_language: default_language.to_owned(),
            prompts: HashMap::new(),
            music: HashMap::new(),
        }
    }

    /// Loads every `<dir>/<lang>/<name>.<ext>` and `<dir>/moh/<name>.<ext>`. Files that fail
    /// are reported with their path and cause; the others still load. Hidden files and files
    /// directly in `dir` are ignored. Blocking: run it off the async workers.
    pub fn load(dir: &Path) -> (PromptLibrary, Vec<PromptLoadError>) {
        let mut library = PromptLibrary::new(Self::DEFAULT_LANGUAGE);
        let mut errors = Vec::new();
        let epoch = tokio::time::Instant::now();
        for folder in sorted_entries(dir, &mut errors) {
            if !folder.is_dir() {
                continue;
            }
            let Some(language) = visible_name(&folder) else {
                continue;
            };
            let mut seen: HashMap<String, PathBuf> = HashMap::new();
            for file in sorted_entries(&folder, &mut errors) {
                if !file.is_file() {
                    continue;
                }
                let Some(name) = visible_name(&file) else {
                    continue;
                };
                let stem = Path::new(&name)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or(&name)
                    .to_owned();
                if let Some(first) = seen.get(&stem) {
                    errors.push(PromptLoadError {
                        path: file.clone(),
                        reason: LoadFailure::Duplicate(first.clone()),
                    });
                    continue;
                }
                match decode_file(&file) {
                    Ok(pcm) => {
                        seen.insert(stem.clone(), file.clone());
                        let prompt = Arc::new(Prompt::from_pcm(&language, &stem, pcm));
                        if language == Self::MUSIC_FOLDER {
                            library
                                .music
                                .insert(stem, Arc::new(MusicLoop::new(prompt, epoch)));
                        } else {
                            library.prompts.insert((language.clone(), stem), prompt);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(path = %file.display(), error = %e, "prompt not loaded");
                        errors.push(PromptLoadError {
                            path: file.clone(),
                            reason: e.into(),
                        });
                    }
                }
            }
        }
        (library, errors)
    }

    /// Sets the fallback language.
    pub fn with_default_language(mut self, language: &str) -> Self {
        language.clone_into(&mut self.default_language);
        self
    }

    /// Adds (or replaces) a prompt.
    pub fn insert(&mut self, prompt: Prompt) {
        let key = (prompt.language.clone(), prompt.name.clone());
        self.prompts.insert(key, Arc::new(prompt));
    }

    /// The prompt `name` in `language`, else in the default language.
    pub fn prompt(&self, language: &str, name: &str) -> Result<Arc<Prompt>, PromptError> {
        [language, self.default_language.as_str()]
            .into_iter()
            .find_map(|lang| {
                self.prompts
                    .get(&(lang.to_owned(), name.to_owned()))
                    .cloned()
            })
            .ok_or_else(|| PromptError::NotFound {
                language: language.to_owned(),
                name: name.to_owned(),
            })
    }

    /// Looks up `"<lang>/<name>"` (or a bare name in the default language) with the same
    /// fallback as [`PromptLibrary::prompt`].
    pub fn prompt_path(&self, path: &str) -> Result<Arc<Prompt>, PromptError> {
        match path.split_once('/') {
            Some((language, name)) => self.prompt(language, name),
            None => self.prompt(&self.default_language, path),
        }
    }

    /// The music-on-hold loop `name`.
    pub fn music(&self, name: &str) -> Result<Arc<MusicLoop>, PromptError> {
        self.music
            .get(name)
            .cloned()
            .ok_or_else(|| PromptError::MusicNotFound(name.to_owned()))
    }

    /// The number of prompts (music excluded).
    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    /// Whether there are no prompts and no music.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty() && self.music.is_empty()
    }

    /// The names of the music loops.
    pub fn music_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.music.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// The entries of `dir` in name order; an unreadable folder is reported and yields nothing.
fn sorted_entries(dir: &Path, errors: &mut Vec<PromptLoadError>) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            paths
        }
        Err(e) => {
            errors.push(PromptLoadError {
                path: dir.to_owned(),
                reason: LoadFailure::ReadDir(e),
            });
            Vec::new()
        }
    }
}

/// The file name of `path` unless it is hidden or not UTF-8.
fn visible_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    (!name.starts_with('.')).then(|| name.to_owned())
}
