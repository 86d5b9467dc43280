//! `http-api`: the engine's HTTP side — REST for calls, tickets, contacts, attachments,
//! agents and queues, the CTI WebSocket `/api/events`, `/metrics`, `/healthz` and the
//! OpenAPI document — with users and roles, sessions and API tokens, and an audit entry for
//! every write, every denial and every read of personal data [CTI-2..6, CRM-1..7, SEC-2,
//! TEL-7].

pub mod auth;
pub mod control;
pub mod error;
mod agents;
mod calls;
mod events;
mod openapi;
mod tickets;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use cti_bus::CtiBus;
use metrics_exporter_prometheus::PrometheusHandle;
use sql_store::{NewAuditEntry, Store, UnixMillis};
use tokio::net::TcpListener;

pub use auth::{Authenticator, Principal, Role, WebUser, WebUsers};
pub use control::{AgentCommand, AgentView, ControlError, EngineControl, LiveCommand, QueueView, ServiceMode, ServiceView};
pub use error::ApiError;
pub use openapi::openapi_document;

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// Prometheus text for `/metrics` (absent in tests).
    pub metrics: Option<PrometheusHandle>,
    /// The CTI bus.
    pub cti: CtiBus,
    /// Credentials.
    pub auth: Arc<Authenticator>,
    /// The register and CRM (absent when the engine runs without a store).
    pub store: Option<Store>,
    /// The running engine (absent: agent and queue endpoints answer 503).
    pub control: Option<Arc<dyn EngineControl>>,
    /// Where attachments may be read from (downloads outside are refused).
    pub files_root: std::path::PathBuf,
}

/// Serves until the process ends.
pub async fn serve(listener: TcpListener, state: ApiState) {
    if let Err(e) = axum::serve(listener, router(state)).await {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}

/// Every route of the API; `openapi.rs` documents exactly these (a test keeps them in step).
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/metrics", get(|State(s): State<ApiState>| async move { s.metrics.map(|m| m.render()).unwrap_or_default() }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/api/openapi.json", get(|| async { axum::Json(openapi_document()) }))
        .route("/api/login", post(auth_routes::login))
        .route("/api/logout", post(auth_routes::logout))
        .route("/api/me", get(auth_routes::me))
        .route("/api/tokens", post(auth_routes::create_token))
        .route("/api/events", get(events::events))
        .route("/api/calls", get(calls::list))
        .route("/api/calls/{id}", get(calls::one))
        .route("/api/live/{call}/hangup", post(calls::live_hangup))
        .route("/api/live/{call}/transfer", post(calls::live_transfer))
        .route("/api/tickets", get(tickets::list).post(tickets::create))
        .route("/api/tickets/{id}", get(tickets::one).patch(tickets::update))
        .route("/api/tickets/{id}/claim", post(tickets::claim))
        .route("/api/tickets/{id}/notes", post(tickets::note))
        .route("/api/contacts", get(tickets::contact_by_phone))
        .route("/api/contacts/{id}", get(tickets::contact).patch(tickets::update_contact))
        .route("/api/attachments/{id}", get(tickets::download))
        .route("/api/agents", get(agents::list))
        .route("/api/agents/{extension}/state", post(agents::set_state))
        .route("/api/queues", get(agents::queues))
        .route("/api/services", get(agents::services))
        .route("/api/services/{service}/override", post(agents::set_override))
        .route("/api/audit", get(calls::audit_log))
        .with_state(state)
}

impl ApiState {
    /// The signed-in principal, or 401.
    pub(crate) async fn principal(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        self.auth.authenticate(headers).await.ok_or(ApiError::Unauthenticated)
    }

    /// The store, or 503.
    pub(crate) fn store(&self) -> Result<&Store, ApiError> {
        self.store.as_ref().ok_or(ApiError::Unavailable("the engine runs without a store"))
    }

