//! Rullering: the next period's plan made by revising this one («Ny plan fra denne»).
//!
//! The source is what BU adopted when the plan has an adopted version (status `vedtatt`), else
//! the plan's current committed state: any plan may be rolled over, and an adopted one always
//! from its adopted text, whatever was edited after. The new plan has the same template
//! (`id@version`), bydel and units, the periode asked for and the title given (the old title
//! when none is), and status `utkast`. Its document is the template's initial document with
//! the old plan's content written into it by [`document::carry_over`]: structure, own
//! sections, checklist items and ticks, goals, key figures, every section's text, and each
//! tiltak by its disposition: `videreføres` (the default for a row not named) and `endres`
//! are carried with their ids and values, per-round status back to the template's default;
//! `avsluttes` rows are not. The `endres` rows are listed in the answer and kept with the new
//! plan (`previous_plan.revise` of `GET /api/plans/{id}`) so its editors know what to revise.
//! The earlier plan's section units come along; its members (role and unit) when asked.
//!
//! Who may: someone who may create plans (administrators) and is coordinator of the old plan.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::{Error, PlanAccess, Principal, Result, Services, plans};
use crate::access::{self, Role};
use crate::document::{self, PlanView, TiltakRow};
use crate::plan::{self, NewPlan, PlanId, PlanMeta, PlanRecord, VersionId};
use crate::storage::Rollover;
use crate::storage::accounts as store;
use crate::templates::{FieldType, Template};
use crate::version;

/// `POST /api/plans` with `from_plan`: the next plan from an earlier one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloverRequest {
    pub from_plan: String,
    #[serde(default)]
    pub periode: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Row id → `videreføres`, `endres` or `avsluttes`; rows not named are carried on.
    #[serde(default)]
    pub dispositions: BTreeMap<String, serde_json::Value>,
    /// Copy the old plan's members (role and unit).
    #[serde(default)]
    pub members: bool,
}

/// What happens to a tiltak in the next plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Disposition {
    #[serde(rename = "videreføres")]
    Videreføres,
    #[serde(rename = "endres")]
    Endres,
    #[serde(rename = "avsluttes")]
    Avsluttes,
}

impl Disposition {
    pub const ALL: [Disposition; 3] = [
        Disposition::Videreføres,
        Disposition::Endres,
        Disposition::Avsluttes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Videreføres => "videreføres",
            Disposition::Endres => "endres",
            Disposition::Avsluttes => "avsluttes",
        }
    }

    /// Bokmål label for the page.
    pub fn label(self) -> &'static str {
        match self {
            Disposition::Videreføres => "Videreføres",
            Disposition::Endres => "Endres",
            Disposition::Avsluttes => "Avsluttes",
        }
    }

    fn parse(value: &str) -> Option<Disposition> {
        Disposition::ALL
            .into_iter()
            .find(|d| d.as_str() == value.trim())
    }
}

/// The answer: the new plan's record (as plan creation answers) and what was carried.
#[derive(Debug, Clone, Serialize)]
pub struct RolledOver {
    #[serde(flatten)]
    pub plan: PlanRecord,
    pub rollover: RolloverSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct RolloverSummary {
    pub previous_plan: PlanId,
    /// The adopted version the content was taken from; `null` when it was the current state.
    pub source_version: Option<VersionId>,
    /// Row ids carried (the same ids in the new plan), in table order.
    pub carried: Vec<String>,
    /// Carried rows marked `endres`, to be revised.
    pub revise: Vec<String>,
    /// Rows not carried (`avsluttes`).
    pub ended: Vec<String>,
}

/// A linked plan, as the API and the page show it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLink {
    pub id: PlanId,
    pub title: String,
    pub periode: String,
}

/// The plan a plan was made from and the plans made from it, as far as the caller may see
/// them; `revise` lists the rows carried to be revised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Lineage {
    pub previous_plan: Option<PlanLink>,
    pub next_plans: Vec<PlanLink>,
    pub revise_rows: Vec<String>,
}

/// The caller may make the next plan from this one: may create plans and is its coordinator.
pub fn may_roll_over(services: &Services, access: &PlanAccess) -> bool {
    access::may_create_plans(&services.policy, access.principal.caller())
        && access.own_role == Role::Coordinator
}

fn require(services: &Services, access: &PlanAccess) -> Result<()> {
    if !access::may_create_plans(&services.policy, access.principal.caller()) {
        return Err(Error::Forbidden(
            "only administrators may create plans".into(),
        ));
    }
    if access.own_role != Role::Coordinator {
        return Err(Error::Forbidden(
            "only the plan's coordinator may make the next plan from it".into(),
        ));
    }
    Ok(())
}

