//! The "say" module: turns values (numbers, queue positions, expected waits, durations,
//! digits, opening hours) into sequences of prompt names to play one after the other
//! [IVR-4, IVR-5, IVR-6, VM-1]. Sans-IO and pure: it names prompts, it never touches audio.
//!
//! A prompt is named by a [`PromptRef`]: a [`Language`] and a [`Prompt`]. Its
//! [`PromptRef::path`] is `"<language>/<name>"` (`"it/n21"`, `"it/sei_il_numero"`), the
//! file `prompts/<path>.wav` (or `.flac`, `.ogg`, `.mp3` for a recording) of the default
//! set that `prompts/generate.sh` produces. Every name any function here can return for
//! numbers 0..=1000 and waits up to 99 minutes exists in that set (checked by
//! `tests/prompt_files.rs`).
//!
//! Numbers are whole-word prompts (`Prompt::Number(21)` is `n21`, "ventuno") composed the
//! Italian way: 0..=100 are whole words; above, hundreds (`n200` "duecento") are followed
//! by the rest (`n200 n21`, "duecento ventuno"), except that a hundred before "otto" and
//! "ottanta…" elides its final "o" and so has its own whole word (`n108` "centotto",
//! `n180` "centottanta", `n283` "duecentottantatré"); thousands are `n1000` "mille" or
//! the count followed by `mila`; then `un_milione`/`milioni`, `un_miliardo`/`miliardi`.
//! English numbers are `n0`…`n19`, the tens `n20`…`n90`, and `hundred`, `thousand`,
//! `million`, `billion` (American style, without "and").
//!
//! ```
//! use prompt_phrases::{Language, PromptRef, queue_position, say_number};
//!
//! let paths = |prompts: Vec<PromptRef>| prompts.iter().map(PromptRef::path).collect::<Vec<_>>();
//! assert_eq!(paths(say_number(Language::It, 180)), ["it/n180"]);
//! assert_eq!(paths(say_number(Language::It, 101)), ["it/n100", "it/n1"]);
//! assert_eq!(
//!     paths(queue_position(Language::It, 3)),
//!     ["it/sei_il_numero", "it/n3", "it/in_coda"]
//! );
//! ```

mod english;
mod italian;
mod phrase;

use std::fmt;
use std::str::FromStr;

pub use phrase::Phrase;

/// A prompt language: the folder under `prompts/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Italian, `prompts/it/`: the default for Centralino's callers.
    It,
    /// English, `prompts/en/`.
    En,
}

impl Language {
    /// Every language with a default prompt set.
    pub const ALL: [Language; 2] = [Language::It, Language::En];

    /// The folder name and configuration code: `"it"` or `"en"`.
    pub fn code(self) -> &'static str {
        match self {
            Language::It => "it",
            Language::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = PhraseError;

    /// Parses a configuration code (`"it"`, `"en"`, case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::ALL
            .into_iter()
            .find(|language| language.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| PhraseError::UnknownLanguage(s.to_owned()))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One prompt of a language's set, independent of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// A sentence or word with a fixed key (`benvenuto`, `minuti`).
    Phrase(Phrase),
    /// The whole-word prompt for this number, named `n<value>` (`n21`). Only the values
    /// this crate composes with exist in the default set (see the crate documentation).
    Number(u32),
}

impl Prompt {
    /// The file stem: the phrase key or `n<value>`.
    pub fn name(&self) -> String {
        match self {
            Prompt::Phrase(phrase) => phrase.key().to_owned(),
            Prompt::Number(value) => format!("n{value}"),
        }
    }
}

/// A prompt in a language: what the engine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PromptRef {
    /// The folder.
    pub language: Language,
    /// The prompt in that folder.
    pub prompt: Prompt,
}

impl PromptRef {
    /// Creates a reference to `prompt` in `language`.
    pub fn new(language: Language, prompt: Prompt) -> Self {
        PromptRef { language, prompt }
    }

    /// The file stem inside the language folder (`n21`, `benvenuto`).
    pub fn name(&self) -> String {
        self.prompt.name()
    }

    /// The path below `prompts/` without extension: `it/n21`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.language.code(), self.prompt.name())
    }
}

impl fmt::Display for PromptRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.language.code(), self.prompt.name())
    }
}

/// Errors of the say module: all are misuse by the caller (bad configuration or script).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    /// The language code is not one of `it`, `en`.
    #[error("unknown prompt language {0:?} (expected \"it\" or \"en\")")]
    UnknownLanguage(String),
    /// `say_digits` was given a character other than 0-9, `*` or `#`.
    #[error("cannot say {0:?}: only digits, '*' and '#' have prompts")]
    UnsupportedDigit(char),
    /// An opening hour past 24.
    #[error("hour {0} is out of range 0..=24")]
    HourOutOfRange(u8),
}

/// Says a number, e.g. 21 → `it/n21` ("ventuno"), 180 → `it/n180` ("centottanta"),
/// 101 → `it/n100 it/n1` ("cento uno"), 2024 → `it/n2 it/mila it/n24` [IVR-4].
/// Every `u32` can be said.
pub fn say_number(language: Language, n: u32) -> Vec<PromptRef> {
    wrap(language, number_prompts(language, n))
}

