//! SIP requests, responses and their serialization (RFC 3261 §7, §8.2.6 response construction).

use std::fmt;

use crate::header::{HeaderName, Headers};
use crate::method::Method;
use crate::status::StatusCode;
use crate::uri::Uri;

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method of the request line.
    pub method: Method,
    /// The Request-URI.
    pub uri: Uri,
    /// The header fields, in order.
    pub headers: Headers,
    /// The body bytes (may be binary).
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase (UTF-8, may be empty).
    pub reason: String,
    /// The header fields, in order.
    pub headers: Headers,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// The wire form; Content-Length is always written from `body.len()`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(sanitize_line(&self.uri.to_string()).as_bytes());
        out.extend_from_slice(b" SIP/2.0\r\n");
        write_tail(&mut out, &self.headers, &self.body);
        out
    }
}

impl Response {
    /// A response with the canonical reason, no headers and no body.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            reason: status.canonical_reason().to_owned(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// A response to `req` per RFC 3261 §8.2.6.2: copies every Via (same order), From, To,
    /// Call-ID and CSeq; canonical reason; empty body. Adding a To tag is the caller's business.
    pub fn from_request(req: &Request, status: StatusCode) -> Response {
        let mut resp = Response::new(status);
        for h in req.headers.iter() {
            let copy = matches!(
                h.name,
                HeaderName::Via
                    | HeaderName::From
                    | HeaderName::To
                    | HeaderName::CallId
                    | HeaderName::CSeq
            );
            if copy {
                resp.headers.push(h.name.clone(), h.value.clone());
            }
        }
        resp
    }

    /// The wire form; Content-Length is always written from `body.len()`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(b"SIP/2.0 ");
        out.extend_from_slice(self.status.0.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(sanitize_line(&self.reason).as_bytes());
        out.extend_from_slice(b"\r\n");
        write_tail(&mut out, &self.headers, &self.body);
        out
    }
}

impl Message {
    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The header fields, mutably.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// True for requests.
    pub fn is_request(&self) -> bool {
        matches!(self, Message::Request(_))
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Message {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Message {
        Message::Response(r)
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// Writes the headers (canonical names, stored Content-Length dropped), the computed
/// Content-Length, the blank line and the body.
fn write_tail(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    for h in headers.iter() {
        // A caller-made `Other` name that is not a token could inject lines: it is skipped.
        let bad_name = matches!(&h.name, HeaderName::Other(n) if !crate::syntax::is_token(n));
        if h.name == HeaderName::ContentLength || bad_name {
            continue;
        }
        out.extend_from_slice(h.name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(sanitize_line(&h.value).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
}

/// A header value or reason phrase must never inject a line break: CR and LF become spaces.
fn sanitize_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b == b'\r' || b == b'\n') {
        std::borrow::Cow::Owned(s.replace(['\r', '\n'], " "))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::Host;

    #[test]
    fn serialization_and_response_construction_rfc3261_8_2_6() {
        let mut req = Request::new(
            Method::Options,
            Uri::sip(Some("bob"), Host::Domain("example.com".into()), None),
        );
        req.headers
            .push(HeaderName::Via, "SIP/2.0/UDP a;branch=z9hG4bK1");
        req.headers
            .push(HeaderName::Via, "SIP/2.0/UDP b;branch=z9hG4bK2");
        req.headers.push(HeaderName::From, "<sip:a@b>;tag=1");
        req.headers.push(HeaderName::To, "<sip:bob@example.com>");
        req.headers.push(HeaderName::CallId, "c1");
        req.headers.push(HeaderName::CSeq, "1 OPTIONS");
        req.headers.push(HeaderName::ContentLength, "99");
        req.headers
            .push(HeaderName::Subject, "evil\r\nInjected: yes");
        req.headers
            .push(HeaderName::Other("X: y\r\nInjected".into()), "1");
        req.body = b"hi".to_vec();
        let wire = String::from_utf8(req.to_bytes()).unwrap_or_default();
        assert!(wire.starts_with(
            "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
        ));
        assert!(wire.ends_with("Content-Length: 2\r\n\r\nhi"));
        assert!(!wire.contains("99"));
        assert!(!wire.contains("\r\nInjected"));
        let resp = Response::from_request(&req, StatusCode::RINGING);
        assert_eq!(resp.reason, "Ringing");
        assert_eq!(resp.headers.len(), 6);
        assert!(resp.body.is_empty());
        let wire = String::from_utf8(Message::from(resp).to_bytes()).unwrap_or_default();
        assert!(wire.starts_with(
            "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b"
        ));
    }
}
