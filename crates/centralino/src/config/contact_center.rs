//! The contact-center sections of the config file: `[[queue]]` ACD queues with their
//! strategy, members, levels, timers and exits [ACD-1..7, IVR-5, TEL-6], agent levels, and
//! `[[webhook]]` CRM endpoints with their HMAC secret and format [CRM-9], checked with
//! file:line reasons like every section.

use std::time::Duration;

use acd_engine::{AcdConfig, AgentConfig, ExitAction, Member, QueueConfig, QueueName, Strategy};
use call_control::dial_plan::NumberPattern;
use call_runtime::AgentAccount;

use cti_bus::{Format, WebhookConfig};
use serde::Deserialize;
use toml::Spanned;

use super::Validator;

/// `[[webhook]]`: one CRM endpoint that receives the CTI events.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookSection {
    name: Spanned<String>,
    /// `http://host:port/path` (plain HTTP; put a TLS proxy in front for HTTPS CRMs).
    url: Spanned<String>,
    /// The HMAC-SHA256 key the CRM verifies `X-Centralino-Signature` with.
    secret: Spanned<String>,
    /// `native` (our JSON, default) or `zammad` (Generic CTI form posts).
    #[serde(default)]
    format: Option<Spanned<String>>,
    /// Only these event kinds (default: all).
    #[serde(default)]
    kinds: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    timeout_s: Option<Spanned<u64>>,
    #[serde(default)]
    retry_max_s: Option<Spanned<u64>>,
}

/// `[[queue]]`: one ACD queue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QueueSection {
    name: Spanned<String>,
    /// `longest_idle` (default), `linear`, `round_robin`, `fewest_calls`, `ring_all`.
    #[serde(default)]
    strategy: Option<Spanned<String>>,
    /// Member extensions: a range `2001-2010` or a single extension, or a list of them.
    members: Spanned<Vec<String>>,
    /// Minimum agent level (2 = level II) [ACD-6].
    #[serde(default)]
    level: Option<Spanned<u8>>,
    #[serde(default)]
    widen_after_s: Option<Spanned<u64>>,
    #[serde(default)]
    weight: Option<Spanned<u32>>,
    #[serde(default)]
    ring_timeout_s: Option<Spanned<u64>>,
    #[serde(default)]
    wrap_up_s: Option<Spanned<u64>>,
    /// Visible-queue announcement period [IVR-5].
    #[serde(default)]
    announce_every_s: Option<Spanned<u64>>,
    #[serde(default)]
    max_wait_s: Option<Spanned<u64>>,
    /// What happens at max wait: `voicemail:BOX`, `queue:NAME`, `external:NUMBER`, `hangup:PROMPT`, `callback`.
    #[serde(default)]
    on_max_wait: Option<Spanned<String>>,
    #[serde(default)]
    max_length: Option<Spanned<u64>>,
    #[serde(default)]
    on_max_length: Option<Spanned<String>>,
    #[serde(default)]
    when_no_agents: Option<Spanned<String>>,
    #[serde(default)]
    exit_key: Option<Spanned<String>>,
    #[serde(default)]
    on_exit_key: Option<Spanned<String>>,
    #[serde(default)]
    reject_delay_s: Option<Spanned<u64>>,
    #[serde(default)]
    max_no_answer: Option<Spanned<u32>>,
}

