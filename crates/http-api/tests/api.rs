//! The API from outside, on a real SQLite store and a scripted engine: authentication and
//! roles with audited denials [SEC-2, TEL-7], bad input answered 400/422 naming the field,
//! tickets along Annex A [CRM-1, CRM-11], sessions and tokens, and the OpenAPI document in
//! step with the router.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_api::control::{AgentCommand, AgentView, BoxFuture, ControlError, EngineControl, LiveCommand, QueueView, ServiceMode, ServiceView};
use http_api::{ApiState, Authenticator, Role, WebUser, WebUsers, openapi_document, router};
use http_body_util::BodyExt;
use sql_store::{Channel, NewCall, NewTicket, Store, UnixMillis};
use tower::ServiceExt;

/// The engine as the API sees it: agents whose state follows the commands.
#[derive(Default)]
struct ScriptedEngine {
    agents: Mutex<HashMap<String, String>>,
    verde: Mutex<Option<ServiceMode>>,
}

impl EngineControl for ScriptedEngine {
    fn set_agent_state(&self, extension: &str, command: AgentCommand) -> BoxFuture<'_, Result<AgentView, ControlError>> {
        let result = {
            let mut agents = self.agents.lock().unwrap();
            match agents.get_mut(extension) {
                None => Err(ControlError::UnknownAgent(extension.to_owned())),
                Some(state) => {
                    *state = match command {
                        AgentCommand::Ready => "available".to_owned(),
                        AgentCommand::Paused { .. } => "paused".to_owned(),
                        AgentCommand::LoggedOut => "logged_out".to_owned(),
                    };
                    Ok(view(extension, state))
                }
            }
        };
        Box::pin(async move { result })
    }

    fn agents(&self) -> BoxFuture<'_, Vec<AgentView>> {
        let list = self.agents.lock().unwrap().iter().map(|(e, s)| view(e, s)).collect();
        Box::pin(async move { list })
    }

    fn queues(&self) -> BoxFuture<'_, Vec<QueueView>> {
        Box::pin(async { Vec::new() })
    }

    fn services(&self) -> BoxFuture<'_, Vec<ServiceView>> {
        let mode = *self.verde.lock().unwrap();
        Box::pin(async move { vec![service_view(mode)] })
    }

    fn call_command(&self, call: u64, command: LiveCommand, by: &str) -> BoxFuture<'_, Result<(), ControlError>> {
        let result = match (call, command) {
            (7, LiveCommand::TransferToQueue { queue }) if queue == "livello2" && by == "2001" => Ok(()),
            (7, LiveCommand::TransferToQueue { .. }) => Err(ControlError::Refused("no such queue".into())),
            (7, LiveCommand::Hangup) => Ok(()),
            (n, _) => Err(ControlError::UnknownCall(n)),
        };
        Box::pin(async move { result })
    }

    fn set_service_mode(&self, service: &str, mode: ServiceMode) -> BoxFuture<'_, Result<ServiceView, ControlError>> {
        let result = if service == "verde" {
            *self.verde.lock().unwrap() = Some(mode);
            Ok(service_view(Some(mode)))
        } else {
            Err(ControlError::UnknownService(service.to_owned()))
        };
        Box::pin(async move { result })
    }
}

fn service_view(mode: Option<ServiceMode>) -> ServiceView {
    let (status, mode) = match mode {
        Some(ServiceMode::Open) => ("open", "open"),
        Some(ServiceMode::Closed) => ("closed", "closed"),
        Some(ServiceMode::Night) => ("closed", "night"),
        Some(ServiceMode::Auto) | None => ("open", "auto"),
    };
    ServiceView { name: "verde".into(), status: status.into(), reason: None, mode: mode.into(), next_open: None }
}

fn view(ext: &str, state: &str) -> AgentView {
    AgentView {
        extension: ext.to_owned(),
        name: format!("Agent {ext}"),
        level: 1,
        state: state.to_owned(),
        reason: None,
        state_seconds: 0,
        registered: true,
        calls_taken: 0,
        queues: vec!["verde".into()],
    }
}

