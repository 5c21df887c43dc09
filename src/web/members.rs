//! The coordinator's members page: members and their roles, invite links, the plan's units and
//! the unit responsible for each section. Every route needs [`Action::Manage`].

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::account::AccountBar;
use super::{render, time};
use crate::access::{Action, Role};
use crate::auth::store::{self, Invite};
use crate::auth::{PlanAccess, form_urlencoded_pairs};
use crate::http::members::{self, InviteRequest, checked_unit, parse_role};
use crate::http::{AppState, HttpError};
use crate::storage::now_millis;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/plans/{plan_id}/medlemmer",
            get(members_page).post(add_member),
        )
        .route("/plans/{plan_id}/medlemmer/{user_id}", post(change_member))
        .route(
            "/plans/{plan_id}/medlemmer/{user_id}/fjern",
            post(remove_member),
        )
        .route("/plans/{plan_id}/invitasjoner", post(create_invite))
        .route(
            "/plans/{plan_id}/invitasjoner/{invite_id}/trekk-tilbake",
            post(revoke_invite),
        )
        .route("/plans/{plan_id}/enheter", post(add_unit))
        .route("/plans/{plan_id}/enheter/fjern", post(remove_unit))
        .route("/plans/{plan_id}/seksjoner", post(set_section_units))
}

#[derive(askama::Template)]
#[template(path = "pages/members.html")]
struct MembersPage {
    account: Option<AccountBar>,
    plan_id: String,
    plan_title: String,
    csrf_token: String,
    roles: Vec<(&'static str, &'static str)>,
    members: Vec<MemberRow>,
    invites: Vec<InviteRow>,
    units: Vec<String>,
    suggested_units: Vec<String>,
    sections: Vec<SectionRow>,
    new_invite_link: Option<String>,
    new_invite_expires: String,
    /// Why adding an existing account did not work.
    add_error: Option<String>,
}

struct MemberRow {
    user_id: String,
    name: String,
    email: String,
    role: &'static str,
    unit: String,
}

struct InviteRow {
    id: String,
    role: &'static str,
    unit: String,
    created: String,
    expires: String,
    state: &'static str,
    open: bool,
}

struct SectionRow {
    id: String,
    label: String,
    unit: String,
}

/// Builds the page; `new_invite` shows a just-made link once.
async fn page(
    state: &AppState,
    access: &PlanAccess,
    new_invite: Option<(&Invite, String)>,
) -> Result<Html<String>, HttpError> {
    page_with_error(state, access, new_invite, None).await
}

