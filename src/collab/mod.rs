//! The live protocol endpoint: `GET /collab/{plan_id}` upgrades to a y-websocket connection.
//!
//! The plan is checked and loaded before the upgrade, so a malformed or unknown plan id is a
//! plain HTTP 4xx, and the access decision is made once, here, for the whole connection.

pub mod protocol;
mod session;

use axum::Router;
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;

use crate::access;
use crate::http::{AppState, HttpError};
use crate::plan::PlanId;

pub fn router() -> Router<AppState> {
    Router::new().route("/collab/{plan_id}", get(upgrade))
}

#[tracing::instrument(skip(state, ws))]
async fn upgrade(
    State(state): State<AppState>,
    Path(plan_id): Path<String>,
    ws: WebSocketUpgrade,
) -> Result<Response, HttpError> {
    let plan: PlanId = plan_id.parse()?;
    let access = access::decide(&state.policy);
    // Loads the plan (once, however many clients arrive together) and 404s an unknown one.
    state.registry.room(plan).await?;
    let live = state.live.clone();
    let max = live.max_frame_bytes;
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        // Small buffers: most connections are idle most of the time.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| session::run(socket, state.registry, plan, access, live)))
}
