//! Typed field access on a node's TOML table, with one error per bad field and its line
//! [IVR-1] (missing prompt, undefined node, missing or unknown fields).

use toml::de::DeValue;

use super::{Entry, Loader, Span, Table, UNRESOLVED, Use, is_variable_name};
use crate::error::{ScriptError, ScriptErrorKind};
use crate::script::{BargeIn, PromptItem, Value};

impl Loader<'_> {
    /// The 1-based line of a byte offset's span.
    pub(super) fn line(&self, span: Span) -> usize {
        let before = self.text.as_bytes().iter().take(span.start);
        before
            .filter(|byte| **byte == b'\n')
            .count()
            .saturating_add(1)
    }

    /// The line of `key` in `t`, or of the table's header when it is absent.
    pub(super) fn field_line(&self, t: &Table<'_, '_>, key: &str) -> usize {
        t.table
            .get_key_value(key)
            .map_or(t.line, |(key, _)| self.line(key.span()))
    }

    pub(super) fn error(&mut self, line: usize, kind: ScriptErrorKind) {
        self.errors.push(ScriptError {
            file: self.file.to_path_buf(),
            line,
            kind,
        });
    }

    pub(super) fn missing(&mut self, t: &Table<'_, '_>, field: &'static str) {
        let context = t.context.clone();
        self.error(t.line, ScriptErrorKind::MissingField { context, field });
    }

    pub(super) fn wrong_type(&mut self, line: usize, field: &str, expected: &'static str) {
        let field = field.to_owned();
        self.error(line, ScriptErrorKind::WrongType { field, expected });
    }

    pub(super) fn bad_value(&mut self, line: usize, field: &str, reason: String) {
        let field = field.to_owned();
        self.error(line, ScriptErrorKind::BadValue { field, reason });
    }

    /// Reports every key of `t` that is not in `allowed`.
    pub(super) fn check_fields(&mut self, t: &Table<'_, '_>, allowed: &[&str]) {
        let unknown: Vec<(usize, String)> = t
            .table
            .iter()
            .filter(|(key, _)| !allowed.contains(&key.get_ref().as_ref()))
            .map(|(key, _)| (self.line(key.span()), key.get_ref().to_string()))
            .collect();
        for (line, field) in unknown {
            let context = t.context.clone();
            self.error(line, ScriptErrorKind::UnknownField { context, field });
        }
    }

    /// A string field and its line; a value of another type is reported.
    pub(super) fn string(&mut self, t: &Table<'_, '_>, key: &str) -> Option<(String, usize)> {
        let entry = t.table.get(key)?;
        let line = self.line(entry.span());
        match entry.get_ref().as_str() {
            Some(text) => Some((text.to_owned(), line)),
            None => {
                self.wrong_type(line, key, "a string");
                None
            }
        }
    }

    /// A string field that must be present.
    pub(super) fn required_string(
        &mut self,
        t: &Table<'_, '_>,
        key: &'static str,
    ) -> Option<(String, usize)> {
        if !t.table.contains_key(key) {
            self.missing(t, key);
        }
        self.string(t, key)
    }

    /// An integer field within `range`.
    pub(super) fn integer(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let entry = t.table.get(key)?;
        let line = self.line(entry.span());
        let Some(integer) = entry.get_ref().as_integer() else {
            self.wrong_type(line, key, "an integer");
            return None;
        };
        match i64::from_str_radix(integer.as_str(), integer.radix()) {
            Ok(value) if range.contains(&value) => Some(value),
            _ => {
                let reason = format!("must be in {}..={}", range.start(), range.end());
                self.bad_value(line, key, reason);
                None
            }
        }
    }

    /// `barge_in = true | false`, or `default` when absent.
    pub(super) fn barge_in(&mut self, t: &Table<'_, '_>, default: BargeIn) -> BargeIn {
        let Some(entry) = t.table.get("barge_in") else {
            return default;
        };
        match entry.get_ref() {
            DeValue::Boolean(true) => BargeIn::Allowed,
            DeValue::Boolean(false) => BargeIn::Disabled,
            _ => {
                self.wrong_type(self.line(entry.span()), "barge_in", "true or false");
                default
            }
        }
    }

    /// An array of strings and the line of the array.
    pub(super) fn string_list(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
    ) -> Option<(Vec<String>, usize)> {
        let entry = t.table.get(key)?;
        let line = self.line(entry.span());
        let strings = entry.get_ref().as_array().and_then(|array| {
            array
                .iter()
                .map(|item| item.get_ref().as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        if strings.is_none() {
            self.wrong_type(line, key, "an array of strings");
        }
        strings.map(|strings| (strings, line))
    }

    /// A prompt list: `"it/name"` recorded prompts (checked against the store) and
    /// `"number:VAR"`, `"digits:VAR"`, `"duration:VAR"`, `"time:VAR"` items.
    pub(super) fn prompts(&mut self, t: &Table<'_, '_>, key: &str) -> Vec<PromptItem> {
        let Some(entry) = t.table.get(key) else {
            return Vec::new();
        };
        let Some(array) = entry.get_ref().as_array() else {
            self.wrong_type(self.line(entry.span()), key, "an array of prompt names");
            return Vec::new();
        };
        let mut prompts = Vec::new();
        for item in array.iter() {
            let line = self.line(item.span());
            let Some(text) = item.get_ref().as_str() else {
                self.wrong_type(line, key, "an array of prompt names");
                continue;
            };
            if let Some((kind, variable)) = text.split_once(':') {
                let make = match kind {
                    "number" => PromptItem::Number,
                    "digits" => PromptItem::Digits,
                    "duration" => PromptItem::Duration,
                    "time" => PromptItem::Time,
                    _ => {
                        let reason =
                            format!("{text:?}: say with number:, digits:, duration: or time:");
                        self.bad_value(line, key, reason);
                        continue;
                    }
                };
                if self.use_variable(variable, line, Use::Read, key) {
                    prompts.push(make(variable.to_owned()));
                }
            } else if (self.known_prompts)(text) {
                prompts.push(PromptItem::Fixed(text.to_owned()));
            } else {
                self.error(line, ScriptErrorKind::MissingPrompt(text.to_owned()));
            }
        }
        prompts
    }

    /// A field naming a variable (`variable = "interno"`, `say_number = "n"`).
    pub(super) fn variable_name(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        usage: Use,
    ) -> Option<String> {
        let (name, line) = self.string(t, key)?;
        self.use_variable(&name, line, usage, key).then_some(name)
    }

    /// A literal or `$variable` string field.
    pub(super) fn value(&mut self, t: &Table<'_, '_>, key: &str) -> Option<Value> {
        let (text, line) = self.string(t, key)?;
        match text.strip_prefix('$') {
            Some(name) => self
                .use_variable(name, line, Use::Read, key)
                .then(|| Value::Variable(name.to_owned())),
            None => Some(Value::Literal(text)),
        }
    }

    /// A phone number or extension: a `$variable` or a literal of 0-9, `*`, `#`, `+`.
    pub(super) fn number_value(&mut self, t: &Table<'_, '_>, key: &'static str) -> Option<Value> {
        let value = self.value(t, key)?;
        if let Value::Literal(text) = &value {
            let ok = !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'));
            if !ok {
                let line = self.field_line(t, key);
                let reason = format!("{text:?} is not a number (digits, *, #, +) nor a $variable");
                self.bad_value(line, key, reason);
                return None;
            }
        }
        Some(value)
    }

    /// The required `next` target.
    pub(super) fn next(&mut self, t: &Table<'_, '_>) -> usize {
        self.target(t, "next", true).unwrap_or(UNRESOLVED)
    }

    /// A node reference; `None` when absent (reported if `required`) or undefined.
    pub(super) fn target(
        &mut self,
        t: &Table<'_, '_>,
        key: &'static str,
        required: bool,
    ) -> Option<usize> {
        match t.table.get(key) {
            Some(entry) => self.resolve(entry, key),
            None => {
                if required {
                    self.missing(t, key);
                    self.graph_complete = false;
                }
                None
            }
        }
    }

    /// Resolves a node name; reports non-strings and undefined names.
    pub(super) fn resolve(&mut self, entry: Entry<'_, '_>, field: &str) -> Option<usize> {
        let line = self.line(entry.span());
        let Some(name) = entry.get_ref().as_str() else {
            self.wrong_type(line, field, "a node name");
            self.graph_complete = false;
            return None;
        };
        let target = self.names.get(name).copied();
        if target.is_none() {
            self.error(line, ScriptErrorKind::UndefinedNode(name.to_owned()));
            self.graph_complete = false;
        }
        target
    }

    /// Checks a variable name and records its use; false when the name is malformed.
    fn use_variable(&mut self, name: &str, line: usize, usage: Use, field: &str) -> bool {
        if !is_variable_name(name) {
            let reason = format!("{name:?} is not a variable name (letters, digits, _)");
            self.bad_value(line, field, reason);
            return false;
        }
        match usage {
            Use::Read => self.variables_used.push((name.to_owned(), line)),
            Use::Write => {
                self.variables_set.insert(name.to_owned());
            }
        }
        true
    }
}
