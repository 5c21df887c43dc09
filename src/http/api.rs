//! The JSON API. Changes go through the plan's live room as Yjs updates, so open browsers see
//! them at once and they are committed before anyone sees them, exactly like typed edits.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AppState, HttpError};
use crate::access::Action;
use crate::document::structure::flatten;
use crate::document::{self, Completeness, PlanView, TiltakRow};
use crate::plan::{PlanId, PlanRecord, PlanRequest};
use crate::service::rollover::{self, RolloverRequest};
use crate::service::settings::{self, SettingsPatch};
use crate::service::{PlanAccess, Principal, plans, tiltak};
use crate::templates::{SectionKind, TableSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/plans", get(list_plans).post(create_plan))
        .route(
            "/api/plans/{plan_id}",
            get(get_plan).patch(patch_plan).delete(delete_plan),
        )
        .route("/api/plans/{plan_id}/archive", post(archive_plan))
        .route("/api/plans/{plan_id}/restore", post(restore_plan))
        .route("/api/plans/{plan_id}/completeness", get(get_completeness))
        .route(
            "/api/plans/{plan_id}/tiltak",
            axum::routing::post(append_tiltak),
        )
        .route("/api/plans/{plan_id}/tiltak/{row_id}", patch(patch_tiltak))
        .route("/api/templates", get(list_templates))
}

/// Parses a JSON body, naming what is wrong (syntax, or the field with the wrong type).
pub(super) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    serde_json::from_slice(body)
        .map_err(|e| HttpError::BadRequest(format!("invalid JSON body: {e}")))
}

/// The plan list's query: `?archived=true` lists archived plans too.
#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    archived: bool,
}

