//! The sans-IO transaction [`Endpoint`]: owns every transaction, matches incoming messages to
//! them (RFC 3261 §17.1.3, §17.2.3 with the RFC 2543 fallback, §9.2 for CANCEL, §13.3.1.4 for
//! 2xx ACKs), schedules their timers and queues transmits and TU events.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use sip_message::{HeaderName, Message, Method, Request, Response, StatusCode, Via};

use crate::client_invite::{CancelAction, ClientInvite};
use crate::client_non_invite::ClientNonInvite;
use crate::key::{AckKey, ClientKey, ServerKey};
use crate::message::{
    Outputs, Report, cancel_for, ensure_to_tag, fill_request_defaults, new_branch, new_tag,
    push_our_via, response_target, stamp_top_via,
};
use crate::server_invite::{AckOutcome, ServerInvite};
use crate::server_non_invite::ServerNonInvite;
use crate::timer::Durations;
use crate::{ClientTxId, Config, Peer, ServerTxId, TransactionError, Transmit, TuEvent};

/// The transaction layer of one transport shard; see the crate documentation.
pub struct Endpoint {
    cfg: Config,
    rng: fastrand::Rng,
    next_id: u64,
    clients: HashMap<ClientTxId, ClientEntry>,
    client_keys: HashMap<ClientKey, ClientTxId>,
    servers: HashMap<ServerTxId, ServerEntry>,
    server_keys: HashMap<ServerKey, ServerTxId>,
    ack_keys: HashMap<AckKey, ServerTxId>,
    /// Deadlines, one live entry per transaction (`scheduled`); others are stale and skipped.
    queue: BinaryHeap<Reverse<(Instant, TxRef)>>,
    out: Outputs,
}

impl Endpoint {
    /// Creates an endpoint; `rng` draws branches and tags.
    pub fn new(cfg: Config, rng: fastrand::Rng) -> Endpoint {
        Endpoint {
            cfg,
            rng,
            next_id: 0,
            clients: HashMap::new(),
            client_keys: HashMap::new(),
            servers: HashMap::new(),
            server_keys: HashMap::new(),
            ack_keys: HashMap::new(),
            queue: BinaryHeap::new(),
            out: Outputs {
                transmits: VecDeque::new(),
                events: VecDeque::new(),
            },
        }
    }

    /// Feeds a parsed message received from `source`.
    pub fn handle_message(&mut self, now: Instant, msg: Message, source: Peer) {
        match msg {
            Message::Request(req) => self.on_request(now, req, source),
            Message::Response(resp) => self.on_response(now, resp, source),
        }
        self.purge_stale();
    }

    /// Starts a client transaction for `req` towards `to` (RFC 3261 §17.1). The endpoint inserts
    /// the top Via (`SIP/2.0/{UDP|TCP} local_addr;branch=z9hG4bK…;rport`) and Max-Forwards /
    /// User-Agent when missing. ACK must go through [`Endpoint::send_ack_2xx`]; an ACK passed
    /// here is sent that way and the returned id never produces events.
    pub fn send_request(&mut self, now: Instant, mut req: Request, to: Peer) -> ClientTxId {
        let id = ClientTxId(self.fresh_id());
        if req.method == Method::Ack {
            tracing::warn!("ACK passed to send_request; sent statelessly instead");
            self.send_ack_2xx(now, req, to);
            return id;
        }
        let branch = new_branch(&mut self.rng);
        push_our_via(&mut req, to.transport, self.cfg.local_addr, &branch);
        fill_request_defaults(&mut req, self.cfg.user_agent.as_deref());
        let key = ClientKey::new(&branch, &req.method);
        let durations = Durations::new(&self.cfg, to.transport);
        let machine = if req.method == Method::Invite {
            ClientMachine::Invite(Box::new(ClientInvite::start(
                now,
                id,
                to,
                req,
                durations,
                &mut self.out,
            )))
        } else {
            let bytes = Message::Request(req).to_bytes();
            ClientMachine::NonInvite(Box::new(ClientNonInvite::start(
                now,
                id,
                to,
                bytes,
                Report::Tu,
                durations,
                &mut self.out,
            )))
        };
        self.insert_client(id, key, machine);
        id
    }

