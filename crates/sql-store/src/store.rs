//! `Store`: the per-call register [SLA-9] on a concrete `SqlitePool` or `PgPool` (never
//! `AnyPool`), with embedded migrations applied at open and the retention purge [SEC-3].
//!
//! Every query is one SQL text valid on both backends (`$n` placeholders work on SQLite too);
//! instants are bound as `i64` epoch milliseconds.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ColumnIndex, Decode, PgPool, Row, SqlSafeStr, SqlitePool, Type};

use crate::error::{StoreError, classify};
use crate::model::{
    Backend, CallId, CallRecord, CallUpdate, Channel, HangupSide, LegId, LegRole, NewCall,
    NewEvent, NewLeg, Outcome,
};
use crate::time::UnixMillis;

/// Records younger than this many years are never purged without `RetentionPolicy::Force`
/// [SEC-3].
pub const RETENTION_YEARS: u32 = 3;

/// The register: a SQLite or PostgreSQL pool. Cloning shares the pool.
#[derive(Clone, Debug)]
pub enum Store {
    /// The embedded default (WAL mode, `synchronous=NORMAL`, busy timeout).
    Sqlite(SqlitePool),
    /// The production backend.
    Postgres(PgPool),
}

/// Pool knobs; `Default` suits production.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most connections the pool opens (SQLite in-memory databases always use one).
    pub max_connections: u32,
    /// How long an operation waits for a connection before failing as `Unavailable`.
    pub acquire_timeout: Duration,
    /// How long SQLite waits on a locked database before failing as `Unavailable`.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Whether `purge_older_than` enforces the retention floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetentionPolicy {
    /// Refuse a cutoff less than `RETENTION_YEARS` before now [SEC-3].
    Enforce,
    /// Purge whatever the cutoff says (an administrator's explicit override).
    Force,
}