async fn state() -> (ApiState, Store) {
    let dir = std::env::temp_dir().join(format!("http-api-test-{}-{}", std::process::id(), fastrand_u64()));
    let store = Store::open(&format!("sqlite://{}/data/api.db?mode=rwc", dir.display())).await.unwrap();
    let users = WebUsers::new(
        [("admin", Role::Admin), ("supervisor", Role::Supervisor), ("auditor", Role::Auditor)]
            .into_iter()
            .map(|(n, r)| WebUser { name: n.into(), password: n.into(), role: r })
            .chain([WebUser { name: "2001".into(), password: "pw2001".into(), role: Role::Agent }])
            .collect(),
    );
    let engine = ScriptedEngine::default();
    engine.agents.lock().unwrap().insert("2001".into(), "available".into());
    let state = ApiState {
        metrics: None,
        cti: cti_bus::CtiBus::new(64),
        auth: Arc::new(Authenticator::new(users, Some(store.clone()))),
        store: Some(store.clone()),
        control: Some(Arc::new(engine)),
        files_root: dir,
    };
    (state, store)
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn basic(user: &str, password: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

async fn call(s: &ApiState, method: &str, path: &str, auth: Option<&str>, body: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req.body(Body::from(body.unwrap_or("").to_owned())).unwrap();
    let resp = router(s.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}

#[tokio::test]
async fn sec_2_roles_are_enforced_and_denials_audited() {
    let (s, store) = state().await;
    let sup = basic("supervisor", "supervisor");
    let aud = basic("auditor", "auditor");
    let (code, _) = call(&s, "POST", "/api/agents/2001/state", None, Some(r#"{"state":"paused"}"#)).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, body) = call(&s, "POST", "/api/agents/2001/state", Some(&aud), Some(r#"{"state":"paused","reason":"test"}"#)).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "[TEL-7] the auditor is read-only");
    assert_eq!(body["error"], "forbidden");
    let audit = store.audit_entries(10, None).await.unwrap();
    assert_eq!((audit[0].actor.as_str(), audit[0].result.as_str(), audit[0].target.as_str()), ("auditor", "denied", "agent:2001"));
    // An agent changes only its own state.
    let (code, _) = call(&s, "POST", "/api/agents/2002/state", Some(&basic("2001", "pw2001")), Some(r#"{"state":"ready"}"#)).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, body) = call(&s, "POST", "/api/agents/2001/state", Some(&basic("2001", "pw2001")), Some(r#"{"state":"paused","reason":"lunch"}"#)).await;
    assert_eq!((code, body["state"].as_str()), (StatusCode::OK, Some("paused")));
    let (code, _) = call(&s, "GET", "/api/calls", Some(&basic("2001", "pw2001")), None).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "agents do not browse the register");
    let (code, _) = call(&s, "GET", "/api/audit", Some(&sup), None).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "the audit log is the auditor's");
    let (code, body) = call(&s, "GET", "/api/audit?limit=5", Some(&aud), None).await;
    assert_eq!(code, StatusCode::OK);
    assert!(body.as_array().unwrap().len() >= 3);
}

#[tokio::test]
async fn bad_agent_state_input_is_refused_naming_the_field() {
    let (s, _) = state().await;
    let sup = basic("supervisor", "supervisor");
    let (code, body) = call(&s, "POST", "/api/agents/2001/state", Some(&sup), Some(r#"{"state":"sometimes"}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));
    let (code, body) = call(&s, "POST", "/api/agents/2001/state", Some(&sup), Some("{not json")).await;
    assert_eq!((code, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_json")));
    let (code, _) = call(&s, "POST", "/api/agents/2001/state", Some(&sup), Some(r#"{"state":"ready","colour":"red"}"#)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "unknown fields are not silently ignored");
    let (code, _) = call(&s, "POST", "/api/agents/2999/state", Some(&sup), Some(r#"{"state":"ready"}"#)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, body) = call(&s, "POST", "/api/agents/2001/state", Some(&sup), Some(r#"{"state":"logged_out"}"#)).await;
    assert_eq!((code, body["state"].as_str()), (StatusCode::OK, Some("logged_out")));
    let (code, body) = call(&s, "GET", "/api/calls?limit=zero", Some(&sup), None).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));
}

#[tokio::test]
async fn crm_11_tickets_move_along_annex_a_over_the_api() {
    let (s, store) = state().await;
    let sup = basic("supervisor", "supervisor");
    let agent = basic("2001", "pw2001");
    let now = UnixMillis::now();
    let call_id = store
        .insert_call(&NewCall { channel: Channel::Verde, trunk: None, dialled: "800904277".into(), caller: "3331234567".into(), started_at: now, sip_call_id: None })
        .await
        .unwrap();
    let new = NewTicket { channel: "verde".into(), caller: Some("3331234567".into()), agent: Some("2001".into()), level: 1, ..NewTicket::default() };
    let t = store.open_ticket_for_call(call_id, &new, "system", now).await.unwrap();
    let (code, body) = call(&s, "GET", &format!("/api/tickets/{t}"), Some(&agent), None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!((body["state"].as_str(), body["channel"].as_str()), (Some("open"), Some("verde")));
    assert_eq!(body["history"][0]["action"], "created");
    assert_eq!(body["contact"]["phone"], "3331234567");
    let (code, _) = call(&s, "GET", "/api/tickets/99999", Some(&agent), None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = call(&s, "GET", "/api/tickets/abc", Some(&agent), None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let path = format!("/api/tickets/{t}");
    let (code, body) = call(&s, "PATCH", &path, Some(&agent), Some(r#"{"state":"nowhere"}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));
    let (code, body) = call(&s, "PATCH", &path, Some(&agent), Some(r#"{"category":"billing","level":7}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("level")));
    let (code, body) = call(&s, "PATCH", &path, Some(&agent), Some(r#"{"category":"billing","state":"assigned_level2"}"#)).await;
    assert_eq!((code, body["state"].as_str(), body["level"].as_u64()), (StatusCode::OK, Some("assigned_level2"), Some(2)));
    let (code, body) = call(&s, "PATCH", &path, Some(&sup), Some(r#"{"state":"rejected"}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reject_reason")));
    let (code, _) = call(&s, "PATCH", &path, Some(&sup), Some(r#"{"state":"resolved_level1"}"#)).await;
    assert_eq!(code, StatusCode::CONFLICT, "assigned to level II cannot jump back to resolved at level I");
    let (code, _) = call(&s, "PATCH", &path, Some(&basic("auditor", "auditor")), Some(r#"{"category":"x"}"#)).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, body) = call(&s, "PATCH", &path, Some(&sup), Some(r#"{"state":"closed","answer":"reading corrected","outcome":"resolved"}"#)).await;
    assert_eq!((code, body["state"].as_str()), (StatusCode::OK, Some("closed")));
    let (code, _) = call(&s, "POST", &format!("{path}/notes"), Some(&agent), Some(r#"{"text":"customer thanked"}"#)).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (_, body) = call(&s, "GET", &path, Some(&sup), None).await;
    let actions: Vec<&str> = body["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["created", "state", "state", "note"]);
    let (code, body) = call(&s, "GET", "/api/tickets?caller=3331234567", Some(&sup), None).await;
    assert_eq!((code, body.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    let (code, body) = call(&s, "POST", "/api/tickets", Some(&agent), Some(r#"{"channel":"email","caller":"a@b.it","description":"bill"}"#)).await;
    assert_eq!((code, body["offline"].as_bool()), (StatusCode::CREATED, Some(true)));
    let (code, body) = call(&s, "POST", "/api/tickets", Some(&agent), Some(r#"{"channel":"pigeon"}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")));
}

#[tokio::test]
async fn ivr_8_a_supervisor_overrides_a_service_and_others_cannot() {
    let (s, store) = state().await;
    let sup = basic("supervisor", "supervisor");
    let (code, body) = call(&s, "POST", "/api/services/verde/override", Some(&sup), Some(r#"{"mode":"closed"}"#)).await;
    assert_eq!((code, body["mode"].as_str(), body["status"].as_str()), (StatusCode::OK, Some("closed"), Some("closed")));
    let (code, body) = call(&s, "POST", "/api/services/verde/override", Some(&sup), Some(r#"{"mode":"shut"}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("mode")));
    let (code, _) = call(&s, "POST", "/api/services/nowhere/override", Some(&sup), Some(r#"{"mode":"open"}"#)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    for who in [basic("auditor", "auditor"), basic("2001", "pw2001")] {
        let (code, _) = call(&s, "POST", "/api/services/verde/override", Some(&who), Some(r#"{"mode":"open"}"#)).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let (code, body) = call(&s, "GET", "/api/services", Some(&basic("auditor", "auditor")), None).await;
    assert_eq!((code, body[0]["mode"].as_str()), (StatusCode::OK, Some("closed")));
    let audit = store.audit_entries(10, None).await.unwrap();
    assert!(audit.iter().any(|e| e.target == "service:verde" && e.result == "ok"), "the override is audited");
}

#[tokio::test]
async fn acd_6_an_agent_transfers_its_caller_to_level_two() {
    let (s, _) = state().await;
    let agent = basic("2001", "pw2001");
    let (code, _) = call(&s, "POST", "/api/live/7/transfer", Some(&agent), Some(r#"{"queue":"livello2"}"#)).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, body) = call(&s, "POST", "/api/live/7/transfer", Some(&agent), Some(r#"{}"#)).await;
    assert_eq!((code, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("queue")));
    let (code, _) = call(&s, "POST", "/api/live/8/transfer", Some(&agent), Some(r#"{"queue":"livello2"}"#)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = call(&s, "POST", "/api/live/7/hangup", Some(&basic("auditor", "auditor")), None).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = call(&s, "POST", "/api/live/7/hangup", Some(&basic("supervisor", "supervisor")), None).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn sec_2_login_sessions_and_api_tokens() {
    let (s, _) = state().await;
    let (code, _) = call(&s, "POST", "/api/login", None, Some(r#"{"username":"supervisor","password":"wrong"}"#)).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, body) = call(&s, "POST", "/api/login", None, Some(r#"{"username":"supervisor","password":"supervisor"}"#)).await;
    assert_eq!(code, StatusCode::OK);
    let bearer = format!("Bearer {}", body["token"].as_str().unwrap());
    let (code, me) = call(&s, "GET", "/api/me", Some(&bearer), None).await;
    assert_eq!((code, me["role"].as_str(), me["via"].as_str()), (StatusCode::OK, Some("supervisor"), Some("session")));
    let (code, _) = call(&s, "POST", "/api/logout", Some(&bearer), None).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = call(&s, "GET", "/api/me", Some(&bearer), None).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "a revoked session no longer works");
    let (code, _) = call(&s, "POST", "/api/tokens", Some(&basic("supervisor", "supervisor")), Some(r#"{"label":"crm"}"#)).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, body) = call(&s, "POST", "/api/tokens", Some(&basic("admin", "admin")), Some(r#"{"label":"crm","role":"auditor"}"#)).await;
    assert_eq!(code, StatusCode::CREATED);
    let token = format!("Bearer {}", body["token"].as_str().unwrap());
    let (code, _) = call(&s, "GET", "/api/calls", Some(&token), None).await;
    assert_eq!(code, StatusCode::OK, "an auditor token reads the register");
    let (code, _) = call(&s, "GET", "/api/me", Some("Bearer not-a-token"), None).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_served_routes() {
    let (s, _) = state().await;
    let doc = openapi_document();
    let (code, served) = call(&s, "GET", "/api/openapi.json", None, None).await;
    assert_eq!((code, &served), (StatusCode::OK, &doc));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            documented += 1;
            assert!(!op["summary"].as_str().unwrap().is_empty(), "{method} {path} has a summary");
            let concrete = path.replace("{id}", "1").replace("{extension}", "2001").replace("{service}", "verde").replace("{call}", "7");
            let (code, _) = call(&s, &method.to_uppercase(), &concrete, None, None).await;
            assert_ne!(code, StatusCode::NOT_FOUND, "{method} {path} is documented but not served");
            assert_ne!(code, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not served");
        }
    }
    assert_eq!(documented, http_api_routes_count());
    // An undocumented route is not served.
    let (code, _) = call(&s, "GET", "/api/nothing-here", None, None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

fn http_api_routes_count() -> usize {
    // Counted from the router source so that a route added without documentation fails here.
    let src = include_str!("../src/lib.rs");
    src.lines()
        .filter(|l| l.trim_start().starts_with(".route(\"/api/"))
        .map(|l| l.matches("get(").count() + l.matches("post(").count() + l.matches(".patch(").count())
        .sum()
}
