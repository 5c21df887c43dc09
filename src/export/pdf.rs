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
//! patterns instead.

use std::sync::Mutex;

use serde_json::{Value, json};
use typst::foundations::{Datetime, Smart};
use typst::layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::world::{ExportWorld, warm_up};
use super::{Appendix, ExportDoc, ExportError, ExportInfo, MILESTONE_COLUMNS, Part, yes_no};
use crate::document::{Block, Cell, Inline, PlanView};
use crate::links::is_safe_href;
use crate::templates::Template;

/// The PDF/A part and conformance level every export claims (and typst's writer enforces).
pub const PDF_STANDARD: &str = "PDF/A-2a";

/// Words longer than this get break opportunities.
pub const LONG_WORD: usize = 30;
/// Characters between two inserted break opportunities.
pub const WORD_CHUNK: usize = 15;

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
    let data = plan_json(view, template, info);
    let json = serde_json::to_vec(&data)?;
    let (year, month, day) = crate::time::oslo_date(info.date_millis);
    let date = Datetime::from_ymd(year, month, day)
        .ok_or_else(|| ExportError::Typeset(format!("invalid date {year}-{month}-{day}")))?;
    let world = ExportWorld::new(json, date);
    let standards =
        PdfStandards::new(&[PdfStandard::A_2a]).map_err(|e| ExportError::Pdf(e.to_string()))?;
    // A stable identifier: the same plan version gets the same PDF document id.
    let ident = format!(
        "samskriv:{}:{}:{}",
        view.meta.title,
        info.version.as_deref().unwrap_or(""),
        info.date_millis
    );
    let options = PdfOptions {
        ident: Smart::Custom(&ident),
        timestamp: Some(Timestamp::new_utc(date)),
        page_ranges: None,
        standards,
        tagged: true,
    };
    let _guard = COMPILE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = typst::compile::<PagedDocument>(&world).output;
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

/// The data the typst template lays out. Every string is text to print, nothing else.
pub fn plan_json(view: &PlanView, template: &Template, info: &ExportInfo) -> Value {
    let doc = ExportDoc::build(view, template, info);
    let title = &doc.title;
    let (year, month, day) = title.date_ymd;
    let body: Vec<Value> = doc.parts.iter().map(part_json).collect();
    let appendices: Vec<Value> = doc.appendices.iter().map(appendix_json).collect();
    let display_title = if title.title.trim().is_empty() {
        title.template_title.clone()
    } else {
        title.title.clone()
    };
    json!({
        "title": text(&display_title),
        // Document metadata: the plain title, without break opportunities.
        "meta_title": clean(&display_title),
        "template": text(&title.template_title),
        "bydel": text(&title.bydel),
        "periode": text(&title.periode),
        "status": text(&title.status),
        "version": text(&title.version),
        "date": text(&title.date),
        "year": year,
        "month": month,
        "day": day,
        "body": body,
        "appendices": appendices,
    })
}

