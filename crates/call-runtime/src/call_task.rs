//! One task per call: allocates the call's media relay, drives the sans-IO
//! `call_control::Call` with tokio time, and executes what it asks for: signalling
//! through the SIP core task, media (relay, prompts, DTMF detection) on the call's
//! relay session, events as metrics and CTI events; a built-in service's driver
//! reacts to the events of a call the engine answered itself [IVR-1, IVR-4].

use std::sync::Arc;
use std::time::Instant;

use call_control::io::{CallEvent, CallInput, CallOutput, MediaCommand, MediaPorts, Side, TargetPlan};
use call_control::Call;
use media_relay::{PlayOptions, RelayEvent, RelaySession};
use sdp_offer_answer::AudioCodec;
use sip_message::{Request, Response, StatusCode};
use sip_transaction::{Peer, ServerTxId};
use cti_bus::schema;
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::acd_task::AcdEvent;
use crate::queue_call::QueueCall;

mod ivr_side;
mod queue_side;
use ivr_side::{HandOff, IvrSide};
use queue_side::QueueSide;
use crate::recording::CallRecorder;
use crate::service::{Service, ServiceDriver, ServiceMedia};
use crate::{CallKey, CoreCmd, Shared};

/// Everything a new call task needs.
pub(crate) struct CallSpawn {
    pub(crate) key: CallKey,
    pub(crate) invite: Request,
    pub(crate) tx: ServerTxId,
    pub(crate) source: Peer,
    pub(crate) mode: CallMode,
    pub(crate) shared: Arc<Shared>,
    pub(crate) core: mpsc::Sender<CoreCmd>,
    pub(crate) inbox: mpsc::Receiver<CallInput>,
    /// API commands (hang up, transfer) [CTI-2].
    pub(crate) control: mpsc::Receiver<crate::CallControl>,
    pub(crate) seed: u64,
    /// The register row's initial facts (channel, numbers) [SLA-9].
    pub(crate) register: Option<crate::register::RegisterSpec>,
}

pub(crate) async fn run(spawn: CallSpawn) {
    // The span carries our own call number only: Call-IDs and numbers are personal data.
    let span = info_span!("call", id = spawn.key.0);
    async move {
        // Whatever ends this task (return or a panic: a bug in one call must tear down
        // that call only), the core forgets the call and the gauge goes down.
        let _guard = CallGuard::new(spawn.core.clone(), spawn.key);
        drive(spawn).await;
    }
    .instrument(span)
    .await;
}

/// Tells the core task a call is gone when dropped, also during a panic's unwinding.
struct CallGuard {
    core: mpsc::Sender<CoreCmd>,
    key: CallKey,
}

impl CallGuard {
    fn new(core: mpsc::Sender<CoreCmd>, key: CallKey) -> Self {
        metrics::gauge!("centralino_calls_active").increment(1.0);
        CallGuard { core, key }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        metrics::gauge!("centralino_calls_active").decrement(1.0);
        let (core, call) = (self.core.clone(), self.key);
        if let Err(mpsc::error::TrySendError::Full(cmd)) = core.try_send(CoreCmd::Gone { call }) {
            // The core is busy: deliver later rather than leak its routing entries.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = core.send(cmd).await;
                });
            }
        }
    }
}

