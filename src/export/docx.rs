//! The Word export: the plan as an Office Open XML document (.docx) that Word and LibreOffice
//! open as a document of their own, not an imitation of one:
//! - headings use Word's built-in heading styles («heading 1» … «heading 6», with outline
//!   levels), so Word's navigation pane and table of contents work; the cover's title is the
//!   «Title» style;
//! - tables are real tables whose first row is a header row repeated on every page
//!   (`w:tblHeader`); tiltak tables start with the «Nr.» column as the other exports do;
//! - lists are Word's numbered and bulleted lists (each list restarts its numbering);
//! - links keep only the safe targets the Markdown and PDF keep ([`is_safe_href`]), as
//!   external hyperlinks;
//! - the document's language is Norwegian bokmål (`nb-NO`) in the default run properties, the
//!   settings and the core properties; automatic hyphenation is off;
//! - the cover has neither header nor page number; the other pages have a running header (the
//!   title, and the version or «Utkast») and «side N av M» in the footer.
//!
//! The package is written here, part by part, with the `zip` crate: every byte is fixed by the
//! plan (entries in a fixed order, each dated 1980-01-01, the core properties dated by the
//! export's date, relationship ids numbered in document order), so a frozen version always
//! gives the same file. (docx-rs 0.4 was tried: it cannot mark a header row or set a language,
//! and numbers hyperlinks from a process-wide counter, so the same version would give other
//! bytes on the next download.)
//!
//! User text is XML-escaped character data and attribute values only; characters XML 1.0 does
//! not allow are dropped. It is never markup.

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::logo::{CoverLogo, LogoError};
use super::{
    Appendix, ChangeLine, DELETED, ExportDoc, ExportError, ExportInfo, FIGURE_COLUMNS,
    FIGURE_WIDTHS, INSERTED, MILESTONE_COLUMNS, MILESTONE_WIDTHS, NUMBER_COLUMN, Part, TiltakTable,
    TitleBlock, UNWRITTEN, yes_no,
};
use crate::document::{Block, Inline, ListItem, PlanView, RunKind};
use crate::links::is_safe_href;
use crate::templates::Template;

/// The document's language tag.
pub const LANGUAGE: &str = "nb-NO";

/// Page geometry in twentieths of a point: A4, 2.2 cm side margins (as the PDF).
const PAGE_WIDTH: u32 = 11_906;
const PAGE_HEIGHT: u32 = 16_838;
const SIDE_MARGIN: u32 = 1_247;
pub(crate) const TEXT_WIDTH: u32 = PAGE_WIDTH - 2 * SIDE_MARGIN;
/// The «Nr.» column of tiltak tables.
const NUMBER_WIDTH: u32 = 600;
/// Indentation of one list level.
const LIST_INDENT: u32 = 567;

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const REL_TYPE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const A_NS: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const PIC_NS: &str = "http://schemas.openxmlformats.org/drawingml/2006/picture";
const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;

/// The plan as a .docx file. Pure and deterministic: the same document and info give the
/// same bytes.
pub fn to_docx(
    view: &PlanView,
    template: &Template,
    info: &ExportInfo,
) -> Result<Vec<u8>, ExportError> {
    let doc = ExportDoc::build(view, template, info);
    let logo = info.logo.as_ref().map(WordLogo::of).transpose()?;
    let body = Body::of(&doc, logo.as_ref());
    package(&doc.title, &body, logo.as_ref()).map_err(|e| ExportError::Docx(e.to_string()))
}

/// The cover logo as Word takes it: PNG bytes (an SVG is drawn by resvg) at its size on the
/// cover in EMU (36 000 to the millimetre), stored as `word/media/logo.png`.
pub(crate) struct WordLogo {
    png: Vec<u8>,
    cx: u64,
    cy: u64,
}

impl WordLogo {
    fn of(logo: &CoverLogo) -> Result<Self, LogoError> {
        let (width_mm, height_mm) = logo.cover_size_mm()?;
        let emu = |mm: f64| (mm * 36_000.0).round() as u64;
        Ok(WordLogo {
            png: logo.to_png()?,
            cx: emu(width_mm),
            cy: emu(height_mm),
        })
    }

    /// The logo as an inline picture in its own paragraph (relationship `rIdLogo`).
    fn paragraph(&self) -> String {
        format!(
            r#"<w:p><w:pPr><w:spacing w:after="240"/></w:pPr>{}</w:p>"#,
            picture_run("rIdLogo", 1, "Logo", "logo.png", "Logo", self.cx, self.cy)
        )
    }
}

