//! Inputs to and outputs of the ACD core (the closed enums the ACD task exchanges with the shell) [ACD-1..7, IVR-5, TEL-6, CTI-3].

use std::time::Duration;

use crate::agent::AgentState;
use crate::config::{AgentId, CallId, ExitAction, QueueName};

/// Why an offer to an agent did not result in a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferFailure {
    /// The ring timed out; counts toward the automatic "no answer" pause.
    NoAnswer,
    /// The agent declined (486/603); the agent is not offered calls for the queue's reject delay.
    Rejected,
    /// The agent's phone could not be reached (408/480/503); counts like a no-answer so that a
    /// dead phone ends up paused.
    Unreachable,
}

/// Why a caller left its queue without being answered [ACD-7, TEL-6].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    MaxWait,
    MaxLength,
    NoAgents,
    Key,
}

/// Something that happened, fed to [`crate::Acd::handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcdInput {
    /// A caller enters a queue; higher priority is served first [ACD-1, ACD-7].
    CallerArrived {
        call: CallId,
        queue: QueueName,
        priority: u8,
    },
    /// The caller hung up while waiting or ringing (abandon); on a connected call it ends the call.
    CallerLeft {
        call: CallId,
    },
    /// The caller pressed a DTMF key while waiting.
    CallerKey {
        call: CallId,
        key: char,
    },
    /// The agent picked up: the caller leaves the queue, the agent is OnCall.
    OfferAnswered {
        call: CallId,
        agent: AgentId,
    },
    /// The shell reports that an offer failed (the engine's own ring timer needs no input).
    OfferFailed {
        call: CallId,
        agent: AgentId,
        reason: OfferFailure,
    },
    /// The bridged conversation ended: the agent goes to wrap-up.
    CallEnded {
        call: CallId,
    },
    AgentLogin {
        agent: AgentId,
    },
    AgentLogout {
        agent: AgentId,
    },
    AgentPause {
        agent: AgentId,
        reason: String,
    },
    AgentReady {
        agent: AgentId,
    },
    AgentExtendWrapUp {
        agent: AgentId,
        by: Duration,
    },
    /// Registration state of the agent's phone; an expired one pauses the agent with reason
    /// "unregistered" until it registers again.
    AgentRegistration {
        agent: AgentId,
        registered: bool,
    },
    /// The agent is on a direct or outbound call: never offered a queue call meanwhile.
    AgentBusyElsewhere {
        agent: AgentId,
        busy: bool,
    },
    /// The call (waiting, connected, or not yet known) enters this queue keeping its original
    /// arrival time [ACD-6].
    TransferToQueue {
        call: CallId,
        queue: QueueName,
        priority: u8,
    },
}

/// Something the shell must do or may report, drained with [`crate::Acd::poll_output`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcdOutput {
    /// Ring the agent for this caller; `waited` is the time since the original arrival [CTI-3].
    Offer {
        call: CallId,
        agent: AgentId,
        queue: QueueName,
        waited: Duration,
    },
    /// Stop ringing the agent (caller left, ring-all winner, ring timeout, agent left).
    CancelOffer {
        call: CallId,
        agent: AgentId,
    },
    /// The offer was answered; carries the wait and the wait announced on entry so the shell can
    /// store both and report the accuracy of the announcements [IVR-5].
    Connected {
        call: CallId,
        agent: AgentId,
        queue: QueueName,
        waited: Duration,
        announced_wait: Option<Duration>,
    },
    /// Tell the caller its position and expected wait [IVR-5].
    Announce {
        call: CallId,
        position: usize,
        expected_wait: Option<Duration>,
    },
    /// The caller's position changed (1-based).
    PositionChanged {
        call: CallId,
        position: usize,
    },
    /// The caller left the queue to this destination; the ACD forgets it.
    Exit {
        call: CallId,
        action: ExitAction,
        reason: ExitReason,
    },
    /// The caller overflowed to another queue and keeps waiting there.
    Moved {
        call: CallId,
        from: QueueName,
        to: QueueName,
        reason: ExitReason,
    },
    /// The caller chose a callback: the shell hangs up its leg; the caller keeps its place and,
    /// when an agent answers the later Offer, the shell dials the caller back [ACD-7].
    CallbackKept {
        call: CallId,
        position: usize,
    },
    /// An External exit was refused because the share cap is reached; the caller stays in its
    /// queue [TEL-6].
    OverflowRefused {
        call: CallId,
        destination: String,
        reason: ExitReason,
    },
    AgentStateChanged {
        agent: AgentId,
        state: AgentState,
    },
}
