//! Server-rendered pages (askama, bokmål), readable without JavaScript: the plan list with its
//! "Ny plan" form, and the plan page the browser editor mounts on.

mod assets;
mod plan_page;
pub mod render;
pub mod time;
mod versions;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use self::plan_page::{PlanPageData, status_label, template_choices};
use crate::http::{AppState, HttpError};
use crate::plan::{BYDELER, PlanRecord, PlanRequest};

pub use self::plan_page::TILTAK_COLUMNS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/plans", axum::routing::post(create_plan))
        .route("/plans/{plan_id}", get(plan_page))
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
    plans: Vec<ListedPlan>,
    bydeler: &'static [&'static str],
    templates: Vec<TemplateChoice>,
}

#[derive(askama::Template)]
#[template(path = "pages/plan.html")]
struct PlanPage {
    page: PlanPageData,
    versions: versions::VersionsPanel,
}

fn render(page: &impl askama::Template) -> Result<Html<String>, HttpError> {
    page.render()
        .map(Html)
        .map_err(|e| HttpError::Internal(format!("page did not render: {e}")))
}

async fn index(State(state): State<AppState>) -> Result<Html<String>, HttpError> {
    let plans = state.storage.list_plans().await?;
    render(&IndexPage {
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
    })
}

/// The "Ny plan" form: creates the plan and goes to its page.
async fn create_plan(
    State(state): State<AppState>,
    Form(request): Form<PlanRequest>,
) -> Result<Response, HttpError> {
    let (meta, template) = request
        .resolve(&state.templates)
        .map_err(|e| HttpError::Unprocessable(e.to_string()))?;
    let record = crate::plan::create_from_template(state.storage.as_ref(), template, &meta).await?;
    Ok(Redirect::to(&format!("/plans/{}", record.id)).into_response())
}

async fn plan_page(
    State(state): State<AppState>,
    Path(plan_id): Path<String>,
) -> Result<Html<String>, HttpError> {
    let (record, template) = state.plan_and_template(&plan_id).await?;
    let view = state.current_view(&record, &template).await?;
    render(&PlanPage {
        page: PlanPageData::build(
            &record,
            &view,
            &template,
            document_access(&state).can_edit(),
        ),
        versions: versions::panel(&state, record.id).await?,
    })
}

/// What an anonymous visitor may do, as the live connection will decide it.
fn document_access(state: &AppState) -> crate::access::Access {
    crate::access::decide(&state.policy)
}
