//! Suggestions: proposing, listing, accepting and rejecting, with who may do which.
//!
//! Whoever may comment may propose (advisers included); only someone who may edit may decide,
//! and an editor only in a section whose responsible unit is theirs (or a section with none);
//! the coordinator everywhere. The author may withdraw (reject) their own. Accepting applies the
//! suggestion through the plan's room as an edit of the one who accepts (committed, relayed,
//! credited to them in the update log), and the suggestion records both its author and who
//! decided. Every change is announced on the [`super::CommentHub`], so open plan pages on every
//! node receive it with the comment threads.

use std::sync::Arc;

use uuid::Uuid;

use super::{Error, PlanAccess, Result, Services};
use crate::access::{Action, Role};
use crate::document::{self, Completeness, OpenSuggestions};
use crate::plan::PlanId;
use crate::storage::suggestions as store;
use crate::suggestions::{
    self, ApplyError, Standing, Suggestion, SuggestionError, SuggestionFilter, SuggestionInput,
    SuggestionJson, SuggestionStatus, apply,
};
use crate::templates::Template;

impl From<SuggestionError> for Error {
    fn from(e: SuggestionError) -> Self {
        let field = e.field();
        Error::invalid(field, format!("{field}: {e}"))
    }
}

impl From<ApplyError> for Error {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Invalid(e) => e.into(),
            ApplyError::Document(e) => e.into(),
            ApplyError::Stale | ApplyError::Gone => Error::Conflict(e.to_string()),
        }
    }
}

fn not_found() -> Error {
    Error::NotFound("Fant ikke forslaget.".into())
}

/// A suggestion id from the URL: a UUID, written the way we store it.
fn parse_id(text: &str) -> Result<String> {
    text.parse::<Uuid>()
        .map(|id| id.to_string())
        .map_err(|_| Error::Malformed("malformed suggestion id".into()))
}

/// Suggestions with where they stand in the live document now, in one read of it.
async fn with_standing(
    services: &Services,
    plan: PlanId,
    template: &Template,
    list: Vec<Suggestion>,
) -> Result<Vec<SuggestionJson>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let template = Arc::new(template.clone());
    let for_read = list.clone();
    let standings = services
        .registry
        .read(plan, move |doc| {
            apply::standing_all(doc, &template, &for_read)
        })
        .await?;
    Ok(list
        .iter()
        .zip(
            standings
                .into_iter()
                .chain(std::iter::repeat_with(|| Standing {
                    gone: true,
                    ..Standing::default()
                })),
        )
        .map(|(suggestion, standing)| SuggestionJson::new(suggestion, standing))
        .collect())
}

/// One suggestion of the plan as it stands now; `None` when the plan has none with this id.
pub async fn load(
    services: &Services,
    plan: PlanId,
    template: &Template,
    id: &str,
) -> Result<Option<SuggestionJson>> {
    let Some(suggestion) = store::get(&services.storage.db(), plan, id).await? else {
        return Ok(None);
    };
    Ok(with_standing(services, plan, template, vec![suggestion])
        .await?
        .pop())
}

/// The plan's suggestions that match `filter`, oldest first.
pub async fn list(
    services: &Services,
    plan: PlanId,
    template: &Template,
    filter: &SuggestionFilter,
) -> Result<Vec<SuggestionJson>> {
    let all = store::list(&services.storage.db(), plan, filter).await?;
    with_standing(services, plan, template, all).await
}

/// A filter from a query string: `status`.
pub fn filter_from_pairs(
    pairs: impl Iterator<Item = (String, String)>,
) -> Result<SuggestionFilter> {
    let mut filter = SuggestionFilter::default();
    for (key, value) in pairs {
        let value = value.trim();
        if key == "status" && !value.is_empty() {
            filter.status = Some(value.parse()?);
        }
    }
    Ok(filter)
}

/// How many suggestions of the plan are open (for completeness and freezing).
pub async fn count_open(services: &Services, plan: PlanId) -> Result<i64> {
    Ok(store::count_open(&services.storage.db(), plan).await?)
}

