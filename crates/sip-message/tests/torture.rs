//! Golden corpus test: every RFC 4475 / RFC 5118 torture message under tests/data/sip/{ok,err}
//! goes through parse_datagram, parse_stream and validate_request, and the outcome must match
//! tests/data/sip/expected.tsv (`UPDATE_EXPECT=1` rewrites it). Also round-trips valid messages.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sip_message::{
    HeaderName, Limits, Message, ParseError, error_response, parse_datagram, parse_stream,
    validate_request, validate_response,
};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sip")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every corpus file, as a path relative to the corpus root, with its bytes.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = corpus_root();
    let mut files = Vec::new();
    walk(&root.join("ok"), &mut files);
    walk(&root.join("err"), &mut files);
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (rel, bytes)
        })
        .collect();
    out.sort();
    out
}

/// `parse-ok`, `status NNN` or `drop` (plus the cause), as a UAS would act on one UDP datagram.
fn datagram_outcome(bytes: &[u8]) -> (String, String) {
    match parse_datagram(bytes, &Limits::default()) {
        Err(e) => error_outcome(&e),
        Ok(m) => message_outcome(&m),
    }
}

fn message_outcome(m: &Message) -> (String, String) {
    match m {
        Message::Response(resp) => match validate_response(resp) {
            Ok(()) => ("parse-ok".to_owned(), String::new()),
            Err(e) => ("drop".to_owned(), e.to_string()),
        },
        Message::Request(req) => match validate_request(req) {
            Ok(()) => ("parse-ok".to_owned(), String::new()),
            Err(r) => (format!("status {}", r.status.0), r.reason),
        },
    }
}

fn error_outcome(e: &ParseError) -> (String, String) {
    match e.status() {
        Some(s) => (format!("status {}", s.0), e.to_string()),
        None => ("drop".to_owned(), e.to_string()),
    }
}

/// The same over a stream transport: `incomplete` when the framer waits for more bytes.
fn stream_outcome(bytes: &[u8]) -> String {
    match parse_stream(bytes, &Limits::default()) {
        Err(e) => error_outcome(&e).0,
        Ok(None) => "incomplete".to_owned(),
        Ok(Some((m, _))) => message_outcome(&m).0,
    }
}

// RFC 4475 §3 and RFC 5118 §4: every torture message gets the answer in expected.tsv.
#[test]
fn torture_corpus_matches_expected_rfc4475_rfc5118() {
    let files = corpus();
    assert!(
        files.len() >= 50 + 12,
        "corpus incomplete: {} files",
        files.len()
    );
    let mut table = String::from("# file\tdatagram (UDP)\tstream (TCP)\tcause\n");
    for (name, bytes) in &files {
        let (udp, why) = datagram_outcome(bytes);
        table.push_str(&format!(
            "{name}\t{udp}\t{}\t{why}\n",
            stream_outcome(bytes)
        ));
    }
    let path = corpus_root().join("expected.tsv");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        fs::write(&path, &table).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    if expected != table {
        let want: BTreeMap<&str, &str> = expected
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .collect();
        let got: BTreeMap<&str, &str> = table.lines().filter_map(|l| l.split_once('\t')).collect();
        let mut diff = String::new();
        for (k, v) in &got {
            if want.get(k) != Some(v) {
                diff.push_str(&format!("{k}: expected {:?}, got {v:?}\n", want.get(k)));
            }
        }
        for k in want.keys().filter(|k| !got.contains_key(*k)) {
            diff.push_str(&format!("{k}: listed but missing on disk\n"));
        }
        panic!("torture outcomes differ (rerun with UPDATE_EXPECT=1 if intended):\n{diff}");
    }
}

