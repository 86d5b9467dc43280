//! Hand-written SIP message parser: start line, header unfolding, compact names, list splitting,
//! Content-Length framing for datagrams and streams, size limits (RFC 3261 §7, §7.3.1, §7.5, §18.3; RFC 4475).

use std::borrow::Cow;

use crate::error::{MessageKind, ParseError};
use crate::header::{HeaderName, Headers};
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::status::StatusCode;
use crate::syntax::{is_token, split_outside, trim_lws};
use crate::uri::Uri;

/// Resource limits applied while parsing untrusted input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest accepted message (start line + headers + body), in bytes.
    pub max_message_bytes: usize,
    /// Largest accepted number of header entries (after list splitting).
    pub max_headers: usize,
    /// Largest accepted header line after unfolding, in bytes.
    pub max_header_line: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_bytes: 65535,
            max_headers: 256,
            max_header_line: 8192,
        }
    }
}

/// Parses one UDP datagram as one message (RFC 3261 §18.3). Bytes beyond Content-Length are
/// ignored (RFC 4475 dblreq); a Content-Length larger than the datagram is an error (clerr);
/// without Content-Length the rest of the datagram is the body.
pub fn parse_datagram(bytes: &[u8], limits: &Limits) -> Result<Message, ParseError> {
    let skipped = leading_crlf(bytes);
    let data = bytes.get(skipped..).unwrap_or(&[]);
    if data.is_empty() {
        return Err(ParseError::Empty);
    }
    let kind = guess_kind(data);
    if bytes.len() > limits.max_message_bytes {
        return Err(ParseError::MessageTooLarge {
            kind,
            limit: limits.max_message_bytes,
        });
    }
    let (head_end, body_start) = match find_head_end(data) {
        Some(x) => x,
        // A datagram whose last header line ends the datagram is accepted with an empty body.
        None if data.ends_with(b"\n") => (data.len(), data.len()),
        None => return Err(ParseError::UnterminatedHeaders { kind }),
    };
    let head = parse_head(&data[..head_end], kind, limits)?;
    let rest = &data[body_start..];
    let body = match head.headers.content_length() {
        Err(_) => return Err(ParseError::BadContentLength { kind }),
        Ok(None) => rest,
        Ok(Some(n)) => rest.get(..n).ok_or(ParseError::TruncatedBody {
            kind,
            expected: n,
            available: rest.len(),
        })?,
    };
    Ok(head.into_message(body.to_vec()))
}

/// Frames one message from a stream buffer (RFC 3261 §18.3). Returns `Ok(None)` when more bytes
/// are needed, or the message and the number of bytes consumed (leading CRLF keep-alives
/// included). Content-Length is mandatory.
pub fn parse_stream(buf: &[u8], limits: &Limits) -> Result<Option<(Message, usize)>, ParseError> {
    let skipped = leading_crlf(buf);
    let data = buf.get(skipped..).unwrap_or(&[]);
    if data.is_empty() {
        return Ok(None);
    }
    let kind = guess_kind(data);
    let Some((head_end, body_start)) = find_head_end(data) else {
        if data.len() > limits.max_message_bytes {
            return Err(ParseError::MessageTooLarge {
                kind,
                limit: limits.max_message_bytes,
            });
        }
        return Ok(None);
    };
    if head_end > limits.max_message_bytes {
        return Err(ParseError::MessageTooLarge {
            kind,
            limit: limits.max_message_bytes,
        });
    }
    let head = parse_head(&data[..head_end], kind, limits)?;
    let len = match head.headers.content_length() {
        Err(_) => return Err(ParseError::BadContentLength { kind }),
        Ok(None) => return Err(ParseError::MissingContentLength { kind }),
        Ok(Some(n)) => n,
    };
    let total = body_start
        .checked_add(len)
        .ok_or(ParseError::BadContentLength { kind })?;
    if total > limits.max_message_bytes {
        return Err(ParseError::MessageTooLarge {
            kind,
            limit: limits.max_message_bytes,
        });
    }
    let Some(body) = data.get(body_start..total) else {
        return Ok(None);
    };
    let consumed = skipped.saturating_add(total);
    Ok(Some((head.into_message(body.to_vec()), consumed)))
}

