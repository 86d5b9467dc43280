//! Agent model: logged out, available, reserved (ringing), on call, wrap-up, paused with a reason; login, pause, ready, registration and busy-elsewhere handling [ACD-3, ACD-5, CTI-5].

use std::time::{Duration, Instant};

use crate::Acd;
use crate::config::{AgentConfig, AgentId, CallId};
use crate::error::AcdError;
use crate::event::AcdOutput;
use crate::expected_wait::ewma_update;

/// The state of an agent as seen by supervisors and by the distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentState {
    LoggedOut,
    Available,
    /// Ringing for a queue call.
    Reserved,
    OnCall,
    /// After-call work.
    WrapUp,
    Paused {
        reason: String,
    },
}

/// Reason given to the automatic pause after consecutive no-answers.
pub const PAUSE_NO_ANSWER: &str = "no answer";
/// Reason given to the pause caused by an expired registration.
pub const PAUSE_UNREGISTERED: &str = "unregistered";

/// What the agent does when the current call's wrap-up ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AfterCall {
    Ready,
    Pause(String),
    Logout,
}

/// The queue call an agent is on (OnCall) or wrapping up (WrapUp).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AgentCall {
    pub call: CallId,
    pub queue: usize,
    pub answered_at: Instant,
    pub arrival: Instant,
}

pub(crate) struct Agent {
    pub id: AgentId,
    pub name: String,
    pub level: u8,
    pub state: AgentState,
    /// When the current state began.
    pub since: Instant,
    /// When the agent last became Available (the longest-idle clock).
    pub idle_since: Instant,
    /// Calls answered since login.
    pub calls_taken: u32,
    pub no_answer_streak: u32,
    /// The call this agent is ringing for.
    pub offer: Option<CallId>,
    pub current: Option<AgentCall>,
    pub wrap_until: Option<Instant>,
    /// Not offered calls before this instant (after a rejection).
    pub blocked_until: Option<Instant>,
    pub registered: bool,
    pub busy_elsewhere: bool,
    pub after_call: AfterCall,
}

impl Agent {
    pub(crate) fn new(cfg: AgentConfig, now: Instant) -> Self {
        Agent {
            id: cfg.id,
            name: cfg.name,
            level: cfg.level,
            state: AgentState::LoggedOut,
            since: now,
            idle_since: now,
            calls_taken: 0,
            no_answer_streak: 0,
            offer: None,
            current: None,
            wrap_until: None,
            blocked_until: None,
            registered: true,
            busy_elsewhere: false,
            after_call: AfterCall::Ready,
        }
    }

    /// Logged in and registered: counts as present for "no agents" checks and staffing.
    pub(crate) fn is_present(&self) -> bool {
        self.state != AgentState::LoggedOut && self.registered
    }

    /// Free to be offered a queue call now (level aside).
    pub(crate) fn is_free(&self, now: Instant) -> bool {
        self.state == AgentState::Available
            && self.offer.is_none()
            && self.registered
            && !self.busy_elsewhere
            && self.blocked_until.is_none_or(|b| b <= now)
    }
}

