//! The tiltak table: reading rows, grouping them for tables, and validated writes. The
//! template's schema is the only definition of the fields; nothing here names one.
//!
//! A row is a Y.Map with a stable `id` (UUID), an optional `section` (or `sections`, for a row
//! in several target groups), and one entry per template field: `long_text` fields are Y.Text
//! (two people can type in one cell); `multi_enum`, `unit` and `goals` fields are arrays of
//! strings; the others plain strings. Every long_text cell is created together with its row,
//! even when empty: if two clients each created a missing cell, one of them would lose what
//! they typed.
//!
//! Accepted input (bulk import and patches, one JSON object per row):
//! - a text field's value is a string or null (= empty); a list field's an array of strings, a
//!   single string (one item) or null; anything else is refused;
//! - an enum option is given by its code (`tidlig_innsats`), or by its label or short label in
//!   any letter case (`Tidlig innsats`), stored as the code, because spreadsheets exported from
//!   real plans carry labels;
//! - a `goals` item must be the id of one of the plan's goals; a `number` must read as one;
//! - empty values are allowed even for required fields: an incomplete row is listed by
//!   [`completeness`](super::completeness), not refused, so people can add a row and fill it in;
//! - `unit` items are the plan's unit names or free text: real plans name partners that are
//!   not units of the plan.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use yrs::{
    Any, Array, GetString, In, Map, MapPrelim, MapRef, Out, ReadTxn, Text, TextPrelim,
    TransactionMut, WriteTxn,
};

use super::error::{DocumentError, quote};
use super::goals::{Goal, read_goals};
use super::layout::maps_of;
use super::layout::{self, row as row_key};
use super::structure::{PlanSection, flatten, read_target_groups};
use crate::templates::{
    FieldSchema, FieldType, FieldValueError, MultiGroup, Place, SectionKind, TargetGroup,
    TargetGroupsSpec, Template,
};

/// Most rows accepted by one [`append_tiltak`] call.
pub const MAX_ROWS_PER_REQUEST: usize = 1_000;
/// Most values in one list field (units, goals, options, sections) of a row.
pub const MAX_LIST_ITEMS: usize = 100;

/// A field's value: text, or a list of texts for `multi_enum`, `unit` and `goals` fields.
/// Serialises as a JSON string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    List(Vec<String>),
}

impl FieldValue {
    pub fn is_empty(&self) -> bool {
        match self {
            FieldValue::Text(text) => text.trim().is_empty(),
            FieldValue::List(items) => items.is_empty(),
        }
    }

    /// The values: one text (if not empty), or the list's items.
    pub fn items(&self) -> Vec<&str> {
        match self {
            FieldValue::Text(text) if text.trim().is_empty() => Vec::new(),
            FieldValue::Text(text) => vec![text.as_str()],
            FieldValue::List(items) => items.iter().map(String::as_str).collect(),
        }
    }
}

/// One tiltak row. Serialises flat, like the import format:
/// `{"id": "…", "strategi": "forebygging", "ansvarlig": ["NAV"], …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TiltakRow {
    pub id: String,
    /// The tiltak section the row is in (its first, when it is in several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Every tiltak section the row is in, when it is in more than one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<String>,
    /// Every field of the template; an empty text or list when the row has no value.
    #[serde(flatten)]
    pub fields: BTreeMap<String, FieldValue>,
}

impl TiltakRow {
    /// A field's value as one text: a list joined with ", " ("" for an empty or unknown field).
    pub fn text(&self, field: &str) -> String {
        self.values(field).join(", ")
    }

    /// A field's values (see [`FieldValue::items`]).
    pub fn values(&self, field: &str) -> Vec<&str> {
        self.fields
            .get(field)
            .map(FieldValue::items)
            .unwrap_or_default()
    }

    pub fn is_empty(&self, field: &str) -> bool {
        self.fields.get(field).is_none_or(FieldValue::is_empty)
    }

    /// The row's name: its title field's text.
    pub fn title(&self, template: &Template) -> String {
        template
            .title_field()
            .map(|field| self.text(&field.name))
            .unwrap_or_default()
    }