impl Validator<'_> {
    /// The ACD: every agent (level II for `agents.level2`) and the queues.
    pub(super) fn acd(&mut self, agents: &[AgentAccount], level2: Option<&Spanned<String>>, sections: &[QueueSection], share_cap: Option<&Spanned<u8>>) -> AcdConfig {
        let level2: Vec<String> = match level2 {
            None => Vec::new(),
            Some(p) => self.extensions("agents.level2", p),
        };
        let agent_configs: Vec<AgentConfig> = agents
            .iter()
            .map(|a| AgentConfig::new(&a.extension, &format!("Operatore {}", a.extension), if level2.contains(&a.extension) { 2 } else { 1 }))
            .collect();
        let mut queues: Vec<QueueConfig> = Vec::new();
        for q in sections {
            let name = q.name.get_ref().trim().to_owned();
            if name.is_empty() || queues.iter().any(|o| o.name.0 == name) {
                self.issue(q.name.span(), format!("queue.name {name:?} is empty or defined twice"));
                continue;
            }
            let strategy = match q.strategy.as_ref().map(|s| (s.span(), s.get_ref().as_str())) {
                None | Some((_, "longest_idle")) => Strategy::LongestIdle,
                Some((_, "linear")) => Strategy::Linear,
                Some((_, "round_robin")) => Strategy::RoundRobin,
                Some((_, "fewest_calls")) => Strategy::FewestCalls,
                Some((_, "ring_all")) => Strategy::RingAll,
                Some((span, other)) => {
                    self.issue(span, format!("queue.strategy: {other:?} is not longest_idle, linear, round_robin, fewest_calls or ring_all"));
                    Strategy::LongestIdle
                }
            };
            let mut members: Vec<String> = Vec::new();
            for m in q.members.get_ref() {
                let spanned = Spanned::new(q.members.span(), m.clone());
                for ext in self.extensions("queue.members", &spanned) {
                    if !agents.iter().any(|a| a.extension == ext) {
                        self.issue(q.members.span(), format!("queue {name:?}: member {ext} is not an agent extension"));
                    } else if !members.contains(&ext) {
                        members.push(ext);
                    }
                }
            }
            let member_refs: Vec<&str> = members.iter().map(String::as_str).collect();
            let mut cfg = QueueConfig::new(&name, strategy, &member_refs);
            cfg.members = members.iter().map(|m| Member { agent: acd_engine::AgentId::new(m.as_str()), penalty: 0 }).collect();
            cfg.required_level = q.level.as_ref().map(|l| *l.get_ref());
            let secs = |v: &Option<Spanned<u64>>| v.as_ref().map(|s| Duration::from_secs(*s.get_ref()));
            cfg.widen_after = secs(&q.widen_after_s);
            if let Some(w) = &q.weight {
                cfg.weight = *w.get_ref();
            }
            if let Some(t) = &q.ring_timeout_s {
                cfg.ring_timeout = Duration::from_secs(self.positive("queue.ring_timeout_s", t));
            }
            if let Some(t) = secs(&q.wrap_up_s) {
                cfg.wrap_up = t;
            }
            if let Some(t) = &q.announce_every_s {
                cfg.announce_every = Some(Duration::from_secs(self.positive("queue.announce_every_s", t)));
            }
            if let Some(t) = secs(&q.reject_delay_s) {
                cfg.reject_delay = t;
            }
            if let Some(n) = &q.max_no_answer {
                cfg.max_no_answer = *n.get_ref();
            }
            if let Some(t) = &q.max_wait_s {
                let wait = Duration::from_secs(self.positive("queue.max_wait_s", t));
                let action = self.exit_action("queue.on_max_wait", q.on_max_wait.as_ref(), t.span());
                cfg.max_wait = action.map(|a| (wait, a));
            }
            if let Some(n) = &q.max_length {
                let action = self.exit_action("queue.on_max_length", q.on_max_length.as_ref(), n.span());
                cfg.max_length = action.map(|a| (usize::try_from(*n.get_ref()).unwrap_or(usize::MAX), a));
            }
            if let Some(a) = &q.when_no_agents {
                cfg.when_no_agents = self.exit_action("queue.when_no_agents", Some(a), a.span());
            }
            if let Some(k) = &q.exit_key {
                let key = k.get_ref().chars().next().filter(|c| k.get_ref().len() == 1 && (c.is_ascii_digit() || *c == '*' || *c == '#'));
                match key {
                    None => self.issue(k.span(), "queue.exit_key must be one DTMF key (0-9, * or #)"),
                    Some(c) => cfg.exit_key = self.exit_action("queue.on_exit_key", q.on_exit_key.as_ref(), k.span()).map(|a| (c, a)),
                }
            }
            queues.push(cfg);
        }
        let mut acd = AcdConfig::new(queues, agent_configs);
        if let Some(cap) = share_cap {
            acd.external_share_cap_percent = *cap.get_ref();
        }
        if let Err(e) = acd.validate() {
            let span = sections.first().map_or(0..0, |q| q.name.span());
            self.issue(span, format!("queues: {e}"));
        }
        acd
    }

    /// `voicemail:BOX`, `queue:NAME`, `external:NUMBER`, `hangup:PROMPT`, `callback`.
    fn exit_action(&mut self, what: &str, action: Option<&Spanned<String>>, fallback: std::ops::Range<usize>) -> Option<ExitAction> {
        let Some(action) = action else {
            self.issue(fallback, format!("{what} is required with this limit"));
            return None;
        };
        let text = action.get_ref().trim();
        let parsed = match text.split_once(':') {
            _ if text == "callback" => Some(ExitAction::Callback),
            Some(("voicemail", b)) if !b.is_empty() => Some(ExitAction::Voicemail(b.to_owned())),
            Some(("queue", q)) if !q.is_empty() => Some(ExitAction::Queue(QueueName::new(q))),
            Some(("external", n)) if !n.is_empty() => Some(ExitAction::External(n.to_owned())),
            Some(("hangup", p)) if !p.is_empty() => Some(ExitAction::MessageAndHangup(p.to_owned())),
            _ => None,
        };
        if parsed.is_none() {
            self.issue(action.span(), format!("{what}: {text:?} is not voicemail:BOX, queue:NAME, external:NUMBER, hangup:PROMPT or callback"));
        }
        parsed
    }

    /// The extensions a pattern (`2001-2010` or `2001`) names.
    fn extensions(&mut self, what: &str, pattern: &Spanned<String>) -> Vec<String> {
        match pattern.get_ref().trim().parse::<NumberPattern>() {
            Ok(NumberPattern::Range { lo, hi, width }) if hi >= lo && hi - lo < 100_000 => (lo..=hi).map(|n| format!("{n:0width$}")).collect(),
            Ok(NumberPattern::Exact(e)) => vec![e],
            Ok(_) => {
                self.issue(pattern.span(), format!("{what}: range too large"));
                Vec::new()
            }
            Err(e) => {
                self.issue(pattern.span(), format!("{what}: {e}"));
                Vec::new()
            }
        }
    }

    pub(super) fn webhooks(&mut self, sections: &[WebhookSection]) -> Vec<WebhookConfig> {
        let mut out: Vec<WebhookConfig> = Vec::new();
        for w in sections {
            let name = w.name.get_ref().trim().to_owned();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                self.issue(w.name.span(), "webhook.name must be letters, digits, '-' or '_'");
            }
            if out.iter().any(|o| o.name == name) {
                self.issue(w.name.span(), format!("webhook {name:?} is defined twice"));
            }
            let url = w.url.get_ref().trim();
            if !url.starts_with("http://") || url.len() <= "http://".len() {
                self.issue(w.url.span(), "webhook.url must be an http:// URL (terminate TLS in a local proxy)");
            }
            if w.secret.get_ref().len() < 16 {
                self.issue(w.secret.span(), "webhook.secret must be at least 16 characters");
            }
            let mut cfg = WebhookConfig::new(&name, url, w.secret.get_ref());
            match w.format.as_ref().map(|f| (f.span(), f.get_ref().as_str())) {
                None | Some((_, "native")) => cfg.format = Format::Native,
                Some((_, "zammad")) => cfg.format = Format::Zammad,
                Some((span, other)) => self.issue(span, format!("webhook.format: {other:?} is not native or zammad")),
            }
            if let Some(kinds) = &w.kinds {
                let mut list = Vec::new();
                for k in kinds {
                    if !cti_bus::schema::KINDS.contains(&k.get_ref().as_str()) {
                        self.issue(k.span(), format!("webhook.kinds: {:?} is not an event kind (see docs/events.md)", k.get_ref()));
                    }
                    list.push(k.get_ref().clone());
                }
                cfg.kinds = Some(list);
            }
            if let Some(t) = &w.timeout_s {
                cfg.timeout = Duration::from_secs(self.positive("webhook.timeout_s", t));
            }
            if let Some(t) = &w.retry_max_s {
                cfg.retry_max = Duration::from_secs(self.positive("webhook.retry_max_s", t));
            }
            out.push(cfg);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::parse;

    const DEMO: &str = include_str!("../../../../config/centralino.toml");

    #[test]
    fn crm_9_webhooks_are_read_and_checked_with_lines() {
        let text = format!(
            "{DEMO}\n[[webhook]]\nname = \"zammad\"\nurl = \"http://127.0.0.1:9/api/v1/cti/x\"\nsecret = \"0123456789abcdef\"\nformat = \"zammad\"\nkinds = [\"call.offered\", \"call.ended\"]\n"
        );
        let cfg = parse(Path::new("c.toml"), &text).unwrap();
        assert_eq!(cfg.webhooks.len(), 1);
        assert_eq!(cfg.webhooks[0].format, cti_bus::Format::Zammad);
        assert_eq!(cfg.webhooks[0].kinds.as_deref().map(<[String]>::len), Some(2));
        let bad = format!("{DEMO}\n[[webhook]]\nname = \"crm\"\nurl = \"ftp://x\"\nsecret = \"short\"\nkinds = [\"call.nope\"]\n");
        let err = parse(Path::new("c.toml"), &bad).unwrap_err().to_string();
        let base = DEMO.lines().count() + 1;
        assert!(err.contains(&format!("c.toml:{}: webhook.url", base + 3)), "{err}");
        assert!(err.contains(&format!("c.toml:{}: webhook.secret", base + 4)), "{err}");
        assert!(err.contains("call.nope"), "{err}");
    }
}
