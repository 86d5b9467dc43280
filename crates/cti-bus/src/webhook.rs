//! CRM webhooks: every CTI event passing an endpoint's filter is written to a durable
//! outbox, then POSTed to the endpoint in order, signed (HMAC-SHA256, RFC 2104),
//! retried with capped exponential back-off and never dropped [CRM-9, CTI-1].
//! Behaviour and headers are documented in `docs/events.md`, "Webhooks".
//!
//! Two kinds of task: one ingest task reads the bus through a private [`Tap`] (so a
//! slow CRM or store never blocks a call) and appends to the outbox, keeping events in
//! a bounded memory queue while the store is down; one delivery task per endpoint
//! sends the outbox's oldest undelivered entry until it succeeds (head-of-line, so
//! order holds), starting with what a previous run left pending.

mod outbox;
mod signature;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::{CtiBus, CtiEvent, Tap, zammad};

pub use outbox::{MemoryOutbox, MemoryRecord, Outbox, OutboxEntry, OutboxError};
pub use signature::{hmac_sha256, sign, verify};

/// Events the webhook tap holds while the ingest task is busy (one store write per
/// event and endpoint); past this, events are counted as lagged.
pub const TAP_CAPACITY: usize = 65_536;
/// Events kept in memory per endpoint while the outbox store is down.
pub const MEMORY_BACKLOG: usize = 10_000;
/// Outbox entries fetched per query by a delivery task.
pub const BATCH: usize = 64;
/// First wait before retrying a failed outbox operation; doubles up to
/// [`OUTBOX_RETRY_MAX`].
pub const OUTBOX_RETRY_INITIAL: Duration = Duration::from_millis(100);
/// Longest wait between outbox retries.
pub const OUTBOX_RETRY_MAX: Duration = Duration::from_secs(5);

/// One CRM endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Name in metrics, logs and the outbox.
    pub name: String,
    /// `http://host:port/path` (plain HTTP only for now).
    pub url: String,
    /// HMAC key for `X-Centralino-Signature`.
    pub secret: String,
    /// Body format.
    pub format: Format,
    /// Kinds to send; `None` sends every kind (the format may still skip some).
    pub kinds: Option<Vec<String>>,
    /// Whole-request timeout (connect, send, answer).
    pub timeout: Duration,
    /// First retry delay; doubles per failed attempt.
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

/// How events are rendered for an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The event envelope as JSON (`docs/events.md`).
    Native,
    /// Zammad "Generic CTI", form-urlencoded ([`zammad`]).
    Zammad,
}

/// Counters of a running webhook service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookStats {
    /// Events the ingest task could not take from the bus (tap full).
    pub lagged: u64,
    /// Failed outbox operations (store down).
    pub outbox_errors: u64,
    /// Per endpoint, in configuration order.
    pub endpoints: Vec<EndpointStats>,
}

/// Counters of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStats {
    /// Endpoint name.
    pub name: String,
    /// Events delivered (2xx) by this process.
    pub delivered: u64,
    /// Failed attempts that will be retried.
    pub retries: u64,
    /// Of those, answers that will not change on their own (4xx but 408/429).
    pub rejected: u64,
    /// Events lost because the memory queue was full during a store outage.
    pub lost: u64,
    /// Undelivered events in the outbox and in memory, as last known.
    pub pending: u64,
    /// Events waiting in memory for the store.
    pub in_memory: usize,
    /// Whether the endpoint is retrying an event that failed its last attempt.
    pub failing: bool,
}

/// The running webhook service: stats and stop. Dropping it stops the tasks too.
#[must_use = "dropping the handle stops webhook delivery"]
#[derive(Debug)]
pub struct WebhookHandle {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl WebhookConfig {
    /// A native-format endpoint for every kind, with 10 s timeout and back-off
    /// from 1 s to 5 min.
    pub fn new(name: impl Into<String>, url: impl Into<String>, secret: impl Into<String>) -> Self {
        WebhookConfig {
            name: name.into(),
            url: url.into(),
            secret: secret.into(),
            format: Format::Native,
            kinds: None,
            timeout: Duration::from_secs(10),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
        }
    }

