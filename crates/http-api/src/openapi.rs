//! The OpenAPI 3.1 document served at `/api/openapi.json`: every route of `router()` with its
//! method, roles and bodies; a test checks the document and the router list the same paths.

use serde_json::{Value, json};

/// Every (method, path) the router serves under `/api`, as the document lists them.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/openapi.json"),
    ("post", "/api/login"),
    ("post", "/api/logout"),
    ("get", "/api/me"),
    ("post", "/api/tokens"),
    ("get", "/api/events"),
    ("get", "/api/calls"),
    ("get", "/api/calls/{id}"),
    ("post", "/api/live/{call}/hangup"),
    ("post", "/api/live/{call}/transfer"),
    ("get", "/api/tickets"),
    ("post", "/api/tickets"),
    ("get", "/api/tickets/{id}"),
    ("patch", "/api/tickets/{id}"),
    ("post", "/api/tickets/{id}/claim"),
    ("post", "/api/tickets/{id}/notes"),
    ("get", "/api/contacts"),
    ("get", "/api/contacts/{id}"),
    ("patch", "/api/contacts/{id}"),
    ("get", "/api/attachments/{id}"),
    ("get", "/api/agents"),
    ("post", "/api/agents/{extension}/state"),
    ("get", "/api/queues"),
    ("get", "/api/services"),
    ("post", "/api/services/{service}/override"),
    ("get", "/api/audit"),
];

/// The document.
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path) in API_ROUTES {
        let op = operation(method, path);
        let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Centralino API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Calls register, tickets (CRM), agents and queues of the Centralino contact-center engine. \
                Authentication: HTTP Basic with a web user, or `Authorization: Bearer <token>` from /api/login or /api/tokens. \
                Errors are JSON {error, message, field?}: 400 bad JSON, 401, 403 (audited), 404, 409 state conflict, 422 invalid field, 503."
        },
        "components": {
            "securitySchemes": { "basic": { "type": "http", "scheme": "basic" }, "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
        "security": [{ "basic": [] }, { "bearer": [] }],
        "paths": paths,
    })
}

