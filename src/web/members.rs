//! The coordinator's members page: members and their roles, invite links, the plan's units and
//! the unit responsible for each section. Every route needs `Action::Manage`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
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
            get(confirm_remove).post(remove_member),
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
    /// Administrators who are not members: coordinators of every plan, this one included.
    administrators: Vec<AdminRow>,
    invites: Vec<InviteRow>,
    units: Vec<String>,
    suggested_units: Vec<String>,
    sections: Vec<SectionRow>,
    new_invite_link: Option<String>,
    new_invite_expires: String,
    /// A refused form: which one, why (bokmål) and what was typed in its text field.
    refused: Option<Refused>,
    /// What the last form did, said as a status message («… er lagt til som Redaktør.»).
    done: Option<String>,
}

/// What the page was sent back with after a form succeeded (`?lagt-til=<user id>`,
/// `?enhet=<name>`, `?fjernet=<user id>`).
#[derive(Deserialize, Default)]
struct Done {
    #[serde(rename = "lagt-til")]
    added: Option<String>,
    enhet: Option<String>,
    fjernet: Option<String>,
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
    /// An administrator (coordinator of every plan) who is also a member.
    admin: bool,
    /// The address came from an invite that named none: nobody confirmed it.
    unverified: bool,
    role: &'static str,
    unit: String,
}

struct AdminRow {
    name: String,
    email: String,
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
    page_with(state, access, new_invite, refused, &Done::default()).await
}

async fn page_with(
    state: &AppState,
    access: &PlanAccess,
    new_invite: Option<(&Invite, String)>,
    refused: Option<Refused>,
    done: &Done,
) -> Result<Html<String>, HttpError> {
    let plan = access.plan();
    let people = members::list(state, access).await?;
    let accounts = crate::service::accounts::list_users(&state.storage.db()).await?;
    let administrators: Vec<AdminRow> = accounts
        .iter()
        .filter(|u| u.is_admin && !people.iter().any(|m| m.user.id == u.id))
        .map(|u| AdminRow {
            name: u.name.clone(),
            email: u.email.clone(),
        })
        .collect();
    let units = members::units(state, access).await?;
    let done = done_message(done, &people, &accounts, &units);
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
                admin: m.user.is_admin,
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
        administrators,
        refused,
        done,
    })
}

/// The status message for what the last form did, if anything.
/// Only what the plan has is named: a made-up address says nothing.
fn done_message(
    done: &Done,
    people: &[crate::storage::accounts::Member],
    accounts: &[crate::storage::accounts::User],
    units: &[String],
) -> Option<String> {
    if let Some(id) = &done.added {
        let member = people.iter().find(|m| &m.user.id == id)?;
        let unit = member
            .unit
            .as_deref()
            .map(|u| format!(" for {u}"))
            .unwrap_or_default();
        return Some(format!(
            "{} er lagt til som {}{unit}.",
            member.user.name,
            member.role.label().to_lowercase()
        ));
    }
    if let Some(unit) = done
        .enhet
        .as_deref()
        .filter(|u| units.iter().any(|x| x == u))
    {
        return Some(format!("Enheten {unit} er lagt til."));
    }
    if let Some(id) = &done.fjernet {
        let user = accounts.iter().find(|u| &u.id == id)?;
        if people.iter().any(|m| &m.user.id == id) {
            return None;
        }
        return Some(format!("{} er fjernet fra planen.", user.name));
    }
    None
}

async fn members_page(
    State(state): State<AppState>,
    access: PlanAccess,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Result<Html<String>, HttpError> {
    let done = done.map(|Query(d)| d).unwrap_or_default();
    page_with(&state, &access, None, None, &done).await
}

/// The members page again, saying what was just done (`query`, already encoded).
fn back_saying(access: &PlanAccess, key: &str, value: &str) -> Response {
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    Redirect::to(&format!("/plans/{}/medlemmer?{key}={value}", access.plan())).into_response()
}

/// «Fjern …»: the page that asks before a member is removed.
#[derive(askama::Template)]
#[template(path = "pages/members_remove.html")]
struct RemovePage {
    account: Option<AccountBar>,
    plan_id: String,
    plan_title: String,
    csrf_token: String,
    user_id: String,
    name: String,
    email: String,
    role: String,
}

async fn confirm_remove(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Html<String>, HttpError> {
    let people = members::list(&state, &access).await?;
    let member = people
        .into_iter()
        .find(|m| m.user.id == user_id)
        .ok_or_else(|| ServiceError::NotFound("no such member of this plan".into()))?;
    render(&RemovePage {
        account: AccountBar::of(&access.principal),
        plan_id: access.plan().to_string(),
        plan_title: access.record.title.clone(),
        csrf_token: access.principal.csrf().unwrap_or_default().to_owned(),
        user_id: member.user.id,
        name: member.user.name,
        email: member.user.email,
        role: member.role.label().to_lowercase(),
    })
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
        Ok(member) => Ok(back_saying(&access, "lagt-til", &member.user.id)),
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

#[derive(Deserialize)]
struct RemoveForm {
    /// `ja` from the confirmation page's form; anything else asks first.
    #[serde(default)]
    bekreft: String,
}

/// Removes a member once confirmed (`bekreft=ja`); an unconfirmed request is sent to the page
/// that asks.
async fn remove_member(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, user_id)): Path<(String, String)>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, HttpError> {
    if form.bekreft != "ja" {
        return Ok(Redirect::to(&format!(
            "/plans/{}/medlemmer/{}/fjern",
            access.plan(),
            form_urlencoded::byte_serialize(user_id.as_bytes()).collect::<String>()
        ))
        .into_response());
    }
    members::remove(&state, &access, &user_id).await?;
    Ok(back_saying(&access, "fjernet", &user_id))
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
        Ok(()) => Ok(back_saying(&access, "enhet", form.name.trim())),
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
