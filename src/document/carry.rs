//! Rullering: a new plan's first document written from the plan it is made from. Everything is
//! read with the typed readers and written again with the model's writers (or, for parts only
//! browsers write, with the same keys the readers know), so only what the layout names comes
//! across, and a value the template refuses is refused here too.
//!
//! Carried, with their ids (ids are unique within one plan's document, so the new plan keeps
//! them and a tiltak can be followed from one period's plan to the next): target groups, the
//! plan's headings and sections set aside, its own sections and checklist items, ticked
//! checklist items, goals, key figures, the text of every section, and the tiltak rows the
//! caller keeps. A kept row keeps its values except its per-round status (the template's
//! `status_field`; without one, the fields with a default), which starts again from the
//! field's default (`ikke_startet` in the KoRus template), as a row made now would. Milestones belong to the earlier plan's process and are
//! not carried.

use serde_json::{Map as JsonMap, Value};
use yrs::{
    Any, Array, In, MapPrelim, ReadTxn, Text, TransactionMut, WriteTxn, Xml, XmlElementPrelim,
    XmlFragment, XmlTextPrelim, XmlTextRef,
};

use super::error::DocumentError;
use super::goals::read_goals;
use super::layout::{
    self, checklist_item, figure, goal, local_section, mark, node, row as row_key,
};
use super::prose::{Block, Cell, Inline, ListItem};
use super::structure::{
    SectionPatch, flatten, patch_section, plan_structure, read_figures, read_local_items,
    read_local_sections, read_target_groups,
};
use super::tiltak::{FieldValue, MAX_ROWS_PER_REQUEST, RowOrigin, append_tiltak, read_tiltak};
use super::view::{read_section, target_group_prelim};
use super::write::set_checklist;
use crate::templates::{FieldSchema, FieldType, Template};

