//! The HTTP error type: one variant per status, each turning into a JSON response with a message
//! the client can act on. Internal errors are logged and the client gets only a generic text.
//!
//! Every error response also carries a [`Problem`] extension saying what went wrong, so the page
//! surface can answer a browser with a Norwegian page instead (see `web::errors`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::access::{Action, Role};
use crate::service;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// 400: the request is malformed (bad id, wrong JSON types).
    #[error("{0}")]
    BadRequest(String),
    /// 401: a token was presented but is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: this visitor may not do that (e.g. freeze a version without edit rights).
    #[error("{message}")]
    Forbidden {
        message: String,
        /// The role and action refused, when the refusal is about one plan.
        refused: Option<(Role, Action)>,
    },
    /// 403: a cookie-authenticated change without the session's CSRF token.
    #[error("missing or wrong CSRF token: reload the page and try again")]
    Csrf,
    /// 404: no such plan (or not one the caller may see).
    #[error("{0}")]
    PlanNotFound(String),
    /// 404: no such template, row, version, thread, …
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

/// What went wrong, as a response extension for the page surface: the status and the kind of
/// problem, never the English message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    BadRequest,
    Unauthorized,
    Forbidden(Option<(Role, Action)>),
    Csrf,
    PlanNotFound,
    NotFound,
    Conflict,
    Unprocessable,
    PayloadTooLarge,
    TooManyRequests,
    Unavailable,
    Internal,
}

impl HttpError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        HttpError::Forbidden {
            message: message.into(),
            refused: None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden { .. } | HttpError::Csrf => StatusCode::FORBIDDEN,
            HttpError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            HttpError::PlanNotFound(_) | HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            HttpError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        match self {
            HttpError::BadRequest(_) => Problem::BadRequest,
            HttpError::Unauthorized(_) => Problem::Unauthorized,
            HttpError::Forbidden { refused, .. } => Problem::Forbidden(*refused),
            HttpError::Csrf => Problem::Csrf,
            HttpError::PlanNotFound(_) => Problem::PlanNotFound,
            HttpError::NotFound(_) => Problem::NotFound,
            HttpError::Conflict(_) => Problem::Conflict,
            HttpError::Unprocessable(_) => Problem::Unprocessable,
            HttpError::PayloadTooLarge(_) => Problem::PayloadTooLarge,
            HttpError::TooManyRequests { .. } => Problem::TooManyRequests,
            HttpError::Unavailable => Problem::Unavailable,
            HttpError::Internal(_) => Problem::Internal,
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
        response.extensions_mut().insert(self.problem());
        if let HttpError::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

impl From<service::Error> for HttpError {
    fn from(e: service::Error) -> Self {
        use service::Error as E;
        let message = e.to_string();
        match e {
            E::PlanNotFound(_) => HttpError::PlanNotFound(message),
            E::NotFound(_) => HttpError::NotFound(message),
            E::Malformed(_) => HttpError::BadRequest(message),
            E::NotAllowed { role, action } => HttpError::Forbidden {
                message,
                refused: Some((role, action)),
            },
            E::Forbidden(_) => HttpError::forbidden(message),
            E::Unauthorized(_) => HttpError::Unauthorized(message),
            E::Invalid { .. } => HttpError::Unprocessable(message),
            E::Conflict(_) => HttpError::Conflict(message),
            E::TooManyAttempts { retry_after_secs } => {
                HttpError::TooManyRequests { retry_after_secs }
            }
            E::Unavailable => HttpError::Unavailable,
            E::Busy => HttpError::TooManyRequests {
                retry_after_secs: 1,
            },
            E::Internal(detail) => HttpError::Internal(detail),
        }
    }
}

macro_rules! via_service_error {
    ($($error:ty),*) => {$(
        impl From<$error> for HttpError {
            fn from(e: $error) -> Self {
                service::Error::from(e).into()
            }
        }
    )*};
}

via_service_error!(
    crate::plan::InvalidPlanId,
    crate::document::DocumentError,
    crate::storage::StorageError,
    crate::room::RoomError
);