impl Store {
    /// Opens `sqlite://path?mode=rwc` (creating the file and its folder), `sqlite::memory:`,
    /// or `postgres://…`, and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, &StoreOptions::default()).await
    }

    /// `open` with explicit pool knobs.
    pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let store = Store::connect(url, options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = migrator(self.backend());
        match self {
            Store::Sqlite(pool) => migrator.run(pool).await?,
            Store::Postgres(pool) => migrator.run(pool).await?,
        }
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Writes a new call and returns its register id [SLA-9].
    pub async fn insert_call(&self, call: &NewCall) -> Result<CallId, StoreError> {
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO calls (channel, trunk, dialled, caller, sip_call_id, started_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(call.channel.as_str())
            .bind(call.trunk.as_deref())
            .bind(call.dialled.as_str())
            .bind(call.caller.as_str())
            .bind(call.sip_call_id.as_deref())
            .bind(call.started_at.as_millis())
            .fetch_one(pool)
            .await
            .map_err(classify)?
        });
        Ok(CallId(id))
    }

    /// Applies a partial update; when it ends the call, missing wait and talk seconds are
    /// derived from the stored instants.
    pub async fn update_call(&self, id: CallId, update: &CallUpdate) -> Result<(), StoreError> {
        let changed = on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            let changed = sqlx::query(UPDATE_CALL)
                .bind(id.0)
                .bind(update.operator_requested_at.map(UnixMillis::as_millis))
                .bind(update.answered_at.map(UnixMillis::as_millis))
                .bind(update.ended_at.map(UnixMillis::as_millis))
                .bind(update.queue.as_deref())
                .bind(update.agent.as_deref())
                .bind(update.wait_seconds)
                .bind(update.talk_seconds)
                .bind(update.hangup_side.map(HangupSide::as_str))
                .bind(update.hangup_cause.as_deref())
                .bind(update.outcome.map(Outcome::as_str))
                .bind(update.recording_path.as_deref())
                .bind(update.ticket_id)
                .bind(update.announced_wait_seconds)
                .execute(&mut *tx)
                .await
                .map_err(classify)?
                .rows_affected();
            if changed > 0 && update.ended_at.is_some() {
                sqlx::query(DERIVE_DURATIONS)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
            }
            tx.commit().await.map_err(classify)?;
            changed
        });
        if changed == 0 {
            return Err(StoreError::UnknownCall(id));
        }
        Ok(())
    }

    /// Records one leg of a call.
    pub async fn add_leg(&self, call: CallId, leg: &NewLeg) -> Result<LegId, StoreError> {
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO call_legs (call_id, role, peer, agent, sip_call_id, started_at, \
                 answered_at, ended_at, hangup_cause) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(call.0)
            .bind(leg.role.as_str())
            .bind(leg.peer.as_str())
            .bind(leg.agent.as_deref())
            .bind(leg.sip_call_id.as_deref())
            .bind(leg.started_at.as_millis())
            .bind(leg.answered_at.map(UnixMillis::as_millis))
            .bind(leg.ended_at.map(UnixMillis::as_millis))
            .bind(leg.hangup_cause.as_deref())
            .fetch_one(pool)
            .await
            .map_err(|e| unknown_call_or(call, e))?
        });
        Ok(LegId(id))
    }

    /// Appends one entry to the queue/agent event log of a call.
    pub async fn add_event(&self, call: CallId, event: &NewEvent) -> Result<(), StoreError> {
        let detail = event.detail.to_string();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO call_events (call_id, at, kind, agent, queue, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(call.0)
            .bind(event.at.as_millis())
            .bind(event.kind.as_str())
            .bind(event.agent.as_deref())
            .bind(event.queue.as_deref())
            .bind(detail.as_str())
            .execute(pool)
            .await
            .map_err(|e| unknown_call_or(call, e))?
            .rows_affected()
        });
        Ok(())
    }

    /// Closes every call left open by a previous run as `interrupted` at `now` (hangup side
    /// `system`); the wait is kept when the call had been answered. Returns how many.
    pub async fn close_interrupted(&self, now: UnixMillis) -> Result<u64, StoreError> {
        let closed = on_pool!(self, pool => {
            sqlx::query(CLOSE_INTERRUPTED)
                .bind(now.as_millis())
                .execute(pool)
                .await
                .map_err(classify)?
                .rows_affected()
        });
        Ok(closed)
    }

    /// One call by id.
    pub async fn call(&self, id: CallId) -> Result<Option<CallRecord>, StoreError> {
        on_pool!(self, pool => {
            let row = sqlx::query(select_calls!("WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(call_from_row).transpose()
        })
    }

    /// The newest `limit` calls that started before `before` (all when `None`), newest
    /// first: the `GET /api/calls?limit=N` page.
    pub async fn calls(
        &self,
        limit: u32,
        before: Option<UnixMillis>,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let before = before.map_or(i64::MAX, UnixMillis::as_millis);
        on_pool!(self, pool => {
            let rows = sqlx::query(select_calls!(
                "WHERE started_at < $1 ORDER BY started_at DESC, id DESC LIMIT $2"
            ))
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            rows.iter().map(call_from_row).collect()
        })
    }

    /// Calls that started in `[from, to)`, oldest first: the input of reports and
    /// `export-calls`.
    pub async fn calls_between(
        &self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<CallRecord>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(select_calls!(
                "WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at, id"
            ))
            .bind(from.as_millis())
            .bind(to.as_millis())
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            rows.iter().map(call_from_row).collect()
        })
    }

    /// The legs of a call, in creation order.
    pub async fn legs(&self, call: CallId) -> Result<Vec<(LegId, NewLeg)>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, role, peer, agent, sip_call_id, started_at, answered_at, ended_at, \
                 hangup_cause FROM call_legs WHERE call_id = $1 ORDER BY id",
            )
            .bind(call.0)
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            rows.iter().map(leg_from_row).collect()
        })
    }

    /// The event log of a call, in order.
    pub async fn events(&self, call: CallId) -> Result<Vec<NewEvent>, StoreError> {
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT at, kind, agent, queue, detail FROM call_events \
                 WHERE call_id = $1 ORDER BY at, id",
            )
            .bind(call.0)
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            rows.iter().map(event_from_row).collect()
        })
    }

    /// Deletes calls (with their legs and events) that started before `cutoff`; refuses a
    /// cutoff less than `RETENTION_YEARS` before `now` unless forced [SEC-3]. Returns how
    /// many calls were deleted.
    pub async fn purge_older_than(
        &self,
        cutoff: UnixMillis,
        now: UnixMillis,
        policy: RetentionPolicy,
    ) -> Result<u64, StoreError> {
        if policy == RetentionPolicy::Enforce && cutoff > now.years_before(RETENTION_YEARS) {
            return Err(StoreError::RetentionFloor {
                cutoff,
                now,
                years: RETENTION_YEARS,
            });
        }
        let deleted = on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(classify)?;
            for sql in PURGE_CHILDREN {
                sqlx::query(sql)
                    .bind(cutoff.as_millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
            }
            let deleted = sqlx::query("DELETE FROM calls WHERE started_at < $1")
                .bind(cutoff.as_millis())
                .execute(&mut *tx)
                .await
                .map_err(classify)?
                .rows_affected();
            tx.commit().await.map_err(classify)?;
            deleted
        });
        Ok(deleted)
    }

    /// Connects without migrating.
    async fn connect(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => {
                let connect = SqliteConnectOptions::from_str(url)
                    .map_err(classify)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(options.busy_timeout)
                    .foreign_keys(true);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory && url.contains("mode=rwc") {
                    create_parent_folder(connect.get_filename())?;
                }
                let mut pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.acquire_timeout);
                if in_memory {
                    pool = pool
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                }
                let pool = pool.connect_with(connect).await.map_err(classify)?;
                Ok(Store::Sqlite(pool))
            }
            "postgres" | "postgresql" => {
                let connect = PgConnectOptions::from_str(url).map_err(classify)?;
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(classify)?;
                Ok(Store::Postgres(pool))
            }
            _ => Err(StoreError::UnsupportedUrl { scheme }),
        }
    }
}

