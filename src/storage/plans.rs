//! Plans, their update logs, snapshots and versions: the SQL both databases accept, written once
//! with `$n` parameters and run on whichever pool the server uses (see [`on_db!`]). What really
//! differs (batch appends, PostgreSQL's notifications) stays in `sqlite.rs` and `postgres.rs`.

use sqlx::FromRow;

use super::{Db, LogTail, Result, StorageError, StoredDocument, now_millis};
use crate::export::{CoverLogo, LogoKind};
use crate::on_db;
use crate::plan::{Adoption, NewPlan, PlanId, PlanMeta, PlanRecord, PlanSettings};
use crate::version::{StoredVersion, VersionId, VersionRecord};

/// Opens a transaction whose reads all see one snapshot of the database, so a concurrent
/// compaction (snapshot replaced, log trimmed) is seen entirely or not at all. SQLite's read
/// transaction gives this as it is; PostgreSQL's default (READ COMMITTED) takes a fresh snapshot
/// per statement, so it asks for REPEATABLE READ (READ ONLY: it can never fail to serialise).
pub(super) trait ConsistentRead {
    type Database: sqlx::Database;
    fn begin_consistent_read(
        &self,
    ) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Database>>> + Send;
}

impl ConsistentRead for sqlx::SqlitePool {
    type Database = sqlx::Sqlite;
    fn begin_consistent_read(
        &self,
    ) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>>> + Send {
        self.begin()
    }
}

impl ConsistentRead for sqlx::PgPool {
    type Database = sqlx::Postgres;
    fn begin_consistent_read(
        &self,
    ) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>>> + Send {
        self.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }
}

/// Reserves `$count` sequence numbers for an append to plan `$id` (its text id `$key`) inside the
/// open transaction `$tx`, on either database, and evaluates to the last of them. Updating the
/// plan row locks it until commit, so appends to one plan are serialised (across every node on
/// PostgreSQL): the log has no gaps and is read back in commit order.
macro_rules! reserve_seqs {
    ($tx:expr, $id:expr, $key:expr, $count:expr, $now:expr) => {{
        let last: Option<i64> = sqlx::query_scalar(
            "UPDATE plans SET last_seq = last_seq + $1, updated_at = $2 WHERE id = $3 RETURNING last_seq",
        )
        .bind($count)
        .bind($now)
        .bind($key)
        .fetch_optional(&mut *$tx)
        .await?;
        last.ok_or($crate::storage::StorageError::PlanNotFound($id))?
    }};
}
pub(super) use reserve_seqs;

#[derive(FromRow)]
struct PlanRow {
    id: String,
    title: String,
    bydel: String,
    periode: String,
    template: String,
    status: String,
    is_demo: bool,
    created_at: i64,
    updated_at: i64,
    adopted_version: Option<String>,
    adopted_date: String,
    adopted_sak: String,
    cover_place: String,
    cover_date: String,
    contact: String,
    archived_at: Option<i64>,
}

/// An id column's value, parsed; a value that does not parse means the database is corrupt.
fn parse_column<T: std::str::FromStr>(value: &str, column: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
}

impl TryFrom<PlanRow> for PlanRecord {
    type Error = StorageError;
    fn try_from(row: PlanRow) -> Result<Self> {
        Ok(PlanRecord {
            id: parse_column(&row.id, "plans.id")?,
            title: row.title,
            bydel: row.bydel,
            periode: row.periode,
            template: row.template,
            status: row.status,
            is_demo: row.is_demo,
            created_at: row.created_at,
            updated_at: row.updated_at,
            settings: PlanSettings {
                adopted: row
                    .adopted_version
                    .map(|version| {
                        Ok::<_, StorageError>(Adoption {
                            version: parse_column(&version, "plans.adopted_version")?,
                            date: row.adopted_date,
                            sak: row.adopted_sak,
                        })
                    })
                    .transpose()?,
                place: row.cover_place,
                date: row.cover_date,
                contact: row.contact,
            },
            archived_at: row.archived_at,
        })
    }
}

const PLAN_COLUMNS: &str = "SELECT id, title, bydel, periode, template, status, is_demo, created_at, updated_at,
                            adopted_version, adopted_date, adopted_sak, cover_place, cover_date, contact,
                            archived_at
                            FROM plans";

