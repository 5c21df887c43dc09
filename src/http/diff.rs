//! What changed between versions, as JSON.
//!
//! `GET /api/plans/{id}/diff?from=<vid>&to=<vid>|current`: per section the paragraphs added,
//! removed and changed word by word; tiltak added, removed and changed field by field, each
//! named by its printed number («tiltak 4.5-9»); goals; the plan's title, period and status.
//! A missing or malformed `from` or `to` is 422 naming it; `to=current` is 403 for readers (who
//! read frozen versions only); an unknown version is 404.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::{AppState, HttpError};
use crate::service::PlanAccess;
use crate::service::diff::{self, Comparison, Side};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/plans/{plan_id}/diff", get(get_diff))
}

#[derive(Debug, Deserialize)]
struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn get_diff(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<DiffQuery>,
) -> Result<Json<Comparison>, HttpError> {
    let from = Side::parse("from", query.from.as_deref(), false)?;
    let to = Side::parse("to", query.to.as_deref(), true)?;
    if to == Side::Current {
        super::api::require_current(&access)?;
    }
    Ok(Json(diff::compare(&state, &access, &from, &to).await?))
}
