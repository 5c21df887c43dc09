//! The registry of loaded plans: each plan is loaded once, however many clients arrive at once,
//! and unloaded again when it has been idle for a while.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::{OnceCell, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use yrs::{Doc, TransactionMut};

use super::live;
use super::{Command, Joined, RoomError, RoomHandle};
use crate::config::LiveConfig;
use crate::metrics::Metrics;
use crate::plan::PlanId;
use crate::storage::{NodeEvent, Storage};
use crate::templates::TemplateRegistry;

/// Queued commands per room before senders wait: enough for bursts from many clients.
const COMMAND_QUEUE: usize = 1024;

type Slot = Arc<OnceCell<RoomHandle>>;

/// The loaded plans of this server process. Cheap to clone; all clones share one registry.
#[derive(Clone)]
pub struct Registry {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    rooms: Mutex<HashMap<PlanId, Slot>>,
    storage: Arc<dyn Storage>,
    config: LiveConfig,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    next_conn: AtomicU64,
    pub(super) metrics: Arc<Metrics>,
    /// The templates plans are made from: a room checks live changes against its plan's.
    templates: Arc<TemplateRegistry>,
}

impl Shared {
    fn rooms(&self) -> MutexGuard<'_, HashMap<PlanId, Slot>> {
        // The map stays consistent even if a holder panicked: every change is a single call.
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Removes an idle room from the registry, unless a command reached it in the meantime.
    /// Checked under the registry lock, so a join either sees the room gone or is queued here.
    pub(super) fn evict_if_idle(
        &self,
        plan: PlanId,
        slot: &Weak<OnceCell<RoomHandle>>,
        commands: &mpsc::Receiver<Command>,
        no_connections: bool,
    ) -> bool {
        let mut rooms = self.rooms();
        if !commands.is_empty() || !no_connections {
            return false;
        }
        if rooms
            .get(&plan)
            .is_some_and(|s| std::ptr::eq(Arc::as_ptr(s), slot.as_ptr()))
        {
            rooms.remove(&plan);
        }
        true
    }

    /// Removes this room's entry if it is still the registered one.
    pub(super) fn forget(&self, plan: PlanId, slot: &Weak<OnceCell<RoomHandle>>) {
        let mut rooms = self.rooms();
        if rooms
            .get(&plan)
            .is_some_and(|s| std::ptr::eq(Arc::as_ptr(s), slot.as_ptr()))
        {
            rooms.remove(&plan);
        }
    }
}

impl Registry {
    pub fn new(
        storage: Arc<dyn Storage>,
        templates: Arc<TemplateRegistry>,
        config: LiveConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        Registry {
            shared: Arc::new(Shared {
                rooms: Mutex::new(HashMap::new()),
                storage,
                config,
                tasks: TaskTracker::new(),
                shutdown: CancellationToken::new(),
                next_conn: AtomicU64::new(1),
                metrics,
                templates,
            }),
        }
    }

    /// The room of a plan, loading it if needed. Concurrent callers share one load.
    pub async fn room(&self, plan: PlanId) -> Result<RoomHandle, RoomError> {
        if self.shared.shutdown.is_cancelled() {
            return Err(RoomError::ShuttingDown);
        }
        let slot = self.shared.rooms().entry(plan).or_default().clone();
        let result = slot
            .get_or_try_init(|| self.open(plan, Arc::downgrade(&slot)))
            .await
            .cloned();
        if result.is_err() {
            // Let the next caller try again rather than remember the failure.
            let mut rooms = self.shared.rooms();
            if rooms
                .get(&plan)
                .is_some_and(|s| Arc::ptr_eq(s, &slot) && s.get().is_none())
            {
                rooms.remove(&plan);
            }
        }
        result
    }

    /// Joins a connection to a plan's room, which writes to it through `outbox`. Retries when it
    /// meets a room that is just closing.
    pub async fn join(
        &self,
        plan: PlanId,
        participant: Arc<super::Participant>,
        outbox: Arc<super::Outbox>,
    ) -> Result<(RoomHandle, Joined), RoomError> {
        loop {
            let handle = self.room(plan).await?;
            let conn = self.shared.next_conn.fetch_add(1, Ordering::Relaxed);
            if let Some(joined) = handle.join(conn, participant.clone(), outbox.clone()).await {
                return Ok((handle, joined));
            }
            tokio::task::yield_now().await;
        }
    }

