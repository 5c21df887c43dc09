//! Exports of a plan for the district council (bydelsutvalget): GitHub-flavoured Markdown and
//! PDF/A typeset in-process by typst.
//!
//! Both exports are pure functions of `(&PlanView, &Template, &ExportInfo)`: no clock, no files,
//! no database. The same document gives the same bytes, so a frozen version always exports the
//! same way. Both walk the plan through [`ExportDoc`], which fixes what is printed and in which
//! order (the template's sections with their numbers, tiltak grouped by strategi, milestones,
//! ticked checklist items, and the appendix checklists at the end); the formats only differ in
//! how they write it.

pub mod markdown;
pub mod pdf;
pub mod sample;
mod world;

use std::fmt;
use std::str::FromStr;

use crate::document::{Block, Milestone, PlanStatus, PlanView, TiltakRow, group_by_strategi};
use crate::templates::{Section, SectionKind, TargetGroupsSpec, Template, checklist_key};
use crate::time;

pub use self::markdown::to_markdown;
pub use self::pdf::{PDF_STANDARD, to_pdf};

/// What an export says about itself beside the plan's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportInfo {
    /// The named version's name; `None` for the plan's current state.
    pub version: Option<String>,
    /// Unix milliseconds printed as the document's date: when the version was frozen, or when
    /// the plan last changed. Never "now", so an export is reproducible.
    pub date_millis: i64,
}

impl ExportInfo {
    /// The version line of the title block.
    pub fn version_label(&self) -> String {
        match &self.version {
            Some(name) => name.clone(),
            None => CURRENT_STATE_LABEL.to_owned(),
        }
    }
}

/// How the current (not frozen) state is named in exports.
pub const CURRENT_STATE_LABEL: &str = "Gjeldende tekst (ikke frosset)";

/// Heading of the appendix made from a checklist with `appendix = true`.
pub fn appendix_heading(section: &Section) -> String {
    format!("Vedlegg: {}", section.heading)
}

/// Heading of the tiltak that belong to no part of the plan (only in templates without a
/// plan-wide tiltak section).
pub const UNASSIGNED_TILTAK_HEADING: &str = "Tiltak som ikke er knyttet til en målgruppe";

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Pdf,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// The text was not an export format.
#[derive(Debug, thiserror::Error)]
#[error("unknown export format '{0}'; use md or pdf")]
pub struct UnknownFormat(String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "pdf" => Ok(Format::Pdf),
            _ => Err(UnknownFormat(s.chars().take(40).collect())),
        }
    }
}

/// Why an export failed. Every cause is a bug on our side or a resource problem: user text
/// cannot make an export fail (it is data to both writers).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The typst template did not compile or lay out.
    #[error("the PDF could not be typeset: {0}")]
    Typeset(String),
    /// The typeset document could not be written as PDF/A.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the export data could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Exports in the given format.
pub fn export(
    format: Format,
    view: &PlanView,
    template: &Template,
    info: &ExportInfo,
) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Markdown => Ok(to_markdown(view, template, info).into_bytes()),
        Format::Pdf => to_pdf(view, template, info),
    }
}

/// A download file name that is safe everywhere: lower-case ASCII letters, digits and `-`,
/// from the plan's title and the version's name (æ → ae, ø → o, å → a, other accents dropped).
pub fn filename(view: &PlanView, info: &ExportInfo, format: Format) -> String {
    let mut words = view.meta.title.clone();
    if words.trim().is_empty() {
        words = "handlingsplan".to_owned();
    }
    if let Some(version) = &info.version {
        words.push(' ');
        words.push_str(version);
    }
    let mut slug = String::new();
    for c in words.chars().flat_map(ascii_fold) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 90 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() {
        "handlingsplan"
    } else {
        slug
    };
    format!("{slug}.{}", format.extension())
}

/// Latin letters with Norwegian and common diacritics, folded to ASCII.
fn ascii_fold(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'æ' | 'Æ' => "ae",
        'ø' | 'Ø' | 'ö' | 'Ö' | 'ó' | 'Ó' | 'ò' | 'Ò' | 'ô' | 'Ô' => "o",
        'å' | 'Å' | 'ä' | 'Ä' | 'á' | 'Á' | 'à' | 'À' | 'â' | 'Â' => "a",
        'é' | 'É' | 'è' | 'È' | 'ê' | 'Ê' | 'ë' | 'Ë' => "e",
        'ü' | 'Ü' | 'ú' | 'Ú' => "u",
        'í' | 'Í' | 'ï' | 'Ï' => "i",
        _ => "",
    };
    let single = (folded.is_empty() && c.is_ascii()).then_some(c);
    let other = (folded.is_empty() && !c.is_ascii()).then_some(' ');
    folded.chars().chain(single).chain(other)
}

