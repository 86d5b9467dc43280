//! The interpreter: one caller's walk through a [`Script`], stepped by the call task with
//! inputs and virtual time [IVR-1] [IVR-3] [IVR-6] [IVR-8] [IVR-9] [TEL-4] [VM-1].
//!
//! Sans-IO: [`Run::handle`] takes what happened (a playback ended, a key, the calendar's
//! answer, a timer), [`Run::poll_action`] drains what the call task must do, and
//! [`Run::poll_timeout`] says when to feed [`IvrInput::Timeout`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use business_calendar::{ClosedReason, Status};
use prompt_phrases::{Phrase, Prompt, PromptRef};

use crate::parse::single_dtmf;
use crate::script::{
    Attempts, BargeIn, Destination, DestinationSpec, Match, NodeKind, PromptItem, Script, Value,
};

/// How many nodes one input may walk through before the run gives up and hangs up. The
/// validator rejects loops without input, so only a bug could reach it.
pub const MAX_STEPS_PER_INPUT: u32 = 1_000;
/// How many type-ahead keys are kept; more are dropped.
pub const MAX_BUFFERED_DIGITS: usize = 32;

/// What the call task reports to the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrInput {
    /// The call is answered: start at the script's `start` node.
    Started,
    /// The last `Play` ended; `completed` is false when it was stopped (barge-in).
    PlaybackDone { completed: bool },
    /// The caller pressed a key (0-9, `*`, `#`; anything else is ignored).
    Digit(char),
    /// The calendar's answer to [`IvrAction::QuerySchedule`].
    CalendarStatus(Status),
    /// The deadline given by [`Run::poll_timeout`] has passed (a timeout fed before the
    /// deadline, or while no timer runs, is ignored).
    Timeout,
    /// The [`IvrAction::Transfer`] failed: busy, no answer, rejected [TEL-4].
    TransferFailed,
    /// The [`IvrAction::Voicemail`] could not record (mailbox full, store error).
    VoicemailFailed,
    /// The transfer was answered or the voicemail recorded: the run is over.
    HandedOff,
    /// The caller hung up.
    CallerHungUp,
}

/// What the run asks the call task to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrAction {
    /// Play these prompts (`it/benvenuto`) one after the other, then report
    /// [`IvrInput::PlaybackDone`].
    Play {
        prompts: Vec<String>,
        barge_in: BargeIn,
    },
    /// Stop the current playback (the caller pressed a key); report `PlaybackDone`.
    StopPlayback,
    /// Ask the calendar of `service`; answer with [`IvrInput::CalendarStatus`].
    QuerySchedule { service: String },
    /// Record in the register that the caller asked for an operator (TIQV, SLA-9).
    MarkOperatorRequested,
    /// Put the caller in an ACD queue; the run is over (`Finished` follows).
    Enqueue { queue: String, priority: u8 },
    /// Record a message into a group mailbox (the task plays the box greeting and the
    /// beep); report `HandedOff` or `VoicemailFailed` [VM-1].
    Voicemail { mailbox: String },
    /// Transfer the call; report `HandedOff` or `TransferFailed` [TEL-4].
    Transfer { destination: Destination },
    /// Open a return-call work item for `number` (about `about`, e.g. the office keyed)
    /// [TEL-4]. The script goes on (typically to a goodbye).
    Callback {
        number: String,
        about: Option<String>,
    },
    /// Hang up the call (`Finished` follows).
    Hangup,
    /// The script is over: drop the run.
    Finished,
}

/// One caller's execution state on a shared script.
#[derive(Debug, Clone)]
pub struct Run {
    script: Arc<Script>,
    state: State,
    actions: VecDeque<IvrAction>,
    variables: BTreeMap<String, String>,
    path: Vec<String>,
    buffer: VecDeque<char>,
    collected: String,
    failures: BTreeMap<usize, u32>,
    operator_requested: bool,
}

impl Run {
    /// A run for `caller` that starts on [`IvrInput::Started`].
    pub fn new(script: Arc<Script>, caller: &str, _now: Instant) -> Run {
        let mut variables = BTreeMap::new();
        variables.insert("caller".to_owned(), caller.to_owned());
        variables.insert("schedule".to_owned(), String::new());
        variables.insert("holiday".to_owned(), String::new());
        Run {
            script,
            state: State::NotStarted,
            actions: VecDeque::new(),
            variables,
            path: Vec::new(),
            buffer: VecDeque::new(),
            collected: String::new(),
            failures: BTreeMap::new(),
            operator_requested: false,
        }
    }