    /// Reads a plan's committed document, loading the plan if needed.
    pub async fn read<R, F>(&self, plan: PlanId, read: F) -> Result<R, RoomError>
    where
        R: Send + 'static,
        F: FnOnce(&Doc) -> R + Clone + Send + 'static,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.room(plan).await?.read(read.clone()).await {
                Err(RoomError::Closed) if attempts < 3 => continue,
                other => return other,
            }
        }
    }

    /// Changes a plan's document as the server (see [`RoomHandle::edit`]), loading the plan if
    /// needed. Retries when it meets a room that is just closing: the change was not run then.
    pub async fn edit<R, E, F>(&self, plan: PlanId, edit: F) -> Result<Result<R, E>, RoomError>
    where
        R: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut TransactionMut) -> Result<R, E> + Clone + Send + 'static,
    {
        self.edit_as(plan, None, edit).await
    }

    /// [`Self::edit`] on behalf of someone, who is credited in the update log.
    pub async fn edit_as<R, E, F>(
        &self,
        plan: PlanId,
        author: Option<Arc<crate::access::Actor>>,
        edit: F,
    ) -> Result<Result<R, E>, RoomError>
    where
        R: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut TransactionMut) -> Result<R, E> + Clone + Send + 'static,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self
                .room(plan)
                .await?
                .edit(author.clone(), edit.clone())
                .await
            {
                Err(RoomError::Closed) if attempts < 3 => continue,
                other => return other,
            }
        }
    }

    async fn open(
        &self,
        plan: PlanId,
        slot: Weak<OnceCell<RoomHandle>>,
    ) -> Result<RoomHandle, RoomError> {
        let shared = &self.shared;
        let room = live::open(
            plan,
            shared.storage.clone(),
            &shared.templates,
            shared.config.clone(),
            shared.metrics.clone(),
        )
        .await?;
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        shared.tasks.spawn(room.run(
            receiver,
            shared.clone(),
            slot,
            shared.shutdown.child_token(),
        ));
        Ok(RoomHandle { commands })
    }

    /// Hands what another node did to the room of that plan, if it is loaded here; a plan not
    /// loaded here reads everything from the database when it is loaded.
    pub fn deliver(&self, event: NodeEvent) {
        let rooms: Vec<RoomHandle> = {
            let rooms = self.shared.rooms();
            match &event {
                NodeEvent::Committed { plan, .. } | NodeEvent::Awareness { plan, .. } => rooms
                    .get(plan)
                    .and_then(|slot| slot.get().cloned())
                    .into_iter()
                    .collect(),
                NodeEvent::Reconnected => rooms
                    .values()
                    .filter_map(|slot| slot.get().cloned())
                    .collect(),
                // Comments are not part of the document (see `comments::CommentHub`).
                NodeEvent::Thread { .. } | NodeEvent::AccessChanged(_) => Vec::new(),
            }
        };
        for room in rooms {
            // A full queue means a busy room; its periodic check catches up on what this drops.
            let _ = room.commands.try_send(Command::Remote(event.clone()));
        }
    }

    /// Relays other nodes' events to the rooms until shutdown.
    pub fn spawn_node_listener(&self, mut events: mpsc::Receiver<NodeEvent>) {
        let registry = self.clone();
        let shutdown = self.shared.shutdown.clone();
        self.shared.tasks.spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    event = events.recv() => match event {
                        Some(event) => registry.deliver(event),
                        None => break,
                    },
                }
            }
        });
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    /// Number of plans loaded in memory now.
    pub fn loaded(&self) -> usize {
        self.shared.rooms().len()
    }

    /// Whether shutdown has begun; sessions close when it does.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shared.shutdown.clone()
    }

    /// Stops every room after it has committed and compacted what it holds.
    pub async fn shutdown(&self) {
        self.shared.shutdown.cancel();
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
    }
}