/// The parsed start line and headers of a message.
struct Head {
    start: StartLine,
    headers: Headers,
}

enum StartLine {
    Request(Method, Uri),
    Response(StatusCode, String),
}

impl Head {
    fn into_message(self, body: Vec<u8>) -> Message {
        match self.start {
            StartLine::Request(method, uri) => Message::Request(Request {
                method,
                uri,
                headers: self.headers,
                body,
            }),
            StartLine::Response(status, reason) => Message::Response(Response {
                status,
                reason,
                headers: self.headers,
                body,
            }),
        }
    }
}

/// Number of CR/LF bytes before the start line (RFC 3261 §7.5 keep-alives).
fn leading_crlf(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| c == b'\r' || c == b'\n').count()
}

fn guess_kind(data: &[u8]) -> MessageKind {
    match data.get(..4) {
        Some(p) if p.eq_ignore_ascii_case(b"SIP/") => MessageKind::Response,
        _ => MessageKind::Request,
    }
}

/// Finds the empty line ending the header section. Returns the end of the header text (after
/// the last header's line break) and the start of the body. Bare LF line breaks are tolerated.
fn find_head_end(data: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(p) = data.get(i..)?.iter().position(|&b| b == b'\n') {
        let n = i + p;
        let rest = &data[n + 1..];
        if rest.starts_with(b"\r\n") {
            return Some((n + 1, n + 3));
        }
        if rest.starts_with(b"\n") {
            return Some((n + 1, n + 2));
        }
        i = n + 1;
    }
    None
}

/// Parses the start line and the header fields (header text includes the final line break).
fn parse_head(head: &[u8], kind: MessageKind, limits: &Limits) -> Result<Head, ParseError> {
    let bad = |reason| ParseError::BadHeader { kind, reason };
    let text = std::str::from_utf8(head).map_err(|e| {
        let in_start_line = !head.get(..e.valid_up_to()).unwrap_or(head).contains(&b'\n');
        match kind {
            _ if !in_start_line => bad("header section is not UTF-8"),
            MessageKind::Request => ParseError::BadRequestLine("not UTF-8"),
            MessageKind::Response => ParseError::BadStatusLine("not UTF-8"),
        }
    })?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    let start = match kind {
        MessageKind::Request => parse_request_line(first)?,
        MessageKind::Response => parse_status_line(first)?,
    };
    let mut headers = Headers::with_capacity(16);
    let mut current: Option<(&str, Cow<'_, str>)> = None;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, value)) = current.as_mut() else {
                return Err(bad("continuation line before the first header"));
            };
            let more = trim_lws(line);
            if !more.is_empty() {
                let v = value.to_mut();
                if !v.is_empty() {
                    v.push(' ');
                }
                v.push_str(more);
            }
            if value.len() > limits.max_header_line {
                return Err(ParseError::HeaderLineTooLong {
                    kind,
                    limit: limits.max_header_line,
                });
            }
            continue;
        }
        if line.len() > limits.max_header_line {
            return Err(ParseError::HeaderLineTooLong {
                kind,
                limit: limits.max_header_line,
            });
        }
        if let Some((name, value)) = current.take() {
            push_header(&mut headers, name, value, kind, limits)?;
        }
        let colon = line.find(':').ok_or(bad("header line without colon"))?;
        let name = line[..colon].trim_end_matches([' ', '\t']);
        if !is_token(name) {
            return Err(bad("header name is not a token"));
        }
        current = Some((name, Cow::Borrowed(trim_lws(&line[colon + 1..]))));
    }
    if let Some((name, value)) = current.take() {
        push_header(&mut headers, name, value, kind, limits)?;
    }
    Ok(Head { start, headers })
}