    /// Whether events of `kind` go to this endpoint.
    pub fn accepts(&self, kind: &str) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.iter().any(|k| k == kind))
    }

    /// The request body for `event`, or `None` if this endpoint does not get it.
    pub fn render(&self, event: &CtiEvent) -> Option<String> {
        if !self.accepts(&event.kind) {
            return None;
        }
        match self.format {
            Format::Native => serde_json::to_string(event).ok(),
            Format::Zammad => zammad::render(event),
        }
    }

    /// The wait after the `attempts`-th consecutive failure: `retry_initial ×
    /// 2^(attempts-1)`, capped at `retry_max`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        backoff(self.retry_initial, self.retry_max, attempts)
    }
}

impl std::fmt::Debug for WebhookConfig {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("format", &self.format)
            .field("kinds", &self.kinds)
            .field("timeout", &self.timeout)
            .field("retry_initial", &self.retry_initial)
            .field("retry_max", &self.retry_max)
            .finish()
    }
}

impl Format {
    /// The request's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Native => "application/json",
            Format::Zammad => "application/x-www-form-urlencoded",
        }
    }
}

/// Starts delivering `bus` events to `endpoints` through `outbox`. Events published
/// after this call are never missed; events left pending by a previous run are
/// delivered first. Must be called inside a tokio runtime.
pub fn spawn_webhooks<O: Outbox>(
    bus: &CtiBus,
    outbox: Arc<O>,
    endpoints: Vec<WebhookConfig>,
) -> WebhookHandle {
    let tap = bus.tap(TAP_CAPACITY);
    let shared = Arc::new(Shared {
        lagged: Arc::clone(&tap.lost),
        outbox_errors: AtomicU64::new(0),
        endpoints: endpoints
            .iter()
            .map(|c| Arc::new(EndpointShared::new(&c.name)))
            .collect(),
    });
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(endpoints.len().saturating_add(1));
    for (config, ep) in endpoints.iter().zip(&shared.endpoints) {
        let delivery = Delivery {
            config: config.clone(),
            outbox: Arc::clone(&outbox),
            shared: Arc::clone(&shared),
            ep: Arc::clone(ep),
            stop: stop_rx.clone(),
        };
        tasks.push(tokio::spawn(delivery.run()));
    }
    let ingest = Ingest {
        endpoints,
        outbox,
        shared: Arc::clone(&shared),
        backlogs: Vec::new(),
        lagged_seen: 0,
        retry_at: None,
        retry_delay: OUTBOX_RETRY_INITIAL,
    };
    tasks.push(tokio::spawn(ingest.run(tap, stop_rx)));
    WebhookHandle {
        shared,
        stop,
        tasks,
    }
}

impl WebhookHandle {
    /// Current counters.
    pub fn stats(&self) -> WebhookStats {
        WebhookStats {
            lagged: self.shared.lagged.load(Ordering::Relaxed),
            outbox_errors: self.shared.outbox_errors.load(Ordering::Relaxed),
            endpoints: self
                .shared
                .endpoints
                .iter()
                .map(|ep| ep.snapshot())
                .collect(),
        }
    }

    /// Stops every task (an attempt in flight is abandoned and retried by the next
    /// run) and waits for them to finish. Events still in memory are lost: the
    /// caller stops the webhooks after the calls.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for WebhookHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// `initial × 2^(attempts-1)` capped at `max`, without overflow.
fn backoff(initial: Duration, max: Duration, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
    initial.saturating_mul(factor).min(max)
}

/// State shared by the tasks and the handle.
#[derive(Debug)]
struct Shared {
    lagged: Arc<AtomicU64>,
    outbox_errors: AtomicU64,
    endpoints: Vec<Arc<EndpointShared>>,
}

/// Per-endpoint counters and the ingest → delivery wake-up.
#[derive(Debug)]
struct EndpointShared {
    name: String,
    delivered: AtomicU64,
    retries: AtomicU64,
    rejected: AtomicU64,
    lost: AtomicU64,
    pending: AtomicU64,
    in_memory: AtomicUsize,
    failing: std::sync::atomic::AtomicBool,
    wake: Notify,
}

impl EndpointShared {
    fn new(name: &str) -> Self {
        EndpointShared {
            name: name.to_owned(),
            delivered: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            in_memory: AtomicUsize::new(0),
            failing: std::sync::atomic::AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    fn snapshot(&self) -> EndpointStats {
        EndpointStats {
            name: self.name.clone(),
            delivered: self.delivered.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            pending: self.pending.load(Ordering::Relaxed),
            in_memory: self.in_memory.load(Ordering::Relaxed),
            failing: self.failing.load(Ordering::Relaxed),
        }
    }

    /// Sets the pending count and its gauge.
    fn set_pending(&self, n: u64) {
        self.pending.store(n, Ordering::Relaxed);
        self.publish_pending();
    }

    /// Adds (or removes, saturating at zero) `delta` pending events.
    fn add_pending(&self, delta: i64) {
        let _ = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(if delta >= 0 {
                    p.saturating_add(delta.unsigned_abs())
                } else {
                    p.saturating_sub(delta.unsigned_abs())
                })
            });
        self.publish_pending();
    }

