//! Property test of the B2BUA `Call`: random responses, in-dialog requests and timeouts
//! never panic, `Ended` is emitted at most once, and a hung-up call terminates once its
//! linger time passes (STYLE.md rule 10: nothing reachable from network input panics).

mod support;

use std::time::Duration;

use call_control::io::{CallEvent, CallInput, CallOutput, ReqRef};
use proptest::prelude::*;
use sip_message::Request;
use support::*;

#[derive(Debug, Clone)]
enum Action {
    /// A response with `status` to the `pick`-th request the call sent.
    Respond {
        pick: usize,
        status: u16,
        body: u8,
    },
    /// The `pick`-th request timed out.
    Failed {
        pick: usize,
    },
    /// An in-dialog request from the caller; `lower` sends an old CSeq.
    FromA {
        method: usize,
        body: u8,
        lower: bool,
    },
    /// An in-dialog request from the callee.
    FromB {
        method: usize,
        body: u8,
    },
    AckFromA {
        body: u8,
    },
    Cancelled,
    MediaInactive,
    Hangup,
    AckTimeout,
    /// Virtual time moves on by this many milliseconds, then timers fire.
    Tick {
        ms: u64,
    },
}

const STATUSES: &[u16] = &[
    100, 180, 183, 200, 200, 200, 202, 300, 404, 408, 481, 486, 487, 491, 500, 503, 600, 603, 699,
];
const METHODS: &[&str] = &[
    "BYE", "INVITE", "UPDATE", "OPTIONS", "INFO", "MESSAGE", "NOTIFY",
];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (0usize..8, prop::sample::select(STATUSES), 0u8..4)
            .prop_map(|(pick, status, body)| Action::Respond { pick, status, body }),
        1 => (0usize..8).prop_map(|pick| Action::Failed { pick }),
        3 => (0usize..METHODS.len(), 0u8..4, any::<bool>())
            .prop_map(|(method, body, lower)| Action::FromA { method, body, lower }),
        2 => (0usize..METHODS.len(), 0u8..4).prop_map(|(method, body)| Action::FromB { method, body }),
        1 => (0u8..4).prop_map(|body| Action::AckFromA { body }),
        1 => Just(Action::Cancelled),
        1 => Just(Action::MediaInactive),
        1 => Just(Action::Hangup),
        1 => Just(Action::AckTimeout),
        3 => (0u64..200_000).prop_map(|ms| Action::Tick { ms }),
    ]
}

/// A body variant: none, a sendrecv or sendonly SDP, or garbage.
fn body(kind: u8, callee: bool) -> (String, &'static str) {
    let sdp = |dir| {
        if callee {
            callee_sdp(7000, dir)
        } else {
            caller_sdp(2, dir)
        }
    };
    match kind {
        0 => (String::new(), ""),
        1 => (sdp("sendrecv"), "Content-Type: application/sdp"),
        2 => (sdp("sendonly"), "Content-Type: application/sdp"),
        _ => (
            "v=0\r\nm=garbage\r\n".to_owned(),
            "Content-Type: application/sdp",
        ),
    }
}

/// Starts a call with two targets in the first group and one in the second, optionally
/// with session timers and a late offer.
fn start(timers: bool, late: bool) -> Sim {
    let extra = if timers {
        format!("{SIPP_EXTRA}\nSupported: timer\nSession-Expires: 90;refresher=uac")
    } else {
        SIPP_EXTRA.to_owned()
    };
    let invite = if late {
        caller_invite(&extra, None, "")
    } else {
        caller_invite(&extra, Some("application/sdp"), SIPP_SDP)
    };
    let p = plan(vec![
        vec![target("2001", 5091, Some(0)), target("2001", 5092, None)],
        vec![target("2001", 5093, Some(1))],
    ]);
    let cfg = if timers {
        config_with_timers()
    } else {
        config()
    };
    Sim::start(&invite, p, cfg).expect("the call starts").0
}

/// Every request the call sent so far, in order.
fn sent(sim: &Sim) -> Vec<(ReqRef, Request)> {
    sim.log
        .iter()
        .filter_map(|o| match o {
            CallOutput::Send { req, request, .. } => Some((*req, request.clone())),
            _ => None,
        })
        .collect()
}