/// Adds one header, splitting list headers at top-level commas (RFC 3261 §7.3.1).
fn push_header(
    headers: &mut Headers,
    name: &str,
    value: Cow<'_, str>,
    kind: MessageKind,
    limits: &Limits,
) -> Result<(), ParseError> {
    let name = HeaderName::parse(name);
    let too_many = ParseError::TooManyHeaders {
        kind,
        limit: limits.max_headers,
    };
    if name.is_list() && value.contains(',') {
        let mut parts = Vec::new();
        if split_outside(&value, b',', &mut parts) {
            for part in parts {
                let part = trim_lws(part);
                if part.is_empty() {
                    continue;
                }
                if headers.len() >= limits.max_headers {
                    return Err(too_many);
                }
                headers.push(name.clone(), part);
            }
            return Ok(());
        }
    }
    if headers.len() >= limits.max_headers {
        return Err(too_many);
    }
    headers.push(name, value.into_owned());
    Ok(())
}

/// `Method SP Request-URI SP SIP-Version` (RFC 3261 §7.1); runs of spaces and trailing white
/// space are tolerated (RFC 4475 §3.1.2.9-10) and never re-emitted.
fn parse_request_line(line: &str) -> Result<StartLine, ParseError> {
    let mut parts = line.split([' ', '\t']).filter(|p| !p.is_empty());
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadRequestLine(
            "expected method, Request-URI and SIP-Version",
        ));
    };
    check_version(version)?;
    let method: Method = method
        .parse()
        .map_err(|_| ParseError::BadRequestLine("method is not a token"))?;
    let uri: Uri = uri
        .parse()
        .map_err(|_| ParseError::BadRequestLine("invalid Request-URI"))?;
    Ok(StartLine::Request(method, uri))
}

fn check_version(version: &str) -> Result<(), ParseError> {
    let is_sip = version
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    if !is_sip {
        return Err(ParseError::BadRequestLine("SIP-Version missing"));
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(ParseError::VersionNotSupported(version.to_owned()));
    }
    Ok(())
}

