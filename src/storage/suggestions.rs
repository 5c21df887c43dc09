//! Suggestions in the database. The SQL reads the same on SQLite and PostgreSQL (see [`Db`]).
//! Every query names the plan, so an id from another plan is never found. Deciding is a
//! conditional update (`WHERE status = 'open'`), so of two people accepting at once one wins.

use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, Result, StorageError, now_millis};
use crate::access::Actor;
use crate::on_db;
use crate::plan::PlanId;
use crate::suggestions::{Proposal, Suggestion, SuggestionFilter, SuggestionStatus};

const COLUMNS: &str = "id, plan_id, kind, section_id, anchor_start, anchor_end, original, proposed,
     row_id, field, author_id, author_name, author_unit, created_at, status, decided_at,
     decided_by_id, decided_by_name, decided_by_unit, reason";

#[derive(FromRow)]
struct SuggestionRow {
    id: String,
    plan_id: String,
    kind: String,
    section_id: Option<String>,
    anchor_start: Option<Vec<u8>>,
    anchor_end: Option<Vec<u8>>,
    original: String,
    proposed: String,
    row_id: Option<String>,
    field: Option<String>,
    author_id: String,
    author_name: String,
    author_unit: Option<String>,
    created_at: i64,
    status: String,
    decided_at: Option<i64>,
    decided_by_id: Option<String>,
    decided_by_name: Option<String>,
    decided_by_unit: Option<String>,
    reason: Option<String>,
}

impl SuggestionRow {
    fn into_suggestion(self) -> Result<Suggestion> {
        let corrupt = |what: &str| StorageError::Corrupt(format!("suggestion {}: {what}", self.id));
        let json = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text).map_err(|_| corrupt("not JSON"))
        };
        let proposal = match self.kind.as_str() {
            "text" => Proposal::Text {
                section: self
                    .section_id
                    .clone()
                    .ok_or_else(|| corrupt("no section"))?,
                start: self
                    .anchor_start
                    .clone()
                    .ok_or_else(|| corrupt("no start"))?,
                end: self.anchor_end.clone().ok_or_else(|| corrupt("no end"))?,
                original: self.original.clone(),
                text: self.proposed.clone(),
            },
            "field" => Proposal::Field {
                row: self.row_id.clone().ok_or_else(|| corrupt("no row"))?,
                field: self.field.clone().ok_or_else(|| corrupt("no field"))?,
                original: json(&self.original)?,
                value: json(&self.proposed)?,
            },
            "row" => match json(&self.proposed)? {
                serde_json::Value::Object(fields) => Proposal::Row { fields },
                _ => return Err(corrupt("row is not an object")),
            },
            _ => return Err(corrupt("unknown kind")),
        };
        let status = self
            .status
            .parse::<SuggestionStatus>()
            .map_err(|_| corrupt("unknown status"))?;
        let plan_id = self
            .plan_id
            .parse()
            .map_err(|e| corrupt(&format!("plan id: {e}")))?;
        let decided_by = match (self.decided_by_id, self.decided_by_name) {
            (Some(id), Some(name)) => Some(Actor {
                id,
                name,
                unit: self.decided_by_unit,
            }),
            _ => None,
        };
        Ok(Suggestion {
            id: self.id,
            plan_id,
            proposal,
            author: Actor {
                id: self.author_id,
                name: self.author_name,
                unit: self.author_unit,
            },
            created_at: self.created_at,
            status,
            decided_at: self.decided_at,
            decided_by,
            reason: self.reason,
        })
    }
}