/// The plans the caller may see; archived ones only with `?archived=true`.
async fn list_plans(
    State(state): State<AppState>,
    principal: Principal,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<PlanRecord>>, HttpError> {
    let Query(query) = query.map_err(|e| {
        HttpError::Unprocessable(format!("archived must be true or false: {}", e.body_text()))
    })?;
    Ok(Json(
        plans::listed(&state, &principal, query.archived).await?,
    ))
}

/// Changes the plan's settings (coordinator); answers with the plan's record.
#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn patch_plan(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<Json<PlanRecord>, HttpError> {
    let patch: SettingsPatch = parse_json(&body)?;
    Ok(Json(settings::update(&state, &access, &patch).await?))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn archive_plan(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<PlanRecord>, HttpError> {
    Ok(Json(settings::archive(&state, &access).await?))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn restore_plan(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<PlanRecord>, HttpError> {
    Ok(Json(settings::restore(&state, &access).await?))
}

/// Deletes the plan and everything stored with it (administrators): 204.
#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn delete_plan(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<StatusCode, HttpError> {
    settings::delete(&state, &access).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all)]
async fn create_plan(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> Result<axum::response::Response, HttpError> {
    // `from_plan`: the next plan made from an earlier one (rullering).
    let value: Value = parse_json(&body)?;
    if value.get("from_plan").is_some() {
        let request: RolloverRequest = serde_json::from_value(value)
            .map_err(|e| HttpError::BadRequest(format!("invalid JSON body: {e}")))?;
        let created = rollover::create(&state, &principal, &request).await?;
        return Ok((StatusCode::CREATED, Json(created)).into_response());
    }
    let request: PlanRequest = serde_json::from_value(value)
        .map_err(|e| HttpError::BadRequest(format!("invalid JSON body: {e}")))?;
    let record = plans::create(&state, &principal, &request).await?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// A plan with the structured view of its live document.
#[derive(Serialize)]
struct PlanResponse {
    id: PlanId,
    plan: PlanRecord,
    #[serde(flatten)]
    view: PlanView,
    /// The template's tiltak table: fields, and which field groups and names rows.
    tiltak_schema: TableSchema,
    /// Row ids of each tiltak section in use, in their groups, as pages and exports print them.
    tiltak_tables: Vec<TiltakTable>,
    /// The plan this one was made from and the plans made from it (rullering), and the rows
    /// carried to be revised.
    #[serde(flatten)]
    lineage: rollover::Lineage,
    /// The plan's current status view: its latest closed status round, if any.
    latest_closed_round: Option<crate::storage::rounds::Round>,
}

#[derive(Serialize)]
struct TiltakTable {
    section: String,
    groups: Vec<TiltakGroup>,
}

#[derive(Serialize)]
struct TiltakGroup {
    /// The group field's option value or goal id; `null` for rows without a known one, or when
    /// the template does not group.
    value: Option<String>,
    label: String,
    rows: Vec<String>,
}

/// Readers may export frozen versions only, so the API does not give them the current draft
/// either: 403, pointing to the versions.
pub(super) fn require_current(access: &PlanAccess) -> Result<(), HttpError> {
    if access.may(Action::ExportCurrent) {
        return Ok(());
    }
    Err(HttpError::Forbidden {
        message: format!(
            "your role reads frozen versions only: GET /api/plans/{}/versions",
            access.plan()
        ),
        refused: Some((access.role, Action::ExportCurrent)),
    })
}

async fn get_plan(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<PlanResponse>, HttpError> {
    require_current(&access)?;
    let lineage = rollover::lineage(&state, &access).await?;
    let latest_closed_round = crate::service::rounds::latest_closed(&state, &access).await?;
    let PlanAccess {
        record, template, ..
    } = access;
    let view = state.current_view(&record, &template).await?;
    let known: Vec<String> = flatten(&view.structure)
        .into_iter()
        .filter(|section| section.kind == SectionKind::Tiltak)
        .map(|section| section.id.clone())
        .collect();
    let tiltak_tables = flatten(&view.structure)
        .into_iter()
        .filter(|section| section.kind == SectionKind::Tiltak && section.in_use)
        .map(|section| {
            let rows = document::rows_of_section(
                &view.tiltak,
                &section.id,
                &known,
                template.tiltak.multi_group,
            );
            TiltakTable {
                section: section.id.clone(),
                groups: document::group_rows(&rows, &template, &view.goals)
                    .into_iter()
                    .map(|group| TiltakGroup {
                        value: group.value,
                        label: group.label,
                        rows: group.rows.iter().map(|g| g.row.id.clone()).collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Json(PlanResponse {
        id: record.id,
        plan: record,
        view,
        tiltak_schema: template.tiltak.clone(),
        tiltak_tables,
        lineage,
        latest_closed_round,
    }))
}

async fn get_completeness(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Completeness>, HttpError> {
    require_current(&access)?;
    Ok(Json(plans::completeness(&state, &access).await?))
}

#[derive(Serialize)]
struct AppendedRows {
    ids: Vec<String>,
}

/// Appends tiltak rows: a JSON array of rows, or an object with a `tiltak` array.
#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn append_tiltak(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| HttpError::BadRequest("the body is not UTF-8 text".into()))?;
    let ids = tiltak::append(&state, &access, text).await?;
    Ok((StatusCode::CREATED, Json(AppendedRows { ids })))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn patch_tiltak(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, row_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<TiltakRow>, HttpError> {
    let patch: Map<String, Value> = parse_json(&body)?;
    Ok(Json(tiltak::patch(&state, &access, &row_id, patch).await?))
}

/// A template as the API lists it: its sections with id and kind, and the tiltak schema.
#[derive(Serialize)]
struct TemplateSummary {
    id: String,
    version: u32,
    key: String,
    title: String,
    description: String,
    sections: Vec<SectionSummary>,
    tiltak: TableSchema,
}

#[derive(Serialize)]
struct SectionSummary {
    id: String,
    number: String,
    heading: String,
    kind: SectionKind,
    depth: usize,
}

async fn list_templates(State(state): State<AppState>) -> Json<Vec<TemplateSummary>> {
    Json(
        state
            .templates
            .list()
            .map(|t| TemplateSummary {
                id: t.id.clone(),
                version: t.version,
                key: t.key(),
                title: t.title.clone(),
                description: t.description.clone(),
                sections: t
                    .sections_flat()
                    .into_iter()
                    .map(|flat| SectionSummary {
                        id: flat.section.id.clone(),
                        number: flat.number,
                        heading: flat.section.heading.clone(),
                        kind: flat.section.kind,
                        depth: flat.depth,
                    })
                    .collect(),
                tiltak: t.tiltak.clone(),
            })
            .collect(),
    )
}
