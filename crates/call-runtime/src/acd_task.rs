//! The task that owns the ACD (`acd_engine::Acd`): it feeds the core the agents'
//! registrations, direct calls, API commands and the queue calls' events with tokio time,
//! and carries out what the core decides — agent state changes as CTI events, offers and
//! announcements to the call tasks [ACD-1..7, IVR-5, CTI-5]. One task owns the ACD.

use std::collections::HashMap;
use std::time::Instant;

use acd_engine::{Acd, AcdInput, AcdOutput, AcdSnapshot, AgentId, AgentState, CallId};
use cti_bus::schema;
use tokio::sync::{mpsc, oneshot};
use tokio::time::sleep_until;
use tracing::{debug, info, warn};

use crate::now;

/// An agent state change asked by the API or a phone feature code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentControl {
    /// Log in (if needed) and become available.
    Ready,
    /// Pause with a reason.
    Pause(String),
    /// Log out.
    LogOut,
}

/// Why the ACD refused an agent command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcdControlError {
    /// No agent has this extension.
    #[error("no agent {0}")]
    UnknownAgent(String),
    /// The core refused the change (e.g. ready while the phone is not registered).
    #[error("{0}")]
    Refused(String),
    /// The ACD task is gone.
    #[error("the ACD is not running")]
    Stopped,
}

/// What the ACD tells a queue call's task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AcdEvent {
    /// Ring this agent (the call task places leg B).
    Offer { agent: String, waited: std::time::Duration },
    /// Stop ringing this agent.
    CancelOffer { agent: String },
    /// Say the position and expected wait [IVR-5].
    Announce { position: usize, expected_wait: Option<std::time::Duration> },
    /// Leave the queue: the action's text (`voicemail:verde`, …) and reason.
    Exit { action: acd_engine::ExitAction },
}

/// Commands to the ACD task.
#[derive(Debug)]
pub(crate) enum AcdCmd {
    /// A fact for the core (registration, busy elsewhere, caller events).
    Input(AcdInput),
    /// A queue call joins: its events go to `events` until it leaves.
    Join { call: CallId, queue: String, priority: u8, channel: &'static str, events: mpsc::Sender<AcdEvent> },
    /// An agent command from the API.
    Agent { extension: String, control: AgentControl, reply: oneshot::Sender<Result<AcdSnapshot, AcdControlError>> },
    /// The live state.
    Snapshot(oneshot::Sender<AcdSnapshot>),
}

/// The API's handle on the ACD task; cheap to clone.
#[derive(Debug, Clone)]
pub struct AcdHandle {
    pub(crate) tx: mpsc::Sender<AcdCmd>,
}

impl AcdHandle {
    /// Changes an agent's state; returns the ACD's view afterwards.
    pub async fn set_agent_state(&self, extension: &str, control: AgentControl) -> Result<AcdSnapshot, AcdControlError> {
        let (reply, wait) = oneshot::channel();
        let cmd = AcdCmd::Agent { extension: extension.to_owned(), control, reply };
        self.tx.send(cmd).await.map_err(|_| AcdControlError::Stopped)?;
        wait.await.map_err(|_| AcdControlError::Stopped)?
    }

