//! Turning stored bytes into a live `yrs::Doc`, and judging what an incoming update would add.

use yrs::updates::decoder::Decode;
use yrs::{Doc, StateVector, Transact, Update};

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

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, ReadTxn, Text};

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
}
