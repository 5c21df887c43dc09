//! The coordinator's members page: members and their roles, invite links, the plan's units and
//! the unit responsible for each section. Every route needs `Action::Manage`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::account::AccountBar;
use super::render;
use crate::access::Role;
use crate::http::extract::form_urlencoded_pairs;
use crate::http::{AppState, HttpError};
use crate::service::Error as ServiceError;
use crate::service::PlanAccess;
use crate::service::members::{self, InviteRequest, parse_role};
use crate::storage::accounts::{Invite, InviteState};
use crate::storage::now_millis;
use crate::time;

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
    /// A refused form: which one, why (bokmål) and what was typed in its text field.
    refused: Option<Refused>,
}

/// A form of the members page that was sent and refused.
struct Refused {
    /// `add`, `invite`, `unit` or `sections`.
    form: &'static str,
    message: String,
    typed: String,
}

impl MembersPage {
    /// Why `form` was refused, when it was.
    fn error_for(&self, form: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| r.message.as_str())
    }

    /// What was typed in `form`'s text field before it was refused.
    fn typed_in(&self, form: &str) -> &str {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .map_or("", |r| r.typed.as_str())
    }
}

/// A refusal of the service in bokmål, for the form it came from; other errors go on as they are.
fn refused(form: &'static str, typed: &str, error: ServiceError) -> Result<Refused, HttpError> {
    let message = match &error {
        ServiceError::NotFound(_) if form == "add" => {
            "Ingen har konto med denne e-postadressen. Lag en invitasjonslenke i stedet."
        }
        ServiceError::Invalid { field, .. } => match *field {
            "unit" => "Velg en av planens enheter.",
            "role" => "Velg en av rollene.",
            "days" => "En invitasjon kan gjelde i 1 til 90 dager.",
            "name" => "Navnet på enheten må ha 1 til 100 tegn.",
            "section" => "Planen har ikke den delen.",
            _ => "Skjemaet kunne ikke brukes.",
        },
        _ => return Err(error.into()),
    };
    Ok(Refused {
        form,
        message: message.to_owned(),
        typed: typed.to_owned(),
    })
}

/// The members page again with the refused form's message (404 for an unknown address, 422
/// otherwise).
async fn page_refused(
    state: &AppState,
    access: &PlanAccess,
    form: &'static str,
    typed: &str,
    error: ServiceError,
) -> Result<Response, HttpError> {
    let status = match error {
        ServiceError::NotFound(_) => axum::http::StatusCode::NOT_FOUND,
        _ => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
    };
    let refusal = refused(form, typed, error)?;
    let page = page_with_error(state, access, None, Some(refusal)).await?;
    Ok((status, page).into_response())
}

struct MemberRow {
    user_id: String,
    name: String,
    email: String,
    /// The address came from an invite that named none: nobody confirmed it.
    unverified: bool,
    role: &'static str,
    unit: String,
}

struct InviteRow {
    id: String,
    role: &'static str,
    unit: String,
    email: String,
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
    refused: Option<Refused>,
) -> Result<Html<String>, HttpError> {
    let plan = access.plan();
    let people = members::list(state, access).await?;
    let units = members::units(state, access).await?;
    let section_units = members::section_units(state, access).await?;
    let now = now_millis();
    render(&MembersPage {
        account: AccountBar::of(&access.principal),
        plan_id: plan.to_string(),
        plan_title: access.record.title.clone(),
        csrf_token: access.principal.csrf().unwrap_or_default().to_owned(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        members: people
            .into_iter()
            .map(|m| MemberRow {
                user_id: m.user.id,
                name: m.user.name,
                email: m.user.email,
                unverified: !m.email_verified,
                role: m.role.as_str(),
                unit: m.unit.unwrap_or_default(),
            })
            .collect(),
        invites: members::invites(state, access)
            .await?
            .into_iter()
            .map(|i| {
                let invite_state = i.state(now);
                InviteRow {
                    role: i.role.label(),
                    unit: i.unit.clone().unwrap_or_default(),
                    email: i.email.clone().unwrap_or_default(),
                    created: time::oslo_display(i.created_at),
                    expires: time::oslo_display(i.expires_at),
                    state: invite_state.label(),
                    open: invite_state == InviteState::Open,
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
        refused,
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
    let added = match parse_role(&form.role) {
        Ok(role) => members::add(&state, &access, &form.email, role, &form.unit).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(back(&access)),
        Err(e) => page_refused(&state, &access, "add", &form.email, e).await,
    }
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
    members::change(&state, &access, &user_id, role, &form.unit).await?;
    Ok(back(&access))
}

async fn remove_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    members::remove(&state, &access, &user_id).await?;
    Ok(back(&access))
}

async fn create_invite(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(request): Form<InviteRequest>,
) -> Result<Response, HttpError> {
    match members::invite(&state, &access, &request).await {
        Ok((invite, link)) => Ok(page(&state, &access, Some((&invite, link)))
            .await?
            .into_response()),
        Err(e) => page_refused(&state, &access, "invite", "", e).await,
    }
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
    match members::add_unit(&state, &access, &form.name).await {
        Ok(()) => Ok(back(&access)),
        Err(e) => page_refused(&state, &access, "unit", &form.name, e).await,
    }
}

async fn remove_unit(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<UnitForm>,
) -> Result<Response, HttpError> {
    members::remove_unit(&state, &access, &form.name).await?;
    Ok(back(&access))
}

/// The sections form: one `seksjon:<section id>` field per section, the unit or empty.
async fn set_section_units(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<Response, HttpError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| HttpError::BadRequest("the form is not UTF-8".into()))?;
    let choices: Vec<(String, String)> = form_urlencoded_pairs(text)
        .filter_map(|(key, value)| Some((key.strip_prefix("seksjon:")?.to_owned(), value)))
        .collect();
    match members::set_section_units(&state, &access, &choices).await {
        Ok(()) => Ok(back(&access)),
        Err(e) => page_refused(&state, &access, "sections", "", e).await,
    }
}
