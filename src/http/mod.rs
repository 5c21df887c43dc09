//! The HTTP layer: shared state and the router that merges every feature's routes.

mod api;
mod comments;
mod error;
pub(crate) mod members;
pub mod versions;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub use self::error::HttpError;
use crate::access::AccessPolicy;
use crate::auth::{AuthSettings, Principal, store};
use crate::config::LiveConfig;
use crate::plan::{PlanId, PlanRecord};
use crate::room::Registry;
use crate::storage::Storage;
use crate::templates::TemplateRegistry;

/// Everything a handler may need, in one cloneable value: pools and registries are shared
/// handles, so cloning it per request is cheap.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub templates: Arc<TemplateRegistry>,
    pub registry: Registry,
    /// Live delivery of comment changes to open plan pages.
    pub comments: crate::comments::CommentHub,
    pub policy: AccessPolicy,
    pub live: LiveConfig,
    pub auth: AuthSettings,
}

impl AppState {
    /// The plan's current committed content, read in its room.
    pub async fn current_view(
        &self,
        record: &crate::plan::PlanRecord,
        template: &crate::templates::Template,
    ) -> Result<crate::document::PlanView, HttpError> {
        let for_view = template.clone();
        Ok(self
            .registry
            .read(record.id, move |doc| {
                crate::document::plan_view(doc, &for_view)
            })
            .await?)
    }

    /// The template a plan was created from. A plan records "id@version"; a later version of
    /// the template never changes how an existing plan reads.
    pub fn plan_template(
        &self,
        plan: &crate::plan::PlanRecord,
    ) -> Result<crate::templates::Template, HttpError> {
        self.templates.get(&plan.template).cloned().ok_or_else(|| {
            HttpError::Internal(format!(
                "plan {} uses template '{}', which is not loaded",
                plan.id, plan.template
            ))
        })
    }
}

/// Creates a plan from a "Ny plan" request (form or API) for whoever asked, if they may: the
/// plan starts with its template's units, and a signed-in creator becomes its coordinator.
pub async fn create_plan_for(
    state: &AppState,
    principal: &crate::auth::Principal,
    request: crate::plan::PlanRequest,
) -> Result<crate::plan::PlanRecord, HttpError> {
    if !crate::access::may_create_plans(&state.policy, principal.caller()) {
        return Err(HttpError::Forbidden(
            "only administrators may create plans".into(),
        ));
    }
    let (meta, template) = request
        .resolve(&state.templates)
        .map_err(|e| HttpError::Unprocessable(e.to_string()))?;
    let record = crate::plan::create_from_template(state.storage.as_ref(), template, &meta).await?;
    if let Some(user) = principal.user() {
        crate::auth::store::set_member(
            &state.storage.db(),
            record.id,
            &user.id,
            crate::access::Role::Coordinator,
            None,
        )
        .await?;
    }
    tracing::info!(plan = %record.id, "plan created");
    Ok(record)
}

/// The plans this visitor may see: all for administrators (and under open editing), a member's
/// own otherwise.
pub async fn visible_plans(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<PlanRecord>, HttpError> {
    let all = state.storage.list_plans().await?;
    let sees_all = crate::access::role_on_plan(&state.policy, principal.caller(), None).is_some();
    if sees_all {
        return Ok(all);
    }
    let own: std::collections::HashSet<PlanId> = match principal {
        Principal::User { user, .. } => store::plans_of(&state.storage.db(), &user.id)
            .await?
            .into_iter()
            .collect(),
        Principal::Token(token) => [token.plan_id].into(),
        Principal::Anonymous => Default::default(),
    };
    Ok(all.into_iter().filter(|p| own.contains(&p.id)).collect())
}

/// Ready when the database answers: a load balancer sends no traffic to a node that cannot
/// commit.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, HttpError> {
    match state.storage.ping().await {
        Ok(()) => Ok("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable");
            Err(HttpError::Unavailable)
        }
    }
}

/// Prometheus metrics in the text exposition format.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.registry.metrics().render(),
    )
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::collab::router())
        .merge(crate::web::router())
        .merge(api::router())
        .merge(comments::router())
        .merge(versions::router())
        .merge(members::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::identify,
        ))
        // Spans name the path only: query strings may carry a service token.
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
            },
        ))
        .with_state(state)
}