fn part_json(part: &Part<'_>) -> Value {
    match part {
        Part::Heading {
            level,
            number,
            text: heading,
        } => json!({"k": "h", "level": level, "num": text(number), "text": text(heading)}),
        Part::Prose { level, blocks } => {
            json!({"k": "blocks", "blocks": blocks_json(blocks, *level)})
        }
        Part::Tiltak {
            level,
            columns,
            groups,
        } => json!({
            "k": "tiltak",
            "level": level + 1,
            "columns": columns.iter().map(|c| text(c)).collect::<Vec<_>>(),
            "groups": groups.iter().map(|group| json!({
                "label": text(&group.label),
                "rows": group.rows.iter().map(|row| row.iter().map(|c| text(c)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Part::Milestones(milestones) => json!({
            "k": "milestones",
            "columns": MILESTONE_COLUMNS,
            "rows": milestones.iter().map(|m| vec![
                text(&m.title), text(&m.date), text(&m.responsible), yes_no(m.done).to_owned(),
            ]).collect::<Vec<_>>(),
        }),
        Part::Checklist(items) => json!({
            "k": "list",
            "items": items.iter().map(|i| text(i)).collect::<Vec<_>>(),
        }),
        Part::Note(note) => json!({"k": "note", "text": text(note)}),
    }
}

fn appendix_json(appendix: &Appendix) -> Value {
    json!({
        "heading": text(&appendix.heading),
        "items": appendix.items.iter().map(|i| text(i)).collect::<Vec<_>>(),
    })
}

/// Prose blocks; `level` is the heading level of the section they belong to.
fn blocks_json(blocks: &[Block], level: u8) -> Vec<Value> {
    blocks
        .iter()
        .filter(|block| !block.is_blank())
        .map(|block| block_json(block, level))
        .collect()
}

fn block_json(block: &Block, level: u8) -> Value {
    match block {
        Block::Paragraph { content } => json!({"k": "p", "runs": runs_json(content)}),
        Block::Heading {
            level: own,
            content,
        } => json!({
            "k": "h",
            "level": level.saturating_add(own.saturating_sub(2)).clamp(1, 6),
            "runs": runs_json(content),
        }),
        Block::BulletList { items } => json!({
            "k": "ul",
            "items": items.iter().map(|item| blocks_json(&item.blocks, level)).collect::<Vec<_>>(),
        }),
        Block::OrderedList { start, items } => json!({
            "k": "ol",
            "start": start,
            "items": items.iter().map(|item| blocks_json(&item.blocks, level)).collect::<Vec<_>>(),
        }),
        Block::Blockquote { blocks } => json!({"k": "quote", "blocks": blocks_json(blocks, level)}),
        Block::Table { rows } => {
            let width = rows.iter().map(Vec::len).max().unwrap_or(0);
            let header = rows
                .first()
                .is_some_and(|row| row.iter().any(|cell| cell.header));
            json!({
                "k": "table",
                "width": width,
                "header": header,
                "rows": rows.iter().map(|row| {
                    let mut cells: Vec<Value> = row.iter().map(|cell| cell_json(cell, level)).collect();
                    cells.resize(width, json!([]));
                    cells
                }).collect::<Vec<_>>(),
            })
        }
        Block::Unknown { text: plain, .. } => json!({
            "k": "p",
            "runs": runs_json(&[Inline::Text { text: plain.clone(), bold: false, italic: false, link: None }]),
        }),
    }
}

fn cell_json(cell: &Cell, level: u8) -> Value {
    Value::Array(blocks_json(&cell.blocks, level))
}

/// Inline runs: `{"t": text, "b": bold, "i": italic, "href": link?}` or `{"br": true}`.
fn runs_json(inlines: &[Inline]) -> Vec<Value> {
    let mut runs = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::HardBreak => runs.push(json!({"br": true})),
            Inline::Text {
                text: content,
                bold,
                italic,
                link,
            } => {
                for (index, line) in content.split('\n').enumerate() {
                    if index > 0 {
                        runs.push(json!({"br": true}));
                    }
                    if line.is_empty() {
                        continue;
                    }
                    let mut run = json!({"t": text(line), "b": bold, "i": italic});
                    if let Some(href) = link.as_deref().filter(|href| is_safe_href(href)) {
                        run["href"] = Value::String(clean(href.trim()));
                    }
                    runs.push(run);
                }
            }
        }
    }
    runs
}

/// Text without control characters (other than line breaks) and with break opportunities in
/// very long words.
pub fn text(value: &str) -> String {
    breakable(&clean(value))
}

fn clean(value: &str) -> String {
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

/// Inserts U+200B every [`WORD_CHUNK`] characters into words longer than [`LONG_WORD`].
fn breakable(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut word: Vec<char> = Vec::new();
    let flush = |word: &mut Vec<char>, out: &mut String| {
        if word.len() > LONG_WORD {
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
    use super::*;

    #[test]
    fn long_words_get_break_opportunities_and_short_ones_do_not() {
        assert_eq!(
            breakable("rusmiddelpolitikken er viktig"),
            "rusmiddelpolitikken er viktig"
        );
        let long = "a".repeat(40);
        let broken = breakable(&long);
        assert_eq!(broken.matches('\u{200B}').count(), 2);
        assert_eq!(broken.replace('\u{200B}', ""), long);
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(text("a\u{0}b\tc\nd"), "a b c\nd");
    }
}
