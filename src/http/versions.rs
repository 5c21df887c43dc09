//! Named versions and exports over HTTP.
//!
//! - `POST /api/plans/{id}/versions` `{"name": "…"}` freezes the plan's committed state (201);
//! - `GET /api/plans/{id}/versions` lists them, newest first;
//! - `GET /api/plans/{id}/versions/{vid}` is the version's content, like `GET /api/plans/{id}`;
//! - `GET /plans/{id}/export.md` and `/plans/{id}/export.pdf` download the current state, or a
//!   version with `?version=<vid>`.
//!
//! A version is read from its stored state in a detached document; the live room is only asked
//! for the state at the moment of freezing, so what is frozen is exactly what was committed.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{AppState, HttpError};
use crate::access::Action;
use crate::auth::PlanAccess;
use crate::document::{self, PlanView};
use crate::export::{self, ExportInfo, Format};
use crate::plan::PlanRecord;
use crate::templates::Template;
use crate::version::{self, VersionId, VersionRecord};

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
        .route("/plans/{plan_id}/export.md", get(export_markdown))
        .route("/plans/{plan_id}/export.pdf", get(export_pdf))
}

#[derive(Debug, Deserialize)]
pub struct NewVersion {
    pub name: String,
}

/// Freezes the plan's committed state under `name`. Shared by the API and the page form.
pub(crate) async fn freeze(
    state: &AppState,
    access: &PlanAccess,
    name: &str,
) -> Result<VersionRecord, HttpError> {
    access.require(Action::Freeze)?;
    let record = &access.record;
    let name =
        version::normalize_name(name).map_err(|e| HttpError::Unprocessable(e.to_string()))?;
    // Taken inside the room: exactly the committed document, nothing in flight.
    let frozen = state.registry.read(record.id, version::freeze).await?;
    let created = state
        .storage
        .create_version(record.id, &name, &frozen)
        .await?;
    tracing::info!(plan = %record.id, version = %created.id, "version frozen");
    Ok(created)
}

#[tracing::instrument(skip_all)]
async fn create_version(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Freeze)?;
    let request: NewVersion = super::api::parse_json(&body)?;
    let created = freeze(&state, &access, &request.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list_versions(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<VersionRecord>>, HttpError> {
    Ok(Json(state.storage.list_versions(access.plan()).await?))
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
    let (version, view) =
        version_view(&state, &access.record, &access.template, &version_id).await?;
    Ok(Json(VersionResponse {
        version,
        plan: access.record,
        view,
    }))
}

/// A version's record and content, read from its frozen state (never from the live room).
pub(crate) async fn version_view(
    state: &AppState,
    record: &PlanRecord,
    template: &Template,
    version_id: &str,
) -> Result<(VersionRecord, PlanView), HttpError> {
    let id: VersionId = version_id
        .parse()
        .map_err(|e: version::InvalidVersionId| HttpError::BadRequest(e.to_string()))?;
    let stored = state
        .storage
        .get_version(record.id, id)
        .await?
        .ok_or_else(|| HttpError::NotFound(format!("plan {} has no version {id}", record.id)))?;
    let template = template.clone();
    let view = tokio::task::spawn_blocking(move || {
        version::thaw(&stored.state).map(|doc| document::plan_view(&doc, &template))
    })
    .await
    .map_err(|e| HttpError::Internal(format!("reading a version failed: {e}")))?
    .map_err(|e| HttpError::Internal(format!("version {id} does not decode: {e}")))?;
    Ok((stored.record, view))
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    version: Option<String>,
}

async fn export_markdown(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    export_response(&state, access, query.version.as_deref(), Format::Markdown).await
}

async fn export_pdf(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    export_response(&state, access, query.version.as_deref(), Format::Pdf).await
}

#[tracing::instrument(skip(state, access), fields(plan = %access.plan()))]
async fn export_response(
    state: &AppState,
    access: PlanAccess,
    version_id: Option<&str>,
    format: Format,
) -> Result<Response, HttpError> {
    let version_id = version_id.filter(|id| !id.is_empty());
    access.require(if version_id.is_some() {
        Action::ExportVersion
    } else {
        Action::ExportCurrent
    })?;
    let PlanAccess {
        record, template, ..
    } = access;
    let (view, info) = match version_id {
        Some(version_id) => {
            let (version, view) = version_view(state, &record, &template, version_id).await?;
            let info = ExportInfo {
                version: Some(version.name),
                date_millis: version.created_at,
            };
            (view, info)
        }
        None => {
            let view = state.current_view(&record, &template).await?;
            // The plan's last change dates the current state, so the same state exports the
            // same bytes.
            let updated = state
                .storage
                .get_plan(record.id)
                .await?
                .map_or(record.updated_at, |latest| latest.updated_at);
            let info = ExportInfo {
                version: None,
                date_millis: updated,
            };
            (view, info)
        }
    };
    let filename = export::filename(&view, &info, format);
    let started = std::time::Instant::now();
    let bytes =
        tokio::task::spawn_blocking(move || export::export(format, &view, &template, &info))
            .await
            .map_err(|e| HttpError::Internal(format!("export task failed: {e}")))?
            .map_err(|e| HttpError::Internal(e.to_string()))?;
    tracing::info!(plan = %record.id, %format, bytes = bytes.len(), elapsed_ms = started.elapsed().as_millis() as u64, "exported");
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .map_err(|e| HttpError::Internal(format!("bad file name header: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}
