//! What the API asks of the running engine (the ACD task, the SIP core), as a trait the
//! binary implements over `call-runtime`, so this crate stays a thin HTTP shell
//! [CTI-2, ACD-5].

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

/// A boxed future (the trait is used as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An agent state change asked through the API (or the phone's feature codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCommand {
    /// Log in and become available.
    Ready,
    /// Pause with a reason code.
    Paused {
        /// The reason (`lunch`, `training`, `back office`…).
        reason: String,
    },
    /// Log out.
    LoggedOut,
}

impl AgentCommand {
    /// The API's name of the state.
    pub fn as_str(&self) -> &'static str {
        match self {
            AgentCommand::Ready => "ready",
            AgentCommand::Paused { .. } => "paused",
            AgentCommand::LoggedOut => "logged_out",
        }
    }
}

/// An agent as `GET /api/agents` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentView {
    /// Extension.
    pub extension: String,
    /// Display name.
    pub name: String,
    /// Support level (1 = I, 2 = II).
    pub level: u8,
    /// `logged_out`, `available`, `ringing`, `on_call`, `wrap_up`, `paused`.
    pub state: String,
    /// The pause reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds in the current state.
    pub state_seconds: u64,
    /// Whether the agent's phone is registered.
    pub registered: bool,
    /// Queue calls taken since login.
    pub calls_taken: u64,
    /// The queues the agent serves.
    pub queues: Vec<String>,
}

/// A queue as `GET /api/queues` shows it [CTI-5].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueView {
    /// Queue name.
    pub name: String,
    /// Callers waiting.
    pub waiting: usize,
    /// Wait of the first caller in line, seconds.
    pub longest_wait_seconds: u64,
    /// Member agents per state (`available`: 3, …).
    pub agents: std::collections::BTreeMap<String, usize>,
    /// Member agents by name with their state.
    pub members: Vec<QueueMember>,
    /// Calls waiting per logged-in agent (average load) [CTI-5].
    pub load_per_agent: f64,
    /// Answered and abandoned since start.
    pub answered: u64,
    /// Abandoned since start.
    pub abandoned: u64,
}

/// One member of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueMember {
    /// Extension.
    pub extension: String,
    /// Display name.
    pub name: String,
    /// State name.
    pub state: String,
}

/// A service (green number, switchboard) as `GET /api/services` shows it [IVR-8].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceView {
    /// `verde`, `centralino`.
    pub name: String,
    /// `open`, `draining` (closed to new callers, the queue empties) or `closed`.
    pub status: String,
    /// Why it is closed: `out_of_hours`, `holiday: NAME`, `closure: NAME`, `forced`, `night`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The supervisor's override: `auto`, `open`, `closed`, `night`.
    pub mode: String,
    /// When it opens next (RFC 3339 UTC), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_open: Option<String>,
}

/// A supervisor's override of a service's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceMode {
    /// Follow the schedule.
    Auto,
    /// Open whatever the schedule says.
    Open,
    /// Closed whatever the schedule says.
    Closed,
    /// Night mode (closed).
    Night,
}

/// A command for a live call (its number is the CTI events' `call`) [CTI-2, ACD-6].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveCommand {
    /// Hang up.
    Hangup,
    /// Move the caller and its ticket to another queue (level I → level II).
    TransferToQueue {
        /// The target queue.
        queue: String,
    },
}

/// Why the engine refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No such agent.
    #[error("no agent {0}")]
    UnknownAgent(String),
    /// No such service.
    #[error("no service {0}")]
    UnknownService(String),
    /// No live call with this number.
    #[error("no live call {0}")]
    UnknownCall(u64),
    /// The change is not possible now (e.g. logging out during a call).
    #[error("{0}")]
    Refused(String),
    /// The engine is stopping or its task is gone.
    #[error("the engine is not running")]
    Stopped,
}

/// The engine's side of the API.
pub trait EngineControl: Send + Sync + 'static {
    /// Changes an agent's state.
    fn set_agent_state(&self, extension: &str, command: AgentCommand) -> BoxFuture<'_, Result<AgentView, ControlError>>;
    /// Every configured agent.
    fn agents(&self) -> BoxFuture<'_, Vec<AgentView>>;
    /// Every queue.
    fn queues(&self) -> BoxFuture<'_, Vec<QueueView>>;
    /// Every service with its schedule state.
    fn services(&self) -> BoxFuture<'_, Vec<ServiceView>>;
    /// Sends a command to a live call; `by` is who asked.
    fn call_command(&self, call: u64, command: LiveCommand, by: &str) -> BoxFuture<'_, Result<(), ControlError>>;
    /// Forces a service open or closed, or back to its schedule [IVR-8].
    fn set_service_mode(&self, service: &str, mode: ServiceMode) -> BoxFuture<'_, Result<ServiceView, ControlError>>;
}
