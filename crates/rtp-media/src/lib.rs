//! Sans-IO RTP/RTCP header views, relay rewriting, G.711, RFC 4733.