fn run(sim: &mut Sim, actions: &[Action]) {
    let mut t = 0.0f64;
    for a in actions {
        match a {
            Action::Respond {
                pick,
                status,
                body: b,
            } => {
                let s = sent(sim);
                if s.is_empty() {
                    continue;
                }
                let (req, request) = &s[pick % s.len()];
                let (text, _) = body(*b, true);
                let sdp = (!text.is_empty()).then_some(text.as_str());
                if request.method == sip_message::Method::Invite && sim.b_invite.is_none() {
                    sim.b_invite = Some(request.clone());
                }
                sim.respond(*req, reply(request, *status, "callee-tag", 5091, sdp));
            }
            Action::Failed { pick } => {
                let s = sent(sim);
                if let Some((req, _)) = s.get(pick % s.len().max(1)) {
                    sim.input(CallInput::RequestFailed { req: *req });
                }
            }
            Action::FromA {
                method,
                body: b,
                lower,
            } => {
                if sim.a_local_tag.is_none() {
                    continue;
                }
                let (text, ct) = body(*b, false);
                let cseq = lower.then_some(1);
                let (tx, req) = sim.a_request(METHODS[*method], cseq, ct, &text);
                sim.send_request(tx, req, CALLER);
            }
            Action::FromB { method, body: b } => {
                if sim.b_invite.is_none() {
                    continue;
                }
                let (text, ct) = body(*b, true);
                let (tx, req) = sim.b_request(METHODS[*method], ct, &text);
                sim.send_request(tx, req, "127.0.0.1:5091");
            }
            Action::AckFromA { body: b } => {
                if sim.a_local_tag.is_none() {
                    continue;
                }
                let (text, _) = body(*b, false);
                sim.a_ack(1, &text);
            }
            Action::Cancelled => {
                sim.input(CallInput::Cancelled);
            }
            Action::MediaInactive => {
                sim.input(CallInput::MediaInactive);
            }
            Action::Hangup => {
                sim.input(CallInput::Hangup);
            }
            Action::AckTimeout => {
                let tx = sim.a_tx;
                sim.input(CallInput::AckTimeout { tx });
            }
            Action::Tick { ms } => {
                t += *ms as f64 / 1000.0;
                sim.tick(t);
            }
        }
        let ended = sim.ended().len();
        assert!(ended <= 1, "Ended emitted {ended} times");
        // Time only moves forward in the harness; keep `t` in step with it.
        t = t.max((sim.now - sim.base).as_secs_f64());
    }
    // Hang up whatever is left and let the linger time pass.
    sim.input(CallInput::Hangup);
    assert_eq!(
        sim.ended().len(),
        1,
        "a hung-up call has ended exactly once"
    );
    let limit = sim.now + Duration::from_secs(3600);
    let mut steps = 0;
    while !sim.call.is_terminated() {
        let Some(at) = sim.call.poll_timeout() else {
            break;
        };
        assert!(
            at <= limit,
            "the call wants a timer an hour away after a hangup"
        );
        let secs = (at.max(sim.now) - sim.base).as_secs_f64();
        sim.tick(secs);
        steps += 1;
        assert!(steps < 100, "timers do not converge");
    }
    assert!(sim.call.is_terminated(), "the call never terminates");
    assert!(
        !sim.log
            .iter()
            .any(|o| matches!(o, CallOutput::Event(CallEvent::Answered)))
            || sim.log.iter().any(
                |o| matches!(o, CallOutput::Respond { response, .. } if response.status.0 == 200)
            )
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_inputs_never_panic_and_end_once(
        timers in any::<bool>(),
        late in any::<bool>(),
        answer_first in any::<bool>(),
        actions in prop::collection::vec(action(), 0..40),
    ) {
        let mut sim = start(timers, late);
        if answer_first {
            // Half the runs start from a bridged call, so in-dialog paths get exercised.
            sim.answer_first_invite();
            sim.a_ack(1, if late { SIPP_SDP } else { "" });
        }
        run(&mut sim, &actions);
    }
}