/// Writes the content of `source` (a plan of the same template) into the new plan's document,
/// keeping the tiltak rows `keep_row` accepts by id. Returns the carried rows' ids, in table
/// order. Checks every kept row before the rows are written.
pub fn carry_over<T: ReadTxn>(
    source: &T,
    txn: &mut TransactionMut,
    template: &Template,
    keep_row: impl Fn(&str) -> bool,
) -> Result<Vec<String>, DocumentError> {
    // Target groups first: their sections and tiltak sections depend on them.
    let groups = read_target_groups(source);
    let array = txn.get_or_insert_array(layout::TARGET_GROUPS);
    let len = array.len(txn);
    if len > 0 {
        array.remove_range(txn, 0, len);
    }
    for group in &groups {
        array.push_back(txn, target_group_prelim(group));
    }

    let goals = read_goals(source);
    let array = txn.get_or_insert_array(layout::MAL);
    for g in &goals {
        array.push_back(
            txn,
            MapPrelim::from([
                (goal::ID, In::Any(Any::from(g.id.as_str()))),
                (goal::TITLE, In::Any(Any::from(g.title.as_str()))),
                (
                    goal::DESCRIPTION,
                    In::Any(Any::from(g.description.as_str())),
                ),
                (goal::STRATEGI, In::Any(layout::list_value(&g.strategi))),
            ]),
        );
    }

    let array = txn.get_or_insert_array(layout::LOCAL_SECTIONS);
    for local in read_local_sections(source) {
        array.push_back(
            txn,
            MapPrelim::from([
                (local_section::ID, In::Any(Any::from(local.id.as_str()))),
                (
                    local_section::PARENT,
                    In::Any(Any::from(local.parent.as_str())),
                ),
                (
                    local_section::HEADING,
                    In::Any(Any::from(local.heading.as_str())),
                ),
                (local_section::KIND, In::Any(Any::from(local.kind.as_str()))),
            ]),
        );
    }

    let array = txn.get_or_insert_array(layout::CHECKLIST_ITEMS);
    for item in read_local_items(source) {
        array.push_back(
            txn,
            MapPrelim::from([
                (checklist_item::ID, In::Any(Any::from(item.id.as_str()))),
                (
                    checklist_item::SECTION,
                    In::Any(Any::from(item.section.as_str())),
                ),
                (
                    checklist_item::LABEL,
                    In::Any(Any::from(item.label.as_str())),
                ),
                (
                    checklist_item::GROUP,
                    In::Any(Any::from(item.group.as_str())),
                ),
                (checklist_item::YEAR, In::Any(Any::from(item.year.as_str()))),
            ]),
        );
    }

    // Headings and sections set aside, through the writer people use.
    let structure = plan_structure(source, template);
    for section in flatten(&structure) {
        let heading = (!section.local && section.target_group.is_none())
            .then(|| {
                section
                    .template_heading
                    .as_ref()
                    .map(|_| section.heading.clone())
            })
            .flatten();
        let in_use = section.set_aside.then_some(false);
        if heading.is_some() || in_use.is_some() {
            let patch = SectionPatch {
                heading,
                in_use,
                after: None,
            };
            patch_section(txn, template, &section.id, &patch)?;
        }
    }

    // Ticks of items the new plan has (a key left behind by a removed item is not carried).
    let mut ticked: Vec<(String, bool)> = layout::checklist_state(source)
        .into_iter()
        .filter(|(_, ticked)| *ticked)
        .collect();
    ticked.sort();
    for (key, _) in ticked {
        match set_checklist(txn, template, &key, true) {
            Ok(()) | Err(DocumentError::UnknownChecklistItem { .. }) => {}
            Err(other) => return Err(other),
        }
    }

    let array = txn.get_or_insert_array(layout::FIGURES);
    for row in read_figures(source) {
        array.push_back(
            txn,
            MapPrelim::from([
                (figure::ID, In::Any(Any::from(row.id.as_str()))),
                (figure::SECTION, In::Any(Any::from(row.section.as_str()))),
                (
                    figure::INDIKATOR,
                    In::Any(Any::from(row.indikator.as_str())),
                ),
                (figure::KILDE, In::Any(Any::from(row.kilde.as_str()))),
                (figure::AR, In::Any(Any::from(row.ar.as_str()))),
                (figure::VERDI, In::Any(Any::from(row.verdi.as_str()))),
                (figure::OSLO, In::Any(Any::from(row.oslo.as_str()))),
                (figure::MAL, In::Any(Any::from(row.mal.as_str()))),
            ]),
        );
    }

    // The text of every section that has one, set aside or not.
    for section in flatten(&structure).into_iter().filter(|s| s.has_prose()) {
        let blocks = read_section(source, &section.id);
        if blocks.iter().all(Block::is_blank) {
            continue;
        }
        let fragment = txn.get_or_insert_xml_fragment(layout::section_fragment(&section.id));
        write_blocks(txn, &fragment, &blocks);
    }

    let goal_ids: Vec<&str> = goals.iter().map(|g| g.id.as_str()).collect();
    let resets = reset_fields(template);
    let rows: Vec<JsonMap<String, Value>> = read_tiltak(source, template)
        .into_iter()
        .filter(|row| keep_row(&row.id))
        .map(|row| {
            let mut json = JsonMap::new();
            json.insert(row_key::ID.to_owned(), Value::String(row.id.clone()));
            let sections = row.section_ids();
            if !sections.is_empty() {
                json.insert(
                    row_key::SECTIONS.to_owned(),
                    Value::Array(sections.iter().map(|s| Value::from(*s)).collect()),
                );
            }
            for field in &template.tiltak.fields {
                let reset = resets.iter().any(|r| r.name == field.name);
                let value = match (reset, row.fields.get(&field.name)) {
                    // The per-round status starts again (empty without a default).
                    (true, _) => Value::String(field.default.clone().unwrap_or_default()),
                    (false, Some(FieldValue::Text(text))) => Value::String(text.clone()),
                    (false, Some(FieldValue::List(items))) => Value::Array(
                        items
                            .iter()
                            // A link to a goal the plan no longer has is not carried.
                            .filter(|item| {
                                field.field_type != FieldType::Goals
                                    || goal_ids.contains(&item.as_str())
                            })
                            .map(|item| Value::from(item.as_str()))
                            .collect(),
                    ),
                    (false, None) => continue,
                };
                json.insert(field.name.clone(), value);
            }
            json
        })
        .collect();
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(MAX_ROWS_PER_REQUEST) {
        ids.extend(append_tiltak(txn, template, chunk, RowOrigin::Imported)?);
    }
    Ok(ids)
}

/// The fields a carried row starts again: the template's `status_field` (what status rounds
/// report), or, in a template without one, every field with a default.
pub fn reset_fields(template: &Template) -> Vec<&FieldSchema> {
    match template.status_field() {
        Some(field) => vec![field],
        None => template
            .tiltak
            .fields
            .iter()
            .filter(|field| field.default.is_some())
            .collect(),
    }
}

/// Writes prose blocks at the end of a fragment (or an element), as y-prosemirror stores them.
/// An unknown node is written as a paragraph with its text.
fn write_blocks<F: XmlFragment>(txn: &mut TransactionMut, parent: &F, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Paragraph { content } => {
                let element = parent.push_back(txn, XmlElementPrelim::empty(node::PARAGRAPH));
                write_inlines(txn, &element, content);
            }
            Block::Heading { level, content } => {
                let element = parent.push_back(txn, XmlElementPrelim::empty(node::HEADING));
                element.insert_attribute(txn, node::LEVEL, Any::from(f64::from(*level)));
                write_inlines(txn, &element, content);
            }
            Block::BulletList { items } => {
                let element = parent.push_back(txn, XmlElementPrelim::empty(node::BULLET_LIST));
                write_items(txn, &element, items);
            }
            Block::OrderedList { start, items } => {
                let element = parent.push_back(txn, XmlElementPrelim::empty(node::ORDERED_LIST));
                element.insert_attribute(txn, node::ORDER, Any::from(f64::from(*start)));
                write_items(txn, &element, items);
            }
            Block::Blockquote { blocks } => {
                let element = parent.push_back(txn, XmlElementPrelim::empty(node::BLOCKQUOTE));
                write_blocks(txn, &element, blocks);
            }
            Block::Table { rows } => {
                let table = parent.push_back(txn, XmlElementPrelim::empty(node::TABLE));
                for row in rows {
                    let tr = table.push_back(txn, XmlElementPrelim::empty(node::TABLE_ROW));
                    for Cell { header, blocks } in row {
                        let tag = if *header {
                            node::TABLE_HEADER
                        } else {
                            node::TABLE_CELL
                        };
                        let cell = tr.push_back(txn, XmlElementPrelim::empty(tag));
                        write_blocks(txn, &cell, blocks);
                    }
                }
            }
            Block::Unknown { text, .. } => {
                let element = parent.push_back(txn, XmlElementPrelim::empty(node::PARAGRAPH));
                write_inlines(txn, &element, &[Inline::plain(text)]);
            }
        }
    }
}

