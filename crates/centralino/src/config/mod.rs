//! The configuration file format (`config/centralino.toml`) and its validation: every
//! error names the file, the line and the reason (issue "Walking skeleton" item 2).
//!
//! This is the only place that knows the file format; it produces the serde-free
//! configs of the runtime and the cores.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use call_control::dial_plan::{DialPlan, Destination, NumberPattern, OriginClass, Route};
use call_control::trunk::TrunkConfig;
use call_control::trunk_registration::RegistrationConfig;
use call_runtime::{AgentAccount, RecordingConfig, RecordingPolicy, RuntimeConfig, SipTimers, WebUserAccount};
use sql_store::Channel;
use sip_dialog::auth::DigestAlgorithm;
use media_relay::RelayConfig;
use serde::Deserialize;
use toml::Spanned;

/// One problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub file: PathBuf,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// All problems found in a config file (at least one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub issues: Vec<ConfigIssue>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<RuntimeConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        issues: vec![ConfigIssue { file: path.to_owned(), line: 0, reason: format!("cannot read: {e}") }],
    })?;
    let mut cfg = parse(path, &text)?;
    ivr::load_scripts(path, &mut cfg)?;
    Ok(cfg)
}

/// Validates config text; `path` is only used in the messages.
pub fn parse(path: &Path, text: &str) -> Result<RuntimeConfig, ConfigError> {
    let mut v = Validator { path, text, issues: Vec::new() };
    let file: FileConfig = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e.span().map_or(0, |s| v.line_of(s.start));
            let reason = e.message().trim().to_owned();
            return Err(ConfigError { issues: vec![ConfigIssue { file: path.to_owned(), line, reason }] });
        }
    };
    let cfg = v.build(file);
    if v.issues.is_empty() { Ok(cfg) } else { Err(ConfigError { issues: v.issues }) }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    sip: SipSection,
    media: MediaSection,
    #[serde(default)]
    http: Option<HttpSection>,
    agents: AgentsSection,
    #[serde(default)]
    trunk: Vec<TrunkSection>,
    #[serde(default)]
    route: Vec<RouteSection>,
    #[serde(default)]
    web_user: Vec<WebUserSection>,
    #[serde(default)]
    store: Option<StoreSection>,
    #[serde(default)]
    recording: Option<RecordingSection>,
    #[serde(default)]
    webhook: Vec<contact_center::WebhookSection>,
    #[serde(default)]
    service: Vec<services::ServiceSection>,
    #[serde(default)]
    queue: Vec<contact_center::QueueSection>,
    #[serde(default)]
    ivr: Vec<ivr::IvrSection>,
}