    /// A field as readers see it: option labels for choices, goal titles for goals, the text
    /// otherwise ("" when empty). A value that matches no option or goal is shown as written.
    pub fn display(&self, field: &FieldSchema, goals: &[Goal]) -> String {
        let values = self.values(&field.name);
        let shown: Vec<&str> = values
            .iter()
            .map(|value| match field.field_type {
                FieldType::Enum | FieldType::MultiEnum => {
                    field.option(value).map_or(*value, |option| option.short())
                }
                FieldType::Goals => goals
                    .iter()
                    .find(|goal| goal.id == *value)
                    .map_or(*value, |goal| goal.title.as_str()),
                _ => value,
            })
            .collect();
        let separator = if field.field_type == FieldType::Goals {
            "; "
        } else {
            ", "
        };
        shown.join(separator)
    }

    /// The tiltak sections the row names.
    pub fn section_ids(&self) -> Vec<&str> {
        if self.sections.is_empty() {
            self.section.iter().map(String::as_str).collect()
        } else {
            self.sections.iter().map(String::as_str).collect()
        }
    }
}

/// The rows printed in tiltak section `section` of a plan whose tiltak sections are `known` (in
/// document order): those that name it, and, in the first known section, those that name no
/// known section, so that no row is ever left out of the plan.
pub fn rows_of_section<'a>(
    rows: &'a [TiltakRow],
    section: &str,
    known: &[String],
    mode: MultiGroup,
) -> Vec<&'a TiltakRow> {
    let home = known.first().is_some_and(|first| first == section);
    rows.iter()
        .filter(|row| {
            let placed = row
                .section_ids()
                .iter()
                .any(|id| known.iter().any(|k| k == id));
            if placed {
                let named: Vec<&str> = row
                    .section_ids()
                    .into_iter()
                    .filter(|id| known.iter().any(|k| k == id))
                    .collect();
                match mode {
                    MultiGroup::Each => named.contains(&section),
                    MultiGroup::Once => named.first() == Some(&section),
                }
            } else {
                home
            }
        })
        .collect()
}

/// The numbers of `rows` as [`tiltak_numbers`] gives them, with the plan's structure and goals
/// read from `txn`: for callers that hold only the rows (comment anchors, suggestions). Reads
/// nothing when there are no rows.
pub fn tiltak_numbers_in<'r, T: ReadTxn>(
    txn: &T,
    rows: &'r [TiltakRow],
    template: &Template,
) -> HashMap<&'r str, String> {
    if rows.is_empty() {
        return HashMap::new();
    }
    let structure = super::structure::plan_structure(txn, template);
    tiltak_numbers(&structure, rows, &read_goals(txn), template)
}

/// The number each row is printed with, by row id: `<section number>-<row number>` in the first
/// tiltak section in use that prints it (a row printed in several tables keeps its first), as
/// the plan page and the exports number their tables. Takes the plan's parts rather than a
/// whole `PlanView`, so that comment anchors can number rows without reading the prose.
pub fn tiltak_numbers<'r>(
    structure: &[PlanSection],
    rows: &'r [TiltakRow],
    goals: &[Goal],
    template: &Template,
) -> HashMap<&'r str, String> {
    let sections = flatten(structure);
    let known: Vec<String> = sections
        .iter()
        .filter(|section| section.kind == SectionKind::Tiltak)
        .map(|section| section.id.clone())
        .collect();
    let mut numbers: HashMap<&'r str, String> = HashMap::new();
    for section in sections
        .iter()
        .filter(|section| section.kind == SectionKind::Tiltak && section.in_use)
    {
        let printed = rows_of_section(rows, &section.id, &known, template.tiltak.multi_group);
        for group in group_rows(&printed, template, goals) {
            for grouped in group.rows {
                numbers
                    .entry(grouped.row.id.as_str())
                    .or_insert_with(|| tiltak_number(&section.number, grouped.number));
            }
        }
    }
    numbers
}

/// «4.5-9»: the row's number in its table, after its section's number.
fn tiltak_number(section: &str, row: usize) -> String {
    if section.is_empty() {
        row.to_string()
    } else {
        format!("{section}-{row}")
    }
}

/// A row as a table prints it: the column cells, and the row's other values as
/// (label, value) lines to show under its title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowCells {
    pub columns: Vec<String>,
    pub details: Vec<(String, String)>,
}

