//! What changed between two states of a plan ([`diff`]): the text of each section at word
//! level, sections added, removed, renamed or set aside, tiltak added, removed and changed
//! field by field (named by the number they are printed with), goals, and the plan's title,
//! period and status.
//!
//! Sections, tiltak and goals are matched by id, so a renamed section or a rewritten tiltak is
//! a change of one thing, not a removal and an addition. Prose is compared paragraph by
//! paragraph (a list item, a table row and a heading inside the text each count as one), and a
//! changed paragraph word by word. Values are shown as readers see them
//! ([`TiltakRow::display`]); tiltak fields come from the template, never by name.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff, capture_diff_slices};

use super::goals::Goal;
use super::structure::{PlanSection, flatten};
use super::tiltak::{TiltakRow, tiltak_numbers};
use super::view::PlanView;
use super::write::PlanStatus;
use crate::templates::{FieldSchema, FieldType, Template};

/// Whether a thing is new, gone, or there in both states with something changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// What a run of text is in the newer state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// In both.
    Same,
    /// Only in the newer state.
    Inserted,
    /// Only in the older state.
    Deleted,
}

/// A run of text, with whether it was kept, inserted or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub kind: RunKind,
    pub text: String,
}

/// One paragraph of a section that is new, gone or changed, as runs: the whole paragraph for a
/// changed one (its unchanged words are the context of the changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParagraphDiff {
    pub change: Change,
    pub runs: Vec<Run>,
}

/// A section the plan set aside («ikke i bruk») or took back into use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UseChange {
    SetAside,
    BackInUse,
}

/// A section with something changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionDiff {
    pub id: String,
    /// The newer state's number ("" for a section not in use there: then the older state's).
    pub number: String,
    /// The newer state's heading (the older's for a removed section).
    pub heading: String,
    pub change: Change,
    /// The number in the older state, when it was another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_number: Option<String>,
    /// The older state's heading, when the section was renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_change: Option<UseChange>,
    /// Paragraphs new, gone or changed, in text order.
    pub paragraphs: Vec<ParagraphDiff>,
}

/// One field with another value: as readers see it, before and after ("" for none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field's name in the template (or in the goal, or the plan's `meta`); `section` for a
    /// tiltak moved to another part of the plan.
    pub field: String,
    /// The field's label (bokmål).
    pub label: String,
    pub old: String,
    pub new: String,
    /// Word-level runs from `old` to `new`, for text fields changed in both states.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Run>,
}

/// A tiltak row added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TiltakDiff {
    pub id: String,
    /// The number it is printed with in the newer state (the older state's for a removed row):
    /// `<section number>-<row number in that section's table>`, e.g. "4.5-9"; `None` for a row
    /// that is not printed (its section is not in use).
    pub number: Option<String>,
    /// How the row is named: «tiltak 4.5-9», or by its title when it has no number.
    pub name: String,
    /// Its title field's text (newer state; older for a removed row).
    pub title: String,
    pub change: Change,
    /// The number in the older state, when it was another (rows move as others come and go).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_number: Option<String>,
    /// Every field with a value for an added or removed row; the changed fields otherwise.
    pub fields: Vec<FieldChange>,
}

/// A goal added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoalDiff {
    pub id: String,
    pub title: String,
    pub change: Change,
    pub fields: Vec<FieldChange>,
}

/// How many things changed, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiffCounts {
    pub sections: usize,
    pub tiltak_added: usize,
    pub tiltak_removed: usize,
    pub tiltak_changed: usize,
    pub goals: usize,
}

/// Everything that changed from one state of a plan to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDiff {
    /// The plan's title, period and status.
    pub meta: Vec<FieldChange>,
    /// In the newer state's order; removed sections where they were.
    pub sections: Vec<SectionDiff>,
    /// In the newer state's print order, then removed rows in the older state's.
    pub tiltak: Vec<TiltakDiff>,
    pub goals: Vec<GoalDiff>,
    pub counts: DiffCounts,
}

impl SectionDiff {
    /// Sentences about the section itself (bokmål): added or removed, renamed, set aside or
    /// back in use, renumbered. The «Endringer» page and the exports print these.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        match self.change {
            Change::Added => notes.push("Ny del av planen.".to_owned()),
            Change::Removed => notes.push("Delen er fjernet fra planen.".to_owned()),
            Change::Changed => {}
        }
        if let Some(old) = &self.renamed_from {
            notes.push(format!("Nytt navn. Før: «{old}»."));
        }
        match self.use_change {
            Some(UseChange::SetAside) => notes.push("Satt til «ikke i bruk».".to_owned()),
            Some(UseChange::BackInUse) => notes.push("Tatt i bruk igjen.".to_owned()),
            None => {}
        }
        if let Some(previous) = &self.previous_number {
            notes.push(format!("Tidligere nummer: {previous}."));
        }
        notes
    }
}

