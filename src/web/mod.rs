//! Server-rendered pages (askama, bokmål), readable without JavaScript: the plan list with its
//! "Ny plan" form, and the plan page the browser editor mounts on.

mod account;
mod assets;
pub(crate) mod members;
mod plan_page;
pub mod render;
mod sign_in;
pub mod time;
mod versions;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use self::account::AccountBar;
use self::plan_page::{PlanPageData, ViewerData, status_label, template_choices};
use crate::access::{self, Action};
use crate::auth::{PlanAccess, Principal, store};
use crate::http::{AppState, HttpError};
use crate::plan::{BYDELER, PlanRecord, PlanRequest};

pub use self::plan_page::TILTAK_COLUMNS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/plans", axum::routing::post(create_plan))
        .route("/plans/{plan_id}", get(plan_page))
        .merge(sign_in::router())
        .merge(members::router())
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
}

impl From<PlanRecord> for ListedPlan {
    fn from(plan: PlanRecord) -> Self {
        ListedPlan {
            id: plan.id.to_string(),
            status_label: status_label(&plan.status),
            updated_iso: time::iso(plan.updated_at),
            updated_display: time::oslo_display(plan.updated_at),
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
    bydeler: &'static [&'static str],
    templates: Vec<TemplateChoice>,
}

#[derive(askama::Template)]
#[template(path = "pages/plan.html")]
struct PlanPage {
    account: Option<AccountBar>,
    page: PlanPageData,
    versions: versions::VersionsPanel,
    /// Coordinators get a link to the members page.
    can_manage: bool,
}

fn render(page: &impl askama::Template) -> Result<Html<String>, HttpError> {
    page.render()
        .map(Html)
        .map_err(|e| HttpError::Internal(format!("page did not render: {e}")))
}

async fn index(State(state): State<AppState>, principal: Principal) -> Result<Response, HttpError> {
    if matches!(principal, Principal::Anonymous) && !state.policy.open_editing {
        return Ok(Redirect::to("/login").into_response());
    }
    let plans = crate::http::visible_plans(&state, &principal).await?;
    let page = render(&IndexPage {
        account: AccountBar::of(&principal),
        can_create: access::may_create_plans(&state.policy, principal.caller()),
        plans: plans.into_iter().map(ListedPlan::from).collect(),
        bydeler: &BYDELER,
        templates: template_choices(&state.templates)
            .into_iter()
            .map(|(key, title, version)| TemplateChoice {
                key,
                title,
                version,
            })
            .collect(),
    })?;
    Ok(page.into_response())
}

/// The "Ny plan" form: creates the plan and goes to its page.
async fn create_plan(
    State(state): State<AppState>,
    principal: Principal,
    Form(request): Form<PlanRequest>,
) -> Result<Response, HttpError> {
    let record = crate::http::create_plan_for(&state, &principal, request).await?;
    Ok(Redirect::to(&format!("/plans/{}", record.id)).into_response())
}

/// The plan page. Someone not signed in is sent to the login page first (and back here after);
/// a signed-in non-member gets 404.
async fn plan_page(
    State(state): State<AppState>,
    principal: Principal,
    Path(plan_id): Path<String>,
) -> Result<Response, HttpError> {
    // Under open editing everyone may see every plan, so a 404 means the plan does not exist.
    let anonymous = matches!(principal, Principal::Anonymous) && !state.policy.open_editing;
    match PlanAccess::resolve(&state, principal, &plan_id).await {
        Ok(access) => Ok(plan_page_for(&state, access).await?.into_response()),
        Err(HttpError::NotFound(_)) if anonymous => {
            let next = format!("/plans/{}", plan_id.trim());
            Ok(Redirect::to(&format!(
                "/login?neste={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
            .into_response())
        }
        Err(e) => Err(e),
    }
}

async fn plan_page_for(state: &AppState, access: PlanAccess) -> Result<Html<String>, HttpError> {
    let view = state.current_view(&access.record, &access.template).await?;
    let db = state.storage.db();
    let plan = access.plan();
    let units = store::list_units(&db, plan).await?;
    let viewer = ViewerData::of(&access);
    let mut page = PlanPageData::build(&access.record, &view, &access.template, &viewer, &units);
    page.annotate(
        &store::section_units(&db, plan).await?,
        &crate::storage::activity::last_edits(&db, plan).await?,
    );
    render(&PlanPage {
        account: AccountBar::of(&access.principal),
        page,
        versions: versions::panel(state, &access).await?,
        can_manage: access.may(Action::Manage),
    })
}
