//! The webhook outbox of `cti-bus` on the SQL store (table `webhook_outbox`), so CRM events
//! survive a CRM outage and an engine restart and arrive in order [CRM-9].

use cti_bus::{Outbox, OutboxEntry, OutboxError};
use sql_store::{Store, StoreError, UnixMillis};

/// `cti_bus::Outbox` over the register's store.
#[derive(Debug, Clone)]
pub struct SqlOutbox {
    store: Store,
}

impl SqlOutbox {
    pub fn new(store: Store) -> SqlOutbox {
        SqlOutbox { store }
    }
}

fn unavailable(e: StoreError) -> OutboxError {
    OutboxError::Unavailable(e.to_string())
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Outbox for SqlOutbox {
    async fn push(&self, endpoint: &str, event_seq: u64, kind: &str, body: String) -> Result<u64, OutboxError> {
        let id = self.store.outbox_push(endpoint, to_i64(event_seq), kind, &body, UnixMillis::now()).await.map_err(unavailable)?;
        Ok(u64::try_from(id).unwrap_or_default())
    }

    async fn pending(&self, endpoint: &str, limit: usize) -> Result<Vec<OutboxEntry>, OutboxError> {
        let rows = self.store.outbox_pending(endpoint, u32::try_from(limit).unwrap_or(u32::MAX)).await.map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxEntry {
                id: u64::try_from(r.id).unwrap_or_default(),
                endpoint: r.endpoint,
                kind: r.kind,
                body: r.body,
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            })
            .collect())
    }

    async fn pending_count(&self, endpoint: &str) -> Result<u64, OutboxError> {
        let backlog = self.store.outbox_backlog().await.map_err(unavailable)?;
        Ok(backlog.into_iter().find(|(e, _)| e == endpoint).map_or(0, |(_, n)| u64::try_from(n).unwrap_or_default()))
    }

    async fn delivered(&self, id: u64) -> Result<(), OutboxError> {
        self.store.outbox_delivered(to_i64(id), UnixMillis::now()).await.map_err(unavailable)
    }

    async fn attempt_failed(&self, id: u64, attempts: u32, error: &str) -> Result<(), OutboxError> {
        self.store.outbox_attempt_failed(to_i64(id), i64::from(attempts), error).await.map_err(unavailable)
    }
}