/// An inline picture as a run: relationship `rid`, drawing object `id` (unique in the
/// document), `name` and file `file`, alternative text `descr` (an attribute: escaped here),
/// `cx` × `cy` EMU. The DrawingML namespaces are declared where they are used, as Word itself
/// writes them.
pub(crate) fn picture_run(
    rid: &str,
    id: usize,
    name: &str,
    file: &str,
    descr: &str,
    cx: u64,
    cy: u64,
) -> String {
    let (name, file, descr) = (attr(name), attr(file), attr(descr));
    format!(
        r#"<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{id}" name="{name}" descr="{descr}"/><wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{A_NS}" noChangeAspect="1"/></wp:cNvGraphicFramePr><a:graphic xmlns:a="{A_NS}"><a:graphicData uri="{PIC_NS}"><pic:pic xmlns:pic="{PIC_NS}"><pic:nvPicPr><pic:cNvPr id="{id}" name="{file}" descr="{descr}"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#
    )
}

/// Where blocks are written: the heading level of their section, and whether they are inside
/// a table cell (smaller text, no headings).
#[derive(Debug, Clone, Copy)]
struct Place {
    level: u8,
    in_cell: bool,
    /// Depth of the list the blocks are in (0 outside lists).
    list_depth: u32,
}

/// The document body being written, and what it refers to.
#[derive(Default)]
pub(crate) struct Body {
    pub(crate) xml: String,
    /// Safe link targets, in order of first use: relationship `rIdLink{n}` is `links[n - 1]`.
    links: Vec<String>,
    /// Numbering instances: `(ordered, start, level)` for `w:numId` n + 1.
    lists: Vec<(bool, u32, u32)>,
    /// Whether the cover shows the logo (relationship `rIdLogo`).
    logo: bool,
    /// Other PNG pictures, in order: relationship `rIdPicture{n}` is `pictures[n - 1]`,
    /// stored as `word/media/{name}`; see [`Body::add_picture`].
    pictures: Vec<(String, Vec<u8>)>,
}

impl Body {
    fn of(doc: &ExportDoc<'_>, logo: Option<&WordLogo>) -> Self {
        let mut body = Body::default();
        body.cover(&doc.title, logo);
        for part in &doc.parts {
            body.part(part);
        }
        for appendix in &doc.appendices {
            body.appendix(appendix);
        }
        body
    }

    // ---------------------------------------------------------------------------------------
    // The plan
    // ---------------------------------------------------------------------------------------