/// `[recording]`: call recording of bridged calls [CRM-4].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordingSection {
    /// `"off"` or `"all"`.
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    dir: Option<Spanned<String>>,
    /// File-name template: `{date}`, `{time}`, `{call}`.
    #[serde(default)]
    file: Option<Spanned<String>>,
    /// `lang/name` of a prompt played to the caller before the recording starts.
    #[serde(default)]
    consent_prompt: Option<Spanned<String>>,
    #[serde(default)]
    max_duration_s: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebUserSection {
    name: Spanned<String>,
    password: Spanned<String>,
    role: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SipSection {
    listen: Spanned<String>,
    realm: String,
    #[serde(default = "d_digest")]
    digest_challenge: Vec<Spanned<String>>,
    #[serde(default = "d_t1")]
    t1_ms: Spanned<u64>,
    #[serde(default = "d_t2")]
    t2_ms: Spanned<u64>,
    #[serde(default = "d_t4")]
    t4_ms: Spanned<u64>,
    #[serde(default = "d_ring")]
    ring_timeout_s: Spanned<u64>,
    #[serde(default = "d_se")]
    session_expires_s: Spanned<u64>,
    #[serde(default = "d_min_se")]
    min_se_s: Spanned<u64>,
    #[serde(default = "d_min_exp")]
    min_expires_s: Spanned<u64>,
    #[serde(default = "d_max_exp")]
    max_expires_s: Spanned<u64>,
    #[serde(default = "d_max_exp")]
    default_expires_s: Spanned<u64>,
}

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(0..0, v)
}
fn d_digest() -> Vec<Spanned<String>> {
    vec![sp("MD5".to_owned())]
}
fn d_t1() -> Spanned<u64> {
    sp(500)
}
fn d_t2() -> Spanned<u64> {
    sp(4000)
}
fn d_t4() -> Spanned<u64> {
    sp(5000)
}
fn d_ring() -> Spanned<u64> {
    sp(30)
}
fn d_se() -> Spanned<u64> {
    sp(1800)
}
fn d_min_se() -> Spanned<u64> {
    sp(90)
}
fn d_min_exp() -> Spanned<u64> {
    sp(60)
}
fn d_max_exp() -> Spanned<u64> {
    sp(3600)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaSection {
    ip: Spanned<String>,
    port_min: Spanned<u16>,
    port_max: Spanned<u16>,
    #[serde(default = "d_inactivity")]
    inactivity_timeout_s: Spanned<u64>,
    /// The prompt library folder, relative to the working directory.
    #[serde(default)]
    prompts_dir: Option<Spanned<String>>,
}
fn d_inactivity() -> Spanned<u64> {
    sp(60)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    listen: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsSection {
    extensions: Spanned<String>,
    password_template: Spanned<String>,
    /// Extensions at level II (the others are level I) [ACD-6].
    #[serde(default)]
    level2: Option<Spanned<String>>,
    /// Largest share of calls sent to an external destination on overflow [TEL-6].
    #[serde(default)]
    external_share_cap_percent: Option<Spanned<u8>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrunkSection {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    outbound: Vec<Spanned<String>>,
    #[serde(default)]
    options_interval_s: Option<Spanned<u64>>,
    #[serde(default)]
    register: Option<RegisterSection>,
    /// The register channel of calls arriving on this trunk [SLA-9].
    #[serde(default)]
    channel: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    url: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterSection {
    registrar: Spanned<String>,
    user: Spanned<String>,
    #[serde(default)]
    domain: String,
    username: String,
    password: String,
    #[serde(default = "d_reg_expires")]
    expires_s: Spanned<u64>,
}
fn d_reg_expires() -> Spanned<u64> {
    sp(600)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSection {
    numbers: Spanned<String>,
    from: Vec<Spanned<String>>,
    to: Spanned<String>,
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
    issues: Vec<ConfigIssue>,
}

impl Validator<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
    }

    fn issue(&mut self, span: Range<usize>, reason: impl Into<String>) {
        let line = if span == (0..0) { 0 } else { self.line_of(span.start) };
        self.issues.push(ConfigIssue { file: self.path.to_owned(), line, reason: reason.into() });
    }

    fn socket<T: AsRef<str>>(&mut self, what: &str, v: &Spanned<T>) -> SocketAddr {
        match v.get_ref().as_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                self.issue(v.span(), format!("{what}: {:?} is not an IP:port address", v.get_ref().as_ref()));
                SocketAddr::from(([127, 0, 0, 1], 0))
            }
        }
    }

    fn ip<T: AsRef<str>>(&mut self, what: &str, v: &Spanned<T>) -> IpAddr {
        match v.get_ref().as_ref().parse::<IpAddr>() {
            Ok(a) => a,
            Err(_) => {
                self.issue(v.span(), format!("{what}: {:?} is not an IP address", v.get_ref().as_ref()));
                IpAddr::from([127, 0, 0, 1])
            }
        }
    }

    fn positive(&mut self, what: &str, v: &Spanned<u64>) -> u64 {
        if *v.get_ref() == 0 {
            self.issue(v.span(), format!("{what} must be greater than 0"));
        }
        *v.get_ref()
    }

    fn build(&mut self, f: FileConfig) -> RuntimeConfig {
        let sip_listen = self.socket("sip.listen", &f.sip.listen);
        let mut digest_challenge = Vec::new();
        for a in &f.sip.digest_challenge {
            match a.get_ref().to_ascii_uppercase().as_str() {
                "MD5" => digest_challenge.push(DigestAlgorithm::Md5),
                "SHA-256" => digest_challenge.push(DigestAlgorithm::Sha256),
                other => self.issue(a.span(), format!("sip.digest_challenge: {other:?} is not \"MD5\" or \"SHA-256\"")),
            }
        }
        if digest_challenge.is_empty() && !f.sip.digest_challenge.is_empty() {
            digest_challenge.push(DigestAlgorithm::Md5);
        }
        if f.sip.digest_challenge.is_empty() {
            self.issue(0..0, "sip.digest_challenge must name at least one algorithm");
        }
        let t1 = self.positive("sip.t1_ms", &f.sip.t1_ms);
        let t2 = self.positive("sip.t2_ms", &f.sip.t2_ms);
        let t4 = self.positive("sip.t4_ms", &f.sip.t4_ms);
        if t2 < t1 {
            self.issue(f.sip.t2_ms.span(), "sip.t2_ms must not be below sip.t1_ms (RFC 3261 §17.1.2.2)");
        }
        let ring = self.positive("sip.ring_timeout_s", &f.sip.ring_timeout_s);
        let se = *f.sip.session_expires_s.get_ref();
        let min_se = *f.sip.min_se_s.get_ref();
        if min_se < 90 {
            self.issue(f.sip.min_se_s.span(), "sip.min_se_s must be at least 90 (RFC 4028 §4)");
        }
        if se != 0 && se < min_se {
            self.issue(f.sip.session_expires_s.span(), "sip.session_expires_s must be 0 (off) or at least sip.min_se_s");
        }
        let min_exp = *f.sip.min_expires_s.get_ref();
        let max_exp = self.positive("sip.max_expires_s", &f.sip.max_expires_s);
        let def_exp = *f.sip.default_expires_s.get_ref();
        if min_exp > max_exp {
            self.issue(f.sip.min_expires_s.span(), "sip.min_expires_s is above sip.max_expires_s");
        }
        if def_exp < min_exp || def_exp > max_exp {
            self.issue(f.sip.default_expires_s.span(), "sip.default_expires_s must lie between min_expires_s and max_expires_s");
        }

        let media_ip = self.ip("media.ip", &f.media.ip);
        let (pmin, pmax) = (*f.media.port_min.get_ref(), *f.media.port_max.get_ref());
        if pmin < 1024 || pmin % 2 != 0 {
            self.issue(f.media.port_min.span(), "media.port_min must be an even port number of at least 1024");
        }
        if pmax <= pmin || pmax - pmin < 3 {
            self.issue(f.media.port_max.span(), "media.port_max must leave room for at least two RTP/RTCP pairs above media.port_min");
        }
        let inactivity = self.positive("media.inactivity_timeout_s", &f.media.inactivity_timeout_s);
        let prompts_dir = match &f.media.prompts_dir {
            Some(d) if d.get_ref().trim().is_empty() => {
                self.issue(d.span(), "media.prompts_dir must not be empty");
                PathBuf::from(RuntimeConfig::DEFAULT_PROMPTS_DIR)
            }
            Some(d) => PathBuf::from(d.get_ref().trim()),
            None => PathBuf::from(RuntimeConfig::DEFAULT_PROMPTS_DIR),
        };

        let http_listen = f.http.as_ref().map(|h| self.socket("http.listen", &h.listen));

        let agents = self.agents(&f.agents);
        let acd = self.acd(&agents, f.agents.level2.as_ref(), &f.queue, f.agents.external_share_cap_percent.as_ref());
        let trunks = self.trunks(&f.trunk);
        let trunk_registrations = self.registrations(&f.trunk);
        let queue_names: Vec<String> = acd.queues.iter().map(|q| q.name.0.clone()).collect();
        let ivr_files = self.ivr_files(&f.ivr);
        let ivr_names: Vec<String> = ivr_files.iter().map(|(n, _)| n.clone()).collect();
        let dial_plan = self.dial_plan(&f.route, &trunks, &queue_names, &ivr_names);

        RuntimeConfig {
            sip_listen,
            realm: f.sip.realm,
            digest_challenge,
            timers: SipTimers {
                t1: Duration::from_millis(t1),
                t2: Duration::from_millis(t2),
                t4: Duration::from_millis(t4),
            },
            ring_timeout: Duration::from_secs(ring),
            session_expires: (se > 0).then(|| Duration::from_secs(se)),
            min_se: Duration::from_secs(min_se),
            min_expires: min_exp as u32,
            max_expires: max_exp.min(u64::from(u32::MAX)) as u32,
            default_expires: def_exp.min(u64::from(u32::MAX)) as u32,
            media: RelayConfig {
                bind_ip: media_ip,
                port_min: pmin,
                port_max: pmax,
                inactivity_timeout: Duration::from_secs(inactivity),
                relatch_after: Duration::from_secs(2),
            },
            http_listen,
            agents,
            trunks,
            trunk_registrations,
            trunk_channels: self.trunk_channels(&f.trunk),
            store_url: f.store.as_ref().map(|st| self.store_url(st)),
            dial_plan,
            prompts_dir,
            web_users: self.web_users(&f.web_user),
            recording: self.recording(f.recording.as_ref()),
            webhooks: self.webhooks(&f.webhook),
            services: self.services(&f.service),
            voicemail_dir: PathBuf::from("data/voicemail"),
            ivr_files,
            ivr_scripts: Default::default(),
            acd,
        }
    }

    fn agents(&mut self, a: &AgentsSection) -> Vec<AgentAccount> {
        let pattern = match a.extensions.get_ref().parse::<NumberPattern>() {
            Ok(p) => p,
            Err(e) => {
                self.issue(a.extensions.span(), format!("agents.extensions: {e}"));
                return Vec::new();
            }
        };
        if !a.password_template.get_ref().contains("{ext}") && a.password_template.get_ref().len() < 8 {
            self.issue(a.password_template.span(), "agents.password_template must contain {ext} or be at least 8 characters");
        }
        let extensions: Vec<String> = match pattern {
            NumberPattern::Range { lo, hi, width } if hi - lo < 100_000 => {
                (lo..=hi).map(|n| format!("{n:0width$}")).collect()
            }
            NumberPattern::Range { .. } => {
                self.issue(a.extensions.span(), "agents.extensions: at most 100000 agents");
                Vec::new()
            }
            NumberPattern::Exact(e) => vec![e],
        };
        extensions
            .into_iter()
            .map(|ext| AgentAccount { password: a.password_template.get_ref().replace("{ext}", &ext), extension: ext })
            .collect()
    }

    fn trunks(&mut self, sections: &[TrunkSection]) -> Vec<TrunkConfig> {
        let mut out: Vec<TrunkConfig> = Vec::new();
        for t in sections {
            let name = t.name.get_ref().trim().to_owned();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                self.issue(t.name.span(), "trunk.name must be letters, digits, '-' or '_'");
            }
            if out.iter().any(|o| o.name == name) {
                self.issue(t.name.span(), format!("trunk {name:?} is defined twice"));
            }
            let _ = &t.description;
            let allow: Vec<IpAddr> = t.allow.iter().map(|a| self.ip("trunk.allow", a)).collect();
            let outbound: Vec<SocketAddr> = t.outbound.iter().map(|a| self.socket("trunk.outbound", a)).collect();
            if allow.is_empty() && outbound.is_empty() {
                self.issue(t.name.span(), format!("trunk {name:?} has neither allow nor outbound addresses"));
            }
            let interval = t.options_interval_s.as_ref().map(|i| Duration::from_secs(self.positive("trunk.options_interval_s", i)));
            out.push(TrunkConfig { name, allow, outbound, options_interval: interval });
        }
        out
    }

    fn registrations(&mut self, sections: &[TrunkSection]) -> Vec<(usize, RegistrationConfig)> {
        let mut out = Vec::new();
        for (i, t) in sections.iter().enumerate() {
            let Some(r) = &t.register else { continue };
            let registrar = self.socket("trunk.register.registrar", &r.registrar);
            if r.user.get_ref().trim().is_empty() {
                self.issue(r.user.span(), "trunk.register.user must not be empty");
            }
            let expires = self.positive("trunk.register.expires_s", &r.expires_s);
            out.push((
                i,
                RegistrationConfig {
                    registrar,
                    user: r.user.get_ref().trim().to_owned(),
                    domain: r.domain.trim().to_owned(),
                    username: r.username.clone(),
                    password: r.password.clone(),
                    expires: Duration::from_secs(expires),
                },
            ));
        }
        out
    }

    fn trunk_channels(&mut self, sections: &[TrunkSection]) -> Vec<Option<Channel>> {
        sections
            .iter()
            .map(|t| {
                let c = t.channel.as_ref()?;
                match c.get_ref().as_str() {
                    "verde" => Some(Channel::Verde),
                    "centralino" => Some(Channel::Centralino),
                    "internal" => Some(Channel::Internal),
                    "outbound" => Some(Channel::Outbound),
                    other => {
                        self.issue(c.span(), format!("trunk.channel: {other:?} is not verde, centralino, internal or outbound"));
                        None
                    }
                }
            })
            .collect()
    }

    fn store_url(&mut self, st: &StoreSection) -> String {
        let url = st.url.get_ref().trim();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            self.issue(st.url.span(), format!("store.url: {url:?} is neither sqlite:… nor postgres://…"));
        }
        url.to_owned()
    }

    fn recording(&mut self, r: Option<&RecordingSection>) -> RecordingConfig {
        let mut cfg = RecordingConfig::default();
        let Some(r) = r else {
            return cfg;
        };
        if let Some(m) = &r.mode {
            match m.get_ref().as_str() {
                "off" => cfg.policy = RecordingPolicy::Off,
                "all" => cfg.policy = RecordingPolicy::All,
                other => self.issue(m.span(), format!("recording.mode: {other:?} is not \"off\" or \"all\"")),
            }
        }
        if let Some(d) = &r.dir {
            match d.get_ref().trim() {
                "" => self.issue(d.span(), "recording.dir must not be empty"),
                dir => cfg.dir = PathBuf::from(dir),
            }
        }
        if let Some(f) = &r.file {
            match RecordingConfig::check_template(f.get_ref()) {
                Ok(()) => cfg.file = f.get_ref().clone(),
                Err(e) => self.issue(f.span(), format!("recording.file: {e}")),
            }
        }
        if let Some(p) = &r.consent_prompt {
            let valid = p
                .get_ref()
                .split_once('/')
                .is_some_and(|(lang, name)| media_relay::prompts::store::validate(lang, name).is_ok());
            if valid {
                cfg.consent_prompt = Some(p.get_ref().clone());
            } else {
                self.issue(p.span(), "recording.consent_prompt must name a prompt as language/name (it/consenso_registrazione)");
            }
        }
        if let Some(m) = &r.max_duration_s {
            cfg.max_duration = Duration::from_secs(self.positive("recording.max_duration_s", m));
        }
        cfg
    }

    fn web_users(&mut self, sections: &[WebUserSection]) -> Vec<WebUserAccount> {
        let mut out: Vec<WebUserAccount> = Vec::new();
        for u in sections {
            let name = u.name.get_ref().trim().to_owned();
            if name.is_empty() || name.contains(':') {
                self.issue(u.name.span(), "web_user.name must be non-empty and contain no ':'");
            }
            if out.iter().any(|o| o.name == name) {
                self.issue(u.name.span(), format!("web user {name:?} is defined twice"));
            }
            if u.password.get_ref().is_empty() {
                self.issue(u.password.span(), "web_user.password must not be empty");
            }
            let role = u.role.get_ref().as_str();
            if !matches!(role, "admin" | "supervisor" | "auditor" | "agent") {
                self.issue(u.role.span(), format!("web_user.role: {role:?} is not admin, supervisor, auditor or agent"));
            }
            out.push(WebUserAccount { name, password: u.password.get_ref().clone(), role: role.to_owned() });
        }
        out
    }

    fn dial_plan(&mut self, sections: &[RouteSection], trunks: &[TrunkConfig], queues: &[String], ivrs: &[String]) -> DialPlan {
        let trunk_index = |name: &str| trunks.iter().position(|t| t.name == name);
        let mut routes = Vec::new();
        for r in sections {
            let numbers = match r.numbers.get_ref().parse::<NumberPattern>() {
                Ok(n) => n,
                Err(e) => {
                    self.issue(r.numbers.span(), format!("route.numbers: {e}"));
                    continue;
                }
            };
            let mut from = Vec::new();
            for f in &r.from {
                match f.get_ref().as_str() {
                    "trunk" => from.push(OriginClass::AnyTrunk),
                    "agent" => from.push(OriginClass::Agent),
                    other => match other.strip_prefix("trunk:").and_then(trunk_index) {
                        Some(i) => from.push(OriginClass::Trunk(i)),
                        None => self.issue(f.span(), format!("route.from: {other:?} is not \"trunk\", \"agent\" or \"trunk:NAME\" of a defined trunk")),
                    },
                }
            }
            if r.from.is_empty() {
                self.issue(r.numbers.span(), "route.from must name at least one origin");
            }
            let to = match r.to.get_ref().as_str() {
                "agent" => Destination::Agent,
                other if other.starts_with("ivr:") => {
                    let name = other.trim_start_matches("ivr:");
                    if !ivrs.iter().any(|q| q == name) {
                        self.issue(r.to.span(), format!("route.to: unknown IVR {name:?} (declare it with [[ivr]])"));
                        continue;
                    }
                    Destination::Ivr(name.to_owned())
                }
                other if other.starts_with("queue:") => {
                    let name = other.trim_start_matches("queue:");
                    if !queues.iter().any(|q| q == name) {
                        self.issue(r.to.span(), format!("route.to: unknown queue {name:?} (define it with [[queue]])"));
                        continue;
                    }
                    Destination::Queue(name.to_owned())
                }
                other if other.starts_with("service:") => {
                    let name = other.trim_start_matches("service:");
                    if !call_runtime::SERVICES.contains(&name) {
                        let known = call_runtime::SERVICES.join(", ");
                        self.issue(r.to.span(), format!("route.to: unknown service {name:?} (known: {known})"));
                        continue;
                    }
                    Destination::Service(name.to_owned())
                }
                other => match other.strip_prefix("trunk:").and_then(trunk_index) {
                    Some(i) => Destination::Trunk(i),
                    None => {
                        self.issue(r.to.span(), format!("route.to: {other:?} is not \"agent\", \"trunk:NAME\" of a defined trunk, \"queue:NAME\", \"ivr:NAME\" or \"service:NAME\""));
                        continue;
                    }
                },
            };
            routes.push(Route { numbers, from, to });
        }
        DialPlan { routes }
    }
}

mod contact_center;
mod ivr;
mod services;

#[cfg(test)]
mod tests;
