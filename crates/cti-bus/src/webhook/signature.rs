//! Webhook body signatures: `sha256=<hex HMAC-SHA256(secret, body)>` (RFC 2104 HMAC,
//! FIPS 180-4 SHA-256), checked against the RFC 4231 test vectors [CRM-9].

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The `X-Centralino-Signature` value for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex(&hmac_sha256(secret, body)))
}

/// Whether `header` is a valid `X-Centralino-Signature` of `body` under `secret`
/// (compared in constant time), for receivers and tests.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(expected) = header.strip_prefix("sha256=").and_then(unhex) else {
        return false;
    };
    let mut mac = new_mac(secret);
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// HMAC-SHA256 of `body` under `key` (RFC 2104).
pub fn hmac_sha256(key: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// A MAC keyed with `key`; HMAC accepts keys of any length (longer ones are hashed).
fn new_mac(key: &[u8]) -> Hmac<Sha256> {
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // Unreachable for HMAC; an empty key is the defined fallback.
        Err(_) => <Hmac<Sha256> as KeyInit>::new(&Default::default()),
    }
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Parses hex (either case); `None` if malformed.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    s.as_bytes()
        .chunks(2)
        .map(|pair| Some(nibble(*pair.first()?)? << 4 | nibble(*pair.get(1)?)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_hex(s: &str) -> Vec<u8> {
        unhex(s).unwrap()
    }

    #[test]
    fn rfc_4231_hmac_sha256_test_vectors() {
        // Test case 1.
        let key = [0x0b; 20];
        assert_eq!(
            hex(&hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2: a key shorter than the block.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 3: 50 bytes of 0xdd under 20 bytes of 0xaa.
        assert_eq!(
            hex(&hmac_sha256(&[0xaa; 20], &[0xdd; 50])),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        // Test case 4.
        let key4 = from_hex("0102030405060708090a0b0c0d0e0f10111213141516171819");
        assert_eq!(
            hex(&hmac_sha256(&key4, &[0xcd; 50])),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        );
    }

    #[test]
    fn crm_9_signatures_verify_and_tampering_is_detected() {
        let sig = sign(b"s3cret", b"{\"seq\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify(b"s3cret", b"{\"seq\":1}", &sig));
        assert!(verify(
            b"s3cret",
            b"{\"seq\":1}",
            &sig.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!verify(b"s3cret", b"{\"seq\":2}", &sig), "other body");
        assert!(!verify(b"other", b"{\"seq\":1}", &sig), "other secret");
        for bad in [
            "",
            "sha256=",
            "sha256=zz",
            "sha256=abc",
            "md5=00",
            "sha256=é0",
        ] {
            assert!(!verify(b"s3cret", b"x", bad), "{bad:?}");
        }
    }
}
