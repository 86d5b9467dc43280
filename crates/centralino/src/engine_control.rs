//! `http_api::EngineControl` over the running engine: agent commands go to the ACD task,
//! and its snapshot becomes the API's agent and queue views [ACD-5, CTI-5]; service
//! overrides go to the runtime's schedules [IVR-8].

use std::collections::BTreeMap;

use acd_engine::{AcdSnapshot, AgentState};
use call_runtime::{AcdControlError, AcdHandle, AgentControl, state_name};
use business_calendar::{ClosedReason, Override, OverrideClosed, Status};
use http_api::control::{AgentCommand, AgentView, BoxFuture, ControlError, EngineControl, LiveCommand, QueueMember, QueueView, ServiceMode, ServiceView};

/// The binary's bridge from the API to the ACD task.
pub struct AcdControl {
    acd: AcdHandle,
    runtime: call_runtime::Runtime,
    services: Vec<String>,
    /// The queues each agent serves, from the config.
    queues_of: BTreeMap<String, Vec<String>>,
}

impl AcdControl {
    pub fn new(runtime: call_runtime::Runtime, config: &acd_engine::AcdConfig, services: Vec<String>) -> AcdControl {
        let acd = runtime.acd();
        let mut queues_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for q in &config.queues {
            for m in &q.members {
                queues_of.entry(m.agent.0.clone()).or_default().push(q.name.0.clone());
            }
        }
        AcdControl { acd, runtime, services, queues_of }
    }

    fn service_view(&self, name: &str) -> ServiceView {
        let (status, reason, next_open) = match self.runtime.service_status(name) {
            Status::Open => ("open", None, None),
            Status::Draining { .. } => ("draining", None, None),
            Status::Closed { reason, next_open } => {
                let reason = match reason {
                    ClosedReason::OutOfHours => "out_of_hours".to_owned(),
                    ClosedReason::Holiday(n) => format!("holiday: {n}"),
                    ClosedReason::Closure(n) => format!("closure: {n}"),
                    ClosedReason::Override(OverrideClosed::ForceClosed) => "forced".to_owned(),
                    ClosedReason::Override(OverrideClosed::Night) => "night".to_owned(),
                };
                let next = next_open.map(|t| cc_model::wall_clock::UtcDateTime::from_unix_millis(t.saturating_mul(1000)).rfc3339_millis());
                ("closed", Some(reason), next)
            }
        };
        let mode = match self.runtime.service_override(name) {
            Some(Override::ForceOpen) => "open",
            Some(Override::ForceClosed) => "closed",
            Some(Override::Night) => "night",
            Some(Override::Auto) | None => "auto",
        };
        ServiceView { name: name.to_owned(), status: status.to_owned(), reason, mode: mode.to_owned(), next_open }
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

    fn services(&self) -> BoxFuture<'_, Vec<ServiceView>> {
        let views = self.services.iter().map(|n| self.service_view(n)).collect();
        Box::pin(async move { views })
    }

    fn call_command(&self, call: u64, command: LiveCommand, by: &str) -> BoxFuture<'_, Result<(), ControlError>> {
        let command = match command {
            LiveCommand::Hangup => call_runtime::CallCommand::Hangup,
            LiveCommand::TransferToQueue { queue } => call_runtime::CallCommand::TransferToQueue { queue, by: by.to_owned() },
        };
        Box::pin(async move {
            self.runtime.call_command(call, command).await.map_err(|e| match e {
                call_runtime::CallCommandError::UnknownCall(n) => ControlError::UnknownCall(n),
                call_runtime::CallCommandError::NotPossible(why) => ControlError::Refused(why),
            })
        })
    }

    fn set_service_mode(&self, service: &str, mode: ServiceMode) -> BoxFuture<'_, Result<ServiceView, ControlError>> {
        let mode = match mode {
            ServiceMode::Auto => Override::Auto,
            ServiceMode::Open => Override::ForceOpen,
            ServiceMode::Closed => Override::ForceClosed,
            ServiceMode::Night => Override::Night,
        };
        let result = self
            .runtime
            .set_service_override(service, mode)
            .map(|()| self.service_view(service))
            .map_err(|e| ControlError::UnknownService(e.0));
        Box::pin(async move { result })
    }
}