impl TiltakRow {
    /// The cells of the columns at `place`, and every other field with a value except the one
    /// the table is grouped by (its group heading says it): so every value the plan has is
    /// printed, and nothing it does not have.
    pub fn cells(&self, template: &Template, place: Place, goals: &[Goal]) -> RowCells {
        let grouped_by = template.tiltak.group_by.as_deref();
        let mut cells = RowCells {
            columns: Vec::new(),
            details: Vec::new(),
        };
        for field in &template.tiltak.fields {
            if field.is_column(place) {
                cells.columns.push(self.display(field, goals));
            } else if Some(field.name.as_str()) != grouped_by && !self.is_empty(&field.name) {
                cells
                    .details
                    .push((field.label.clone(), self.display(field, goals)));
            }
        }
        cells
    }
}

/// Rows of one group of a tiltak table, for pages and exports.
#[derive(Debug, Clone, Serialize)]
pub struct RowGroup<'a> {
    /// The option value or goal id; `None` for rows without a known value, or when the template
    /// does not group.
    pub value: Option<String>,
    /// The option's label or goal's title, "Uten <field>" or "" when the template does not group.
    pub label: String,
    pub rows: Vec<GroupedRow<'a>>,
}

/// A row in a group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupedRow<'a> {
    /// Position in the printed table, counted across its groups (1-based).
    pub number: usize,
    pub row: &'a TiltakRow,
    /// The other groups the row belongs to, when the template prints it once.
    pub also: Vec<String>,
}

/// Rows grouped by the template's `group_by` field, in its options' (or the plan's goals')
/// order; rows with no known value come last under "Uten <field label>". A row with several
/// values is in each of their groups, or once with the others listed (`multi_group`). Only
/// groups with rows are returned; rows are numbered in print order.
pub fn group_rows<'a>(
    rows: &[&'a TiltakRow],
    template: &Template,
    goals: &[Goal],
) -> Vec<RowGroup<'a>> {
    let Some(field) = template.group_field() else {
        let rows = rows
            .iter()
            .enumerate()
            .map(|(index, row)| GroupedRow {
                number: index + 1,
                row,
                also: Vec::new(),
            })
            .collect::<Vec<_>>();
        return if rows.is_empty() {
            Vec::new()
        } else {
            vec![RowGroup {
                value: None,
                label: String::new(),
                rows,
            }]
        };
    };
    let choices: Vec<(String, String)> = if field.field_type == FieldType::Goals {
        goals
            .iter()
            .map(|goal| (goal.id.clone(), goal.title.clone()))
            .collect()
    } else {
        field
            .options
            .iter()
            .map(|option| (option.value.clone(), option.label.clone()))
            .collect()
    };
    let mut groups: Vec<RowGroup<'a>> = choices
        .iter()
        .map(|(value, label)| RowGroup {
            value: Some(value.clone()),
            label: label.clone(),
            rows: Vec::new(),
        })
        .collect();
    let mut without = Vec::new();
    for row in rows {
        // In the groups' order, so "first" is the same whatever order the values were set in.
        let mut positions: Vec<usize> = row
            .values(&field.name)
            .iter()
            .filter_map(|value| choices.iter().position(|(code, _)| code == value))
            .collect();
        positions.sort_unstable();
        positions.dedup();
        let Some(&first) = positions.first() else {
            without.push(GroupedRow {
                number: 0,
                row,
                also: Vec::new(),
            });
            continue;
        };
        match template.tiltak.multi_group {
            MultiGroup::Each => {
                for position in positions {
                    groups[position].rows.push(GroupedRow {
                        number: 0,
                        row,
                        also: Vec::new(),
                    });
                }
            }
            MultiGroup::Once => {
                let also = positions[1..]
                    .iter()
                    .map(|&position| choices[position].1.clone())
                    .collect();
                groups[first].rows.push(GroupedRow {
                    number: 0,
                    row,
                    also,
                });
            }
        }
    }
    if !without.is_empty() {
        groups.push(RowGroup {
            value: None,
            label: format!("Uten {}", field.label.to_lowercase()),
            rows: without,
        });
    }
    groups.retain(|group| !group.rows.is_empty());
    let mut number = 0;
    for group in &mut groups {
        for row in &mut group.rows {
            number += 1;
            row.number = number;
        }
    }
    groups
}

/// All rows, in table order. Entries that are not maps are skipped; a row without an id is
/// still shown (its content must not disappear from exports).
pub fn read_tiltak<T: ReadTxn>(txn: &T, template: &Template) -> Vec<TiltakRow> {
    maps_of(txn, txn.get_array(layout::TILTAK))
        .map(|map| read_row(txn, &map, template))
        .collect()
}