/// `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 §7.2); the reason may be empty
/// or UTF-8.
fn parse_status_line(line: &str) -> Result<StartLine, ParseError> {
    let rest = line
        .get(..8)
        .filter(|v| v.eq_ignore_ascii_case("SIP/2.0 "))
        .and_then(|_| line.get(8..))
        .ok_or(ParseError::BadStatusLine("SIP-Version is not SIP/2.0"))?;
    let code = rest
        .get(..3)
        .ok_or(ParseError::BadStatusLine("status code missing"))?;
    let after = &rest[3..];
    if !code.bytes().all(|b| b.is_ascii_digit()) || !(after.is_empty() || after.starts_with(' ')) {
        return Err(ParseError::BadStatusLine("status code is not three digits"));
    }
    let n = code
        .bytes()
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    if !(100..=699).contains(&n) {
        return Err(ParseError::BadStatusLine("status code out of range"));
    }
    let reason = after
        .strip_prefix(' ')
        .unwrap_or(after)
        .trim_end_matches([' ', '\t']);
    Ok(StartLine::Response(StatusCode(n), reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com\r\n\
v: SIP/2.0/UDP c.example.com\r\n\
From: \"A, B\" <sip:a@example.com>;tag=1\r\n\
t: <sip:bob@example.com>\r\n\
Subject: folded\r\n  line\r\n\
i: abc\r\n\
CSeq: 1 OPTIONS\r\n\
l: 4\r\n\r\nbodyEXTRA";

    #[test]
    fn datagram_unfolds_splits_and_frames_rfc3261_7_3_1() {
        let m = parse_datagram(OPTIONS, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        let h = m.headers();
        assert_eq!(h.get_all(&HeaderName::Via).count(), 3);
        assert_eq!(h.get(&HeaderName::Subject), Some("folded line"));
        assert_eq!(
            h.from().map(|f| f.display_name),
            Ok(Some("A, B".to_owned()))
        );
        assert_eq!(m.body(), b"body");
    }

    #[test]
    fn stream_needs_more_then_frames_rfc3261_18_3() {
        let limits = Limits::default();
        let mut buf = b"\r\n\r\n".to_vec();
        buf.extend_from_slice(&OPTIONS[..OPTIONS.len() - 5]);
        for cut in 0..buf.len() {
            assert_eq!(parse_stream(&buf[..cut], &limits), Ok(None), "cut {cut}");
        }
        let (m, used) = parse_stream(&buf, &limits)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("incomplete"));
        assert_eq!(used, buf.len());
        assert!(m.is_request());
        let no_cl = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
        assert_eq!(
            parse_stream(no_cl, &limits),
            Err(ParseError::MissingContentLength {
                kind: MessageKind::Request
            })
        );
    }

    #[test]
    fn limits_give_513() {
        let small = Limits {
            max_message_bytes: 50,
            ..Limits::default()
        };
        let e = parse_datagram(OPTIONS, &small).err();
        assert_eq!(
            e.and_then(|e| e.status()),
            Some(StatusCode::MESSAGE_TOO_LARGE)
        );
        let few = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        assert!(matches!(
            parse_datagram(OPTIONS, &few),
            Err(ParseError::TooManyHeaders { .. })
        ));
        let short = Limits {
            max_header_line: 20,
            ..Limits::default()
        };
        assert!(matches!(
            parse_datagram(OPTIONS, &short),
            Err(ParseError::HeaderLineTooLong { .. })
        ));
    }

    #[test]
    fn start_lines_rfc3261_7_1_7_2() {
        let l = Limits::default();
        let r = parse_datagram(b"SIP/2.0 200 \xc3\x9cberall OK\r\n\r\n", &l);
        assert!(matches!(r, Ok(Message::Response(ref r)) if r.reason == "Überall OK"));
        let r = parse_datagram(b"SIP/2.0 100 \r\n\r\n", &l);
        assert!(matches!(r, Ok(Message::Response(ref r)) if r.reason.is_empty()));
        assert!(parse_datagram(b"SIP/2.0 4294967301 Big\r\n\r\n", &l).is_err());
        let v = parse_datagram(b"OPTIONS sip:a@b SIP/7.0\r\n\r\n", &l).err();
        assert_eq!(
            v.and_then(|e| e.status()),
            Some(StatusCode::VERSION_NOT_SUPPORTED)
        );
        let v = parse_datagram(b"INVITE sip:a@b\r\n\r\n", &l).err();
        assert_eq!(v.and_then(|e| e.status()), Some(StatusCode::BAD_REQUEST));
        assert_eq!(parse_datagram(b"\r\n\r\n", &l), Err(ParseError::Empty));
    }

    #[test]
    fn non_utf8_is_classified_by_position() {
        let l = Limits::default();
        let e = parse_datagram(b"INV\xffITE sip:a@b SIP/2.0\r\n\r\n", &l).err();
        assert_eq!(e, Some(ParseError::BadRequestLine("not UTF-8")));
        let e = parse_datagram(b"SIP/2.0 200 \xff\r\n\r\n", &l).err();
        assert_eq!(e, Some(ParseError::BadStatusLine("not UTF-8")));
        let e = parse_datagram(b"SIP/2.0 200 OK\r\nX: \xff\r\n\r\n", &l).err();
        assert!(matches!(
            e,
            Some(ParseError::BadHeader {
                kind: MessageKind::Response,
                ..
            })
        ));
        assert_eq!(e.and_then(|e| e.status()), None);
    }

    #[test]
    fn clerr_and_ncl_framing_rfc4475_3_1_2_2_3() {
        let l = Limits::default();
        let clerr = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nabc";
        assert!(matches!(
            parse_datagram(clerr, &l),
            Err(ParseError::TruncatedBody {
                expected: 10,
                available: 3,
                ..
            })
        ));
        assert_eq!(parse_stream(clerr, &l), Ok(None));
        let ncl = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\nabc";
        assert!(matches!(
            parse_datagram(ncl, &l),
            Err(ParseError::BadContentLength { .. })
        ));
        assert!(matches!(
            parse_stream(ncl, &l),
            Err(ParseError::BadContentLength { .. })
        ));
        let huge = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 18446744073709551615\r\n\r\n";
        assert!(parse_stream(huge, &l).is_err());
    }
}