/// Stores a new, open suggestion.
pub async fn create(
    db: &Db,
    plan: PlanId,
    proposal: &Proposal,
    author: &Actor,
) -> Result<Suggestion> {
    const SQL: &str = "INSERT INTO suggestions (id, plan_id, kind, section_id, anchor_start,
                           anchor_end, original, proposed, row_id, field, author_id, author_name,
                           author_unit, created_at, status)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open')";
    let id = Uuid::now_v7().to_string();
    let now = now_millis();
    let (section, start, end, original, proposed, row, field) = match proposal {
        Proposal::Text {
            section,
            start,
            end,
            original,
            text,
        } => (
            Some(section.as_str()),
            Some(start.as_slice()),
            Some(end.as_slice()),
            original.clone(),
            text.clone(),
            None,
            None,
        ),
        Proposal::Field {
            row,
            field,
            original,
            value,
        } => (
            None,
            None,
            None,
            original.to_string(),
            value.to_string(),
            Some(row.as_str()),
            Some(field.as_str()),
        ),
        Proposal::Row { fields } => (
            None,
            None,
            None,
            String::new(),
            serde_json::Value::Object(fields.clone()).to_string(),
            None,
            None,
        ),
    };
    let result = on_db!(db, pool => sqlx::query(SQL)
        .bind(&id)
        .bind(plan.to_string())
        .bind(proposal.kind())
        .bind(section)
        .bind(start)
        .bind(end)
        .bind(&original)
        .bind(&proposed)
        .bind(row)
        .bind(field)
        .bind(&author.id)
        .bind(&author.name)
        .bind(author.unit.as_deref())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()));
    match result {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(StorageError::PlanNotFound(plan));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Suggestion {
        id,
        plan_id: plan,
        proposal: proposal.clone(),
        author: author.clone(),
        created_at: now,
        status: SuggestionStatus::Open,
        decided_at: None,
        decided_by: None,
        reason: None,
    })
}

/// One suggestion of the plan; `None` when the plan has no such suggestion.
pub async fn get(db: &Db, plan: PlanId, id: &str) -> Result<Option<Suggestion>> {
    let sql = format!("SELECT {COLUMNS} FROM suggestions WHERE plan_id = $1 AND id = $2");
    let row: Option<SuggestionRow> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.map(SuggestionRow::into_suggestion).transpose()
}

/// The plan's suggestions that match `filter`, oldest first.
pub async fn list(db: &Db, plan: PlanId, filter: &SuggestionFilter) -> Result<Vec<Suggestion>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM suggestions
         WHERE plan_id = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2)
         ORDER BY created_at, id"
    );
    let rows: Vec<SuggestionRow> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .bind(filter.status.map(SuggestionStatus::as_str))
        .fetch_all(pool)
        .await)?;
    rows.into_iter()
        .map(SuggestionRow::into_suggestion)
        .collect()
}

/// How many suggestions of the plan are open.
pub async fn count_open(db: &Db, plan: PlanId) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM suggestions WHERE plan_id = $1 AND status = 'open'";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL)
        .bind(plan.to_string())
        .fetch_one(pool)
        .await)?)
}

/// Decides an open suggestion as `by`: `false` when it is not open (any more), so of two
/// decisions at once only one is made.
pub async fn decide(
    db: &Db,
    plan: PlanId,
    id: &str,
    status: SuggestionStatus,
    by: &Actor,
    reason: Option<&str>,
) -> Result<bool> {
    const SQL: &str = "UPDATE suggestions
                       SET status = $1, decided_at = $2, decided_by_id = $3, decided_by_name = $4,
                           decided_by_unit = $5, reason = $6
                       WHERE plan_id = $7 AND id = $8 AND status = 'open'";
    let updated = on_db!(db, pool => sqlx::query(SQL)
        .bind(status.as_str())
        .bind(now_millis())
        .bind(&by.id)
        .bind(&by.name)
        .bind(by.unit.as_deref())
        .bind(reason)
        .bind(plan.to_string())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(updated > 0)
}

/// Opens a suggestion again whose acceptance could not be applied (it was decided by
/// [`decide`] first, so that nobody else applies it meanwhile).
pub async fn undecide(db: &Db, plan: PlanId, id: &str) -> Result<()> {
    const SQL: &str = "UPDATE suggestions
                       SET status = 'open', decided_at = NULL, decided_by_id = NULL,
                           decided_by_name = NULL, decided_by_unit = NULL, reason = NULL
                       WHERE plan_id = $1 AND id = $2";
    on_db!(db, pool => sqlx::query(SQL)
        .bind(plan.to_string())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
