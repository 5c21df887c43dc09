//! The plan's own shape: its template's sections as the plan has renamed, added to and set
//! aside, resolved into one tree ([`plan_structure`]) that the pages, exports, completeness, the
//! API and the live checks all read.
//!
//! In the document: `structure` maps a section id to the plan's `heading` and `in_use` for it;
//! `local_sections` lists the sections the plan added (prose or appendix, under a chapter or at
//! the top level, after the template's own); `checklist_items` holds the plan's own checklist
//! items. A group's own prose (`section:<group id>`) is its introduction.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;
use yrs::{Any, Array, In, Map, MapPrelim, MapRef, Out, ReadTxn, TransactionMut, WriteTxn};

use super::error::{DocumentError, quote};
use super::layout::{self, checklist_item, figure, local_section, structure};
use super::layout::{MAX_SHORT_CHARS, maps_of, target_group};
use crate::templates::{
    ChecklistItem, Section, SectionKind, TargetGroup, TargetGroupsSpec, Template,
};

/// Most sections a plan may add.
pub const MAX_LOCAL_SECTIONS: usize = 200;
/// Most checklist items a plan may add.
pub const MAX_LOCAL_ITEMS: usize = 500;

/// One section of a plan, as the plan has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanSection {
    pub id: String,
    /// The plan's heading.
    pub heading: String,
    /// The template's heading, when the plan has renamed the section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_heading: Option<String>,
    pub kind: SectionKind,
    /// `false` when the section, or a section it is part of, is «ikke i bruk».
    pub in_use: bool,
    /// The plan has set this section itself aside («ikke i bruk»).
    pub set_aside: bool,
    /// Added by the plan, not from the template.
    pub local: bool,
    /// "2.3" for a section in use; "Vedlegg 1" for an appendix; "" for a section not in use.
    pub number: String,
    /// 1 for chapters, 2 for their sections, 3 inside a target group.
    pub depth: usize,
    /// Printed as an appendix of exports.
    pub appendix: bool,
    /// The target group this section belongs to (its group node and subsections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group: Option<String>,
    pub children: Vec<PlanSection>,
}

impl PlanSection {
    /// Whether the section's text lives in `section:<id>`: prose and appendix sections, and a
    /// group's introduction.
    pub fn has_prose(&self) -> bool {
        matches!(
            self.kind,
            SectionKind::Prose
                | SectionKind::Appendix
                | SectionKind::Group
                | SectionKind::TargetGroups
        )
    }

    /// Whether the section's text is its content (not an introduction).
    pub fn is_text(&self) -> bool {
        matches!(self.kind, SectionKind::Prose | SectionKind::Appendix)
    }
}

/// Every section depth-first, in document order.
pub fn flatten(tree: &[PlanSection]) -> Vec<&PlanSection> {
    fn walk<'a>(sections: &'a [PlanSection], out: &mut Vec<&'a PlanSection>) {
        for section in sections {
            out.push(section);
            walk(&section.children, out);
        }
    }
    let mut out = Vec::new();
    walk(tree, &mut out);
    out
}

/// The section with this id, anywhere in the tree.
pub fn find<'a>(tree: &'a [PlanSection], id: &str) -> Option<&'a PlanSection> {
    flatten(tree).into_iter().find(|section| section.id == id)
}

/// A section the plan added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalSection {
    pub id: String,
    pub parent: String,
    pub heading: String,
    pub kind: SectionKind,
}

/// A checklist item the plan added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalChecklistItem {
    pub id: String,
    pub section: String,
    pub label: String,
    pub group: String,
    pub year: String,
}

/// A checklist item of a plan, from the template or the plan itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanChecklistItem {
    /// `<section id>/<item id>`.
    pub key: String,
    pub section: String,
    pub id: String,
    pub label: String,
    pub group: String,
    pub year: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub local: bool,
}

/// One row of a key-figures section (nøkkeltall).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub id: String,
    pub section: String,
    pub indikator: String,
    pub kilde: String,
    pub ar: String,
    pub verdi: String,
    pub oslo: String,
    pub mal: String,
}

