//! Sans-IO SIP dialogs (RFC 3261 §12), session timers (RFC 4028) and digest authentication (RFC 7616, RFC 8760).

pub mod auth;
pub mod dialog;
pub mod session_timer;

pub use auth::{AuthError, DigestAlgorithm, DigestConfig, DigestServer, digest_response};
