//! Digest authentication tests: RFC 7616 §3.9.1 and RFC 2617 §3.5 vectors, client→server round
//! trips for SHA-256 (RFC 8760) and MD5, stale and forged nonces, replays, indistinguishable
//! rejections, realm mismatch, and a property test that malformed headers never panic.

use proptest::prelude::*;
use sip_dialog::auth::{
    AuthError, DigestAlgorithm, DigestConfig, DigestInputs, DigestServer, Ha1Variant, Qop,
    compute_response, digest_response,
};

const REALM: &str = "pbx.example.com";
const T0: u64 = 1_800_000_000;

fn server() -> DigestServer {
    DigestServer::new(
        DigestConfig {
            realm: REALM.to_owned(),
            nonce_lifetime_secs: 300,
            algorithms: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
        },
        [0x42; 32],
    )
}

fn passwords(user: &str) -> Option<String> {
    (user == "1001").then(|| "s3cret".to_owned())
}

/// The challenge value for one algorithm.
fn challenge_for(s: &mut DigestServer, now: u64, algorithm: &str) -> String {
    s.challenge(now, false)
        .into_iter()
        .find(|c| c.contains(&format!("algorithm={algorithm},")))
        .unwrap()
}

fn nonce_of(challenge: &str) -> String {
    let start = challenge.find("nonce=\"").unwrap() + 7;
    let rest = &challenge[start..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn authorization(
    s: &mut DigestServer,
    now: u64,
    algorithm: &str,
    password: &str,
    nc: u32,
) -> String {
    let challenge = challenge_for(s, now, algorithm);
    digest_response(
        &challenge,
        "REGISTER",
        "sip:pbx.example.com",
        "1001",
        password,
        "c0ffee",
        nc,
    )
    .unwrap()
}

#[test]
fn rfc7616_3_9_1_sha256_and_md5_vectors() {
    let mut inputs = DigestInputs {
        algorithm: DigestAlgorithm::Sha256,
        variant: Ha1Variant::Plain,
        username: "Mufasa",
        realm: "http-auth@example.org",
        password: "Circle of Life",
        method: "GET",
        uri: "/dir/index.html",
        nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        qop: Qop::Auth {
            nc: "00000001",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        },
    };
    assert_eq!(
        compute_response(&inputs),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    inputs.algorithm = DigestAlgorithm::Md5;
    assert_eq!(
        compute_response(&inputs),
        "8ca523f5e9506fed4657c9700eebdbec"
    );
}

#[test]
fn rfc2617_3_5_md5_vector() {
    let inputs = DigestInputs {
        algorithm: DigestAlgorithm::Md5,
        variant: Ha1Variant::Plain,
        username: "Mufasa",
        realm: "testrealm@host.com",
        password: "Circle Of Life",
        method: "GET",
        uri: "/dir/index.html",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop: Qop::Auth {
            nc: "00000001",
            cnonce: "0a4f113b",
        },
    };
    assert_eq!(
        compute_response(&inputs),
        "6629fae49393a05397450978507c4ef1"
    );
}

#[test]
fn challenge_lists_sha256_first_with_qop_opaque_and_stale_rfc8760_2_4() {
    let mut s = server();
    let values = s.challenge(T0, true);
    assert_eq!(values.len(), 2);
    assert!(values[0].starts_with("Digest realm=\"pbx.example.com\""));
    assert!(values[0].contains("algorithm=SHA-256"));
    assert!(values[1].contains("algorithm=MD5"));
    for v in &values {
        assert!(v.contains("qop=\"auth\""));
        assert!(v.contains("opaque=\""));
        assert!(v.ends_with(", stale=true"));
    }
    assert!(!s.challenge(T0, false)[0].contains("stale"));
}

#[test]
fn round_trip_sha256_and_md5_rfc7616_3_4() {
    for algorithm in ["SHA-256", "MD5"] {
        let mut s = server();
        let header = authorization(&mut s, T0, algorithm, "s3cret", 1);
        assert_eq!(
            s.verify(T0 + 1, "REGISTER", &header, passwords),
            Ok("1001".to_owned()),
            "{algorithm}"
        );
        // The method is part of HA2: the same credentials do not authenticate an INVITE.
        let header2 = authorization(&mut s, T0, algorithm, "s3cret", 1);
        assert_eq!(
            s.verify(T0 + 1, "INVITE", &header2, passwords),
            Err(AuthError::Rejected)
        );
    }
}

#[test]
fn increasing_nc_is_accepted_and_repeated_or_lower_nc_is_replay() {
    let mut s = server();
    let challenge = challenge_for(&mut s, T0, "SHA-256");
    let with_nc = |nc| {
        digest_response(
            &challenge,
            "REGISTER",
            "sip:pbx.example.com",
            "1001",
            "s3cret",
            "c0ffee",
            nc,
        )
        .unwrap()
    };
    assert!(s.verify(T0, "REGISTER", &with_nc(1), passwords).is_ok());
    assert!(s.verify(T0, "REGISTER", &with_nc(2), passwords).is_ok());
    assert_eq!(
        s.verify(T0, "REGISTER", &with_nc(2), passwords),
        Err(AuthError::Replay)
    );
    assert_eq!(
        s.verify(T0, "REGISTER", &with_nc(1), passwords),
        Err(AuthError::Replay)
    );
    assert!(s.verify(T0, "REGISTER", &with_nc(5), passwords).is_ok());
}

#[test]
fn legacy_no_qop_nonce_is_single_use_rfc2069() {
    let mut s = server();
    let nonce = nonce_of(&challenge_for(&mut s, T0, "MD5"));
    let response = compute_response(&DigestInputs {
        algorithm: DigestAlgorithm::Md5,
        variant: Ha1Variant::Plain,
        username: "1001",
        realm: REALM,
        password: "s3cret",
        method: "REGISTER",
        uri: "sip:pbx.example.com",
        nonce: &nonce,
        qop: Qop::None,
    });
    let header = format!(
        "Digest username=\"1001\", realm=\"{REALM}\", nonce=\"{nonce}\", \
         uri=\"sip:pbx.example.com\", response=\"{response}\""
    );
    assert_eq!(
        s.verify(T0, "REGISTER", &header, passwords),
        Ok("1001".to_owned())
    );
    assert_eq!(
        s.verify(T0, "REGISTER", &header, passwords),
        Err(AuthError::Replay)
    );
}

#[test]
fn md5_sess_is_accepted_when_md5_is_enabled_rfc7616_3_4_2() {
    let mut s = server();
    let challenge = challenge_for(&mut s, T0, "MD5").replace("algorithm=MD5", "algorithm=MD5-sess");
    let header = digest_response(
        &challenge,
        "REGISTER",
        "sip:pbx.example.com",
        "1001",
        "s3cret",
        "abc",
        1,
    )
    .unwrap();
    assert!(header.contains("algorithm=MD5-sess"));
    assert_eq!(
        s.verify(T0, "REGISTER", &header, passwords),
        Ok("1001".to_owned())
    );
}

#[test]
fn expired_nonce_is_stale_only_with_a_correct_response_rfc7616_3_3() {
    let mut s = server();
    let good = authorization(&mut s, T0, "SHA-256", "s3cret", 1);
    let bad = authorization(&mut s, T0, "SHA-256", "wrong", 1);
    assert_eq!(
        s.verify(T0 + 301, "REGISTER", &good, passwords),
        Err(AuthError::StaleNonce)
    );
    assert_eq!(
        s.verify(T0 + 301, "REGISTER", &bad, passwords),
        Err(AuthError::Rejected)
    );
    // At exactly the lifetime the nonce is still valid.
    assert!(s.verify(T0 + 300, "REGISTER", &good, passwords).is_ok());
}

#[test]
fn forged_or_foreign_nonce_is_bad_nonce() {
    let mut s = server();
    let header = authorization(&mut s, T0, "SHA-256", "s3cret", 1);
    let nonce = nonce_of(&header);
    // Move the timestamp forward by one second without knowing the secret.
    let mut forged: Vec<char> = nonce.chars().collect();
    forged[15] = if forged[15] == 'f' { 'e' } else { 'f' };
    let forged: String = forged.into_iter().collect();
    let tampered = header.replace(&nonce, &forged);
    assert_eq!(
        s.verify(T0, "REGISTER", &tampered, passwords),
        Err(AuthError::BadNonce)
    );
    let garbage = header.replace(&nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_eq!(
        s.verify(T0, "REGISTER", &garbage, passwords),
        Err(AuthError::BadNonce)
    );
    // A nonce made by a server with another secret, for the same realm.
    let mut other = DigestServer::new(
        DigestConfig {
            realm: REALM.into(),
            ..DigestConfig::default()
        },
        [1; 32],
    );
    let foreign_nonce = nonce_of(&other.challenge(T0, false)[0]);
    let foreign = header.replace(&nonce, &foreign_nonce);
    assert_eq!(
        s.verify(T0, "REGISTER", &foreign, passwords),
        Err(AuthError::BadNonce)
    );
}

#[test]
fn wrong_password_and_unknown_user_are_indistinguishable() {
    let mut s = server();
    let wrong = authorization(&mut s, T0, "SHA-256", "nope", 1);
    let challenge = challenge_for(&mut s, T0, "SHA-256");
    let unknown = digest_response(
        &challenge,
        "REGISTER",
        "sip:pbx.example.com",
        "9999",
        "s3cret",
        "c",
        1,
    )
    .unwrap();
    let e1 = s.verify(T0, "REGISTER", &wrong, passwords).unwrap_err();
    let e2 = s.verify(T0, "REGISTER", &unknown, passwords).unwrap_err();
    assert_eq!(e1, AuthError::Rejected);
    assert_eq!(e1, e2);
    assert_eq!(e1.to_string(), e2.to_string());
}

#[test]
fn realm_mismatch_opaque_mismatch_and_disabled_algorithm() {
    let mut s = server();
    let header = authorization(&mut s, T0, "SHA-256", "s3cret", 1);
    let other_realm = header.replace("realm=\"pbx.example.com\"", "realm=\"evil.example.com\"");
    assert_eq!(
        s.verify(T0, "REGISTER", &other_realm, passwords),
        Err(AuthError::RealmMismatch)
    );
    let opaque_start = header.find("opaque=\"").unwrap();
    let other_opaque = format!("{}opaque=\"00\"", &header[..opaque_start]);
    assert_eq!(
        s.verify(T0, "REGISTER", &other_opaque, passwords),
        Err(AuthError::OpaqueMismatch)
    );

    let mut sha_only = DigestServer::new(
        DigestConfig {
            realm: REALM.into(),
            nonce_lifetime_secs: 300,
            algorithms: vec![DigestAlgorithm::Sha256],
        },
        [0x42; 32],
    );
    assert_eq!(sha_only.challenge(T0, false).len(), 1);
    let md5 = authorization(&mut s, T0, "MD5", "s3cret", 1);
    assert_eq!(
        sha_only.verify(T0, "REGISTER", &md5, passwords),
        Err(AuthError::UnsupportedAlgorithm)
    );
    let unknown_alg = header.replace("algorithm=SHA-256", "algorithm=SHA-512-256");
    assert_eq!(
        s.verify(T0, "REGISTER", &unknown_alg, passwords),
        Err(AuthError::UnsupportedAlgorithm)
    );
    let auth_int = header.replace("qop=auth", "qop=auth-int");
    assert_eq!(
        s.verify(T0, "REGISTER", &auth_int, passwords),
        Err(AuthError::UnsupportedQop)
    );
}

#[test]
fn malformed_headers_are_rejected_with_400() {
    let mut s = server();
    let header = authorization(&mut s, T0, "SHA-256", "s3cret", 1);
    let cases = [
        String::new(),
        "Basic dXNlcjpwYXNz".to_owned(),
        "Digest".to_owned(),
        header.replace("response=", "resp="),
        header.replace("nc=00000001", "nc=1"),
        header.replace("cnonce=\"c0ffee\", ", ""),
        format!("{header}, username=\"again\""),
        header.replace("\", ", "\" "),
        header.replacen('"', "", 1),
        format!("Digest username=\"{}\"", "x".repeat(10_000)),
    ];
    for case in cases {
        let err = s.verify(T0, "REGISTER", &case, passwords).unwrap_err();
        assert!(
            matches!(err, AuthError::Malformed(_)),
            "{case:?} gave {err:?}"
        );
        assert_eq!(err.status_code(), 400);
    }
}

#[test]
fn header_parsing_tolerates_case_lws_and_folding() {
    let mut s = server();
    let header = authorization(&mut s, T0, "SHA-256", "s3cret", 1)
        .replace("Digest ", "DIGEST\r\n  ")
        .replace("username=", "UserName = ")
        .replace(", ", " ,\t");
    assert_eq!(
        s.verify(T0, "REGISTER", &header, passwords),
        Ok("1001".to_owned())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn verify_and_client_never_panic_on_random_headers(text in "\\PC{0,200}") {
        let mut s = server();
        let _ = s.verify(T0, "REGISTER", &text, passwords);
        let _ = digest_response(&text, "REGISTER", "sip:x", "u", "p", "c", 1);
    }

    #[test]
    fn verify_never_panics_on_mutated_credentials(
        edits in proptest::collection::vec((0usize..600, any::<char>()), 1..6),
        now_offset in 0u64..1000,
    ) {
        let mut s = server();
        let header = authorization(&mut s, T0, "SHA-256", "s3cret", 1);
        let mut chars: Vec<char> = header.chars().collect();
        let len = chars.len();
        for (pos, c) in edits {
            if let Some(slot) = chars.get_mut(pos % len) {
                *slot = c;
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = s.verify(T0 + now_offset, "REGISTER", &text, passwords);
    }
}

/// baresip 1.0 gives up on a 401 that lists SHA-256 at all: challenges can be
/// narrowed to MD5 while SHA-256 answers stay accepted [RFC 8760 §2.4].
#[test]
fn challenges_can_offer_fewer_algorithms_than_verify_accepts() {
    let cfg = DigestConfig { realm: "centralino".into(), nonce_lifetime_secs: 300, algorithms: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5] };
    let mut server = DigestServer::new(cfg, [3; 32]).with_challenge_algorithms(vec![DigestAlgorithm::Md5]);
    let challenges = server.challenge(1_000, false);
    assert_eq!(challenges.len(), 1);
    assert!(challenges[0].contains("algorithm=MD5"), "{}", challenges[0]);
    let md5 = digest_response(&challenges[0], "REGISTER", "sip:centralino", "2001", "pw2001", "c0ffee", 1).unwrap();
    assert_eq!(server.verify(1_001, "REGISTER", &md5, |_| Some("pw2001".into())), Ok("2001".to_owned()));
    let sha = digest_response(&challenges[0].replace("algorithm=MD5", "algorithm=SHA-256"), "REGISTER", "sip:centralino", "2001", "pw2001", "c0ffee", 2).unwrap();
    assert_eq!(server.verify(1_002, "REGISTER", &sha, |_| Some("pw2001".into())), Ok("2001".to_owned()));
}