/// The title block: what the cover of the PDF and the top of the Markdown say.
#[derive(Debug, Clone)]
pub struct TitleBlock {
    pub title: String,
    pub template_title: String,
    pub bydel: String,
    pub periode: String,
    pub status: String,
    pub version: String,
    /// "12.03.2026", Oslo date.
    pub date: String,
    pub date_ymd: (i32, u8, u8),
}

/// One thing printed in the body, in document order.
#[derive(Debug, Clone)]
pub enum Part<'a> {
    /// A template heading; `level` 1 for chapters, 2 for sections, 3 for a target group's
    /// sub-sections (the document title is above all of them).
    Heading {
        level: u8,
        number: String,
        text: String,
    },
    /// A prose section's text. Prose headings (levels 3–4 in the editor) are printed one level
    /// under `level`, the level of the section's own heading.
    Prose {
        level: u8,
        blocks: &'a [Block],
    },
    /// Tiltak rows grouped by strategi, each group under a heading one level under `level`.
    Tiltak {
        level: u8,
        columns: Vec<String>,
        groups: Vec<TiltakGroup>,
    },
    Milestones(&'a [Milestone]),
    /// Ticked items of a checklist that is printed in place.
    Checklist(Vec<String>),
    /// A short note in place of content ("Ingen tiltak.", "Se vedlegg …").
    Note(String),
}

#[derive(Debug, Clone)]
pub struct TiltakGroup {
    /// The strategi option's full label, or "Uten strategi".
    pub label: String,
    /// Cells in [`TILTAK_COLUMNS`] order, enum codes as bokmål labels.
    pub rows: Vec<Vec<String>>,
}

/// An appendix: a checklist with `appendix = true`, its ticked items.
#[derive(Debug, Clone)]
pub struct Appendix {
    pub heading: String,
    pub items: Vec<String>,
}

pub use crate::document::COUNCIL_COLUMNS as TILTAK_COLUMNS;

/// Column headings of the milestone table.
pub const MILESTONE_COLUMNS: [&str; 4] = ["Milepæl", "Dato", "Ansvarlig", "Ferdig"];

/// The plan as both exports print it.
#[derive(Debug, Clone)]
pub struct ExportDoc<'a> {
    pub title: TitleBlock,
    pub parts: Vec<Part<'a>>,
    pub appendices: Vec<Appendix>,
}

impl<'a> ExportDoc<'a> {
    pub fn build(view: &'a PlanView, template: &Template, info: &ExportInfo) -> Self {
        let status = view
            .meta
            .status
            .parse::<PlanStatus>()
            .map_or_else(|_| view.meta.status.clone(), |s| s.label().to_owned());
        let title = TitleBlock {
            title: view.meta.title.clone(),
            template_title: template.title.clone(),
            bydel: view.meta.bydel.clone(),
            periode: view.meta.periode.clone(),
            status,
            version: info.version_label(),
            date: time::oslo_date_display(info.date_millis),
            date_ymd: time::oslo_date(info.date_millis),
        };
        let mut builder = Builder {
            view,
            template,
            parts: Vec::new(),
            main_tiltak: template
                .sections_of_kind(SectionKind::Tiltak)
                .first()
                .map(|s| s.id.clone()),
            tiltak_ids: crate::document::tiltak_section_ids(template, &view.target_groups),
        };
        for flat in template.sections_flat() {
            builder.section(flat.section, &flat.number, depth_level(flat.depth));
        }
        builder.unassigned_tiltak();
        let appendices = template
            .appendix_sections()
            .into_iter()
            .map(|section| Appendix {
                heading: appendix_heading(section),
                items: ticked(section, view),
            })
            .collect();
        ExportDoc {
            title,
            parts: builder.parts,
            appendices,
        }
    }
}

fn depth_level(depth: usize) -> u8 {
    u8::try_from(depth.clamp(1, 6)).unwrap_or(6)
}

struct Builder<'a, 't> {
    view: &'a PlanView,
    template: &'t Template,
    parts: Vec<Part<'a>>,
    /// The template's first tiltak section: rows naming no (known) section are printed there,
    /// so no row ever disappears from an export.
    main_tiltak: Option<String>,
    tiltak_ids: Vec<String>,
}

