//! Unit tests of the say module's types and error paths [IVR-4, IVR-5, IVR-6, VM-1];
//! the wide golden table is `tests/golden.rs`.

use std::collections::BTreeSet;

use super::*;

#[test]
fn language_codes_parse_both_ways() {
    for language in Language::ALL {
        assert_eq!(language.code().parse::<Language>(), Ok(language));
        assert_eq!(language.to_string(), language.code());
    }
    assert_eq!("IT".parse::<Language>(), Ok(Language::It));
    assert_eq!(
        "de".parse::<Language>(),
        Err(PhraseError::UnknownLanguage("de".to_owned()))
    );
}

#[test]
fn phrase_keys_are_unique_and_round_trip() {
    let keys: BTreeSet<&str> = Phrase::ALL.iter().map(|p| p.key()).collect();
    assert_eq!(keys.len(), Phrase::ALL.len());
    for phrase in Phrase::ALL {
        assert_eq!(Phrase::from_key(phrase.key()), Some(*phrase));
        assert!(!phrase.languages().is_empty());
        // Keys must not collide with number prompts.
        assert!(!phrase.key().starts_with('n') || phrase.key().parse::<u32>().is_err());
    }
    assert_eq!(Phrase::from_key("n21"), None);
}

#[test]
fn prompt_ref_path_and_display_agree() {
    let prompt = PromptRef::new(Language::It, Prompt::Number(21));
    assert_eq!(prompt.path(), "it/n21");
    assert_eq!(prompt.to_string(), "it/n21");
    assert_eq!(prompt.name(), "n21");
    let phrase = PromptRef::new(Language::En, Prompt::Phrase(Phrase::Benvenuto));
    assert_eq!(phrase.path(), "en/benvenuto");
}

#[test]
fn say_digits_refuses_other_characters() {
    assert_eq!(
        say_digits(Language::It, "12a"),
        Err(PhraseError::UnsupportedDigit('a'))
    );
    assert_eq!(say_digits(Language::It, ""), Ok(Vec::new()));
}

#[test]
fn opening_hours_refuses_hours_past_24() {
    assert_eq!(
        opening_hours(Language::It, 9, 25),
        Err(PhraseError::HourOutOfRange(25))
    );
    assert_eq!(
        opening_hours(Language::En, 255, 1),
        Err(PhraseError::HourOutOfRange(255))
    );
}

#[test]
fn queue_position_one_has_its_own_phrase_ivr5() {
    let first = queue_position(Language::It, 1);
    assert_eq!(
        first,
        vec![PromptRef::new(
            Language::It,
            Prompt::Phrase(Phrase::SeiIlPrimo)
        )]
    );
    let third: Vec<String> = queue_position(Language::It, 3)
        .iter()
        .map(PromptRef::path)
        .collect();
    assert_eq!(third, ["it/sei_il_numero", "it/n3", "it/in_coda"]);
}

#[test]
fn expected_wait_rounds_up_to_whole_minutes_ivr6() {
    let minutes = |secs| -> Vec<Prompt> {
        expected_wait(Language::It, secs)
            .into_iter()
            .map(|p| p.prompt)
            .filter(|p| matches!(p, Prompt::Number(_)))
            .collect()
    };
    assert_eq!(minutes(120), [Prompt::Number(2)]);
    assert_eq!(minutes(121), [Prompt::Number(3)]);
    // u32::MAX seconds is 71 582 789 minutes, "settantuno milioni
    // cinquecentottantaduemila settecentottantanove": the largest wait is still said.
    assert_eq!(
        minutes(u32::MAX),
        [Prompt::Number(71), Prompt::Number(582), Prompt::Number(789)]
    );
}

#[test]
fn every_u32_boundary_is_said_without_panicking_ivr4() {
    for n in [
        0,
        1,
        999,
        1000,
        999_999,
        1_000_000,
        999_999_999,
        1_000_000_000,
        u32::MAX,
    ] {
        for language in Language::ALL {
            assert!(!say_number(language, n).is_empty());
            assert!(!duration(language, n).is_empty());
        }
    }
}

#[test]
fn italian_numbers_below_thousand_use_at_most_two_prompts_ivr4() {
    for n in 1..1000 {
        let prompts = say_number(Language::It, n);
        let sum: u32 = prompts
            .iter()
            .map(|p| match p.prompt {
                Prompt::Number(value) => value,
                Prompt::Phrase(phrase) => panic!("{n} said with {phrase:?}"),
            })
            .sum();
        assert_eq!(sum, n, "{n}");
        assert!(prompts.len() <= 2, "{n}: {prompts:?}");
    }
}
