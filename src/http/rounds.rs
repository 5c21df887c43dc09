//! Status rounds over HTTP (see [`crate::service::rounds`]):
//!
//! - `POST /api/plans/{id}/rounds` `{"name", "deadline"}` opens a round on an adopted plan (201
//!   `{"id"}`; coordinator; 409 for a plan that is not `vedtatt` or that has an open round);
//! - `GET /api/plans/{id}/rounds` lists the rounds with their counts, oldest first;
//! - `GET /api/plans/{id}/rounds/{round}` is the round: each tiltak of the adopted version with
//!   its number, units, report, previous status and history, and the overviews by unit and group;
//! - `PUT /api/plans/{id}/rounds/{round}/tiltak/{row}` `{"status", "comment"?, "indicator_value"?}`
//!   reports a tiltak (403 for another unit's tiltak, 422 naming the field, 409 when closed);
//! - `POST /api/plans/{id}/rounds/{round}/close` closes it (coordinator; 409 when closed).
//!
//! The status report downloads at `/plans/{id}/statusrunder/{round}/rapport.md|.pdf|.docx`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Serialize;

use super::api::parse_json;
use super::{AppState, HttpError};
use crate::export::Format;
use crate::service::PlanAccess;
use crate::service::rounds::{self, ListedRound, NewRound, Report, RoundView};
use crate::storage::rounds::{Entry, Round};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/rounds",
            get(list_rounds).post(open_round),
        )
        .route("/api/plans/{plan_id}/rounds/{round_id}", get(get_round))
        .route(
            "/api/plans/{plan_id}/rounds/{round_id}/tiltak/{row_id}",
            put(put_report),
        )
        .route(
            "/api/plans/{plan_id}/rounds/{round_id}/close",
            post(close_round),
        )
        .route(
            "/plans/{plan_id}/statusrunder/{round_id}/rapport.md",
            get(report_markdown),
        )
        .route(
            "/plans/{plan_id}/statusrunder/{round_id}/rapport.pdf",
            get(report_pdf),
        )
        .route(
            "/plans/{plan_id}/statusrunder/{round_id}/rapport.docx",
            get(report_docx),
        )
}

#[derive(Serialize)]
struct Opened {
    id: String,
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn open_round(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let request: NewRound = parse_json(&body)?;
    let round = rounds::open(&state, &access, &request).await?;
    Ok((StatusCode::CREATED, Json(Opened { id: round.id })))
}

async fn list_rounds(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<ListedRound>>, HttpError> {
    Ok(Json(rounds::list(&state, &access).await?))
}

async fn get_round(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Json<RoundView>, HttpError> {
    Ok(Json(rounds::view(&state, &access, &round_id).await?))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn put_report(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id, row_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Entry>, HttpError> {
    let report: Report = parse_json(&body)?;
    Ok(Json(
        rounds::put_report(&state, &access, &round_id, &row_id, &report).await?,
    ))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn close_round(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Json<Round>, HttpError> {
    Ok(Json(rounds::close(&state, &access, &round_id).await?))
}

async fn report_markdown(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    report_response(&state, &access, &round_id, Format::Markdown).await
}

async fn report_pdf(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    report_response(&state, &access, &round_id, Format::Pdf).await
}

async fn report_docx(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    report_response(&state, &access, &round_id, Format::Docx).await
}

/// A round's status report as a download.
async fn report_response(
    state: &AppState,
    access: &PlanAccess,
    round_id: &str,
    format: Format,
) -> Result<Response, HttpError> {
    let exported = rounds::render_report(state, access, round_id, format).await?;
    super::download(exported)
}
