//! The durable webhook outbox [CRM-9]: every CTI event bound for a CRM endpoint is written
//! here before delivery and marked delivered only on the CRM's 2xx, so a CRM that is down
//! (even across an engine restart) receives every event later, in order.

use crate::error::{StoreError, classify};
use crate::store::{Store, on_pool};
use crate::time::UnixMillis;

/// One undelivered event of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// Outbox id (also the delivery id the CRM can deduplicate on).
    pub id: i64,
    /// The webhook endpoint's configured name.
    pub endpoint: String,
    /// The CTI event's sequence number.
    pub event_seq: i64,
    /// The event kind.
    pub kind: String,
    /// The rendered body.
    pub body: String,
    /// Delivery attempts so far.
    pub attempts: i64,
}

impl Store {
    /// Appends an event for `endpoint`; returns its outbox id.
    pub async fn outbox_push(&self, endpoint: &str, event_seq: i64, kind: &str, body: &str, at: UnixMillis) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO webhook_outbox (endpoint, event_seq, kind, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(endpoint)
            .bind(event_seq)
            .bind(kind)
            .bind(body)
            .bind(at.as_millis())
            .fetch_one(pool)
            .await
            .map_err(classify)
        })
    }

    /// The oldest `limit` undelivered events of `endpoint`, in order.
    pub async fn outbox_pending(&self, endpoint: &str, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        on_pool!(self, pool => {
            let rows: Vec<(i64, String, i64, String, String, i64)> = sqlx::query_as(
                "SELECT id, endpoint, event_seq, kind, body, attempts FROM webhook_outbox \
                 WHERE endpoint = $1 AND delivered_at IS NULL ORDER BY id LIMIT $2",
            )
            .bind(endpoint)
            .bind(i64::from(limit.max(1)))
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            Ok(rows
                .into_iter()
                .map(|(id, endpoint, event_seq, kind, body, attempts)| OutboxRow { id, endpoint, event_seq, kind, body, attempts })
                .collect())
        })
    }

    /// Marks an event delivered.
    pub async fn outbox_delivered(&self, id: i64, at: UnixMillis) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE webhook_outbox SET delivered_at = $2 WHERE id = $1")
                .bind(id)
                .bind(at.as_millis())
                .execute(pool)
                .await
                .map_err(classify)?;
        });
        Ok(())
    }

    /// Records a failed attempt (the event stays pending).
    pub async fn outbox_attempt_failed(&self, id: i64, attempts: i64, error: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE webhook_outbox SET attempts = $2, last_error = $3 WHERE id = $1")
                .bind(id)
                .bind(attempts)
                .bind(error)
                .execute(pool)
                .await
                .map_err(classify)?;
        });
        Ok(())
    }

    /// Undelivered events per endpoint (for `/metrics`).
    pub async fn outbox_backlog(&self) -> Result<Vec<(String, i64)>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT endpoint, COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL GROUP BY endpoint ORDER BY endpoint",
            )
            .fetch_all(pool)
            .await
            .map_err(classify)
        })
    }
}
