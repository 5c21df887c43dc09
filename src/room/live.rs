//! The task that owns one plan's live document.
//!
//! Messages are handled in arrival order, a batch at a time: updates are applied to the document
//! at once, but everything that would let a client see them (relays, sync step 2 answers) waits
//! until the batch is committed to the database. A burst of typing therefore costs one commit,
//! and nothing leaves the room before it is durable.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Weak};

use tokio::sync::{OnceCell, mpsc};
use tokio_util::sync::CancellationToken;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

use super::document::{inserts_unknown, load_document};
use super::outbox::{Outbox, PLAN_CLOSED};
use super::presence::Presence;
use super::registry::Shared;
use super::{Command, ConnId, Joined, Participant, RoomError, RoomHandle};
use crate::access::Actor;
use crate::config::LiveConfig;
use crate::document;
use crate::document::LiveGuard;
use crate::metrics::Metrics;
use crate::plan::{PlanId, PlanMeta};
use crate::storage::{LogEntry, NodeEvent, Storage};
use crate::sync::{Incoming, close, encode};
use crate::templates::{Template, TemplateRegistry};

/// One connection as the room sees it.
struct Conn {
    /// Where the room writes to it.
    outbox: Arc<Outbox>,
    participant: Arc<Participant>,
}

impl Drop for Conn {
    /// A connection the room lets go without closing it (the room stops, or panics) is closed
    /// so that its client reconnects; one already closing, or already gone, keeps its code.
    fn drop(&mut self) {
        self.outbox.close(PLAN_CLOSED.0, PLAN_CLOSED.1);
    }
}

/// An update applied to the document and waiting for its commit.
struct Pending {
    conn: ConnId,
    raw: Vec<u8>,
    /// Whom the log credits; `None` for the server's own changes without a person behind them.
    author: Option<Arc<Actor>>,
    /// The document's top-level types the update changed (`section:…`, `tiltak`, …).
    roots: Vec<Arc<str>>,
}

pub(super) struct LiveRoom {
    plan: PlanId,
    doc: Doc,
    /// Who is here (y-protocols awareness); each state belongs to one connection.
    presence: Presence,
    storage: Arc<dyn Storage>,
    config: LiveConfig,
    conns: HashMap<ConnId, Conn>,
    pending: Vec<Pending>,
    /// Awareness clients changed by this node's connections since the last flush; relayed as
    /// one frame after it, and published to the other nodes.
    awareness_changed: HashSet<ClientID>,
    /// Awareness clients changed by other nodes; relayed to this node's connections only.
    remote_awareness_changed: HashSet<ClientID>,
    last_seq: i64,
    /// Updates in the stored log since the last snapshot.
    log_len: u64,
    /// Set when the room can no longer vouch for its state; it closes everyone and stops.
    broken: bool,
    /// The document's meta as last copied to the plan list.
    meta: PlanMeta,
    /// Checklist items as last seen, to tell which checklist section an update changed.
    checklist: HashMap<String, bool>,
    metrics: Arc<Metrics>,
    /// The plan's template: live changes are checked against its layout.
    template: Arc<Template>,
    /// Sees which keys each applied update wrote (re-installed when the document is rebuilt).
    guard: LiveGuard,
}

