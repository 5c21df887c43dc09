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
//!   thread after any change and `thread_deleted` with `{"id"}`; `suggestion` with the full
//!   suggestion after it is made, accepted or rejected (see [`super::suggestions`]).
//!
//! Every reader of the plan reads threads; commenting takes [`Action::Comment`]. Thread and
//! comment ids are looked up within the plan of the URL only, so another plan's ids are 404.

use std::collections::VecDeque;
use std::convert::Infallible;

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

use super::api::parse_json;
use super::extract::form_urlencoded_pairs;
use super::{AppState, HttpError};
use crate::access::Action;
use crate::comments::{AnchorInput, CommentJson, ThreadFilter, ThreadJson};
use crate::plan::PlanId;
use crate::service::comments::{self as threads, HubEvent};
use crate::service::revocation::{Needs, Watch};
use crate::service::{PlanAccess, Principal};
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

#[derive(Deserialize)]
struct NewThread {
    anchor: AnchorInput,
    body: String,
}

#[derive(Deserialize)]
struct CommentBody {
    body: String,
}

async fn list_threads(
    State(state): State<AppState>,
    access: PlanAccess,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ThreadJson>>, HttpError> {
    access.require(Action::Read)?;
    let filter =
        threads::filter_from_pairs(form_urlencoded_pairs(query.as_deref().unwrap_or_default()))?;
    Ok(Json(
        threads::list(&state, access.plan(), &access.template, &filter).await?,
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
    let thread = threads::open(&state, &access, request.anchor, &request.body).await?;
    Ok((StatusCode::CREATED, Json(thread)))
}

async fn get_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadJson>, HttpError> {
    Ok(Json(threads::get(&state, &access, &thread_id).await?))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn add_comment(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<impl IntoResponse, HttpError> {
    access.require(Action::Comment)?;
    let request: CommentBody = parse_json(&body)?;
    let comment = threads::reply(&state, &access, &thread_id, &request.body).await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn edit_comment(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id, comment_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<CommentJson>, HttpError> {
    access.require(Action::Comment)?;
    let request: CommentBody = parse_json(&body)?;
    Ok(Json(
        threads::edit(&state, &access, &thread_id, &comment_id, &request.body).await?,
    ))
}

#[tracing::instrument(skip_all, fields(plan = %access.plan()))]
async fn delete_comment(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id, comment_id)): Path<(String, String, String)>,
) -> Result<StatusCode, HttpError> {
    threads::delete(&state, &access, &thread_id, &comment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn resolve_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadJson>, HttpError> {
    Ok(Json(
        threads::set_resolved(&state, &access, &thread_id, true).await?,
    ))
}

async fn reopen_thread(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadJson>, HttpError> {
    Ok(Json(
        threads::set_resolved(&state, &access, &thread_id, false).await?,
    ))
}

/// The state of one event stream.
struct Listener {
    state: AppState,
    /// Who listens: checked again before each event, so someone removed from the plan stops
    /// receiving its threads.
    principal: Principal,
    plan: PlanId,
    template: Template,
    events: broadcast::Receiver<HubEvent>,
    closing: CancellationToken,
    /// Ends the stream as soon as the listener's session, token or membership is taken away,
    /// whether or not a comment changes meanwhile.
    access: Watch,
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
                _ = self.access.revoked() => {
                    tracing::info!(plan = %self.plan, "comment stream ended: access taken away");
                    return None;
                }
                received = self.events.recv() => received,
            };
            let outcome = match received {
                Ok(HubEvent::Thread(id)) => self.thread_changed(&id).await,
                Ok(HubEvent::Suggestion(id)) => {
                    super::suggestions::event(&self.state, self.plan, &self.template, &id)
                        .await
                        .map(|event| self.pending.extend(event))
                }
                // Changes were missed: send every thread as it is now.
                Ok(HubEvent::Resync) | Err(RecvError::Lagged(_)) => self.everything().await,
                Err(RecvError::Closed) => return None,
            };
            if let Err(e) = outcome {
                tracing::warn!(plan = %self.plan, error = %e, "comment event not sent");
            }
        }
    }

    /// Whether the listener may still read the plan: its credential still works and still gives
    /// a role that may read (a member removed, a session ended or a token revoked ends the
    /// stream).
    async fn still_allowed(&self) -> bool {
        let allowed = threads::may_still_read(&self.state, &self.principal, self.plan).await;
        if !allowed {
            tracing::info!(plan = %self.plan, "comment stream ended: no longer a member");
        }
        allowed
    }

    async fn thread_changed(&mut self, id: &str) -> Result<(), HttpError> {
        let event = match threads::load_thread(&self.state, self.plan, &self.template, id).await? {
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
        let all = threads::list(
            &self.state,
            self.plan,
            &self.template,
            &ThreadFilter::default(),
        )
        .await?;
        for thread in all {
            self.pending.push_back(thread_event(&thread)?);
        }
        self.pending
            .extend(super::suggestions::all_events(&self.state, self.plan, &self.template).await?);
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
        access: state
            .revocations
            .watch(plan, Needs::Read, &access.principal),
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
