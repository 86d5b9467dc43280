//! Measurement for issue 4, "Measure and report": p99 time from a call event published on the CTI bus to its arrival at a CRM webhook [CTI-1, CTI-3, CRM-9, SLA-9].
//!
//! A local HTTP/1.1 receiver (a raw `TcpListener` answering `200 OK`, keep-alive) stands in
//! for the CRM; `spawn_webhooks` delivers to it through a `MemoryOutbox` (the SQL outbox
//! adapter lives in the binary and is not measured here). The driver publishes `EVENTS`
//! (default 1,000) `call.answered` events at `RATE` per second (default 100), each carrying
//! in its data the publish instant as nanoseconds on a monotonic clock shared in-process
//! (`t_ns`, taken right before `CtiBus::publish`). The receiver reads the body, parses the
//! event and subtracts `t_ns` from its own reading of the same clock once the whole request
//! is in; so the figure covers tap → ingest → outbox push → delivery task → HMAC signing →
//! HTTP request → receiver.
//!
//! Usage: `cargo run --release -p cti-bus --example webhook_latency`. Prints
//! `webhook_latency events=.. rate=.. delivered=.. p50_ms=.. p99_ms=.. max_ms=.. retries=.. load=..`.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cti_bus::{CtiBus, CtiEvent, MemoryOutbox, WebhookConfig, spawn_webhooks};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::MissedTickBehavior;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: u32 = env_number("EVENTS", 1_000);
    let rate: u32 = env_number("RATE", 100);
    // Fixes the clock origin before anything reads it.
    let _ = since_epoch();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let arrivals: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let receiver = tokio::spawn(accept(listener, Arc::clone(&arrivals)));

    let bus = CtiBus::new(1_024);
    let mut endpoint = WebhookConfig::new("bench", format!("http://{addr}/hook"), "bench-secret");
    endpoint.timeout = Duration::from_secs(2);
    endpoint.retry_initial = Duration::from_millis(50);
    endpoint.retry_max = Duration::from_millis(500);
    let webhooks = spawn_webhooks(&bus, Arc::new(MemoryOutbox::new()), vec![endpoint]);

    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    for n in 0..events {
        tick.tick().await;
        let t_ns = since_epoch().as_nanos() as u64;
        bus.publish(
            "call.answered",
            Some(u64::from(n)),
            serde_json::json!({ "agent": "2001", "channel": "verde", "waited": 12, "t_ns": t_ns }),
        );
    }
    // Every event should arrive well within this; a shortfall is reported, not hidden.
    let deadline = Instant::now() + Duration::from_secs(15);
    while lock(&arrivals).len() < events as usize && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = webhooks.stats();
    webhooks.stop().await;
    receiver.abort();
    let mut latencies = lock(&arrivals).clone();
    latencies.sort_unstable();
    let endpoint = stats.endpoints.first();
    println!(
        "webhook_latency events={events} rate={rate} delivered={} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} retries={} lagged={} load={}",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        endpoint.map_or(0, |e| e.retries),
        stats.lagged,
        load(),
    );
    Ok(())
}

/// The process's monotonic clock origin, shared by publisher and receiver.
fn since_epoch() -> Duration {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed()
}

/// Accepts connections for as long as the measurement runs.
async fn accept(listener: TcpListener, arrivals: Arc<Mutex<Vec<Duration>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream, Arc::clone(&arrivals)));
    }
}

/// Reads requests on one keep-alive connection, answering each `200 OK`.
async fn serve(mut stream: TcpStream, arrivals: Arc<Mutex<Vec<Duration>>>) {
    let mut buf: Vec<u8> = Vec::with_capacity(4_096);
    let mut chunk = [0u8; 4_096];
    loop {
        // Complete requests already buffered are answered before reading more.
        while let Some((head_len, body_len)) = request_bounds(&buf) {
            let Some(end) = head_len.checked_add(body_len) else {
                return;
            };
            if buf.len() < end {
                break;
            }
            let arrived = since_epoch();
            if let Some(body) = buf.get(head_len..end)
                && let Ok(event) = serde_json::from_slice::<CtiEvent>(body)
                && let Some(t_ns) = event.data.get("t_ns").and_then(serde_json::Value::as_u64)
            {
                lock(&arrivals).push(arrived.saturating_sub(Duration::from_nanos(t_ns)));
            }
            buf.drain(..end);
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
}

/// The length of a buffered request head (through the blank line) and its `Content-Length`.
fn request_bounds(buf: &[u8]) -> Option<(usize, usize)> {
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")?
        .checked_add(4)?;
    let head = std::str::from_utf8(buf.get(..head_end)?).ok()?;
    let body_len = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    Some((head_end, body_len))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The value at quantile `q` of a sorted slice (nearest rank), or zero when empty.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1))
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