fn write_items<F: XmlFragment>(txn: &mut TransactionMut, list: &F, items: &[ListItem]) {
    for item in items {
        let element = list.push_back(txn, XmlElementPrelim::empty(node::LIST_ITEM));
        write_blocks(txn, &element, &item.blocks);
    }
}

/// Inline content: runs of text in one Y.XmlText with their marks as formatting attributes
/// (every mark named, unset ones as null, so no run takes its neighbour's marks), hard breaks
/// as elements between texts.
fn write_inlines<F: XmlFragment>(txn: &mut TransactionMut, parent: &F, inlines: &[Inline]) {
    let mut text: Option<XmlTextRef> = None;
    for inline in inlines {
        match inline {
            Inline::HardBreak => {
                parent.push_back(txn, XmlElementPrelim::empty(node::HARD_BREAK));
                text = None;
            }
            Inline::Text {
                text: chunk,
                bold,
                italic,
                link,
            } => {
                if chunk.is_empty() {
                    continue;
                }
                let target = match &text {
                    Some(target) => target.clone(),
                    None => {
                        let created = parent.push_back(txn, XmlTextPrelim::new(""));
                        text = Some(created.clone());
                        created
                    }
                };
                let empty = || Any::Map(Default::default());
                let mut attrs = yrs::types::Attrs::new();
                attrs.insert(mark::BOLD.into(), if *bold { empty() } else { Any::Null });
                attrs.insert(
                    mark::ITALIC.into(),
                    if *italic { empty() } else { Any::Null },
                );
                let link_value = match link {
                    Some(href) => Any::Map(std::sync::Arc::new(
                        [(mark::HREF.to_owned(), Any::from(href.as_str()))].into(),
                    )),
                    None => Any::Null,
                };
                attrs.insert(mark::LINK.into(), link_value);
                let at = target.len(txn);
                target.insert_with_attributes(txn, at, chunk, attrs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use yrs::{Doc, Transact, WriteTxn};

    use super::*;

    fn text(text: &str, bold: bool, italic: bool, link: Option<&str>) -> Inline {
        Inline::Text {
            text: text.into(),
            bold,
            italic,
            link: link.map(str::to_owned),
        }
    }

    #[test]
    fn prose_is_written_back_as_it_reads() {
        let paragraph = |content| Block::Paragraph { content };
        let blocks = vec![
            Block::Heading {
                level: 4,
                content: vec![Inline::plain("Overskrift")],
            },
            paragraph(vec![
                Inline::plain("Vanlig "),
                text("fet", true, false, None),
                text(" og kursiv", false, true, None),
                Inline::HardBreak,
                text("lenke", false, false, Some("https://www.oslo.kommune.no")),
                Inline::plain(" etter"),
            ]),
            Block::OrderedList {
                start: 3,
                items: vec![ListItem {
                    blocks: vec![paragraph(vec![Inline::plain("Tredje")])],
                }],
            },
            Block::Blockquote {
                blocks: vec![paragraph(vec![Inline::plain("Sitat")])],
            },
            Block::Table {
                rows: vec![vec![
                    Cell {
                        header: true,
                        blocks: vec![paragraph(vec![Inline::plain("År")])],
                    },
                    Cell {
                        header: false,
                        blocks: vec![paragraph(vec![Inline::plain("2026")])],
                    },
                ]],
            },
        ];
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            let fragment = txn.get_or_insert_xml_fragment(layout::section_fragment("a.b"));
            write_blocks(&mut txn, &fragment, &blocks);
            write_blocks(
                &mut txn,
                &fragment,
                &[Block::Unknown {
                    name: "image".into(),
                    text: "Bildetekst".into(),
                }],
            );
        }
        let read = read_section(&doc.transact(), "a.b");
        assert_eq!(read[..blocks.len()], blocks[..]);
        assert_eq!(
            read[blocks.len()],
            Block::Paragraph {
                content: vec![Inline::plain("Bildetekst")]
            }
        );
    }
}
