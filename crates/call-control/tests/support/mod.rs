//! Test harness for transcript tests of the B2BUA `Call`: builds SIPp-like messages,
//! mints real server-transaction ids through a `sip_transaction::Endpoint`, drives the
//! call in virtual time and sorts its outputs.
#![allow(dead_code)]

pub mod acd;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use call_control::Call;
use call_control::io::{
    CallConfig, CallEvent, CallInput, CallOutput, MediaCommand, MediaPorts, ReqRef, Target,
    TargetPlan,
};
use sdp_offer_answer::Capabilities;
use sip_dialog::session_timer::SessionTimerConfig;
use sip_message::{
    HeaderName, Limits, Message, Method, Request, Response, StatusCode, parse_datagram,
};
use sip_transaction::{Config, Endpoint, Peer, ServerTxId, Transport, TuEvent};

/// The caller (a SIPp UAC) and its media address.
pub const CALLER: &str = "127.0.0.1:5061";
pub const CALLER_RTP: &str = "127.0.0.1:6000";
/// Our own signalling address and the relay's ports.
pub const LOCAL: &str = "127.0.0.1:5060";
pub const A_PORT: u16 = 20000;
pub const B_PORT: u16 = 20002;
/// The caller's dialog identity.
pub const A_CALL_ID: &str = "1-4242@127.0.0.1";
pub const A_TAG: &str = "caller-tag-1";

/// SIPp's default audio offer: PCMA only.
pub const SIPP_SDP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

/// A UDP peer on loopback.
pub fn udp(addr: &str) -> Peer {
    Peer {
        addr: addr.parse().expect("test address"),
        transport: Transport::Udp,
    }
}

/// A callee's SDP answer (PCMA plus telephone-event) from `port`, with `dir` as its direction attribute.
pub fn callee_sdp(port: u16, dir: &str) -> String {
    format!(
        "v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na={dir}\r\n"
    )
}

/// A caller SDP with a chosen codec line, version and direction.
pub fn caller_sdp(version: u32, dir: &str) -> String {
    format!(
        "v=0\r\no=user1 53655765 {version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na={dir}\r\n"
    )
}

/// A caller SDP like [`caller_sdp`] that also offers telephone-event 101 (RFC 4733).
pub fn caller_sdp_te(version: u32, dir: &str) -> String {
    format!(
        "v=0\r\no=user1 53655765 {version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na={dir}\r\n"
    )
}