impl LiveRoom {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        plan: PlanId,
        doc: yrs::Doc,
        last_seq: i64,
        log_len: u64,
        storage: Arc<dyn Storage>,
        template: Arc<Template>,
        config: LiveConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        document::layout::define_roots(&mut doc.transact_mut());
        let guard = LiveGuard::install(&doc, template.clone());
        let meta = document::read_meta(&doc);
        let checklist = document::layout::checklist_state(&doc.transact());
        LiveRoom {
            plan,
            doc,
            presence: Presence::default(),
            storage,
            config,
            conns: HashMap::new(),
            pending: Vec::new(),
            awareness_changed: HashSet::new(),
            remote_awareness_changed: HashSet::new(),
            last_seq,
            log_len,
            broken: false,
            meta,
            checklist,
            metrics,
            template,
            guard,
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
        shared.metrics.loaded_plans.inc();
        let _registered = Registered {
            shared: shared.clone(),
            plan: self.plan,
            cell: cell.clone(),
        };
        // With several nodes, notifications may be lost (a dropped listener connection): now and
        // then the room also checks the log itself, and forgets other nodes' stale awareness.
        let mut check = tokio::time::interval(REMOTE_CHECK);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let shared_db = self.storage.is_shared();
        loop {
            let idle = self.conns.is_empty();
            let command = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                _ = check.tick(), if shared_db => {
                    self.catch_up(None).await;
                    self.expire_remote_awareness();
                    self.flush().await;
                    if self.broken {
                        break;
                    }
                    continue;
                }
                command = commands.recv() => match command {
                    Some(command) => command,
                    None => break,
                },
                _ = tokio::time::sleep(COMPACT_WHEN_QUIET), if self.log_len >= self.config.compact_after => {
                    self.compact().await;
                    continue;
                }
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
            // A log past twice the threshold is compacted at once; one past the threshold waits
            // for a quiet moment, so a client joining a plan with a long log is answered first.
            if self.log_len >= self.config.compact_after.saturating_mul(2) {
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
            Command::Join {
                conn,
                participant,
                outbox,
                reply,
            } => {
                let can_edit = participant.can_edit;
                self.conns.insert(
                    conn,
                    Conn {
                        outbox,
                        participant,
                    },
                );
                // As y-websocket's server does: our state vector (asking for what the client has
                // that we lack: only from those who may edit), then everyone's awareness.
                if can_edit {
                    let sv = self.doc.transact().state_vector();
                    self.direct(conn, encode(&Message::Sync(SyncMessage::SyncStep1(sv))));
                }
                if let Some(frame) = self.awareness_frame() {
                    self.direct(conn, frame);
                }
                if reply.send(Joined { conn }).is_err() {
                    self.remove_conn(conn);
                }
            }
            Command::Frame {
                conn,
                participant,
                message,
            } => {
                if self.conns.contains_key(&conn) {
                    self.handle_message(conn, &participant, message).await;
                }
            }
            Command::Leave { conn } => self.remove_conn(conn),
            Command::Read { read } => {
                // Only what is committed may leave the room, through the API too.
                self.flush().await;
                read(&self.doc);
            }
            Command::Remote(event) => self.handle_remote(event).await,
            Command::Edit { edit, author } => {
                let (finish, update) = {
                    let mut txn = self.doc.transact_mut();
                    let finish = edit(&mut txn);
                    let update = txn.has_changes().then(|| txn.encode_update_v1());
                    txn.commit();
                    (finish, update.map(|raw| (raw, touched_roots(&txn))))
                };
                if let Some((raw, roots)) = update {
                    let roots = self.name_checklist_sections(roots);
                    self.pending.push(Pending {
                        conn: NO_CONN,
                        raw,
                        author,
                        roots,
                    });
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

    async fn handle_message(&mut self, conn: ConnId, participant: &Participant, message: Incoming) {
        match message {
            Incoming::SyncStep1(sv) => {
                // The answer reveals content, so whatever it contains must be committed first.
                self.flush().await;
                let update = self.doc.transact().encode_state_as_update_v1(&sv);
                self.direct(conn, encode(&Message::Sync(SyncMessage::SyncStep2(update))));
            }
            Incoming::Update { raw, update } => {
                self.handle_update(conn, participant, raw, update).await
            }
            Incoming::Awareness(update) => {
                let conns = &self.conns;
                let actor = &participant.actor.id;
                let same_person = |other: ConnId| {
                    conns
                        .get(&other)
                        .is_some_and(|c| &c.participant.actor.id == actor)
                };
                let now = crate::storage::now_millis().max(0) as u64;
                let applied = self.presence.apply_local(conn, update, same_person, now);
                if applied.refused > 0 {
                    self.metrics
                        .refused_awareness
                        .inc_by(applied.refused as u64);
                }
                self.awareness_changed.extend(applied.changed);
            }
            Incoming::QueryAwareness => {
                if let Some(frame) = self.awareness_frame() {
                    self.direct(conn, frame);
                }
            }
        }
    }

    async fn handle_update(
        &mut self,
        conn: ConnId,
        participant: &Participant,
        raw: Vec<u8>,
        update: Update,
    ) {
        if !participant.may_edit() {
            // The session answers read-only connections itself and never sends their content;
            // one whose access was revoked meanwhile is closing, and its updates are dropped.
            return;
        }
        if update.is_empty() {
            return;
        }
        let check = Check::Client {
            can_shape: participant.can_shape,
        };
        match self.apply(update, check) {
            Ok(None) => {}
            Ok(Some(roots)) => self.pending.push(Pending {
                conn,
                raw,
                author: Some(participant.actor.clone()),
                roots,
            }),
            Err(Refusal::Broken(reason)) => {
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
            Err(Refusal::NotAllowed(reason)) => {
                tracing::warn!(plan = %self.plan, conn, %reason, "refused an update outside the plan's layout");
                // Applied but not committed: go back, then tell the client (y-protocols auth)
                // and close, since its later updates build on the refused one.
                self.restore().await;
                self.direct(conn, crate::sync::permission_denied(&reason));
                self.close(conn, close::POLICY, "update refused");
            }
        }
    }

    /// Applies an update; `Ok(Some(roots))` when it changed (or may later change) the document,
    /// with the top-level types it changed. An update that writes outside the plan's layout,
    /// or changes the plan's shape without `can_shape`, is refused (and must be rolled back by
    /// [`restore`](Self::restore)).
    fn apply(&mut self, update: Update, check: Check) -> Result<Option<Vec<Arc<str>>>, Refusal> {
        self.guard.reset();
        let doc = &self.doc;
        let template = &self.template;
        let (checked, can_shape) = match check {
            Check::Trusted => (false, true),
            Check::Client { can_shape } => (true, can_shape),
        };
        let free_form = self.config.free_form_roots || !checked;
        // yrs is not expected to panic on a decodable update, but a client must never be able to
        // take the room down if it does.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            let roots_before = txn.root_refs().count();
            let new_inserts = inserts_unknown(&update, &txn.state_vector());
            txn.apply_update(update).map_err(|e| e.to_string())?;
            let changed = new_inserts || !txn.delete_set().is_empty();
            txn.commit();
            let mut roots = touched_roots(&txn);
            let new_roots = txn.root_refs().count() > roots_before;
            if new_roots {
                // A root seen for the first time is not reported as changed: yrs knows it only
                // as undefined. Name it, and define it so its next changes are reported.
                for (name, value) in txn.root_refs() {
                    if matches!(value, yrs::Out::UndefinedRef(_))
                        && !roots.iter().any(|r| r.as_ref() == name)
                    {
                        roots.push(Arc::from(name));
                    }
                }
                if !free_form
                    && let Some(place) =
                        document::unknown_roots(&txn, template, roots.iter().map(|r| r.as_ref()))
                {
                    return Ok(Err(Refusal::NotAllowed(place)));
                }
                drop(txn);
                document::layout::define_roots(&mut doc.transact_mut());
            }
            if !can_shape
                && let Some(root) = roots
                    .iter()
                    .find(|root| document::COORDINATOR_ROOTS.contains(&root.as_ref()))
            {
                return Ok(Err(Refusal::NotAllowed(format!(
                    "only the coordinator may change `{root}`"
                ))));
            }
            Ok(Ok(changed.then_some(roots)))
        }));
        if checked && let Some(place) = self.guard.refused() {
            return Err(Refusal::NotAllowed(format!(
                "{place} is not part of the plan's document"
            )));
        }
        match outcome {
            Ok(Ok(Ok(Some(roots)))) => Ok(Some(self.name_checklist_sections(roots))),
            Ok(Ok(Ok(None))) => Ok(None),
            Ok(Ok(Err(refusal))) => Err(refusal),
            Ok(Err(reason)) => Err(Refusal::Broken(reason)),
            Err(_) => Err(Refusal::Broken(
                "the update could not be integrated".to_owned(),
            )),
        }
    }

    /// Replaces `checklist` among the changed roots with the checklist sections whose items
    /// changed (`checklist:<section id>`), so each checklist section has its own last editor.
    fn name_checklist_sections(&mut self, mut roots: Vec<Arc<str>>) -> Vec<Arc<str>> {
        let Some(at) = roots
            .iter()
            .position(|r| r.as_ref() == document::layout::CHECKLIST)
        else {
            return roots;
        };
        roots.remove(at);
        let now = document::layout::checklist_state(&self.doc.transact());
        let mut sections: Vec<&str> = now
            .iter()
            .filter(|(key, ticked)| self.checklist.get(*key) != Some(*ticked))
            .map(|(key, _)| key.as_str())
            .chain(
                self.checklist
                    .keys()
                    .filter(|key| !now.contains_key(*key))
                    .map(String::as_str),
            )
            .filter_map(|key| key.split_once('/').map(|(section, _)| section))
            .collect();
        sections.sort_unstable();
        sections.dedup();
        roots.extend(
            sections
                .into_iter()
                .map(|section| Arc::from(document::layout::checklist_target(section))),
        );
        self.checklist = now;
        roots
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
            let entries: Vec<LogEntry<'_>> = chunks
                .iter()
                .map(|c| LogEntry {
                    data: &c.bytes,
                    author: c.author.as_deref().map(|a| a.id.as_str()),
                })
                .collect();
            let started = std::time::Instant::now();
            let edits = last_edits(&pending);
            match self
                .storage
                .append_entries(self.plan, &entries, &edits)
                .await
            {
                Ok(seq) => {
                    self.metrics
                        .commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                    self.metrics.updates_committed.inc_by(pending.len() as u64);
                    let first = seq - entries.len() as i64 + 1;
                    if first > self.last_seq + 1 {
                        self.catch_up(Some(first)).await;
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
            let update = self.presence.encode(self.awareness_changed.drain());
            if self.storage.is_shared() {
                let bytes = update.encode_v1();
                if let Err(e) = self.storage.publish_awareness(self.plan, &bytes).await {
                    tracing::warn!(plan = %self.plan, error = %e, "awareness not sent to other nodes");
                }
            }
            if !update.clients.is_empty() {
                self.relay(NO_CONN, encode(&Message::Awareness(update)), true);
            }
        }
        if !self.remote_awareness_changed.is_empty() {
            let update = self.presence.encode(self.remote_awareness_changed.drain());
            if !update.clients.is_empty() {
                self.relay(NO_CONN, encode(&Message::Awareness(update)), true);
            }
        }
        self.presence.purge_removed();
        committed
    }

    /// Another node committed to this plan, changed awareness, or its notifications were lost.
    async fn handle_remote(&mut self, event: NodeEvent) {
        match event {
            NodeEvent::Committed { seq, at_millis, .. } => {
                if seq > self.last_seq {
                    self.catch_up(None).await;
                    let lag = (crate::storage::now_millis() - at_millis).max(0) as f64 / 1000.0;
                    self.metrics.relay_lag_seconds.observe(lag);
                }
            }
            NodeEvent::Awareness { update, .. } => {
                match crate::sync::decode_awareness_with(&update, REMOTE_AWARENESS_CLIENTS) {
                    Ok(update) => {
                        let now = crate::storage::now_millis().max(0) as u64;
                        let changed = self.presence.apply_remote(update, now);
                        self.remote_awareness_changed.extend(changed);
                    }
                    Err(e) => {
                        tracing::warn!(plan = %self.plan, error = %e, "bad awareness from another node")
                    }
                }
            }
            NodeEvent::Reconnected => self.catch_up(None).await,
            // Not part of the document; the registry never sends these to a room.
            NodeEvent::Thread { .. } | NodeEvent::AccessChanged(_) => {}
        }
    }

    /// Forgets awareness states of other nodes' clients that nobody renewed for a while: their
    /// node went away without saying so. Clients renew every 15 s.
    fn expire_remote_awareness(&mut self) {
        let now = crate::storage::now_millis().max(0) as u64;
        let stale = self
            .presence
            .expire_remote(now, REMOTE_AWARENESS_TIMEOUT_MS);
        self.remote_awareness_changed.extend(stale);
    }

    /// Applies and relays what another process (a CLI import, another server node) committed
    /// after our last known entry, up to `before_seq` (our own entries start there) or all.
    /// When the log was compacted past our position, the snapshot fills the gap.
    async fn catch_up(&mut self, before_seq: Option<i64>) {
        let tail = match self.storage.log_after(self.plan, self.last_seq).await {
            Ok(tail) => tail,
            Err(e) => {
                tracing::error!(plan = %self.plan, error = %e, "could not read the log");
                return;
            }
        };
        let from = self.last_seq;
        if let Some((state, upto)) = tail.snapshot {
            let known = self.doc.transact().state_vector();
            if let Err(reason) = self.apply_logged(&state) {
                tracing::error!(plan = %self.plan, upto, %reason, "snapshot does not apply");
                self.broken = true;
                return;
            }
            let missing = self.doc.transact().encode_state_as_update_v1(&known);
            self.relay(
                NO_CONN,
                encode(&Message::Sync(SyncMessage::Update(missing))),
                false,
            );
            self.last_seq = self.last_seq.max(upto);
        }
        for (seq, bytes) in tail.updates {
            if before_seq.is_some_and(|before| seq >= before) {
                break;
            }
            if let Err(reason) = self.apply_logged(&bytes) {
                tracing::error!(plan = %self.plan, seq, %reason, "logged update does not apply");
                self.broken = true;
                return;
            }
            self.metrics.remote_updates.inc();
            self.log_len += 1;
            self.last_seq = seq;
            self.relay(
                NO_CONN,
                encode(&Message::Sync(SyncMessage::Update(bytes))),
                false,
            );
        }
        if self.last_seq > from {
            tracing::debug!(plan = %self.plan, from, to = self.last_seq, "caught up with the log");
        }
    }

    fn apply_logged(&mut self, bytes: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(bytes).map_err(|e| e.to_string())?;
        match self.apply(update, Check::Trusted) {
            Ok(_) => Ok(()),
            Err(Refusal::Broken(reason) | Refusal::NotAllowed(reason)) => Err(reason),
        }
    }

    /// Keeps the plan list's title, bydel, periode and status in step with the document.
    async fn sync_plan_list(&mut self) {
        let meta = document::read_meta(&self.doc);
        if meta == self.meta {
            return;
        }
        match self.storage.update_plan_meta(self.plan, &meta).await {
            Ok(()) => self.meta = meta,
            Err(e) => tracing::warn!(plan = %self.plan, error = %e, "plan list not updated"),
        }
    }

    /// Writes a message to every connection but its origin (awareness to its origin too, as
    /// y-websocket's server does: a lone client's provider counts those echoes as signs of life).
    /// The WebSocket frame is encoded once for all of them and written by the room to the first
    /// [`DIRECT_WRITES`] sockets; the others' own tasks write it, on whichever core is free. A
    /// connection that has fallen behind is closed.
    fn relay(&mut self, from: ConnId, message: bytes::Bytes, echo: bool) {
        if !echo {
            self.metrics.updates_relayed.inc();
        }
        let frame = crate::sync::websocket_frame(&message);
        let behind: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(id, _)| echo || **id != from)
            .enumerate()
            .filter(|(n, (_, c))| {
                let taken = if *n < DIRECT_WRITES {
                    c.outbox.push(&frame)
                } else {
                    c.outbox.push_queued(&frame)
                };
                !taken
            })
            .map(|(_, (id, _))| *id)
            .collect();
        for conn in behind {
            self.fell_behind(conn);
        }
    }

    fn fell_behind(&mut self, conn: ConnId) {
        tracing::info!(plan = %self.plan, conn, "client fell behind; closing so it resyncs");
        self.close(
            conn,
            close::LAGGING,
            "fell behind the plan; reconnect to resync",
        );
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
                document::layout::define_roots(&mut doc.transact_mut());
                self.checklist = document::layout::checklist_state(&doc.transact());
                self.guard = LiveGuard::install(&doc, self.template.clone());
                self.doc = doc;
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
            .doc
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

    /// Everyone's presence, for a joining or asking connection (bounded in size).
    fn awareness_frame(&self) -> Option<bytes::Bytes> {
        let update = self.presence.current();
        (!update.clients.is_empty()).then(|| encode(&Message::Awareness(update)))
    }

    /// Sends a message to one connection. A connection whose queue is full has fallen behind:
    /// it is closed so the client resyncs.
    fn direct(&mut self, conn: ConnId, message: bytes::Bytes) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if !c.outbox.push(&crate::sync::websocket_frame(&message)) {
            self.fell_behind(conn);
        }
    }

    fn close(&mut self, conn: ConnId, code: u16, reason: &str) {
        if let Some(c) = self.conns.get(&conn) {
            c.outbox.close(code, reason);
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
        if self.conns.remove(&conn).is_none() {
            return;
        }
        let removed = self.presence.remove_conn(conn);
        self.awareness_changed.extend(removed);
    }
}

/// Takes a room out of the registry when its task ends, however it ends. A panic in a command
/// (a read or edit closure, or a bug of ours or yrs') unwinds through this, so the plan is loaded
/// afresh on its next use instead of staying registered with nobody serving it; its connections
/// see their channels close and reconnect.
struct Registered {
    shared: Arc<Shared>,
    plan: PlanId,
    cell: Weak<OnceCell<RoomHandle>>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.forget(self.plan, &self.cell);
        self.shared.metrics.loaded_plans.dec();
        if std::thread::panicking() {
            tracing::error!(plan = %self.plan, "the plan's room panicked; it is reloaded on next use");
        }
    }
}

/// A room whose log is past the threshold compacts after this long without commands.
const COMPACT_WHEN_QUIET: std::time::Duration = std::time::Duration::from_millis(500);

/// Whose update is applied: a client's is checked against the plan's layout; one another node
/// already accepted and logged is not checked again.
#[derive(Debug, Clone, Copy)]
enum Check {
    Trusted,
    Client { can_shape: bool },
}

/// Why a client's update was not taken.
enum Refusal {
    /// It does not apply to the document (closed as an invalid payload).
    Broken(String),
    /// It writes what the plan does not have, or what only the coordinator may change.
    NotAllowed(String),
}

/// Sockets the room writes a relayed frame to itself. A write takes about 5–7 µs, so up to 64
/// of them cost less than waking 64 tasks would; in a bigger room the rest is left to the
/// connections' own tasks, so the second core shares the writes and the last reader does not
/// wait for 200 writes in a row.
const DIRECT_WRITES: usize = 64;

/// How often a room on a shared database checks the log and expires stale remote awareness.
const REMOTE_CHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// Awareness of another node's client is forgotten after this long without renewal.
const REMOTE_AWARENESS_TIMEOUT_MS: u64 = 30_000;

/// Most clients in one awareness message from another node (a batch of its connections').
const REMOTE_AWARENESS_CLIENTS: u64 = 4096;

/// Largest merged update relayed or logged as one entry.
const MERGE_LIMIT: usize = 1024 * 1024;

/// Stands for "several connections" as the origin of a merged relay: nobody is skipped.
const NO_CONN: ConnId = 0;

/// Pending updates merged into one log entry and one relayed frame.
struct Chunk {
    from: ConnId,
    bytes: Vec<u8>,
    author: Option<Arc<Actor>>,
}

/// Who last changed each part of the plan in this batch ("sist endret av" on the plan page),
/// committed with the batch.
fn last_edits(pending: &[Pending]) -> Vec<crate::storage::activity::Edit<'_>> {
    let mut last: HashMap<&str, &Actor> = HashMap::new();
    for p in pending {
        if let Some(author) = &p.author {
            for root in &p.roots {
                last.insert(root, author);
            }
        }
    }
    last.into_iter()
        .map(|(target, actor)| crate::storage::activity::Edit { target, actor })
        .collect()
}

/// The top-level types (by name) a committed transaction changed.
pub fn touched_roots(txn: &yrs::TransactionMut) -> Vec<Arc<str>> {
    let mut roots: Vec<Arc<str>> = Vec::new();
    for branch in txn.changed_parent_types() {
        if let yrs::branch::BranchID::Root(name) = branch.id()
            && !roots.contains(&name)
        {
            roots.push(name);
        }
    }
    roots
}

fn same_author(a: &Option<Arc<Actor>>, b: &Option<Arc<Actor>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.id == b.id,
        (None, None) => true,
        _ => false,
    }
}

/// Merges consecutive pending updates of one author into chunks of at most [`MERGE_LIMIT`]
/// bytes, so each log entry credits exactly one author.
fn merge_in_chunks(pending: &[Pending]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < pending.len() {
        let mut end = start + 1;
        let mut size = pending[start].raw.len();
        while end < pending.len()
            && size + pending[end].raw.len() <= MERGE_LIMIT
            && same_author(&pending[end].author, &pending[start].author)
        {
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
        let author = group[0].author.clone();
        if group.len() == 1 {
            chunks.push(Chunk {
                from,
                bytes: group[0].raw.clone(),
                author,
            });
            continue;
        }
        // Every part decoded and applied already, so merging should not fail; if it does, the
        // parts are kept as they are rather than lost.
        match yrs::merge_updates_v1(group.iter().map(|p| p.raw.as_slice())) {
            Ok(bytes) => chunks.push(Chunk {
                from,
                bytes,
                author,
            }),
            Err(_) => chunks.extend(group.iter().map(|p| Chunk {
                from: p.conn,
                bytes: p.raw.clone(),
                author: p.author.clone(),
            })),
        }
    }
    chunks
}

/// Opens a room from storage. Used by the registry's single-flight loader.
pub(super) async fn open(
    plan: PlanId,
    storage: Arc<dyn Storage>,
    templates: &TemplateRegistry,
    config: LiveConfig,
    metrics: Arc<Metrics>,
) -> Result<LiveRoom, RoomError> {
    // The plan's record names its template (the document's `meta.template` is a copy).
    let key = storage
        .get_plan(plan)
        .await?
        .map(|record| record.template)
        .unwrap_or_default();
    let stored = storage.load_document(plan).await?;
    let doc = load_document(&stored)?;
    let template = templates
        .get(&key)
        .cloned()
        .ok_or(RoomError::UnknownTemplate(key))?;
    let log_len = stored.updates.len() as u64;
    Ok(LiveRoom::new(
        plan,
        doc,
        stored.last_seq,
        log_len,
        storage,
        Arc::new(template),
        config,
        metrics,
    ))
}
