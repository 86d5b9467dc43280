//! Shell: the SIP core task (transactions, registrar, digest, trunks, routing) and a
//! task per call driving `call-control`; wires the transport and media shells.

mod acd_task;
mod call_task;
mod queue_call;
pub mod config;
pub mod recording;
mod service;
mod register;
mod schedule;
mod voicemail;
mod sip_core;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use call_control::io::{CallConfig, ReqRef};
use call_control::trunk::Trunks;
use media_relay::MediaRelay;
use media_relay::prompts::PromptLibrary;
use sdp_offer_answer::Capabilities;
use sip_dialog::auth::{DigestAlgorithm, DigestConfig, DigestServer};
use sip_dialog::session_timer::SessionTimerConfig;
use sip_message::{Limits, Request, Response, Uri};
use sip_registrar::{Registrar, RegistrarConfig};
use sip_transaction::{Endpoint, Peer, ServerTxId};
use sip_transport::SipTransport;
use tokio::sync::mpsc;
use tracing::{info, warn};

pub use acd_task::{AcdControlError, AcdHandle, AgentControl, state_name};
pub use schedule::UnknownService;
pub use config::{AgentAccount, RuntimeConfig, ServiceSchedule, SipTimers, WebUserAccount};
pub use recording::{RecordingConfig, RecordingPolicy};
pub use service::SERVICES;

/// Failures at start-up.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Transport(#[from] sip_transport::TransportError),
    /// The queues and agents do not fit together.
    #[error("ACD configuration: {0}")]
    Acd(#[from] acd_engine::AcdConfigError),
}

/// Our number for a call (never its Call-ID: that is personal data in logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CallKey(pub(crate) u64);

/// What call tasks ask of the SIP core task.
#[derive(Debug)]
pub(crate) enum CoreCmd {
    Respond { tx: ServerTxId, response: Response },
    Send { call: CallKey, req: ReqRef, request: Request, to: Peer },
    SendAck { request: Request, to: Peer },
    Cancel { call: CallKey, req: ReqRef },
    /// Leg B's Call-ID, so in-dialog requests from the callee reach the call.
    Register { call: CallKey, call_id: String },
    TrunkResult { trunk: usize, destination: SocketAddr, ok: bool },
    /// A command for a live call (API call control) [CTI-2].
    Control { call: CallKey, command: CallControl },
    /// Where the IVR reaches a number (an office through the PBX, an extension) [IVR-6].
    DialTargets { number: String, reply: tokio::sync::oneshot::Sender<call_control::io::TargetPlan> },
    /// The registered contacts of an agent (a queue call rings them) [ACD-2].
    AgentTargets { extension: String, reply: tokio::sync::oneshot::Sender<Vec<call_control::io::Target>> },
    Gone { call: CallKey },
}

/// A live call's control from the API or the agent's desktop [CTI-2, ACD-6].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCommand {
    /// Hang the call up (both legs).
    Hangup,
    /// Move the caller, with its ticket, from the agent it talks to into another queue
    /// (level I → level II); `by` is who asked.
    TransferToQueue { queue: String, by: String },
}

/// Why a call command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallCommandError {
    /// No live call has this number.
    #[error("no live call {0}")]
    UnknownCall(u64),
    /// The call cannot do this now.
    #[error("{0}")]
    NotPossible(String),
}

/// A command for a call task with the place for its answer.
pub(crate) type CallControl = (CallCommand, tokio::sync::oneshot::Sender<Result<(), CallCommandError>>);

/// Read-only state shared by every task.
pub(crate) struct Shared {
    pub(crate) cfg: RuntimeConfig,
    /// CTI events for subscribers (WebSocket clients, the CRM) [CTI-1].
    pub(crate) cti: cti_bus::CtiBus,
    pub(crate) call_config: CallConfig,
    pub(crate) relay: MediaRelay,
    /// Prompts and music, decoded once at start [IVR-4].
    pub(crate) prompts: PromptLibrary,
    /// The per-call register's write queue; `None` runs without a store.
    pub(crate) register: Option<sql_store::StoreWriter>,
    /// The ACD task [ACD-1..7].
    pub(crate) acd: AcdHandle,
    /// The services' calendars with the supervisor's override [IVR-7, IVR-8].
    pub(crate) schedules: Arc<schedule::Schedules>,
}

/// The running engine's SIP and media side.
#[derive(Clone)]
pub struct Runtime {
    sip_addr: SocketAddr,
    cti: cti_bus::CtiBus,
    relay: MediaRelay,
    acd: AcdHandle,
    schedules: Arc<schedule::Schedules>,
    core: mpsc::Sender<CoreCmd>,
}

impl Runtime {
    /// Binds the SIP sockets and starts the SIP core task.
    pub async fn start(cfg: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        Runtime::start_with_register(cfg, None).await
    }

