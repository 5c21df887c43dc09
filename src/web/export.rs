//! Plan exports as downloads (`/plans/{id}/export.md|.pdf|.docx`): a refused parameter gets a
//! page in bokmål naming it, since these are links people follow from the plan's pages.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::errors::MessagePage;
use crate::export::Format;
use crate::http::{AppState, HttpError};
use crate::service::{Error as ServiceError, PlanAccess, versions};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans/{plan_id}/export.md", get(export_markdown))
        .route("/plans/{plan_id}/export.pdf", get(export_pdf))
        .route("/plans/{plan_id}/export.docx", get(export_docx))
}

/// What an export is asked for: a version (else the current state), the version whose changes
/// since are appended, and whether the previous plan's status is.
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
    crate::http::download(exported)
}

/// The page for a `changes_since` that is not one of the plan's versions: a link to a version
/// that was mistyped or belongs to another plan (422, in bokmål, naming the parameter).
fn changes_since_refused(access: &PlanAccess) -> Response {
    MessagePage::new(
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
    MessagePage::new(
        "Status for forrige plan kunne ikke tas med",
        message,
        &format!("/plans/{}", access.plan()),
        "Til planen",
    )
    .into_response_with(StatusCode::UNPROCESSABLE_ENTITY)
}
