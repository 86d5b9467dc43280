//! Server side of digest authentication (RFC 3261 §22.4, RFC 7616 §3.3–§3.5): challenges with
//! stateless HMAC-SHA256 nonces, and verification with stale detection, replay protection by
//! nonce count (bounded memory) and constant-time, user-oblivious response checks.

use std::collections::HashMap;

use super::hash::{
    DigestInputs, Ha1Variant, Qop, compute_response, constant_time_eq, hex, hmac_sha256, unhex,
};
use super::params::{DigestParams, parse_digest, quote};
use super::{AuthError, DigestAlgorithm, DigestConfig};

/// How many nonces the replay map remembers at most.
pub const MAX_TRACKED_NONCES: usize = 10_000;

/// The password hashed for unknown users so that they cost the same as known ones.
const DUMMY_PASSWORD: &str = "centralino-unknown-user-dummy-password";

/// Issues challenges and verifies credentials for one realm.
#[derive(Debug)]
pub struct DigestServer {
    cfg: DigestConfig,
    secret: [u8; 32],
    salt_counter: u64,
    opaque: String,
    seen: HashMap<String, NonceUse>,
    /// Nonces issued at or before this second that are no longer in `seen` were evicted early
    /// and are treated as stale, so that eviction never re-opens a replay window.
    forgotten_up_to: Option<u64>,
    /// What challenges offer, when narrower than what `verify` accepts.
    challenge_algorithms: Option<Vec<DigestAlgorithm>>,
}

