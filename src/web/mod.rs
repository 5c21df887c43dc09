//! Server-rendered pages (askama, bokmål), readable without JavaScript: the plan list with its
//! "Ny plan" form, and the plan page the browser editor mounts on.

mod account;
mod assets;
mod diff;
pub mod errors;
mod export;
pub(crate) mod members;
mod oidc;
mod plan_page;
pub mod render;
mod rollover;
mod rounds;
mod settings;
mod sign_in;
mod versions;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use self::account::AccountBar;
pub use self::errors::not_found;
use self::plan_page::{PlanPageData, ViewerData, status_label, template_choices};
use crate::access::{self, Action};
use crate::http::{AppState, HttpError};
use crate::plan::{BYDELER, PlanRecord, PlanRequest};
use crate::service::{self, PlanAccess, Principal, plans};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(export::router())
        .route("/", get(index))
        .route("/plans", axum::routing::post(create_plan))
        .route("/plans/{plan_id}", get(plan_page))
        .route("/plans/{plan_id}/mangler", get(completeness_panel))
        .merge(sign_in::router())
        .merge(oidc::router())
        .merge(members::router())
        .merge(settings::router())
        .merge(rounds::router())
        .merge(rollover::router())
        .merge(diff::router())
        .route(
            "/plans/{plan_id}/versions",
            axum::routing::post(versions::freeze_form),
        )
        .route(
            "/plans/{plan_id}/versions/{version_id}",
            get(versions::version_page),
        )
        .route(
            "/static/samskriv.css",
            get(|headers: HeaderMap| async move { assets::serve(&assets::STYLESHEET, &headers) }),
        )
        .route(
            "/static/editor.js",
            get(|headers: HeaderMap| async move { assets::serve(&assets::EDITOR_JS, &headers) }),
        )
        .route(
            "/static/editor.css",
            get(|headers: HeaderMap| async move { assets::serve(&assets::EDITOR_CSS, &headers) }),
        )
}

/// A plan row of the list page.
struct ListedPlan {
    id: String,
    title: String,
    bydel: String,
    periode: String,
    status: String,
    status_label: String,
    updated_iso: String,
    updated_display: String,
    archived: bool,
}

impl From<PlanRecord> for ListedPlan {
    fn from(plan: PlanRecord) -> Self {
        ListedPlan {
            id: plan.id.to_string(),
            status_label: status_label(&plan.status),
            updated_iso: time::iso(plan.updated_at),
            updated_display: time::oslo_display(plan.updated_at),
            archived: plan.is_archived(),
            title: plan.title,
            bydel: plan.bydel,
            periode: plan.periode,
            status: plan.status,
        }
    }
}

struct TemplateChoice {
    key: String,
    title: String,
    version: u32,
}

#[derive(askama::Template)]
#[template(path = "pages/index.html")]
struct IndexPage {
    account: Option<AccountBar>,
    can_create: bool,
    plans: Vec<ListedPlan>,
    /// Archived plans are listed too (`?archived=true`, «Vis arkiverte planer»).
    archived_too: bool,
    /// A plan was just deleted (`?slettet=1`): said once (role=status).
    deleted: bool,
    bydeler: &'static [&'static str],
    templates: Vec<TemplateChoice>,
    /// The «Ny plan» form as sent, when it was refused; empty otherwise.
    form: NewPlanForm,
}

/// The «Ny plan» form's values and, when refused, why (in bokmål) and which field.
#[derive(Default)]
struct NewPlanForm {
    title: String,
    bydel: String,
    periode: String,
    template: String,
    error: Option<String>,
    error_field: &'static str,
}

