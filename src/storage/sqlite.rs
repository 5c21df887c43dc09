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
    /// Appends to the update log (see [`Writer`]).
    writer: Writer,
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
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        // The file as SQLite resolved it, for the writer's own connection.
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&pool)
                .await?;
        let writer = Writer::open(&file, synchronous)?;
        Ok(SqliteStorage { pool, writer })
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn append_entries(
        &self,
        id: PlanId,
        updates: &[LogEntry<'_>],
        edits: &[super::activity::Edit<'_>],
    ) -> Result<i64> {
        let append = Append {
            plan: id.to_string(),
            now: now_millis(),
            entries: updates
                .iter()
                .map(|u| (u.data.to_vec(), u.author.map(str::to_owned)))
                .collect(),
            edits: edits
                .iter()
                .map(|e| {
                    let actor = e.actor;
                    let names = [e.target.to_owned(), actor.id.clone(), actor.name.clone()];
                    (names, actor.unit.clone())
                })
                .collect(),
        };
        self.writer
            .append(append)
            .await?
            .ok_or(StorageError::PlanNotFound(id))
    }

    fn db(&self) -> super::Db {
        super::Db::Sqlite(self.pool.clone())
    }
}

/// The connection that appends to the update log: a rusqlite connection on a thread of its own.
///
/// A commit is one job handed to the thread and one answer back. Through sqlx, the same commit
/// (one script, `BEGIN` … `COMMIT`) was answered statement by statement by sqlx's connection
/// thread, and every answer woke the waiting room again: two or three thread hand-offs per
/// commit instead of one. SQLite has one writer at a time anyway; the pool's connections keep
/// doing everything else.
#[derive(Debug, Clone)]
struct Writer {
    jobs: std::sync::mpsc::Sender<Job>,
}

/// One commit for the writer: the plan, the time, each entry's data and author, each last
/// edit's target, actor id and name, and unit.
struct Append {
    plan: String,
    now: i64,
    entries: Vec<(Vec<u8>, Option<String>)>,
    edits: Vec<([String; 3], Option<String>)>,
}

/// A commit and where its answer goes: the last sequence number, or `None` for an unknown plan.
struct Job {
    append: Append,
    done: tokio::sync::oneshot::Sender<rusqlite::Result<Option<i64>>>,
}

impl Writer {
    /// Opens the writer's connection to `file` (created and migrated already) and starts its
    /// thread, which ends when the last handle to the writer is dropped.
    fn open(file: &str, synchronous: Synchronous) -> Result<Self> {
        let writer_error = |e: rusqlite::Error| StorageError::Writer(e.to_string());
        let conn = rusqlite::Connection::open_with_flags(
            file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(writer_error)?;
        // The same settings as the pool's connections (journal_mode=WAL is the file's own).
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(writer_error)?;
        let synchronous = match synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(writer_error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(writer_error)?;
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("samskriv-log-writer".into())
            .spawn(move || {
                let mut conn = conn;
                for job in queue {
                    let _ = job.done.send(append(&mut conn, &job.append));
                }
            })
            .map_err(|e| StorageError::Writer(e.to_string()))?;
        Ok(Writer { jobs })
    }

    /// Commits `append`. When this returns `Ok`, the entries are durable; when the future is
    /// dropped before, the commit still runs to its end or is rolled back whole.
    async fn append(&self, append: Append) -> Result<Option<i64>> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let gone = || StorageError::Writer("the log writer has stopped".into());
        self.jobs.send(Job { append, done }).map_err(|_| gone())?;
        answer
            .await
            .map_err(|_| gone())?
            .map_err(|e| StorageError::Writer(e.to_string()))
    }
}

/// One commit on the writer's connection: the sequence numbers, the entries, the last edits,
/// in one transaction (rolled back when any step fails, or the plan is unknown).
fn append(conn: &mut rusqlite::Connection, job: &Append) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    let count = i64::try_from(job.entries.len()).unwrap_or(i64::MAX);
    let tx = conn.transaction()?;
    let last: Option<i64> = tx
        .prepare_cached(
            "UPDATE plans SET last_seq = last_seq + ?1, updated_at = ?2 WHERE id = ?3 RETURNING last_seq",
        )?
        .query_row(rusqlite::params![count, job.now, job.plan], |row| row.get(0))
        .optional()?;
    let Some(last) = last else {
        return Ok(None);
    };
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO plan_updates (plan_id, seq, data, created_at, author) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut seq = last - count;
        for (data, author) in &job.entries {
            seq += 1;
            insert.execute(rusqlite::params![job.plan, seq, data, job.now, author])?;
        }
    }
    for rows in job.edits.chunks(super::activity::UPSERT_ROWS) {
        // `?n` is SQLite's numbered parameter; `$n` would be named, numbered by first use.
        let sql = super::activity::upsert_sql(rows.len()).replace('$', "?");
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&job.plan, &job.now];
        for ([target, actor_id, actor_name], unit) in rows {
            params.extend([target as &dyn rusqlite::ToSql, actor_id, actor_name, unit]);
        }
        tx.prepare_cached(&sql)?.execute(params.as_slice())?;
    }
    tx.commit()?;
    Ok(Some(last))
}
