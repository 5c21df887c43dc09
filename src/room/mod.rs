//! Live plan rooms: one task per loaded plan owns its `yrs::Doc` and awareness.
//!
//! Sessions talk to a room through a [`RoomHandle`]. The room commits every update to the
//! database before anything derived from it leaves the room, then writes it, encoded once, to
//! the other connections' sockets itself ([`Outbox`]); a connection that falls behind is closed
//! so its client resyncs, never silently skipped.

mod document;
mod live;
mod outbox;
pub mod presence;
mod registry;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use yrs::{Doc, TransactionMut};

pub use self::document::load_document;
pub use self::live::touched_roots;
pub use self::outbox::{Ended, Outbox};
pub use self::registry::Registry;
use crate::access::Actor;
use crate::storage::{NodeEvent, StorageError};
use crate::sync::Incoming;

/// Identifies one connection within the server process.
pub type ConnId = u64;

/// Who is on a connection, as the room needs to know it: whether their content updates are
/// accepted, and whom the update log and the sections' "last edited by" credit.
#[derive(Debug, Clone)]
pub struct Participant {
    pub can_edit: bool,
    /// May change the plan's shape and goals (the coordinator): see
    /// [`document::COORDINATOR_ROOTS`](crate::document::COORDINATOR_ROOTS).
    pub can_shape: bool,
    pub actor: Arc<Actor>,
    /// Cancelled when the access the connection was opened with is taken away (signed out,
    /// token revoked, removed from the plan, role changed). The session closes on it; the room
    /// checks it too, so nothing the connection sent before it closed is stored afterwards.
    pub revoked: CancellationToken,
}

impl Participant {
    /// Whether this connection's content updates may be applied and stored now.
    pub fn may_edit(&self) -> bool {
        self.can_edit && !self.revoked.is_cancelled()
    }
}

/// Given to a session when it joins a room. From then on the room writes to the connection
/// through the outbox the session joined with.
pub struct Joined {
    pub conn: ConnId,
}

pub(crate) enum Command {
    Join {
        conn: ConnId,
        participant: Arc<Participant>,
        outbox: Arc<Outbox>,
        reply: oneshot::Sender<Joined>,
    },
    Frame {
        conn: ConnId,
        participant: Arc<Participant>,
        message: Incoming,
    },
    Leave {
        conn: ConnId,
    },
    /// Runs a read on the committed document (HTTP pages and API).
    Read {
        read: Box<dyn FnOnce(&Doc) + Send>,
    },
    /// Runs a change made by the server itself (HTTP API, CLI) as one committed update.
    Edit {
        edit: EditFn,
        author: Option<Arc<Actor>>,
    },
    /// Something another server node did to this plan.
    Remote(NodeEvent),
}

/// A server-side change: runs in the room's transaction and returns what to do once the room
/// knows whether the change was committed.
pub(crate) type EditFn =
    Box<dyn FnOnce(&mut TransactionMut) -> Box<dyn FnOnce(Result<(), RoomError>) + Send> + Send>;

/// Errors of loading or reaching a room.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("stored document of the plan does not load: {0}")]
    Corrupt(String),
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("the plan's room closed; try again")]
    Closed,
    #[error("the change could not be stored")]
    NotStored,
    #[error("the plan's template {0} is not loaded on this server")]
    UnknownTemplate(String),
}

/// A cheap, cloneable way to reach one room's task.
#[derive(Clone)]
pub struct RoomHandle {
    commands: mpsc::Sender<Command>,
}

impl RoomHandle {
    /// Sends one decoded message of a connection to the room. Fails only when the room is gone.
    pub async fn send(
        &self,
        conn: ConnId,
        participant: Arc<Participant>,
        message: Incoming,
    ) -> bool {
        self.commands
            .send(Command::Frame {
                conn,
                participant,
                message,
            })
            .await
            .is_ok()
    }

    /// Tells the room a connection has gone, so its awareness is removed for everyone.
    pub async fn leave(&self, conn: ConnId) {
        let _ = self.commands.send(Command::Leave { conn }).await;
    }

    /// Reads the plan's committed document.
    pub async fn read<R: Send + 'static>(
        &self,
        read: impl FnOnce(&Doc) -> R + Send + 'static,
    ) -> Result<R, RoomError> {
        let (reply, result) = oneshot::channel();
        let read = Box::new(move |doc: &Doc| {
            let _ = reply.send(read(doc));
        });
        self.commands
            .send(Command::Read { read })
            .await
            .map_err(|_| RoomError::Closed)?;
        result.await.map_err(|_| RoomError::Closed)
    }

    /// Changes the plan's document as the server. Returns the change's own result once the
    /// change is committed and relayed to every connected client. A change that fails its own
    /// validation must return `Err` before touching the document. `author` is credited in the
    /// update log (`None`: the server itself, e.g. an import).
    pub async fn edit<R: Send + 'static, E: Send + 'static>(
        &self,
        author: Option<Arc<Actor>>,
        edit: impl FnOnce(&mut TransactionMut) -> Result<R, E> + Send + 'static,
    ) -> Result<Result<R, E>, RoomError> {
        let (reply, result) = oneshot::channel();
        let edit: EditFn = Box::new(move |txn: &mut TransactionMut| {
            let outcome = edit(txn);
            Box::new(move |committed: Result<(), RoomError>| {
                let _ = reply.send(committed.map(|()| outcome));
            })
        });
        self.commands
            .send(Command::Edit { edit, author })
            .await
            .map_err(|_| RoomError::Closed)?;
        result.await.map_err(|_| RoomError::Closed)?
    }

    async fn join(
        &self,
        conn: ConnId,
        participant: Arc<Participant>,
        outbox: Arc<Outbox>,
    ) -> Option<Joined> {
        let (reply, joined) = oneshot::channel();
        self.commands
            .send(Command::Join {
                conn,
                participant,
                outbox,
                reply,
            })
            .await
            .ok()?;
        joined.await.ok()
    }
}
