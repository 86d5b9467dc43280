//! Property test (STYLE rule 10, RFC 4475 §1 robustness): random bytes and mutated torture
//! messages never make the parser, validator, error responder or typed accessors panic, and
//! whatever parses re-serializes to a stable, re-parseable form.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use sip_message::{
    Headers, Limits, Message, StatusCode, error_response, parse_datagram, parse_stream,
    validate_request, validate_response,
};

fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sip"),
            &mut files,
        );
        files.sort();
        files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_none_or(|e| e != "tsv") {
            out.push(p);
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

/// Bytes that stress the grammar: line breaks, NUL, quotes, brackets, escapes, separators.
const SPECIAL: &[u8] = b"\r\n\0\"<>%,;:[] \t\\@?=";

/// Applies (op, position, byte) mutations: flip a byte, truncate, or insert a special byte.
fn mutate(mut bytes: Vec<u8>, ops: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(op, pos, b) in ops {
        match op % 3 {
            0 if !bytes.is_empty() => {
                let i = pos % bytes.len();
                bytes[i] ^= b | 1;
            }
            1 => bytes.truncate(pos % (bytes.len() + 1)),
            _ => {
                let i = pos % (bytes.len() + 1);
                bytes.insert(i, SPECIAL[usize::from(b) % SPECIAL.len()]);
            }
        }
    }
    bytes
}

fn touch_headers(h: &Headers) {
    let _ = h.top_via();
    let _ = h.vias();
    let _ = h.from().map(|f| (f.tag().map(str::len), f.to_string()));
    let _ = h.to().map(|t| t.to_string());
    let _ = h.call_id();
    let _ = h.cseq().map(|c| c.to_string());
    let _ = h.max_forwards();
    let _ = h.expires();
    let _ = h.contacts().map(|cs| {
        cs.iter()
            .map(|c| (c.expires(), c.to_string()))
            .collect::<Vec<_>>()
    });
    let _ = h.routes();
    let _ = h.record_routes();
    let _ = h.content_length();
    let _ = h.content_type();
    if let Ok(vias) = h.vias() {
        for v in vias {
            let _ = (v.branch(), v.received(), v.rport(), v.to_string());
        }
    }
}

/// Runs every entry point on `bytes`; panics only on a broken invariant.
fn exercise(bytes: &[u8]) {
    let limits = Limits::default();
    let _ = error_response(bytes, StatusCode::BAD_REQUEST, "fuzz \"quote\"\r\n");
    match parse_datagram(bytes, &limits) {
        Err(e) => {
            let _ = (e.status(), e.kind(), e.to_string());
        }
        Ok(m) => {
            touch_headers(m.headers());
            match &m {
                Message::Request(r) => {
                    if let Err(rej) = validate_request(r) {
                        let _ = rej.response(r).to_bytes();
                    }
                }
                Message::Response(r) => {
                    let _ = validate_response(r);
                }
            }
            let wire = m.to_bytes();
            let again =
                parse_datagram(&wire, &limits).unwrap_or_else(|e| panic!("reparse failed: {e}"));
            assert_eq!(again.to_bytes(), wire, "serialization is not stable");
            for cut in (0..wire.len()).step_by(wire.len() / 16 + 1) {
                assert!(
                    matches!(parse_stream(&wire[..cut], &limits), Ok(None)),
                    "prefix {cut} not incomplete"
                );
            }
            assert!(matches!(parse_stream(&wire, &limits), Ok(Some((_, n))) if n == wire.len()));
        }
    }
    if let Ok(Some((_, used))) = parse_stream(bytes, &limits) {
        assert!(used <= bytes.len());
    }
}

proptest! {
    // 256 cases in the normal suite; PROPTEST_CASES overrides for longer local runs.
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        idx in any::<usize>(),
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..8),
    ) {
        let files = corpus();
        prop_assume!(!files.is_empty());
        let original = files[idx % files.len()].clone();
        exercise(&mutate(original, &ops));
    }

    #[test]
    fn random_text_in_typed_values_never_panics(s in "[ -~\\t]{0,80}") {
        let _ = s.parse::<sip_message::Uri>().map(|u| u.to_string());
        let _ = s.parse::<sip_message::NameAddr>().map(|n| n.to_string());
        let _ = s.parse::<sip_message::Via>().map(|v| v.to_string());
        let _ = s.parse::<sip_message::CSeq>();
        let _ = s.parse::<sip_message::Contact>();
        let _ = s.parse::<sip_message::Method>();
        let _ = sip_message::HeaderName::parse(&s);
    }
}

// Every unmodified corpus file goes through every entry point too.
#[test]
fn corpus_files_never_panic() {
    assert!(corpus().len() >= 62);
    for f in corpus() {
        exercise(f);
    }
}
