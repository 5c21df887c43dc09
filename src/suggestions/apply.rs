//! Suggestions against the live document: checking a new one, where each stands now (its
//! current text or value, out of date, gone), and applying an accepted one in the transaction
//! the server's edit runs in. Pure functions of a document, tested without a server.
//!
//! A prose suggestion's two relative positions must resolve into one Y.XmlText (one paragraph
//! or list item: the words a reader selected there) of its section; the words between them now
//! are compared with the words when it was proposed. Applying replaces exactly that range, so
//! text typed around it by others stays.

use serde_json::{Map, Value};
use yrs::branch::BranchPtr;
use yrs::types::TypeRef;
use yrs::updates::decoder::Decode;
use yrs::{Doc, OffsetKind, ReadTxn, StickyIndex, Text, Transact, TransactionMut, XmlTextRef};

use super::{Proposal, ProposalInput, Suggestion, SuggestionError};
use crate::comments::{Anchor, anchor};
use crate::document::{
    self, DocumentError, FieldValue, RowOrigin, TiltakRow, read_tiltak, tiltak_numbers_in,
};
use crate::templates::Template;

/// Why a suggestion could not be made or applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Invalid(#[from] SuggestionError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The text or value changed since the suggestion was made; the accepter must confirm.
    #[error(
        "Teksten er endret siden forslaget ble gitt. Se gjennom begge og bekreft («confirm_stale»)."
    )]
    Stale,
    /// The text or row it was made on is gone.
    #[error(
        "Teksten eller tiltaket forslaget gjelder, finnes ikke lenger; forslaget kan bare avvises."
    )]
    Gone,
}

/// Where a suggestion stands in the document now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    /// The text or value it would replace now; `Null` when gone, or for a new row.
    pub current: Value,
    pub stale: bool,
    pub gone: bool,
    /// The plan section it belongs to.
    pub section: Option<String>,
    /// A row's number as printed.
    pub number: Option<String>,
    /// A row's title now.
    pub row_title: Option<String>,
}

impl Standing {
    fn gone(section: Option<String>) -> Standing {
        Standing {
            gone: true,
            section,
            ..Standing::default()
        }
    }
}

/// What applying a suggestion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The id of a new row.
    pub row: Option<String>,
}

/// A prose range in the document now: one Y.XmlText and two offsets in it (in the document's
/// offset units), and the words between them.
struct TextRange {
    branch: BranchPtr,
    from: u32,
    to: u32,
    current: String,
}

fn text_range<T: ReadTxn>(
    txn: &T,
    section: &str,
    start: &[u8],
    end: &[u8],
    offset_kind: OffsetKind,
) -> Result<TextRange, SuggestionError> {
    let flat = anchor::FlatSection::read(txn, section, offset_kind);
    let resolve = |bytes: &[u8]| StickyIndex::decode_v1(bytes).ok()?.get_offset(txn);
    let (Some(a), Some(b)) = (resolve(start), resolve(end)) else {
        return Err(SuggestionError::TextGone);
    };
    let (Some(from), Some(to)) = (flat.position(&a), flat.position(&b)) else {
        return Err(SuggestionError::TextGone);
    };
    if a.branch != b.branch || *a.branch.type_ref() != TypeRef::XmlText {
        return Err(SuggestionError::NotOneParagraph);
    }
    if from > to || a.index > b.index {
        return Err(SuggestionError::TextGone);
    }
    Ok(TextRange {
        branch: a.branch,
        from: a.index,
        to: b.index,
        current: flat.text[from..to].to_owned(),
    })
}

fn value_of(value: &FieldValue) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A row's field as JSON (a string, or an array for list fields).
fn field_value(row: &TiltakRow, field: &str) -> Value {
    row.fields.get(field).map(value_of).unwrap_or(Value::Null)
}

