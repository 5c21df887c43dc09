//! Property tests of a live room fed random edits: whatever two editors send, in whatever
//! interleaving, the room ends in the state both would reach by merging, stores exactly that,
//! and a reader's content updates never change it.

use std::sync::Arc;

use proptest::prelude::*;
use tokio_util::sync::CancellationToken;
use yrs::updates::decoder::Decode;
use yrs::{
    Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update, WriteTxn,
};

use super::{Participant, Registry, load_document};
use crate::access::Actor;
use crate::config::{LiveConfig, SqliteSynchronous};
use crate::metrics::Metrics;
use crate::plan::NewPlan;
use crate::storage::{SqliteStorage, Storage};
use crate::sync::Incoming;
use crate::templates::TemplateRegistry;

/// One random edit: who makes it (0 and 1 edit, 2 only reads), where, what, and whether it
/// deletes instead of inserting.
type Edit = (usize, u16, String, bool);

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        (0usize..3, any::<u16>(), "[a-zæøå ]{0,8}", any::<bool>()),
        1..40,
    )
}

fn participant(can_edit: bool, id: &str) -> Arc<Participant> {
    Arc::new(Participant {
        can_edit,
        can_shape: false,
        actor: Arc::new(Actor {
            id: id.into(),
            name: id.into(),
            unit: None,
        }),
        revoked: CancellationToken::new(),
    })
}

/// Makes one edit in `doc` and returns it as the update a Yjs provider sends.
fn edit(doc: &Doc, at: u16, text: &str, delete: bool) -> Vec<u8> {
    let before = doc.transact().state_vector();
    {
        let mut txn = doc.transact_mut();
        let t = txn.get_or_insert_text("t");
        let len = t.len(&txn);
        if delete && len > 0 {
            let start = u32::from(at) % len;
            t.remove_range(&mut txn, start, (len - start).min(3));
        } else {
            t.insert(&mut txn, u32::from(at) % (len + 1), text);
        }
    }
    doc.transact().encode_state_as_update_v1(&before)
}

fn text_of(doc: &Doc) -> String {
    let txn = doc.transact();
    txn.get_text("t")
        .map(|t| t.get_string(&txn))
        .unwrap_or_default()
}

/// What the room should hold: both editors' documents merged.
fn merged(editors: &[Doc]) -> Result<String, TestCaseError> {
    let doc = Doc::new();
    for editor in editors {
        let state = editor
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let update = Update::decode_v1(&state).map_err(|e| TestCaseError::fail(e.to_string()))?;
        doc.transact_mut()
            .apply_update(update)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    Ok(text_of(&doc))
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

async fn run_room(edits: Vec<Edit>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(fail)?;
    let path = dir.path().join("room.sqlite3");
    let path = path.to_str().ok_or_else(|| fail("path"))?;
    let storage: Arc<dyn Storage> = Arc::new(
        SqliteStorage::open(path, SqliteSynchronous::Normal)
            .await
            .map_err(fail)?,
    );
    let templates = Arc::new(TemplateRegistry::builtin().map_err(fail)?);
    let template = templates
        .latest(crate::demo::DEMO_TEMPLATE)
        .ok_or_else(|| fail("template"))?;
    let meta = crate::plan::PlanMeta::default();
    let plan = storage
        .create_plan(
            &NewPlan {
                template: template.key(),
                ..NewPlan::default()
            },
            &crate::document::initial_update(template, &meta),
        )
        .await
        .map_err(fail)?
        .id;
    // The edits go to a scratch text `t`: this is a test of the CRDT relay, not of the layout.
    let registry = Registry::new(
        storage.clone(),
        templates.clone(),
        LiveConfig {
            free_form_roots: true,
            ..LiveConfig::default()
        },
        Arc::new(Metrics::new()),
    );
    let people = [
        participant(true, "user:a"),
        participant(true, "user:b"),
        participant(false, "user:reader"),
    ];
    let mut joined = Vec::new();
    for person in &people {
        let outbox = Arc::new(super::Outbox::detached(1024));
        joined.push(
            registry
                .join(plan, person.clone(), outbox)
                .await
                .map_err(fail)?,
        );
    }
    // Offsets in UTF-16 code units, as Yjs clients count them.
    let docs: Vec<Doc> = (1..=3u64)
        .map(|client_id| {
            Doc::with_options(Options {
                client_id: yrs::ClientID::new(client_id),
                offset_kind: OffsetKind::Utf16,
                ..Options::default()
            })
        })
        .collect();
    for (who, at, text, delete) in edits {
        let raw = edit(&docs[who], at, &text, delete);
        let update = Update::decode_v1(&raw).map_err(fail)?;
        let (room, entry) = &joined[who];
        prop_assert!(
            room.send(
                entry.conn,
                people[who].clone(),
                Incoming::Update { raw, update }
            )
            .await,
            "the room takes every message"
        );
    }
    let expected = merged(&docs[..2])?;
    let live = registry.read(plan, text_of).await.map_err(fail)?;
    prop_assert_eq!(
        &live,
        &expected,
        "the room holds both editors' merge, nothing of the reader"
    );
    registry.shutdown().await;
    let stored = load_document(&storage.load_document(plan).await.map_err(fail)?).map_err(fail)?;
    prop_assert_eq!(text_of(&stored), expected, "and stored exactly that");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn editors_converge_readers_change_nothing_and_everything_is_stored(edits in edits()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(fail)?;
        runtime.block_on(run_room(edits))?;
    }
}
