//! Where a thread's anchor stands in the live document now.
//!
//! A text anchor holds two Yjs relative positions (`encodeRelativePosition` bytes, made by
//! y-prosemirror in the browser). Each resolves, in the current document, to an offset in some
//! shared type: usually a character offset in a Y.XmlText, sometimes a child index in an
//! element or in the section's fragment itself. To say which text lies between them, the
//! section's Y.XmlFragment is flattened in document order into one string (text as is, a
//! `hard_break` and the boundary between blocks as `\n`) and both offsets are mapped into it.
//!
//! The anchor is `deleted` when either end no longer resolves into this section (its paragraph
//! was removed, the position is unknown to this document) or the range collapsed to nothing
//! (all of its text was deleted). A row anchor is the row's title now and the number the plan
//! prints it with ([`tiltak_numbers`], the one numbering of tiltak). Everything here is a pure
//! function of a document, so it can be tested without a server.

use std::collections::HashMap;

use serde::Serialize;
use yrs::branch::{Branch, BranchPtr};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Offset, OffsetKind, ReadTxn, StickyIndex, Transact, XmlFragment, XmlOut};

use super::{Anchor, CommentError};
use crate::document::layout::{node, section_fragment, xml_text_plain};
use crate::document::{TiltakRow, plan_structure, prose_sections, read_tiltak, tiltak_numbers_in};
use crate::templates::Template;

/// Whether the anchored text (or row) is still in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorState {
    Present,
    Deleted,
}

/// An anchor's state and the text it covers now (`None` when deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorStatus {
    pub state: AnchorState,
    pub current_text: Option<String>,
    /// A row anchor's number as the plan prints it now («4.5-9»); `None` for text anchors and
    /// for rows in no tiltak section in use.
    pub number: Option<String>,
}

impl AnchorStatus {
    pub fn present(text: String) -> Self {
        AnchorStatus {
            state: AnchorState::Present,
            current_text: Some(text),
            number: None,
        }
    }

    pub fn deleted() -> Self {
        AnchorStatus {
            state: AnchorState::Deleted,
            current_text: None,
            number: None,
        }
    }
}

/// A prose section flattened into one string, with where each of its shared types lies in it.
/// Branch pointers are only meaningful inside the transaction that made them.
#[derive(Debug, Default)]
pub struct FlatSection {
    pub text: String,
    /// Each live Y.XmlText of the section: its byte range in `text`.
    texts: HashMap<BranchPtr, (usize, usize)>,
    /// Each live element (and the fragment): the byte position where each child starts in
    /// `text`, then where the element ends.
    containers: HashMap<BranchPtr, Vec<usize>>,
    offset_kind: Option<OffsetKind>,
}

impl FlatSection {
    /// The section `section_id` of the document as the transaction sees it; empty when nobody
    /// has written there.
    pub fn read<T: ReadTxn>(txn: &T, section_id: &str, offset_kind: OffsetKind) -> FlatSection {
        let mut flat = FlatSection {
            offset_kind: Some(offset_kind),
            ..FlatSection::default()
        };
        if let Some(fragment) = txn.get_xml_fragment(section_fragment(section_id)) {
            flat.walk(txn, &fragment);
        }
        flat
    }

    fn walk<T: ReadTxn, F: XmlFragment>(&mut self, txn: &T, parent: &F) {
        let mut starts = Vec::new();
        for child in parent.children(txn) {
            match child {
                XmlOut::Text(text) => {
                    let start = self.text.len();
                    starts.push(start);
                    self.text.push_str(&xml_text_plain(txn, &text));
                    self.texts
                        .insert(branch_of(&text), (start, self.text.len()));
                }
                XmlOut::Element(element) if element.tag().as_ref() == node::HARD_BREAK => {
                    starts.push(self.text.len());
                    self.text.push('\n');
                }
                XmlOut::Element(element) => {
                    self.separate_block();
                    starts.push(self.text.len());
                    self.walk(txn, &element);
                }
                XmlOut::Fragment(fragment) => {
                    self.separate_block();
                    starts.push(self.text.len());
                    self.walk(txn, &fragment);
                }
            }
        }
        starts.push(self.text.len());
        self.containers.insert(branch_of(parent), starts);
    }

