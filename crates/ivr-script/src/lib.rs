//! Sans-IO IVR scripts: a declarative TOML call-flow format, a validator that reports
//! `file:line: reason`, and an interpreter stepped with virtual time [IVR-1] [IVR-3]
//! [IVR-6] [IVR-8] [IVR-9] [TEL-4] [VM-1].
//!
//! # Format
//!
//! A script is one TOML file (the shipped ones are `config/ivr/*.toml`; see
//! `config/ivr/README.md` for the full reference):
//!
//! ```toml
//! name = "verde"          # the service: its calendar answers `schedule` nodes
//! start = "orario"        # the first node
//! language = "it"         # optional: the language of said numbers (default "it")
//!
//! [node.orario]
//! type = "schedule"
//! open = "benvenuto"
//! closed = "chiuso"
//!
//! [node.benvenuto]
//! type = "play"
//! prompts = ["it/benvenuto_numero_verde"]
//! next = "operatore"
//!
//! [node.operatore]
//! type = "enqueue"
//! queue = "verde"
//!
//! [node.chiuso]
//! type = "voicemail"
//! box = "verde"
//! ```
//!
//! Node types and their fields (`?` = optional, with its default):
//! - `play`: `prompts`, `say_number?`/`say_digits?`/`say_duration?`/`say_time?` (a
//!   variable said after the prompts), `barge_in? = false`, `next`.
//! - `menu`: `prompts`, `choices = { "1" = "node", ... }` (keys 0-9, `*`, `#`),
//!   `timeout_s? = 5`, `retries? = 2`, `on_timeout?`, `on_invalid?` (default: the menu
//!   again), `on_exhausted`, `invalid_prompts?`, `timeout_prompts?`, `barge_in? = true`.
//! - `collect`: `prompts?`, `variable`, `min_len? = 1`, `max_len`, `terminator? = "#"`
//!   (`""` for none), `prefixes?` (accepted leading digits), `next`, and the timeout and
//!   retry fields of `menu`.
//! - `schedule`: `open`, `closed`, `draining? = closed`, `holiday?` (a holiday or closure;
//!   default `closed`), `service?` (default the script's `name`).
//! - `branch`: `variable`, `cases = [{ equals | prefix | one_of, next }, ...]`, `default`.
//! - `set`: `variable`, `value`, `next`. `mark`: `next`.
//! - `enqueue`: `queue`, `priority? = 0` (0-255). Ends the script.
//! - `transfer`: one of `extension`, `office`, `external`; `on_fail?` (default: hang up).
//! - `voicemail`: `box`, `on_fail?` (default: hang up).
//! - `callback`: `number? = "$caller"`, `about?`, `next`.
//! - `hangup`.
//!
//! A prompt list holds recorded prompts (`"it/benvenuto"`, which must exist) and said
//! variables (`"number:n"`, `"digits:interno"`, `"duration:secs"`, `"time:ora"`).
//! Values starting with `$` read a variable; `caller`, `schedule` and `holiday` are built
//! in, the others are set by `collect` and `set` nodes.
//!
//! # Semantics
//!
//! A menu or collect node counts one failure per invalid key string or timeout. While
//! the failures do not exceed `retries` it plays `invalid_prompts`/`timeout_prompts` and
//! takes `on_invalid`/`on_timeout` (the node again when absent); after that it takes
//! `on_exhausted`, so a silent caller is never left in silence. Keys pressed during a
//! barge-in playback stop it and are kept for the next menu or collect node.
//!
//! # Validation
//!
//! [`load`] reports every problem at once, each as `file:line: reason`: syntax, unknown
//! node type, undefined node, node unreachable from `start`, a loop without input (a
//! cycle through no menu or collect node), missing prompt, unknown queue, bad DTMF keys,
//! missing, unknown or mistyped fields, variables never set. The graph checks run once
//! every node's references resolve.
//!
//! # Running
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use ivr_script::{BargeIn, IvrAction, IvrInput, Run, load};
//!
//! let text = "name = \"t\"\nstart = \"a\"\n[node.a]\ntype = \"play\"\nprompts = [\"it/benvenuto\"]\nnext = \"b\"\n[node.b]\ntype = \"hangup\"\n";
//! let script = load("t.toml".as_ref(), text, &|_| true, &[]).map_err(|e| e[0].to_string()).unwrap();
//! let now = Instant::now();
//! let mut run = Run::new(Arc::new(script), "3331234567", now);
//! run.handle(IvrInput::Started, now);
//! assert_eq!(run.poll_action(), Some(IvrAction::Play { prompts: vec!["it/benvenuto".into()], barge_in: BargeIn::Disabled }));
//! run.handle(IvrInput::PlaybackDone { completed: true }, now);
//! assert_eq!(run.poll_action(), Some(IvrAction::Hangup));
//! assert_eq!(run.poll_action(), Some(IvrAction::Finished));
//! ```
//!
//! Scripts are immutable and shared through `Arc`: a reload builds a new [`Script`] for
//! new calls while running calls finish on the version they started with.

mod error;
mod graph;
mod parse;
mod run;
mod script;

use std::path::Path;

pub use error::{ScriptError, ScriptErrorKind};
pub use run::{IvrAction, IvrInput, MAX_BUFFERED_DIGITS, MAX_STEPS_PER_INPUT, Run};
pub use script::{BUILTIN_VARIABLES, BargeIn, Destination, Script};

/// Loads and validates a script. `file` is only used in messages; `known_prompts` says
/// whether a prompt (`"it/benvenuto"`) exists; `known_queues` are the ACD queue names.
pub fn load(
    file: &Path,
    text: &str,
    known_prompts: &dyn Fn(&str) -> bool,
    known_queues: &[&str],
) -> Result<Script, Vec<ScriptError>> {
    let parsed = parse::parse(file, text, known_prompts, known_queues);
    let mut errors = parsed.errors;
    if parsed.graph_complete {
        errors.extend(graph::check(&parsed.script));
    }
    if errors.is_empty() {
        Ok(parsed.script)
    } else {
        errors.sort_by_key(|error| error.line);
        Err(errors)
    }
}
