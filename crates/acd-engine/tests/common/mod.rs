//! Transcript-test harness for the ACD core: a virtual clock from a base instant and helpers to feed inputs and drain outputs [ACD-1..7].
#![allow(dead_code)]

use std::time::{Duration, Instant};

use acd_engine::{
    Acd, AcdConfig, AcdInput, AcdOutput, AgentConfig, AgentId, AgentState, CallId, QueueConfig,
    QueueName,
};

pub struct Harness {
    pub acd: Acd,
    pub t0: Instant,
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn agent(id: &str) -> AgentId {
    AgentId::new(id)
}

pub fn queue(name: &str) -> QueueName {
    QueueName::new(name)
}

/// Agents "2001".."200n" at level 1.
pub fn agents(ids: &[&str]) -> Vec<AgentConfig> {
    ids.iter()
        .map(|id| AgentConfig::new(id, &format!("Agent {id}"), 1))
        .collect()
}

impl Harness {
    pub fn new(config: AcdConfig) -> Self {
        let t0 = Instant::now();
        let acd = Acd::new(config, t0).expect("valid test configuration");
        Harness { acd, t0 }
    }

    pub fn simple(queues: Vec<QueueConfig>, agent_ids: &[&str]) -> Self {
        Self::new(AcdConfig::new(queues, agents(agent_ids)))
    }

    pub fn at(&self, s: u64) -> Instant {
        self.t0 + secs(s)
    }

    pub fn at_ms(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// Feeds an input at second `s` and returns the outputs.
    pub fn input(&mut self, s: u64, input: AcdInput) -> Vec<AcdOutput> {
        let now = self.at(s);
        self.acd.handle(input, now).expect("input accepted");
        self.check(now);
        self.drain()
    }

    /// Runs every timer due up to second `s` in order, returning all outputs.
    pub fn advance(&mut self, s: u64) -> Vec<AcdOutput> {
        let end = self.at(s);
        let mut out = Vec::new();
        while let Some(t) = self.acd.poll_timeout() {
            if t > end {
                break;
            }
            self.acd.handle_timeout(t);
            self.check(t);
            out.extend(self.drain());
        }
        self.acd.handle_timeout(end);
        self.check(end);
        out.extend(self.drain());
        out
    }

    pub fn drain(&mut self) -> Vec<AcdOutput> {
        std::iter::from_fn(|| self.acd.poll_output()).collect()
    }

    pub fn check(&self, now: Instant) {
        if let Err(e) = self.acd.check_invariants(now) {
            panic!("{e}");
        }
    }

    pub fn login(&mut self, s: u64, id: &str) -> Vec<AcdOutput> {
        self.input(s, AcdInput::AgentLogin { agent: agent(id) })
    }

    pub fn arrive(&mut self, s: u64, call: u64, q: &str) -> Vec<AcdOutput> {
        self.arrive_prio(s, call, q, 0)
    }

    pub fn arrive_prio(&mut self, s: u64, call: u64, q: &str, priority: u8) -> Vec<AcdOutput> {
        self.input(
            s,
            AcdInput::CallerArrived {
                call: CallId(call),
                queue: queue(q),
                priority,
            },
        )
    }

    pub fn answer(&mut self, s: u64, call: u64, id: &str) -> Vec<AcdOutput> {
        self.input(
            s,
            AcdInput::OfferAnswered {
                call: CallId(call),
                agent: agent(id),
            },
        )
    }

    pub fn end(&mut self, s: u64, call: u64) -> Vec<AcdOutput> {
        self.input(s, AcdInput::CallEnded { call: CallId(call) })
    }

    pub fn state(&self, id: &str) -> AgentState {
        self.acd
            .snapshot(self.t0)
            .agents
            .into_iter()
            .find(|a| a.id.0 == id)
            .map(|a| a.state)
            .expect("known agent")
    }

    /// Call ids waiting in `q`, in service order.
    pub fn waiting(&self, q: &str) -> Vec<u64> {
        self.acd
            .snapshot(self.t0)
            .queues
            .into_iter()
            .find(|x| x.name.0 == q)
            .map(|x| x.callers.into_iter().map(|c| c.call.0).collect())
            .expect("known queue")
    }
}

/// The (call, agent) pairs of the Offer outputs, in order.
pub fn offers(out: &[AcdOutput]) -> Vec<(u64, String)> {
    out.iter()
        .filter_map(|o| match o {
            AcdOutput::Offer { call, agent, .. } => Some((call.0, agent.0.clone())),
            _ => None,
        })
        .collect()
}

/// The (call, agent) pairs of the CancelOffer outputs, in order.
pub fn cancels(out: &[AcdOutput]) -> Vec<(u64, String)> {
    out.iter()
        .filter_map(|o| match o {
            AcdOutput::CancelOffer { call, agent } => Some((call.0, agent.0.clone())),
            _ => None,
        })
        .collect()
}

pub fn paused(reason: &str) -> AgentState {
    AgentState::Paused {
        reason: reason.to_owned(),
    }
}
