//! The status report of a status round («statusrunde») for the district council
//! (bydelsutvalget): Markdown, PDF/A-2a (typst, `templates/export/report.typ`) and Word.
//!
//! The rounds code fills a [`StatusReport`]; this module only renders it. Like the plan's
//! exports, every renderer is a pure function of the report (no clock, no files): the same
//! report gives the same bytes. What is printed, in this order, in every format:
//! - the title block: «Statusrapport <round>», «Bydel …», the plan's title, the period, the
//!   deadline, the previous round and the date; an open round's report says
//!   [`PRELIMINARY`] (on the title block and, in the PDF and Word, in the running header);
//! - «Oppsummering»: per group, the count of each status, those not reported, the sum and
//!   the share done ([`StatusReport::done_status`]), with a sum row when there are groups;
//! - a chart of status per group: one labelled bar per status with its number printed, so
//!   nothing is told by colour alone. The PDF draws it in typst; Word gets a PNG drawn from an
//!   SVG of ours by resvg, with the counts as its alternative text. Markdown has no chart (an
//!   image cannot travel inside one Markdown file): the summary table is its text
//!   equivalent;
//! - «Fremdrift per enhet»: each unit's tiltak reported of its total, and those done;
//! - «Tiltak»: each group's tiltak with number, text, units, status (or «Ikke rapportert»),
//!   the change since the previous round («Endret fra Påbegynt», «Uendret») when there was
//!   one, the comment and the indicator's value.
//!
//! Text the report does not have prints as nothing: no placeholder sentences. User text is
//! data in every format, as in the plan's exports: escaped Markdown
//! ([`super::markdown`]'s escaping), strings in the typst data (never markup), XML-escaped
//! character data in Word and in the chart's SVG.

use std::fmt::Write as _;

use serde::Serialize;
use typst::foundations::Datetime;

use super::docx::{self, Body};
use super::markdown::{Mode, one_line, table_md, text_md};
use super::pdf::{clean, text, typeset};
use super::world::ExportWorld;
use super::{Appendix, ExportError, Part, TitleBlock, bydel_name};
use crate::document::{Block, Inline};
use crate::time;

/// What an open round's report says on its title block and running header.
pub const PRELIMINARY: &str = "Foreløpig";
/// What follows [`PRELIMINARY`] on the title block.
pub const PRELIMINARY_NOTE: &str = "Runden er ikke avsluttet, og tallene kan endre seg.";
/// The status of a tiltak without a report in the round.
pub const NOT_REPORTED: &str = "Ikke rapportert";
/// A tiltak whose status is the same as in the previous round.
pub const UNCHANGED: &str = "Uendret";

/// Everything a status report prints, filled by the rounds code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// The plan's title.
    pub plan_title: String,
    /// The plan's district as the plan has it; printed with [`crate::export::bydel_name`].
    pub bydel: String,
    /// The plan's period, e.g. «2025–2028».
    pub periode: String,
    /// The round's name, e.g. «Status 2026».
    pub round_name: String,
    /// The round's deadline as `YYYY-MM-DD`, or "".
    pub deadline: String,
    /// Unix milliseconds printed as the report's date: when the round closed, else the last
    /// report in it. Never "now".
    pub date_millis: i64,
    /// Whether the round is closed; an open round's report is marked «Foreløpig».
    pub closed: bool,
    /// The name of the round before this one, if any.
    pub previous_round: Option<String>,
    /// The template's status options, in order.
    pub statuses: Vec<StatusOption>,
    /// The value of the status option that counts as done («gjennomført»): its counts are
    /// the share done and each unit's `done`; "" (or a value not among `statuses`) for none,
    /// and no share is printed.
    pub done_status: String,
    /// The label of the template's `group_by` field («Mål», «Strategi»); "" when the
    /// template does not group.
    pub group_label: String,
    /// The tiltak grouped by the template's `group_by` (one group labelled "" when none).
    pub groups: Vec<ReportGroup>,
    /// Progress per responsible unit.
    pub units: Vec<UnitProgress>,
}

/// One of the template's status options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusOption {
    pub value: String,
    pub label: String,
}

/// One group of tiltak (a goal or strategi) with its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportGroup {
    /// The group's label ("" for the one group when the template does not group).
    pub label: String,
    /// The number of tiltak per status, by index in [`StatusReport::statuses`].
    pub counts: Vec<usize>,
    /// The number of tiltak without a report in this round.
    pub not_reported: usize,
    pub tiltak: Vec<ReportTiltak>,
}

/// One tiltak's status in the round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportTiltak {
    /// The tiltak's number, e.g. «4.5-9», the plan's one numbering.
    pub number: String,
    /// The tiltak's title text.
    pub text: String,
    /// The responsible units.
    pub units: Vec<String>,
    /// The status option's value; `None` when not reported.
    pub status: Option<String>,
    /// The status option's value in the previous round.
    pub previous_status: Option<String>,
    pub comment: String,
    /// What the plan says the indicator is ("" if none).
    pub indicator: String,
    pub indicator_value: String,
}

/// How far one unit has come in the round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitProgress {
    pub unit: String,
    /// Tiltak the unit is responsible for.
    pub total: usize,
    /// Of those, reported in this round.
    pub reported: usize,
    /// Of those, reported with the done status.
    pub done: usize,
}

// ---------------------------------------------------------------------------------------------
// What every format prints
// ---------------------------------------------------------------------------------------------

/// A table of plain text: its column headings and rows (each format escapes the text). The
/// plan's exports print it too, in the appendix «Status for forrige plan» ([`Part::Table`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TextTable {
    pub columns: Vec<String>,
    /// Relative column widths, for the PDF and Word.
    pub widths: Vec<f32>,
    pub rows: Vec<Vec<String>>,
}

/// One bar of the chart: the status's label, its count, and its fill (one per status,
/// white for «Ikke rapportert»).
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Bar {
    label: String,
    count: usize,
    fill: &'static str,
}

/// Fills of the bars by the status's index (cycled), light enough for the printed number to
/// be read beside them in black; the label says which status a bar is.
const FILLS: [&str; 6] = [
    "#1f4e79", "#4f81bd", "#9dc3e6", "#8a2a0a", "#d9a38a", "#7f7f7f",
];
/// The fill of the «Ikke rapportert» bar (drawn with an outline).
const NOT_REPORTED_FILL: &str = "#ffffff";

/// One tiltak row of a group's table: plain cells in [`StatusReport::tiltak_columns`] order,
/// and «Label: value» lines under the comment's cell (the indicator's value).
#[derive(Debug, Clone, PartialEq)]
struct TiltakRow {
    cells: Vec<String>,
    details: Vec<(String, String)>,
}

impl StatusReport {
    /// «Statusrapport Status 2026».
    fn title(&self) -> String {
        let round = self.round_name.trim();
        if round.is_empty() {
            "Statusrapport".to_owned()
        } else {
            format!("Statusrapport {round}")
        }
    }

    /// The title block as the plan's exports have it, so that Word's header and document
    /// properties and the PDF's metadata are written the same way: the plan's title where the
    /// plan has the kind of plan, [`PRELIMINARY`] as the version of an open round's report.
    fn title_block(&self) -> TitleBlock {
        TitleBlock {
            title: self.title(),
            template_title: self.plan_title.trim().to_owned(),
            bydel: bydel_name(&self.bydel),
            periode: self.periode.trim().to_owned(),
            status: String::new(),
            version: if self.closed {
                bydel_name(&self.bydel)
            } else {
                PRELIMINARY.to_owned()
            },
            draft: !self.closed,
            place: String::new(),
            date: time::oslo_date_display(self.date_millis),
            date_ymd: time::oslo_date(self.date_millis),
        }
    }

