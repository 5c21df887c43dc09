//! The live protocol endpoint: `GET /collab/{plan_id}` upgrades to a y-websocket connection.
//!
//! The plan and the caller's role are checked before the upgrade, so a malformed id, an unknown
//! plan or a non-member is a plain HTTP 4xx, and the access decision is made once, here, for the
//! whole connection. Credentials: the session cookie, or `?token=` for service tokens.

mod session;

use axum::Router;
use std::sync::Arc;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::Response;
use axum::routing::get;

use crate::http::{AppState, HttpError};
use crate::room::Participant;
use crate::service::revocation::Needs;
use crate::service::{PlanMember, Principal};

pub fn router() -> Router<AppState> {
    Router::new().route("/collab/{plan_id}", get(upgrade))
}

#[tracing::instrument(skip_all, fields(plan = %access.record.id, role = %access.role))]
async fn upgrade(
    State(state): State<AppState>,
    access: PlanMember,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    if matches!(access.principal, Principal::User { .. }) && !same_origin(&headers) {
        // A page on another site must not open a live connection with this browser's session.
        return Err(HttpError::forbidden(
            "a live connection signed in with a cookie must come from this site's pages",
        ));
    }
    let plan = access.record.id;
    // Loads the plan (once, however many clients arrive together).
    state.registry.room(plan).await?;
    // Registered before the upgrade, so a revocation from now on reaches the connection.
    let watch = state
        .revocations
        .watch(plan, Needs::Role(access.role), &access.principal);
    let participant = Arc::new(Participant {
        can_edit: access.role.can_edit(),
        actor: Arc::new(access.actor),
        revoked: watch.token(),
    });
    let live = state.live.clone();
    let max = live.max_frame_bytes;
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        // Small buffers: most connections are idle most of the time.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            session::run(socket, state.registry, plan, participant, live).await;
            // Unregistered only when the connection has ended.
            drop(watch);
        }))
}

/// Whether the handshake's `Origin` names this server's own host. Browsers always send `Origin`
/// on WebSocket handshakes; other clients (no `Origin`) authenticate with tokens.
fn same_origin(headers: &HeaderMap) -> bool {
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}
