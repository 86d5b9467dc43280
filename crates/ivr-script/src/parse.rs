//! Reads a script's TOML into [`Script`] nodes, reporting every field-level problem with
//! its line [IVR-1] (missing prompt, unknown queue, unknown node type, undefined node,
//! bad DTMF keys, missing or unknown fields).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use prompt_phrases::Language;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{ScriptError, ScriptErrorKind};
use crate::script::{
    Attempts, BUILTIN_VARIABLES, BargeIn, DestinationSpec, Match, Node, NodeKind, PromptItem,
    Script, Value,
};

/// The target of a reference that could not be resolved; never part of a returned script.
const UNRESOLVED: usize = usize::MAX;
/// The longest accepted timeout of a menu or collect node.
const MAX_TIMEOUT_S: i64 = 300;
/// The most retries a menu or collect node may allow.
const MAX_RETRIES: i64 = 20;
/// The longest digit string a collect node may gather.
const MAX_DIGITS: i64 = 32;

/// What parsing produced: the script (possibly with unresolved references when errors
/// were found), the errors, and whether the node graph is complete enough to check.
pub(crate) struct Parsed {
    pub(crate) script: Script,
    pub(crate) errors: Vec<ScriptError>,
    pub(crate) graph_complete: bool,
}

/// Parses and checks fields; graph checks are left to `crate::graph`.
pub(crate) fn parse(
    file: &Path,
    text: &str,
    known_prompts: &dyn Fn(&str) -> bool,
    known_queues: &[&str],
) -> Parsed {
    let mut loader = Loader {
        text,
        file,
        known_prompts,
        known_queues,
        names: BTreeMap::new(),
        errors: Vec::new(),
        graph_complete: true,
        variables_set: BTreeSet::new(),
        variables_used: Vec::new(),
    };
    let script = loader.document();
    for (name, line) in std::mem::take(&mut loader.variables_used) {
        if !loader.variables_set.contains(&name) && !BUILTIN_VARIABLES.contains(&name.as_str()) {
            loader.error(line, ScriptErrorKind::UndefinedVariable(name));
        }
    }
    Parsed {
        script,
        errors: loader.errors,
        graph_complete: loader.graph_complete,
    }
}

/// The parsing state: lookups and the errors found so far.
struct Loader<'a> {
    text: &'a str,
    file: &'a Path,
    known_prompts: &'a dyn Fn(&str) -> bool,
    known_queues: &'a [&'a str],
    names: BTreeMap<String, usize>,
    errors: Vec<ScriptError>,
    graph_complete: bool,
    variables_set: BTreeSet<String>,
    variables_used: Vec<(String, usize)>,
}

/// One table being read, with its context for messages.
struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    context: String,
    line: usize,
}

type Entry<'t, 'i> = &'t Spanned<DeValue<'i>>;

impl<'a> Loader<'a> {
    fn document(&mut self) -> Script {
        let mut script = Script {
            file: self.file.to_path_buf(),
            name: String::new(),
            language: Language::It,
            start: UNRESOLVED,
            nodes: Vec::new(),
        };
        let root = match DeTable::parse(self.text) {
            Ok(root) => root,
            Err(error) => {
                let line = error.span().map_or(1, |span| self.line(span));
                self.error(line, ScriptErrorKind::Syntax(error.message().to_owned()));
                self.graph_complete = false;
                return script;
            }
        };
        let top = Table {
            table: root.get_ref(),
            context: "the script".to_owned(),
            line: 1,
        };
        self.check_fields(&top, &["name", "start", "language", "node"]);
        if let Some((name, _)) = self.required_string(&top, "name") {
            script.name = name;
        }
        if let Some((code, line)) = self.string(&top, "language") {
            match code.parse::<Language>() {
                Ok(language) => script.language = language,
                Err(error) => self.bad_value(line, "language", error.to_string()),
            }
        }
        let nodes = self.node_tables(&top);
        for (index, (name, _, _)) in nodes.iter().enumerate() {
            self.names.insert(name.clone(), index);
        }
        script.start = self.target(&top, "start", true).unwrap_or(UNRESOLVED);
        for (name, line, table) in &nodes {
            let table = Table {
                table,
                context: format!("node {name:?}"),
                line: *line,
            };
            let kind = self.node(&table, name, &script.name);
            let kind = kind.unwrap_or_else(|| {
                self.graph_complete = false;
                NodeKind::Hangup
            });
            script.nodes.push(Node {
                name: name.clone(),
                line: *line,
                kind,
            });
        }
        script
    }

