//! The live protocol endpoint: `GET /collab/{plan_id}` upgrades to a y-websocket connection.
//!
//! The plan and the caller's role are checked before the upgrade, so a malformed id, an unknown
//! plan or a non-member is a plain HTTP 4xx, and the access decision is made once, here, for the
//! whole connection. Credentials: the session cookie, or `?token=` for service tokens.

mod session;
mod wire;

use axum::Router;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    CONNECTION, HOST, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::{Role, WebSocketConfig};

use crate::http::{AppState, HttpError};
use crate::room::{Outbox, Participant};
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
    mut request: Request,
) -> Result<Response, HttpError> {
    let key = handshake_key(&headers)?;
    let on_upgrade = request
        .extensions_mut()
        .remove::<OnUpgrade>()
        .ok_or_else(|| HttpError::BadRequest("this connection cannot be upgraded".into()))?;
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
        can_shape: access.role.may(crate::access::Action::Shape),
        actor: Arc::new(access.actor),
        revoked: watch.token(),
    });
    let live = state.live.clone();
    let max = live.max_frame_bytes;
    let config = WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
        // Small buffers: most connections are idle most of the time.
        .read_buffer_size(4 * 1024)
        // Each frame the library writes (pongs, pings, the close) goes to the outbox at once.
        .write_buffer_size(0);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                // The room writes to the socket itself (see `room::Outbox`); the session reads.
                let (read, write) = tokio::io::split(TokioIo::new(upgraded));
                let outbox = Arc::new(Outbox::new(Box::new(write), live.send_queue.max(4)));
                let io = wire::Wire::new(read, outbox.clone());
                let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                session::run(socket, outbox, state.registry, plan, participant, live).await;
            }
            Err(e) => tracing::debug!(error = %e, "upgrade failed"),
        }
        // Unregistered only when the connection has ended.
        drop(watch);
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, "upgrade")
        .header(UPGRADE, "websocket")
        .header(
            SEC_WEBSOCKET_ACCEPT,
            tungstenite::handshake::derive_accept_key(key),
        )
        .body(Body::empty())
        .map_err(|e| HttpError::Internal(e.to_string()))
}

/// Checks a WebSocket handshake (RFC 6455) and returns its key. The upgrade is done here rather
/// than by axum's `WebSocketUpgrade` because the session needs the raw connection after a
/// refused oversized frame (see `session::drain`).
fn handshake_key(headers: &HeaderMap) -> Result<&[u8], HttpError> {
    let has = |name, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    if !has(CONNECTION, "upgrade") || !has(UPGRADE, "websocket") {
        return Err(HttpError::BadRequest(
            "a WebSocket upgrade is expected here".into(),
        ));
    }
    if headers.get(SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) != Some(b"13") {
        return Err(HttpError::BadRequest("WebSocket version 13 only".into()));
    }
    headers
        .get(SEC_WEBSOCKET_KEY)
        .map(|v| v.as_bytes())
        .ok_or_else(|| HttpError::BadRequest("the WebSocket handshake has no key".into()))
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
