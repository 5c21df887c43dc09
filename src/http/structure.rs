//! The JSON API of the plan's own shape: sections, checklist items and goals.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Serialize;

use super::api::parse_json;
use super::{AppState, HttpError};
use crate::document::Goal;
use crate::service::{PlanAccess, structure};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/plans/{plan_id}/sections", post(add_section))
        .route(
            "/api/plans/{plan_id}/sections/{section}",
            patch(patch_section).delete(delete_section),
        )
        .route(
            "/api/plans/{plan_id}/checklist/{section}/items",
            post(add_checklist_item),
        )
        .route("/api/plans/{plan_id}/goals", get(list_goals).post(add_goal))
        .route(
            "/api/plans/{plan_id}/goals/{goal}",
            patch(patch_goal).delete(delete_goal),
        )
}

#[derive(Serialize)]
struct Created {
    id: String,
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn add_section(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let id = structure::add_section(&state, &access, parse_json(&body)?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn patch_section(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, section)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, HttpError> {
    structure::patch_section(&state, &access, &section, parse_json(&body)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn delete_section(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, section)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    structure::delete_section(&state, &access, &section).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct CreatedItem {
    id: String,
    /// The item's key in the plan's `checklist` map.
    key: String,
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn add_checklist_item(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, section)): Path<(String, String)>,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let id = structure::add_checklist_item(&state, &access, &section, parse_json(&body)?).await?;
    let key = crate::templates::checklist_key(&section, &id);
    Ok((StatusCode::CREATED, Json(CreatedItem { id, key })))
}

async fn list_goals(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<Goal>>, HttpError> {
    super::api::require_current(&access)?;
    Ok(Json(structure::goals(&state, &access).await?))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn add_goal(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let id = structure::add_goal(&state, &access, parse_json(&body)?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn patch_goal(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, goal)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Goal>, HttpError> {
    Ok(Json(
        structure::patch_goal(&state, &access, &goal, parse_json(&body)?).await?,
    ))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn delete_goal(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, goal)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    structure::delete_goal(&state, &access, &goal).await?;
    Ok(StatusCode::NO_CONTENT)
}
