//! Digest hash computation (RFC 7616 §3.4.1–§3.4.3, RFC 2617 §3.2.2, RFC 8760 SHA-256),
//! HMAC-SHA256 (RFC 2104) for stateless nonces, hex coding and constant-time comparison.

use md5::Md5;
use sha2::{Digest, Sha256};

use super::DigestAlgorithm;

/// Whether HA1 is the plain hash or the `-sess` variant (RFC 7616 §3.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ha1Variant {
    /// `HA1 = H(username:realm:password)`.
    Plain,
    /// `HA1 = H(H(username:realm:password):nonce:cnonce)`; needs qop=auth for the cnonce.
    Sess,
}

/// The quality of protection of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop<'a> {
    /// The legacy RFC 2069 form without qop, nc and cnonce.
    None,
    /// `qop=auth` with the nonce count as written on the wire (8 hex digits) and the cnonce.
    Auth {
        /// The nonce count, exactly as sent (for example `00000001`).
        nc: &'a str,
        /// The client nonce.
        cnonce: &'a str,
    },
}

/// Everything the `response` value depends on.
#[derive(Debug, Clone, Copy)]
pub struct DigestInputs<'a> {
    /// The hash function.
    pub algorithm: DigestAlgorithm,
    /// Plain or `-sess` HA1.
    pub variant: Ha1Variant,
    /// The user name.
    pub username: &'a str,
    /// The realm.
    pub realm: &'a str,
    /// The password.
    pub password: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The digest-uri as sent in the `uri` parameter.
    pub uri: &'a str,
    /// The server nonce.
    pub nonce: &'a str,
    /// The quality of protection.
    pub qop: Qop<'a>,
}

/// Computes the lowercase-hex `response` value (RFC 7616 §3.4.1). With [`Ha1Variant::Sess`]
/// and [`Qop::None`] the cnonce is taken as empty; callers reject that combination first.
pub fn compute_response(inputs: &DigestInputs<'_>) -> String {
    let h = |data: &str| hex_hash(inputs.algorithm, data.as_bytes());
    let mut ha1 = h(&format!(
        "{}:{}:{}",
        inputs.username, inputs.realm, inputs.password
    ));
    let cnonce = match inputs.qop {
        Qop::Auth { cnonce, .. } => cnonce,
        Qop::None => "",
    };
    if inputs.variant == Ha1Variant::Sess {
        ha1 = h(&format!("{ha1}:{}:{cnonce}", inputs.nonce));
    }
    let ha2 = h(&format!("{}:{}", inputs.method, inputs.uri));
    match inputs.qop {
        Qop::Auth { nc, cnonce } => h(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", inputs.nonce)),
        Qop::None => h(&format!("{ha1}:{}:{ha2}", inputs.nonce)),
    }
}

/// The lowercase-hex hash of `data` with the given algorithm.
pub fn hex_hash(algorithm: DigestAlgorithm, data: &[u8]) -> String {
    match algorithm {
        DigestAlgorithm::Md5 => hex(&Md5::digest(data)),
        DigestAlgorithm::Sha256 => hex(&Sha256::digest(data)),
    }
}

/// HMAC-SHA256 (RFC 2104, block size 64 bytes).
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let hashed = Sha256::digest(key);
        for (slot, byte) in block.iter_mut().zip(hashed.iter()) {
            *slot = *byte;
        }
    } else {
        for (slot, byte) in block.iter_mut().zip(key.iter()) {
            *slot = *byte;
        }
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner_hash = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner_hash);
    outer.finalize().into()
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes hex (either case) into bytes; `None` on odd length or a non-hex character.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_sha256_hashes_long_keys_rfc4231_test_case_6() {
        let key = [0xaau8; 131];
        let mac = hmac_sha256(
            &key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(
            unhex(&hex(&[0, 1, 0xab, 0xff])),
            Some(vec![0, 1, 0xab, 0xff])
        );
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("é1"), None);
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
