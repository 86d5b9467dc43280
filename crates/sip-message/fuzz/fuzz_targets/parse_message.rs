//! cargo-fuzz target: arbitrary bytes through every sip-message entry point (STYLE rule 10,
//! RFC 4475 robustness); same calls and invariants as tests/never_panics.rs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::{
    error_response, parse_datagram, parse_stream, validate_request, validate_response, Headers, Limits, Message,
    StatusCode,
};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits::default();
    let _ = error_response(bytes, StatusCode::BAD_REQUEST, "fuzz");
    if let Ok(Some((_, used))) = parse_stream(bytes, &limits) {
        assert!(used <= bytes.len());
    }
    let Ok(m) = parse_datagram(bytes, &limits) else { return };
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
    let again = match parse_datagram(&wire, &limits) {
        Ok(a) => a,
        Err(e) => panic!("reparse of serialized message failed: {e}"),
    };
    assert_eq!(again.to_bytes(), wire, "serialization is not stable");
    assert!(matches!(parse_stream(&wire, &limits), Ok(Some((_, n))) if n == wire.len()));
});

fn touch_headers(h: &Headers) {
    let _ = h.top_via().map(|v| (v.branch().map(str::len), v.received().map(str::len), v.rport(), v.to_string()));
    let _ = h.vias();
    let _ = h.from().map(|f| (f.tag().map(str::len), f.to_string()));
    let _ = h.to().map(|t| t.to_string());
    let _ = h.call_id();
    let _ = h.cseq().map(|c| c.to_string());
    let _ = h.max_forwards();
    let _ = h.expires();
    let _ = h.contacts().map(|cs| cs.iter().map(|c| (c.expires(), c.to_string())).collect::<Vec<_>>());
    let _ = h.routes();
    let _ = h.record_routes();
    let _ = h.content_length();
    let _ = h.content_type();
}
