//! The PDF export: the plan as JSON data, typeset by typst with `templates/export/plan.typ`
//! and written as PDF/A-2a (tagged, language `nb`, fonts embedded).
//!
//! User text reaches typst only as strings inside `/plan.json`, which the template reads with
//! `json(…)` and places as text: it is never parsed as typst markup or code, so `#`, `[`, `$`,
//! `#read(…)` or `#import` in a plan print as themselves. The world serves no other file.
//!
//! Long unbroken words (URLs, pasted garbage) would run out of a table cell: words longer than
//! [`LONG_WORD`] characters get a zero-width space (U+200B, an allowed line break that prints
//! nothing) every [`WORD_CHUNK`] characters. Ordinary words are hyphenated by typst's Norwegian
//! patterns, except in the cells of columns that name units (fields of type `unit`, the
//! milestones' «Ansvarlig»): a unit's name («Velferd», «Forebyggende tjenester») is never
//! split. (Hyphenation stays on in other cells: without it, a long label or word in a narrow
//! column would run into the next one.)

use std::sync::Mutex;

use serde::Serialize;
use typst::foundations::{Datetime, Smart};
use typst::layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::logo::{CoverLogo, LogoError};
use super::world::{ExportWorld, logo_path, warm_up};
use super::{
    Appendix, ChangeLine, DELETED, ExportDoc, ExportError, ExportInfo, FIGURE_COLUMNS,
    FIGURE_WIDTHS, INSERTED, MILESTONE_COLUMNS, MILESTONE_UNIT_COLUMN, MILESTONE_WIDTHS,
    NUMBER_COLUMN, Part, TiltakTable, UNWRITTEN, yes_no,
};
use crate::document::{Block, Inline, ListItem, PlanView, RunKind};
use crate::links::is_safe_href;
use crate::templates::Template;

/// The PDF/A part and conformance level every export claims (and typst's writer enforces).
pub const PDF_STANDARD: &str = "PDF/A-2a";

/// Words longer than this get break opportunities.
pub const LONG_WORD: usize = 30;
/// Characters between two inserted break opportunities: few enough for the narrowest column
/// a template is likely to give (a width of 1 or 2 among a dozen), where a longer piece would
/// run into the next cell.
pub const WORD_CHUNK: usize = 6;

/// Typst keeps memoised results between compilations (that is what makes a repeat export fast);
/// entries unused for this many exports are dropped, so memory stays bounded.
const CACHE_AGE: usize = 8;

/// One typst compilation at a time per process: typst already uses the cores for layout, and
/// eviction of its cache must not run in the middle of another compilation.
static COMPILE: Mutex<()> = Mutex::new(());

/// Loads fonts, typst's library and the template; call at start-up so the first export is fast.
pub fn prepare() {
    warm_up();
}

/// The plan as PDF/A-2a bytes. Pure and deterministic: the same document and info give the
/// same bytes. CPU-bound (tens to hundreds of milliseconds): call it from a blocking thread.
pub fn to_pdf(
    view: &PlanView,
    template: &Template,
    info: &ExportInfo,
) -> Result<Vec<u8>, ExportError> {
    let mut plan = PdfPlan::new(view, template, info);
    plan.logo = info.logo.as_ref().map(PdfLogo::of).transpose()?;
    let json = serde_json::to_vec(&plan)?;
    let (year, month, day) = crate::time::oslo_date(info.date_millis);
    let date = Datetime::from_ymd(year, month, day)
        .ok_or_else(|| ExportError::Typeset(format!("invalid date {year}-{month}-{day}")))?;
    let world = ExportWorld::new(json, date).with_logo(info.logo.as_ref());
    // A stable identifier: the same plan version gets the same PDF document id.
    let ident = format!(
        "samskriv:{}:{}:{}",
        view.meta.title,
        info.version.as_deref().unwrap_or(""),
        info.date_millis
    );
    typeset(&world, &ident, date)
}

