//! Message surgery done by the transaction layer: branch generation and Via insertion
//! (RFC 3261 §8.1.1.7), `received`/`rport` on incoming requests (§18.2.1, RFC 3581 §4), the
//! response destination (§18.2.2, RFC 3581 §4), the non-2xx ACK (§17.1.1.3) and CANCEL (§9.1).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use sip_message::{CSeq, HeaderName, Host, Method, Request, Response, Via};

use crate::key::MAGIC_COOKIE;
use crate::{Peer, Transmit, Transport, TuEvent};

/// Where machines write their outputs; the endpoint drains both queues.
pub(crate) struct Outputs {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<TuEvent>,
}

impl Outputs {
    pub(crate) fn send(&mut self, to: Peer, bytes: Vec<u8>) {
        self.transmits.push_back(Transmit { to, bytes });
    }

    pub(crate) fn event(&mut self, event: TuEvent) {
        self.events.push_back(event);
    }
}

/// Whether a transaction reports to the TU or is internal (the CANCEL the endpoint sends on the
/// TU's behalf, whose response is absorbed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    Tu,
    Silent,
}

/// A fresh RFC 3261 branch: the magic cookie followed by 16 random alphanumerics.
pub(crate) fn new_branch(rng: &mut fastrand::Rng) -> String {
    let mut branch = String::with_capacity(MAGIC_COOKIE.len() + 16);
    branch.push_str(MAGIC_COOKIE);
    for _ in 0..16 {
        branch.push(rng.alphanumeric());
    }
    branch
}

/// A fresh tag (RFC 3261 §19.3) of 10 random alphanumerics.
pub(crate) fn new_tag(rng: &mut fastrand::Rng) -> String {
    (0..10).map(|_| rng.alphanumeric()).collect()
}

/// Inserts our Via as the topmost one: `SIP/2.0/{UDP|TCP} local_addr;branch=...;rport`.
pub(crate) fn push_our_via(
    req: &mut Request,
    transport: Transport,
    local: SocketAddr,
    branch: &str,
) {
    let value = format!(
        "SIP/2.0/{} {};branch={};rport",
        transport.via_token(),
        local,
        branch
    );
    req.headers.push_front(HeaderName::Via, value);
}

/// Adds the header fields every request we originate carries when the TU left them out.
pub(crate) fn fill_request_defaults(req: &mut Request, user_agent: Option<&str>) {
    if !req.headers.contains(&HeaderName::MaxForwards) {
        req.headers.push(HeaderName::MaxForwards, "70");
    }
    if let Some(ua) = user_agent
        && !req.headers.contains(&HeaderName::UserAgent)
    {
        req.headers.push(HeaderName::UserAgent, ua);
    }
}

/// Records where a request really came from in its top Via (RFC 3261 §18.2.1, RFC 3581 §4):
/// `received` when the source IP differs from the sent-by host (or `rport` was asked for), and
/// the source port into a bare `rport`. Returns the rewritten top Via.
pub(crate) fn stamp_top_via(req: &mut Request, mut via: Via, source: SocketAddr) -> Via {
    let wants_rport = via.rport().is_some();
    let same_ip = match (&via.host, source.ip()) {
        (Host::Ipv4(h), IpAddr::V4(s)) => *h == s,
        (Host::Ipv6(h), IpAddr::V6(s)) => *h == s,
        _ => false,
    };
    if !same_ip || wants_rport {
        via.params.set("received", Some(source.ip().to_string()));
    }
    if wants_rport {
        via.params.set("rport", Some(source.port().to_string()));
    }
    if !same_ip || wants_rport {
        req.headers.remove_first(&HeaderName::Via);
        req.headers.push_front(HeaderName::Via, via.to_string());
    }
    via
}

/// Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): back over the same
/// connection on reliable transports; otherwise to the source IP (which `received` records) and
/// to the source port when `rport` was asked for, else to the sent-by port (5060 by default).
pub(crate) fn response_target(via: &Via, source: Peer) -> Peer {
    if source.transport.reliable() || via.rport().is_some() {
        return source;
    }
    let port = via.port.unwrap_or(5060);
    Peer {
        addr: SocketAddr::new(source.addr.ip(), port),
        transport: source.transport,
    }
}

/// The To tag of a message's To header, if any.
pub(crate) fn to_tag_of_response(resp: &Response) -> Option<String> {
    resp.headers.to().ok()?.tag().map(str::to_owned)
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): Request-URI, Call-ID, From, CSeq
/// number, top Via and Route of the INVITE; To of the response.
pub(crate) fn ack_for_non_2xx(invite: &Request, resp: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    copy_first(invite, &mut ack, HeaderName::Via);
    for route in invite.headers.get_all(&HeaderName::Route) {
        ack.headers.push(HeaderName::Route, route);
    }
    copy_first(invite, &mut ack, HeaderName::From);
    if let Some(to) = resp.headers.get(&HeaderName::To) {
        ack.headers.push(HeaderName::To, to);
    } else {
        copy_first(invite, &mut ack, HeaderName::To);
    }
    copy_first(invite, &mut ack, HeaderName::CallId);
    push_cseq(invite, &mut ack, Method::Ack);
    ack.headers.push(HeaderName::MaxForwards, "70");
    ack
}

/// The CANCEL for an INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, From, To, CSeq number,
/// top Via (hence the same branch) and Route.
pub(crate) fn cancel_for(invite: &Request) -> Request {
    let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
    copy_first(invite, &mut cancel, HeaderName::Via);
    for route in invite.headers.get_all(&HeaderName::Route) {
        cancel.headers.push(HeaderName::Route, route);
    }
    copy_first(invite, &mut cancel, HeaderName::From);
    copy_first(invite, &mut cancel, HeaderName::To);
    copy_first(invite, &mut cancel, HeaderName::CallId);
    push_cseq(invite, &mut cancel, Method::Cancel);
    cancel.headers.push(HeaderName::MaxForwards, "70");
    cancel
}

fn copy_first(from: &Request, to: &mut Request, name: HeaderName) {
    if let Some(value) = from.headers.get(&name) {
        let value = value.to_owned();
        to.headers.push(name, value);
    }
}

fn push_cseq(from: &Request, to: &mut Request, method: Method) {
    let seq = from.headers.cseq().map(|c| c.seq).unwrap_or(1);
    to.headers
        .push(HeaderName::CSeq, CSeq { seq, method }.to_string());
}

/// Gives a response a To tag when it has none (RFC 3261 §8.2.6.2: final responses carry one).
pub(crate) fn ensure_to_tag(resp: &mut Response, tag: impl FnOnce() -> String) {
    let Ok(mut to) = resp.headers.to() else {
        return;
    };
    if to.tag().is_none() {
        to.set_tag(tag());
        resp.headers.set(HeaderName::To, to.to_string());
    }
}
