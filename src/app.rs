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
use crate::service::login_limit::LoginLimiter;
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
        let public_url = config
            .public_url
            .clone()
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://localhost:{}", addr.port()));
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
                public_url: public_url.clone(),
            },
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
        let served = axum::serve(listener, router)
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

/// Every surface's routes, with who-is-asking, CSRF and error pages around them. Spans name the
/// path only: query strings may carry a service token.
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
        .layer(axum::middleware::from_fn(crate::web::errors::pages_for_browsers))
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
            },
        ))
        .with_state(state)
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