fn operation(method: &str, path: &str) -> Value {
    let (summary, roles, body, ok): (&str, &str, Option<Value>, Value) = match (method, path) {
        ("get", "/api/openapi.json") => ("This document", "anyone", None, json!({"type": "object"})),
        ("post", "/api/login") => ("Password login: a session token (also set as cookie centralino_session)", "anyone",
            Some(json!({"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}})),
            json!({"type": "object", "properties": {"token": {"type": "string"}, "role": {"type": "string"}, "expires_at": {"type": "string"}}})),
        ("post", "/api/logout") => ("Revoke the session or token in use", "any signed-in user", None, json!({"type": "object"})),
        ("get", "/api/me") => ("The signed-in user", "any signed-in user", None, json!({"type": "object"})),
        ("post", "/api/tokens") => ("Issue an API token for an integration (shown once)", "admin",
            Some(json!({"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}, "role": {"enum": ["admin", "supervisor", "auditor", "agent"]}}})),
            json!({"type": "object"})),
        ("get", "/api/events") => ("CTI event stream (WebSocket upgrade); schema in docs/events.md", "any signed-in user (agents: own events)", None, json!({"$ref": "#/components/schemas/CtiEvent"})),
        ("get", "/api/calls") => ("Per-call register, newest first (?limit=1..1000&before=RFC3339)", "supervisor, auditor, admin", None,
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Call"}})),
        ("get", "/api/calls/{id}") => ("One register row with legs and event log", "supervisor, auditor, admin", None, json!({"$ref": "#/components/schemas/Call"})),
        ("post", "/api/live/{call}/hangup") => ("Hang up a live call (its number is the CTI events' `call`)", "agent, supervisor, admin", None, json!({})),
        ("post", "/api/live/{call}/transfer") => ("Move a live caller and its ticket to another queue (level I to level II)", "agent, supervisor, admin",
            Some(json!({"type": "object", "required": ["queue"], "properties": {"queue": {"type": "string"}}})), json!({})),
        ("get", "/api/tickets") => ("Tickets, newest first (?caller=&state=&offline=true|false&limit=)", "any signed-in user", None,
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}})),
        ("post", "/api/tickets") => ("Open a ticket by hand", "agent, supervisor, admin",
            Some(json!({"type": "object", "required": ["channel"], "properties": {"channel": {"enum": ["verde", "centralino", "internal", "email", "fax", "voicemail", "web", "letter"]}, "caller": {"type": "string"}, "description": {"type": "string"}, "offline": {"type": "boolean"}}})),
            json!({"$ref": "#/components/schemas/TicketDetail"})),
        ("get", "/api/tickets/{id}") => ("A ticket with caller record, history and attachments", "any signed-in user", None, json!({"$ref": "#/components/schemas/TicketDetail"})),
        ("patch", "/api/tickets/{id}") => ("Edit fields and move along the Annex A states", "agent, supervisor, admin",
            Some(json!({"$ref": "#/components/schemas/TicketPatch"})), json!({"$ref": "#/components/schemas/Ticket"})),
        ("post", "/api/tickets/{id}/claim") => ("Take an off-line work item in charge", "agent, supervisor, admin", None, json!({"$ref": "#/components/schemas/Ticket"})),
        ("post", "/api/tickets/{id}/notes") => ("Add a note to the history", "agent, supervisor, admin",
            Some(json!({"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}})), json!({})),
        ("get", "/api/contacts") => ("The caller record of a number (?phone=)", "any signed-in user", None, json!({"$ref": "#/components/schemas/Contact"})),
        ("get", "/api/contacts/{id}") => ("A caller record", "any signed-in user", None, json!({"$ref": "#/components/schemas/Contact"})),
        ("patch", "/api/contacts/{id}") => ("Update a caller record", "agent, supervisor, admin",
            Some(json!({"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}, "notes": {"type": "string"}}})),
            json!({"$ref": "#/components/schemas/Contact"})),
        ("get", "/api/attachments/{id}") => ("Download an attachment", "any signed-in user", None, json!({"type": "string", "format": "binary"})),
        ("get", "/api/agents") => ("Agents with live state", "any signed-in user (agents: themselves)", None,
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Agent"}})),
        ("post", "/api/agents/{extension}/state") => ("Ready, pause with reason, log out", "the agent itself, supervisor, admin",
            Some(json!({"type": "object", "required": ["state"], "properties": {"state": {"enum": ["ready", "paused", "logged_out"]}, "reason": {"type": "string", "maxLength": 64}}})),
            json!({"$ref": "#/components/schemas/Agent"})),
        ("get", "/api/queues") => ("Queues with live figures (CTI-5)", "any signed-in user", None,
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Queue"}})),
        ("get", "/api/services") => ("Services with schedule state and override", "any signed-in user", None,
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Service"}})),
        ("post", "/api/services/{service}/override") => ("Force a service open, closed or night mode, or back to its schedule", "supervisor, admin",
            Some(json!({"type": "object", "required": ["mode"], "properties": {"mode": {"enum": ["open", "closed", "night", "auto"]}}})),
            json!({"$ref": "#/components/schemas/Service"})),
        ("get", "/api/audit") => ("Audit log, newest first (?limit=&before_id=)", "auditor, admin", None, json!({"type": "array", "items": {"type": "object"}})),
        _ => ("", "", None, json!({})),
    };
    let mut op = json!({
        "summary": summary,
        "description": format!("Roles: {roles}."),
        "responses": {
            "200": { "description": "OK", "content": { "application/json": { "schema": ok } } },
            "400": { "$ref": "#/components/schemas/Error" },
            "401": { "description": "authentication required" },
            "403": { "description": "role not allowed (audited)" },
            "404": { "description": "unknown id" },
            "422": { "description": "invalid field (named in `field`)" },
        },
    });
    if let Some(b) = body {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": b } } });
    }
    let params: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if !params.is_empty() {
        op["parameters"] = params.into();
    }
    op
}

fn schemas() -> Value {
    let text = json!({"type": ["string", "null"]});
    let instant = json!({"type": ["string", "null"], "format": "date-time"});
    let int = json!({"type": ["integer", "null"]});
    json!({
        "Error": { "description": "error", "type": "object", "properties": { "error": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"} } },
        "Call": { "type": "object", "properties": {
            "id": {"type": "integer"}, "channel": {"enum": ["verde", "centralino", "internal", "outbound"]},
            "from": {"type": "string"}, "to": {"type": "string"}, "trunk": text,
            "started_at": {"type": "string", "format": "date-time"}, "operator_requested_at": instant, "answered_at": instant, "ended_at": instant,
            "queue": text, "agent": text, "wait_seconds": int, "talk_seconds": int, "hangup_side": text, "hangup_cause": text,
            "outcome": {"enum": ["answered", "abandoned_queue", "abandoned_ivr", "closed", "voicemail", "busy", "transferred", "interrupted", null]},
            "recording_path": text, "ticket_id": int } },
        "Ticket": { "type": "object", "properties": {
            "id": {"type": "integer"}, "call_id": int, "contact_id": int, "channel": {"type": "string"}, "caller": text,
            "state": {"enum": ["open", "data_requested", "resolved_level1", "assigned_level2", "forwarded_office", "rejected", "closed"]},
            "category": text, "priority": {"enum": ["low", "normal", "high", "urgent"]}, "description": text, "outcome": text,
            "level": {"type": "integer", "minimum": 1, "maximum": 3}, "agent": text, "office": text, "reject_reason": text,
            "suggested_office": text, "answer": text, "offline": {"type": "boolean"},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "taken_at": instant, "resolved_at": instant, "closed_at": instant, "due_at": instant } },
        "TicketDetail": { "allOf": [ {"$ref": "#/components/schemas/Ticket"}, { "type": "object", "properties": {
            "contact": {"$ref": "#/components/schemas/Contact"},
            "history": {"type": "array", "items": {"type": "object", "properties": {"at": {"type": "string"}, "actor": {"type": "string"}, "action": {"type": "string"}, "detail": {"type": "object"}}}},
            "attachments": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "name": {"type": "string"}, "mime": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"}}}} } } ] },
        "TicketPatch": { "type": "object", "description": "state changes follow Annex A: rejected needs reject_reason, forwarded_office needs office, closed needs answer",
            "properties": { "state": {"type": "string"}, "category": {"type": "string"}, "priority": {"type": "string"}, "description": {"type": "string"},
            "outcome": {"type": "string"}, "level": {"type": "integer"}, "agent": {"type": "string"}, "office": {"type": "string"},
            "reject_reason": {"type": "string"}, "suggested_office": {"type": "string"}, "answer": {"type": "string"} } },
        "Contact": { "type": "object", "properties": { "id": {"type": "integer"}, "phone": {"type": "string"}, "name": text, "email": text, "notes": text } },
        "Agent": { "type": "object", "properties": { "extension": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "integer"},
            "state": {"enum": ["logged_out", "available", "ringing", "on_call", "wrap_up", "paused"]}, "reason": {"type": "string"},
            "state_seconds": {"type": "integer"}, "registered": {"type": "boolean"}, "calls_taken": {"type": "integer"}, "queues": {"type": "array", "items": {"type": "string"}} } },
        "Queue": { "type": "object", "properties": { "name": {"type": "string"}, "waiting": {"type": "integer"}, "longest_wait_seconds": {"type": "integer"},
            "agents": {"type": "object", "additionalProperties": {"type": "integer"}}, "members": {"type": "array"}, "load_per_agent": {"type": "number"},
            "answered": {"type": "integer"}, "abandoned": {"type": "integer"} } },
        "Service": { "type": "object", "properties": { "name": {"type": "string"}, "status": {"enum": ["open", "draining", "closed"]},
            "reason": {"type": "string"}, "mode": {"enum": ["auto", "open", "closed", "night"]}, "next_open": {"type": "string", "format": "date-time"} } },
        "CtiEvent": { "type": "object", "properties": { "v": {"type": "integer"}, "seq": {"type": "integer"}, "at": {"type": "string"}, "kind": {"type": "string"}, "call": {"type": "integer"}, "data": {"type": "object"} } },
    })
}
