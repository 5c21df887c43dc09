//! Named versions and exports over HTTP.
//!
//! - `POST /api/plans/{id}/versions` `{"name": "…"}` freezes the plan's committed state (201);
//! - `GET /api/plans/{id}/versions` lists them, newest first;
//! - `GET /api/plans/{id}/versions/{vid}` is the version's content, like `GET /api/plans/{id}`;
//! - `GET /plans/{id}/export.md`, `/plans/{id}/export.pdf` and `/plans/{id}/export.docx`
//!   download the current state, or a version with `?version=<vid>`; `&changes_since=<vid>`
//!   adds what changed since that version as the last appendix. A `changes_since` that is not
//!   a version of the plan is refused (422) with a page that names it. `&previous_status=1`
//!   (a plan made from an earlier one) adds the earlier plan's last closed status round as
//!   the appendix «Status for forrige plan», before the changes; without a previous plan or a
//!   closed round in it, it is refused (422) with a page that names it.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{AppState, HttpError};
use crate::access::Action;
use crate::document::PlanView;
use crate::plan::PlanRecord;
use crate::service::{PlanAccess, versions};
use crate::version::VersionRecord;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/versions",
            get(list_versions).post(create_version),
        )
        .route(
            "/api/plans/{plan_id}/versions/{version_id}",
            get(get_version),
        )
}

#[derive(Debug, Deserialize)]
struct NewVersion {
    name: String,
}

#[tracing::instrument(skip_all)]
async fn create_version(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Freeze)?;
    let request: NewVersion = super::api::parse_json(&body)?;
    let created = versions::freeze(&state, &access, &request.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list_versions(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<VersionRecord>>, HttpError> {
    Ok(Json(versions::list(&state, &access).await?))
}

/// A version's content, as the plan API gives the live one.
#[derive(Serialize)]
struct VersionResponse {
    version: VersionRecord,
    plan: PlanRecord,
    #[serde(flatten)]
    view: PlanView,
}

async fn get_version(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, version_id)): Path<(String, String)>,
) -> Result<Json<VersionResponse>, HttpError> {
    let (version, view) = versions::view(
        state.storage.as_ref(),
        &access.record,
        &access.template,
        &version_id,
    )
    .await?;
    Ok(Json(VersionResponse {
        version,
        plan: access.record,
        view,
    }))
}
