//! Exports of a plan for the district council (bydelsutvalget): GitHub-flavoured Markdown,
//! PDF/A typeset in-process by typst, and Word (.docx, Office Open XML).
//!
//! Every export is a pure function of `(&PlanView, &Template, &ExportInfo)`: no clock, no files,
//! no database. The same document gives the same bytes, so a frozen version always exports the
//! same way. All walk the plan through [`ExportDoc`], which fixes what is printed and in which
//! order; the formats only differ in how they write it. What is printed is the plan's own shape
//! (`PlanView::structure`) and the template's table schema, nothing else:
//! - the plan's sections in use, with the plan's headings and numbers (a section «ikke i bruk»
//!   is left out with everything under it; the plan's own sections are there), a part's
//!   introduction before its children, and the appendices (checklists with `appendix = true`
//!   and sections of kind `appendix`) at the end as «Vedlegg N …»;
//! - tiltak tables with the template's export columns (after «Nr.»), grouped by the template's
//!   `group_by`; every other field with a value is a «Label: value» line under the row's title
//!   cell, so every value the plan has is printed. A column empty on every row of a table is
//!   left out of that table (the title's column never is). Rows without a value in the
//!   `group_by` field come last, in a table of their own: a draft heads it «Uten <field>» like
//!   the editor (the rows still need one: working state), a frozen version prints it without
//!   a caption (the plan does not say it lacks something);
//! - the plan's goals, right after the heading of the first tiltak section in use (before its
//!   tables), or at the end of the body when no tiltak section is in use;
//! - key figures as a table, milestones as a table, ticked checklist items by group;
//! - when asked ([`ExportInfo::previous_status`]), for a plan made from an earlier one, the
//!   earlier plan's last closed status round as «Vedlegg N Status for forrige plan», after the
//!   plan's own appendices (see `StatusReport::appendix` in [`report`]);
//! - when asked ([`ExportInfo::changes`]), what changed since an earlier version as the last
//!   appendix, «Vedlegg N Endringer siden …» (see [`changes`]).
//!
//! A value the plan does not have prints as nothing: exports never print placeholder
//! sentences or defaults as if the plan had said them. What a section without content prints
//! depends on what is exported:
//! - a frozen version prints the plan: a section without content and without children with
//!   content is left out (heading and all; the others keep their numbers from the plan);
//! - the current state is a draft ([`ExportInfo::is_draft`]): every section is there, a leaf
//!   section without content says [`UNWRITTEN`] in a style of its own, and the running
//!   header and the cover say [`CURRENT_STATE_LABEL`].

pub mod changes;
pub mod docx;
pub mod logo;
pub mod markdown;
pub mod pdf;
pub mod report;
pub mod sample;
mod world;

use std::fmt;
use std::str::FromStr;

use crate::document::structure::{checklist_items, flatten};
use crate::document::{
    Block, Inline, ListItem, Milestone, PlanSection, PlanStatus, PlanView, group_rows,
    rows_of_section,
};
use crate::templates::{FieldSchema, FieldType, Place, SectionKind, Template};
use crate::time;

pub use self::changes::{ChangeLine, ChangesAppendix, DELETED, INSERTED};
pub use self::docx::to_docx;
pub use self::logo::{CoverLogo, LogoKind};
pub use self::markdown::to_markdown;
pub use self::pdf::{PDF_STANDARD, to_pdf};

/// What an export says about itself beside the plan's content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportInfo {
    /// The named version's name; `None` for the plan's current state.
    pub version: Option<String>,
    /// Unix milliseconds printed as the document's date: when the version was frozen, or when
    /// the plan last changed. Never "now", so an export is reproducible.
    pub date_millis: i64,
    /// The place the plan's settings name for the cover ("" for none).
    pub place: String,
    /// The date the plan's settings give the cover (the adoption date for the adopted version,
    /// else the plan's own date), as unix milliseconds; `None` to use `date_millis`.
    pub cover_date_millis: Option<i64>,
    /// The plan's cover logo, printed on the PDF's and Word's cover (not in Markdown).
    pub logo: Option<CoverLogo>,
    /// What changed since an earlier version, printed as the last appendix; `None` for no
    /// such appendix.
    pub changes: Option<ChangesAppendix>,
    /// The previous plan's last closed status round, printed as the appendix «Status for
    /// forrige plan» after the plan's own appendices and before the changes; `None` for no
    /// such appendix.
    pub previous_status: Option<report::StatusReport>,
}

