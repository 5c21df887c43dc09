//! Creating a plan's first document, and reading a whole plan as plain data ([`PlanView`]) for
//! server-side HTML, exports and completeness checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use yrs::{Any, Array, Doc, In, Map, MapPrelim, ReadTxn, StateVector, Transact, WriteTxn};

use super::goals::{Goal, read_goals};
use super::layout::maps_of;
use super::layout::{self, meta, milestone, target_group};
use super::prose::{Block, read_fragment};
use super::structure::{
    Figure, LocalChecklistItem, PlanSection, checklist_items, flatten, plan_structure,
    read_figures, read_local_items, read_target_groups,
};
use super::tiltak::{TiltakRow, read_tiltak};
use super::write::PlanStatus;
use crate::plan::PlanMeta;
use crate::templates::{SectionKind, TargetGroup, Template};

/// The plan's `meta` map, including the template it was created from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    pub title: String,
    pub bydel: String,
    pub periode: String,
    /// "id@version".
    pub template: String,
    /// `utkast`, `horing` or `vedtatt`.
    pub status: String,
}

impl From<DocMeta> for PlanMeta {
    fn from(meta: DocMeta) -> Self {
        PlanMeta {
            title: meta.title,
            bydel: meta.bydel,
            periode: meta.periode,
            status: meta.status,
        }
    }
}

/// The text of one prose section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionContent {
    pub id: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: String,
    pub title: String,
    pub date: String,
    pub responsible: String,
    pub done: bool,
}

/// A whole plan as plain data, in the plan's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanView {
    pub meta: DocMeta,
    /// The plan's section tree (see [`plan_structure`]).
    pub structure: Vec<PlanSection>,
    /// The text of every section that has one (prose, appendices, introductions of parts), in
    /// document order.
    pub sections: Vec<SectionContent>,
    pub tiltak: Vec<TiltakRow>,
    pub milestones: Vec<Milestone>,
    /// Every checklist item of the template and the plan, ticked or not.
    pub checklist: BTreeMap<String, bool>,
    /// The plan's own checklist items.
    pub checklist_items: Vec<LocalChecklistItem>,
    pub target_groups: Vec<TargetGroup>,
    /// The plan's own goals.
    pub goals: Vec<Goal>,
    /// Rows of the key-figures sections.
    pub figures: Vec<Figure>,
}

impl PlanView {
    /// The content of a prose section, if the plan has that section.
    pub fn section(&self, id: &str) -> Option<&SectionContent> {
        self.sections.iter().find(|section| section.id == id)
    }
}

/// A text section of a plan and how it is titled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProseSection {
    pub id: String,
    /// The plan's heading.
    pub heading: String,
    /// The plan's numbering, e.g. "2.1" ("" when not in use).
    pub number: String,
}

/// The first update of a new plan: its `meta` (template key, status `utkast`: a new plan is
/// always a draft, so `meta.status` is not used) and the template's default target groups.
/// Everything else is created when first written; reading a fresh document gives empty lists.
pub fn initial_update(template: &Template, plan: &PlanMeta) -> Vec<u8> {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        let meta_map = txn.get_or_insert_map(layout::META);
        meta_map.insert(&mut txn, meta::TITLE, plan.title.as_str());
        meta_map.insert(&mut txn, meta::BYDEL, plan.bydel.as_str());
        meta_map.insert(&mut txn, meta::PERIODE, plan.periode.as_str());
        meta_map.insert(&mut txn, meta::TEMPLATE, template.key());
        meta_map.insert(&mut txn, meta::STATUS, PlanStatus::Utkast.as_str());
        if let Some((_, spec)) = template.target_groups() {
            let groups = txn.get_or_insert_array(layout::TARGET_GROUPS);
            for group in &spec.defaults {
                groups.push_back(&mut txn, target_group_prelim(group));
            }
        }
    }
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

pub(crate) fn target_group_prelim(group: &TargetGroup) -> MapPrelim {
    MapPrelim::from([
        (target_group::ID, In::Any(Any::from(group.id.as_str()))),
        (target_group::NAME, In::Any(Any::from(group.name.as_str()))),
    ])
}

/// The plan list's metadata. Cheap: reads one small map.
pub fn read_meta(doc: &Doc) -> PlanMeta {
    read_doc_meta(&doc.transact()).into()
}

/// The `meta` map, template key included.
pub fn read_doc_meta<T: ReadTxn>(txn: &T) -> DocMeta {
    let Some(map) = txn.get_map(layout::META) else {
        return DocMeta::default();
    };
    DocMeta {
        title: layout::map_text(txn, &map, meta::TITLE),
        bydel: layout::map_text(txn, &map, meta::BYDEL),
        periode: layout::map_text(txn, &map, meta::PERIODE),
        template: layout::map_text(txn, &map, meta::TEMPLATE),
        status: layout::map_text(txn, &map, meta::STATUS),
    }
}

/// The whole plan as plain data.
pub fn plan_view(doc: &Doc, template: &Template) -> PlanView {
    plan_view_in(&doc.transact(), template)
}

/// [`plan_view`] inside a transaction the caller already holds.
pub fn plan_view_in<T: ReadTxn>(txn: &T, template: &Template) -> PlanView {
    let structure = plan_structure(txn, template);
    let sections = flatten(&structure)
        .into_iter()
        .filter(|section| section.has_prose())
        .map(|section| SectionContent {
            blocks: read_section(txn, &section.id),
            id: section.id.clone(),
        })
        .collect();
    let local_items = read_local_items(txn);
    let checklist_map = txn.get_map(layout::CHECKLIST);
    let checklist = flatten(&structure)
        .into_iter()
        .filter(|section| section.kind == SectionKind::Checklist)
        .flat_map(|section| checklist_items(template, &section.id, &local_items))
        .map(|item| {
            let ticked = checklist_map
                .as_ref()
                .is_some_and(|map| layout::map_bool(txn, map, &item.key));
            (item.key, ticked)
        })
        .collect();
    PlanView {
        meta: read_doc_meta(txn),
        sections,
        tiltak: read_tiltak(txn, template),
        milestones: read_milestones(txn),
        checklist,
        checklist_items: local_items,
        target_groups: read_target_groups(txn),
        goals: read_goals(txn),
        figures: read_figures(txn),
        structure,
    }
}

/// The blocks of one prose section (empty if nobody has written there yet).
pub fn read_section<T: ReadTxn>(txn: &T, section_id: &str) -> Vec<Block> {
    txn.get_xml_fragment(layout::section_fragment(section_id))
        .map(|fragment| read_fragment(txn, &fragment))
        .unwrap_or_default()
}

/// The plan's milestones, in the plan's order.
pub fn read_milestones<T: ReadTxn>(txn: &T) -> Vec<Milestone> {
    maps_of(txn, txn.get_array(layout::MILESTONES))
        .map(|map| Milestone {
            id: layout::map_text(txn, &map, milestone::ID),
            title: layout::map_text(txn, &map, milestone::TITLE),
            date: layout::map_text(txn, &map, milestone::DATE),
            responsible: layout::map_text(txn, &map, milestone::RESPONSIBLE),
            done: layout::map_bool(txn, &map, milestone::DONE),
        })
        .collect()
}

/// Every section of a plan whose content is text (prose and appendix sections), in document
/// order, in use or not.
pub fn prose_sections(structure: &[PlanSection]) -> Vec<ProseSection> {
    flatten(structure)
        .into_iter()
        .filter(|section| section.is_text())
        .map(|section| ProseSection {
            id: section.id.clone(),
            heading: section.heading.clone(),
            number: section.number.clone(),
        })
        .collect()
}
