//! Italian number and opening-hour composition [IVR-4, IVR-1]: whole words up to 100
//! (ventuno, ventotto, trentatré), hundreds with the elided whole words before "otto"
//! and "ottanta…" (centotto, centottanta), then mille/mila, milioni, miliardi.

use crate::{Phrase, Prompt};

/// The prompts for `n`.
pub(crate) fn number(n: u32) -> Vec<Prompt> {
    if n == 0 {
        return vec![Prompt::Number(0)];
    }
    let mut prompts = Vec::new();
    let billions = n / 1_000_000_000;
    let millions = (n / 1_000_000) % 1000;
    let thousands = (n / 1000) % 1000;
    let units = n % 1000;
    scale(&mut prompts, billions, Phrase::UnMiliardo, Phrase::Miliardi);
    scale(&mut prompts, millions, Phrase::UnMilione, Phrase::Milioni);
    match thousands {
        0 => {}
        1 => prompts.push(Prompt::Number(1000)),
        _ => {
            below_thousand(&mut prompts, thousands);
            prompts.push(Prompt::Phrase(Phrase::Mila));
        }
    }
    below_thousand(&mut prompts, units);
    prompts
}

/// "dalle nove alle diciassette", with "dall'una"/"all'una" and midnight for 0 and 24.
pub(crate) fn opening_hours(from_hour: u8, to_hour: u8) -> Vec<Prompt> {
    let mut prompts = Vec::new();
    match from_hour {
        0 | 24 => prompts.push(Prompt::Phrase(Phrase::DallaMezzanotte)),
        1 => prompts.push(Prompt::Phrase(Phrase::DallUna)),
        hour => prompts.extend([Prompt::Phrase(Phrase::Dalle), Prompt::Number(hour.into())]),
    }
    match to_hour {
        0 | 24 => prompts.push(Prompt::Phrase(Phrase::AllaMezzanotte)),
        1 => prompts.push(Prompt::Phrase(Phrase::AllUna)),
        hour => prompts.extend([Prompt::Phrase(Phrase::Alle), Prompt::Number(hour.into())]),
    }
    prompts
}

/// Appends "un milione" for one, "<count> milioni" for more, nothing for zero.
fn scale(prompts: &mut Vec<Prompt>, count: u32, one: Phrase, many: Phrase) {
    match count {
        0 => {}
        1 => prompts.push(Prompt::Phrase(one)),
        _ => {
            below_thousand(prompts, count);
            prompts.push(Prompt::Phrase(many));
        }
    }
}

/// Appends 1..=999 (nothing for 0): whole words up to 100, the hundred alone, the
/// elided whole word for h08 and h80..=h89, else the hundred then the rest.
fn below_thousand(prompts: &mut Vec<Prompt>, n: u32) {
    let rest = n % 100;
    let elided = rest == 8 || (80..=89).contains(&rest);
    match n {
        0 => {}
        1..=100 => prompts.push(Prompt::Number(n)),
        _ if rest == 0 || elided => prompts.push(Prompt::Number(n)),
        _ => {
            prompts.push(Prompt::Number(n - rest));
            prompts.push(Prompt::Number(rest));
        }
    }
}