impl Figure {
    pub fn is_blank(&self) -> bool {
        [
            &self.indikator,
            &self.kilde,
            &self.ar,
            &self.verdi,
            &self.oslo,
            &self.mal,
        ]
        .iter()
        .all(|value| value.trim().is_empty())
    }
}

/// The plan's key-figure rows, in the plan's order.
pub fn read_figures<T: ReadTxn>(txn: &T) -> Vec<Figure> {
    maps_of(txn, txn.get_array(layout::FIGURES))
        .map(|map| {
            let text = |key| layout::map_text(txn, &map, key);
            Figure {
                id: text(figure::ID),
                section: text(figure::SECTION),
                indikator: text(figure::INDIKATOR),
                kilde: text(figure::KILDE),
                ar: text(figure::AR),
                verdi: text(figure::VERDI),
                oslo: text(figure::OSLO),
                mal: text(figure::MAL),
            }
        })
        .collect()
}

/// The plan's target groups, in the plan's order.
pub fn read_target_groups<T: ReadTxn>(txn: &T) -> Vec<TargetGroup> {
    maps_of(txn, txn.get_array(layout::TARGET_GROUPS))
        .map(|map| TargetGroup {
            id: layout::map_text(txn, &map, target_group::ID),
            name: layout::map_text(txn, &map, target_group::NAME),
        })
        .filter(|group| !group.id.is_empty())
        .collect()
}

/// The plan's own checklist items, in the plan's order.
pub fn read_local_items<T: ReadTxn>(txn: &T) -> Vec<LocalChecklistItem> {
    maps_of(txn, txn.get_array(layout::CHECKLIST_ITEMS))
        .map(|map| {
            let text = |key| layout::map_text(txn, &map, key);
            LocalChecklistItem {
                id: text(checklist_item::ID),
                section: text(checklist_item::SECTION),
                label: text(checklist_item::LABEL),
                group: text(checklist_item::GROUP),
                year: text(checklist_item::YEAR),
            }
        })
        .filter(|item| !item.id.is_empty() && !item.section.is_empty())
        .collect()
}

/// The items of a checklist section: the template's, then the plan's own.
pub fn checklist_items(
    template: &Template,
    section_id: &str,
    local: &[LocalChecklistItem],
) -> Vec<PlanChecklistItem> {
    let own = template
        .section(section_id)
        .map(|section| section.items.as_slice())
        .unwrap_or_default();
    own.iter()
        .map(|item: &ChecklistItem| PlanChecklistItem {
            key: crate::templates::checklist_key(section_id, &item.id),
            section: section_id.to_owned(),
            id: item.id.clone(),
            label: item.label.clone(),
            group: item.group.clone(),
            year: item.year.clone(),
            help: item.help.clone(),
            local: false,
        })
        .chain(
            local
                .iter()
                .filter(|item| item.section == section_id)
                .map(|item| PlanChecklistItem {
                    key: crate::templates::checklist_key(section_id, &item.id),
                    section: section_id.to_owned(),
                    id: item.id.clone(),
                    label: item.label.clone(),
                    group: item.group.clone(),
                    year: item.year.clone(),
                    help: None,
                    local: true,
                }),
        )
        .collect()
}

/// The plan's sections added by the plan, in the plan's order.
pub fn read_local_sections<T: ReadTxn>(txn: &T) -> Vec<LocalSection> {
    maps_of(txn, txn.get_array(layout::LOCAL_SECTIONS))
        .filter_map(|map| {
            let text = |key| layout::map_text(txn, &map, key);
            let kind = match text(local_section::KIND).as_str() {
                "appendix" => SectionKind::Appendix,
                _ => SectionKind::Prose,
            };
            let id = text(local_section::ID);
            (!id.is_empty()).then(|| LocalSection {
                id,
                parent: text(local_section::PARENT),
                heading: text(local_section::HEADING),
                kind,
            })
        })
        .collect()
}

/// The plan's heading and in-use choice for a section, where it has made one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Override {
    heading: Option<String>,
    in_use: Option<bool>,
}

