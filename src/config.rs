//! Settings. Every setting is a command-line flag with an environment variable of the same
//! meaning, so an operator can configure Samskriv either way.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args};

use crate::access::AccessPolicy;

/// Where the data lives. Shared by every command that touches the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (the default, a file created on first start) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/samskriv.sqlite3"
    )]
    pub database_url: String,

    /// SQLite only: fsync on every commit (`full`) or only at WAL checkpoints (`normal`). Both
    /// survive a crash of the server process; only `full` also survives a power cut.
    #[arg(long, env = "SAMSKRIV_SQLITE_SYNCHRONOUS", default_value = "full")]
    pub sqlite_synchronous: SqliteSynchronous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// Settings of `samskriv serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on. Port 0 picks a free port (printed at start).
    #[arg(long, env = "SAMSKRIV_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub live: LiveConfig,

    /// Everyone, signed in or not, is coordinator of every plan: for a local demo or a workshop
    /// only. Off by default: people sign in and see the plans they are members of.
    #[arg(long, env = "SAMSKRIV_OPEN_EDITING", default_value_t = false, action = ArgAction::Set)]
    pub open_editing: bool,

    /// The address people reach this server at, for the links it prints (sign-in links).
    /// Defaults to http://localhost:PORT.
    #[arg(long, env = "SAMSKRIV_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Mark the session cookie `Secure`. Keep it on behind HTTPS; browsers accept it on
    /// http://localhost too. Turn it off only for plain-HTTP access from other machines.
    #[arg(long, env = "SAMSKRIV_COOKIE_SECURE", default_value_t = true, action = ArgAction::Set)]
    pub cookie_secure: bool,

    /// Extra plan templates (`*.toml`) to load beside the built-in ones.
    #[arg(long, env = "SAMSKRIV_TEMPLATES_DIR")]
    pub templates_dir: Option<PathBuf>,

    /// The token `/metrics` asks for (`Authorization: Bearer TOKEN`). Without it, `/metrics`
    /// answers only requests from this machine (a loopback address).
    #[arg(long, env = "SAMSKRIV_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// The address of the reverse proxy in front of this server. Requests from it are counted
    /// for the login limit against the client it names last in `X-Forwarded-For`; without this
    /// setting the header is ignored and the peer's own address counts.
    #[arg(long, env = "SAMSKRIV_TRUSTED_PROXY")]
    pub trusted_proxy: Option<IpAddr>,

    #[command(flatten)]
    pub oidc: OidcConfig,
}

impl ServeConfig {
    pub fn access_policy(&self) -> AccessPolicy {
        AccessPolicy {
            open_editing: self.open_editing,
        }
    }
}

/// Sign-in with the municipality's identity provider (OpenID Connect: Entra ID, Keycloak,
/// ID-porten), and whether passwords still work beside it. Its `Debug` leaves the client secret
/// out.
#[derive(Clone, Args)]
pub struct OidcConfig {
    /// The provider's issuer URL (its discovery document is ISSUER/.well-known/openid-configuration).
    /// Without it, people sign in with passwords only. HTTPS, except on this machine (tests).
    #[arg(long, env = "SAMSKRIV_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// This server's client id at the provider.
    #[arg(long, env = "SAMSKRIV_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The client secret (a confidential client); without it the server signs in as a public
    /// client, with PKCE alone. Never printed.
    #[arg(long, env = "SAMSKRIV_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// The provider's name on the sign-in button: «Logg inn med NAME».
    #[arg(long, env = "SAMSKRIV_OIDC_NAME", default_value = "OpenID Connect")]
    pub oidc_name: String,