/// Announces a queue position [IVR-5]: 1 → "sei il primo in coda" (`sei_il_primo`),
/// N → "sei il numero N in coda" (`sei_il_numero`, the number, `in_coda`). Positions
/// are 1-based; 0 (already being connected) is said like 1.
pub fn queue_position(language: Language, position: u32) -> Vec<PromptRef> {
    let prompts = if position <= 1 {
        vec![Prompt::Phrase(Phrase::SeiIlPrimo)]
    } else {
        let mut prompts = vec![Prompt::Phrase(Phrase::SeiIlNumero)];
        prompts.extend(number_prompts(language, position));
        prompts.push(Prompt::Phrase(Phrase::InCoda));
        prompts
    };
    wrap(language, prompts)
}

/// Announces the expected wait [IVR-6]:
/// - under 60 s: "l'attesa prevista è di meno di un minuto"
///   (`attesa_prevista_breve meno_di_un_minuto`);
/// - 60..=119 s: "l'attesa prevista è di circa un minuto" (`attesa_prevista un_minuto`);
/// - from 120 s: "l'attesa prevista è di circa N minuti", N rounded UP to the next
///   whole minute (120 s → 2, 121 s → 3, 179 s → 3, 180 s → 3): an estimate that
///   errs long disappoints less than one that errs short.
pub fn expected_wait(language: Language, duration_secs: u32) -> Vec<PromptRef> {
    let prompts = match duration_secs {
        0..=59 => vec![
            Prompt::Phrase(Phrase::AttesaPrevistaBreve),
            Prompt::Phrase(Phrase::MenoDiUnMinuto),
        ],
        60..=119 => vec![
            Prompt::Phrase(Phrase::AttesaPrevista),
            Prompt::Phrase(Phrase::UnMinuto),
        ],
        _ => {
            let mut prompts = vec![Prompt::Phrase(Phrase::AttesaPrevista)];
            prompts.extend(number_prompts(language, duration_secs.div_ceil(60)));
            prompts.push(Prompt::Phrase(Phrase::Minuti));
            prompts
        }
    };
    wrap(language, prompts)
}

/// Says an exact duration in hours, minutes and seconds, leaving out zero parts:
/// 3725 s → "un'ora, due minuti e cinque secondi" (`un_ora n2 minuti e n5 secondi`),
/// 60 s → "un minuto", 0 s → "zero secondi" [VM-1: message length].
pub fn duration(language: Language, secs: u32) -> Vec<PromptRef> {
    let parts = [
        (secs / 3600, Phrase::UnOra, Phrase::Ore),
        ((secs % 3600) / 60, Phrase::UnMinuto, Phrase::Minuti),
        (secs % 60, Phrase::UnSecondo, Phrase::Secondi),
    ];
    let said: Vec<Vec<Prompt>> = parts
        .into_iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|(count, one, many)| {
            if count == 1 {
                vec![Prompt::Phrase(one)]
            } else {
                let mut part = number_prompts(language, count);
                part.push(Prompt::Phrase(many));
                part
            }
        })
        .collect();
    let mut prompts = Vec::new();
    let count = said.len();
    for (index, part) in said.into_iter().enumerate() {
        if count > 1 && index + 1 == count {
            prompts.push(Prompt::Phrase(Phrase::E));
        }
        prompts.extend(part);
    }
    if prompts.is_empty() {
        prompts = vec![Prompt::Number(0), Prompt::Phrase(Phrase::Secondi)];
    }
    wrap(language, prompts)
}

/// Reads digits one by one (a callback number, a ticket code): `0`-`9` are `n0`…`n9`,
/// `*` is `asterisco` ("star"), `#` is `cancelletto` ("hash"); any other character is
/// an error, so nothing is silently skipped.
pub fn say_digits(language: Language, digits: &str) -> Result<Vec<PromptRef>, PhraseError> {
    let prompts = digits
        .chars()
        .map(|c| match c {
            '*' => Ok(Prompt::Phrase(Phrase::Asterisco)),
            '#' => Ok(Prompt::Phrase(Phrase::Cancelletto)),
            _ => c
                .to_digit(10)
                .map(Prompt::Number)
                .ok_or(PhraseError::UnsupportedDigit(c)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(wrap(language, prompts))
}

/// Says an opening-hours range in whole hours (0..=24; 0 and 24 are midnight):
/// Italian 9, 17 → "dalle nove alle diciassette", 1 → "dall'una", 24 → "alla
/// mezzanotte"; English 9, 17 → "from nine a.m. to five p.m.", 12 → "noon". Prefix it
/// with `Phrase::Orari` and `Phrase::DalLunediAlVenerdi` for a full sentence [IVR-1].
pub fn opening_hours(
    language: Language,
    from_hour: u8,
    to_hour: u8,
) -> Result<Vec<PromptRef>, PhraseError> {
    for hour in [from_hour, to_hour] {
        if hour > 24 {
            return Err(PhraseError::HourOutOfRange(hour));
        }
    }
    let prompts = match language {
        Language::It => italian::opening_hours(from_hour, to_hour),
        Language::En => english::opening_hours(from_hour, to_hour),
    };
    Ok(wrap(language, prompts))
}

/// The number prompts for `n` in `language`, without the language.
fn number_prompts(language: Language, n: u32) -> Vec<Prompt> {
    match language {
        Language::It => italian::number(n),
        Language::En => english::number(n),
    }
}

/// Attaches the language to each prompt.
fn wrap(language: Language, prompts: Vec<Prompt>) -> Vec<PromptRef> {
    prompts
        .into_iter()
        .map(|prompt| PromptRef::new(language, prompt))
        .collect()
}

#[cfg(test)]
mod tests;
