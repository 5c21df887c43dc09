//! The HTTP layer: shared state and the router that merges every feature's routes.

mod api;
mod error;

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

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::collab::router())
        .merge(crate::web::router())
        .merge(api::router())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