fn read_overrides<T: ReadTxn>(txn: &T) -> HashMap<String, Override> {
    let Some(map) = txn.get_map(layout::STRUCTURE) else {
        return HashMap::new();
    };
    map.iter(txn)
        .filter_map(|(id, value)| match value {
            Out::YMap(entry) => {
                let heading = layout::map_text(txn, &entry, structure::HEADING);
                let in_use = match entry.get(txn, structure::IN_USE) {
                    Some(Out::Any(Any::Bool(value))) => Some(value),
                    _ => None,
                };
                Some((
                    id.to_owned(),
                    Override {
                        heading: (!heading.trim().is_empty()).then_some(heading),
                        in_use,
                    },
                ))
            }
            _ => None,
        })
        .collect()
}

/// The plan's section tree: the template's sections with the plan's headings and choices,
/// each target group's sections at the place of their part, and the plan's own sections after
/// the template's under the same parent.
pub fn plan_structure<T: ReadTxn>(txn: &T, template: &Template) -> Vec<PlanSection> {
    let overrides = read_overrides(txn);
    let locals = read_local_sections(txn);
    let groups = read_target_groups(txn);
    let mut tree: Vec<PlanSection> = template
        .sections
        .iter()
        .map(|section| from_template(section, 1, &groups))
        .collect();
    // Local sections under a parent that is not there (deleted meanwhile) stay visible at the
    // end rather than disappear.
    let mut placed = vec![false; locals.len()];
    for section in tree.iter_mut() {
        attach_locals(section, &locals, &mut placed);
    }
    for (local, done) in locals.iter().zip(placed.iter_mut()) {
        if !*done {
            *done = true;
            tree.push(local_node(local, 1));
        }
    }
    apply_overrides(&mut tree, &overrides, true);
    number(&mut tree);
    tree
}

fn from_template(
    section: &Section,
    depth: usize,
    groups: &[crate::templates::TargetGroup],
) -> PlanSection {
    let mut children: Vec<PlanSection> = section
        .children
        .iter()
        .map(|child| from_template(child, depth + 1, groups))
        .collect();
    if let (SectionKind::TargetGroups, Some(spec)) = (section.kind, &section.target_groups) {
        children = groups
            .iter()
            .map(|group| target_group_node(&section.id, group, spec, depth + 1))
            .collect();
    }
    PlanSection {
        id: section.id.clone(),
        heading: section.heading.clone(),
        template_heading: None,
        kind: section.kind,
        in_use: true,
        set_aside: false,
        local: false,
        number: String::new(),
        depth,
        appendix: section.appendix || section.kind == SectionKind::Appendix,
        target_group: None,
        children,
    }
}

fn target_group_node(
    part: &str,
    group: &crate::templates::TargetGroup,
    spec: &TargetGroupsSpec,
    depth: usize,
) -> PlanSection {
    PlanSection {
        id: format!("{part}.{}", group.id),
        heading: group.name.clone(),
        template_heading: None,
        kind: SectionKind::Group,
        in_use: true,
        set_aside: false,
        local: false,
        number: String::new(),
        depth,
        appendix: false,
        target_group: Some(group.id.clone()),
        children: spec
            .subsections
            .iter()
            .map(|sub| PlanSection {
                id: TargetGroupsSpec::instance_section_id(part, &group.id, &sub.id),
                heading: sub.heading.clone(),
                template_heading: None,
                kind: sub.kind,
                in_use: true,
                set_aside: false,
                local: false,
                number: String::new(),
                depth: depth + 1,
                appendix: false,
                target_group: Some(group.id.clone()),
                children: Vec::new(),
            })
            .collect(),
    }
}

fn local_node(local: &LocalSection, depth: usize) -> PlanSection {
    PlanSection {
        id: local.id.clone(),
        heading: local.heading.clone(),
        template_heading: None,
        kind: local.kind,
        in_use: true,
        set_aside: false,
        local: true,
        number: String::new(),
        depth,
        appendix: local.kind == SectionKind::Appendix,
        target_group: None,
        children: Vec::new(),
    }
}

fn attach_locals(section: &mut PlanSection, locals: &[LocalSection], placed: &mut [bool]) {
    for (index, local) in locals.iter().enumerate() {
        if !placed[index] && local.parent == section.id {
            placed[index] = true;
            section.children.push(local_node(local, section.depth + 1));
        }
    }
}

