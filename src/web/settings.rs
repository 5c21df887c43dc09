//! The coordinator's settings page of a plan: the plan's name, bydel and periode; its status
//! and adoption; what the cover says (place, date, contact) and shows (the logo, uploaded as
//! a multipart form); archiving, restoring and (for administrators) deleting it. One form per
//! group; a refused form comes back with what was typed and the reason beside the field (422),
//! a saved one says so (role=status).

use axum::Router;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Form, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::account::AccountBar;
use super::render;
use crate::access::Action;
use crate::document::PlanStatus;
use crate::export::LogoKind;
use crate::export::logo::MAX_LOGO_BYTES;
use crate::http::{AppState, HttpError};
use crate::plan::{
    BYDELER, MAX_CONTACT_CHARS, MAX_PERIODE_CHARS, MAX_PLACE_CHARS, MAX_SAK_CHARS, MAX_TITLE_CHARS,
    PlanRecord,
};
use crate::service::Error as ServiceError;
use crate::service::PlanAccess;
use crate::service::settings::{self, AdoptionInput, SettingsPatch};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans/{plan_id}/innstillinger", get(settings_page))
        .route("/plans/{plan_id}/innstillinger/plan", post(save_plan))
        .route("/plans/{plan_id}/innstillinger/status", post(save_status))
        .route("/plans/{plan_id}/innstillinger/forside", post(save_cover))
        .route("/plans/{plan_id}/innstillinger/logo", post(save_logo))
        .route(
            "/plans/{plan_id}/innstillinger/logo/fjern",
            post(remove_logo),
        )
        .route("/plans/{plan_id}/innstillinger/arkiver", post(archive))
        .route("/plans/{plan_id}/innstillinger/gjenopprett", post(restore))
        .route("/plans/{plan_id}/innstillinger/slett", post(delete))
}

/// The values the forms show: the plan's own, or what was typed into a refused form.
#[derive(Default)]
struct Values {
    title: String,
    bydel: String,
    periode: String,
    status: String,
    adopted_version: String,
    adopted_date: String,
    adopted_sak: String,
    place: String,
    date: String,
    contact: String,
    confirm: String,
}

impl Values {
    fn of(record: &PlanRecord) -> Values {
        let settings = &record.settings;
        let adopted = settings.adopted.as_ref();
        Values {
            title: record.title.clone(),
            bydel: record.bydel.clone(),
            periode: record.periode.clone(),
            status: record
                .status
                .parse::<PlanStatus>()
                .unwrap_or(PlanStatus::Utkast)
                .as_str()
                .to_owned(),
            adopted_version: adopted.map(|a| a.version.to_string()).unwrap_or_default(),
            adopted_date: adopted.map(|a| a.date.clone()).unwrap_or_default(),
            adopted_sak: adopted.map(|a| a.sak.clone()).unwrap_or_default(),
            place: settings.place.clone(),
            date: settings.date.clone(),
            contact: settings.contact.clone(),
            confirm: String::new(),
        }
    }
}

/// A refused form: the field at fault and why, in bokmål.
struct Refused {
    field: &'static str,
    message: &'static str,
}

struct VersionChoice {
    id: String,
    label: String,
}

#[derive(askama::Template)]
#[template(path = "pages/settings.html")]
struct SettingsPage {
    account: Option<AccountBar>,
    plan_id: String,
    plan_title: String,
    csrf_token: String,
    archived: Option<String>,
    can_delete: bool,
    /// Whether the plan has a cover logo (shown as a preview, with «Fjern logo»).
    has_logo: bool,
    values: Values,
    bydeler: &'static [&'static str],
    statuses: Vec<(&'static str, &'static str)>,
    versions: Vec<VersionChoice>,
    /// What was just saved, said once (role=status).
    saved: Option<&'static str>,
    refused: Option<Refused>,
    max_title: usize,
    max_periode: usize,
    max_sak: usize,
    max_place: usize,
    max_contact: usize,
}

impl SettingsPage {
    /// Why `field` was refused, when it was.
    fn error_for(&self, field: &str) -> Option<&'static str> {
        self.refused
            .as_ref()
            .filter(|r| r.field == field)
            .map(|r| r.message)
    }
}

