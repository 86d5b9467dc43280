//! Who is calling the API [SEC-2, TEL-5, TEL-7]: web users with roles (HTTP Basic), login
//! sessions (`POST /api/login` → bearer token or cookie) and API tokens for integrations;
//! tokens are random 256-bit values stored only as SHA-256 hashes.

use std::io::Read;

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use sql_store::{Store, UnixMillis};

/// What a signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Supervisor,
    Auditor,
    /// An operator; the login is the extension.
    Agent,
}

impl Role {
    /// Parses `admin`, `supervisor`, `auditor`, `agent`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "auditor" => Some(Role::Auditor),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Agent => "agent",
        }
    }

    /// Sees every call, agent and queue (the customer's remote read access is the auditor
    /// role [TEL-7]).
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor | Role::Auditor)
    }

    /// May change things (auditors never may).
    pub fn may_write(self) -> bool {
        !matches!(self, Role::Auditor)
    }
}

/// A signed-in caller of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The login (an agent's login is its extension).
    pub name: String,
    /// The role.
    pub role: Role,
    /// How it proved who it is: `basic`, `session`, `token`.
    pub via: &'static str,
}

impl Principal {
    /// The agent extension this principal acts as, for agents.
    pub fn agent(&self) -> Option<&str> {
        (self.role == Role::Agent).then_some(self.name.as_str())
    }
}

/// Checks credentials: Basic against the web users, bearer tokens and the session cookie
/// against the store's token hashes.
#[derive(Debug, Clone)]
pub struct Authenticator {
    users: WebUsers,
    store: Option<Store>,
}

/// The cookie the web UI's session travels in.
pub const SESSION_COOKIE: &str = "centralino_session";

impl Authenticator {
    /// Users from the config; tokens need the store.
    pub fn new(users: WebUsers, store: Option<Store>) -> Authenticator {
        Authenticator { users, store }
    }

    /// The configured users.
    pub fn users(&self) -> &WebUsers {
        &self.users
    }

    /// Whoever the request's credentials prove, if anyone.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Option<Principal> {
        if let Some(u) = self.users.authenticate(headers) {
            return Some(Principal { name: u.name.clone(), role: u.role, via: "basic" });
        }
        let token = bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE))?;
        let store = self.store.as_ref()?;
        let record = store.token_by_hash(&token_hash(&token), UnixMillis::now()).await.ok()??;
        Some(Principal {
            name: record.username,
            role: Role::parse(&record.role)?,
            via: if record.kind == "session" { "session" } else { "token" },
        })
    }

    /// Checks a name and password (the login form).
    pub fn check_password(&self, name: &str, password: &str) -> Option<&WebUser> {
        self.users.check(name, password)
    }

    /// Issues a token for `user`: a session (expiring) or an API token; returns the token
    /// text, shown once.
    pub async fn issue(&self, name: &str, role: Role, kind: TokenKind, label: Option<&str>) -> Result<(String, Option<UnixMillis>), sql_store::StoreError> {
        let store = self.store.as_ref().ok_or(sql_store::StoreError::UnsupportedUrl { scheme: "none".into() })?;
        let token = new_token();
        let now = UnixMillis::now();
        let expires = match kind {
            TokenKind::Session => Some(now.saturating_add(SESSION_LIFETIME)),
            TokenKind::Api => None,
        };
        store.insert_token(&token_hash(&token), kind.as_str(), name, role.as_str(), label, now, expires).await?;
        Ok((token, expires))
    }

    /// Revokes the request's session or token (logout).
    pub async fn revoke(&self, headers: &HeaderMap) -> bool {
        let (Some(token), Some(store)) = (bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE)), self.store.as_ref()) else {
            return false;
        };
        store.revoke_token(&token_hash(&token), UnixMillis::now()).await.unwrap_or(false)
    }
}

