//! Shell: UDP/TCP SIP sockets and stream framing, drives sip-transaction.
