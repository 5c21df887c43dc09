//! The JSON API surface, and what every HTTP surface shares: who is asking ([`extract`]), CSRF
//! ([`csrf`]) and the error type. A handler turns a request into a service call and the result
//! into JSON; it never writes to storage or the room itself.

mod api;
mod comments;
pub mod csrf;
mod diff;
mod error;
pub mod extract;
mod logo;
mod members;
mod rounds;
mod structure;
mod suggestions;
mod versions;

use axum::Router;
use axum::routing::get;

pub use self::error::{HttpError, Problem};

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
    if !may_read_metrics(state.auth.metrics_token.as_deref(), &parts) {
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

/// Whether a request may read `/metrics`: with the configured token as its bearer token, or,
/// when no token is configured, from a loopback peer.
fn may_read_metrics(token: Option<&str>, parts: &axum::http::request::Parts) -> bool {
    use axum_extra::headers::authorization::Bearer;
    use axum_extra::headers::{Authorization, HeaderMapExt};
    match token {
        Some(expected) => parts
            .headers
            .typed_get::<Authorization<Bearer>>()
            .is_some_and(|given| crate::secret::same_secret(given.token(), expected)),
        None => parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|peer| peer.0.ip().is_loopback()),
    }
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
        .merge(structure::router())
        .merge(diff::router())
        .merge(logo::router())
        .merge(rounds::router())
        .merge(suggestions::router())
}

/// An export (a plan's or a status report) as a file to save: its type, its name, never cached
/// stale, never sniffed.
pub fn download(
    exported: crate::service::versions::Exported,
) -> Result<axum::response::Response, HttpError> {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", exported.filename))
            .map_err(|e| HttpError::Internal(format!("bad file name header: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(exported.format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        exported.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, bearer: Option<&str>) -> axum::http::request::Parts {
        let mut builder = axum::http::Request::builder();
        if let Some(token) = bearer {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let (mut parts, ()) = builder.body(()).expect("request").into_parts();
        let peer: std::net::SocketAddr = peer.parse().expect("peer");
        parts.extensions.insert(axum::extract::ConnectInfo(peer));
        parts
    }

    #[test]
    fn metrics_without_a_token_are_for_this_machine_only() {
        assert!(may_read_metrics(None, &request("127.0.0.1:5000", None)));
        assert!(may_read_metrics(None, &request("[::1]:5000", None)));
        assert!(!may_read_metrics(None, &request("192.0.2.7:5000", None)));
        assert!(!may_read_metrics(
            None,
            &request("10.0.0.2:5000", Some("x"))
        ));
    }

    #[test]
    fn metrics_with_a_token_need_it_from_everyone() {
        let token = Some("hemmelig");
        assert!(may_read_metrics(
            token,
            &request("192.0.2.7:5000", Some("hemmelig"))
        ));
        assert!(!may_read_metrics(
            token,
            &request("192.0.2.7:5000", Some("feil"))
        ));
        assert!(!may_read_metrics(token, &request("127.0.0.1:5000", None)));
    }
}
