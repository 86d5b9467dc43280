//! Errors of the ACD core: configuration rejected at load and inputs the engine refuses [ACD-1..7].

use crate::config::{AgentId, CallId, QueueName};

/// A configuration that cannot be loaded; every variant names the offending item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdConfigError {
    #[error("an agent or queue has an empty name")]
    EmptyName,
    #[error("queue {0} is defined more than once")]
    DuplicateQueue(QueueName),
    #[error("agent {0} is defined more than once")]
    DuplicateAgent(AgentId),
    #[error("queue {queue} lists unknown agent {agent}")]
    UnknownAgent { queue: QueueName, agent: AgentId },
    #[error("queue {queue} lists agent {agent} more than once")]
    DuplicateMember { queue: QueueName, agent: AgentId },
    #[error("queue {queue} overflows to unknown queue {target}")]
    UnknownTargetQueue { queue: QueueName, target: QueueName },
    #[error("queue {0} overflows to itself")]
    SelfOverflow(QueueName),
    #[error("queue {queue}: {field} {reason}")]
    InvalidValue {
        queue: QueueName,
        field: &'static str,
        reason: &'static str,
    },
    #[error("agent {agent} has invalid level {level} (must be at least 1)")]
    InvalidAgentLevel { agent: AgentId, level: u8 },
    #[error("external share cap {0}% is above 100%")]
    InvalidExternalShare(u8),
}

/// An input the engine refused; the state is unchanged. All are misuse by the caller of the
/// core (usually a race the shell can log and ignore).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdError {
    #[error("unknown call {0:?}")]
    UnknownCall(CallId),
    #[error("call {0:?} is already known to the ACD")]
    DuplicateCall(CallId),
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    #[error("unknown queue {0}")]
    UnknownQueue(QueueName),
    #[error("call {call:?} is not being offered to agent {agent}")]
    NoSuchOffer { call: CallId, agent: AgentId },
    #[error("agent {0} is not logged in")]
    AgentNotLoggedIn(AgentId),
    #[error("agent {0} is not in wrap-up")]
    AgentNotInWrapUp(AgentId),
    #[error("agent {0} is not registered")]
    AgentUnregistered(AgentId),
}
