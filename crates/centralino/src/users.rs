//! Web users and HTTP Basic authentication for the API and the CTI WebSocket: each
//! person signs in with a personal login [SEC-2, TEL-5].

use axum::http::{HeaderMap, header};

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
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "auditor" => Some(Role::Auditor),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// One login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    pub name: String,
    pub password: String,
    pub role: Role,
}

/// Everyone who may sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebUsers {
    users: Vec<WebUser>,
}

impl WebUsers {
    pub fn new(users: Vec<WebUser>) -> Self {
        WebUsers { users }
    }

    /// The configured web users plus every agent, who signs in with its extension and
    /// SIP password [TEL-5].
    pub fn from_config(cfg: &call_runtime::RuntimeConfig) -> Self {
        let mut users: Vec<WebUser> = cfg
            .web_users
            .iter()
            .filter_map(|u| Some(WebUser { name: u.name.clone(), password: u.password.clone(), role: Role::parse(&u.role)? }))
            .collect();
        users.extend(cfg.agents.iter().map(|a| WebUser { name: a.extension.clone(), password: a.password.clone(), role: Role::Agent }));
        WebUsers::new(users)
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
    fn base64_matches_rfc_4648_vectors() {
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes(), "{enc}");
        }
        assert_eq!(base64_decode("Z"), None);
    }
}
