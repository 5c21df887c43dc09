//! Validated writes outside the tiltak table: plan metadata, checklist ticks, milestones and
//! seeded prose. Each function checks everything before it changes anything.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yrs::{Any, Array, In, Map, MapPrelim, ReadTxn, TransactionMut, WriteTxn};

use super::error::{DocumentError, quote};
use super::layout::maps_of;
use super::layout::{self, meta, milestone};
use super::prose::replace_with_paragraphs;
use super::structure::{flatten, plan_structure, read_local_items};
use crate::templates::Template;

pub use super::layout::MAX_SHORT_CHARS;
/// Longest seeded paragraph, in characters.
pub const MAX_PARAGRAPH_CHARS: usize = 10_000;
/// Most paragraphs one [`set_prose_paragraphs`] call writes.
pub const MAX_PARAGRAPHS: usize = 500;

/// Where a plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Utkast,
    Horing,
    Vedtatt,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 3] = [PlanStatus::Utkast, PlanStatus::Horing, PlanStatus::Vedtatt];

    /// The code stored in `meta.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Utkast => "utkast",
            PlanStatus::Horing => "horing",
            PlanStatus::Vedtatt => "vedtatt",
        }
    }

    /// Bokmål label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Utkast => "Utkast",
            PlanStatus::Horing => "På høring",
            PlanStatus::Vedtatt => "Vedtatt",
        }
    }
}

impl fmt::Display for PlanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PlanStatus {
    type Err = DocumentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlanStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| DocumentError::NotAllowed {
                row: None,
                field: format!("{}.{}", layout::META, meta::STATUS),
                value: quote(s),
                allowed: PlanStatus::ALL.map(|s| s.as_str().to_owned()).to_vec(),
            })
    }
}

/// The `meta` fields people may change; `template` is fixed when the plan is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaField {
    Title,
    Bydel,
    Periode,
    Status,
}

impl MetaField {
    pub const ALL: [MetaField; 4] = [
        MetaField::Title,
        MetaField::Bydel,
        MetaField::Periode,
        MetaField::Status,
    ];

    /// The key in the `meta` map.
    pub fn key(self) -> &'static str {
        match self {
            MetaField::Title => meta::TITLE,
            MetaField::Bydel => meta::BYDEL,
            MetaField::Periode => meta::PERIODE,
            MetaField::Status => meta::STATUS,
        }
    }
}

impl FromStr for MetaField {
    type Err = DocumentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == meta::TEMPLATE {
            return Err(DocumentError::Immutable {
                field: format!("{}.{}", layout::META, meta::TEMPLATE),
            });
        }
        MetaField::ALL
            .into_iter()
            .find(|field| field.key() == s)
            .ok_or_else(|| DocumentError::UnknownField {
                row: None,
                field: quote(s),
                known: MetaField::ALL.map(|f| f.key().to_owned()).to_vec(),
            })
    }
}

/// Sets one metadata field; `status` must be a [`PlanStatus`] code.
pub fn set_meta(
    txn: &mut TransactionMut,
    field: MetaField,
    value: &str,
) -> Result<(), DocumentError> {
    let place = format!("{}.{}", layout::META, field.key());
    check_length(&place, value, MAX_SHORT_CHARS)?;
    if field == MetaField::Status {
        value.parse::<PlanStatus>()?;
    }
    let map = txn.get_or_insert_map(layout::META);
    map.insert(txn, field.key(), value);
    Ok(())
}

/// Ticks or unticks a checklist item; the key must name an item of the template or the plan.
pub fn set_checklist(
    txn: &mut TransactionMut,
    template: &Template,
    key: &str,
    checked: bool,
) -> Result<(), DocumentError> {
    let local = || {
        key.split_once('/').is_some_and(|(section, item)| {
            read_local_items(txn)
                .iter()
                .any(|i| i.section == section && i.id == item)
        })
    };
    if !template.has_checklist_key(key) && !local() {
        return Err(DocumentError::UnknownChecklistItem { key: quote(key) });
    }
    let map = txn.get_or_insert_map(layout::CHECKLIST);
    map.insert(txn, key, checked);
    Ok(())
}

/// A milestone to add (the id is generated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMilestone {
    pub title: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub responsible: String,
    #[serde(default)]
    pub done: bool,
}

/// Appends a milestone and returns its id.
pub fn add_milestone(
    txn: &mut TransactionMut,
    new: &NewMilestone,
) -> Result<String, DocumentError> {
    for (key, value) in [
        (milestone::TITLE, &new.title),
        (milestone::DATE, &new.date),
        (milestone::RESPONSIBLE, &new.responsible),
    ] {
        check_length(&format!("milestone.{key}"), value, MAX_SHORT_CHARS)?;
    }
    let id = Uuid::new_v4().to_string();
    let prelim = MapPrelim::from([
        (milestone::ID, In::Any(Any::from(id.as_str()))),
        (milestone::TITLE, In::Any(Any::from(new.title.as_str()))),
        (milestone::DATE, In::Any(Any::from(new.date.as_str()))),
        (
            milestone::RESPONSIBLE,
            In::Any(Any::from(new.responsible.as_str())),
        ),
        (milestone::DONE, In::Any(Any::from(new.done))),
    ]);
    let array = txn.get_or_insert_array(layout::MILESTONES);
    array.push_back(txn, prelim);
    Ok(id)
}

/// Marks a milestone done or not done.
pub fn set_milestone_done(
    txn: &mut TransactionMut,
    id: &str,
    done: bool,
) -> Result<(), DocumentError> {
    let map = maps_of(txn, txn.get_array(layout::MILESTONES))
        .find(|map| layout::map_text(txn, map, milestone::ID) == id)
        .ok_or_else(|| DocumentError::UnknownMilestone { id: quote(id) })?;
    map.insert(txn, milestone::DONE, done);
    Ok(())
}

/// Replaces a prose section's content with plain paragraphs (used to seed the demo plan).
/// The section must be one of the plan's sections with text (prose, appendix, or a part's
/// introduction).
pub fn set_prose_paragraphs(
    txn: &mut TransactionMut,
    template: &Template,
    section_id: &str,
    paragraphs: &[&str],
) -> Result<(), DocumentError> {
    let structure = plan_structure(txn, template);
    let section = flatten(&structure)
        .into_iter()
        .find(|section| section.id == section_id)
        .ok_or_else(|| DocumentError::UnknownSection {
            id: quote(section_id),
        })?;
    if !section.has_prose() {
        return Err(DocumentError::NotProse {
            id: quote(section_id),
            kind: section.kind,
        });
    }
    if paragraphs.len() > MAX_PARAGRAPHS {
        return Err(DocumentError::TooMany {
            what: "paragraphs",
            count: paragraphs.len(),
            max: MAX_PARAGRAPHS,
        });
    }
    for (index, paragraph) in paragraphs.iter().enumerate() {
        check_length(
            &format!("{section_id} paragraph {}", index + 1),
            paragraph,
            MAX_PARAGRAPH_CHARS,
        )?;
    }
    let fragment = txn.get_or_insert_xml_fragment(layout::section_fragment(section_id));
    replace_with_paragraphs(txn, &fragment, paragraphs);
    Ok(())
}

fn check_length(place: &str, value: &str, max: usize) -> Result<(), DocumentError> {
    let len = value.chars().count();
    if len > max {
        return Err(DocumentError::TooLong {
            row: None,
            field: place.to_owned(),
            len,
            max,
        });
    }
    Ok(())
}