async fn drive(spawn: CallSpawn) {
    let CallSpawn { key, invite, tx, source, mode, shared, core, mut inbox, mut control, seed, register } = spawn;
    let mut session = match shared.relay.allocate().await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "no media ports: call refused");
            let resp = Response::from_request(&invite, StatusCode::SERVICE_UNAVAILABLE);
            let _ = core.send(CoreCmd::Respond { tx, response: resp }).await;
            return;
        }
    };
    let ports = MediaPorts {
        ip: session.local_ip(),
        a_port: session.local_rtp_port(media_relay::Side::A),
        b_port: session.local_rtp_port(media_relay::Side::B),
    };
    let cfg = shared.call_config.clone();
    let channel = register.as_ref().map_or("internal", |r| r.channel.as_str());
    let mut queue: Option<QueueSide> = None;
    let mut ivr: Option<IvrSide> = None;
    let (call, mut service) = match mode {
        CallMode::Ivr(script) => {
            info!(ivr = %script.name(), "IVR call");
            let caller = register.as_ref().map_or_else(String::new, |r| r.caller.clone());
            ivr = Some(IvrSide::new(script, &caller, now()));
            (Call::new_local(now(), invite, tx, source, ports, cfg, seed), None)
        }
        CallMode::Bridge(plan) => (Call::new(now(), invite, tx, source, plan, ports, cfg, seed), None),
        CallMode::Queue(name) => {
            info!(queue = %name, "queue call");
            // Out of hours, draining or forced closed: voicemail instead [IVR-7, IVR-8].
            let closed = !matches!(shared.schedules.status(channel, std::time::SystemTime::now()), business_calendar::Status::Open);
            if closed {
                info!(queue = %name, "service closed: voicemail");
            }
            queue = Some(QueueSide::new(QueueCall::new(acd_engine::CallId(key.0), &name, channel, closed)));
            (Call::new_local(now(), invite, tx, source, ports, cfg, seed), None)
        }
        CallMode::Service(service) => {
            let driver = ServiceDriver::new(service);
            info!(service = service.name(), "answered by the engine");
            (Call::new_local(now(), invite, tx, source, ports, cfg, seed), Some(driver))
        }
    };
    let mut call = match call {
        Ok(c) => c,
        Err(resp) => {
            let _ = core.send(CoreCmd::Respond { tx, response: resp }).await;
            return;
        }
    };
    let b_call_id = call.call_ids()[1].to_owned();
    if core.send(CoreCmd::Register { call: key, call_id: b_call_id }).await.is_err() {
        return;
    }
    info!("call started");
    let mut recorder = CallRecorder::new(&shared.cfg.recording, service.is_none(), key.0);
    let mut service_media = ServiceMedia::default();
    let info = CallInfo::from_spec(register.as_ref(), queue.as_ref().map(|q| q.call.queue.clone()), ivr.is_some());
    let mut acd_rx = match queue.as_mut() {
        Some(q) => q.take_receiver(),
        None => mpsc::channel::<AcdEvent>(1).1,
    };
    let mut register = register
        .and_then(|spec| crate::register::CallRegister::open(shared.register.as_ref(), spec, std::time::SystemTime::now()));
    if let (Some(r), Some(q)) = (register.as_mut(), queue.as_ref())
        && q.call.closed()
    {
        r.closed();
    }
    let ctx = CallCtx { key, shared: &shared, info };
    ctx.offered(register.as_mut());
    let mut relay_alive = true;
    loop {
        // Inputs the outputs give rise to: the service's reactions, playbacks that
        // could not start.
        let mut feedback = Vec::new();
        while let Some(out) = call.poll_output() {
            match out {
                CallOutput::Event(ev) => {
                    if let Some(r) = register.as_mut() {
                        r.on_event(&ev, std::time::SystemTime::now());
                    }
                    recorder.on_event(&ev, &session, &call, &shared.prompts);
                    if let Some(input) = ivr.as_mut().and_then(|i| i.input_for(&ev)) {
                        let (inputs, handoff) = ctx.ivr_steps(&mut ivr, input, &core, register.as_mut()).await;
                        feedback.extend(inputs);
                        if let Some(HandOff::Queue(q, steps)) = handoff {
                            let mut side = QueueSide::new(q);
                            acd_rx = side.take_receiver();
                            feedback.extend(ctx.queue_steps(&mut side, steps, &core, &call, &session, register.as_mut()).await);
                            queue = Some(side);
                        }
                    } else if let Some(q) = queue.as_mut() {
                        let steps = q.call.on_call_event(&ev, now());
                        feedback.extend(ctx.queue_steps(q, steps, &core, &call, &session, register.as_mut()).await);
                    }
                    feedback.extend(ctx.on_event(ev, service.as_mut(), &core, recorder.path()).await)
                }
                CallOutput::Media(MediaCommand::Recording(control)) => recorder.control(control),
                CallOutput::Media(m) => feedback.extend(ctx.media(m, &call, &session)),
                other => {
                    if execute(key, other, &core).await.is_err() {
                        return;
                    }
                }
            }
        }
        if let Some(s) = service.as_mut() {
            feedback.extend(service_media.run(s, key, &session, &shared, &call).await);
        }
        if !feedback.is_empty() {
            let t = now();
            for input in feedback {
                call.handle(t, input);
            }
            continue;
        }
        if call.is_terminated() {
            break;
        }
        let deadline = [
            call.poll_timeout(),
            service.as_ref().and_then(ServiceDriver::poll_timeout),
            queue.as_ref().and_then(|q| q.call.poll_timeout()),
            ivr.as_ref().and_then(IvrSide::poll_timeout),
        ]
            .into_iter()
            .flatten()
            .min();
        tokio::select! {
            input = inbox.recv() => match input {
                Some(input) => call.handle(now(), input),
                None => break,
            },
            Some((command, reply)) = control.recv() => {
                let t = now();
                let answer = match command {
                    crate::CallCommand::Hangup => {
                        info!("hung up by the API");
                        call.handle(t, CallInput::Hangup);
                        Ok(())
                    }
                    crate::CallCommand::TransferToQueue { queue: target, by } => match queue.as_mut() {
                        Some(q) => match q.call.transfer(&target) {
                            Some(steps) => {
                                call.handle(t, CallInput::Disconnect);
                                ctx.transferred(&target, &by, register.as_mut());
                                for input in ctx.queue_steps(q, steps, &core, &call, &session, register.as_mut()).await {
                                    call.handle(t, input);
                                }
                                Ok(())
                            }
                            None => Err(crate::CallCommandError::NotPossible("the caller is not talking to an agent".into())),
                        },
                        None => Err(crate::CallCommandError::NotPossible("only a queue call can be transferred to a queue".into())),
                    },
                };
                let _ = reply.send(answer);
            },
            Some(ev) = acd_rx.recv(), if queue.is_some() => {
                if let Some(q) = queue.as_mut() {
                    let steps = q.call.on_acd_event(ev);
                    let t = now();
                    for input in ctx.queue_steps(q, steps, &core, &call, &session, register.as_mut()).await {
                        call.handle(t, input);
                    }
                }
            },
            ev = session.next_event(), if relay_alive => match ev {
                Some(RelayEvent::Inactive { idle }) => {
                    info!(idle_s = idle.as_secs(), "no RTP in either direction");
                    call.handle(now(), CallInput::MediaInactive);
                }
                // Only the caller's keys and prompts count; side B is an agent's phone.
                Some(RelayEvent::Dtmf { side: media_relay::Side::A, digit, started }) => {
                    call.handle(now(), CallInput::Dtmf { digit, started });
                }
                Some(RelayEvent::PlaybackDone { side: media_relay::Side::A, completed }) => {
                    call.handle(now(), CallInput::PlaybackDone { completed });
                }
                Some(RelayEvent::Dtmf { .. } | RelayEvent::PlaybackDone { .. }) => {}
                None => relay_alive = false,
            },
            () = sleep_until(deadline) => {
                let t = now();
                if ivr.as_ref().and_then(IvrSide::poll_timeout).is_some_and(|at| at <= t) {
                    let (inputs, handoff) = ctx.ivr_steps(&mut ivr, ivr_script::IvrInput::Timeout, &core, register.as_mut()).await;
                    for input in inputs {
                        call.handle(t, input);
                    }
                    if let Some(HandOff::Queue(q, steps)) = handoff {
                        let mut side = QueueSide::new(q);
                        acd_rx = side.take_receiver();
                        for input in ctx.queue_steps(&mut side, steps, &core, &call, &session, register.as_mut()).await {
                            call.handle(t, input);
                        }
                        queue = Some(side);
                    }
                }
                if let Some(q) = queue.as_mut() {
                    let steps = q.call.on_timeout(t);
                    for input in ctx.queue_steps(q, steps, &core, &call, &session, register.as_mut()).await {
                        call.handle(t, input);
                    }
                }
                if let Some(s) = service.as_mut() {
                    for input in s.on_timeout(t) {
                        call.handle(t, input);
                    }
                }
                call.handle_timeout(t);
            }
        }
    }
    recorder.finish().await;
    if let Some(s) = &service {
        debug!(digits = s.digits_heard(), "service call over");
    }
    let c = session.counters();
    debug!(a_to_b = c.a_to_b.packets, b_to_a = c.b_to_a.packets, lost = c.a_to_b.lost + c.b_to_a.lost, "call media");
}

