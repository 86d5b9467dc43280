//! English number and opening-hour composition [IVR-4, IVR-1]: "twenty one",
//! "three hundred five", "two thousand twenty four" (American style, no "and"),
//! and twelve-hour times ("nine a.m.", "noon", "midnight").

use crate::{Phrase, Prompt};

/// The prompts for `n`.
pub(crate) fn number(n: u32) -> Vec<Prompt> {
    if n == 0 {
        return vec![Prompt::Number(0)];
    }
    let mut prompts = Vec::new();
    let groups = [
        (n / 1_000_000_000, Some(Phrase::Billion)),
        ((n / 1_000_000) % 1000, Some(Phrase::Million)),
        ((n / 1000) % 1000, Some(Phrase::Thousand)),
        (n % 1000, None),
    ];
    for (count, scale) in groups {
        if count == 0 {
            continue;
        }
        below_thousand(&mut prompts, count);
        if let Some(scale) = scale {
            prompts.push(Prompt::Phrase(scale));
        }
    }
    prompts
}

/// "from nine a.m. to five p.m.", with noon and midnight.
pub(crate) fn opening_hours(from_hour: u8, to_hour: u8) -> Vec<Prompt> {
    let mut prompts = vec![Prompt::Phrase(Phrase::Dalle)];
    hour(&mut prompts, from_hour);
    prompts.push(Prompt::Phrase(Phrase::Alle));
    hour(&mut prompts, to_hour);
    prompts
}

/// Appends a twelve-hour time for 0..=24.
fn hour(prompts: &mut Vec<Prompt>, hour: u8) {
    match hour {
        0 | 24 => prompts.push(Prompt::Phrase(Phrase::Midnight)),
        12 => prompts.push(Prompt::Phrase(Phrase::Noon)),
        1..=11 => prompts.extend([Prompt::Number(hour.into()), Prompt::Phrase(Phrase::Am)]),
        _ => prompts.extend([
            Prompt::Number(u32::from(hour).saturating_sub(12)),
            Prompt::Phrase(Phrase::Pm),
        ]),
    }
}

/// Appends 1..=999 (nothing for 0).
fn below_thousand(prompts: &mut Vec<Prompt>, n: u32) {
    let hundreds = n / 100;
    let rest = n % 100;
    if hundreds > 0 {
        prompts.push(Prompt::Number(hundreds));
        prompts.push(Prompt::Phrase(Phrase::Hundred));
    }
    match rest {
        0 => {}
        1..=19 => prompts.push(Prompt::Number(rest)),
        _ => {
            let unit = rest % 10;
            prompts.push(Prompt::Number(rest - unit));
            if unit > 0 {
                prompts.push(Prompt::Number(unit));
            }
        }
    }
}
