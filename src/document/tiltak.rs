//! The tiltak table: reading rows, grouping them by strategy, and validated writes.
//!
//! A row is a Y.Map with a stable `id` (UUID), an optional `section`, and one entry per
//! template field: `long_text` fields are Y.Text (two people can type in one cell), the others
//! plain strings. Every long_text cell is created together with its row, even when empty: if two
//! clients each created a missing cell, one of them would lose what they typed.
//!
//! Accepted input (bulk import and patches, one JSON object per row):
//! - a field's value is a string or null (= empty); anything else is refused;
//! - an enum field takes the option's code (`tidlig_innsats`); an option's label or short label,
//!   in any letter case (`Tidlig innsats`), is accepted too and stored as the code, because
//!   spreadsheets exported from real plans carry labels;
//! - empty values are allowed even for required fields: an incomplete row is listed by
//!   [`completeness`](super::completeness), not refused, so people can add a row and fill it in;
//! - `unit` and `deadline` fields are free text: the plan's units live outside the document, and
//!   real plans name several units or partners in one cell.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use yrs::{
    Any, Array, GetString, In, Map, MapPrelim, MapRef, Out, ReadTxn, Text, TextPrelim,
    TransactionMut, WriteTxn,
};

use super::error::{DocumentError, quote};
use super::layout::{self, row as row_key};
use super::view::{maps_of, read_target_groups, tiltak_section_ids};
use crate::templates::{EnumOption, FieldSchema, FieldType, FieldValueError, Template};

/// Longest text accepted in one tiltak field, in characters.
pub const MAX_FIELD_CHARS: usize = 10_000;
/// Most rows accepted by one [`append_tiltak`] call.
pub const MAX_ROWS_PER_REQUEST: usize = 1_000;
/// Heading of the rows without a (known) strategy.
pub const NO_STRATEGI_LABEL: &str = "Uten strategi";

/// One tiltak row, every field as text. Serialises flat, like the import format:
/// `{"id": "…", "strategi": "forebygging", "tiltak": "…", …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TiltakRow {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Every field of the template, "" when empty.
    #[serde(flatten)]
    pub fields: BTreeMap<String, String>,
}

/// The columns of tiltak tables as the council's documents have them (strategi groups the rows):
/// shared by the plan page and the exports.
pub const COUNCIL_COLUMNS: [&str; 6] = [
    "tiltak",
    "innsatsomrade",
    "niva",
    "ansvarlig",
    "frist",
    "status",
];

impl TiltakRow {
    /// The row's cells in [`COUNCIL_COLUMNS`] order, enum codes shown as their bokmål labels.
    pub fn council_cells(&self, template: &Template) -> Vec<String> {
        COUNCIL_COLUMNS
            .iter()
            .map(|name| {
                let value = self.get(name);
                template
                    .field(name)
                    .and_then(|field| field.option(value))
                    .map_or_else(|| value.to_owned(), |option| option.short().to_owned())
            })
            .collect()
    }

    /// A field's text ("" for an empty or unknown field).
    pub fn get(&self, field: &str) -> &str {
        self.fields.get(field).map_or("", String::as_str)
    }
}

/// Rows of one strategy, for exports.
#[derive(Debug, Clone, Serialize)]
pub struct StrategiGroup<'a> {
    /// The template's option; `None` for rows without a known strategy.
    pub option: Option<&'a EnumOption>,
    /// The option's label, or "Uten strategi".
    pub label: String,
    pub rows: Vec<&'a TiltakRow>,
}

/// Rows grouped by `strategi` in the template's option order; rows with an empty or unknown
/// strategy come last under "Uten strategi". Only groups with rows are returned.
pub fn group_by_strategi<'a>(
    rows: &'a [TiltakRow],
    template: &'a Template,
) -> Vec<StrategiGroup<'a>> {
    let options = template.strategi_options();
    let mut groups: Vec<StrategiGroup<'a>> = options
        .iter()
        .map(|option| StrategiGroup {
            option: Some(option),
            label: option.label.clone(),
            rows: Vec::new(),
        })
        .collect();
    let mut without = Vec::new();
    for row in rows {
        let strategi = row.get("strategi");
        match options.iter().position(|option| option.value == strategi) {
            Some(index) => groups[index].rows.push(row),
            None => without.push(row),
        }
    }
    if !without.is_empty() {
        groups.push(StrategiGroup {
            option: None,
            label: NO_STRATEGI_LABEL.to_owned(),
            rows: without,
        });
    }
    groups.retain(|group| !group.rows.is_empty());
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
    let section = layout::map_text(txn, map, row_key::SECTION);
    TiltakRow {
        id: layout::map_text(txn, map, row_key::ID),
        section: (!section.is_empty()).then_some(section),
        fields: template
            .tiltak
            .fields
            .iter()
            .map(|field| (field.name.clone(), layout::map_text(txn, map, &field.name)))
            .collect(),
    }
}

