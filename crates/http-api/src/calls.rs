//! The per-call register over HTTP (`GET /api/calls`, `GET /api/calls/{id}` with legs and
//! the queue/agent event log) for supervisors and the customer's auditors, live call
//! control (`/api/live/{call}/…`: hang up, transfer to level II) [CTI-2, ACD-6], and the
//! audit log itself [SLA-9, TEL-7, SEC-2].

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sql_store::{CallId, UnixMillis};

use crate::control::{ControlError, LiveCommand};
use crate::error::ApiError;
use crate::{ApiState, Role};

#[derive(serde::Deserialize)]
pub(crate) struct Page {
    limit: Option<String>,
    before: Option<String>,
}

/// `GET /api/calls?limit=N&before=RFC3339`: newest first.
pub(crate) async fn list(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<Page>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    s.require(&who, who.role.sees_everything(), "GET /api/calls", "calls", "the call register is for supervisors and auditors").await?;
    let limit = parse_limit(q.limit.as_deref(), 50)?;
    let before = match q.before.as_deref() {
        None => None,
        Some(t) => Some(UnixMillis::parse_rfc3339(t).ok_or_else(|| ApiError::field("before", "must be an RFC 3339 instant"))?),
    };
    let rows = s.store()?.calls(limit, before).await?;
    s.audit(&who, "GET /api/calls", "calls", "ok").await;
    Ok(Json(rows).into_response())
}

/// `GET /api/calls/{id}`: one register row with its legs and event log.
pub(crate) async fn one(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let target = format!("call:{id}");
    s.require(&who, who.role.sees_everything(), "GET /api/calls/{id}", &target, "the call register is for supervisors and auditors").await?;
    let n: i64 = id.parse().map_err(|_| ApiError::NotFound { what: "call", id: id.clone() })?;
    let store = s.store()?;
    let call = store.call(CallId(n)).await?.ok_or(ApiError::NotFound { what: "call", id: id.clone() })?;
    let legs: Vec<serde_json::Value> = store
        .legs(CallId(n))
        .await?
        .into_iter()
        .map(|(leg_id, l)| {
            serde_json::json!({
                "id": leg_id, "role": l.role.as_str(), "peer": l.peer, "agent": l.agent,
                "started_at": l.started_at, "answered_at": l.answered_at, "ended_at": l.ended_at,
                "hangup_cause": l.hangup_cause,
            })
        })
        .collect();
    let events: Vec<serde_json::Value> = store
        .events(CallId(n))
        .await?
        .into_iter()
        .map(|e| serde_json::json!({ "at": e.at, "kind": e.kind, "agent": e.agent, "queue": e.queue, "detail": e.detail }))
        .collect();
    s.audit(&who, "GET /api/calls/{id}", &target, "ok").await;
    let mut body = serde_json::to_value(&call).map_err(|_| ApiError::Unavailable("encoding failed"))?;
    body["legs"] = legs.into();
    body["events"] = events.into();
    Ok(Json(body).into_response())
}

/// `POST /api/live/{call}/hangup` (the agent on the call, supervisor, admin) [CTI-2].
pub(crate) async fn live_hangup(State(s): State<ApiState>, headers: HeaderMap, Path(call): Path<String>) -> Result<Response, ApiError> {
    live(s, headers, call, None).await
}

/// `POST /api/live/{call}/transfer` `{"queue": "livello2"}`: the caller and its ticket move
/// to another queue (level I → level II) [ACD-6, CRM-6].
pub(crate) async fn live_transfer(State(s): State<ApiState>, headers: HeaderMap, Path(call): Path<String>, body: axum::body::Bytes) -> Result<Response, ApiError> {
    live(s, headers, call, Some(body)).await
}

async fn live(s: ApiState, headers: HeaderMap, call: String, transfer: Option<axum::body::Bytes>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let target = format!("live:{call}");
    let action = if transfer.is_some() { "POST /api/live/{call}/transfer" } else { "POST /api/live/{call}/hangup" };
    s.require(&who, who.role.may_write(), action, &target, "auditors have read-only access").await?;
    let number: u64 = call.parse().map_err(|_| ApiError::NotFound { what: "live call", id: call.clone() })?;
    let command = match transfer {
        None => LiveCommand::Hangup,
        Some(body) => {
            let map = crate::error::json_object(&body)?;
            crate::error::only_fields(&map, &["queue"])?;
            let queue = crate::error::req_str(&map, "queue")?;
            if queue.trim().is_empty() {
                return Err(ApiError::field("queue", "must name a queue"));
            }
            LiveCommand::TransferToQueue { queue: queue.to_owned() }
        }
    };
    let control = s.control.as_ref().ok_or(ApiError::Unavailable("the engine is not running"))?;
    match control.call_command(number, command, &who.name).await {
        Ok(()) => {
            s.audit(&who, action, &target, "ok").await;
            Ok(axum::http::StatusCode::NO_CONTENT.into_response())
        }
        Err(ControlError::UnknownCall(_)) => Err(ApiError::NotFound { what: "live call", id: call }),
        Err(e) => {
            s.audit(&who, action, &target, "failed").await;
            Err(ApiError::Conflict(e.to_string()))
        }
    }
}

/// `GET /api/audit?limit=N&before_id=ID` (auditor, admin) [SEC-2].
pub(crate) async fn audit_log(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<AuditPage>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let allowed = matches!(who.role, Role::Admin | Role::Auditor);
    s.require(&who, allowed, "GET /api/audit", "audit", "the audit log is for auditors and administrators").await?;
    let limit = parse_limit(q.limit.as_deref(), 100)?;
    let before = match q.before_id.as_deref() {
        None => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| ApiError::field("before_id", "must be a whole number"))?),
    };
    let rows = s.store()?.audit_entries(limit, before).await?;
    Ok(Json(rows).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct AuditPage {
    limit: Option<String>,
    before_id: Option<String>,
}

/// A `limit` query parameter: 1–1000, default `default`.
pub(crate) fn parse_limit(text: Option<&str>, default: u32) -> Result<u32, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 1000")),
    }
}
