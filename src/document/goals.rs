//! The plan's own goals (`mal`): what the district wants to reach, each optionally serving some
//! of the city's strategies, and linked from tiltak rows through `goals` fields. The red thread
//! of a plan runs from its goals to the tiltak that serve them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yrs::{Any, Array, In, Map, MapPrelim, ReadTxn, TransactionMut, WriteTxn};

use super::error::{DocumentError, quote};
use super::layout::maps_of;
use super::layout::{self, goal};
use crate::templates::{FieldType, Template};

/// Longest goal title, in characters.
pub const MAX_GOAL_TITLE_CHARS: usize = 300;
/// Longest goal description, in characters.
pub const MAX_GOAL_DESCRIPTION_CHARS: usize = 5_000;
/// Most goals a plan keeps.
pub const MAX_GOALS: usize = 200;

/// One goal of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goal {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Option values of the template's strategy field that the goal serves.
    pub strategi: Vec<String>,
}

/// A change to a goal, or a new one: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub strategi: Option<Vec<String>>,
}

/// The plan's goals, in the plan's order; entries without an id are not goals.
pub fn read_goals<T: ReadTxn>(txn: &T) -> Vec<Goal> {
    maps_of(txn, txn.get_array(layout::MAL))
        .map(|map| Goal {
            id: layout::map_text(txn, &map, goal::ID),
            title: layout::map_text(txn, &map, goal::TITLE),
            description: layout::map_text(txn, &map, goal::DESCRIPTION),
            strategi: layout::map_list(txn, &map, goal::STRATEGI),
        })
        .filter(|goal| !goal.id.is_empty())
        .collect()
}

/// Adds a goal at the end and returns its id. A goal needs a title.
pub fn add_goal(
    txn: &mut TransactionMut,
    template: &Template,
    input: &GoalInput,
) -> Result<String, DocumentError> {
    let count = read_goals(txn).len();
    if count >= MAX_GOALS {
        return Err(DocumentError::TooMany {
            what: "goals",
            count: count + 1,
            max: MAX_GOALS,
        });
    }
    let title = input.title.as_deref().unwrap_or("").trim();
    if title.is_empty() {
        return Err(DocumentError::Empty {
            field: goal::TITLE.to_owned(),
        });
    }
    check(template, input)?;
    let id = Uuid::new_v4().to_string();
    let strategi = input.strategi.clone().unwrap_or_default();
    let prelim = MapPrelim::from([
        (goal::ID, In::Any(Any::from(id.as_str()))),
        (goal::TITLE, In::Any(Any::from(title))),
        (
            goal::DESCRIPTION,
            In::Any(Any::from(input.description.as_deref().unwrap_or("").trim())),
        ),
        (goal::STRATEGI, In::Any(layout::list_value(&strategi))),
    ]);
    txn.get_or_insert_array(layout::MAL).push_back(txn, prelim);
    Ok(id)
}

/// Changes a goal's title, description or strategies.
pub fn patch_goal(
    txn: &mut TransactionMut,
    template: &Template,
    id: &str,
    input: &GoalInput,
) -> Result<(), DocumentError> {
    let map = maps_of(txn, txn.get_array(layout::MAL))
        .find(|map| layout::map_text(txn, map, goal::ID) == id)
        .ok_or_else(|| DocumentError::UnknownGoal { id: quote(id) })?;
    if input.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(DocumentError::Empty {
            field: goal::TITLE.to_owned(),
        });
    }
    check(template, input)?;
    if let Some(title) = &input.title {
        map.insert(txn, goal::TITLE, title.trim());
    }
    if let Some(description) = &input.description {
        map.insert(txn, goal::DESCRIPTION, description.trim());
    }
    if let Some(strategi) = &input.strategi {
        map.insert(txn, goal::STRATEGI, layout::list_value(strategi));
    }
    Ok(())
}

/// Deletes a goal and its links from tiltak rows, in one change.
pub fn delete_goal(
    txn: &mut TransactionMut,
    template: &Template,
    id: &str,
) -> Result<(), DocumentError> {
    let array = txn.get_or_insert_array(layout::MAL);
    let index = array
        .iter(txn)
        .position(|item| match item {
            yrs::Out::YMap(map) => layout::map_text(txn, &map, goal::ID) == id,
            _ => false,
        })
        .ok_or_else(|| DocumentError::UnknownGoal { id: quote(id) })?;
    array.remove(txn, index as u32);
    let goal_fields: Vec<&str> = template
        .tiltak
        .fields
        .iter()
        .filter(|field| field.field_type == FieldType::Goals)
        .map(|field| field.name.as_str())
        .collect();
    let rows: Vec<_> = maps_of(txn, txn.get_array(layout::TILTAK)).collect();
    for row in rows {
        for field in &goal_fields {
            let links = layout::map_list(txn, &row, field);
            if links.iter().any(|link| link == id) {
                let kept: Vec<String> = links.into_iter().filter(|link| link != id).collect();
                if kept.is_empty() {
                    row.remove(txn, field);
                } else {
                    row.insert(txn, *field, layout::list_value(&kept));
                }
            }
        }
    }
    Ok(())
}

fn check(template: &Template, input: &GoalInput) -> Result<(), DocumentError> {
    for (field, value, max) in [
        (goal::TITLE, &input.title, MAX_GOAL_TITLE_CHARS),
        (
            goal::DESCRIPTION,
            &input.description,
            MAX_GOAL_DESCRIPTION_CHARS,
        ),
    ] {
        let len = value.as_deref().map_or(0, |v| v.chars().count());
        if len > max {
            return Err(DocumentError::TooLong {
                row: None,
                field: field.to_owned(),
                len,
                max,
            });
        }
    }
    if let Some(strategi) = &input.strategi {
        let allowed: Vec<String> = template
            .strategy_field()
            .map(|field| field.options.iter().map(|o| o.value.clone()).collect())
            .unwrap_or_default();
        if let Some(unknown) = strategi.iter().find(|value| !allowed.contains(value)) {
            return Err(DocumentError::NotAllowed {
                row: None,
                field: goal::STRATEGI.to_owned(),
                value: quote(unknown),
                allowed,
            });
        }
    }
    Ok(())
}