impl<'a> Builder<'a, '_> {
    fn heading(&mut self, level: u8, number: &str, text: &str) {
        self.parts.push(Part::Heading {
            level,
            number: number.to_owned(),
            text: text.to_owned(),
        });
    }

    fn section(&mut self, section: &Section, number: &str, level: u8) {
        self.heading(level, number, &section.heading);
        match section.kind {
            SectionKind::Prose => self.prose(&section.id, level),
            SectionKind::Tiltak => self.tiltak(&section.id, level),
            SectionKind::Milestones => {
                if self.view.milestones.is_empty() {
                    self.parts.push(Part::Note("Ingen milepæler.".to_owned()));
                } else {
                    self.parts.push(Part::Milestones(&self.view.milestones));
                }
            }
            SectionKind::Checklist if section.appendix => {
                self.parts.push(Part::Note(format!(
                    "Se vedlegg: {} bakerst i planen.",
                    section.heading
                )));
            }
            SectionKind::Checklist => {
                let items = ticked(section, self.view);
                if items.is_empty() {
                    self.parts
                        .push(Part::Note("Ingen punkter er krysset av.".into()));
                } else {
                    self.parts.push(Part::Checklist(items));
                }
            }
            SectionKind::Group => {}
            SectionKind::TargetGroups => {
                if let Some(spec) = &section.target_groups {
                    self.target_groups(section, spec, number, level);
                }
            }
        }
    }

    fn prose(&mut self, section_id: &str, level: u8) {
        let view = self.view;
        if let Some(content) = view.section(section_id)
            && !content.blocks.iter().all(Block::is_blank)
        {
            self.parts.push(Part::Prose {
                level,
                blocks: &content.blocks,
            });
        }
    }

    fn is_unassigned(&self, row: &TiltakRow) -> bool {
        row.section
            .as_deref()
            .is_none_or(|section| !self.tiltak_ids.iter().any(|id| id == section))
    }

    fn tiltak(&mut self, section_id: &str, level: u8) {
        let is_main = self.main_tiltak.as_deref() == Some(section_id);
        let rows: Vec<TiltakRow> = self
            .view
            .tiltak
            .iter()
            .filter(|row| {
                if self.is_unassigned(row) {
                    // No section, or one that no longer exists (a removed target group).
                    is_main
                } else {
                    row.section.as_deref() == Some(section_id)
                }
            })
            .cloned()
            .collect();
        self.tiltak_table(&rows, level);
    }

    /// Rows that belong to no tiltak section the template has (a template whose tiltak live
    /// only in target groups): printed in a chapter of their own after the plan's parts.
    fn unassigned_tiltak(&mut self) {
        if self.main_tiltak.is_some() {
            return;
        }
        let rows: Vec<TiltakRow> = self
            .view
            .tiltak
            .iter()
            .filter(|row| self.is_unassigned(row))
            .cloned()
            .collect();
        if !rows.is_empty() {
            self.heading(1, "", UNASSIGNED_TILTAK_HEADING);
            self.tiltak_table(&rows, 1);
        }
    }

    fn tiltak_table(&mut self, rows: &[TiltakRow], level: u8) {
        if rows.is_empty() {
            self.parts.push(Part::Note("Ingen tiltak.".to_owned()));
            return;
        }
        let template = self.template;
        let groups = group_by_strategi(rows, template)
            .into_iter()
            .map(|group| TiltakGroup {
                label: group.label,
                rows: group
                    .rows
                    .iter()
                    .map(|row| row.council_cells(template))
                    .collect(),
            })
            .collect();
        let columns = TILTAK_COLUMNS
            .iter()
            .map(|name| {
                template
                    .field(name)
                    .map_or_else(|| (*name).to_owned(), |field| field.label.clone())
            })
            .collect();
        self.parts.push(Part::Tiltak {
            level,
            columns,
            groups,
        });
    }

    fn target_groups(
        &mut self,
        section: &Section,
        spec: &TargetGroupsSpec,
        number: &str,
        level: u8,
    ) {
        let view = self.view;
        for (index, group) in view.target_groups.iter().enumerate() {
            let group_number = format!("{number}.{}", index + 1);
            self.heading(level + 1, &group_number, &group.name);
            for sub in &spec.subsections {
                let id = TargetGroupsSpec::instance_section_id(&section.id, &group.id, &sub.id);
                self.heading(level + 2, "", &sub.heading);
                if sub.kind == SectionKind::Tiltak {
                    self.tiltak(&id, level + 2);
                } else {
                    self.prose(&id, level + 2);
                }
            }
        }
    }
}

/// The labels of a checklist's ticked items, in template order.
fn ticked(section: &Section, view: &PlanView) -> Vec<String> {
    section
        .items
        .iter()
        .filter(|item| {
            view.checklist
                .get(&checklist_key(&section.id, &item.id))
                .copied()
                .unwrap_or(false)
        })
        .map(|item| item.label.clone())
        .collect()
}

/// "Ja"/"Nei" for a milestone's `done`.
pub fn yes_no(value: bool) -> &'static str {
    if value { "Ja" } else { "Nei" }
}

#[cfg(test)]
mod tests;
