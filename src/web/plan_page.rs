//! The plan page's content, prepared from a plan's live document and its template so that the
//! HTML template only lays it out.

use crate::document::{
    Block, Completeness, Milestone, PlanStatus, PlanView, StrategiGroup, TiltakRow, completeness,
    group_by_strategi,
};
use crate::plan::PlanRecord;
use crate::templates::{
    FieldSchema, Section, SectionKind, TargetGroupsSpec, Template, TemplateRegistry, checklist_key,
};

use std::collections::HashMap;

use serde::Serialize;

use crate::access::Actor;
use crate::access::{Action, Role};
use crate::service::PlanAccess;
use crate::storage::activity::LastEdit;

use super::render::{blocks_html, guidance_html};

pub use crate::document::COUNCIL_COLUMNS as TILTAK_COLUMNS;

pub struct PlanPageData {
    pub id: String,
    pub title: String,
    pub bydel: String,
    pub periode: String,
    pub status: String,
    pub status_label: String,
    pub template_title: String,
    pub template_key: String,
    pub toc: Vec<TocEntry>,
    pub sections: Vec<SectionPart>,
    pub tiltak_columns: Vec<String>,
    pub completeness: Completeness,
    /// Empty sections as (anchor, "number heading") for links from the completeness panel.
    pub empty_links: Vec<(String, String)>,
    /// What the browser editor needs (see [`EditorData`]), as JSON safe inside a `<script>`.
    pub editor_json: String,
}

/// The data the browser editor reads from `<script type="application/json" id="plan-data">`:
/// the tiltak schema (labels and options in bokmål), the plan's units, which tiltak sections
/// take rows without a `section`, and how target groups are laid out.
#[derive(Serialize)]
pub struct EditorData<'a> {
    pub plan_id: String,
    #[serde(flatten)]
    pub viewer: &'a ViewerData,
    /// "id@version".
    pub template: String,
    pub tiltak_fields: &'a [FieldSchema],
    /// The plan's units (the template's defaults until the coordinator sets them).
    pub units: Vec<UnitName<'a>>,
    /// The template's own tiltak sections (rows without `section` belong there).
    pub tiltak_sections: Vec<&'a str>,
    pub target_groups: Option<TargetGroupsData<'a>>,
}

/// Who is looking at the page, for the editor: what they may do (the server enforces every one
/// of these on its own), who they are, and the CSRF token their scripts send back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ViewerData {
    pub can_edit: bool,
    pub role: Option<Role>,
    pub me: Option<Actor>,
    pub can_comment: bool,
    pub can_moderate: bool,
    pub csrf_token: Option<String>,
}

impl ViewerData {
    pub fn of(access: &PlanAccess) -> Self {
        ViewerData {
            can_edit: access.may(Action::Edit),
            role: Some(access.role),
            me: Some(access.actor.clone()),
            can_comment: access.may(Action::Comment),
            can_moderate: access.may(Action::Moderate),
            csrf_token: access.principal.csrf().map(str::to_owned),
        }
    }
}

#[derive(Serialize)]
pub struct UnitName<'a> {
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct TargetGroupsData<'a> {
    pub part_id: &'a str,
    /// Number of the part, e.g. "4"; groups are numbered "4.1", "4.2", …
    pub number: String,
    pub subsections: Vec<SubsectionData<'a>>,
}

#[derive(Serialize)]
pub struct SubsectionData<'a> {
    pub id: &'a str,
    pub heading: &'a str,
    pub kind: &'static str,
    /// Template text rendered to HTML by the server (escaped).
    pub guidance_html: String,
    pub questions: &'a [String],
}