impl NewPlanForm {
    fn refused(request: PlanRequest, error: &crate::plan::PlanRequestError) -> Self {
        use crate::plan::PlanRequestError as E;
        let message = match error {
            E::EmptyTitle => "Planen må ha en tittel.".to_owned(),
            E::TooLong { field, max } => {
                let name = if *field == "title" {
                    "Tittelen"
                } else {
                    "Perioden"
                };
                format!("{name} kan ha høyst {max} tegn.")
            }
            E::UnknownBydel(_) => "Velg en av Oslos bydeler.".to_owned(),
            E::EmptyPeriode => {
                "Skriv inn perioden planen gjelder for, for eksempel 2025–2028.".to_owned()
            }
            E::UnknownTemplate { .. } => "Velg en av malene i listen.".to_owned(),
        };
        NewPlanForm {
            title: request.title,
            bydel: request.bydel,
            periode: request.periode,
            template: request.template,
            error: Some(message),
            error_field: error.field(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "pages/plan.html")]
struct PlanPage {
    account: Option<AccountBar>,
    page: PlanPageData,
    versions: versions::VersionsPanel,
    /// Coordinators get a link to the members page.
    can_manage: bool,
    /// «Forrige plan» / «Neste plan» (rullering) and «Ny plan fra denne» for who may.
    lineage: service::rollover::Lineage,
    can_roll_over: bool,
}

fn render(page: &impl askama::Template) -> Result<Html<String>, HttpError> {
    page.render()
        .map(Html)
        .map_err(|e| HttpError::Internal(format!("page did not render: {e}")))
}

/// The plan list's query: `archived=true` lists archived plans too; `slettet=1` follows a
/// deletion. Anything else in it is ignored.
#[derive(Default, serde::Deserialize)]
struct IndexQuery {
    #[serde(default)]
    archived: String,
    #[serde(default)]
    slettet: String,
}

async fn index(
    State(state): State<AppState>,
    principal: Principal,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, HttpError> {
    if matches!(principal, Principal::Anonymous) && !state.policy.open_editing {
        return Ok(Redirect::to("/login").into_response());
    }
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let list = PlanList {
        archived_too: query.archived == "true",
        deleted: query.slettet == "1",
    };
    Ok(index_page(&state, &principal, NewPlanForm::default(), list)
        .await?
        .into_response())
}

/// Which plans the list shows, and whether a deletion is to be confirmed.
#[derive(Default)]
struct PlanList {
    archived_too: bool,
    deleted: bool,
}

/// The template «Ny plan» starts with: the KoRus guide's, when it is loaded.
const DEFAULT_TEMPLATE: &str = "korus-ruspolitisk-handlingsplan";

async fn index_page(
    state: &AppState,
    principal: &Principal,
    mut form: NewPlanForm,
    list: PlanList,
) -> Result<Html<String>, HttpError> {
    let plans = plans::listed(state, principal, list.archived_too).await?;
    if form.template.is_empty()
        && let Some(template) = state.templates.latest(DEFAULT_TEMPLATE)
    {
        form.template = template.key();
    }
    render(&IndexPage {
        account: AccountBar::of(principal),
        can_create: access::may_create_plans(&state.policy, principal.caller()),
        plans: plans.into_iter().map(ListedPlan::from).collect(),
        archived_too: list.archived_too,
        deleted: list.deleted,
        bydeler: &BYDELER,
        templates: template_choices(&state.templates)
            .into_iter()
            .map(|(key, title, version)| TemplateChoice {
                key,
                title,
                version,
            })
            .collect(),
        form,
    })
}

/// The «Ny plan» form: creates the plan and goes to its page; a refused form is shown again
/// with what was typed and why (422).
async fn create_plan(
    State(state): State<AppState>,
    principal: Principal,
    Form(request): Form<PlanRequest>,
) -> Result<Response, HttpError> {
    match plans::create(&state, &principal, &request).await {
        Ok(record) => Ok(Redirect::to(&format!("/plans/{}", record.id)).into_response()),
        Err(service::Error::Invalid { .. }) => {
            let Err(error) = request.resolve(&state.templates) else {
                return Err(HttpError::Internal(
                    "a refused plan request resolves".into(),
                ));
            };
            let form = NewPlanForm::refused(request, &error);
            let page = index_page(&state, &principal, form, PlanList::default()).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The plan page. Someone not signed in is sent to the login page first (and back here after);
/// a signed-in non-member gets 404.
async fn plan_page(
    State(state): State<AppState>,
    principal: Principal,
    Path(plan_id): Path<String>,
    frozen: Result<axum::extract::Query<JustFrozen>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, HttpError> {
    // Under open editing everyone may see every plan, so a 404 means the plan does not exist.
    let anonymous = matches!(principal, Principal::Anonymous) && !state.policy.open_editing;
    match PlanAccess::resolve(&state, principal, &plan_id).await {
        Ok(access) => {
            let frozen = frozen.ok().and_then(|q| q.0.frosset);
            Ok(plan_page_with(&state, access, None, frozen.as_deref())
                .await?
                .into_response())
        }
        Err(service::Error::PlanNotFound(_)) if anonymous => {
            let next = format!("/plans/{}", plan_id.trim());
            Ok(Redirect::to(&format!(
                "/login?neste={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `?frosset=<version id>`: the page after «Frys versjon», which says so.
#[derive(serde::Deserialize)]
struct JustFrozen {
    frosset: Option<String>,
}

/// The plan page; `refused_freeze` is a refused «Frys versjon» form (the name typed and why),
/// shown in the form.
async fn plan_page_for(
    state: &AppState,
    access: PlanAccess,
    refused_freeze: Option<(String, String)>,
) -> Result<Html<String>, HttpError> {
    plan_page_with(state, access, refused_freeze, None).await
}

/// The plan page; `just_frozen` is the id of a version frozen a moment ago, named in a status
/// message when the plan has it.
async fn plan_page_with(
    state: &AppState,
    access: PlanAccess,
    refused_freeze: Option<(String, String)>,
    just_frozen: Option<&str>,
) -> Result<Html<String>, HttpError> {
    let (view, people) = plans::page_content(state, &access).await?;
    let viewer = ViewerData::of(&access);
    let mut page = PlanPageData::build(
        &access.record,
        &view,
        &access.template,
        &viewer,
        &people.units,
    );
    page.annotate(&people.section_units, &people.last_edits);
    service::suggestions::add_to_completeness(state, &access, &mut page.completeness).await?;
    page.can_configure = access.own_role.may(Action::Manage);
    let mut versions = versions::panel(state, &access).await?;
    versions.refused = refused_freeze;
    versions.just_frozen = just_frozen.and_then(|id| {
        versions
            .versions
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
    });
    let lineage = service::rollover::lineage(state, &access).await?;
    render(&PlanPage {
        account: AccountBar::of(&access.principal),
        page,
        versions,
        can_manage: access.may(Action::Manage),
        lineage,
        can_roll_over: service::rollover::may_roll_over(state, &access),
    })
}

/// The «Før planen sendes til BU» panel alone, as the plan page shows it: the editor fetches it
/// to keep the panel current, so the panel is rendered in one place.
#[derive(askama::Template)]
#[template(path = "pages/completeness_panel.html")]
struct CompletenessPanel {
    page: plan_page::CompletenessData,
}

async fn completeness_panel(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Html<String>, HttpError> {
    let completeness = plans::completeness(&state, &access).await?;
    render(&CompletenessPanel {
        page: completeness.into(),
    })
}