impl ExportInfo {
    /// The version line of the title block.
    pub fn version_label(&self) -> String {
        match &self.version {
            Some(name) => name.clone(),
            None => CURRENT_STATE_LABEL.to_owned(),
        }
    }

    /// Whether this is the plan's current state rather than a frozen version.
    pub fn is_draft(&self) -> bool {
        self.version.is_none()
    }

    /// The cover's place and date: the plan's settings where it has them (see
    /// `service::versions`), else no place and the version's freeze time or the plan's last
    /// change.
    pub fn cover(&self) -> CoverFacts {
        CoverFacts {
            place: self.place.clone(),
            date_millis: self.cover_date_millis.unwrap_or(self.date_millis),
        }
    }
}

/// What the cover says besides the plan's meta: see [`ExportInfo::cover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverFacts {
    /// The place printed before the date ("Oslo"); "" for none.
    pub place: String,
    /// Unix milliseconds of the cover's date.
    pub date_millis: i64,
}

/// How the current (not frozen) state is named in exports: on the cover and in the running
/// header.
pub const CURRENT_STATE_LABEL: &str = "Utkast";

/// What a draft export prints for a section nobody has written yet.
pub const UNWRITTEN: &str = "Ikke skrevet ennå";

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Pdf,
    Docx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
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
#[error("unknown export format '{0}'; use md, pdf or docx")]
pub struct UnknownFormat(String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "pdf" => Ok(Format::Pdf),
            "docx" | "word" => Ok(Format::Docx),
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
    /// The Word file could not be packed.
    #[error("the Word file could not be written: {0}")]
    Docx(String),
    /// The stored cover logo could not be read or drawn.
    #[error("the cover logo could not be used: {0}")]
    Logo(#[from] logo::LogoError),
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
        Format::Docx => to_docx(view, template, info),
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

/// The title block: what the cover of the PDF and the Word file and the top of the Markdown
/// say.
#[derive(Debug, Clone)]
pub struct TitleBlock {
    /// The plan's title as written ("" when it has none; see [`TitleBlock::display_title`]).
    pub title: String,
    pub template_title: String,
    /// The district as the plan names it, always with «Bydel» ("Bydel Nordstrand"; "" when
    /// the plan names none).
    pub bydel: String,
    pub periode: String,
    pub status: String,
    /// The version's name, or [`CURRENT_STATE_LABEL`] for a draft.
    pub version: String,
    /// The current state rather than a frozen version.
    pub draft: bool,
    /// The cover's place ("" for none; see [`ExportInfo::cover`]).
    pub place: String,
    /// "12.03.2026", Oslo date.
    pub date: String,
    pub date_ymd: (i32, u8, u8),
}

impl TitleBlock {
    /// The title to print: the plan's, or the template's when the plan has none.
    pub fn display_title(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.template_title
        } else {
            &self.title
        }
    }

    /// The cover's date line: "Oslo, 12.03.2026", or the date alone without a place.
    pub fn date_line(&self) -> String {
        if self.place.trim().is_empty() {
            self.date.clone()
        } else {
            format!("{}, {}", self.place.trim(), self.date)
        }
    }

    /// The document's metadata, from the plan and its template: what the PDF's and the Word
    /// file's properties say.
    pub fn metadata(&self) -> DocMetadata {
        let keywords = [&self.template_title, &self.bydel, &self.periode]
            .into_iter()
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect();
        let subject = [
            self.template_title.trim(),
            self.bydel.trim(),
            self.periode.trim(),
        ]
        .into_iter()
        .filter(|value| !value.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
        DocMetadata {
            title: self.display_title().trim().to_owned(),
            subject,
            author: self.bydel.trim().to_owned(),
            keywords,
        }
    }
}

/// Document properties (PDF metadata, Word's core properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMetadata {
    pub title: String,
    /// "Ruspolitisk handlingsplan, Bydel Nordstrand, 2025–2028".
    pub subject: String,
    /// The district ("" when the plan names none).
    pub author: String,
    /// The template's title, the district and the period, those the plan has.
    pub keywords: Vec<String>,
}

/// The district's name with «Bydel» in front, unless it is there already ("Alna" →
/// "Bydel Alna", "bydel Alna" stays); "" stays "".
pub fn bydel_name(bydel: &str) -> String {
    let bydel = bydel.trim();
    let has_prefix = bydel
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("bydel"))
        && bydel[5..].starts_with(char::is_whitespace);
    if bydel.is_empty() || has_prefix {
        bydel.to_owned()
    } else {
        format!("Bydel {bydel}")
    }
}

