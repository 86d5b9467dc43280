//! The contact-center sections of the config file: `[[webhook]]` CRM endpoints with their
//! HMAC secret and format [CRM-9], checked with file:line reasons like every section.

use std::time::Duration;

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

impl Validator<'_> {
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