    fn publish_pending(&self) {
        let n = self.pending.load(Ordering::Relaxed);
        metrics::gauge!("centralino_webhook_outbox_pending", "endpoint" => self.name.clone())
            .set(n as f64);
    }
}

/// An event waiting in memory for the store.
#[derive(Debug)]
struct Unstored {
    seq: u64,
    kind: String,
    body: String,
}

/// The ingest task: bus → outbox.
struct Ingest<O> {
    endpoints: Vec<WebhookConfig>,
    outbox: Arc<O>,
    shared: Arc<Shared>,
    /// Per endpoint, events not yet in the outbox (the store was down), oldest first.
    backlogs: Vec<VecDeque<Unstored>>,
    lagged_seen: u64,
    retry_at: Option<Instant>,
    retry_delay: Duration,
}

impl<O: Outbox> Ingest<O> {
    async fn run(mut self, mut tap: Tap, mut stop: watch::Receiver<bool>) {
        self.backlogs = self.endpoints.iter().map(|_| VecDeque::new()).collect();
        loop {
            let retry_at = self.retry_at;
            tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                () = sleep_until_opt(retry_at) => self.flush_backlogs().await,
                event = tap.recv() => match event {
                    Some(event) => self.ingest(&event).await,
                    None => break,
                },
            }
            self.note_lag(tap.lost());
        }
        let in_memory: usize = self.backlogs.iter().map(VecDeque::len).sum();
        if in_memory > 0 {
            error!(
                in_memory,
                "webhooks stopped with events not yet stored in the outbox"
            );
        }
    }

    /// Appends one event to the outbox of every endpoint that wants it.
    async fn ingest(&mut self, event: &CtiEvent) {
        for index in 0..self.endpoints.len() {
            let Some(body) = self.endpoints.get(index).and_then(|c| c.render(event)) else {
                continue;
            };
            let item = Unstored {
                seq: event.seq,
                kind: event.kind.clone(),
                body,
            };
            let backlog_empty = self.backlogs.get(index).is_none_or(VecDeque::is_empty);
            if backlog_empty {
                match self.store(index, &item).await {
                    Ok(()) => continue,
                    Err(e) => {
                        warn!(endpoint = self.name(index), error = %e, "webhook outbox unavailable; keeping events in memory");
                        self.schedule_retry();
                    }
                }
            }
            self.keep_in_memory(index, item);
        }
    }

    /// Pushes one event to the outbox and wakes the endpoint's delivery task.
    async fn store(&self, index: usize, item: &Unstored) -> Result<(), OutboxError> {
        let name = self.name(index);
        match self
            .outbox
            .push(name, item.seq, &item.kind, item.body.clone())
            .await
        {
            Ok(id) => {
                debug!(endpoint = name, id, seq = item.seq, "webhook event stored");
                if let Some(ep) = self.shared.endpoints.get(index) {
                    ep.add_pending(1);
                    ep.wake.notify_one();
                }
                Ok(())
            }
            Err(e) => {
                self.shared.outbox_errors.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("centralino_webhook_outbox_errors_total").increment(1);
                Err(e)
            }
        }
    }

    /// Queues an event in memory behind earlier unstored ones, or counts it lost when
    /// the queue is full.
    fn keep_in_memory(&mut self, index: usize, item: Unstored) {
        let name = self.name(index).to_owned();
        let (Some(backlog), Some(ep)) = (
            self.backlogs.get_mut(index),
            self.shared.endpoints.get(index),
        ) else {
            return;
        };
        if backlog.len() >= MEMORY_BACKLOG {
            ep.lost.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("centralino_webhook_lost_total", "endpoint" => name.clone())
                .increment(1);
            error!(endpoint = %name, seq = item.seq, kind = %item.kind, "webhook memory queue full while the outbox is down; event lost");
            return;
        }
        backlog.push_back(item);
        ep.in_memory.store(backlog.len(), Ordering::Relaxed);
        ep.add_pending(1);
    }