/// Adds the plan's open suggestions, per section in the plan's order, to its completeness: a
/// version frozen now would leave them behind, so the plan is not complete while any is open.
pub async fn add_to_completeness(
    services: &Services,
    access: &PlanAccess,
    completeness: &mut Completeness,
) -> Result<()> {
    let filter = SuggestionFilter {
        status: Some(SuggestionStatus::Open),
    };
    let open = list(services, access.plan(), &access.template, &filter).await?;
    if open.is_empty() {
        return Ok(());
    }
    let template = Arc::new(access.template.clone());
    let structure = services
        .registry
        .read(access.plan(), move |doc| {
            document::plan_structure(&yrs::Transact::transact(doc), &template)
        })
        .await?;
    let mut sections: Vec<OpenSuggestions> = Vec::new();
    for suggestion in &open {
        match sections
            .iter_mut()
            .find(|s| s.id.as_deref() == suggestion.section.as_deref())
        {
            Some(known) => known.count += 1,
            None => {
                let found = suggestion
                    .section
                    .as_deref()
                    .and_then(|id| document::structure::find(&structure, id));
                sections.push(OpenSuggestions {
                    id: suggestion.section.clone(),
                    heading: found
                        .map(|s| s.heading.clone())
                        .unwrap_or_else(|| "Tiltak".into()),
                    number: found.map(|s| s.number.clone()).unwrap_or_default(),
                    count: 1,
                });
            }
        }
    }
    // The plan's order: sections by where they come in it, rows in no section last.
    let order: Vec<String> = document::structure::flatten(&structure)
        .iter()
        .map(|s| s.id.clone())
        .collect();
    sections.sort_by_key(|s| {
        s.id.as_ref()
            .and_then(|id| order.iter().position(|o| o == id))
            .unwrap_or(usize::MAX)
    });
    completeness.counts.open_suggestions = open.len();
    completeness.open_suggestions = sections;
    completeness.complete = false;
    Ok(())
}

/// Proposes a change: whoever may comment may.
pub async fn create(
    services: &Services,
    access: &PlanAccess,
    input: SuggestionInput,
) -> Result<SuggestionJson> {
    access.require(Action::Comment)?;
    let input = input.validate()?;
    let plan = access.plan();
    let template = Arc::new(access.template.clone());
    let proposal = services
        .registry
        .read(plan, move |doc| apply::check_new(doc, &template, input))
        .await??;
    let suggestion = store::create(&services.storage.db(), plan, &proposal, &access.actor).await?;
    services
        .comments
        .suggestion_changed(plan, &suggestion.id)
        .await;
    tracing::info!(suggestion = %suggestion.id, kind = proposal.kind(), "suggestion made");
    load(services, plan, &access.template, &suggestion.id)
        .await?
        .ok_or_else(not_found)
}

pub async fn get(services: &Services, access: &PlanAccess, id: &str) -> Result<SuggestionJson> {
    access.require(Action::Read)?;
    let id = parse_id(id)?;
    load(services, access.plan(), &access.template, &id)
        .await?
        .ok_or_else(not_found)
}

/// An open suggestion of the plan and where it stands.
async fn open_one(
    services: &Services,
    access: &PlanAccess,
    id: &str,
) -> Result<(Suggestion, SuggestionJson)> {
    let id = parse_id(id)?;
    let suggestion = store::get(&services.storage.db(), access.plan(), &id)
        .await?
        .ok_or_else(not_found)?;
    let json = with_standing(
        services,
        access.plan(),
        &access.template,
        vec![suggestion.clone()],
    )
    .await?
    .pop()
    .ok_or_else(not_found)?;
    if suggestion.status != SuggestionStatus::Open {
        return Err(already_decided(suggestion.status));
    }
    Ok((suggestion, json))
}

fn already_decided(status: SuggestionStatus) -> Error {
    Error::Conflict(match status {
        SuggestionStatus::Accepted => "Forslaget er allerede godtatt.".into(),
        _ => "Forslaget er allerede avvist.".into(),
    })
}