    /// Feeds one input; inputs that do not fit the current state are ignored.
    pub fn handle(&mut self, input: IvrInput, now: Instant) {
        if matches!(self.state, State::Finished) {
            return;
        }
        let next = match input {
            IvrInput::Started => match self.state {
                State::NotStarted => Some(self.script.start),
                _ => None,
            },
            IvrInput::PlaybackDone { .. } => match self.state {
                State::Playing { then, .. } => match then {
                    AfterPlay::Enter(node) => Some(node),
                    AfterPlay::Listen(node) => self.listen(node, now),
                },
                _ => None,
            },
            IvrInput::Digit(digit) => self.digit(digit, now),
            IvrInput::CalendarStatus(status) => match self.state {
                State::AwaitingSchedule { node } => self.schedule_answer(node, &status),
                _ => None,
            },
            IvrInput::Timeout => match self.state {
                State::Listening { node, deadline } if now >= deadline => self.timeout(node, now),
                _ => None,
            },
            IvrInput::TransferFailed => self.handoff_failed(Handoff::Transfer),
            IvrInput::VoicemailFailed => self.handoff_failed(Handoff::Voicemail),
            IvrInput::HandedOff => {
                if matches!(self.state, State::AwaitingHandoff { .. }) {
                    self.finish();
                }
                None
            }
            IvrInput::CallerHungUp => {
                self.finish();
                None
            }
        };
        self.walk(next, now);
    }

    /// The next action for the call task, in order; `None` when there is nothing to do.
    pub fn poll_action(&mut self) -> Option<IvrAction> {
        self.actions.pop_front()
    }

    /// When to feed [`IvrInput::Timeout`]; `None` while no timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Listening { deadline, .. } => Some(deadline),
            _ => None,
        }
    }

    /// The variables: `caller`, `schedule`, `holiday` and those set by the script.
    pub fn variables(&self) -> &BTreeMap<String, String> {
        &self.variables
    }

    /// The nodes entered so far, in order, repeated when entered again [IVR-9].
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// Whether the run is over (`Finished` was queued).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// Whether the caller asked for an operator (a `mark` or `enqueue` node ran).
    pub fn operator_requested(&self) -> bool {
        self.operator_requested
    }

    /// The script this run follows (the version it started on).
    pub fn script(&self) -> &Arc<Script> {
        &self.script
    }
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Playing {
        then: AfterPlay,
        barge_in: BargeIn,
        stopping: bool,
    },
    Listening {
        node: usize,
        deadline: Instant,
    },
    AwaitingSchedule {
        node: usize,
    },
    AwaitingHandoff {
        node: usize,
        kind: Handoff,
    },
    Finished,
}

/// What follows a playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterPlay {
    /// Enter this node.
    Enter(usize),
    /// Wait for keys on this menu or collect node.
    Listen(usize),
}

/// Which hand-off is pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handoff {
    Transfer,
    Voicemail,
}

/// Why a menu or collect node did not get a valid answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Timeout,
    Invalid,
}

/// The outcome of one key on a collect node.
enum Collected {
    Enter(usize),
    Waiting,
    More,
}

impl Run {
    /// Enters nodes until one waits; bounded by [`MAX_STEPS_PER_INPUT`].
    fn walk(&mut self, mut next: Option<usize>, now: Instant) {
        let mut steps = 0u32;
        while let Some(node) = next {
            steps = steps.saturating_add(1);
            if steps > MAX_STEPS_PER_INPUT {
                self.hang_up();
                return;
            }
            next = self.enter(node, now);
        }
    }

