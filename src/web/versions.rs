//! Named versions on the pages: the versions panel of the plan page (list, downloads, the
//! "Frys versjon" form) and a version's own read-only page.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::plan_page::PlanPageData;
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
    pub current_docx: String,
    /// The freeze form as sent, when it was refused: the name typed and why (bokmål).
    pub refused: Option<(String, String)>,
    /// The version just frozen, said as a status message after «Frys versjon».
    pub just_frozen: Option<String>,
}

#[derive(Clone)]
pub struct ListedVersion {
    pub id: String,
    pub name: String,
    pub created_iso: String,
    pub created_display: String,
    pub page_href: String,
    pub md_href: String,
    pub pdf_href: String,
    pub docx_href: String,
    /// What changed since the version frozen before this one, if there is one.
    pub changes_href: Option<String>,
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
            docx_href: format!("{base}/export.docx?version={}", version.id),
            changes_href: None,
        }
    }

    /// The versions newest first, each linked to what changed since the one before it.
    fn list(versions: &[VersionRecord]) -> Vec<ListedVersion> {
        versions
            .iter()
            .enumerate()
            .map(|(index, version)| {
                let mut listed = ListedVersion::new(version);
                listed.changes_href = versions.get(index + 1).map(|previous| {
                    format!(
                        "/plans/{}/endringer?from={}&to={}",
                        version.plan_id, previous.id, version.id
                    )
                });
                listed
            })
            .collect()
    }
}

/// The plan page's versions panel.
pub async fn panel(state: &AppState, access: &PlanAccess) -> Result<VersionsPanel, HttpError> {
    let plan = access.plan();
    let versions = service::list(state, access).await?;
    Ok(VersionsPanel {
        plan_id: plan.to_string(),
        frozen: None,
        versions: ListedVersion::list(&versions),
        can_freeze: access.may(Action::Freeze),
        can_export_current: access.may(Action::ExportCurrent),
        csrf_token: access.principal.csrf().map(str::to_owned),
        max_name_chars: MAX_NAME_CHARS,
        current_md: format!("/plans/{plan}/export.md"),
        current_pdf: format!("/plans/{plan}/export.pdf"),
        current_docx: format!("/plans/{plan}/export.docx"),
        refused: None,
        just_frozen: None,
    })
}

/// A version's page: the plan page's rendering of the frozen content, read-only, without the
/// browser editor, under a banner naming the version.
#[derive(askama::Template)]
#[template(path = "pages/version.html")]
struct VersionPage {
    account: Option<super::AccountBar>,
    can_manage: bool,
    /// The plan page's rullering links; a frozen version shows none.
    lineage: crate::service::rollover::Lineage,
    can_roll_over: bool,
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
    versions.frozen = Some(
        versions
            .versions
            .iter()
            .find(|listed| listed.id == version.id.to_string())
            .cloned()
            .unwrap_or_else(|| ListedVersion::new(&version)),
    );
    versions.can_freeze = false;
    let page = VersionPage {
        account: super::AccountBar::of(&access.principal),
        can_manage: false,
        lineage: Default::default(),
        can_roll_over: false,
        page: PlanPageData::build(
            &access.record,
            &view,
            &access.template,
            &super::ViewerData::default(),
            &[],
        )
        .frozen(&view.structure),
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

/// The "Frys versjon" form: freezes and returns to the plan's versions; a refused name shows the
/// plan page again with the name typed and why, next to the field.
pub async fn freeze_form(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<FreezeForm>,
) -> Result<Response, HttpError> {
    let (status, message) = match service::freeze(&state, &access, &form.name).await {
        Ok(version) => {
            return Ok(Redirect::to(&format!(
                "/plans/{}?frosset={}#versjoner",
                version.plan_id, version.id
            ))
            .into_response());
        }
        Err(ServiceError::Conflict(_)) => (
            StatusCode::CONFLICT,
            "Det finnes allerede en versjon med dette navnet. Velg et annet navn.".to_owned(),
        ),
        // Blank names (spaces, line breaks, control characters) are empty, as the service sees them.
        Err(ServiceError::Invalid { .. })
            if crate::version::normalize_name(&form.name)
                == Err(crate::version::VersionNameError::Empty) =>
        {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Skriv et navn på versjonen, for eksempel Høringsutkast.".to_owned(),
            )
        }
        Err(ServiceError::Invalid { .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Navnet kan ha høyst {MAX_NAME_CHARS} tegn."),
        ),
        Err(other) => return Err(other.into()),
    };
    let page = super::plan_page_for(&state, access, Some((form.name, message))).await?;
    Ok((status, page).into_response())
}
