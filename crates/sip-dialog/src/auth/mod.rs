//! SIP digest authentication, server and client side (RFC 3261 §22, RFC 7616, RFC 8760
//! SHA-256, RFC 2617 MD5 compatibility with qop=auth and the legacy no-qop form). Sans-IO: the
//! caller passes wall-clock seconds and a random secret.
//!
//! The server's nonces are stateless (timestamp, salt and an HMAC-SHA256 tag); only the highest
//! nonce count seen per nonce is remembered, in a bounded map, to stop replays.

mod client;
mod hash;
mod params;
mod server;

pub use client::digest_response;
pub use hash::{DigestInputs, Ha1Variant, Qop, compute_response, hex_hash};
pub use server::DigestServer;

use std::fmt;

/// The hash functions of RFC 7616 §3.5 we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// MD5 (RFC 2617 compatibility).
    Md5,
    /// SHA-256 (RFC 7616, RFC 8760).
    Sha256,
}

/// Server-side settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestConfig {
    /// The protection realm announced in challenges and required in credentials.
    pub realm: String,
    /// How long a nonce stays valid, in seconds.
    pub nonce_lifetime_secs: u64,
    /// The algorithms challenged and accepted.
    pub algorithms: Vec<DigestAlgorithm>,
}

/// Why credentials were refused, by cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The header is not parseable `Digest` credentials, or a required parameter is missing or
    /// invalid (the text names it). Answer 400.
    #[error("malformed digest header: {0}")]
    Malformed(&'static str),
    /// The credentials are for another realm.
    #[error("realm mismatch")]
    RealmMismatch,
    /// The nonce was ours but has expired: re-challenge with `stale=true` (RFC 7616 §3.3).
    #[error("stale nonce")]
    StaleNonce,
    /// The nonce was not issued by us (forged or corrupted).
    #[error("nonce not issued by this server")]
    BadNonce,
    /// The opaque value differs from the one we sent.
    #[error("opaque mismatch")]
    OpaqueMismatch,
    /// The nonce count did not increase, or a no-qop nonce was used twice.
    #[error("replayed nonce count")]
    Replay,
    /// Unknown user or wrong password; deliberately indistinguishable.
    #[error("credentials rejected")]
    Rejected,
    /// The algorithm is unknown or not enabled.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// A qop other than `auth` (for example `auth-int`).
    #[error("unsupported qop")]
    UnsupportedQop,
}

impl DigestAlgorithm {
    /// The `algorithm=` token (RFC 7616 §3.5).
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    /// Parses an `algorithm=` token, including the `-sess` variants (case-insensitive).
    pub fn parse_token(token: &str) -> Option<(DigestAlgorithm, Ha1Variant)> {
        let (base, variant) = match token.len().checked_sub(5) {
            Some(split)
                if token
                    .get(split..)
                    .is_some_and(|s| s.eq_ignore_ascii_case("-sess")) =>
            {
                (token.get(..split)?, Ha1Variant::Sess)
            }
            _ => (token, Ha1Variant::Plain),
        };
        let algorithm = [DigestAlgorithm::Md5, DigestAlgorithm::Sha256]
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(base))?;
        Some((algorithm, variant))
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for DigestConfig {
    /// Realm `centralino`, 300 s nonces, SHA-256 then MD5.
    fn default() -> Self {
        DigestConfig {
            realm: "centralino".to_owned(),
            nonce_lifetime_secs: 300,
            algorithms: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
        }
    }
}

impl AuthError {
    /// The SIP status code to answer with (RFC 3261 §22.1, §21.4.1): 400 for malformed
    /// credentials; 401 with a fresh challenge for everything else, which the caller sends with
    /// `stale=true` for [`AuthError::StaleNonce`].
    pub fn status_code(&self) -> u16 {
        match self {
            AuthError::Malformed(_) => 400,
            _ => 401,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_tokens_rfc7616_3_5() {
        assert_eq!(
            DigestAlgorithm::parse_token("sha-256"),
            Some((DigestAlgorithm::Sha256, Ha1Variant::Plain))
        );
        assert_eq!(
            DigestAlgorithm::parse_token("MD5-sess"),
            Some((DigestAlgorithm::Md5, Ha1Variant::Sess))
        );
        assert_eq!(
            DigestAlgorithm::parse_token("SHA-256-SESS"),
            Some((DigestAlgorithm::Sha256, Ha1Variant::Sess))
        );
        assert_eq!(DigestAlgorithm::parse_token("SHA-512-256"), None);
        assert_eq!(DigestAlgorithm::parse_token("-sess"), None);
        assert_eq!(DigestAlgorithm::parse_token("é-sess"), None);
    }
}
