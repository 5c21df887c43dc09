//! SQLite storage: one file, WAL journal, created and migrated on first open.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{LogEntry, Result, Storage, StorageError, now_millis};
use crate::config::SqliteSynchronous as Synchronous;
use crate::plan::PlanId;

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file at `path` and runs the migrations.
    pub async fn open(path: &str, synchronous: Synchronous) -> Result<Self> {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match synchronous {
                Synchronous::Full => SqliteSynchronous::Full,
                Synchronous::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(SqliteStorage { pool })
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    #[tracing::instrument(skip(self, updates), fields(count = updates.len()))]
    async fn append_entries(
        &self,
        id: PlanId,
        updates: &[LogEntry<'_>],
        edits: &[super::activity::Edit<'_>],
    ) -> Result<i64> {
        let key = id.to_string();
        let now = now_millis();
        let count = i64::try_from(updates.len()).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await?;
        let last = super::plans::reserve_seqs!(tx, id, &key, count, now);
        let mut seq = last - count;
        for update in updates {
            seq += 1;
            sqlx::query(
                "INSERT INTO plan_updates (plan_id, seq, data, created_at, author) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&key)
            .bind(seq)
            .bind(update.data)
            .bind(now)
            .bind(update.author)
            .execute(&mut *tx)
            .await?;
        }
        super::activity::upsert_edits!(tx, &key, edits, now);
        tx.commit().await?;
        Ok(last)
    }

    fn db(&self) -> super::Db {
        super::Db::Sqlite(self.pool.clone())
    }
}
