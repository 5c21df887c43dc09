//! The HTTP error type: one variant per status, each turning into a response with a message the
//! client can act on. Internal errors are logged and the client gets only a generic text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::document::{DocumentError, ErrorKind};
use crate::plan::InvalidPlanId;
use crate::room::RoomError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// 400: the request is malformed (bad id, wrong JSON types).
    #[error("{0}")]
    BadRequest(String),
    /// 401: a token was presented but is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: this visitor may not do that (e.g. freeze a version without edit rights).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such plan, template or row.
    #[error("{0}")]
    NotFound(String),
    /// 409: collides with what exists (e.g. a row id already in use).
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but refused by the plan's rules (e.g. an unknown enum value).
    #[error("{0}")]
    Unprocessable(String),
    /// 413: the body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 429: too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {} minutes", retry_after_secs.div_ceil(60))]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: the server is shutting down, or the plan's room just closed; retry.
    #[error("the server is busy or shutting down; try again")]
    Unavailable,
    /// 500: something went wrong on our side; details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl HttpError {
    fn status(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            HttpError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let message = match &self {
            HttpError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "Noe gikk galt på serveren. Prøv igjen om litt.".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = (self.status(), Json(json!({ "error": message }))).into_response();
        if let HttpError::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

impl From<InvalidPlanId> for HttpError {
    fn from(e: InvalidPlanId) -> Self {
        HttpError::BadRequest(e.to_string())
    }
}

impl From<DocumentError> for HttpError {
    fn from(e: DocumentError) -> Self {
        let message = e.to_string();
        match e.kind() {
            ErrorKind::NotFound => HttpError::NotFound(message),
            ErrorKind::Invalid => HttpError::Unprocessable(message),
            ErrorKind::BadRequest => HttpError::BadRequest(message),
            ErrorKind::Conflict => HttpError::Conflict(message),
        }
    }
}

impl From<StorageError> for HttpError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::PlanNotFound(id) => HttpError::NotFound(format!("plan {id} not found")),
            StorageError::VersionNameTaken(_) | StorageError::EmailTaken(_) => {
                HttpError::Conflict(e.to_string())
            }
            other => HttpError::Internal(other.to_string()),
        }
    }
}

impl From<RoomError> for HttpError {
    fn from(e: RoomError) -> Self {
        match e {
            RoomError::Storage(e) => e.into(),
            RoomError::ShuttingDown | RoomError::Closed => HttpError::Unavailable,
            RoomError::NotStored => HttpError::Internal("a change could not be stored".into()),
            RoomError::Corrupt(detail) => HttpError::Internal(detail),
        }
    }
}
