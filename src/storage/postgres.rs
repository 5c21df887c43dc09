//! PostgreSQL storage: one database shared by several server nodes.
//!
//! The behaviour is that of [`super::SqliteStorage`]; the differences below exist because
//! PostgreSQL is a server reached over the network and used by several nodes at once:
//!
//! - `load_document` runs at REPEATABLE READ. Under PostgreSQL's default (READ COMMITTED) every
//!   statement sees a fresh snapshot, so a compaction committed between reading the snapshot and
//!   reading the log would hide the updates it folded away. SQLite's read transaction gives this
//!   for free.
//! - `append_updates` inserts all entries in one statement (`UNNEST … WITH ORDINALITY`), so a
//!   commit costs the same number of round trips however many entries it carries.
//! - Appends to one plan are serialised by the row lock that `UPDATE plans … RETURNING last_seq`
//!   takes, across every node: the log stays gapless and in commit order.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};

use super::{Result, Storage, StorageError, StoredDocument, now_millis, redact_url};
use crate::plan::{NewPlan, PlanId, PlanMeta, PlanRecord};

/// Connections per node. Writes to one plan are serialised by its row lock anyway; more
/// connections only help with many plans being edited at once, and every node multiplies this
/// against the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: u32 = 10;

/// How long a query waits for a free connection (or for the server to accept one) before it
/// fails, so an unreachable database becomes an error instead of a hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`) and runs the
    /// migrations. The URL may carry any libpq-style parameter sqlx understands, e.g.
    /// `sslmode=require` or `options=-c search_path=…`.
    pub async fn open(url: &str) -> Result<Self> {
        // Never log `url` or the options (their Debug output includes the password).
        tracing::info!(database = %redact_url(url), "opening PostgreSQL");
        let mut options = PgConnectOptions::from_str(url)?;
        if options.get_application_name().is_none() {
            // Lets an operator tell Samskriv's sessions apart in pg_stat_activity.
            options = options.application_name("samskriv");
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        // sqlx takes a database-wide advisory lock here, so nodes starting together migrate once.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PostgresStorage { pool })
    }
}

const PLAN_COLUMNS: &str =
    "id, title, bydel, periode, template, status, is_demo, created_at, updated_at";

fn plan_from_row(row: &PgRow) -> Result<PlanRecord> {
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
impl Storage for PostgresStorage {
    #[tracing::instrument(skip_all, fields(title = %plan.title))]
    async fn create_plan(&self, plan: &NewPlan, initial_update: &[u8]) -> Result<PlanRecord> {
        let id = PlanId::new_random();
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO plans (id, title, bydel, periode, template, is_demo, last_seq, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
        )
        .bind(id.to_string())
        .bind(&plan.title)
        .bind(&plan.bydel)
        .bind(&plan.periode)
        .bind(&plan.template)
        .bind(plan.is_demo)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO plan_updates (plan_id, seq, data, created_at) VALUES ($1, 1, $2, $3)",
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
        let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(plan_from_row).transpose()
    }

    async fn list_plans(&self) -> Result<Vec<PlanRecord>> {
        // COLLATE "C": ties are broken by byte order, as SQLite does, whatever the database's
        // default collation.
        let rows = sqlx::query(&format!(
            r#"SELECT {PLAN_COLUMNS} FROM plans ORDER BY updated_at DESC, id COLLATE "C""#
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan_from_row).collect()
    }

    #[tracing::instrument(skip(self))]
    async fn load_document(&self, id: PlanId) -> Result<StoredDocument> {
        let key = id.to_string();
        // One snapshot for all three reads, so a concurrent compaction (snapshot replaced, log
        // trimmed) is seen entirely or not at all. READ ONLY: it can never fail to serialise.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let last_seq: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM plans WHERE id = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let last_seq = last_seq.ok_or(StorageError::PlanNotFound(id))?;
        let snapshot: Option<(Vec<u8>, i64)> =
            sqlx::query_as("SELECT state, upto_seq FROM plan_snapshots WHERE plan_id = $1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        let after = snapshot.as_ref().map_or(0, |(_, seq)| *seq);
        let updates: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT data FROM plan_updates WHERE plan_id = $1 AND seq > $2 ORDER BY seq",
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
    async fn append_updates(&self, id: PlanId, updates: &[&[u8]]) -> Result<i64> {
        let key = id.to_string();
        let now = now_millis();
        let count = i64::try_from(updates.len()).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await?;
        // Reserving the sequence numbers on the plan row locks it until commit, so appends to
        // one plan are serialised across every node: the log has no gaps and is read back in
        // commit order. A waiting append re-reads the row after the lock is released.
        let last: Option<i64> = sqlx::query_scalar(
            "UPDATE plans SET last_seq = last_seq + $1, updated_at = $2 WHERE id = $3 RETURNING last_seq",
        )
        .bind(count)
        .bind(now)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let last = last.ok_or(StorageError::PlanNotFound(id))?;
        // Entry i (1-based) gets seq `last - count + i`; ORDINALITY keeps the caller's order.
        sqlx::query(
            "INSERT INTO plan_updates (plan_id, seq, data, created_at)
             SELECT $1, $2 + u.ord, u.data, $3
             FROM UNNEST($4::BYTEA[]) WITH ORDINALITY AS u (data, ord)",
        )
        .bind(&key)
        .bind(last - count)
        .bind(now)
        .bind(updates)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(last)
    }

    #[tracing::instrument(skip(self, state), fields(bytes = state.len()))]
    async fn compact(&self, id: PlanId, state: &[u8], upto_seq: i64) -> Result<()> {
        let key = id.to_string();
        let mut tx = self.pool.begin().await?;
        // A snapshot only ever moves forward: a slower node compacting an older state must not
        // replace a newer snapshot (the updates it covers are already gone from the log).
        sqlx::query(
            "INSERT INTO plan_snapshots (plan_id, upto_seq, state, created_at) VALUES ($1, $2, $3, $4)
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
        sqlx::query("DELETE FROM plan_updates WHERE plan_id = $1 AND seq <= $2")
            .bind(&key)
            .bind(upto_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn updates_after(&self, id: PlanId, after_seq: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        Ok(sqlx::query_as(
            "SELECT seq, data FROM plan_updates WHERE plan_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(id.to_string())
        .bind(after_seq)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn update_plan_meta(&self, id: PlanId, meta: &PlanMeta) -> Result<()> {
        sqlx::query(
            "UPDATE plans SET title = $1, bydel = $2, periode = $3, status = $4 WHERE id = $5",
        )
        .bind(&meta.title)
        .bind(&meta.bydel)
        .bind(&meta.periode)
        .bind(&meta.status)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn log_len(&self, id: PlanId) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM plan_updates WHERE plan_id = $1")
                .bind(id.to_string())
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