impl TiltakDiff {
    /// The row's name capitalised to head its changes: «Tiltak 4.5-9».
    pub fn heading_name(&self) -> String {
        let mut chars = self.name.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        })
    }

    /// The row's title beside its name, when the name is a number (a row without one is named
    /// by its title already).
    pub fn heading_title(&self) -> &str {
        if self.number.is_some() {
            &self.title
        } else {
            ""
        }
    }

    /// «Tiltak 4.5-9: <title>»: how the exports head the row's changes.
    pub fn heading(&self) -> String {
        let title = self.heading_title().trim();
        if title.is_empty() {
            self.heading_name()
        } else {
            format!("{}: {title}", self.heading_name())
        }
    }

    /// «Tidligere tiltak 4.5-8.», when the row had another number before.
    pub fn note(&self) -> Option<String> {
        self.previous_number
            .as_ref()
            .map(|previous| format!("Tidligere tiltak {previous}."))
    }
}

impl PlanDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
            && self.sections.is_empty()
            && self.tiltak.is_empty()
            && self.goals.is_empty()
    }
}

/// What changed from `from` to `to`, two states of one plan made from `template`.
pub fn diff(from: &PlanView, to: &PlanView, template: &Template) -> PlanDiff {
    let meta = meta_changes(from, to);
    let sections = section_changes(from, to);
    let tiltak = tiltak_changes(from, to, template);
    let goals = goal_changes(from, to, template);
    let counts = DiffCounts {
        sections: sections.len(),
        tiltak_added: count(&tiltak, Change::Added),
        tiltak_removed: count(&tiltak, Change::Removed),
        tiltak_changed: count(&tiltak, Change::Changed),
        goals: goals.len(),
    };
    PlanDiff {
        meta,
        sections,
        tiltak,
        goals,
        counts,
    }
}

fn count(tiltak: &[TiltakDiff], change: Change) -> usize {
    tiltak.iter().filter(|row| row.change == change).count()
}

// ---------------------------------------------------------------------------------------------
// The plan's metadata
// ---------------------------------------------------------------------------------------------

