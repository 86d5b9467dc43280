//! Outbound registration of a trunk with its provider (RFC 3261 §10.2), with digest
//! credentials (RFC 7616/8760): register, refresh before expiry, answer challenges,
//! back off on failure [TEL-1, TEL-2].
//!
//! Sans-IO: `poll_request(now)` says when a REGISTER is due and builds it; the shell
//! sends it in a transaction and reports the final response or the failure.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip_dialog::auth::digest_response;
use sip_message::{CSeq, HeaderName, Host, Method, Request, Response, StatusCode, Uri};

/// What to register, where, with which credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// The provider's registrar.
    pub registrar: SocketAddr,
    /// User part of the address-of-record (`sip:user@domain`).
    pub user: String,
    /// Domain of the address-of-record; the registrar's IP when empty.
    pub domain: String,
    /// Digest credentials.
    pub username: String,
    pub password: String,
    /// Requested lifetime.
    pub expires: Duration,
}

/// Where the registration stands, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    /// Nothing sent yet, or waiting to retry.
    Unregistered,
    /// A REGISTER is in flight.
    Pending,
    /// Registered until the instant given.
    Registered { until: Instant },
}

/// The registration client of one trunk.
#[derive(Debug)]
pub struct RegistrationClient {
    cfg: RegistrationConfig,
    contact: Uri,
    call_id: String,
    from_tag: String,
    cseq: u32,
    state: RegistrationState,
    next_at: Option<Instant>,
    challenge: Option<(StatusCode, String)>,
    challenge_tries: u32,
    nc: u32,
    cnonce: String,
    failures: u32,
}

/// First retry after a failure; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

impl RegistrationClient {
    /// A client whose first REGISTER is due at `now`. `contact` is our own address;
    /// `seed` feeds the Call-ID, tag and cnonce.
    pub fn new(cfg: RegistrationConfig, contact: Uri, seed: u64, now: Instant) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut token = |n: usize| (0..n).map(|_| rng.alphanumeric()).collect::<String>();
        RegistrationClient {
            call_id: format!("{}@centralino", token(20)),
            from_tag: token(10),
            cnonce: token(16),
            cfg,
            contact,
            cseq: 0,
            state: RegistrationState::Unregistered,
            next_at: Some(now),
            challenge: None,
            challenge_tries: 0,
            nc: 0,
            failures: 0,
        }
    }

    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// When `poll_request` next has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_at
    }

    /// The REGISTER to send now, if one is due.
    pub fn poll_request(&mut self, now: Instant) -> Option<Request> {
        if self.next_at.is_none_or(|t| t > now) || self.state == RegistrationState::Pending {
            return None;
        }
        self.next_at = None;
        self.state = RegistrationState::Pending;
        self.cseq = self.cseq.wrapping_add(1).max(1);
        let domain = if self.cfg.domain.is_empty() { self.cfg.registrar.ip().to_string() } else { self.cfg.domain.clone() };
        let request_uri: Uri = format!("sip:{domain}").parse().unwrap_or_else(|_| {
            Uri::sip(None, Host::from(self.cfg.registrar.ip()), Some(self.cfg.registrar.port()))
        });
        let aor = format!("<sip:{}@{domain}>", self.cfg.user);
        let mut req = Request::new(Method::Register, request_uri.clone());
        let h = &mut req.headers;
        h.push(HeaderName::From, format!("{aor};tag={}", self.from_tag));
        h.push(HeaderName::To, aor);
        h.push(HeaderName::CallId, self.call_id.clone());
        h.push(HeaderName::CSeq, CSeq { seq: self.cseq, method: Method::Register }.to_string());
        h.push(HeaderName::Contact, format!("<{}>", self.contact));
        h.push(HeaderName::Expires, self.cfg.expires.as_secs().to_string());
        h.push(HeaderName::MaxForwards, "70");
        if let Some((status, challenge)) = &self.challenge {
            self.nc += 1;
            let uri = request_uri.to_string();
            if let Ok(value) =
                digest_response(challenge, "REGISTER", &uri, &self.cfg.username, &self.cfg.password, &self.cnonce, self.nc)
            {
                let name = if status.0 == 407 { HeaderName::ProxyAuthorization } else { HeaderName::Authorization };
                req.headers.push(name, value);
            }
        }
        Some(req)
    }

    /// The final response to our last REGISTER.
    pub fn handle_response(&mut self, now: Instant, response: &Response) {
        let status = response.status;
        if !status.is_final() {
            return;
        }
        if status.is_success() {
            let granted = granted_expires(response).unwrap_or(self.cfg.expires);
            self.state = RegistrationState::Registered { until: now + granted };
            // Refresh well before expiry: at 80%, and never later than 30 s before it.
            let refresh = (granted * 4 / 5).min(granted.saturating_sub(Duration::from_secs(30))).max(Duration::from_secs(1));
            self.next_at = Some(now + refresh);
            self.failures = 0;
            self.challenge_tries = 0;
            return;
        }
        if status.0 == 401 || status.0 == 407 {
            let header = if status.0 == 407 { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
            let stale = response.headers.get_all(&header).any(|c| c.to_ascii_lowercase().contains("stale=true"));
            // Prefer a challenge we can answer (MD5 or SHA-256) — every one we know.
            if let Some(c) = response.headers.get(&header) {
                let fresh = self.challenge.as_ref().is_none_or(|(_, old)| old != c);
                self.challenge = Some((status, c.to_owned()));
                self.nc = 0;
                // Retry at once with credentials unless the same challenge failed already
                // (wrong password): then back off instead of hammering the provider.
                if (fresh || stale) && self.challenge_tries < 3 {
                    self.challenge_tries += 1;
                    self.state = RegistrationState::Unregistered;
                    self.next_at = Some(now);
                    return;
                }
            }
        }
        if status == StatusCode::INTERVAL_TOO_BRIEF
            && let Some(min) = response.headers.get(&HeaderName::MinExpires).and_then(|v| v.trim().parse::<u64>().ok())
        {
            self.cfg.expires = Duration::from_secs(min);
            self.state = RegistrationState::Unregistered;
            self.next_at = Some(now);
            return;
        }
        self.fail(now);
    }

    /// The REGISTER timed out or could not be sent.
    pub fn handle_failure(&mut self, now: Instant) {
        self.fail(now);
    }

    fn fail(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        self.challenge_tries = 0;
        let backoff = MIN_BACKOFF.saturating_mul(1 << self.failures.min(6).saturating_sub(1)).min(MAX_BACKOFF);
        self.state = RegistrationState::Unregistered;
        self.next_at = Some(now + backoff);
    }
}

