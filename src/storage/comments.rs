//! Comment threads in the database. The SQL reads the same on SQLite and PostgreSQL (see
//! [`Db`]). Every query names the plan, so an id from another plan is never found.

use std::collections::HashMap;

use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, Result, StorageError, now_millis};
use crate::access::Actor;
use crate::comments::{Anchor, Comment, Thread, ThreadFilter, ThreadStatus};
use crate::on_db;
use crate::plan::PlanId;

const THREAD_COLUMNS: &str =
    "id, plan_id, anchor_kind, section_id, row_id, anchor_start, anchor_end,
     quote, author_id, author_name, author_unit, created_at, resolved_at, resolved_by_id,
     resolved_by_name, resolved_by_unit";

const COMMENT_COLUMNS: &str =
    "id, thread_id, author_id, author_name, author_unit, body, created_at, edited_at";

#[derive(FromRow)]
struct ThreadRow {
    id: String,
    plan_id: String,
    anchor_kind: String,
    section_id: Option<String>,
    row_id: Option<String>,
    anchor_start: Option<Vec<u8>>,
    anchor_end: Option<Vec<u8>>,
    quote: String,
    author_id: String,
    author_name: String,
    author_unit: Option<String>,
    created_at: i64,
    resolved_at: Option<i64>,
    resolved_by_id: Option<String>,
    resolved_by_name: Option<String>,
    resolved_by_unit: Option<String>,
}

#[derive(FromRow)]
struct CommentRow {
    id: String,
    thread_id: String,
    author_id: String,
    author_name: String,
    author_unit: Option<String>,
    body: String,
    created_at: i64,
    edited_at: Option<i64>,
}

impl ThreadRow {
    fn into_thread(self, comments: Vec<Comment>) -> Result<Thread> {
        let corrupt =
            |what: &str| StorageError::Corrupt(format!("comment thread {}: {what}", self.id));
        let anchor = match self.anchor_kind.as_str() {
            "text" => Anchor::Text {
                section: self
                    .section_id
                    .clone()
                    .ok_or_else(|| corrupt("no section"))?,
                start: self
                    .anchor_start
                    .clone()
                    .ok_or_else(|| corrupt("no start"))?,
                end: self.anchor_end.clone().ok_or_else(|| corrupt("no end"))?,
                quote: self.quote.clone(),
            },
            "tiltak" => Anchor::Tiltak {
                row: self.row_id.clone().ok_or_else(|| corrupt("no row"))?,
                quote: self.quote.clone(),
            },
            _ => return Err(corrupt("unknown anchor kind")),
        };
        let plan_id = self
            .plan_id
            .parse()
            .map_err(|e| corrupt(&format!("plan id: {e}")))?;
        let resolved_by = match (self.resolved_by_id, self.resolved_by_name) {
            (Some(id), Some(name)) => Some(Actor {
                id,
                name,
                unit: self.resolved_by_unit,
            }),
            _ => None,
        };
        Ok(Thread {
            id: self.id,
            plan_id,
            anchor,
            author: Actor {
                id: self.author_id,
                name: self.author_name,
                unit: self.author_unit,
            },
            created_at: self.created_at,
            resolved_at: self.resolved_at,
            resolved_by,
            comments,
        })
    }
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Comment {
            id: row.id,
            thread_id: row.thread_id,
            author: Actor {
                id: row.author_id,
                name: row.author_name,
                unit: row.author_unit,
            },
            body: row.body,
            created_at: row.created_at,
            edited_at: row.edited_at,
        }
    }
}

