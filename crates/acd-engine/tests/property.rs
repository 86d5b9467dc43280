//! Property test: random event sequences with virtual time never break the ACD invariants and nothing gets stuck [ACD-2 "no state can get stuck", ACD-1, ACD-3].

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use acd_engine::{
    Acd, AcdConfig, AcdInput, AcdOutput, AgentConfig, AgentId, AgentState, CallId, ExitAction,
    OfferFailure, QueueConfig, QueueName, Strategy as Distribution,
};
use proptest::prelude::*;

const AGENTS: [&str; 4] = ["2001", "2002", "2003", "2004"];
const QUEUES: [&str; 3] = ["q0", "q1", "q2"];

#[derive(Clone, Debug)]
enum Op {
    Arrive { queue: usize, priority: u8 },
    Leave(usize),
    Key(usize, char),
    Answer(usize),
    Fail(usize, u8),
    End(usize),
    Login(usize),
    Logout(usize),
    Pause(usize),
    Ready(usize),
    Extend(usize),
    Registration(usize, bool),
    Busy(usize, bool),
    Transfer(usize, usize),
    Advance(u16),
    Bogus(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..3u8).prop_map(|(queue, priority)| Op::Arrive { queue, priority }),
        1 => any::<usize>().prop_map(Op::Leave),
        1 => (any::<usize>(), prop::sample::select(vec!['1', '9', '0'])).prop_map(|(c, k)| Op::Key(c, k)),
        3 => any::<usize>().prop_map(Op::Answer),
        2 => (any::<usize>(), 0..3u8).prop_map(|(o, r)| Op::Fail(o, r)),
        2 => any::<usize>().prop_map(Op::End),
        2 => (0..4usize).prop_map(Op::Login),
        1 => (0..4usize).prop_map(Op::Logout),
        1 => (0..4usize).prop_map(Op::Pause),
        2 => (0..4usize).prop_map(Op::Ready),
        1 => (0..4usize).prop_map(Op::Extend),
        1 => (0..4usize, any::<bool>()).prop_map(|(a, r)| Op::Registration(a, r)),
        1 => (0..4usize, any::<bool>()).prop_map(|(a, b)| Op::Busy(a, b)),
        1 => (any::<usize>(), 0..3usize).prop_map(|(c, q)| Op::Transfer(c, q)),
        4 => (0..40_000u16).prop_map(Op::Advance),
        1 => any::<u8>().prop_map(Op::Bogus),
    ]
}

fn strategy_from(n: u8) -> Distribution {
    match n % 5 {
        0 => Distribution::LongestIdle,
        1 => Distribution::Linear,
        2 => Distribution::RoundRobin,
        3 => Distribution::FewestCalls,
        _ => Distribution::RingAll,
    }
}

fn config(strategies: [u8; 3], cap: u8) -> AcdConfig {
    let mut q0 = QueueConfig::new(
        "q0",
        strategy_from(strategies[0]),
        &["2001", "2002", "2003"],
    );
    q0.max_wait = Some((
        Duration::from_secs(40),
        ExitAction::Queue(QueueName::new("q1")),
    ));
    q0.announce_every = Some(Duration::from_secs(20));
    q0.exit_key = Some(('9', ExitAction::External("sede2".into())));
    q0.ring_timeout = Duration::from_secs(8);
    q0.max_no_answer = 2;
    let mut q1 = QueueConfig::new("q1", strategy_from(strategies[1]), &["2002", "2004"]);
    q1.when_no_agents = Some(ExitAction::Voicemail("100".into()));
    q1.max_length = Some((3, ExitAction::Queue(QueueName::new("q2"))));
    q1.wrap_up = Duration::from_secs(3);
    q1.weight = 2;
    q1.exit_key = Some(('1', ExitAction::Callback));
    let mut q2 = QueueConfig::new(
        "q2",
        strategy_from(strategies[2]),
        &["2001", "2003", "2004"],
    );
    q2.required_level = Some(2);
    q2.widen_after = Some(Duration::from_secs(30));
    q2.max_wait = Some((
        Duration::from_secs(90),
        ExitAction::External("sede2".into()),
    ));
    q2.reject_delay = Duration::from_secs(5);
    q2.exit_key = Some(('0', ExitAction::Queue(QueueName::new("q0"))));
    let agents = AGENTS
        .iter()
        .enumerate()
        .map(|(i, id)| AgentConfig::new(id, id, if i % 2 == 0 { 1 } else { 2 }))
        .collect();
    let mut c = AcdConfig::new(vec![q0, q1, q2], agents);
    c.external_share_cap_percent = cap;
    c
}

