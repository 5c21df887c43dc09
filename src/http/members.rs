//! Membership over the JSON API, for the coordinator (every route needs [`Action::Manage`]):
//!
//! - `GET /api/plans/{id}/members`; `POST` `{"email", "role", "unit"}` adds an existing account;
//! - `PUT /api/plans/{id}/members/{user_id}` `{"role", "unit"}`; `DELETE` removes;
//! - `GET /api/plans/{id}/invites`; `POST` `{"role", "unit", "days"}` → 201 with the link (shown
//!   once); `DELETE /api/plans/{id}/invites/{invite_id}` revokes;
//! - `GET /api/plans/{id}/units`.
//!
//! The operations themselves (checks included) are shared with the members page
//! (`src/web/members.rs`), which calls the `pub(crate)` functions here.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::api::parse_json;
use super::{AppState, HttpError};
use crate::access::{Action, Role};
use crate::auth::PlanAccess;
use crate::auth::store::{self, Invite, Member};

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

/// Longest an invite may stay valid.
pub const MAX_INVITE_DAYS: u64 = 90;

/// A role named in a form or request: one of the four code names.
pub(crate) fn parse_role(role: &str) -> Result<Role, HttpError> {
    role.parse()
        .map_err(|e: crate::access::UnknownRole| HttpError::Unprocessable(e.to_string()))
}

/// A unit chosen in a form or request: empty means none; anything else must be one of `units`,
/// the plan's units.
pub(crate) fn checked_unit(units: &[String], unit: &str) -> Result<Option<String>, HttpError> {
    let unit = unit.trim();
    if unit.is_empty() {
        return Ok(None);
    }
    if units.iter().any(|u| u == unit) {
        Ok(Some(unit.to_owned()))
    } else {
        Err(HttpError::Unprocessable(format!(
            "'{unit}' is not one of the plan's units"
        )))
    }
}

/// [`checked_unit`] against the plan's units as stored now.
async fn plan_unit(
    state: &AppState,
    access: &PlanAccess,
    unit: &str,
) -> Result<Option<String>, HttpError> {
    let units = store::list_units(&state.storage.db(), access.plan()).await?;
    checked_unit(&units, unit)
}

/// Adds someone who already has an account; `None` when nobody has that e-mail address.
pub(crate) async fn add_member(
    state: &AppState,
    access: &PlanAccess,
    email: &str,
    role: Role,
    unit: &str,
) -> Result<Option<Member>, HttpError> {
    access.require(Action::Manage)?;
    let unit = plan_unit(state, access, unit).await?;
    let db = state.storage.db();
    let Some(user) = store::user_by_email(&db, email).await? else {
        return Ok(None);
    };
    store::set_member(&db, access.plan(), &user.id, role, unit.as_deref()).await?;
    Ok(Some(Member { user, role, unit }))
}

/// Changes a member's role and unit; 404 for someone who is not a member.
pub(crate) async fn change_member(
    state: &AppState,
    access: &PlanAccess,
    user_id: &str,
    role: Role,
    unit: &str,
) -> Result<(), HttpError> {
    access.require(Action::Manage)?;
    let unit = plan_unit(state, access, unit).await?;
    let db = state.storage.db();
    if store::membership(&db, access.plan(), user_id)
        .await?
        .is_none()
    {
        return Err(HttpError::NotFound("no such member of this plan".into()));
    }
    store::set_member(&db, access.plan(), user_id, role, unit.as_deref()).await?;
    Ok(())
}

pub(crate) async fn remove_member(
    state: &AppState,
    access: &PlanAccess,
    user_id: &str,
) -> Result<(), HttpError> {
    access.require(Action::Manage)?;
    if store::remove_member(&state.storage.db(), access.plan(), user_id).await? {
        Ok(())
    } else {
        Err(HttpError::NotFound("no such member of this plan".into()))
    }
}

/// An invite as the coordinator asks for it, from the page's form or the API.
#[derive(Deserialize)]
pub(crate) struct InviteRequest {
    pub role: String,
    #[serde(default)]
    pub unit: Option<String>,
    /// Days the link stays valid (1 to [`MAX_INVITE_DAYS`], 14 when not given).
    #[serde(default)]
    pub days: Option<u64>,
}

/// Makes an invite link for the plan; returns the invite and its full link.
pub(crate) async fn make_invite(
    state: &AppState,
    access: &PlanAccess,
    request: &InviteRequest,
) -> Result<(Invite, String), HttpError> {
    access.require(Action::Manage)?;
    let role = parse_role(&request.role)?;
    let unit = plan_unit(state, access, request.unit.as_deref().unwrap_or("")).await?;
    let days = request.days.unwrap_or(14);
    if !(1..=MAX_INVITE_DAYS).contains(&days) {
        return Err(HttpError::Unprocessable(format!(
            "an invite is valid for 1 to {MAX_INVITE_DAYS} days"
        )));
    }
    let (invite, token) = store::create_invite(
        &state.storage.db(),
        access.plan(),
        role,
        unit.as_deref(),
        access.actor.user_id(),
        Duration::from_secs(days * 24 * 3600),
    )
    .await?;
    tracing::info!(plan = %access.plan(), invite = %invite.id, %role, "invite created");
    let link = format!("{}/invitasjon/{token}", state.auth.public_url);
    Ok((invite, link))
}

pub(crate) async fn revoke_invite(
    state: &AppState,
    access: &PlanAccess,
    invite_id: &str,
) -> Result<(), HttpError> {
    access.require(Action::Manage)?;
    if store::revoke_invite(&state.storage.db(), access.plan(), invite_id).await? {
        Ok(())
    } else {
        Err(HttpError::NotFound(
            "no open invite with that id on this plan".into(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON routes

async fn list_members(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<Member>>, HttpError> {
    access.require(Action::Manage)?;
    Ok(Json(
        store::list_members(&state.storage.db(), access.plan()).await?,
    ))
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
    let member = add_member(&state, &access, &request.email, request.role, unit)
        .await?
        .ok_or_else(|| HttpError::NotFound("no account with that e-mail address".into()))?;
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
    change_member(&state, &access, &user_id, change.role, unit).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member_route(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    remove_member(&state, &access, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_invites(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<Invite>>, HttpError> {
    access.require(Action::Manage)?;
    Ok(Json(
        store::list_invites(&state.storage.db(), access.plan()).await?,
    ))
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
    let (invite, url) = make_invite(&state, &access, &request).await?;
    Ok((StatusCode::CREATED, Json(CreatedInvite { invite, url })))
}

async fn revoke_invite_route(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, invite_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    revoke_invite(&state, &access, &invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_units(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<String>>, HttpError> {
    Ok(Json(
        store::list_units(&state.storage.db(), access.plan()).await?,
    ))
}
