//! Golden table for the say module (`tests/data/golden.tsv`): numbers, queue positions,
//! expected waits, durations, digits and opening hours in Italian and English
//! [IVR-4, IVR-5, IVR-6, VM-1, IVR-1]. `UPDATE_EXPECT=1` rewrites the expected column.

use std::fmt::Write as _;
use std::path::PathBuf;

use prompt_phrases::{
    Language, PromptRef, duration, expected_wait, opening_hours, queue_position, say_digits,
    say_number,
};

#[test]
fn golden_table_ivr4_ivr5_ivr6_vm1() -> anyhow::Result<()> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden.tsv");
    let text = std::fs::read_to_string(&path)?;
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut rewritten = String::new();
    let mut mismatches = Vec::new();
    let mut cases = 0;
    for (index, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            rewritten.push_str(line);
            rewritten.push('\n');
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [function, language, input, expected] = fields[..] else {
            anyhow::bail!(
                "golden.tsv:{}: expected four tab-separated fields",
                index + 1
            );
        };
        let language: Language = language.parse()?;
        let actual = paths(&evaluate(function, language, input)?);
        if actual != expected {
            mismatches.push(format!(
                "golden.tsv:{}: {function} {language} {input}\n  expected {expected}\n  actual   {actual}",
                index + 1
            ));
        }
        writeln!(rewritten, "{function}\t{language}\t{input}\t{actual}")?;
        cases += 1;
    }
    if update {
        std::fs::write(&path, rewritten)?;
        return Ok(());
    }
    assert!(cases > 100, "the table has only {cases} cases");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    Ok(())
}

/// Runs one row's function.
fn evaluate(function: &str, language: Language, input: &str) -> anyhow::Result<Vec<PromptRef>> {
    Ok(match function {
        "number" => say_number(language, input.parse()?),
        "position" => queue_position(language, input.parse()?),
        "wait" => expected_wait(language, input.parse()?),
        "duration" => duration(language, input.parse()?),
        "digits" => say_digits(language, input)?,
        "hours" => {
            let (from, to) = input
                .split_once('-')
                .ok_or_else(|| anyhow::anyhow!("hours input {input:?} is not FROM-TO"))?;
            opening_hours(language, from.parse()?, to.parse()?)?
        }
        other => anyhow::bail!("unknown function {other:?}"),
    })
}

/// The space-separated paths of a sequence.
fn paths(prompts: &[PromptRef]) -> String {
    prompts
        .iter()
        .map(PromptRef::path)
        .collect::<Vec<_>>()
        .join(" ")
}