/// The migrations embedded in the binary, per backend: (version, description, SQLite SQL,
/// PostgreSQL SQL). Both folders hold the same logical schema.
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "register",
        include_str!("../migrations/sqlite/0001_register.sql"),
        include_str!("../migrations/postgres/0001_register.sql"),
    ),
    (
        2,
        "crm",
        include_str!("../migrations/sqlite/0002_crm.sql"),
        include_str!("../migrations/postgres/0002_crm.sql"),
    ),
    (
        3,
        "announced_wait",
        include_str!("../migrations/sqlite/0003_announced_wait.sql"),
        include_str!("../migrations/postgres/0003_announced_wait.sql"),
    ),
];

/// Expands `$body` once per pool type with `$pool` bound to the concrete pool.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// `SELECT <the register columns> FROM calls <rest>` as one static string.
macro_rules! select_calls {
    ($rest:literal) => {
        concat!(
            "SELECT id, channel, trunk, dialled, caller, started_at, operator_requested_at, ",
            "answered_at, ended_at, queue, agent, wait_seconds, talk_seconds, hangup_side, ",
            "hangup_cause, outcome, recording_path, ticket_id, announced_wait_seconds FROM calls ",
            $rest
        )
    };
}
use select_calls;

const UPDATE_CALL: &str = "UPDATE calls SET \
    operator_requested_at = COALESCE($2, operator_requested_at), \
    answered_at = COALESCE($3, answered_at), \
    ended_at = COALESCE($4, ended_at), \
    queue = COALESCE($5, queue), \
    agent = COALESCE($6, agent), \
    wait_seconds = COALESCE($7, wait_seconds), \
    talk_seconds = COALESCE($8, talk_seconds), \
    hangup_side = COALESCE($9, hangup_side), \
    hangup_cause = COALESCE($10, hangup_cause), \
    outcome = COALESCE($11, outcome), \
    recording_path = COALESCE($12, recording_path), \
    ticket_id = COALESCE($13, ticket_id), \
    announced_wait_seconds = COALESCE($14, announced_wait_seconds) \
    WHERE id = $1";

const DERIVE_DURATIONS: &str = "UPDATE calls SET \
    wait_seconds = COALESCE(wait_seconds, CASE \
        WHEN operator_requested_at IS NOT NULL \
         AND COALESCE(answered_at, ended_at) >= operator_requested_at \
        THEN (COALESCE(answered_at, ended_at) - operator_requested_at) / 1000 END), \
    talk_seconds = COALESCE(talk_seconds, CASE \
        WHEN answered_at IS NOT NULL AND ended_at >= answered_at \
        THEN (ended_at - answered_at) / 1000 END) \
    WHERE id = $1";

const CLOSE_INTERRUPTED: &str = "UPDATE calls SET \
    ended_at = $1, \
    outcome = 'interrupted', \
    hangup_side = 'system', \
    hangup_cause = COALESCE(hangup_cause, 'engine restarted'), \
    wait_seconds = COALESCE(wait_seconds, CASE \
        WHEN operator_requested_at IS NOT NULL AND answered_at >= operator_requested_at \
        THEN (answered_at - operator_requested_at) / 1000 END) \
    WHERE ended_at IS NULL";