/// The old plan's content the new one is made from: its adopted version, else its current
/// committed state.
async fn source_state(
    services: &Services,
    record: &PlanRecord,
) -> Result<(Vec<u8>, Option<VersionId>)> {
    if let Some(adopted) = &record.settings.adopted {
        let stored = services
            .storage
            .get_version(record.id, adopted.version)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "plan {} names adopted version {} it does not have",
                    record.id, adopted.version
                ))
            })?;
        return Ok((stored.state, Some(adopted.version)));
    }
    let state = services.registry.read(record.id, version::freeze).await?;
    Ok((state, None))
}

/// The old plan's content as plain data, for the review page.
pub struct Review {
    pub view: PlanView,
    pub source_version: Option<VersionId>,
}

/// What the review page shows: the source's content (see [`source_state`]).
pub async fn review(services: &Services, access: &PlanAccess) -> Result<Review> {
    require(services, access)?;
    let (state, source_version) = source_state(services, &access.record).await?;
    let template = access.template.clone();
    let view = tokio::task::spawn_blocking(move || {
        version::thaw(&state).map(|doc| document::plan_view(&doc, &template))
    })
    .await
    .map_err(|e| Error::Internal(format!("reading the plan failed: {e}")))?
    .map_err(|e| Error::Internal(format!("the plan's state does not decode: {e}")))?;
    Ok(Review {
        view,
        source_version,
    })
}

/// The dispositions by row id, checked against the source's rows: each names a row and a
/// known disposition, and there are no more than rows.
fn checked_dispositions(
    given: &BTreeMap<String, serde_json::Value>,
    rows: &[TiltakRow],
) -> Result<HashMap<String, Disposition>> {
    if given.len() > rows.len() {
        return Err(Error::invalid(
            "dispositions",
            format!(
                "dispositions names {} rows; the plan has {}",
                given.len(),
                rows.len()
            ),
        ));
    }
    let ids: HashSet<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let mut out = HashMap::with_capacity(given.len());
    for (id, value) in given {
        let shown: String = id.chars().take(64).collect();
        if id.is_empty() || !ids.contains(id.as_str()) {
            return Err(Error::invalid(
                "dispositions",
                format!("dispositions: the plan has no tiltak with id '{shown}'"),
            ));
        }
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let disposition = Disposition::parse(&text).ok_or_else(|| {
            Error::invalid(
                "dispositions",
                format!(
                    "dispositions: '{}' for tiltak {shown} is not a disposition; allowed: {}",
                    text.chars().take(64).collect::<String>(),
                    Disposition::ALL.map(Disposition::as_str).join(", ")
                ),
            )
        })?;
        out.insert(id.clone(), disposition);
    }
    Ok(out)
}

/// The new plan's first document and what became of each row.
struct Built {
    state: Vec<u8>,
    carried: Vec<String>,
    revise: Vec<String>,
    ended: Vec<String>,
}

fn build(
    source_state: &[u8],
    template: &Template,
    meta: &PlanMeta,
    dispositions: &BTreeMap<String, serde_json::Value>,
) -> Result<Built> {
    let source = version::thaw(source_state)
        .map_err(|e| Error::Internal(format!("the plan's state does not decode: {e}")))?;
    let source_txn = source.transact();
    let rows = document::read_tiltak(&source_txn, template);
    let dispositions = checked_dispositions(dispositions, &rows)?;
    let of = |id: &str| {
        dispositions
            .get(id)
            .copied()
            .unwrap_or(Disposition::Videreføres)
    };
    let doc = Doc::new();
    let carried = {
        let mut txn = doc.transact_mut();
        let initial = yrs::Update::decode_v1(&document::initial_update(template, meta))
            .map_err(|e| Error::Internal(e.to_string()))?;
        txn.apply_update(initial)
            .map_err(|e| Error::Internal(e.to_string()))?;
        document::carry_over(&source_txn, &mut txn, template, |id| {
            of(id) != Disposition::Avsluttes
        })
        .map_err(|e| {
            Error::Conflict(format!(
                "the plan's content cannot be carried to a new plan: {e}"
            ))
        })?
    };
    let revise = rows
        .iter()
        .filter(|row| of(&row.id) == Disposition::Endres)
        .map(|row| row.id.clone())
        .collect();
    let ended = rows
        .iter()
        .filter(|row| of(&row.id) == Disposition::Avsluttes)
        .map(|row| row.id.clone())
        .collect();
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    Ok(Built {
        state,
        carried,
        revise,
        ended,
    })
}