/// What the test knows from the outputs alone.
#[derive(Default)]
struct Model {
    offers: BTreeSet<(u64, String)>,
    states: BTreeMap<String, AgentState>,
    connected: BTreeSet<u64>,
    calls: Vec<u64>,
    next_call: u64,
}

impl Model {
    fn apply(&mut self, out: &AcdOutput, ring_all: &dyn Fn(&str) -> bool) -> Result<(), String> {
        match out {
            AcdOutput::Offer {
                call, agent, queue, ..
            } => {
                let state = self
                    .states
                    .get(&agent.0)
                    .cloned()
                    .unwrap_or(AgentState::LoggedOut);
                if state != AgentState::Available {
                    return Err(format!("offer to {agent} in state {state:?}"));
                }
                if self.offers.iter().any(|(_, a)| *a == agent.0) {
                    return Err(format!("second offer to {agent}"));
                }
                if !ring_all(&queue.0) && self.offers.iter().any(|(c, _)| *c == call.0) {
                    return Err(format!("second offer of {call:?}"));
                }
                if self.connected.contains(&call.0) {
                    return Err(format!("offer of connected {call:?}"));
                }
                self.offers.insert((call.0, agent.0.clone()));
            }
            AcdOutput::CancelOffer { call, agent } => {
                let known = self.offers.remove(&(call.0, agent.0.clone()));
                known
                    .then_some(())
                    .ok_or_else(|| format!("cancel of unknown offer {call:?} {agent}"))?;
            }
            AcdOutput::Connected { call, agent, .. } => {
                self.offers.remove(&(call.0, agent.0.clone()));
                if self.offers.iter().any(|(c, _)| *c == call.0) {
                    return Err(format!("{call:?} connected with offers left"));
                }
                self.connected.insert(call.0);
            }
            AcdOutput::Exit { call, .. } | AcdOutput::Moved { call, .. } => {
                let left = self.offers.iter().any(|(c, _)| *c == call.0);
                (!left)
                    .then_some(())
                    .ok_or_else(|| format!("{call:?} left its queue with offers left"))?;
            }
            AcdOutput::AgentStateChanged { agent, state } => {
                self.states.insert(agent.0.clone(), state.clone());
            }
            _ => {}
        }
        Ok(())
    }
}

struct Run {
    acd: Acd,
    model: Model,
    now: Instant,
    ring_all: BTreeSet<String>,
}

impl Run {
    fn drain(&mut self) -> Result<(), String> {
        while let Some(out) = self.acd.poll_output() {
            let ring_all = &self.ring_all;
            self.model.apply(&out, &|q: &str| ring_all.contains(q))?;
        }
        Ok(())
    }

    fn pick_call(&self, i: usize) -> CallId {
        if self.model.calls.is_empty() {
            CallId(10_000)
        } else {
            CallId(self.model.calls[i % self.model.calls.len()])
        }
    }

