//! ACD identifiers and configuration (queues, members, agents, exit actions) with load-time validation [ACD-1..3, ACD-6, ACD-7, IVR-5, TEL-6].

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use crate::error::AcdConfigError;

/// Identifier of one call known to the ACD (assigned by the shell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// Identifier of an agent: its extension, e.g. "2001".
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(pub String);

/// Name of a queue, e.g. "verde".
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueName(pub String);

impl AgentId {
    /// Builds an agent id from anything string-like.
    pub fn new(id: impl Into<String>) -> Self {
        AgentId(id.into())
    }
}

impl QueueName {
    /// Builds a queue name from anything string-like.
    pub fn new(name: impl Into<String>) -> Self {
        QueueName(name.into())
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a queue picks among its free members [ACD-2, ACD-3].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// The member that has been Available the longest (idle clock starts when the agent becomes Available).
    LongestIdle,
    /// The first free member in configured member order.
    Linear,
    /// The first free member after the one offered last in this queue, cyclically.
    RoundRobin,
    /// The member with the fewest calls answered since login (ties: longest idle).
    FewestCalls,
    /// Every free member at once; the first to answer wins.
    RingAll,
}

/// One member of a queue. Members with a lower penalty are offered first; a higher
/// penalty tier is used only when no member of a lower tier is free.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub agent: AgentId,
    pub penalty: u32,
}

/// Where a caller goes when it leaves a queue without being answered [ACD-7, TEL-6].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitAction {
    /// Leave a message in this voice box.
    Voicemail(String),
    /// Continue waiting in another queue, keeping the original arrival time.
    Queue(QueueName),
    /// Send to an external destination (the secondary site), subject to the share cap [TEL-6].
    External(String),
    /// Play this prompt and hang up.
    MessageAndHangup(String),
    /// Keep the caller's place and call it back: the caller hangs up; when its turn comes the
    /// agent is offered the call first and the shell then dials the caller. Valid for the exit
    /// key and max wait only.
    Callback,
}

/// Configuration of one queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    pub name: QueueName,
    pub strategy: Strategy,
    pub members: Vec<Member>,
    /// Cross-queue weight (at least 1): a caller's wait is multiplied by it when callers of
    /// different queues compete for the same agent.
    pub weight: u32,
    /// Minimum agent level required (level I = 1, level II = 2) [ACD-6].
    pub required_level: Option<u8>,
    /// After this wait in the queue the level requirement is dropped.
    pub widen_after: Option<Duration>,
    /// An offer rings this long, then the next agent is tried.
    pub ring_timeout: Duration,
    /// After-call work time.
    pub wrap_up: Duration,
    /// Period of visible-queue announcements; one is also due on entry [IVR-5].
    pub announce_every: Option<Duration>,
    /// Handle time (talk plus wrap-up) assumed before any call has been measured.
    pub initial_handle_time: Duration,
    /// Answered within this wait counts toward the service level [CTI-5].
    pub service_level_target: Duration,
    pub max_wait: Option<(Duration, ExitAction)>,
    pub max_length: Option<(usize, ExitAction)>,
    /// Applied on arrival and when the last member logs out or unregisters.
    pub when_no_agents: Option<ExitAction>,
    /// A DTMF key that leaves the queue during the wait.
    pub exit_key: Option<(char, ExitAction)>,
    /// After an agent rejects (486/603) it is not offered any call for this long.
    pub reject_delay: Duration,
    /// After this many consecutive no-answers the agent is paused with reason "no answer" (0 disables).
    pub max_no_answer: u32,
}

impl QueueConfig {
    /// A queue with the documented defaults: weight 1, ring 15 s, wrap-up 10 s, no announcements,
    /// initial handle time 180 s, service level target 20 s, reject delay 10 s, 3 no-answers,
    /// no level requirement and no exits. Members get penalty 0.
    pub fn new(name: &str, strategy: Strategy, members: &[&str]) -> Self {
        QueueConfig {
            name: QueueName::new(name),
            strategy,
            members: members
                .iter()
                .map(|m| Member {
                    agent: AgentId::new(*m),
                    penalty: 0,
                })
                .collect(),
            weight: 1,
            required_level: None,
            widen_after: None,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(10),
            announce_every: None,
            initial_handle_time: Duration::from_secs(180),
            service_level_target: Duration::from_secs(20),
            max_wait: None,
            max_length: None,
            when_no_agents: None,
            exit_key: None,
            reject_delay: Duration::from_secs(10),
            max_no_answer: 3,
        }
    }
}

/// Configuration of one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentConfig {
    pub id: AgentId,
    pub name: String,
    /// Level I = 1, level II = 2 [ACD-6]; must be at least 1.
    pub level: u8,
}

impl AgentConfig {
    /// Builds an agent configuration.
    pub fn new(id: &str, name: &str, level: u8) -> Self {
        AgentConfig {
            id: AgentId::new(id),
            name: name.to_owned(),
            level,
        }
    }
}

