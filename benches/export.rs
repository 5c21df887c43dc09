//! Benchmark of the exports: Markdown, PDF/A and Word (.docx) of a large plan, in-process.
//!
//! ```text
//! cargo bench --bench export              # 20 repeats of each measurement
//! cargo bench --bench export -- --quick   # 5 repeats, for CI
//! ```
//!
//! The plan has 300 tiltak (the Nordstrand rows repeated with numbered texts) and about 30
//! pages of prose spread over every prose section, written as the browser editor stores it.
//! Measured, on the export functions alone (the plan view is built once beforehand):
//! - the first export after start ("cold"): for the PDF this includes parsing the embedded
//!   fonts, building typst's standard library and the first compilation of the template;
//! - repeats of the same document (typst reuses memoised work);
//! - repeats where one tiltak changed before each export, as between two real downloads.
//!
//! It prints a markdown table on stdout with p50 and p99 (nearest rank, `tests/support/stats.rs`:
//! p99 is the slowest run when there are fewer than 100) against the targets: Markdown under
//! 20 ms, PDF under 1 s, Word under 1 s, first and repeat. A missed target is reported, not a failure; a failed
//! export is (non-zero exit).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use samskriv::document::plan_view;
use samskriv::export::{self, ExportInfo, sample};
use samskriv::templates::TemplateRegistry;
use support::stats::{median, percentile};

#[path = "../tests/support"]
mod support {
    pub mod stats;
}

const TILTAK: usize = 300;
/// Paragraphs per prose section (about 70 words each, plus a list every fifth).
const PARAGRAPHS_PER_SECTION: usize = 24;
const MARKDOWN_TARGET: Duration = Duration::from_millis(20);
const PDF_TARGET: Duration = Duration::from_secs(1);
const DOCX_TARGET: Duration = Duration::from_secs(1);

fn main() -> Result<()> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let repeats = if quick { 5 } else { 20 };

    let templates = TemplateRegistry::builtin().context("built-in templates")?;
    let template = templates
        .latest("korus-ruspolitisk-handlingsplan")
        .context("korus template")?
        .clone();
    let doc = sample::large_doc(&template, TILTAK, PARAGRAPHS_PER_SECTION)?;
    let view = plan_view(&doc, &template);
    ensure!(view.tiltak.len() == TILTAK, "the plan has {TILTAK} tiltak");
    let info = ExportInfo {
        version: Some("Vedtatt i BU 12.03.2026".to_owned()),
        date_millis: 1_773_316_800_000,
        ..Default::default()
    };
    let words: usize = view
        .sections
        .iter()
        .flat_map(|section| &section.blocks)
        .map(|block| block.plain_text().split_whitespace().count())
        .sum();

    // Cold: the first export of each kind in this process.
    let started = Instant::now();
    let markdown = export::to_markdown(&view, &template, &info);
    let md_cold = started.elapsed();
    let started = Instant::now();
    let pdf = export::to_pdf(&view, &template, &info)?;
    let pdf_cold = started.elapsed();
    let pages = count_pages(&pdf);
    let started = Instant::now();
    let docx = export::to_docx(&view, &template, &info)?;
    let docx_cold = started.elapsed();
    eprintln!("cold: markdown {md_cold:?}, pdf {pdf_cold:?} ({pages} pages), docx {docx_cold:?}");

    let mut md_same = Vec::new();
    let mut pdf_same = Vec::new();
    let mut docx_same = Vec::new();
    for run in 0..repeats {
        let started = Instant::now();
        let again = export::to_markdown(&view, &template, &info);
        md_same.push(started.elapsed());
        ensure!(again == markdown, "Markdown is deterministic");
        let started = Instant::now();
        let again = export::to_pdf(&view, &template, &info)?;
        pdf_same.push(started.elapsed());
        ensure!(again == pdf, "PDF is deterministic");
        let started = Instant::now();
        let again = export::to_docx(&view, &template, &info)?;
        docx_same.push(started.elapsed());
        ensure!(again == docx, ".docx is deterministic");
        eprintln!("repeat {}/{repeats}: pdf {:?}", run + 1, pdf_same[run]);
    }

    let mut md_changed = Vec::new();
    let mut pdf_changed = Vec::new();
    let mut docx_changed = Vec::new();
    let mut changed = view.clone();
    // One row's title changes each run (the template names the title field).
    let title = template
        .title_field()
        .map(|field| field.name.clone())
        .context("the template names its rows")?;
    for run in 0..repeats {
        let row = &mut changed.tiltak[(run * 37) % TILTAK];
        let text = format!("{} (endret {run})", row.text(&title));
        row.fields
            .insert(title.clone(), samskriv::document::FieldValue::Text(text));
        let started = Instant::now();
        let _ = export::to_markdown(&changed, &template, &info);
        md_changed.push(started.elapsed());
        let started = Instant::now();
        let _ = export::to_pdf(&changed, &template, &info)?;
        pdf_changed.push(started.elapsed());
        let started = Instant::now();
        let _ = export::to_docx(&changed, &template, &info)?;
        docx_changed.push(started.elapsed());
        eprintln!("changed {}/{repeats}: pdf {:?}", run + 1, pdf_changed[run]);
    }

    println!("## Export benchmark\n");
    println!(
        "Plan: {TILTAK} tiltak, {words} words of prose; Markdown {} KB, PDF {} KB, {pages} pages, \
         .docx {} KB. {repeats} repeats{}.\n",
        markdown.len() / 1024,
        pdf.len() / 1024,
        docx.len() / 1024,
        if quick { " (--quick)" } else { "" }
    );
    println!(
        "| export | first (cold) | repeat p50 | repeat p99 | one tiltak changed p50 | p99 | target | met |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    row("Markdown", md_cold, &md_same, &md_changed, MARKDOWN_TARGET);
    row("PDF/A-2a", pdf_cold, &pdf_same, &pdf_changed, PDF_TARGET);
    row(
        "Word (.docx)",
        docx_cold,
        &docx_same,
        &docx_changed,
        DOCX_TARGET,
    );
    Ok(())
}

fn row(name: &str, cold: Duration, same: &[Duration], changed: &[Duration], target: Duration) {
    let (same_50, same_99) = (median(same), percentile(same, 99));
    let (changed_50, changed_99) = (median(changed), percentile(changed, 99));
    let met = [cold, same_99, changed_99].iter().all(|d| *d < target);
    println!(
        "| {name} | {} | {} | {} | {} | {} | < {} | {} |",
        ms(cold),
        ms(same_50),
        ms(same_99),
        ms(changed_50),
        ms(changed_99),
        ms(target),
        if met { "yes" } else { "**no**" }
    );
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// Page objects in the PDF (`/Type /Page`, not `/Pages`).
fn count_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|window| window.starts_with(needle) && window[needle.len()] != b's')
        .count()
}
