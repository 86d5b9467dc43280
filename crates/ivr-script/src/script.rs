//! The validated, immutable form of an IVR script: nodes indexed by position, every
//! reference resolved [IVR-1] [IVR-3] [IVR-6] [IVR-8] [TEL-4] [VM-1].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prompt_phrases::Language;

/// Variables every run has without a node setting them: the caller's number, and the
/// answer of the last `schedule` node (`open`, `draining`, `closed`) with the holiday or
/// closure name (empty when none).
pub const BUILTIN_VARIABLES: [&str; 3] = ["caller", "schedule", "holiday"];

/// A loaded and validated script. Immutable; share it with `Arc` so that a reload never
/// disturbs the calls already running on the previous version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub(crate) file: PathBuf,
    pub(crate) name: String,
    pub(crate) language: Language,
    pub(crate) start: usize,
    pub(crate) nodes: Vec<Node>,
}

impl Script {
    /// The service name (the calendar the `schedule` nodes ask about by default).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the script was loaded from, as given to [`crate::load`].
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The language of the prompts said from variables (`say_number`, ...).
    pub fn language(&self) -> Language {
        self.language
    }

    /// The name of the first node.
    pub fn start(&self) -> &str {
        self.nodes
            .get(self.start)
            .map_or("", |node| node.name.as_str())
    }

    /// The node names in file order.
    pub fn node_names(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|node| node.name.as_str())
    }
}

/// Where a transfer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An extension of this engine (an agent, 2001-2020 in the demo).
    Extension(String),
    /// An internal office of the customer's PBX, reached through the `pbx` trunk [TEL-4].
    Office(String),
    /// An external number, through the carrier trunk.
    External(String),
}

/// Whether a caller's key stops the prompt being played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BargeIn {
    /// A key stops the playback and is kept for the next menu or collect node.
    Allowed,
    /// Keys pressed during the playback are discarded.
    Disabled,
}

/// One node of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) line: usize,
    pub(crate) kind: NodeKind,
}

/// What a node does; targets are indexes into `Script::nodes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Play {
        prompts: Vec<PromptItem>,
        barge_in: BargeIn,
        next: usize,
    },
    Menu {
        prompts: Vec<PromptItem>,
        barge_in: BargeIn,
        choices: BTreeMap<char, usize>,
        attempts: Attempts,
    },
    Collect {
        prompts: Vec<PromptItem>,
        barge_in: BargeIn,
        variable: String,
        min_len: usize,
        max_len: usize,
        terminator: Option<char>,
        prefixes: Vec<String>,
        attempts: Attempts,
        next: usize,
    },
    Schedule {
        service: String,
        open: usize,
        draining: usize,
        closed: usize,
        holiday: Option<usize>,
    },
    Branch {
        variable: String,
        cases: Vec<(Match, usize)>,
        default: usize,
    },
    Set {
        variable: String,
        value: Value,
        next: usize,
    },
    Mark {
        next: usize,
    },
    Enqueue {
        queue: String,
        priority: u8,
    },
    Transfer {
        destination: DestinationSpec,
        on_fail: Option<usize>,
    },
    Voicemail {
        mailbox: String,
        on_fail: Option<usize>,
    },
    Callback {
        number: Value,
        about: Option<Value>,
        next: usize,
    },
    Hangup,
}

/// The timeout and retry policy shared by menu and collect nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attempts {
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) on_timeout: Option<usize>,
    pub(crate) on_invalid: Option<usize>,
    pub(crate) on_exhausted: usize,
    pub(crate) invalid_prompts: Vec<PromptItem>,
    pub(crate) timeout_prompts: Vec<PromptItem>,
}

/// One element of a prompt list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PromptItem {
    /// A recorded prompt, `it/benvenuto`.
    Fixed(String),
    /// A variable said as a number.
    Number(String),
    /// A variable read digit by digit.
    Digits(String),
    /// A variable holding seconds, said as a duration.
    Duration(String),
    /// A variable holding `HH:MM`, said as a time of day.
    Time(String),
}

/// A literal or a `$variable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Literal(String),
    Variable(String),
}

/// One case of a branch node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Match {
    Equals(String),
    Prefix(String),
    OneOf(Vec<String>),
}

/// A transfer destination before variables are substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DestinationSpec {
    Extension(Value),
    Office(Value),
    External(Value),
}

impl NodeKind {
    /// The nodes this node can go to without the script ending.
    pub(crate) fn successors(&self) -> Vec<usize> {
        let mut out = Vec::new();
        match self {
            NodeKind::Play { next, .. }
            | NodeKind::Set { next, .. }
            | NodeKind::Mark { next }
            | NodeKind::Callback { next, .. } => out.push(*next),
            NodeKind::Menu {
                choices, attempts, ..
            } => {
                out.extend(choices.values().copied());
                attempts.push_targets(&mut out);
            }
            NodeKind::Collect { attempts, next, .. } => {
                out.push(*next);
                attempts.push_targets(&mut out);
            }
            NodeKind::Schedule {
                open,
                draining,
                closed,
                holiday,
                ..
            } => {
                out.extend([*open, *draining, *closed]);
                out.extend(*holiday);
            }
            NodeKind::Branch { cases, default, .. } => {
                out.extend(cases.iter().map(|(_, target)| *target));
                out.push(*default);
            }
            NodeKind::Transfer { on_fail, .. } | NodeKind::Voicemail { on_fail, .. } => {
                out.extend(*on_fail);
            }
            NodeKind::Enqueue { .. } | NodeKind::Hangup => {}
        }
        out
    }

    /// Whether the node waits for the caller's keys (so a cycle through it is paced by
    /// the caller or by its timeouts and retries).
    pub(crate) fn waits_for_input(&self) -> bool {
        matches!(self, NodeKind::Menu { .. } | NodeKind::Collect { .. })
    }
}

impl Attempts {
    fn push_targets(&self, out: &mut Vec<usize>) {
        out.extend(self.on_timeout);
        out.extend(self.on_invalid);
        out.push(self.on_exhausted);
    }
}