    /// Like [`Runtime::start`], writing every call's register row through `register`
    /// [SLA-9].
    pub async fn start_with_register(
        cfg: RuntimeConfig,
        register: Option<sql_store::StoreWriter>,
    ) -> Result<Runtime, RuntimeError> {
        let (inbound_tx, inbound_rx) = mpsc::channel(10_000);
        let (cmd_tx, cmd_rx) = mpsc::channel::<CoreCmd>(10_000);
        let transport = SipTransport::start(cfg.sip_listen, Limits::default(), inbound_tx).await?;
        let local = transport.local_addr();
        let mut tcfg = sip_transaction::Config::new(local);
        tcfg.t1 = cfg.timers.t1;
        tcfg.t2 = cfg.timers.t2;
        tcfg.t4 = cfg.timers.t4;
        tcfg.user_agent = Some(concat!("centralino/", env!("CARGO_PKG_VERSION")).to_owned());
        let endpoint = Endpoint::new(tcfg, fastrand::Rng::new());
        let registrar = Registrar::new(RegistrarConfig {
            min_expires: cfg.min_expires,
            max_expires: cfg.max_expires,
            default_expires: cfg.default_expires,
            max_bindings_per_aor: 10,
        });
        let mut secret = [0u8; 32];
        let mut rng = fastrand::Rng::new();
        secret.iter_mut().for_each(|b| *b = rng.u8(..));
        let digest = DigestServer::new(
            DigestConfig {
                realm: cfg.realm.clone(),
                nonce_lifetime_secs: 300,
                algorithms: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
            },
            secret,
        )
        // What challenges name is configurable: SIPp 3.6 answers only the first one and
        // baresip 1.0 gives up when any is SHA-256 (see ARCHITECTURE.md).
        .with_challenge_algorithms(cfg.digest_challenge.clone());
        let trunks = Trunks::new(cfg.trunks.clone(), now());
        let relay = MediaRelay::new(cfg.media.clone());
        let local_contact: Uri = format!("sip:centralino@{local}").parse().unwrap_or_else(|_| Uri::sip(Some("centralino"), sip_message::Host::from(local.ip()), Some(local.port())));
        let call_config = CallConfig {
            ring_timeout: cfg.ring_timeout,
            session_timer: cfg.session_expires.map(|se| SessionTimerConfig { session_expires: se, min_se: cfg.min_se }),
            local_contact,
            capabilities: Capabilities::default(),
            // A live SIP peer answers 100 Trying at once; 8×T1 (4 s) of silence means
            // the link is down and the backup is worth trying [TEL-2].
            no_response_timeout: cfg.timers.t1 * 8,
            linger: cfg.timers.t1 * 64,
        };
        let cti = cti_bus::CtiBus::new(4096);
        let prompts = load_prompts(cfg.prompts_dir.clone()).await;
        let acd_core = acd_engine::Acd::new(cfg.acd.clone(), now())?;
        let (acd_tx, acd_rx) = mpsc::channel(10_000);
        tokio::spawn(acd_task::AcdTask::new(acd_core, &cfg.acd, cti.clone()).run(acd_rx));
        let acd = AcdHandle { tx: acd_tx };
        let schedules = Arc::new(schedule::Schedules::new(&cfg.services));
        let shared = Arc::new(Shared {
            cfg,
            cti: cti.clone(),
            call_config,
            relay: relay.clone(),
            prompts,
            register,
            acd: acd.clone(),
            schedules: schedules.clone(),
        });
        let core = sip_core::SipCore::new(shared, endpoint, transport, registrar, digest, trunks, cmd_tx.clone());
        tokio::spawn(core.run(inbound_rx, cmd_rx));
        Ok(Runtime { sip_addr: local, cti, relay, acd, schedules, core: cmd_tx })
    }

    /// The SIP listen address (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }

    /// The CTI event bus (subscribe for call, DTMF and agent events).
    pub fn cti(&self) -> cti_bus::CtiBus {
        self.cti.clone()
    }

    /// The ACD: agent control and live queue state [ACD-5, CTI-5].
    pub fn acd(&self) -> AcdHandle {
        self.acd.clone()
    }

    /// Forces a service open or closed (night mode), or back to its schedule [IVR-8].
    pub fn set_service_override(&self, service: &str, mode: business_calendar::Override) -> Result<(), UnknownService> {
        self.schedules.set_override(service, mode)?;
        info!(service, ?mode, "service override");
        Ok(())
    }

    /// Sends a command to a live call (its number is the CTI events' `call`) and waits for
    /// its answer [CTI-2, ACD-6].
    pub async fn call_command(&self, call: u64, command: CallCommand) -> Result<(), CallCommandError> {
        let (reply, wait) = tokio::sync::oneshot::channel();
        let cmd = CoreCmd::Control { call: CallKey(call), command: (command, reply) };
        self.core.send(cmd).await.map_err(|_| CallCommandError::UnknownCall(call))?;
        wait.await.map_err(|_| CallCommandError::UnknownCall(call))?
    }

    /// A service's override, `None` for an unknown service.
    pub fn service_override(&self, service: &str) -> Option<business_calendar::Override> {
        self.schedules.override_mode(service)
    }

    /// A service's state now (open, draining, closed with the reason).
    pub fn service_status(&self, service: &str) -> business_calendar::Status {
        self.schedules.status(service, std::time::SystemTime::now())
    }

    /// Media relay totals.
    pub fn relay_stats(&self) -> media_relay::RelayStats {
        self.relay.stats()
    }
}

/// Loads the prompt library off the async workers. Every file or folder that fails is
/// logged with its path and reason; the engine starts with whatever loaded.
async fn load_prompts(dir: std::path::PathBuf) -> PromptLibrary {
    let shown = dir.display().to_string();
    let loaded = tokio::task::spawn_blocking(move || PromptLibrary::load(&dir)).await;
    let (library, errors) = match loaded {
        Ok(l) => l,
        Err(e) => {
            warn!(dir = %shown, error = %e, "prompt library not loaded");
            return PromptLibrary::new(PromptLibrary::DEFAULT_LANGUAGE);
        }
    };
    for e in &errors {
        warn!(path = %e.path.display(), reason = %e.reason, "prompt not loaded");
    }
    info!(dir = %shown, prompts = library.len(), errors = errors.len(), "prompt library loaded");
    library
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
