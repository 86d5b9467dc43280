//! Interpreter semantics on small inline scripts [IVR-1] [IVR-3] [IVR-8] [TEL-4]: node
//! types the shipped scripts do not use (branch, set, mark, say_*, extension and external
//! transfers), type-ahead, timeout prompts, and retries across an `on_invalid` detour.

mod common;

use business_calendar::Status;
use common::{Caller, holiday, inline};
use ivr_script::{IvrInput, Script};

fn script(text: &str) -> Script {
    match inline(text) {
        Ok(script) => script,
        Err(errors) => panic!("{errors:?}"),
    }
}

#[test]
fn ivr_3_branch_on_caller_prefix_and_variable_set_and_said() {
    let text = r#"
name = "t"
start = "chi"
[node.chi]
type = "branch"
variable = "caller"
cases = [{ prefix = "0874", next = "locale" }, { one_of = ["anonymous", ""], next = "fine" }]
default = "fine"
[node.locale]
type = "set"
variable = "n"
value = "$caller"
next = "dici"
[node.dici]
type = "play"
prompts = ["it/sei_il_numero", "number:pos"]
say_digits = "n"
next = "fine"
[node.pos]
type = "set"
variable = "pos"
value = "21"
next = "fine"
[node.fine]
type = "hangup"
"#;
    // `pos` is set by a node that is unreachable: the validator says so.
    assert!(inline(text).is_err());
    let text = text.replace("next = \"dici\"", "next = \"pos\"").replace(
        "[node.pos]\ntype = \"set\"\nvariable = \"pos\"\nvalue = \"21\"\nnext = \"fine\"",
        "[node.pos]\ntype = \"set\"\nvariable = \"pos\"\nvalue = \"21\"\nnext = \"dici\"",
    );
    let mut caller = Caller::on_script(script(&text), "0874 2");
    assert_eq!(
        caller.send(IvrInput::Started),
        ["play it/sei_il_numero it/n21 it/n0 it/n8 it/n7 it/n4 it/n2"]
    );
    assert_eq!(caller.done(), ["hangup", "finished"]);
    assert_eq!(caller.path(), ["chi", "locale", "pos", "dici", "fine"]);

    let mut caller = Caller::on_script(script(&text), "anonymous");
    assert_eq!(caller.send(IvrInput::Started), ["hangup", "finished"]);
}

#[test]
fn ivr_3_holiday_branch_and_time_and_duration_said() {
    let text = r#"
name = "svc"
start = "orario"
[node.orario]
type = "schedule"
service = "altro"
open = "aperto"
closed = "fine"
holiday = "festa"
[node.festa]
type = "set"
variable = "ora"
value = "09:30"
next = "dici"
[node.dici]
type = "play"
prompts = ["time:ora", "duration:secs"]
next = "fine"
[node.aperto]
type = "set"
variable = "secs"
value = "125"
next = "dici"
[node.fine]
type = "hangup"
"#;
    let mut caller = Caller::on_script(script(text), "1");
    assert_eq!(caller.send(IvrInput::Started), ["schedule? altro"]);
    assert_eq!(
        caller.send(IvrInput::CalendarStatus(holiday("Ferragosto"))),
        ["play it/n9 it/e it/n30"]
    );
    assert_eq!(caller.run.variables()["holiday"], "Ferragosto");

    let mut caller = Caller::on_script(script(text), "1");
    caller.send(IvrInput::Started);
    assert_eq!(
        caller.send(IvrInput::CalendarStatus(Status::Open)),
        ["play it/n2 it/minuti it/e it/n5 it/secondi"]
    );
}

#[test]
fn ivr_8_type_ahead_crosses_menus_and_timeout_prompts_play() {
    let text = r#"
name = "t"
start = "primo"
[node.primo]
type = "menu"
prompts = ["it/premere"]
choices = { "1" = "secondo" }
timeout_prompts = ["it/nessuna_scelta"]
on_exhausted = "fine"
[node.secondo]
type = "menu"
prompts = ["it/oppure"]
choices = { "2" = "segna" }
on_exhausted = "fine"
[node.segna]
type = "mark"
next = "agente"
[node.agente]
type = "transfer"
extension = "2001"
[node.fine]
type = "hangup"
"#;
    let mut caller = Caller::on_script(script(text), "1");
    assert_eq!(caller.send(IvrInput::Started), ["play* it/premere"]);
    assert_eq!(caller.keys("12"), ["stop"]);
    assert_eq!(caller.stopped(), ["mark", "transfer extension 2001"]);
    // Without on_fail a failed transfer hangs up.
    assert_eq!(
        caller.send(IvrInput::TransferFailed),
        ["hangup", "finished"]
    );

    let mut caller = Caller::on_script(script(text), "1");
    caller.send(IvrInput::Started);
    caller.done();
    assert_eq!(caller.silence(), ["play it/nessuna_scelta"]);
    assert_eq!(caller.done(), ["play* it/premere"]);
    caller.done();
    caller.silence();
    caller.done();
    caller.done();
    assert_eq!(caller.silence(), ["hangup", "finished"]);
}

#[test]
fn ivr_8_retries_are_counted_across_an_on_invalid_detour() {
    let text = r#"
name = "t"
start = "m"
[node.m]
type = "menu"
prompts = ["it/premere"]
choices = { "1" = "fine" }
retries = 1
on_invalid = "errore"
on_exhausted = "coda"
[node.errore]
type = "play"
prompts = ["it/scelta_non_valida"]
next = "m"
[node.coda]
type = "enqueue"
queue = "livello2"
priority = 7
[node.fine]
type = "hangup"
"#;
    let mut caller = Caller::on_script(script(text), "1");
    caller.send(IvrInput::Started);
    caller.done();
    assert_eq!(caller.keys("5"), ["play it/scelta_non_valida"]);
    assert_eq!(caller.done(), ["play* it/premere"]);
    caller.done();
    assert_eq!(caller.keys("5"), ["mark", "enqueue livello2 7", "finished"]);
}

#[test]
fn tel_4_transfer_to_an_unset_variable_takes_on_fail_and_external_numbers_pass() {
    let text = r#"
name = "t"
start = "c"
[node.c]
type = "collect"
prompts = ["it/premere"]
variable = "numero"
max_len = 12
terminator = "*"
on_timeout = "vuoto"
on_exhausted = "fine"
next = "fuori"
[node.vuoto]
type = "transfer"
office = "$altro"
on_fail = "fine"
[node.fuori]
type = "transfer"
external = "$numero"
on_fail = "fine"
[node.altro]
type = "set"
variable = "altro"
value = ""
next = "fine"
[node.fine]
type = "hangup"
"#;
    // `altro` is only set by an unreachable node: refused.
    assert!(inline(text).is_err());
    let text = text.replace(
        "on_fail = \"fine\"\n[node.fuori]",
        "on_fail = \"altro\"\n[node.fuori]",
    );
    let mut caller = Caller::on_script(script(&text), "1");
    caller.send(IvrInput::Started);
    caller.done();
    assert_eq!(caller.keys("0612345678*"), ["transfer external 0612345678"]);
    assert_eq!(caller.send(IvrInput::HandedOff), ["finished"]);

    let mut caller = Caller::on_script(script(&text), "1");
    caller.send(IvrInput::Started);
    caller.done();
    assert_eq!(caller.silence(), ["hangup", "finished"]);
    assert_eq!(caller.path(), ["c", "vuoto", "altro", "fine"]);
}