/// Appends rows (the bulk-import format: one JSON object per row, see the module docs) and
/// returns their ids. Nothing is written unless every row is valid. An absent or empty field
/// with a template `default` gets the default.
pub fn append_tiltak(
    txn: &mut TransactionMut,
    template: &Template,
    rows: &[serde_json::Map<String, Value>],
) -> Result<Vec<String>, DocumentError> {
    if rows.len() > MAX_ROWS_PER_REQUEST {
        return Err(DocumentError::TooMany {
            what: "rows",
            count: rows.len(),
            max: MAX_ROWS_PER_REQUEST,
        });
    }
    let sections = tiltak_section_ids(template, &read_target_groups(txn));
    let mut known_ids: HashSet<String> = read_tiltak(txn, template)
        .into_iter()
        .map(|row| row.id)
        .collect();

    let mut checked = Vec::with_capacity(rows.len());
    for (index, json) in rows.iter().enumerate() {
        let row = check_row(template, Some(index), json, &sections)?;
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
        if let Some(section) = row.section.filter(|section| !section.is_empty()) {
            prelim.insert(row_key::SECTION.into(), In::Any(Any::from(section)));
        }
        for field in &template.tiltak.fields {
            let given = row
                .values
                .iter()
                .find(|(name, _)| *name == field.name)
                .map(|(_, value)| value.as_str())
                .unwrap_or("");
            let value = if given.is_empty() {
                field.default.as_deref().unwrap_or("")
            } else {
                given
            };
            if field.field_type == FieldType::LongText {
                prelim.insert(field.name.as_str().into(), TextPrelim::new(value).into());
            } else if !value.is_empty() {
                prelim.insert(field.name.as_str().into(), In::Any(Any::from(value)));
            }
        }
        array.push_back(txn, prelim);
        ids.push(id);
    }
    Ok(ids)
}

/// Sets the given fields of one row (null or "" clears a field). Nothing is written unless the
/// whole patch is valid. A long_text cell's content is replaced as a whole.
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
    let sections = tiltak_section_ids(template, &read_target_groups(txn));
    let row = check_row(template, None, &without_id, &sections)?;

    if let Some(section) = row.section {
        if section.is_empty() {
            map.remove(txn, row_key::SECTION);
        } else {
            map.insert(txn, row_key::SECTION, section);
        }
    }
    for (name, value) in row.values {
        let is_long = template
            .field(name)
            .is_some_and(|field| field.field_type == FieldType::LongText);
        if is_long {
            set_long_text(txn, &map, name, &value);
        } else if value.is_empty() {
            map.remove(txn, name);
        } else {
            map.insert(txn, name, value);
        }
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

/// A row that passed validation, values normalised (enum labels replaced by codes).
struct CheckedRow<'t> {
    /// A client-chosen id (canonical form); `None` to generate one.
    id: Option<String>,
    /// `Some("")` clears the row's section.
    section: Option<String>,
    /// Fields given in the input, in input order.
    values: Vec<(&'t str, String)>,
}

fn check_row<'t>(
    template: &'t Template,
    row: Option<usize>,
    json: &serde_json::Map<String, Value>,
    sections: &[String],
) -> Result<CheckedRow<'t>, DocumentError> {
    let mut checked = CheckedRow {
        id: None,
        section: None,
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
        if key == row_key::SECTION {
            let text = text_value(row, key, value)?;
            if !text.is_empty() && !sections.contains(&text) {
                return Err(DocumentError::NotAllowed {
                    row,
                    field: key.clone(),
                    value: quote(&text),
                    allowed: sections.to_vec(),
                });
            }
            checked.section = Some(text);
            continue;
        }
        let field = template
            .field(key)
            .ok_or_else(|| DocumentError::UnknownField {
                row,
                field: quote(key),
                known: known_fields(template),
            })?;
        let text = text_value(row, key, value)?;
        let len = text.chars().count();
        if len > MAX_FIELD_CHARS {
            return Err(DocumentError::TooLong {
                row,
                field: key.clone(),
                len,
                max: MAX_FIELD_CHARS,
            });
        }
        let text = if field.field_type == FieldType::Enum {
            enum_code(template, field, &text).map_err(|error| DocumentError::Enum { row, error })?
        } else {
            text
        };
        checked.values.push((field.name.as_str(), text));
    }
    Ok(checked)
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
        Ok(()) => Ok(code.to_owned()),
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
    [row_key::ID, row_key::SECTION]
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
