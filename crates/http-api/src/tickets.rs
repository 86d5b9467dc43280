//! Tickets, caller records and attachments over HTTP: read and edit tickets along the Annex
//! A states (a refused transition says which field it needs), claim off-line work items,
//! add notes, look up and update caller records, download attachments [CRM-1..3, CRM-5,
//! CRM-6, CRM-11]. Every read of these (personal data) and every write is audited [SEC-2].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cc_model::ticket::TicketState;
use sql_store::{NewTicket, TicketFilter, TicketPatch, UnixMillis};

use crate::calls::parse_limit;
use crate::error::{ApiError, json_object, only_fields, opt_str, req_str};
use crate::ApiState;

/// `GET /api/tickets?caller=&state=&offline=&limit=`.
pub(crate) async fn list(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<ListQuery>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let state = match q.state.as_deref() {
        None => None,
        Some(t) => Some(TicketState::parse(t).ok_or_else(|| ApiError::field("state", state_names()))?),
    };
    let offline = match q.offline.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::field("offline", "must be true or false")),
    };
    let filter = TicketFilter { caller: q.caller.clone(), state, offline, limit: parse_limit(q.limit.as_deref(), 50)? };
    let rows = s.store()?.tickets(&filter).await?;
    s.audit(&who, "GET /api/tickets", "tickets", "ok").await;
    Ok(Json(rows).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    caller: Option<String>,
    state: Option<String>,
    offline: Option<String>,
    limit: Option<String>,
}

/// `GET /api/tickets/{id}`: the ticket with caller record, history and attachments.
pub(crate) async fn one(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n = ticket_id(&id)?;
    let detail = s.store()?.ticket(n).await?.ok_or(ApiError::NotFound { what: "ticket", id })?;
    s.audit(&who, "GET /api/tickets/{id}", &format!("ticket:{n}"), "ok").await;
    Ok(Json(detail).into_response())
}

/// `POST /api/tickets`: a ticket opened by hand (an e-mail, a walk-in, a letter).
pub(crate) async fn create(State(s): State<ApiState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    s.require(&who, who.role.may_write(), "POST /api/tickets", "tickets", "auditors have read-only access").await?;
    let map = json_object(&body)?;
    only_fields(&map, &["channel", "caller", "description", "offline"])?;
    let channel = req_str(&map, "channel")?;
    if !matches!(channel, "verde" | "centralino" | "internal" | "email" | "fax" | "voicemail" | "web" | "letter") {
        return Err(ApiError::field("channel", "must be verde, centralino, internal, email, fax, voicemail, web or letter"));
    }
    let offline = match map.get("offline") {
        None | Some(serde_json::Value::Null) => !matches!(channel, "verde" | "centralino" | "internal"),
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::field("offline", "must be true or false")),
    };
    let new = NewTicket {
        channel: channel.to_owned(),
        caller: opt_str(&map, "caller")?.map(str::to_owned),
        agent: who.agent().map(str::to_owned),
        level: 1,
        offline,
        due_at: None,
        description: opt_str(&map, "description")?.map(str::to_owned),
    };
    let id = s.store()?.create_ticket(&new, &who.name, UnixMillis::now()).await?;
    s.audit(&who, "POST /api/tickets", &format!("ticket:{id}"), "ok").await;
    s.cti.publish("ticket.created", None, serde_json::json!({ "ticket_id": id, "channel": channel, "state": "open", "by": who.name }));
    let detail = s.store()?.ticket(id).await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

/// `PATCH /api/tickets/{id}`: edit fields and/or move the state along Annex A.
pub(crate) async fn update(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n = ticket_id(&id)?;
    let target = format!("ticket:{n}");
    s.require(&who, who.role.may_write(), "PATCH /api/tickets/{id}", &target, "auditors have read-only access").await?;
    let map = json_object(&body)?;
    let patch = patch_from(&map)?;
    let ticket = s.store()?.update_ticket(n, &patch, &who.name, UnixMillis::now()).await?;
    s.audit(&who, "PATCH /api/tickets/{id}", &target, "ok").await;
    s.cti.publish(
        "ticket.updated",
        ticket.call_id.and_then(|c| u64::try_from(c).ok()),
        serde_json::json!({ "ticket_id": n, "state": ticket.state, "level": ticket.level, "agent": ticket.agent, "by": who.name }),
    );
    Ok(Json(ticket).into_response())
}

/// `POST /api/tickets/{id}/claim`: an agent takes an off-line work item in charge [SLA-6].
pub(crate) async fn claim(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n = ticket_id(&id)?;
    let target = format!("ticket:{n}");
    s.require(&who, who.role.may_write(), "POST /api/tickets/{id}/claim", &target, "auditors have read-only access").await?;
    let ticket = s.store()?.take_ticket(n, &who.name, UnixMillis::now()).await?;
    s.audit(&who, "POST /api/tickets/{id}/claim", &target, "ok").await;
    s.cti.publish("ticket.updated", None, serde_json::json!({ "ticket_id": n, "state": ticket.state, "agent": who.name, "by": who.name }));
    Ok(Json(ticket).into_response())
}