/// Parses a message written with `\n` line ends, fixing CRLF and Content-Length.
pub fn parse(head: &str, body: &str) -> Message {
    let mut text = head.trim_end().replace("\r\n", "\n").replace('\n', "\r\n");
    text.push_str(&format!("\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    parse_datagram(text.as_bytes(), &Limits::default()).expect("test message parses")
}

/// Parses a request.
pub fn request(head: &str, body: &str) -> Request {
    match parse(head, body) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

/// The caller's INVITE: SIPp-like headers plus `extra` lines, and `body` with `content_type`.
pub fn caller_invite(extra: &str, content_type: Option<&str>, body: &str) -> String {
    let mut head = format!(
        "INVITE sip:2001@127.0.0.1:5060 SIP/2.0\n\
         Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-a-invite\n\
         From: \"sipp\" <sip:3331234567@127.0.0.1:5061>;tag={A_TAG}\n\
         To: <sip:2001@127.0.0.1:5060>\n\
         Call-ID: {A_CALL_ID}\n\
         CSeq: 1 INVITE\n\
         Subject: Performance Test\n"
    );
    for line in extra.lines().map(str::trim).filter(|l| !l.is_empty()) {
        head.push_str(line);
        head.push('\n');
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\n"));
    }
    head + "\n" + body
}

/// The default headers a SIPp INVITE carries beyond the dialog identity.
pub const SIPP_EXTRA: &str = "Contact: <sip:sipp@127.0.0.1:5061>\nMax-Forwards: 70";

/// One target on loopback port `port` (an agent's phone), optionally part of a trunk.
pub fn target(user: &str, port: u16, trunk: Option<usize>) -> Target {
    Target {
        uri: format!("sip:{user}@127.0.0.1:{port}")
            .parse()
            .expect("test uri"),
        peer: udp(&format!("127.0.0.1:{port}")),
        trunk,
    }
}

/// A plan with the given groups.
pub fn plan(groups: Vec<Vec<Target>>) -> TargetPlan {
    TargetPlan { groups }
}

/// The default per-call policy: 30 s ring timeout, no session timers, 32 s linger.
pub fn config() -> CallConfig {
    CallConfig {
        ring_timeout: Duration::from_secs(30),
        session_timer: None,
        local_contact: "sip:centralino@127.0.0.1:5060".parse().expect("contact"),
        capabilities: Capabilities::default(),
        no_response_timeout: Duration::from_secs(4),
        linger: Duration::from_secs(32),
    }
}

/// Config with RFC 4028 timers on (1800 s asked, 90 s minimum).
pub fn config_with_timers() -> CallConfig {
    CallConfig {
        session_timer: Some(SessionTimerConfig {
            session_expires: Duration::from_secs(1800),
            min_se: Duration::from_secs(90),
        }),
        ..config()
    }
}

/// The relay's ports for every test call.
pub fn ports() -> MediaPorts {
    MediaPorts {
        ip: "127.0.0.1".parse().expect("ip"),
        a_port: A_PORT,
        b_port: B_PORT,
    }
}

/// A response from a callee to `req`: To tag, Contact and optional SDP body.
pub fn reply(
    req: &Request,
    status: u16,
    to_tag: &str,
    contact_port: u16,
    sdp: Option<&str>,
) -> Response {
    let mut resp = Response::from_request(req, StatusCode(status));
    if status > 100 {
        if let Ok(mut to) = resp.headers.to()
            && to.tag().is_none()
        {
            to.set_tag(to_tag.to_owned());
            resp.headers.set(HeaderName::To, to.to_string());
        }
        resp.headers.push(
            HeaderName::Contact,
            format!("<sip:2001@127.0.0.1:{contact_port}>"),
        );
    }
    if let Some(sdp) = sdp {
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        resp.body = sdp.as_bytes().to_vec();
    }
    resp
}

/// The Nth output list sorted by kind, with lookups that fail loudly.
#[derive(Debug, Default, Clone)]
pub struct Outs(pub Vec<CallOutput>);

impl Outs {
    pub fn responds(&self) -> Vec<(ServerTxId, &Response)> {
        self.0
            .iter()
            .filter_map(|o| match o {
                CallOutput::Respond { tx, response } => Some((*tx, response)),
                _ => None,
            })
            .collect()
    }

    pub fn statuses(&self) -> Vec<u16> {
        self.responds().iter().map(|(_, r)| r.status.0).collect()
    }

    pub fn sends(&self) -> Vec<(ReqRef, &Request, Peer)> {
        self.0
            .iter()
            .filter_map(|o| match o {
                CallOutput::Send { req, request, to } => Some((*req, request, *to)),
                _ => None,
            })
            .collect()
    }

    /// The requests sent with `method`.
    pub fn sent(&self, method: Method) -> Vec<(ReqRef, &Request, Peer)> {
        self.sends()
            .into_iter()
            .filter(|(_, r, _)| r.method == method)
            .collect()
    }

    /// Exactly one request with `method`.
    pub fn one_sent(&self, method: Method) -> (ReqRef, Request, Peer) {
        let s = self.sent(method.clone());
        assert_eq!(s.len(), 1, "expected one {method:?} in {:#?}", self.0);
        let (r, q, p) = s[0];
        (r, q.clone(), p)
    }

    /// Exactly one response with `status`.
    pub fn one_response(&self, status: u16) -> Response {
        let r: Vec<_> = self
            .responds()
            .into_iter()
            .filter(|(_, r)| r.status.0 == status)
            .collect();
        assert_eq!(r.len(), 1, "expected one {status} in {:#?}", self.0);
        r[0].1.clone()
    }

    pub fn acks(&self) -> Vec<(&Request, Peer)> {
        self.0
            .iter()
            .filter_map(|o| match o {
                CallOutput::SendAck { request, to } => Some((request, *to)),
                _ => None,
            })
            .collect()
    }

    pub fn cancels(&self) -> Vec<ReqRef> {
        self.0
            .iter()
            .filter_map(|o| match o {
                CallOutput::Cancel { req } => Some(*req),
                _ => None,
            })
            .collect()
    }

    pub fn events(&self) -> Vec<CallEvent> {
        self.0
            .iter()
            .filter_map(|o| match o {
                CallOutput::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn media(&self) -> Vec<MediaCommand> {
        self.0
            .iter()
            .filter_map(|o| match o {
                CallOutput::Media(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A call under test, in virtual time, with the dialog state the peers would keep.
pub struct Sim {
    pub base: Instant,
    pub now: Instant,
    pub call: Call,
    pub a_tx: ServerTxId,
    ep: Endpoint,
    branch: u32,
    /// Our tag on leg A (from the first response with a To tag).
    pub a_local_tag: Option<String>,
    /// The caller's next CSeq.
    pub a_cseq: u32,
    /// Leg B: the INVITE we sent to the winning fork, the callee's tag, its next CSeq.
    pub b_invite: Option<Request>,
    pub b_tag: String,
    pub b_cseq: u32,
    /// Every output ever drained, for whole-call assertions.
    pub log: Vec<CallOutput>,
}

impl Sim {
    /// Starts a call at virtual time 0 from the INVITE text.
    pub fn start(invite: &str, plan: TargetPlan, cfg: CallConfig) -> Result<(Sim, Outs), Response> {
        Sim::start_with(invite, |now, request, tx, source| {
            Call::new(now, request, tx, source, plan, ports(), cfg, 42)
        })
    }

    /// Starts a call the engine answers itself (`Call::new_local`) at virtual time 0.
    pub fn start_local(invite: &str, cfg: CallConfig) -> Result<(Sim, Outs), Response> {
        Sim::start_with(invite, |now, request, tx, source| {
            Call::new_local(now, request, tx, source, ports(), cfg, 42)
        })
    }

    /// A SIPp call (PCMA plus telephone-event 101) answered locally; returns the answer's outputs.
    pub fn local() -> (Sim, Outs) {
        let invite = caller_invite(
            SIPP_EXTRA,
            Some("application/sdp"),
            &caller_sdp_te(1, "sendrecv"),
        );
        Sim::start_local(&invite, config()).expect("call starts")
    }

    /// Starts a call at virtual time 0 with `make` building the `Call`.
    pub fn start_with(
        invite: &str,
        make: impl FnOnce(Instant, Request, ServerTxId, Peer) -> Result<Call, Response>,
    ) -> Result<(Sim, Outs), Response> {
        let base = Instant::now();
        let mut ep = Endpoint::new(
            Config::new(LOCAL.parse().expect("local")),
            fastrand::Rng::with_seed(1),
        );
        let msg = parse_datagram(
            invite
                .replace("\r\n", "\n")
                .replace('\n', "\r\n")
                .as_bytes(),
            &Limits::default(),
        )
        .expect("INVITE parses");
        let (tx, request, source) = mint(&mut ep, base, msg, CALLER);
        let call = make(base, request, tx, source)?;
        let mut sim = Sim {
            base,
            now: base,
            call,
            a_tx: tx,
            ep,
            branch: 0,
            a_local_tag: None,
            a_cseq: 2,
            b_invite: None,
            b_tag: "callee-tag".to_owned(),
            b_cseq: 1,
            log: Vec::new(),
        };
        let outs = sim.drain();
        Ok((sim, outs))
    }

    /// A SIPp call with PCMA SDP to one agent.
    pub fn direct() -> (Sim, Outs) {
        let invite = caller_invite(SIPP_EXTRA, Some("application/sdp"), SIPP_SDP);
        Sim::start(
            &invite,
            plan(vec![vec![target("2001", 5091, None)]]),
            config(),
        )
        .expect("call starts")
    }

    /// Moves virtual time to `secs` after the start.
    pub fn at(&mut self, secs: f64) -> &mut Sim {
        self.now = self.base + Duration::from_secs_f64(secs);
        self
    }

    /// Feeds one input at the current virtual time and drains the outputs.
    pub fn input(&mut self, input: CallInput) -> Outs {
        self.call.handle(self.now, input);
        self.drain()
    }

    /// Fires the call's timers at `secs`.
    pub fn tick(&mut self, secs: f64) -> Outs {
        self.at(secs);
        self.call.handle_timeout(self.now);
        self.drain()
    }

    /// A response to a request the call sent.
    pub fn respond(&mut self, req: ReqRef, response: Response) -> Outs {
        self.input(CallInput::Response { req, response })
    }

    /// Drains every pending output, remembering our leg-A tag.
    pub fn drain(&mut self) -> Outs {
        let mut outs = Vec::new();
        while let Some(o) = self.call.poll_output() {
            if let CallOutput::Respond { response, .. } = &o
                && self.a_local_tag.is_none()
                && response.headers.call_id().is_ok_and(|c| c == A_CALL_ID)
            {
                self.a_local_tag = response
                    .headers
                    .to()
                    .ok()
                    .and_then(|t| t.tag().map(str::to_owned));
            }
            outs.push(o);
        }
        self.log.extend(outs.iter().cloned());
        Outs(outs)
    }

    /// An in-dialog request from the caller; `cseq` None takes the next number.
    pub fn a_request(
        &mut self,
        method: &str,
        cseq: Option<u32>,
        extra: &str,
        body: &str,
    ) -> (ServerTxId, Request) {
        let seq = cseq.unwrap_or_else(|| {
            let s = self.a_cseq;
            self.a_cseq += 1;
            s
        });
        let tag = self.a_local_tag.clone().expect("our leg-A tag is known");
        self.branch += 1;
        let head = format!(
            "{method} sip:centralino@127.0.0.1:5060 SIP/2.0\n\
             Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-a-{}\n\
             From: \"sipp\" <sip:3331234567@127.0.0.1:5061>;tag={A_TAG}\n\
             To: <sip:2001@127.0.0.1:5060>;tag={tag}\n\
             Call-ID: {A_CALL_ID}\n\
             CSeq: {seq} {method}\n\
             Contact: <sip:sipp@127.0.0.1:5061>\n\
             Max-Forwards: 70\n{extra}",
            self.branch
        );
        self.mint_request(&head, body, CALLER)
    }

    /// An in-dialog request from the callee on leg B.
    pub fn b_request(&mut self, method: &str, extra: &str, body: &str) -> (ServerTxId, Request) {
        let invite = self.b_invite.clone().expect("leg B is up");
        let from_b = invite.headers.from().expect("our From");
        let call_id = invite.headers.call_id().expect("Call-ID").to_owned();
        self.b_cseq += 1;
        self.branch += 1;
        let head = format!(
            "{method} sip:centralino@127.0.0.1:5060 SIP/2.0\n\
             Via: SIP/2.0/UDP 127.0.0.1:5091;branch=z9hG4bK-b-{}\n\
             From: <{}>;tag={}\n\
             To: {from_b}\n\
             Call-ID: {call_id}\n\
             CSeq: {} {method}\n\
             Contact: <sip:2001@127.0.0.1:5091>\n\
             Max-Forwards: 70\n{extra}",
            self.branch, invite.uri, self.b_tag, self.b_cseq
        );
        self.mint_request(&head, body, "127.0.0.1:5091")
    }

    /// Parses `head`/`body` and runs it through the transaction endpoint for a real id.
    pub fn mint_request(&mut self, head: &str, body: &str, from: &str) -> (ServerTxId, Request) {
        let (tx, request, _) = mint(&mut self.ep, self.now, parse(head, body), from);
        (tx, request)
    }

    /// Sends an in-dialog request into the call.
    pub fn send_request(&mut self, tx: ServerTxId, request: Request, from: &str) -> Outs {
        self.input(CallInput::Request {
            tx,
            request,
            source: udp(from),
        })
    }

    /// The caller's ACK for our 2xx, optionally with an SDP answer.
    pub fn a_ack(&mut self, invite_cseq: u32, body: &str) -> Outs {
        let tag = self.a_local_tag.clone().expect("our tag");
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\n"
        };
        let head = format!(
            "ACK sip:centralino@127.0.0.1:5060 SIP/2.0\n\
             Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-ack-{invite_cseq}\n\
             From: \"sipp\" <sip:3331234567@127.0.0.1:5061>;tag={A_TAG}\n\
             To: <sip:2001@127.0.0.1:5060>;tag={tag}\n\
             Call-ID: {A_CALL_ID}\n\
             CSeq: {invite_cseq} ACK\n\
             Max-Forwards: 70\n{ct}"
        );
        let Message::Request(request) = parse(&head, body) else {
            panic!("ACK is a request")
        };
        self.input(CallInput::Ack { request })
    }

    /// Rings and answers the single fork of a direct call; returns the answer's outputs.
    pub fn answer_direct(&mut self, invite_outs: &Outs) -> Outs {
        let (req, invite, _) = invite_outs.one_sent(Method::Invite);
        let ringing = reply(&invite, 180, &self.b_tag.clone(), 5091, None);
        self.respond(req, ringing);
        self.b_invite = Some(invite.clone());
        let ok = reply(
            &invite,
            200,
            &self.b_tag.clone(),
            5091,
            Some(&callee_sdp(7000, "sendrecv")),
        );
        self.respond(req, ok)
    }

    /// Rings and answers the first INVITE the call sent (for calls with several forks).
    pub fn answer_first_invite(&mut self) -> Outs {
        let first = self.log.iter().find_map(|o| match o {
            CallOutput::Send { req, request, to } if request.method == Method::Invite => {
                Some(CallOutput::Send {
                    req: *req,
                    request: request.clone(),
                    to: *to,
                })
            }
            _ => None,
        });
        self.answer_direct(&Outs(first.into_iter().collect()))
    }

    /// A confirmed direct call: INVITE, 180, 200, caller's ACK.
    pub fn confirmed() -> Sim {
        let (mut sim, outs) = Sim::direct();
        sim.at(1.0);
        sim.answer_direct(&outs);
        sim.a_ack(1, "");
        sim
    }

    /// Every `Ended` event so far.
    pub fn ended(&self) -> Vec<CallEvent> {
        Outs(self.log.clone())
            .events()
            .into_iter()
            .filter(|e| matches!(e, CallEvent::Ended { .. }))
            .collect()
    }

    /// Answers every outstanding request of `outs` with `status` (BYEs and the like).
    pub fn answer_all(&mut self, outs: &Outs, status: u16) -> Outs {
        let sends: Vec<(ReqRef, Request)> = outs
            .sends()
            .into_iter()
            .map(|(r, q, _)| (r, q.clone()))
            .collect();
        let mut all = Outs::default();
        for (r, q) in sends {
            let resp = reply(&q, status, "x", 5091, None);
            all.0.extend(self.respond(r, resp).0);
        }
        all
    }
}

/// The address an SDP body puts its audio at.
pub fn sdp_audio(body: &[u8]) -> (SocketAddr, String) {
    let text = std::str::from_utf8(body).expect("SDP is text");
    let sdp: sdp_offer_answer::SessionDescription = text.parse().expect("SDP parses");
    let m = sdp.media.first().expect("one media section");
    let ip = sdp.connection_for(m).and_then(|c| c.ip()).expect("c= line");
    let dir = sdp.direction(m).as_str().to_owned();
    (SocketAddr::new(ip, m.port), dir)
}

/// Runs a parsed request through a transaction endpoint and returns its server transaction.
fn mint(ep: &mut Endpoint, now: Instant, msg: Message, from: &str) -> (ServerTxId, Request, Peer) {
    ep.handle_message(now, msg, udp(from));
    while let Some(ev) = ep.poll_event() {
        if let TuEvent::Request {
            tx,
            request,
            source,
        } = ev
        {
            return (tx, request, source);
        }
    }
    panic!("the endpoint produced no request event")
}