    fn step(&mut self, op: Op) -> Result<(), String> {
        let agent = |i: usize| AgentId::new(AGENTS[i % AGENTS.len()]);
        let now = self.now;
        let input = match op {
            Op::Arrive { queue, priority } => {
                self.model.next_call += 1;
                self.model.calls.push(self.model.next_call);
                AcdInput::CallerArrived {
                    call: CallId(self.model.next_call),
                    queue: QueueName::new(QUEUES[queue]),
                    priority,
                }
            }
            Op::Leave(i) => {
                let call = self.pick_call(i);
                self.model.connected.remove(&call.0);
                AcdInput::CallerLeft { call }
            }
            Op::Key(i, key) => AcdInput::CallerKey {
                call: self.pick_call(i),
                key,
            },
            Op::Answer(i) | Op::Fail(i, _) if self.model.offers.is_empty() => {
                let _ = i;
                return Ok(());
            }
            Op::Answer(i) => {
                let Some((call, agent)) = self
                    .model
                    .offers
                    .iter()
                    .nth(i % self.model.offers.len())
                    .cloned()
                else {
                    return Ok(());
                };
                let r = self.acd.handle(
                    AcdInput::OfferAnswered {
                        call: CallId(call),
                        agent: AgentId(agent),
                    },
                    now,
                );
                r.map_err(|e| format!("answer of a live offer refused: {e}"))?;
                return self.drain();
            }
            Op::Fail(i, reason) => {
                let Some((call, agent)) = self
                    .model
                    .offers
                    .iter()
                    .nth(i % self.model.offers.len())
                    .cloned()
                else {
                    return Ok(());
                };
                let reason = [
                    OfferFailure::NoAnswer,
                    OfferFailure::Rejected,
                    OfferFailure::Unreachable,
                ][reason as usize % 3];
                self.model.offers.remove(&(call, agent.clone()));
                let r = self.acd.handle(
                    AcdInput::OfferFailed {
                        call: CallId(call),
                        agent: AgentId(agent),
                        reason,
                    },
                    now,
                );
                r.map_err(|e| format!("failure of a live offer refused: {e}"))?;
                return self.drain();
            }
            Op::End(i) => {
                let Some(call) = self
                    .model
                    .connected
                    .iter()
                    .nth(i % self.model.connected.len().max(1))
                    .copied()
                else {
                    return Ok(());
                };
                self.model.connected.remove(&call);
                let r = self
                    .acd
                    .handle(AcdInput::CallEnded { call: CallId(call) }, now);
                r.map_err(|e| format!("end of a connected call refused: {e}"))?;
                return self.drain();
            }
            Op::Login(a) => AcdInput::AgentLogin { agent: agent(a) },
            Op::Logout(a) => AcdInput::AgentLogout { agent: agent(a) },
            Op::Pause(a) => AcdInput::AgentPause {
                agent: agent(a),
                reason: "break".into(),
            },
            Op::Ready(a) => AcdInput::AgentReady { agent: agent(a) },
            Op::Extend(a) => AcdInput::AgentExtendWrapUp {
                agent: agent(a),
                by: Duration::from_secs(5),
            },
            Op::Registration(a, registered) => AcdInput::AgentRegistration {
                agent: agent(a),
                registered,
            },
            Op::Busy(a, busy) => AcdInput::AgentBusyElsewhere {
                agent: agent(a),
                busy,
            },
            Op::Transfer(i, q) => {
                let call = self.pick_call(i);
                self.model.connected.remove(&call.0);
                AcdInput::TransferToQueue {
                    call,
                    queue: QueueName::new(QUEUES[q]),
                    priority: 1,
                }
            }
            Op::Advance(ms) => {
                let end = now + Duration::from_millis(u64::from(ms));
                let mut guard = 0;
                while let Some(t) = self.acd.poll_timeout() {
                    if t > end {
                        break;
                    }
                    let t = t.max(self.now);
                    self.acd.handle_timeout(t);
                    self.now = t;
                    self.drain()?;
                    if self.acd.poll_timeout().is_some_and(|next| next <= t) {
                        return Err("a timer stays due after handle_timeout".into());
                    }
                    self.check()?;
                    guard += 1;
                    if guard > 10_000 {
                        return Err("timers never settle".into());
                    }
                }
                self.now = end;
                self.acd.handle_timeout(end);
                return self.drain();
            }
            Op::Bogus(n) => {
                let bogus = [
                    AcdInput::CallerLeft {
                        call: CallId(u64::MAX),
                    },
                    AcdInput::CallEnded {
                        call: CallId(u64::MAX - 1),
                    },
                    AcdInput::AgentLogin {
                        agent: AgentId::new("9999"),
                    },
                    AcdInput::OfferAnswered {
                        call: CallId(u64::MAX),
                        agent: agent(0),
                    },
                    AcdInput::OfferFailed {
                        call: CallId(u64::MAX),
                        agent: AgentId::new("x"),
                        reason: OfferFailure::NoAnswer,
                    },
                    AcdInput::CallerArrived {
                        call: CallId(u64::MAX),
                        queue: QueueName::new("zz"),
                        priority: 0,
                    },
                    AcdInput::TransferToQueue {
                        call: CallId(1),
                        queue: QueueName::new("zz"),
                        priority: 0,
                    },
                    AcdInput::CallerKey {
                        call: CallId(u64::MAX),
                        key: '9',
                    },
                ];
                let input = bogus[usize::from(n) % bogus.len()].clone();
                if self.acd.handle(input.clone(), now).is_ok() {
                    return Err(format!("bogus input accepted: {input:?}"));
                }
                return self.drain();
            }
        };
        // Inputs on possibly stale ids may be refused; they must never panic.
        let _ = self.acd.handle(input, now);
        self.drain()
    }

