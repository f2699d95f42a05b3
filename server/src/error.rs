//! One error type for the HTTP boundary, with its status-code mapping. Clients get a plain
//! message for internal errors; the typed cause, with its chain, is logged inside the
//! request's span.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eom_shared::ErrorBody;

use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    BadRequest {
        message: String,
        hint: Option<String>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("the server is busy")]
    Overloaded { retry_after_secs: u32 },
    #[error("too many requests from this {who}")]
    TooManyRequests {
        who: &'static str,
        retry_after_secs: u32,
    },
    /// Another error status (405, 408, 415...) given a JSON body by the middleware.
    #[error("{message}")]
    Status {
        status: StatusCode,
        code: &'static str,
        message: String,
        hint: Option<String>,
    },
    #[error("internal error")]
    Internal(#[source] ServiceError),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// What the client is told: internal details stay in the server log.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "the server hit an internal error".to_owned(),
            other => other.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Status { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        let (code, hint, retryable) = match self {
            ApiError::Unauthorized(_) => (
                "unauthorized",
                Some("send 'Authorization: Bearer <token>' with the token printed by 'eom-server observer add' or 'coordinator add'".to_owned()),
                false,
            ),
            ApiError::Forbidden(_) => ("forbidden", None, false),
            ApiError::BadRequest { hint, .. } => ("bad_request", hint.clone(), false),
            ApiError::NotFound(_) => ("not_found", None, false),
            ApiError::PayloadTooLarge(_) => (
                "payload_too_large",
                Some(format!(
                    "send at most {} submissions per push, gzip-compressed",
                    eom_shared::sync::MAX_PUSH_BATCH
                )),
                false,
            ),
            ApiError::Overloaded { retry_after_secs } => (
                "overloaded",
                Some(format!("retry after {retry_after_secs} s")),
                true,
            ),
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => (
                "too_many_requests",
                Some(format!("wait {retry_after_secs} s before the next request")),
                true,
            ),
            ApiError::Status { code, hint, .. } => (*code, hint.clone(), false),
            ApiError::Internal(_) => ("internal", Some("retry later; if it persists, tell the operator".to_owned()), true),
        };
        ErrorBody {
            error: code.to_owned(),
            message: self.public_message(),
            hint,
            retryable,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %chain(cause), "internal error");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::Overloaded { retry_after_secs }
        | ApiError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// An error and its causes, outermost first: "database error: disk I/O error".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { message, hint } => ApiError::BadRequest { message, hint },
            ServiceError::NotFound(m) => ApiError::NotFound(m),
            ServiceError::TooLarge(m) => ApiError::PayloadTooLarge(m),
            ServiceError::Overloaded { retry_after_secs } => {
                ApiError::Overloaded { retry_after_secs }
            }
            ServiceError::Store(StoreError::Busy) => ApiError::Overloaded {
                retry_after_secs: 2,
            },
            ServiceError::Store(StoreError::Invalid(message)) => ApiError::BadRequest {
                message,
                hint: None,
            },
            other => ApiError::Internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge("the request body is too large".to_owned())
            }
            _ => ApiError::BadRequest {
                message: rejection.body_text(),
                hint: Some("send a JSON body with 'Content-Type: application/json'".to_owned()),
            },
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest {
            message: rejection.body_text(),
            hint: Some(
                "check the query parameters against the API reference in README.md".to_owned(),
            ),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge("the request body is too large".to_owned())
            }
            _ => ApiError::BadRequest {
                message: rejection.body_text(),
                hint: Some("send the whole body, gzip-compressed or plain".to_owned()),
            },
        }
    }
}

impl From<crate::limits::OverBudget> for ApiError {
    fn from(over: crate::limits::OverBudget) -> Self {
        ApiError::TooManyRequests {
            who: "token",
            retry_after_secs: over.retry_after_secs(),
        }
    }
}
