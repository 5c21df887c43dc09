//! Comment threads over HTTP (see [`crate::comments`]):
//!
//! - `GET /api/plans/{plan_id}/threads?status=open|resolved&section=<id>&unit=<unit>`: the
//!   plan's threads, oldest first;
//! - `POST /api/plans/{plan_id}/threads` `{"anchor": {…}, "body": "…"}`: opens a thread (201);
//! - `GET /api/plans/{plan_id}/threads/{thread_id}`: one thread;
//! - `POST …/threads/{thread_id}/comments` `{"body"}`: a reply (201);
//! - `PATCH`/`DELETE …/threads/{thread_id}/comments/{comment_id}`: one's own comment only;
//!   deleting a thread's last comment deletes the thread;
//! - `POST …/threads/{thread_id}/resolve` and `/reopen`: coordinators, or the thread's author;
//! - `GET /api/plans/{plan_id}/threads/events`: server-sent events, `thread` with the full
//!   thread after any change and `thread_deleted` with `{"id"}`.
//!
//! Every reader of the plan reads threads; commenting takes [`Action::Comment`]. Thread and
//! comment ids are looked up within the plan of the URL only, so another plan's ids are 404.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, patch, post};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::api::parse_json;
use super::{AppState, HttpError};
use crate::access::Action;
use crate::auth::PlanAccess;
use crate::comments::{
    self, AnchorInput, AnchorStatus, CommentError, CommentJson, HubEvent, Thread, ThreadFilter,
    ThreadJson, anchor, store,
};
use crate::plan::PlanId;
use crate::templates::Template;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/plans/{plan_id}/threads",
            get(list_threads).post(create_thread),
        )
        .route("/api/plans/{plan_id}/threads/events", get(thread_events))
        .route("/api/plans/{plan_id}/threads/{thread_id}", get(get_thread))
        .route(
            "/api/plans/{plan_id}/threads/{thread_id}/comments",
            post(add_comment),
        )
        .route(
            "/api/plans/{plan_id}/threads/{thread_id}/comments/{comment_id}",
            patch(edit_comment).delete(delete_comment),
        )
        .route(
            "/api/plans/{plan_id}/threads/{thread_id}/resolve",
            post(resolve_thread),
        )
        .route(
            "/api/plans/{plan_id}/threads/{thread_id}/reopen",
            post(reopen_thread),
        )
}

impl From<CommentError> for HttpError {
    fn from(e: CommentError) -> Self {
        HttpError::Unprocessable(e.to_string())
    }
}

#[derive(Deserialize)]
struct NewThread {
    anchor: AnchorInput,
    body: String,
}

#[derive(Deserialize)]
struct CommentBody {
    body: String,
}

/// A thread or comment id from the URL: a UUID, written the way we store it.
fn parse_id(text: &str, what: &str) -> Result<String, HttpError> {
    text.parse::<Uuid>()
        .map(|id| id.to_string())
        .map_err(|_| HttpError::BadRequest(format!("malformed {what} id")))
}

fn thread_not_found() -> HttpError {
    HttpError::NotFound("Fant ikke kommentartråden.".into())
}

fn comment_not_found() -> HttpError {
    HttpError::NotFound("Fant ikke kommentaren.".into())
}