/// Configuration of the whole ACD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcdConfig {
    pub queues: Vec<QueueConfig>,
    pub agents: Vec<AgentConfig>,
    /// At most this share of the calls that arrived may leave to an External action [TEL-6].
    pub external_share_cap_percent: u8,
    /// The share is computed over the arrivals and external exits of this rolling window.
    pub external_share_window: Duration,
}

impl AcdConfig {
    /// An ACD with the default external share cap (30 % over a rolling hour) [TEL-6].
    pub fn new(queues: Vec<QueueConfig>, agents: Vec<AgentConfig>) -> Self {
        AcdConfig {
            queues,
            agents,
            external_share_cap_percent: 30,
            external_share_window: Duration::from_secs(3600),
        }
    }

    /// Checks the references and values; the first problem found is returned.
    pub fn validate(&self) -> Result<(), AcdConfigError> {
        if self.external_share_cap_percent > 100 {
            return Err(AcdConfigError::InvalidExternalShare(
                self.external_share_cap_percent,
            ));
        }
        let mut agents = HashSet::new();
        for agent in &self.agents {
            if agent.id.0.is_empty() {
                return Err(AcdConfigError::EmptyName);
            }
            if !agents.insert(&agent.id) {
                return Err(AcdConfigError::DuplicateAgent(agent.id.clone()));
            }
            if agent.level == 0 {
                return Err(AcdConfigError::InvalidAgentLevel {
                    agent: agent.id.clone(),
                    level: agent.level,
                });
            }
        }
        let mut queues = HashSet::new();
        for queue in &self.queues {
            if queue.name.0.is_empty() {
                return Err(AcdConfigError::EmptyName);
            }
            if !queues.insert(&queue.name) {
                return Err(AcdConfigError::DuplicateQueue(queue.name.clone()));
            }
        }
        for queue in &self.queues {
            validate_queue(queue, &agents, &queues)?;
        }
        Ok(())
    }
}

fn validate_queue(
    queue: &QueueConfig,
    agents: &HashSet<&AgentId>,
    queues: &HashSet<&QueueName>,
) -> Result<(), AcdConfigError> {
    let invalid = |field: &'static str, reason: &'static str| AcdConfigError::InvalidValue {
        queue: queue.name.clone(),
        field,
        reason,
    };
    let mut members = HashSet::new();
    for member in &queue.members {
        if !agents.contains(&member.agent) {
            return Err(AcdConfigError::UnknownAgent {
                queue: queue.name.clone(),
                agent: member.agent.clone(),
            });
        }
        if !members.insert(&member.agent) {
            return Err(AcdConfigError::DuplicateMember {
                queue: queue.name.clone(),
                agent: member.agent.clone(),
            });
        }
    }
    if queue.weight == 0 {
        return Err(invalid("weight", "must be at least 1"));
    }
    if queue.ring_timeout.is_zero() {
        return Err(invalid("ring_timeout", "must be longer than zero"));
    }
    if queue.announce_every.is_some_and(|d| d.is_zero()) {
        return Err(invalid("announce_every", "must be longer than zero"));
    }
    if queue.required_level == Some(0) {
        return Err(invalid("required_level", "must be at least 1"));
    }
    if queue.widen_after.is_some() && queue.required_level.is_none() {
        return Err(invalid("widen_after", "needs required_level"));
    }
    if queue.initial_handle_time.is_zero() {
        return Err(invalid("initial_handle_time", "must be longer than zero"));
    }
    if let Some((length, _)) = &queue.max_length
        && *length == 0
    {
        return Err(invalid("max_length", "must be at least 1"));
    }
    if let Some((wait, _)) = &queue.max_wait
        && wait.is_zero()
    {
        return Err(invalid("max_wait", "must be longer than zero"));
    }
    if let Some((key, _)) = &queue.exit_key
        && !matches!(key, '0'..='9' | '*' | '#' | 'A'..='D')
    {
        return Err(invalid("exit_key", "must be a DTMF key"));
    }
    let actions = [
        queue.max_wait.as_ref().map(|(_, a)| a),
        queue.max_length.as_ref().map(|(_, a)| a),
        queue.when_no_agents.as_ref(),
        queue.exit_key.as_ref().map(|(_, a)| a),
    ];
    let on_arrival = [
        queue.max_length.as_ref().map(|(_, a)| a),
        queue.when_no_agents.as_ref(),
    ];
    if on_arrival
        .into_iter()
        .flatten()
        .any(|a| *a == ExitAction::Callback)
    {
        return Err(invalid(
            "callback",
            "needs a place in the queue (exit key or max wait only)",
        ));
    }
    for action in actions.into_iter().flatten() {
        if let ExitAction::Queue(target) = action {
            if !queues.contains(target) {
                return Err(AcdConfigError::UnknownTargetQueue {
                    queue: queue.name.clone(),
                    target: target.clone(),
                });
            }
            if *target == queue.name {
                return Err(AcdConfigError::SelfOverflow(queue.name.clone()));
            }
        }
    }
    Ok(())
}