fn meta_changes(from: &PlanView, to: &PlanView) -> Vec<FieldChange> {
    let status = |code: &str| {
        code.parse::<PlanStatus>()
            .map_or_else(|_| code.to_owned(), |status| status.label().to_owned())
    };
    [
        (
            "title",
            "Tittel",
            from.meta.title.clone(),
            to.meta.title.clone(),
        ),
        (
            "periode",
            "Periode",
            from.meta.periode.clone(),
            to.meta.periode.clone(),
        ),
        (
            "status",
            "Status",
            status(&from.meta.status),
            status(&to.meta.status),
        ),
    ]
    .into_iter()
    .filter(|(_, _, old, new)| old != new)
    .map(|(field, label, old, new)| field_change(field, label, old, new, false))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

fn section_changes(from: &PlanView, to: &PlanView) -> Vec<SectionDiff> {
    let old_sections = flatten(&from.structure);
    let new_sections = flatten(&to.structure);
    let old_by_id: HashMap<&str, &PlanSection> = old_sections
        .iter()
        .map(|section| (section.id.as_str(), *section))
        .collect();
    let new_ids: HashSet<&str> = new_sections
        .iter()
        .map(|section| section.id.as_str())
        .collect();

    // Every section of the newer state, changed or not, so removed ones can be placed after
    // the section they followed.
    let mut all: Vec<(&str, Option<SectionDiff>)> = new_sections
        .iter()
        .map(|new| {
            let diff = match old_by_id.get(new.id.as_str()) {
                Some(old) => changed_section(old, new, from, to),
                None => Some(SectionDiff {
                    id: new.id.clone(),
                    number: new.number.clone(),
                    heading: new.heading.clone(),
                    change: Change::Added,
                    previous_number: None,
                    renamed_from: None,
                    use_change: None,
                    paragraphs: paragraph_changes(&[], &lines_of(to, new)),
                }),
            };
            (new.id.as_str(), diff)
        })
        .collect();
    let mut previous: Option<&str> = None;
    for old in &old_sections {
        if !new_ids.contains(old.id.as_str()) {
            let removed = SectionDiff {
                id: old.id.clone(),
                number: old.number.clone(),
                heading: old.heading.clone(),
                change: Change::Removed,
                previous_number: None,
                renamed_from: None,
                use_change: None,
                paragraphs: paragraph_changes(&lines_of(from, old), &[]),
            };
            let at = previous
                .and_then(|id| all.iter().position(|(other, _)| *other == id))
                .map_or(0, |position| position + 1);
            all.insert(at, (old.id.as_str(), Some(removed)));
        }
        previous = Some(old.id.as_str());
    }
    all.into_iter().filter_map(|(_, diff)| diff).collect()
}

/// A section in both states, if anything about it changed.
fn changed_section(
    old: &PlanSection,
    new: &PlanSection,
    from: &PlanView,
    to: &PlanView,
) -> Option<SectionDiff> {
    let renamed_from = (old.heading != new.heading).then(|| old.heading.clone());
    let use_change = match (old.set_aside, new.set_aside) {
        (false, true) => Some(UseChange::SetAside),
        (true, false) => Some(UseChange::BackInUse),
        _ => None,
    };
    let paragraphs = if new.has_prose() || old.has_prose() {
        paragraph_changes(&lines_of(from, old), &lines_of(to, new))
    } else {
        Vec::new()
    };
    if renamed_from.is_none() && use_change.is_none() && paragraphs.is_empty() {
        return None;
    }
    let number = if new.number.is_empty() {
        old.number.clone()
    } else {
        new.number.clone()
    };
    let previous_number =
        (!old.number.is_empty() && old.number != number).then(|| old.number.clone());
    Some(SectionDiff {
        id: new.id.clone(),
        number,
        heading: new.heading.clone(),
        change: Change::Changed,
        previous_number,
        renamed_from,
        use_change,
        paragraphs,
    })
}

/// A section's text as paragraphs: one per line of each block's plain text (list items, table
/// rows and headings in the text each make one), blank ones left out.
fn lines_of(view: &PlanView, section: &PlanSection) -> Vec<String> {
    let Some(content) = view.section(&section.id) else {
        return Vec::new();
    };
    content
        .blocks
        .iter()
        .flat_map(|block| {
            block
                .plain_text()
                .lines()
                .map(|line| line.replace('\t', " | ").trim().to_owned())
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The paragraphs new, gone or changed from `old` to `new`.
fn paragraph_changes(old: &[String], new: &[String]) -> Vec<ParagraphDiff> {
    let removed = |text: &str| ParagraphDiff {
        change: Change::Removed,
        runs: vec![run(RunKind::Deleted, text)],
    };
    let added = |text: &str| ParagraphDiff {
        change: Change::Added,
        runs: vec![run(RunKind::Inserted, text)],
    };
    let mut out = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, old, new) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => out.extend(
                old[old_index..old_index + old_len]
                    .iter()
                    .map(|p| removed(p)),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => out.extend(new[new_index..new_index + new_len].iter().map(|p| added(p))),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let olds = &old[old_index..old_index + old_len];
                let news = &new[new_index..new_index + new_len];
                for pair in 0..old_len.max(new_len) {
                    match (olds.get(pair), news.get(pair)) {
                        (Some(before), Some(after)) => {
                            let runs = word_runs(before, after);
                            if shares_words(&runs) {
                                out.push(ParagraphDiff {
                                    change: Change::Changed,
                                    runs,
                                });
                            } else {
                                // Nothing in common: a paragraph replaced by another.
                                out.push(removed(before));
                                out.push(added(after));
                            }
                        }
                        (Some(before), None) => out.push(removed(before)),
                        (None, Some(after)) => out.push(added(after)),
                        (None, None) => {}
                    }
                }
            }
        }
    }
    out
}

fn run(kind: RunKind, text: &str) -> Run {
    Run {
        kind,
        text: text.to_owned(),
    }
}

/// Whether a word diff kept enough of the paragraph to read as an edit of it: at least two
/// words in five of the longer side (else it reads as one paragraph replaced by another).
fn shares_words(runs: &[Run]) -> bool {
    let words = |kinds: &[RunKind]| -> usize {
        runs.iter()
            .filter(|run| kinds.contains(&run.kind))
            .map(|run| run.text.split_whitespace().count())
            .sum()
    };
    let kept = words(&[RunKind::Same]);
    let longer =
        words(&[RunKind::Same, RunKind::Deleted]).max(words(&[RunKind::Same, RunKind::Inserted]));
    kept > 0 && kept * 5 >= longer * 2
}

/// `old` to `new` word by word, as runs. Within a stretch of changes, the spaces between changed
/// words go with them, and what was deleted comes before what was inserted: «fire tiltak» →
/// «fem nye tiltak» reads `[-fire-][+fem nye+] tiltak`, not word, space, word.
pub fn word_runs(old: &str, new: &str) -> Vec<Run> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_words(old, new);
    let tokens: Vec<(RunKind, &str)> = diff
        .iter_all_changes()
        .map(|change| {
            let kind = match change.tag() {
                ChangeTag::Equal => RunKind::Same,
                ChangeTag::Delete => RunKind::Deleted,
                ChangeTag::Insert => RunKind::Inserted,
            };
            (kind, change.value())
        })
        .collect();

    let mut runs: Vec<Run> = Vec::new();
    let mut deleted = String::new();
    let mut inserted = String::new();
    let flush = |runs: &mut Vec<Run>, deleted: &mut String, inserted: &mut String| {
        for (kind, text) in [(RunKind::Deleted, deleted), (RunKind::Inserted, inserted)] {
            if !text.is_empty() {
                runs.push(Run {
                    kind,
                    text: std::mem::take(text),
                });
            }
        }
    };
    for (index, (kind, text)) in tokens.iter().enumerate() {
        match kind {
            RunKind::Deleted => deleted.push_str(text),
            RunKind::Inserted => inserted.push_str(text),
            RunKind::Same => {
                let in_stretch = !(deleted.is_empty() && inserted.is_empty());
                let more_follows = tokens
                    .get(index + 1)
                    .is_some_and(|(next, _)| *next != RunKind::Same);
                if in_stretch && more_follows && text.trim().is_empty() {
                    // A space between two changes belongs to both sides of the stretch.
                    if !deleted.is_empty() {
                        deleted.push_str(text);
                    }
                    if !inserted.is_empty() {
                        inserted.push_str(text);
                    }
                    continue;
                }
                flush(&mut runs, &mut deleted, &mut inserted);
                match runs.last_mut() {
                    Some(last) if last.kind == RunKind::Same => last.text.push_str(text),
                    _ => runs.push(run(RunKind::Same, text)),
                }
            }
        }
    }
    flush(&mut runs, &mut deleted, &mut inserted);
    runs
}

