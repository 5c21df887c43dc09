//! Comment threads: opening, replying, editing, deleting, resolving and reopening, with who may
//! do which, and where each thread's anchor stands in the live document now. Every change is
//! announced on the [`CommentHub`] (and through it to other nodes).

mod hub;

use std::sync::Arc;

use uuid::Uuid;

pub use self::hub::{CommentHub, HubEvent};
use super::{Error, PlanAccess, Principal, Result, Services};
use crate::access::Action;
use crate::comments::{
    self, AnchorInput, AnchorStatus, CommentError, CommentJson, Thread, ThreadFilter, ThreadJson,
    anchor,
};
use crate::plan::PlanId;
use crate::storage::comments::{self as store, Deleted};
use crate::templates::Template;

impl From<CommentError> for Error {
    fn from(e: CommentError) -> Self {
        Error::invalid("comment", e.to_string())
    }
}

/// A thread or comment id from the URL: a UUID, written the way we store it.
fn parse_id(text: &str, what: &str) -> Result<String> {
    text.parse::<Uuid>()
        .map(|id| id.to_string())
        .map_err(|_| Error::Malformed(format!("malformed {what} id")))
}

fn thread_not_found() -> Error {
    Error::NotFound("Fant ikke kommentartråden.".into())
}

fn comment_not_found() -> Error {
    Error::NotFound("Fant ikke kommentaren.".into())
}

/// Threads with where their anchors stand in the live document now, in one read of it.
async fn with_anchors(
    services: &Services,
    plan: PlanId,
    template: &Template,
    threads: Vec<Thread>,
) -> Result<Vec<ThreadJson>> {
    if threads.is_empty() {
        return Ok(Vec::new());
    }
    let anchors: Vec<comments::Anchor> = threads.iter().map(|t| t.anchor.clone()).collect();
    let template = Arc::new(template.clone());
    let statuses = services
        .registry
        .read(plan, move |doc| {
            anchor::resolve_all(doc, &template, &anchors)
        })
        .await?;
    Ok(threads
        .iter()
        .zip(
            statuses
                .into_iter()
                .chain(std::iter::repeat(AnchorStatus::deleted())),
        )
        .map(|(thread, status)| ThreadJson::new(thread, status))
        .collect())
}

/// One thread of the plan as it stands now; `None` when the plan has no such thread.
pub async fn load_thread(
    services: &Services,
    plan: PlanId,
    template: &Template,
    id: &str,
) -> Result<Option<ThreadJson>> {
    let Some(thread) = store::thread(&services.storage.db(), plan, id).await? else {
        return Ok(None);
    };
    Ok(with_anchors(services, plan, template, vec![thread])
        .await?
        .pop())
}

/// The plan's threads that match `filter`.
pub async fn list(
    services: &Services,
    plan: PlanId,
    template: &Template,
    filter: &ThreadFilter,
) -> Result<Vec<ThreadJson>> {
    let threads = store::list_threads(&services.storage.db(), plan, filter).await?;
    with_anchors(services, plan, template, threads).await
}

/// A filter from a query string: `status`, `section`, `unit`.
pub fn filter_from_pairs(pairs: impl Iterator<Item = (String, String)>) -> Result<ThreadFilter> {
    let mut filter = ThreadFilter::default();
    for (key, value) in pairs {
        let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        match key.as_str() {
            "status" => filter.status = value.map(|v| v.parse()).transpose()?,
            "section" => filter.section = value,
            "unit" => filter.unit = value,
            _ => {}
        }
    }
    Ok(filter)
}

/// Opens a thread on a range of prose or a tiltak row.
pub async fn open(
    services: &Services,
    access: &PlanAccess,
    anchor: AnchorInput,
    body: &str,
) -> Result<ThreadJson> {
    access.require(Action::Comment)?;
    let body = comments::validate_body(body)?;
    let anchor = anchor.validate()?;
    let plan = access.plan();
    let template = Arc::new(access.template.clone());
    let checked = anchor.clone();
    let status = services
        .registry
        .read(plan, move |doc| {
            anchor::check_new_anchor(doc, &template, &checked)
        })
        .await??;
    let thread =
        store::create_thread(&services.storage.db(), plan, &anchor, &access.actor, &body).await?;
    services.comments.changed(plan, &thread.id).await;
    tracing::info!(thread = %thread.id, kind = anchor.kind(), "thread opened");
    Ok(ThreadJson::new(&thread, status))
}

pub async fn get(services: &Services, access: &PlanAccess, thread_id: &str) -> Result<ThreadJson> {
    access.require(Action::Read)?;
    let id = parse_id(thread_id, "thread")?;
    load_thread(services, access.plan(), &access.template, &id)
        .await?
        .ok_or_else(thread_not_found)
}