/// One thing printed in the body or an appendix, in document order.
#[derive(Debug, Clone)]
pub enum Part<'a> {
    /// A section's heading: `level` 1 for chapters, 2 for their sections, 3 inside a target
    /// group (the document title is above all of them); `number` "2.3", "Vedlegg 1" or "".
    Heading {
        level: u8,
        number: String,
        text: String,
    },
    /// A section's text, or a part's introduction. Prose headings (levels 3–5 in the editor)
    /// are printed under `level`, the level of the section's own heading.
    Prose {
        level: u8,
        blocks: &'a [Block],
    },
    /// Text the export puts together from the plan's data (the plan's goals), printed like
    /// prose of a section at `level`.
    Blocks {
        level: u8,
        blocks: Vec<Block>,
    },
    /// A sub-heading inside a section (the plan's goals), one level under `level`.
    SubHeading {
        level: u8,
        text: String,
    },
    /// A tiltak section's rows.
    Tiltak(TiltakTable),
    Milestones(&'a [Milestone]),
    /// The ticked items of a checklist, by their group; each named group is under a heading
    /// one level under `level`.
    Checklist {
        level: u8,
        groups: Vec<ChecklistGroup>,
    },
    /// Key-figure rows, cells in [`FIGURE_COLUMNS`] order.
    Figures(Vec<Vec<String>>),
    /// Paragraphs of the changes appendix, with inserted and deleted text marked.
    Changes(Vec<ChangeLine>),
    /// A table of plain text (the appendix «Status for forrige plan»); the cells of the
    /// columns in `whole` (0-based: units, statuses) are never hyphenated.
    Table {
        table: report::TextTable,
        whole: Vec<usize>,
    },
    /// A draft's section that nobody has written yet: [`UNWRITTEN`], in a style of its own.
    Unwritten,
}

/// The tables of one tiltak section: one per group.
#[derive(Debug, Clone)]
pub struct TiltakTable {
    /// The level of the section's heading; group captions are one level under it.
    pub level: u8,
    pub groups: Vec<TiltakGroup>,
}

/// A column of a tiltak table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub label: String,
    /// Relative width, from the template.
    pub width: u8,
    /// The column holds units' names (a field of type `unit`): the PDF never hyphenates them.
    pub unit: bool,
}

/// One group of a tiltak section: a table of its own.
#[derive(Debug, Clone)]
pub struct TiltakGroup {
    /// The group's caption: an option's label, a goal's title, "Uten …" (drafts only), or ""
    /// for no caption (the template does not group, or rows without a group in a version).
    pub label: String,
    /// The template's export columns in order, without those empty on every row of this
    /// table (the number column [`NUMBER_COLUMN`] is not among them: writers print it first).
    pub columns: Vec<Column>,
    /// The index in `columns` of the cell that carries each row's detail lines: the title
    /// field's column (the first column when the title field is not one).
    pub detail_column: usize,
    pub rows: Vec<TiltakLine>,
}

