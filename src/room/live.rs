//! The task that owns one plan's live document.
//!
//! Messages are handled in arrival order, a batch at a time: updates are applied to the document
//! at once, but everything that would let a client see them (relays, sync step 2 answers) waits
//! until the batch is committed to the database. A burst of typing therefore costs one commit,
//! and nothing leaves the room before it is durable.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Weak};

use tokio::sync::{OnceCell, broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{ClientID, ReadTxn, StateVector, Transact, Update};

use super::document::{adds_information, inserts_unknown, load_document};
use super::registry::Shared;
use super::{Command, ConnId, Direct, Joined, Relay, RoomError, RoomHandle};
use crate::access::Access;
use crate::collab::protocol::{Incoming, close, encode, permission_denied};
use crate::config::LiveConfig;
use crate::document;
use crate::plan::{PlanId, PlanMeta};
use crate::storage::Storage;

/// One connection as the room sees it.
struct Conn {
    direct: mpsc::Sender<Direct>,
    /// Awareness client ids this connection has announced, removed for everyone when it leaves.
    awareness_clients: HashSet<ClientID>,
}

/// An update applied to the document and waiting for its commit.
struct Pending {
    conn: ConnId,
    raw: Vec<u8>,
}

pub(super) struct LiveRoom {
    plan: PlanId,
    awareness: Awareness,
    storage: Arc<dyn Storage>,
    config: LiveConfig,
    relays: broadcast::Sender<Arc<Relay>>,
    conns: HashMap<ConnId, Conn>,
    pending: Vec<Pending>,
    /// Awareness clients changed since the last flush; relayed as one frame after it.
    awareness_changed: HashSet<ClientID>,
    last_seq: i64,
    /// Updates in the stored log since the last snapshot.
    log_len: u64,
    /// Set when the room can no longer vouch for its state; it closes everyone and stops.
    broken: bool,
    /// The document's meta as last copied to the plan list.
    meta: PlanMeta,
}

impl LiveRoom {
    pub(super) fn new(
        plan: PlanId,
        doc: yrs::Doc,
        last_seq: i64,
        log_len: u64,
        storage: Arc<dyn Storage>,
        config: LiveConfig,
    ) -> Self {
        let (relays, _) = broadcast::channel(config.send_queue.max(1));
        let meta = document::read_meta(&doc);
        LiveRoom {
            plan,
            awareness: Awareness::new(doc),
            storage,
            config,
            relays,
            conns: HashMap::new(),
            pending: Vec::new(),
            awareness_changed: HashSet::new(),
            last_seq,
            log_len,
            broken: false,
            meta,
        }
    }

    /// Serves the room until it is evicted, broken or the server shuts down.
    pub(super) async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        shared: Arc<Shared>,
        cell: Weak<OnceCell<RoomHandle>>,
        shutdown: CancellationToken,
    ) {
        tracing::debug!(plan = %self.plan, "room opened");
        loop {
            let idle = self.conns.is_empty();
            let command = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                command = commands.recv() => match command {
                    Some(command) => command,
                    None => break,
                },
                _ = tokio::time::sleep(self.config.room_idle()), if idle => {
                    self.settle().await;
                    if self.broken || shared.evict_if_idle(self.plan, &cell, &commands, self.conns.is_empty()) {
                        break;
                    }
                    continue;
                }
            };
            self.handle(command).await;
            let mut handled = 1;
            while handled < self.config.commit_batch {
                match commands.try_recv() {
                    Ok(command) => self.handle(command).await,
                    Err(_) => break,
                }
                handled += 1;
            }
            self.flush().await;
            if self.log_len >= self.config.compact_after {
                self.compact().await;
            }
            if self.broken {
                break;
            }
        }
        // Out of the registry first, so new joins load a fresh room instead of reaching this one.
        shared.forget(self.plan, &cell);
        self.settle().await;
        if self.broken {
            self.close_all(
                close::INTERNAL,
                "the plan could not be kept consistent; reconnect",
            );
        }
        tracing::debug!(plan = %self.plan, "room closed");
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join { conn, reply } => {
                let relays = self.relays.subscribe();
                let (direct, direct_rx) = mpsc::channel(self.config.send_queue.max(4));
                self.conns.insert(
                    conn,
                    Conn {
                        direct,
                        awareness_clients: HashSet::new(),
                    },
                );
                // As y-websocket's server does: our state vector, then everyone's awareness.
                let sv = self.awareness.doc().transact().state_vector();
                self.direct(conn, encode(&Message::Sync(SyncMessage::SyncStep1(sv))));
                if let Some(frame) = self.awareness_frame() {
                    self.direct(conn, frame);
                }
                let joined = Joined {
                    conn,
                    relays,
                    direct: direct_rx,
                };
                if reply.send(joined).is_err() {
                    self.remove_conn(conn);
                }
            }
            Command::Frame {
                conn,
                access,
                messages,
            } => {
                for message in messages {
                    if !self.conns.contains_key(&conn) {
                        break;
                    }
                    self.handle_message(conn, access, message).await;
                }
            }
            Command::Leave { conn } => self.remove_conn(conn),
            Command::Read { read } => {
                // Only what is committed may leave the room, through the API too.
                self.flush().await;
                read(self.awareness.doc());
            }
            Command::Edit { edit } => {
                let (finish, update) = {
                    let mut txn = self.awareness.doc().transact_mut();
                    let finish = edit(&mut txn);
                    let update = txn.has_changes().then(|| txn.encode_update_v1());
                    (finish, update)
                };
                if let Some(raw) = update {
                    self.pending.push(Pending { conn: NO_CONN, raw });
                }
                let committed = self.flush().await;
                finish(if committed {
                    Ok(())
                } else {
                    Err(RoomError::NotStored)
                });
            }
        }
    }

    async fn handle_message(&mut self, conn: ConnId, access: Access, message: Incoming) {
        match message {
            Incoming::SyncStep1(sv) => {
                // The answer reveals content, so whatever it contains must be committed first.
                self.flush().await;
                let update = self
                    .awareness
                    .doc()
                    .transact()
                    .encode_state_as_update_v1(&sv);
                self.direct(conn, encode(&Message::Sync(SyncMessage::SyncStep2(update))));
            }
            Incoming::Update { raw, update } => self.handle_update(conn, access, raw, update).await,
            Incoming::Awareness(update) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    for (client, entry) in &update.clients {
                        if entry.json.as_ref() == "null" {
                            c.awareness_clients.remove(client);
                        } else {
                            c.awareness_clients.insert(*client);
                        }
                    }
                }
                self.awareness_changed
                    .extend(update.clients.keys().copied());
                if let Err(e) = self.awareness.apply_update(update) {
                    tracing::warn!(plan = %self.plan, conn, error = %e, "awareness update not applied");
                }
            }
            Incoming::QueryAwareness => {
                if let Some(frame) = self.awareness_frame() {
                    self.direct(conn, frame);
                }
            }
            Incoming::Auth => {}
        }
    }

    async fn handle_update(&mut self, conn: ConnId, access: Access, raw: Vec<u8>, update: Update) {
        if !access.can_edit() {
            if adds_information(&self.awareness.doc().transact(), &update) {
                tracing::warn!(plan = %self.plan, conn, ?access, "refused a content update");
                self.direct(
                    conn,
                    permission_denied("this connection may read this plan but not change it"),
                );
            }
            return;
        }
        if update.is_empty() {
            return;
        }
        match self.apply(update) {
            Ok(false) => {}
            Ok(true) => self.pending.push(Pending { conn, raw }),
            Err(reason) => {
                tracing::warn!(plan = %self.plan, conn, %reason, "refused an update that does not apply");
                // The failed update may have been half applied: go back to what is committed
                // (plus the accepted, not yet committed updates of this batch).
                self.restore().await;
                self.close(
                    conn,
                    close::INVALID_PAYLOAD,
                    &format!("update refused: {reason}"),
                );
            }
        }
    }

    /// Applies an update; `Ok(true)` when it changed (or may later change) the document.
    fn apply(&mut self, update: Update) -> Result<bool, String> {
        let doc = self.awareness.doc();
        // yrs is not expected to panic on a decodable update, but a client must never be able to
        // take the room down if it does.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            let new_inserts = inserts_unknown(&update, &txn.state_vector());
            txn.apply_update(update).map_err(|e| e.to_string())?;
            Ok::<bool, String>(new_inserts || !txn.delete_set().is_empty())
        }));
        match outcome {
            Ok(result) => result,
            Err(_) => Err("the update could not be integrated".to_owned()),
        }
    }

    /// Commits pending updates, then relays them and the awareness changes.
    ///
    /// The updates of a batch are merged into few log entries and few frames (at most
    /// [`MERGE_LIMIT`] bytes each): under load, a reader receives one frame per commit rather than
    /// one per keystroke.
    async fn flush(&mut self) -> bool {
        let mut committed = true;
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let chunks = merge_in_chunks(&pending);
            let entries: Vec<&[u8]> = chunks.iter().map(|c| c.bytes.as_slice()).collect();
            match self.storage.append_updates(self.plan, &entries).await {
                Ok(seq) => {
                    let first = seq - entries.len() as i64 + 1;
                    if first > self.last_seq + 1 {
                        self.catch_up(first).await;
                    }
                    self.log_len += entries.len() as u64;
                    self.last_seq = seq;
                    for chunk in chunks {
                        let frame = encode(&Message::Sync(SyncMessage::Update(chunk.bytes)));
                        self.relay(chunk.from, frame, false);
                    }
                    self.sync_plan_list().await;
                }
                Err(e) => {
                    tracing::error!(plan = %self.plan, error = %e, "could not commit updates");
                    committed = false;
                    self.restore().await;
                    let origins: HashSet<ConnId> = pending.iter().map(|p| p.conn).collect();
                    for conn in origins {
                        self.close(
                            conn,
                            close::INTERNAL,
                            "your change could not be stored; reconnect to resend it",
                        );
                    }
                }
            }
        }
        if !self.awareness_changed.is_empty() {
            let clients: Vec<ClientID> = self.awareness_changed.drain().collect();
            match self.awareness.update_with_clients(clients) {
                Ok(update) => self.relay(NO_CONN, encode(&Message::Awareness(update)), true),
                Err(e) => tracing::warn!(plan = %self.plan, error = %e, "awareness not encoded"),
            }
        }
        committed
    }

    /// Applies and relays what another process committed to this plan's log (a CLI import,
    /// another server node) between our last known entry and `before_seq`.
    async fn catch_up(&mut self, before_seq: i64) {
        let missing = match self.storage.updates_after(self.plan, self.last_seq).await {
            Ok(missing) => missing,
            Err(e) => {
                tracing::error!(plan = %self.plan, error = %e, "could not read the log");
                self.broken = true;
                return;
            }
        };
        for (seq, bytes) in missing.into_iter().filter(|(seq, _)| *seq < before_seq) {
            let applied = Update::decode_v1(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|update| self.apply(update));
            if let Err(reason) = applied {
                tracing::error!(plan = %self.plan, seq, %reason, "logged update does not apply");
                self.broken = true;
                return;
            }
            self.log_len += 1;
            let frame = encode(&Message::Sync(SyncMessage::Update(bytes)));
            self.relay(NO_CONN, frame, false);
        }
        tracing::info!(plan = %self.plan, from = self.last_seq, to = before_seq, "caught up with the log");
    }

    /// Keeps the plan list's title, bydel, periode and status in step with the document.
    async fn sync_plan_list(&mut self) {
        let meta = document::read_meta(self.awareness.doc());
        if meta == self.meta {
            return;
        }
        match self.storage.update_plan_meta(self.plan, &meta).await {
            Ok(()) => self.meta = meta,
            Err(e) => tracing::warn!(plan = %self.plan, error = %e, "plan list not updated"),
        }
    }

    fn relay(&self, from: ConnId, frame: bytes::Bytes, echo: bool) {
        // No receivers is fine: nobody else is in the room.
        let _ = self.relays.send(Arc::new(Relay { from, frame, echo }));
    }

    /// Rebuilds the document from the database plus the pending updates, after a failure that
    /// may have left the in-memory document with content that will never be committed.
    async fn restore(&mut self) {
        let stored = match self.storage.load_document(self.plan).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(plan = %self.plan, error = %e, "could not reload the plan");
                self.broken = true;
                return;
            }
        };
        match load_document(&stored) {
            Ok(doc) => {
                {
                    let mut txn = doc.transact_mut();
                    for pending in &self.pending {
                        if let Ok(update) = Update::decode_v1(&pending.raw) {
                            let _ = txn.apply_update(update);
                        }
                    }
                }
                *self.awareness.doc_mut() = doc;
                self.last_seq = stored.last_seq;
            }
            Err(e) => {
                tracing::error!(plan = %self.plan, error = %e, "stored plan does not load");
                self.broken = true;
            }
        }
    }

    /// Folds the update log into one snapshot.
    async fn compact(&mut self) {
        let state = self
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        match self.storage.compact(self.plan, &state, self.last_seq).await {
            Ok(()) => {
                tracing::debug!(plan = %self.plan, entries = self.log_len, bytes = state.len(), "compacted");
                self.log_len = 0;
            }
            Err(e) => {
                tracing::warn!(plan = %self.plan, error = %e, "compaction failed; will retry")
            }
        }
    }

    /// Commits what is pending and compacts the log: before eviction and at shutdown.
    async fn settle(&mut self) {
        self.flush().await;
        if self.log_len > 0 && !self.broken {
            self.compact().await;
        }
    }

    fn awareness_frame(&self) -> Option<bytes::Bytes> {
        let update = self.awareness.update().ok()?;
        (!update.clients.is_empty()).then(|| encode(&Message::Awareness(update)))
    }

    /// Sends a frame to one connection. A connection whose queue is full has fallen behind: it
    /// is dropped, and its session closes it so the client resyncs.
    fn direct(&mut self, conn: ConnId, frame: bytes::Bytes) {
        let delivered = self
            .conns
            .get(&conn)
            .is_some_and(|c| c.direct.try_send(Direct::Frame(frame)).is_ok());
        if !delivered {
            self.remove_conn(conn);
        }
    }

    fn close(&mut self, conn: ConnId, code: u16, reason: &str) {
        if let Some(c) = self.conns.get(&conn) {
            let _ = c.direct.try_send(Direct::Close {
                code,
                reason: reason.to_owned(),
            });
        }
        self.remove_conn(conn);
    }

    fn close_all(&mut self, code: u16, reason: &str) {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            self.close(conn, code, reason);
        }
    }

    /// Forgets a connection and removes its awareness states for everyone else.
    fn remove_conn(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        for client in c.awareness_clients {
            self.awareness.remove_state(client);
            self.awareness_changed.insert(client);
        }
    }
}

