//! The runtime's serde-free configuration, built by the binary from the config file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use call_control::dial_plan::DialPlan;
use call_control::trunk::TrunkConfig;
use call_control::trunk_registration::RegistrationConfig;
use media_relay::RelayConfig;

/// RFC 3261 §17 timer bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipTimers {
    pub t1: Duration,
    pub t2: Duration,
    pub t4: Duration,
}

/// An agent allowed to register: extension (digest user name) and password [TEL-5].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentAccount {
    pub extension: String,
    pub password: String,
}

/// A person who signs in to the web UI and the API (HTTP Basic or session) [SEC-2].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUserAccount {
    pub name: String,
    pub password: String,
    /// `admin`, `supervisor`, `auditor` (read-only) or `agent`.
    pub role: String,
}

/// Everything the runtime needs to start.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// UDP and TCP listen address.
    pub sip_listen: SocketAddr,
    /// Digest realm.
    pub realm: String,
    /// Algorithms named in our challenges, in order; both MD5 and SHA-256 answers are
    /// accepted whatever this says (RFC 8760).
    pub digest_challenge: Vec<sip_dialog::auth::DigestAlgorithm>,
    pub timers: SipTimers,
    /// How long an operator's phone may ring before the caller gets 480.
    pub ring_timeout: Duration,
    /// RFC 4028 session interval offered and accepted; `None` = session timers off.
    pub session_expires: Option<Duration>,
    pub min_se: Duration,
    /// Registrar limits (RFC 3261 §10.3), seconds.
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    pub media: RelayConfig,
    /// HTTP listen address for `/metrics` and `/healthz`; `None` = no HTTP.
    pub http_listen: Option<SocketAddr>,
    pub agents: Vec<AgentAccount>,
    pub trunks: Vec<TrunkConfig>,
    /// The register channel of calls arriving on each trunk (same order as `trunks`);
    /// `None` counts them as internal [SLA-9].
    pub trunk_channels: Vec<Option<sql_store::Channel>>,
    /// The store's URL (`sqlite:…` or `postgres://…`); the binary opens it and hands the
    /// runtime a write queue. `None` keeps no register.
    pub store_url: Option<String>,
    /// Outbound registrations, by trunk index (RFC 3261 §10.2).
    pub trunk_registrations: Vec<(usize, RegistrationConfig)>,
    pub dial_plan: DialPlan,
    /// The prompt library folder (`<dir>/<lang>/<name>.<ext>`, `<dir>/moh/…`), relative
    /// to the working directory; loaded once at start [IVR-4, IVR-5].
    pub prompts_dir: PathBuf,
    /// Web and API users besides the agents (who sign in with extension and SIP password).
    pub web_users: Vec<WebUserAccount>,
    /// Call recording policy, folder, file naming and consent prompt [CRM-4].
    pub recording: crate::recording::RecordingConfig,
    /// CRM endpoints that receive the CTI events through the durable outbox [CRM-9].
    pub webhooks: Vec<cti_bus::WebhookConfig>,
    /// Opening hours of each service (`verde`, `centralino`) [IVR-7, IVR-8].
    pub services: Vec<ServiceSchedule>,
    /// Queues and agents of the ACD [ACD-1..7].
    pub acd: acd_engine::AcdConfig,
    /// Where voicemail messages are kept (`data/voicemail` in the demo) [VM-1].
    pub voicemail_dir: std::path::PathBuf,
    /// The IVR scripts declared in the config (name, file relative to the config).
    pub ivr_files: Vec<(String, std::path::PathBuf)>,
    /// The loaded IVR scripts by name (`to = "ivr:NAME"` routes) [IVR-1..3].
    pub ivr_scripts: std::collections::BTreeMap<String, std::sync::Arc<ivr_script::Script>>,
}

impl RuntimeConfig {
    /// The prompt folder of the demo (`prompts`, next to `config/`).
    pub const DEFAULT_PROMPTS_DIR: &'static str = "prompts";
}

/// A service's calendar: weekly hours, drain, Italian and local holidays, closures.
#[derive(Debug, Clone)]
pub struct ServiceSchedule {
    /// The service (`verde`, `centralino`), also the register's channel name.
    pub name: String,
    /// Its calendar.
    pub calendar: business_calendar::Calendar,
}