/// One printed row.
#[derive(Debug, Clone)]
pub struct TiltakLine {
    /// The row's number in its table, counted across its groups.
    pub number: usize,
    /// The values of the columns, as readers see them ("" when the row has none).
    pub cells: Vec<String>,
    /// «Label: value» lines under the title cell: every other field with a value, and the
    /// row's other groups when it is printed once.
    pub details: Vec<Detail>,
}

/// A «Label: value» line of a tiltak row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub label: String,
    pub value: String,
}

/// The items of one group of a checklist ("" for items without a group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistGroup {
    pub name: String,
    /// Labels, with the year in parentheses when the item has one.
    pub items: Vec<String>,
}

/// An appendix: its heading («Vedlegg N» and the section's heading) and what it holds.
#[derive(Debug, Clone)]
pub struct Appendix<'a> {
    pub number: String,
    pub heading: String,
    pub parts: Vec<Part<'a>>,
}

/// Heading of the first column of tiltak tables: the row's number.
pub const NUMBER_COLUMN: &str = "Nr.";

/// Label of the detail line that lists the other groups of a row printed once.
pub const ALSO_UNDER: &str = "Også under";

/// Heading of the plan's goals when the template has no goals field to take a label from.
pub const GOALS_HEADING: &str = "Planens mål";

/// Column headings of the milestone table, and their relative widths.
pub const MILESTONE_COLUMNS: [&str; 4] = ["Milepæl", "Dato", "Ansvarlig", "Ferdig"];
pub const MILESTONE_WIDTHS: [f32; 4] = [3.0, 1.2, 1.8, 0.8];
/// The milestone column that names units («Ansvarlig»).
pub const MILESTONE_UNIT_COLUMN: usize = 2;

/// Column headings of key-figure tables (nøkkeltall), and their relative widths.
pub const FIGURE_COLUMNS: [&str; 6] = ["Indikator", "Kilde", "År", "Verdi", "Oslo-snitt", "Mål"];
pub const FIGURE_WIDTHS: [f32; 6] = [3.0, 2.0, 0.8, 1.0, 1.0, 1.0];

/// The plan as both exports print it.
#[derive(Debug, Clone)]
pub struct ExportDoc<'a> {
    pub title: TitleBlock,
    pub parts: Vec<Part<'a>>,
    pub appendices: Vec<Appendix<'a>>,
}

impl<'a> ExportDoc<'a> {
    pub fn build(view: &'a PlanView, template: &Template, info: &ExportInfo) -> Self {
        let status = view
            .meta
            .status
            .parse::<PlanStatus>()
            .map_or_else(|_| view.meta.status.clone(), |s| s.label().to_owned());
        let cover = info.cover();
        let title = TitleBlock {
            title: view.meta.title.clone(),
            template_title: template.title.clone(),
            bydel: bydel_name(&view.meta.bydel),
            periode: view.meta.periode.clone(),
            status,
            version: info.version_label(),
            draft: info.is_draft(),
            place: cover.place,
            date: time::oslo_date_display(cover.date_millis),
            date_ymd: time::oslo_date(cover.date_millis),
        };
        let all = flatten(&view.structure);
        let mut builder = Builder {
            view,
            template,
            draft: info.is_draft(),
            // Every tiltak section of the plan, in use or not, as completeness counts them:
            // rows of a section not in use are left out with it.
            tiltak_sections: all
                .iter()
                .filter(|section| section.kind == SectionKind::Tiltak)
                .map(|section| section.id.clone())
                .collect(),
            goals_at: if view.goals.is_empty() {
                None
            } else {
                all.iter()
                    .find(|section| section.in_use && section.kind == SectionKind::Tiltak)
                    .map(|section| section.id.clone())
            },
            parts: Vec::new(),
            appendices: Vec::new(),
        };
        builder.sections(&view.structure);
        if !view.goals.is_empty() && builder.goals_at.is_none() {
            // No tiltak section in use: the goals still belong in the plan.
            builder.parts.push(Part::Heading {
                level: 1,
                number: String::new(),
                text: goals_heading(template),
            });
            builder.parts.push(builder.goals(1));
        }
        // Numbered after the plan's appendices, as the plan numbers them: the previous plan's
        // status, then what changed (always the last).
        let mut next = all
            .iter()
            .filter(|section| section.appendix && !section.number.is_empty())
            .count()
            + 1;
        if let Some(report) = &info.previous_status {
            builder
                .appendices
                .push(report.appendix(format!("Vedlegg {next}")));
            next += 1;
        }
        if let Some(changes) = &info.changes {
            builder.appendices.push(changes::appendix(
                changes,
                format!("Vedlegg {next}"),
                info.version.as_deref(),
            ));
        }
        ExportDoc {
            title,
            parts: builder.parts,
            appendices: builder.appendices,
        }
    }
}

