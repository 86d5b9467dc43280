//! The durable webhook outbox: every event bound for a CRM endpoint is stored before
//! delivery and marked when delivered, so nothing is lost while the CRM or the engine
//! is down [CRM-9]. The lead implements [`Outbox`] over the SQL store; [`MemoryOutbox`]
//! serves tests.

use std::future::Future;
use std::sync::Mutex;

/// Storage for undelivered webhook events, per endpoint, oldest first.
pub trait Outbox: Send + Sync + 'static {
    /// Stores an event for `endpoint`; returns its outbox id (increasing, unique
    /// across endpoints, sent as `X-Centralino-Delivery`).
    fn push(
        &self,
        endpoint: &str,
        event_seq: u64,
        kind: &str,
        body: String,
    ) -> impl Future<Output = Result<u64, OutboxError>> + Send;

    /// Up to `limit` undelivered entries of `endpoint`, oldest (lowest id) first.
    fn pending(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>, OutboxError>> + Send;

    /// How many entries of `endpoint` are undelivered (for the pending gauge).
    fn pending_count(
        &self,
        endpoint: &str,
    ) -> impl Future<Output = Result<u64, OutboxError>> + Send;

    /// Marks an entry delivered; it is never returned by `pending` again.
    fn delivered(&self, id: u64) -> impl Future<Output = Result<(), OutboxError>> + Send;

    /// Records a failed attempt (`attempts` so far, the last error) on an entry.
    fn attempt_failed(
        &self,
        id: u64,
        attempts: u32,
        error: &str,
    ) -> impl Future<Output = Result<(), OutboxError>> + Send;
}

/// One stored event awaiting delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Outbox id.
    pub id: u64,
    /// Endpoint name.
    pub endpoint: String,
    /// Event kind (`X-Centralino-Event`).
    pub kind: String,
    /// The rendered request body.
    pub body: String,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// Why the outbox could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    /// The store is down or refused the operation; retried later.
    #[error("outbox store unavailable: {0}")]
    Unavailable(String),
    /// No entry has this id (our misuse).
    #[error("no outbox entry {0}")]
    UnknownEntry(u64),
}

/// An in-memory [`Outbox`] for tests, with a switch simulating a store outage.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    state: Mutex<MemoryState>,
}

/// A stored entry and its delivery state, as [`MemoryOutbox::records`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRecord {
    /// The entry as `pending` would return it.
    pub entry: OutboxEntry,
    /// Bus sequence number of the event.
    pub event_seq: u64,
    /// Whether it was delivered.
    pub delivered: bool,
    /// The last recorded failure.
    pub last_error: Option<String>,
}

impl MemoryOutbox {
    /// An empty, available outbox.
    pub fn new() -> Self {
        MemoryOutbox::default()
    }

    /// Simulates the store going down (`false`) or coming back (`true`).
    pub fn set_available(&self, available: bool) {
        self.lock().unavailable = !available;
    }

    /// Every entry ever pushed, in id order.
    pub fn records(&self) -> Vec<MemoryRecord> {
        self.lock().records.clone()
    }

    /// The locked state; a poisoned lock still holds consistent data (every update
    /// is a single assignment or push).
    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The state, or `Unavailable` during a simulated outage.
    fn available(&self) -> Result<std::sync::MutexGuard<'_, MemoryState>, OutboxError> {
        let state = self.lock();
        if state.unavailable {
            return Err(OutboxError::Unavailable("simulated outage".into()));
        }
        Ok(state)
    }
}

impl Outbox for MemoryOutbox {
    async fn push(
        &self,
        endpoint: &str,
        event_seq: u64,
        kind: &str,
        body: String,
    ) -> Result<u64, OutboxError> {
        let mut state = self.available()?;
        state.next_id = state.next_id.saturating_add(1);
        let id = state.next_id;
        let entry = OutboxEntry {
            id,
            endpoint: endpoint.to_owned(),
            kind: kind.to_owned(),
            body,
            attempts: 0,
        };
        state.records.push(MemoryRecord {
            entry,
            event_seq,
            delivered: false,
            last_error: None,
        });
        Ok(id)
    }

    async fn pending(&self, endpoint: &str, limit: usize) -> Result<Vec<OutboxEntry>, OutboxError> {
        let state = self.available()?;
        Ok(state
            .records
            .iter()
            .filter(|r| !r.delivered && r.entry.endpoint == endpoint)
            .take(limit)
            .map(|r| r.entry.clone())
            .collect())
    }

    async fn pending_count(&self, endpoint: &str) -> Result<u64, OutboxError> {
        let state = self.available()?;
        let n = state
            .records
            .iter()
            .filter(|r| !r.delivered && r.entry.endpoint == endpoint)
            .count();
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    async fn delivered(&self, id: u64) -> Result<(), OutboxError> {
        let mut state = self.available()?;
        let record = state.record(id)?;
        record.delivered = true;
        Ok(())
    }

    async fn attempt_failed(&self, id: u64, attempts: u32, error: &str) -> Result<(), OutboxError> {
        let mut state = self.available()?;
        let record = state.record(id)?;
        record.entry.attempts = attempts;
        record.last_error = Some(error.to_owned());
        Ok(())
    }
}

/// What [`MemoryOutbox`] holds.
#[derive(Debug, Default)]
struct MemoryState {
    next_id: u64,
    records: Vec<MemoryRecord>,
    unavailable: bool,
}

impl MemoryState {
    /// The record with outbox id `id`.
    fn record(&mut self, id: u64) -> Result<&mut MemoryRecord, OutboxError> {
        self.records
            .iter_mut()
            .find(|r| r.entry.id == id)
            .ok_or(OutboxError::UnknownEntry(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn crm_9_memory_outbox_returns_undelivered_entries_oldest_first_per_endpoint() {
        let o = MemoryOutbox::new();
        let a1 = o.push("a", 1, "call.offered", "1".into()).await.unwrap();
        let b1 = o.push("b", 1, "call.offered", "1".into()).await.unwrap();
        let a2 = o.push("a", 2, "call.ended", "2".into()).await.unwrap();
        assert!(a1 < b1 && b1 < a2, "ids increase across endpoints");
        let ids = |v: Vec<OutboxEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(o.pending("a", 10).await.unwrap()), vec![a1, a2]);
        assert_eq!(ids(o.pending("a", 1).await.unwrap()), vec![a1]);
        o.attempt_failed(a1, 3, "500").await.unwrap();
        assert_eq!(o.pending("a", 1).await.unwrap()[0].attempts, 3);
        o.delivered(a1).await.unwrap();
        assert_eq!(ids(o.pending("a", 10).await.unwrap()), vec![a2]);
        assert_eq!(o.pending_count("a").await.unwrap(), 1);
        assert_eq!(o.pending_count("b").await.unwrap(), 1);
        assert_eq!(o.delivered(99).await, Err(OutboxError::UnknownEntry(99)));
        let records = o.records();
        assert_eq!(records[0].last_error.as_deref(), Some("500"));
        assert!(records[0].delivered && !records[2].delivered);
    }

    #[tokio::test]
    async fn a_simulated_outage_refuses_every_operation_until_it_ends() {
        let o = MemoryOutbox::new();
        o.set_available(false);
        assert!(matches!(
            o.push("a", 1, "k", String::new()).await,
            Err(OutboxError::Unavailable(_))
        ));
        assert!(o.pending("a", 1).await.is_err());
        assert!(o.pending_count("a").await.is_err());
        o.set_available(true);
        assert_eq!(o.push("a", 1, "k", String::new()).await, Ok(1));
    }
}
