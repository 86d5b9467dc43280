//! `GET /api/events`: the CTI event stream as WebSocket text frames, one JSON event each,
//! filtered by audience — supervisors, administrators and auditors see everything, an agent
//! its own calls and its queues' summaries [CTI-3, CTI-4].

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use cti_bus::filter::{Audience, visible_to};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info};

use crate::ApiState;
use crate::error::ApiError;

pub(crate) async fn events(State(s): State<ApiState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Result<Response, ApiError> {
    let who = s.principal(&headers).await?;
    let audience = match who.agent() {
        Some(ext) => {
            let queues = match &s.control {
                Some(c) => c.agents().await.into_iter().find(|a| a.extension == ext).map(|a| a.queues).unwrap_or_default(),
                None => Vec::new(),
            };
            Audience::Agent { extension: ext.to_owned(), queues }
        }
        None => Audience::Supervisor,
    };
    info!(user = %who.name, "CTI subscriber connected");
    let rx = s.cti.subscribe();
    Ok(ws.on_upgrade(move |socket| forward(socket, rx, audience)).into_response())
}

async fn forward(mut socket: WebSocket, mut rx: tokio::sync::broadcast::Receiver<Arc<cti_bus::CtiEvent>>, audience: Audience) {
    loop {
        tokio::select! {
            ev = rx.recv() => {
                let text = match ev {
                    Ok(ev) if !visible_to(&ev, &audience) => continue,
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
