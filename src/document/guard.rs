//! Checks a live change against the plan's layout: a client may only write the top-level types
//! and keys the plan has (DESIGN.md, "The live document"). The room applies an update, asks the
//! guard what it saw, and refuses the whole update if anything was outside the layout, so nothing
//! a plan does not have is ever stored or relayed.
//!
//! The guard observes the document's maps and arrays (yrs deep observers): it sees exactly the
//! keys an update wrote, not what was there before, so content stored before these checks
//! existed never blocks a later edit.

use std::sync::{Arc, Mutex, PoisonError};

use yrs::types::{Change, EntryChange, Event, Events, PathSegment};
use yrs::{DeepObservable, Doc, Map, Out, ReadTxn, Transact, TransactionMut, WriteTxn};

use super::layout::{
    self, SECTION_PREFIX, checklist_item, figure, goal, local_section, meta, milestone, row,
    structure, target_group,
};
use super::structure::{flatten, plan_structure, read_local_items};
use crate::templates::Template;

/// Top-level types only a coordinator changes: the plan's settings (title, bydel, periode,
/// status), shape and goals.
pub const COORDINATOR_ROOTS: [&str; 5] = [
    layout::META,
    layout::STRUCTURE,
    layout::LOCAL_SECTIONS,
    layout::MAL,
    layout::CHECKLIST_ITEMS,
];

/// What the guard saw of the changes since it was last asked.
#[derive(Clone, Default)]
pub struct LiveGuard {
    refused: Arc<Mutex<Option<String>>>,
}

impl LiveGuard {
    /// Defines every top-level type of the layout in `doc` and observes them.
    pub fn install(doc: &Doc, template: Arc<Template>) -> Self {
        let guard = LiveGuard::default();
        let mut txn = doc.transact_mut();
        for name in layout::ROOTS {
            let refused = guard.refused.clone();
            let template = template.clone();
            let check = move |txn: &TransactionMut, events: &Events| {
                let mut slot = refused.lock().unwrap_or_else(PoisonError::into_inner);
                if slot.is_some() {
                    return;
                }
                for event in events.iter() {
                    if let Err(place) = check_event(txn, name, &template, event) {
                        *slot = Some(place);
                        return;
                    }
                }
            };
            match name {
                layout::META | layout::CHECKLIST | layout::STRUCTURE => {
                    txn.get_or_insert_map(name).observe_deep(name, check);
                }
                _ => {
                    txn.get_or_insert_array(name).observe_deep(name, check);
                }
            }
        }
        guard
    }