/// How a call is handled: bridged to targets, answered by a built-in service, or
/// answered and queued for an agent.
pub(crate) enum CallMode {
    Bridge(TargetPlan),
    Service(Service),
    Queue(String),
    Ivr(std::sync::Arc<ivr_script::Script>),
}

/// What a call's outputs need besides the call itself.
struct CallCtx<'a> {
    key: CallKey,
    shared: &'a Shared,
    info: CallInfo,
}

/// The facts every CTI event of a call carries (schema v1, `docs/events.md`): channel,
/// numbers, the agent, and the instants seconds waited and talked come from [CTI-3].
struct CallInfo {
    channel: &'static str,
    from: Option<String>,
    to: String,
    agent: Option<String>,
    /// A queue call (its answer is the engine's, not an operator's).
    queue_call: bool,
    /// The queue a queue call waits in (a transfer to level II changes it).
    queue: std::sync::Mutex<Option<String>>,
    /// The agent a queue call is connected to.
    connected_agent: std::sync::Mutex<Option<String>>,
    started: Instant,
    answered: std::sync::OnceLock<Instant>,
}

impl CallInfo {
    fn from_spec(spec: Option<&crate::register::RegisterSpec>, queue: Option<String>, ivr: bool) -> CallInfo {
        CallInfo {
            channel: spec.map_or("internal", |s| s.channel.as_str()),
            from: spec.map(|s| s.caller.clone()).filter(|c| !c.is_empty()),
            to: spec.map(|s| s.dialled.clone()).unwrap_or_default(),
            agent: spec.and_then(|s| s.agent.clone()),
            queue_call: queue.is_some() || ivr,
            queue: std::sync::Mutex::new(queue),
            connected_agent: std::sync::Mutex::new(None),
            started: now(),
            answered: std::sync::OnceLock::new(),
        }
    }