const PURGE_CHILDREN: [&str; 2] = [
    "DELETE FROM call_events WHERE call_id IN (SELECT id FROM calls WHERE started_at < $1)",
    "DELETE FROM call_legs WHERE call_id IN (SELECT id FROM calls WHERE started_at < $1)",
];

fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => *sqlite,
                Backend::Postgres => *postgres,
            };
            Migration::new(
                *version,
                (*description).into(),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

fn create_parent_folder(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() && !folder.is_dir() => {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::CreateFolder {
                path: folder.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// A foreign-key violation on insert means the call id is unknown.
fn unknown_call_or(call: CallId, error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => {
            StoreError::UnknownCall(call)
        }
        _ => classify(error),
    }
}

fn call_from_row<R>(row: &R) -> Result<CallRecord, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let at = |column: &'static str| -> Result<Option<UnixMillis>, StoreError> {
        Ok(get::<Option<i64>, R>(row, column)?.map(UnixMillis::from_millis))
    };
    let channel: String = get(row, "channel")?;
    Ok(CallRecord {
        id: CallId(get(row, "id")?),
        channel: Channel::parse(&channel).ok_or(StoreError::Corrupt {
            column: "channel",
            value: channel.clone(),
        })?,
        from: get(row, "caller")?,
        to: get(row, "dialled")?,
        trunk: get(row, "trunk")?,
        started_at: UnixMillis::from_millis(get(row, "started_at")?),
        operator_requested_at: at("operator_requested_at")?,
        answered_at: at("answered_at")?,
        ended_at: at("ended_at")?,
        queue: get(row, "queue")?,
        agent: get(row, "agent")?,
        wait_seconds: get(row, "wait_seconds")?,
        talk_seconds: get(row, "talk_seconds")?,
        hangup_side: parse_opt(row, "hangup_side", HangupSide::parse)?,
        hangup_cause: get(row, "hangup_cause")?,
        outcome: parse_opt(row, "outcome", Outcome::parse)?,
        recording_path: get(row, "recording_path")?,
        ticket_id: get(row, "ticket_id")?,
        announced_wait_seconds: get(row, "announced_wait_seconds")?,
    })
}

fn leg_from_row<R>(row: &R) -> Result<(LegId, NewLeg), StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let at = |column: &'static str| -> Result<Option<UnixMillis>, StoreError> {
        Ok(get::<Option<i64>, R>(row, column)?.map(UnixMillis::from_millis))
    };
    let role = parse_opt(row, "role", LegRole::parse)?.ok_or(StoreError::Corrupt {
        column: "role",
        value: String::new(),
    })?;
    let leg = NewLeg {
        role,
        peer: get(row, "peer")?,
        agent: get(row, "agent")?,
        started_at: UnixMillis::from_millis(get(row, "started_at")?),
        answered_at: at("answered_at")?,
        ended_at: at("ended_at")?,
        hangup_cause: get(row, "hangup_cause")?,
        sip_call_id: get(row, "sip_call_id")?,
    };
    Ok((LegId(get(row, "id")?), leg))
}

fn event_from_row<R>(row: &R) -> Result<NewEvent, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let detail: String = get(row, "detail")?;
    Ok(NewEvent {
        at: UnixMillis::from_millis(get(row, "at")?),
        kind: get(row, "kind")?,
        agent: get(row, "agent")?,
        queue: get(row, "queue")?,
        detail: serde_json::from_str(&detail).map_err(|_| StoreError::Corrupt {
            column: "detail",
            value: detail.clone(),
        })?,
    })
}

pub(crate) fn get<T, R>(row: &R, column: &'static str) -> Result<T, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(column).map_err(classify)
}

pub(crate) fn parse_opt<T, R>(
    row: &R,
    column: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    match get::<Option<String>, R>(row, column)? {
        None => Ok(None),
        Some(text) => match parse(&text) {
            Some(value) => Ok(Some(value)),
            None => Err(StoreError::Corrupt {
                column,
                value: text,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sla9_demo_url_names_a_relative_file_under_data() {
        let options =
            SqliteConnectOptions::from_str("sqlite://data/centralino.db?mode=rwc").unwrap();
        assert_eq!(options.get_filename(), Path::new("data/centralino.db"));
    }

    #[test]
    fn migrators_hold_every_embedded_migration_per_backend() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let migrator = migrator(backend);
            let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
            let expected: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
            assert_eq!(versions, expected);
        }
    }
}
