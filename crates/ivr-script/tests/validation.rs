//! Load-time validation of IVR scripts [IVR-1]: each error kind with the line it is
//! reported on, several errors at once, and the shipped scripts accepted.

mod common;

use std::path::Path;

use common::{QUEUES, inline, prompt_exists, shipped};
use ivr_script::{ScriptError, ScriptErrorKind, load};

/// The errors of a script that must not load, as (line, kind).
fn errors(text: &str) -> Vec<(usize, ScriptErrorKind)> {
    match inline(text) {
        Ok(_) => panic!("the script loaded:\n{text}"),
        Err(errors) => errors.into_iter().map(|e| (e.line, e.kind)).collect(),
    }
}

const HEAD: &str = "name = \"t\"\nstart = \"a\"\n";

#[test]
fn ivr_1_shipped_scripts_load() {
    for file in ["verde.toml", "centralino.toml"] {
        let script = shipped(file);
        assert!(script.is_ok(), "{file}: {:?}", script.err());
    }
}

#[test]
fn ivr_1_shipped_script_with_a_deleted_prompt_is_refused_at_its_line() {
    let text =
        std::fs::read_to_string(common::root().join("config/ivr/verde.toml")).unwrap_or_default();
    let line = text
        .lines()
        .position(|line| line.contains("it/orari_numero_verde"))
        .map(|index| index + 1);
    let result = load(
        Path::new("config/ivr/verde.toml"),
        &text,
        &|name| name != "it/orari_numero_verde" && prompt_exists(name),
        &QUEUES,
    );
    let errors = result.err().unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(Some(errors[0].line), line);
    assert_eq!(
        errors[0].to_string(),
        format!(
            "config/ivr/verde.toml:{}: missing prompt \"it/orari_numero_verde\"",
            line.unwrap_or(0)
        )
    );
}

#[test]
fn ivr_1_display_is_file_line_reason() {
    let error = ScriptError {
        file: "config/ivr/x.toml".into(),
        line: 7,
        kind: ScriptErrorKind::UnknownQueue("q".into()),
    };
    assert_eq!(
        error.to_string(),
        "config/ivr/x.toml:7: unknown queue \"q\""
    );
}

#[test]
fn ivr_1_syntax_error_has_its_line() {
    let text = format!("{HEAD}[node.a]\ntype = \"hangup\"\nbroken = \n");
    let found = errors(&text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 5);
    assert!(matches!(found[0].1, ScriptErrorKind::Syntax(_)));
}

#[test]
fn ivr_1_unknown_node_type_at_the_type_line() {
    let text = format!("{HEAD}[node.a]\ntype = \"dance\"\n");
    assert_eq!(
        errors(&text),
        [(4, ScriptErrorKind::UnknownNodeType("dance".into()))]
    );
}

#[test]
fn ivr_1_reference_to_an_undefined_node_at_its_line() {
    let text =
        format!("{HEAD}[node.a]\ntype = \"play\"\nprompts = [\"it/x\"]\nnext = \"nowhere\"\n");
    assert_eq!(
        errors(&text),
        [(6, ScriptErrorKind::UndefinedNode("nowhere".into()))]
    );
    let text = "name = \"t\"\nstart = \"zz\"\n[node.a]\ntype = \"hangup\"\n";
    assert_eq!(
        errors(text),
        [(2, ScriptErrorKind::UndefinedNode("zz".into()))]
    );
}

#[test]
fn ivr_1_unreachable_node_at_its_header() {
    let text = format!("{HEAD}[node.a]\ntype = \"hangup\"\n\n[node.orphan]\ntype = \"hangup\"\n");
    assert_eq!(
        errors(&text),
        [(6, ScriptErrorKind::UnreachableNode("orphan".into()))]
    );
}

#[test]
fn ivr_1_loop_without_input_at_its_first_node() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"play\"\nprompts = [\"it/x\"]\nnext = \"b\"\n\
         [node.b]\ntype = \"mark\"\nnext = \"a\"\n"
    );
    assert_eq!(
        errors(&text),
        [(3, ScriptErrorKind::LoopWithoutInput("a -> b -> a".into()))]
    );
    let text =
        format!("{HEAD}[node.a]\ntype = \"set\"\nvariable = \"v\"\nvalue = \"1\"\nnext = \"a\"\n");
    assert_eq!(
        errors(&text),
        [(3, ScriptErrorKind::LoopWithoutInput("a -> a".into()))]
    );
}

#[test]
fn ivr_1_a_loop_through_a_menu_is_accepted() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"play\"\nprompts = [\"it/x\"]\nnext = \"m\"\n\
         [node.m]\ntype = \"menu\"\nprompts = [\"it/x\"]\nchoices = {{ \"1\" = \"a\" }}\non_exhausted = \"h\"\n\
         [node.h]\ntype = \"hangup\"\n"
    );
    assert!(inline(&text).is_ok());
}

#[test]
fn ivr_1_missing_prompt_at_its_line() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"play\"\nprompts = [\n  \"it/benvenuto\",\n  \"it/nope\",\n]\nnext = \"b\"\n[node.b]\ntype = \"hangup\"\n"
    );
    let result = load(Path::new("t.toml"), &text, &prompt_exists, &QUEUES);
    let found: Vec<_> = result
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.line, e.kind))
        .collect();
    assert_eq!(
        found,
        [(7, ScriptErrorKind::MissingPrompt("it/nope".into()))]
    );
}