    /// The title block's «Label: value» lines the report has.
    fn facts(&self) -> Vec<(&'static str, String)> {
        [
            ("Periode", self.periode.trim().to_owned()),
            ("Frist", display_date(&self.deadline)),
            (
                "Forrige runde",
                self.previous_round
                    .as_deref()
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
            ),
            ("Dato", time::oslo_date_display(self.date_millis)),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect()
    }

    /// The label of a status value (the value itself when the template no longer has it).
    fn status_label(&self, value: &str) -> String {
        self.statuses
            .iter()
            .find(|option| option.value == value)
            .map_or_else(|| value.to_owned(), |option| option.label.clone())
    }

    /// The index of the done status in `statuses`.
    fn done_index(&self) -> Option<usize> {
        if self.done_status.is_empty() {
            return None;
        }
        self.statuses
            .iter()
            .position(|option| option.value == self.done_status)
    }

    /// «Andel gjennomført».
    fn share_heading(&self) -> Option<String> {
        self.done_index()
            .map(|index| format!("Andel {}", self.statuses[index].label.trim().to_lowercase()))
    }

    /// The name a group goes by: its label, «Alle tiltak» for the one group of a template
    /// that does not group, «Andre tiltak» for those without a group among groups.
    pub(crate) fn group_name(&self, group: &ReportGroup) -> String {
        if !group.label.trim().is_empty() {
            group.label.clone()
        } else if self.groups.len() == 1 {
            "Alle tiltak".to_owned()
        } else {
            "Andre tiltak".to_owned()
        }
    }

    /// «Status per mål», the chart's heading.
    fn chart_heading(&self) -> String {
        let label = self.group_label.trim();
        if label.is_empty() || self.groups.len() < 2 {
            "Status for tiltakene".to_owned()
        } else {
            format!("Status per {}", label.to_lowercase())
        }
    }

    /// Per group: the count of each status, those not reported, the sum and the share done;
    /// a sum row when there is more than one group.
    pub(crate) fn summary(&self) -> TextTable {
        let group_heading = match self.group_label.trim() {
            "" => "Tiltak".to_owned(),
            label => label.to_owned(),
        };
        let mut columns = vec![group_heading];
        columns.extend(self.statuses.iter().map(|option| option.label.clone()));
        columns.push(NOT_REPORTED.to_owned());
        columns.push("Sum".to_owned());
        let share = self.share_heading();
        columns.extend(share.clone());
        let mut widths = vec![2.6];
        widths.resize(columns.len(), 1.0);
        let row = |name: String, counts: &[usize], not_reported: usize| {
            let mut cells = vec![name];
            let total: usize = counts.iter().sum::<usize>() + not_reported;
            cells.extend((0..self.statuses.len()).map(|i| count_at(counts, i).to_string()));
            cells.push(not_reported.to_string());
            cells.push(total.to_string());
            if let Some(index) = self.done_index() {
                cells.push(percent(count_at(counts, index), total));
            }
            cells
        };
        let mut rows: Vec<Vec<String>> = self
            .groups
            .iter()
            .map(|group| row(self.group_name(group), &group.counts, group.not_reported))
            .collect();
        if self.groups.len() > 1 {
            let sums: Vec<usize> = (0..self.statuses.len())
                .map(|i| self.groups.iter().map(|g| count_at(&g.counts, i)).sum())
                .collect();
            let not_reported = self.groups.iter().map(|g| g.not_reported).sum();
            rows.push(row("Sum".to_owned(), &sums, not_reported));
        }
        TextTable {
            columns,
            widths,
            rows,
        }
    }

    /// The chart's bars per group: one per status, then «Ikke rapportert».
    fn chart(&self) -> Vec<(String, Vec<Bar>)> {
        self.groups
            .iter()
            .map(|group| {
                let mut bars: Vec<Bar> = self
                    .statuses
                    .iter()
                    .enumerate()
                    .map(|(index, option)| Bar {
                        label: option.label.clone(),
                        count: count_at(&group.counts, index),
                        fill: FILLS[index % FILLS.len()],
                    })
                    .collect();
                bars.push(Bar {
                    label: NOT_REPORTED.to_owned(),
                    count: group.not_reported,
                    fill: NOT_REPORTED_FILL,
                });
                (self.group_name(group), bars)
            })
            .collect()
    }

    /// The chart in words, for Word's alternative text: «Mål 1: Gjennomført 3, … .».
    fn chart_description(&self) -> String {
        let mut out = format!("Diagram: {}.", self.chart_heading());
        for (name, bars) in self.chart() {
            let counts: Vec<String> = bars
                .iter()
                .map(|bar| format!("{} {}", bar.label, bar.count))
                .collect();
            let _ = write!(out, " {name}: {}.", counts.join(", "));
        }
        out
    }

    /// Each unit's tiltak reported of its total, and those done.
    fn unit_table(&self) -> TextTable {
        let mut columns = vec!["Enhet".to_owned(), "Rapportert".to_owned()];
        let done = self
            .done_index()
            .map(|index| self.statuses[index].label.clone());
        columns.extend(done.clone());
        let rows = self
            .units
            .iter()
            .map(|unit| {
                let mut cells = vec![
                    unit.unit.clone(),
                    format!("{} av {}", unit.reported, unit.total),
                ];
                if done.is_some() {
                    cells.push(unit.done.to_string());
                }
                cells
            })
            .collect();
        let mut widths = vec![3.0];
        widths.resize(columns.len(), 1.2);
        TextTable {
            columns,
            widths,
            rows,
        }
    }

    /// The columns of the tiltak tables: «Endring siden …» when there was a round before,
    /// «Kommentar» when a tiltak has a comment or an indicator's value.
    fn tiltak_columns(&self) -> TextTable {
        let mut columns = vec![
            super::NUMBER_COLUMN.to_owned(),
            "Tiltak".to_owned(),
            "Ansvarlig".to_owned(),
            "Status".to_owned(),
        ];
        let mut widths = vec![1.2, 3.6, 2.2, 2.0];
        if let Some(previous) = self.change_heading() {
            columns.push(previous);
            widths.push(2.2);
        }
        if self.has_comments() {
            columns.push("Kommentar".to_owned());
            widths.push(3.6);
        }
        TextTable {
            columns,
            widths,
            rows: Vec::new(),
        }
    }

    fn change_heading(&self) -> Option<String> {
        let previous = self.previous_round.as_deref()?.trim();
        Some(if previous.is_empty() {
            "Endring".to_owned()
        } else {
            format!("Endring siden {previous}")
        })
    }

    fn has_comments(&self) -> bool {
        self.groups
            .iter()
            .flat_map(|g| &g.tiltak)
            .any(|t| !t.comment.trim().is_empty() || !t.indicator_value.trim().is_empty())
    }

    /// A tiltak's cells, in [`StatusReport::tiltak_columns`] order.
    fn tiltak_row(&self, tiltak: &ReportTiltak) -> TiltakRow {
        let mut cells = vec![
            tiltak.number.clone(),
            tiltak.text.clone(),
            tiltak.units.join(", "),
            tiltak
                .status
                .as_deref()
                .map_or_else(|| NOT_REPORTED.to_owned(), |value| self.status_label(value)),
        ];
        if self.previous_round.is_some() {
            cells.push(self.change(tiltak));
        }
        let mut details = Vec::new();
        if self.has_comments() {
            cells.push(tiltak.comment.trim().to_owned());
            let value = tiltak.indicator_value.trim();
            if !value.is_empty() {
                let indicator = tiltak.indicator.trim();
                let value = if indicator.is_empty() {
                    value.to_owned()
                } else {
                    format!("{indicator}: {value}")
                };
                details.push(("Indikator".to_owned(), value));
            }
        }
        TiltakRow { cells, details }
    }

    /// «Endret fra Påbegynt», «Uendret», or "" when either round has no status.
    fn change(&self, tiltak: &ReportTiltak) -> String {
        match (tiltak.status.as_deref(), tiltak.previous_status.as_deref()) {
            (Some(now), Some(before)) if now == before => UNCHANGED.to_owned(),
            (Some(_), Some(before)) => format!("Endret fra {}", self.status_label(before)),
            _ => String::new(),
        }
    }

    /// A group's tiltak as a table of plain text, [`StatusReport::tiltak_columns`] and a row
    /// per tiltak, its «Label: value» lines after the last cell's text («… · Indikator: 12»):
    /// for formats that print a cell as one line (Markdown, and the plan's appendix).
    pub(crate) fn tiltak_table(&self, group: &ReportGroup) -> TextTable {
        let columns = self.tiltak_columns();
        let rows = group
            .tiltak
            .iter()
            .map(|tiltak| {
                let TiltakRow { mut cells, details } = self.tiltak_row(tiltak);
                if let Some(last) = cells.last_mut() {
                    for (label, detail) in &details {
                        if !last.is_empty() {
                            last.push_str(" · ");
                        }
                        let _ = write!(last, "{label}: {detail}");
                    }
                }
                cells
            })
            .collect();
        TextTable { rows, ..columns }
    }

    /// The columns of the tiltak tables whose cells are never hyphenated: units, status and
    /// the change since the previous round.
    pub(crate) fn tiltak_whole(&self) -> Vec<usize> {
        let columns = if self.previous_round.is_some() { 5 } else { 4 };
        (2..columns).collect()
    }
}

fn count_at(counts: &[usize], index: usize) -> usize {
    counts.get(index).copied().unwrap_or(0)
}

/// «43 %» (rounded, a no-break space before the sign); "" of nothing.
fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return String::new();
    }
    let share = (part as f64 * 100.0 / whole as f64).round();
    format!("{share}\u{a0}%")
}