    /// The `[node.NAME]` tables in file order.
    fn node_tables<'t, 'i>(
        &mut self,
        top: &Table<'t, 'i>,
    ) -> Vec<(String, usize, &'t DeTable<'i>)> {
        let Some(entry) = top.table.get("node") else {
            self.missing(top, "node");
            self.graph_complete = false;
            return Vec::new();
        };
        let Some(table) = entry.get_ref().as_table() else {
            self.wrong_type(
                self.line(entry.span()),
                "node",
                "a table of [node.NAME] tables",
            );
            self.graph_complete = false;
            return Vec::new();
        };
        let mut nodes = Vec::new();
        for (key, value) in table.iter() {
            let line = self.line(key.span());
            match value.get_ref().as_table() {
                Some(node) => nodes.push((key.get_ref().to_string(), key.span().start, line, node)),
                None => {
                    self.wrong_type(line, &format!("node.{}", key.get_ref()), "a table");
                    self.graph_complete = false;
                }
            }
        }
        if nodes.is_empty() {
            self.error(self.line(entry.span()), ScriptErrorKind::NoNodes);
        }
        nodes.sort_by_key(|(_, offset, _, _)| *offset);
        nodes
            .into_iter()
            .map(|(name, _, line, table)| (name, line, table))
            .collect()
    }

    fn node(&mut self, t: &Table<'_, '_>, name: &str, service: &str) -> Option<NodeKind> {
        let kind = self.required_string(t, "type")?;
        let (fields, kind): (&[&str], _) = match kind.0.as_str() {
            "play" => (
                &[
                    "prompts",
                    "barge_in",
                    "next",
                    "say_number",
                    "say_digits",
                    "say_duration",
                    "say_time",
                ],
                self.play(t),
            ),
            "menu" => (&MENU_FIELDS, self.menu(t, name)),
            "collect" => (&COLLECT_FIELDS, self.collect(t, name)),
            "schedule" => (
                &["service", "open", "draining", "closed", "holiday"],
                self.schedule(t, service),
            ),
            "branch" => (&["variable", "cases", "default"], self.branch(t)),
            "set" => (&["variable", "value", "next"], self.set(t)),
            "mark" => (&["next"], Some(NodeKind::Mark { next: self.next(t) })),
            "enqueue" => (&["queue", "priority"], self.enqueue(t)),
            "transfer" => (
                &["extension", "office", "external", "on_fail"],
                self.transfer(t),
            ),
            "voicemail" => (&["box", "on_fail"], self.voicemail(t)),
            "callback" => (&["number", "about", "next"], self.callback(t)),
            "hangup" => (&[], Some(NodeKind::Hangup)),
            other => {
                self.error(kind.1, ScriptErrorKind::UnknownNodeType(other.to_owned()));
                return None;
            }
        };
        let mut allowed = vec!["type"];
        allowed.extend_from_slice(fields);
        self.check_fields(t, &allowed);
        kind
    }

    fn play(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let mut prompts = self.prompts(t, "prompts");
        for (key, make) in [
            ("say_number", PromptItem::Number as fn(String) -> PromptItem),
            ("say_digits", PromptItem::Digits),
            ("say_duration", PromptItem::Duration),
            ("say_time", PromptItem::Time),
        ] {
            if let Some(variable) = self.variable_name(t, key, Use::Read) {
                prompts.push(make(variable));
            }
        }
        if prompts.is_empty() {
            self.missing(t, "prompts");
        }
        let barge_in = self.barge_in(t, BargeIn::Disabled);
        Some(NodeKind::Play {
            prompts,
            barge_in,
            next: self.next(t),
        })
    }

    fn menu(&mut self, t: &Table<'_, '_>, name: &str) -> Option<NodeKind> {
        let prompts = self.prompts(t, "prompts");
        if prompts.is_empty() {
            self.missing(t, "prompts");
        }
        let mut choices = BTreeMap::new();
        match t.table.get("choices") {
            None => self.missing(t, "choices"),
            Some(entry) => match entry.get_ref().as_table() {
                None => self.wrong_type(
                    self.line(entry.span()),
                    "choices",
                    "a table of key = \"node\"",
                ),
                Some(table) => {
                    for (key, value) in table.iter() {
                        let line = self.line(key.span());
                        let digit = single_dtmf(key.get_ref());
                        if digit.is_none() {
                            self.error(line, ScriptErrorKind::BadDigit(key.get_ref().to_string()));
                        }
                        let target = self.resolve(value, &format!("choices.{}", key.get_ref()));
                        if let (Some(digit), Some(target)) = (digit, target) {
                            choices.insert(digit, target);
                        }
                    }
                    if table.is_empty() {
                        self.bad_value(
                            self.line(entry.span()),
                            "choices",
                            "a menu needs at least one choice".to_owned(),
                        );
                    }
                }
            },
        }
        let attempts = self.attempts(t, name);
        Some(NodeKind::Menu {
            prompts,
            barge_in: self.barge_in(t, BargeIn::Allowed),
            choices,
            attempts,
        })
    }