fn depth_level(depth: usize) -> u8 {
    u8::try_from(depth.clamp(1, 6)).unwrap_or(6)
}

/// The heading of the plan's goals: the label of the template's goals field.
fn goals_heading(template: &Template) -> String {
    template
        .tiltak
        .fields
        .iter()
        .find(|field| field.field_type == FieldType::Goals)
        .map_or_else(|| GOALS_HEADING.to_owned(), |field| field.label.clone())
}

struct Builder<'a, 't> {
    view: &'a PlanView,
    template: &'t Template,
    /// The current state: unwritten sections are marked rather than left out.
    draft: bool,
    tiltak_sections: Vec<String>,
    /// The tiltak section the plan's goals are printed in (the first in use).
    goals_at: Option<String>,
    parts: Vec<Part<'a>>,
    appendices: Vec<Appendix<'a>>,
}

impl<'a> Builder<'a, '_> {
    fn sections(&mut self, sections: &'a [PlanSection]) {
        for section in sections.iter().filter(|section| section.in_use) {
            let level = depth_level(section.depth);
            if section.appendix {
                let mut parts = self.content(section, 1);
                if parts.is_empty() {
                    if !self.draft {
                        continue;
                    }
                    parts.push(Part::Unwritten);
                }
                self.appendices.push(Appendix {
                    number: section.number.clone(),
                    heading: section.heading.clone(),
                    parts,
                });
                continue;
            }
            let parts = self.content(section, level);
            let leaf = !section
                .children
                .iter()
                .any(|child| child.in_use && !child.appendix);
            if parts.is_empty() && !self.draft && !self.children_have_content(section) {
                // A frozen version prints the plan: nothing here to print.
                continue;
            }
            self.parts.push(Part::Heading {
                level,
                number: section.number.clone(),
                text: section.heading.clone(),
            });
            if parts.is_empty() && leaf && self.draft {
                self.parts.push(Part::Unwritten);
            }
            self.parts.extend(parts);
            self.sections(&section.children);
        }
    }

    /// Whether a section in the body has a child (at any depth) that prints content.
    fn children_have_content(&self, section: &PlanSection) -> bool {
        section
            .children
            .iter()
            .filter(|child| child.in_use && !child.appendix)
            .any(|child| {
                let level = depth_level(child.depth);
                !self.content(child, level).is_empty() || self.children_have_content(child)
            })
    }

    /// What a section holds, without its heading and children; nothing when it is empty.
    fn content(&self, section: &PlanSection, level: u8) -> Vec<Part<'a>> {
        let view = self.view;
        let mut parts = Vec::new();
        match section.kind {
            SectionKind::Prose
            | SectionKind::Appendix
            | SectionKind::Group
            | SectionKind::TargetGroups => {
                if let Some(content) = view.section(&section.id)
                    && !content.blocks.iter().all(Block::is_blank)
                {
                    parts.push(Part::Prose {
                        level,
                        blocks: &content.blocks,
                    });
                }
            }
            SectionKind::Tiltak => {
                if self.goals_at.as_deref() == Some(section.id.as_str()) {
                    parts.push(Part::SubHeading {
                        level,
                        text: goals_heading(self.template),
                    });
                    parts.push(self.goals(level + 1));
                }
                if let Some(table) = self.tiltak(&section.id, level) {
                    parts.push(Part::Tiltak(table));
                }
            }
            SectionKind::Milestones => {
                if !view.milestones.is_empty() {
                    parts.push(Part::Milestones(&view.milestones));
                }
            }
            SectionKind::Checklist => {
                let groups = self.ticked(&section.id);
                if !groups.is_empty() {
                    parts.push(Part::Checklist { level, groups });
                }
            }
            SectionKind::Figures => {
                let rows: Vec<Vec<String>> = view
                    .figures
                    .iter()
                    .filter(|figure| figure.section == section.id && !figure.is_blank())
                    .map(|figure| {
                        [
                            &figure.indikator,
                            &figure.kilde,
                            &figure.ar,
                            &figure.verdi,
                            &figure.oslo,
                            &figure.mal,
                        ]
                        .iter()
                        .map(|value| value.trim().to_owned())
                        .collect()
                    })
                    .collect();
                if !rows.is_empty() {
                    parts.push(Part::Figures(rows));
                }
            }
        }
        parts
    }

    /// The plan's goals as a list: title, description and the strategies each serves.
    fn goals(&self, level: u8) -> Part<'a> {
        let strategy = self.template.strategy_field();
        let items = self
            .view
            .goals
            .iter()
            .map(|goal| {
                let mut content = vec![Inline::Text {
                    text: goal.title.clone(),
                    bold: true,
                    italic: false,
                    link: None,
                }];
                if !goal.description.trim().is_empty() {
                    content.push(Inline::HardBreak);
                    content.push(Inline::plain(goal.description.trim()));
                }
                let served: Vec<&str> = goal
                    .strategi
                    .iter()
                    .map(|value| {
                        strategy
                            .and_then(|field| field.option(value))
                            .map_or(value.as_str(), |option| option.label.as_str())
                    })
                    .collect();
                if !served.is_empty() {
                    content.push(Inline::HardBreak);
                    if let Some(field) = strategy {
                        content.push(Inline::Text {
                            text: format!("{}:", field.label),
                            bold: false,
                            italic: true,
                            link: None,
                        });
                        content.push(Inline::plain(" "));
                    }
                    content.push(Inline::plain(&served.join(", ")));
                }
                ListItem {
                    blocks: vec![Block::Paragraph { content }],
                }
            })
            .collect();
        Part::Blocks {
            level,
            blocks: vec![Block::BulletList { items }],
        }
    }

    /// The tables of a tiltak section; `None` when no row is printed there.
    fn tiltak(&self, section_id: &str, level: u8) -> Option<TiltakTable> {
        let view = self.view;
        let template = self.template;
        let rows = rows_of_section(
            &view.tiltak,
            section_id,
            &self.tiltak_sections,
            template.tiltak.multi_group,
        );
        let groups = group_rows(&rows, template, &view.goals);
        if groups.is_empty() {
            return None;
        }
        let mut columns: Vec<&FieldSchema> = template.columns(Place::Export);
        if columns.is_empty() {
            // A table always names its rows.
            columns.extend(template.title_field());
        }
        let title = template.title_field().map(|field| field.name.as_str());
        let detail_column = columns
            .iter()
            .position(|field| Some(field.name.as_str()) == title)
            .unwrap_or(0);
        let details: Vec<&FieldSchema> = template
            .tiltak
            .fields
            .iter()
            .filter(|field| !columns.iter().any(|column| column.name == field.name))
            .collect();
        let group_field = template.group_field().map(|field| field.name.as_str());
        let groups = groups
            .into_iter()
            .map(|group| {
                // Under its group's caption a row's group value goes without saying; rows
                // without a known value keep theirs (a value no option has).
                let grouped_by = if group.value.is_some() {
                    group_field
                } else {
                    None
                };
                let rows: Vec<TiltakLine> = group
                    .rows
                    .iter()
                    .map(|grouped| {
                        let row = grouped.row;
                        let mut lines: Vec<Detail> = details
                            .iter()
                            .filter(|field| Some(field.name.as_str()) != grouped_by)
                            .filter_map(|field| {
                                let value = row.display(field, &view.goals);
                                (!value.trim().is_empty()).then(|| Detail {
                                    label: field.label.clone(),
                                    value,
                                })
                            })
                            .collect();
                        if !grouped.also.is_empty() {
                            lines.push(Detail {
                                label: ALSO_UNDER.to_owned(),
                                value: grouped.also.join(", "),
                            });
                        }
                        TiltakLine {
                            number: grouped.number,
                            cells: columns
                                .iter()
                                .map(|field| row.display(field, &view.goals))
                                .collect(),
                            details: lines,
                        }
                    })
                    .collect();
                // A frozen version prints the plan, not what it still lacks: no «Uten …».
                let label = if group.value.is_none() && !self.draft {
                    String::new()
                } else {
                    group.label
                };
                shown_columns(label, &columns, detail_column, rows)
            })
            .collect();
        Some(TiltakTable { level, groups })
    }

    /// The ticked items of a checklist (the template's, then the plan's), by group in the
    /// order the groups first appear.
    fn ticked(&self, section_id: &str) -> Vec<ChecklistGroup> {
        let view = self.view;
        let mut groups: Vec<ChecklistGroup> = Vec::new();
        for item in checklist_items(self.template, section_id, &view.checklist_items) {
            if !view.checklist.get(&item.key).copied().unwrap_or(false) {
                continue;
            }
            let label = if item.year.trim().is_empty() {
                item.label.clone()
            } else {
                format!("{} ({})", item.label, item.year.trim())
            };
            let name = item.group.trim();
            match groups.iter_mut().find(|group| group.name == name) {
                Some(group) => group.items.push(label),
                None => groups.push(ChecklistGroup {
                    name: name.to_owned(),
                    items: vec![label],
                }),
            }
        }
        // Items without a group first, so that none reads as part of the group above it.
        groups.sort_by_key(|group| !group.name.is_empty());
        groups
    }
}

