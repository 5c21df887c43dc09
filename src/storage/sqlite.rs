//! SQLite storage: one file, WAL journal, created and migrated on first open.

use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Row, SqliteConnection, SqlitePool};

use super::{LogEntry, Result, Storage, StorageError, now_millis};
use crate::config::SqliteSynchronous as Synchronous;
use crate::plan::PlanId;

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    pool: SqlitePool,
    /// The connection that appends to the update log: a commit of a few updates is one round
    /// trip to it (see [`append_in_one`]). SQLite has one writer at a time anyway.
    writer: Arc<tokio::sync::Mutex<Writer>>,
}

#[derive(Debug)]
struct Writer {
    conn: SqliteConnection,
    /// An append began and did not finish (its future was dropped): the transaction it opened
    /// may still be open, and is rolled back before the next one.
    unfinished: bool,
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
            // A connection to a local file does not go stale: no test query (a round trip to
            // the connection's thread) before each use.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let writer = Writer {
            conn: options.connect().await?,
            unfinished: false,
        };
        Ok(SqliteStorage {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
        })
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
        if updates.len() <= ONE_TRIP_ENTRIES && edits.len() <= ONE_TRIP_EDITS {
            return self.append_in_one(id, updates, edits).await;
        }
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

/// Most log entries and last edits appended in one round trip; a larger commit (rare: a batch of
/// many people's updates) takes one statement each.
const ONE_TRIP_ENTRIES: usize = 16;
const ONE_TRIP_EDITS: usize = 64;

impl SqliteStorage {
    /// Appends a commit's entries and last edits as one script on the writer connection:
    /// `BEGIN`, the sequence numbers, the entries, the last edits, `COMMIT`. The connection's
    /// thread runs it in one go, where a transaction of separate statements costs a round trip
    /// (two thread wake-ups) each. Committed exactly when the script ran to its end; otherwise
    /// it is rolled back.
    async fn append_in_one(
        &self,
        id: PlanId,
        updates: &[LogEntry<'_>],
        edits: &[super::activity::Edit<'_>],
    ) -> Result<i64> {
        let key = id.to_string();
        let now = now_millis();
        let count = i64::try_from(updates.len()).unwrap_or(i64::MAX);
        let sql = one_trip_sql(updates.len(), edits.len());
        let mut query = sqlx::query(&sql).bind(&key).bind(now).bind(count);
        for update in updates {
            query = query.bind(update.data).bind(update.author);
        }
        for edit in edits {
            query = query
                .bind(edit.target)
                .bind(&edit.actor.id)
                .bind(&edit.actor.name)
                .bind(edit.actor.unit.as_deref());
        }
        let mut writer = self.writer.lock().await;
        if writer.unfinished {
            // "No transaction is active" is the usual answer, and fine.
            let _ = sqlx::query("ROLLBACK").execute(&mut writer.conn).await;
        }
        writer.unfinished = true;
        let result = query.fetch_all(&mut writer.conn).await;
        let last = match result {
            Ok(rows) => rows.first().map(|row| row.try_get::<i64, _>(0)).transpose(),
            Err(e) => Err(e),
        };
        match last {
            Ok(last) => {
                writer.unfinished = false;
                last.ok_or(StorageError::PlanNotFound(id))
            }
            Err(e) => {
                if sqlx::query("ROLLBACK")
                    .execute(&mut writer.conn)
                    .await
                    .is_ok()
                {
                    writer.unfinished = false;
                }
                Err(e.into())
            }
        }
    }
}

/// The script of [`SqliteStorage::append_in_one`]: `$1` plan, `$2` time, `$3` number of
/// entries, then each entry's data and author, then each last edit's target, actor id, name and
/// unit. Entry `i` (from 0) of `n` gets sequence number `last - n + 1 + i`.
fn one_trip_sql(entries: usize, edits: usize) -> String {
    let mut sql = String::from(
        "BEGIN;\n\
         UPDATE plans SET last_seq = last_seq + $3, updated_at = $2 WHERE id = $1 RETURNING last_seq;\n",
    );
    for i in 0..entries {
        let at = 4 + 2 * i;
        let _ = writeln!(
            sql,
            "INSERT INTO plan_updates (plan_id, seq, data, created_at, author) \
             SELECT $1, last_seq - {back}, ${at}, $2, ${author} FROM plans WHERE id = $1;",
            back = entries - 1 - i,
            author = at + 1,
        );
    }
    if edits > 0 {
        let first = 4 + 2 * entries;
        let values: Vec<String> = (0..edits)
            .map(|e| {
                let at = first + 4 * e;
                format!("($1, ${at}, ${}, ${}, ${}, $2)", at + 1, at + 2, at + 3)
            })
            .collect();
        let _ = writeln!(
            sql,
            "INSERT INTO plan_activity (plan_id, target, actor_id, actor_name, actor_unit, edited_at) \
             VALUES {} ON CONFLICT (plan_id, target) DO UPDATE SET actor_id = excluded.actor_id, \
             actor_name = excluded.actor_name, actor_unit = excluded.actor_unit, \
             edited_at = excluded.edited_at;",
            values.join(", ")
        );
    }
    sql.push_str("COMMIT;");
    sql
}