/// Creates a plan in one transaction: its row, its first update (the template's document), its
/// units and, when given, its coordinator. A failure anywhere leaves no trace of the plan.
pub(super) async fn create_plan(
    db: &Db,
    plan: &NewPlan,
    initial_update: &[u8],
    units: &[&str],
    coordinator: Option<&str>,
    rollover: Option<&Rollover<'_>>,
) -> Result<PlanRecord> {
    const PLAN: &str = "INSERT INTO plans (id, title, bydel, periode, template, is_demo, last_seq, created_at, updated_at)
                        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)";
    const FIRST_UPDATE: &str =
        "INSERT INTO plan_updates (plan_id, seq, data, created_at) VALUES ($1, 1, $2, $3)";
    const UNIT: &str = "INSERT INTO plan_units (plan_id, name, position) VALUES ($1, $2, $3)
                        ON CONFLICT (plan_id, name) DO NOTHING";
    const COORDINATOR: &str = "INSERT INTO plan_members (plan_id, user_id, role, unit, created_at)
                               VALUES ($1, $2, 'coordinator', NULL, $3)";
    const LINEAGE: &str = "UPDATE plans SET previous_plan = $1 WHERE id = $2";
    const SECTION_UNITS: &str = "INSERT INTO plan_section_units (plan_id, section_id, unit)
                                 SELECT $1, section_id, unit FROM plan_section_units WHERE plan_id = $2";
    const REVISE: &str =
        "INSERT INTO plan_revise_rows (plan_id, row_id, position) VALUES ($1, $2, $3)";
    // Deactivated accounts stay behind; the coordinator, inserted first, keeps that role.
    const MEMBERS: &str = "INSERT INTO plan_members (plan_id, user_id, role, unit, created_at)
                           SELECT $1, m.user_id, m.role, m.unit, $2
                           FROM plan_members m JOIN users u ON u.id = m.user_id
                           WHERE m.plan_id = $3 AND u.deactivated_at IS NULL
                           ON CONFLICT (plan_id, user_id) DO NOTHING";
    let id = PlanId::new_random();
    let key = id.to_string();
    let now = now_millis();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(PLAN)
            .bind(&key)
            .bind(&plan.title)
            .bind(&plan.bydel)
            .bind(&plan.periode)
            .bind(&plan.template)
            .bind(plan.is_demo)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(FIRST_UPDATE).bind(&key).bind(initial_update).bind(now).execute(&mut *tx).await?;
        for (position, name) in (1_i64..).zip(units) {
            sqlx::query(UNIT).bind(&key).bind(*name).bind(position).execute(&mut *tx).await?;
        }
        if let Some(user_id) = coordinator {
            sqlx::query(COORDINATOR).bind(&key).bind(user_id).bind(now).execute(&mut *tx).await?;
        }
        if let Some(rollover) = rollover {
            let previous = rollover.previous.to_string();
            sqlx::query(LINEAGE).bind(&previous).bind(&key).execute(&mut *tx).await?;
            sqlx::query(SECTION_UNITS).bind(&key).bind(&previous).execute(&mut *tx).await?;
            for (position, row) in (1_i64..).zip(rollover.revise) {
                sqlx::query(REVISE).bind(&key).bind(row).bind(position).execute(&mut *tx).await?;
            }
            if rollover.members {
                sqlx::query(MEMBERS).bind(&key).bind(now).bind(&previous).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
    });
    get_plan(db, id)
        .await?
        .ok_or(StorageError::PlanNotFound(id))
}

/// What a plan made from another (rullering) stores besides its document, in the same
/// transaction: the plan it was made from, the carried rows to revise, the earlier plan's
/// section units and, when asked, its members.
#[derive(Debug, Clone, Copy)]
pub struct Rollover<'a> {
    pub previous: PlanId,
    /// Row ids (in the new plan) carried with the disposition «endres», in table order.
    pub revise: &'a [String],
    /// Copy the earlier plan's memberships (role and unit).
    pub members: bool,
}

/// A plan's place in its line of plans: the plan it was made from, if that still exists, and
/// the plans made from it, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    pub previous: Option<PlanId>,
    pub next: Vec<PlanId>,
    /// Rows carried to this plan with the disposition «endres», in table order.
    pub revise: Vec<String>,
}