    /// What a voicemail's ticket and event say about the call.
    fn voicemail_facts(&self) -> crate::voicemail::Facts {
        crate::voicemail::Facts { channel: self.channel, from: self.from.clone(), to: self.to.clone(), queue: self.queue(), waited_seconds: self.waited_seconds() }
    }

    /// The agent on the call: the dialled one, or the queue call's connected agent.
    fn agent(&self) -> Option<String> {
        self.agent.clone().or_else(|| lock(&self.connected_agent).clone())
    }

    /// The queue of a queue call now.
    fn queue(&self) -> Option<String> {
        lock(&self.queue).clone()
    }

    fn waited_seconds(&self) -> u64 {
        self.answered.get().copied().unwrap_or_else(now).saturating_duration_since(self.started).as_secs()
    }
}

impl CallCtx<'_> {
    /// Publishes a typed CTI event about this call [CTI-1]. The data may hold personal
    /// data (numbers, DTMF digits): it is logged at debug level only.
    fn emit<P: cti_bus::Payload>(&self, payload: &P) {
        let seq = self.shared.cti.emit(Some(self.key.0), payload);
        debug!(kind = P::KIND, seq, "cti event");
    }

    /// A new call: `call.offered`, and for a call routed straight to an agent the agent's
    /// `agent.offered` pop (channel and seconds waited [CTI-3]) and its ticket [CRM-1],
    /// announced by `ticket.created` once the store has numbered it.
    fn offered(&self, register: Option<&mut crate::register::CallRegister>) {
        let i = &self.info;
        self.emit(&schema::CallOffered {
            channel: i.channel.to_owned(),
            from: i.from.clone(),
            to: i.to.clone(),
            direction: schema::Direction::In,
            queue: None,
            waited_seconds: 0,
        });
        if let Some(agent) = i.agent.clone() {
            self.offer_to_agent(&agent, 0, register);
        }
    }

    /// Metrics, logs and CTI for a call event; returns the service's reaction.
    async fn on_event(
        &self,
        ev: CallEvent,
        service: Option<&mut ServiceDriver>,
        core: &mpsc::Sender<CoreCmd>,
        recording: Option<&std::path::Path>,
    ) -> Vec<CallInput> {
        match ev {
            CallEvent::TrunkResult { trunk, destination, ok } => {
                let _ = core.send(CoreCmd::TrunkResult { trunk, destination, ok }).await;
                Vec::new()
            }
            CallEvent::Ringing | CallEvent::ConnectRinging => {
                debug!("ringing");
                Vec::new()
            }
            // Queue calls: the queue driver reacts (see `queue_steps`).
            CallEvent::Connected | CallEvent::Disconnected => Vec::new(),
            CallEvent::ConnectFailed { cause } => {
                debug!(?cause, "agent not reached");
                Vec::new()
            }
            CallEvent::Answered => {
                info!("answered");
                metrics::counter!("centralino_calls_answered_total").increment(1);
                let i = &self.info;
                if i.queue_call {
                    // The engine answered a queue call: the operator's answer comes later.
                    return service.map(|s| s.on_answered(now())).unwrap_or_default();
                }
                let _ = i.answered.set(now());
                self.emit(&schema::CallAnswered {
                    channel: i.channel.to_owned(),
                    agent: i.agent.clone(),
                    agent_name: None,
                    queue: None,
                    from: i.from.clone(),
                    to: i.to.clone(),
                    direction: schema::Direction::In,
                    waited_seconds: i.waited_seconds(),
                });
                service.map(|s| s.on_answered(now())).unwrap_or_default()
            }
            CallEvent::Dtmf { digit, via } => {
                // Digits are personal data: debug level only [privacy rule].
                debug!(digit = %digit, via = via.as_str(), "dtmf");
                self.emit(&schema::Dtmf { digit: digit.to_string(), via: via.as_str().to_owned() });
                service.map(|s| s.on_dtmf(digit, now())).unwrap_or_default()
            }
            CallEvent::PlaybackDone { completed } => {
                debug!(completed, "playback done");
                service.map(|s| s.on_playback_done(completed, now())).unwrap_or_default()
            }
            CallEvent::Ended { cause } => {
                let label = cause.label();
                info!(cause = label, "call ended");
                metrics::counter!("centralino_calls_ended_total", "cause" => label).increment(1);
                let i = &self.info;
                let answered = i.answered.get().copied();
                self.emit(&schema::CallEnded {
                    channel: i.channel.to_owned(),
                    cause: label.to_owned(),
                    outcome: None,
                    answered: answered.is_some(),
                    agent: i.agent().filter(|_| answered.is_some()),
                    agent_name: None,
                    queue: i.queue(),
                    from: i.from.clone(),
                    to: i.to.clone(),
                    direction: schema::Direction::In,
                    waited_seconds: i.waited_seconds(),
                    talk_seconds: answered.map_or(0, |a| now().saturating_duration_since(a).as_secs()),
                    // The register stores where the call's recording is [CRM-4].
                    recording: recording.map(|p| p.display().to_string()),
                });
                Vec::new()
            }
        }
    }

    /// Carries out a media command on the call's relay session; a playback that cannot
    /// start is reported back to the call as not completed.
    fn media(&self, m: MediaCommand, call: &Call, session: &RelaySession) -> Option<CallInput> {
        match m {
            MediaCommand::SetRemote { side, rtp } => session.set_remote(relay_side(side), rtp),
            MediaCommand::PayloadMap { from, map } => session.set_payload_map(relay_side(from), map),
            MediaCommand::Hold { side, on_hold } => session.set_hold(relay_side(side), on_hold),
            MediaCommand::DtmfPayloadType { side, pt } => session.set_dtmf_payload_type(relay_side(side), pt),
            // Recording controls are the call task's (see `CallRecorder::control`).
            MediaCommand::Recording(_) => {}
            MediaCommand::Stop { side } => {
                if let Err(e) = session.stop(relay_side(side)) {
                    debug!(error = %e, "stop not delivered");
                }
            }
            MediaCommand::Play { side, prompts, barge_in } => {
                let mut list = Vec::with_capacity(prompts.len());
                for name in &prompts {
                    match self.shared.prompts.prompt_path(name) {
                        Ok(p) => list.push(p),
                        Err(e) => {
                            warn!(prompt = %name, error = %e, "unknown prompt: playback skipped");
                            return Some(CallInput::PlaybackDone { completed: false });
                        }
                    }
                }
                let Some(codec) = call.codec(side) else {
                    warn!("no codec negotiated: playback skipped");
                    return Some(CallInput::PlaybackDone { completed: false });
                };
                let options = PlayOptions { barge_in, codec: prompt_codec(codec) };
                if let Err(e) = session.play(relay_side(side), list, options) {
                    warn!(error = %e, "playback not started");
                    return Some(CallInput::PlaybackDone { completed: false });
                }
            }
        }
        None
    }
}

