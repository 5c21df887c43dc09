//! Plans: creating them (from a form, the API, the CLI or the demo), listing the ones a caller
//! may see, reading one for its page, and importing tiltak from a file.

use std::collections::{HashMap, HashSet};

use yrs::Transact;
use yrs::updates::decoder::Decode;

use super::{Error, PlanAccess, Principal, Result, Services};
use crate::access::{self, AccessPolicy};
use crate::demo;
use crate::document::{self, Completeness, PlanView};
use crate::plan::{NewPlan, PlanId, PlanMeta, PlanRecord, PlanRequest, PlanRequestError};
use crate::storage::Storage;
use crate::storage::accounts as store;
use crate::storage::activity::{self, LastEdit};
use crate::templates::{Template, TemplateRegistry};

impl From<PlanRequestError> for Error {
    fn from(e: PlanRequestError) -> Self {
        Error::invalid(e.field(), e.to_string())
    }
}

/// Creates a plan from a «Ny plan» request (form or API) for whoever asked, if they may: the plan
/// starts with its template's units, and a signed-in creator becomes its coordinator, all in one
/// transaction.
pub async fn create(
    services: &Services,
    principal: &Principal,
    request: &PlanRequest,
) -> Result<PlanRecord> {
    if !access::may_create_plans(&services.policy, principal.caller()) {
        return Err(Error::Forbidden(
            "only administrators may create plans".into(),
        ));
    }
    let (meta, template) = request.resolve(&services.templates)?;
    let coordinator = principal.user().map(|user| user.id.as_str());
    let record =
        create_from_template(services.storage.as_ref(), template, &meta, coordinator).await?;
    tracing::info!(plan = %record.id, "plan created");
    Ok(record)
}

/// Creates a plan from a request without anyone asking (the CLI): nobody becomes coordinator.
pub async fn create_unattended(
    storage: &dyn Storage,
    templates: &TemplateRegistry,
    request: &PlanRequest,
) -> Result<PlanRecord> {
    let (meta, template) = request.resolve(templates)?;
    create_from_template(storage, template, &meta, None).await
}

/// A plan's first stored update is the template's initial document; it starts with the
/// template's units (the coordinator adds and removes from there).
async fn create_from_template(
    storage: &dyn Storage,
    template: &Template,
    meta: &PlanMeta,
    coordinator: Option<&str>,
) -> Result<PlanRecord> {
    let initial = document::initial_update(template, meta);
    let units: Vec<&str> = template.units.iter().map(|u| u.name.as_str()).collect();
    create_with(
        storage,
        template,
        meta,
        &initial,
        &units,
        false,
        coordinator,
    )
    .await
}

async fn create_with(
    storage: &dyn Storage,
    template: &Template,
    meta: &PlanMeta,
    initial: &[u8],
    units: &[&str],
    is_demo: bool,
    coordinator: Option<&str>,
) -> Result<PlanRecord> {
    let plan = NewPlan {
        title: meta.title.clone(),
        bydel: meta.bydel.clone(),
        periode: meta.periode.clone(),
        template: template.key(),
        is_demo,
    };
    Ok(storage
        .create_plan_with_people(&plan, initial, units, coordinator)
        .await?)
}

/// Creates the demo plan unless the database already holds plans. Returns it when created.
pub async fn ensure_demo_plan(
    storage: &dyn Storage,
    templates: &TemplateRegistry,
) -> Result<Option<PlanRecord>> {
    if !storage.list_plans().await?.is_empty() {
        return Ok(None);
    }
    let template = templates.latest(demo::DEMO_TEMPLATE).ok_or_else(|| {
        Error::Internal(format!(
            "the demo plan's template {} is not loaded",
            demo::DEMO_TEMPLATE
        ))
    })?;
    let meta = demo::demo_meta();
    let initial = demo::demo_document(template, &meta)
        .map_err(|e| Error::Internal(format!("the built-in demo data is invalid: {e}")))?;
    let record = create_with(
        storage,
        template,
        &meta,
        &initial,
        demo::DEMO_UNITS,
        true,
        None,
    )
    .await?;
    Ok(Some(record))
}