fn apply_overrides(
    sections: &mut [PlanSection],
    overrides: &HashMap<String, Override>,
    parent_in_use: bool,
) {
    for section in sections {
        if let Some(choice) = overrides.get(&section.id) {
            if let Some(heading) = &choice.heading
                && *heading != section.heading
            {
                if !section.local && section.target_group.is_none() {
                    section.template_heading = Some(section.heading.clone());
                }
                section.heading = heading.clone();
            }
            section.in_use = choice.in_use.unwrap_or(true);
            section.set_aside = !section.in_use;
        }
        section.in_use &= parent_in_use;
        let in_use = section.in_use;
        apply_overrides(&mut section.children, overrides, in_use);
    }
}

/// Numbers the sections in use ("1", "2.3"), appendices "Vedlegg 1", … in document order.
fn number(tree: &mut [PlanSection]) {
    fn walk(sections: &mut [PlanSection], prefix: &str, appendices: &mut usize) {
        let mut index = 0;
        for section in sections {
            if !section.in_use {
                section.number.clear();
            } else if section.appendix {
                *appendices += 1;
                section.number = format!("Vedlegg {appendices}");
            } else {
                index += 1;
                section.number = if prefix.is_empty() {
                    index.to_string()
                } else {
                    format!("{prefix}.{index}")
                };
            }
            let number = section.number.clone();
            walk(&mut section.children, &number, appendices);
        }
    }
    let mut appendices = 0;
    walk(tree, "", &mut appendices);
}

/// Adds a section under `parent` (a chapter's id, or "" for the top level) and returns its id.
pub fn add_local_section(
    txn: &mut TransactionMut,
    template: &Template,
    parent: &str,
    heading: &str,
    kind: SectionKind,
) -> Result<String, DocumentError> {
    if !matches!(kind, SectionKind::Prose | SectionKind::Appendix) {
        return Err(DocumentError::NotAllowed {
            row: None,
            field: "kind".to_owned(),
            value: kind.to_string(),
            allowed: vec!["prose".to_owned(), "appendix".to_owned()],
        });
    }
    let heading = check_heading(heading)?;
    let tree = plan_structure(txn, template);
    if !parent.is_empty() {
        let section = find(&tree, parent)
            .ok_or_else(|| DocumentError::UnknownSection { id: quote(parent) })?;
        if section.depth != 1 {
            return Err(DocumentError::SectionRefused {
                id: quote(parent),
                reason: "is not a chapter: sections are added under a chapter or at the top level",
            });
        }
    }
    let count = read_local_sections(txn).len();
    if count >= MAX_LOCAL_SECTIONS {
        return Err(DocumentError::TooMany {
            what: "sections",
            count: count + 1,
            max: MAX_LOCAL_SECTIONS,
        });
    }
    let slug = &Uuid::new_v4().simple().to_string()[..8];
    let id = if parent.is_empty() {
        format!("{}{slug}", local_section::ID_PREFIX)
    } else {
        format!("{parent}.{}{slug}", local_section::ID_PREFIX)
    };
    let prelim = MapPrelim::from([
        (local_section::ID, In::Any(Any::from(id.as_str()))),
        (local_section::PARENT, In::Any(Any::from(parent))),
        (local_section::HEADING, In::Any(Any::from(heading.as_str()))),
        (local_section::KIND, In::Any(Any::from(kind.as_str()))),
    ]);
    txn.get_or_insert_array(layout::LOCAL_SECTIONS)
        .push_back(txn, prelim);
    Ok(id)
}

/// A change to a section: its heading, whether it is in use, and (for the plan's own sections)
/// its place after another of the plan's sections under the same parent ("" = first of them).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionPatch {
    pub heading: Option<String>,
    pub in_use: Option<bool>,
    pub after: Option<String>,
}

