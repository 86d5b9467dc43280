//! `sql-store`: the per-call regulatory register of Centralino (ARERA TIQV registration duty
//! [SLA-9], retention of at least three years [SEC-3]) on SQLite (embedded default, WAL mode)
//! or PostgreSQL (production), plus `StoreWriter`, a bounded write-behind queue that keeps
//! calls flowing while the database is unavailable.
//!
//! Time encoding: every instant is stored as `INTEGER`/`BIGINT` milliseconds since the Unix
//! epoch, UTC, identically on both backends; the API renders RFC 3339 UTC text.

mod error;
mod model;
mod store;
mod time;
mod writer;

pub use error::StoreError;
pub use model::{
    Backend, CallId, CallRecord, CallUpdate, Channel, HangupSide, LegId, LegRole, NewCall,
    NewEvent, NewLeg, Outcome,
};
pub use store::{MIGRATIONS, RETENTION_YEARS, RetentionPolicy, Store, StoreOptions};
pub use time::UnixMillis;
pub use writer::{CallKey, StoreWriter, WriterConfig, WriterError, WriterStats};