    /// A block starts on a line of its own.
    fn separate_block(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Where a resolved position lies in [`Self::text`]; `None` when it is not in this section.
    pub fn position(&self, offset: &Offset) -> Option<usize> {
        if let Some(&(start, end)) = self.texts.get(&offset.branch) {
            let kind = self.offset_kind.unwrap_or(OffsetKind::Bytes);
            return Some(start + byte_offset(&self.text[start..end], offset.index, kind));
        }
        let starts = self.containers.get(&offset.branch)?;
        let index = usize::try_from(offset.index).unwrap_or(usize::MAX);
        starts.get(index).or_else(|| starts.last()).copied()
    }

    /// The text between two encoded relative positions, if both resolve into this section and
    /// enclose at least one character.
    pub fn anchored<T: ReadTxn>(&self, txn: &T, start: &[u8], end: &[u8]) -> AnchorStatus {
        let resolve = |bytes: &[u8]| {
            let index = StickyIndex::decode_v1(bytes).ok()?;
            self.position(&index.get_offset(txn)?)
        };
        match (resolve(start), resolve(end)) {
            (Some(from), Some(to)) if from < to => {
                AnchorStatus::present(self.text[from..to].to_owned())
            }
            _ => AnchorStatus::deleted(),
        }
    }
}

fn branch_of<B: AsRef<Branch>>(shared: &B) -> BranchPtr {
    BranchPtr::from(shared.as_ref())
}

/// The byte offset in `text` of a Yjs index in `kind` units, clamped to the text and to a
/// character boundary.
fn byte_offset(text: &str, index: u32, kind: OffsetKind) -> usize {
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    match kind {
        OffsetKind::Bytes => {
            let mut at = index.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        }
        OffsetKind::Utf16 => {
            let mut units = 0;
            for (at, c) in text.char_indices() {
                if units >= index {
                    return at;
                }
                units += c.len_utf16();
            }
            text.len()
        }
    }
}

/// Resolves many anchors in one read of the document: each section is flattened once, and the
/// rows are read and numbered once, only when some anchor is a row.
pub fn resolve_all(doc: &Doc, template: &Template, anchors: &[Anchor]) -> Vec<AnchorStatus> {
    let txn = doc.transact();
    let offset_kind = doc.offset_kind();
    let mut sections: HashMap<&str, FlatSection> = HashMap::new();
    let rows: Vec<TiltakRow> = if anchors
        .iter()
        .any(|anchor| matches!(anchor, Anchor::Tiltak { .. }))
    {
        read_tiltak(&txn, template)
    } else {
        Vec::new()
    };
    let numbers = tiltak_numbers_in(&txn, &rows, template);
    anchors
        .iter()
        .map(|anchor| match anchor {
            Anchor::Text {
                section,
                start,
                end,
                ..
            } => sections
                .entry(section.as_str())
                .or_insert_with(|| FlatSection::read(&txn, section, offset_kind))
                .anchored(&txn, start, end),
            Anchor::Tiltak { row, .. } => tiltak_status(&rows, &numbers, template, row),
        })
        .collect()
}

/// Resolves one anchor.
pub fn resolve(doc: &Doc, template: &Template, anchor: &Anchor) -> AnchorStatus {
    resolve_all(doc, template, std::slice::from_ref(anchor))
        .pop()
        .unwrap_or_else(AnchorStatus::deleted)
}

/// A row anchor shows the row's title (the template's `title_field`) and its number.
fn tiltak_status(
    rows: &[TiltakRow],
    numbers: &HashMap<&str, String>,
    template: &Template,
    id: &str,
) -> AnchorStatus {
    rows.iter()
        .find(|row| row.id == id)
        .map(|row| AnchorStatus {
            number: numbers.get(id).cloned(),
            ..AnchorStatus::present(row.title(template))
        })
        .unwrap_or_else(AnchorStatus::deleted)
}

/// Checks a new thread's anchor against the plan: a text anchor must name a prose section of
/// the plan (the template's, or a target group's), a tiltak anchor a row that exists. Returns
/// where the anchor stands now.
pub fn check_new_anchor(
    doc: &Doc,
    template: &Template,
    anchor: &Anchor,
) -> Result<AnchorStatus, CommentError> {
    match anchor {
        Anchor::Text { section, .. } => {
            let structure = plan_structure(&doc.transact(), template);
            if !prose_sections(&structure)
                .iter()
                .any(|prose| &prose.id == section)
            {
                return Err(CommentError::NotProseSection(section.clone()));
            }
        }
        Anchor::Tiltak { row, .. } => {
            let rows = read_tiltak(&doc.transact(), template);
            if !rows.iter().any(|r| &r.id == row) {
                return Err(CommentError::UnknownRow(row.clone()));
            }
        }
    }
    Ok(resolve(doc, template, anchor))
}

#[cfg(test)]
mod tests {
    use yrs::updates::encoder::Encode;
    use yrs::{
        Assoc, IndexedSequence, Text, TransactionMut, Update, WriteTxn, XmlElementPrelim,
        XmlElementRef, XmlFragmentRef, XmlTextPrelim, XmlTextRef,
    };