fn read_row<T: ReadTxn>(txn: &T, map: &MapRef, template: &Template) -> TiltakRow {
    // As the browser reads a row: its `section`, then its `sections`, each once (a `sections`
    // of one item, or one that does not repeat `section`, still places the row there).
    let section = layout::map_text(txn, map, row_key::SECTION);
    let mut sections: Vec<String> = Vec::new();
    for id in (!section.is_empty())
        .then_some(section)
        .into_iter()
        .chain(layout::map_list(txn, map, row_key::SECTIONS))
    {
        if !sections.contains(&id) {
            sections.push(id);
        }
    }
    let section = sections.first().cloned();
    if sections.len() == 1 {
        sections.clear();
    }
    TiltakRow {
        id: layout::map_text(txn, map, row_key::ID),
        section,
        sections,
        fields: template
            .tiltak
            .fields
            .iter()
            .map(|field| {
                let value = if field.field_type.is_list() {
                    FieldValue::List(layout::map_list(txn, map, &field.name))
                } else {
                    FieldValue::Text(layout::map_text(txn, map, &field.name))
                };
                (field.name.clone(), value)
            })
            .collect(),
    }
}

/// Where new rows come from, which decides whether the template's defaults apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOrigin {
    /// Made by someone in the editor or the API: an empty field with a default gets it.
    Made,
    /// Imported from an existing plan: what the source leaves blank stays blank.
    Imported,
}

/// Appends rows (the bulk-import format: one JSON object per row, see the module docs) and
/// returns their ids. Nothing is written unless every row is valid. A row [`RowOrigin::Made`]
/// gets the template's default for a field it leaves empty; an imported row keeps its blanks.
pub fn append_tiltak(
    txn: &mut TransactionMut,
    template: &Template,
    rows: &[serde_json::Map<String, Value>],
    origin: RowOrigin,
) -> Result<Vec<String>, DocumentError> {
    if rows.len() > MAX_ROWS_PER_REQUEST {
        return Err(DocumentError::TooMany {
            what: "rows",
            count: rows.len(),
            max: MAX_ROWS_PER_REQUEST,
        });
    }
    let context = Context::read(txn, template);
    let mut known_ids: HashSet<String> = read_tiltak(txn, template)
        .into_iter()
        .map(|row| row.id)
        .collect();

    let mut checked = Vec::with_capacity(rows.len());
    for (index, json) in rows.iter().enumerate() {
        let row = check_row(template, Some(index), json, &context)?;
        if let Some(id) = &row.id
            && !known_ids.insert(id.clone())
        {
            return Err(DocumentError::DuplicateId {
                row: Some(index),
                id: id.clone(),
            });
        }
        checked.push(row);
    }

    let array = txn.get_or_insert_array(layout::TILTAK);
    let mut ids = Vec::with_capacity(checked.len());
    for row in checked {
        let id = row.id.unwrap_or_else(|| Uuid::new_v4().to_string());
        let mut prelim = MapPrelim::default();
        prelim.insert(row_key::ID.into(), In::Any(Any::from(id.as_str())));
        match row.sections.as_deref() {
            Some([one]) => {
                prelim.insert(row_key::SECTION.into(), In::Any(Any::from(one.as_str())));
            }
            Some(several @ [_, _, ..]) => {
                prelim.insert(
                    row_key::SECTIONS.into(),
                    In::Any(layout::list_value(several)),
                );
            }
            _ => {}
        }
        for field in &template.tiltak.fields {
            let given = row
                .values
                .iter()
                .find(|(name, _)| *name == field.name)
                .map(|(_, value)| value.clone())
                .filter(|value| !value.is_empty());
            let value = given.or_else(|| match (origin, &field.default) {
                (RowOrigin::Made, Some(default)) => Some(FieldValue::Text(default.clone())),
                _ => None,
            });
            match value {
                Some(FieldValue::Text(text)) if field.field_type == FieldType::LongText => {
                    prelim.insert(field.name.as_str().into(), TextPrelim::new(text).into());
                }
                // Every long_text cell exists from the start (see the module docs).
                None if field.field_type == FieldType::LongText => {
                    prelim.insert(field.name.as_str().into(), TextPrelim::new("").into());
                }
                Some(FieldValue::Text(text)) => {
                    prelim.insert(field.name.as_str().into(), In::Any(Any::from(text)));
                }
                Some(FieldValue::List(items)) => {
                    prelim.insert(
                        field.name.as_str().into(),
                        In::Any(layout::list_value(&items)),
                    );
                }
                None => {}
            }
        }
        array.push_back(txn, prelim);
        ids.push(id);
    }
    Ok(ids)
}

