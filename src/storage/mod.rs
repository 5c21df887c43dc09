//! Durable storage of plans: metadata, the update log and compacted snapshots.
//!
//! One small trait with an implementation per database; the back end is chosen by the URL's
//! scheme at start-up. Everything above this module sees only [`Storage`].

pub mod accounts;
pub mod activity;
pub mod comments;
mod db;
pub mod oidc;
mod plans;
mod postgres;
pub mod revocation;
pub mod rounds;
mod sqlite;
pub mod suggestions;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::mpsc;

pub use self::db::Db;
pub use self::plans::{Lineage, Rollover, plan_archived};
pub use self::postgres::PostgresStorage;
pub use self::sqlite::SqliteStorage;
use crate::config::DatabaseConfig;
use crate::export::CoverLogo;
use crate::plan::{NewPlan, PlanId, PlanMeta, PlanRecord, PlanSettings};
use crate::version::{StoredVersion, VersionId, VersionRecord};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("plan {0} does not exist")]
    PlanNotFound(PlanId),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The SQLite update log's writer (its own connection, see `storage::sqlite`) failed.
    #[error("appending to the update log failed: {0}")]
    Writer(String),
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
    /// A plan's version names are unique.
    #[error("the plan already has a version named «{0}»")]
    VersionNameTaken(String),
    /// E-mail addresses identify people, so each belongs to one account.
    #[error("an account with the e-mail address {0} exists already")]
    EmailTaken(String),
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

