//! SQLite storage: one file, WAL journal, created and migrated on first open.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{LogEntry, LogTail, Result, Storage, StorageError, StoredDocument, now_millis};
use crate::config::SqliteSynchronous as Synchronous;
use crate::plan::{NewPlan, PlanId, PlanMeta, PlanRecord};

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

const PLAN_COLUMNS: &str =
    "id, title, bydel, periode, template, status, is_demo, created_at, updated_at";

fn plan_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<PlanRecord> {
    let id: String = row.try_get("id")?;
    Ok(PlanRecord {
        id: id
            .parse()
            .map_err(|e| StorageError::Corrupt(format!("plans.id: {e}")))?,
        title: row.try_get("title")?,
        bydel: row.try_get("bydel")?,
        periode: row.try_get("periode")?,
        template: row.try_get("template")?,
        status: row.try_get("status")?,
        is_demo: row.try_get("is_demo")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[async_trait]
impl Storage for SqliteStorage {
    #[tracing::instrument(skip_all, fields(title = %plan.title))]
    async fn create_plan(&self, plan: &NewPlan, initial_update: &[u8]) -> Result<PlanRecord> {
        let id = PlanId::new_random();
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO plans (id, title, bydel, periode, template, is_demo, last_seq, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&plan.title)
        .bind(&plan.bydel)
        .bind(&plan.periode)
        .bind(&plan.template)
        .bind(plan.is_demo)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO plan_updates (plan_id, seq, data, created_at) VALUES (?, 1, ?, ?)",
        )
        .bind(id.to_string())
        .bind(initial_update)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_plan(id)
            .await?
            .ok_or(StorageError::PlanNotFound(id))
    }

    async fn get_plan(&self, id: PlanId) -> Result<Option<PlanRecord>> {
        let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(plan_from_row).transpose()
    }

    async fn list_plans(&self) -> Result<Vec<PlanRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans ORDER BY updated_at DESC, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan_from_row).collect()
    }

    #[tracing::instrument(skip(self))]
    async fn load_document(&self, id: PlanId) -> Result<StoredDocument> {
        let key = id.to_string();
        // One read transaction, so a concurrent compaction is seen entirely or not at all.
        let mut tx = self.pool.begin().await?;
        let last_seq: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM plans WHERE id = ?")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let last_seq = last_seq.ok_or(StorageError::PlanNotFound(id))?;
        let snapshot: Option<(Vec<u8>, i64)> =
            sqlx::query_as("SELECT state, upto_seq FROM plan_snapshots WHERE plan_id = ?")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        let after = snapshot.as_ref().map_or(0, |(_, seq)| *seq);
        let updates: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT data FROM plan_updates WHERE plan_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(&key)
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(StoredDocument {
            snapshot: snapshot.map(|(state, _)| state),
            updates,
            last_seq,
        })
    }

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
        // Reserving the sequence numbers on the plan row serialises appends per plan, so the
        // log has no gaps and is read back in commit order.
        let last: Option<i64> = sqlx::query_scalar(
            "UPDATE plans SET last_seq = last_seq + ?, updated_at = ? WHERE id = ? RETURNING last_seq",
        )
        .bind(count)
        .bind(now)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let last = last.ok_or(StorageError::PlanNotFound(id))?;
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
        for edit in edits {
            sqlx::query(super::activity::UPSERT)
                .bind(&key)
                .bind(edit.target)
                .bind(&edit.actor.id)
                .bind(&edit.actor.name)
                .bind(edit.actor.unit.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(last)
    }

    #[tracing::instrument(skip(self, state), fields(bytes = state.len()))]
    async fn compact(&self, id: PlanId, state: &[u8], upto_seq: i64) -> Result<()> {
        let key = id.to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO plan_snapshots (plan_id, upto_seq, state, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (plan_id) DO UPDATE
             SET upto_seq = excluded.upto_seq, state = excluded.state, created_at = excluded.created_at
             WHERE excluded.upto_seq > plan_snapshots.upto_seq",
        )
        .bind(&key)
        .bind(upto_seq)
        .bind(state)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM plan_updates WHERE plan_id = ? AND seq <= ?")
            .bind(&key)
            .bind(upto_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn log_after(&self, id: PlanId, after_seq: i64) -> Result<LogTail> {
        let key = id.to_string();
        let mut tx = self.pool.begin().await?;
        let snapshot: Option<(Vec<u8>, i64)> = sqlx::query_as(
            "SELECT state, upto_seq FROM plan_snapshots WHERE plan_id = ? AND upto_seq > ?",
        )
        .bind(&key)
        .bind(after_seq)
        .fetch_optional(&mut *tx)
        .await?;
        let after = snapshot.as_ref().map_or(after_seq, |(_, seq)| *seq);
        let updates = sqlx::query_as(
            "SELECT seq, data FROM plan_updates WHERE plan_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(&key)
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(LogTail { snapshot, updates })
    }

    async fn update_plan_meta(&self, id: PlanId, meta: &PlanMeta) -> Result<()> {
        sqlx::query("UPDATE plans SET title = ?, bydel = ?, periode = ?, status = ? WHERE id = ?")
            .bind(&meta.title)
            .bind(&meta.bydel)
            .bind(&meta.periode)
            .bind(&meta.status)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn db(&self) -> super::Db {
        super::Db::Sqlite(self.pool.clone())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn log_len(&self, id: PlanId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM plan_updates WHERE plan_id = ?")
                .bind(id.to_string())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(skip(self, state), fields(bytes = state.len()))]
    async fn create_version(
        &self,
        plan: PlanId,
        name: &str,
        state: &[u8],
    ) -> Result<crate::version::VersionRecord> {
        let record = crate::version::VersionRecord {
            id: crate::version::VersionId::new_random(),
            plan_id: plan,
            name: name.to_owned(),
            created_at: now_millis(),
        };
        let inserted = sqlx::query(
            "INSERT INTO plan_versions (id, plan_id, name, state, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(record.id.to_string())
        .bind(plan.to_string())
        .bind(name)
        .bind(state)
        .bind(record.created_at)
        .execute(&self.pool)
        .await
        .map(|_| ());
        super::version_inserted(inserted, plan, name)?;
        Ok(record)
    }

    async fn list_versions(&self, plan: PlanId) -> Result<Vec<crate::version::VersionRecord>> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT id, plan_id, name, created_at FROM plan_versions WHERE plan_id = ?
             ORDER BY created_at DESC, name DESC",
        )
        .bind(plan.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, plan_id, name, created_at)| {
                let (id, plan_id) = super::version_ids(&id, &plan_id)?;
                Ok(crate::version::VersionRecord {
                    id,
                    plan_id,
                    name,
                    created_at,
                })
            })
            .collect()
    }

    async fn get_version(
        &self,
        plan: PlanId,
        id: crate::version::VersionId,
    ) -> Result<Option<crate::version::StoredVersion>> {
        let row: Option<(String, String, String, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT id, plan_id, name, state, created_at FROM plan_versions
             WHERE plan_id = ? AND id = ?",
        )
        .bind(plan.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, plan_id, name, state, created_at)| {
            let (id, plan_id) = super::version_ids(&id, &plan_id)?;
            Ok(crate::version::StoredVersion {
                record: crate::version::VersionRecord {
                    id,
                    plan_id,
                    name,
                    created_at,
                },
                state,
            })
        })
        .transpose()
    }
}