/// Sets the given fields of one row (null, "" or [] clears a field). Nothing is written unless
/// the whole patch is valid. A long_text cell's content is replaced as a whole.
pub fn patch_tiltak(
    txn: &mut TransactionMut,
    template: &Template,
    row_id: &str,
    patch: &serde_json::Map<String, Value>,
) -> Result<(), DocumentError> {
    let map =
        find_row(txn, row_id).ok_or_else(|| DocumentError::UnknownRow { id: quote(row_id) })?;
    if let Some(id) = patch.get(row_key::ID)
        && id.as_str() != Some(row_id)
    {
        return Err(DocumentError::Immutable {
            field: row_key::ID.to_owned(),
        });
    }
    let mut without_id = patch.clone();
    without_id.remove(row_key::ID);
    let context = Context::read(txn, template);
    let row = check_row(template, None, &without_id, &context)?;

    if let Some(sections) = row.sections {
        map.remove(txn, row_key::SECTION);
        map.remove(txn, row_key::SECTIONS);
        match sections.as_slice() {
            [] => {}
            [one] => {
                map.insert(txn, row_key::SECTION, one.as_str());
            }
            several => {
                map.insert(txn, row_key::SECTIONS, layout::list_value(several));
            }
        }
    }
    for (name, value) in row.values {
        let is_long = template
            .field(name)
            .is_some_and(|field| field.field_type == FieldType::LongText);
        match value {
            FieldValue::Text(text) if is_long => set_long_text(txn, &map, name, &text),
            value if value.is_empty() => {
                map.remove(txn, name);
            }
            FieldValue::Text(text) => {
                map.insert(txn, name, text);
            }
            FieldValue::List(items) => {
                map.insert(txn, name, layout::list_value(&items));
            }
        }
    }
    Ok(())
}

/// Checks a new value for one template field of one row as [`patch_tiltak`] would, writing
/// nothing; returns the value as it would be stored (enum labels as their codes). For
/// suggestions, which are checked when proposed and applied later.
pub fn check_tiltak_field<T: ReadTxn>(
    txn: &T,
    template: &Template,
    row_id: &str,
    field: &str,
    value: &Value,
) -> Result<FieldValue, DocumentError> {
    find_row(txn, row_id).ok_or_else(|| DocumentError::UnknownRow { id: quote(row_id) })?;
    if template.field(field).is_none() {
        return Err(DocumentError::UnknownField {
            row: None,
            field: quote(field),
            known: known_fields(template),
        });
    }
    let mut json = serde_json::Map::new();
    json.insert(field.to_owned(), value.clone());
    let context = Context::read(txn, template);
    let checked = check_row(template, None, &json, &context)?;
    Ok(checked
        .values
        .into_iter()
        .next()
        .map(|(_, value)| value)
        .unwrap_or_else(|| FieldValue::Text(String::new())))
}

/// Checks one new row as [`append_tiltak`] would, writing nothing.
pub fn check_new_tiltak<T: ReadTxn>(
    txn: &T,
    template: &Template,
    row: &serde_json::Map<String, Value>,
) -> Result<(), DocumentError> {
    let context = Context::read(txn, template);
    let checked = check_row(template, Some(0), row, &context)?;
    if checked.id.is_some() {
        return Err(DocumentError::Immutable {
            field: row_key::ID.to_owned(),
        });
    }
    Ok(())
}

/// Replaces a long_text cell's content, keeping its Y.Text (clients hold on to it).
fn set_long_text(txn: &mut TransactionMut, map: &MapRef, name: &str, value: &str) {
    if let Some(Out::YText(text)) = map.get(txn, name) {
        if text.get_string(txn) == value {
            return;
        }
        let len = text.len(txn);
        if len > 0 {
            text.remove_range(txn, 0, len);
        }
        text.insert(txn, 0, value);
    } else {
        map.insert(txn, name, TextPrelim::new(value));
    }
}

