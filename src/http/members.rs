//! Membership over the JSON API, for the coordinator (every route needs `Action::Manage`):
//!
//! - `GET /api/plans/{id}/members`; `POST` `{"email", "role", "unit"}` adds an existing account;
//! - `PUT /api/plans/{id}/members/{user_id}` `{"role", "unit"}`; `DELETE` removes;
//! - `GET /api/plans/{id}/invites`; `POST` `{"role", "unit", "days"}` → 201 with the link (shown
//!   once); `DELETE /api/plans/{id}/invites/{invite_id}` revokes;
//! - `GET /api/plans/{id}/units`.
//!
//! The operations themselves (checks included) are the service layer's
//! ([`crate::service::members`]), shared with the members page.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use serde::{Deserialize, Serialize};

use super::api::parse_json;
use super::{AppState, HttpError};
use crate::access::Role;
use crate::service::PlanAccess;
use crate::service::members::{self, InviteRequest};
use crate::storage::accounts::{Invite, Member};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/members",
            get(list_members).post(add_member_route),
        )
        .route(
            "/api/plans/{plan_id}/members/{user_id}",
            put(change_member_route).delete(remove_member_route),
        )
        .route(
            "/api/plans/{plan_id}/invites",
            get(list_invites).post(create_invite),
        )
        .route(
            "/api/plans/{plan_id}/invites/{invite_id}",
            axum::routing::delete(revoke_invite_route),
        )
        .route("/api/plans/{plan_id}/units", get(list_units))
}

async fn list_members(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<Member>>, HttpError> {
    Ok(Json(members::list(&state, &access).await?))
}

#[derive(Deserialize)]
struct NewMember {
    email: String,
    role: Role,
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
struct MemberChange {
    role: Role,
    #[serde(default)]
    unit: Option<String>,
}

async fn add_member_route(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let request: NewMember = parse_json(&body)?;
    let unit = request.unit.as_deref().unwrap_or("");
    let member = members::add(&state, &access, &request.email, request.role, unit).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

async fn change_member_route(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, HttpError> {
    let change: MemberChange = parse_json(&body)?;
    let unit = change.unit.as_deref().unwrap_or("");
    members::change(&state, &access, &user_id, change.role, unit).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member_route(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    members::remove(&state, &access, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_invites(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<Invite>>, HttpError> {
    Ok(Json(members::invites(&state, &access).await?))
}

#[derive(Serialize)]
struct CreatedInvite {
    invite: Invite,
    /// The link to send; shown only in this response.
    url: String,
}

async fn create_invite(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    let request: InviteRequest = parse_json(&body)?;
    let (invite, url) = members::invite(&state, &access, &request).await?;
    Ok((StatusCode::CREATED, Json(CreatedInvite { invite, url })))
}

async fn revoke_invite_route(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, invite_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    members::revoke_invite(&state, &access, &invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_units(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<String>>, HttpError> {
    Ok(Json(members::units(&state, &access).await?))
}