// RFC 3261 §7: parse → to_bytes → parse gives an equal message for every file that parses.
#[test]
fn valid_messages_round_trip() {
    let mut n = 0;
    for (name, bytes) in corpus() {
        let Ok(first) = parse_datagram(&bytes, &Limits::default()) else {
            continue;
        };
        let wire = first.to_bytes();
        let again = parse_datagram(&wire, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: reparse failed: {e}"));
        assert_eq!(normalize(first), normalize(again.clone()), "{name}");
        assert_eq!(
            again.to_bytes(),
            wire,
            "{name}: serialization is not stable"
        );
        let (streamed, used) = parse_stream(&wire, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: stream incomplete"));
        assert_eq!(used, wire.len(), "{name}");
        assert_eq!(streamed, again, "{name}");
        n += 1;
    }
    assert!(n >= 30, "only {n} messages round-tripped");
}

/// Serialization always rewrites Content-Length from the body, so compare without it.
fn normalize(mut m: Message) -> Message {
    m.headers_mut().remove(&HeaderName::ContentLength);
    m
}

// RFC 3261 §8.2.6 / RFC 4475: every request we reject with a status gets a stateless answer.
#[test]
fn rejected_requests_get_an_error_response() {
    for (name, bytes) in corpus() {
        let (outcome, _) = datagram_outcome(&bytes);
        let Some(code) = outcome
            .strip_prefix("status ")
            .and_then(|c| c.parse::<u16>().ok())
        else {
            continue;
        };
        let has_via = bytes
            .windows(5)
            .any(|w| w.eq_ignore_ascii_case(b"\nVia:") || w.eq_ignore_ascii_case(b"\nv:  "))
            || bytes.windows(4).any(|w| w == b"\nv: ");
        let resp = error_response(&bytes, sip_message::StatusCode(code), "torture");
        if !has_via {
            assert!(resp.is_none(), "{name}");
            continue;
        }
        let resp = resp.unwrap_or_else(|| panic!("{name}: no error response"));
        assert_eq!(resp.status.0, code, "{name}");
        assert!(resp.headers.contains(&HeaderName::Warning), "{name}");
        let wire = resp.to_bytes();
        assert!(
            matches!(
                parse_datagram(&wire, &Limits::default()),
                Ok(Message::Response(_))
            ),
            "{name}"
        );
    }
}

fn request(name: &str) -> sip_message::Request {
    let bytes = fs::read(corpus_root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    match parse_datagram(&bytes, &Limits::default()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: {other:?}"),
    }
}

// RFC 4475 §3.1.1.8 dblreq: only the first request counts; bytes after Content-Length are ignored.
#[test]
fn dblreq_processes_only_the_first_request() {
    let r = request("ok/dblreq.dat");
    assert_eq!(r.method, sip_message::Method::Register);
    assert!(r.body.is_empty());
}

// RFC 4475 §3.1.2.11 escruri and §3.3.14 regescrt: escaped URI headers never become real headers.
#[test]
fn escaped_uri_headers_stay_inside_the_uri() {
    let r = request("err/escruri.dat");
    assert!(!r.headers.contains(&HeaderName::Route));
    assert_eq!(
        r.uri.headers.as_deref(),
        Some("Route=%3Csip:example.com%3E")
    );
    let wire = String::from_utf8_lossy(&r.to_bytes()).into_owned();
    assert!(!wire.contains("\r\nRoute:"));
    let reg = request("err/regescrt.dat");
    assert!(!reg.headers.contains(&HeaderName::Route));
    let contacts = reg.headers.contacts().unwrap_or_else(|e| panic!("{e}"));
    let sip_message::Contact::Address(a) = &contacts[0] else {
        panic!("star")
    };
    assert!(
        a.uri
            .headers
            .as_deref()
            .is_some_and(|h| h.starts_with("Route="))
    );
}

// RFC 4475 §3.1.1.4 escnull and §3.1.1.11 mpart01: escapes are kept, binary bodies are exact.
#[test]
fn escapes_and_binary_bodies_are_preserved() {
    let r = request("ok/escnull.dat");
    let to = r.headers.to().unwrap_or_else(|e| panic!("{e}"));
    assert!(to.uri.user.as_deref().is_some_and(|u| u.contains("%00")));
    let m = request("ok/mpart01.dat");
    let declared = m.headers.content_length().ok().flatten();
    assert_eq!(declared, Some(m.body.len()));
    assert!(m.body.contains(&b'\n'));
}

// RFC 4475 §3.3.5 bext01: 420 lists the unsupported Require tags for the Unsupported header.
#[test]
fn bext01_reports_unsupported_tags() {
    let r = request("err/bext01.dat");
    let rej = validate_request(&r)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(rej.status.0, 420);
    assert_eq!(
        rej.unsupported,
        vec!["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    let resp = rej.response(&r);
    assert_eq!(resp.headers.get_all(&HeaderName::Unsupported).count(), 2);
}

// RFC 4475 §3.3.6 invut: 415 carries Accept: application/sdp.
#[test]
fn invut_hints_accept() {
    let r = request("err/invut.dat");
    let rej = validate_request(&r)
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(rej.status.0, 415);
    assert!(
        rej.extra_headers
            .contains(&(HeaderName::Accept, "application/sdp".to_owned()))
    );
}

// RFC 5118 §4.3-4.5: IPv6 references, ports and received parameters.
#[test]
fn rfc5118_ipv6_forms() {
    let amb = request("ok/rfc5118/port-ambiguous.dat");
    assert_eq!(amb.uri.port, None);
    let unamb = request("ok/rfc5118/port-unambiguous.dat");
    assert_eq!(unamb.uri.port, Some(5070));
    for f in [
        "ok/rfc5118/via-received-param-with-delim.dat",
        "ok/rfc5118/via-received-param-no-delim.dat",
    ] {
        let v = request(f)
            .headers
            .top_via()
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(
            v.received().is_some_and(|r| r.contains("2001:db8::9:255")),
            "{f}"
        );
        assert!(v.branch().is_some(), "{f}");
    }
}

// RFC 3261 §20: typed values read from real messages Display and re-parse to equal values.
#[test]
fn typed_values_round_trip_through_display() {
    let mut checked = 0;
    for (name, bytes) in corpus() {
        let Ok(m) = parse_datagram(&bytes, &Limits::default()) else {
            continue;
        };
        let h = m.headers();
        if let Message::Request(r) = &m {
            assert_eq!(
                r.uri.to_string().parse::<sip_message::Uri>().as_ref(),
                Ok(&r.uri),
                "{name}"
            );
        }
        for v in h.vias().unwrap_or_default() {
            assert_eq!(v.to_string().parse::<sip_message::Via>(), Ok(v), "{name}");
            checked += 1;
        }
        for a in [h.from(), h.to()].into_iter().flatten() {
            assert_eq!(
                a.to_string().parse::<sip_message::NameAddr>(),
                Ok(a),
                "{name}"
            );
            checked += 1;
        }
        for c in h.contacts().unwrap_or_default() {
            assert_eq!(
                c.to_string().parse::<sip_message::Contact>(),
                Ok(c),
                "{name}"
            );
            checked += 1;
        }
        if let Ok(c) = h.cseq() {
            assert_eq!(c.to_string().parse::<sip_message::CSeq>(), Ok(c), "{name}");
        }
    }
    assert!(checked > 100, "only {checked} values checked");
}