    /// Forgets what was seen (before applying a client's update).
    pub fn reset(&self) {
        *self.refused.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The first place outside the layout written since [`reset`](Self::reset), if any.
    pub fn refused(&self) -> Option<String> {
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Top-level names in `names` that the plan does not have: anything but the layout's types and
/// the `section:<id>` fragments of its sections with text.
pub fn unknown_roots<'a, T: ReadTxn>(
    txn: &T,
    template: &Template,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut prose: Option<Vec<String>> = None;
    for name in names {
        if layout::ROOTS.contains(&name) {
            continue;
        }
        if let Some(id) = name.strip_prefix(SECTION_PREFIX) {
            let ids = prose.get_or_insert_with(|| {
                flatten(&plan_structure(txn, template))
                    .into_iter()
                    .filter(|section| section.has_prose())
                    .map(|section| section.id.clone())
                    .collect()
            });
            if ids.iter().any(|known| known == id) {
                continue;
            }
        }
        return Some(format!("top-level type `{}`", super::error::quote(name)));
    }
    None
}

/// The keys an entry of `root` may have (the root map itself for `meta`).
fn allowed_keys(root: &str, template: &Template) -> Vec<String> {
    let fixed: &[&str] = match root {
        layout::META => &meta::ALL,
        layout::MILESTONES => &milestone::ALL,
        layout::TARGET_GROUPS => &target_group::ALL,
        layout::MAL => &goal::ALL,
        layout::LOCAL_SECTIONS => &local_section::ALL,
        layout::CHECKLIST_ITEMS => &checklist_item::ALL,
        layout::FIGURES => &figure::ALL,
        layout::STRUCTURE => &structure::ALL,
        layout::TILTAK => &row::ALL,
        _ => &[],
    };
    let mut keys: Vec<String> = fixed.iter().map(|key| (*key).to_owned()).collect();
    if root == layout::TILTAK {
        keys.extend(
            template
                .tiltak
                .fields
                .iter()
                .map(|field| field.name.clone()),
        );
    }
    keys
}

fn check_event(
    txn: &TransactionMut,
    root: &str,
    template: &Template,
    event: &Event,
) -> Result<(), String> {
    let depth = event.path().len();
    match event {
        Event::Map(map_event) => {
            let mut written: Vec<&str> = Vec::new();
            for (key, change) in map_event.keys(txn) {
                let value = match change {
                    EntryChange::Inserted(value) | EntryChange::Updated(_, value) => value,
                    EntryChange::Removed(_) => continue,
                };
                written.push(key.as_ref());
                match value {
                    Out::Any(_) | Out::YText(_) => {}
                    // A section's entry in `structure` is a map of the layout's keys.
                    Out::YMap(entry) if root == layout::STRUCTURE && depth == 0 => {
                        let keys: Vec<String> = entry.keys(txn).map(str::to_owned).collect();
                        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                        keys_in(root, &keys, &structure::ALL.map(str::to_owned))?;
                        plain_values(txn, root, entry)?;
                    }
                    _ => return Err(format!("a nested type in `{root}`")),
                }
            }
            match (root, depth) {
                (layout::META, 0) => {
                    if written.contains(&meta::TEMPLATE) {
                        return Err(format!("`{}.{}`", layout::META, meta::TEMPLATE));
                    }
                    keys_in(root, &written, &allowed_keys(root, template))
                }
                (layout::CHECKLIST, 0) => {
                    let local = read_local_items(txn);
                    for key in &written {
                        let known = template.has_checklist_key(key)
                            || key.split_once('/').is_some_and(|(section, item)| {
                                local.iter().any(|i| i.section == section && i.id == item)
                            });
                        if !known {
                            return Err(format!("checklist item `{}`", super::error::quote(key)));
                        }
                    }
                    Ok(())
                }
                (layout::STRUCTURE, 0) => {
                    let ids: Vec<String> = flatten(&plan_structure(txn, template))
                        .into_iter()
                        .map(|section| section.id.clone())
                        .collect();
                    match written.iter().find(|key| !ids.iter().any(|id| id == *key)) {
                        Some(key) => Err(format!(
                            "section `{}` in `{}`",
                            super::error::quote(key),
                            layout::STRUCTURE
                        )),
                        None => Ok(()),
                    }
                }
                // An entry of an array root, or a section's entry in `structure`.
                (_, 1) => keys_in(root, &written, &allowed_keys(root, template)),
                _ => Err(format!("a nested map in `{root}`")),
            }
        }
        Event::Array(array_event) => {
            let entry_keys = allowed_keys(root, template);
            for change in array_event.delta(txn) {
                let Change::Added(values) = change else {
                    continue;
                };
                for value in values {
                    match (value, depth) {
                        (Out::YMap(map), 0) => {
                            let keys: Vec<String> = map.keys(txn).map(str::to_owned).collect();
                            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                            keys_in(root, &keys, &entry_keys)?;
                            // Types made in the same update as the entry send no events of
                            // their own: look at its values here.
                            plain_values(txn, root, map)?;
                        }
                        // A list value inside a row is a plain array (Any), not a Y.Array; a
                        // Y.Array entry or a non-map entry of an array root is not layout.
                        _ => return Err(format!("an entry of `{root}` that is not a map")),
                    }
                }
            }
            Ok(())
        }
        // Text typed into an entry's Y.Text (a long tiltak cell): its key was checked when the
        // Y.Text was set.
        Event::Text(_) => match event.path().front() {
            Some(PathSegment::Index(_)) => Ok(()),
            _ => Err(format!("text inside `{root}`")),
        },
        _ => Err(format!("a nested type in `{root}`")),
    }
}

/// An entry's values are plain values or (a long tiltak cell) a Y.Text, never nested maps,
/// arrays or XML.
fn plain_values(txn: &TransactionMut, root: &str, map: &yrs::MapRef) -> Result<(), String> {
    if map
        .iter(txn)
        .all(|(_, value)| matches!(value, Out::Any(_) | Out::YText(_)))
    {
        Ok(())
    } else {
        Err(format!("a nested type in `{root}`"))
    }
}

fn keys_in(root: &str, written: &[&str], allowed: &[String]) -> Result<(), String> {
    match written
        .iter()
        .find(|key| !allowed.iter().any(|allowed| allowed == *key))
    {
        Some(key) => Err(format!("key `{}` in `{root}`", super::error::quote(key))),
        None => Ok(()),
    }
}