    use super::*;

    const SECTION: &str = "x";

    /// A document whose section `x` holds one paragraph per entry, as y-prosemirror writes them.
    fn doc_with(paragraphs: &[&str]) -> Doc {
        let doc = Doc::with_client_id(1);
        {
            let mut txn = doc.transact_mut();
            let fragment = txn.get_or_insert_xml_fragment(section_fragment(SECTION));
            for paragraph in paragraphs {
                fragment.push_back(
                    &mut txn,
                    XmlElementPrelim::new(node::PARAGRAPH, [XmlTextPrelim::new(*paragraph).into()]),
                );
            }
        }
        doc
    }

    fn fragment(txn: &TransactionMut) -> XmlFragmentRef {
        txn.get_xml_fragment(section_fragment(SECTION))
            .expect("fragment")
    }

    fn paragraph(txn: &TransactionMut, index: u32) -> XmlElementRef {
        match fragment(txn).get(txn, index) {
            Some(XmlOut::Element(element)) => element,
            other => panic!("no paragraph {index}: {other:?}"),
        }
    }

    fn text_of(txn: &TransactionMut, index: u32) -> XmlTextRef {
        match paragraph(txn, index).get(txn, 0) {
            Some(XmlOut::Text(text)) => text,
            other => panic!("no text in paragraph {index}: {other:?}"),
        }
    }

    /// Relative positions around `text[from..to]` of paragraph `index`, as y-prosemirror makes
    /// them (start sticks to the character after it, end to the character before it).
    fn anchor(doc: &Doc, index: u32, from: u32, to: u32) -> (Vec<u8>, Vec<u8>) {
        let txn = doc.transact_mut();
        let text = text_of(&txn, index);
        let start = text.sticky_index(&txn, from, Assoc::After).expect("start");
        let end = text.sticky_index(&txn, to, Assoc::Before).expect("end");
        (start.encode_v1(), end.encode_v1())
    }

    fn anchored(doc: &Doc, (start, end): &(Vec<u8>, Vec<u8>)) -> AnchorStatus {
        let txn = doc.transact();
        FlatSection::read(&txn, SECTION, doc.offset_kind()).anchored(&txn, start, end)
    }

    fn present(text: &str) -> AnchorStatus {
        AnchorStatus::present(text.to_owned())
    }

    #[test]
    fn the_section_flattens_in_document_order() {
        let doc = doc_with(&["Første avsnitt.", "Andre avsnitt."]);
        {
            let mut txn = doc.transact_mut();
            let list =
                fragment(&txn).push_back(&mut txn, XmlElementPrelim::empty(node::BULLET_LIST));
            let item = list.push_back(&mut txn, XmlElementPrelim::empty(node::LIST_ITEM));
            item.push_back(
                &mut txn,
                XmlElementPrelim::new(node::PARAGRAPH, [XmlTextPrelim::new("punkt").into()]),
            );
            let last = paragraph(&txn, 1);
            last.push_back(&mut txn, XmlElementPrelim::empty(node::HARD_BREAK));
            last.push_back(&mut txn, XmlTextPrelim::new("linje"));
        }
        let txn = doc.transact();
        let flat = FlatSection::read(&txn, SECTION, doc.offset_kind());
        assert_eq!(flat.text, "Første avsnitt.\nAndre avsnitt.\nlinje\npunkt");
    }