fn find_row<T: ReadTxn>(txn: &T, row_id: &str) -> Option<MapRef> {
    maps_of(txn, txn.get_array(layout::TILTAK))
        .find(|map| layout::map_text(txn, map, row_key::ID) == row_id)
}

/// What a row's values are checked against besides the template: the plan's tiltak sections
/// and goals.
struct Context {
    sections: Vec<String>,
    goals: Vec<String>,
}

impl Context {
    fn read<T: ReadTxn>(txn: &T, template: &Template) -> Self {
        Context {
            sections: tiltak_section_ids(template, &read_target_groups(txn)),
            goals: read_goals(txn).into_iter().map(|goal| goal.id).collect(),
        }
    }
}

/// A row that passed validation, values normalised (enum labels replaced by codes).
struct CheckedRow<'t> {
    /// A client-chosen id (canonical form); `None` to generate one.
    id: Option<String>,
    /// `Some(empty)` clears the row's sections.
    sections: Option<Vec<String>>,
    /// Fields given in the input, in input order.
    values: Vec<(&'t str, FieldValue)>,
}

fn check_row<'t>(
    template: &'t Template,
    row: Option<usize>,
    json: &serde_json::Map<String, Value>,
    context: &Context,
) -> Result<CheckedRow<'t>, DocumentError> {
    let mut checked = CheckedRow {
        id: None,
        sections: None,
        values: Vec::new(),
    };
    for (key, value) in json {
        if key == row_key::ID {
            let text = text_value(row, key, value)?;
            if !text.is_empty() {
                let uuid = Uuid::parse_str(&text).map_err(|_| DocumentError::InvalidId {
                    row,
                    value: quote(&text),
                })?;
                checked.id = Some(uuid.hyphenated().to_string());
            }
            continue;
        }
        if key == row_key::SECTION || key == row_key::SECTIONS {
            let sections = list_value(row, key, value)?;
            for section in &sections {
                if !context.sections.contains(section) {
                    return Err(DocumentError::NotAllowed {
                        row,
                        field: key.clone(),
                        value: quote(section),
                        allowed: context.sections.clone(),
                    });
                }
            }
            let mut unique = Vec::with_capacity(sections.len());
            for section in sections {
                if !unique.contains(&section) {
                    unique.push(section);
                }
            }
            checked.sections = Some(unique);
            continue;
        }
        let field = template
            .field(key)
            .ok_or_else(|| DocumentError::UnknownField {
                row,
                field: quote(key),
                known: known_fields(template),
            })?;
        let value = if field.field_type.is_list() {
            FieldValue::List(list_value(row, key, value)?)
        } else {
            FieldValue::Text(text_value(row, key, value)?)
        };
        for item in value.items() {
            let len = item.chars().count();
            if len > field.max_chars() {
                return Err(DocumentError::TooLong {
                    row,
                    field: key.clone(),
                    len,
                    max: field.max_chars(),
                });
            }
        }
        let value = normalise(template, field, row, value, context)?;
        checked.values.push((field.name.as_str(), value));
    }
    Ok(checked)
}

/// A checked value in its stored form: option codes for choices, known goal ids, numbers as
/// written, list items trimmed without blanks or repeats.
fn normalise(
    template: &Template,
    field: &FieldSchema,
    row: Option<usize>,
    value: FieldValue,
    context: &Context,
) -> Result<FieldValue, DocumentError> {
    let enum_error = |error| DocumentError::Enum { row, error };
    Ok(match (field.field_type, value) {
        (FieldType::Enum, FieldValue::Text(text)) => {
            FieldValue::Text(enum_code(template, field, &text).map_err(enum_error)?)
        }
        (FieldType::Number, FieldValue::Text(text)) => {
            let trimmed = text.trim();
            if !trimmed.is_empty() && !crate::templates::is_number(trimmed) {
                return Err(DocumentError::NotANumber {
                    row,
                    field: field.name.clone(),
                    value: quote(trimmed),
                });
            }
            FieldValue::Text(trimmed.to_owned())
        }
        (kind, FieldValue::List(items)) => {
            let mut out: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let item = match kind {
                    FieldType::MultiEnum => {
                        enum_code(template, field, &item).map_err(enum_error)?
                    }
                    FieldType::Goals => {
                        let id = item.trim().to_owned();
                        if !context.goals.contains(&id) {
                            return Err(DocumentError::NotAllowed {
                                row,
                                field: field.name.clone(),
                                value: quote(&id),
                                allowed: context.goals.clone(),
                            });
                        }
                        id
                    }
                    _ => item.trim().to_owned(),
                };
                if !item.is_empty() && !out.contains(&item) {
                    out.push(item);
                }
            }
            FieldValue::List(out)
        }
        (_, value) => value,
    })
}

