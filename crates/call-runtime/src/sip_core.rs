//! The SIP core task: owns the transaction endpoint, the registrar, digest
//! authentication and the trunk table; admits or refuses new requests, routes
//! in-dialog traffic to call tasks and executes their commands [TEL-1, TEL-2, TEL-5].
//!
//! One task owns all of this state, so nothing here is shared or locked.

use std::collections::HashMap;

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use call_control::dial_plan::{Destination, Origin};
use call_control::io::{CallInput, ReqRef, Target, TargetPlan};
use call_control::trunk::{Health, Probe, TrunkId, Trunks};
use call_control::trunk_registration::{RegistrationClient, RegistrationState};
use sip_dialog::auth::{AuthError, DigestServer};
use sip_message::{HeaderName, Host, Message, Method, Request, Response, StatusCode, Uri, validate_request};
use sip_registrar::{RegistrationChange, Registrar};
use sip_transaction::{ClientTxId, Endpoint, Peer, ServerTxId, Transport, TuEvent};
use sip_transport::{Inbound, SipTransport};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::call_task::{self, CallMode, CallSpawn};
use crate::register::RegisterSpec;
use acd_engine::{AcdInput, AgentId};
use sql_store::Channel;
use crate::service::Service;
use crate::{CallKey, CoreCmd, Shared};

/// Methods we answer outside a dialog.
const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REGISTER";

struct CallEntry {
    inbox: mpsc::Sender<CallInput>,
    /// API commands for the call task.
    control: mpsc::Sender<crate::CallControl>,
    /// Agents on this call outside the ACD (direct or outbound calls): never offered a
    /// queue call meanwhile [ACD-2 item "an agent on any call"].
    agents: Vec<String>,
    call_ids: Vec<String>,
    server_txs: Vec<ServerTxId>,
    client_txs: Vec<ClientTxId>,
}

enum Owner {
    Call(CallKey, ReqRef),
    Probe(Probe),
    /// A trunk's outbound REGISTER (index into `registrations`).
    Registration(usize),
}

pub(crate) struct SipCore {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    transport: SipTransport,
    registrar: Registrar,
    digest: DigestServer,
    trunks: Trunks,
    registrations: Vec<(usize, RegistrationClient)>,
    passwords: HashMap<String, String>,
    calls: HashMap<CallKey, CallEntry>,
    by_call_id: HashMap<String, CallKey>,
    by_server_tx: HashMap<ServerTxId, CallKey>,
    owners: HashMap<ClientTxId, Owner>,
    req_txs: HashMap<(CallKey, ReqRef), ClientTxId>,
    next_call: u64,
    cmd_tx: mpsc::Sender<CoreCmd>,
    rng: fastrand::Rng,
}

