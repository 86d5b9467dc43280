//! Agents, queues and services over HTTP: live state for the wallboard (`GET /api/agents`,
//! `GET /api/queues`) and agent control (`POST /api/agents/{extension}/state`: ready,
//! paused with a reason, logged out — by the agent itself or a supervisor) [ACD-5, CTI-5].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::control::{AgentCommand, ControlError, ServiceMode};
use crate::error::{ApiError, json_object, only_fields, opt_str, req_str};
use crate::{ApiState, Role};

/// `GET /api/agents`: every agent with its state (an agent sees only itself).
pub(crate) async fn list(State(s): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let control = s.control.as_ref().ok_or(ApiError::Unavailable("the ACD is not running"))?;
    let mut agents = control.agents().await;
    if let Some(me) = who.agent() {
        agents.retain(|a| a.extension == me);
    }
    Ok(Json(agents).into_response())
}

/// `GET /api/queues`: per queue the waiting callers, the first caller's wait and the
/// members by state [CTI-5].
pub(crate) async fn queues(State(s): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
    s.principal(&headers).await?;
    let control = s.control.as_ref().ok_or(ApiError::Unavailable("the ACD is not running"))?;
    Ok(Json(control.queues().await).into_response())
}

/// `GET /api/services`: each service's schedule state and override [IVR-8].
pub(crate) async fn services(State(s): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
    s.principal(&headers).await?;
    let control = s.control.as_ref().ok_or(ApiError::Unavailable("the engine is not running"))?;
    Ok(Json(control.services().await).into_response())
}

/// `POST /api/services/{service}/override` `{"mode": "open"|"closed"|"night"|"auto"}`
/// (supervisor, admin) [IVR-8].
pub(crate) async fn set_override(State(s): State<ApiState>, headers: HeaderMap, Path(service): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let target = format!("service:{service}");
    let allowed = matches!(who.role, Role::Admin | Role::Supervisor);
    s.require(&who, allowed, "POST /api/services/{service}/override", &target, "only a supervisor overrides a service's schedule").await?;
    let map = json_object(&body)?;
    only_fields(&map, &["mode"])?;
    let mode = match req_str(&map, "mode")? {
        "auto" => ServiceMode::Auto,
        "open" => ServiceMode::Open,
        "closed" => ServiceMode::Closed,
        "night" => ServiceMode::Night,
        _ => return Err(ApiError::field("mode", "must be open, closed, night or auto")),
    };
    let control = s.control.as_ref().ok_or(ApiError::Unavailable("the engine is not running"))?;
    let view = match control.set_service_mode(&service, mode).await {
        Ok(v) => v,
        Err(ControlError::UnknownService(_)) => return Err(ApiError::NotFound { what: "service", id: service }),
        Err(e) => return Err(ApiError::Conflict(e.to_string())),
    };
    s.audit(&who, "POST /api/services/{service}/override", &target, "ok").await;
    Ok(Json(view).into_response())
}

/// `POST /api/agents/{extension}/state` `{"state": "ready"|"paused"|"logged_out", "reason"}`.
pub(crate) async fn set_state(State(s): State<ApiState>, headers: HeaderMap, Path(extension): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let target = format!("agent:{extension}");
    let allowed = match who.role {
        Role::Admin | Role::Supervisor => true,
        Role::Agent => who.name == extension,
        Role::Auditor => false,
    };
    s.require(&who, allowed, "POST /api/agents/{extension}/state", &target, "only the agent itself or a supervisor changes an agent's state")
        .await?;
    let map = json_object(&body)?;
    only_fields(&map, &["state", "reason"])?;
    let command = match req_str(&map, "state")? {
        "ready" | "available" => AgentCommand::Ready,
        "paused" => {
            let reason = opt_str(&map, "reason")?.map(str::trim).filter(|r| !r.is_empty()).unwrap_or("pause");
            if reason.chars().count() > 64 {
                return Err(ApiError::field("reason", "must be at most 64 characters"));
            }
            AgentCommand::Paused { reason: reason.to_owned() }
        }
        "logged_out" => AgentCommand::LoggedOut,
        _ => return Err(ApiError::field("state", "must be ready, paused or logged_out")),
    };
    let control = s.control.as_ref().ok_or(ApiError::Unavailable("the ACD is not running"))?;
    let view = match control.set_agent_state(&extension, command.clone()).await {
        Ok(v) => v,
        Err(ControlError::UnknownAgent(_)) => return Err(ApiError::NotFound { what: "agent", id: extension }),
        Err(ControlError::Refused(why)) => {
            s.audit(&who, "POST /api/agents/{extension}/state", &target, "failed").await;
            return Err(ApiError::Conflict(why));
        }
        Err(ControlError::Stopped | ControlError::UnknownService(_) | ControlError::UnknownCall(_)) => {
            return Err(ApiError::Unavailable("the ACD is not running"));
        }
    };
    s.audit(&who, "POST /api/agents/{extension}/state", &target, "ok").await;
    Ok(Json(view).into_response())
}
