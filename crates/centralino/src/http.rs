//! The HTTP side of the binary so far: Prometheus `/metrics`, `/healthz`, and the CTI
//! WebSocket `/api/events` behind HTTP Basic authentication [CTI-1, CTI-3, SEC-2].

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cti_bus::CtiBus;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info};

use crate::users::{Role, WebUsers};

#[derive(Clone)]
struct AppState {
    metrics: PrometheusHandle,
    cti: CtiBus,
    users: Arc<WebUsers>,
    store: Option<sql_store::Store>,
}

/// Serves until the process ends.
pub async fn serve(
    listener: TcpListener,
    metrics: PrometheusHandle,
    cti: CtiBus,
    users: Arc<WebUsers>,
    store: Option<sql_store::Store>,
) {
    let app = router(AppState { metrics, cti, users, store });
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(s): State<AppState>| async move { s.metrics.render() }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/api/events", get(events))
        .route("/api/calls", get(calls))
        .with_state(state)
}

/// `GET /api/events`: the CTI event stream as WebSocket text frames, one JSON event
/// each. Every signed-in role may watch (agents will get their own view later).
async fn events(State(s): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let Some(user) = s.users.authenticate(&headers) else {
        return unauthorized();
    };
    if !matches!(user.role, Role::Admin | Role::Supervisor | Role::Auditor | Role::Agent) {
        return StatusCode::FORBIDDEN.into_response();
    }
    info!(user = %user.name, "CTI subscriber connected");
    let rx = s.cti.subscribe();
    ws.on_upgrade(move |socket| forward(socket, rx))
}

async fn forward(mut socket: WebSocket, mut rx: tokio::sync::broadcast::Receiver<Arc<cti_bus::CtiEvent>>) {
    loop {
        tokio::select! {
            ev = rx.recv() => {
                let text = match ev {
                    Ok(ev) => match serde_json::to_string(&*ev) {
                        Ok(t) => t,
                        Err(_) => continue,
                    },
                    // A slow client is told what it missed rather than stalling the bus.
                    Err(RecvError::Lagged(n)) => format!("{{\"kind\":\"events.lost\",\"data\":{{\"count\":{n}}}}}"),
                    Err(RecvError::Closed) => break,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    debug!("CTI subscriber gone");
}

#[derive(serde::Deserialize)]
struct CallsQuery {
    limit: Option<u32>,
}

/// `GET /api/calls?limit=N`: the newest calls of the per-call register, newest first
/// (supervisor, auditor, admin) [SLA-9, TEL-7].
async fn calls(State(s): State<AppState>, headers: HeaderMap, query: Result<axum::extract::Query<CallsQuery>, axum::extract::rejection::QueryRejection>) -> Response {
    let Some(user) = s.users.authenticate(&headers) else {
        return unauthorized();
    };
    if !matches!(user.role, Role::Admin | Role::Supervisor | Role::Auditor) {
        return error(StatusCode::FORBIDDEN, "forbidden", "the call register is for supervisors and auditors");
    }
    let Ok(axum::extract::Query(q)) = query else {
        return error(StatusCode::BAD_REQUEST, "bad_query", "limit must be a whole number");
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let Some(store) = &s.store else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "no_store", "the engine runs without a store");
    };
    match store.calls(limit, None).await {
        Ok(rows) => axum::Json(rows).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "reading the call register failed");
            error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "the store is not reachable")
        }
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": code, "message": message }))).into_response()
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"centralino\", charset=\"UTF-8\"")], "authentication required\n")
        .into_response()
}
