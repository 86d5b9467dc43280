//! Client side of digest authentication (RFC 7616 §3.4, RFC 2617 §3.2.2, RFC 3261 §22.2):
//! answers one `WWW-Authenticate`/`Proxy-Authenticate` challenge with an `Authorization` value,
//! for outbound trunk registration and tests.

use super::hash::{DigestInputs, Ha1Variant, Qop, compute_response};
use super::params::{parse_digest, quote};
use super::{AuthError, DigestAlgorithm};

/// Builds the `Authorization` (or `Proxy-Authorization`) header value answering `challenge`.
///
/// Uses qop=auth when the challenge offers it, else the legacy RFC 2069 form; a challenge that
/// only offers `auth-int` fails with [`AuthError::UnsupportedQop`]. `nc` is written as 8 hex
/// digits.
pub fn digest_response(
    challenge_www_authenticate: &str,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> Result<String, AuthError> {
    let challenge = parse_digest(challenge_www_authenticate)?;
    let realm = challenge.require("realm")?;
    let nonce = challenge.require("nonce")?;
    let algorithm_token = challenge.get("algorithm");
    let (algorithm, variant) = match algorithm_token {
        Some(token) => {
            DigestAlgorithm::parse_token(token).ok_or(AuthError::UnsupportedAlgorithm)?
        }
        None => (DigestAlgorithm::Md5, Ha1Variant::Plain),
    };
    let qop_auth = match challenge.get("qop") {
        None => false,
        Some(list) => {
            if list
                .split(',')
                .any(|q| q.trim().eq_ignore_ascii_case("auth"))
            {
                true
            } else {
                return Err(AuthError::UnsupportedQop);
            }
        }
    };
    if variant == Ha1Variant::Sess && !qop_auth {
        return Err(AuthError::Malformed("-sess algorithm without qop"));
    }
    let nc_text = format!("{nc:08x}");
    let qop = if qop_auth {
        Qop::Auth {
            nc: &nc_text,
            cnonce,
        }
    } else {
        Qop::None
    };
    let response = compute_response(&DigestInputs {
        algorithm,
        variant,
        username,
        realm,
        password,
        method,
        uri,
        nonce,
        qop,
    });

    let mut header = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{response}\"",
        quote(username),
        quote(realm),
        quote(nonce),
        quote(uri),
    );
    if let Some(token) = algorithm_token {
        header.push_str(", algorithm=");
        header.push_str(token);
    }
    if qop_auth {
        header.push_str(&format!(
            ", cnonce={}, qop=auth, nc={nc_text}",
            quote(cnonce)
        ));
    }
    if let Some(opaque) = challenge.get("opaque") {
        header.push_str(", opaque=");
        header.push_str(&quote(opaque));
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_rfc2617_3_5_challenge_with_rfc_response() {
        let challenge = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
                         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
                         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
        let header = digest_response(
            challenge,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
            "0a4f113b",
            1,
        )
        .unwrap();
        assert!(header.contains("response=\"6629fae49393a05397450978507c4ef1\""));
        assert!(header.contains("nc=00000001"));
        assert!(header.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    }

    #[test]
    fn answers_rfc7616_3_9_1_sha256_challenge() {
        let challenge = "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
                         algorithm=SHA-256, \
                         nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
                         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
        let header = digest_response(
            challenge,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle of Life",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        )
        .unwrap();
        assert!(header.contains(
            "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
        ));
        assert!(header.contains("algorithm=SHA-256"));
    }

    #[test]
    fn refuses_auth_int_only_and_unknown_algorithms() {
        assert_eq!(
            digest_response(
                "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
                "REGISTER",
                "sip:x",
                "u",
                "p",
                "c",
                1
            ),
            Err(AuthError::UnsupportedQop)
        );
        assert_eq!(
            digest_response(
                "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256",
                "REGISTER",
                "sip:x",
                "u",
                "p",
                "c",
                1
            ),
            Err(AuthError::UnsupportedAlgorithm)
        );
        assert_eq!(
            digest_response("Digest nonce=\"n\"", "REGISTER", "sip:x", "u", "p", "c", 1),
            Err(AuthError::Malformed("realm"))
        );
    }
}