#[test]
fn ivr_1_unknown_queue_at_its_line() {
    let text = format!("{HEAD}[node.a]\ntype = \"enqueue\"\nqueue = \"rosso\"\n");
    assert_eq!(
        errors(&text),
        [(5, ScriptErrorKind::UnknownQueue("rosso".into()))]
    );
}

#[test]
fn ivr_1_bad_dtmf_keys_in_choices() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"menu\"\nprompts = [\"it/x\"]\non_exhausted = \"h\"\n\
         [node.a.choices]\n\"12\" = \"h\"\n\"x\" = \"h\"\n\"#\" = \"h\"\n[node.h]\ntype = \"hangup\"\n"
    );
    assert_eq!(
        errors(&text),
        [
            (8, ScriptErrorKind::BadDigit("12".into())),
            (9, ScriptErrorKind::BadDigit("x".into())),
        ]
    );
}

#[test]
fn ivr_1_missing_required_fields_at_the_node_header() {
    let text = format!("{HEAD}[node.a]\ntype = \"menu\"\nprompts = [\"it/x\"]\n");
    let found = errors(&text);
    let missing: Vec<_> = found
        .iter()
        .map(|(line, kind)| match kind {
            ScriptErrorKind::MissingField { field, .. } => (*line, *field),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(missing, [(3, "choices"), (3, "on_exhausted")]);
}

#[test]
fn ivr_1_unknown_field_at_its_line() {
    let text = format!("{HEAD}[node.a]\ntype = \"hangup\"\nprompt = [\"it/x\"]\n");
    assert_eq!(
        errors(&text),
        [(
            5,
            ScriptErrorKind::UnknownField {
                context: "node \"a\"".into(),
                field: "prompt".into()
            }
        )]
    );
}

#[test]
fn ivr_1_wrong_types_and_bad_values() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"collect\"\nvariable = \"v\"\nmax_len = \"4\"\ntimeout_s = 0\n\
         on_exhausted = \"a\"\nnext = \"h\"\n[node.h]\ntype = \"hangup\"\n"
    );
    let found = errors(&text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        matches!(&found[0], (6, ScriptErrorKind::WrongType { field, .. }) if field == "max_len")
    );
    assert!(
        matches!(&found[1], (7, ScriptErrorKind::BadValue { field, .. }) if field == "timeout_s")
    );
    assert!(
        matches!(&found[2], (8, ScriptErrorKind::BadValue { field, .. }) if field == "on_exhausted")
    );
}

#[test]
fn ivr_1_variable_never_set() {
    let text = format!("{HEAD}[node.a]\ntype = \"transfer\"\noffice = \"$interno\"\n");
    assert_eq!(
        errors(&text),
        [(5, ScriptErrorKind::UndefinedVariable("interno".into()))]
    );
}

#[test]
fn ivr_1_script_without_nodes() {
    let found = errors("name = \"t\"\nstart = \"a\"\nnode = {}\n");
    assert!(found.contains(&(3, ScriptErrorKind::NoNodes)), "{found:?}");
}

#[test]
fn ivr_1_several_errors_are_reported_at_once_in_line_order() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"menu\"\nprompts = [\"it/x\"]\nchoices = {{ \"1\" = \"q\", \"2\" = \"c\" }}\n\
         on_exhausted = \"q\"\ncolour = \"red\"\n\
         [node.q]\ntype = \"enqueue\"\nqueue = \"nope\"\n\
         [node.c]\ntype = \"callback\"\nnext = \"gone\"\n"
    );
    let kinds: Vec<(usize, &str)> = errors(&text)
        .iter()
        .map(|(line, kind)| {
            let name = match kind {
                ScriptErrorKind::UnknownField { .. } => "unknown field",
                ScriptErrorKind::UnknownQueue(_) => "unknown queue",
                ScriptErrorKind::UndefinedNode(_) => "undefined node",
                _ => "other",
            };
            (*line, name)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (8, "unknown field"),
            (11, "unknown queue"),
            (14, "undefined node")
        ]
    );
}

#[test]
fn ivr_1_branch_set_and_transfer_forms_load() {
    let text = format!(
        "{HEAD}[node.a]\ntype = \"branch\"\nvariable = \"caller\"\n\
         cases = [{{ prefix = \"39\", next = \"s\" }}, {{ one_of = [\"1\", \"2\"], next = \"x\" }}]\ndefault = \"e\"\n\
         [node.s]\ntype = \"set\"\nvariable = \"n\"\nvalue = \"$caller\"\nnext = \"p\"\n\
         [node.p]\ntype = \"play\"\nprompts = [\"digits:n\"]\nsay_number = \"n\"\nnext = \"x\"\n\
         [node.x]\ntype = \"transfer\"\nextension = \"2001\"\n\
         [node.e]\ntype = \"transfer\"\nexternal = \"+390874111\"\non_fail = \"h\"\n\
         [node.h]\ntype = \"hangup\"\n"
    );
    let script = inline(&text);
    assert!(script.is_ok(), "{script:?}");
}
