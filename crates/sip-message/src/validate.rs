//! Stateless semantic checks of requests and best-effort error answers (RFC 3261 §8.2, §8.2.2.3,
//! §8.2.3, §16.3; RFC 4475 §3.1.2, §3.3; RFC 5118 §4.2).

use crate::error::HeaderError;
use crate::header::{HeaderName, Headers};
use crate::message::{Request, Response};
use crate::method::Method;
use crate::status::StatusCode;
use crate::syntax::{split_outside, trim_lws};
use crate::uri::Scheme;

/// Option tags this engine supports in `Require` (RFC 3261 §8.2.2.3); only session timers.
pub const SUPPORTED_EXTENSIONS: &[&str] = &["timer"];

/// The `Allow` value sent with 501 for unknown methods (RFC 3261 §21.5.2).
pub const DEFAULT_ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY, MESSAGE";

/// Why a request must be rejected statelessly, and what to put in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status to answer with.
    pub status: StatusCode,
    /// Human-readable cause (for a Warning header or logs).
    pub reason: String,
    /// For 420: the `Require` option tags that are not supported.
    pub unsupported: Vec<String>,
    /// Headers the answer must carry (`Unsupported` for 420, `Accept` for 415, `Allow` for 501).
    pub extra_headers: Vec<(HeaderName, String)>,
}

impl Rejection {
    /// A rejection without extra headers.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Rejection {
        Rejection {
            status,
            reason: reason.into(),
            unsupported: Vec::new(),
            extra_headers: Vec::new(),
        }
    }

    /// The answer to `req`: RFC 3261 §8.2.6 copy of Via/From/To/Call-ID/CSeq plus the extra
    /// headers and a `Warning: 399 centralino "reason"`. The To tag is the caller's business.
    pub fn response(&self, req: &Request) -> Response {
        let mut resp = Response::from_request(req, self.status);
        for (n, v) in &self.extra_headers {
            resp.headers.push(n.clone(), v.clone());
        }
        resp.headers
            .push(HeaderName::Warning, warning(&self.reason));
        resp
    }
}

/// [`validate_request_with`] using [`SUPPORTED_EXTENSIONS`].
pub fn validate_request(req: &Request) -> Result<(), Rejection> {
    validate_request_with(req, SUPPORTED_EXTENSIONS)
}

/// The checks a UAS answers statelessly, in this order: Request-URI (headers → 400, scheme →
/// 416), mandatory and single-valued headers and their syntax (400), unknown method (501 with
/// Allow), CSeq method mismatch (400), Require (420 with Unsupported), offer body type for
/// INVITE/UPDATE/PRACK (415 with Accept), Accept without SDP on INVITE/UPDATE (406).
pub fn validate_request_with(req: &Request, supported: &[&str]) -> Result<(), Rejection> {
    let bad = |what: &str| Rejection::new(StatusCode::BAD_REQUEST, what);
    let hdr = |e: HeaderError| Rejection::new(StatusCode::BAD_REQUEST, e.to_string());
    if req.uri.headers.is_some() {
        return Err(bad("Request-URI carries headers"));
    }
    if !matches!(req.uri.scheme, Scheme::Sip | Scheme::Sips | Scheme::Tel) {
        return Err(Rejection::new(
            StatusCode::UNSUPPORTED_URI_SCHEME,
            "Request-URI scheme not supported",
        ));
    }
    let h = &req.headers;
    let vias = h.vias().map_err(hdr)?;
    let top = vias.first().ok_or_else(|| {
        hdr(HeaderError::Missing {
            header: HeaderName::Via,
        })
    })?;
    if top.branch() == Some("z9hG4bK") {
        return Err(bad("Via branch is only the magic cookie"));
    }
    let from = h.from().map_err(hdr)?;
    let to = h.to().map_err(hdr)?;
    h.call_id().map_err(hdr)?;
    let cseq = h.cseq().map_err(hdr)?;
    h.max_forwards().map_err(hdr)?;
    h.expires().map_err(hdr)?;
    h.content_length().map_err(hdr)?;
    for name in [HeaderName::ContentLength, HeaderName::ContentType] {
        if h.count(&name) > 1 {
            return Err(hdr(HeaderError::Duplicate { header: name }));
        }
    }
    h.contacts().map_err(hdr)?;
    h.routes().map_err(hdr)?;
    h.record_routes().map_err(hdr)?;
    if req.method == Method::Register && !(to.uri.scheme.is_sip() && from.uri.scheme.is_sip()) {
        return Err(bad(
            "REGISTER To/From must be a sip or sips address-of-record",
        ));
    }
    if let Method::Extension(_) = req.method {
        let mut r = Rejection::new(StatusCode::NOT_IMPLEMENTED, "method not implemented");
        r.extra_headers
            .push((HeaderName::Allow, DEFAULT_ALLOW.to_owned()));
        return Err(r);
    }
    if cseq.method != req.method {
        return Err(bad("CSeq method does not match the request method"));
    }
    if !matches!(req.method, Method::Ack | Method::Cancel) {
        check_require(h, supported)?;
    }
    if matches!(req.method, Method::Invite | Method::Update | Method::Prack) {
        check_body_type(req)?;
    }
    if matches!(req.method, Method::Invite | Method::Update) {
        check_accept(h)?;
    }
    Ok(())
}

