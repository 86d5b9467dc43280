//! Shell: RTP port pool and per-call relay tasks.