/// How long a login session lasts (a working shift with margin).
pub const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// A session from the login form, or a long-lived integration token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `POST /api/login`.
    Session,
    /// `POST /api/tokens` (admin).
    Api,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }
}

/// SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// 256 random bits from the kernel, hex.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if filled.is_err() {
        // No kernel randomness (never on Linux): fall back to a hash of time and address
        // entropy rather than refusing logins.
        let seed = format!("{:?}{:p}", std::time::SystemTime::now(), &bytes);
        bytes.copy_from_slice(&Sha256::digest(seed.as_bytes()));
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// One login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    /// Login name.
    pub name: String,
    /// Password (from the config; demo only — production uses hashed secrets).
    pub password: String,
    /// Role.
    pub role: Role,
}

/// Everyone who may sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebUsers {
    users: Vec<WebUser>,
}

impl WebUsers {
    /// The given logins.
    pub fn new(users: Vec<WebUser>) -> Self {
        WebUsers { users }
    }

    /// The login with this name and password, compared in constant time.
    pub fn check(&self, name: &str, password: &str) -> Option<&WebUser> {
        let mut found = None;
        for u in &self.users {
            let name_ok = constant_time_eq(u.name.as_bytes(), name.as_bytes());
            let pw_ok = constant_time_eq(u.password.as_bytes(), password.as_bytes());
            if name_ok & pw_ok && found.is_none() {
                found = Some(u);
            }
        }
        found
    }

    /// The user an `Authorization: Basic …` header proves, if any. Unknown names and
    /// wrong passwords are indistinguishable (and compared in constant time).
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<&WebUser> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, b64) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64_decode(b64.trim())?;
        let text = String::from_utf8(decoded).ok()?;
        let (name, password) = text.split_once(':')?;
        self.check(name, password)
    }

}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// Standard base64 (RFC 4648 §4), padding optional; `None` on any invalid input.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = s.trim_end_matches('=').as_bytes();
    if bytes.len() % 4 == 1 || bytes.len() > 4096 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        out.push((acc >> 16) as u8);
        if chunk.len() > 2 {
            out.push((acc >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(acc as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> WebUsers {
        WebUsers::new(vec![
            WebUser { name: "supervisor".into(), password: "supervisor".into(), role: Role::Supervisor },
            WebUser { name: "2001".into(), password: "pw2001".into(), role: Role::Agent },
        ])
    }

    fn basic(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn sec_2_basic_auth_identifies_the_person() {
        let u = users();
        // "supervisor:supervisor" and "2001:pw2001".
        assert_eq!(u.authenticate(&basic("Basic c3VwZXJ2aXNvcjpzdXBlcnZpc29y")).map(|u| u.role), Some(Role::Supervisor));
        assert_eq!(u.authenticate(&basic("basic MjAwMTpwdzIwMDE=")).map(|u| u.name.as_str()), Some("2001"));
    }

    #[test]
    fn wrong_password_unknown_user_and_garbage_are_refused() {
        let u = users();
        assert!(u.authenticate(&basic("Basic c3VwZXJ2aXNvcjp4")).is_none(), "supervisor:x");
        assert!(u.authenticate(&basic("Basic bm9ib2R5Om5vYm9keQ==")).is_none(), "nobody:nobody");
        assert!(u.authenticate(&basic("Basic !!!!")).is_none());
        assert!(u.authenticate(&basic("Bearer abc")).is_none());
        assert!(u.authenticate(&HeaderMap::new()).is_none());
    }

    #[test]
    fn sec_2_tokens_come_from_headers_or_the_session_cookie() {
        let mut h = basic("Bearer abc123");
        assert_eq!(bearer(&h).as_deref(), Some("abc123"));
        h.insert(header::COOKIE, "lang=it; centralino_session=f00d; x=y".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("f00d"));
        assert_eq!(cookie(&HeaderMap::new(), SESSION_COOKIE), None);
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes(), "{enc}");
        }
        assert_eq!(base64_decode("Z"), None);
    }
}
