//! Named versions: a plan's committed state frozen under a name ("Høringsutkast", "Vedtatt i
//! BU 12.03.2026"). A version is the full Yjs state of the document as the live room had
//! committed it, stored once and never changed; it is read by decoding that state into a
//! detached document, never through the live room.

use serde::Serialize;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::plan::PlanId;
pub use crate::plan::{InvalidVersionId, VersionId};

/// Longest version name, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// A version as listed: what it is called and when it was frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRecord {
    pub id: VersionId,
    pub plan_id: PlanId,
    pub name: String,
    /// Unix milliseconds when it was frozen.
    pub created_at: i64,
}

/// A version with its frozen state (a Yjs v1 update holding the whole document).
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub record: VersionRecord,
    pub state: Vec<u8>,
}

/// Why a version name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionNameError {
    #[error("a version needs a name, for example «Høringsutkast»")]
    Empty,
    #[error("the version name is {len} characters long; the limit is {max}")]
    TooLong { len: usize, max: usize },
}

/// The name as stored: trimmed, inner runs of blanks (line breaks included) made one space.
pub fn normalize_name(name: &str) -> Result<String, VersionNameError> {
    let name = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let len = name.chars().count();
    if len == 0 {
        Err(VersionNameError::Empty)
    } else if len > MAX_NAME_CHARS {
        Err(VersionNameError::TooLong {
            len,
            max: MAX_NAME_CHARS,
        })
    } else {
        Ok(name)
    }
}

/// The whole state of a document, as a version stores it.
pub fn freeze(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// A detached document rebuilt from a version's state.
pub fn thaw(state: &[u8]) -> Result<Doc, String> {
    let update = Update::decode_v1(state).map_err(|e| e.to_string())?;
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(update)
        .map_err(|e| e.to_string())?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, Text};

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(
            normalize_name("  Vedtatt i BU\n 12.03.2026 ").as_deref(),
            Ok("Vedtatt i BU 12.03.2026")
        );
        assert_eq!(normalize_name(" \t\n"), Err(VersionNameError::Empty));
        assert!(matches!(
            normalize_name(&"x".repeat(MAX_NAME_CHARS + 1)),
            Err(VersionNameError::TooLong { .. })
        ));
        assert!(normalize_name(&"ø".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn frozen_state_thaws_to_the_same_content() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "Høringsutkast");
        let thawed = thaw(&freeze(&doc)).expect("thaws");
        let text = thawed.get_or_insert_text("t");
        assert_eq!(text.get_string(&thawed.transact()), "Høringsutkast");
        assert!(thaw(&[1, 2, 3]).is_err());
    }

    #[test]
    fn ids_parse_only_canonical_uuids() {
        let id = VersionId::new_random();
        assert_eq!(id.to_string().parse::<VersionId>().ok(), Some(id));
        assert!("x".parse::<VersionId>().is_err());
    }
}
