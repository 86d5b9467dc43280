//! Measurement for issue 4, "Measure and report": store write latency p99 per call on SQLite and PostgreSQL at 50 calls/s through the `StoreWriter` write-behind queue [SLA-9, CRM-9, CTI-1, CTI-3].
//!
//! Each call is the register's real write pattern (`call-runtime/src/register.rs`): insert,
//! operator requested, ticket opened (the first offer to an agent), answered, one leg, one
//! event-log entry, ended — seven records queued back to back, as if the whole call happened
//! at once (the worst case for the queue). The per-call latency runs from the call's first
//! enqueue to the moment the writer has written its last record: right after queueing the
//! seven records the driver sends a `StoreWriter::flush`, which the single writer task
//! answers only once every record queued before it is written, so the figure includes the
//! time spent queued behind other calls. Queue depth is `WriterStats::queued` sampled right
//! after each call's records are queued.
//!
//! Usage: `cargo run --release -p sql-store --example write_latency [URL]`. Without a URL it
//! measures a fresh SQLite file in a temporary folder and, when `CENTRALINO_TEST_PG` is set
//! (`eval "$(bash tests/postgres.sh)"`), a fresh PostgreSQL database created next to the one
//! it names (dropped afterwards). `RATE` (calls/s, default 50) and `SECS` (default 20) tune
//! the run. Prints one line per backend:
//! `write_latency backend=.. calls=.. rate=.. p50_ms=.. p99_ms=.. max_ms=.. ... load=..`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sql_store::{
    CallUpdate, Channel, HangupSide, LegRole, NewCall, NewEvent, NewLeg, NewTicket, Outcome, Store,
    StoreWriter, UnixMillis, WriterConfig,
};
use sqlx::Connection;
use tokio::sync::Mutex;
use tokio::time::{Instant, MissedTickBehavior};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rate: u32 = env_number("RATE", 50);
    let secs: u32 = env_number("SECS", 20);
    let mut targets: Vec<Target> = Vec::new();
    match std::env::args().nth(1) {
        Some(url) => targets.push(Target {
            label: backend_label(&url),
            url,
            drop_pg: None,
            remove_dir: None,
        }),
        None => {
            let dir = std::env::temp_dir()
                .join(format!("centralino-write-latency-{}", std::process::id()));
            targets.push(Target {
                label: "sqlite".into(),
                url: format!("sqlite://{}/data/centralino.db?mode=rwc", dir.display()),
                drop_pg: None,
                remove_dir: Some(dir),
            });
            match std::env::var("CENTRALINO_TEST_PG") {
                Ok(admin) if !admin.is_empty() => targets.push(fresh_postgres(&admin).await?),
                _ => {
                    eprintln!("write_latency: CENTRALINO_TEST_PG not set: PostgreSQL not measured")
                }
            }
        }
    }
    for target in &targets {
        let store = Store::open(&target.url).await?;
        let report = drive(store.clone(), rate, secs).await;
        println!(
            "write_latency backend={} calls={} rate={} records_per_call=7 p50_ms={:.2} p99_ms={:.2} max_ms={:.2} \
             queue_depth_p99={} queue_depth_max={} failed={} dropped={} load={}",
            target.label,
            report.latencies.len(),
            rate,
            ms(percentile(&report.latencies, 0.50)),
            ms(percentile(&report.latencies, 0.99)),
            ms(report.latencies.last().copied().unwrap_or_default()),
            percentile(&report.depths, 0.99),
            report.depths.last().copied().unwrap_or_default(),
            report.failed,
            report.dropped,
            load(),
        );
        store.close().await;
        if let Some(dir) = &target.remove_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = &target.drop_pg {
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut conn)
            .await?;
            conn.close().await?;
        }
    }
    Ok(())
}

/// A database to measure.
struct Target {
    label: String,
    url: String,
    /// The admin URL and database name to drop after the run.
    drop_pg: Option<(String, String)>,
    /// The temporary folder of a SQLite file to delete after the run.
    remove_dir: Option<std::path::PathBuf>,
}

/// What one run observed; both vectors sorted ascending.
struct Report {
    latencies: Vec<Duration>,
    depths: Vec<u64>,
    failed: u64,
    dropped: u64,
}

