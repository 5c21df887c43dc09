//! Durable storage of plans: metadata, the update log and compacted snapshots.
//!
//! One small trait with an implementation per database; the back end is chosen by the URL's
//! scheme at start-up. Everything above this module sees only [`Storage`].

mod postgres;
mod sqlite;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

pub use self::postgres::PostgresStorage;
pub use self::sqlite::SqliteStorage;
use crate::config::DatabaseConfig;
use crate::plan::{NewPlan, PlanId, PlanMeta, PlanRecord};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("plan {0} does not exist")]
    PlanNotFound(PlanId),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL '{0}': expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A plan's live document as stored: the compacted snapshot and the updates committed after it,
/// in commit order.
#[derive(Debug, Default)]
pub struct StoredDocument {
    pub snapshot: Option<Vec<u8>>,
    pub updates: Vec<Vec<u8>>,
    /// Sequence number of the last update included (in the snapshot or the updates).
    pub last_seq: i64,
}

/// The operations the rest of Samskriv needs from a database.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Creates a plan whose document starts as `initial_update` (a Yjs v1 update, may be empty).
    async fn create_plan(&self, plan: &NewPlan, initial_update: &[u8]) -> Result<PlanRecord>;

    async fn get_plan(&self, id: PlanId) -> Result<Option<PlanRecord>>;

    /// All plans, most recently changed first.
    async fn list_plans(&self) -> Result<Vec<PlanRecord>>;

    /// The stored document of a plan, read in one consistent transaction.
    async fn load_document(&self, id: PlanId) -> Result<StoredDocument>;

    /// Appends updates to a plan's log in one transaction and returns the last sequence number.
    /// When this returns, the updates are durable.
    async fn append_updates(&self, id: PlanId, updates: &[&[u8]]) -> Result<i64>;

    /// Replaces the plan's snapshot with `state`, which includes every update up to `upto_seq`,
    /// and removes those updates from the log, in one transaction.
    async fn compact(&self, id: PlanId, state: &[u8], upto_seq: i64) -> Result<()>;

    /// Logged updates with a sequence number above `after_seq`, in order: what another process
    /// (a CLI import, another server node) committed since this one last looked.
    async fn updates_after(&self, id: PlanId, after_seq: i64) -> Result<Vec<(i64, Vec<u8>)>>;

    /// Copies the document's title, bydel, periode and status to the plan list.
    async fn update_plan_meta(&self, id: PlanId, meta: &PlanMeta) -> Result<()>;

    /// Number of updates in the log of a plan (not yet compacted).
    async fn log_len(&self, id: PlanId) -> Result<i64>;
}

/// Opens the database named by the configuration and migrates it: `sqlite://PATH` (the file is
/// created as needed) or `postgres://…` / `postgresql://…` (the database must exist).
pub async fn connect(config: &DatabaseConfig) -> Result<Arc<dyn Storage>> {
    let url = config.database_url.as_str();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let storage = SqliteStorage::open(path, config.sqlite_synchronous).await?;
        Ok(Arc::new(storage))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStorage::open(url).await?))
    } else {
        Err(StorageError::UnsupportedUrl(redact_url(url)))
    }
}

/// The URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Unix milliseconds now; timestamps are stored as integers so both databases agree.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://sam:secret@db:5432/x"),
            "postgres://sam:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite://data/x"), "sqlite://data/x");
    }
}
