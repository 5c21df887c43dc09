//! The HTTP layer: shared state and the router that merges every feature's routes.

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

/// Everything a handler may need, in one cloneable value: pools and registries are shared
/// handles, so cloning it per request is cheap.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub registry: Registry,
    pub policy: AccessPolicy,
    pub live: LiveConfig,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::collab::router())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
