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
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::{AppState, HttpError};
use crate::access::Action;
use crate::document::PlanView;
use crate::export::Format;
use crate::plan::PlanRecord;
use crate::service::{Error as ServiceError, PlanAccess, versions};
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
        .route("/plans/{plan_id}/export.md", get(export_markdown))
        .route("/plans/{plan_id}/export.pdf", get(export_pdf))
        .route("/plans/{plan_id}/export.docx", get(export_docx))
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

/// What an export is asked for: a version (else the current state), and the version whose
/// changes since are appended.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub version: Option<String>,
    pub changes_since: Option<String>,
    pub previous_status: Option<String>,
}

async fn export_markdown(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    export_response(&state, &access, &query, Format::Markdown).await
}

async fn export_pdf(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    export_response(&state, &access, &query, Format::Pdf).await
}

async fn export_docx(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    export_response(&state, &access, &query, Format::Docx).await
}

/// An export as a download.
#[tracing::instrument(skip(state, access), fields(plan = %access.plan()))]
pub async fn export_response(
    state: &AppState,
    access: &PlanAccess,
    query: &ExportQuery,
    format: Format,
) -> Result<Response, HttpError> {
    let exported = match async {
        let previous_status = versions::previous_status_flag(query.previous_status.as_deref())?;
        versions::export(
            state,
            access,
            query.version.as_deref(),
            query.changes_since.as_deref(),
            previous_status,
            format,
        )
        .await
    }
    .await
    {
        Ok(exported) => exported,
        Err(ServiceError::Invalid {
            field: "changes_since",
            ..
        }) => return Ok(changes_since_refused(access)),
        Err(ServiceError::Invalid {
            field: versions::PREVIOUS_STATUS,
            message,
        }) => return Ok(previous_status_refused(access, &message)),
        Err(other) => return Err(other.into()),
    };
    download(exported)
}

/// An export (a plan's or a status report) as a file to save: its type, its name, never cached
/// stale, never sniffed.
pub fn download(exported: versions::Exported) -> Result<Response, HttpError> {
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", exported.filename))
            .map_err(|e| HttpError::Internal(format!("bad file name header: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(exported.format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        exported.bytes,
    )
        .into_response())
}

/// The page for a `changes_since` that is not one of the plan's versions: a link to a version
/// that was mistyped or belongs to another plan (422, in bokmål, naming the parameter).
fn changes_since_refused(access: &PlanAccess) -> Response {
    crate::web::errors::MessagePage::new(
        "Endringene kunne ikke tas med",
        "Lenken ber om endringer siden en versjon (changes_since) som ikke finnes i denne \
         planen. Velg versjonen på nytt under «Versjoner» på planens side.",
        &format!("/plans/{}#versjoner", access.plan()),
        "Til planens versjoner",
    )
    .into_response_with(StatusCode::UNPROCESSABLE_ENTITY)
}

/// The page for a `previous_status` that cannot be printed (no previous plan, or no closed
/// status round in it): why, in bokmål, naming the parameter (422).
fn previous_status_refused(access: &PlanAccess, message: &str) -> Response {
    crate::web::errors::MessagePage::new(
        "Status for forrige plan kunne ikke tas med",
        message,
        &format!("/plans/{}", access.plan()),
        "Til planen",
    )
    .into_response_with(StatusCode::UNPROCESSABLE_ENTITY)
}