/// Queues `rate` calls per second for `secs` seconds and waits for every call's flush.
async fn drive(store: Store, rate: u32, secs: u32) -> Report {
    let (writer, task) = StoreWriter::spawn(store, WriterConfig::default());
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut depths = Vec::new();
    let mut waits = Vec::new();
    let period = Duration::from_secs(1) / rate.max(1);
    let mut tick = tokio::time::interval(period);
    // Keeps the average rate when the driver falls behind (a late tick fires at once).
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let total = rate.saturating_mul(secs);
    for n in 0..total {
        tick.tick().await;
        let first_enqueue = Instant::now();
        queue_one_call(&writer, n);
        depths.push(writer.stats().queued);
        let writer = writer.clone();
        let latencies = Arc::clone(&latencies);
        waits.push(tokio::spawn(async move {
            if writer.flush().await.is_ok() {
                latencies.lock().await.push(first_enqueue.elapsed());
            }
        }));
    }
    for wait in waits {
        let _ = wait.await;
    }
    let stats = writer.stats();
    drop(writer);
    let _ = task.await;
    let mut latencies = std::mem::take(&mut *latencies.lock().await);
    latencies.sort_unstable();
    depths.sort_unstable();
    Report {
        latencies,
        depths,
        failed: stats.failed,
        dropped: stats.dropped,
    }
}

/// The seven records of one answered queue call, in the order the engine queues them.
fn queue_one_call(writer: &StoreWriter, n: u32) {
    let started = UnixMillis::from_system_time(SystemTime::now());
    let later = |ms: i64| UnixMillis::from_millis(started.as_millis().saturating_add(ms));
    let caller = format!("+39333{n:07}");
    let agent = "2001";
    let call = NewCall {
        channel: Channel::Verde,
        trunk: Some("carrier".into()),
        dialled: "800904277".into(),
        caller: caller.clone(),
        started_at: started,
        sip_call_id: Some(format!("bench-{n}@127.0.0.1")),
    };
    let Ok(key) = writer.insert_call(call) else {
        return;
    };
    let _ = writer.update_call(
        key,
        CallUpdate::operator_requested(later(5_000), Some("verde")),
    );
    let ticket = NewTicket {
        channel: "verde".into(),
        caller: Some(caller.clone()),
        agent: Some(agent.into()),
        level: 1,
        ..NewTicket::default()
    };
    let _ = writer.open_ticket(key, ticket, later(20_000));
    let _ = writer.update_call(key, CallUpdate::answered(later(25_000), agent));
    let _ = writer.add_leg(
        key,
        NewLeg {
            role: LegRole::Agent,
            peer: format!("sip:{agent}@127.0.0.1"),
            agent: Some(agent.into()),
            started_at: later(20_000),
            answered_at: Some(later(25_000)),
            ended_at: Some(later(145_000)),
            hangup_cause: Some("BYE".into()),
            sip_call_id: Some(format!("bench-{n}-agent@127.0.0.1")),
        },
    );
    let _ = writer.add_event(
        key,
        NewEvent {
            at: later(20_000),
            kind: "agent.offered".into(),
            agent: Some(agent.into()),
            queue: Some("verde".into()),
            detail: serde_json::json!({ "waited": 15 }),
        },
    );
    let _ = writer.update_call(
        key,
        CallUpdate::ended(later(145_000), Outcome::Answered, HangupSide::Caller, "BYE"),
    );
}

/// Creates `centralino_bench_<pid>` on the server `admin` names; the target drops it afterwards.
async fn fresh_postgres(admin: &str) -> Result<Target, Box<dyn std::error::Error>> {
    let name = format!("centralino_bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let base = admin.split('?').next().unwrap_or(admin);
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    Ok(Target {
        label: "postgres".into(),
        url: format!("{server}/{name}"),
        drop_pg: Some((admin.to_owned(), name)),
        remove_dir: None,
    })
}

/// `sqlite` or `postgres` from a URL's scheme.
fn backend_label(url: &str) -> String {
    if url.starts_with("postgres") {
        "postgres".into()
    } else {
        "sqlite".into()
    }
}

/// The value at quantile `q` of a sorted slice (nearest rank), or the default when empty.
fn percentile<T: Copy + Default>(sorted: &[T], q: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// An environment variable as a number, or `default`.
fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), joined by `/`.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join("/"))
        .unwrap_or_else(|_| "unknown".into())
}
