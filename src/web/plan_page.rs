//! The plan page's content, prepared from a plan's live document and its template so that the
//! HTML template only lays it out.

use crate::document::structure::{Figure, PlanSection, checklist_items, flatten};
use crate::document::{
    Block, Completeness, Goal, Milestone, PlanStatus, PlanView, completeness, group_rows,
    rows_of_section,
};
use crate::plan::PlanRecord;
use crate::templates::{HelpEntry, Place, SectionKind, TableSchema, Template, TemplateRegistry};

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::access::Actor;
use crate::access::{Action, Role};
use crate::service::PlanAccess;
use crate::storage::activity::LastEdit;

use super::render::{blocks_html, guidance_html};

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
    /// Headings of the tiltak tables' columns on the page, after «Nr.».
    pub tiltak_columns: Vec<String>,
    /// The plan's own goals.
    pub goals: Vec<GoalText>,
    /// The tiltak section the goals are listed in: the first in use.
    pub goals_section: String,
    /// The plan is archived: read and comment only.
    pub archived: bool,
    /// The viewer may open the plan's settings (its coordinator, archived or not).
    pub can_configure: bool,
    /// A frozen version's page: it prints the plan, not the tool (see [`Self::frozen`]).
    pub frozen: bool,
    /// What the live page says in a section nobody has written yet: a draft's words, as the
    /// draft exports print them.
    pub unwritten: &'static str,
    pub completeness: Completeness,
    /// Empty sections as (anchor, "number heading") for links from the completeness panel.
    pub empty_links: Vec<(String, String)>,
    /// What the browser editor needs (see [`EditorData`]), as JSON safe inside a `<script>`.
    pub editor_json: String,
}

/// A plan goal as the page lists it.
pub struct GoalText {
    pub title: String,
    pub description: String,
    /// Labels of the strategies it serves.
    pub strategies: Vec<String>,
}