    #[test]
    fn the_range_follows_inserts_before_and_inside_it() {
        let doc = doc_with(&["Første avsnitt.", "Barn og unge drikker mindre enn før."]);
        let range = anchor(&doc, 1, 8, 20); // "unge drikker"
        assert_eq!(anchored(&doc, &range), present("unge drikker"));
        {
            let mut txn = doc.transact_mut();
            text_of(&txn, 1).insert(&mut txn, 0, "Nytt: ");
            text_of(&txn, 0).insert(&mut txn, 0, "Ja. ");
        }
        assert_eq!(anchored(&doc, &range), present("unge drikker"));
        {
            let mut txn = doc.transact_mut();
            // "Nytt: Barn og unge drikker" – inside the range, after "unge ".
            text_of(&txn, 1).insert(&mut txn, 19, "i Oslo ");
        }
        assert_eq!(anchored(&doc, &range), present("unge i Oslo drikker"));
        // A new paragraph before the anchored one changes nothing.
        {
            let mut txn = doc.transact_mut();
            fragment(&txn).insert(
                &mut txn,
                0,
                XmlElementPrelim::new(node::PARAGRAPH, [XmlTextPrelim::new("Innledning").into()]),
            );
        }
        assert_eq!(anchored(&doc, &range), present("unge i Oslo drikker"));
    }

    #[test]
    fn a_range_over_two_paragraphs_includes_the_break() {
        let doc = doc_with(&["ab", "cd"]);
        let start = {
            let txn = doc.transact_mut();
            text_of(&txn, 0).sticky_index(&txn, 1, Assoc::After)
        };
        let end = {
            let txn = doc.transact_mut();
            text_of(&txn, 1).sticky_index(&txn, 1, Assoc::Before)
        };
        let range = (
            start.expect("start").encode_v1(),
            end.expect("end").encode_v1(),
        );
        assert_eq!(anchored(&doc, &range), present("b\nc"));
    }

    #[test]
    fn deleting_the_text_deletes_the_anchor() {
        let doc = doc_with(&["Et avsnitt om bolig."]);
        let range = anchor(&doc, 0, 3, 10); // "avsnitt"
        {
            let mut txn = doc.transact_mut();
            text_of(&txn, 0).remove_range(&mut txn, 5, 3); // "Et avtt om bolig."
        }
        assert_eq!(anchored(&doc, &range), present("avtt"));
        {
            let mut txn = doc.transact_mut();
            text_of(&txn, 0).remove_range(&mut txn, 3, 4);
        }
        assert_eq!(anchored(&doc, &range), AnchorStatus::deleted());

        // Removing the whole paragraph removes its text with it.
        let doc = doc_with(&["Første.", "Andre."]);
        let range = anchor(&doc, 1, 0, 5);
        assert_eq!(anchored(&doc, &range), present("Andre"));
        {
            let mut txn = doc.transact_mut();
            fragment(&txn).remove_range(&mut txn, 1, 1);
        }
        assert_eq!(anchored(&doc, &range), AnchorStatus::deleted());
    }

    #[test]
    fn a_position_elsewhere_or_unknown_is_deleted() {
        let doc = doc_with(&["Tekst her."]);
        let range = anchor(&doc, 0, 0, 5);
        // The same positions read against another section of the document.
        let txn = doc.transact();
        let other = FlatSection::read(&txn, "y", doc.offset_kind());
        assert_eq!(
            other.anchored(&txn, &range.0, &range.1),
            AnchorStatus::deleted()
        );
        drop(txn);
        // A document that never saw those items.
        let stranger = Doc::with_client_id(7);
        {
            let mut txn = stranger.transact_mut();
            txn.get_or_insert_xml_fragment(section_fragment(SECTION));
        }
        assert_eq!(anchored(&stranger, &range), AnchorStatus::deleted());
        assert_eq!(
            anchored(&doc, &(vec![9, 9], range.1.clone())),
            AnchorStatus::deleted()
        );
    }

