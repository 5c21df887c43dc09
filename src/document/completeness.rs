//! What is still missing before a version goes to the council: the list a coordinator works
//! from. It follows the guide: text sections need text, a checklist (the guide calls its lists
//! an idébank) needs one item ticked, and a tiltak needs the fields the template requires.
//! Sections «ikke i bruk» are skipped.

use serde::Serialize;

use super::structure::{PlanSection, flatten};
use super::tiltak::{group_rows, rows_of_section};
use super::view::PlanView;
use crate::templates::{SectionKind, Template};

/// Most words of a tiltak's title shown for an incomplete row.
const EXCERPT_WORDS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completeness {
    /// Nothing is missing.
    pub complete: bool,
    pub empty_sections: Vec<EmptySection>,
    /// Checklists with nothing ticked.
    pub empty_checklists: Vec<EmptySection>,
    pub incomplete_tiltak: Vec<IncompleteRow>,
    /// Open suggestions per section (filled in by the service, which reads them from storage):
    /// a version frozen now would leave them behind.
    pub open_suggestions: Vec<OpenSuggestions>,
    pub counts: CompletenessCounts,
}

/// A section's suggestions nobody has accepted or rejected yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenSuggestions {
    /// The section's id; `None` for suggestions on a row in no tiltak section.
    pub id: Option<String>,
    pub heading: String,
    pub number: String,
    pub count: usize,
}

/// A section in use without content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmptySection {
    pub id: String,
    pub heading: String,
    pub number: String,
}

/// A tiltak row with empty fields that the template requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncompleteRow {
    pub id: String,
    /// The row's number in its table, as printed.
    pub number: usize,
    /// Where it is: the tiltak section's number and heading, and its group's label.
    pub place: String,
    /// The first words of the row's title.
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
    pub checklists: usize,
    pub empty_checklists: usize,
    pub tiltak_rows: usize,
    pub incomplete_rows: usize,
    pub milestones: usize,
    pub milestones_done: usize,
    /// Open suggestions in the whole plan (see [`Completeness::open_suggestions`]).
    pub open_suggestions: usize,
}

/// Empty text sections, checklists with nothing ticked, and tiltak rows missing a required
/// field, in document order, among the sections in use.
pub fn completeness(view: &PlanView, template: &Template) -> Completeness {
    let in_use: Vec<&PlanSection> = flatten(&view.structure)
        .into_iter()
        .filter(|section| section.in_use)
        .collect();
    let empty = |section: &&PlanSection| EmptySection {
        id: section.id.clone(),
        heading: section.heading.clone(),
        number: section.number.clone(),
    };

    let text_sections: Vec<&&PlanSection> =
        in_use.iter().filter(|section| section.is_text()).collect();
    let empty_sections: Vec<EmptySection> = text_sections
        .iter()
        .filter(|section| {
            view.section(&section.id)
                .is_none_or(|content| content.blocks.iter().all(|block| block.is_blank()))
        })
        .map(|section| empty(section))
        .collect();

    let checklists: Vec<&&PlanSection> = in_use
        .iter()
        .filter(|section| section.kind == SectionKind::Checklist)
        .collect();
    let empty_checklists: Vec<EmptySection> = checklists
        .iter()
        .filter(|section| {
            let prefix = format!("{}/", section.id);
            !view
                .checklist
                .iter()
                .any(|(key, ticked)| *ticked && key.starts_with(&prefix))
        })
        .map(|section| empty(section))
        .collect();

    let required: Vec<_> = template
        .tiltak
        .fields
        .iter()
        .filter(|field| field.required)
        .collect();
    let tiltak_sections: Vec<String> = flatten(&view.structure)
        .into_iter()
        .filter(|section| section.kind == SectionKind::Tiltak)
        .map(|section| section.id.clone())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut incomplete_tiltak = Vec::new();
    let mut tiltak_rows = 0;
    for section in in_use
        .iter()
        .filter(|section| section.kind == SectionKind::Tiltak)
    {
        let rows = rows_of_section(
            &view.tiltak,
            &section.id,
            &tiltak_sections,
            template.tiltak.multi_group,
        );
        for group in group_rows(&rows, template, &view.goals) {
            for grouped in group.rows {
                let row = grouped.row;
                if !seen.insert(row.id.as_str()) {
                    continue;
                }
                tiltak_rows += 1;
                let missing: Vec<MissingField> = required
                    .iter()
                    .filter(|field| row.is_empty(&field.name))
                    .map(|field| MissingField {
                        name: field.name.clone(),
                        label: field.label.clone(),
                    })
                    .collect();
                if missing.is_empty() {
                    continue;
                }
                let mut place = format!("{} {}", section.number, section.heading);
                if !group.label.is_empty() {
                    place.push_str(", ");
                    place.push_str(&group.label);
                }
                incomplete_tiltak.push(IncompleteRow {
                    id: row.id.clone(),
                    number: grouped.number,
                    place,
                    excerpt: excerpt(&row.title(template)),
                    missing,
                });
            }
        }
    }

    let counts = CompletenessCounts {
        prose_sections: text_sections.len(),
        empty_sections: empty_sections.len(),
        checklists: checklists.len(),
        empty_checklists: empty_checklists.len(),
        tiltak_rows,
        incomplete_rows: incomplete_tiltak.len(),
        milestones: view.milestones.len(),
        milestones_done: view.milestones.iter().filter(|m| m.done).count(),
        open_suggestions: 0,
    };
    Completeness {
        complete: empty_sections.is_empty()
            && empty_checklists.is_empty()
            && incomplete_tiltak.is_empty(),
        empty_sections,
        empty_checklists,
        incomplete_tiltak,
        open_suggestions: Vec::new(),
        counts,
    }
}

/// The first [`EXCERPT_WORDS`] words of a text on one line, with an ellipsis when cut.
fn excerpt(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= EXCERPT_WORDS {
        words.join(" ")
    } else {
        format!("{} …", words[..EXCERPT_WORDS].join(" "))
    }
}
