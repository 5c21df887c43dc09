//! Membership over the JSON API, for the coordinator (every route needs [`Action::Manage`]):
//!
//! - `GET /api/plans/{id}/members`; `POST` `{"email", "role", "unit"}` adds an existing account;
//! - `PUT /api/plans/{id}/members/{user_id}` `{"role", "unit"}`; `DELETE` removes;
//! - `GET /api/plans/{id}/invites`; `POST` `{"role", "unit", "days"}` → 201 with the link (shown
//!   once); `DELETE /api/plans/{id}/invites/{invite_id}` revokes;
//! - `GET /api/plans/{id}/units`.

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
use crate::access::{Action, Role};
use crate::auth::PlanAccess;
use crate::auth::store::{self, Invite, Member};
use crate::web::members::{InviteForm, checked_unit, make_invite};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/members",
            get(list_members).post(add_member),
        )
        .route(
            "/api/plans/{plan_id}/members/{user_id}",
            put(change_member).delete(remove_member),
        )
        .route(
            "/api/plans/{plan_id}/invites",
            get(list_invites).post(create_invite),
        )
        .route(
            "/api/plans/{plan_id}/invites/{invite_id}",
            axum::routing::delete(revoke_invite),
        )
        .route("/api/plans/{plan_id}/units", get(list_units))
}

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

async fn add_member(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Manage)?;
    let request: NewMember = parse_json(&body)?;
    let db = state.storage.db();
    let user = store::user_by_email(&db, &request.email)
        .await?
        .ok_or_else(|| HttpError::NotFound("no account with that e-mail address".into()))?;
    let unit = checked_unit(&state, &access, request.unit.as_deref().unwrap_or("")).await?;
    store::set_member(&db, access.plan(), &user.id, request.role, unit.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(Member {
            user,
            role: request.role,
            unit,
        }),
    ))
}

#[derive(Deserialize)]
struct MemberChange {
    role: Role,
    #[serde(default)]
    unit: Option<String>,
}

async fn change_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, HttpError> {
    access.require(Action::Manage)?;
    let change: MemberChange = parse_json(&body)?;
    let db = state.storage.db();
    if store::membership(&db, access.plan(), &user_id)
        .await?
        .is_none()
    {
        return Err(HttpError::NotFound("no such member of this plan".into()));
    }
    let unit = checked_unit(&state, &access, change.unit.as_deref().unwrap_or("")).await?;
    store::set_member(&db, access.plan(), &user_id, change.role, unit.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    access.require(Action::Manage)?;
    if store::remove_member(&state.storage.db(), access.plan(), &user_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(HttpError::NotFound("no such member of this plan".into()))
    }
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

#[derive(Deserialize)]
struct NewInvite {
    role: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    days: Option<u64>,
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
    let request: NewInvite = parse_json(&body)?;
    let form = InviteForm {
        role: request.role,
        unit: request.unit.unwrap_or_default(),
        days: request.days,
    };
    let (invite, path) = make_invite(&state, &access, &form).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvite {
            invite,
            url: format!("{}{path}", state.auth.public_url),
        }),
    ))
}

async fn revoke_invite(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, invite_id)): Path<(String, String)>,
) -> Result<StatusCode, HttpError> {
    access.require(Action::Manage)?;
    if store::revoke_invite(&state.storage.db(), access.plan(), &invite_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(HttpError::NotFound(
            "no open invite with that id on this plan".into(),
        ))
    }
}

async fn list_units(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Json<Vec<String>>, HttpError> {
    Ok(Json(
        store::list_units(&state.storage.db(), access.plan()).await?,
    ))
}