/// The bokmål reason for a refused field.
fn message_for(field: &'static str) -> &'static str {
    match field {
        "title" => "Planen må ha en tittel på høyst 200 tegn.",
        "bydel" => "Velg en av Oslos bydeler.",
        "periode" => "Skriv perioden planen gjelder for (høyst 40 tegn), for eksempel 2025–2028.",
        "status" => "Velg en av statusene.",
        "adopted" | "adopted.version" => {
            "En vedtatt plan må vise til den frosne versjonen som ble vedtatt. Velg versjonen."
        }
        "adopted.date" => "Skriv møtedatoen som ÅÅÅÅ-MM-DD, for eksempel 2026-03-12.",
        "adopted.sak" => "Skriv saksnummeret (høyst 60 tegn), for eksempel BU-sak 12/26.",
        "place" => "Stedet kan være én linje med høyst 100 tegn.",
        "date" => "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-03-12, eller la feltet stå tomt.",
        "contact" => "Kontaktpersonen kan være én linje med høyst 300 tegn.",
        "logo" => {
            "Logoen må være en PNG- eller SVG-fil på høyst 512 KiB og høyst 3000 × 3000 \
             piksler, og den må kunne leses. Velg en annen fil."
        }
        "confirm" => "Skriv planens tittel nøyaktig slik den står for å slette planen.",
        _ => "Skjemaet kunne ikke brukes.",
    }
}

/// The confirmation shown after a save, by the `lagret` query value.
fn saved_message(saved: &str) -> Option<&'static str> {
    Some(match saved {
        "plan" => "Tittel, bydel og periode er lagret.",
        "status" => "Status og vedtak er lagret.",
        "forside" => "Forsidens opplysninger er lagret.",
        "logo" => "Logoen er lagret. Den står på forsiden av PDF- og Word-filene.",
        "logo-fjernet" => "Logoen er fjernet.",
        "arkivert" => "Planen er arkivert. Den kan leses, men ikke endres, til den gjenopprettes.",
        "gjenopprettet" => "Planen er gjenopprettet og kan endres igjen.",
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    access: &PlanAccess,
    values: Values,
    saved: Option<&'static str>,
    refused: Option<Refused>,
) -> Result<Html<String>, HttpError> {
    access.require_own(Action::Manage)?;
    let versions = state
        .storage
        .list_versions(access.plan())
        .await?
        .into_iter()
        .map(|v| VersionChoice {
            id: v.id.to_string(),
            label: format!("{} ({})", v.name, time::oslo_display(v.created_at)),
        })
        .collect();
    render(&SettingsPage {
        account: AccountBar::of(&access.principal),
        plan_id: access.plan().to_string(),
        plan_title: access.record.title.clone(),
        csrf_token: access.principal.csrf().unwrap_or_default().to_owned(),
        archived: access.record.archived_at.map(time::oslo_display),
        can_delete: settings::may_delete(state, &access.principal),
        has_logo: settings::has_logo(state, access).await?,
        values,
        bydeler: &BYDELER,
        statuses: PlanStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        versions,
        saved,
        refused,
        max_title: MAX_TITLE_CHARS,
        max_periode: MAX_PERIODE_CHARS,
        max_sak: MAX_SAK_CHARS,
        max_place: MAX_PLACE_CHARS,
        max_contact: MAX_CONTACT_CHARS,
    })
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    lagret: String,
}

async fn settings_page(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, HttpError> {
    let values = Values::of(&access.record);
    page(&state, &access, values, saved_message(&query.lagret), None).await
}

fn saved(access: &PlanAccess, what: &str) -> Response {
    Redirect::to(&format!(
        "/plans/{}/innstillinger?lagret={what}",
        access.plan()
    ))
    .into_response()
}

/// Saves a form's patch: back to the page saying so, or the page again with the reason beside
/// the field (422). Other refusals (403, 404) are answered as on every page.
async fn apply(
    state: &AppState,
    access: &PlanAccess,
    patch: SettingsPatch,
    typed: Values,
    what: &str,
) -> Result<Response, HttpError> {
    match settings::update(state, access, &patch).await {
        Ok(_) => Ok(saved(access, what)),
        Err(ServiceError::Invalid { field, .. }) => refused_page(state, access, typed, field).await,
        Err(e) => Err(e.into()),
    }
}

async fn refused_page(
    state: &AppState,
    access: &PlanAccess,
    typed: Values,
    field: &'static str,
) -> Result<Response, HttpError> {
    let refused = Refused {
        field,
        message: message_for(field),
    };
    let html = page(state, access, typed, None, Some(refused)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

#[derive(Deserialize)]
struct PlanForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    bydel: String,
    #[serde(default)]
    periode: String,
}

async fn save_plan(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<PlanForm>,
) -> Result<Response, HttpError> {
    let patch = SettingsPatch {
        title: Some(form.title.clone()),
        bydel: Some(form.bydel.clone()),
        periode: Some(form.periode.clone()),
        ..SettingsPatch::default()
    };
    let typed = Values {
        title: form.title,
        bydel: form.bydel,
        periode: form.periode,
        ..Values::of(&access.record)
    };
    apply(&state, &access, patch, typed, "plan").await
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    adopted_version: String,
    #[serde(default)]
    adopted_date: String,
    #[serde(default)]
    adopted_sak: String,
}

/// The status form: the adoption's fields count only with status «Vedtatt»; any other status
/// clears the adoption.
async fn save_status(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<StatusForm>,
) -> Result<Response, HttpError> {
    let adopted = (form.status.trim() == PlanStatus::Vedtatt.as_str()).then(|| AdoptionInput {
        version: form.adopted_version.clone(),
        date: form.adopted_date.clone(),
        sak: form.adopted_sak.clone(),
    });
    let patch = SettingsPatch {
        status: Some(form.status.clone()),
        adopted: Some(adopted),
        ..SettingsPatch::default()
    };
    let typed = Values {
        status: form.status,
        adopted_version: form.adopted_version,
        adopted_date: form.adopted_date,
        adopted_sak: form.adopted_sak,
        ..Values::of(&access.record)
    };
    apply(&state, &access, patch, typed, "status").await
}

#[derive(Deserialize)]
struct CoverForm {
    #[serde(default)]
    place: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    contact: String,
}

async fn save_cover(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<CoverForm>,
) -> Result<Response, HttpError> {
    let patch = SettingsPatch {
        place: Some(form.place.clone()),
        date: Some(form.date.clone()),
        contact: Some(form.contact.clone()),
        ..SettingsPatch::default()
    };
    let typed = Values {
        place: form.place,
        date: form.date,
        contact: form.contact,
        ..Values::of(&access.record)
    };
    apply(&state, &access, patch, typed, "forside").await
}

/// The logo form: the file in the `logo` part, its type from the part's `Content-Type`, else
/// from its name's ending. A refused file comes back as the page with the reason (422).
async fn save_logo(
    State(state): State<AppState>,
    access: PlanAccess,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, HttpError> {
    access.require(Action::Manage)?;
    let refused = || refused_page(&state, &access, Values::of(&access.record), "logo");
    let Ok(mut form) = form else {
        return refused().await;
    };
    let mut upload = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return refused().await,
        };
        if field.name() != Some("logo") {
            continue;
        }
        let kind = field
            .content_type()
            .and_then(LogoKind::from_content_type)
            .or_else(|| kind_of_file(field.file_name()?));
        match read_upload(field).await {
            Some(bytes) if !bytes.is_empty() => upload = Some((kind, bytes)),
            _ => return refused().await,
        }
    }
    let Some((kind, bytes)) = upload else {
        return refused().await;
    };
    match settings::set_logo(&state, &access, kind, bytes).await {
        Ok(()) => Ok(saved(&access, "logo")),
        Err(ServiceError::Invalid { field, .. }) => {
            refused_page(&state, &access, Values::of(&access.record), field).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A file's kind by its name's ending (`.png`, `.svg`), for browsers that send no image type.
fn kind_of_file(name: &str) -> Option<LogoKind> {
    let (_, ending) = name.rsplit_once('.')?;
    LogoKind::from_name(&ending.to_ascii_lowercase())
}

/// An uploaded file's bytes; `None` when it is larger than a logo may be or cannot be read.
async fn read_upload(mut field: Field<'_>) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.ok()? {
        if bytes.len() + chunk.len() > MAX_LOGO_BYTES {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    Some(bytes)
}

async fn remove_logo(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Response, HttpError> {
    settings::remove_logo(&state, &access).await?;
    Ok(saved(&access, "logo-fjernet"))
}

async fn archive(State(state): State<AppState>, access: PlanAccess) -> Result<Response, HttpError> {
    settings::archive(&state, &access).await?;
    Ok(saved(&access, "arkivert"))
}

async fn restore(State(state): State<AppState>, access: PlanAccess) -> Result<Response, HttpError> {
    settings::restore(&state, &access).await?;
    Ok(saved(&access, "gjenopprettet"))
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// Deletes the plan once its title is typed (administrators), then goes to the plan list.
async fn delete(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<DeleteForm>,
) -> Result<Response, HttpError> {
    match settings::delete_confirmed(&state, &access, &form.confirm).await {
        Ok(()) => Ok(Redirect::to("/?slettet=1").into_response()),
        Err(ServiceError::Invalid { field, .. }) => {
            let typed = Values {
                confirm: form.confirm,
                ..Values::of(&access.record)
            };
            refused_page(&state, &access, typed, field).await
        }
        Err(e) => Err(e.into()),
    }
}