/// The tiltak section a new row names (`section`, or the first of `sections`).
fn new_row_section(fields: &Map<String, Value>) -> Option<String> {
    match (fields.get("section"), fields.get("sections")) {
        (Some(Value::String(section)), _) if !section.is_empty() => Some(section.clone()),
        (_, Some(Value::Array(sections))) => {
            sections.first().and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

/// Checks a new suggestion against the plan and fills in what it replaces now.
pub fn check_new(
    doc: &Doc,
    template: &Template,
    input: ProposalInput,
) -> Result<Proposal, ApplyError> {
    match input {
        ProposalInput::Text {
            section,
            start,
            end,
            quote,
            text,
        } => {
            let as_anchor = Anchor::Text {
                section: section.clone(),
                start: start.clone(),
                end: end.clone(),
                quote: String::new(),
            };
            anchor::check_new_anchor(doc, template, &as_anchor).map_err(SuggestionError::from)?;
            let txn = doc.transact();
            let range = text_range(&txn, &section, &start, &end, doc.offset_kind())?;
            let original = if quote.is_empty() {
                range.current
            } else {
                quote
            };
            if original == text {
                return Err(SuggestionError::Unchanged.into());
            }
            Ok(Proposal::Text {
                section,
                start,
                end,
                original,
                text,
            })
        }
        ProposalInput::Field { row, field, value } => {
            let txn = doc.transact();
            let normal = document::check_tiltak_field(&txn, template, &row, &field, &value)?;
            let value = value_of(&normal);
            let original = read_tiltak(&txn, template)
                .iter()
                .find(|r| r.id == row)
                .map(|r| field_value(r, &field))
                .unwrap_or(Value::Null);
            if original == value {
                return Err(SuggestionError::Unchanged.into());
            }
            Ok(Proposal::Field {
                row,
                field,
                original,
                value,
            })
        }
        ProposalInput::Row { fields } => {
            document::check_new_tiltak(&doc.transact(), template, &fields)?;
            Ok(Proposal::Row { fields })
        }
    }
}

/// Where each suggestion stands now, in one read of the document.
pub fn standing_all(doc: &Doc, template: &Template, suggestions: &[Suggestion]) -> Vec<Standing> {
    let txn = doc.transact();
    let rows: Vec<TiltakRow> = if suggestions
        .iter()
        .any(|s| matches!(s.proposal, Proposal::Field { .. }))
    {
        read_tiltak(&txn, template)
    } else {
        Vec::new()
    };
    let numbers = tiltak_numbers_in(&txn, &rows, template);
    suggestions
        .iter()
        .map(|suggestion| match &suggestion.proposal {
            Proposal::Text {
                section,
                start,
                end,
                original,
                ..
            } => match text_range(&txn, section, start, end, doc.offset_kind()) {
                Ok(range) => Standing {
                    stale: &range.current != original,
                    current: Value::String(range.current),
                    section: Some(section.clone()),
                    ..Standing::default()
                },
                Err(_) => Standing::gone(Some(section.clone())),
            },
            Proposal::Field {
                row,
                field,
                original,
                ..
            } => match rows.iter().find(|r| &r.id == row) {
                Some(found) => {
                    let current = field_value(found, field);
                    Standing {
                        stale: &current != original,
                        current,
                        section: found.section.clone(),
                        number: numbers.get(row.as_str()).cloned(),
                        row_title: Some(found.title(template)),
                        ..Standing::default()
                    }
                }
                None => Standing::gone(None),
            },
            Proposal::Row { fields } => Standing {
                section: new_row_section(fields),
                ..Standing::default()
            },
        })
        .collect()
}

/// Applies an accepted suggestion in the server's edit transaction. An out-of-date one is
/// applied only with `confirm_stale`; nothing is written on any error.
pub fn apply(
    txn: &mut TransactionMut,
    template: &Template,
    proposal: &Proposal,
    confirm_stale: bool,
) -> Result<Applied, ApplyError> {
    match proposal {
        Proposal::Text {
            section,
            start,
            end,
            original,
            text,
        } => {
            let offset_kind = txn.doc().offset_kind();
            let range =
                text_range(txn, section, start, end, offset_kind).map_err(|_| ApplyError::Gone)?;
            if &range.current != original && !confirm_stale {
                return Err(ApplyError::Stale);
            }
            let target = XmlTextRef::from(range.branch);
            if range.to > range.from {
                target.remove_range(txn, range.from, range.to - range.from);
            }
            if !text.is_empty() {
                target.insert(txn, range.from, text);
            }
            Ok(Applied { row: None })
        }
        Proposal::Field {
            row,
            field,
            original,
            value,
        } => {
            let current = read_tiltak(txn, template)
                .iter()
                .find(|r| &r.id == row)
                .map(|r| field_value(r, field))
                .ok_or(ApplyError::Gone)?;
            if &current != original && !confirm_stale {
                return Err(ApplyError::Stale);
            }
            let mut patch = Map::new();
            patch.insert(field.clone(), value.clone());
            document::patch_tiltak(txn, template, row, &patch)?;
            Ok(Applied { row: None })
        }
        Proposal::Row { fields } => {
            let ids = document::append_tiltak(
                txn,
                template,
                std::slice::from_ref(fields),
                RowOrigin::Made,
            )?;
            Ok(Applied {
                row: ids.into_iter().next(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use yrs::updates::encoder::Encode;
    use yrs::{
        Assoc, GetString, IndexedSequence, WriteTxn, XmlElementPrelim, XmlFragment, XmlOut,
        XmlTextPrelim,
    };

    use super::*;
    use crate::access::Actor;
    use crate::document::layout::section_fragment;
    use crate::suggestions::SuggestionStatus;

    fn template() -> Template {
        crate::templates::TemplateRegistry::load(None)
            .expect("templates")
            .get("korus-ruspolitisk-handlingsplan")
            .cloned()
            .expect("korus template")
    }

    fn prose_section(template: &Template) -> String {
        template.prose_section_ids()[0].to_owned()
    }

    fn doc_with(section: &str, paragraphs: &[&str]) -> Doc {
        let doc = Doc::with_client_id(1);
        {
            let mut txn = doc.transact_mut();
            let fragment = txn.get_or_insert_xml_fragment(section_fragment(section));
            for paragraph in paragraphs {
                fragment.push_back(
                    &mut txn,
                    XmlElementPrelim::new("paragraph", [XmlTextPrelim::new(*paragraph).into()]),
                );
            }
        }
        doc
    }

    fn text_of<T: ReadTxn>(txn: &T, section: &str, index: u32) -> XmlTextRef {
        let fragment = txn
            .get_xml_fragment(section_fragment(section))
            .expect("fragment");
        match fragment.get(txn, index) {
            Some(XmlOut::Element(paragraph)) => match paragraph.get(txn, 0) {
                Some(XmlOut::Text(text)) => text,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    /// Relative positions around `quote` in paragraph `index`, as the browser makes them.
    fn around(doc: &Doc, section: &str, index: u32, quote: &str) -> (Vec<u8>, Vec<u8>) {
        let txn = doc.transact();
        let text = text_of(&txn, section, index);
        let content = text.get_string(&txn);
        let from = content.find(quote).expect("quote") as u32;
        let to = from + quote.len() as u32;
        let at = |i: u32| {
            text.sticky_index(&txn, i, Assoc::After)
                .unwrap_or_else(|| StickyIndex::from_type(&txn, &text, Assoc::After))
                .encode_v1()
        };
        (at(from), at(to))
    }

    fn suggestion(proposal: Proposal) -> Suggestion {
        Suggestion {
            id: "s".into(),
            plan_id: crate::plan::PlanId::new_random(),
            proposal,
            author: Actor {
                id: "user:a".into(),
                name: "A".into(),
                unit: None,
            },
            created_at: 0,
            status: SuggestionStatus::Open,
            decided_at: None,
            decided_by: None,
            reason: None,
        }
    }

    fn paragraph(doc: &Doc, section: &str, index: u32) -> String {
        let txn = doc.transact();
        text_of(&txn, section, index).get_string(&txn)
    }

    #[test]
    fn a_replacement_applies_to_its_range_only_and_notices_changes() {
        let template = template();
        let section = prose_section(&template);
        let doc = doc_with(&section, &["Første.", "Barn og unge drikker mindre."]);
        let (start, end) = around(&doc, &section, 1, "unge drikker");
        let proposal = check_new(
            &doc,
            &template,
            ProposalInput::Text {
                section: section.clone(),
                start,
                end,
                quote: String::new(),
                text: "ungdom drikker".into(),
            },
        )
        .expect("valid");
        let standing = standing_all(&doc, &template, &[suggestion(proposal.clone())]);
        assert_eq!(standing[0].current, Value::String("unge drikker".into()));
        assert!(!standing[0].stale && !standing[0].gone);
        // Someone types before the range: still fresh; inside it: stale.
        {
            let mut txn = doc.transact_mut();
            text_of(&txn, &section, 1).insert(&mut txn, 0, "Nå: ");
        }
        assert!(!standing_all(&doc, &template, &[suggestion(proposal.clone())])[0].stale);
        {
            let mut txn = doc.transact_mut();
            // "Nå: Barn og unge drikker" — after "unge ".
            text_of(&txn, &section, 1).insert(&mut txn, 18, "i Oslo ");
        }
        let standing = standing_all(&doc, &template, &[suggestion(proposal.clone())]);
        assert_eq!(
            standing[0].current,
            Value::String("unge i Oslo drikker".into())
        );
        assert!(standing[0].stale);
        {
            let mut txn = doc.transact_mut();
            assert!(matches!(
                apply(&mut txn, &template, &proposal, false),
                Err(ApplyError::Stale)
            ));
            assert!(!txn.has_changes(), "nothing written");
            apply(&mut txn, &template, &proposal, true).expect("confirmed");
        }
        assert_eq!(
            paragraph(&doc, &section, 1),
            "Nå: Barn og ungdom drikker mindre."
        );
        assert_eq!(paragraph(&doc, &section, 0), "Første.");
    }

    #[test]
    fn insertions_deletions_and_gone_text() {
        let template = template();
        let section = prose_section(&template);
        let doc = doc_with(&section, &["Tiltak for unge."]);
        let (at, _) = around(&doc, &section, 0, "unge");
        let insertion = check_new(
            &doc,
            &template,
            ProposalInput::Text {
                section: section.clone(),
                start: at.clone(),
                end: at,
                quote: String::new(),
                text: "barn og ".into(),
            },
        )
        .expect("an insertion");
        let (start, end) = around(&doc, &section, 0, " for unge");
        let deletion = check_new(
            &doc,
            &template,
            ProposalInput::Text {
                section: section.clone(),
                start,
                end,
                quote: String::new(),
                text: String::new(),
            },
        )
        .expect("a deletion");
        {
            let mut txn = doc.transact_mut();
            apply(&mut txn, &template, &insertion, false).expect("inserted");
        }
        assert_eq!(paragraph(&doc, &section, 0), "Tiltak for barn og unge.");
        // The deletion's range now holds the insertion: out of date.
        assert!(standing_all(&doc, &template, &[suggestion(deletion.clone())])[0].stale);
        {
            let mut txn = doc.transact_mut();
            apply(&mut txn, &template, &deletion, true).expect("deleted");
        }
        assert_eq!(paragraph(&doc, &section, 0), "Tiltak.");
        // Its paragraph removed, a suggestion is gone and cannot be applied.
        {
            let mut txn = doc.transact_mut();
            let fragment = txn
                .get_xml_fragment(section_fragment(&section))
                .expect("fragment");
            fragment.remove_range(&mut txn, 0, 1);
        }
        assert!(standing_all(&doc, &template, &[suggestion(insertion.clone())])[0].gone);
        let mut txn = doc.transact_mut();
        assert!(matches!(
            apply(&mut txn, &template, &insertion, true),
            Err(ApplyError::Gone)
        ));
    }

    #[test]
    fn a_range_over_two_paragraphs_or_unchanged_words_are_refused() {
        let template = template();
        let section = prose_section(&template);
        let doc = doc_with(&section, &["ab", "cd"]);
        let (start, _) = around(&doc, &section, 0, "b");
        let (_, end) = around(&doc, &section, 1, "c");
        let input = |start: Vec<u8>, end: Vec<u8>, text: &str| ProposalInput::Text {
            section: section.clone(),
            start,
            end,
            quote: String::new(),
            text: text.into(),
        };
        assert!(matches!(
            check_new(&doc, &template, input(start.clone(), end, "x")),
            Err(ApplyError::Invalid(SuggestionError::NotOneParagraph))
        ));
        let (s, e) = around(&doc, &section, 0, "b");
        assert!(matches!(
            check_new(&doc, &template, input(s, e, "b")),
            Err(ApplyError::Invalid(SuggestionError::Unchanged))
        ));
        let mut odd = input(start.clone(), start, "x");
        if let ProposalInput::Text { section, .. } = &mut odd {
            *section = "hvor-star-vi.nokkeltall".into();
        }
        assert!(matches!(
            check_new(&doc, &template, odd),
            Err(ApplyError::Invalid(SuggestionError::Anchor(_)))
        ));
    }

    #[test]
    fn field_and_row_suggestions_are_checked_and_applied() {
        let template = template();
        let doc = Doc::new();
        let row = {
            let mut txn = doc.transact_mut();
            let row: Map<String, Value> = serde_json::from_str(
                r#"{"tiltak": "Kurs for foreldre", "strategi": "forebygging"}"#,
            )
            .expect("row");
            document::append_tiltak(&mut txn, &template, &[row], RowOrigin::Made)
                .expect("appended")
                .remove(0)
        };
        let title = template
            .title_field()
            .map(|field| field.name.clone())
            .expect("a title field");
        let field = |value: Value| ProposalInput::Field {
            row: row.clone(),
            field: title.clone(),
            value,
        };
        let proposal =
            check_new(&doc, &template, field(Value::from("Kurs for foresatte"))).expect("valid");
        assert!(matches!(
            &proposal,
            Proposal::Field { original, .. } if original == &Value::from("Kurs for foreldre")
        ));
        assert!(matches!(
            check_new(&doc, &template, field(Value::from("Kurs for foreldre"))),
            Err(ApplyError::Invalid(SuggestionError::Unchanged))
        ));
        assert!(matches!(
            check_new(
                &doc,
                &template,
                ProposalInput::Field {
                    row: row.clone(),
                    field: "finnes-ikke".into(),
                    value: Value::from("x"),
                }
            ),
            Err(ApplyError::Document(_))
        ));
        let standing = standing_all(&doc, &template, &[suggestion(proposal.clone())]);
        assert_eq!(standing[0].row_title.as_deref(), Some("Kurs for foreldre"));
        assert!(standing[0].number.is_some());
        {
            let mut txn = doc.transact_mut();
            apply(&mut txn, &template, &proposal, false).expect("applied");
        }
        let rows = read_tiltak(&doc.transact(), &template);
        assert_eq!(rows[0].text(&title), "Kurs for foresatte");

        let new_row: Map<String, Value> =
            serde_json::from_str(r#"{"tiltak": "Nytt tiltak", "strategi": "forebygging"}"#)
                .expect("row");
        let proposal = check_new(
            &doc,
            &template,
            ProposalInput::Row {
                fields: new_row.clone(),
            },
        )
        .expect("a row");
        let mut bad = new_row;
        bad.insert("strategi".into(), Value::from("ukjent"));
        assert!(check_new(&doc, &template, ProposalInput::Row { fields: bad }).is_err());
        let applied = {
            let mut txn = doc.transact_mut();
            apply(&mut txn, &template, &proposal, false).expect("applied")
        };
        let rows = read_tiltak(&doc.transact(), &template);
        assert_eq!(rows.len(), 2);
        assert_eq!(Some(rows[1].id.clone()), applied.row);
    }
}