    fn collect(&mut self, t: &Table<'_, '_>, name: &str) -> Option<NodeKind> {
        let prompts = self.prompts(t, "prompts");
        let variable = self.variable_name(t, "variable", Use::Write);
        if variable.is_none() && !t.table.contains_key("variable") {
            self.missing(t, "variable");
        }
        let max_len = self.integer(t, "max_len", 1..=MAX_DIGITS);
        if max_len.is_none() && !t.table.contains_key("max_len") {
            self.missing(t, "max_len");
        }
        let max_len = max_len.unwrap_or(MAX_DIGITS);
        let min_len = self.integer(t, "min_len", 1..=MAX_DIGITS).unwrap_or(1);
        if min_len > max_len {
            let line = self.field_line(t, "min_len");
            self.bad_value(
                line,
                "min_len",
                format!("{min_len} is more than max_len {max_len}"),
            );
        }
        let terminator = match self.string(t, "terminator") {
            None => Some('#'),
            Some((text, _)) if text.is_empty() => None,
            Some((text, line)) => {
                let digit = single_dtmf(&text);
                if digit.is_none() {
                    self.error(line, ScriptErrorKind::BadDigit(text));
                }
                digit
            }
        };
        let mut prefixes = Vec::new();
        if let Some((list, line)) = self.string_list(t, "prefixes") {
            for prefix in list {
                if prefix.is_empty()
                    || !prefix
                        .chars()
                        .all(|c| single_dtmf(&c.to_string()).is_some())
                {
                    self.error(line, ScriptErrorKind::BadDigit(prefix));
                } else {
                    prefixes.push(prefix);
                }
            }
        }
        let attempts = self.attempts(t, name);
        Some(NodeKind::Collect {
            prompts,
            barge_in: self.barge_in(t, BargeIn::Allowed),
            variable: variable.unwrap_or_default(),
            min_len: usize::try_from(min_len).unwrap_or(1),
            max_len: usize::try_from(max_len).unwrap_or(1),
            terminator,
            prefixes,
            attempts,
            next: self.next(t),
        })
    }

    fn attempts(&mut self, t: &Table<'_, '_>, name: &str) -> Attempts {
        let timeout = self.integer(t, "timeout_s", 1..=MAX_TIMEOUT_S).unwrap_or(5);
        let retries = self.integer(t, "retries", 0..=MAX_RETRIES).unwrap_or(2);
        let on_exhausted = self.target(t, "on_exhausted", true).unwrap_or(UNRESOLVED);
        if self.names.get(name) == Some(&on_exhausted) {
            let line = self.field_line(t, "on_exhausted");
            self.bad_value(
                line,
                "on_exhausted",
                "must leave the node (it is taken when the retries are used up)".to_owned(),
            );
        }
        Attempts {
            timeout: Duration::from_secs(u64::try_from(timeout).unwrap_or(5)),
            retries: u32::try_from(retries).unwrap_or(2),
            on_timeout: self.target(t, "on_timeout", false),
            on_invalid: self.target(t, "on_invalid", false),
            on_exhausted,
            invalid_prompts: self.prompts(t, "invalid_prompts"),
            timeout_prompts: self.prompts(t, "timeout_prompts"),
        }
    }

    fn schedule(&mut self, t: &Table<'_, '_>, service: &str) -> Option<NodeKind> {
        let service = self
            .string(t, "service")
            .map_or_else(|| service.to_owned(), |(name, _)| name);
        let open = self.target(t, "open", true).unwrap_or(UNRESOLVED);
        let closed = self.target(t, "closed", true).unwrap_or(UNRESOLVED);
        let draining = self.target(t, "draining", false).unwrap_or(closed);
        Some(NodeKind::Schedule {
            service,
            open,
            draining,
            closed,
            holiday: self.target(t, "holiday", false),
        })
    }

    fn branch(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let variable = self.variable_name(t, "variable", Use::Read);
        if variable.is_none() && !t.table.contains_key("variable") {
            self.missing(t, "variable");
        }
        let mut cases = Vec::new();
        match t.table.get("cases") {
            None => self.missing(t, "cases"),
            Some(entry) => match entry.get_ref().as_array() {
                None => self.wrong_type(
                    self.line(entry.span()),
                    "cases",
                    "an array of { equals | prefix | one_of, next } tables",
                ),
                Some(array) => {
                    for item in array.iter() {
                        if let Some(case) = self.case(item) {
                            cases.push(case);
                        }
                    }
                }
            },
        }
        Some(NodeKind::Branch {
            variable: variable.unwrap_or_default(),
            cases,
            default: self.target(t, "default", true).unwrap_or(UNRESOLVED),
        })
    }

