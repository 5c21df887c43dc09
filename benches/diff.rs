//! Benchmark of the comparison of two versions: [`samskriv::document::diff`] of a large plan and
//! an edited copy of it, in-process.
//!
//! ```text
//! cargo bench --bench diff              # 20 repeats
//! cargo bench --bench diff -- --quick   # 5 repeats, for CI
//! ```
//!
//! The plan is the export benchmark's: 300 tiltak (the Nordstrand rows repeated with numbered
//! texts) and about 30 pages of prose. The newer version has every tenth tiltak's title
//! rewritten, every twentieth row's group field moved to the next option, ten rows added and
//! five removed, and a sentence changed in every second paragraph of every prose section: far
//! more than changes between a høring draft and the adopted plan. Measured on the comparison
//! alone (both plan views are built beforehand, as the service reads two versions first), and
//! separately the reading of the two frozen states into plan views. The target: under 200 ms.
//!
//! It prints a markdown table on stdout with p50 and p99 (nearest rank, `tests/support/stats.rs`:
//! p99 is the slowest run when there are fewer than 100). A missed target is reported, not a
//! failure; a wrong result is (non-zero exit).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use samskriv::document::{self, Block, Change, FieldValue, Inline, PlanView, plan_view};
use samskriv::export::sample;
use samskriv::templates::TemplateRegistry;
use support::stats::{median, percentile};

#[path = "../tests/support"]
mod support {
    pub mod stats;
}

const TILTAK: usize = 300;
/// Paragraphs per prose section, as the export benchmark.
const PARAGRAPHS_PER_SECTION: usize = 24;
const TARGET: Duration = Duration::from_millis(200);

fn main() -> Result<()> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let repeats = if quick { 5 } else { 20 };

    let templates = TemplateRegistry::builtin().context("built-in templates")?;
    let template = templates
        .latest("korus-ruspolitisk-handlingsplan")
        .context("korus template")?
        .clone();
    let doc = sample::large_doc(&template, TILTAK, PARAGRAPHS_PER_SECTION)?;
    let frozen = samskriv::version::freeze(&doc);
    let from = plan_view(&doc, &template);
    ensure!(from.tiltak.len() == TILTAK, "the plan has {TILTAK} tiltak");
    let to = edited(&from, &template)?;
    let words: usize = from
        .sections
        .iter()
        .flat_map(|section| &section.blocks)
        .map(|block| block.plain_text().split_whitespace().count())
        .sum();

    // Reading a frozen version, as the service does for each side.
    let mut reads = Vec::new();
    for _ in 0..repeats {
        let started = Instant::now();
        let thawed = samskriv::version::thaw(&frozen).map_err(anyhow::Error::msg)?;
        let view = plan_view(&thawed, &template);
        reads.push(started.elapsed());
        ensure!(
            view.tiltak.len() == TILTAK,
            "a thawed version has its tiltak"
        );
    }

    let started = Instant::now();
    let first = document::diff(&from, &to, &template);
    let cold = started.elapsed();
    let count = |change| {
        first
            .tiltak
            .iter()
            .filter(|row| row.change == change)
            .count()
    };
    ensure!(count(Change::Added) == 10, "ten rows added");
    ensure!(count(Change::Removed) == 5, "five rows removed");
    ensure!(count(Change::Changed) >= 25, "rows changed");
    ensure!(!first.sections.is_empty(), "prose changed");
    ensure!(
        first
            .tiltak
            .iter()
            .all(|row| row.number.is_some() && row.name.starts_with("tiltak ")),
        "every changed row is named by its number"
    );
    let mut runs = Vec::new();
    for _ in 0..repeats {
        let started = Instant::now();
        let again = document::diff(&from, &to, &template);
        runs.push(started.elapsed());
        ensure!(again == first, "the comparison is deterministic");
    }
    let json = serde_json::to_vec(&first)?.len();

    println!("## Diff benchmark\n");
    println!(
        "Plan: {TILTAK} tiltak, {words} words of prose; {} sections and {} tiltak changed \
         ({} added, {} removed); the JSON is {} KB. {repeats} repeats{}.\n",
        first.sections.len(),
        first.tiltak.len(),
        count(Change::Added),
        count(Change::Removed),
        json / 1024,
        if quick { " (--quick)" } else { "" }
    );
    println!("| measurement | first | p50 | p99 | target | met |");
    println!("|---|---|---|---|---|---|");
    let (p50, p99) = (median(&runs), percentile(&runs, 99));
    println!(
        "| diff of two versions | {} | {} | {} | < {} | {} |",
        ms(cold),
        ms(p50),
        ms(p99),
        ms(TARGET),
        if cold < TARGET && p99 < TARGET {
            "yes"
        } else {
            "**no**"
        }
    );
    let (p50, p99) = (median(&reads), percentile(&reads, 99));
    println!(
        "| reading one frozen version (each side) | – | {} | {} | – | – |",
        ms(p50),
        ms(p99)
    );
    Ok(())
}

/// A later version of the plan: titles rewritten, rows regrouped, added and removed, and a
/// sentence changed in every second paragraph.
fn edited(from: &PlanView, template: &samskriv::templates::Template) -> Result<PlanView> {
    let mut to = from.clone();
    let title = template
        .title_field()
        .map(|field| field.name.clone())
        .context("the template names its rows")?;
    let group = template.group_field().context("the template groups rows")?;
    for (index, row) in to.tiltak.iter_mut().enumerate() {
        if index % 10 == 0 {
            let text = format!("{} og et nytt ord i teksten", row.text(&title));
            row.fields.insert(title.clone(), FieldValue::Text(text));
        }
        if index % 20 == 5 && !group.options.is_empty() {
            let current = row.text(&group.name);
            let at = group
                .options
                .iter()
                .position(|option| option.value == current)
                .map_or(0, |at| (at + 1) % group.options.len());
            row.fields.insert(
                group.name.clone(),
                FieldValue::Text(group.options[at].value.clone()),
            );
        }
    }
    let added: Vec<_> = to.tiltak[..10]
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let mut row = row.clone();
            row.id = format!("00000000-0000-4000-8000-{index:012}");
            row
        })
        .collect();
    to.tiltak.extend(added);
    for at in [250, 200, 150, 100, 50] {
        to.tiltak.remove(at);
    }
    for section in &mut to.sections {
        for (index, block) in section.blocks.iter_mut().enumerate() {
            if index % 2 == 0
                && let Block::Paragraph { content } = block
            {
                content.push(Inline::plain(
                    " Denne setningen er ny i den vedtatte planen.",
                ));
            }
        }
    }
    Ok(to)
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