/// One table of a tiltak section, without the columns empty on every row of it (the detail
/// column stays: it names the rows).
fn shown_columns(
    label: String,
    columns: &[&FieldSchema],
    detail_column: usize,
    mut rows: Vec<TiltakLine>,
) -> TiltakGroup {
    let keep: Vec<usize> = (0..columns.len())
        .filter(|&index| {
            index == detail_column
                || rows.iter().any(|line| {
                    line.cells
                        .get(index)
                        .is_some_and(|cell| !cell.trim().is_empty())
                })
        })
        .collect();
    for line in &mut rows {
        let cells = std::mem::take(&mut line.cells);
        line.cells = cells
            .into_iter()
            .enumerate()
            .filter(|(index, _)| keep.contains(index))
            .map(|(_, cell)| cell)
            .collect();
    }
    TiltakGroup {
        label,
        columns: keep
            .iter()
            .map(|&index| Column {
                label: columns[index].label.clone(),
                width: columns[index].width.max(1),
                unit: columns[index].field_type == FieldType::Unit,
            })
            .collect(),
        detail_column: keep
            .iter()
            .position(|&index| index == detail_column)
            .unwrap_or(0),
        rows,
    }
}

/// "Ja"/"Nei" for a milestone's `done`.
pub fn yes_no(value: bool) -> &'static str {
    if value { "Ja" } else { "Nei" }
}

#[cfg(test)]
mod tests;