    /// Sends the ACK for a 2xx statelessly (RFC 3261 §13.2.2.4): a Via with a new branch is
    /// inserted and the ACK is transmitted once; the TU re-sends it for each 2xx retransmission.
    pub fn send_ack_2xx(&mut self, _now: Instant, mut ack: Request, to: Peer) {
        let branch = new_branch(&mut self.rng);
        push_our_via(&mut ack, to.transport, self.cfg.local_addr, &branch);
        fill_request_defaults(&mut ack, self.cfg.user_agent.as_deref());
        self.out.send(to, Message::Request(ack).to_bytes());
    }

    /// Sends a response on a server transaction; it goes where the request came from
    /// (RFC 3261 §18.2.2, RFC 3581 §4).
    pub fn send_response(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        resp: Response,
    ) -> Result<(), TransactionError> {
        let entry = self
            .servers
            .get_mut(&tx)
            .ok_or(TransactionError::UnknownServerTransaction(tx))?;
        match &mut entry.machine {
            ServerMachine::Invite(m) => {
                m.send_response(now, &resp, &mut self.out)?;
                if resp.status.is_success()
                    && entry.ack_key.is_none()
                    && let Some(key) = AckKey::of_response(&resp)
                {
                    self.ack_keys.insert(key.clone(), tx);
                    entry.ack_key = Some(key);
                }
            }
            ServerMachine::NonInvite(m) => m.send_response(now, &resp, &mut self.out)?,
        }
        self.reschedule(TxRef::Server(tx));
        self.purge_stale();
        Ok(())
    }

    /// Sends a response outside any transaction, for requests answered before one exists.
    pub fn send_stateless_response(&mut self, _now: Instant, resp: Response, to: Peer) {
        self.out.send(to, Message::Response(resp).to_bytes());
    }

    /// Cancels an INVITE client transaction (RFC 3261 §9.1). The CANCEL (same branch,
    /// Request-URI, Call-ID, From, To, CSeq number and Route) runs in its own silent non-INVITE
    /// transaction; it is deferred until a provisional arrives. If no final follows within
    /// 64*T1 of the CANCEL, the INVITE transaction reports [`TuEvent::Timeout`].
    pub fn cancel(&mut self, now: Instant, tx: ClientTxId) -> Result<(), TransactionError> {
        let entry = self
            .clients
            .get_mut(&tx)
            .ok_or(TransactionError::UnknownClientTransaction(tx))?;
        let ClientMachine::Invite(m) = &mut entry.machine else {
            return Err(TransactionError::NotAnInvite(tx));
        };
        if m.request_cancel(now)? == CancelAction::SendCancel {
            self.start_cancel(now, tx);
        }
        self.reschedule(TxRef::Client(tx));
        self.purge_stale();
        Ok(())
    }

    /// The transport failed to deliver for this client transaction (RFC 3261 §17.1.4).
    pub fn handle_transport_error(&mut self, tx: ClientTxId) {
        if let Some(entry) = self.clients.get_mut(&tx) {
            match &mut entry.machine {
                ClientMachine::Invite(m) => m.on_transport_error(&mut self.out),
                ClientMachine::NonInvite(m) => m.on_transport_error(&mut self.out),
            }
            self.reschedule(TxRef::Client(tx));
            self.purge_stale();
        }
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, tx))) = self.queue.peek().copied() {
            if at > now {
                break;
            }
            self.queue.pop();
            if self.scheduled(tx) != Some(at) {
                continue;
            }
            match tx {
                TxRef::Client(id) => {
                    if let Some(entry) = self.clients.get_mut(&id) {
                        entry.scheduled = None;
                        match &mut entry.machine {
                            ClientMachine::Invite(m) => m.on_timers(now, &mut self.out),
                            ClientMachine::NonInvite(m) => m.on_timers(now, &mut self.out),
                        }
                    }
                }
                TxRef::Server(id) => {
                    if let Some(entry) = self.servers.get_mut(&id) {
                        entry.scheduled = None;
                        match &mut entry.machine {
                            ServerMachine::Invite(m) => m.on_timers(now, &mut self.out),
                            ServerMachine::NonInvite(m) => m.on_timers(now),
                        }
                    }
                }
            }
            self.reschedule(tx);
        }
        self.purge_stale();
    }

    /// When [`Endpoint::handle_timeout`] should next be called; `None` when no timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _))| *at)
    }

    /// The next message to write to the network.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event for the transaction user.
    pub fn poll_event(&mut self) -> Option<TuEvent> {
        self.out.events.pop_front()
    }

    /// How many client and server transactions are alive.
    pub fn transaction_count(&self) -> usize {
        self.clients.len().saturating_add(self.servers.len())
    }
}

/// A transaction reference in the timer queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TxRef {
    Client(ClientTxId),
    Server(ServerTxId),
}

