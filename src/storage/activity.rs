//! Who last changed each part of a plan: kept beside the update log (which compaction folds
//! away) so the plan page can say "sist endret av … kl. …" for every section.

use std::collections::HashMap;

use sqlx::FromRow;

use super::{Db, Result};
use crate::access::Actor;
use crate::on_db;
use crate::plan::PlanId;

/// The last change of one part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LastEdit {
    pub actor_id: String,
    pub actor_name: String,
    pub actor_unit: Option<String>,
    /// Unix milliseconds.
    pub edited_at: i64,
}

/// One part of a plan changed by someone, stored with the commit that changed it.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    /// The top-level Y.Doc type: `section:<id>`, `tiltak`, `milestones`, `checklist`, `meta`.
    pub target: &'a str,
    pub actor: &'a Actor,
}

/// Upserts `rows` [`Edit`]s in one statement: `$1` plan, `$2` time, then per row its target,
/// actor id, name and unit. Both databases number `$n` parameters the same way. The targets of
/// one statement must differ (PostgreSQL updates a row at most once per statement).
pub(super) fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let at = 3 + row * 4;
            format!("($1, ${at}, ${}, ${}, ${}, $2)", at + 1, at + 2, at + 3)
        })
        .collect();
    format!(
        "INSERT INTO plan_activity (plan_id, target, actor_id, actor_name, actor_unit, edited_at)
         VALUES {}
         ON CONFLICT (plan_id, target) DO UPDATE SET actor_id = excluded.actor_id,
           actor_name = excluded.actor_name, actor_unit = excluded.actor_unit,
           edited_at = excluded.edited_at",
        values.join(", ")
    )
}

/// Most rows of one upsert statement: well under either database's limit of parameters.
pub(super) const UPSERT_ROWS: usize = 100;

/// Upserts each [`Edit`] of `$edits` (distinct targets) for plan `$plan` at `$now` inside the
/// open transaction `$tx`, on either database, in as few statements as the rows need (one for
/// a commit's usual handful): the last edits share the commit of the updates that made them.
macro_rules! upsert_edits {
    ($tx:expr, $plan:expr, $edits:expr, $now:expr) => {
        for rows in $edits.chunks($crate::storage::activity::UPSERT_ROWS) {
            let sql = $crate::storage::activity::upsert_sql(rows.len());
            let mut query = sqlx::query(&sql).bind($plan).bind($now);
            for edit in rows {
                query = query
                    .bind(edit.target)
                    .bind(&edit.actor.id)
                    .bind(&edit.actor.name)
                    .bind(edit.actor.unit.as_deref());
            }
            query.execute(&mut *$tx).await?;
        }
    };
}
pub(super) use upsert_edits;

/// The last edit of every part of a plan that has one, by target.
pub async fn last_edits(db: &Db, plan: PlanId) -> Result<HashMap<String, LastEdit>> {
    #[derive(FromRow)]
    struct Row {
        target: String,
        #[sqlx(flatten)]
        edit: LastEdit,
    }
    const SQL: &str = "SELECT target, actor_id, actor_name, actor_unit, edited_at
                       FROM plan_activity WHERE plan_id = $1";
    let rows: Vec<Row> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(plan.to_string()).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|r| (r.target, r.edit)).collect())
}