/// The operations the rest of Samskriv needs from a database. Most are written once in
/// [`plans`] and run on either pool; an implementation supplies its pool ([`Self::db`]), the
/// batched append and, for a database several nodes share, the notifications.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// The pool itself, for the SQL that reads the same on both databases.
    fn db(&self) -> Db;

    /// Creates a plan whose document starts as `initial_update` (a Yjs v1 update, may be empty).
    async fn create_plan(&self, plan: &NewPlan, initial_update: &[u8]) -> Result<PlanRecord> {
        plans::create_plan(&self.db(), plan, initial_update, &[], None, None).await
    }

    /// [`Self::create_plan`] with the plan's units in order and, when given, its coordinator (a
    /// user id), in one transaction: on any failure nothing of the plan is stored.
    async fn create_plan_with_people(
        &self,
        plan: &NewPlan,
        initial_update: &[u8],
        units: &[&str],
        coordinator: Option<&str>,
    ) -> Result<PlanRecord> {
        plans::create_plan(&self.db(), plan, initial_update, units, coordinator, None).await
    }

    /// [`Self::create_plan_with_people`] for a plan made from another (rullering): its lineage,
    /// rows to revise, the earlier plan's section units and (when asked) members come along in
    /// the same transaction.
    async fn create_rolled_over_plan(
        &self,
        plan: &NewPlan,
        initial_update: &[u8],
        units: &[&str],
        coordinator: Option<&str>,
        rollover: &Rollover<'_>,
    ) -> Result<PlanRecord> {
        plans::create_plan(
            &self.db(),
            plan,
            initial_update,
            units,
            coordinator,
            Some(rollover),
        )
        .await
    }

    /// The plan a plan was made from, the plans made from it, and its rows to revise.
    async fn plan_lineage(&self, id: PlanId) -> Result<Lineage> {
        plans::lineage(&self.db(), id).await
    }

    async fn get_plan(&self, id: PlanId) -> Result<Option<PlanRecord>> {
        plans::get_plan(&self.db(), id).await
    }

    /// All plans, most recently changed first.
    async fn list_plans(&self) -> Result<Vec<PlanRecord>> {
        plans::list_plans(&self.db()).await
    }

    /// The stored document of a plan, read in one consistent transaction.
    async fn load_document(&self, id: PlanId) -> Result<StoredDocument> {
        plans::load_document(&self.db(), id).await
    }

    /// Appends updates to a plan's log in one transaction and returns the last sequence number.
    /// When this returns, the updates are durable. Each entry records who wrote it, and `edits`
    /// (who last changed which part of the plan) are stored in the same transaction.
    async fn append_entries(
        &self,
        id: PlanId,
        entries: &[LogEntry<'_>],
        edits: &[activity::Edit<'_>],
    ) -> Result<i64>;

    /// [`Self::append_entries`] for updates nobody in particular wrote (imports, tests).
    async fn append_updates(&self, id: PlanId, updates: &[&[u8]]) -> Result<i64> {
        let entries: Vec<LogEntry<'_>> = updates
            .iter()
            .map(|data| LogEntry { data, author: None })
            .collect();
        self.append_entries(id, &entries, &[]).await
    }

    /// Replaces the plan's snapshot with `state`, which includes every update up to `upto_seq`,
    /// and removes those updates from the log, in one transaction.
    async fn compact(&self, id: PlanId, state: &[u8], upto_seq: i64) -> Result<()> {
        plans::compact(&self.db(), id, state, upto_seq).await
    }

    /// What was committed after `after_seq`, read in one consistent transaction: what another
    /// process (a CLI import, another server node) committed since this one last looked. When
    /// the log was compacted past `after_seq`, the snapshot comes along.
    async fn log_after(&self, id: PlanId, after_seq: i64) -> Result<LogTail> {
        plans::log_after(&self.db(), id, after_seq).await
    }

    /// Copies the document's title, bydel, periode and status to the plan list.
    async fn update_plan_meta(&self, id: PlanId, meta: &PlanMeta) -> Result<()> {
        plans::update_plan_meta(&self.db(), id, meta).await
    }

    /// Stores the plan list's copy of the document's meta and the settings kept beside the
    /// document (adoption, cover, contact), all of them, in one statement.
    /// [`StorageError::PlanNotFound`] for an unknown plan.
    async fn update_plan_record(
        &self,
        id: PlanId,
        meta: &PlanMeta,
        settings: &PlanSettings,
    ) -> Result<()> {
        plans::update_plan_record(&self.db(), id, meta, settings).await
    }

    /// The plan's cover logo, if it has one.
    async fn plan_logo(&self, id: PlanId) -> Result<Option<CoverLogo>> {
        plans::plan_logo(&self.db(), id).await
    }

    /// Stores the plan's cover logo (checked by the caller) in place of the one it had.
    /// [`StorageError::PlanNotFound`] for an unknown plan.
    async fn set_plan_logo(&self, id: PlanId, logo: &CoverLogo) -> Result<()> {
        plans::set_plan_logo(&self.db(), id, logo).await
    }

    /// Removes the plan's cover logo; whether it had one.
    async fn delete_plan_logo(&self, id: PlanId) -> Result<bool> {
        plans::delete_plan_logo(&self.db(), id).await
    }

    /// Archives the plan at `at` (unix milliseconds), or restores it with `None`.
    /// [`StorageError::PlanNotFound`] for an unknown plan.
    async fn set_plan_archived(&self, id: PlanId, at: Option<i64>) -> Result<()> {
        plans::set_plan_archived(&self.db(), id, at).await
    }

    /// Deletes the plan and everything stored with it (its log, snapshot, versions, comments,
    /// members, invites, tokens, units, activity, logo, status rounds) in one transaction; `false` when there was no
    /// such plan.
    async fn delete_plan(&self, id: PlanId) -> Result<bool> {
        plans::delete_plan(&self.db(), id).await
    }

    /// Number of updates in the log of a plan (not yet compacted).
    async fn log_len(&self, id: PlanId) -> Result<i64> {
        plans::log_len(&self.db(), id).await
    }

    /// Whether several server nodes may share this database (and so need [`Self::subscribe`]).
    fn is_shared(&self) -> bool {
        false
    }

    /// Other nodes' commits and awareness, for a database several nodes share; `None` for one
    /// that only this process uses.
    async fn subscribe(&self) -> Result<Option<mpsc::Receiver<NodeEvent>>> {
        Ok(None)
    }

    /// Sends a plan's awareness update to the other nodes (a no-op without other nodes).
    async fn publish_awareness(&self, _id: PlanId, _update: &[u8]) -> Result<()> {
        Ok(())
    }

    /// Tells the other nodes that a comment thread of a plan changed or was deleted (a no-op
    /// without other nodes).
    async fn publish_thread(&self, _id: PlanId, _thread: &str) -> Result<()> {
        Ok(())
    }

    /// Tells the other processes sharing the database (server nodes) that access changed (a
    /// no-op without other nodes: a server on SQLite polls for what the CLI revoked).
    async fn publish_access_change(&self, _change: &revocation::AccessChange) -> Result<()> {
        Ok(())
    }

    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()> {
        plans::ping(&self.db()).await
    }

    /// Stores a named version: the plan's whole state, frozen, never changed afterwards. Fails
    /// with [`StorageError::VersionNameTaken`] when the plan already has a version of that name
    /// and with [`StorageError::PlanNotFound`] for an unknown plan.
    async fn create_version(
        &self,
        plan: PlanId,
        name: &str,
        state: &[u8],
    ) -> Result<VersionRecord> {
        plans::create_version(&self.db(), plan, name, state).await
    }

    /// A plan's versions without their states, newest first.
    async fn list_versions(&self, plan: PlanId) -> Result<Vec<VersionRecord>> {
        plans::list_versions(&self.db(), plan).await
    }

    /// One version of a plan, with its state.
    async fn get_version(&self, plan: PlanId, id: VersionId) -> Result<Option<StoredVersion>> {
        plans::get_version(&self.db(), plan, id).await
    }
}

/// One update to append to a plan's log.
#[derive(Debug, Clone, Copy)]
pub struct LogEntry<'a> {
    pub data: &'a [u8],
    /// The actor who wrote it (`user:<uuid>`, `token:<uuid>`, `anonymous`), if anyone.
    pub author: Option<&'a str>,
}

/// See [`Storage::log_after`].
#[derive(Debug, Default)]
pub struct LogTail {
    /// The snapshot and the sequence number it covers, when it covers more than `after_seq`.
    pub snapshot: Option<(Vec<u8>, i64)>,
    /// Logged updates after `after_seq` (and after the snapshot), in order.
    pub updates: Vec<(i64, Vec<u8>)>,
}

/// What another server node did, as told through the shared database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A node committed a plan's log up to `seq` at `at_millis` (its clock).
    Committed {
        plan: PlanId,
        seq: i64,
        at_millis: i64,
    },
    /// A node's clients changed their awareness (an encoded awareness update).
    Awareness { plan: PlanId, update: Vec<u8> },
    /// A node created, changed or deleted a comment thread of the plan.
    Thread { plan: PlanId, thread: String },
    /// A node (or the CLI) took access away: a session, a token, a membership, an account.
    AccessChanged(revocation::AccessChange),
    /// The notification connection was lost and is back: anything may have been missed.
    Reconnected,
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