/// Checks that a response carries parseable Via, From, To, Call-ID and CSeq headers, which the
/// transaction layer needs for matching (RFC 3261 §8.1.3.3, §17.1.3). A failing response is
/// discarded silently (RFC 4475 §3.1.2.5 scalarlg).
pub fn validate_response(resp: &Response) -> Result<(), HeaderError> {
    let h = &resp.headers;
    h.vias()?;
    h.top_via()?;
    h.from()?;
    h.to()?;
    h.call_id()?;
    h.cseq()?;
    h.content_length()?;
    Ok(())
}

/// Builds a stateless error answer from the raw bytes of a request that failed to parse or
/// validate: scrapes Via/From/To/Call-ID/CSeq lines, adds `Warning: 399 centralino "reason"`.
/// Returns `None` for responses or when no Via can be found.
pub fn error_response(bytes: &[u8], status: StatusCode, reason: &str) -> Option<Response> {
    let start = bytes
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let data = bytes.get(start..)?;
    if data
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
        || data.is_empty()
    {
        return None;
    }
    let mut resp = Response::new(status);
    let mut lines = data.split(|&b| b == b'\n').skip(1).take(512);
    let mut pending: Option<(HeaderName, String)> = None;
    for raw in lines.by_ref() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            flush(&mut resp.headers, pending.take());
            continue;
        };
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = pending.as_mut() {
                v.push(' ');
                v.push_str(trim_lws(line));
            }
            continue;
        }
        flush(&mut resp.headers, pending.take());
        let Some(colon) = line.find(':') else {
            continue;
        };
        let name = HeaderName::parse(trim_lws(&line[..colon]));
        if matches!(
            name,
            HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq
        ) {
            pending = Some((name, trim_lws(&line[colon + 1..]).to_owned()));
        }
    }
    flush(&mut resp.headers, pending.take());
    if !resp.headers.contains(&HeaderName::Via) {
        return None;
    }
    resp.headers.push(HeaderName::Warning, warning(reason));
    Some(resp)
}

/// Adds a scraped header, splitting Via lists.
fn flush(headers: &mut Headers, item: Option<(HeaderName, String)>) {
    let Some((name, value)) = item else { return };
    if value.len() > 8192 {
        return;
    }
    if name == HeaderName::Via {
        let mut parts = Vec::new();
        split_outside(&value, b',', &mut parts);
        for p in parts.into_iter().map(trim_lws).filter(|p| !p.is_empty()) {
            headers.push(HeaderName::Via, p);
        }
    } else {
        headers.push(name, value);
    }
}

/// `399 centralino "text"` with quotes, backslashes and control characters neutralised.
fn warning(reason: &str) -> String {
    let text: String = reason
        .chars()
        .take(200)
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '\''
            } else {
                c
            }
        })
        .collect();
    format!("399 centralino \"{text}\"")
}

/// RFC 3261 §8.2.2.3: every Require tag must be supported, else 420 listing them.
fn check_require(h: &Headers, supported: &[&str]) -> Result<(), Rejection> {
    let unsupported: Vec<String> = h
        .get_all(&HeaderName::Require)
        .map(trim_lws)
        .filter(|t| !t.is_empty() && !supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
        .map(str::to_owned)
        .collect();
    if unsupported.is_empty() {
        return Ok(());
    }
    let mut r = Rejection::new(
        StatusCode::BAD_EXTENSION,
        "required extension not supported",
    );
    r.extra_headers = unsupported
        .iter()
        .map(|t| (HeaderName::Unsupported, t.clone()))
        .collect();
    r.unsupported = unsupported;
    Err(r)
}

/// The media type of a Content-Type value, lower-cased, without parameters.
fn media_type(ct: &str) -> String {
    let end = ct.find(';').unwrap_or(ct.len());
    trim_lws(&ct[..end]).to_ascii_lowercase()
}

/// RFC 3261 §8.2.3: an offer body must be SDP (or multipart/mixed that may carry SDP).
fn check_body_type(req: &Request) -> Result<(), Rejection> {
    if req.body.is_empty() {
        return Ok(());
    }
    let Some(ct) = req.headers.content_type() else {
        return Ok(());
    };
    let mt = media_type(ct);
    if mt == "application/sdp" || mt == "multipart/mixed" {
        return Ok(());
    }
    let mut r = Rejection::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "body type not supported",
    );
    r.extra_headers
        .push((HeaderName::Accept, "application/sdp".to_owned()));
    Err(r)
}

