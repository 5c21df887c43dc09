//! The plan page's content, prepared from a plan's live document and its template so that the
//! HTML template only lays it out.

use crate::document::{
    Block, Completeness, Milestone, PlanStatus, PlanView, StrategiGroup, TiltakRow, completeness,
    group_by_strategi,
};
use crate::plan::PlanRecord;
use crate::templates::{
    Section, SectionKind, TargetGroupsSpec, Template, TemplateRegistry, checklist_key,
};

use super::render::{blocks_html, guidance_html};

/// The columns of the tiltak table, as in the council's documents (strategi groups the rows).
pub const TILTAK_COLUMNS: [&str; 6] = [
    "tiltak",
    "innsatsomrade",
    "niva",
    "ansvarlig",
    "frist",
    "status",
];

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
}

pub struct TocEntry {
    pub anchor: String,
    pub number: String,
    pub heading: String,
    pub depth: usize,
}

/// One section as shown: its heading, guidance, and whatever it holds.
pub struct SectionPart {
    /// The section id in the live document (`section:<id>`), for the editor.
    pub section_id: String,
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
    pub fn build(record: &PlanRecord, view: &PlanView, template: &Template) -> Self {
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
            empty_links: Vec::new(),
            completeness: completeness(view, template),
        }
        .with_empty_links()
    }

    fn with_empty_links(mut self) -> Self {
        self.empty_links = self
            .completeness
            .empty_sections
            .iter()
            .map(|s| (anchor(&s.id), format!("{} {}", s.number, s.heading)))
            .collect();
        self
    }
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
        kind: kind_name(section.kind),
        guidance_html: guidance_html(&section.guidance),
        questions: section.questions.clone(),
        help: section
            .help
            .iter()
            .map(|h| (h.term.clone(), h.definition.clone()))
            .collect(),
        content_html: String::new(),
        empty: false,
        checklist: Vec::new(),
        tiltak_groups: Vec::new(),
        milestones: Vec::new(),
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
            anchor: anchor(&group_id),
            number: group_number.clone(),
            heading: group.name.clone(),
            depth: 2,
            kind: "group",
            guidance_html: String::new(),
            questions: Vec::new(),
            help: Vec::new(),
            content_html: String::new(),
            empty: false,
            checklist: Vec::new(),
            tiltak_groups: Vec::new(),
            milestones: Vec::new(),
        });
        for sub in &spec.subsections {
            let id = TargetGroupsSpec::instance_section_id(&section.id, &group.id, &sub.id);
            let mut part = SectionPart {
                section_id: id.clone(),
                anchor: anchor(&id),
                number: String::new(),
                heading: sub.heading.clone(),
                depth: 3,
                kind: kind_name(sub.kind),
                guidance_html: guidance_html(&sub.guidance),
                questions: sub.questions.clone(),
                help: Vec::new(),
                content_html: String::new(),
                empty: false,
                checklist: Vec::new(),
                tiltak_groups: Vec::new(),
                milestones: Vec::new(),
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
            rows: rows.iter().map(|row| tiltak_cells(row, template)).collect(),
        })
        .collect()
}

/// A row's cells in [`TILTAK_COLUMNS`] order, enum codes shown as their bokmål labels.
fn tiltak_cells(row: &TiltakRow, template: &Template) -> Vec<String> {
    TILTAK_COLUMNS
        .iter()
        .map(|name| {
            let value = row.get(name);
            template
                .field(name)
                .and_then(|field| field.option(value))
                .map_or_else(|| value.to_owned(), |option| option.short().to_owned())
        })
        .collect()
}

fn kind_name(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Prose => "prose",
        SectionKind::Tiltak => "tiltak",
        SectionKind::Milestones => "milestones",
        SectionKind::Checklist => "checklist",
        SectionKind::Group => "group",
        SectionKind::TargetGroups => "target_groups",
    }
}

/// Templates for the "Ny plan" form: key, title, version.
pub fn template_choices(templates: &TemplateRegistry) -> Vec<(String, String, u32)> {
    templates
        .list()
        .map(|t| (t.key(), t.title.clone(), t.version))
        .collect()
}