/// `2026-03-01` as «01.03.2026»; anything else as it is.
fn display_date(value: &str) -> String {
    let value = value.trim();
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [year, month, day]
            if year.len() == 4
                && month.len() == 2
                && day.len() == 2
                && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            format!("{day}.{month}.{year}")
        }
        _ => value.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/// The report as GitHub-flavoured Markdown, escaped as the plan's Markdown export is. Pure and
/// deterministic.
pub fn to_markdown(report: &StatusReport) -> String {
    let title = report.title_block();
    let mut chunks = vec![format!("# {}", one_line(&title.title))];
    let cover: Vec<String> = [title.bydel.as_str(), title.template_title.as_str()]
        .into_iter()
        .filter(|value| !value.is_empty())
        .map(|value| text_md(value, Mode::ListItem))
        .collect();
    if !cover.is_empty() {
        chunks.push(cover.join(" · "));
    }
    if !report.closed {
        chunks.push(format!("**{PRELIMINARY}.** {PRELIMINARY_NOTE}"));
    }
    let facts = report.facts();
    if !facts.is_empty() {
        chunks.push(
            facts
                .iter()
                .map(|(label, value)| format!("- **{label}:** {}", one_line(value)))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    chunks.push("## Oppsummering".to_owned());
    chunks.push(text_table_md(&report.summary()));
    if !report.units.is_empty() {
        chunks.push("## Fremdrift per enhet".to_owned());
        chunks.push(text_table_md(&report.unit_table()));
    }
    chunks.push("## Tiltak".to_owned());
    for group in &report.groups {
        if !group.label.trim().is_empty() {
            chunks.push(format!("### {}", one_line(&group.label)));
        }
        let table = report.tiltak_table(group);
        if !table.rows.is_empty() {
            chunks.push(text_table_md(&table));
        }
    }
    let mut out = chunks.join("\n\n");
    out.push('\n');
    out
}

/// A table of plain text as a pipe table (the headings are escaped by [`table_md`]).
pub(crate) fn text_table_md(table: &TextTable) -> String {
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| row.iter().map(|cell| one_line(cell)).collect())
        .collect();
    table_md(&table.columns, &rows)
}

// ---------------------------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------------------------

/// The data `templates/export/report.typ` lays out, read as `report = json("/plan.json")`:
/// the whole contract between Rust and that template. Every string is text to print.
#[derive(Debug, Clone, Serialize)]
struct PdfReport {
    /// `report.title`: «Statusrapport …», the title and the page header.
    title: String,
    /// `report.meta_title`, `report.subject`, `report.author`, `report.keywords`: the PDF's
    /// document properties, plain.
    meta_title: String,
    subject: String,
    author: String,
    keywords: Vec<String>,
    /// `report.bydel`, `report.plan`: under the title ("" for none).
    bydel: String,
    plan: String,
    /// `report.preliminary`: «Foreløpig» and its note for an open round, else "".
    preliminary: String,
    preliminary_note: String,
    /// `report.facts`: `(label, value)` pairs under the title.
    facts: Vec<(String, String)>,
    /// `report.header`: the right side of the running header.
    header: String,
    year: i32,
    month: u8,
    day: u8,
    /// `report.summary`, `report.units`: data tables (`units` is none without units).
    summary: PdfTable,
    units: Option<PdfTable>,
    /// `report.chart`: the chart's heading, the largest count (the bars' scale) and per group
    /// its `name` and `bars` (`{label, count, fill}`).
    chart: PdfChart,
    /// `report.tiltak`: the columns of every group's table and the groups.
    tiltak: PdfTiltak,
}

#[derive(Debug, Clone, Serialize)]
struct PdfTable {
    columns: Vec<String>,
    widths: Vec<f32>,
    rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
struct PdfChart {
    heading: String,
    max: usize,
    groups: Vec<PdfChartGroup>,
}

#[derive(Debug, Clone, Serialize)]
struct PdfChartGroup {
    name: String,
    bars: Vec<Bar>,
}

/// `columns`, `widths` and per group its `label` ("" for no heading) and `rows`, each
/// `{cells, details: [{label, value}]}` with the details under the last cell; the cells of
/// the columns in `whole` (units, status, change) are never hyphenated.
#[derive(Debug, Clone, Serialize)]
struct PdfTiltak {
    columns: Vec<String>,
    widths: Vec<f32>,
    whole: Vec<usize>,
    groups: Vec<PdfTiltakGroup>,
}

#[derive(Debug, Clone, Serialize)]
struct PdfTiltakGroup {
    label: String,
    rows: Vec<PdfTiltakRow>,
}

#[derive(Debug, Clone, Serialize)]
struct PdfTiltakRow {
    cells: Vec<String>,
    details: Vec<PdfDetail>,
}

#[derive(Debug, Clone, Serialize)]
struct PdfDetail {
    label: String,
    value: String,
}

impl PdfTable {
    fn of(table: &TextTable) -> Self {
        PdfTable {
            columns: texts(&table.columns),
            widths: table.widths.clone(),
            rows: table.rows.iter().map(|row| texts(row)).collect(),
        }
    }
}

fn texts(values: &[String]) -> Vec<String> {
    values.iter().map(|value| text(value)).collect()
}

impl PdfReport {
    fn new(report: &StatusReport) -> Self {
        let title = report.title_block();
        let metadata = title.metadata();
        let (year, month, day) = title.date_ymd;
        let chart = report.chart();
        let columns = report.tiltak_columns();
        PdfReport {
            title: text(&title.title),
            meta_title: clean(&metadata.title),
            subject: clean(&metadata.subject),
            author: clean(&metadata.author),
            keywords: metadata.keywords.iter().map(|k| clean(k)).collect(),
            bydel: text(&title.bydel),
            plan: text(&title.template_title),
            preliminary: if report.closed { "" } else { PRELIMINARY }.to_owned(),
            preliminary_note: if report.closed { "" } else { PRELIMINARY_NOTE }.to_owned(),
            facts: report
                .facts()
                .into_iter()
                .map(|(label, value)| (label.to_owned(), text(&value)))
                .collect(),
            header: text(&title.version),
            year,
            month,
            day,
            summary: PdfTable::of(&report.summary()),
            units: (!report.units.is_empty()).then(|| PdfTable::of(&report.unit_table())),
            chart: PdfChart {
                heading: text(&report.chart_heading()),
                max: chart
                    .iter()
                    .flat_map(|(_, bars)| bars.iter().map(|bar| bar.count))
                    .max()
                    .unwrap_or(0),
                groups: chart
                    .into_iter()
                    .map(|(name, bars)| PdfChartGroup {
                        name: text(&name),
                        bars: bars
                            .into_iter()
                            .map(|bar| Bar {
                                label: text(&bar.label),
                                ..bar
                            })
                            .collect(),
                    })
                    .collect(),
            },
            tiltak: PdfTiltak {
                whole: report.tiltak_whole(),
                columns: texts(&columns.columns),
                widths: columns.widths,
                groups: report
                    .groups
                    .iter()
                    .map(|group| PdfTiltakGroup {
                        label: text(&group.label),
                        rows: group
                            .tiltak
                            .iter()
                            .map(|tiltak| {
                                let row = report.tiltak_row(tiltak);
                                PdfTiltakRow {
                                    cells: texts(&row.cells),
                                    details: row
                                        .details
                                        .iter()
                                        .map(|(label, value)| PdfDetail {
                                            label: text(label),
                                            value: text(value),
                                        })
                                        .collect(),
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            },
        }
    }
}

/// The report as PDF/A-2a bytes, typeset like the plan (same fonts, world and standard).
/// Pure and deterministic; CPU-bound: call it from a blocking thread.
pub fn to_pdf(report: &StatusReport) -> Result<Vec<u8>, ExportError> {
    let data = PdfReport::new(report);
    let json = serde_json::to_vec(&data)?;
    let (year, month, day) = (data.year, data.month, data.day);
    let date = Datetime::from_ymd(year, month, day)
        .ok_or_else(|| ExportError::Typeset(format!("invalid date {year}-{month}-{day}")))?;
    let world = ExportWorld::report(json, date);
    let ident = format!(
        "samskriv:statusrapport:{}:{}:{}:{}",
        report.plan_title, report.round_name, report.closed, report.date_millis
    );
    typeset(&world, &ident, date)
}

// ---------------------------------------------------------------------------------------------
// Word
// ---------------------------------------------------------------------------------------------

/// The chart's width in the SVG's user units, and its width in Word (the text width).
const CHART_UNITS: f32 = 640.0;
const CHART_WIDTH_EMU: u64 = docx::TEXT_WIDTH as u64 * 635;
/// Pixels of the PNG per SVG user unit (1600 px wide: sharp when printed).
const CHART_SCALE: f32 = 2.5;

/// The report as a .docx file, written with the plan's Word writer (styles, header, package).
/// Pure and deterministic.
pub fn to_docx(report: &StatusReport) -> Result<Vec<u8>, ExportError> {
    let title = report.title_block();
    let mut body = Body::default();
    let plain = |value: &str| docx::run(value, false, false, "");
    body.paragraph(r#"<w:pStyle w:val="Title"/>"#, &plain(&title.title));
    for line in [&title.bydel, &title.template_title] {
        if !line.is_empty() {
            body.paragraph(r#"<w:pStyle w:val="Subtitle"/>"#, &plain(line));
        }
    }
    if !report.closed {
        body.paragraph(
            r#"<w:spacing w:before="240"/>"#,
            &format!(
                "{}{}",
                docx::run(
                    &format!("{PRELIMINARY}."),
                    true,
                    false,
                    r#"<w:color w:val="8A2A0A"/>"#
                ),
                plain(&format!(" {PRELIMINARY_NOTE}"))
            ),
        );
    }
    for (index, (label, value)) in report.facts().iter().enumerate() {
        let spacing = if index == 0 {
            r#"<w:spacing w:before="240" w:after="60"/>"#
        } else {
            r#"<w:spacing w:after="60"/>"#
        };
        body.paragraph(
            spacing,
            &format!(
                "{}{}",
                docx::run(&format!("{label}:"), true, false, ""),
                plain(&format!(" {value}"))
            ),
        );
    }

    body.heading_with(1, "", "Oppsummering", "");
    data_table(&mut body, &report.summary());

    body.heading_with(1, "", &report.chart_heading(), "");
    let (svg, height) = chart_svg(report);
    let png = super::logo::svg_to_png(&svg, CHART_SCALE)
        .map_err(|e| ExportError::Docx(format!("the chart could not be drawn: {e}")))?;
    let (rid, id) = body.add_picture("statusdiagram.png", png);
    let cy = (CHART_WIDTH_EMU as f64 * f64::from(height) / f64::from(CHART_UNITS)).round() as u64;
    body.paragraph(
        "",
        &docx::picture_run(
            &rid,
            id,
            "Statusdiagram",
            "statusdiagram.png",
            &report.chart_description(),
            CHART_WIDTH_EMU,
            cy,
        ),
    );

    if !report.units.is_empty() {
        body.heading_with(1, "", "Fremdrift per enhet", "");
        data_table(&mut body, &report.unit_table());
    }

    body.heading_with(1, "", "Tiltak", "");
    let columns = report.tiltak_columns();
    let widths = twips(&columns.widths);
    for group in &report.groups {
        if !group.label.trim().is_empty() {
            body.heading_with(2, "", &group.label, "");
        }
        if group.tiltak.is_empty() {
            continue;
        }
        body.table_start(&widths);
        body.header_row(&columns.columns, &widths);
        for tiltak in &group.tiltak {
            let row = report.tiltak_row(tiltak);
            let last = row.cells.len() - 1;
            body.xml.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            for (index, (cell, width)) in row.cells.iter().zip(&widths).enumerate() {
                body.cell_start(*width, "");
                body.paragraph(r#"<w:pStyle w:val="Tabelltekst"/>"#, &plain(cell));
                if index == last {
                    for (label, value) in &row.details {
                        let runs = format!(
                            "{}{}",
                            docx::run(&format!("{label}:"), true, false, ""),
                            plain(&format!(" {value}"))
                        );
                        body.paragraph(r#"<w:pStyle w:val="Tabelldetalj"/>"#, &runs);
                    }
                }
                body.xml.push_str("</w:tc>");
            }
            body.xml.push_str("</w:tr>");
        }
        body.xml.push_str("</w:tbl>");
        body.spacer();
    }
    docx::package(&title, &body, None).map_err(|e| ExportError::Docx(e.to_string()))
}

pub(crate) fn data_table(body: &mut Body, table: &TextTable) {
    let columns: Vec<&str> = table.columns.iter().map(String::as_str).collect();
    body.data_table(&columns, &table.widths, &table.rows);
}

/// Relative widths as twentieths of a point across the text width.
fn twips(widths: &[f32]) -> Vec<u32> {
    let total: f32 = widths.iter().sum::<f32>().max(1.0);
    widths
        .iter()
        .map(|w| (docx::TEXT_WIDTH as f32 * w / total).round() as u32)
        .collect()
}

/// Text cut to `max` characters, «…» at the end when cut (a line of the chart cannot wrap;
/// the tables print it whole).
fn cut(value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() <= max {
        value.to_owned()
    } else {
        let mut out: String = value.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// The chart as an SVG document of ours, and its height in user units: per group its name,
/// then one row per status: label, bar (scaled to the largest count), number. User text is
/// XML-escaped character data.
fn chart_svg(report: &StatusReport) -> (String, f32) {
    const LABEL_X: f32 = 12.0;
    const BAR_X: f32 = 180.0;
    const BAR_MAX: f32 = 400.0;
    const ROW: f32 = 20.0;
    let chart = report.chart();
    let max = chart
        .iter()
        .flat_map(|(_, bars)| bars.iter().map(|bar| bar.count))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut shapes = String::new();
    let mut y = 8.0_f32;
    for (name, bars) in &chart {
        y += 18.0;
        let _ = write!(
            shapes,
            r#"<text x="0" y="{y}" font-weight="bold" font-size="12">{}</text>"#,
            docx::escape(&cut(name, 90))
        );
        y += 6.0;
        for bar in bars {
            let top = y + 3.0;
            let _ = write!(
                shapes,
                r#"<text x="{LABEL_X}" y="{}" font-size="11">{}</text>"#,
                y + 14.0,
                docx::escape(&cut(&bar.label, 26))
            );
            let width = BAR_MAX * bar.count as f32 / max as f32;
            if bar.count > 0 {
                let _ = write!(
                    shapes,
                    r##"<rect x="{BAR_X}" y="{top}" width="{width:.1}" height="14" fill="{}" stroke="#404040" stroke-width="0.8"/>"##,
                    bar.fill
                );
            }
            let _ = write!(
                shapes,
                r#"<text x="{:.1}" y="{}" font-size="11">{}</text>"#,
                BAR_X + width + 6.0,
                y + 14.0,
                bar.count
            );
            y += ROW;
        }
    }
    let height = (y + 10.0).round();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_UNITS}" height="{height}" viewBox="0 0 {CHART_UNITS} {height}" font-family="Noto Sans"><rect width="100%" height="100%" fill="#ffffff"/>{shapes}</svg>"##
    );
    (svg, height)
}

// ---------------------------------------------------------------------------------------------
// The plan's appendix «Status for forrige plan»
// ---------------------------------------------------------------------------------------------

/// The heading of the appendix a rolled-over plan's exports add when asked
/// (`previous_status`): the previous plan's last closed round.
pub const PREVIOUS_STATUS_HEADING: &str = "Status for forrige plan";

impl StatusReport {
    /// The appendix `number` («Vedlegg N») of the plan made from this report's plan: which
    /// plan and round it is (with the round's facts), the summary per group and each group's
    /// tiltak with number, text, units, status and comment, as the report prints them.
    pub(crate) fn appendix<'a>(&self, number: String) -> Appendix<'a> {
        let fact = |label: &str, value: &str| Block::Paragraph {
            content: vec![
                Inline::Text {
                    text: format!("{label}:"),
                    bold: true,
                    italic: false,
                    link: None,
                },
                Inline::Text {
                    text: format!(" {}", value.trim()),
                    bold: false,
                    italic: false,
                    link: None,
                },
            ],
        };
        let mut blocks = vec![Block::Paragraph {
            content: vec![Inline::Text {
                text:
                    "Status for tiltakene i forrige plan etter den siste avsluttede statusrunden."
                        .to_owned(),
                bold: false,
                italic: false,
                link: None,
            }],
        }];
        for (label, value) in [
            ("Plan", self.plan_title.as_str()),
            ("Statusrunde", self.round_name.as_str()),
        ] {
            if !value.trim().is_empty() {
                blocks.push(fact(label, value));
            }
        }
        blocks.extend(self.facts().iter().map(|(label, value)| fact(label, value)));
        let mut parts = vec![
            Part::Blocks { level: 1, blocks },
            Part::SubHeading {
                level: 1,
                text: "Oppsummering".to_owned(),
            },
            Part::Table {
                table: self.summary(),
                whole: Vec::new(),
            },
            Part::SubHeading {
                level: 1,
                text: "Tiltak".to_owned(),
            },
        ];
        for group in &self.groups {
            if !group.label.trim().is_empty() {
                parts.push(Part::SubHeading {
                    level: 2,
                    text: group.label.clone(),
                });
            }
            let table = self.tiltak_table(group);
            if !table.rows.is_empty() {
                parts.push(Part::Table {
                    table,
                    whole: self.tiltak_whole(),
                });
            }
        }
        Appendix {
            number,
            heading: PREVIOUS_STATUS_HEADING.to_owned(),
            parts,
        }
    }
}

#[cfg(test)]
mod tests {
    use comrak::nodes::{AstNode, NodeValue};
    use comrak::{Arena, Options, parse_document};

    use super::*;

    /// 12 March 2026, 12:00 UTC.
    const CLOSED_AT: i64 = 1_773_316_800_000;

    fn option(value: &str, label: &str) -> StatusOption {
        StatusOption {
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }

    fn tiltak(
        number: &str,
        text: &str,
        status: Option<&str>,
        before: Option<&str>,
    ) -> ReportTiltak {
        ReportTiltak {
            number: number.to_owned(),
            text: text.to_owned(),
            units: vec!["Forebyggende tjenester".to_owned()],
            status: status.map(str::to_owned),
            previous_status: before.map(str::to_owned),
            ..ReportTiltak::default()
        }
    }

    fn report() -> StatusReport {
        StatusReport {
            plan_title: "Ruspolitisk handlingsplan for Bydel Nordstrand".to_owned(),
            bydel: "Nordstrand".to_owned(),
            periode: "2025–2028".to_owned(),
            round_name: "Status 2026".to_owned(),
            deadline: "2026-03-01".to_owned(),
            date_millis: CLOSED_AT,
            closed: true,
            previous_round: Some("Status 2025".to_owned()),
            statuses: vec![
                option("ikke_startet", "Ikke startet"),
                option("pabegynt", "Påbegynt"),
                option("gjennomfort", "Gjennomført"),
                option("utsatt", "Utsatt"),
            ],
            done_status: "gjennomfort".to_owned(),
            group_label: "Mål".to_owned(),
            groups: vec![
                ReportGroup {
                    label: "Færre unge debuterer med rus".to_owned(),
                    counts: vec![0, 1, 2, 0],
                    not_reported: 1,
                    tiltak: vec![
                        ReportTiltak {
                            comment: "Holdt åpent hver fredag".to_owned(),
                            indicator: "Antall besøk".to_owned(),
                            indicator_value: "412".to_owned(),
                            ..tiltak(
                                "4.5-1",
                                "Ungdomsklubb fredag kveld",
                                Some("gjennomfort"),
                                Some("pabegynt"),
                            )
                        },
                        tiltak(
                            "4.5-2",
                            "Foreldremøter om alkohol",
                            Some("gjennomfort"),
                            Some("gjennomfort"),
                        ),
                        tiltak("4.5-3", "Uteteam i helgene", Some("pabegynt"), None),
                        tiltak("4.5-4", "Kurs for selgere", None, Some("ikke_startet")),
                    ],
                },
                ReportGroup {
                    label: "Tidlig hjelp".to_owned(),
                    counts: vec![0, 0, 0, 1],
                    not_reported: 0,
                    tiltak: vec![ReportTiltak {
                        comment: "Mangler midler i 2026".to_owned(),
                        units: vec!["Helse".to_owned(), "NAV".to_owned()],
                        ..tiltak("4.6-1", "Samtaletilbud", Some("utsatt"), Some("pabegynt"))
                    }],
                },
            ],
            units: vec![
                UnitProgress {
                    unit: "Forebyggende tjenester".to_owned(),
                    total: 4,
                    reported: 3,
                    done: 2,
                },
                UnitProgress {
                    unit: "Helse".to_owned(),
                    total: 1,
                    reported: 1,
                    done: 0,
                },
            ],
        }
    }

    const HOSTILE: &str = "#set page(fill: red) <script>alert(1)</script> [x](javascript:alert(1)) $x$ `kode` *fet* \u{0}";

    /// Every user text of the report made hostile.
    fn hostile() -> StatusReport {
        let mut report = report();
        let evil = |what: &str| format!("{what} {HOSTILE}");
        report.plan_title = evil("Plan");
        report.bydel = evil("Bydel");
        report.periode = evil("2025");
        report.round_name = evil("Runde");
        report.deadline = evil("frist");
        report.previous_round = Some(evil("Forrige"));
        report.group_label = evil("Gruppe");
        report.statuses[1].label = evil("Påbegynt");
        for group in &mut report.groups {
            group.label = evil(&group.label);
            for tiltak in &mut group.tiltak {
                tiltak.number = evil(&tiltak.number);
                tiltak.text = evil(&tiltak.text);
                tiltak.units = vec![evil("Enhet")];
                tiltak.comment = evil("Kommentar");
                tiltak.indicator = evil("Indikator");
                tiltak.indicator_value = evil("12");
            }
        }
        report.units[0].unit = evil("Enhet");
        report
    }

    fn open(mut report: StatusReport) -> StatusReport {
        report.closed = false;
        report
    }

    // -- reading the formats back ---------------------------------------------------------

    /// Node kinds of a parsed Markdown document that user text must never make.
    fn markdown_markup(markdown: &str) -> Vec<String> {
        fn walk<'a>(node: &'a AstNode<'a>, found: &mut Vec<String>) {
            let value = node.data().value.clone();
            if matches!(
                value,
                NodeValue::HtmlBlock(_)
                    | NodeValue::HtmlInline(_)
                    | NodeValue::CodeBlock(_)
                    | NodeValue::Code(_)
                    | NodeValue::Math(_)
                    | NodeValue::Link(_)
                    | NodeValue::Image(_)
                    | NodeValue::Emph
                    | NodeValue::Strikethrough
                    | NodeValue::ThematicBreak
            ) {
                found.push(format!("{value:?}"));
            }
            for child in node.children() {
                walk(child, found);
            }
        }
        let mut options = Options::default();
        options.extension.table = true;
        options.extension.strikethrough = true;
        options.extension.autolink = true;
        options.extension.math_dollars = true;
        let arena = Arena::new();
        let mut found = Vec::new();
        walk(parse_document(&arena, markdown, &options), &mut found);
        found
    }

    fn pdf_text(pdf: &[u8]) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rapport.pdf");
        std::fs::write(&path, pdf).expect("pdf written");
        let output = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext runs (apt-get install -y poppler-utils)");
        assert!(output.status.success(), "pdftotext failed");
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// Whether any page of the PDF, drawn by poppler's `pdftoppm`, has a pixel of `rgb`.
    fn pdf_has_colour(pdf: &[u8], rgb: [u8; 3]) -> bool {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rapport.pdf");
        std::fs::write(&path, pdf).expect("pdf written");
        let status = std::process::Command::new("pdftoppm")
            .args(["-r", "40", "-png"])
            .arg(&path)
            .arg(dir.path().join("side"))
            .status()
            .expect("pdftoppm runs (apt-get install -y poppler-utils)");
        assert!(status.success());
        let mut pages: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "png"))
            .collect();
        pages.sort();
        assert!(!pages.is_empty());
        pages.iter().any(|page| {
            let (pixels, channels) = decode(&std::fs::read(page).expect("page"));
            pixels
                .chunks(channels)
                .any(|px| px[..3].iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6))
        })
    }

    /// A PNG's pixels (8-bit) and channels per pixel.
    fn decode(png_bytes: &[u8]) -> (Vec<u8>, usize) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("png");
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).expect("frame");
        pixels.truncate(info.buffer_size());
        (pixels, info.color_type.samples())
    }

    fn docx_entry(bytes: &[u8], name: &str) -> Vec<u8> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut file = archive
            .by_name(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut out).expect("read");
        out
    }

    fn docx_xml(bytes: &[u8], name: &str) -> String {
        String::from_utf8(docx_entry(bytes, name)).expect("UTF-8")
    }

    /// The text of the document's `w:t` runs, unescaped, one space between runs.
    fn docx_text(xml: &str) -> String {
        xml.split("<w:t")
            .skip(1)
            .filter_map(|piece| {
                let piece = piece.strip_prefix('>').or_else(|| {
                    piece
                        .strip_prefix(' ')
                        .and_then(|rest| rest.split_once('>').map(|(_, text)| text))
                })?;
                piece.split_once("</w:t>").map(|(text, _)| text)
            })
            .map(|text| {
                text.replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&")
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Blanks, line breaks and hyphenation at them do not count.
    fn squeeze(text: &str) -> String {
        text.replace(['\u{AD}', '\u{200B}'], "")
            .replace("-\n", "-")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    // -- the tests -----------------------------------------------------------------------

    #[test]
    fn summary_counts_shares_and_changes() {
        let report = report();
        let summary = report.summary();
        assert_eq!(
            summary.columns,
            [
                "Mål",
                "Ikke startet",
                "Påbegynt",
                "Gjennomført",
                "Utsatt",
                "Ikke rapportert",
                "Sum",
                "Andel gjennomført"
            ]
        );
        assert_eq!(
            summary.rows,
            [
                [
                    "Færre unge debuterer med rus",
                    "0",
                    "1",
                    "2",
                    "0",
                    "1",
                    "4",
                    "50\u{a0}%"
                ],
                ["Tidlig hjelp", "0", "0", "0", "1", "0", "1", "0\u{a0}%"],
                ["Sum", "0", "1", "2", "1", "1", "5", "40\u{a0}%"],
            ]
        );
        let rows: Vec<TiltakRow> = report.groups[0]
            .tiltak
            .iter()
            .map(|t| report.tiltak_row(t))
            .collect();
        assert_eq!(
            rows[0].cells,
            [
                "4.5-1",
                "Ungdomsklubb fredag kveld",
                "Forebyggende tjenester",
                "Gjennomført",
                "Endret fra Påbegynt",
                "Holdt åpent hver fredag"
            ]
        );
        assert_eq!(
            rows[0].details,
            [("Indikator".to_owned(), "Antall besøk: 412".to_owned())]
        );
        assert_eq!(rows[1].cells[4], UNCHANGED);
        assert_eq!(rows[2].cells[4], "", "no status in the round before");
        assert_eq!(rows[3].cells[3], NOT_REPORTED);
        assert_eq!(rows[3].cells[4], "");
        assert_eq!(rows[3].cells[5], "", "no placeholder for a missing comment");

        // Without a done status there is no share, without a round before no change column,
        // without comments no comment column.
        let mut plain = report.clone();
        plain.done_status = String::new();
        plain.previous_round = None;
        for tiltak in plain.groups.iter_mut().flat_map(|g| &mut g.tiltak) {
            tiltak.comment.clear();
            tiltak.indicator_value.clear();
        }
        assert!(
            !plain
                .summary()
                .columns
                .iter()
                .any(|c| c.starts_with("Andel"))
        );
        assert_eq!(
            plain.tiltak_columns().columns,
            ["Nr.", "Tiltak", "Ansvarlig", "Status"]
        );
        assert_eq!(plain.unit_table().columns, ["Enhet", "Rapportert"]);
    }

    #[test]
    fn markdown_has_title_summary_units_and_tiltak() {
        let markdown = to_markdown(&report());
        assert!(markdown.starts_with("# Statusrapport Status 2026\n\nBydel Nordstrand · Ruspolitisk handlingsplan for Bydel Nordstrand\n\n- **Periode:** 2025–2028\n- **Frist:** 01.03.2026\n- **Forrige runde:** Status 2025\n- **Dato:** 12.03.2026\n\n## Oppsummering\n"), "{markdown}");
        for expected in [
            "| Mål | Ikke startet | Påbegynt | Gjennomført | Utsatt | Ikke rapportert | Sum | Andel gjennomført |",
            "| Færre unge debuterer med rus | 0 | 1 | 2 | 0 | 1 | 4 | 50\u{a0}% |",
            "| Sum | 0 | 1 | 2 | 1 | 1 | 5 | 40\u{a0}% |",
            "## Fremdrift per enhet",
            "| Forebyggende tjenester | 3 av 4 | 2 |",
            "## Tiltak",
            "### Færre unge debuterer med rus",
            "| Nr. | Tiltak | Ansvarlig | Status | Endring siden Status 2025 | Kommentar |",
            "| 4.5-1 | Ungdomsklubb fredag kveld | Forebyggende tjenester | Gjennomført | Endret fra Påbegynt | Holdt åpent hver fredag · Indikator: Antall besøk: 412 |",
            "| 4.5-4 | Kurs for selgere | Forebyggende tjenester | Ikke rapportert |  |  |",
            "| 4.6-1 | Samtaletilbud | Helse, NAV | Utsatt | Endret fra Påbegynt | Mangler midler i 2026 |",
        ] {
            assert!(markdown.contains(expected), "{expected}\n{markdown}");
        }
        assert!(!markdown.contains(PRELIMINARY));
        assert!(markdown_markup(&markdown).is_empty());
    }

    #[test]
    fn an_open_round_says_preliminary_everywhere() {
        let report = open(report());
        let markdown = to_markdown(&report);
        assert!(markdown.contains(&format!("**{PRELIMINARY}.** {PRELIMINARY_NOTE}")));

        let pdf = squeeze(&pdf_text(&to_pdf(&report).expect("pdf")));
        assert!(
            pdf.contains(&format!("{PRELIMINARY}. {PRELIMINARY_NOTE}")),
            "{pdf}"
        );
        // The running header of the pages after the first.
        assert!(pdf.matches(PRELIMINARY).count() >= 2, "{pdf}");

        let docx = to_docx(&report).expect("docx");
        let document = docx_text(&docx_xml(&docx, "word/document.xml"));
        assert!(document.contains(PRELIMINARY), "{document}");
        let header = docx_xml(&docx, "word/header1.xml");
        assert!(header.contains(PRELIMINARY) && header.contains("8A2A0A"));

        let closed = to_docx(&super::tests::report()).expect("docx");
        assert!(!docx_xml(&closed, "word/header1.xml").contains(PRELIMINARY));
        assert!(!docx_text(&docx_xml(&closed, "word/document.xml")).contains(PRELIMINARY));
    }

    #[test]
    fn pdf_prints_numbers_statuses_comments_and_draws_the_chart() {
        let report = report();
        let first = to_pdf(&report).expect("pdf");
        let second = to_pdf(&report).expect("pdf");
        assert!(
            first == second,
            "the same report must give the same PDF bytes"
        );
        let raw = String::from_utf8_lossy(&first);
        assert!(raw.contains("<pdfaid:part>2</pdfaid:part>"));
        assert!(raw.contains("<pdfaid:conformance>A</pdfaid:conformance>"));
        assert!(
            raw.contains("Statusrapport Status 2026"),
            "the document title"
        );

        let text = squeeze(&pdf_text(&first));
        for expected in [
            "Statusrapport Status 2026",
            "Bydel Nordstrand",
            "Ruspolitisk handlingsplan for Bydel Nordstrand",
            "01.03.2026",
            "12.03.2026",
            "Oppsummering",
            "Status per mål",
            "Fremdrift per enhet",
            "3 av 4",
            "Endret fra Påbegynt",
            "Uendret",
            "Holdt åpent hver fredag",
            "Mangler midler i 2026",
            "Antall besøk: 412",
            "4.6-1",
            "Ikke rapportert",
            "50 %",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        assert!(!text.contains(PRELIMINARY));
        // The chart: a labelled bar per status, its number beside it, drawn in the status's
        // fill (the first status has none in this report, the third has).
        let chart = text
            .split("Status per mål")
            .nth(1)
            .and_then(|rest| rest.split("Fremdrift per enhet").next())
            .expect("the chart between the summary and the units");
        assert!(
            chart.contains("Ikke startet Påbegynt Gjennomført Utsatt Ikke rapportert"),
            "{chart}"
        );
        let mut numbers: Vec<&str> = chart
            .split_whitespace()
            .filter(|word| word.parse::<usize>().is_ok())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, ["0", "0", "0", "0", "0", "0", "1", "1", "1", "2"]);
        assert!(pdf_has_colour(&first, [0x9d, 0xc3, 0xe6]), "a drawn bar");
        assert!(
            !pdf_has_colour(&first, [0x1f, 0x4e, 0x79]),
            "no bar of a count 0"
        );
    }

    #[test]
    fn docx_prints_numbers_statuses_comments_and_embeds_the_chart() {
        let report = report();
        let first = to_docx(&report).expect("docx");
        assert!(first == to_docx(&report).expect("docx"), "same bytes twice");

        let document = docx_xml(&first, "word/document.xml");
        let text = docx_text(&document);
        for expected in [
            "Statusrapport Status 2026",
            "Bydel Nordstrand",
            "Oppsummering",
            "Status per mål",
            "Andel gjennomført",
            "50\u{a0}%",
            "3 av 4",
            "Endret fra Påbegynt",
            "Uendret",
            "Holdt åpent hver fredag",
            "Antall besøk: 412",
            "Ikke rapportert",
            "Helse, NAV",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        // The chart: a PNG in word/media, in the document with its counts as alternative
        // text, and a picture content type.
        assert!(document.contains(r#"r:embed="rIdPicture1""#));
        assert!(document.contains("Færre unge debuterer med rus: Ikke startet 0, Påbegynt 1, Gjennomført 2, Utsatt 0, Ikke rapportert 1."));
        let rels = docx_xml(&first, "word/_rels/document.xml.rels");
        assert!(rels.contains(r#"Id="rIdPicture1""#) && rels.contains("media/statusdiagram.png"));
        assert!(docx_xml(&first, "[Content_Types].xml").contains("image/png"));
        let png_bytes = docx_entry(&first, "word/media/statusdiagram.png");
        let (pixels, channels) = decode(&png_bytes);
        assert!(
            pixels
                .chunks(channels)
                .any(|px| px[..3] == [0x9d, 0xc3, 0xe6]),
            "a drawn bar"
        );
        let core = docx_xml(&first, "docProps/core.xml");
        assert!(core.contains("<dc:title>Statusrapport Status 2026</dc:title>"));
        assert!(core.contains("2026-03-12T00:00:00Z"));
    }

    #[test]
    fn hostile_text_is_inert_in_every_format() {
        let report = hostile();
        let markdown = to_markdown(&report);
        let markup = markdown_markup(&markdown);
        assert!(markup.is_empty(), "{markup:?}\n{markdown}");
        assert!(!markdown.contains("<script>"));

        let pdf = to_pdf(&report).expect("hostile text never breaks the PDF");
        let text = squeeze(&pdf_text(&pdf));
        assert!(
            text.contains("#set page(fill: red)"),
            "printed, not run: {text}"
        );
        assert!(text.contains("<script>alert(1)</script>"), "{text}");

        let docx = to_docx(&report).expect("docx");
        let document = docx_xml(&docx, "word/document.xml");
        assert!(!document.contains("<script>"));
        assert!(document.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!document.contains('\u{0}'));
        assert!(docx_text(&document).contains("[x](javascript:alert(1))"));
        let (svg, _) = chart_svg(&report);
        assert!(!svg.contains("<script>"));
        let png_bytes = docx_entry(&docx, "word/media/statusdiagram.png");
        assert!(png_bytes.starts_with(b"\x89PNG"));
    }

    #[test]
    fn one_ungrouped_group_and_nothing_reported_print_without_placeholders() {
        let mut report = report();
        report.group_label = String::new();
        report.previous_round = None;
        report.deadline = String::new();
        report.units.clear();
        report.groups = vec![ReportGroup {
            label: String::new(),
            counts: vec![0; 4],
            not_reported: 1,
            tiltak: vec![tiltak("1", "Ett tiltak", None, None)],
        }];
        let markdown = to_markdown(&report);
        assert!(
            markdown.contains("| Alle tiltak | 0 | 0 | 0 | 0 | 1 | 1 | 0\u{a0}% |"),
            "{markdown}"
        );
        assert!(!markdown.contains("Frist"));
        assert!(!markdown.contains("Fremdrift per enhet"));
        assert!(!markdown.contains("###"));
        assert!(to_pdf(&report).is_ok());
        assert!(to_docx(&report).is_ok());
    }

    #[test]
    fn dates_print_as_norwegian_dates() {
        assert_eq!(display_date("2026-03-01"), "01.03.2026");
        assert_eq!(display_date(" 1. mars "), "1. mars");
        assert_eq!(display_date(""), "");
        assert_eq!(percent(1, 3), "33\u{a0}%");
        assert_eq!(percent(0, 0), "");
    }

    /// LibreOffice opens the .docx (with its picture) and finds the report's text. Skipped
    /// with a note when `soffice` is missing.
    #[test]
    fn libreoffice_opens_the_docx() {
        if std::process::Command::new("soffice")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("SKIPPED: soffice not found (apt-get install -y libreoffice-writer-nogui)");
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let docx = dir.path().join("rapport.docx");
        std::fs::write(&docx, to_docx(&open(report())).expect("docx")).expect("written");
        let profile = format!(
            "-env:UserInstallation=file://{}/profile",
            dir.path().display()
        );
        let output = std::process::Command::new("soffice")
            .args([
                profile.as_str(),
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
            ])
            .arg(dir.path())
            .arg(&docx)
            .output()
            .expect("soffice runs");
        let pdf = dir.path().join("rapport.pdf");
        assert!(
            output.status.success() && pdf.exists(),
            "LibreOffice could not convert the .docx: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let pdf = std::fs::read(&pdf).expect("pdf");
        let text = squeeze(&pdf_text(&pdf));
        for expected in [
            "Statusrapport Status 2026",
            "Foreløpig",
            "Holdt åpent hver fredag",
            "3 av 4",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        assert!(
            pdf_has_colour(&pdf, [0x9d, 0xc3, 0xe6]),
            "the chart's picture"
        );
    }

    // -- the plan's appendix «Status for forrige plan» ---------------------------------------

    /// The Nordstrand sample (which has one appendix of its own) and export information that
    /// asks for the previous plan's status, and for what changed when `changes`.
    fn plan_with_previous(
        report: StatusReport,
        changes: bool,
    ) -> (
        crate::templates::Template,
        crate::document::PlanView,
        super::super::ExportInfo,
    ) {
        let template = crate::templates::TemplateRegistry::builtin()
            .expect("templates")
            .latest("korus-ruspolitisk-handlingsplan")
            .expect("template")
            .clone();
        let doc = super::super::sample::nordstrand_doc(&template).expect("sample");
        let view = crate::document::plan_view(&doc, &template);
        let info = super::super::ExportInfo {
            version: Some("Vedtatt".to_owned()),
            date_millis: CLOSED_AT,
            previous_status: Some(report),
            changes: changes.then(|| super::super::ChangesAppendix {
                since: "Høringsutkast".to_owned(),
                diff: crate::document::diff(&view, &view, &template),
            }),
            ..Default::default()
        };
        (template, view, info)
    }

    /// What the appendix must print of [`report`]: the round, statuses, units and comments.
    const APPENDIX_FACTS: [&str; 11] = [
        "Status 2026",
        "4.5-1",
        "Ungdomsklubb fredag kveld",
        "Gjennomført",
        "Endret fra Påbegynt",
        "Holdt åpent",
        "4.6-1",
        "Utsatt",
        "Mangler midler",
        "Forebyggende tjenester",
        "Ikke rapportert",
    ];

    #[test]
    fn the_plan_appendix_in_markdown() {
        let (template, view, info) = plan_with_previous(report(), true);
        let markdown = super::super::to_markdown(&view, &template, &info);
        assert_eq!(
            markdown,
            super::super::to_markdown(&view, &template, &info),
            "reproducible"
        );
        // After the plan's own appendix, before what changed (always the last).
        let own = markdown
            .find("\n## Vedlegg 1 ")
            .expect("the plan's appendix");
        let at = markdown
            .find("\n## Vedlegg 2 Status for forrige plan\n")
            .expect("the appendix");
        let changes = markdown
            .find("\n## Vedlegg 3 Endringer siden Høringsutkast\n")
            .expect("the changes");
        assert!(own < at && at < changes);
        let appendix = &markdown[at..changes];
        for fact in APPENDIX_FACTS {
            assert!(appendix.contains(fact), "{fact}: {appendix}");
        }
        assert!(
            appendix.contains("\n**Statusrunde:** Status 2026\n"),
            "{appendix}"
        );
        assert!(appendix.contains("### Oppsummering"), "{appendix}");
        // The summary's counts per status of the first group, then the tiltak's rows.
        assert!(
            appendix.contains("| Færre unge debuterer med rus | 0 | 1 | 2 | 0 | 1 | 4 |"),
            "{appendix}"
        );
        assert!(appendix.contains("#### Tidlig hjelp"), "{appendix}");
        assert!(
            appendix.contains(
                "| 4.6-1 | Samtaletilbud | Helse, NAV | Utsatt | Endret fra Påbegynt | \
                 Mangler midler i 2026 |"
            ),
            "{appendix}"
        );

        // Without it, no such appendix: what changed is Vedlegg 2.
        let (_, _, mut without) = plan_with_previous(report(), true);
        without.previous_status = None;
        let plain = super::super::to_markdown(&view, &template, &without);
        assert!(!plain.contains("Status for forrige plan"));
        assert!(plain.contains("## Vedlegg 2 Endringer siden Høringsutkast"));

        // Hostile text of the old plan stays text.
        let (template, view, info) = plan_with_previous(hostile(), false);
        let markdown = super::super::to_markdown(&view, &template, &info);
        let appendix = markdown
            .split_once("Status for forrige plan\n")
            .expect("the appendix")
            .1;
        assert_eq!(
            markdown_markup(appendix),
            Vec::<String>::new(),
            "{appendix}"
        );
        assert!(appendix.contains("alert(1)"));
    }

    #[test]
    fn the_plan_appendix_in_pdf() {
        let (template, view, info) = plan_with_previous(report(), true);
        let pdf = super::super::to_pdf(&view, &template, &info).expect("pdf");
        assert!(
            pdf == super::super::to_pdf(&view, &template, &info).expect("pdf"),
            "reproducible"
        );
        let text = squeeze(&pdf_text(&pdf));
        let at = text
            .find("Vedlegg 2 Status for forrige plan")
            .unwrap_or_else(|| panic!("{text}"));
        let changes = text
            .rfind("Vedlegg 3 Endringer siden Høringsutkast")
            .unwrap_or_else(|| panic!("{text}"));
        assert!(at < changes);
        let appendix = &text[at..changes];
        for fact in APPENDIX_FACTS {
            assert!(appendix.contains(fact), "{fact}: {appendix}");
        }
        assert!(appendix.contains("Statusrunde: Status 2026"), "{appendix}");

        let (_, _, mut without) = plan_with_previous(report(), false);
        without.previous_status = None;
        let plain = pdf_text(&super::super::to_pdf(&view, &template, &without).expect("pdf"));
        assert!(!plain.contains("Status for forrige plan"));

        let (template, view, info) = plan_with_previous(hostile(), false);
        let text = squeeze(&pdf_text(
            &super::super::to_pdf(&view, &template, &info).expect("hostile text typesets"),
        ));
        assert!(text.contains("#set page(fill: red)"), "{text}");
    }

    #[test]
    fn the_plan_appendix_in_docx() {
        let (template, view, info) = plan_with_previous(report(), true);
        let docx = super::super::to_docx(&view, &template, &info).expect("docx");
        assert!(
            docx == super::super::to_docx(&view, &template, &info).expect("docx"),
            "reproducible"
        );
        let text = docx_text(&docx_xml(&docx, "word/document.xml"));
        let at = text
            .find("Vedlegg 2 Status for forrige plan")
            .unwrap_or_else(|| panic!("{text}"));
        let changes = text
            .find("Vedlegg 3 Endringer siden Høringsutkast")
            .unwrap_or_else(|| panic!("{text}"));
        assert!(at < changes);
        let appendix = &text[at..changes];
        for fact in APPENDIX_FACTS {
            assert!(appendix.contains(fact), "{fact}: {appendix}");
        }

        let (_, _, mut without) = plan_with_previous(report(), false);
        without.previous_status = None;
        let plain = super::super::to_docx(&view, &template, &without).expect("docx");
        assert!(!docx_text(&docx_xml(&plain, "word/document.xml")).contains("forrige plan"));

        let (template, view, info) = plan_with_previous(hostile(), false);
        let docx = super::super::to_docx(&view, &template, &info).expect("docx");
        let xml = docx_xml(&docx, "word/document.xml");
        assert!(!xml.contains("<script>"));
        assert!(docx_text(&xml).contains("<script>alert(1)</script>"));
    }
}