/// The plans this caller may see: all for administrators (and under open editing), a member's
/// own otherwise.
pub async fn visible(services: &Services, principal: &Principal) -> Result<Vec<PlanRecord>> {
    let all = services.storage.list_plans().await?;
    if sees_all(&services.policy, principal) {
        return Ok(all);
    }
    let own: HashSet<PlanId> = match principal {
        Principal::User { user, .. } => store::plans_of(&services.storage.db(), &user.id)
            .await?
            .into_iter()
            .collect(),
        Principal::Token(token) => [token.plan_id].into(),
        Principal::Anonymous => HashSet::new(),
    };
    Ok(all.into_iter().filter(|p| own.contains(&p.id)).collect())
}

/// [`visible`] as the plan list shows them: archived plans only when asked for.
pub async fn listed(
    services: &Services,
    principal: &Principal,
    archived_too: bool,
) -> Result<Vec<PlanRecord>> {
    let mut plans = visible(services, principal).await?;
    if !archived_too {
        plans.retain(|plan| !plan.is_archived());
    }
    Ok(plans)
}

fn sees_all(policy: &AccessPolicy, principal: &Principal) -> bool {
    access::role_on_plan(policy, principal.caller(), None).is_some()
}

/// What the plan page shows besides the document: the plan's units, which unit answers for
/// which section, and who last changed each part.
pub struct PlanPeople {
    pub units: Vec<String>,
    pub section_units: HashMap<String, String>,
    pub last_edits: HashMap<String, LastEdit>,
}

/// The plan's current content and its people, for its page.
pub async fn page_content(
    services: &Services,
    access: &PlanAccess,
) -> Result<(PlanView, PlanPeople)> {
    let view = services
        .current_view(&access.record, &access.template)
        .await?;
    let db = services.storage.db();
    let plan = access.plan();
    let people = PlanPeople {
        units: store::list_units(&db, plan).await?,
        section_units: store::section_units(&db, plan).await?,
        last_edits: activity::last_edits(&db, plan).await?,
    };
    Ok((view, people))
}

/// What the plan still lacks before it goes to BU.
pub async fn completeness(services: &Services, access: &PlanAccess) -> Result<Completeness> {
    let view = services
        .current_view(&access.record, &access.template)
        .await?;
    let mut completeness = document::completeness(&view, &access.template);
    super::suggestions::add_to_completeness(services, access, &mut completeness).await?;
    Ok(completeness)
}

/// A plan and its template, read from the database without a server (the CLI).
pub async fn stored_plan<'t>(
    storage: &dyn Storage,
    templates: &'t TemplateRegistry,
    plan: PlanId,
) -> Result<(PlanRecord, &'t Template)> {
    let record = storage
        .get_plan(plan)
        .await?
        .ok_or_else(|| Error::NotFound(format!("plan {plan} does not exist")))?;
    let template = templates.get(&record.template).ok_or_else(|| {
        Error::Internal(format!(
            "the plan's template {} is not loaded",
            record.template
        ))
    })?;
    Ok((record, template))
}

/// Appends rows from an import file straight to the plan's log (the CLI, with no server
/// running or beside one: a server that has the plan open picks them up at its next commit;
/// one that has not loads them with the plan). Returns the plan and how many rows were added.
pub async fn import_tiltak(
    storage: &dyn Storage,
    templates: &TemplateRegistry,
    plan: PlanId,
    json: &str,
) -> Result<(PlanRecord, usize)> {
    let rows = demo::parse_tiltak_rows(json).map_err(|e| Error::invalid("tiltak", e))?;
    let (record, template) = stored_plan(storage, templates, plan).await?;
    if record.is_archived() {
        // An archived plan is read-only for everyone, the command line included.
        return Err(super::access::archived(record.id));
    }
    let doc = crate::room::load_document(&storage.load_document(plan).await?)?;
    let update = {
        let mut txn = doc.transact_mut();
        document::append_tiltak(&mut txn, template, &rows, document::RowOrigin::Imported)?;
        txn.encode_update_v1()
    };
    // Decoding our own update again guards the log against a bug here.
    yrs::Update::decode_v1(&update).map_err(|e| Error::Internal(e.to_string()))?;
    storage.append_updates(plan, &[update.as_slice()]).await?;
    Ok((record, rows.len()))
}