/// `POST /api/tickets/{id}/notes` `{text}`: a note in the ticket's history.
pub(crate) async fn note(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n = ticket_id(&id)?;
    let target = format!("ticket:{n}");
    s.require(&who, who.role.may_write(), "POST /api/tickets/{id}/notes", &target, "auditors have read-only access").await?;
    let map = json_object(&body)?;
    only_fields(&map, &["text"])?;
    let text = req_str(&map, "text")?;
    if text.trim().is_empty() {
        return Err(ApiError::field("text", "must not be empty"));
    }
    s.store()?.add_ticket_history(n, &who.name, "note", serde_json::json!({ "text": text }), UnixMillis::now()).await?;
    s.audit(&who, "POST /api/tickets/{id}/notes", &target, "ok").await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/contacts?phone=N`: the caller record of a number [CRM-2].
pub(crate) async fn contact_by_phone(State(s): State<ApiState>, headers: HeaderMap, Query(q): Query<PhoneQuery>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let phone = q.phone.ok_or_else(|| ApiError::field("phone", "is required"))?;
    let contact = s.store()?.contact_by_phone(&phone).await?.ok_or(ApiError::NotFound { what: "contact", id: "for that number".into() })?;
    s.audit(&who, "GET /api/contacts", &format!("contact:{}", contact.id), "ok").await;
    Ok(Json(contact).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct PhoneQuery {
    phone: Option<String>,
}

/// `GET /api/contacts/{id}`.
pub(crate) async fn contact(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n: i64 = id.parse().map_err(|_| ApiError::NotFound { what: "contact", id: id.clone() })?;
    let contact = s.store()?.contact(n).await?.ok_or(ApiError::NotFound { what: "contact", id })?;
    s.audit(&who, "GET /api/contacts/{id}", &format!("contact:{n}"), "ok").await;
    Ok(Json(contact).into_response())
}

/// `PATCH /api/contacts/{id}` `{name?, email?, notes?}` [CRM-2].
pub(crate) async fn update_contact(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n: i64 = id.parse().map_err(|_| ApiError::NotFound { what: "contact", id: id.clone() })?;
    let target = format!("contact:{n}");
    s.require(&who, who.role.may_write(), "PATCH /api/contacts/{id}", &target, "auditors have read-only access").await?;
    let map = json_object(&body)?;
    only_fields(&map, &["name", "email", "notes"])?;
    let email = opt_str(&map, "email")?;
    if email.is_some_and(|e| !e.is_empty() && !e.contains('@')) {
        return Err(ApiError::field("email", "is not an e-mail address"));
    }
    let store = s.store()?;
    if store.contact(n).await?.is_none() {
        return Err(ApiError::NotFound { what: "contact", id });
    }
    let contact = store.update_contact(n, opt_str(&map, "name")?, email, opt_str(&map, "notes")?, UnixMillis::now()).await?;
    s.audit(&who, "PATCH /api/contacts/{id}", &target, "ok").await;
    Ok(Json(contact).into_response())
}

/// `GET /api/attachments/{id}`: the file, with its MIME type; only files under the
/// engine's data folder are served.
pub(crate) async fn download(State(s): State<ApiState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let n: i64 = id.parse().map_err(|_| ApiError::NotFound { what: "attachment", id: id.clone() })?;
    let att = s.store()?.attachment(n).await?.ok_or(ApiError::NotFound { what: "attachment", id: id.clone() })?;
    let root = s.files_root.canonicalize().map_err(|_| ApiError::Unavailable("the data folder is missing"))?;
    let path = std::path::Path::new(&att.path).canonicalize().map_err(|_| ApiError::NotFound { what: "attachment file", id: id.clone() })?;
    if !path.starts_with(&root) {
        tracing::warn!(attachment = n, "attachment outside the data folder refused");
        return Err(ApiError::NotFound { what: "attachment file", id });
    }
    let bytes = tokio::fs::read(&path).await.map_err(|_| ApiError::NotFound { what: "attachment file", id })?;
    s.audit(&who, "GET /api/attachments/{id}", &format!("attachment:{n}"), "ok").await;
    let disposition = format!("attachment; filename=\"{}\"", att.name.replace(['"', '\\', '\r', '\n'], "_"));
    Ok(([(header::CONTENT_TYPE, att.mime), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

fn ticket_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound { what: "ticket", id: id.to_owned() })
}

fn state_names() -> String {
    let names: Vec<&str> = TicketState::ALL.iter().map(|s| s.as_str()).collect();
    format!("must be one of {}", names.join(", "))
}

/// The ticket fields a PATCH may carry, validated.
fn patch_from(map: &serde_json::Map<String, serde_json::Value>) -> Result<TicketPatch, ApiError> {
    only_fields(
        map,
        &["state", "category", "priority", "description", "outcome", "level", "agent", "office", "reject_reason", "suggested_office", "answer"],
    )?;
    let state = match opt_str(map, "state")? {
        None => None,
        Some(t) => Some(TicketState::parse(t).ok_or_else(|| ApiError::field("state", state_names()))?),
    };
    let priority = opt_str(map, "priority")?;
    if priority.is_some_and(|p| !matches!(p, "low" | "normal" | "high" | "urgent")) {
        return Err(ApiError::field("priority", "must be low, normal, high or urgent"));
    }
    let level = match map.get("level") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|l| (1..=3).contains(l)).and_then(|l| u8::try_from(l).ok()).ok_or_else(|| ApiError::field("level", "must be 1, 2 or 3"))?),
    };
    let text = |f: &'static str| opt_str(map, f).map(|v| v.map(str::to_owned));
    Ok(TicketPatch {
        state,
        category: text("category")?,
        priority: priority.map(str::to_owned),
        description: text("description")?,
        outcome: text("outcome")?,
        level,
        agent: text("agent")?,
        office: text("office")?,
        reject_reason: text("reject_reason")?,
        suggested_office: text("suggested_office")?,
        answer: text("answer")?,
    })
}
