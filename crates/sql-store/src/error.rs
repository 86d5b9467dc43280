//! The store layer's error enum, sorted by fault: database unavailable (transient, retried by
//! the write-behind queue [SLA-9]), input rejected by the schema, our misuse, and bugs.

use std::path::PathBuf;

use crate::model::CallId;
use crate::time::UnixMillis;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is busy (I/O, connection refused, locked, pool
    /// timeout); retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database rejected the data (constraint or data error); retrying cannot succeed.
    #[error("rejected by the database: {0}")]
    Rejected(#[source] sqlx::Error),
    /// Any other database error (a bug in a query or a schema mismatch).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL scheme {scheme:?} (want sqlite: or postgres:)")]
    UnsupportedUrl {
        /// The scheme found (never the whole URL: it may carry a password).
        scheme: String,
    },
    /// The folder of a SQLite file could not be created.
    #[error("cannot create database folder {path}: {source}")]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No call has this id.
    #[error("no call with id {}", .0.0)]
    UnknownCall(CallId),
    /// No ticket has this id.
    #[error("no ticket with id {0}")]
    UnknownTicket(i64),
    /// A ticket change breaks the Annex A rules [CRM-11].
    #[error(transparent)]
    TicketRule(#[from] cc_model::ticket::TicketRuleError),
    /// A purge cutoff newer than the retention floor was refused [SEC-3].
    #[error(
        "purge cutoff {cutoff} is less than {years} years before {now} (retention floor, SEC-3)"
    )]
    RetentionFloor {
        /// The cutoff asked for.
        cutoff: UnixMillis,
        /// The instant the floor was computed from.
        now: UnixMillis,
        /// The retention floor in years.
        years: u32,
    },
    /// A stored value does not decode into the register's types.
    #[error("stored value {value:?} in column {column} is not valid")]
    Corrupt {
        /// The column.
        column: &'static str,
        /// The value found.
        value: String,
    },
}

impl StoreError {
    /// Whether retrying the same operation later may succeed (the database was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => is_unavailable(e),
            _ => false,
        }
    }
}

/// Sorts a driver error into `Unavailable`, `Rejected` or `Database`.
pub(crate) fn classify(error: sqlx::Error) -> StoreError {
    if is_unavailable(&error) {
        return StoreError::Unavailable(error);
    }
    let rejected = match &error {
        sqlx::Error::Database(db) => {
            db.kind() != sqlx::error::ErrorKind::Other
                || db
                    .code()
                    .is_some_and(|code| is_rejected_code(&code, is_sqlite(db.as_ref())))
        }
        _ => false,
    };
    if rejected {
        StoreError::Rejected(error)
    } else {
        StoreError::Database(error)
    }
}

/// Whether a driver error means the database cannot be used right now.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| is_unavailable_code(&code, is_sqlite(db.as_ref()))),
        _ => false,
    }
}

/// Whether the error comes from SQLite (numeric result codes) rather than PostgreSQL
/// (five-character SQLSTATEs, some of them all digits).
fn is_sqlite(error: &dyn sqlx::error::DatabaseError) -> bool {
    error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
}

/// SQLite result codes (primary code = extended code mod 256) and PostgreSQL SQLSTATEs that
/// mean "not now": busy, locked, read-only, I/O, full, cannot open; connection exceptions,
/// insufficient resources, operator intervention, system errors, serialization failures and
/// a database that is not accepting connections.
fn is_unavailable_code(code: &str, sqlite: bool) -> bool {
    if sqlite {
        return code
            .parse::<u32>()
            .is_ok_and(|n| matches!(n % 256, 5 | 6 | 8 | 10 | 13 | 14 | 15));
    }
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57")
        || code.starts_with("58")
        || code == "40001"
        || code == "40P01"
        || code == "55000"
        || code == "55P03"
}

/// SQLite constraint, mismatch, too-big and range codes; PostgreSQL data exceptions (22) and
/// integrity violations (23).
fn is_rejected_code(code: &str, sqlite: bool) -> bool {
    if sqlite {
        return code
            .parse::<u32>()
            .is_ok_and(|n| matches!(n % 256, 18 | 19 | 20 | 25));
    }
    code.starts_with("22") || code.starts_with("23")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sla9_connection_failures_are_transient() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(classify(io).is_transient());
        assert!(classify(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!classify(sqlx::Error::RowNotFound).is_transient());
    }

    #[test]
    fn result_codes_are_sorted_by_fault() {
        assert!(is_unavailable_code("5", true));
        assert!(is_unavailable_code("517", true));
        assert!(!is_unavailable_code("1", true));
        assert!(is_unavailable_code("08006", false));
        assert!(is_unavailable_code("57P01", false));
        assert!(
            is_unavailable_code("55000", false),
            "database not accepting connections"
        );
        assert!(!is_unavailable_code("23505", false));
        assert!(is_rejected_code("2067", true));
        assert!(is_rejected_code("23503", false));
        assert!(!is_rejected_code("42P01", false));
    }
}