pub(super) async fn lineage(db: &Db, id: PlanId) -> Result<Lineage> {
    const PREVIOUS: &str = "SELECT previous_plan FROM plans WHERE id = $1";
    const NEXT: &str = "SELECT id FROM plans WHERE previous_plan = $1 ORDER BY created_at, id";
    const REVISE: &str = "SELECT row_id FROM plan_revise_rows WHERE plan_id = $1 ORDER BY position";
    let key = id.to_string();
    let (previous, next, revise): (Option<Option<String>>, Vec<String>, Vec<String>) = on_db!(db, pool => {
        let previous = sqlx::query_scalar(PREVIOUS).bind(&key).fetch_optional(pool).await?;
        let next = sqlx::query_scalar(NEXT).bind(&key).fetch_all(pool).await?;
        let revise = sqlx::query_scalar(REVISE).bind(&key).fetch_all(pool).await?;
        (previous, next, revise)
    });
    Ok(Lineage {
        previous: previous
            .flatten()
            .map(|p| parse_column(&p, "plans.previous_plan"))
            .transpose()?,
        next: next
            .iter()
            .map(|n| parse_column(n, "plans.id"))
            .collect::<Result<_>>()?,
        revise,
    })
}

pub(super) async fn get_plan(db: &Db, id: PlanId) -> Result<Option<PlanRecord>> {
    let sql = format!("{PLAN_COLUMNS} WHERE id = $1");
    let row: Option<PlanRow> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await)?;
    row.map(PlanRecord::try_from).transpose()
}