    /// Runs one node; returns the node to enter next, or `None` when waiting or over.
    fn enter(&mut self, index: usize, now: Instant) -> Option<usize> {
        let script = Arc::clone(&self.script);
        let Some(node) = script.nodes.get(index) else {
            self.hang_up();
            return None;
        };
        self.path.push(node.name.clone());
        match &node.kind {
            NodeKind::Play {
                prompts,
                barge_in,
                next,
            } => self.play(prompts, *barge_in, AfterPlay::Enter(*next), now),
            NodeKind::Menu {
                prompts, barge_in, ..
            } => {
                if self.buffer.is_empty() {
                    self.play(prompts, *barge_in, AfterPlay::Listen(index), now)
                } else {
                    self.listen(index, now)
                }
            }
            NodeKind::Collect {
                prompts, barge_in, ..
            } => {
                self.collected.clear();
                if self.buffer.is_empty() {
                    self.play(prompts, *barge_in, AfterPlay::Listen(index), now)
                } else {
                    self.listen(index, now)
                }
            }
            NodeKind::Schedule { service, .. } => {
                self.push(IvrAction::QuerySchedule {
                    service: service.clone(),
                });
                self.state = State::AwaitingSchedule { node: index };
                None
            }
            NodeKind::Branch {
                variable,
                cases,
                default,
            } => {
                let value = self.variables.get(variable).map_or("", String::as_str);
                let hit = cases.iter().find(|(matcher, _)| match matcher {
                    Match::Equals(text) => value == text,
                    Match::Prefix(prefix) => value.starts_with(prefix.as_str()),
                    Match::OneOf(list) => list.iter().any(|text| text == value),
                });
                Some(hit.map_or(*default, |(_, target)| *target))
            }
            NodeKind::Set {
                variable,
                value,
                next,
            } => {
                let value = self.resolve(value);
                self.variables.insert(variable.clone(), value);
                Some(*next)
            }
            NodeKind::Mark { next } => {
                self.mark();
                Some(*next)
            }
            NodeKind::Enqueue { queue, priority } => {
                self.mark();
                self.push(IvrAction::Enqueue {
                    queue: queue.clone(),
                    priority: *priority,
                });
                self.finish();
                None
            }
            NodeKind::Transfer {
                destination,
                on_fail,
            } => {
                let (make, value): (fn(String) -> Destination, _) = match destination {
                    DestinationSpec::Extension(value) => (Destination::Extension, value),
                    DestinationSpec::Office(value) => (Destination::Office, value),
                    DestinationSpec::External(value) => (Destination::External, value),
                };
                let number = self.resolve(value);
                if number.is_empty() {
                    return self.fail_handoff(*on_fail);
                }
                self.push(IvrAction::Transfer {
                    destination: make(number),
                });
                self.state = State::AwaitingHandoff {
                    node: index,
                    kind: Handoff::Transfer,
                };
                None
            }
            NodeKind::Voicemail { mailbox, .. } => {
                self.push(IvrAction::Voicemail {
                    mailbox: mailbox.clone(),
                });
                self.state = State::AwaitingHandoff {
                    node: index,
                    kind: Handoff::Voicemail,
                };
                None
            }
            NodeKind::Callback {
                number,
                about,
                next,
            } => {
                let number = self.resolve(number);
                if !number.is_empty() {
                    let about = about.as_ref().map(|about| self.resolve(about));
                    self.push(IvrAction::Callback { number, about });
                }
                Some(*next)
            }
            NodeKind::Hangup => {
                self.hang_up();
                None
            }
        }
    }

    /// Plays `items` and continues with `then`; with nothing to say, continues at once.
    fn play(
        &mut self,
        items: &[PromptItem],
        barge_in: BargeIn,
        then: AfterPlay,
        now: Instant,
    ) -> Option<usize> {
        let prompts = self.render(items);
        if prompts.is_empty() {
            return match then {
                AfterPlay::Enter(node) => Some(node),
                AfterPlay::Listen(node) => self.listen(node, now),
            };
        }
        self.push(IvrAction::Play { prompts, barge_in });
        self.state = State::Playing {
            then,
            barge_in,
            stopping: false,
        };
        None
    }

    /// Waits for keys on a menu or collect node, consuming type-ahead keys first.
    fn listen(&mut self, index: usize, now: Instant) -> Option<usize> {
        let script = Arc::clone(&self.script);
        let Some(node) = script.nodes.get(index) else {
            self.hang_up();
            return None;
        };
        let attempts = match &node.kind {
            NodeKind::Menu {
                choices, attempts, ..
            } => {
                if let Some(digit) = self.buffer.pop_front() {
                    if let Some(target) = choices.get(&digit) {
                        self.failures.remove(&index);
                        return Some(*target);
                    }
                    return self.fail(index, attempts, Failure::Invalid, now);
                }
                attempts
            }
            NodeKind::Collect { attempts, .. } => {
                while let Some(digit) = self.buffer.pop_front() {
                    match self.collect_digit(index, digit, now) {
                        Collected::Enter(target) => return Some(target),
                        Collected::Waiting => return None,
                        Collected::More => {}
                    }
                }
                attempts
            }
            _ => return Some(index),
        };
        self.state = State::Listening {
            node: index,
            deadline: now.checked_add(attempts.timeout).unwrap_or(now),
        };
        None
    }

