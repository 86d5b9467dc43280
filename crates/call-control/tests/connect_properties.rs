//! Property test of ACD queue calls: random agent responses, connect and cancel
//! inputs, disconnects, caller and agent hangups and time never panic, a call ends once,
//! each connect attempt has at most one outcome, and each `Disconnect` releases one
//! connected agent (STYLE.md rule 10) [ACD-2, ACD-6, ACD-7].

mod support;

use std::time::Duration;

use call_control::io::{CallEvent, CallInput, CallOutput, ReqRef};
use proptest::prelude::*;
use sip_message::{Method, Request};
use support::*;

const AGENT: &str = "127.0.0.1:5091";

/// A local call (PCMA + telephone-event 101) the caller has acknowledged, with music on.
fn waiting() -> Sim {
    let (mut sim, _) = Sim::local();
    sim.at(0.1);
    sim.a_ack(1, "");
    sim.input(CallInput::Play {
        prompts: vec!["it/attesa".to_owned()],
        barge_in: false,
    });
    sim
}

fn count(sim: &Sim, pred: impl Fn(&CallEvent) -> bool) -> usize {
    Outs(sim.log.clone())
        .events()
        .iter()
        .filter(|e| pred(e))
        .count()
}

#[derive(Debug, Clone)]
enum Action {
    Connect { targets: usize },
    CancelConnect,
    Disconnect,
    Respond { pick: usize, status: u16, sdp: bool },
    Failed { pick: usize },
    CallerBye,
    AgentBye,
    Hangup,
    Tick { ms: u64 },
}

const STATUSES: &[u16] = &[100, 180, 183, 200, 200, 486, 487, 503, 603];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (1usize..3).prop_map(|targets| Action::Connect { targets }),
        1 => Just(Action::CancelConnect),
        1 => Just(Action::Disconnect),
        6 => (0usize..8, prop::sample::select(STATUSES), any::<bool>())
            .prop_map(|(pick, status, sdp)| Action::Respond { pick, status, sdp }),
        1 => (0usize..8).prop_map(|pick| Action::Failed { pick }),
        1 => Just(Action::CallerBye),
        1 => Just(Action::AgentBye),
        1 => Just(Action::Hangup),
        3 => (0u64..20_000).prop_map(|ms| Action::Tick { ms }),
    ]
}

fn sent_invites(sim: &Sim) -> Vec<(ReqRef, Request)> {
    sim.log
        .iter()
        .filter_map(|o| match o {
            CallOutput::Send { req, request, .. } if request.method == Method::Invite => {
                Some((*req, request.clone()))
            }
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn acd_7_random_connect_traffic_never_panics_and_reports_once(
        actions in prop::collection::vec(action(), 0..30),
    ) {
        let mut sim = waiting();
        let mut t = 1.0f64;
        let mut attempts = 0usize;
        for a in &actions {
            match a {
                Action::Connect { targets } => {
                    let was = sim.call.is_local() && !sim.call.is_connecting();
                    let p = plan(vec![(0..*targets).map(|k| target("2001", 5091 + k as u16, None)).collect()]);
                    sim.input(CallInput::Connect { plan: p, ring_timeout: Duration::from_secs(15) });
                    if was { attempts += 1; }
                }
                Action::CancelConnect => { sim.input(CallInput::CancelConnect); }
                Action::Disconnect => { sim.input(CallInput::Disconnect); }
                Action::Respond { pick, status, sdp } => {
                    let s = sent_invites(&sim);
                    if s.is_empty() { continue; }
                    let (req, invite) = &s[pick % s.len()];
                    let body = callee_sdp(7000, "sendrecv");
                    let r = reply(invite, *status, "callee-tag", 5091, sdp.then_some(body.as_str()));
                    if sim.respond(*req, r).events().contains(&CallEvent::Connected) {
                        sim.b_invite = Some(invite.clone());
                    }
                }
                Action::Failed { pick } => {
                    let s = sent_invites(&sim);
                    if let Some((req, _)) = s.get(pick % s.len().max(1)) {
                        sim.input(CallInput::RequestFailed { req: *req });
                    }
                }
                Action::CallerBye => {
                    let (tx, bye) = sim.a_request("BYE", None, "", "");
                    sim.send_request(tx, bye, CALLER);
                }
                Action::AgentBye => {
                    if sim.b_invite.is_some() {
                        let (tx, bye) = sim.b_request("BYE", "", "");
                        sim.send_request(tx, bye, AGENT);
                    }
                }
                Action::Hangup => { sim.input(CallInput::Hangup); }
                Action::Tick { ms } => {
                    t += *ms as f64 / 1000.0;
                    sim.tick(t);
                }
            }
            t = t.max((sim.now - sim.base).as_secs_f64());
            prop_assert!(sim.ended().len() <= 1);
            let outcomes = count(&sim, |e| matches!(e, CallEvent::ConnectFailed { .. } | CallEvent::Connected));
            prop_assert!(outcomes <= attempts, "{outcomes} outcomes for {attempts} attempts");
            // [ACD-6] Each Disconnect releases one Connected agent, and at most one is up.
            let connected = count(&sim, |e| *e == CallEvent::Connected);
            let disconnected = count(&sim, |e| *e == CallEvent::Disconnected);
            prop_assert!(disconnected <= connected && connected <= disconnected + 1);
        }
        sim.input(CallInput::Hangup);
        prop_assert_eq!(sim.ended().len(), 1);
        let mut steps = 0;
        while !sim.call.is_terminated() {
            let Some(at) = sim.call.poll_timeout() else { break };
            sim.tick((at.max(sim.now) - sim.base).as_secs_f64());
            steps += 1;
            prop_assert!(steps < 100, "timers do not converge");
        }
        prop_assert!(sim.call.is_terminated());
    }
}