    /// The scopes asked for, separated by spaces or commas (`openid` is always asked for).
    #[arg(
        long,
        env = "SAMSKRIV_OIDC_SCOPES",
        default_value = "openid email profile"
    )]
    pub oidc_scopes: String,

    /// The claim that holds the person's e-mail address (`email`; Entra ID may use
    /// `preferred_username` or `upn`).
    #[arg(long, env = "SAMSKRIV_OIDC_CLAIM", default_value = "email")]
    pub oidc_claim: String,

    /// E-mail domains whose people may sign in (comma-separated, e.g. `bsn.oslo.kommune.no`);
    /// empty: any domain the provider vouches for.
    #[arg(long, env = "SAMSKRIV_OIDC_ALLOWED_DOMAINS", value_delimiter = ',')]
    pub oidc_allowed_domains: Vec<String>,

    /// Sign-in with e-mail and password. `false` hides the password form and refuses password
    /// sign-in: people sign in at the provider only.
    #[arg(long, env = "SAMSKRIV_LOCAL_PASSWORDS", default_value_t = true, action = ArgAction::Set)]
    pub local_passwords: bool,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field(
                "oidc_client_secret",
                &self.oidc_client_secret.as_ref().map(|_| "…"),
            )
            .field("oidc_name", &self.oidc_name)
            .field("oidc_scopes", &self.oidc_scopes)
            .field("oidc_claim", &self.oidc_claim)
            .field("oidc_allowed_domains", &self.oidc_allowed_domains)
            .field("local_passwords", &self.local_passwords)
            .finish()
    }
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_name: "OpenID Connect".into(),
            oidc_scopes: "openid email profile".into(),
            oidc_claim: "email".into(),
            oidc_allowed_domains: Vec::new(),
            local_passwords: true,
        }
    }
}

/// Tuning of live rooms and connections.
#[derive(Debug, Clone, Args)]
pub struct LiveConfig {
    /// Seconds a plan stays loaded in memory after its last client left.
    #[arg(long, env = "SAMSKRIV_ROOM_IDLE_SECS", default_value_t = 60)]
    pub room_idle_secs: u64,

    /// Largest WebSocket frame accepted, in bytes. Larger frames close the connection (1009).
    #[arg(long, env = "SAMSKRIV_MAX_FRAME_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    /// Messages a connection may fall behind the room before it is closed and must resync.
    #[arg(long, env = "SAMSKRIV_SEND_QUEUE", default_value_t = 512)]
    pub send_queue: usize,

    /// Seconds between pings; a connection silent for two intervals is considered dead.
    #[arg(long, env = "SAMSKRIV_PING_SECS", default_value_t = 15)]
    pub ping_secs: u64,

    /// Seconds a single send to a client may take before the client is considered stalled.
    #[arg(long, env = "SAMSKRIV_SEND_TIMEOUT_SECS", default_value_t = 10)]
    pub send_timeout_secs: u64,

    /// Log entries after which a plan's update log is compacted into its snapshot.
    #[arg(long, env = "SAMSKRIV_COMPACT_AFTER", default_value_t = 500)]
    pub compact_after: u64,

    /// Most incoming messages grouped into one database commit.
    #[arg(long, env = "SAMSKRIV_COMMIT_BATCH", default_value_t = 256)]
    pub commit_batch: usize,

    /// Accept live writes to top-level types outside the plan's layout (`t`, `fan`, …), as
    /// protocol tests and benchmarks with stock Yjs clients make them. Off in production: a
    /// plan then refuses anything it does not have. Keys inside the layout's own types are
    /// checked either way.
    #[arg(long, env = "SAMSKRIV_FREE_FORM_ROOTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub free_form_roots: bool,
}

impl LiveConfig {
    pub fn room_idle(&self) -> Duration {
        Duration::from_secs(self.room_idle_secs)
    }
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_secs.max(1))
    }
    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs.max(1))
    }
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            room_idle_secs: 60,
            max_frame_bytes: 8 * 1024 * 1024,
            send_queue: 512,
            ping_secs: 15,
            send_timeout_secs: 10,
            compact_after: 500,
            commit_batch: 256,
            free_form_roots: false,
        }
    }
}

/// The address links start with, for the server and the CLI alike: `public_url`
/// (`--public-url`, `SAMSKRIV_PUBLIC_URL`) without a trailing `/`, else
/// `http://localhost:PORT`. The flag says whether the address was guessed.
pub fn public_base(public_url: Option<&str>, port: u16) -> (String, bool) {
    match public_url.map(str::trim).filter(|url| !url.is_empty()) {
        Some(url) => (url.trim_end_matches('/').to_owned(), false),
        None => (format!("http://localhost:{port}"), true),
    }
}
