//! Test harness for IVR transcript tests [IVR-1]: loads the shipped scripts with the real
//! prompt set and steps a run with virtual time, rendering actions as short strings.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use business_calendar::{ClosedReason, OverrideClosed, Status};
use ivr_script::{BargeIn, Destination, IvrAction, IvrInput, Run, Script, ScriptError, load};

/// The queues of the demo configuration.
pub const QUEUES: [&str; 3] = ["verde", "centralino", "livello2"];

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `prompts/<name>.wav` exists in the shipped set.
pub fn prompt_exists(name: &str) -> bool {
    !name.contains("..") && root().join("prompts").join(format!("{name}.wav")).is_file()
}

/// Loads `config/ivr/<file>` with the real prompts and the demo queues.
pub fn shipped(file: &str) -> Result<Script, Vec<ScriptError>> {
    let path = root().join("config/ivr").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    load(Path::new(file), &text, &prompt_exists, &QUEUES)
}

/// Loads an inline script with every prompt known.
pub fn inline(text: &str) -> Result<Script, Vec<ScriptError>> {
    load(Path::new("test.toml"), text, &|_| true, &QUEUES)
}

pub fn closed() -> Status {
    Status::Closed {
        reason: ClosedReason::OutOfHours,
        next_open: Some(1_700_000_000),
    }
}

pub fn holiday(name: &str) -> Status {
    Status::Closed {
        reason: ClosedReason::Holiday(name.to_owned()),
        next_open: None,
    }
}

pub fn night() -> Status {
    Status::Closed {
        reason: ClosedReason::Override(OverrideClosed::Night),
        next_open: None,
    }
}

pub fn draining() -> Status {
    Status::Draining {
        closes_at: 1_700_000_900,
    }
}

/// A caller on a run, with a virtual clock.
pub struct Caller {
    pub run: Run,
    pub now: Instant,
}

impl Caller {
    /// A caller from `number` on the shipped script `file`.
    pub fn on(file: &str, number: &str) -> Caller {
        let script = match shipped(file) {
            Ok(script) => script,
            Err(errors) => panic!("{file} does not load: {errors:?}"),
        };
        Caller::on_script(script, number)
    }

    pub fn on_script(script: Script, number: &str) -> Caller {
        let now = Instant::now();
        Caller {
            run: Run::new(Arc::new(script), number, now),
            now,
        }
    }

    /// Feeds an input and returns the actions it produced.
    pub fn send(&mut self, input: IvrInput) -> Vec<String> {
        self.run.handle(input, self.now);
        self.drain()
    }

    /// Keys a string of digits one by one; returns all actions.
    pub fn keys(&mut self, digits: &str) -> Vec<String> {
        let mut out = Vec::new();
        for digit in digits.chars() {
            out.extend(self.send(IvrInput::Digit(digit)));
        }
        out
    }

    pub fn done(&mut self) -> Vec<String> {
        self.send(IvrInput::PlaybackDone { completed: true })
    }

    pub fn stopped(&mut self) -> Vec<String> {
        self.send(IvrInput::PlaybackDone { completed: false })
    }

    /// Lets the pending timer expire (virtual time); panics if none runs.
    pub fn silence(&mut self) -> Vec<String> {
        let deadline = self.run.poll_timeout();
        assert!(deadline.is_some(), "no timer is running");
        if let Some(deadline) = deadline {
            self.now = deadline;
        }
        self.send(IvrInput::Timeout)
    }

    pub fn drain(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.run.poll_action())
            .map(|action| render(&action))
            .collect()
    }

    pub fn path(&self) -> Vec<&str> {
        self.run.path().iter().map(String::as_str).collect()
    }
}

/// A compact form of an action for transcripts.
pub fn render(action: &IvrAction) -> String {
    match action {
        IvrAction::Play { prompts, barge_in } => {
            let mark = match barge_in {
                BargeIn::Allowed => "play*",
                BargeIn::Disabled => "play",
            };
            format!("{mark} {}", prompts.join(" "))
        }
        IvrAction::StopPlayback => "stop".to_owned(),
        IvrAction::QuerySchedule { service } => format!("schedule? {service}"),
        IvrAction::MarkOperatorRequested => "mark".to_owned(),
        IvrAction::Enqueue { queue, priority } => format!("enqueue {queue} {priority}"),
        IvrAction::Voicemail { mailbox } => format!("voicemail {mailbox}"),
        IvrAction::Transfer { destination } => match destination {
            Destination::Extension(n) => format!("transfer extension {n}"),
            Destination::Office(n) => format!("transfer office {n}"),
            Destination::External(n) => format!("transfer external {n}"),
        },
        IvrAction::Callback { number, about } => {
            format!(
                "callback {number} about {}",
                about.as_deref().unwrap_or("-")
            )
        }
        IvrAction::Hangup => "hangup".to_owned(),
        IvrAction::Finished => "finished".to_owned(),
    }
}