impl<'a> EditorData<'a> {
    pub fn new(
        record: &PlanRecord,
        template: &'a Template,
        viewer: &'a ViewerData,
        units: &'a [String],
    ) -> Self {
        let target_groups = template.target_groups().map(|(part, spec)| {
            let number = template
                .sections_flat()
                .into_iter()
                .find(|flat| flat.section.id == part.id)
                .map(|flat| flat.number)
                .unwrap_or_default();
            TargetGroupsData {
                part_id: &part.id,
                number,
                subsections: spec
                    .subsections
                    .iter()
                    .map(|sub| SubsectionData {
                        id: &sub.id,
                        heading: &sub.heading,
                        kind: sub.kind.as_str(),
                        guidance_html: guidance_html(&sub.guidance),
                        questions: &sub.questions,
                    })
                    .collect(),
            }
        });
        let units = if units.is_empty() {
            template
                .units
                .iter()
                .map(|u| UnitName { name: &u.name })
                .collect()
        } else {
            units.iter().map(|name| UnitName { name }).collect()
        };
        EditorData {
            plan_id: record.id.to_string(),
            viewer,
            template: template.key(),
            tiltak_fields: &template.tiltak.fields,
            units,
            tiltak_sections: template
                .sections_of_kind(SectionKind::Tiltak)
                .into_iter()
                .map(|section| section.id.as_str())
                .collect(),
            target_groups,
        }
    }

    /// JSON that can sit inside `<script>`: `<`, `>` and `&` are written as `\u` escapes, so
    /// no text in a template can close the script element.
    pub fn to_script_json(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned());
        script_safe_json(&json)
    }
}

/// Escapes `<`, `>` and `&` in JSON text as `\u003c`, `\u003e` and `\u0026` (still the same JSON).
pub fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

pub struct TocEntry {
    pub anchor: String,
    /// The target group this entry is the heading of ("" otherwise), for the editor.
    pub target_group: String,
    pub number: String,
    pub heading: String,
    pub depth: usize,
}

/// One section as shown: its heading, guidance, and whatever it holds.
#[derive(Default)]
pub struct SectionPart {
    /// The section id in the live document (`section:<id>`), for the editor.
    pub section_id: String,
    /// Id of the target group this part belongs to ("" outside target groups).
    pub target_group: String,
    pub anchor: String,
    pub number: String,
    pub heading: String,
    /// 1 for chapters (h2), 2 for sections (h3), 3 for a target group's sections (h4).
    pub depth: usize,
    pub kind: &'static str,
    pub guidance_html: String,
    pub questions: Vec<String>,
    pub help: Vec<(String, String)>,
    pub content_html: String,
    pub empty: bool,
    pub checklist: Vec<CheckItem>,
    pub tiltak_groups: Vec<TiltakGroup>,
    pub milestones: Vec<Milestone>,
    /// The unit the coordinator made responsible for this section ("" when none).
    pub responsible_unit: String,
    /// "Sist endret av Kari (NAV)" and when, if anyone has changed it.
    pub last_edit: Option<LastEditText>,
}

pub struct LastEditText {
    pub who: String,
    pub iso: String,
    pub display: String,
}

pub struct CheckItem {
    pub key: String,
    pub input_id: String,
    pub label: String,
    pub help: String,
    pub checked: bool,
}

pub struct TiltakGroup {
    pub label: String,
    pub rows: Vec<Vec<String>>,
}