impl SipCore {
    pub(crate) fn new(
        shared: Arc<Shared>,
        endpoint: Endpoint,
        transport: SipTransport,
        registrar: Registrar,
        digest: DigestServer,
        trunks: Trunks,
        cmd_tx: mpsc::Sender<CoreCmd>,
    ) -> Self {
        let contact = shared.call_config.local_contact.clone();
        let registrations = shared
            .cfg
            .trunk_registrations
            .iter()
            .map(|(trunk, cfg)| (*trunk, RegistrationClient::new(cfg.clone(), contact.clone(), fastrand::u64(..), now())))
            .collect();
        let passwords = shared.cfg.agents.iter().map(|a| (a.extension.clone(), a.password.clone())).collect();
        SipCore {
            shared,
            endpoint,
            transport,
            registrar,
            digest,
            trunks,
            registrations,
            passwords,
            calls: HashMap::new(),
            by_call_id: HashMap::new(),
            by_server_tx: HashMap::new(),
            owners: HashMap::new(),
            req_txs: HashMap::new(),
            // Call numbers stay unique across restarts (CTI consumers such as a CRM key
            // calls on them): they start from the start-up instant in microseconds.
            next_call: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(0)),
            cmd_tx,
            rng: fastrand::Rng::new(),
        }
    }

    /// The task body: runs until both channels close.
    pub(crate) async fn run(mut self, mut inbound: mpsc::Receiver<Inbound>, mut cmds: mpsc::Receiver<CoreCmd>) {
        loop {
            let deadline = [self.endpoint.poll_timeout(), self.trunks.poll_timeout(), self.registrar.poll_timeout()]
                .into_iter()
                .chain(self.registrations.iter().map(|(_, r)| r.poll_timeout()))
                .flatten()
                .min();
            tokio::select! {
                msg = inbound.recv() => match msg {
                    Some(m) => self.on_inbound(now(), m),
                    None => return,
                },
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.on_cmd(now(), c),
                    None => return,
                },
                () = sleep_until(deadline) => self.on_timer(now()),
            }
            self.flush(now());
        }
    }

    fn on_inbound(&mut self, now: Instant, inbound: Inbound) {
        if let Message::Request(req) = &inbound.message
            && req.method != Method::Ack
            && let Err(rej) = validate_request(req)
        {
            metrics::counter!("centralino_sip_rejected_total", "status" => rej.status.0.to_string()).increment(1);
            let mut resp = Response::from_request(req, rej.status);
            self.add_tag(&mut resp);
            for (name, value) in rej.extra_headers {
                resp.headers.push(name, value);
            }
            resp.headers.push(HeaderName::Warning, format!("399 centralino \"{}\"", rej.reason.replace('"', "'")));
            self.endpoint.send_stateless_response(now, resp, inbound.source);
            return;
        }
        self.endpoint.handle_message(now, inbound.message, inbound.source);
    }

    fn on_timer(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        while let Some(probe) = self.trunks.poll_probe(now) {
            self.send_probe(now, probe);
        }
        while let Some(change) = self.trunks.poll_change() {
            let name = self.trunks.config(change.trunk).map(|c| c.name.clone()).unwrap_or_default();
            let up = change.health == Health::Up;
            metrics::gauge!("centralino_trunk_up", "trunk" => name.clone(), "destination" => change.destination.to_string())
                .set(if up { 1.0 } else { 0.0 });
            if up {
                info!(trunk = %name, destination = %change.destination, "trunk destination up");
            } else {
                warn!(trunk = %name, destination = %change.destination, "trunk destination down [TEL-2]");
            }
        }
        for i in 0..self.registrations.len() {
            if let Some(req) = self.registrations[i].1.poll_request(now) {
                let to = Peer { addr: self.shared.cfg.trunk_registrations[i].1.registrar, transport: Transport::Udp };
                let tx = self.endpoint.send_request(now, req, to);
                self.owners.insert(tx, Owner::Registration(i));
            }
        }
        for ext in self.registrar.expire(now) {
            info!(extension = %ext, "agent registration expired");
            self.acd(AcdInput::AgentRegistration { agent: AgentId::new(ext.as_str()), registered: false });
        }
        metrics::gauge!("centralino_registrations").set(self.registrar.registered_count() as f64);
    }

    /// Sends every transmit and handles every event the endpoint produced.
    fn flush(&mut self, now: Instant) {
        loop {
            let mut idle = true;
            while let Some(t) = self.endpoint.poll_transmit() {
                idle = false;
                self.transport.send(t);
            }
            while let Some(ev) = self.endpoint.poll_event() {
                idle = false;
                self.on_event(now, ev);
            }
            if idle {
                break;
            }
        }
    }

    fn on_event(&mut self, now: Instant, ev: TuEvent) {
        match ev {
            TuEvent::Request { tx, request, source } => {
                metrics::counter!("centralino_sip_requests_total", "method" => request.method.as_str().to_owned()).increment(1);
                self.on_request(now, tx, request, source);
            }
            TuEvent::Cancelled { invite_tx, .. } => {
                metrics::counter!("centralino_sip_requests_total", "method" => "CANCEL").increment(1);
                match self.by_server_tx.get(&invite_tx).copied() {
                    Some(key) => self.deliver(key, CallInput::Cancelled),
                    None => debug!("CANCEL for an INVITE with no call"),
                }
            }
            TuEvent::Ack { request, .. } => {
                metrics::counter!("centralino_sip_requests_total", "method" => "ACK").increment(1);
                if let Some(key) = request.headers.call_id().ok().and_then(|c| self.by_call_id.get(c)).copied() {
                    self.deliver(key, CallInput::Ack { request });
                }
            }
            TuEvent::Response { tx, response, .. } => {
                metrics::counter!("centralino_sip_responses_received_total", "code" => response.status.0.to_string()).increment(1);
                let is_final = response.status.is_final();
                match self.owners.get(&tx) {
                    Some(Owner::Call(key, req)) => {
                        let (key, req) = (*key, *req);
                        self.deliver(key, CallInput::Response { req, response });
                    }
                    Some(Owner::Probe(p)) => {
                        let p = *p;
                        self.trunks.handle_probe_answer(p);
                        if is_final {
                            self.owners.remove(&tx);
                        }
                    }
                    Some(Owner::Registration(i)) => {
                        let i = *i;
                        if is_final {
                            self.owners.remove(&tx);
                            self.registration_result(now, i, Some(&response));
                        }
                    }
                    None => {}
                }
            }
            TuEvent::StrayResponse { response, .. } => {
                debug!(code = response.status.0, "stray response dropped");
            }
            TuEvent::Timeout { tx } | TuEvent::TransportError { tx } => match self.owners.remove(&tx) {
                Some(Owner::Call(key, req)) => self.deliver(key, CallInput::RequestFailed { req }),
                Some(Owner::Registration(i)) => self.registration_result(now, i, None),
                Some(Owner::Probe(_)) | None => {}
            },
            TuEvent::AckTimeout { tx } => {
                if let Some(key) = self.by_server_tx.get(&tx).copied() {
                    self.deliver(key, CallInput::AckTimeout { tx });
                }
            }
        }
    }

    fn on_request(&mut self, now: Instant, tx: ServerTxId, request: Request, source: Peer) {
        let in_dialog = request.headers.to().ok().is_some_and(|t| t.tag().is_some());
        if in_dialog {
            let key = request.headers.call_id().ok().and_then(|c| self.by_call_id.get(c)).copied();
            return match key {
                Some(key) => {
                    self.by_server_tx.insert(tx, key);
                    if let Some(e) = self.calls.get_mut(&key) {
                        e.server_txs.push(tx);
                    }
                    self.deliver(key, CallInput::Request { tx, request, source });
                }
                None if request.method == Method::Options && self.trusted(now, source) => self.options_ok(now, tx, &request),
                None => self.respond(now, tx, &request, StatusCode::CALL_DOES_NOT_EXIST),
            };
        }
        match request.method {
            Method::Register => self.on_register(now, tx, &request, source),
            Method::Options => {
                if self.trusted(now, source) {
                    self.options_ok(now, tx, &request);
                } else {
                    self.respond(now, tx, &request, StatusCode::FORBIDDEN);
                }
            }
            Method::Invite => self.on_invite(now, tx, request, source),
            Method::Bye | Method::Info | Method::Update | Method::Prack => {
                self.respond(now, tx, &request, StatusCode::CALL_DOES_NOT_EXIST)
            }
            Method::Extension(_) => self.respond_allow(now, tx, &request, StatusCode::NOT_IMPLEMENTED),
            _ => self.respond_allow(now, tx, &request, StatusCode::METHOD_NOT_ALLOWED),
        }
    }

    /// A trunk peer, or an address an agent registered from.
    fn trusted(&self, now: Instant, source: Peer) -> bool {
        self.trunks.classify(source.addr.ip()).is_some() || self.registrar.has_binding_from(source.addr.ip(), now)
    }

    fn on_register(&mut self, now: Instant, tx: ServerTxId, request: &Request, source: Peer) {
        // Credentials of a scheme we don't speak are as good as none: challenge
        // (RFC 4475 §3.3.7 regaut01).
        let digest = request
            .headers
            .get_all(&HeaderName::Authorization)
            .find(|v| v.trim_start().get(..6).is_some_and(|s| s.eq_ignore_ascii_case("digest")));
        let user = match digest {
            None => return self.challenge(now, tx, request, false, false),
            Some(auth) => {
                let passwords = &self.passwords;
                self.digest.verify(unix_secs(), "REGISTER", auth, |u| passwords.get(u).cloned())
            }
        };
        let user = match user {
            Ok(u) => u,
            Err(AuthError::StaleNonce) => return self.challenge(now, tx, request, true, false),
            Err(AuthError::Malformed(why)) => {
                debug!(why, "malformed Authorization");
                return self.respond(now, tx, request, StatusCode::BAD_REQUEST);
            }
            Err(e) => {
                // Unknown user and wrong password look the same from outside.
                metrics::counter!("centralino_auth_failures_total").increment(1);
                debug!(error = %e, "digest refused");
                return self.challenge(now, tx, request, false, false);
            }
        };
        // An agent registers only its own extension.
        let aor = request.headers.to().ok().and_then(|t| t.uri.user.clone());
        if aor.as_deref() != Some(user.as_str()) {
            return self.respond(now, tx, request, StatusCode::FORBIDDEN);
        }
        let resp = match self.registrar.register(now, &user, request, source.addr, source.transport.reliable()) {
            Ok(change) => {
                match change {
                    RegistrationChange::Registered => {
                        info!(extension = %user, "agent registered");
                        // A registered agent is logged in and available (demo contract);
                        // a logged-out one stays out until it logs in.
                        self.acd(AcdInput::AgentRegistration { agent: AgentId::new(user.as_str()), registered: true });
                        self.acd(AcdInput::AgentLogin { agent: AgentId::new(user.as_str()) });
                    }
                    RegistrationChange::Unregistered => {
                        info!(extension = %user, "agent unregistered");
                        self.acd(AcdInput::AgentRegistration { agent: AgentId::new(user.as_str()), registered: false });
                    }
                    RegistrationChange::Refreshed | RegistrationChange::Unchanged => {}
                }
                metrics::gauge!("centralino_registrations").set(self.registrar.registered_count() as f64);
                self.registrar.ok_response(now, &user, request)
            }
            Err(e) => self.registrar.error_response(request, &e),
        };
        self.send(now, tx, resp);
    }

    /// A trunk's destinations for `number`, one group each (primary first) [TEL-2].
    fn trunk_plan(&self, trunk: usize, number: &str) -> TargetPlan {
        TargetPlan {
            groups: self
                .trunks
                .destinations(TrunkId(trunk))
                .into_iter()
                .map(|addr| {
                    vec![Target {
                        uri: Uri::sip(Some(number), Host::from(addr.ip()), Some(addr.port())),
                        peer: Peer { addr, transport: Transport::Udp },
                        trunk: Some(trunk),
                    }]
                })
                .collect(),
        }
    }

    /// Where an internal caller (the IVR) reaches `number`: an agent's phones or a trunk
    /// (an office on the PBX) [IVR-6, TEL-4].
    fn dial_plan_targets(&self, number: &str, now: Instant) -> TargetPlan {
        match self.shared.cfg.dial_plan.route(number, Origin::Agent) {
            Some(Destination::Agent) => TargetPlan { groups: vec![self.agent_targets(number, now)] },
            Some(Destination::Trunk(i)) => self.trunk_plan(*i, number),
            _ => TargetPlan::default(),
        }
    }

    /// The registered contacts of an agent, rung in parallel.
    fn agent_targets(&self, extension: &str, now: Instant) -> Vec<Target> {
        self.registrar
            .targets(extension, now)
            .into_iter()
            .map(|t| Target {
                uri: t.uri,
                peer: Peer { addr: t.destination, transport: if t.reliable { Transport::Tcp } else { Transport::Udp } },
                trunk: None,
            })
            .collect()
    }

    /// A fact for the ACD task; a full queue is logged (the ACD reconciles on the next
    /// registration or call).
    fn acd(&self, input: AcdInput) {
        if self.shared.acd.tx.try_send(crate::acd_task::AcdCmd::Input(input)).is_err() {
            warn!("ACD queue full: agent event dropped");
        }
    }

    fn challenge(&mut self, now: Instant, tx: ServerTxId, request: &Request, stale: bool, proxy: bool) {
        let (status, header) = if proxy {
            (StatusCode(407), HeaderName::ProxyAuthenticate)
        } else {
            (StatusCode::UNAUTHORIZED, HeaderName::WwwAuthenticate)
        };
        let mut resp = Response::from_request(request, status);
        for c in self.digest.challenge(unix_secs(), stale) {
            resp.headers.push(header.clone(), c);
        }
        self.send(now, tx, resp);
    }

    fn on_invite(&mut self, now: Instant, tx: ServerTxId, request: Request, source: Peer) {
        let mut agents_on_call = Vec::new();
        let origin = match self.trunks.classify(source.addr.ip()) {
            Some(TrunkId(t)) => Origin::Trunk(t),
            None => match self.agent_identity(now, &request, source) {
                Ok(extension) => {
                    agents_on_call.push(extension);
                    Origin::Agent
                }
                Err(AgentAuth::Challenge { stale }) => return self.challenge(now, tx, &request, stale, true),
                Err(AgentAuth::Forbidden) => {
                    metrics::counter!("centralino_calls_refused_total", "reason" => "stranger").increment(1);
                    return self.respond(now, tx, &request, StatusCode::FORBIDDEN);
                }
            },
        };
        let Some(number) = request.uri.user.clone() else {
            return self.respond(now, tx, &request, StatusCode::NOT_FOUND);
        };
        if matches!(self.shared.cfg.dial_plan.route(&number, origin), Some(Destination::Agent)) {
            agents_on_call.push(number.clone());
        }
        let mode = match self.shared.cfg.dial_plan.route(&number, origin) {
            None => {
                metrics::counter!("centralino_calls_refused_total", "reason" => "no_route").increment(1);
                return self.respond(now, tx, &request, StatusCode::NOT_FOUND);
            }
            Some(Destination::Service(name)) => match Service::from_name(name) {
                Some(service) => CallMode::Service(service),
                None => {
                    // The config loader refuses unknown names; a hand-built config may not.
                    warn!(service = %name, "route to an unknown service");
                    return self.respond(now, tx, &request, StatusCode::NOT_FOUND);
                }
            },
            Some(Destination::Agent) => CallMode::Bridge(TargetPlan { groups: vec![self.agent_targets(&number, now)] }),
            Some(Destination::Queue(queue)) => CallMode::Queue(queue.clone()),
            Some(Destination::Trunk(i)) => CallMode::Bridge(self.trunk_plan(*i, &number)),
            Some(Destination::Ivr(name)) => match self.shared.cfg.ivr_scripts.get(name) {
                Some(script) => CallMode::Ivr(script.clone()),
                None => {
                    warn!(ivr = %name, "route to an IVR that was not loaded");
                    return self.respond(now, tx, &request, StatusCode::NOT_FOUND);
                }
            },
        };
        let Ok(call_id) = request.headers.call_id().map(str::to_owned) else {
            return self.respond(now, tx, &request, StatusCode::BAD_REQUEST);
        };
        if self.by_call_id.contains_key(&call_id) {
            // A new INVITE reusing a live call's Call-ID without tags: a loop or a bug.
            return self.respond(now, tx, &request, StatusCode::LOOP_DETECTED);
        }
        self.next_call += 1;
        let key = CallKey(self.next_call);
        let (inbox_tx, inbox_rx) = mpsc::channel(64);
        let (control_tx, control_rx) = mpsc::channel(8);
        self.calls.insert(
            key,
            CallEntry { inbox: inbox_tx, control: control_tx, agents: agents_on_call.clone(), call_ids: vec![call_id.clone()], server_txs: vec![tx], client_txs: Vec::new() },
        );
        self.by_call_id.insert(call_id, key);
        // Ringing or talking on a direct or outbound call, an agent takes no queue call.
        for agent in &agents_on_call {
            self.acd(AcdInput::AgentBusyElsewhere { agent: AgentId::new(agent.as_str()), busy: true });
        }
        self.by_server_tx.insert(tx, key);
        metrics::counter!("centralino_calls_total", "origin" => if matches!(origin, Origin::Agent) { "agent" } else { "trunk" })
            .increment(1);
        let register = Some(RegisterSpec {
            channel: match origin {
                Origin::Trunk(t) => self.shared.cfg.trunk_channels.get(t).copied().flatten().unwrap_or(Channel::Internal),
                Origin::Agent => Channel::Internal,
            },
            trunk: match origin {
                Origin::Trunk(t) => self.trunks.config(TrunkId(t)).map(|c| c.name.clone()),
                Origin::Agent => None,
            },
            dialled: number.clone(),
            caller: request.headers.from().ok().and_then(|f| f.uri.user.clone()).unwrap_or_else(|| "anonymous".to_owned()),
            agent: matches!(self.shared.cfg.dial_plan.route(&number, origin), Some(Destination::Agent)).then(|| number.clone()),
            service: matches!(mode, CallMode::Service(_) | CallMode::Ivr(_)),
            queue: match &mode {
                CallMode::Queue(q) => Some(q.clone()),
                _ => None,
            },
            sip_call_id: request.headers.call_id().unwrap_or_default().to_owned(),
        });
        tokio::spawn(call_task::run(CallSpawn {
            register,
            key,
            invite: request,
            tx,
            source,
            mode,
            shared: self.shared.clone(),
            core: self.cmd_tx.clone(),
            inbox: inbox_rx,
            control: control_rx,
            seed: self.rng.u64(..),
        }));
    }

    /// Agents calling out authenticate with Proxy-Authorization; addresses no agent
    /// registered from are refused outright.
    fn agent_identity(&mut self, now: Instant, request: &Request, source: Peer) -> Result<String, AgentAuth> {
        if !self.registrar.has_binding_from(source.addr.ip(), now) {
            return Err(AgentAuth::Forbidden);
        }
        let Some(auth) = request.headers.get(&HeaderName::ProxyAuthorization) else {
            return Err(AgentAuth::Challenge { stale: false });
        };
        let passwords = &self.passwords;
        match self.digest.verify(unix_secs(), "INVITE", auth, |u| passwords.get(u).cloned()) {
            Ok(user) => Ok(user),
            Err(AuthError::StaleNonce) => Err(AgentAuth::Challenge { stale: true }),
            Err(_) => Err(AgentAuth::Challenge { stale: false }),
        }
    }

    fn on_cmd(&mut self, now: Instant, cmd: CoreCmd) {
        match cmd {
            CoreCmd::Respond { tx, response } => self.send(now, tx, response),
            CoreCmd::Send { call, req, request, to } => {
                let tx = self.endpoint.send_request(now, request, to);
                self.owners.insert(tx, Owner::Call(call, req));
                self.req_txs.insert((call, req), tx);
                if let Some(e) = self.calls.get_mut(&call) {
                    e.client_txs.push(tx);
                }
            }
            CoreCmd::SendAck { request, to } => self.endpoint.send_ack_2xx(now, request, to),
            CoreCmd::Cancel { call, req } => {
                if let Some(tx) = self.req_txs.get(&(call, req)).copied()
                    && let Err(e) = self.endpoint.cancel(now, tx)
                {
                    debug!(error = %e, "CANCEL not sent");
                }
            }
            CoreCmd::Register { call, call_id } => {
                if let Some(e) = self.calls.get_mut(&call) {
                    e.call_ids.push(call_id.clone());
                    self.by_call_id.insert(call_id, call);
                }
            }
            CoreCmd::Control { call, command } => match self.calls.get(&call) {
                Some(entry) => {
                    if let Err(mpsc::error::TrySendError::Full((_, reply)) | mpsc::error::TrySendError::Closed((_, reply))) = entry.control.try_send(command) {
                        let _ = reply.send(Err(crate::CallCommandError::NotPossible("the call is busy or ending".into())));
                    }
                }
                None => {
                    let _ = command.1.send(Err(crate::CallCommandError::UnknownCall(call.0)));
                }
            },
            CoreCmd::DialTargets { number, reply } => {
                let _ = reply.send(self.dial_plan_targets(&number, now));
            }
            CoreCmd::AgentTargets { extension, reply } => {
                let _ = reply.send(self.agent_targets(&extension, now));
            }
            CoreCmd::TrunkResult { trunk, destination, ok } => {
                self.trunks.handle_call_result(TrunkId(trunk), destination, ok);
            }
            CoreCmd::Gone { call } => {
                if let Some(e) = self.calls.remove(&call) {
                    for agent in &e.agents {
                        self.acd(AcdInput::AgentBusyElsewhere { agent: AgentId::new(agent.as_str()), busy: false });
                    }
                    for c in e.call_ids {
                        self.by_call_id.remove(&c);
                    }
                    for t in e.server_txs {
                        self.by_server_tx.remove(&t);
                    }
                    for t in e.client_txs {
                        if let Some(Owner::Call(_, req)) = self.owners.remove(&t) {
                            self.req_txs.remove(&(call, req));
                        }
                    }
                }
            }
        }
    }

    fn registration_result(&mut self, now: Instant, i: usize, response: Option<&Response>) {
        let Some((trunk, client)) = self.registrations.get_mut(i) else { return };
        let before = client.state();
        match response {
            Some(r) => client.handle_response(now, r),
            None => client.handle_failure(now),
        }
        let name = self.trunks.config(TrunkId(*trunk)).map(|c| c.name.clone()).unwrap_or_default();
        let registered = matches!(client.state(), RegistrationState::Registered { .. });
        metrics::gauge!("centralino_trunk_registered", "trunk" => name.clone()).set(if registered { 1.0 } else { 0.0 });
        match (matches!(before, RegistrationState::Registered { .. }), registered) {
            (false, true) => info!(trunk = %name, "trunk registered with its provider"),
            (true, false) => warn!(trunk = %name, status = response.map(|r| r.status.0), "trunk registration lost"),
            (false, false) if response.is_none_or(|r| r.status.0 != 401 && r.status.0 != 407) => {
                warn!(trunk = %name, status = response.map(|r| r.status.0), "trunk registration failed; retrying later")
            }
            _ => {}
        }
    }

    fn deliver(&mut self, key: CallKey, input: CallInput) {
        if let Some(e) = self.calls.get(&key)
            && e.inbox.try_send(input).is_err()
        {
            metrics::counter!("centralino_sip_dropped_total", "reason" => "call_inbox").increment(1);
        }
    }

    fn send_probe(&mut self, now: Instant, probe: Probe) {
        let local = self.transport.local_addr();
        let target = Uri::sip(None, Host::from(probe.destination.ip()), Some(probe.destination.port()));
        let mut req = Request::new(Method::Options, target.clone());
        let tag: String = (0..10).map(|_| self.rng.alphanumeric()).collect();
        let call_id: String = (0..20).map(|_| self.rng.alphanumeric()).collect();
        req.headers.push(HeaderName::From, format!("<sip:centralino@{local}>;tag={tag}"));
        req.headers.push(HeaderName::To, format!("<{target}>"));
        req.headers.push(HeaderName::CallId, format!("{call_id}@centralino"));
        req.headers.push(HeaderName::CSeq, "1 OPTIONS");
        req.headers.push(HeaderName::MaxForwards, "70");
        let tx = self.endpoint.send_request(now, req, Peer { addr: probe.destination, transport: Transport::Udp });
        self.owners.insert(tx, Owner::Probe(probe));
    }

    fn options_ok(&mut self, now: Instant, tx: ServerTxId, request: &Request) {
        let mut resp = Response::from_request(request, StatusCode::OK);
        resp.headers.push(HeaderName::Allow, ALLOW);
        resp.headers.push(HeaderName::Accept, "application/sdp");
        resp.headers.push(HeaderName::Supported, "timer");
        self.add_tag(&mut resp);
        self.send(now, tx, resp);
    }

    fn respond(&mut self, now: Instant, tx: ServerTxId, request: &Request, status: StatusCode) {
        let mut resp = Response::from_request(request, status);
        self.add_tag(&mut resp);
        self.send(now, tx, resp);
    }

    fn respond_allow(&mut self, now: Instant, tx: ServerTxId, request: &Request, status: StatusCode) {
        let mut resp = Response::from_request(request, status);
        resp.headers.push(HeaderName::Allow, ALLOW);
        self.add_tag(&mut resp);
        self.send(now, tx, resp);
    }

    fn add_tag(&mut self, resp: &mut Response) {
        if let Ok(mut to) = resp.headers.to()
            && to.tag().is_none()
        {
            to.set_tag((0..10).map(|_| self.rng.alphanumeric()).collect());
            resp.headers.set(HeaderName::To, to.to_string());
        }
    }

    fn send(&mut self, now: Instant, tx: ServerTxId, mut resp: Response) {
        if resp.headers.get(&HeaderName::Server).is_none() {
            resp.headers.push(HeaderName::Server, "centralino");
        }
        metrics::counter!("centralino_sip_responses_total", "code" => resp.status.0.to_string()).increment(1);
        if resp.status.is_final() && !resp.headers.to().is_ok_and(|t| t.tag().is_some()) {
            self.add_tag(&mut resp);
        }
        if let Err(e) = self.endpoint.send_response(now, tx, resp) {
            debug!(error = %e, "response not sent");
        }
    }
}

enum AgentAuth {
    Challenge { stale: bool },
    Forbidden,
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