    fn cover(&mut self, title: &TitleBlock, logo: Option<&WordLogo>) {
        if let Some(logo) = logo {
            self.logo = true;
            self.xml.push_str(&logo.paragraph());
        }
        if !title.template_title.trim().is_empty() {
            self.paragraph(
                r#"<w:pStyle w:val="Subtitle"/><w:spacing w:before="2400"/>"#,
                &run(&title.template_title, false, false, ""),
            );
        }
        self.paragraph(
            r#"<w:pStyle w:val="Title"/>"#,
            &run(title.display_title(), false, false, ""),
        );
        if !title.bydel.trim().is_empty() {
            self.paragraph(
                r#"<w:pStyle w:val="Subtitle"/>"#,
                &run(&title.bydel, false, false, ""),
            );
        }
        let date = title.date_line();
        let facts = [
            ("Periode", title.periode.as_str()),
            ("Status", title.status.as_str()),
            ("Versjon", title.version.as_str()),
            ("Dato", date.as_str()),
        ];
        let mut first = true;
        for (label, value) in facts {
            if value.trim().is_empty() {
                continue;
            }
            let spacing = if first {
                r#"<w:spacing w:before="720"/>"#
            } else {
                ""
            };
            first = false;
            let runs = format!(
                "{}<w:r><w:tab/></w:r>{}",
                run(label, true, false, ""),
                run(value, false, false, "")
            );
            self.paragraph(
                &format!(r#"<w:tabs><w:tab w:val="left" w:pos="1701"/></w:tabs>{spacing}"#),
                &runs,
            );
        }
        self.xml
            .push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
    }

    fn appendix(&mut self, appendix: &Appendix<'_>) {
        self.heading_with(
            1,
            &appendix.number,
            &appendix.heading,
            "<w:pageBreakBefore/>",
        );
        for part in &appendix.parts {
            self.part(part);
        }
    }

    fn part(&mut self, part: &Part<'_>) {
        match part {
            Part::Heading {
                level,
                number,
                text,
            } => self.heading_with(*level, number, text, ""),
            Part::SubHeading { level, text } => {
                self.heading_with(level.saturating_add(1), "", text, "");
            }
            Part::Prose { level, blocks } => self.blocks(blocks, prose(*level)),
            Part::Blocks { level, blocks } => self.blocks(blocks, prose(*level)),
            Part::Tiltak(table) => self.tiltak(table),
            Part::Milestones(milestones) => {
                let rows: Vec<Vec<String>> = milestones
                    .iter()
                    .map(|m| {
                        vec![
                            m.title.clone(),
                            m.date.clone(),
                            m.responsible.clone(),
                            yes_no(m.done).to_owned(),
                        ]
                    })
                    .collect();
                self.data_table(&MILESTONE_COLUMNS, &MILESTONE_WIDTHS, &rows);
            }
            Part::Checklist { level, groups } => {
                for group in groups {
                    if !group.name.is_empty() {
                        self.heading_with(level.saturating_add(1), "", &group.name, "");
                    }
                    let num = self.new_list(false, 1, 0);
                    for item in &group.items {
                        self.paragraph(&list_ppr(num, 0), &run(item, false, false, ""));
                    }
                }
            }
            Part::Figures(rows) => self.data_table(&FIGURE_COLUMNS, &FIGURE_WIDTHS, rows),
            Part::Unwritten => {
                self.paragraph(
                    r#"<w:pStyle w:val="IkkeSkrevet"/>"#,
                    &run(UNWRITTEN, false, false, ""),
                );
            }
            Part::Changes(lines) => {
                for line in lines {
                    self.paragraph("", &change_runs(line));
                }
            }
            Part::Table { table, .. } => super::report::data_table(self, table),
        }
    }

    /// A heading in Word's heading style of `level` (1–6), with the section's number before
    /// its text; `ppr` is added to its paragraph properties.
    pub(crate) fn heading_with(&mut self, level: u8, number: &str, text: &str, ppr: &str) {
        let level = level.clamp(1, 6);
        let text = if number.trim().is_empty() {
            text.to_owned()
        } else {
            format!("{number} {text}")
        };
        self.paragraph(
            &format!(r#"<w:pStyle w:val="Heading{level}"/>{ppr}"#),
            &run(&text, false, false, ""),
        );
    }

    /// One table per group, under its caption; the «Nr.» column first; the row's detail
    /// lines under its title's cell.
    fn tiltak(&mut self, table: &TiltakTable) {
        for group in &table.groups {
            if !group.label.is_empty() {
                self.heading_with(table.level.saturating_add(1), "", &group.label, "");
            }
            let total: u32 = group
                .columns
                .iter()
                .map(|column| u32::from(column.width.max(1)))
                .sum::<u32>()
                .max(1);
            let rest = TEXT_WIDTH - NUMBER_WIDTH;
            let mut widths = vec![NUMBER_WIDTH];
            widths.extend(
                group
                    .columns
                    .iter()
                    .map(|column| rest * u32::from(column.width.max(1)) / total),
            );
            let mut header = vec![NUMBER_COLUMN.to_owned()];
            header.extend(group.columns.iter().map(|column| column.label.clone()));
            self.table_start(&widths);
            self.header_row(&header, &widths);
            for line in &group.rows {
                self.xml.push_str("<w:tr>");
                self.cell_start(widths[0], "");
                self.paragraph(
                    r#"<w:pStyle w:val="Tabelltekst"/>"#,
                    &run(&line.number.to_string(), false, false, ""),
                );
                self.xml.push_str("</w:tc>");
                for (index, value) in line.cells.iter().enumerate() {
                    self.cell_start(widths[index + 1], "");
                    self.paragraph(
                        r#"<w:pStyle w:val="Tabelltekst"/>"#,
                        &run(value, false, false, ""),
                    );
                    if index == group.detail_column {
                        for detail in &line.details {
                            let runs = format!(
                                "{}{}",
                                run(&format!("{}:", detail.label), true, false, ""),
                                run(&format!(" {}", detail.value), false, false, "")
                            );
                            self.paragraph(r#"<w:pStyle w:val="Tabelldetalj"/>"#, &runs);
                        }
                    }
                    self.xml.push_str("</w:tc>");
                }
                self.xml.push_str("</w:tr>");
            }
            self.xml.push_str("</w:tbl>");
            self.spacer();
        }
    }

    /// A table of plain values with a header row, columns by relative width.
    pub(crate) fn data_table(&mut self, columns: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        let total: f32 = widths.iter().sum::<f32>().max(1.0);
        let twips: Vec<u32> = widths
            .iter()
            .map(|w| (TEXT_WIDTH as f32 * w / total).round() as u32)
            .collect();
        let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        self.table_start(&twips);
        self.header_row(&header, &twips);
        for row in rows {
            self.xml.push_str("<w:tr>");
            for (index, width) in twips.iter().enumerate() {
                self.cell_start(*width, "");
                let value = row.get(index).map_or("", String::as_str);
                self.paragraph(
                    r#"<w:pStyle w:val="Tabelltekst"/>"#,
                    &run(value, false, false, ""),
                );
                self.xml.push_str("</w:tc>");
            }
            self.xml.push_str("</w:tr>");
        }
        self.xml.push_str("</w:tbl>");
        self.spacer();
    }

    pub(crate) fn table_start(&mut self, widths: &[u32]) {
        self.xml.push_str(
            r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>"#,
        );
        for width in widths {
            let _ = write!(self.xml, r#"<w:gridCol w:w="{width}"/>"#);
        }
        self.xml.push_str("</w:tblGrid>");
    }

    /// The header row: repeated at the top of every page the table runs over, never split.
    pub(crate) fn header_row(&mut self, cells: &[String], widths: &[u32]) {
        self.xml
            .push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
        for (index, width) in widths.iter().enumerate() {
            self.cell_start(
                *width,
                r#"<w:shd w:val="clear" w:color="auto" w:fill="E8E8E8"/>"#,
            );
            let value = cells.get(index).map_or("", String::as_str);
            self.paragraph(
                r#"<w:pStyle w:val="Tabelltekst"/>"#,
                &run(value, true, false, ""),
            );
            self.xml.push_str("</w:tc>");
        }
        self.xml.push_str("</w:tr>");
    }

    pub(crate) fn cell_start(&mut self, width: u32, shading: &str) {
        let _ = write!(
            self.xml,
            r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shading}</w:tcPr>"#
        );
    }

    /// An empty paragraph after a table, so that two tables never merge into one.
    pub(crate) fn spacer(&mut self) {
        self.xml
            .push_str(r#"<w:p><w:pPr><w:pStyle w:val="Tabellavstand"/></w:pPr></w:p>"#);
    }

    // ---------------------------------------------------------------------------------------
    // Prose
    // ---------------------------------------------------------------------------------------

    fn blocks(&mut self, blocks: &[Block], place: Place) {
        for block in blocks.iter().filter(|block| !block.is_blank()) {
            self.block(block, place, "");
        }
    }

    /// One block; `first_ppr` goes into its first paragraph (a list item's numbering).
    fn block(&mut self, block: &Block, place: Place, first_ppr: &str) {
        let body_style = if place.in_cell {
            r#"<w:pStyle w:val="Tabelltekst"/>"#
        } else if place.list_depth > 0 {
            r#"<w:pStyle w:val="ListParagraph"/>"#
        } else {
            ""
        };
        let indent = if place.list_depth > 0 && first_ppr.is_empty() {
            format!(r#"<w:ind w:left="{}"/>"#, LIST_INDENT * place.list_depth)
        } else {
            String::new()
        };
        match block {
            Block::Paragraph { content } => {
                let ppr = if first_ppr.is_empty() {
                    format!("{body_style}{indent}")
                } else {
                    first_ppr.to_owned()
                };
                let runs = self.inlines(content);
                self.paragraph(&ppr, &runs);
            }
            Block::Heading {
                level: own,
                content,
            } => {
                let runs = self.inlines(content);
                if place.in_cell || place.list_depth > 0 {
                    // No headings inside tables and lists: bold text.
                    let ppr = if first_ppr.is_empty() {
                        format!("{body_style}{indent}")
                    } else {
                        first_ppr.to_owned()
                    };
                    let bold = self.inlines_with(content, true);
                    self.paragraph(&ppr, &bold);
                } else {
                    let level = place
                        .level
                        .saturating_add(own.saturating_sub(2))
                        .clamp(1, 6);
                    self.paragraph(&format!(r#"<w:pStyle w:val="Heading{level}"/>"#), &runs);
                }
            }
            Block::BulletList { items } => self.list(items, false, 1, place),
            Block::OrderedList { start, items } => self.list(items, true, *start, place),
            Block::Blockquote { blocks } => {
                for inner in blocks.iter().filter(|block| !block.is_blank()) {
                    match inner {
                        Block::Paragraph { content } if !place.in_cell => {
                            let runs = self.inlines(content);
                            self.paragraph(r#"<w:pStyle w:val="Quote"/>"#, &runs);
                        }
                        other => self.block(other, place, ""),
                    }
                }
            }
            Block::Table { rows } => self.prose_table(rows),
            Block::Unknown { text, .. } => {
                let runs = self.inlines(&[Inline::plain(text)]);
                self.paragraph(&format!("{body_style}{indent}"), &runs);
            }
        }
    }

    fn list(&mut self, items: &[ListItem], ordered: bool, start: u32, place: Place) {
        let num = self.new_list(ordered, start, place.list_depth);
        let inner = Place {
            list_depth: place.list_depth + 1,
            ..place
        };
        for item in items {
            let mut first = true;
            let blocks: Vec<&Block> = item.blocks.iter().filter(|b| !b.is_blank()).collect();
            if blocks.is_empty() {
                self.paragraph(&list_ppr(num, place.list_depth), "");
                continue;
            }
            for block in blocks {
                let numbered = first
                    && matches!(
                        block,
                        Block::Paragraph { .. } | Block::Heading { .. } | Block::Unknown { .. }
                    );
                if numbered {
                    self.block(block, inner, &list_ppr(num, place.list_depth));
                } else {
                    if first {
                        // An item that starts with a list or a table: its marker alone.
                        self.paragraph(&list_ppr(num, place.list_depth), "");
                    }
                    self.block(block, inner, "");
                }
                first = false;
            }
        }
    }

    /// A new numbering instance (each list restarts its count); returns its `w:numId`.
    fn new_list(&mut self, ordered: bool, start: u32, level: u32) -> usize {
        self.lists.push((ordered, start, level.min(8)));
        self.lists.len()
    }

    /// A table from the editor: equal columns, the first row a repeated header row when it
    /// has header cells, short rows padded.
    fn prose_table(&mut self, rows: &[Vec<crate::document::Cell>]) {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            return;
        }
        let column = TEXT_WIDTH / u32::try_from(width).unwrap_or(1).max(1);
        let widths = vec![column; width];
        self.table_start(&widths);
        for (index, row) in rows.iter().enumerate() {
            let header = index == 0 && row.iter().any(|cell| cell.header);
            if header {
                self.xml
                    .push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
            } else {
                self.xml.push_str("<w:tr>");
            }
            for position in 0..width {
                let cell = row.get(position);
                let shading = if cell.is_some_and(|cell| cell.header) {
                    r#"<w:shd w:val="clear" w:color="auto" w:fill="E8E8E8"/>"#
                } else {
                    ""
                };
                self.cell_start(column, shading);
                let before = self.xml.len();
                if let Some(cell) = cell {
                    let place = Place {
                        level: 6,
                        in_cell: true,
                        list_depth: 0,
                    };
                    self.blocks(&cell.blocks, place);
                }
                if self.xml.len() == before || self.xml.ends_with("</w:tbl>") {
                    // A cell always ends with a paragraph.
                    self.paragraph(r#"<w:pStyle w:val="Tabelltekst"/>"#, "");
                }
                self.xml.push_str("</w:tc>");
            }
            self.xml.push_str("</w:tr>");
        }
        self.xml.push_str("</w:tbl>");
        self.spacer();
    }

    /// Runs of inline content: bold and italic as run properties, a line break (or a newline
    /// in text) as `w:br`, a safe link as an external hyperlink, an unsafe one as its text.
    fn inlines(&mut self, inlines: &[Inline]) -> String {
        self.inlines_with(inlines, false)
    }

    fn inlines_with(&mut self, inlines: &[Inline], force_bold: bool) -> String {
        let mut out = String::new();
        for inline in inlines {
            match inline {
                Inline::HardBreak => out.push_str("<w:r><w:br/></w:r>"),
                Inline::Text {
                    text,
                    bold,
                    italic,
                    link,
                } => {
                    let href = link
                        .as_deref()
                        .map(str::trim)
                        .filter(|href| is_safe_href(href));
                    match href {
                        Some(href) => {
                            let id = self.link(href);
                            let _ = write!(
                                out,
                                r#"<w:hyperlink r:id="rIdLink{id}" w:history="1">{}</w:hyperlink>"#,
                                run(
                                    text,
                                    *bold || force_bold,
                                    *italic,
                                    r#"<w:rStyle w:val="Hyperlink"/>"#
                                )
                            );
                        }
                        None => out.push_str(&run(text, *bold || force_bold, *italic, "")),
                    }
                }
            }
        }
        out
    }

    /// The relationship number of a link target (the same target, the same number).
    fn link(&mut self, href: &str) -> usize {
        match self.links.iter().position(|known| known == href) {
            Some(index) => index + 1,
            None => {
                self.links.push(href.to_owned());
                self.links.len()
            }
        }
    }

    /// A paragraph with paragraph properties `ppr` (already XML) and `runs` (already XML).
    pub(crate) fn paragraph(&mut self, ppr: &str, runs: &str) {
        self.xml.push_str("<w:p>");
        if !ppr.is_empty() {
            let _ = write!(self.xml, "<w:pPr>{ppr}</w:pPr>");
        }
        self.xml.push_str(runs);
        self.xml.push_str("</w:p>");
    }

    /// Adds a PNG picture stored as `word/media/{name}` (a plain file name of ours) and
    /// returns its relationship id and its drawing object id (the logo is object 1).
    pub(crate) fn add_picture(&mut self, name: &str, png: Vec<u8>) -> (String, usize) {
        self.pictures.push((name.to_owned(), png));
        let n = self.pictures.len();
        (format!("rIdPicture{n}"), n + 1)
    }

    // ---------------------------------------------------------------------------------------
    // Package parts
    // ---------------------------------------------------------------------------------------

    fn document(&self) -> String {
        format!(
            r#"{XML_DECLARATION}<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{}<w:sectPr><w:headerReference w:type="default" r:id="rIdHeader"/><w:headerReference w:type="first" r:id="rIdHeaderFirst"/><w:footerReference w:type="default" r:id="rIdFooter"/><w:footerReference w:type="first" r:id="rIdFooterFirst"/><w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/><w:pgMar w:top="1417" w:right="{SIDE_MARGIN}" w:bottom="1304" w:left="{SIDE_MARGIN}" w:header="708" w:footer="567" w:gutter="0"/><w:cols w:space="708"/><w:titlePg/><w:docGrid w:linePitch="360"/></w:sectPr></w:body></w:document>"#,
            self.xml
        )
    }

    fn document_rels(&self) -> String {
        let mut out = format!(
            r#"{XML_DECLARATION}<Relationships xmlns="{REL_NS}"><Relationship Id="rIdStyles" Type="{REL_TYPE}/styles" Target="styles.xml"/><Relationship Id="rIdNumbering" Type="{REL_TYPE}/numbering" Target="numbering.xml"/><Relationship Id="rIdSettings" Type="{REL_TYPE}/settings" Target="settings.xml"/><Relationship Id="rIdHeader" Type="{REL_TYPE}/header" Target="header1.xml"/><Relationship Id="rIdHeaderFirst" Type="{REL_TYPE}/header" Target="header2.xml"/><Relationship Id="rIdFooter" Type="{REL_TYPE}/footer" Target="footer1.xml"/><Relationship Id="rIdFooterFirst" Type="{REL_TYPE}/footer" Target="footer2.xml"/>"#
        );
        for (index, href) in self.links.iter().enumerate() {
            let _ = write!(
                out,
                r#"<Relationship Id="rIdLink{}" Type="{REL_TYPE}/hyperlink" Target="{}" TargetMode="External"/>"#,
                index + 1,
                attr(href)
            );
        }
        if self.logo {
            let _ = write!(
                out,
                r#"<Relationship Id="rIdLogo" Type="{REL_TYPE}/image" Target="media/logo.png"/>"#
            );
        }
        for (index, (name, _)) in self.pictures.iter().enumerate() {
            let _ = write!(
                out,
                r#"<Relationship Id="rIdPicture{}" Type="{REL_TYPE}/image" Target="media/{}"/>"#,
                index + 1,
                attr(name)
            );
        }
        out.push_str("</Relationships>");
        out
    }

    fn numbering(&self) -> String {
        let mut out = format!(r#"{XML_DECLARATION}<w:numbering xmlns:w="{W_NS}">"#);
        for (id, ordered) in [(0, false), (1, true)] {
            let _ = write!(
                out,
                r#"<w:abstractNum w:abstractNumId="{id}"><w:multiLevelType w:val="hybridMultilevel"/>"#
            );
            for level in 0..9u32 {
                let (format, text) = if ordered {
                    let kind = ["decimal", "lowerLetter", "lowerRoman"][(level % 3) as usize];
                    (kind, format!("%{}.", level + 1))
                } else {
                    ("bullet", ["•", "◦", "▪"][(level % 3) as usize].to_owned())
                };
                let left = LIST_INDENT * (level + 1);
                let _ = write!(
                    out,
                    r#"<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{format}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{left}" w:hanging="360"/></w:pPr></w:lvl>"#
                );
            }
            out.push_str("</w:abstractNum>");
        }
        for (index, (ordered, start, level)) in self.lists.iter().enumerate() {
            let abstract_id = u8::from(*ordered);
            let _ = write!(
                out,
                r#"<w:num w:numId="{}"><w:abstractNumId w:val="{abstract_id}"/><w:lvlOverride w:ilvl="{level}"><w:startOverride w:val="{start}"/></w:lvlOverride></w:num>"#,
                index + 1
            );
        }
        out.push_str("</w:numbering>");
        out
    }
}

fn prose(level: u8) -> Place {
    Place {
        level,
        in_cell: false,
        list_depth: 0,
    }
}

/// Paragraph properties of a list item's first paragraph.
fn list_ppr(num: usize, level: u32) -> String {
    format!(
        r#"<w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{}"/><w:numId w:val="{num}"/></w:numPr>"#,
        level.min(8)
    )
}

/// A run of text: bold and italic when asked, `rpr` (already XML: a character style) first.
/// A newline is a line break, a tab a tab.
pub(crate) fn run(text: &str, bold: bool, italic: bool, rpr: &str) -> String {
    let mut props = String::from(rpr);
    if bold {
        props.push_str("<w:b/>");
    }
    if italic {
        props.push_str("<w:i/>");
    }
    let mut out = String::from("<w:r>");
    if !props.is_empty() {
        let _ = write!(out, "<w:rPr>{props}</w:rPr>");
    }
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push_str("<w:br/>");
        }
        for (piece, chunk) in line.split('\t').enumerate() {
            if piece > 0 {
                out.push_str("<w:tab/>");
            }
            if !chunk.is_empty() {
                let _ = write!(out, r#"<w:t xml:space="preserve">{}</w:t>"#, escape(chunk));
            }
        }
    }
    out.push_str("</w:r>");
    out
}

/// A paragraph of the changes appendix: «Label:» in bold, then the text; inserted text
/// underlined (`w:u`) and deleted text struck through (`w:strike`), each in brackets after its
/// word («[Lagt til: …]», «[Fjernet: …]»), so no change is told by line style alone.
fn change_runs(line: &ChangeLine) -> String {
    let mut out = String::new();
    if !line.label.is_empty() {
        out.push_str(&run(&format!("{}:", line.label), true, false, ""));
        out.push_str(&run(" ", false, false, ""));
    }
    for piece in &line.runs {
        let (word, mark) = match piece.kind {
            RunKind::Same => {
                out.push_str(&run(&piece.text, false, false, ""));
                continue;
            }
            RunKind::Inserted => (INSERTED, r#"<w:u w:val="single"/>"#),
            RunKind::Deleted => (DELETED, "<w:strike/>"),
        };
        out.push_str(&run("[", false, false, ""));
        out.push_str(&run(word, false, true, ""));
        out.push_str(&run(" ", false, false, ""));
        out.push_str(&run(&piece.text, false, false, mark));
        out.push_str(&run("]", false, false, ""));
    }
    out
}

/// Character data: `&`, `<` and `>` escaped, characters XML 1.0 does not allow dropped
/// (control characters other than tab and line feed; a carriage return is a blank).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push(' '),
            '\t' | '\n' => out.push(c),
            '\u{FFFE}' | '\u{FFFF}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An attribute value (quoted with `"`).
pub(crate) fn attr(text: &str) -> String {
    escape(text).replace(['\n', '\t'], " ")
}

/// The running header (title, then the version or «Utkast» at the right margin, bold and
/// coloured for a draft) and the footer with the page number; empty ones for the cover.
pub(crate) fn header(title: &TitleBlock) -> String {
    let version = if title.draft {
        run(&title.version, true, false, r#"<w:color w:val="8A2A0A"/>"#)
    } else {
        run(&title.version, false, false, "")
    };
    format!(
        r#"{XML_DECLARATION}<w:hdr xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:pPr><w:pStyle w:val="Header"/><w:tabs><w:tab w:val="clear" w:pos="4536"/><w:tab w:val="clear" w:pos="9072"/><w:tab w:val="right" w:pos="{TEXT_WIDTH}"/></w:tabs></w:pPr>{}<w:r><w:tab/></w:r>{version}</w:p></w:hdr>"#,
        run(title.display_title(), false, false, "")
    )
}

fn footer() -> String {
    format!(
        r#"{XML_DECLARATION}<w:ftr xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/></w:pPr><w:r><w:t xml:space="preserve">side </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple><w:r><w:t xml:space="preserve"> av </w:t></w:r><w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>"#
    )
}

fn empty_header(tag: &str) -> String {
    format!(r#"{XML_DECLARATION}<w:{tag} xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p/></w:{tag}>"#)
}

/// Styles: Word's built-in names (so Word treats the headings as headings), the language and
/// the fonts in the defaults, and the export's own paragraph styles.
fn styles() -> String {
    let mut out = format!(
        r#"{XML_DECLARATION}<w:styles xmlns:w="{W_NS}"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:eastAsia="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="{LANGUAGE}" w:eastAsia="{LANGUAGE}" w:bidi="ar-SA"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>"#
    );
    out.push_str(r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>"#);
    out.push_str(r#"<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#);
    out.push_str(r#"<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#);
    out.push_str(r#"<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="10"/><w:qFormat/><w:pPr><w:spacing w:after="240"/><w:contextualSpacing/></w:pPr><w:rPr><w:b/><w:sz w:val="48"/><w:szCs w:val="48"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="11"/><w:qFormat/><w:pPr><w:spacing w:after="160"/></w:pPr><w:rPr><w:color w:val="464646"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>"#);
    let sizes = [32, 26, 23, 21, 21, 21];
    for (index, size) in sizes.iter().enumerate() {
        let level = index + 1;
        let italic = if level >= 5 { "<w:i/>" } else { "" };
        let _ = write!(
            out,
            r#"<w:style w:type="paragraph" w:styleId="Heading{level}"><w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="{}" w:after="120"/><w:outlineLvl w:val="{index}"/></w:pPr><w:rPr><w:b/>{italic}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr></w:style>"#,
            if level <= 2 { 360 } else { 240 }
        );
    }
    out.push_str(r#"<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="34"/><w:qFormat/><w:pPr><w:spacing w:after="60"/><w:ind w:left="720"/></w:pPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="29"/><w:qFormat/><w:pPr><w:ind w:left="567" w:right="567"/></w:pPr><w:rPr><w:i/><w:color w:val="404040"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="Tabelltekst"><w:name w:val="Tabelltekst"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="Tabelldetalj"><w:name w:val="Tabelldetalj"/><w:basedOn w:val="Tabelltekst"/><w:qFormat/><w:pPr><w:spacing w:before="60" w:after="0"/></w:pPr><w:rPr><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="Tabellavstand"><w:name w:val="Tabellavstand"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="0" w:line="120" w:lineRule="exact"/></w:pPr><w:rPr><w:sz w:val="8"/><w:szCs w:val="8"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="IkkeSkrevet"><w:name w:val="Ikke skrevet"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:pBdr><w:left w:val="single" w:sz="18" w:space="6" w:color="8A2A0A"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="F4F4F4"/><w:ind w:left="170"/></w:pPr><w:rPr><w:i/><w:color w:val="8A2A0A"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val="center" w:pos="4536"/><w:tab w:val="right" w:pos="9072"/></w:tabs><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:color w:val="555555"/><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:color w:val="555555"/><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:color w:val="1A4F8B"/><w:u w:val="single"/></w:rPr></w:style>"#);
    out.push_str(r#"<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/><w:uiPriority w:val="39"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/><w:left w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/><w:right w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/></w:tblBorders><w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>"#);
    out.push_str("</w:styles>");
    out
}

fn settings() -> String {
    format!(
        r#"{XML_DECLARATION}<w:settings xmlns:w="{W_NS}"><w:zoom w:percent="100"/><w:defaultTabStop w:val="708"/><w:autoHyphenation w:val="false"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat><w:themeFontLang w:val="{LANGUAGE}"/></w:settings>"#
    )
}

/// The parts' content types; `png` when the package holds the logo or another picture.
fn content_types(png: bool) -> String {
    let main = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let png = if png {
        r#"<Default Extension="png" ContentType="image/png"/>"#
    } else {
        ""
    };
    format!(
        r#"{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{png}<Override PartName="/word/document.xml" ContentType="{main}.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="{main}.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="{main}.numbering+xml"/><Override PartName="/word/settings.xml" ContentType="{main}.settings+xml"/><Override PartName="/word/header1.xml" ContentType="{main}.header+xml"/><Override PartName="/word/header2.xml" ContentType="{main}.header+xml"/><Override PartName="/word/footer1.xml" ContentType="{main}.footer+xml"/><Override PartName="/word/footer2.xml" ContentType="{main}.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#
    )
}

fn package_rels() -> String {
    format!(
        r#"{XML_DECLARATION}<Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{REL_TYPE}/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="{REL_TYPE}/extended-properties" Target="docProps/app.xml"/></Relationships>"#
    )
}

/// Core properties from the plan and its template (as the PDF's metadata), dated by the
/// export's date so that the same version gives the same file.
fn core_properties(title: &TitleBlock) -> String {
    let metadata = title.metadata();
    let (year, month, day) = title.date_ymd;
    let date = format!("{year:04}-{month:02}-{day:02}T00:00:00Z");
    format!(
        r#"{XML_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:subject>{}</dc:subject><dc:creator>{}</dc:creator><cp:keywords>{}</cp:keywords><dc:language>{LANGUAGE}</dc:language><dcterms:created xsi:type="dcterms:W3CDTF">{date}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{date}</dcterms:modified></cp:coreProperties>"#,
        escape(&metadata.title),
        escape(&metadata.subject),
        escape(&metadata.author),
        escape(&metadata.keywords.join(", ")),
    )
}

fn app_properties() -> String {
    format!(
        r#"{XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Samskriv</Application></Properties>"#
    )
}

/// The .docx package: its parts in a fixed order, each dated 1980-01-01 (the ZIP format's
/// earliest date), deflated; the cover logo, then the body's other pictures, last.
pub(crate) fn package(
    title: &TitleBlock,
    body: &Body,
    logo: Option<&WordLogo>,
) -> zip::result::ZipResult<Vec<u8>> {
    let parts: [(&str, String); 13] = [
        (
            "[Content_Types].xml",
            content_types(logo.is_some() || !body.pictures.is_empty()),
        ),
        ("_rels/.rels", package_rels()),
        ("docProps/core.xml", core_properties(title)),
        ("docProps/app.xml", app_properties()),
        ("word/document.xml", body.document()),
        ("word/_rels/document.xml.rels", body.document_rels()),
        ("word/styles.xml", styles()),
        ("word/numbering.xml", body.numbering()),
        ("word/settings.xml", settings()),
        ("word/header1.xml", header(title)),
        ("word/header2.xml", empty_header("hdr")),
        ("word/footer1.xml", footer()),
        ("word/footer2.xml", empty_header("ftr")),
    ];
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, xml) in &parts {
        zip.start_file(name, options)?;
        zip.write_all(xml.as_bytes())?;
    }
    if let Some(logo) = logo {
        zip.start_file("word/media/logo.png", options)?;
        zip.write_all(&logo.png)?;
    }
    for (name, png) in &body.pictures {
        zip.start_file(format!("word/media/{name}"), options)?;
        zip.write_all(png)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_invalid_characters_dropped() {
        assert_eq!(
            escape("a<b>&\"c\u{0}\u{1b}d\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;cd"
        );
        assert_eq!(
            run("x\ny\tz", true, false, ""),
            r#"<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">x</w:t><w:br/><w:t xml:space="preserve">y</w:t><w:tab/><w:t xml:space="preserve">z</w:t></w:r>"#
        );
    }

    #[test]
    fn unsafe_links_are_text_and_safe_ones_are_numbered_once() {
        let mut body = Body::default();
        let link = |href: &str| Inline::Text {
            text: "lenke".to_owned(),
            bold: false,
            italic: false,
            link: Some(href.to_owned()),
        };
        let xml = body.inlines(&[
            link("javascript:alert(1)"),
            link("https://www.korus-oslo.no/"),
            link(" https://www.korus-oslo.no/ "),
        ]);
        assert_eq!(xml.matches("<w:hyperlink").count(), 2);
        assert_eq!(body.links, ["https://www.korus-oslo.no/"]);
        assert!(!body.document_rels().contains("javascript"));
    }
}
