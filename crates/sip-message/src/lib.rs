//! SIP message, URI and typed headers: parse and serialize, never panics on input (RFC 3261 §7, §25; RFC 4475).

mod error;
mod header;
mod message;
mod method;
mod name_addr;
mod params;
mod parse;
mod status;
mod syntax;
mod typed;
mod uri;
mod validate;
mod via;

pub use error::{HeaderError, MessageKind, ParseError};
pub use header::{Header, HeaderName, Headers};
pub use message::{Message, Request, Response};
pub use method::Method;
pub use name_addr::{Contact, NameAddr};
pub use params::Params;
pub use parse::{Limits, parse_datagram, parse_stream};
pub use status::StatusCode;
pub use uri::{Host, Scheme, Uri};
pub use validate::{
    DEFAULT_ALLOW, Rejection, SUPPORTED_EXTENSIONS, error_response, validate_request,
    validate_request_with, validate_response,
};
pub use via::{CSeq, Via};
