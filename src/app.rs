//! Building and running the server: storage, registry, router and listener, in one place so that
//! `main` and the tests start exactly the same application.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::plan::PlanRecord;
use crate::room::Registry;
use crate::service::login_limit::{HashPool, LoginLimiter};
use crate::service::{self, AuthSettings, CommentHub, RevocationHub, Services, accounts, plans};
use crate::storage::{self, Storage};
use crate::templates::{TemplateError, TemplateRegistry};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error("cannot set up the demo plan or the first administrator: {0}")]
    Setup(#[from] service::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("sign-in with the identity provider: {0}")]
    Oidc(#[from] service::oidc::OidcConfigError),
}

/// A built server, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    state: Services,
    demo: Option<PlanRecord>,
    first_admin_link: Option<String>,
    public_url: String,
}

impl Application {
    pub async fn build(config: ServeConfig) -> Result<Self, AppError> {
        let templates = Arc::new(TemplateRegistry::load(config.templates_dir.as_deref())?);
        let storage = storage::connect(&config.database).await?;
        let demo = plans::ensure_demo_plan(storage.as_ref(), &templates).await?;
        // Until someone has an account, each start prints a one-time link that sets up the first
        // administrator.
        let first_admin_link = accounts::first_administrator_link(&storage.db()).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| AppError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| AppError::Bind {
            addr: config.listen,
            source,
        })?;
        let registry = Registry::new(
            storage.clone(),
            templates.clone(),
            config.live.clone(),
            Arc::new(Metrics::new()),
        );
        let comments = CommentHub::new(storage.clone());
        let revocations = RevocationHub::new(storage.clone(), config.access_policy());
        if let Some(events) = storage.subscribe().await? {
            let events = revocations.route_node_events(comments.route_node_events(events));
            registry.spawn_node_listener(events);
        }
        revocations.spawn_poller(registry.shutdown_token());
        let (public_url, _) = crate::config::public_base(config.public_url.as_deref(), addr.port());
        let oidc = service::oidc::Oidc::from_config(&config.oidc, &public_url)?;
        let state = Services {
            storage,
            templates,
            registry,
            comments,
            revocations,
            policy: config.access_policy(),
            live: config.live.clone(),
            auth: AuthSettings {
                cookie_secure: config.cookie_secure,
                limiter: Arc::new(LoginLimiter::default()),
                hashes: Arc::new(HashPool::for_this_machine()),
                public_url: public_url.clone(),
                metrics_token: config.metrics_token.clone(),
                trusted_proxy: config.trusted_proxy,
                local_passwords: config.oidc.local_passwords,
            },
            oidc,
        };
        Ok(Application {
            listener,
            addr,
            state,
            demo,
            first_admin_link,
            public_url,
        })
    }

    /// The address actually bound (the real port when the configuration asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where people reach this server, for printed links.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The one-time link that sets up the first administrator, while nobody has an account.
    pub fn first_admin_link(&self) -> Option<String> {
        self.first_admin_link
            .as_ref()
            .map(|token| format!("{}/velkommen/{token}", self.public_url))
    }

    /// The demo plan, when this start created it.
    pub fn demo_plan(&self) -> Option<&PlanRecord> {
        self.demo.as_ref()
    }

    pub fn storage(&self) -> Arc<dyn Storage> {
        self.state.storage.clone()
    }

    pub fn registry(&self) -> Registry {
        self.state.registry.clone()
    }

    /// The pool of password hashes (its size and the most that ran at once).
    pub fn password_hashes(&self) -> Arc<HashPool> {
        self.state.auth.hashes.clone()
    }

    /// Serves until `shutdown` completes, then closes live connections, commits and compacts
    /// every loaded plan, and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        // Fonts, typst's library and the export template load in the background, so the first
        // PDF a coordinator asks for is as fast as the next.
        tokio::task::spawn_blocking(crate::export::pdf::prepare);
        spawn_sweeper(
            self.state.storage.db(),
            self.state.registry.shutdown_token(),
        );
        let registry = self.state.registry.clone();
        let closing = registry.shutdown_token();
        let router = router(self.state);
        // No Nagle: a relayed keystroke must leave at once, not wait for the reader's delayed ACK
        // (measured: 40 ms on the first relay after a join without this).
        let listener = self.listener.tap_io(|socket| {
            if let Err(e) = socket.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        // The peer's address is kept for `/metrics` (loopback only without a token) and the
        // login limit per client.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down: closing connections and saving plans");
                // Live connections end on this token; plain requests finish on their own.
                closing.cancel();
            })
            .await;
        registry.shutdown().await;
        tracing::info!("all plans saved");
        served.map_err(AppError::Serve)
    }
}

/// Every surface's routes, with who-is-asking, CSRF, error pages and the security headers
/// around them. Spans name the path only (query strings may carry a service token), with
/// one-time tokens left out ([`logged_path`]).
pub fn router(state: Services) -> axum::Router {
    use tower_http::trace::TraceLayer;
    axum::Router::new()
        .merge(crate::http::router())
        .merge(crate::web::router())
        .merge(crate::collab::router())
        .fallback(crate::web::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::extract::identify,
        ))
        .layer(axum::middleware::from_fn(
            crate::web::errors::pages_for_browsers,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                let path = logged_path(request.uri().path());
                tracing::info_span!("request", method = %request.method(), path = %path)
            },
        ))
        .with_state(state)
}

/// What pages may load and do: scripts, styles, images and connections from this site only (no
/// inline script or style attribute: the plan's data is a JSON block, which is not executed), no
/// framing, no `<base>`, forms posted here only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'";

/// The security headers of every answer: the [`CONTENT_SECURITY_POLICY`] (unless the handler
/// set a stricter one: an SVG logo's), no framing, no referrer to other sites, no content-type
/// sniffing.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Paths whose last segment is a one-time secret (a sign-in link, an invite).
const SECRET_PATHS: [&str; 2] = ["/velkommen/", "/invitasjon/"];

/// `path` as request logs show it: the token of a one-time link is replaced by `…`.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATHS
        .iter()
        .find(|prefix| path.len() > prefix.len() && path.starts_with(*prefix))
    {
        Some(prefix) => std::borrow::Cow::Owned(format!("{prefix}…")),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// How often expired sessions and spent sign-in links are removed.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes expired sessions and spent sign-in links at start and every [`SWEEP_EVERY`], until
/// shutdown.
fn spawn_sweeper(db: storage::Db, shutdown: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => match accounts::sweep_expired(&db).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "expired sessions and links removed"),
                    Err(e) => tracing::warn!(error = %e, "expired sessions not removed"),
                },
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_tokens_are_not_logged() {
        assert_eq!(logged_path("/velkommen/abc123"), "/velkommen/…");
        assert_eq!(logged_path("/invitasjon/abc123"), "/invitasjon/…");
        assert_eq!(logged_path("/plans/x"), "/plans/x");
        assert_eq!(logged_path("/velkommen/"), "/velkommen/");
    }
}