/// Largest merged update relayed or logged as one entry.
const MERGE_LIMIT: usize = 1024 * 1024;

/// Stands for "several connections" as the origin of a merged relay: nobody is skipped.
const NO_CONN: ConnId = 0;

/// Pending updates merged into one log entry and one relayed frame.
struct Chunk {
    from: ConnId,
    bytes: Vec<u8>,
}

/// Merges consecutive pending updates into chunks of at most [`MERGE_LIMIT`] bytes.
fn merge_in_chunks(pending: &[Pending]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < pending.len() {
        let mut end = start + 1;
        let mut size = pending[start].raw.len();
        while end < pending.len() && size + pending[end].raw.len() <= MERGE_LIMIT {
            size += pending[end].raw.len();
            end += 1;
        }
        let group = &pending[start..end];
        start = end;
        let from = if group.iter().all(|p| p.conn == group[0].conn) {
            group[0].conn
        } else {
            NO_CONN
        };
        if group.len() == 1 {
            chunks.push(Chunk {
                from,
                bytes: group[0].raw.clone(),
            });
            continue;
        }
        // Every part decoded and applied already, so merging should not fail; if it does, the
        // parts are kept as they are rather than lost.
        match yrs::merge_updates_v1(group.iter().map(|p| p.raw.as_slice())) {
            Ok(bytes) => chunks.push(Chunk { from, bytes }),
            Err(_) => chunks.extend(group.iter().map(|p| Chunk {
                from: p.conn,
                bytes: p.raw.clone(),
            })),
        }
    }
    chunks
}

/// Opens a room from storage. Used by the registry's single-flight loader.
pub(super) async fn open(
    plan: PlanId,
    storage: Arc<dyn Storage>,
    config: LiveConfig,
) -> Result<LiveRoom, RoomError> {
    let stored = storage.load_document(plan).await?;
    let doc = load_document(&stored)?;
    let log_len = stored.updates.len() as u64;
    Ok(LiveRoom::new(
        plan,
        doc,
        stored.last_seq,
        log_len,
        storage,
        config,
    ))
}
