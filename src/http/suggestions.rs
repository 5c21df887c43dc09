//! Suggestions over HTTP (see [`crate::suggestions`]):
//!
//! - `GET /api/plans/{plan_id}/suggestions?status=open|accepted|rejected`: oldest first;
//! - `POST /api/plans/{plan_id}/suggestions` with `{"anchor": {…as for threads}, "text"}`,
//!   `{"row", "field", "value"}` or `{"new_row": {…}}`: 201 with the suggestion (its `id`);
//! - `GET /api/plans/{plan_id}/suggestions/{id}`: one;
//! - `POST …/suggestions/{id}/accept` `{"confirm_stale"?: true}`: applies it as the caller's
//!   edit (403 for advisers and readers, and for an editor of another unit; 409 when out of
//!   date without `confirm_stale`, when its text or row is gone, or when decided already);
//! - `POST …/suggestions/{id}/reject` `{"reason"?}`.
//!
//! Changes reach open pages on the comments' event stream as `suggestion` events.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::Event;
use axum::routing::{get, post};
use serde::Deserialize;

use super::api::parse_json;
use super::extract::form_urlencoded_pairs;
use super::{AppState, HttpError};
use crate::access::Action;
use crate::plan::PlanId;
use crate::service::PlanAccess;
use crate::service::suggestions as service;
use crate::suggestions::{SuggestionFilter, SuggestionInput, SuggestionJson};
use crate::templates::Template;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/suggestions",
            get(list_suggestions).post(create_suggestion),
        )
        .route(
            "/api/plans/{plan_id}/suggestions/{suggestion_id}",
            get(get_suggestion),
        )
        .route(
            "/api/plans/{plan_id}/suggestions/{suggestion_id}/accept",
            post(accept_suggestion),
        )
        .route(
            "/api/plans/{plan_id}/suggestions/{suggestion_id}/reject",
            post(reject_suggestion),
        )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    #[serde(default)]
    confirm_stale: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    #[serde(default)]
    reason: Option<String>,
}

/// A JSON body that may also be left out.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, HttpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(body)
    }
}

async fn list_suggestions(
    State(state): State<AppState>,
    access: PlanAccess,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<SuggestionJson>>, HttpError> {
    access.require(Action::Read)?;
    let filter =
        service::filter_from_pairs(form_urlencoded_pairs(query.as_deref().unwrap_or_default()))?;
    Ok(Json(
        service::list(&state, access.plan(), &access.template, &filter).await?,
    ))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn create_suggestion(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Comment)?;
    let request: SuggestionInput = parse_json(&body)?;
    let suggestion = service::create(&state, &access, request).await?;
    Ok((StatusCode::CREATED, Json(suggestion)))
}

async fn get_suggestion(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<SuggestionJson>, HttpError> {
    Ok(Json(service::get(&state, &access, &id).await?))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn accept_suggestion(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<SuggestionJson>, HttpError> {
    access.require(Action::Edit)?;
    let request: AcceptBody = optional_json(&body)?;
    Ok(Json(
        service::accept(&state, &access, &id, request.confirm_stale).await?,
    ))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn reject_suggestion(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<SuggestionJson>, HttpError> {
    let request: RejectBody = optional_json(&body)?;
    Ok(Json(
        service::reject(&state, &access, &id, request.reason.as_deref()).await?,
    ))
}

fn suggestion_event(suggestion: &SuggestionJson) -> Result<Event, HttpError> {
    Event::default()
        .event("suggestion")
        .json_data(suggestion)
        .map_err(|e| HttpError::Internal(e.to_string()))
}

/// The `suggestion` event for one suggestion as it is now (none if it is not there).
pub(super) async fn event(
    state: &AppState,
    plan: PlanId,
    template: &Template,
    id: &str,
) -> Result<Option<Event>, HttpError> {
    service::load(state, plan, template, id)
        .await?
        .as_ref()
        .map(suggestion_event)
        .transpose()
}

/// A `suggestion` event for every suggestion of the plan, for a listener that missed changes.
pub(super) async fn all_events(
    state: &AppState,
    plan: PlanId,
    template: &Template,
) -> Result<Vec<Event>, HttpError> {
    service::list(state, plan, template, &SuggestionFilter::default())
        .await?
        .iter()
        .map(suggestion_event)
        .collect()
}
