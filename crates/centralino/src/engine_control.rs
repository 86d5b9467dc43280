//! `http_api::EngineControl` over the running engine: agent commands go to the ACD task,
//! and its snapshot becomes the API's agent and queue views [ACD-5, CTI-5].

use std::collections::BTreeMap;

use acd_engine::{AcdSnapshot, AgentState};
use call_runtime::{AcdControlError, AcdHandle, AgentControl, state_name};
use http_api::control::{AgentCommand, AgentView, BoxFuture, ControlError, EngineControl, QueueMember, QueueView};

/// The binary's bridge from the API to the ACD task.
pub struct AcdControl {
    acd: AcdHandle,
    /// The queues each agent serves, from the config.
    queues_of: BTreeMap<String, Vec<String>>,
}

impl AcdControl {
    pub fn new(acd: AcdHandle, config: &acd_engine::AcdConfig) -> AcdControl {
        let mut queues_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for q in &config.queues {
            for m in &q.members {
                queues_of.entry(m.agent.0.clone()).or_default().push(q.name.0.clone());
            }
        }
        AcdControl { acd, queues_of }
    }

    fn agent_views(&self, snapshot: &AcdSnapshot) -> Vec<AgentView> {
        snapshot
            .agents
            .iter()
            .map(|a| AgentView {
                extension: a.id.0.clone(),
                name: a.name.clone(),
                level: a.level,
                state: state_name(&a.state).to_owned(),
                reason: match &a.state {
                    AgentState::Paused { reason } => Some(reason.clone()),
                    _ => None,
                },
                state_seconds: a.since.as_secs(),
                registered: a.registered,
                calls_taken: u64::from(a.calls_taken),
                queues: self.queues_of.get(&a.id.0).cloned().unwrap_or_default(),
            })
            .collect()
    }
}

impl EngineControl for AcdControl {
    fn set_agent_state(&self, extension: &str, command: AgentCommand) -> BoxFuture<'_, Result<AgentView, ControlError>> {
        let extension = extension.to_owned();
        Box::pin(async move {
            let control = match command {
                AgentCommand::Ready => AgentControl::Ready,
                AgentCommand::Paused { reason } => AgentControl::Pause(reason),
                AgentCommand::LoggedOut => AgentControl::LogOut,
            };
            let snapshot = self.acd.set_agent_state(&extension, control).await.map_err(|e| match e {
                AcdControlError::UnknownAgent(a) => ControlError::UnknownAgent(a),
                AcdControlError::Refused(why) => ControlError::Refused(why),
                AcdControlError::Stopped => ControlError::Stopped,
            })?;
            self.agent_views(&snapshot).into_iter().find(|a| a.extension == extension).ok_or(ControlError::UnknownAgent(extension))
        })
    }

    fn agents(&self) -> BoxFuture<'_, Vec<AgentView>> {
        Box::pin(async move {
            match self.acd.snapshot().await {
                Some(s) => self.agent_views(&s),
                None => Vec::new(),
            }
        })
    }

    fn queues(&self) -> BoxFuture<'_, Vec<QueueView>> {
        Box::pin(async move {
            let Some(s) = self.acd.snapshot().await else { return Vec::new() };
            s.queues
                .iter()
                .map(|q| {
                    let members: Vec<QueueMember> = s
                        .agents
                        .iter()
                        .filter(|a| self.queues_of.get(&a.id.0).is_some_and(|qs| qs.contains(&q.name.0)))
                        .map(|a| QueueMember { extension: a.id.0.clone(), name: a.name.clone(), state: state_name(&a.state).to_owned() })
                        .collect();
                    let c = &q.agents;
                    let agents = BTreeMap::from([
                        ("logged_out".to_owned(), c.logged_out),
                        ("available".to_owned(), c.available),
                        ("ringing".to_owned(), c.reserved),
                        ("on_call".to_owned(), c.on_call),
                        ("wrap_up".to_owned(), c.wrap_up),
                        ("paused".to_owned(), c.paused),
                    ]);
                    QueueView {
                        name: q.name.0.clone(),
                        waiting: q.waiting,
                        longest_wait_seconds: q.longest_wait.map_or(0, |d| d.as_secs()),
                        agents,
                        members,
                        load_per_agent: q.average_load.unwrap_or(0.0),
                        answered: q.counters.answered,
                        abandoned: q.counters.abandoned,
                    }
                })
                .collect()
        })
    }
}
