//! The HTTP layer: shared state and the router that merges every feature's routes.

mod api;
mod error;
pub mod versions;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub use self::error::HttpError;
use crate::access::AccessPolicy;
use crate::config::LiveConfig;
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
    pub policy: AccessPolicy,
    pub live: LiveConfig,
}

impl AppState {
    /// A plan by the id in a URL, with its template: 400 for a malformed id, 404 for an
    /// unknown plan.
    pub async fn plan_and_template(
        &self,
        plan_id: &str,
    ) -> Result<(crate::plan::PlanRecord, crate::templates::Template), HttpError> {
        let plan: crate::plan::PlanId = plan_id.parse()?;
        let record = self
            .storage
            .get_plan(plan)
            .await?
            .ok_or_else(|| HttpError::NotFound(format!("plan {plan} not found")))?;
        let template = self.plan_template(&record)?;
        Ok((record, template))
    }

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
        .merge(versions::router())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