struct ClientEntry {
    key: ClientKey,
    machine: ClientMachine,
    scheduled: Option<Instant>,
}

enum ClientMachine {
    /// Boxed to keep the map's slots small (the machines hold timer tables and messages).
    Invite(Box<ClientInvite>),
    NonInvite(Box<ClientNonInvite>),
}

struct ServerEntry {
    key: ServerKey,
    /// The To tag of the request (non-empty for in-dialog requests), compared for RFC 2543 keys.
    request_to_tag: Option<String>,
    /// The ACK key of our 2xx, registered while the INVITE transaction lives.
    ack_key: Option<AckKey>,
    machine: ServerMachine,
    scheduled: Option<Instant>,
}

enum ServerMachine {
    Invite(ServerInvite),
    NonInvite(ServerNonInvite),
}

impl Endpoint {
    fn fresh_id(&mut self) -> u64 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn on_request(&mut self, now: Instant, mut req: Request, source: Peer) {
        let Some(raw_via) = req.headers.get(&HeaderName::Via).map(str::to_owned) else {
            tracing::debug!("request without Via dropped");
            return;
        };
        let Ok(via) = req.headers.top_via() else {
            tracing::debug!("request with an unparseable Via dropped");
            return;
        };
        let via = stamp_top_via(&mut req, via, source.addr);
        let target = response_target(&via, source);
        match req.method {
            Method::Ack => self.on_ack(now, req, &via, &raw_via, source),
            Method::Cancel => self.on_cancel(now, req, &via, &raw_via, source, target),
            _ => self.on_other_request(now, req, &via, &raw_via, source, target),
        }
    }

    fn on_ack(&mut self, now: Instant, req: Request, via: &Via, raw_via: &str, source: Peer) {
        let ack_to_tag = to_tag_of_request(&req);
        // An ACK with the INVITE's branch (or its RFC 2543 key) belongs to the INVITE server
        // transaction: a non-2xx ACK, or a 2xx ACK from a peer reusing the branch.
        let by_branch = ServerKey::of_request(&req, via, raw_via, &Method::Invite)
            .and_then(|key| self.server_keys.get(&key).copied().map(|id| (key, id)))
            .filter(|(key, id)| match key {
                ServerKey::Rfc2543(_) => self.server_to_tag(*id) == ack_to_tag.as_deref(),
                ServerKey::Rfc3261 { .. } => true,
            })
            .map(|(_, id)| id);
        let by_dialog = || AckKey::of_ack(&req).and_then(|key| self.ack_keys.get(&key).copied());
        let Some(id) = by_branch.or_else(by_dialog) else {
            self.out.event(TuEvent::Ack {
                request: req,
                source,
            });
            return;
        };
        let outcome = match self.servers.get_mut(&id).map(|e| &mut e.machine) {
            Some(ServerMachine::Invite(m)) => m.on_ack(now),
            Some(ServerMachine::NonInvite(_)) | None => AckOutcome::Absorb,
        };
        if outcome == AckOutcome::Deliver {
            self.out.event(TuEvent::Ack {
                request: req,
                source,
            });
        }
        self.reschedule(TxRef::Server(id));
    }

    fn on_cancel(
        &mut self,
        now: Instant,
        req: Request,
        via: &Via,
        raw_via: &str,
        source: Peer,
        target: Peer,
    ) {
        let Some(own_key) = ServerKey::of_request(&req, via, raw_via, &Method::Cancel) else {
            return;
        };
        if let Some(id) = self.server_keys.get(&own_key).copied() {
            self.retransmission(id);
            return;
        }
        if self.transaction_count() >= self.cfg.max_transactions {
            self.overloaded(now, &req, target);
            return;
        }
        let cancel_to_tag = to_tag_of_request(&req);
        let invite = ServerKey::of_request(&req, via, raw_via, &Method::Invite)
            .and_then(|key| self.server_keys.get(&key).copied().map(|id| (key, id)))
            .filter(|(key, id)| match key {
                ServerKey::Rfc2543(_) => self.request_to_tag(*id) == cancel_to_tag.as_deref(),
                ServerKey::Rfc3261 { .. } => true,
            })
            .map(|(_, id)| id);
        let id = ServerTxId(self.fresh_id());
        let mut machine =
            ServerNonInvite::new(id, target, Durations::new(&self.cfg, source.transport));
        let mut resp = match invite {
            Some(_) => Response::from_request(&req, StatusCode::OK),
            None => Response::from_request(&req, StatusCode::CALL_DOES_NOT_EXIST),
        };
        // §9.2: the To tag of the CANCEL response should be that of the INVITE's responses.
        let invite_tag = invite
            .and_then(|i| self.server_to_tag(i))
            .map(str::to_owned);
        let rng = &mut self.rng;
        ensure_to_tag(&mut resp, || invite_tag.unwrap_or_else(|| new_tag(rng)));
        if let Err(err) = machine.send_response(now, &resp, &mut self.out) {
            tracing::debug!(%err, "cannot answer CANCEL");
        }
        self.insert_server(
            id,
            own_key,
            cancel_to_tag,
            ServerMachine::NonInvite(machine),
        );
        if let Some(invite_tx) = invite {
            let proceeding = matches!(
                self.servers.get(&invite_tx).map(|e| &e.machine),
                Some(ServerMachine::Invite(m)) if m.is_proceeding()
            );
            if proceeding {
                self.out.event(TuEvent::Cancelled {
                    invite_tx,
                    cancel: req,
                });
            }
        }
    }