    /// Retries storing the in-memory events, oldest first, per endpoint.
    async fn flush_backlogs(&mut self) {
        self.retry_at = None;
        let mut failed = false;
        for index in 0..self.backlogs.len() {
            while let Some(item) = self.backlogs.get_mut(index).and_then(VecDeque::pop_front) {
                // Counted again by `store` when it succeeds.
                if let Some(ep) = self.shared.endpoints.get(index) {
                    ep.add_pending(-1);
                }
                if self.store(index, &item).await.is_err() {
                    if let Some(ep) = self.shared.endpoints.get(index) {
                        ep.add_pending(1);
                    }
                    if let Some(backlog) = self.backlogs.get_mut(index) {
                        backlog.push_front(item);
                    }
                    failed = true;
                    break;
                }
            }
            if let (Some(ep), Some(backlog)) =
                (self.shared.endpoints.get(index), self.backlogs.get(index))
            {
                ep.in_memory.store(backlog.len(), Ordering::Relaxed);
            }
        }
        if failed {
            self.retry_delay = self.retry_delay.saturating_mul(2).min(OUTBOX_RETRY_MAX);
            self.schedule_retry();
        } else {
            info!("webhook outbox available again; events in memory stored");
            self.retry_delay = OUTBOX_RETRY_INITIAL;
        }
    }

    fn schedule_retry(&mut self) {
        if self.retry_at.is_none() {
            self.retry_at = Some(Instant::now() + self.retry_delay);
        }
    }

    /// Records events the tap dropped since the last check.
    fn note_lag(&mut self, lost: u64) {
        if lost > self.lagged_seen {
            let missed = lost.saturating_sub(self.lagged_seen);
            self.lagged_seen = lost;
            metrics::counter!("centralino_webhook_lagged_total").increment(missed);
            error!(
                missed,
                total = lost,
                "webhook ingest fell behind the bus; events lost for webhooks"
            );
        }
    }

    fn name(&self, index: usize) -> &str {
        self.endpoints.get(index).map_or("", |c| c.name.as_str())
    }
}

/// One endpoint's delivery task: outbox → HTTP.
struct Delivery<O> {
    config: WebhookConfig,
    outbox: Arc<O>,
    shared: Arc<Shared>,
    ep: Arc<EndpointShared>,
    stop: watch::Receiver<bool>,
}

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    /// The endpoint answered with a non-2xx status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// No complete answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// Connection refused, reset or unreachable.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The request could not be built or sent (bad URL, header).
    #[error("request failed: {0}")]
    Request(String),
}

impl AttemptError {
    /// Whether retrying soon is pointless (the endpoint refuses this request).
    fn is_rejection(&self) -> bool {
        matches!(self, AttemptError::Status(s) if (400..500).contains(s) && *s != 408 && *s != 429)
            || matches!(self, AttemptError::Request(_))
    }
}

