//! SDP parse/serialize (RFC 8866, formerly RFC 4566) and RFC 3264 offer/answer for PCMA, PCMU and
//! telephone-event (RFC 4733). Sans-IO: std and thiserror only.
//!
//! Parse with `text.parse::<SessionDescription>()`, serialize with `to_string()` (CRLF line ends).
//! [`summarize_offer`] tells the relay what a peer's SDP means, [`LocalSdp`] builds our offers and
//! answers with a correct `o=` version, [`negotiated_from_answer`] reads the peer's answer.

mod negotiation;
mod parse;
mod session;

pub use negotiation::{
    AudioCodec, Capabilities, LocalSdp, MediaSummary, Negotiated, NegotiationError,
    negotiated_from_answer, summarize_offer,
};
pub use parse::{SdpError, parse};
pub use session::{
    Attribute, Bandwidth, Connection, Direction, MediaDescription, Origin, OtherLine, RtpMap,
    SessionDescription, Timing,
};
