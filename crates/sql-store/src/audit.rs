//! The audit trail and API credentials [SEC-2, TEL-7]: every write and every read of
//! personal data through the API lands in `audit_log` with who, when, what and whether it
//! was allowed; login sessions and integration tokens are stored as SHA-256 hashes only.

use serde::Serialize;

use crate::error::{StoreError, classify};
use crate::store::{Store, on_pool};
use crate::time::UnixMillis;

/// An audit entry as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// The user name (or `token:<label>`).
    pub actor: String,
    /// The user's role.
    pub role: String,
    /// What was done: `GET /api/tickets/{id}`, `ticket.update`, `agent.state`…
    pub action: String,
    /// The object: `ticket:12`, `agent:2001`, `calls`.
    pub target: String,
    /// `ok`, `denied` or `failed`.
    pub result: &'static str,
    /// Extra context (never passwords).
    pub detail: Option<String>,
}

/// An audit entry as read back (`GET /api/audit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Entry id.
    pub id: i64,
    /// When.
    pub at: UnixMillis,
    /// Who.
    pub actor: String,
    /// Role.
    pub role: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// `ok`, `denied`, `failed`.
    pub result: String,
    /// Extra context.
    pub detail: Option<String>,
}

/// A session or API token as stored (the token itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// Token id.
    pub id: i64,
    /// `session` (web login) or `api` (integration).
    pub kind: String,
    /// The user it acts as.
    pub username: String,
    /// The role it carries.
    pub role: String,
    /// A label for API tokens.
    pub label: Option<String>,
    /// Issued at.
    pub created_at: UnixMillis,
    /// Expires at (`None`: until revoked).
    pub expires_at: Option<UnixMillis>,
}

/// `audit_log` columns as read.
type AuditRow = (i64, i64, String, String, String, String, String, Option<String>);
/// `api_tokens` columns as read.
type TokenRow = (i64, String, String, String, Option<String>, i64, Option<i64>);

impl Store {
    /// Appends an audit entry.
    pub async fn audit(&self, entry: &NewAuditEntry, at: UnixMillis) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, role, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(at.as_millis())
            .bind(entry.actor.as_str())
            .bind(entry.role.as_str())
            .bind(entry.action.as_str())
            .bind(entry.target.as_str())
            .bind(entry.result)
            .bind(entry.detail.as_deref())
            .execute(pool)
            .await
            .map_err(classify)?;
        });
        Ok(())
    }

    /// The newest `limit` audit entries before `before_id` (all when `None`), newest first.
    pub async fn audit_entries(&self, limit: u32, before_id: Option<i64>) -> Result<Vec<AuditEntry>, StoreError> {
        on_pool!(self, pool => {
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT id, at, actor, role, action, target, result, detail FROM audit_log \
                 WHERE id < $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(before_id.unwrap_or(i64::MAX))
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(pool)
            .await
            .map_err(classify)?;
            Ok(rows
                .into_iter()
                .map(|(id, at, actor, role, action, target, result, detail)| AuditEntry {
                    id,
                    at: UnixMillis::from_millis(at),
                    actor,
                    role,
                    action,
                    target,
                    result,
                    detail,
                })
                .collect())
        })
    }

    /// Stores a token's hash; returns its id.
    #[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
    pub async fn insert_token(&self, hash: &str, kind: &str, username: &str, role: &str, label: Option<&str>, at: UnixMillis, expires_at: Option<UnixMillis>) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (token_hash, kind, username, role, label, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(hash)
            .bind(kind)
            .bind(username)
            .bind(role)
            .bind(label)
            .bind(at.as_millis())
            .bind(expires_at.map(UnixMillis::as_millis))
            .fetch_one(pool)
            .await
            .map_err(classify)
        })
    }

    /// The live (not revoked, not expired at `now`) token with this hash.
    pub async fn token_by_hash(&self, hash: &str, now: UnixMillis) -> Result<Option<TokenRecord>, StoreError> {
        on_pool!(self, pool => {
            let row: Option<TokenRow> = sqlx::query_as(
                "SELECT id, kind, username, role, label, created_at, expires_at FROM api_tokens \
                 WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
            )
            .bind(hash)
            .bind(now.as_millis())
            .fetch_optional(pool)
            .await
            .map_err(classify)?;
            Ok(row.map(|(id, kind, username, role, label, created_at, expires_at)| TokenRecord {
                id,
                kind,
                username,
                role,
                label,
                created_at: UnixMillis::from_millis(created_at),
                expires_at: expires_at.map(UnixMillis::from_millis),
            }))
        })
    }

    /// Revokes a token by hash (logout); returns whether one was live.
    pub async fn revoke_token(&self, hash: &str, at: UnixMillis) -> Result<bool, StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(hash)
                .bind(at.as_millis())
                .execute(pool)
                .await
                .map_err(classify)?
                .rows_affected()
        });
        Ok(n > 0)
    }
}