    fn check(&self) -> Result<(), String> {
        self.acd
            .check_invariants(self.now)
            .map_err(|e| e.to_string())?;
        let snap = self.acd.snapshot(self.now);
        let mut seen = BTreeSet::new();
        for q in &snap.queues {
            if q.waiting != q.callers.len() {
                return Err(format!(
                    "queue {} count {} != {}",
                    q.name,
                    q.waiting,
                    q.callers.len()
                ));
            }
            let states = q.agents;
            let total = states.logged_out
                + states.available
                + states.reserved
                + states.on_call
                + states.wrap_up
                + states.paused;
            let members = [3, 2, 3][QUEUES.iter().position(|n| *n == q.name.0).unwrap_or(0)];
            if total != members {
                return Err(format!("queue {} counts {total} members", q.name));
            }
            for (i, c) in q.callers.iter().enumerate() {
                if c.position != i + 1 || !seen.insert(c.call) {
                    return Err(format!("{:?} listed twice or out of place", c.call));
                }
                if self.model.connected.contains(&c.call.0) {
                    return Err(format!("{:?} waiting and connected", c.call));
                }
            }
        }
        let reserved: BTreeSet<String> = snap
            .agents
            .iter()
            .filter(|a| a.state == AgentState::Reserved)
            .map(|a| a.id.0.clone())
            .collect();
        let offered: BTreeSet<String> = self.model.offers.iter().map(|(_, a)| a.clone()).collect();
        if reserved != offered {
            return Err(format!("reserved {reserved:?} but offered {offered:?}"));
        }
        for a in &snap.agents {
            let known = self
                .model
                .states
                .get(&a.id.0)
                .cloned()
                .unwrap_or(AgentState::LoggedOut);
            if known != a.state {
                return Err(format!(
                    "agent {} is {:?} but outputs said {known:?}",
                    a.id, a.state
                ));
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_keep_the_invariants_acd2(
        strategies in any::<[u8; 3]>(),
        cap in 0..=100u8,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let t0 = Instant::now();
        let config = config(strategies, cap);
        let ring_all = config
            .queues
            .iter()
            .filter(|q| q.strategy == Distribution::RingAll)
            .map(|q| q.name.0.clone())
            .collect();
        let acd = Acd::new(config, t0).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut run = Run { acd, model: Model::default(), now: t0, ring_all };
        for op in ops {
            run.step(op.clone()).map_err(|e| TestCaseError::fail(format!("{op:?}: {e}")))?;
            run.check().map_err(|e| TestCaseError::fail(format!("after {op:?}: {e}")))?;
        }
    }
}