/// All plans, most recently changed first; ties in id order (sorted here, so both databases
/// agree whatever their collation).
pub(super) async fn list_plans(db: &Db) -> Result<Vec<PlanRecord>> {
    let rows: Vec<PlanRow> =
        on_db!(db, pool => sqlx::query_as(PLAN_COLUMNS).fetch_all(pool).await)?;
    let mut plans = rows
        .into_iter()
        .map(PlanRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
    plans.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
    Ok(plans)
}

pub(super) async fn load_document(db: &Db, id: PlanId) -> Result<StoredDocument> {
    let key = id.to_string();
    on_db!(db, pool => {
        let mut tx = pool.begin_consistent_read().await?;
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
    })
}

/// Replaces the snapshot and trims the log, in one transaction. A snapshot only ever moves
/// forward: a slower node compacting an older state must not replace a newer snapshot (the
/// updates it covers are already gone from the log).
pub(super) async fn compact(db: &Db, id: PlanId, state: &[u8], upto_seq: i64) -> Result<()> {
    const SNAPSHOT: &str =
        "INSERT INTO plan_snapshots (plan_id, upto_seq, state, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (plan_id) DO UPDATE
         SET upto_seq = excluded.upto_seq, state = excluded.state, created_at = excluded.created_at
         WHERE excluded.upto_seq > plan_snapshots.upto_seq";
    const TRIM: &str = "DELETE FROM plan_updates WHERE plan_id = $1 AND seq <= $2";
    let key = id.to_string();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(SNAPSHOT).bind(&key).bind(upto_seq).bind(state).bind(now_millis()).execute(&mut *tx).await?;
        sqlx::query(TRIM).bind(&key).bind(upto_seq).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

pub(super) async fn log_after(db: &Db, id: PlanId, after_seq: i64) -> Result<LogTail> {
    let key = id.to_string();
    on_db!(db, pool => {
        let mut tx = pool.begin_consistent_read().await?;
        let snapshot: Option<(Vec<u8>, i64)> = sqlx::query_as(
            "SELECT state, upto_seq FROM plan_snapshots WHERE plan_id = $1 AND upto_seq > $2",
        )
        .bind(&key)
        .bind(after_seq)
        .fetch_optional(&mut *tx)
        .await?;
        let after = snapshot.as_ref().map_or(after_seq, |(_, seq)| *seq);
        let updates = sqlx::query_as(
            "SELECT seq, data FROM plan_updates WHERE plan_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(&key)
        .bind(after)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(LogTail { snapshot, updates })
    })
}

pub(super) async fn update_plan_meta(db: &Db, id: PlanId, meta: &PlanMeta) -> Result<()> {
    const SQL: &str =
        "UPDATE plans SET title = $1, bydel = $2, periode = $3, status = $4 WHERE id = $5";
    on_db!(db, pool => sqlx::query(SQL)
        .bind(&meta.title)
        .bind(&meta.bydel)
        .bind(&meta.periode)
        .bind(&meta.status)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Stores a plan's record as its settings make it: the list's copy of the document's meta and
/// the settings kept beside the document (all of them: what the caller did not change, it
/// passes as read), in one statement, so both change or neither does.
pub(super) async fn update_plan_record(
    db: &Db,
    id: PlanId,
    meta: &PlanMeta,
    settings: &PlanSettings,
) -> Result<()> {
    const SQL: &str = "UPDATE plans SET adopted_version = $1, adopted_date = $2, adopted_sak = $3,
                       cover_place = $4, cover_date = $5, contact = $6,
                       title = $7, bydel = $8, periode = $9, status = $10 WHERE id = $11";
    let adopted = settings.adopted.as_ref();
    let updated = on_db!(db, pool => sqlx::query(SQL)
        .bind(adopted.map(|a| a.version.to_string()))
        .bind(adopted.map_or("", |a| a.date.as_str()))
        .bind(adopted.map_or("", |a| a.sak.as_str()))
        .bind(&settings.place)
        .bind(&settings.date)
        .bind(&settings.contact)
        .bind(&meta.title)
        .bind(&meta.bydel)
        .bind(&meta.periode)
        .bind(&meta.status)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    if updated == 0 {
        return Err(StorageError::PlanNotFound(id));
    }
    Ok(())
}

/// Archives a plan (at `at`, unix milliseconds) or restores it (`None`).
pub(super) async fn set_plan_archived(db: &Db, id: PlanId, at: Option<i64>) -> Result<()> {
    const SQL: &str = "UPDATE plans SET archived_at = $1 WHERE id = $2";
    let updated = on_db!(db, pool => sqlx::query(SQL)
        .bind(at)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    if updated == 0 {
        return Err(StorageError::PlanNotFound(id));
    }
    Ok(())
}

/// Every table that stores something of a plan, children before parents. The foreign keys
/// cascade as well; naming each table here keeps a deletion complete even where a cascade is
/// missing, and a table added later still goes with its plan through its cascade.
const PLAN_TABLES: [&str; 15] = [
    "suggestions",
    "status_entries",
    "status_rounds",
    "plan_logos",
    "comments",
    "comment_threads",
    "plan_activity",
    "plan_section_units",
    "service_tokens",
    "plan_invites",
    "plan_members",
    "plan_units",
    "plan_versions",
    "plan_updates",
    "plan_snapshots",
];

/// Deletes a plan and everything stored with it, in one transaction. `false` when there was
/// no such plan.
pub(super) async fn delete_plan(db: &Db, id: PlanId) -> Result<bool> {
    let key = id.to_string();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        for table in PLAN_TABLES {
            sqlx::query(&format!("DELETE FROM {table} WHERE plan_id = $1"))
                .bind(&key)
                .execute(&mut *tx)
                .await?;
        }
        let deleted = sqlx::query("DELETE FROM plans WHERE id = $1")
            .bind(&key)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(deleted)
    })
}

/// A plan's cover logo, if it has one.
pub(super) async fn plan_logo(db: &Db, id: PlanId) -> Result<Option<CoverLogo>> {
    const SQL: &str = "SELECT kind, data FROM plan_logos WHERE plan_id = $1";
    let row: Option<(String, Vec<u8>)> = on_db!(db, pool => sqlx::query_as(SQL)
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?;
    row.map(|(kind, bytes)| {
        let kind = LogoKind::from_name(&kind)
            .ok_or_else(|| StorageError::Corrupt(format!("plan_logos.kind: {kind}")))?;
        Ok(CoverLogo { kind, bytes })
    })
    .transpose()
}

/// Stores a plan's cover logo in place of the one it had.
pub(super) async fn set_plan_logo(db: &Db, id: PlanId, logo: &CoverLogo) -> Result<()> {
    const SQL: &str = "INSERT INTO plan_logos (plan_id, kind, data, updated_at) VALUES ($1, $2, $3, $4)
                       ON CONFLICT (plan_id) DO UPDATE
                       SET kind = excluded.kind, data = excluded.data, updated_at = excluded.updated_at";
    let stored = on_db!(db, pool => sqlx::query(SQL)
        .bind(id.to_string())
        .bind(logo.kind.as_str())
        .bind(&logo.bytes)
        .bind(now_millis())
        .execute(pool)
        .await
        .map(|_| ()));
    match stored {
        Ok(()) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StorageError::PlanNotFound(id))
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a plan's cover logo; whether it had one.
pub(super) async fn delete_plan_logo(db: &Db, id: PlanId) -> Result<bool> {
    const SQL: &str = "DELETE FROM plan_logos WHERE plan_id = $1";
    let deleted = on_db!(db, pool => sqlx::query(SQL)
        .bind(id.to_string())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(deleted > 0)
}

/// Whether a plan is archived; `None` when there is no such plan. What access decisions ask
/// on every connection and re-check, so it reads one column.
pub async fn plan_archived(db: &Db, id: PlanId) -> Result<Option<bool>> {
    const SQL: &str = "SELECT archived_at FROM plans WHERE id = $1";
    let row: Option<Option<i64>> = on_db!(db, pool => sqlx::query_scalar(SQL)
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|at| at.is_some()))
}

pub(super) async fn log_len(db: &Db, id: PlanId) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM plan_updates WHERE plan_id = $1";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).bind(id.to_string()).fetch_one(pool).await)?)
}

pub(super) async fn ping(db: &Db) -> Result<()> {
    on_db!(db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
    Ok(())
}

#[derive(FromRow)]
struct VersionRow {
    id: String,
    plan_id: String,
    name: String,
    created_at: i64,
}

impl TryFrom<VersionRow> for VersionRecord {
    type Error = StorageError;
    fn try_from(row: VersionRow) -> Result<Self> {
        Ok(VersionRecord {
            id: parse_column(&row.id, "plan_versions.id")?,
            plan_id: parse_column(&row.plan_id, "plan_versions.plan_id")?,
            name: row.name,
            created_at: row.created_at,
        })
    }
}

pub(super) async fn create_version(
    db: &Db,
    plan: PlanId,
    name: &str,
    state: &[u8],
) -> Result<VersionRecord> {
    const SQL: &str = "INSERT INTO plan_versions (id, plan_id, name, state, created_at)
                       VALUES ($1, $2, $3, $4, $5)";
    let record = VersionRecord {
        id: VersionId::new_random(),
        plan_id: plan,
        name: name.to_owned(),
        created_at: now_millis(),
    };
    let inserted = on_db!(db, pool => sqlx::query(SQL)
        .bind(record.id.to_string())
        .bind(plan.to_string())
        .bind(name)
        .bind(state)
        .bind(record.created_at)
        .execute(pool)
        .await
        .map(|_| ()));
    match inserted {
        Ok(()) => Ok(record),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StorageError::VersionNameTaken(name.to_owned()))
        }
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StorageError::PlanNotFound(plan))
        }
        Err(e) => Err(e.into()),
    }
}

/// A plan's versions without their states, newest first.
pub(super) async fn list_versions(db: &Db, plan: PlanId) -> Result<Vec<VersionRecord>> {
    const SQL: &str = "SELECT id, plan_id, name, created_at FROM plan_versions WHERE plan_id = $1
                       ORDER BY created_at DESC, name DESC";
    let rows: Vec<VersionRow> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(plan.to_string()).fetch_all(pool).await)?;
    rows.into_iter().map(VersionRecord::try_from).collect()
}

pub(super) async fn get_version(
    db: &Db,
    plan: PlanId,
    id: VersionId,
) -> Result<Option<StoredVersion>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        record: VersionRow,
        state: Vec<u8>,
    }
    const SQL: &str = "SELECT id, plan_id, name, state, created_at FROM plan_versions
                       WHERE plan_id = $1 AND id = $2";
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(SQL)
        .bind(plan.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?;
    row.map(|row| {
        Ok(StoredVersion {
            record: row.record.try_into()?,
            state: row.state,
        })
    })
    .transpose()
}