impl PlanPageData {
    pub fn build(
        record: &PlanRecord,
        view: &PlanView,
        template: &Template,
        viewer: &ViewerData,
        units: &[String],
    ) -> Self {
        let panel = completeness(view, template);
        let mut sections = Vec::new();
        for flat in template.sections_flat() {
            let section = flat.section;
            if section.kind == SectionKind::TargetGroups {
                sections.push(part(section, &flat.number, flat.depth, view, template));
                if let Some(spec) = &section.target_groups {
                    target_group_parts(section, spec, &flat.number, view, template, &mut sections);
                }
            } else {
                sections.push(part(section, &flat.number, flat.depth, view, template));
            }
        }
        let toc = sections
            .iter()
            .filter(|s| s.depth <= 2)
            .map(|s| TocEntry {
                anchor: s.anchor.clone(),
                target_group: s.target_group.clone(),
                number: s.number.clone(),
                heading: s.heading.clone(),
                depth: s.depth,
            })
            .collect();
        PlanPageData {
            id: record.id.to_string(),
            title: view.meta.title.clone(),
            bydel: view.meta.bydel.clone(),
            periode: view.meta.periode.clone(),
            status: view.meta.status.clone(),
            status_label: status_label(&view.meta.status),
            template_title: template.title.clone(),
            template_key: template.key(),
            toc,
            sections,
            tiltak_columns: TILTAK_COLUMNS
                .iter()
                .map(|name| {
                    template
                        .field(name)
                        .map_or((*name).to_owned(), |f| f.label.clone())
                })
                .collect(),
            empty_links: empty_links(&panel),
            completeness: panel,
            editor_json: EditorData::new(record, template, viewer, units).to_script_json(),
        }
    }

    /// Adds each section's responsible unit and last editor.
    pub fn annotate(
        &mut self,
        section_units: &HashMap<String, String>,
        last_edits: &HashMap<String, LastEdit>,
    ) {
        for section in &mut self.sections {
            if let Some(unit) = section_units.get(&section.section_id) {
                section.responsible_unit = unit.clone();
            }
            let target = match section.kind {
                "prose" => crate::document::layout::section_fragment(&section.section_id),
                "checklist" => crate::document::layout::checklist_target(&section.section_id),
                other => other.to_owned(),
            };
            section.last_edit = last_edits.get(&target).map(|edit| LastEditText {
                who: match &edit.actor_unit {
                    Some(unit) => format!("{} ({unit})", edit.actor_name),
                    None => edit.actor_name.clone(),
                },
                iso: crate::time::iso(edit.edited_at),
                display: crate::time::oslo_display(edit.edited_at),
            });
        }
    }
}

/// What `templates/pages/completeness_panel.html` shows, alone: the plan page carries the same
/// two fields, so the panel renders the same on the page and as the fragment the editor fetches.
pub struct CompletenessData {
    pub completeness: Completeness,
    pub empty_links: Vec<(String, String)>,
}

impl From<Completeness> for CompletenessData {
    fn from(completeness: Completeness) -> Self {
        CompletenessData {
            empty_links: empty_links(&completeness),
            completeness,
        }
    }
}

/// Empty sections as (anchor, "number heading") for links from the completeness panel.
fn empty_links(completeness: &Completeness) -> Vec<(String, String)> {
    completeness
        .empty_sections
        .iter()
        .map(|s| (anchor(&s.id), format!("{} {}", s.number, s.heading)))
        .collect()
}

/// A plan status in bokmål ("Utkast", "På høring", "Vedtatt"); an unknown code as it is.
pub fn status_label(code: &str) -> String {
    code.parse::<PlanStatus>()
        .map_or_else(|_| code.to_owned(), |status| status.label().to_owned())
}

fn anchor(section_id: &str) -> String {
    format!("seksjon-{}", section_id.replace('.', "-"))
}