impl DigestServer {
    /// Creates a server; `secret` must come from a cryptographic RNG in the shell.
    pub fn new(cfg: DigestConfig, secret: [u8; 32]) -> Self {
        let mut message = b"opaque:".to_vec();
        message.extend_from_slice(cfg.realm.as_bytes());
        let opaque = hex(hmac_sha256(&secret, &message).get(..16).unwrap_or_default());
        DigestServer {
            cfg,
            secret,
            salt_counter: 0,
            opaque,
            seen: HashMap::new(),
            forgotten_up_to: None,
            challenge_algorithms: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DigestConfig {
        &self.cfg
    }

    /// How many nonces the replay map currently tracks.
    pub fn tracked_nonces(&self) -> usize {
        self.seen.len()
    }

    /// `WWW-Authenticate`/`Proxy-Authenticate` values, one per configured algorithm,
    /// in the configured order of preference (RFC 8760 §2.4), all sharing one fresh nonce;
    /// `stale` adds `stale=true`.
    pub fn challenge(&mut self, now_secs: u64, stale: bool) -> Vec<String> {
        let nonce = self.new_nonce(now_secs);
        // In the configured order of preference (RFC 8760 §2.4): clients such as SIPp
        // answer only the first challenge, so deployments choose what comes first.
        let offered = self.challenge_algorithms.as_ref().unwrap_or(&self.cfg.algorithms);
        let mut algorithms: Vec<DigestAlgorithm> = Vec::with_capacity(offered.len());
        for a in offered {
            if !algorithms.contains(a) {
                algorithms.push(*a);
            }
        }
        algorithms
            .into_iter()
            .map(|algorithm| {
                let mut value = format!(
                    "Digest realm={}, qop=\"auth\", algorithm={algorithm}, nonce=\"{nonce}\", opaque=\"{}\"",
                    quote(&self.cfg.realm),
                    self.opaque
                );
                if stale {
                    value.push_str(", stale=true");
                }
                value
            })
            .collect()
    }

    /// Verifies an `Authorization`/`Proxy-Authorization` value for a request with `method`;
    /// returns the authenticated user name.
    ///
    /// `password_of` maps a user name to its password; unknown users get the same hashing
    /// work as known ones and the same [`AuthError::Rejected`]. An expired nonce with a correct
    /// response gives [`AuthError::StaleNonce`] (RFC 7616 §3.3: only then is `stale=true` due).
    /// The digest `uri` is not compared with the Request-URI here; the caller may do so.
    /// Challenges name only these algorithms (in this order), while `verify` still
    /// accepts every configured one. Deployed phones such as baresip 1.0 give up on a
    /// 401 that lists any algorithm they lack, even beside MD5; a SHA-256 capable
    /// client may still answer an MD5 challenge's nonce with SHA-256 (RFC 8760 §2.4).
    pub fn with_challenge_algorithms(mut self, algorithms: Vec<DigestAlgorithm>) -> Self {
        self.challenge_algorithms = Some(algorithms.into_iter().filter(|a| self.cfg.algorithms.contains(a)).collect());
        self
    }

    pub fn verify(
        &mut self,
        now_secs: u64,
        method: &str,
        authorization: &str,
        password_of: impl Fn(&str) -> Option<String>,
    ) -> Result<String, AuthError> {
        let params = parse_digest(authorization)?;
        let creds = Credentials::from_params(&params)?;
        if !self.cfg.algorithms.contains(&creds.algorithm) {
            return Err(AuthError::UnsupportedAlgorithm);
        }
        if creds.realm != self.cfg.realm {
            return Err(AuthError::RealmMismatch);
        }
        if creds
            .opaque
            .is_some_and(|o| !constant_time_eq(o.as_bytes(), self.opaque.as_bytes()))
        {
            return Err(AuthError::OpaqueMismatch);
        }
        let issued = self.check_nonce(creds.nonce)?;

        let password = password_of(creds.username);
        let known = password.is_some();
        let expected = compute_response(&DigestInputs {
            algorithm: creds.algorithm,
            variant: creds.variant,
            username: creds.username,
            realm: creds.realm,
            password: password.as_deref().unwrap_or(DUMMY_PASSWORD),
            method,
            uri: creds.uri,
            nonce: creds.nonce,
            qop: creds.qop,
        });
        let given = creds.response.to_ascii_lowercase();
        let matches = constant_time_eq(expected.as_bytes(), given.as_bytes());
        if !(matches && known) {
            return Err(AuthError::Rejected);
        }

        let age = now_secs.saturating_sub(issued);
        if age > self.cfg.nonce_lifetime_secs {
            return Err(AuthError::StaleNonce);
        }
        self.record_use(now_secs, creds.nonce, issued, creds.nc)?;
        Ok(creds.username.to_owned())
    }

    /// Makes `hex(timestamp ‖ salt ‖ HMAC-SHA256(secret, timestamp ‖ salt ‖ realm))`.
    fn new_nonce(&mut self, now_secs: u64) -> String {
        self.salt_counter = self.salt_counter.wrapping_add(1);
        let mut salt_input = b"salt:".to_vec();
        salt_input.extend_from_slice(&self.salt_counter.to_be_bytes());
        salt_input.extend_from_slice(&now_secs.to_be_bytes());
        let salt_full = hmac_sha256(&self.secret, &salt_input);
        let salt = salt_full.get(..SALT_LEN).unwrap_or_default();
        let mut body = now_secs.to_be_bytes().to_vec();
        body.extend_from_slice(salt);
        let tag = self.nonce_tag(&body);
        body.extend_from_slice(&tag);
        hex(&body)
    }

    fn nonce_tag(&self, timestamp_and_salt: &[u8]) -> [u8; 32] {
        let mut message = timestamp_and_salt.to_vec();
        message.extend_from_slice(self.cfg.realm.as_bytes());
        hmac_sha256(&self.secret, &message)
    }

    /// Checks that a nonce is ours and returns its issue time.
    fn check_nonce(&self, nonce: &str) -> Result<u64, AuthError> {
        let bytes = unhex(nonce).ok_or(AuthError::BadNonce)?;
        if bytes.len() != NONCE_LEN {
            return Err(AuthError::BadNonce);
        }
        let (body, tag) = bytes.split_at(TIMESTAMP_LEN + SALT_LEN);
        if !constant_time_eq(&self.nonce_tag(body), tag) {
            return Err(AuthError::BadNonce);
        }
        let mut timestamp = [0u8; TIMESTAMP_LEN];
        for (slot, byte) in timestamp.iter_mut().zip(body) {
            *slot = *byte;
        }
        Ok(u64::from_be_bytes(timestamp))
    }

    /// Enforces one use per no-qop nonce and strictly increasing nc per qop nonce.
    fn record_use(
        &mut self,
        now_secs: u64,
        nonce: &str,
        issued: u64,
        nc: Option<u32>,
    ) -> Result<(), AuthError> {
        match (self.seen.get_mut(nonce), nc) {
            (
                Some(NonceUse {
                    highest_nc: Some(highest),
                    ..
                }),
                Some(nc),
            ) if nc > *highest => {
                *highest = nc;
                return Ok(());
            }
            (Some(_), _) => return Err(AuthError::Replay),
            (None, _) => {}
        }
        if self.forgotten_up_to.is_some_and(|t| issued <= t) {
            return Err(AuthError::StaleNonce);
        }
        self.make_room(now_secs);
        self.seen.insert(
            nonce.to_owned(),
            NonceUse {
                issued,
                highest_nc: nc,
            },
        );
        Ok(())
    }

    /// Drops expired entries when the map is full, then the oldest ones if still full.
    fn make_room(&mut self, now_secs: u64) {
        if self.seen.len() < MAX_TRACKED_NONCES {
            return;
        }
        let lifetime = self.cfg.nonce_lifetime_secs;
        self.seen
            .retain(|_, u| now_secs.saturating_sub(u.issued) <= lifetime);
        while self.seen.len() >= MAX_TRACKED_NONCES {
            let Some((oldest_nonce, oldest_issued)) = self
                .seen
                .iter()
                .min_by_key(|(_, u)| u.issued)
                .map(|(n, u)| (n.clone(), u.issued))
            else {
                break;
            };
            self.seen.remove(&oldest_nonce);
            self.forgotten_up_to = Some(
                self.forgotten_up_to
                    .map_or(oldest_issued, |t| t.max(oldest_issued)),
            );
        }
    }
}

const TIMESTAMP_LEN: usize = 8;
const SALT_LEN: usize = 8;
const NONCE_LEN: usize = TIMESTAMP_LEN + SALT_LEN + 32;

#[derive(Debug)]
struct NonceUse {
    issued: u64,
    /// `None` for a nonce used without qop (single use).
    highest_nc: Option<u32>,
}

/// The parameters of an `Authorization` value after validation.
struct Credentials<'a> {
    username: &'a str,
    realm: &'a str,
    nonce: &'a str,
    uri: &'a str,
    response: &'a str,
    opaque: Option<&'a str>,
    algorithm: DigestAlgorithm,
    variant: Ha1Variant,
    qop: Qop<'a>,
    nc: Option<u32>,
}

impl<'a> Credentials<'a> {
    fn from_params(params: &'a DigestParams) -> Result<Self, AuthError> {
        if params
            .get("userhash")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Err(AuthError::Malformed("userhash is not supported"));
        }
        let (algorithm, variant) = match params.get("algorithm") {
            Some(token) => {
                DigestAlgorithm::parse_token(token).ok_or(AuthError::UnsupportedAlgorithm)?
            }
            None => (DigestAlgorithm::Md5, Ha1Variant::Plain),
        };
        let (qop, nc) = match params.get("qop") {
            None => (Qop::None, None),
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc_text = params.require("nc")?;
                let nc = parse_nc(nc_text)?;
                let cnonce = params.require("cnonce")?;
                (
                    Qop::Auth {
                        nc: nc_text,
                        cnonce,
                    },
                    Some(nc),
                )
            }
            Some(_) => return Err(AuthError::UnsupportedQop),
        };
        if variant == Ha1Variant::Sess && qop == Qop::None {
            return Err(AuthError::Malformed("-sess algorithm without qop"));
        }
        Ok(Credentials {
            username: params.require("username")?,
            realm: params.require("realm")?,
            nonce: params.require("nonce")?,
            uri: params.require("uri")?,
            response: params.require("response")?,
            opaque: params.get("opaque"),
            algorithm,
            variant,
            qop,
            nc,
        })
    }
}