/// Renames a section, marks it in use or not, or moves one of the plan's own sections.
/// Checks everything before changing anything.
pub fn patch_section(
    txn: &mut TransactionMut,
    template: &Template,
    id: &str,
    patch: &SectionPatch,
) -> Result<(), DocumentError> {
    let tree = plan_structure(txn, template);
    let section = find(&tree, id)
        .ok_or_else(|| DocumentError::UnknownSection { id: quote(id) })?
        .clone();
    let heading = patch.heading.as_deref().map(check_heading).transpose()?;
    if heading.is_some() && section.target_group.is_some() {
        return Err(DocumentError::SectionRefused {
            id: quote(id),
            reason: "belongs to a target group: rename the target group itself",
        });
    }
    let locals = read_local_sections(txn);
    let move_to = match &patch.after {
        None => None,
        Some(after) => {
            let Some(me) = locals.iter().position(|local| local.id == id) else {
                return Err(DocumentError::SectionRefused {
                    id: quote(id),
                    reason: "comes from the template: only the plan's own sections can be moved",
                });
            };
            if after.is_empty() {
                Some((me, None))
            } else {
                let target = locals
                    .iter()
                    .position(|local| local.id == *after && local.parent == locals[me].parent)
                    .ok_or_else(|| DocumentError::NotAllowed {
                        row: None,
                        field: "after".to_owned(),
                        value: quote(after),
                        allowed: locals
                            .iter()
                            .filter(|l| l.parent == locals[me].parent && l.id != id)
                            .map(|l| l.id.clone())
                            .collect(),
                    })?;
                Some((me, Some(target)))
            }
        }
    };

    // Moved first: a move copies the section's map as it was read above, so a new heading is
    // written to the copy.
    if let Some((from, after)) = move_to {
        move_local(txn, &locals, from, after);
    }
    if let Some(heading) = heading {
        if section.local {
            let map = local_map(txn, id)
                .ok_or_else(|| DocumentError::UnknownSection { id: quote(id) })?;
            map.insert(txn, local_section::HEADING, heading.as_str());
        } else {
            let entry = override_map(txn, id);
            let original = section
                .template_heading
                .as_deref()
                .unwrap_or(&section.heading);
            if heading == original {
                entry.remove(txn, structure::HEADING);
            } else {
                entry.insert(txn, structure::HEADING, heading.as_str());
            }
        }
    }
    if let Some(in_use) = patch.in_use {
        let entry = override_map(txn, id);
        if in_use {
            entry.remove(txn, structure::IN_USE);
        } else {
            entry.insert(txn, structure::IN_USE, false);
        }
    }
    Ok(())
}

/// Moves local section `from` right after local section `after` (or before the first of its
/// siblings). A Y.Array cannot move an element: the map is deleted and a copy inserted.
fn move_local(
    txn: &mut TransactionMut,
    locals: &[LocalSection],
    from: usize,
    after: Option<usize>,
) {
    let moving = &locals[from];
    let array = txn.get_or_insert_array(layout::LOCAL_SECTIONS);
    let position_of = |txn: &TransactionMut, id: &str| {
        array.iter(txn).position(|item| match item {
            Out::YMap(map) => layout::map_text(txn, &map, local_section::ID) == id,
            _ => false,
        })
    };
    let Some(at) = position_of(txn, &moving.id) else {
        return;
    };
    array.remove(txn, at as u32);
    let index = match after {
        Some(target) => position_of(txn, &locals[target].id).map_or(0, |i| i + 1),
        None => locals
            .iter()
            .find(|l| l.parent == moving.parent && l.id != moving.id)
            .and_then(|first| position_of(txn, &first.id))
            .unwrap_or(0),
    };
    let prelim = MapPrelim::from([
        (local_section::ID, In::Any(Any::from(moving.id.as_str()))),
        (
            local_section::PARENT,
            In::Any(Any::from(moving.parent.as_str())),
        ),
        (
            local_section::HEADING,
            In::Any(Any::from(moving.heading.as_str())),
        ),
        (
            local_section::KIND,
            In::Any(Any::from(moving.kind.as_str())),
        ),
    ]);
    array.insert(txn, index as u32, prelim);
}