/// The lifetime the registrar granted: our Contact's `expires`, else `Expires`.
fn granted_expires(response: &Response) -> Option<Duration> {
    let from_contact = response.headers.contacts().ok().and_then(|cs| {
        cs.into_iter().find_map(|c| match c {
            sip_message::Contact::Address(a) => a.params.value("expires").and_then(|v| v.trim().parse::<u64>().ok()),
            sip_message::Contact::Star => None,
        })
    });
    let secs = from_contact.or_else(|| response.headers.expires().ok().flatten().map(u64::from))?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_dialog::auth::{DigestConfig, DigestServer};

    fn client(now: Instant) -> RegistrationClient {
        RegistrationClient::new(
            RegistrationConfig {
                registrar: "127.0.0.11:5060".parse().unwrap(),
                user: "800904277".into(),
                domain: "carrier.example".into(),
                username: "vuscom".into(),
                password: "s3cret".into(),
                expires: Duration::from_secs(600),
            },
            "sip:centralino@127.0.0.1:5060".parse().unwrap(),
            7,
            now,
        )
    }

    fn answer(req: &Request, status: StatusCode, extra: &[(HeaderName, String)]) -> Response {
        let mut r = Response::from_request(req, status);
        for (n, v) in extra {
            r.headers.push(n.clone(), v.clone());
        }
        r
    }

    #[test]
    fn tel_1_registers_with_digest_and_refreshes_before_expiry() {
        let t0 = Instant::now();
        let mut c = client(t0);
        let mut server = DigestServer::new(DigestConfig::default(), [9; 32]);
        let first = c.poll_request(t0).unwrap();
        assert_eq!(first.uri.to_string(), "sip:carrier.example");
        assert!(first.headers.get(&HeaderName::Authorization).is_none());
        assert_eq!(c.poll_request(t0), None, "one REGISTER in flight at a time");
        let challenge = server.challenge(1_000, false).remove(0);
        c.handle_response(t0, &answer(&first, StatusCode::UNAUTHORIZED, &[(HeaderName::WwwAuthenticate, challenge)]));
        let second = c.poll_request(t0).unwrap();
        let auth = second.headers.get(&HeaderName::Authorization).unwrap();
        let user = server.verify(1_001, "REGISTER", auth, |u| (u == "vuscom").then(|| "s3cret".to_owned()));
        assert_eq!(user.as_deref(), Ok("vuscom"));
        assert!(second.headers.cseq().unwrap().seq > first.headers.cseq().unwrap().seq);
        assert_eq!(second.headers.call_id().unwrap(), first.headers.call_id().unwrap());
        let ok = answer(&second, StatusCode::OK, &[(HeaderName::Contact, "<sip:centralino@127.0.0.1:5060>;expires=300".into())]);
        c.handle_response(t0, &ok);
        assert_eq!(c.state(), RegistrationState::Registered { until: t0 + Duration::from_secs(300) });
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(240)));
        assert!(c.poll_request(t0 + Duration::from_secs(239)).is_none());
        assert!(c.poll_request(t0 + Duration::from_secs(240)).is_some());
    }

    #[test]
    fn wrong_password_backs_off_instead_of_looping() {
        let t0 = Instant::now();
        let mut c = client(t0);
        let ch = (HeaderName::WwwAuthenticate, "Digest realm=\"x\", nonce=\"n1\", qop=\"auth\", algorithm=MD5".to_owned());
        let r = c.poll_request(t0).unwrap();
        c.handle_response(t0, &answer(&r, StatusCode::UNAUTHORIZED, std::slice::from_ref(&ch)));
        let r = c.poll_request(t0).unwrap();
        // The same challenge again: our credentials are wrong.
        c.handle_response(t0, &answer(&r, StatusCode::UNAUTHORIZED, &[ch]));
        assert_eq!(c.state(), RegistrationState::Unregistered);
        assert_eq!(c.poll_timeout(), Some(t0 + MIN_BACKOFF));
    }

    #[test]
    fn timeouts_back_off_exponentially_up_to_a_cap() {
        let t0 = Instant::now();
        let mut c = client(t0);
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..8 {
            assert!(c.poll_request(now).is_some());
            c.handle_failure(now);
            let next = c.poll_timeout().unwrap();
            waits.push((next - now).as_secs());
            now = next;
        }
        assert_eq!(waits, vec![5, 10, 20, 40, 80, 160, 160, 160]);
    }

    #[test]
    fn interval_too_brief_adopts_min_expires() {
        let t0 = Instant::now();
        let mut c = client(t0);
        let r = c.poll_request(t0).unwrap();
        c.handle_response(t0, &answer(&r, StatusCode::INTERVAL_TOO_BRIEF, &[(HeaderName::MinExpires, "1200".into())]));
        let r = c.poll_request(t0).unwrap();
        assert_eq!(r.headers.get(&HeaderName::Expires), Some("1200"));
    }
}