// ---------------------------------------------------------------------------------------------
// Tiltak
// ---------------------------------------------------------------------------------------------

/// How a row is named in lists of changes: «tiltak 4.5-9», or by its title without a number.
fn tiltak_name(number: Option<&String>, title: &str) -> String {
    match number {
        Some(number) => format!("tiltak {number}"),
        None if title.trim().is_empty() => "tiltak uten nummer".to_owned(),
        None => format!("tiltak «{}»", excerpt(title)),
    }
}

fn excerpt(text: &str) -> String {
    const WORDS: usize = 8;
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= WORDS {
        words.join(" ")
    } else {
        format!("{} …", words[..WORDS].join(" "))
    }
}

fn tiltak_changes(from: &PlanView, to: &PlanView, template: &Template) -> Vec<TiltakDiff> {
    let old_numbers = tiltak_numbers(&from.structure, &from.tiltak, &from.goals, template);
    let new_numbers = tiltak_numbers(&to.structure, &to.tiltak, &to.goals, template);
    let old_rows: HashMap<&str, &TiltakRow> = from
        .tiltak
        .iter()
        .map(|row| (row.id.as_str(), row))
        .collect();
    let new_ids: HashSet<&str> = to.tiltak.iter().map(|row| row.id.as_str()).collect();

    let mut out = Vec::new();
    for new in in_print_order(to, &new_numbers) {
        let number = new_numbers.get(new.id.as_str());
        let title = new.title(template);
        let (change, fields, previous_number) = match old_rows.get(new.id.as_str()) {
            Some(old) => {
                let mut fields = field_changes(old, new, from, to, template);
                if let Some(moved) = placement_change(old, new, from, to) {
                    fields.insert(0, moved);
                }
                if fields.is_empty() {
                    continue;
                }
                let previous = old_numbers
                    .get(old.id.as_str())
                    .filter(|previous| Some(*previous) != number)
                    .cloned();
                (Change::Changed, fields, previous)
            }
            None => (Change::Added, whole_row(new, to, template, true), None),
        };
        out.push(TiltakDiff {
            id: new.id.clone(),
            name: tiltak_name(number, &title),
            number: number.cloned(),
            title,
            change,
            previous_number,
            fields,
        });
    }
    for old in in_print_order(from, &old_numbers) {
        if new_ids.contains(old.id.as_str()) {
            continue;
        }
        let number = old_numbers.get(old.id.as_str());
        let title = old.title(template);
        out.push(TiltakDiff {
            id: old.id.clone(),
            name: tiltak_name(number, &title),
            number: number.cloned(),
            title,
            change: Change::Removed,
            previous_number: None,
            fields: whole_row(old, from, template, false),
        });
    }
    out
}

