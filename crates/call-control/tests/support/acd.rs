//! Helpers shared by the transcript tests of ACD queue calls: a caller waiting on the
//! engine, offers to agents and their answers [ACD-2, ACD-6, ACD-7].

use std::time::Duration;

use call_control::io::{CallEvent, CallInput, ReqRef, TargetPlan};
use sip_message::Request;

use super::{Outs, Sim, plan, reply, target};

/// The first agent's phone.
pub const AGENT: &str = "127.0.0.1:5091";

/// A local call (PCMA + telephone-event 101) the caller has acknowledged, with music on.
pub fn waiting() -> Sim {
    let (mut sim, _) = Sim::local();
    sim.at(0.1);
    sim.a_ack(1, "");
    let outs = sim.input(CallInput::Play {
        prompts: vec!["it/attesa".to_owned()],
        barge_in: false,
    });
    assert_eq!(outs.media().len(), 1);
    sim
}

/// One agent (user 2001) on loopback port `port`.
pub fn agent(port: u16) -> TargetPlan {
    plan(vec![vec![target("2001", port, None)]])
}

/// Offers the call to `plan` at `secs`; returns the INVITEs sent.
pub fn connect(sim: &mut Sim, secs: f64, plan: TargetPlan) -> Outs {
    sim.at(secs);
    sim.input(CallInput::Connect {
        plan,
        ring_timeout: Duration::from_secs(15),
    })
}

/// The callee's 2xx with `sdp` (and a Contact on the INVITE's port) to `invite`,
/// remembered as leg B for later requests; the To tag is `sim.b_tag`.
pub fn answer(sim: &mut Sim, req: ReqRef, invite: &Request, sdp: &str) -> Outs {
    sim.b_invite = Some(invite.clone());
    let tag = sim.b_tag.clone();
    let port = invite.uri.port.unwrap_or(5091);
    sim.respond(req, reply(invite, 200, &tag, port, Some(sdp)))
}

/// How many events of the whole call so far satisfy `pred`.
pub fn count(sim: &Sim, pred: impl Fn(&CallEvent) -> bool) -> usize {
    Outs(sim.log.clone())
        .events()
        .iter()
        .filter(|e| pred(e))
        .count()
}