    /// Writes an audit entry [SEC-2]; a store that is down is logged, never fatal.
    pub(crate) async fn audit(&self, who: &Principal, action: &str, target: &str, result: &'static str) {
        let Some(store) = &self.store else { return };
        let entry = NewAuditEntry {
            actor: who.name.clone(),
            role: who.role.as_str().to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            result,
            detail: None,
        };
        if let Err(e) = store.audit(&entry, UnixMillis::now()).await {
            tracing::warn!(error = %e, "audit entry not written");
        }
    }

    /// Refuses (403, audited) unless `allowed`.
    pub(crate) async fn require(&self, who: &Principal, allowed: bool, action: &str, target: &str, why: &'static str) -> Result<(), ApiError> {
        if allowed {
            return Ok(());
        }
        self.audit(who, action, target, "denied").await;
        Err(ApiError::Forbidden(why))
    }
}

mod auth_routes {
    //! Login, logout, the current user, and API tokens [SEC-2].

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, header};
    use axum::response::{IntoResponse, Response};

    use crate::auth::{Role, SESSION_COOKIE, SESSION_LIFETIME, TokenKind};
    use crate::error::{ApiError, json_object, only_fields, opt_str, req_str};
    use crate::{ApiState, Principal};

    /// `POST /api/login` `{username, password}` → a session token (also set as a cookie).
    pub(crate) async fn login(State(s): State<ApiState>, body: Bytes) -> Result<Response, ApiError> {
        let map = json_object(&body)?;
        only_fields(&map, &["username", "password"])?;
        let (name, password) = (req_str(&map, "username")?, req_str(&map, "password")?);
        let Some(user) = s.auth.check_password(name, password).cloned() else {
            tracing::info!("login refused");
            return Err(ApiError::Unauthenticated);
        };
        let (token, expires) = s.auth.issue(&user.name, user.role, TokenKind::Session, None).await.map_err(ApiError::from)?;
        let who = Principal { name: user.name.clone(), role: user.role, via: "session" };
        s.audit(&who, "login", &format!("user:{}", user.name), "ok").await;
        let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", SESSION_LIFETIME.as_secs());
        let body = serde_json::json!({ "token": token, "username": user.name, "role": user.role.as_str(), "expires_at": expires });
        Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
    }

    /// `POST /api/logout`: revokes the session or token in use.
    pub(crate) async fn logout(State(s): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
        let who = s.principal(&headers).await?;
        let revoked = s.auth.revoke(&headers).await;
        s.audit(&who, "logout", &format!("user:{}", who.name), "ok").await;
        let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        Ok(([(header::SET_COOKIE, cookie)], axum::Json(serde_json::json!({ "revoked": revoked }))).into_response())
    }

    /// `GET /api/me`: who the credentials prove.
    pub(crate) async fn me(State(s): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
        let who = s.principal(&headers).await?;
        Ok(axum::Json(serde_json::json!({ "username": who.name, "role": who.role.as_str(), "via": who.via })).into_response())
    }

    /// `POST /api/tokens` `{label, role?}` (admin): a long-lived token for an integration
    /// (a CRM, a wallboard), shown once.
    pub(crate) async fn create_token(State(s): State<ApiState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
        let who = s.principal(&headers).await?;
        s.require(&who, who.role == Role::Admin, "token.create", "tokens", "only an administrator issues API tokens").await?;
        let map = json_object(&body)?;
        only_fields(&map, &["label", "role"])?;
        let label = req_str(&map, "label")?;
        let role = match opt_str(&map, "role")? {
            None => Role::Auditor,
            Some(r) => Role::parse(r).ok_or_else(|| ApiError::field("role", "must be admin, supervisor, auditor or agent"))?,
        };
        let (token, _) = s.auth.issue(&format!("token:{label}"), role, TokenKind::Api, Some(label)).await.map_err(ApiError::from)?;
        s.audit(&who, "token.create", &format!("token:{label}"), "ok").await;
        Ok((axum::http::StatusCode::CREATED, axum::Json(serde_json::json!({ "token": token, "label": label, "role": role.as_str() }))).into_response())
    }
}
