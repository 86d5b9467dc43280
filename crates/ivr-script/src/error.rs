//! Load-time errors of an IVR script, each with the file and line of the offending key
//! [IVR-1] (validation at load: unknown node, unreachable node, loop without input,
//! missing prompt).

use std::fmt;
use std::path::PathBuf;

/// One problem found while loading a script; `Display` is `file:line: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// The path given to [`crate::load`], for messages only.
    pub file: PathBuf,
    /// The 1-based line of the offending key, value or `[node.NAME]` header.
    pub line: usize,
    /// What is wrong.
    pub kind: ScriptErrorKind,
}

/// Why a script was rejected. Every variant is a mistake of the script's author.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptErrorKind {
    /// The text is not valid TOML.
    #[error("TOML syntax: {0}")]
    Syntax(String),
    /// `type` names no node type.
    #[error(
        "unknown node type {0:?} (expected play, menu, collect, schedule, branch, set, mark, enqueue, transfer, voicemail, callback or hangup)"
    )]
    UnknownNodeType(String),
    /// A branch or `start` names a node that is not defined.
    #[error("reference to undefined node {0:?}")]
    UndefinedNode(String),
    /// No path from `start` leads to this node.
    #[error("node {0:?} is not reachable from start")]
    UnreachableNode(String),
    /// A cycle of nodes none of which waits for the caller (menu or collect).
    #[error("loop without input: {0} (a cycle must pass through a menu or collect node)")]
    LoopWithoutInput(String),
    /// A prompt the prompt store does not have.
    #[error("missing prompt {0:?}")]
    MissingPrompt(String),
    /// An ACD queue that is not configured.
    #[error("unknown queue {0:?}")]
    UnknownQueue(String),
    /// A menu key that is not one DTMF key (0-9, *, #).
    #[error("bad DTMF key {0:?}: a key is one of 0-9, * or #")]
    BadDigit(String),
    /// A required field is absent.
    #[error("missing required field {field:?} in {context}")]
    MissingField {
        /// The table: `node "menu"` or `the script`.
        context: String,
        /// The field's name.
        field: &'static str,
    },
    /// A field this table does not know (a typo, or a field of another node type).
    #[error("unknown field {field:?} in {context}")]
    UnknownField {
        /// The table: `node "menu"` or `the script`.
        context: String,
        /// The field's name as written.
        field: String,
    },
    /// A field of the wrong TOML type.
    #[error("field {field:?} must be {expected}")]
    WrongType {
        /// The field's name.
        field: String,
        /// What it must be: `a string`, `an integer`, ...
        expected: &'static str,
    },
    /// A field whose value is out of range or malformed.
    #[error("field {field:?}: {reason}")]
    BadValue {
        /// The field's name.
        field: String,
        /// Why the value is rejected.
        reason: String,
    },
    /// A `$name` reference or `say_*` variable that no node sets and that is not built in.
    #[error("variable {0:?} is never set (built in: caller, schedule, holiday)")]
    UndefinedVariable(String),
    /// The script has no `[node.*]` table.
    #[error("the script defines no [node.NAME] table")]
    NoNodes,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.kind)
    }
}

impl std::error::Error for ScriptError {}