    fn on_other_request(
        &mut self,
        now: Instant,
        req: Request,
        via: &Via,
        raw_via: &str,
        source: Peer,
        target: Peer,
    ) {
        let Some(key) = ServerKey::of_request(&req, via, raw_via, &req.method) else {
            tracing::debug!("request without the headers of an RFC 2543 key dropped");
            return;
        };
        let to_tag = to_tag_of_request(&req);
        if let Some(id) = self.server_keys.get(&key).copied()
            && (matches!(key, ServerKey::Rfc3261 { .. })
                || self.request_to_tag(id) == to_tag.as_deref())
        {
            self.retransmission(id);
            return;
        }
        if self.transaction_count() >= self.cfg.max_transactions {
            self.overloaded(now, &req, target);
            return;
        }
        let id = ServerTxId(self.fresh_id());
        let durations = Durations::new(&self.cfg, source.transport);
        let machine = if req.method == Method::Invite {
            let mut trying = Response::from_request(&req, StatusCode::TRYING);
            if let Some(server) = &self.cfg.user_agent {
                trying.headers.push(HeaderName::Server, server.as_str());
            }
            ServerMachine::Invite(ServerInvite::start(
                id,
                target,
                durations,
                &trying,
                &mut self.out,
            ))
        } else {
            ServerMachine::NonInvite(ServerNonInvite::new(id, target, durations))
        };
        self.insert_server(id, key, to_tag, machine);
        self.out.event(TuEvent::Request {
            tx: id,
            request: req,
            source,
        });
    }

    fn on_response(&mut self, now: Instant, resp: Response, source: Peer) {
        let id = ClientKey::of_response(&resp).and_then(|key| self.client_keys.get(&key).copied());
        let Some(entry) = id.and_then(|id| self.clients.get_mut(&id)) else {
            self.out.event(TuEvent::StrayResponse {
                response: resp,
                source,
            });
            return;
        };
        let mut send_cancel = CancelAction::None;
        match &mut entry.machine {
            ClientMachine::Invite(m) => send_cancel = m.on_response(now, resp, &mut self.out),
            ClientMachine::NonInvite(m) => m.on_response(now, resp, &mut self.out),
        }
        if let Some(id) = id {
            if send_cancel == CancelAction::SendCancel {
                self.start_cancel(now, id);
            }
            self.reschedule(TxRef::Client(id));
        }
    }

    /// Sends the CANCEL of INVITE transaction `invite` in a silent non-INVITE transaction.
    fn start_cancel(&mut self, now: Instant, invite: ClientTxId) {
        let Some(entry) = self.clients.get(&invite) else {
            return;
        };
        let ClientMachine::Invite(m) = &entry.machine else {
            return;
        };
        let cancel = cancel_for(m.request());
        let to = m.peer();
        let key = ClientKey::new(&entry.key.branch, &Method::Cancel);
        let id = ClientTxId(self.fresh_id());
        let bytes = Message::Request(cancel).to_bytes();
        let durations = Durations::new(&self.cfg, to.transport);
        let machine =
            ClientNonInvite::start(now, id, to, bytes, Report::Silent, durations, &mut self.out);
        self.insert_client(id, key, ClientMachine::NonInvite(Box::new(machine)));
    }

