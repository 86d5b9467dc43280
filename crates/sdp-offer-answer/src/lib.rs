//! SDP parse/serialize (RFC 4566) and RFC 3264 offer/answer for PCMA, PCMU, telephone-event.
