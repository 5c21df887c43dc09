//! What is still missing before a version goes to the council: the list a coordinator works
//! from.

use serde::Serialize;

use super::view::{PlanView, prose_sections};
use crate::templates::Template;

/// Fields a row must have before the plan is sent, besides the template's required ones: who
/// does it, by when, and how far it has come.
const FOLLOW_UP_FIELDS: [&str; 3] = ["ansvarlig", "status", "frist"];

/// Longest tiltak text shown for an incomplete row, in characters.
const EXCERPT_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completeness {
    /// Nothing is missing.
    pub complete: bool,
    pub empty_sections: Vec<EmptySection>,
    pub unticked: Vec<UntickedItem>,
    pub incomplete_tiltak: Vec<IncompleteRow>,
    pub counts: CompletenessCounts,
}

/// A prose section without any text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmptySection {
    pub id: String,
    pub heading: String,
    pub number: String,
}

/// A checklist item not ticked yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntickedItem {
    /// `<section id>/<item id>`.
    pub key: String,
    pub section_id: String,
    pub section_heading: String,
    pub label: String,
}

/// A tiltak row with empty fields that the plan needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncompleteRow {
    pub id: String,
    /// The start of the row's `tiltak` text.
    pub excerpt: String,
    pub missing: Vec<MissingField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingField {
    pub name: String,
    /// Column heading in bokmål.
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompletenessCounts {
    pub prose_sections: usize,
    pub empty_sections: usize,
    pub checklist_items: usize,
    pub ticked_items: usize,
    pub tiltak_rows: usize,
    pub incomplete_rows: usize,
    pub milestones: usize,
    pub milestones_done: usize,
}

/// Empty prose sections, unticked checklist items and tiltak rows missing a required field or
/// `ansvarlig`, `status` or `frist`, in document order.
pub fn completeness(view: &PlanView, template: &Template) -> Completeness {
    let sections = prose_sections(template, &view.target_groups);
    let prose_count = sections.len();
    let empty_sections: Vec<EmptySection> = sections
        .into_iter()
        .filter(|section| {
            view.section(&section.id)
                .is_none_or(|content| content.blocks.iter().all(|block| block.is_blank()))
        })
        .map(|section| EmptySection {
            id: section.id,
            heading: section.heading,
            number: section.number,
        })
        .collect();

    let items = template.checklist_items();
    let checklist_count = items.len();
    let unticked: Vec<UntickedItem> = items
        .into_iter()
        .filter_map(|(section, item)| {
            let key = crate::templates::checklist_key(&section.id, &item.id);
            let ticked = view.checklist.get(&key).copied().unwrap_or(false);
            (!ticked).then(|| UntickedItem {
                key,
                section_id: section.id.clone(),
                section_heading: section.heading.clone(),
                label: item.label.clone(),
            })
        })
        .collect();

    let checked_fields: Vec<_> = template
        .tiltak
        .fields
        .iter()
        .filter(|field| field.required || FOLLOW_UP_FIELDS.contains(&field.name.as_str()))
        .collect();
    let incomplete_tiltak: Vec<IncompleteRow> = view
        .tiltak
        .iter()
        .filter_map(|row| {
            let missing: Vec<MissingField> = checked_fields
                .iter()
                .filter(|field| row.get(&field.name).trim().is_empty())
                .map(|field| MissingField {
                    name: field.name.clone(),
                    label: field.label.clone(),
                })
                .collect();
            (!missing.is_empty()).then(|| IncompleteRow {
                id: row.id.clone(),
                excerpt: excerpt(row.get("tiltak")),
                missing,
            })
        })
        .collect();

    let counts = CompletenessCounts {
        prose_sections: prose_count,
        empty_sections: empty_sections.len(),
        checklist_items: checklist_count,
        ticked_items: checklist_count - unticked.len(),
        tiltak_rows: view.tiltak.len(),
        incomplete_rows: incomplete_tiltak.len(),
        milestones: view.milestones.len(),
        milestones_done: view.milestones.iter().filter(|m| m.done).count(),
    };
    Completeness {
        complete: empty_sections.is_empty() && unticked.is_empty() && incomplete_tiltak.is_empty(),
        empty_sections,
        unticked,
        incomplete_tiltak,
        counts,
    }
}

/// The text on one line, cut at [`EXCERPT_CHARS`] with an ellipsis.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(EXCERPT_CHARS).collect();
        cut.push('…');
        cut
    }
}