/// RFC 3261 §21.4.7: if Accept is present and excludes SDP, no answer can be produced (406).
fn check_accept(h: &Headers) -> Result<(), Rejection> {
    let mut any = false;
    for v in h.get_all(&HeaderName::Accept) {
        let mt = media_type(v);
        if mt.is_empty() {
            continue;
        }
        any = true;
        if mt == "application/sdp" || mt == "application/*" || mt == "*/*" {
            return Ok(());
        }
    }
    if any {
        return Err(Rejection::new(
            StatusCode::NOT_ACCEPTABLE,
            "Accept excludes application/sdp",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::parse::{Limits, parse_datagram};

    fn req(extra: &str, method: &str) -> Request {
        let text = format!(
            "{method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
             From: <sip:a@b>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\n{extra}\r\n"
        );
        match parse_datagram(text.as_bytes(), &Limits::default()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn require_is_checked_except_for_ack_and_cancel_rfc3261_8_2_2_3() {
        assert_eq!(
            validate_request(&req("Require: timer\r\n", "INVITE")),
            Ok(())
        );
        let rej = validate_request(&req("Require: timer, 100rel\r\n", "INVITE")).err();
        assert_eq!(
            rej.map(|r| (r.status, r.unsupported)),
            Some((StatusCode::BAD_EXTENSION, vec!["100rel".to_owned()]))
        );
        assert_eq!(validate_request(&req("Require: foo\r\n", "ACK")), Ok(()));
        assert_eq!(
            validate_request_with(&req("Require: foo\r\n", "BYE"), &["foo"]),
            Ok(())
        );
    }

    #[test]
    fn max_forwards_and_duplicates_rfc4475_3_1_2_4_3_3_8() {
        let r = validate_request(&req("Max-Forwards: 256\r\n", "OPTIONS")).err();
        assert_eq!(r.map(|r| r.status), Some(StatusCode::BAD_REQUEST));
        let r = validate_request(&req("Content-Type: a/b\r\nc: a/b\r\n", "OPTIONS")).err();
        assert_eq!(r.map(|r| r.status), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            validate_request(&req("Max-Forwards: 0\r\n", "OPTIONS")),
            Ok(())
        );
    }

    #[test]
    fn error_response_scrapes_folded_and_compact_headers_rfc3261_8_2_6() {
        let raw = b"FOO sip:x SIP/9.9\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1,\r\n SIP/2.0/UDP b\r\nf: <sip:a@b>;tag=1\r\n\
t: <sip:x@y>\r\ni: id\r\nCSeq: 1 FOO\r\nX: \xff\r\n\r\n";
        let resp = error_response(raw, StatusCode::VERSION_NOT_SUPPORTED, "bad \"version\"");
        let resp = resp.unwrap_or_else(|| panic!("no response"));
        assert_eq!(resp.headers.get_all(&HeaderName::Via).count(), 2);
        assert_eq!(resp.headers.call_id(), Ok("id"));
        assert_eq!(
            resp.headers.get(&HeaderName::Warning),
            Some("399 centralino \"bad 'version'\"")
        );
        assert_eq!(
            error_response(
                b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\n\r\n",
                StatusCode::BAD_REQUEST,
                ""
            ),
            None
        );
        assert_eq!(
            error_response(
                b"INVITE sip:x SIP/2.0\r\nTo: <sip:x@y>\r\n\r\n",
                StatusCode::BAD_REQUEST,
                ""
            ),
            None
        );
    }

    #[test]
    fn responses_need_matching_headers_rfc3261_17_1_3() {
        let ok =
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n\
To: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n";
        let Ok(Message::Response(r)) = parse_datagram(ok, &Limits::default()) else {
            panic!("parse")
        };
        assert_eq!(validate_response(&r), Ok(()));
        let mut r2 = r.clone();
        r2.headers.remove(&HeaderName::CSeq);
        assert!(validate_response(&r2).is_err());
    }
}