    /// Adds one key to a collect node's digits.
    fn collect_digit(&mut self, index: usize, digit: char, now: Instant) -> Collected {
        let script = Arc::clone(&self.script);
        let Some(NodeKind::Collect {
            terminator,
            max_len,
            ..
        }) = script.nodes.get(index).map(|node| &node.kind)
        else {
            return Collected::Waiting;
        };
        if *terminator == Some(digit) {
            return self.finish_collect(index, now);
        }
        self.collected.push(digit);
        if self.collected.len() >= *max_len {
            return self.finish_collect(index, now);
        }
        Collected::More
    }

    /// Checks the digits gathered by a collect node and goes on or fails.
    fn finish_collect(&mut self, index: usize, now: Instant) -> Collected {
        let script = Arc::clone(&self.script);
        let Some(NodeKind::Collect {
            variable,
            min_len,
            max_len,
            prefixes,
            attempts,
            next,
            ..
        }) = script.nodes.get(index).map(|node| &node.kind)
        else {
            return Collected::Waiting;
        };
        let digits = std::mem::take(&mut self.collected);
        let length_ok = (*min_len..=*max_len).contains(&digits.len());
        let prefix_ok =
            prefixes.is_empty() || prefixes.iter().any(|p| digits.starts_with(p.as_str()));
        if length_ok && prefix_ok {
            self.failures.remove(&index);
            self.variables.insert(variable.clone(), digits);
            return Collected::Enter(*next);
        }
        match self.fail(index, attempts, Failure::Invalid, now) {
            Some(target) => Collected::Enter(target),
            None => Collected::Waiting,
        }
    }

    /// A key from the caller.
    fn digit(&mut self, digit: char, now: Instant) -> Option<usize> {
        single_dtmf(&digit.to_string())?;
        match self.state {
            State::Playing {
                then,
                barge_in: BargeIn::Allowed,
                stopping,
            } => {
                if self.buffer.len() < MAX_BUFFERED_DIGITS {
                    self.buffer.push_back(digit);
                }
                if !stopping {
                    self.state = State::Playing {
                        then,
                        barge_in: BargeIn::Allowed,
                        stopping: true,
                    };
                    self.push(IvrAction::StopPlayback);
                }
                None
            }
            State::Listening { node, .. } => {
                if self.buffer.len() < MAX_BUFFERED_DIGITS {
                    self.buffer.push_back(digit);
                }
                self.listen(node, now)
            }
            _ => None,
        }
    }

    /// The listening timer of a menu or collect node expired.
    fn timeout(&mut self, index: usize, now: Instant) -> Option<usize> {
        let script = Arc::clone(&self.script);
        match script.nodes.get(index).map(|node| &node.kind) {
            Some(NodeKind::Menu { attempts, .. }) => {
                self.fail(index, attempts, Failure::Timeout, now)
            }
            Some(NodeKind::Collect {
                attempts, min_len, ..
            }) => {
                if self.collected.is_empty() {
                    self.fail(index, attempts, Failure::Timeout, now)
                } else if self.collected.len() >= *min_len {
                    match self.finish_collect(index, now) {
                        Collected::Enter(target) => Some(target),
                        Collected::Waiting | Collected::More => None,
                    }
                } else {
                    self.collected.clear();
                    self.fail(index, attempts, Failure::Invalid, now)
                }
            }
            _ => None,
        }
    }

    /// Counts a failure of a menu or collect node and takes its branch: the timeout or
    /// invalid branch (default: the node again) while failures ≤ retries, then
    /// `on_exhausted`.
    fn fail(
        &mut self,
        index: usize,
        attempts: &Attempts,
        failure: Failure,
        now: Instant,
    ) -> Option<usize> {
        self.buffer.clear();
        self.collected.clear();
        let count = self.failures.entry(index).or_insert(0);
        *count = count.saturating_add(1);
        if *count > attempts.retries {
            self.failures.remove(&index);
            return Some(attempts.on_exhausted);
        }
        let (target, prompts) = match failure {
            Failure::Timeout => (attempts.on_timeout, &attempts.timeout_prompts),
            Failure::Invalid => (attempts.on_invalid, &attempts.invalid_prompts),
        };
        let target = target.unwrap_or(index);
        self.play(prompts, BargeIn::Disabled, AfterPlay::Enter(target), now)
    }

