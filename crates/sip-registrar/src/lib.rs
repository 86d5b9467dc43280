//! Sans-IO registrar and location service (RFC 3261 §10.3): agents' softphones bind
//! contacts to their extension; bindings expire, refresh and are removed [TEL-5].
//!
//! Authentication happens before this layer (digest in `sip-dialog::auth`); the
//! registrar trusts the address-of-record it is given.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sip_message::{Contact, HeaderName, Host, NameAddr, Request, Response, StatusCode, Uri};

/// Registrar limits (RFC 3261 §10.3 steps 6-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Shorter non-zero requests are refused with 423 and `Min-Expires`.
    pub min_expires: u32,
    /// Longer requests are shortened to this.
    pub max_expires: u32,
    /// Used when neither the contact nor the request says.
    pub default_expires: u32,
    /// Contacts one extension may bind at once.
    pub max_bindings_per_aor: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig { min_expires: 60, max_expires: 3600, default_expires: 3600, max_bindings_per_aor: 10 }
    }
}

/// Why a REGISTER was refused; maps to the status to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("expiration {asked} s is below the minimum {min} s")]
    IntervalTooBrief { asked: u32, min: u32 },
    #[error("malformed {0} header")]
    BadHeader(&'static str),
    #[error("Contact '*' must be alone and come with Expires: 0")]
    BadWildcard,
    #[error("REGISTER for the same Call-ID with a CSeq not above the last one")]
    OutOfOrder,
    #[error("too many contacts for one extension (at most {0})")]
    TooManyBindings(usize),
    #[error("contact URI scheme is not sip or sips")]
    UnsupportedScheme,
}

impl From<&RegisterError> for StatusCode {
    fn from(e: &RegisterError) -> StatusCode {
        match e {
            RegisterError::IntervalTooBrief { .. } => StatusCode::INTERVAL_TOO_BRIEF,
            RegisterError::BadHeader(_) | RegisterError::BadWildcard => StatusCode::BAD_REQUEST,
            RegisterError::OutOfOrder => StatusCode::SERVER_INTERNAL_ERROR,
            RegisterError::TooManyBindings(_) => StatusCode::FORBIDDEN,
            RegisterError::UnsupportedScheme => StatusCode::UNSUPPORTED_URI_SCHEME,
        }
    }
}

/// One contact bound to an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub contact: NameAddr,
    pub expires_at: Instant,
    pub call_id: String,
    pub cseq: u32,
    /// Where the REGISTER came from.
    pub source: SocketAddr,
    /// It came over a reliable transport (TCP): reuse that connection.
    pub reliable: bool,
}

/// Where to send a request for a bound contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The Request-URI (the contact URI as registered).
    pub uri: Uri,
    pub destination: SocketAddr,
    pub reliable: bool,
}

/// What a successful REGISTER changed, for logs, metrics and agent presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationChange {
    /// The extension had no binding and now has one.
    Registered,
    /// The extension had bindings and still has.
    Refreshed,
    /// The extension's last binding was removed.
    Unregistered,
    /// A query (no Contact) or no change in presence.
    Unchanged,
}

/// The location service: bindings per extension.
#[derive(Debug, Default)]
pub struct Registrar {
    cfg: RegistrarConfig,
    bindings: HashMap<String, Vec<Binding>>,
}

impl Registrar {
    pub fn new(cfg: RegistrarConfig) -> Self {
        Registrar { cfg, bindings: HashMap::new() }
    }

    /// Applies a REGISTER for `aor` (the authenticated extension) received from
    /// `source` (RFC 3261 §10.3 steps 6-8). Returns what changed for the extension.
    pub fn register(
        &mut self,
        now: Instant,
        aor: &str,
        request: &Request,
        source: SocketAddr,
        reliable: bool,
    ) -> Result<RegistrationChange, RegisterError> {
        let h = &request.headers;
        let call_id = h.call_id().map_err(|_| RegisterError::BadHeader("Call-ID"))?.to_owned();
        let cseq = h.cseq().map_err(|_| RegisterError::BadHeader("CSeq"))?.seq;
        let contacts = h.contacts().map_err(|_| RegisterError::BadHeader("Contact"))?;
        let header_expires = h.expires().map_err(|_| RegisterError::BadHeader("Expires"))?;
        let had = self.bindings.get(aor).is_some_and(|b| b.iter().any(|b| b.expires_at > now));
        if contacts.is_empty() {
            return Ok(RegistrationChange::Unchanged);
        }
        if contacts.iter().any(|c| matches!(c, Contact::Star)) {
            if contacts.len() != 1 || header_expires != Some(0) {
                return Err(RegisterError::BadWildcard);
            }
            if let Some(list) = self.bindings.get(aor) {
                if list.iter().any(|b| b.call_id == call_id && b.cseq >= cseq) {
                    return Err(RegisterError::OutOfOrder);
                }
            }
            self.bindings.remove(aor);
            return Ok(if had { RegistrationChange::Unregistered } else { RegistrationChange::Unchanged });
        }
        // Validate everything first: the request is applied whole or not at all.
        let mut updates = Vec::with_capacity(contacts.len());
        for c in contacts {
            let Contact::Address(addr) = c else { continue };
            if !matches!(addr.uri.scheme, sip_message::Scheme::Sip | sip_message::Scheme::Sips) {
                return Err(RegisterError::UnsupportedScheme);
            }
            let asked = addr
                .params
                .value("expires")
                .and_then(|v| v.trim().parse::<u32>().ok())
                .or(header_expires)
                .unwrap_or(self.cfg.default_expires);
            if asked != 0 && asked < self.cfg.min_expires {
                return Err(RegisterError::IntervalTooBrief { asked, min: self.cfg.min_expires });
            }
            updates.push((addr, asked.min(self.cfg.max_expires)));
        }
        let list = self.bindings.entry(aor.to_owned()).or_default();
        list.retain(|b| b.expires_at > now);
        for (addr, _) in &updates {
            if list.iter().any(|b| same_contact(&b.contact.uri, &addr.uri) && b.call_id == call_id && b.cseq >= cseq) {
                return Err(RegisterError::OutOfOrder);
            }
        }
        for (mut addr, expires) in updates {
            list.retain(|b| !same_contact(&b.contact.uri, &addr.uri));
            if expires == 0 {
                continue;
            }
            addr.params.remove("expires");
            list.push(Binding {
                contact: addr,
                expires_at: now + Duration::from_secs(u64::from(expires)),
                call_id: call_id.clone(),
                cseq,
                source,
                reliable,
            });
        }
        if list.len() > self.cfg.max_bindings_per_aor {
            // Keep the newest bindings; the oldest go.
            let excess = list.len() - self.cfg.max_bindings_per_aor;
            list.drain(..excess);
        }
        let has = !list.is_empty();
        if !has {
            self.bindings.remove(aor);
        }
        Ok(match (had, has) {
            (false, true) => RegistrationChange::Registered,
            (true, false) => RegistrationChange::Unregistered,
            (true, true) => RegistrationChange::Refreshed,
            (false, false) => RegistrationChange::Unchanged,
        })
    }