/// Ids ordered by creation within this process, so that threads and comments made in the same
/// millisecond still list in the order they were made.
fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// Opens a thread on `anchor` with its first comment (`body`, already validated).
pub async fn create_thread(
    db: &Db,
    plan: PlanId,
    anchor: &Anchor,
    author: &Actor,
    body: &str,
) -> Result<Thread> {
    const THREAD: &str =
        "INSERT INTO comment_threads (id, plan_id, anchor_kind, section_id, row_id,
                              anchor_start, anchor_end, quote, author_id, author_name, author_unit,
                              created_at)
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    const COMMENT: &str = "INSERT INTO comments (id, thread_id, plan_id, author_id, author_name,
                               author_unit, body, created_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let now = now_millis();
    let thread_id = new_id();
    let comment = Comment {
        id: new_id(),
        thread_id: thread_id.clone(),
        author: author.clone(),
        body: body.to_owned(),
        created_at: now,
        edited_at: None,
    };
    let (section, row, start, end) = match anchor {
        Anchor::Text {
            section,
            start,
            end,
            ..
        } => (
            Some(section.as_str()),
            None,
            Some(start.as_slice()),
            Some(end.as_slice()),
        ),
        Anchor::Tiltak { row, .. } => (None, Some(row.as_str()), None, None),
    };
    let plan_key = plan.to_string();
    let result = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query(THREAD)
                .bind(&thread_id)
                .bind(&plan_key)
                .bind(anchor.kind())
                .bind(section)
                .bind(row)
                .bind(start)
                .bind(end)
                .bind(anchor.quote())
                .bind(&author.id)
                .bind(&author.name)
                .bind(author.unit.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(COMMENT)
                .bind(&comment.id)
                .bind(&thread_id)
                .bind(&plan_key)
                .bind(&author.id)
                .bind(&author.name)
                .bind(author.unit.as_deref())
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
    });
    match result {
        Ok(()) => {}
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(StorageError::PlanNotFound(plan));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Thread {
        id: thread_id,
        plan_id: plan,
        anchor: anchor.clone(),
        author: author.clone(),
        created_at: now,
        resolved_at: None,
        resolved_by: None,
        comments: vec![comment],
    })
}

/// One thread of the plan with its comments; `None` when the plan has no such thread.
pub async fn thread(db: &Db, plan: PlanId, id: &str) -> Result<Option<Thread>> {
    let sql =
        format!("SELECT {THREAD_COLUMNS} FROM comment_threads WHERE plan_id = $1 AND id = $2");
    let comments_sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments WHERE plan_id = $1 AND thread_id = $2
         ORDER BY created_at, id"
    );
    let plan_key = plan.to_string();
    let row: Option<ThreadRow> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(&plan_key)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let comments: Vec<CommentRow> = on_db!(db, pool => sqlx::query_as(&comments_sql)
        .bind(&plan_key)
        .bind(id)
        .fetch_all(pool)
        .await)?;
    row.into_thread(comments.into_iter().map(Comment::from).collect())
        .map(Some)
}

/// The plan's threads that match `filter`, oldest first, each with its comments.
pub async fn list_threads(db: &Db, plan: PlanId, filter: &ThreadFilter) -> Result<Vec<Thread>> {
    // Optional filters as `$n IS NULL OR …`, so one statement serves every combination. The
    // casts tell PostgreSQL the parameters' type even when they are NULL.
    let sql = format!(
        "SELECT {THREAD_COLUMNS} FROM comment_threads
         WHERE plan_id = $1
           AND (CAST($2 AS TEXT) IS NULL
                OR (CAST($2 AS TEXT) = 'open' AND resolved_at IS NULL)
                OR (CAST($2 AS TEXT) = 'resolved' AND resolved_at IS NOT NULL))
           AND (CAST($3 AS TEXT) IS NULL OR section_id = $3)
           AND (CAST($4 AS TEXT) IS NULL OR author_unit = $4)
         ORDER BY created_at, id"
    );
    let comments_sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments WHERE plan_id = $1 ORDER BY created_at, id"
    );
    let status = filter.status.map(|status| match status {
        ThreadStatus::Open => "open",
        ThreadStatus::Resolved => "resolved",
    });
    let plan_key = plan.to_string();
    let rows: Vec<ThreadRow> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(&plan_key)
        .bind(status)
        .bind(filter.section.as_deref())
        .bind(filter.unit.as_deref())
        .fetch_all(pool)
        .await)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let comments: Vec<CommentRow> = on_db!(db, pool => sqlx::query_as(&comments_sql)
        .bind(&plan_key)
        .fetch_all(pool)
        .await)?;
    let mut by_thread: HashMap<String, Vec<Comment>> = HashMap::new();
    for comment in comments {
        by_thread
            .entry(comment.thread_id.clone())
            .or_default()
            .push(comment.into());
    }
    rows.into_iter()
        .map(|row| {
            let comments = by_thread.remove(&row.id).unwrap_or_default();
            row.into_thread(comments)
        })
        .collect()
}

/// One comment of a thread of the plan.
pub async fn comment(db: &Db, plan: PlanId, thread: &str, id: &str) -> Result<Option<Comment>> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments WHERE plan_id = $1 AND thread_id = $2 AND id = $3"
    );
    let row: Option<CommentRow> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.to_string())
        .bind(thread)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(Comment::from))
}