    /// Answers 503 statelessly because the transaction table is full.
    fn overloaded(&mut self, now: Instant, req: &Request, target: Peer) {
        tracing::warn!(
            max = self.cfg.max_transactions,
            "transaction table full, answering 503"
        );
        let mut resp = Response::from_request(req, StatusCode::SERVICE_UNAVAILABLE);
        let rng = &mut self.rng;
        ensure_to_tag(&mut resp, || new_tag(rng));
        self.send_stateless_response(now, resp, target);
    }

    fn retransmission(&mut self, id: ServerTxId) {
        match self.servers.get_mut(&id).map(|e| &mut e.machine) {
            Some(ServerMachine::Invite(m)) => m.on_retransmission(&mut self.out),
            Some(ServerMachine::NonInvite(m)) => m.on_retransmission(&mut self.out),
            None => {}
        }
    }

    fn server_to_tag(&self, id: ServerTxId) -> Option<&str> {
        match self.servers.get(&id).map(|e| &e.machine) {
            Some(ServerMachine::Invite(m)) => m.to_tag(),
            Some(ServerMachine::NonInvite(_)) | None => None,
        }
    }

    fn request_to_tag(&self, id: ServerTxId) -> Option<&str> {
        self.servers
            .get(&id)
            .and_then(|e| e.request_to_tag.as_deref())
    }

    fn insert_client(&mut self, id: ClientTxId, key: ClientKey, machine: ClientMachine) {
        self.client_keys.insert(key.clone(), id);
        self.clients.insert(
            id,
            ClientEntry {
                key,
                machine,
                scheduled: None,
            },
        );
        self.reschedule(TxRef::Client(id));
    }

    fn insert_server(
        &mut self,
        id: ServerTxId,
        key: ServerKey,
        request_to_tag: Option<String>,
        machine: ServerMachine,
    ) {
        self.server_keys.insert(key.clone(), id);
        self.servers.insert(
            id,
            ServerEntry {
                key,
                request_to_tag,
                ack_key: None,
                machine,
                scheduled: None,
            },
        );
        self.reschedule(TxRef::Server(id));
    }

    fn scheduled(&self, tx: TxRef) -> Option<Instant> {
        match tx {
            TxRef::Client(id) => self.clients.get(&id).and_then(|e| e.scheduled),
            TxRef::Server(id) => self.servers.get(&id).and_then(|e| e.scheduled),
        }
    }

    /// After any change to a transaction: remove it if terminated, otherwise queue its next
    /// deadline when it changed.
    fn reschedule(&mut self, tx: TxRef) {
        let next = match tx {
            TxRef::Client(id) => {
                let Some(entry) = self.clients.get_mut(&id) else {
                    return;
                };
                let (terminated, next) = match &entry.machine {
                    ClientMachine::Invite(m) => (m.is_terminated(), m.next_deadline()),
                    ClientMachine::NonInvite(m) => (m.is_terminated(), m.next_deadline()),
                };
                if terminated {
                    if self.client_keys.get(&entry.key) == Some(&id) {
                        self.client_keys.remove(&entry.key);
                    }
                    self.clients.remove(&id);
                    return;
                }
                if entry.scheduled == next {
                    return;
                }
                entry.scheduled = next;
                next
            }
            TxRef::Server(id) => {
                let Some(entry) = self.servers.get_mut(&id) else {
                    return;
                };
                let (terminated, next) = match &entry.machine {
                    ServerMachine::Invite(m) => (m.is_terminated(), m.next_deadline()),
                    ServerMachine::NonInvite(m) => (m.is_terminated(), m.next_deadline()),
                };
                if terminated {
                    if self.server_keys.get(&entry.key) == Some(&id) {
                        self.server_keys.remove(&entry.key);
                    }
                    if let Some(ack_key) = &entry.ack_key
                        && self.ack_keys.get(ack_key) == Some(&id)
                    {
                        self.ack_keys.remove(ack_key);
                    }
                    self.servers.remove(&id);
                    return;
                }
                if entry.scheduled == next {
                    return;
                }
                entry.scheduled = next;
                next
            }
        };
        if let Some(at) = next {
            self.queue.push(Reverse((at, tx)));
        }
    }

    /// Drops stale queue entries from the top so that [`Endpoint::poll_timeout`] is exact.
    fn purge_stale(&mut self) {
        while let Some(Reverse((at, tx))) = self.queue.peek().copied() {
            if self.scheduled(tx) == Some(at) {
                break;
            }
            self.queue.pop();
        }
    }
}

fn to_tag_of_request(req: &Request) -> Option<String> {
    req.headers.to().ok()?.tag().map(str::to_owned)
}
