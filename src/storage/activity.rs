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

/// Upserts one [`Edit`]: `$1` plan, `$2` target, `$3` actor id, `$4` name, `$5` unit, `$6` time.
/// Both databases number `$n` parameters the same way.
pub(super) const UPSERT: &str =
    "INSERT INTO plan_activity (plan_id, target, actor_id, actor_name, actor_unit, edited_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (plan_id, target) DO UPDATE SET actor_id = excluded.actor_id,
       actor_name = excluded.actor_name, actor_unit = excluded.actor_unit,
       edited_at = excluded.edited_at";

/// Upserts each [`Edit`] of `$edits` for plan `$plan` at `$now` inside the open transaction `$tx`,
/// on either database: the last edits share the commit of the updates that made them.
macro_rules! upsert_edits {
    ($tx:expr, $plan:expr, $edits:expr, $now:expr) => {
        for edit in $edits {
            sqlx::query($crate::storage::activity::UPSERT)
                .bind($plan)
                .bind(edit.target)
                .bind(&edit.actor.id)
                .bind(&edit.actor.name)
                .bind(edit.actor.unit.as_deref())
                .bind($now)
                .execute(&mut *$tx)
                .await?;
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
