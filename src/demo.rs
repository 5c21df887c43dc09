//! The demo plan a newcomer finds on first start.

use yrs::{Doc, Map, ReadTxn, StateVector, Transact};

use crate::plan::{NewPlan, PlanRecord};
use crate::storage::{Result, Storage};

pub const DEMO_TITLE: &str = "Eksempelplan – Bydel Nordstrand";

/// Creates the demo plan unless the database already holds plans. Returns it when created.
pub async fn ensure_demo_plan(storage: &dyn Storage) -> Result<Option<PlanRecord>> {
    if !storage.list_plans().await?.is_empty() {
        return Ok(None);
    }
    let plan = NewPlan {
        title: DEMO_TITLE.to_owned(),
        bydel: "Nordstrand".to_owned(),
        periode: "2025–2028".to_owned(),
        template: String::new(),
        is_demo: true,
    };
    let initial = initial_meta_update(&plan);
    storage.create_plan(&plan, &initial).await.map(Some)
}

/// The first update of a plan's document: its `meta` map.
pub fn initial_meta_update(plan: &NewPlan) -> Vec<u8> {
    let doc = Doc::new();
    let meta = doc.get_or_insert_map("meta");
    {
        let mut txn = doc.transact_mut();
        meta.insert(&mut txn, "title", plan.title.as_str());
        meta.insert(&mut txn, "bydel", plan.bydel.as_str());
        meta.insert(&mut txn, "periode", plan.periode.as_str());
        meta.insert(&mut txn, "template", plan.template.as_str());
        meta.insert(&mut txn, "status", "utkast");
    }
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}