impl<O: Outbox> Delivery<O> {
    async fn run(mut self) {
        let client = match reqwest::Client::builder()
            .timeout(self.config.timeout)
            .no_proxy()
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                error!(endpoint = %self.config.name, error = %e, "webhook HTTP client unavailable; events stay in the outbox");
                return;
            }
        };
        if let Some(n) = self
            .retry_outbox(|o, name| async move { o.pending_count(&name).await })
            .await
        {
            if n > 0 {
                info!(endpoint = %self.config.name, pending = n, "delivering webhook events left by a previous run");
            }
            self.ep().set_pending(n);
        }
        while !*self.stop.borrow() {
            let Some(batch) = self
                .retry_outbox(|o, name| async move { o.pending(&name, BATCH).await })
                .await
            else {
                return;
            };
            if batch.is_empty() {
                let in_memory =
                    u64::try_from(self.ep().in_memory.load(Ordering::Relaxed)).unwrap_or(u64::MAX);
                self.ep().set_pending(in_memory);
                let ep = Arc::clone(&self.ep);
                tokio::select! {
                    () = stopped(&mut self.stop) => return,
                    () = ep.wake.notified() => {}
                }
                continue;
            }
            for entry in batch {
                if !self.deliver(entry, &client).await {
                    return;
                }
            }
        }
    }

    /// Sends one entry until it is delivered and marked; `false` if stopped first.
    async fn deliver(&mut self, entry: OutboxEntry, client: &reqwest::Client) -> bool {
        let mut attempts = entry.attempts;
        loop {
            let mut stop = self.stop.clone();
            let outcome = tokio::select! {
                () = stopped(&mut stop) => return false,
                r = self.attempt(&entry, client) => r,
            };
            let failure = match outcome {
                Ok(()) => break,
                Err(failure) => failure,
            };
            attempts = attempts.saturating_add(1);
            let name = self.config.name.clone();
            self.ep().retries.fetch_add(1, Ordering::Relaxed);
            self.ep().failing.store(true, Ordering::Relaxed);
            metrics::counter!("centralino_webhook_retries_total", "endpoint" => name.clone())
                .increment(1);
            let wait = if failure.is_rejection() {
                self.ep().rejected.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("centralino_webhook_rejected_total", "endpoint" => name.clone())
                    .increment(1);
                self.config.retry_max
            } else {
                self.config.backoff(attempts)
            };
            let error = failure.to_string();
            if failure.is_rejection() || attempts == 1 || wait >= self.config.retry_max {
                warn!(endpoint = %name, id = entry.id, kind = %entry.kind, attempts, error = %error, retry_in = ?wait,
                    "webhook delivery failed; retrying (later events wait)");
            } else {
                debug!(endpoint = %name, id = entry.id, attempts, error = %error, retry_in = ?wait, "webhook delivery failed");
            }
            if let Err(e) = self.outbox.attempt_failed(entry.id, attempts, &error).await {
                self.outbox_error(&e);
            }
            if !self.sleep(wait).await {
                return false;
            }
        }
        let id = entry.id;
        if self
            .retry_outbox(move |o, _| async move { o.delivered(id).await })
            .await
            .is_none()
        {
            return false;
        }
        let ep = self.ep();
        ep.failing.store(false, Ordering::Relaxed);
        ep.delivered.fetch_add(1, Ordering::Relaxed);
        ep.add_pending(-1);
        metrics::counter!("centralino_webhook_delivered_total", "endpoint" => self.config.name.clone()).increment(1);
        debug!(endpoint = %self.config.name, id, kind = %entry.kind, "webhook delivered");
        true
    }

    /// One POST of `entry`.
    async fn attempt(
        &self,
        entry: &OutboxEntry,
        client: &reqwest::Client,
    ) -> Result<(), AttemptError> {
        let response = client
            .post(&self.config.url)
            .header("Content-Type", self.config.format.content_type())
            .header("X-Centralino-Event", entry.kind.as_str())
            .header("X-Centralino-Delivery", entry.id.to_string())
            .header(
                "X-Centralino-Signature",
                sign(self.config.secret.as_bytes(), entry.body.as_bytes()),
            )
            .body(entry.body.clone())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    AttemptError::Timeout
                } else if e.is_connect() || e.is_request() {
                    AttemptError::Connect(e.to_string())
                } else if e.is_builder() {
                    AttemptError::Request(e.to_string())
                } else {
                    AttemptError::Connect(e.to_string())
                }
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(AttemptError::Status(status.as_u16()))
        }
    }

    /// Runs an outbox operation until it succeeds, backing off while the store is
    /// down; `None` if stopped first.
    async fn retry_outbox<T, F, Fut>(&mut self, op: F) -> Option<T>
    where
        F: Fn(Arc<O>, String) -> Fut,
        Fut: Future<Output = Result<T, OutboxError>>,
    {
        let mut delay = OUTBOX_RETRY_INITIAL;
        loop {
            match op(Arc::clone(&self.outbox), self.config.name.clone()).await {
                Ok(v) => return Some(v),
                Err(e) => self.outbox_error(&e),
            }
            if !self.sleep(delay).await {
                return None;
            }
            delay = delay.saturating_mul(2).min(OUTBOX_RETRY_MAX);
        }
    }

    fn outbox_error(&self, e: &OutboxError) {
        self.shared.outbox_errors.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("centralino_webhook_outbox_errors_total").increment(1);
        warn!(endpoint = %self.config.name, error = %e, "webhook outbox operation failed; retrying");
    }

    /// Sleeps `d`; `false` if stopped first.
    async fn sleep(&mut self, d: Duration) -> bool {
        tokio::select! {
            () = stopped(&mut self.stop) => false,
            () = tokio::time::sleep(d) => true,
        }
    }

    fn ep(&self) -> &EndpointShared {
        &self.ep
    }
}

/// Resolves once the handle asked the tasks to stop (or is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Sleeps until `at`, or forever when `None`.
async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
