//! Live delivery of comment changes to open plan pages.
//!
//! Each plan with listeners has a [`broadcast`] channel of [`HubEvent`]s naming the thread that
//! changed; a listener reads the thread's current state itself (or learns it is gone). On
//! PostgreSQL the change is also published to the other server nodes (`pg_notify` on
//! `samskriv_comments`), whose hubs pass it on to their own listeners; on SQLite there is only
//! this process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{broadcast, mpsc};

use crate::plan::PlanId;
use crate::storage::{NodeEvent, Storage};

/// Events a slow listener may fall behind by before it must catch up from the database.
const CHANNEL_CAPACITY: usize = 256;

/// Something listeners of one plan must look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// This thread was created, changed or deleted.
    Thread(String),
    /// This suggestion was made, accepted or rejected.
    Suggestion(String),
    /// Changes may have been missed (another node's notifications were lost): read everything.
    Resync,
}

/// How another node names a suggestion on the comments' channel (thread ids are bare UUIDs).
const SUGGESTION_PREFIX: &str = "suggestion:";

impl HubEvent {
    /// The event another node announced with `id` on the comments' channel.
    fn from_node(id: String) -> HubEvent {
        match id.strip_prefix(SUGGESTION_PREFIX) {
            Some(suggestion) => HubEvent::Suggestion(suggestion.to_owned()),
            None => HubEvent::Thread(id),
        }
    }
}

/// The per-plan channels of this server process. Cheap to clone.
#[derive(Clone)]
pub struct CommentHub {
    inner: Arc<Inner>,
}

struct Inner {
    plans: Mutex<HashMap<PlanId, broadcast::Sender<HubEvent>>>,
    storage: Arc<dyn Storage>,
}

impl CommentHub {
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        CommentHub {
            inner: Arc::new(Inner {
                plans: Mutex::new(HashMap::new()),
                storage,
            }),
        }
    }

    fn plans(&self) -> MutexGuard<'_, HashMap<PlanId, broadcast::Sender<HubEvent>>> {
        // Every change to the map is a single call, so it stays consistent after a panic.
        self.inner
            .plans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Listens to the plan's changes from now on.
    pub fn subscribe(&self, plan: PlanId) -> broadcast::Receiver<HubEvent> {
        let mut plans = self.plans();
        // Channels whose listeners have all gone are dropped here.
        plans.retain(|_, sender| sender.receiver_count() > 0);
        plans
            .entry(plan)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Number of plans with listeners on this node.
    pub fn plans_listened(&self) -> usize {
        self.plans()
            .values()
            .filter(|sender| sender.receiver_count() > 0)
            .count()
    }

    /// Tells this node's listeners, and the other nodes', that a thread changed or was deleted.
    /// The change is committed already: failing to tell other nodes is logged, not returned.
    pub async fn changed(&self, plan: PlanId, thread: &str) {
        self.deliver(plan, HubEvent::Thread(thread.to_owned()));
        if let Err(e) = self.inner.storage.publish_thread(plan, thread).await {
            tracing::warn!(%plan, error = %e, "cannot tell other nodes about a comment change");
        }
    }

    /// Tells this node's listeners, and the other nodes', that a suggestion was made or
    /// decided. It travels to other nodes on the comments' channel, its id prefixed with
    /// [`SUGGESTION_PREFIX`] (see [`HubEvent::from_node`]).
    pub async fn suggestion_changed(&self, plan: PlanId, suggestion: &str) {
        self.deliver(plan, HubEvent::Suggestion(suggestion.to_owned()));
        let wire = format!("{SUGGESTION_PREFIX}{suggestion}");
        if let Err(e) = self.inner.storage.publish_thread(plan, &wire).await {
            tracing::warn!(%plan, error = %e, "cannot tell other nodes about a suggestion");
        }
    }

    /// Hands an event to this node's listeners of `plan` (if any).
    pub fn deliver(&self, plan: PlanId, event: HubEvent) {
        let mut plans = self.plans();
        if let Some(sender) = plans.get(&plan)
            && sender.send(event).is_err()
        {
            // Nobody listens any more.
            plans.remove(&plan);
        }
    }

    /// Asks every listener to read everything again.
    pub fn resync_all(&self) {
        for sender in self.plans().values() {
            let _ = sender.send(HubEvent::Resync);
        }
    }

    /// Takes the other nodes' events: comment changes go to this hub, and everything else comes
    /// out of the returned receiver, in order, for the rooms. Ends when either side does.
    pub fn route_node_events(
        &self,
        mut events: mpsc::Receiver<NodeEvent>,
    ) -> mpsc::Receiver<NodeEvent> {
        let (rooms, receiver) = mpsc::channel(1024);
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = rooms.closed() => break,
                    event = events.recv() => match event {
                        Some(event) => event,
                        None => break,
                    },
                };
                match event {
                    NodeEvent::Thread { plan, thread } => {
                        hub.deliver(plan, HubEvent::from_node(thread));
                    }
                    NodeEvent::Reconnected => {
                        hub.resync_all();
                        if rooms.send(NodeEvent::Reconnected).await.is_err() {
                            break;
                        }
                    }
                    other => {
                        if rooms.send(other).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
        receiver
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn hub() -> (CommentHub, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hub.sqlite3");
        let storage = crate::storage::SqliteStorage::open(
            &path.display().to_string(),
            crate::config::SqliteSynchronous::Normal,
        )
        .await
        .expect("storage");
        (CommentHub::new(Arc::new(storage)), dir)
    }

    #[tokio::test]
    async fn changes_reach_the_listeners_of_their_plan_only() {
        let (hub, _dir) = hub().await;
        let (a, b) = (PlanId::new_random(), PlanId::new_random());
        let mut on_a = hub.subscribe(a);
        let mut on_b = hub.subscribe(b);
        hub.changed(a, "t1").await;
        assert_eq!(on_a.recv().await.ok(), Some(HubEvent::Thread("t1".into())));
        assert!(on_b.try_recv().is_err());
        drop(on_a);
        hub.changed(a, "t2").await;
        assert_eq!(hub.plans_listened(), 1);
    }

    #[tokio::test]
    async fn other_nodes_events_are_split_between_hub_and_rooms() {
        let (hub, _dir) = hub().await;
        let plan = PlanId::new_random();
        let mut listener = hub.subscribe(plan);
        let (send, events) = mpsc::channel(8);
        let mut rooms = hub.route_node_events(events);
        send.send(NodeEvent::Thread {
            plan,
            thread: "t".into(),
        })
        .await
        .expect("sent");
        let committed = NodeEvent::Committed {
            plan,
            seq: 3,
            at_millis: 1,
        };
        send.send(NodeEvent::Thread {
            plan,
            thread: "suggestion:s1".into(),
        })
        .await
        .expect("sent");
        send.send(committed.clone()).await.expect("sent");
        send.send(NodeEvent::Reconnected).await.expect("sent");
        assert_eq!(rooms.recv().await, Some(committed));
        assert_eq!(rooms.recv().await, Some(NodeEvent::Reconnected));
        assert_eq!(
            listener.recv().await.ok(),
            Some(HubEvent::Thread("t".into()))
        );
        assert_eq!(
            listener.recv().await.ok(),
            Some(HubEvent::Suggestion("s1".into()))
        );
        assert_eq!(listener.recv().await.ok(), Some(HubEvent::Resync));
        drop(send);
        assert_eq!(rooms.recv().await, None);
    }
}
