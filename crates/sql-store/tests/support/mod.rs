//! Test harness of the store tests [SLA-9]: every test runs on SQLite (a temporary file) and,
//! when `CENTRALINO_TEST_PG` is set (see `tests/postgres.sh`), on a fresh PostgreSQL database
//! too. Under CI (`CI` set) a missing `CENTRALINO_TEST_PG` fails the test instead of skipping.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sql_store::{Store, StoreOptions};
use sqlx::{Connection, PgConnection, SqliteConnection};

/// One backend prepared for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub label: &'static str,
    kind: Kind,
    lock: Option<SqliteConnection>,
}

enum Kind {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String },
}

/// Every backend to run `test` on, each opened (and migrated) with default options.
pub async fn backends(test: &str) -> Vec<TestDb> {
    backends_with(test, &StoreOptions::default()).await
}

/// Every backend to run `test` on, opened with `options`.
pub async fn backends_with(test: &str, options: &StoreOptions) -> Vec<TestDb> {
    let mut dbs = vec![sqlite(test, options).await];
    match std::env::var("CENTRALINO_TEST_PG") {
        Ok(url) if !url.is_empty() => dbs.push(postgres(&url, test, options).await),
        _ if ci() => panic!(
            "CENTRALINO_TEST_PG is not set while CI is: the store tests must also run on \
             PostgreSQL; run `eval \"$(bash tests/postgres.sh)\"` first"
        ),
        _ => eprintln!("CENTRALINO_TEST_PG not set: {test} runs on SQLite only"),
    }
    dbs
}

/// A unique SQLite URL under a fresh temporary folder (the `data/` subfolder does not exist
/// yet, so opening it exercises folder creation).
pub fn sqlite_url(test: &str) -> (String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("sql-store-{}-{}", short(test), unique()));
    let url = format!("sqlite://{}/data/centralino.db?mode=rwc", dir.display());
    (url, dir)
}

impl TestDb {
    /// Makes the database refuse work until `restore`: SQLite is locked by another
    /// connection's exclusive transaction; PostgreSQL stops accepting connections and its
    /// sessions are terminated.
    pub async fn outage(&mut self) {
        match &self.kind {
            Kind::Sqlite { .. } => {
                let mut conn = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql("BEGIN EXCLUSIVE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                self.lock = Some(conn);
            }
            Kind::Postgres { admin_url, name } => {
                let mut admin = PgConnection::connect(admin_url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                     SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid();"
                )))
                .execute(&mut admin)
                .await
                .unwrap();
                admin.close().await.unwrap();
            }
        }
    }

    /// Ends the outage started by `outage`.
    pub async fn restore(&mut self) {
        match &self.kind {
            Kind::Sqlite { .. } => {
                if let Some(mut conn) = self.lock.take() {
                    sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                }
            }
            Kind::Postgres { admin_url, name } => {
                let mut admin = PgConnection::connect(admin_url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "ALTER DATABASE {name} ALLOW_CONNECTIONS true"
                )))
                .execute(&mut admin)
                .await
                .unwrap();
                admin.close().await.unwrap();
            }
        }
    }

    /// Closes the store and deletes the database.
    pub async fn finish(self) {
        self.store.close().await;
        match self.kind {
            Kind::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Kind::Postgres { admin_url, name } => {
                let mut admin = PgConnection::connect(&admin_url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .unwrap();
                admin.close().await.unwrap();
            }
        }
    }
}

/// Polls `check` every 20 ms until it holds, failing after `limit`.
pub async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

async fn sqlite(test: &str, options: &StoreOptions) -> TestDb {
    let (url, dir) = sqlite_url(test);
    let store = Store::open_with(&url, options).await.unwrap();
    TestDb {
        store,
        url,
        label: "sqlite",
        kind: Kind::Sqlite { dir },
        lock: None,
    }
}

async fn postgres(admin_url: &str, test: &str, options: &StoreOptions) -> TestDb {
    let name = format!("ct_{}_{}", short(test), unique());
    let mut admin = PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach CENTRALINO_TEST_PG: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = with_database(admin_url, &name);
    let store = Store::open_with(&url, options).await.unwrap();
    TestDb {
        store,
        url,
        label: "postgres",
        kind: Kind::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        },
        lock: None,
    }
}

/// `url` with its database path replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

fn short(test: &str) -> String {
    test.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(24)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn unique() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}