    /// The 200 OK for a REGISTER: every current binding of `aor` with its remaining
    /// lifetime (RFC 3261 §10.3 step 8).
    pub fn ok_response(&self, now: Instant, aor: &str, request: &Request) -> Response {
        let mut resp = Response::from_request(request, StatusCode::OK);
        for b in self.bindings(aor, now) {
            let left = b.expires_at.saturating_duration_since(now).as_secs();
            resp.headers.push(HeaderName::Contact, format!("{};expires={left}", b.contact));
        }
        resp
    }

    /// The 423 for a too brief interval carries `Min-Expires` (RFC 3261 §10.3 step 6).
    pub fn error_response(&self, request: &Request, err: &RegisterError) -> Response {
        let mut resp = Response::from_request(request, StatusCode::from(err));
        if let RegisterError::IntervalTooBrief { min, .. } = err {
            resp.headers.push(HeaderName::MinExpires, min.to_string());
        }
        resp
    }

    /// Current (unexpired) bindings of an extension, oldest first.
    pub fn bindings(&self, aor: &str, now: Instant) -> impl Iterator<Item = &Binding> {
        self.bindings.get(aor).into_iter().flatten().filter(move |b| b.expires_at > now)
    }

    /// Where to ring an extension: one target per live binding. A contact is used as
    /// given when its host is the address the REGISTER came from; otherwise (NAT, or a
    /// host name) requests go to the REGISTER's source address and port.
    pub fn targets(&self, aor: &str, now: Instant) -> Vec<Target> {
        self.bindings(aor, now)
            .map(|b| {
                let uri = &b.contact.uri;
                let contact_ip = match &uri.host {
                    Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
                    Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
                    Host::Domain(_) => None,
                };
                let tcp = uri.params.value("transport").is_some_and(|t| t.eq_ignore_ascii_case("tcp"));
                let destination = match contact_ip {
                    Some(ip) if ip == b.source.ip() && !b.reliable => {
                        SocketAddr::new(ip, uri.port.unwrap_or(5060))
                    }
                    _ => b.source,
                };
                Target { uri: uri.clone(), destination, reliable: b.reliable || tcp }
            })
            .collect()
    }

    /// Is the extension registered now?
    pub fn is_registered(&self, aor: &str, now: Instant) -> bool {
        self.bindings(aor, now).next().is_some()
    }

    /// Did any live registration come from this IP address? Used to tell an agent's
    /// phone (challenged) from a stranger (refused) [TEL-5].
    pub fn has_binding_from(&self, ip: IpAddr, now: Instant) -> bool {
        self.bindings.values().flatten().any(|b| b.expires_at > now && b.source.ip() == ip)
    }

    /// Drops expired bindings; returns the extensions that lost their last one.
    pub fn expire(&mut self, now: Instant) -> Vec<String> {
        let mut gone = Vec::new();
        self.bindings.retain(|aor, list| {
            list.retain(|b| b.expires_at > now);
            if list.is_empty() {
                gone.push(aor.clone());
                false
            } else {
                true
            }
        });
        gone.sort();
        gone
    }

    /// When the next binding expires.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.bindings.values().flatten().map(|b| b.expires_at).min()
    }

    /// Number of extensions with at least one binding (expired ones included until
    /// `expire` runs).
    pub fn registered_count(&self) -> usize {
        self.bindings.len()
    }
}

/// RFC 3261 §19.1.4, simplified to what identifies a softphone's contact: scheme,
/// user, host (case-insensitive) and port.
fn same_contact(a: &Uri, b: &Uri) -> bool {
    a.scheme == b.scheme
        && a.user == b.user
        && a.host.to_string().eq_ignore_ascii_case(&b.host.to_string())
        && a.port == b.port
}

#[cfg(test)]
mod tests;