/// A JSON value where text is expected: a string, or null for empty.
fn text_value(row: Option<usize>, field: &str, value: &Value) -> Result<String, DocumentError> {
    let found = match value {
        Value::String(text) => return Ok(text.clone()),
        Value::Null => return Ok(String::new()),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Err(DocumentError::WrongType {
        row,
        field: quote(field),
        expected: "a string",
        found,
    })
}

/// A JSON value where a list is expected: an array of strings, one string (a one-item list,
/// as spreadsheets give it), or null for none. At most [`MAX_LIST_ITEMS`] items.
fn list_value(
    row: Option<usize>,
    field: &str,
    value: &Value,
) -> Result<Vec<String>, DocumentError> {
    let wrong = |found| DocumentError::WrongType {
        row,
        field: quote(field),
        expected: "an array of strings",
        found,
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(text) if text.trim().is_empty() => Ok(Vec::new()),
        Value::String(text) => Ok(vec![text.trim().to_owned()]),
        Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                return Err(DocumentError::TooMany {
                    what: "values",
                    count: items.len(),
                    max: MAX_LIST_ITEMS,
                });
            }
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.trim().to_owned()),
                    _ => Err(wrong("an array with other values than strings")),
                })
                .filter(|item| item.as_ref().map_or(true, |text| !text.is_empty()))
                .collect()
        }
        Value::Bool(_) => Err(wrong("a boolean")),
        Value::Number(_) => Err(wrong("a number")),
        Value::Object(_) => Err(wrong("an object")),
    }
}

/// The option code for an enum value: the code itself, or (case-insensitively) an option's
/// code, label or short label. Empty stays empty (an incomplete row is allowed). The template's
/// own check has the last word and names the allowed codes.
fn enum_code(
    template: &Template,
    field: &FieldSchema,
    value: &str,
) -> Result<String, FieldValueError> {
    let wanted = value.trim();
    if wanted.is_empty() {
        return Ok(String::new());
    }
    let lower = wanted.to_lowercase();
    let matches = |candidate: &str| candidate.to_lowercase() == lower;
    let code = field
        .option(wanted)
        .or_else(|| {
            field.options.iter().find(|option| {
                matches(&option.value)
                    || matches(&option.label)
                    || option.short_label.as_deref().is_some_and(matches)
            })
        })
        .map_or(wanted, |option| option.value.as_str());
    match template.validate_enum(&field.name, code) {
        // Emptiness is for completeness to report, not a reason to refuse the row.
        Ok(()) | Err(FieldValueError::Missing { .. }) => Ok(code.to_owned()),
        Err(FieldValueError::NotAllowed {
            field,
            value,
            allowed,
        }) => Err(FieldValueError::NotAllowed {
            field,
            value: quote(&value),
            allowed,
        }),
        Err(other) => Err(other),
    }
}

fn known_fields(template: &Template) -> Vec<String> {
    row_key::ALL
        .into_iter()
        .map(str::to_owned)
        .chain(
            template
                .tiltak
                .fields
                .iter()
                .map(|field| field.name.clone()),
        )
        .collect()
}

/// Section ids a tiltak row may name in `section`: the template's tiltak sections and each
/// target group's tiltak subsections.
pub fn tiltak_section_ids(template: &Template, groups: &[TargetGroup]) -> Vec<String> {
    let mut ids: Vec<String> = template
        .sections_of_kind(SectionKind::Tiltak)
        .into_iter()
        .map(|section| section.id.clone())
        .collect();
    if let Some((part, spec)) = template.target_groups() {
        for group in groups {
            for sub in spec
                .subsections
                .iter()
                .filter(|sub| sub.kind == SectionKind::Tiltak)
            {
                ids.push(TargetGroupsSpec::instance_section_id(
                    &part.id, &group.id, &sub.id,
                ));
            }
        }
    }
    ids
}
