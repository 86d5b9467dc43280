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
}

/// Serves until the process ends.
pub async fn serve(listener: TcpListener, metrics: PrometheusHandle, cti: CtiBus, users: Arc<WebUsers>) {
    let app = router(AppState { metrics, cti, users });
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(s): State<AppState>| async move { s.metrics.render() }))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/api/events", get(events))
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

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"centralino\", charset=\"UTF-8\"")], "authentication required\n")
        .into_response()
}
