//! Measurement for issue 4, "Measure and report": the events per second the CTI bus sustains to 100 WebSocket subscribers, and the p99 time from a call event to its arrival at a subscriber [CTI-1, CTI-3, CRM-9, SLA-9].
//!
//! The real API (`http_api::serve` with the full router, a SQLite store in a temporary
//! folder, and a `supervisor` web user who sees every event) listens on 127.0.0.1:0.
//! `SUBSCRIBERS` (default 100) minimal hand-written WebSocket clients (RFC 6455 §4.1 opening
//! handshake with HTTP Basic credentials, then §5.2 unmasked server frames; they only
//! read, so they never send a frame) connect to `/api/events`. The driver then publishes
//! `call.answered` events on the `CtiBus` in steps of increasing rate (`RATES`, events/s,
//! default 100,500,1000,…,4000,6000,8000; `STEP_SECS` each, default 4), and stops
//! after the first step that fails. A step is sustained when every subscriber received
//! every event of the step and no subscriber got an `events.lost` notice.
//!
//! Latency: each event carries in its data the publish instant as nanoseconds on a
//! monotonic clock shared in-process (`t_ns`, read right before `CtiBus::publish`); a
//! client subtracts it from its own reading once a whole frame is in. Latencies go into a
//! log-linear histogram (32 sub-buckets per power of two, so figures are within ~3 %).
//! Clients run in the same process and share the machine's cores with the server, so the
//! rates are a lower bound for a server with the cores to itself.
//!
//! `NODELAY=1` serves the same router through `axum::serve` with TCP_NODELAY set on each
//! accepted socket instead of through `http_api::serve` (which leaves Nagle's algorithm on),
//! to tell the server's own latency from Nagle's.
//!
//! Usage: `cargo run --release -p http-api --example ws_fanout`. Prints one
//! `ws_fanout_step ...` line per step and a final
//! `ws_fanout subscribers=.. events_per_s=.. frames_per_s=.. p50_ms=.. p99_ms=.. max_ms=.. load=..`
//! for the highest sustained step. Runtime is bounded (at most about 60 s).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use http_api::{ApiState, Authenticator, Role, WebUser, WebUsers};
use serde::Deserialize;
use sql_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The production bus capacity (`call-runtime`).
const BUS_CAPACITY: usize = 4_096;
/// The whole run stops publishing after this long, whatever the steps.
const RUN_LIMIT: Duration = Duration::from_secs(50);
/// How long a step's stragglers may take to arrive after publishing stops.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = since_epoch();
    let subscribers: usize = env_number("SUBSCRIBERS", 100);
    let step_secs: u64 = env_number("STEP_SECS", 4);
    let rates: Vec<u64> = std::env::var("RATES")
        .unwrap_or_else(|_| "100,500,1000,1500,2000,2500,3000,3500,4000,6000,8000".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();

    let dir = std::env::temp_dir().join(format!("centralino-ws-fanout-{}", std::process::id()));
    let store = Store::open(&format!("sqlite://{}/data/api.db?mode=rwc", dir.display())).await?;
    let users = WebUsers::new(vec![WebUser {
        name: "supervisor".into(),
        password: "supervisor".into(),
        role: Role::Supervisor,
    }]);
    let bus = cti_bus::CtiBus::new(BUS_CAPACITY);
    let state = ApiState {
        metrics: None,
        cti: bus.clone(),
        auth: Arc::new(Authenticator::new(users, Some(store.clone()))),
        store: Some(store),
        control: None,
        files_root: dir.clone(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // `NODELAY=1` serves the same router with TCP_NODELAY on accepted sockets, to show what
    // Nagle's algorithm costs `http_api::serve` (which leaves it on).
    let nodelay = std::env::var("NODELAY").is_ok_and(|v| v == "1");
    let server = if nodelay {
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, http_api::router(state)).await;
        })
    } else {
        tokio::spawn(http_api::serve(listener, state))
    };

    let stats: Vec<Arc<Mutex<ClientStats>>> = (0..subscribers)
        .map(|_| Arc::new(Mutex::new(ClientStats::new(rates.len()))))
        .collect();
    let mut clients = Vec::with_capacity(subscribers);
    for s in &stats {
        let stream = connect(addr, "supervisor", "supervisor").await?;
        clients.push(tokio::spawn(read_frames(stream, Arc::clone(s))));
    }
    let ready = Instant::now();
    while bus.subscriber_count() < subscribers && ready.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if bus.subscriber_count() < subscribers {
        return Err(format!(
            "only {} of {subscribers} subscribers connected",
            bus.subscriber_count()
        )
        .into());
    }

    let run = Instant::now();
    let mut best: Option<StepResult> = None;
    for (step, &rate) in rates.iter().enumerate() {
        if run.elapsed() >= RUN_LIMIT {
            eprintln!("ws_fanout: run limit reached before the {rate}/s step");
            break;
        }
        let result = run_step(
            &bus,
            &stats,
            step,
            rate,
            Duration::from_secs(step_secs),
            subscribers,
        )
        .await;
        println!(
            "ws_fanout_step subscribers={subscribers} nodelay={nodelay} offered_per_s={rate} published={} published_per_s={:.0} frames_delivered={} frames_expected={} lost={} frames_per_s={:.0} sustained={} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} load={}",
            result.published,
            result.published_per_s,
            result.delivered,
            result.published.saturating_mul(subscribers as u64),
            result.lost,
            result.frames_per_s,
            result.sustained,
            ms(result.hist.quantile(0.50)),
            ms(result.hist.quantile(0.99)),
            ms(result.hist.max()),
            load(),
        );
        if !result.sustained {
            break;
        }
        best = Some(result);
    }
    match best {
        Some(b) => println!(
            "ws_fanout subscribers={subscribers} nodelay={nodelay} events_per_s={:.0} frames_per_s={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} lost=0 load={}",
            b.published_per_s,
            b.frames_per_s,
            ms(b.hist.quantile(0.50)),
            ms(b.hist.quantile(0.99)),
            ms(b.hist.max()),
            load(),
        ),
        None => println!(
            "ws_fanout subscribers={subscribers} nodelay={nodelay} events_per_s=0 (no step sustained) load={}",
            load()
        ),
    }
    for c in clients {
        c.abort();
    }
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// What one step observed, merged over every subscriber.
struct StepResult {
    published: u64,
    published_per_s: f64,
    delivered: u64,
    lost: u64,
    frames_per_s: f64,
    sustained: bool,
    hist: Histogram,
}