    /// The queues and agents now.
    pub async fn snapshot(&self) -> Option<AcdSnapshot> {
        let (reply, wait) = oneshot::channel();
        self.tx.send(AcdCmd::Snapshot(reply)).await.ok()?;
        wait.await.ok()
    }
}

/// The ACD task.
pub(crate) struct AcdTask {
    acd: Acd,
    cti: cti_bus::CtiBus,
    calls: HashMap<CallId, (mpsc::Sender<AcdEvent>, &'static str, String)>,
    /// The queues each agent serves (for CTI events).
    queues_of: HashMap<String, Vec<String>>,
}

impl AcdTask {
    pub(crate) fn new(acd: Acd, config: &acd_engine::AcdConfig, cti: cti_bus::CtiBus) -> AcdTask {
        let mut queues_of: HashMap<String, Vec<String>> = HashMap::new();
        for q in &config.queues {
            for m in &q.members {
                queues_of.entry(m.agent.0.clone()).or_default().push(q.name.0.clone());
            }
        }
        AcdTask { acd, cti, calls: HashMap::new(), queues_of }
    }

    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<AcdCmd>) {
        loop {
            let deadline = self.acd.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
                () = async { sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)).await }, if deadline.is_some() => {
                    self.acd.handle_timeout(now());
                }
            }
            self.drain();
        }
        debug!("ACD task stopped");
    }

    fn command(&mut self, cmd: AcdCmd) {
        let t = now();
        match cmd {
            AcdCmd::Input(input) => {
                let gone = match &input {
                    AcdInput::CallEnded { call } | AcdInput::CallerLeft { call } => Some(*call),
                    _ => None,
                };
                if let Err(e) = self.acd.handle(input, t) {
                    debug!(error = %e, "ACD input refused");
                }
                if let Some(call) = gone {
                    self.calls.remove(&call);
                }
            }
            AcdCmd::Join { call, queue, priority, channel, events } => {
                self.calls.insert(call, (events, channel, queue.clone()));
                let input = AcdInput::CallerArrived { call, queue: acd_engine::QueueName::new(queue.as_str()), priority };
                if let Err(e) = self.acd.handle(input, t) {
                    warn!(error = %e, "call not queued");
                    self.calls.remove(&call);
                    return;
                }
                let snapshot = self.acd.snapshot(t);
                let q = snapshot.queues.iter().find(|q| q.name.0 == queue);
                let position = q.and_then(|q| q.callers.iter().find(|c| c.call == call)).map_or(0, |c| c.position);
                let event = schema::CallQueued {
                    channel: channel.to_owned(),
                    queue,
                    position: u32::try_from(position).unwrap_or(u32::MAX),
                    queue_length: q.map_or(0, |q| u32::try_from(q.waiting).unwrap_or(u32::MAX)),
                    waited_seconds: 0,
                };
                self.cti.emit(Some(call.0), &event);
            }
            AcdCmd::Agent { extension, control, reply } => {
                let result = self.agent_control(&extension, control, t);
                let _ = reply.send(result.map(|()| self.acd.snapshot(t)));
            }
            AcdCmd::Snapshot(reply) => {
                let _ = reply.send(self.acd.snapshot(t));
            }
        }
    }

    fn agent_control(&mut self, extension: &str, control: AgentControl, t: Instant) -> Result<(), AcdControlError> {
        let agent = AgentId::new(extension);
        let logged_out = self
            .acd
            .snapshot(t)
            .agents
            .iter()
            .find(|a| a.id == agent)
            .map(|a| a.state == AgentState::LoggedOut)
            .ok_or_else(|| AcdControlError::UnknownAgent(extension.to_owned()))?;
        let input = match control {
            AgentControl::Ready if logged_out => AcdInput::AgentLogin { agent },
            AgentControl::Ready => AcdInput::AgentReady { agent },
            AgentControl::Pause(reason) if logged_out => {
                // Logging in paused: the agent is at the desk but not taking calls yet.
                self.acd.handle(AcdInput::AgentLogin { agent: agent.clone() }, t).map_err(refused)?;
                AcdInput::AgentPause { agent, reason }
            }
            AgentControl::Pause(reason) => AcdInput::AgentPause { agent, reason },
            AgentControl::LogOut if logged_out => return Ok(()),
            AgentControl::LogOut => AcdInput::AgentLogout { agent },
        };
        self.acd.handle(input, t).map_err(refused)
    }

    /// Carries out every output of the core.
    fn drain(&mut self) {
        while let Some(out) = self.acd.poll_output() {
            match out {
                AcdOutput::AgentStateChanged { agent, state } => self.agent_changed(&agent, &state),
                AcdOutput::Offer { call, agent, waited, .. } => self.send_to_call(call, AcdEvent::Offer { agent: agent.0, waited }),
                AcdOutput::CancelOffer { call, agent } => self.send_to_call(call, AcdEvent::CancelOffer { agent: agent.0 }),
                AcdOutput::Announce { call, position, expected_wait } => {
                    self.send_to_call(call, AcdEvent::Announce { position, expected_wait });
                }
                AcdOutput::Exit { call, action, reason } => {
                    debug!(?reason, "caller leaves the queue");
                    self.send_to_call(call, AcdEvent::Exit { action });
                }
                AcdOutput::PositionChanged { call, position } => self.position_changed(call, position),
                AcdOutput::Connected { call, .. } => {
                    // The call task connected the agent itself; it stays registered
                    // here until the conversation ends (CallEnded).
                    debug!(call = call.0, "connected");
                }
                other => debug!(?other, "ACD output"),
            }
        }
    }

    /// `call.position_changed` for the wallboard and the agents of the queue [CTI-5].
    fn position_changed(&self, call: CallId, position: usize) {
        let Some((_, channel, queue)) = self.calls.get(&call) else { return };
        let snapshot = self.acd.snapshot(now());
        let q = snapshot.queues.iter().find(|q| q.name.0 == *queue);
        let waited = q.and_then(|q| q.callers.iter().find(|c| c.call == call)).map_or(0, |c| c.waited.as_secs());
        let event = schema::CallPositionChanged {
            channel: (*channel).to_owned(),
            queue: queue.clone(),
            position: u32::try_from(position).unwrap_or(u32::MAX),
            queue_length: q.map_or(0, |q| u32::try_from(q.waiting).unwrap_or(u32::MAX)),
            waited_seconds: waited,
        };
        self.cti.emit(Some(call.0), &event);
    }

    fn send_to_call(&self, call: CallId, event: AcdEvent) {
        if let Some((tx, _, _)) = self.calls.get(&call)
            && tx.try_send(event).is_err()
        {
            warn!(call = call.0, "queue call task gone or full: event dropped");
        }
    }

    fn agent_changed(&self, agent: &AgentId, state: &AgentState) {
        info!(agent = %agent, state = state_name(state), "agent state");
        let (state, reason) = match state {
            AgentState::LoggedOut => (schema::AgentState::LoggedOut, None),
            AgentState::Available => (schema::AgentState::Ready, None),
            AgentState::Reserved => (schema::AgentState::Ringing, None),
            AgentState::OnCall => (schema::AgentState::Busy, None),
            AgentState::WrapUp => (schema::AgentState::WrapUp, None),
            AgentState::Paused { reason } => (schema::AgentState::Paused, Some(reason.clone())),
        };
        let event = schema::AgentStateChanged {
            agent: agent.0.clone(),
            agent_name: None,
            state,
            reason,
            queues: self.queues_of.get(&agent.0).cloned().unwrap_or_default(),
        };
        self.cti.emit(None, &event);
    }
}

/// The API's name of an agent state.
pub fn state_name(state: &AgentState) -> &'static str {
    match state {
        AgentState::LoggedOut => "logged_out",
        AgentState::Available => "available",
        AgentState::Reserved => "ringing",
        AgentState::OnCall => "on_call",
        AgentState::WrapUp => "wrap_up",
        AgentState::Paused { .. } => "paused",
    }
}

fn refused(e: acd_engine::AcdError) -> AcdControlError {
    match e {
        acd_engine::AcdError::UnknownAgent(a) => AcdControlError::UnknownAgent(a.0),
        acd_engine::AcdError::AgentUnregistered(a) => AcdControlError::Refused(format!("agent {a}'s phone is not registered")),
        other => AcdControlError::Refused(other.to_string()),
    }
}