/// Adds a reply to a thread of the plan; `None` when the plan has no such thread.
pub async fn add_comment(
    db: &Db,
    plan: PlanId,
    thread: &str,
    author: &Actor,
    body: &str,
) -> Result<Option<Comment>> {
    // Inserts nothing unless the thread belongs to this plan.
    const SQL: &str = "INSERT INTO comments (id, thread_id, plan_id, author_id, author_name,
                           author_unit, body, created_at)
                       SELECT $1, t.id, t.plan_id, $2, $3, $4, $5, $6
                       FROM comment_threads t WHERE t.plan_id = $7 AND t.id = $8";
    let comment = Comment {
        id: new_id(),
        thread_id: thread.to_owned(),
        author: author.clone(),
        body: body.to_owned(),
        created_at: now_millis(),
        edited_at: None,
    };
    let inserted = on_db!(db, pool => sqlx::query(SQL)
        .bind(&comment.id)
        .bind(&author.id)
        .bind(&author.name)
        .bind(author.unit.as_deref())
        .bind(body)
        .bind(comment.created_at)
        .bind(plan.to_string())
        .bind(thread)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()));
    match inserted {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(comment)),
        // The thread was deleted between the select and the insert.
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a comment's text and marks it edited; `None` when there is no such comment.
pub async fn edit_comment(
    db: &Db,
    plan: PlanId,
    thread: &str,
    id: &str,
    body: &str,
) -> Result<Option<Comment>> {
    const SQL: &str = "UPDATE comments SET body = $1, edited_at = $2
                       WHERE plan_id = $3 AND thread_id = $4 AND id = $5";
    let updated = on_db!(db, pool => sqlx::query(SQL)
        .bind(body)
        .bind(now_millis())
        .bind(plan.to_string())
        .bind(thread)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    if updated == 0 {
        return Ok(None);
    }
    comment(db, plan, thread, id).await
}

/// What deleting a comment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// There was no such comment.
    Nothing,
    /// The comment is gone; its thread has others.
    Comment,
    /// It was the thread's last comment, so the thread is gone too.
    Thread,
}

/// Deletes a comment, and its thread with it when no comment is left.
pub async fn delete_comment(db: &Db, plan: PlanId, thread: &str, id: &str) -> Result<Deleted> {
    const DELETE: &str = "DELETE FROM comments WHERE plan_id = $1 AND thread_id = $2 AND id = $3";
    const LEFT: &str = "SELECT COUNT(*) FROM comments WHERE thread_id = $1";
    const DELETE_THREAD: &str = "DELETE FROM comment_threads WHERE plan_id = $1 AND id = $2";
    let plan_key = plan.to_string();
    let outcome = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query(DELETE)
                .bind(&plan_key)
                .bind(thread)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted == 0 {
                return Ok::<_, sqlx::Error>(Deleted::Nothing);
            }
            let left: i64 = sqlx::query_scalar(LEFT).bind(thread).fetch_one(&mut *tx).await?;
            let outcome = if left == 0 {
                sqlx::query(DELETE_THREAD)
                    .bind(&plan_key)
                    .bind(thread)
                    .execute(&mut *tx)
                    .await?;
                Deleted::Thread
            } else {
                Deleted::Comment
            };
            tx.commit().await?;
            Ok(outcome)
        }
        .await
    })?;
    Ok(outcome)
}

/// Resolves a thread as `by`, or reopens it with `None`. Resolving a resolved thread keeps who
/// resolved it first. `false` when the plan has no such thread.
pub async fn set_resolved(db: &Db, plan: PlanId, thread: &str, by: Option<&Actor>) -> Result<bool> {
    const RESOLVE: &str = "UPDATE comment_threads
                           SET resolved_at = COALESCE(resolved_at, $1),
                               resolved_by_id = COALESCE(resolved_by_id, $2),
                               resolved_by_name = COALESCE(resolved_by_name, $3),
                               resolved_by_unit = CASE WHEN resolved_at IS NULL THEN $4
                                                       ELSE resolved_by_unit END
                           WHERE plan_id = $5 AND id = $6";
    const REOPEN: &str = "UPDATE comment_threads
                          SET resolved_at = NULL, resolved_by_id = NULL, resolved_by_name = NULL,
                              resolved_by_unit = NULL
                          WHERE plan_id = $1 AND id = $2";
    let plan_key = plan.to_string();
    let updated = match by {
        Some(actor) => on_db!(db, pool => sqlx::query(RESOLVE)
            .bind(now_millis())
            .bind(&actor.id)
            .bind(&actor.name)
            .bind(actor.unit.as_deref())
            .bind(&plan_key)
            .bind(thread)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?,
        None => on_db!(db, pool => sqlx::query(REOPEN)
            .bind(&plan_key)
            .bind(thread)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?,
    };
    Ok(updated > 0)
}
