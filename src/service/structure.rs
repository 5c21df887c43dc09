//! The plan's own shape and goals: the coordinator renames, adds, sets aside and removes
//! sections, adds checklist items and keeps the plan's goals ([`Action::Shape`]). Every change
//! is an edit of the live document, so open browsers see it at once.

use super::{Error, PlanAccess, Result, Services, edit_document};
use crate::access::Action;
use crate::document::{
    self, DocumentError, Goal, GoalInput, NewChecklistItem, SectionPatch, read_goals,
};
use crate::templates::SectionKind;

/// Runs one validated change of the plan's shape as the caller (the coordinator).
async fn shape<T, F>(services: &Services, access: &PlanAccess, change: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut yrs::TransactionMut, &crate::templates::Template) -> Result<T, DocumentError>
        + Clone
        + Send
        + 'static,
{
    edit_document(services, access, Action::Shape, change).await
}

/// A new section the plan adds.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSection {
    /// The chapter it goes under; "" or absent for the top level.
    #[serde(default)]
    pub parent: String,
    pub heading: String,
    /// `prose` or `appendix`.
    pub kind: String,
}

/// Adds a section and returns its id.
pub async fn add_section(
    services: &Services,
    access: &PlanAccess,
    new: NewSection,
) -> Result<String> {
    let kind = match new.kind.as_str() {
        "prose" => SectionKind::Prose,
        "appendix" => SectionKind::Appendix,
        other => {
            return Err(Error::invalid(
                "kind",
                format!("`{other}` is not a kind a plan can add; use prose or appendix"),
            ));
        }
    };
    shape(services, access, move |txn, template| {
        document::add_local_section(txn, template, &new.parent, &new.heading, kind)
    })
    .await
}

/// Renames a section, sets it in use or not, or moves one of the plan's own.
pub async fn patch_section(
    services: &Services,
    access: &PlanAccess,
    id: &str,
    patch: SectionPatch,
) -> Result<()> {
    let id = id.to_owned();
    shape(services, access, move |txn, template| {
        document::patch_section(txn, template, &id, &patch)
    })
    .await
}

/// Removes one of the plan's own sections.
pub async fn delete_section(services: &Services, access: &PlanAccess, id: &str) -> Result<()> {
    let id = id.to_owned();
    shape(services, access, move |txn, template| {
        document::delete_local_section(txn, template, &id)
    })
    .await
}

/// Adds an item to a checklist of the plan; returns its id.
pub async fn add_checklist_item(
    services: &Services,
    access: &PlanAccess,
    section: &str,
    item: NewChecklistItem,
) -> Result<String> {
    let section = section.to_owned();
    shape(services, access, move |txn, template| {
        document::add_checklist_item(txn, template, &section, &item)
    })
    .await
}

/// The plan's goals (anyone who may read the current plan).
pub async fn goals(services: &Services, access: &PlanAccess) -> Result<Vec<Goal>> {
    Ok(services
        .registry
        .read(access.plan(), |doc| {
            use yrs::Transact;
            read_goals(&doc.transact())
        })
        .await?)
}

pub async fn add_goal(
    services: &Services,
    access: &PlanAccess,
    input: GoalInput,
) -> Result<String> {
    shape(services, access, move |txn, template| {
        document::add_goal(txn, template, &input)
    })
    .await
}

pub async fn patch_goal(
    services: &Services,
    access: &PlanAccess,
    id: &str,
    input: GoalInput,
) -> Result<Goal> {
    let id = id.to_owned();
    shape(services, access, move |txn, template| {
        document::patch_goal(txn, template, &id, &input)?;
        read_goals(txn)
            .into_iter()
            .find(|goal| goal.id == id)
            .ok_or(DocumentError::UnknownGoal { id })
    })
    .await
}

pub async fn delete_goal(services: &Services, access: &PlanAccess, id: &str) -> Result<()> {
    let id = id.to_owned();
    shape(services, access, move |txn, template| {
        document::delete_goal(txn, template, &id)
    })
    .await
}