impl Acd {
    pub(crate) fn agent_login(&mut self, agent: &AgentId, now: Instant) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        let Some(ag) = self.agents.get_mut(a) else {
            return Err(AcdError::UnknownAgent(agent.clone()));
        };
        if ag.state != AgentState::LoggedOut {
            return Ok(());
        }
        ag.calls_taken = 0;
        ag.no_answer_streak = 0;
        ag.blocked_until = None;
        ag.after_call = AfterCall::Ready;
        if ag.registered {
            self.make_available(a, now, now);
        } else {
            self.set_agent_state(a, paused(PAUSE_UNREGISTERED), now);
        }
        Ok(())
    }

    pub(crate) fn agent_logout(&mut self, agent: &AgentId, now: Instant) -> Result<(), AcdError> {
        let a = self.logged_in_agent(agent)?;
        self.leave_duty(a, AfterCall::Logout, now);
        Ok(())
    }

    pub(crate) fn agent_pause(
        &mut self,
        agent: &AgentId,
        reason: String,
        now: Instant,
    ) -> Result<(), AcdError> {
        let a = self.logged_in_agent(agent)?;
        self.leave_duty(a, AfterCall::Pause(reason), now);
        Ok(())
    }

    pub(crate) fn agent_ready(&mut self, agent: &AgentId, now: Instant) -> Result<(), AcdError> {
        let a = self.logged_in_agent(agent)?;
        let Some(ag) = self.agents.get_mut(a) else {
            return Err(AcdError::UnknownAgent(agent.clone()));
        };
        match ag.state {
            AgentState::Paused { .. } => {
                if !ag.registered {
                    return Err(AcdError::AgentUnregistered(agent.clone()));
                }
                ag.no_answer_streak = 0;
                self.make_available(a, now, now);
            }
            AgentState::OnCall => ag.after_call = AfterCall::Ready,
            AgentState::WrapUp => {
                ag.after_call = AfterCall::Ready;
                self.finish_wrap_up(a, now);
            }
            AgentState::LoggedOut | AgentState::Available | AgentState::Reserved => {}
        }
        Ok(())
    }

    pub(crate) fn agent_extend_wrap_up(
        &mut self,
        agent: &AgentId,
        by: Duration,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        let Some(ag) = self.agents.get_mut(a) else {
            return Err(AcdError::UnknownAgent(agent.clone()));
        };
        if ag.state != AgentState::WrapUp {
            return Err(AcdError::AgentNotInWrapUp(agent.clone()));
        }
        if let Some(until) = ag.wrap_until {
            // An unrepresentable end means "until the agent says ready".
            ag.wrap_until = until.checked_add(by);
        }
        Ok(())
    }

    pub(crate) fn agent_registration(
        &mut self,
        agent: &AgentId,
        registered: bool,
        now: Instant,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        let Some(ag) = self.agents.get_mut(a) else {
            return Err(AcdError::UnknownAgent(agent.clone()));
        };
        if ag.registered == registered {
            return Ok(());
        }
        ag.registered = registered;
        let state = ag.state.clone();
        if registered {
            if state == paused(PAUSE_UNREGISTERED) {
                self.make_available(a, now, now);
            }
        } else {
            match state {
                AgentState::Available | AgentState::Reserved => {
                    self.cancel_agent_offer(a);
                    self.set_agent_state(a, paused(PAUSE_UNREGISTERED), now);
                }
                // On call or in wrap-up: the end of wrap-up checks the registration.
                _ => {}
            }
            self.check_no_agents(a, now);
        }
        Ok(())
    }

    pub(crate) fn agent_busy_elsewhere(
        &mut self,
        agent: &AgentId,
        busy: bool,
        now: Instant,
    ) -> Result<(), AcdError> {
        let a = self.agent_idx(agent)?;
        let Some(ag) = self.agents.get_mut(a) else {
            return Err(AcdError::UnknownAgent(agent.clone()));
        };
        ag.busy_elsewhere = busy;
        if busy && ag.state == AgentState::Reserved {
            self.cancel_agent_offer(a);
            self.set_agent_state(a, AgentState::Available, now);
        }
        Ok(())
    }

    /// The bridged call of agent `a` ended: wrap-up starts (or ends at once when zero).
    pub(crate) fn end_call(&mut self, a: usize, now: Instant) {
        let Some(ag) = self.agents.get(a) else { return };
        let wrap = ag
            .current
            .and_then(|c| self.queues.get(c.queue))
            .map_or(Duration::ZERO, |q| q.cfg.wrap_up);
        if wrap.is_zero() {
            self.finish_wrap_up(a, now);
            return;
        }
        if let Some(ag) = self.agents.get_mut(a) {
            ag.wrap_until = now.checked_add(wrap);
        }
        self.set_agent_state(a, AgentState::WrapUp, now);
    }

    /// Wrap-up of agent `a` ends at `at`: the handle time is recorded and the pending
    /// after-call state is applied.
    pub(crate) fn finish_wrap_up(&mut self, a: usize, at: Instant) {
        let Some(ag) = self.agents.get_mut(a) else {
            return;
        };
        let current = ag.current.take();
        ag.wrap_until = None;
        let after = std::mem::replace(&mut ag.after_call, AfterCall::Ready);
        let registered = ag.registered;
        if let Some(c) = current
            && let Some(q) = self.queues.get_mut(c.queue)
        {
            let sample = at.saturating_duration_since(c.answered_at);
            q.handle_time = ewma_update(q.handle_time, sample);
        }
        match after {
            AfterCall::Ready if registered => self.make_available(a, at, at),
            AfterCall::Ready => self.set_agent_state(a, paused(PAUSE_UNREGISTERED), at),
            AfterCall::Pause(reason) => self.set_agent_state(a, AgentState::Paused { reason }, at),
            AfterCall::Logout => {
                self.set_agent_state(a, AgentState::LoggedOut, at);
                self.check_no_agents(a, at);
            }
        }
    }

    /// Pause or logout: immediate when idle, ringing or wrapping up; after the call when on call.
    fn leave_duty(&mut self, a: usize, after: AfterCall, now: Instant) {
        let Some(ag) = self.agents.get_mut(a) else {
            return;
        };
        match ag.state {
            AgentState::OnCall => ag.after_call = after,
            AgentState::WrapUp => {
                ag.after_call = after;
                self.finish_wrap_up(a, now);
            }
            _ => {
                self.cancel_agent_offer(a);
                match after {
                    AfterCall::Logout => {
                        self.set_agent_state(a, AgentState::LoggedOut, now);
                        self.check_no_agents(a, now);
                    }
                    AfterCall::Pause(reason) => {
                        self.set_agent_state(a, AgentState::Paused { reason }, now)
                    }
                    AfterCall::Ready => {}
                }
            }
        }
    }

    fn logged_in_agent(&self, agent: &AgentId) -> Result<usize, AcdError> {
        let a = self.agent_idx(agent)?;
        match self.agents.get(a) {
            Some(ag) if ag.state != AgentState::LoggedOut => Ok(a),
            Some(_) => Err(AcdError::AgentNotLoggedIn(agent.clone())),
            None => Err(AcdError::UnknownAgent(agent.clone())),
        }
    }

    /// Agent `a` becomes Available; its idle clock starts at `idle_from`.
    pub(crate) fn make_available(&mut self, a: usize, idle_from: Instant, now: Instant) {
        if let Some(ag) = self.agents.get_mut(a) {
            ag.idle_since = idle_from;
        }
        self.set_agent_state(a, AgentState::Available, now);
    }

    pub(crate) fn set_agent_state(&mut self, a: usize, state: AgentState, now: Instant) {
        let Some(ag) = self.agents.get_mut(a) else {
            return;
        };
        if ag.state == state {
            return;
        }
        ag.state = state.clone();
        ag.since = now;
        self.outputs.push_back(AcdOutput::AgentStateChanged {
            agent: ag.id.clone(),
            state,
        });
    }

    /// Withdraws the agent's outstanding offer (emitting CancelOffer); the state is left to
    /// the caller of this function.
    pub(crate) fn cancel_agent_offer(&mut self, a: usize) {
        let Some(ag) = self.agents.get_mut(a) else {
            return;
        };
        let Some(call) = ag.offer.take() else { return };
        let agent = ag.id.clone();
        if let Some(c) = self.callers.get_mut(&call) {
            c.offers.retain(|o| o.agent != a);
        }
        self.outputs
            .push_back(AcdOutput::CancelOffer { call, agent });
    }
}

pub(crate) fn paused(reason: &str) -> AgentState {
    AgentState::Paused {
        reason: reason.to_owned(),
    }
}