pub async fn reply(
    services: &Services,
    access: &PlanAccess,
    thread_id: &str,
    body: &str,
) -> Result<CommentJson> {
    access.require(Action::Comment)?;
    let thread = parse_id(thread_id, "thread")?;
    let body = comments::validate_body(body)?;
    let comment = store::add_comment(
        &services.storage.db(),
        access.plan(),
        &thread,
        &access.actor,
        &body,
    )
    .await?
    .ok_or_else(thread_not_found)?;
    services.comments.changed(access.plan(), &thread).await;
    Ok(CommentJson::from(&comment))
}

/// The ids of the caller's own comment: [`Error::NotFound`] when there is no such comment,
/// [`Error::Forbidden`] when it is someone else's.
async fn own_comment(
    services: &Services,
    access: &PlanAccess,
    thread_id: &str,
    comment_id: &str,
) -> Result<(String, String)> {
    access.require(Action::Comment)?;
    let thread = parse_id(thread_id, "thread")?;
    let comment = parse_id(comment_id, "comment")?;
    let existing = store::comment(&services.storage.db(), access.plan(), &thread, &comment)
        .await?
        .ok_or_else(comment_not_found)?;
    if existing.author.id != access.actor.id {
        return Err(Error::Forbidden(
            "Du kan bare endre og slette dine egne kommentarer.".into(),
        ));
    }
    Ok((thread, comment))
}

pub async fn edit(
    services: &Services,
    access: &PlanAccess,
    thread_id: &str,
    comment_id: &str,
    body: &str,
) -> Result<CommentJson> {
    let (thread, comment) = own_comment(services, access, thread_id, comment_id).await?;
    let body = comments::validate_body(body)?;
    let edited = store::edit_comment(
        &services.storage.db(),
        access.plan(),
        &thread,
        &comment,
        &body,
    )
    .await?
    .ok_or_else(comment_not_found)?;
    services.comments.changed(access.plan(), &thread).await;
    Ok(CommentJson::from(&edited))
}

/// Deletes the caller's own comment; a thread goes with its last comment.
pub async fn delete(
    services: &Services,
    access: &PlanAccess,
    thread_id: &str,
    comment_id: &str,
) -> Result<()> {
    let (thread, comment) = own_comment(services, access, thread_id, comment_id).await?;
    match store::delete_comment(&services.storage.db(), access.plan(), &thread, &comment).await? {
        Deleted::Nothing => return Err(comment_not_found()),
        Deleted::Comment => {}
        Deleted::Thread => tracing::info!(%thread, "thread deleted with its last comment"),
    }
    services.comments.changed(access.plan(), &thread).await;
    Ok(())
}

/// Resolves (`true`) or reopens a thread: coordinators may do it to any thread, everyone else
/// who may comment to their own.
pub async fn set_resolved(
    services: &Services,
    access: &PlanAccess,
    thread_id: &str,
    resolve: bool,
) -> Result<ThreadJson> {
    let id = parse_id(thread_id, "thread")?;
    let plan = access.plan();
    let thread = store::thread(&services.storage.db(), plan, &id)
        .await?
        .ok_or_else(thread_not_found)?;
    let own = thread.author.id == access.actor.id && access.may(Action::Comment);
    if !(own || access.may(Action::Moderate)) {
        return Err(Error::Forbidden(if resolve {
            "Bare koordinatoren eller den som startet tråden kan markere den som løst.".into()
        } else {
            "Bare koordinatoren eller den som startet tråden kan gjenåpne den.".into()
        }));
    }
    let by = resolve.then_some(&access.actor);
    if !store::set_resolved(&services.storage.db(), plan, &id, by).await? {
        return Err(thread_not_found());
    }
    if thread.resolved_at.is_some() != resolve {
        services.comments.changed(plan, &id).await;
    }
    load_thread(services, plan, &access.template, &id)
        .await?
        .ok_or_else(thread_not_found)
}

/// Whether `principal` may still read the plan's threads: the credential it signed in with
/// still works (session not ended, account active, token not revoked) and still gives a role
/// that may read the plan. A stream whose listener may not ends.
pub async fn may_still_read(services: &Services, principal: &Principal, plan: PlanId) -> bool {
    let credential = super::revocation::Credential::of(principal);
    let role =
        super::revocation::role_now(&services.storage.db(), &services.policy, &credential, plan)
            .await;
    match role {
        Ok(role) => role.is_some_and(|role| role.may(Action::Read)),
        Err(e) => {
            tracing::warn!(%plan, error = %e, "cannot re-check a comment stream's access");
            false
        }
    }
}