    #[test]
    fn positions_as_y_prosemirror_makes_them_follow_their_text() {
        // y-prosemirror (1.x) associates both ends with the character after them, and an end
        // at the end of a paragraph with the paragraph's text itself.
        let doc = doc_with(&["Mål for barn og unge"]);
        let (start, end, to_end) = {
            let txn = doc.transact_mut();
            let text = text_of(&txn, 0);
            // "Mål for " is 9 bytes (the document counts UTF-8 bytes); yrs has no position
            // after the last character with this association.
            let len = text.len(&txn);
            assert!(text.sticky_index(&txn, len, Assoc::After).is_none());
            (
                text.sticky_index(&txn, 9, Assoc::After).expect("start"),
                text.sticky_index(&txn, 13, Assoc::After).expect("end"),
                StickyIndex::from_type(&txn, &text, Assoc::After),
            )
        };
        let range = (start.encode_v1(), end.encode_v1());
        let to_the_end = (start.encode_v1(), to_end.encode_v1());
        assert_eq!(anchored(&doc, &range), present("barn"));
        assert_eq!(anchored(&doc, &to_the_end), present("barn og unge"));
        {
            let mut txn = doc.transact_mut();
            text_of(&txn, 0).insert(&mut txn, 0, "Nye ");
            let len = text_of(&txn, 0).len(&txn);
            text_of(&txn, 0).insert(&mut txn, len, " i bydelen");
        }
        assert_eq!(anchored(&doc, &range), present("barn"));
        assert_eq!(
            anchored(&doc, &to_the_end),
            present("barn og unge i bydelen")
        );
    }

    #[test]
    fn positions_in_elements_resolve_to_block_boundaries() {
        let doc = doc_with(&["ab", "cd", "ef"]);
        // Between paragraph 0 and 1 (an index in the fragment), to the end of paragraph 1 (the
        // element itself, as y-prosemirror encodes "end of this paragraph").
        let (start, end) = {
            let txn = doc.transact_mut();
            let fragment = fragment(&txn);
            let start = fragment.sticky_index(&txn, 1, Assoc::After).expect("start");
            let end = StickyIndex::from_type(&txn, &paragraph(&txn, 1), Assoc::After);
            (start.encode_v1(), end.encode_v1())
        };
        assert_eq!(anchored(&doc, &(start, end)), present("cd"));
    }

    #[test]
    fn utf16_documents_map_offsets_by_code_units() {
        let doc = Doc::with_options(yrs::Options {
            offset_kind: OffsetKind::Utf16,
            ..yrs::Options::default()
        });
        {
            let mut txn = doc.transact_mut();
            let fragment = txn.get_or_insert_xml_fragment(section_fragment(SECTION));
            fragment.push_back(
                &mut txn,
                XmlElementPrelim::new(node::PARAGRAPH, [XmlTextPrelim::new("😀 æøå").into()]),
            );
        }
        let range = anchor(&doc, 0, 3, 6); // after the emoji (2 units) and the space
        assert_eq!(anchored(&doc, &range), present("æøå"));
    }

    #[test]
    fn concurrent_edits_in_two_documents_merge_around_the_range() {
        let alice = doc_with(&["Tiltak for unge voksne i bydelen."]);
        let bob = Doc::with_client_id(2);
        let sync = |from: &Doc, to: &Doc| {
            let sv = to.transact().state_vector();
            let update = from.transact().encode_state_as_update_v1(&sv);
            to.transact_mut()
                .apply_update(Update::decode_v1(&update).expect("update"))
                .expect("applies");
        };
        sync(&alice, &bob);
        let range = anchor(&bob, 0, 11, 22); // "unge voksne"
        assert_eq!(anchored(&alice, &range), present("unge voksne"));
        // Concurrently: Alice writes before the range, Bob inside it and deletes a word after.
        {
            let mut txn = alice.transact_mut();
            text_of(&txn, 0).insert(&mut txn, 0, "Nye ");
        }
        {
            let mut txn = bob.transact_mut();
            text_of(&txn, 0).insert(&mut txn, 16, "og eldre ");
            text_of(&txn, 0).remove_range(&mut txn, 32, 2); // "i " after the range
        }
        sync(&alice, &bob);
        sync(&bob, &alice);
        assert_eq!(
            alice.transact().state_vector(),
            bob.transact().state_vector()
        );
        for doc in [&alice, &bob] {
            let txn = doc.transact();
            assert_eq!(
                FlatSection::read(&txn, SECTION, doc.offset_kind()).text,
                "Nye Tiltak for unge og eldre voksne bydelen."
            );
            drop(txn);
            assert_eq!(anchored(doc, &range), present("unge og eldre voksne"));
        }
        // Alice deletes the whole range while Bob types after it.
        {
            let mut txn = alice.transact_mut();
            text_of(&txn, 0).remove_range(&mut txn, 15, 21);
        }
        {
            let mut txn = bob.transact_mut();
            let len = text_of(&txn, 0).len(&txn);
            text_of(&txn, 0).insert(&mut txn, len, " Ja.");
        }
        sync(&alice, &bob);
        sync(&bob, &alice);
        for doc in [&alice, &bob] {
            assert_eq!(anchored(doc, &range), AnchorStatus::deleted());
        }
    }

