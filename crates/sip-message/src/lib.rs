//! SIP message, URI and typed headers: parse and serialize, never panics on input (RFC 3261 §7, §25; RFC 4475).