async fn page_with_error(
    state: &AppState,
    access: &PlanAccess,
    new_invite: Option<(&Invite, String)>,
    add_error: Option<String>,
) -> Result<Html<String>, HttpError> {
    access.require(Action::Manage)?;
    let db = state.storage.db();
    let plan = access.plan();
    let units = store::list_units(&db, plan).await?;
    let section_units = store::section_units(&db, plan).await?;
    let now = now_millis();
    render(&MembersPage {
        account: AccountBar::of(&access.principal),
        plan_id: plan.to_string(),
        plan_title: access.record.title.clone(),
        csrf_token: access.principal.csrf().unwrap_or_default().to_owned(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        members: store::list_members(&db, plan)
            .await?
            .into_iter()
            .map(|m| MemberRow {
                user_id: m.user.id,
                name: m.user.name,
                email: m.user.email,
                role: m.role.as_str(),
                unit: m.unit.unwrap_or_default(),
            })
            .collect(),
        invites: store::list_invites(&db, plan)
            .await?
            .into_iter()
            .map(|i| {
                let invite_state = i.state(now);
                InviteRow {
                    role: i.role.label(),
                    unit: i.unit.clone().unwrap_or_default(),
                    created: time::oslo_display(i.created_at),
                    expires: time::oslo_display(i.expires_at),
                    state: invite_state.label(),
                    open: invite_state == store::InviteState::Open,
                    id: i.id,
                }
            })
            .collect(),
        suggested_units: access
            .template
            .units
            .iter()
            .map(|u| u.name.clone())
            .filter(|name| !units.contains(name))
            .collect(),
        sections: access
            .template
            .sections_flat()
            .into_iter()
            .filter(|flat| flat.depth <= 2)
            .map(|flat| SectionRow {
                unit: section_units
                    .get(&flat.section.id)
                    .cloned()
                    .unwrap_or_default(),
                id: flat.section.id.clone(),
                label: format!("{} {}", flat.number, flat.section.heading),
            })
            .collect(),
        units,
        new_invite_expires: new_invite
            .as_ref()
            .map(|(i, _)| time::oslo_display(i.expires_at))
            .unwrap_or_default(),
        new_invite_link: new_invite.map(|(_, link)| link),
        add_error,
    })
}

async fn members_page(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Html<String>, HttpError> {
    page(&state, &access, None).await
}

fn back(access: &PlanAccess) -> Response {
    Redirect::to(&format!("/plans/{}/medlemmer", access.plan())).into_response()
}

#[derive(Deserialize)]
struct AddMemberForm {
    email: String,
    role: String,
    #[serde(default)]
    unit: String,
}

/// Adds someone who already has an account; someone without one gets an invite instead.
async fn add_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<AddMemberForm>,
) -> Result<Response, HttpError> {
    let role = parse_role(&form.role)?;
    if members::add_member(&state, &access, &form.email, role, &form.unit)
        .await?
        .is_none()
    {
        let error = "Ingen har konto med denne e-postadressen. Lag en invitasjonslenke i stedet.";
        let page = page_with_error(&state, &access, None, Some(error.into())).await?;
        return Ok((axum::http::StatusCode::NOT_FOUND, page).into_response());
    }
    Ok(back(&access))
}

#[derive(Deserialize)]
struct MemberForm {
    role: String,
    #[serde(default)]
    unit: String,
}

async fn change_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
    Form(form): Form<MemberForm>,
) -> Result<Response, HttpError> {
    let role = parse_role(&form.role)?;
    members::change_member(&state, &access, &user_id, role, &form.unit).await?;
    Ok(back(&access))
}

async fn remove_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    members::remove_member(&state, &access, &user_id).await?;
    Ok(back(&access))
}

async fn create_invite(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(request): Form<InviteRequest>,
) -> Result<Html<String>, HttpError> {
    let (invite, link) = members::make_invite(&state, &access, &request).await?;
    page(&state, &access, Some((&invite, link))).await
}

async fn revoke_invite(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, invite_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    members::revoke_invite(&state, &access, &invite_id).await?;
    Ok(back(&access))
}

#[derive(Deserialize)]
struct UnitForm {
    name: String,
}

async fn add_unit(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<UnitForm>,
) -> Result<Response, HttpError> {
    access.require(Action::Manage)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(HttpError::Unprocessable(
            "a unit's name has 1 to 100 characters".into(),
        ));
    }
    store::add_unit(&state.storage.db(), access.plan(), name).await?;
    Ok(back(&access))
}

async fn remove_unit(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<UnitForm>,
) -> Result<Response, HttpError> {
    access.require(Action::Manage)?;
    store::remove_unit(&state.storage.db(), access.plan(), form.name.trim()).await?;
    Ok(back(&access))
}

/// The sections form: one `seksjon:<section id>` field per section, the unit or empty.
async fn set_section_units(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<Response, HttpError> {
    access.require(Action::Manage)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| HttpError::BadRequest("the form is not UTF-8".into()))?;
    let db = state.storage.db();
    let units = store::list_units(&db, access.plan()).await?;
    // Every field is checked before anything is stored: a refused form changes nothing.
    let mut choices = Vec::new();
    for (key, value) in form_urlencoded_pairs(text) {
        let Some(section) = key.strip_prefix("seksjon:") else {
            continue;
        };
        if access.template.section(section).is_none() {
            return Err(HttpError::Unprocessable(format!(
                "the plan has no section '{section}'"
            )));
        }
        choices.push((section.to_owned(), checked_unit(&units, &value)?));
    }
    for (section, unit) in choices {
        store::set_section_unit(&db, access.plan(), &section, unit.as_deref()).await?;
    }
    Ok(back(&access))
}
