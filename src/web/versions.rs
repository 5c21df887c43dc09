//! Named versions on the pages: the versions panel of the plan page (list, downloads, the
//! "Frys versjon" form) and a version's own read-only page.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::plan_page::PlanPageData;
use super::render::escape;
use crate::access::Action;
use crate::http::{AppState, HttpError};
use crate::service::{Error as ServiceError, PlanAccess, versions as service};
use crate::time;
use crate::version::{MAX_NAME_CHARS, VersionRecord};

/// What `templates/pages/versions_panel.html` shows: on the plan page the list of versions,
/// the downloads and the freeze form; on a version's page the "frozen" banner.
pub struct VersionsPanel {
    pub plan_id: String,
    /// Set on a version's page.
    pub frozen: Option<ListedVersion>,
    /// Newest first.
    pub versions: Vec<ListedVersion>,
    pub can_freeze: bool,
    /// Readers export frozen versions only.
    pub can_export_current: bool,
    /// Sent back by the freeze form (signed-in people).
    pub csrf_token: Option<String>,
    pub max_name_chars: usize,
    pub current_md: String,
    pub current_pdf: String,
}

pub struct ListedVersion {
    pub id: String,
    pub name: String,
    pub created_iso: String,
    pub created_display: String,
    pub page_href: String,
    pub md_href: String,
    pub pdf_href: String,
}

impl ListedVersion {
    fn new(version: &VersionRecord) -> Self {
        let base = format!("/plans/{}", version.plan_id);
        ListedVersion {
            id: version.id.to_string(),
            name: version.name.clone(),
            created_iso: time::iso(version.created_at),
            created_display: time::oslo_display(version.created_at),
            page_href: format!("{base}/versions/{}", version.id),
            md_href: format!("{base}/export.md?version={}", version.id),
            pdf_href: format!("{base}/export.pdf?version={}", version.id),
        }
    }
}

/// The plan page's versions panel.
pub async fn panel(state: &AppState, access: &PlanAccess) -> Result<VersionsPanel, HttpError> {
    let plan = access.plan();
    let versions = service::list(state, access).await?;
    Ok(VersionsPanel {
        plan_id: plan.to_string(),
        frozen: None,
        versions: versions.iter().map(ListedVersion::new).collect(),
        can_freeze: access.may(Action::Freeze),
        can_export_current: access.may(Action::ExportCurrent),
        csrf_token: access.principal.csrf().map(str::to_owned),
        max_name_chars: MAX_NAME_CHARS,
        current_md: format!("/plans/{plan}/export.md"),
        current_pdf: format!("/plans/{plan}/export.pdf"),
    })
}

/// A version's page: the plan page's rendering of the frozen content, read-only, without the
/// browser editor, under a banner naming the version.
#[derive(askama::Template)]
#[template(path = "pages/version.html")]
struct VersionPage {
    account: Option<super::AccountBar>,
    can_manage: bool,
    page: PlanPageData,
    versions: VersionsPanel,
}

pub async fn version_page(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, version_id)): Path<(String, String)>,
) -> Result<Html<String>, HttpError> {
    let (version, view) = service::view(
        state.storage.as_ref(),
        &access.record,
        &access.template,
        &version_id,
    )
    .await?;
    let mut versions = panel(&state, &access).await?;
    versions.frozen = Some(ListedVersion::new(&version));
    versions.can_freeze = false;
    let page = VersionPage {
        account: super::AccountBar::of(&access.principal),
        can_manage: false,
        page: PlanPageData::build(
            &access.record,
            &view,
            &access.template,
            &super::ViewerData::default(),
            &[],
        ),
        versions,
    };
    askama::Template::render(&page)
        .map(Html)
        .map_err(|e| HttpError::Internal(format!("page did not render: {e}")))
}

#[derive(Debug, Deserialize)]
pub struct FreezeForm {
    pub name: String,
}

/// The "Frys versjon" form: freezes and returns to the plan's versions; a refused name gets a
/// short page that says why.
pub async fn freeze_form(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<FreezeForm>,
) -> Result<Response, HttpError> {
    let plan_id = access.plan().to_string();
    match service::freeze(&state, &access, &form.name).await {
        Ok(version) => {
            Ok(Redirect::to(&format!("/plans/{}#versjoner", version.plan_id)).into_response())
        }
        Err(
            error @ (ServiceError::Conflict(_)
            | ServiceError::Invalid { .. }
            | ServiceError::NotAllowed { .. }),
        ) => {
            let (status, message) = match &error {
                ServiceError::Conflict(_) => (
                    StatusCode::CONFLICT,
                    "Det finnes allerede en versjon med dette navnet. Velg et annet navn."
                        .to_owned(),
                ),
                ServiceError::NotAllowed { .. } => (
                    StatusCode::FORBIDDEN,
                    "Du har ikke tilgang til å fryse versjoner av denne planen.".to_owned(),
                ),
                _ if form.name.trim().is_empty() => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Versjonen må ha et navn.".to_owned(),
                ),
                _ => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Versjonen må ha et navn på høyst {MAX_NAME_CHARS} tegn."),
                ),
            };
            let back = format!("/plans/{}#versjoner", escape(&plan_id));
            let body = format!(
                "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>Versjonen ble ikke frosset – Samskriv</title><link rel=\"stylesheet\" href=\"/static/samskriv.css\"></head><body><main id=\"innhold\"><h1>Versjonen ble ikke frosset</h1><p role=\"alert\">{}</p><p><a href=\"{back}\">Tilbake til planen</a></p></main></body></html>",
                escape(&message)
            );
            Ok((status, Html(body)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