/// Signalling outputs go to the SIP core task.
async fn execute(key: CallKey, out: CallOutput, core: &mpsc::Sender<CoreCmd>) -> Result<(), ()> {
    let cmd = match out {
        CallOutput::Respond { tx, response } => CoreCmd::Respond { tx, response },
        CallOutput::Send { req, request, to } => CoreCmd::Send { call: key, req, request, to },
        CallOutput::SendAck { request, to } => CoreCmd::SendAck { request, to },
        CallOutput::Cancel { req } => CoreCmd::Cancel { call: key, req },
        CallOutput::Media(_) | CallOutput::Event(_) => return Ok(()),
    };
    core.send(cmd).await.map_err(|_| ())
}

pub(crate) fn prompt_codec(codec: AudioCodec) -> media_relay::prompts::AudioCodec {
    match codec {
        AudioCodec::Pcma => media_relay::prompts::AudioCodec::Pcma,
        AudioCodec::Pcmu => media_relay::prompts::AudioCodec::Pcmu,
    }
}

/// How long a transferred call's destination (an office, the secondary site) may ring.
const TRANSFER_RING: std::time::Duration = std::time::Duration::from_secs(30);

/// Where `number` is reached from inside the engine (the dial plan as an internal caller:
/// an agent's phones, an office through the PBX trunk); `None` when it has no route or no
/// live destination [IVR-6, TEL-6].
async fn route_of(core: &mpsc::Sender<CoreCmd>, number: String) -> Option<TargetPlan> {
    let (reply, wait) = tokio::sync::oneshot::channel();
    core.send(CoreCmd::DialTargets { number, reply }).await.ok()?;
    let plan = wait.await.ok()?;
    (!plan.groups.iter().all(Vec::is_empty)).then_some(plan)
}

/// A mutex's value even if a panicking holder poisoned it (the data is plain).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn relay_side(side: Side) -> media_relay::Side {
    match side {
        Side::A => media_relay::Side::A,
        Side::B => media_relay::Side::B,
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
