//! The API layer's error enum and its JSON form: every refusal says what is wrong in a
//! machine-readable `error` code, names the offending `field` where there is one, and maps to
//! an explicit HTTP status (issue 4, "Bad input").

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why an API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or wrong credentials (401).
    #[error("authentication required")]
    Unauthenticated,
    /// The role may not do this (403; audited).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The body is not JSON, or a query parameter does not parse (400).
    #[error("{message}")]
    BadRequest {
        /// Machine code.
        code: &'static str,
        /// Human text.
        message: String,
    },
    /// A field is missing or has an invalid value (422).
    #[error("{field}: {message}")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No such object (404).
    #[error("no {what} {id}")]
    NotFound {
        /// `ticket`, `call`, `agent`…
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The change conflicts with the object's state (409), e.g. an Annex A transition.
    #[error("{0}")]
    Conflict(String),
    /// The store or the engine cannot serve now (503).
    #[error("{0}")]
    Unavailable(&'static str),
}

impl ApiError {
    /// A 422 naming `field`.
    pub fn field(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::InvalidField { field, message: message.into() }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::BadRequest { code, .. } => code,
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "unavailable",
        }
    }
}

impl From<sql_store::StoreError> for ApiError {
    fn from(e: sql_store::StoreError) -> ApiError {
        match e {
            sql_store::StoreError::UnknownTicket(id) => ApiError::NotFound { what: "ticket", id: id.to_string() },
            sql_store::StoreError::UnknownCall(id) => ApiError::NotFound { what: "call", id: id.0.to_string() },
            sql_store::StoreError::TicketRule(rule) => match rule {
                cc_model::ticket::TicketRuleError::MissingField { field, to } => {
                    // The rule's names, as the PATCH body spells them.
                    let field = if field == "reason" { "reject_reason" } else { field };
                    ApiError::field(field, format!("moving the ticket to {to} needs {field}"))
                }
                other => ApiError::Conflict(other.to_string()),
            },
            other => {
                tracing::warn!(error = %other, "store error behind the API");
                ApiError::Unavailable("the store is not reachable")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = serde_json::json!({ "error": self.code(), "message": self.to_string() });
        if let ApiError::InvalidField { field, .. } = &self {
            body["field"] = (*field).into();
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"centralino\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

/// A JSON request body as a map, or 400 naming what is wrong with it.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadRequest { code: "bad_json", message: "the body must be a JSON object".into() }),
        Err(e) => Err(ApiError::BadRequest { code: "bad_json", message: format!("the body is not valid JSON: {e}") }),
    }
}

/// An optional string field; 422 when present with another type.
pub fn opt_str<'a>(map: &'a serde_json::Map<String, serde_json::Value>, field: &'static str) -> Result<Option<&'a str>, ApiError> {
    match map.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::field(field, "must be a string")),
    }
}

/// A required string field.
pub fn req_str<'a>(map: &'a serde_json::Map<String, serde_json::Value>, field: &'static str) -> Result<&'a str, ApiError> {
    opt_str(map, field)?.ok_or_else(|| ApiError::field(field, "is required"))
}

/// Refuses fields the endpoint does not know (a typo must not be silently ignored).
pub fn only_fields(map: &serde_json::Map<String, serde_json::Value>, known: &[&str]) -> Result<(), ApiError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ApiError::BadRequest { code: "unknown_field", message: format!("unknown field {k:?}; known: {}", known.join(", ")) }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_errors_name_the_field_and_map_to_statuses() {
        assert_eq!(json_object(b"{").unwrap_err().status(), StatusCode::BAD_REQUEST);
        assert_eq!(json_object(b"[1]").unwrap_err().status(), StatusCode::BAD_REQUEST);
        let map = json_object(br#"{"state": 3, "reason": "lunch"}"#).unwrap();
        let e = req_str(&map, "state").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(matches!(e, ApiError::InvalidField { field: "state", .. }));
        assert_eq!(opt_str(&map, "reason").unwrap(), Some("lunch"));
        assert!(matches!(req_str(&map, "missing"), Err(ApiError::InvalidField { field: "missing", .. })));
        assert!(only_fields(&map, &["state"]).is_err());
        assert!(only_fields(&map, &["state", "reason"]).is_ok());
    }
}