/// Removes one of the plan's own sections. Its text stays in the document's history (a
/// version frozen before still has it), but the plan no longer shows or prints it.
pub fn delete_local_section(
    txn: &mut TransactionMut,
    template: &Template,
    id: &str,
) -> Result<(), DocumentError> {
    let tree = plan_structure(txn, template);
    let section = find(&tree, id).ok_or_else(|| DocumentError::UnknownSection { id: quote(id) })?;
    if !section.local {
        return Err(DocumentError::SectionRefused {
            id: quote(id),
            reason: "comes from the template: mark it «ikke i bruk» instead of deleting it",
        });
    }
    let array = txn.get_or_insert_array(layout::LOCAL_SECTIONS);
    if let Some(index) = array.iter(txn).position(|item| match item {
        Out::YMap(map) => layout::map_text(txn, &map, local_section::ID) == id,
        _ => false,
    }) {
        array.remove(txn, index as u32);
    }
    if let Some(map) = txn.get_map(layout::STRUCTURE) {
        map.remove(txn, id);
    }
    Ok(())
}

/// A plan-local checklist item to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChecklistItem {
    pub label: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub year: String,
}

/// Adds an item to a checklist section of the plan and returns its id.
pub fn add_checklist_item(
    txn: &mut TransactionMut,
    template: &Template,
    section_id: &str,
    new: &NewChecklistItem,
) -> Result<String, DocumentError> {
    let tree = plan_structure(txn, template);
    let section = find(&tree, section_id).ok_or_else(|| DocumentError::UnknownSection {
        id: quote(section_id),
    })?;
    if section.kind != SectionKind::Checklist {
        return Err(DocumentError::SectionRefused {
            id: quote(section_id),
            reason: "is not a checklist",
        });
    }
    let label = new.label.trim();
    if label.is_empty() {
        return Err(DocumentError::Empty {
            field: checklist_item::LABEL.to_owned(),
        });
    }
    for (field, value) in [
        (checklist_item::LABEL, label),
        (checklist_item::GROUP, new.group.trim()),
        (checklist_item::YEAR, new.year.trim()),
    ] {
        let len = value.chars().count();
        if len > MAX_SHORT_CHARS {
            return Err(DocumentError::TooLong {
                row: None,
                field: field.to_owned(),
                len,
                max: MAX_SHORT_CHARS,
            });
        }
    }
    let count = read_local_items(txn).len();
    if count >= MAX_LOCAL_ITEMS {
        return Err(DocumentError::TooMany {
            what: "checklist items",
            count: count + 1,
            max: MAX_LOCAL_ITEMS,
        });
    }
    let id = format!(
        "{}{}",
        local_section::ID_PREFIX,
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let prelim = MapPrelim::from([
        (checklist_item::ID, In::Any(Any::from(id.as_str()))),
        (checklist_item::SECTION, In::Any(Any::from(section_id))),
        (checklist_item::LABEL, In::Any(Any::from(label))),
        (checklist_item::GROUP, In::Any(Any::from(new.group.trim()))),
        (checklist_item::YEAR, In::Any(Any::from(new.year.trim()))),
    ]);
    txn.get_or_insert_array(layout::CHECKLIST_ITEMS)
        .push_back(txn, prelim);
    Ok(id)
}

fn check_heading(heading: &str) -> Result<String, DocumentError> {
    let heading = heading.trim();
    if heading.is_empty() {
        return Err(DocumentError::Empty {
            field: "heading".to_owned(),
        });
    }
    let len = heading.chars().count();
    if len > MAX_SHORT_CHARS {
        return Err(DocumentError::TooLong {
            row: None,
            field: "heading".to_owned(),
            len,
            max: MAX_SHORT_CHARS,
        });
    }
    Ok(heading.to_owned())
}

fn local_map<T: ReadTxn>(txn: &T, id: &str) -> Option<MapRef> {
    maps_of(txn, txn.get_array(layout::LOCAL_SECTIONS))
        .find(|map| layout::map_text(txn, map, local_section::ID) == id)
}

/// The plan's entry for a section in `structure`, created if needed.
fn override_map(txn: &mut TransactionMut, id: &str) -> MapRef {
    let map = txn.get_or_insert_map(layout::STRUCTURE);
    if let Some(Out::YMap(entry)) = map.get(txn, id) {
        return entry;
    }
    map.insert(txn, id, MapPrelim::default())
}