    fn case(&mut self, item: Entry<'_, '_>) -> Option<(Match, usize)> {
        let line = self.line(item.span());
        let Some(table) = item.get_ref().as_table() else {
            self.wrong_type(line, "cases", "an array of tables");
            return None;
        };
        let t = Table {
            table,
            context: "a branch case".to_owned(),
            line,
        };
        self.check_fields(&t, &["equals", "prefix", "one_of", "next"]);
        let next = self.target(&t, "next", true).unwrap_or(UNRESOLVED);
        let matcher = match (
            self.string(&t, "equals"),
            self.string(&t, "prefix"),
            self.string_list(&t, "one_of"),
        ) {
            (Some((value, _)), None, None) => Match::Equals(value),
            (None, Some((value, _)), None) => Match::Prefix(value),
            (None, None, Some((values, _))) => Match::OneOf(values),
            _ => {
                self.bad_value(
                    line,
                    "cases",
                    "each case needs exactly one of equals, prefix, one_of".to_owned(),
                );
                return None;
            }
        };
        Some((matcher, next))
    }

    fn set(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let variable = self.variable_name(t, "variable", Use::Write);
        if variable.is_none() && !t.table.contains_key("variable") {
            self.missing(t, "variable");
        }
        let value = self.value(t, "value");
        if value.is_none() && !t.table.contains_key("value") {
            self.missing(t, "value");
        }
        Some(NodeKind::Set {
            variable: variable.unwrap_or_default(),
            value: value.unwrap_or(Value::Literal(String::new())),
            next: self.next(t),
        })
    }

    fn enqueue(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let queue = self.required_string(t, "queue");
        if let Some((queue, line)) = &queue
            && !self.known_queues.contains(&queue.as_str())
        {
            self.error(*line, ScriptErrorKind::UnknownQueue(queue.clone()));
        }
        let priority = self
            .integer(t, "priority", 0..=i64::from(u8::MAX))
            .unwrap_or(0);
        Some(NodeKind::Enqueue {
            queue: queue.map(|(queue, _)| queue).unwrap_or_default(),
            priority: u8::try_from(priority).unwrap_or(0),
        })
    }

    fn transfer(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let keys: Vec<&str> = ["extension", "office", "external"]
            .into_iter()
            .filter(|key| t.table.contains_key(*key))
            .collect();
        let on_fail = self.target(t, "on_fail", false);
        let destination = match keys.as_slice() {
            [key] => {
                let value = self.number_value(t, key)?;
                match *key {
                    "extension" => DestinationSpec::Extension(value),
                    "office" => DestinationSpec::Office(value),
                    _ => DestinationSpec::External(value),
                }
            }
            [] => {
                self.missing(t, "office");
                return None;
            }
            _ => {
                self.bad_value(
                    t.line,
                    "transfer",
                    "give exactly one of extension, office, external".to_owned(),
                );
                return None;
            }
        };
        Some(NodeKind::Transfer {
            destination,
            on_fail,
        })
    }

    fn voicemail(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let mailbox = self.required_string(t, "box");
        if let Some((name, line)) = &mailbox
            && name.is_empty()
        {
            self.bad_value(*line, "box", "the box name is empty".to_owned());
        }
        Some(NodeKind::Voicemail {
            mailbox: mailbox.map(|(name, _)| name).unwrap_or_default(),
            on_fail: self.target(t, "on_fail", false),
        })
    }

    fn callback(&mut self, t: &Table<'_, '_>) -> Option<NodeKind> {
        let number = if t.table.contains_key("number") {
            self.number_value(t, "number")?
        } else {
            Value::Variable("caller".to_owned())
        };
        Some(NodeKind::Callback {
            number,
            about: self.value(t, "about"),
            next: self.next(t),
        })
    }
}

/// The fields of a menu node besides `type`.
const MENU_FIELDS: [&str; 10] = [
    "prompts",
    "barge_in",
    "choices",
    "timeout_s",
    "retries",
    "on_timeout",
    "on_invalid",
    "on_exhausted",
    "invalid_prompts",
    "timeout_prompts",
];
/// The fields of a collect node besides `type`.
const COLLECT_FIELDS: [&str; 15] = [
    "prompts",
    "barge_in",
    "variable",
    "min_len",
    "max_len",
    "terminator",
    "prefixes",
    "timeout_s",
    "retries",
    "on_timeout",
    "on_invalid",
    "on_exhausted",
    "invalid_prompts",
    "timeout_prompts",
    "next",
];

/// Whether a variable is read or written by the field being parsed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Read,
    Write,
}

mod fields;

/// The DTMF key `text` names, when it is exactly one of 0-9, `*`, `#`.
pub(crate) fn single_dtmf(text: &str) -> Option<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Some(c),
        _ => None,
    }
}

/// Whether `name` is a variable name: ASCII letters, digits and `_`, not starting with a
/// digit.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Shorthand so `fields.rs` can name the span type.
type Span = Range<usize>;
