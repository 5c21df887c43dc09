//! Status rounds and their entries in the database (migration 0010). The SQL reads the same on
//! SQLite and PostgreSQL (see [`Db`]). Every query names the plan, so a round id from another
//! plan is never found.

use serde::Serialize;
use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, Result, StorageError, now_millis};
use crate::on_db;
use crate::plan::PlanId;

/// One status round of a plan, with how many tiltak were reported in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Round {
    pub id: String,
    pub name: String,
    /// YYYY-MM-DD.
    pub deadline: String,
    /// The adopted frozen version the round reports on (never changed by it).
    pub version_id: String,
    /// Unix milliseconds.
    pub opened_at: i64,
    /// The actor who opened it (`user:<uuid>`, `token:<uuid>`).
    pub opened_by: String,
    /// Unix milliseconds; `None` while the round is open.
    pub closed_at: Option<i64>,
    /// Tiltak reported in the round.
    pub reported: i64,
}

impl Round {
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

/// One tiltak's report in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Entry {
    pub round_id: String,
    pub row_id: String,
    pub status: String,
    pub comment: String,
    pub indicator_value: String,
    /// The actor who reported it (`user:<uuid>`, `token:<uuid>`).
    pub reported_by: String,
    pub reported_by_name: String,
    /// Unix milliseconds.
    pub reported_at: i64,
}

/// A report as the service checked it.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    pub row_id: &'a str,
    pub status: &'a str,
    pub comment: &'a str,
    pub indicator_value: &'a str,
    pub reported_by: &'a str,
    pub reported_by_name: &'a str,
}

const ROUND_COLUMNS: &str =
    "r.id, r.name, r.deadline, r.version_id, r.opened_at, r.opened_by, r.closed_at,
     (SELECT COUNT(*) FROM status_entries e WHERE e.round_id = r.id) AS reported";

const ENTRY_COLUMNS: &str = "round_id, row_id, status, comment, indicator_value, reported_by,
     reported_by_name, reported_at";

/// Opens a round; `None` when the plan has an open round already (one at a time).
/// [`StorageError::PlanNotFound`] for an unknown plan.
pub async fn create_round(
    db: &Db,
    plan: PlanId,
    name: &str,
    deadline: &str,
    version_id: &str,
    opened_by: &str,
) -> Result<Option<Round>> {
    const SQL: &str = "INSERT INTO status_rounds
                         (id, plan_id, name, deadline, version_id, opened_at, opened_by)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let id = Uuid::now_v7().to_string();
    let inserted = on_db!(db, pool => sqlx::query(SQL)
        .bind(&id)
        .bind(plan.to_string())
        .bind(name)
        .bind(deadline)
        .bind(version_id)
        .bind(now_millis())
        .bind(opened_by)
        .execute(pool)
        .await
        .map(|_| ()));
    match inserted {
        Ok(()) => get_round(db, plan, &id).await,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StorageError::PlanNotFound(plan))
        }
        Err(e) => Err(e.into()),
    }
}

/// The plan's rounds, oldest first.
pub async fn list_rounds(db: &Db, plan: PlanId) -> Result<Vec<Round>> {
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM status_rounds r WHERE r.plan_id = $1 ORDER BY r.opened_at, r.id"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .fetch_all(pool)
        .await)?)
}

/// One round of the plan.
pub async fn get_round(db: &Db, plan: PlanId, round: &str) -> Result<Option<Round>> {
    let sql =
        format!("SELECT {ROUND_COLUMNS} FROM status_rounds r WHERE r.plan_id = $1 AND r.id = $2");
    Ok(on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .bind(round)
        .fetch_optional(pool)
        .await)?)
}

/// Closes an open round; `false` when it was closed already (or is not the plan's).
pub async fn close_round(db: &Db, plan: PlanId, round: &str) -> Result<bool> {
    const SQL: &str = "UPDATE status_rounds SET closed_at = $1
                       WHERE plan_id = $2 AND id = $3 AND closed_at IS NULL";
    let updated = on_db!(db, pool => sqlx::query(SQL)
        .bind(now_millis())
        .bind(plan.to_string())
        .bind(round)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(updated == 1)
}

/// Stores a tiltak's report in place of the one it had, while the round is open (checked in the
/// same statement, so a report never lands in a round that just closed); `false` when the round
/// is closed or not the plan's.
pub async fn put_entry(db: &Db, plan: PlanId, round: &str, entry: &NewEntry<'_>) -> Result<bool> {
    const SQL: &str = "INSERT INTO status_entries
                         (round_id, plan_id, row_id, status, comment, indicator_value, reported_by,
                          reported_by_name, reported_at)
                       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
                       WHERE EXISTS (SELECT 1 FROM status_rounds
                                     WHERE id = $1 AND plan_id = $2 AND closed_at IS NULL)
                       ON CONFLICT (round_id, row_id) DO UPDATE
                       SET status = excluded.status, comment = excluded.comment,
                           indicator_value = excluded.indicator_value,
                           reported_by = excluded.reported_by,
                           reported_by_name = excluded.reported_by_name,
                           reported_at = excluded.reported_at";
    let stored = on_db!(db, pool => sqlx::query(SQL)
        .bind(round)
        .bind(plan.to_string())
        .bind(entry.row_id)
        .bind(entry.status)
        .bind(entry.comment)
        .bind(entry.indicator_value)
        .bind(entry.reported_by)
        .bind(entry.reported_by_name)
        .bind(now_millis())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(stored == 1)
}

/// Every entry of the plan's rounds (for a round and the history before it).
pub async fn plan_entries(db: &Db, plan: PlanId) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM status_entries WHERE plan_id = $1 ORDER BY reported_at, row_id"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .fetch_all(pool)
        .await)?)
}

/// The plan's latest closed round: its current status view.
pub async fn latest_closed_round(db: &Db, plan: PlanId) -> Result<Option<Round>> {
    let sql = format!(
        "SELECT {ROUND_COLUMNS} FROM status_rounds r
         WHERE r.plan_id = $1 AND r.closed_at IS NOT NULL
         ORDER BY r.closed_at DESC, r.id DESC LIMIT 1"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .fetch_optional(pool)
        .await)?)
}
