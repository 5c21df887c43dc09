//! The plan's cover logo: `PUT /api/plans/{id}/logo` (the file as the body, `Content-Type`
//! `image/png` or `image/svg+xml`) and `DELETE` for the coordinator; `GET /plans/{id}/logo` for
//! everyone who may read the plan (the settings page's preview). The checks are the service's
//! ([`settings::set_logo`]); here the body is read no further than the size limit.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

use super::{AppState, HttpError};
use crate::access::Action;
use crate::export::LogoKind;
use crate::export::logo::{LogoError, MAX_LOGO_BYTES};
use crate::service::PlanAccess;
use crate::service::settings;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/logo",
            put(put_logo).delete(delete_logo),
        )
        .route("/plans/{plan_id}/logo", get(get_logo))
}

/// What an SVG logo may do when opened on its own: draw, with its inline styles; nothing else
/// (no script, no loads). Stricter than the pages' policy, which `app::security_headers` keeps.
pub const SVG_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// Reads a body of at most [`MAX_LOGO_BYTES`]: a larger one is refused (413) as soon as it
/// says so (`Content-Length`) or grows past the limit, without reading the rest.
pub(crate) async fn read_logo_body(request: Request) -> Result<Vec<u8>, HttpError> {
    let too_large = || HttpError::PayloadTooLarge(LogoError::TooLarge.to_string());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_LOGO_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_LOGO_BYTES)
        .await
        .map_err(|_| too_large())?;
    Ok(bytes.to_vec())
}

/// Stores the body as the plan's logo: 204, or 422 naming `logo` (413 when too large).
#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn put_logo(
    State(state): State<AppState>,
    access: PlanAccess,
    request: Request,
) -> Result<StatusCode, HttpError> {
    // Refused callers are not read further.
    access.require(Action::Manage)?;
    let kind = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(LogoKind::from_content_type);
    let bytes = read_logo_body(request).await?;
    settings::set_logo(&state, &access, kind, bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn delete_logo(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<StatusCode, HttpError> {
    settings::remove_logo(&state, &access).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logo as stored, with its type, never sniffed; an SVG may not run or load anything.
async fn get_logo(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Response, HttpError> {
    let logo = settings::logo(&state, &access).await?;
    let mut response = Body::from(logo.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(logo.kind.content_type()),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if logo.kind == LogoKind::Svg {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SVG_CONTENT_SECURITY_POLICY),
        );
    }
    Ok(response)
}