/// Refuses unless the caller may decide suggestions in `section`: the coordinator, or an editor
/// whose unit is the section's responsible unit (any editor where no unit is responsible).
async fn require_decider(
    services: &Services,
    access: &PlanAccess,
    section: Option<&str>,
) -> Result<()> {
    access.require(Action::Edit)?;
    if access.role == Role::Coordinator {
        return Ok(());
    }
    let Some(section) = section else {
        return Ok(());
    };
    let units =
        crate::storage::accounts::section_units(&services.storage.db(), access.plan()).await?;
    match units.get(section) {
        Some(unit) if access.actor.unit.as_deref() != Some(unit.as_str()) => {
            Err(Error::Forbidden(format!(
                "Bare redaktører for {unit} og koordinatoren kan godta eller avvise forslag i denne delen av planen."
            )))
        }
        _ => Ok(()),
    }
}

/// Accepts a suggestion: applies it through the plan's room as the caller's edit. An out-of-date
/// one needs `confirm_stale` (else [`Error::Conflict`]); one whose text or row is gone cannot be
/// accepted.
pub async fn accept(
    services: &Services,
    access: &PlanAccess,
    id: &str,
    confirm_stale: bool,
) -> Result<SuggestionJson> {
    access.require(Action::Edit)?;
    let (suggestion, standing) = open_one(services, access, id).await?;
    require_decider(services, access, standing.section.as_deref()).await?;
    if standing.gone {
        return Err(ApplyError::Gone.into());
    }
    if standing.stale && !confirm_stale {
        return Err(ApplyError::Stale.into());
    }
    let plan = access.plan();
    let db = services.storage.db();
    // Decided first, so that nobody applies it twice; opened again if it cannot be applied.
    if !store::decide(
        &db,
        plan,
        &suggestion.id,
        SuggestionStatus::Accepted,
        &access.actor,
        None,
    )
    .await?
    {
        return Err(Error::Conflict(
            "Forslaget er allerede godtatt eller avvist.".into(),
        ));
    }
    let template = access.template.clone();
    let proposal = suggestion.proposal.clone();
    let applied = services
        .registry
        .edit_as(plan, Some(Arc::new(access.actor.clone())), move |txn| {
            apply::apply(txn, &template, &proposal, confirm_stale)
        })
        .await;
    let applied = match applied {
        Ok(Ok(applied)) => applied,
        Ok(Err(e)) => return Err(reopen(&db, plan, &suggestion.id, e.into()).await),
        Err(e) => return Err(reopen(&db, plan, &suggestion.id, e.into()).await),
    };
    services
        .comments
        .suggestion_changed(plan, &suggestion.id)
        .await;
    tracing::info!(suggestion = %suggestion.id, kind = suggestion.proposal.kind(),
        new_row = applied.row.as_deref().unwrap_or(""), "suggestion accepted");
    load(services, plan, &access.template, &suggestion.id)
        .await?
        .ok_or_else(not_found)
}

/// Opens a suggestion again whose acceptance was not applied; returns why it was not.
async fn reopen(db: &crate::storage::Db, plan: PlanId, id: &str, why: Error) -> Error {
    if let Err(e) = store::undecide(db, plan, id).await {
        tracing::error!(suggestion = %id, error = %e,
            "an acceptance that was not applied could not be undone");
    }
    why
}

/// Rejects a suggestion, with an optional reason. Deciders as for [`accept`]; the author may
/// also withdraw their own.
pub async fn reject(
    services: &Services,
    access: &PlanAccess,
    id: &str,
    reason: Option<&str>,
) -> Result<SuggestionJson> {
    access.require(Action::Comment)?;
    let reason = suggestions::validate_reason(reason)?;
    let (suggestion, standing) = open_one(services, access, id).await?;
    if suggestion.author.id != access.actor.id {
        require_decider(services, access, standing.section.as_deref()).await?;
    }
    let plan = access.plan();
    if !store::decide(
        &services.storage.db(),
        plan,
        &suggestion.id,
        SuggestionStatus::Rejected,
        &access.actor,
        reason.as_deref(),
    )
    .await?
    {
        return Err(Error::Conflict(
            "Forslaget er allerede godtatt eller avvist.".into(),
        ));
    }
    services
        .comments
        .suggestion_changed(plan, &suggestion.id)
        .await;
    tracing::info!(suggestion = %suggestion.id, "suggestion rejected");
    load(services, plan, &access.template, &suggestion.id)
        .await?
        .ok_or_else(not_found)
}