fn part(
    section: &Section,
    number: &str,
    depth: usize,
    view: &PlanView,
    template: &Template,
) -> SectionPart {
    let mut part = SectionPart {
        section_id: section.id.clone(),
        anchor: anchor(&section.id),
        number: number.to_owned(),
        heading: section.heading.clone(),
        depth,
        kind: section.kind.as_str(),
        guidance_html: guidance_html(&section.guidance),
        questions: section.questions.clone(),
        help: section
            .help
            .iter()
            .map(|h| (h.term.clone(), h.definition.clone()))
            .collect(),
        ..SectionPart::default()
    };
    match section.kind {
        SectionKind::Prose => fill_prose(&mut part, &section.id, view),
        SectionKind::Checklist => {
            part.checklist = section
                .items
                .iter()
                .map(|item| {
                    let key = checklist_key(&section.id, &item.id);
                    CheckItem {
                        input_id: format!("sjekk-{}", key.replace(['.', '/'], "-")),
                        checked: view.checklist.get(&key).copied().unwrap_or(false),
                        key,
                        label: item.label.clone(),
                        help: item.help.clone().unwrap_or_default(),
                    }
                })
                .collect();
        }
        SectionKind::Tiltak => {
            let rows: Vec<TiltakRow> = view
                .tiltak
                .iter()
                .filter(|row| row.section.as_deref().is_none_or(|s| s == section.id))
                .cloned()
                .collect();
            part.tiltak_groups = tiltak_groups(&rows, template);
            part.empty = rows.is_empty();
        }
        SectionKind::Milestones => {
            part.milestones = view.milestones.clone();
            part.empty = part.milestones.is_empty();
        }
        SectionKind::Group | SectionKind::TargetGroups => {}
    }
    part
}

fn fill_prose(part: &mut SectionPart, section_id: &str, view: &PlanView) {
    let blocks: &[Block] = view
        .section(section_id)
        .map_or(&[], |s| s.blocks.as_slice());
    part.empty = blocks.iter().all(Block::is_blank);
    part.content_html = blocks_html(blocks);
}

/// Each of the plan's target groups, with the template's sub-sections under it.
fn target_group_parts(
    section: &Section,
    spec: &TargetGroupsSpec,
    number: &str,
    view: &PlanView,
    template: &Template,
    out: &mut Vec<SectionPart>,
) {
    for (index, group) in view.target_groups.iter().enumerate() {
        let group_number = format!("{number}.{}", index + 1);
        let group_id = format!("{}.{}", section.id, group.id);
        out.push(SectionPart {
            section_id: group_id.clone(),
            target_group: group.id.clone(),
            anchor: anchor(&group_id),
            number: group_number.clone(),
            heading: group.name.clone(),
            depth: 2,
            kind: "group",
            ..SectionPart::default()
        });
        for sub in &spec.subsections {
            let id = TargetGroupsSpec::instance_section_id(&section.id, &group.id, &sub.id);
            let mut part = SectionPart {
                section_id: id.clone(),
                target_group: group.id.clone(),
                anchor: anchor(&id),
                heading: sub.heading.clone(),
                depth: 3,
                kind: sub.kind.as_str(),
                guidance_html: guidance_html(&sub.guidance),
                questions: sub.questions.clone(),
                ..SectionPart::default()
            };
            if sub.kind == SectionKind::Tiltak {
                let rows: Vec<TiltakRow> = view
                    .tiltak
                    .iter()
                    .filter(|row| row.section.as_deref() == Some(id.as_str()))
                    .cloned()
                    .collect();
                part.tiltak_groups = tiltak_groups(&rows, template);
                part.empty = rows.is_empty();
            } else {
                fill_prose(&mut part, &id, view);
            }
            out.push(part);
        }
    }
}

fn tiltak_groups(rows: &[TiltakRow], template: &Template) -> Vec<TiltakGroup> {
    group_by_strategi(rows, template)
        .into_iter()
        .map(|StrategiGroup { label, rows, .. }| TiltakGroup {
            label,
            rows: rows.iter().map(|row| row.council_cells(template)).collect(),
        })
        .collect()
}

/// Templates for the "Ny plan" form: key, title, version.
pub fn template_choices(templates: &TemplateRegistry) -> Vec<(String, String, u32)> {
    templates
        .list()
        .map(|t| (t.key(), t.title.clone(), t.version))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::script_safe_json;

    #[test]
    fn json_in_a_script_element_cannot_close_it_and_stays_the_same_json() {
        let value = serde_json::json!({"x": "</script><b>&\u{2028}"});
        let safe = script_safe_json(&value.to_string());
        assert!(!safe.contains(['<', '>', '&', '\u{2028}']), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}