/// Parses the 8-hex-digit nonce count (RFC 7616 §3.4).
fn parse_nc(text: &str) -> Result<u32, AuthError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::Malformed("nc"));
    }
    u32::from_str_radix(text, 16).map_err(|_| AuthError::Malformed("nc"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> DigestServer {
        DigestServer::new(DigestConfig::default(), [7; 32])
    }

    #[test]
    fn nonce_carries_timestamp_and_verifies() {
        let mut s = server();
        let nonce = s.new_nonce(1_700_000_000);
        assert_eq!(nonce.len(), NONCE_LEN * 2);
        assert_eq!(s.check_nonce(&nonce), Ok(1_700_000_000));
        // Two nonces in the same second differ thanks to the salt counter.
        assert_ne!(nonce, s.new_nonce(1_700_000_000));
    }

    #[test]
    fn nonce_from_another_secret_or_realm_is_bad() {
        let mut other = DigestServer::new(DigestConfig::default(), [8; 32]);
        let foreign = other.new_nonce(100);
        assert_eq!(server().check_nonce(&foreign), Err(AuthError::BadNonce));
        let cfg = DigestConfig {
            realm: "elsewhere".into(),
            ..DigestConfig::default()
        };
        let mut elsewhere = DigestServer::new(cfg, [7; 32]);
        let nonce = elsewhere.new_nonce(100);
        assert_eq!(server().check_nonce(&nonce), Err(AuthError::BadNonce));
    }

    #[test]
    fn nc_must_be_eight_hex_digits() {
        assert_eq!(parse_nc("0000000a"), Ok(10));
        assert!(parse_nc("1").is_err());
        assert!(parse_nc("+0000001").is_err());
        assert!(parse_nc("0000000g").is_err());
    }

    #[test]
    fn replay_map_stays_bounded_and_evicted_nonces_turn_stale() {
        let mut s = server();
        for i in 0..(MAX_TRACKED_NONCES as u64 + 5) {
            let nonce = format!("n{i}");
            s.record_use(1000, &nonce, 1000 + i, Some(1)).unwrap();
        }
        assert!(s.tracked_nonces() <= MAX_TRACKED_NONCES);
        // The earliest nonce was evicted; using it again must not be accepted as fresh.
        assert_eq!(
            s.record_use(1000, "n0", 1000, Some(2)),
            Err(AuthError::StaleNonce)
        );
    }
}