/// Makes the next plan from `request.from_plan` (see the module docs).
pub async fn create(
    services: &Services,
    principal: &Principal,
    request: &RolloverRequest,
) -> Result<RolledOver> {
    if !access::may_create_plans(&services.policy, principal.caller()) {
        return Err(Error::Forbidden(
            "only administrators may create plans".into(),
        ));
    }
    let from: PlanId = request
        .from_plan
        .trim()
        .parse()
        .map_err(|e: plan::InvalidPlanId| Error::invalid("from_plan", format!("from_plan: {e}")))?;
    let access = PlanAccess::resolve(services, principal.clone(), &from.to_string()).await?;
    create_from(services, &access, request).await
}

/// [`create`] for a plan the caller's access is resolved to (the page).
pub async fn create_from(
    services: &Services,
    access: &PlanAccess,
    request: &RolloverRequest,
) -> Result<RolledOver> {
    require(services, access)?;
    let old = &access.record;
    let periode = plan::checked_periode(&request.periode)?;
    let title = match &request.title {
        Some(title) if !title.trim().is_empty() => plan::checked_title(title)?,
        _ => old.title.clone(),
    };
    let meta = PlanMeta {
        title,
        bydel: old.bydel.clone(),
        periode,
        status: String::new(),
    };
    let (state, source_version) = source_state(services, old).await?;
    let template = access.template.clone();
    let dispositions = request.dispositions.clone();
    let built_meta = meta.clone();
    let built =
        tokio::task::spawn_blocking(move || build(&state, &template, &built_meta, &dispositions))
            .await
            .map_err(|e| Error::Internal(format!("building the new plan failed: {e}")))??;

    let units = store::list_units(&services.storage.db(), old.id).await?;
    let units: Vec<&str> = units.iter().map(String::as_str).collect();
    let new_plan = NewPlan {
        title: meta.title.clone(),
        bydel: meta.bydel.clone(),
        periode: meta.periode.clone(),
        template: access.template.key(),
        is_demo: false,
    };
    let coordinator = access.principal.user().map(|user| user.id.as_str());
    let record = services
        .storage
        .create_rolled_over_plan(
            &new_plan,
            &built.state,
            &units,
            coordinator,
            &Rollover {
                previous: old.id,
                revise: &built.revise,
                members: request.members,
            },
        )
        .await?;
    tracing::info!(plan = %record.id, previous = %old.id, "plan rolled over");
    Ok(RolledOver {
        plan: record,
        rollover: RolloverSummary {
            previous_plan: old.id,
            source_version,
            carried: built.carried,
            revise: built.revise,
            ended: built.ended,
        },
    })
}

/// The plan's lineage as the caller may see it: a linked plan the caller may not see is left
/// out (its title is not theirs to read).
pub async fn lineage(services: &Services, access: &PlanAccess) -> Result<Lineage> {
    let stored = services.storage.plan_lineage(access.plan()).await?;
    if stored.previous.is_none() && stored.next.is_empty() && stored.revise.is_empty() {
        return Ok(Lineage::default());
    }
    let visible: HashMap<PlanId, PlanRecord> = plans::visible(services, &access.principal)
        .await?
        .into_iter()
        .map(|record| (record.id, record))
        .collect();
    let link = |id: &PlanId| {
        visible.get(id).map(|record| PlanLink {
            id: record.id,
            title: record.title.clone(),
            periode: record.periode.clone(),
        })
    };
    Ok(Lineage {
        previous_plan: stored.previous.as_ref().and_then(link),
        next_plans: stored.next.iter().filter_map(link).collect(),
        revise_rows: stored.revise,
    })
}

/// The field naming who answers for a row (the template's `responsible_field`, else its first
/// `unit` field), for the review table.
pub fn responsible_field(template: &Template) -> Option<&crate::templates::FieldSchema> {
    template.responsible_field().or_else(|| {
        template
            .tiltak
            .fields
            .iter()
            .find(|field| field.field_type == FieldType::Unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_are_parsed_exactly() {
        assert_eq!(Disposition::parse(" endres "), Some(Disposition::Endres));
        assert_eq!(
            Disposition::parse("videreføres"),
            Some(Disposition::Videreføres)
        );
        assert_eq!(Disposition::parse("slett"), None);
        assert_eq!(Disposition::parse(""), None);
    }
}