    #[test]
    fn tiltak_anchors_follow_their_row() {
        let template = crate::templates::TemplateRegistry::load(None)
            .expect("templates")
            .get("korus-ruspolitisk-handlingsplan")
            .cloned()
            .expect("korus template");
        let doc = Doc::new();
        let ids = {
            let mut txn = doc.transact_mut();
            let row: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
                r#"{"tiltak": "Kurs for foreldre", "strategi": "forebygging"}"#,
            )
            .expect("row");
            crate::document::append_tiltak(
                &mut txn,
                &template,
                &[row],
                crate::document::RowOrigin::Made,
            )
            .expect("appended")
        };
        let anchor = Anchor::Tiltak {
            row: ids[0].clone(),
            quote: "Kurs".into(),
        };
        let tiltak_section = template
            .sections_of_kind(crate::templates::SectionKind::Tiltak)
            .first()
            .map(|section| section.id.clone())
            .expect("a tiltak section");
        let section_number = crate::document::structure::find(
            &plan_structure(&doc.transact(), &template),
            &tiltak_section,
        )
        .map(|section| section.number.clone())
        .expect("numbered");
        let numbered = |number: Option<String>| AnchorStatus {
            number,
            ..present("Kurs for foreldre")
        };
        assert_eq!(
            check_new_anchor(&doc, &template, &anchor),
            Ok(numbered(Some(format!("{section_number}-1"))))
        );
        // The section set aside: the row is printed nowhere, so it has no number.
        {
            let mut txn = doc.transact_mut();
            let aside = crate::document::SectionPatch {
                in_use: Some(false),
                ..crate::document::SectionPatch::default()
            };
            crate::document::patch_section(&mut txn, &template, &tiltak_section, &aside)
                .expect("set aside");
        }
        assert_eq!(resolve(&doc, &template, &anchor), numbered(None));
        let missing = Anchor::Tiltak {
            row: "nope".into(),
            quote: String::new(),
        };
        assert_eq!(
            check_new_anchor(&doc, &template, &missing),
            Err(CommentError::UnknownRow("nope".into()))
        );
        assert_eq!(resolve(&doc, &template, &missing), AnchorStatus::deleted());
        let prose = template.prose_section_ids()[0].to_owned();
        let text = Anchor::Text {
            section: prose,
            start: vec![1, 0],
            end: vec![1, 0],
            quote: String::new(),
        };
        assert_eq!(
            check_new_anchor(&doc, &template, &text),
            Ok(AnchorStatus::deleted())
        );
        let not_prose = Anchor::Text {
            section: "hvor-star-vi.nokkeltall".into(),
            start: vec![],
            end: vec![],
            quote: String::new(),
        };
        assert!(matches!(
            check_new_anchor(&doc, &template, &not_prose),
            Err(CommentError::NotProseSection(_))
        ));
        {
            let mut txn = doc.transact_mut();
            let array = txn.get_or_insert_array(crate::document::layout::TILTAK);
            yrs::Array::remove(&array, &mut txn, 0);
        }
        assert_eq!(resolve(&doc, &template, &anchor), AnchorStatus::deleted());
    }
}
