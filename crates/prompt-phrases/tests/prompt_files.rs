//! Every prompt the say module can name exists in the default set under `prompts/`
//! (numbers and positions 0..=1000, waits and durations up to 99 minutes, digits, all
//! opening hours, every phrase of the language), every generated file is one the module
//! can name, and every WAV is 8 kHz mono 16-bit PCM [IVR-1, IVR-4, IVR-5, IVR-6, VM-1].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use prompt_phrases::{
    Language, Phrase, Prompt, PromptRef, duration, expected_wait, opening_hours, queue_position,
    say_digits, say_number,
};

/// Extensions a prompt file may have (the engine converts on load).
const EXTENSIONS: [&str; 4] = ["wav", "flac", "ogg", "mp3"];

#[test]
fn every_producible_prompt_has_a_file_ivr4_ivr5_ivr6_vm1() -> anyhow::Result<()> {
    let root = prompts_dir();
    let mut missing = Vec::new();
    for language in Language::ALL {
        let stems = file_stems(&root.join(language.code()))?;
        for name in producible(language)? {
            if !stems.contains(&name) {
                missing.push(format!("{}/{name}", language.code()));
            }
        }
    }
    assert!(missing.is_empty(), "missing prompt files: {missing:?}");
    Ok(())
}

#[test]
fn every_prompt_file_is_producible_and_no_name_has_two_files() -> anyhow::Result<()> {
    let root = prompts_dir();
    for language in Language::ALL {
        let dir = root.join(language.code());
        let names = producible(language)?;
        let mut seen = BTreeSet::new();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let stem = stem_of(&path)?;
            assert!(
                names.contains(&stem),
                "{} is not named by any function or phrase",
                path.display()
            );
            assert!(
                seen.insert(stem),
                "{} has a twin with another extension",
                path.display()
            );
        }
    }
    Ok(())
}

#[test]
fn italian_set_is_complete_and_files_are_small_8khz_mono_pcm() -> anyhow::Result<()> {
    let root = prompts_dir();
    let italian = file_stems(&root.join("it"))?;
    assert!(
        italian.len() >= 60,
        "only {} Italian prompts",
        italian.len()
    );
    let mut total = 0u64;
    for folder in ["it", "en", "moh"] {
        for entry in std::fs::read_dir(root.join(folder))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "wav") {
                let bytes = std::fs::read(&path)?;
                assert_eq!(
                    wav_format(&bytes),
                    Some((1, 1, 8000, 16)),
                    "{}",
                    path.display()
                );
                let limit = if folder == "moh" { 500_000 } else { 150_000 };
                assert!(
                    bytes.len() < limit,
                    "{} is {} bytes",
                    path.display(),
                    bytes.len()
                );
                total += u64::try_from(bytes.len())?;
            }
        }
    }
    assert!(total < 8_000_000, "the default set is {total} bytes");
    assert!(root.join("moh/default.wav").is_file());
    Ok(())
}

/// `prompts/` at the workspace root.
fn prompts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts")
}

/// Every file stem the module can name in `language`.
fn producible(language: Language) -> anyhow::Result<BTreeSet<String>> {
    let mut sequences: Vec<Vec<PromptRef>> = Vec::new();
    for n in 0..=1000 {
        sequences.push(say_number(language, n));
        sequences.push(queue_position(language, n));
    }
    for secs in 0..=99 * 60 {
        sequences.push(expected_wait(language, secs));
        sequences.push(duration(language, secs));
    }
    sequences.push(say_digits(language, "0123456789*#")?);
    for from in 0..=24 {
        for to in 0..=24 {
            sequences.push(opening_hours(language, from, to)?);
        }
    }
    let mut names: BTreeSet<String> = sequences
        .into_iter()
        .flatten()
        .inspect(|prompt| assert_eq!(prompt.language, language))
        .map(|prompt| prompt.name())
        .collect();
    for phrase in Phrase::ALL {
        if phrase.languages().contains(&language) {
            names.insert(Prompt::Phrase(*phrase).name());
        }
    }
    Ok(names)
}

/// The stems of the prompt files (any supported extension) in a folder.
fn file_stems(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    let mut stems = BTreeSet::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|e| EXTENSIONS.iter().any(|x| e == *x))
        {
            stems.insert(stem_of(&path)?);
        }
    }
    Ok(stems)
}

/// The file name without extension.
fn stem_of(path: &Path) -> anyhow::Result<String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{} has no UTF-8 stem", path.display()))
}

/// (format tag, channels, sample rate, bits per sample) of a canonical RIFF WAV, read
/// from the `fmt ` chunk wherever it is.
fn wav_format(bytes: &[u8]) -> Option<(u16, u16, u32, u16)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12usize;
    while at.checked_add(8)? <= bytes.len() {
        let id = bytes.get(at..at + 4)?;
        let size = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?);
        let body = at + 8;
        if id == b"fmt " {
            let u16_at = |o: usize| {
                Some(u16::from_le_bytes(
                    bytes.get(body + o..body + o + 2)?.try_into().ok()?,
                ))
            };
            let rate = u32::from_le_bytes(bytes.get(body + 4..body + 8)?.try_into().ok()?);
            return Some((u16_at(0)?, u16_at(2)?, rate, u16_at(14)?));
        }
        at = body
            .checked_add(usize::try_from(size).ok()?)?
            .checked_add(usize::try_from(size % 2).ok()?)?;
    }
    None
}