    /// Takes the branch for the calendar's answer.
    fn schedule_answer(&mut self, index: usize, status: &Status) -> Option<usize> {
        let script = Arc::clone(&self.script);
        let Some(NodeKind::Schedule {
            open,
            draining,
            closed,
            holiday,
            ..
        }) = script.nodes.get(index).map(|node| &node.kind)
        else {
            return None;
        };
        let (state, day_off, target) = match status {
            Status::Open => ("open", "", *open),
            Status::Draining { .. } => ("draining", "", *draining),
            Status::Closed {
                reason: ClosedReason::Holiday(name) | ClosedReason::Closure(name),
                ..
            } => ("closed", name.as_str(), holiday.unwrap_or(*closed)),
            Status::Closed { .. } => ("closed", "", *closed),
        };
        self.variables
            .insert("schedule".to_owned(), state.to_owned());
        self.variables
            .insert("holiday".to_owned(), day_off.to_owned());
        Some(target)
    }

    /// A transfer or voicemail failed: its `on_fail` branch, or hang up.
    fn handoff_failed(&mut self, failed: Handoff) -> Option<usize> {
        let State::AwaitingHandoff { node, kind } = self.state else {
            return None;
        };
        if kind != failed {
            return None;
        }
        let on_fail = match self.script.nodes.get(node).map(|node| &node.kind) {
            Some(NodeKind::Transfer { on_fail, .. } | NodeKind::Voicemail { on_fail, .. }) => {
                *on_fail
            }
            _ => None,
        };
        self.fail_handoff(on_fail)
    }

    fn fail_handoff(&mut self, on_fail: Option<usize>) -> Option<usize> {
        if on_fail.is_none() {
            self.hang_up();
        }
        on_fail
    }

    /// The prompt names for a prompt list, with variables said in the script's language.
    fn render(&self, items: &[PromptItem]) -> Vec<String> {
        let language = self.script.language;
        let value = |name: &String| self.variables.get(name).map_or("", String::as_str);
        let mut out = Vec::new();
        for item in items {
            let said = match item {
                PromptItem::Fixed(name) => {
                    out.push(name.clone());
                    continue;
                }
                PromptItem::Number(name) => value(name)
                    .parse::<u32>()
                    .map(|n| prompt_phrases::say_number(language, n))
                    .unwrap_or_default(),
                PromptItem::Digits(name) => {
                    // Separators such as `+` or spaces are skipped, not said.
                    let keys: String = value(name)
                        .chars()
                        .filter(|c| single_dtmf(&c.to_string()).is_some())
                        .collect();
                    prompt_phrases::say_digits(language, &keys).unwrap_or_default()
                }
                PromptItem::Duration(name) => value(name)
                    .parse::<u32>()
                    .map(|secs| prompt_phrases::duration(language, secs))
                    .unwrap_or_default(),
                PromptItem::Time(name) => time_of_day(language, value(name)),
            };
            out.extend(said.iter().map(PromptRef::path));
        }
        out
    }

    /// The text of a literal or the value of a variable (empty when unset).
    fn resolve(&self, value: &Value) -> String {
        match value {
            Value::Literal(text) => text.clone(),
            Value::Variable(name) => self.variables.get(name).cloned().unwrap_or_default(),
        }
    }

    fn mark(&mut self) {
        if !self.operator_requested {
            self.operator_requested = true;
            self.push(IvrAction::MarkOperatorRequested);
        }
    }

    fn hang_up(&mut self) {
        if !matches!(self.state, State::Finished) {
            self.push(IvrAction::Hangup);
            self.finish();
        }
    }

    fn finish(&mut self) {
        if !matches!(self.state, State::Finished) {
            self.push(IvrAction::Finished);
            self.state = State::Finished;
        }
    }

    fn push(&mut self, action: IvrAction) {
        self.actions.push_back(action);
    }
}

/// Says `HH:MM` as "nine" or "nine and thirty"; nothing when malformed.
fn time_of_day(language: prompt_phrases::Language, text: &str) -> Vec<PromptRef> {
    let Some((hour, minute)) = text.split_once(':') else {
        return Vec::new();
    };
    let (Ok(hour), Ok(minute)) = (hour.parse::<u32>(), minute.parse::<u32>()) else {
        return Vec::new();
    };
    if hour > 24 || minute > 59 {
        return Vec::new();
    }
    let mut out = prompt_phrases::say_number(language, hour);
    if minute > 0 {
        out.push(PromptRef::new(language, Prompt::Phrase(Phrase::E)));
        out.extend(prompt_phrases::say_number(language, minute));
    }
    out
}