/// A view's rows in print order (by number), then those not printed in the plan's order.
fn in_print_order<'v>(view: &'v PlanView, numbers: &HashMap<&str, String>) -> Vec<&'v TiltakRow> {
    let order = |number: &str| -> Vec<u64> {
        number
            .split(['.', '-'])
            .map(|part| part.parse().unwrap_or(u64::MAX))
            .collect()
    };
    let mut rows: Vec<(usize, Option<Vec<u64>>, &TiltakRow)> = view
        .tiltak
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let key = numbers.get(row.id.as_str()).map(|number| order(number));
            (index, key, row)
        })
        .collect();
    rows.sort_by(|a, b| match (&a.1, &b.1) {
        (Some(x), Some(y)) => x.cmp(y).then(a.0.cmp(&b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    });
    rows.into_iter().map(|(_, _, row)| row).collect()
}

/// Every field with a value, as new (`added`) or as gone.
fn whole_row(
    row: &TiltakRow,
    view: &PlanView,
    template: &Template,
    added: bool,
) -> Vec<FieldChange> {
    template
        .tiltak
        .fields
        .iter()
        .filter(|field| !row.is_empty(&field.name))
        .map(|field| {
            let shown = row.display(field, &view.goals);
            let (old, new) = if added {
                (String::new(), shown)
            } else {
                (shown, String::new())
            };
            field_change(&field.name, &field.label, old, new, false)
        })
        .collect()
}

/// The template's fields whose values differ, in the template's order.
fn field_changes(
    old: &TiltakRow,
    new: &TiltakRow,
    from: &PlanView,
    to: &PlanView,
    template: &Template,
) -> Vec<FieldChange> {
    template
        .tiltak
        .fields
        .iter()
        .filter(|field| old.values(&field.name) != new.values(&field.name))
        .map(|field| {
            field_change(
                &field.name,
                &field.label,
                old.display(field, &from.goals),
                new.display(field, &to.goals),
                is_prose(field),
            )
        })
        .collect()
}

fn is_prose(field: &FieldSchema) -> bool {
    matches!(field.field_type, FieldType::Text | FieldType::LongText)
}

/// The row moved to other parts of the plan (target groups, tiltak sections).
fn placement_change(
    old: &TiltakRow,
    new: &TiltakRow,
    from: &PlanView,
    to: &PlanView,
) -> Option<FieldChange> {
    if old.section_ids() == new.section_ids() {
        return None;
    }
    let names = |row: &TiltakRow, view: &PlanView| {
        let sections = flatten(&view.structure);
        row.section_ids()
            .into_iter()
            .map(|id| {
                sections
                    .iter()
                    .find(|section| section.id == id)
                    .map_or_else(
                        || id.to_owned(),
                        |section| {
                            format!("{} {}", section.number, section.heading)
                                .trim()
                                .to_owned()
                        },
                    )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(field_change(
        "section",
        "Plassering i planen",
        names(old, from),
        names(new, to),
        false,
    ))
}

fn field_change(field: &str, label: &str, old: String, new: String, prose: bool) -> FieldChange {
    let runs = if prose && !old.trim().is_empty() && !new.trim().is_empty() {
        word_runs(&old, &new)
    } else {
        Vec::new()
    };
    FieldChange {
        field: field.to_owned(),
        label: label.to_owned(),
        old,
        new,
        runs,
    }
}

// ---------------------------------------------------------------------------------------------
// Goals
// ---------------------------------------------------------------------------------------------

fn goal_changes(from: &PlanView, to: &PlanView, template: &Template) -> Vec<GoalDiff> {
    let strategy = template.strategy_field();
    let strategies = |goal: &Goal| -> String {
        goal.strategi
            .iter()
            .map(|value| {
                strategy
                    .and_then(|field| field.option(value))
                    .map_or(value.as_str(), |option| option.label.as_str())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let strategy_label = strategy.map_or("Strategi", |field| field.label.as_str());
    // (key in the goal, label, value, whether it is prose)
    let fields = |goal: &Goal| {
        [
            ("title", "Tittel", goal.title.clone(), true),
            ("description", "Beskrivelse", goal.description.clone(), true),
            ("strategi", strategy_label, strategies(goal), false),
        ]
    };
    let old_goals: HashMap<&str, &Goal> = from
        .goals
        .iter()
        .map(|goal| (goal.id.as_str(), goal))
        .collect();
    let new_ids: HashSet<&str> = to.goals.iter().map(|goal| goal.id.as_str()).collect();
    let mut out = Vec::new();
    for new in &to.goals {
        let (change, changes) = match old_goals.get(new.id.as_str()) {
            Some(old) => {
                let changes: Vec<FieldChange> = fields(old)
                    .into_iter()
                    .zip(fields(new))
                    .filter(|((_, _, before, _), (_, _, after, _))| before != after)
                    .map(|((field, label, before, prose), (_, _, after, _))| {
                        field_change(field, label, before, after, prose)
                    })
                    .collect();
                if changes.is_empty() {
                    continue;
                }
                (Change::Changed, changes)
            }
            None => (
                Change::Added,
                fields(new)
                    .into_iter()
                    .filter(|(_, _, value, _)| !value.trim().is_empty())
                    .map(|(field, label, value, _)| {
                        field_change(field, label, String::new(), value, false)
                    })
                    .collect(),
            ),
        };
        out.push(GoalDiff {
            id: new.id.clone(),
            title: new.title.clone(),
            change,
            fields: changes,
        });
    }
    for old in from
        .goals
        .iter()
        .filter(|goal| !new_ids.contains(goal.id.as_str()))
    {
        out.push(GoalDiff {
            id: old.id.clone(),
            title: old.title.clone(),
            change: Change::Removed,
            fields: fields(old)
                .into_iter()
                .filter(|(_, _, value, _)| !value.trim().is_empty())
                .map(|(field, label, value, _)| {
                    field_change(field, label, value, String::new(), false)
                })
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Block, FieldValue, Inline, plan_view};
    use crate::export::sample;
    use crate::templates::{SectionKind, TemplateRegistry};

    fn korus() -> Template {
        TemplateRegistry::builtin()
            .expect("built-in templates")
            .latest("korus-ruspolitisk-handlingsplan")
            .expect("korus template")
            .clone()
    }

    /// The Nordstrand sample as a plan view, twice: the older and the newer state to edit.
    fn two_states() -> (Template, PlanView, PlanView) {
        let template = korus();
        let doc = sample::nordstrand_doc(&template).expect("sample");
        let view = plan_view(&doc, &template);
        (template, view.clone(), view)
    }

    fn paragraph(text: &str) -> Block {
        Block::Paragraph {
            content: vec![Inline::plain(text)],
        }
    }

    fn section_mut<'a>(tree: &'a mut [PlanSection], id: &str) -> Option<&'a mut PlanSection> {
        for section in tree {
            if section.id == id {
                return Some(section);
            }
            if let Some(found) = section_mut(&mut section.children, id) {
                return Some(found);
            }
        }
        None
    }

    fn kinds(runs: &[Run]) -> Vec<(RunKind, &str)> {
        runs.iter()
            .map(|run| (run.kind, run.text.as_str()))
            .collect()
    }

    #[test]
    fn identical_states_have_no_changes() {
        let (template, from, to) = two_states();
        let diff = diff(&from, &to, &template);
        assert!(diff.is_empty(), "{diff:#?}");
        assert_eq!(diff.counts, DiffCounts::default());
    }

    #[test]
    fn words_between_changes_go_with_them() {
        let runs = word_runs(
            "Bydelen har fire tiltak mot alkohol.",
            "Bydelen har fem nye tiltak mot alkohol.",
        );
        assert_eq!(
            kinds(&runs),
            vec![
                (RunKind::Same, "Bydelen har "),
                (RunKind::Deleted, "fire"),
                (RunKind::Inserted, "fem nye"),
                (RunKind::Same, " tiltak mot alkohol."),
            ]
        );
    }

    #[test]
    fn a_changed_paragraph_is_compared_word_by_word() {
        let (template, mut from, mut to) = two_states();
        let id = from.sections[0].id.clone();
        from.sections[0].blocks = vec![
            paragraph("Innledning som står."),
            paragraph("Bydelen har fire tiltak mot alkohol."),
            paragraph("Et avsnitt som går ut av planen."),
        ];
        to.sections[0].blocks = vec![
            paragraph("Innledning som står."),
            paragraph("Bydelen har fem nye tiltak mot alkohol."),
            paragraph("Helt annen tekst om noe nytt."),
        ];
        let diff = diff(&from, &to, &template);
        assert_eq!(diff.sections.len(), 1, "{:#?}", diff.sections);
        let section = &diff.sections[0];
        assert_eq!(section.id, id);
        assert_eq!(section.change, Change::Changed);
        let number = &crate::document::structure::find(&to.structure, &id)
            .expect("section")
            .number;
        assert_eq!(&section.number, number);
        let changes: Vec<Change> = section.paragraphs.iter().map(|p| p.change).collect();
        // The unchanged paragraph is left out; one with no word in common is replaced.
        assert_eq!(
            changes,
            vec![Change::Changed, Change::Removed, Change::Added],
            "{:#?}",
            section.paragraphs
        );
        assert_eq!(
            kinds(&section.paragraphs[0].runs),
            vec![
                (RunKind::Same, "Bydelen har "),
                (RunKind::Deleted, "fire"),
                (RunKind::Inserted, "fem nye"),
                (RunKind::Same, " tiltak mot alkohol."),
            ]
        );
        assert_eq!(
            kinds(&section.paragraphs[1].runs),
            vec![(RunKind::Deleted, "Et avsnitt som går ut av planen.")]
        );
        assert_eq!(
            kinds(&section.paragraphs[2].runs),
            vec![(RunKind::Inserted, "Helt annen tekst om noe nytt.")]
        );
    }

    #[test]
    fn a_changed_tiltak_field_is_named_by_number_with_old_and_new_labels() {
        let (template, from, mut to) = two_states();
        // A choice field that does not decide the row's group (so its number stays).
        let field = template
            .tiltak
            .fields
            .iter()
            .find(|field| {
                field.field_type == FieldType::Enum
                    && field.options.len() >= 2
                    && Some(field.name.as_str()) != template.tiltak.group_by.as_deref()
            })
            .expect("an enum field that does not group");
        let numbers = tiltak_numbers(&from.structure, &from.tiltak, &from.goals, &template);
        let (index, row) = from
            .tiltak
            .iter()
            .enumerate()
            .find(|(_, row)| numbers.contains_key(row.id.as_str()))
            .expect("a printed row");
        let old_value = row.text(&field.name);
        let new_option = field
            .options
            .iter()
            .find(|option| option.value != old_value)
            .expect("another option");
        to.tiltak[index].fields.insert(
            field.name.clone(),
            FieldValue::Text(new_option.value.clone()),
        );

        let diff = diff(&from, &to, &template);
        assert_eq!(diff.tiltak.len(), 1, "{:#?}", diff.tiltak);
        let changed = &diff.tiltak[0];
        let number = numbers[row.id.as_str()].clone();
        assert_eq!(changed.change, Change::Changed);
        assert_eq!(changed.number.as_deref(), Some(number.as_str()));
        assert_eq!(changed.name, format!("tiltak {number}"));
        assert_eq!(changed.title, row.title(&template));
        assert_eq!(changed.previous_number, None);
        // «<section number>-<row number>», the section being a tiltak section in use.
        let (section_number, row_number) = number.rsplit_once('-').expect("section-row");
        assert!(row_number.parse::<usize>().is_ok_and(|n| n >= 1));
        assert!(
            flatten(&to.structure)
                .iter()
                .any(|section| section.kind == SectionKind::Tiltak
                    && section.in_use
                    && section.number == section_number)
        );
        assert_eq!(changed.fields.len(), 1);
        let change = &changed.fields[0];
        assert_eq!(change.field, field.name);
        assert_eq!(change.label, field.label);
        assert_eq!(change.old, row.display(field, &from.goals));
        assert_eq!(change.new, new_option.short());
        assert_eq!(diff.counts.tiltak_changed, 1);
    }

    #[test]
    fn a_rewritten_tiltak_text_has_word_runs() {
        let (template, from, mut to) = two_states();
        let title = template.title_field().expect("title field");
        let old = from.tiltak[3].text(&title.name);
        let new = format!("{old} Utvidet til hele bydelen.");
        to.tiltak[3]
            .fields
            .insert(title.name.clone(), FieldValue::Text(new.clone()));
        let diff = diff(&from, &to, &template);
        let change = &diff.tiltak[0].fields[0];
        assert_eq!(
            (change.old.as_str(), change.new.as_str()),
            (old.as_str(), new.as_str())
        );
        assert_eq!(
            change.runs.last().map(|run| (run.kind, run.text.as_str())),
            Some((RunKind::Inserted, " Utvidet til hele bydelen."))
        );
    }

    #[test]
    fn added_and_removed_rows_list_their_values() {
        let (template, from, mut to) = two_states();
        let removed = to.tiltak.remove(0);
        let mut added = from.tiltak[1].clone();
        added.id = "00000000-0000-4000-8000-000000000001".to_owned();
        to.tiltak.push(added.clone());

        let diff = diff(&from, &to, &template);
        let new_numbers = tiltak_numbers(&to.structure, &to.tiltak, &to.goals, &template);
        let old_numbers = tiltak_numbers(&from.structure, &from.tiltak, &from.goals, &template);
        let row = diff
            .tiltak
            .iter()
            .find(|row| row.change == Change::Added)
            .expect("an added row");
        assert_eq!(row.id, added.id);
        assert_eq!(row.number.as_ref(), new_numbers.get(added.id.as_str()));
        let filled = template
            .tiltak
            .fields
            .iter()
            .filter(|field| !added.is_empty(&field.name))
            .count();
        assert_eq!(row.fields.len(), filled);
        assert!(
            row.fields
                .iter()
                .all(|f| f.old.is_empty() && !f.new.is_empty())
        );

        let gone = diff
            .tiltak
            .iter()
            .find(|row| row.change == Change::Removed)
            .expect("a removed row");
        assert_eq!(gone.id, removed.id);
        // Named as it was printed in the older version.
        assert_eq!(gone.number.as_ref(), old_numbers.get(removed.id.as_str()));
        assert!(
            gone.fields
                .iter()
                .all(|f| !f.old.is_empty() && f.new.is_empty())
        );
        assert_eq!(
            (diff.counts.tiltak_added, diff.counts.tiltak_removed),
            (1, 1)
        );
        // Rows after the removed one moved up a number: that is not a change of theirs.
        assert_eq!(diff.counts.tiltak_changed, 0, "{:#?}", diff.tiltak);
    }

    #[test]
    fn renamed_set_aside_added_and_removed_sections() {
        let (template, mut from, mut to) = two_states();
        let prose: Vec<String> = flatten(&to.structure)
            .into_iter()
            .filter(|section| section.is_text() && section.in_use)
            .map(|section| section.id.clone())
            .collect();
        let (renamed, aside) = (prose[0].clone(), prose[1].clone());
        let old_heading = {
            let section = section_mut(&mut to.structure, &renamed).expect("section");
            std::mem::replace(&mut section.heading, "Et nytt navn".to_owned())
        };
        {
            let section = section_mut(&mut to.structure, &aside).expect("section");
            section.set_aside = true;
            section.in_use = false;
            section.number.clear();
        }
        // A section of the plan's own, in the newer state only, and one in the older only.
        let mut local = section_mut(&mut to.structure, &renamed)
            .expect("section")
            .clone();
        local.id = "lokal-ny".to_owned();
        local.heading = "Lokale forhold".to_owned();
        local.children.clear();
        to.structure.push(local.clone());
        to.sections.push(crate::document::SectionContent {
            id: local.id.clone(),
            blocks: vec![paragraph("Ny tekst om lokale forhold.")],
        });
        local.id = "lokal-gammel".to_owned();
        local.heading = "Gammel del".to_owned();
        from.structure.push(local.clone());

        let diff = diff(&from, &to, &template);
        let find = |id: &str| {
            diff.sections
                .iter()
                .find(|section| section.id == id)
                .unwrap_or_else(|| panic!("{id} in {:#?}", diff.sections))
        };
        let section = find(&renamed);
        assert_eq!(section.change, Change::Changed);
        assert_eq!(section.heading, "Et nytt navn");
        assert_eq!(section.renamed_from.as_deref(), Some(old_heading.as_str()));
        assert!(section.paragraphs.is_empty());

        let section = find(&aside);
        assert_eq!(section.use_change, Some(UseChange::SetAside));
        assert!(!section.number.is_empty(), "keeps the number it had");

        let section = find("lokal-ny");
        assert_eq!(section.change, Change::Added);
        assert_eq!(
            kinds(&section.paragraphs[0].runs),
            vec![(RunKind::Inserted, "Ny tekst om lokale forhold.")]
        );
        let section = find("lokal-gammel");
        assert_eq!(section.change, Change::Removed);
        assert_eq!(section.heading, "Gammel del");
        assert_eq!(diff.counts.sections, 4);
    }

    #[test]
    fn goals_and_the_plans_status_are_compared() {
        let (template, mut from, mut to) = two_states();
        let goal = |id: &str, title: &str| Goal {
            id: id.to_owned(),
            title: title.to_owned(),
            description: String::new(),
            strategi: Vec::new(),
        };
        from.goals = vec![goal("a", "Færre unge drikker"), goal("b", "Går ut")];
        to.goals = vec![
            goal("a", "Færre unge drikker alkohol"),
            goal("c", "Nytt mål"),
        ];
        from.meta.status = "horing".to_owned();
        to.meta.status = "vedtatt".to_owned();
        let diff = diff(&from, &to, &template);
        let changes: Vec<(&str, Change)> = diff
            .goals
            .iter()
            .map(|goal| (goal.id.as_str(), goal.change))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("a", Change::Changed),
                ("c", Change::Added),
                ("b", Change::Removed)
            ]
        );
        assert_eq!(diff.goals[0].fields[0].new, "Færre unge drikker alkohol");
        assert_eq!(diff.meta.len(), 1);
        assert_eq!(
            (diff.meta[0].old.as_str(), diff.meta[0].new.as_str()),
            ("På høring", "Vedtatt")
        );
    }
}
