//! Error types of the SIP message layer: header value errors and framing/parse errors (RFC 3261 §7, §21.4).

use crate::header::HeaderName;
use crate::status::StatusCode;

/// A header value (or a URI, Via, CSeq, name-addr) that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A mandatory header is absent.
    #[error("missing {header} header")]
    Missing {
        /// The absent header.
        header: HeaderName,
    },
    /// A header that may appear only once appears several times.
    #[error("duplicate {header} header")]
    Duplicate {
        /// The repeated header.
        header: HeaderName,
    },
    /// A header value is malformed.
    #[error("invalid {header} header: {reason}")]
    Invalid {
        /// The header whose value is malformed.
        header: HeaderName,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A free-standing element (URI, Via, CSeq, name-addr) is malformed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// The kind of element ("URI", "Via", ...).
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl HeaderError {
    /// Attaches a header name to a `Malformed` error; other variants are returned unchanged.
    pub fn in_header(self, header: HeaderName) -> HeaderError {
        match self {
            HeaderError::Malformed { reason, .. } => HeaderError::Invalid { header, reason },
            other => other,
        }
    }
}

/// Whether the input looked like a request or a response, which decides if an answer is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// The start line did not begin with "SIP/": a request.
    Request,
    /// The start line began with "SIP/": a response.
    Response,
}

/// Why a byte sequence is not a SIP message (RFC 3261 §7, §18.3 framing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input is empty or holds only whitespace.
    #[error("empty input")]
    Empty,
    /// The request line is malformed (RFC 3261 §7.1).
    #[error("malformed request line: {0}")]
    BadRequestLine(&'static str),
    /// The status line is malformed (RFC 3261 §7.2).
    #[error("malformed status line: {0}")]
    BadStatusLine(&'static str),
    /// The request names a SIP version other than 2.0 (RFC 3261 §8.2.1 → 505).
    #[error("SIP version not supported: {0}")]
    VersionNotSupported(String),
    /// A header line is malformed (no colon, bad name, bad bytes).
    #[error("malformed header line in {kind:?}: {reason}")]
    BadHeader {
        /// Request or response.
        kind: MessageKind,
        /// What is wrong.
        reason: &'static str,
    },
    /// The header section is not terminated by an empty line.
    #[error("header section not terminated in {kind:?}")]
    UnterminatedHeaders {
        /// Request or response.
        kind: MessageKind,
    },
    /// Content-Length is not a non-negative decimal, or appears with conflicting values.
    #[error("invalid Content-Length in {kind:?}")]
    BadContentLength {
        /// Request or response.
        kind: MessageKind,
    },
    /// Content-Length is larger than the bytes of the datagram (RFC 4475 clerr).
    #[error("body truncated in {kind:?}: Content-Length {expected}, {available} bytes present")]
    TruncatedBody {
        /// Request or response.
        kind: MessageKind,
        /// The declared Content-Length.
        expected: usize,
        /// The bytes actually present.
        available: usize,
    },
    /// A stream-framed message has no Content-Length (RFC 3261 §18.3).
    #[error("Content-Length missing on a stream transport in {kind:?}")]
    MissingContentLength {
        /// Request or response.
        kind: MessageKind,
    },
    /// The message exceeds `Limits::max_message_bytes` (→ 513).
    #[error("message too large in {kind:?}: limit {limit} bytes")]
    MessageTooLarge {
        /// Request or response.
        kind: MessageKind,
        /// The configured limit.
        limit: usize,
    },
    /// The message has more header lines than `Limits::max_headers` (→ 513).
    #[error("too many headers in {kind:?}: limit {limit}")]
    TooManyHeaders {
        /// Request or response.
        kind: MessageKind,
        /// The configured limit.
        limit: usize,
    },
    /// A header line (after unfolding) exceeds `Limits::max_header_line` (→ 513).
    #[error("header line too long in {kind:?}: limit {limit} bytes")]
    HeaderLineTooLong {
        /// Request or response.
        kind: MessageKind,
        /// The configured limit.
        limit: usize,
    },
}

impl ParseError {
    /// The kind of message the input looked like, if that could be told.
    pub fn kind(&self) -> Option<MessageKind> {
        match self {
            ParseError::Empty => None,
            ParseError::BadRequestLine(_) | ParseError::VersionNotSupported(_) => {
                Some(MessageKind::Request)
            }
            ParseError::BadStatusLine(_) => Some(MessageKind::Response),
            ParseError::BadHeader { kind, .. }
            | ParseError::UnterminatedHeaders { kind }
            | ParseError::BadContentLength { kind }
            | ParseError::TruncatedBody { kind, .. }
            | ParseError::MissingContentLength { kind }
            | ParseError::MessageTooLarge { kind, .. }
            | ParseError::TooManyHeaders { kind, .. }
            | ParseError::HeaderLineTooLong { kind, .. } => Some(*kind),
        }
    }

    /// The status to answer with if the input was a request; `None` for responses and garbage.
    pub fn status(&self) -> Option<StatusCode> {
        if self.kind() != Some(MessageKind::Request) {
            return None;
        }
        Some(match self {
            ParseError::VersionNotSupported(_) => StatusCode::VERSION_NOT_SUPPORTED,
            ParseError::MessageTooLarge { .. }
            | ParseError::TooManyHeaders { .. }
            | ParseError::HeaderLineTooLong { .. } => StatusCode::MESSAGE_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        })
    }
}
