//! Live plan rooms: one task per loaded plan owns its `yrs::Doc` and awareness.
//!
//! Sessions talk to a room through a [`RoomHandle`]. The room commits every update to the
//! database before anything derived from it leaves the room, then relays it to the other
//! connections through a bounded broadcast channel; a connection that falls behind that channel
//! is closed so its client resyncs, never silently skipped.

mod document;
mod live;
mod registry;

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, oneshot};

pub use self::document::load_document;
pub use self::registry::Registry;
use crate::access::Access;
use crate::collab::protocol::Incoming;
use crate::storage::StorageError;

/// Identifies one connection within the server process.
pub type ConnId = u64;

/// A frame relayed to every connection of a room except its origin.
#[derive(Debug)]
pub struct Relay {
    /// The connection the content came from; it already has it.
    pub from: ConnId,
    pub frame: Bytes,
    /// Awareness is echoed to its sender too, as y-websocket's server does: a lone client's
    /// provider counts those echoes as signs of life.
    pub echo: bool,
}

/// What a room sends to one connection only.
#[derive(Debug)]
pub enum Direct {
    Frame(Bytes),
    Close { code: u16, reason: String },
}

/// Given to a session when it joins a room.
pub struct Joined {
    pub conn: ConnId,
    pub relays: broadcast::Receiver<Arc<Relay>>,
    pub direct: mpsc::Receiver<Direct>,
}

pub(crate) enum Command {
    Join {
        conn: ConnId,
        reply: oneshot::Sender<Joined>,
    },
    Frame {
        conn: ConnId,
        access: Access,
        messages: Vec<Incoming>,
    },
    Leave {
        conn: ConnId,
    },
}

/// Errors of loading or reaching a room.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("stored document of the plan does not load: {0}")]
    Corrupt(String),
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// A cheap, cloneable way to reach one room's task.
#[derive(Clone)]
pub struct RoomHandle {
    commands: mpsc::Sender<Command>,
}

impl RoomHandle {
    /// Sends decoded messages of a connection to the room. Fails only when the room is gone.
    pub async fn send(&self, conn: ConnId, access: Access, messages: Vec<Incoming>) -> bool {
        self.commands
            .send(Command::Frame {
                conn,
                access,
                messages,
            })
            .await
            .is_ok()
    }

    /// Tells the room a connection has gone, so its awareness is removed for everyone.
    pub async fn leave(&self, conn: ConnId) {
        let _ = self.commands.send(Command::Leave { conn }).await;
    }

    async fn join(&self, conn: ConnId) -> Option<Joined> {
        let (reply, joined) = oneshot::channel();
        self.commands
            .send(Command::Join { conn, reply })
            .await
            .ok()?;
        joined.await.ok()
    }
}