/// One subscriber's counters, per step.
struct ClientStats {
    steps: Vec<StepStats>,
    /// The step of the last event seen (a loss notice is charged to it).
    current: usize,
}

#[derive(Clone, Default)]
struct StepStats {
    received: u64,
    lost: u64,
    hist: Histogram,
    last_arrival: Duration,
}

impl ClientStats {
    fn new(steps: usize) -> Self {
        ClientStats {
            steps: vec![StepStats::default(); steps],
            current: 0,
        }
    }
}

/// Publishes `rate` events/s for `length`, waits for stragglers, and merges the counters.
async fn run_step(
    bus: &cti_bus::CtiBus,
    stats: &[Arc<Mutex<ClientStats>>],
    step: usize,
    rate: u64,
    length: Duration,
    subscribers: usize,
) -> StepResult {
    let start = Instant::now();
    let mut published: u64 = 0;
    loop {
        let elapsed = start.elapsed();
        if elapsed >= length {
            break;
        }
        // Catches up to the schedule every millisecond, so the average rate holds.
        let due = (rate as f64 * elapsed.as_secs_f64()) as u64;
        while published < due {
            let t_ns = since_epoch().as_nanos() as u64;
            bus.publish(
                "call.answered",
                Some(published),
                serde_json::json!({ "agent": "2001", "channel": "verde", "queue": "verde", "waited": 12, "step": step, "t_ns": t_ns }),
            );
            published = published.saturating_add(1);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let published_per_s = published as f64 / start.elapsed().as_secs_f64();
    let expected = published.saturating_mul(subscribers as u64);
    let drain = Instant::now();
    loop {
        let (received, lost) = totals(stats, step);
        if received.saturating_add(lost) >= expected || drain.elapsed() >= DRAIN_LIMIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut merged = StepStats::default();
    for s in stats {
        let s = lock(s);
        if let Some(st) = s.steps.get(step) {
            merged.received = merged.received.saturating_add(st.received);
            merged.lost = merged.lost.saturating_add(st.lost);
            merged.hist.merge(&st.hist);
            merged.last_arrival = merged.last_arrival.max(st.last_arrival);
        }
    }
    let step_start = since_epoch().saturating_sub(start.elapsed());
    let span = merged.last_arrival.saturating_sub(step_start).max(length);
    StepResult {
        published,
        published_per_s,
        delivered: merged.received,
        lost: merged.lost,
        frames_per_s: merged.received as f64 / span.as_secs_f64(),
        sustained: merged.lost == 0 && merged.received == expected,
        hist: merged.hist,
    }
}

/// Frames received and events lost by every subscriber in `step`.
fn totals(stats: &[Arc<Mutex<ClientStats>>], step: usize) -> (u64, u64) {
    stats.iter().fold((0, 0), |(r, l), s| {
        let s = lock(s);
        let st = s.steps.get(step).cloned().unwrap_or_default();
        (r.saturating_add(st.received), l.saturating_add(st.lost))
    })
}

/// Opens a WebSocket to `/api/events` with HTTP Basic credentials (RFC 6455 §4.1) and
/// returns the stream positioned after the `101` answer (with any early frame bytes kept).
async fn connect(
    addr: std::net::SocketAddr,
    user: &str,
    password: &str,
) -> Result<(TcpStream, Vec<u8>), Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Basic {}\r\n\r\n",
        base64(format!("{user}:{password}").as_bytes())
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1_024);
    let mut chunk = [0u8; 1_024];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p.saturating_add(4);
        }
        if buf.len() > 16_384 {
            return Err("handshake answer too long".into());
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await??;
        if n == 0 {
            return Err("connection closed during the handshake".into());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    };
    if !buf.starts_with(b"HTTP/1.1 101") {
        let head = String::from_utf8_lossy(buf.get(..head_end).unwrap_or_default()).into_owned();
        return Err(format!("upgrade refused: {head}").into());
    }
    let rest = buf.split_off(head_end);
    Ok((stream, rest))
}

/// Reads server frames (RFC 6455 §5.2: never masked, never fragmented by this server) and
/// records each event's latency until the connection ends.
async fn read_frames((mut stream, mut buf): (TcpStream, Vec<u8>), stats: Arc<Mutex<ClientStats>>) {
    let mut chunk = vec![0u8; 64 * 1_024];
    loop {
        let mut used = 0;
        while let Some((header, len, opcode)) = frame_bounds(buf.get(used..).unwrap_or_default()) {
            let start = used.saturating_add(header);
            let Some(end) = start.checked_add(len) else {
                return;
            };
            if end > buf.len() {
                break;
            }
            let arrived = since_epoch();
            match opcode {
                0x1 => record(&stats, buf.get(start..end).unwrap_or_default(), arrived),
                0x8 => return,
                _ => {}
            }
            used = end;
        }
        buf.drain(..used);
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
}

/// A CTI event as far as this client cares: its kind and the two probes it carries.
#[derive(Deserialize)]
struct Probe {
    kind: String,
    #[serde(default)]
    data: ProbeData,
}

#[derive(Deserialize, Default)]
struct ProbeData {
    step: Option<usize>,
    t_ns: Option<u64>,
    count: Option<u64>,
}

/// Counts one text frame: an event's latency, or an `events.lost` notice.
fn record(stats: &Mutex<ClientStats>, payload: &[u8], arrived: Duration) {
    let Ok(probe) = serde_json::from_slice::<Probe>(payload) else {
        return;
    };
    let mut s = lock(stats);
    if probe.kind == "events.lost" {
        let current = s.current;
        if let Some(st) = s.steps.get_mut(current) {
            st.lost = st.lost.saturating_add(probe.data.count.unwrap_or(1));
        }
        return;
    }
    let (Some(step), Some(t_ns)) = (probe.data.step, probe.data.t_ns) else {
        return;
    };
    s.current = step;
    if let Some(st) = s.steps.get_mut(step) {
        st.received = st.received.saturating_add(1);
        st.last_arrival = arrived;
        st.hist
            .add(arrived.saturating_sub(Duration::from_nanos(t_ns)));
    }
}

/// The header length, payload length and opcode of the frame at the start of `buf`, once
/// its header is complete.
fn frame_bounds(buf: &[u8]) -> Option<(usize, usize, u8)> {
    let b0 = *buf.first()?;
    let b1 = *buf.get(1)?;
    let masked = b1 & 0x80 != 0;
    let (mut header, len) = match b1 & 0x7f {
        126 => (
            4,
            usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
        ),
        127 => (
            10,
            usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?,
        ),
        n => (2, usize::from(n)),
    };
    if masked {
        header += 4;
    }
    if buf.len() < header {
        return None;
    }
    Some((header, len, b0 & 0x0f))
}

/// A log-linear latency histogram in microseconds: exact below 64 µs, then 32 buckets
/// per power of two.
#[derive(Clone)]
struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: Duration,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: Duration::ZERO,
        }
    }
}

