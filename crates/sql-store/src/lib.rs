//! `sql-store`: the per-call regulatory register of Centralino (ARERA TIQV registration duty
//! [SLA-9], retention of at least three years [SEC-3]) on SQLite (embedded default, WAL mode)
//! or PostgreSQL (production), plus `StoreWriter`, a bounded write-behind queue that keeps
//! calls flowing while the database is unavailable.
//!
//! Besides the register: the built-in CRM (tickets, caller records, attachments) [CRM-1..7],
//! the durable webhook outbox [CRM-9], the audit log and API credentials [SEC-2].
//!
//! Time encoding: every instant is stored as `INTEGER`/`BIGINT` milliseconds since the Unix
//! epoch, UTC, identically on both backends; the API renders RFC 3339 UTC text.

mod audit;
mod crm;
mod error;
mod model;
mod store;
mod outbox;
mod time;
mod writer;

pub use audit::{AuditEntry, NewAuditEntry, TokenRecord};
pub use crm::{
    Attachment, Contact, NewAttachment, NewTicket, Ticket, TicketDetail, TicketFilter,
    TicketHistoryEntry, TicketPatch,
};
pub use error::StoreError;
pub use model::{
    Backend, CallId, CallRecord, CallUpdate, Channel, HangupSide, LegId, LegRole, NewCall,
    NewEvent, NewLeg, Outcome,
};
pub use store::{MIGRATIONS, RETENTION_YEARS, RetentionPolicy, Store, StoreOptions};
pub use outbox::OutboxRow;
pub use time::UnixMillis;
pub use writer::{CallKey, StoreWriter, WriterConfig, WriterError, WriterStats};
