//! Turning stored bytes into a live `yrs::Doc`, and judging what an incoming update would add.

use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use super::RoomError;
use crate::storage::StoredDocument;

/// Rebuilds a plan's document from its snapshot and the updates logged after it.
pub fn load_document(stored: &StoredDocument) -> Result<Doc, RoomError> {
    let doc = Doc::new();
    {
        // One transaction for the whole log: observers and commit work run once, not per update.
        let mut txn = doc.transact_mut();
        for (index, bytes) in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter())
            .enumerate()
        {
            let update = Update::decode_v1(bytes)
                .map_err(|e| RoomError::Corrupt(format!("entry {index}: {e}")))?;
            txn.apply_update(update)
                .map_err(|e| RoomError::Corrupt(format!("entry {index}: {e}")))?;
        }
    }
    Ok(doc)
}

/// Does the update insert anything the document has not seen? Cheap: state vectors only.
pub fn inserts_unknown(update: &Update, known: &StateVector) -> bool {
    update.insertions(true).iter().any(|(client, ranges)| {
        ranges
            .iter()
            .any(|range| range.end > known.get(client) && !range.is_empty())
    })
}

/// Would applying the update change the document at all? A read-only client's sync step 2 after a
/// reconnect repeats what the server has; only a real change is refused.
pub fn adds_information(txn: &impl ReadTxn, update: &Update) -> bool {
    if inserts_unknown(update, &txn.state_vector()) {
        return true;
    }
    if update.delete_set().is_empty() {
        return false;
    }
    let known_deletes = txn.snapshot().delete_set;
    !update.delete_set().diff(&known_deletes).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, Text};

    fn text_update(doc: &Doc, at: u32, s: &str) -> Vec<u8> {
        let text = doc.get_or_insert_text("t");
        let before = doc.transact().state_vector();
        text.insert(&mut doc.transact_mut(), at, s);
        doc.transact().encode_state_as_update_v1(&before)
    }

    #[test]
    fn loads_snapshot_then_log() {
        let source = Doc::new();
        let first = text_update(&source, 0, "Hvor står vi?");
        let second = text_update(&source, 0, "2 ");
        let stored = StoredDocument {
            snapshot: Some(first),
            updates: vec![second],
            last_seq: 2,
        };
        let doc = load_document(&stored).expect("loads");
        let text = doc.get_or_insert_text("t");
        assert_eq!(text.get_string(&doc.transact()), "2 Hvor står vi?");
    }

    #[test]
    fn corrupt_entries_are_reported() {
        let stored = StoredDocument {
            snapshot: None,
            updates: vec![vec![9, 9, 9]],
            last_seq: 1,
        };
        assert!(matches!(load_document(&stored), Err(RoomError::Corrupt(_))));
    }

    #[test]
    fn repeated_content_adds_nothing_but_new_content_does() {
        let writer = Doc::new();
        let insert = text_update(&writer, 0, "tiltak");
        let server = Doc::new();
        let update = Update::decode_v1(&insert).expect("decodes");
        assert!(adds_information(&server.transact(), &update));
        server.transact_mut().apply_update(update).expect("applies");
        let again = Update::decode_v1(&insert).expect("decodes");
        assert!(!adds_information(&server.transact(), &again));

        // A deletion is new information until the server has it.
        let text = writer.get_or_insert_text("t");
        let before = writer.transact().state_vector();
        text.remove_range(&mut writer.transact_mut(), 0, 3);
        let delete = writer.transact().encode_state_as_update_v1(&before);
        let delete = Update::decode_v1(&delete).expect("decodes");
        assert!(adds_information(&server.transact(), &delete));

        // A full-state update (what a reconnecting client sends) adds nothing once applied.
        let full = writer
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        server
            .transact_mut()
            .apply_update(Update::decode_v1(&full).expect("decodes"))
            .expect("applies");
        let full = Update::decode_v1(&full).expect("decodes");
        assert!(!adds_information(&server.transact(), &full));
    }
}