/// The data the browser editor reads from `<script type="application/json" id="plan-data">`:
/// the tiltak schema (labels and options in bokmål), the plan's structure, units and goals,
/// which tiltak sections take rows without a `section`, and how target groups are laid out.
#[derive(Serialize)]
pub struct EditorData<'a> {
    pub plan_id: String,
    #[serde(flatten)]
    pub viewer: &'a ViewerData,
    /// "id@version".
    pub template: String,
    /// The one definition of the tiltak table (fields, grouping, title field).
    pub tiltak_schema: &'a TableSchema,
    /// The plan's resolved section tree when the page was made (the editor keeps it live).
    pub structure: &'a [PlanSection],
    pub goals: &'a [Goal],
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
        view: &'a PlanView,
        viewer: &'a ViewerData,
        units: &'a [String],
    ) -> Self {
        let target_groups = template.target_groups().map(|(part, spec)| {
            let number = crate::document::structure::find(&view.structure, &part.id)
                .map(|section| section.number.clone())
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
            tiltak_schema: &template.tiltak,
            structure: &view.structure,
            goals: &view.goals,
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
    /// The template's heading, when the plan has renamed the section.
    pub template_heading: String,
    /// `false` when the section, or one it is part of, is «ikke i bruk».
    pub in_use: bool,
    /// The plan set this section itself aside.
    pub set_aside: bool,
    /// Added by the plan.
    pub local: bool,
    pub guidance_html: String,
    pub questions: Vec<String>,
    pub help: Vec<(String, String)>,
    pub content_html: String,
    /// Nothing to print: no text, rows, milestones, figures, ticked items (or goals, in the
    /// tiltak section that lists them).
    pub empty: bool,
    /// Empty and without children in use: the live page says [`PlanPageData::unwritten`]
    /// here, as a draft export does.
    pub unwritten: bool,
    /// Checklist items under the guide's groups ("" for items without a group).
    pub checklist: Vec<CheckGroup>,
    pub tiltak_groups: Vec<TiltakGroup>,
    pub milestones: Vec<Milestone>,
    pub figures: Vec<Figure>,
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

pub struct CheckGroup {
    /// The guide's group ("" for items without one).
    pub group: String,
    pub items: Vec<CheckItem>,
}

pub struct CheckItem {
    pub key: String,
    /// The item's id when the plan added it ("" for the template's).
    pub local_id: String,
    pub input_id: String,
    pub label: String,
    pub help: String,
    pub year: String,
    pub checked: bool,
}

pub struct TiltakGroup {
    pub label: String,
    pub rows: Vec<TiltakLine>,
}

/// A tiltak row on the page: its number, its column cells, and its other values.
pub struct TiltakLine {
    pub number: usize,
    pub cells: Vec<String>,
    pub details: Vec<(String, String)>,
    pub also: String,
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
        let known_tiltak: Vec<String> = flatten(&view.structure)
            .into_iter()
            .filter(|section| section.kind == SectionKind::Tiltak)
            .map(|section| section.id.clone())
            .collect();
        let goals_section = flatten(&view.structure)
            .into_iter()
            .find(|section| section.kind == SectionKind::Tiltak && section.in_use)
            .map(|section| section.id.clone())
            .unwrap_or_default();
        let sections: Vec<SectionPart> = flatten(&view.structure)
            .into_iter()
            .map(|section| part(section, view, template, &known_tiltak, &goals_section))
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
            toc: toc(&sections),
            sections,
            tiltak_columns: template
                .columns(Place::Page)
                .into_iter()
                .map(|field| field.label.clone())
                .collect(),
            goals: view
                .goals
                .iter()
                .map(|goal| GoalText {
                    title: goal.title.clone(),
                    description: goal.description.clone(),
                    strategies: goal
                        .strategi
                        .iter()
                        .map(|value| {
                            template
                                .strategy_field()
                                .and_then(|field| field.option(value))
                                .map_or_else(|| value.clone(), |option| option.label.clone())
                        })
                        .collect(),
                })
                .collect(),
            archived: record.is_archived(),
            can_configure: false,
            frozen: false,
            unwritten: crate::export::UNWRITTEN,
            goals_section,
            empty_links: empty_links(&panel),
            completeness: panel,
            editor_json: EditorData::new(record, template, view, viewer, units).to_script_json(),
        }
    }

    /// The page of a frozen version prints the plan as its exports do: sections not in use, and
    /// sections without content and without children with content, are left out (the others
    /// keep their numbers), checklists list their ticked items only, and no placeholder,
    /// guidance or completeness panel is shown.
    pub fn frozen(mut self, structure: &[PlanSection]) -> Self {
        let empty: HashMap<String, bool> = self
            .sections
            .iter()
            .map(|part| (part.section_id.clone(), part.empty))
            .collect();
        let mut printed = HashSet::new();
        printed_sections(structure, &empty, &mut printed);
        self.sections
            .retain(|part| printed.contains(part.section_id.as_str()));
        for part in &mut self.sections {
            part.unwritten = false;
            for group in &mut part.checklist {
                group.items.retain(|item| item.checked);
            }
            part.checklist.retain(|group| !group.items.is_empty());
        }
        self.toc = toc(&self.sections);
        self.frozen = true;
        self
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
                "prose" | "appendix" | "group" | "target_groups" => {
                    crate::document::layout::section_fragment(&section.section_id)
                }
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

/// The table of contents: chapters and their sections.
fn toc(sections: &[SectionPart]) -> Vec<TocEntry> {
    sections
        .iter()
        .filter(|s| s.depth <= 2)
        .map(|s| TocEntry {
            anchor: s.anchor.clone(),
            target_group: s.target_group.clone(),
            number: s.number.clone(),
            heading: s.heading.clone(),
            depth: s.depth,
        })
        .collect()
}

/// Adds to `printed` the ids of the sections a frozen version prints (see
/// [`crate::export`]): in use, with content of their own or under them. Returns whether any of
/// `sections` is printed.
fn printed_sections<'s>(
    sections: &'s [PlanSection],
    empty: &HashMap<String, bool>,
    printed: &mut HashSet<&'s str>,
) -> bool {
    let mut any = false;
    for section in sections.iter().filter(|section| section.in_use) {
        let children = printed_sections(&section.children, empty, printed);
        if children || !empty.get(&section.id).copied().unwrap_or(true) {
            printed.insert(&section.id);
            any = true;
        }
    }
    any
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

/// Where a section's guidance comes from: the template's section, or the target-group
/// subsection it is an instance of; a plan's own sections have none.
fn guidance<'t>(
    section: &PlanSection,
    template: &'t Template,
) -> Option<(&'t str, &'t [String], &'t [HelpEntry])> {
    if let Some(own) = template.section(&section.id) {
        return Some((&own.guidance, &own.questions, &own.help));
    }
    let (part, spec) = template.target_groups()?;
    if section.target_group.is_none() || !section.id.starts_with(&part.id) {
        return None;
    }
    let sub_id = section.id.rsplit('.').next()?;
    spec.subsections
        .iter()
        .find(|sub| sub.id == sub_id && section.depth > 2)
        .map(|sub| {
            (
                sub.guidance.as_str(),
                sub.questions.as_slice(),
                sub.help.as_slice(),
            )
        })
}

fn part(
    section: &PlanSection,
    view: &PlanView,
    template: &Template,
    known_tiltak: &[String],
    goals_section: &str,
) -> SectionPart {
    let mut part = SectionPart {
        section_id: section.id.clone(),
        target_group: section.target_group.clone().unwrap_or_default(),
        anchor: anchor(&section.id),
        number: section.number.clone(),
        heading: section.heading.clone(),
        depth: section.depth,
        kind: section.kind.as_str(),
        template_heading: section.template_heading.clone().unwrap_or_default(),
        in_use: section.in_use,
        set_aside: section.set_aside,
        local: section.local,
        ..SectionPart::default()
    };
    if let Some((text, questions, help)) = guidance(section, template) {
        part.guidance_html = guidance_html(text);
        part.questions = questions.to_vec();
        part.help = help
            .iter()
            .map(|h| (h.term.clone(), h.definition.clone()))
            .collect();
    }
    match section.kind {
        SectionKind::Prose
        | SectionKind::Appendix
        | SectionKind::Group
        | SectionKind::TargetGroups => fill_prose(&mut part, &section.id, view),
        SectionKind::Checklist => {
            for item in checklist_items(template, &section.id, &view.checklist_items) {
                let check = CheckItem {
                    input_id: format!("sjekk-{}", item.key.replace(['.', '/'], "-")),
                    checked: view.checklist.get(&item.key).copied().unwrap_or(false),
                    local_id: if item.local { item.id } else { String::new() },
                    key: item.key,
                    label: item.label,
                    help: item.help.unwrap_or_default(),
                    year: item.year,
                };
                match part.checklist.iter_mut().find(|g| g.group == item.group) {
                    Some(group) => group.items.push(check),
                    None => part.checklist.push(CheckGroup {
                        group: item.group,
                        items: vec![check],
                    }),
                }
            }
            part.empty = !part
                .checklist
                .iter()
                .any(|group| group.items.iter().any(|item| item.checked));
        }
        SectionKind::Tiltak => {
            let rows = rows_of_section(
                &view.tiltak,
                &section.id,
                known_tiltak,
                template.tiltak.multi_group,
            );
            part.empty = rows.is_empty() && (section.id != goals_section || view.goals.is_empty());
            part.tiltak_groups = group_rows(&rows, template, &view.goals)
                .into_iter()
                .map(|group| TiltakGroup {
                    label: group.label,
                    rows: group
                        .rows
                        .into_iter()
                        .map(|grouped| {
                            let cells = grouped.row.cells(template, Place::Page, &view.goals);
                            TiltakLine {
                                number: grouped.number,
                                cells: cells.columns,
                                details: cells.details,
                                also: grouped.also.join(", "),
                            }
                        })
                        .collect(),
                })
                .collect();
        }
        SectionKind::Milestones => {
            part.milestones = view.milestones.clone();
            part.empty = part.milestones.is_empty();
        }
        SectionKind::Figures => {
            part.figures = view
                .figures
                .iter()
                .filter(|figure| figure.section == section.id)
                .cloned()
                .collect();
            part.empty = part.figures.iter().all(Figure::is_blank);
        }
    }
    let leaf = !section
        .children
        .iter()
        .any(|child| child.in_use && !child.appendix);
    part.unwritten = part.empty && leaf && section.in_use;
    part
}

fn fill_prose(part: &mut SectionPart, section_id: &str, view: &PlanView) {
    let blocks: &[Block] = view
        .section(section_id)
        .map_or(&[], |s| s.blocks.as_slice());
    part.empty = blocks.iter().all(Block::is_blank);
    part.content_html = blocks_html(blocks);
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