/// 64 exact buckets plus 32 per power of two from 2^6 to 2^63 µs.
const BUCKETS: usize = 64 + 58 * 32;

impl Histogram {
    fn add(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        if let Some(c) = self.counts.get_mut(bucket(us)) {
            *c = c.saturating_add(1);
        }
        self.total = self.total.saturating_add(1);
        self.max = self.max.max(d);
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        self.total = self.total.saturating_add(other.total);
        self.max = self.max.max(other.max);
    }

    /// The upper bound of the bucket holding quantile `q` (nearest rank).
    fn quantile(&self, q: f64) -> Duration {
        let rank = ((q * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(*c);
            if seen >= rank {
                return Duration::from_micros(bucket_upper(i)).min(self.max);
            }
        }
        self.max
    }

    fn max(&self) -> Duration {
        self.max
    }
}

fn bucket(us: u64) -> usize {
    if us < 64 {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros() as usize;
    let mantissa = ((us >> (exp - 5)) & 31) as usize;
    64 + (exp - 6) * 32 + mantissa
}

/// The largest microsecond value that falls in bucket `i`.
fn bucket_upper(i: usize) -> u64 {
    if i < 64 {
        return i as u64;
    }
    let exp = (i - 64) / 32 + 6;
    let mantissa = ((i - 64) % 32) as u64;
    let low = (32 + mantissa) << (exp - 5);
    low.saturating_add((1u64 << (exp - 5)) - 1)
}

/// The process's monotonic clock origin, shared by publisher and clients.
fn since_epoch() -> Duration {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed()
}

/// Standard base64 with padding (RFC 4648 §4), for the Basic credentials.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// An environment variable as a number, or `default`.
fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
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
