//! The JSON API surface, and what every HTTP surface shares: who is asking ([`extract`]), CSRF
//! ([`csrf`]) and the error type. A handler turns a request into a service call and the result
//! into JSON; it never writes to storage or the room itself.

mod api;
mod comments;
pub mod csrf;
mod error;
pub mod extract;
mod members;
mod versions;

use axum::Router;
use axum::routing::get;

pub use self::error::{HttpError, Problem};
pub use self::versions::export_response;

/// The axum state of every surface: the services, which are cheap to clone per request.
pub type AppState = crate::service::Services;

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

/// Prometheus metrics in the text exposition format, for whoever shows the configured token
/// (`Authorization: Bearer`); without a token configured, for loopback peers only.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    parts: axum::http::request::Parts,
) -> Result<impl axum::response::IntoResponse, HttpError> {
    use axum_extra::headers::authorization::Bearer;
    use axum_extra::headers::{Authorization, HeaderMapExt};
    let allowed = match &state.auth.metrics_token {
        Some(expected) => parts
            .headers
            .typed_get::<Authorization<Bearer>>()
            .is_some_and(|given| crate::secret::same_secret(given.token(), expected)),
        None => parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|peer| peer.0.ip().is_loopback()),
    };
    if !allowed {
        return Err(HttpError::forbidden(
            "metrics need the metrics token (Authorization: Bearer), or a request from this machine",
        ));
    }
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.registry.metrics().render(),
    ))
}

/// The API's routes and the operational ones (`/healthz`, `/readyz`, `/metrics`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(api::router())
        .merge(comments::router())
        .merge(versions::router())
        .merge(members::router())
}