/// Compiles `world`'s template and writes it as PDF/A-2a (tagged), with the document id
/// `ident` and the timestamp `date` (both fixed by the data, so the bytes are too).
pub(super) fn typeset(
    world: &ExportWorld,
    ident: &str,
    date: Datetime,
) -> Result<Vec<u8>, ExportError> {
    let standards =
        PdfStandards::new(&[PdfStandard::A_2a]).map_err(|e| ExportError::Pdf(e.to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident),
        timestamp: Some(Timestamp::new_utc(date)),
        page_ranges: None,
        standards,
        tagged: true,
    };
    let _guard = COMPILE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = typst::compile::<PagedDocument>(world).output;
    let bytes = result
        .map_err(|errors| ExportError::Typeset(diagnostics(&errors)))
        .and_then(|document| {
            typst_pdf::pdf(&document, &options)
                .map_err(|errors| ExportError::Pdf(diagnostics(&errors)))
        });
    typst::comemo::evict(CACHE_AGE);
    bytes
}

fn diagnostics(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .take(5)
        .map(|error| {
            let hints: Vec<&str> = error.hints.iter().map(|h| h.as_str()).collect();
            if hints.is_empty() {
                error.message.to_string()
            } else {
                format!("{} ({})", error.message, hints.join("; "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The data `templates/export/plan.typ` lays out, which it reads as `plan = json("/plan.json")`.
/// This and the types it holds are the whole contract between Rust and the template: a field
/// renamed here must be renamed there. Every string is text to print, nothing else.
#[derive(Debug, Clone, Serialize)]
pub struct PdfPlan {
    /// `plan.title`: the cover title and the page header.
    pub title: String,
    /// `plan.meta_title`: the PDF's document title, plain (without break opportunities).
    pub meta_title: String,
    /// `plan.subject`, `plan.author`, `plan.keywords`: the PDF's document description
    /// (subject), author and keywords, plain, from the plan and its template.
    pub subject: String,
    pub author: String,
    pub keywords: Vec<String>,
    /// `plan.template`: the line above the cover title.
    pub template: String,
    /// `plan.bydel`: «Bydel …», under the cover title ("" for none).
    pub bydel: String,
    /// `plan.periode`: on the cover.
    pub periode: String,
    /// `plan.status`: on the cover.
    pub status: String,
    /// `plan.version`: on the cover and in the page header («Utkast» for a draft).
    pub version: String,
    /// `plan.draft`: the current state; the running header says «Utkast» in its own style.
    pub draft: bool,
    /// `plan.date`: the printed date line ("12.03.2026", or "Oslo, 12.03.2026").
    pub date: String,
    /// `plan.year`, `plan.month`, `plan.day`: the document date, `datetime(year:, month:, day:)`.
    pub year: i32,
    pub month: u8,
    pub day: u8,
    /// `plan.body`: the loop over parts under "Body".
    pub body: Vec<PdfPart>,
    /// `plan.appendices`: the loop under "Appendices", one page each.
    pub appendices: Vec<PdfAppendix>,
    /// `plan.logo`: the cover logo, or `none`.
    pub logo: Option<PdfLogo>,
}

/// `plan.logo`: the logo's file in the export's world and its width on the cover in
/// millimetres (the height follows from its aspect ratio).
#[derive(Debug, Clone, Serialize)]
pub struct PdfLogo {
    pub path: &'static str,
    pub width_mm: f64,
}

impl PdfLogo {
    fn of(logo: &CoverLogo) -> Result<Self, LogoError> {
        let (width_mm, _) = logo.cover_size_mm()?;
        Ok(PdfLogo {
            path: logo_path(logo.kind),
            width_mm,
        })
    }
}

/// One part of `plan.body` (or of an appendix's `body`); the template's `part(p)` function
/// picks its layout by `p.k`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "k")]
pub enum PdfPart {
    /// `k: "h"`: a section heading, `num` printed before `text` unless empty; `level` ≤ 2 is
    /// in the table of contents.
    #[serde(rename = "h")]
    Heading {
        level: u8,
        num: String,
        text: String,
    },
    /// `k: "sub"`: a heading inside a section, not in the table of contents.
    #[serde(rename = "sub")]
    SubHeading { level: u8, text: String },
    /// `k: "blocks"`: prose, laid out by the template's `blocks` function.
    #[serde(rename = "blocks")]
    Blocks { blocks: Vec<PdfBlock> },
    /// `k: "tiltak"`: one table per group, under the group's caption (a heading of `level`,
    /// none when the caption is "").
    #[serde(rename = "tiltak")]
    Tiltak {
        level: u8,
        groups: Vec<PdfTiltakGroup>,
    },
    /// `k: "unwritten"`: a draft's unwritten section, `text` in a style of its own.
    #[serde(rename = "unwritten")]
    Unwritten { text: &'static str },
    /// `k: "table"`: a data table (milestones, key figures) with relative column `widths`;
    /// the cells of the columns in `whole` (0-based) are never hyphenated.
    #[serde(rename = "table")]
    Table {
        columns: Vec<String>,
        widths: Vec<f32>,
        whole: Vec<usize>,
        rows: Vec<Vec<String>>,
    },
    /// `k: "checklist"`: ticked items as bullet lists, each named group under a heading of
    /// `level`.
    #[serde(rename = "checklist")]
    Checklist {
        level: u8,
        groups: Vec<PdfChecklistGroup>,
    },
    /// `k: "changes"`: paragraphs of the changes appendix, laid out by `change-line`.
    #[serde(rename = "changes")]
    Changes { lines: Vec<PdfChangeLine> },
}

/// A paragraph of the changes appendix: `label` in bold before it unless "", then `runs`.
#[derive(Debug, Clone, Serialize)]
pub struct PdfChangeLine {
    pub label: String,
    pub runs: Vec<PdfChangeRun>,
}

/// `{t, m, w}`: text `t`, kept (`m: "same"`), inserted (`"ins"`, underlined) or deleted
/// (`"del"`, struck through); `w` is the word printed before changed text («Lagt til:»,
/// «Fjernet:»; "" for kept text), so no change is told by line style alone.
#[derive(Debug, Clone, Serialize)]
pub struct PdfChangeRun {
    pub t: String,
    pub m: &'static str,
    pub w: &'static str,
}

impl PdfChangeLine {
    fn new(line: &ChangeLine) -> Self {
        PdfChangeLine {
            label: text(&line.label),
            runs: line
                .runs
                .iter()
                .map(|run| {
                    let (m, w) = match run.kind {
                        RunKind::Same => ("same", ""),
                        RunKind::Inserted => ("ins", INSERTED),
                        RunKind::Deleted => ("del", DELETED),
                    };
                    PdfChangeRun {
                        t: text(&run.text),
                        m,
                        w,
                    }
                })
                .collect(),
        }
    }
}

/// `group` in a tiltak part: `group.label` is its caption, `group.rows` its rows.
/// `columns` are the table's headings with the number column first; `widths` the relative
/// widths of the columns after it (the number column is as wide as its content); each row's
/// `details` are printed under its cell number `at` (0-based, counting the number column);
/// the cells of the columns in `whole` (units' names, same counting) are never hyphenated.
#[derive(Debug, Clone, Serialize)]
pub struct PdfTiltakGroup {
    pub label: String,
    pub columns: Vec<String>,
    pub widths: Vec<u8>,
    pub at: usize,
    pub whole: Vec<usize>,
    pub rows: Vec<PdfTiltakRow>,
}

/// A tiltak row: `cells` (the number first), and `details`, each `{label, value}`.
#[derive(Debug, Clone, Serialize)]
pub struct PdfTiltakRow {
    pub cells: Vec<String>,
    pub details: Vec<PdfDetail>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PdfDetail {
    pub label: String,
    pub value: String,
}

/// A group of ticked checklist items: `name` ("" for no heading) and `items`.
#[derive(Debug, Clone, Serialize)]
pub struct PdfChecklistGroup {
    pub name: String,
    pub items: Vec<String>,
}

/// One of `plan.appendices`, each on a new page: `num` and `text` are its heading, `body` its
/// parts.
#[derive(Debug, Clone, Serialize)]
pub struct PdfAppendix {
    pub num: String,
    pub text: String,
    pub body: Vec<PdfPart>,
}

/// A prose block, as the template's recursive `blocks(bs)` function reads it by `b.k`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "k")]
pub enum PdfBlock {
    /// `k: "p"`: a paragraph of runs.
    #[serde(rename = "p")]
    Paragraph { runs: Vec<PdfRun> },
    /// `k: "h"`: a heading of runs, left out of the outline.
    #[serde(rename = "h")]
    Heading { level: u8, runs: Vec<PdfRun> },
    /// `k: "ul"`: each item is a list of blocks.
    #[serde(rename = "ul")]
    Bullets { items: Vec<Vec<PdfBlock>> },
    /// `k: "ol"`: numbered from `start`; each item is a list of blocks.
    #[serde(rename = "ol")]
    Numbered {
        start: u32,
        items: Vec<Vec<PdfBlock>>,
    },
    /// `k: "quote"`: a block quote.
    #[serde(rename = "quote")]
    Quote { blocks: Vec<PdfBlock> },
    /// `k: "table"`: `width` equal columns; every row has exactly `width` cells, because the
    /// template flattens the rows into one cell sequence. `header` repeats the first row as
    /// the table header.
    #[serde(rename = "table")]
    Table {
        width: usize,
        header: bool,
        rows: Vec<Vec<PdfCell>>,
    },
}

/// A table cell: the blocks it holds (an empty list for a padding cell).
pub type PdfCell = Vec<PdfBlock>;

/// An inline run, as the template's `runs(rs)` function reads it: a line break when
/// `r.at("br", default: false)`, text otherwise.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PdfRun {
    /// `{t, b, i, href?}`: `t` printed as text, emphasised when `i`, strong when `b`, a link
    /// when `href` is there (absent, not null, for plain text).
    Text {
        t: String,
        b: bool,
        i: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        href: Option<String>,
    },
    /// `{br: true}`: a line break. The template tests the key's value, so it is always `true`
    /// (use [`PdfRun::LINE_BREAK`]).
    Break { br: bool },
}

impl PdfPlan {
    /// The plan as the template prints it: the export's order ([`ExportDoc`]) with every
    /// string made safe to lay out ([`text`]).
    pub fn new(view: &PlanView, template: &Template, info: &ExportInfo) -> Self {
        let doc = ExportDoc::build(view, template, info);
        let title = doc.title;
        let (year, month, day) = title.date_ymd;
        let display_title = title.display_title();
        let metadata = title.metadata();
        PdfPlan {
            title: text(display_title),
            meta_title: clean(display_title),
            subject: clean(&metadata.subject),
            author: clean(&metadata.author),
            keywords: metadata.keywords.iter().map(|k| clean(k)).collect(),
            template: text(&title.template_title),
            bydel: text(&title.bydel),
            periode: text(&title.periode),
            status: text(&title.status),
            version: text(&title.version),
            draft: title.draft,
            date: text(&title.date_line()),
            year,
            month,
            day,
            body: doc.parts.iter().map(PdfPart::new).collect(),
            appendices: doc.appendices.iter().map(PdfAppendix::new).collect(),
            logo: None,
        }
    }
}

impl PdfPart {
    fn new(part: &Part<'_>) -> Self {
        match part {
            Part::Heading {
                level,
                number,
                text: heading,
            } => PdfPart::Heading {
                level: *level,
                num: text(number),
                text: text(heading),
            },
            Part::SubHeading {
                level,
                text: heading,
            } => PdfPart::SubHeading {
                level: level.saturating_add(1).min(6),
                text: text(heading),
            },
            Part::Prose { level, blocks } => PdfPart::Blocks {
                blocks: PdfBlock::list(blocks, *level),
            },
            Part::Blocks { level, blocks } => PdfPart::Blocks {
                blocks: PdfBlock::list(blocks, *level),
            },
            Part::Tiltak(table) => PdfPart::tiltak(table),
            Part::Milestones(milestones) => PdfPart::Table {
                columns: MILESTONE_COLUMNS.map(str::to_owned).to_vec(),
                widths: MILESTONE_WIDTHS.to_vec(),
                whole: vec![MILESTONE_UNIT_COLUMN],
                rows: milestones
                    .iter()
                    .map(|m| {
                        vec![
                            text(&m.title),
                            text(&m.date),
                            text(&m.responsible),
                            yes_no(m.done).to_owned(),
                        ]
                    })
                    .collect(),
            },
            Part::Checklist { level, groups } => PdfPart::Checklist {
                level: level.saturating_add(1).min(6),
                groups: groups
                    .iter()
                    .map(|group| PdfChecklistGroup {
                        name: text(&group.name),
                        items: texts(&group.items),
                    })
                    .collect(),
            },
            Part::Figures(rows) => PdfPart::Table {
                columns: FIGURE_COLUMNS.map(str::to_owned).to_vec(),
                widths: FIGURE_WIDTHS.to_vec(),
                whole: Vec::new(),
                rows: rows.iter().map(|row| texts(row)).collect(),
            },
            Part::Unwritten => PdfPart::Unwritten { text: UNWRITTEN },
            Part::Changes(lines) => PdfPart::Changes {
                lines: lines.iter().map(PdfChangeLine::new).collect(),
            },
            Part::Table { table, whole } => PdfPart::Table {
                columns: texts(&table.columns),
                widths: table.widths.clone(),
                whole: whole.clone(),
                rows: table.rows.iter().map(|row| texts(row)).collect(),
            },
        }
    }

    fn tiltak(table: &TiltakTable) -> Self {
        PdfPart::Tiltak {
            level: table.level.saturating_add(1).min(6),
            groups: table
                .groups
                .iter()
                .map(|group| PdfTiltakGroup {
                    label: text(&group.label),
                    columns: std::iter::once(NUMBER_COLUMN.to_owned())
                        .chain(group.columns.iter().map(|column| text(&column.label)))
                        .collect(),
                    widths: group.columns.iter().map(|column| column.width).collect(),
                    at: group.detail_column + 1,
                    whole: group
                        .columns
                        .iter()
                        .enumerate()
                        .filter(|(_, column)| column.unit)
                        .map(|(index, _)| index + 1)
                        .collect(),
                    rows: group
                        .rows
                        .iter()
                        .map(|line| {
                            let mut cells = vec![line.number.to_string()];
                            cells.extend(line.cells.iter().map(|cell| text(cell)));
                            PdfTiltakRow {
                                cells,
                                details: line
                                    .details
                                    .iter()
                                    .map(|detail| PdfDetail {
                                        label: text(&detail.label),
                                        value: text(&detail.value),
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl PdfAppendix {
    fn new(appendix: &Appendix<'_>) -> Self {
        PdfAppendix {
            num: text(&appendix.number),
            text: text(&appendix.heading),
            body: appendix.parts.iter().map(PdfPart::new).collect(),
        }
    }
}

impl PdfBlock {
    /// Prose blocks without the blank ones; `level` is the heading level of the section they
    /// belong to.
    fn list(blocks: &[Block], level: u8) -> Vec<Self> {
        blocks
            .iter()
            .filter(|block| !block.is_blank())
            .map(|block| PdfBlock::new(block, level))
            .collect()
    }

    fn new(block: &Block, level: u8) -> Self {
        let list_items = |items: &[ListItem]| -> Vec<Vec<PdfBlock>> {
            items
                .iter()
                .map(|item| PdfBlock::list(&item.blocks, level))
                .collect()
        };
        match block {
            Block::Paragraph { content } => PdfBlock::Paragraph {
                runs: PdfRun::list(content),
            },
            Block::Heading {
                level: own,
                content,
            } => PdfBlock::Heading {
                level: level.saturating_add(own.saturating_sub(2)).clamp(1, 6),
                runs: PdfRun::list(content),
            },
            Block::BulletList { items } => PdfBlock::Bullets {
                items: list_items(items),
            },
            Block::OrderedList { start, items } => PdfBlock::Numbered {
                start: *start,
                items: list_items(items),
            },
            Block::Blockquote { blocks } => PdfBlock::Quote {
                blocks: PdfBlock::list(blocks, level),
            },
            Block::Table { rows } => {
                let width = rows.iter().map(Vec::len).max().unwrap_or(0);
                let header = rows
                    .first()
                    .is_some_and(|row| row.iter().any(|cell| cell.header));
                let rows = rows
                    .iter()
                    .map(|row| {
                        let mut cells: Vec<PdfCell> = row
                            .iter()
                            .map(|cell| PdfBlock::list(&cell.blocks, level))
                            .collect();
                        cells.resize(width, PdfCell::new());
                        cells
                    })
                    .collect();
                PdfBlock::Table {
                    width,
                    header,
                    rows,
                }
            }
            Block::Unknown { text: plain, .. } => PdfBlock::Paragraph {
                runs: PdfRun::list(&[Inline::plain(plain)]),
            },
        }
    }
}

impl PdfRun {
    pub const LINE_BREAK: PdfRun = PdfRun::Break { br: true };

    /// The runs of inline content: a newline inside text becomes a line break too, and a link
    /// that is not safe ([`is_safe_href`]) prints as plain text.
    fn list(inlines: &[Inline]) -> Vec<Self> {
        let mut runs = Vec::with_capacity(inlines.len());
        for inline in inlines {
            match inline {
                Inline::HardBreak => runs.push(PdfRun::LINE_BREAK),
                Inline::Text {
                    text: content,
                    bold,
                    italic,
                    link,
                } => {
                    let href = link
                        .as_deref()
                        .filter(|href| is_safe_href(href))
                        .map(|href| clean(href.trim()));
                    for (index, line) in content.split('\n').enumerate() {
                        if index > 0 {
                            runs.push(PdfRun::LINE_BREAK);
                        }
                        if line.is_empty() {
                            continue;
                        }
                        runs.push(PdfRun::Text {
                            t: text(line),
                            b: *bold,
                            i: *italic,
                            href: href.clone(),
                        });
                    }
                }
            }
        }
        runs
    }
}

fn texts(values: &[String]) -> Vec<String> {
    values.iter().map(|value| text(value)).collect()
}

/// Text without control characters (other than line breaks) and with break opportunities in
/// very long words.
pub fn text(value: &str) -> String {
    breakable(&clean(value))
}

/// Text without control characters (other than line breaks), for metadata.
pub(crate) fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\n' => '\n',
            '\t' | '\r' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// Words longer than this that hold punctuation (code, addresses: `(javascript:alert(1))`)
/// get a break opportunity after each run of punctuation: hyphenation cannot break them, and
/// in a narrow column they would run into the next one.
pub const PUNCTUATED_WORD: usize = 12;

/// Inserts U+200B every [`WORD_CHUNK`] characters into words longer than [`LONG_WORD`], and
/// after punctuation in words longer than [`PUNCTUATED_WORD`].
fn breakable(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut word: Vec<char> = Vec::new();
    let flush = |word: &mut Vec<char>, out: &mut String| {
        if word.len() > PUNCTUATED_WORD
            && word.len() <= LONG_WORD
            && word.iter().any(char::is_ascii_punctuation)
        {
            for (index, c) in word.iter().enumerate() {
                out.push(*c);
                let next = word.get(index + 1);
                if c.is_ascii_punctuation() && next.is_some_and(|n| !n.is_ascii_punctuation()) {
                    out.push('\u{200B}');
                }
            }
        } else if word.len() > LONG_WORD {
            for (index, chunk) in word.chunks(WORD_CHUNK).enumerate() {
                if index > 0 {
                    out.push('\u{200B}');
                }
                out.extend(chunk);
            }
        } else {
            out.extend(word.iter());
        }
        word.clear();
    };
    for c in value.chars() {
        if c.is_whitespace() || c == '\u{200B}' {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::document::Cell;
    use crate::export::{Column, Detail, TiltakGroup, TiltakLine};

    fn to_json(value: impl Serialize) -> Value {
        serde_json::to_value(value).expect("serialisable")
    }

    fn cell(header: bool, text: &str) -> Cell {
        Cell {
            header,
            blocks: vec![Block::Paragraph {
                content: vec![Inline::plain(text)],
            }],
        }
    }

    #[test]
    fn parts_have_the_shape_the_template_reads() {
        let heading = Part::Heading {
            level: 2,
            number: "1.2".to_owned(),
            text: "Mål".to_owned(),
        };
        assert_eq!(
            to_json(PdfPart::new(&heading)),
            json!({"k": "h", "level": 2, "num": "1.2", "text": "Mål"})
        );

        // The groups' captions are one level under the section's heading; the number column
        // comes first, the details go with the title's cell.
        let tiltak = Part::Tiltak(TiltakTable {
            level: 2,
            groups: vec![TiltakGroup {
                label: "Forebygging".to_owned(),
                columns: vec![
                    Column {
                        label: "Tiltak".to_owned(),
                        width: 5,
                        unit: false,
                    },
                    Column {
                        label: "Ansvarlig".to_owned(),
                        width: 1,
                        unit: true,
                    },
                ],
                detail_column: 0,
                rows: vec![TiltakLine {
                    number: 1,
                    cells: vec!["Ungdomsklubb".to_owned(), "Forebyggende".to_owned()],
                    details: vec![Detail {
                        label: "Målgruppe".to_owned(),
                        value: "Ungdom".to_owned(),
                    }],
                }],
            }],
        });
        assert_eq!(
            to_json(PdfPart::new(&tiltak)),
            json!({
                "k": "tiltak",
                "level": 3,
                "groups": [{
                    "label": "Forebygging",
                    "columns": ["Nr.", "Tiltak", "Ansvarlig"],
                    "widths": [5, 1],
                    "at": 1,
                    "whole": [2],
                    "rows": [{
                        "cells": ["1", "Ungdomsklubb", "Forebyggende"],
                        "details": [{"label": "Målgruppe", "value": "Ungdom"}],
                    }],
                }],
            })
        );
    }

    #[test]
    fn runs_carry_marks_safe_links_and_line_breaks() {
        let paragraph = Block::Paragraph {
            content: vec![
                Inline::Text {
                    text: "Fet".to_owned(),
                    bold: true,
                    italic: false,
                    link: None,
                },
                Inline::HardBreak,
                Inline::Text {
                    text: "veileder".to_owned(),
                    bold: false,
                    italic: true,
                    link: Some(" https://www.korus-oslo.no/ ".to_owned()),
                },
                Inline::Text {
                    text: "a\nb".to_owned(),
                    bold: false,
                    italic: false,
                    link: Some("javascript:alert(1)".to_owned()),
                },
            ],
        };
        assert_eq!(
            to_json(PdfBlock::new(&paragraph, 2)),
            json!({"k": "p", "runs": [
                {"t": "Fet", "b": true, "i": false},
                {"br": true},
                {"t": "veileder", "b": false, "i": true, "href": "https://www.korus-oslo.no/"},
                {"t": "a", "b": false, "i": false},
                {"br": true},
                {"t": "b", "b": false, "i": false},
            ]})
        );
    }

    #[test]
    fn short_table_rows_are_padded_with_empty_cells() {
        let table = Block::Table {
            rows: vec![
                vec![cell(true, "Indikator"), cell(true, "2023")],
                vec![cell(false, "Andel")],
            ],
        };
        let p = |text: &str| json!([{"k": "p", "runs": [{"t": text, "b": false, "i": false}]}]);
        assert_eq!(
            to_json(PdfBlock::new(&table, 2)),
            json!({
                "k": "table",
                "width": 2,
                "header": true,
                "rows": [[p("Indikator"), p("2023")], [p("Andel"), []]],
            })
        );
    }

    #[test]
    fn long_words_get_break_opportunities_and_short_ones_do_not() {
        assert_eq!(
            breakable("rusmiddelpolitikken er viktig"),
            "rusmiddelpolitikken er viktig"
        );
        let long = "a".repeat(40);
        let broken = breakable(&long);
        assert_eq!(
            broken.matches('\u{200B}').count(),
            40_usize.div_ceil(WORD_CHUNK) - 1
        );
        assert_eq!(broken.replace('\u{200B}', ""), long);
    }

    #[test]
    fn punctuated_words_break_after_punctuation() {
        assert_eq!(
            breakable("(javascript:alert(1))"),
            "(\u{200B}javascript:\u{200B}alert(\u{200B}1))"
        );
        assert_eq!(breakable("Forebyggende"), "Forebyggende");
        assert_eq!(breakable("2025–2028"), "2025–2028");
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(text("a\u{0}b\tc\nd"), "a b c\nd");
    }
}