/// Threads with where their anchors stand in the live document now, in one read of it.
async fn with_anchors(
    state: &AppState,
    plan: PlanId,
    template: &Template,
    threads: Vec<Thread>,
) -> Result<Vec<ThreadJson>, HttpError> {
    if threads.is_empty() {
        return Ok(Vec::new());
    }
    let anchors: Vec<comments::Anchor> = threads.iter().map(|t| t.anchor.clone()).collect();
    let template = Arc::new(template.clone());
    let statuses = state
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

/// One thread of the plan as the API shows it; `None` when the plan has no such thread.
async fn load_thread(
    state: &AppState,
    plan: PlanId,
    template: &Template,
    id: &str,
) -> Result<Option<ThreadJson>, HttpError> {
    let Some(thread) = store::thread(&state.storage.db(), plan, id).await? else {
        return Ok(None);
    };
    Ok(with_anchors(state, plan, template, vec![thread])
        .await?
        .pop())
}

/// The thread of the URL, or 404.
async fn existing_thread(
    state: &AppState,
    access: &PlanAccess,
    id: &str,
) -> Result<Thread, HttpError> {
    store::thread(&state.storage.db(), access.plan(), id)
        .await?
        .ok_or_else(thread_not_found)
}

fn filter_from_query(query: Option<&str>) -> Result<ThreadFilter, HttpError> {
    let mut filter = ThreadFilter::default();
    for (key, value) in crate::auth::form_urlencoded_pairs(query.unwrap_or_default()) {
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

async fn list_threads(
    State(state): State<AppState>,
    access: PlanAccess,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ThreadJson>>, HttpError> {
    access.require(Action::Read)?;
    let filter = filter_from_query(query.as_deref())?;
    let threads = store::list_threads(&state.storage.db(), access.plan(), &filter).await?;
    Ok(Json(
        with_anchors(&state, access.plan(), &access.template, threads).await?,
    ))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn create_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Comment)?;
    let request: NewThread = parse_json(&body)?;
    let body = comments::validate_body(&request.body)?;
    let anchor = request.anchor.validate()?;
    let plan = access.plan();
    let template = Arc::new(access.template.clone());
    let checked = anchor.clone();
    let status = state
        .registry
        .read(plan, move |doc| {
            anchor::check_new_anchor(doc, &template, &checked)
        })
        .await??;
    let thread =
        store::create_thread(&state.storage.db(), plan, &anchor, &access.actor, &body).await?;
    state.comments.changed(plan, &thread.id).await;
    tracing::info!(thread = %thread.id, kind = anchor.kind(), "thread opened");
    Ok((StatusCode::CREATED, Json(ThreadJson::new(&thread, status))))
}

async fn get_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadJson>, HttpError> {
    access.require(Action::Read)?;
    let id = parse_id(&thread_id, "thread")?;
    load_thread(&state, access.plan(), &access.template, &id)
        .await?
        .map(Json)
        .ok_or_else(thread_not_found)
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn add_comment(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Comment)?;
    let thread = parse_id(&thread_id, "thread")?;
    let request: CommentBody = parse_json(&body)?;
    let body = comments::validate_body(&request.body)?;
    let comment = store::add_comment(
        &state.storage.db(),
        access.plan(),
        &thread,
        &access.actor,
        &body,
    )
    .await?
    .ok_or_else(thread_not_found)?;
    state.comments.changed(access.plan(), &thread).await;
    Ok((StatusCode::CREATED, Json(CommentJson::from(&comment))))
}

/// The comment of the URL if the caller wrote it: 404 when there is no such comment, 403 when
/// it is someone else's.
async fn own_comment(
    state: &AppState,
    access: &PlanAccess,
    thread: &str,
    comment: &str,
) -> Result<(), HttpError> {
    let existing = store::comment(&state.storage.db(), access.plan(), thread, comment)
        .await?
        .ok_or_else(comment_not_found)?;
    if existing.author.id != access.actor.id {
        return Err(HttpError::Forbidden(
            "Du kan bare endre og slette dine egne kommentarer.".into(),
        ));
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn edit_comment(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id, comment_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<CommentJson>, HttpError> {
    access.require(Action::Comment)?;
    let thread = parse_id(&thread_id, "thread")?;
    let comment = parse_id(&comment_id, "comment")?;
    own_comment(&state, &access, &thread, &comment).await?;
    let request: CommentBody = parse_json(&body)?;
    let body = comments::validate_body(&request.body)?;
    let edited = store::edit_comment(&state.storage.db(), access.plan(), &thread, &comment, &body)
        .await?
        .ok_or_else(comment_not_found)?;
    state.comments.changed(access.plan(), &thread).await;
    Ok(Json(CommentJson::from(&edited)))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn delete_comment(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id, comment_id)): Path<(String, String, String)>,
) -> Result<StatusCode, HttpError> {
    access.require(Action::Comment)?;
    let thread = parse_id(&thread_id, "thread")?;
    let comment = parse_id(&comment_id, "comment")?;
    own_comment(&state, &access, &thread, &comment).await?;
    match store::delete_comment(&state.storage.db(), access.plan(), &thread, &comment).await? {
        store::Deleted::Nothing => return Err(comment_not_found()),
        store::Deleted::Comment => {}
        store::Deleted::Thread => tracing::info!(%thread, "thread deleted with its last comment"),
    }
    state.comments.changed(access.plan(), &thread).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Resolves (`Some`) or reopens a thread: coordinators may do it to any thread, everyone else
/// who may comment to their own.
async fn set_resolved(
    state: &AppState,
    access: &PlanAccess,
    thread_id: &str,
    resolve: bool,
) -> Result<Json<ThreadJson>, HttpError> {
    let id = parse_id(thread_id, "thread")?;
    let thread = existing_thread(state, access, &id).await?;
    let own = thread.author.id == access.actor.id && access.may(Action::Comment);
    if !(own || access.may(Action::Moderate)) {
        return Err(HttpError::Forbidden(if resolve {
            "Bare koordinatoren eller den som startet tråden kan markere den som løst.".into()
        } else {
            "Bare koordinatoren eller den som startet tråden kan gjenåpne den.".into()
        }));
    }
    let plan = access.plan();
    let by = resolve.then_some(&access.actor);
    if !store::set_resolved(&state.storage.db(), plan, &id, by).await? {
        return Err(thread_not_found());
    }
    if thread.resolved_at.is_some() != resolve {
        state.comments.changed(plan, &id).await;
    }
    load_thread(state, plan, &access.template, &id)
        .await?
        .map(Json)
        .ok_or_else(thread_not_found)
}

async fn resolve_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadJson>, HttpError> {
    set_resolved(&state, &access, &thread_id, true).await
}

async fn reopen_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadJson>, HttpError> {
    set_resolved(&state, &access, &thread_id, false).await
}

/// The state of one event stream.
struct Listener {
    state: AppState,
    /// Who listens: checked again before each event, so someone removed from the plan stops
    /// receiving its threads.
    principal: crate::auth::Principal,
    plan: PlanId,
    template: Template,
    events: broadcast::Receiver<HubEvent>,
    closing: CancellationToken,
    pending: VecDeque<Event>,
}

impl Listener {
    /// The next event to send; `None` ends the stream (the server is shutting down).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return self.still_allowed().await.then_some(event);
            }
            let received = tokio::select! {
                _ = self.closing.cancelled() => return None,
                received = self.events.recv() => received,
            };
            let outcome = match received {
                Ok(HubEvent::Thread(id)) => self.thread_changed(&id).await,
                // Changes were missed: send every thread as it is now.
                Ok(HubEvent::Resync) | Err(RecvError::Lagged(_)) => self.everything().await,
                Err(RecvError::Closed) => return None,
            };
            if let Err(e) = outcome {
                tracing::warn!(plan = %self.plan, error = %e, "comment event not sent");
            }
        }
    }

    /// Whether the listener may still read the plan (a member removed, or a plan deleted, ends
    /// the stream).
    async fn still_allowed(&self) -> bool {
        let allowed = crate::auth::PlanMember::resolve(
            &self.state,
            self.principal.clone(),
            &self.plan.to_string(),
        )
        .await
        .is_ok_and(|member| member.role.may(Action::Read));
        if !allowed {
            tracing::info!(plan = %self.plan, "comment stream ended: no longer a member");
        }
        allowed
    }

    async fn thread_changed(&mut self, id: &str) -> Result<(), HttpError> {
        let event = match load_thread(&self.state, self.plan, &self.template, id).await? {
            Some(thread) => thread_event(&thread)?,
            None => Event::default()
                .event("thread_deleted")
                .json_data(serde_json::json!({ "id": id }))
                .map_err(|e| HttpError::Internal(e.to_string()))?,
        };
        self.pending.push_back(event);
        Ok(())
    }

    async fn everything(&mut self) -> Result<(), HttpError> {
        let threads = store::list_threads(
            &self.state.storage.db(),
            self.plan,
            &ThreadFilter::default(),
        )
        .await?;
        for thread in with_anchors(&self.state, self.plan, &self.template, threads).await? {
            self.pending.push_back(thread_event(&thread)?);
        }
        Ok(())
    }
}

fn thread_event(thread: &ThreadJson) -> Result<Event, HttpError> {
    Event::default()
        .event("thread")
        .json_data(thread)
        .map_err(|e| HttpError::Internal(e.to_string()))
}

/// Every change to the plan's threads from now on, as server-sent events, until the client
/// leaves or the server shuts down.
async fn thread_events(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    access.require(Action::Read)?;
    let plan = access.plan();
    let listener = Listener {
        events: state.comments.subscribe(plan),
        closing: state.registry.shutdown_token(),
        state,
        principal: access.principal,
        plan,
        template: access.template,
        pending: VecDeque::new(),
    };
    let stream = futures_util::stream::unfold(listener, |mut listener| async move {
        let event = listener.next().await?;
        Some((Ok(event), listener))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
