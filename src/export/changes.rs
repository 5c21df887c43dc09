//! The appendix «Endringer siden …»: what changed since an earlier version, printed after the
//! plan's own appendices when an export is asked for it (`changes_since`). It prints the facts
//! the «Endringer» page shows ([`crate::document::diff`]): the plan's title, period and status,
//! each section's text word by word, tiltak added, changed (old and new value of each field) and
//! removed by their numbers, and the plan's goals.
//!
//! Inserted and deleted text is never told by colour or line style alone: every writer prints
//! it in brackets after a word, «[Lagt til: …]» and «[Fjernet: …]» ([`INSERTED`], [`DELETED`]),
//! and the PDF and Word files underline and strike it through as well.

use super::{Appendix, Part};
use crate::document::{Change, FieldChange, PlanDiff, Run, RunKind};

/// What the appendix compares with: the earlier version's name and what changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangesAppendix {
    /// The earlier version's name.
    pub since: String,
    /// From the earlier version to what is exported.
    pub diff: PlanDiff,
}

/// The word before inserted text.
pub const INSERTED: &str = "Lagt til:";
/// The word before deleted text.
pub const DELETED: &str = "Fjernet:";

/// One paragraph of the appendix: «Label:» (when `label` is not "") and then runs of text.
/// Inserted and deleted runs never start or end with a blank and never follow each other
/// directly, so writers can put their marks around them as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    pub label: String,
    pub runs: Vec<Run>,
}

impl ChangeLine {
    fn plain(text: impl Into<String>) -> Self {
        ChangeLine {
            label: String::new(),
            runs: vec![same(text.into())],
        }
    }

    fn marked(label: &str, runs: &[Run]) -> Self {
        ChangeLine {
            label: label.to_owned(),
            runs: tidy(runs),
        }
    }
}

fn same(text: String) -> Run {
    Run {
        kind: RunKind::Same,
        text,
    }
}

/// The runs with the blanks around inserted and deleted text moved out of them, and a blank
/// between a deletion and the insertion after it; a change of blanks alone reads as no change.
fn tidy(runs: &[Run]) -> Vec<Run> {
    fn push_same(out: &mut Vec<Run>, text: &str) {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.kind == RunKind::Same => last.text.push_str(text),
            _ => out.push(same(text.to_owned())),
        }
    }
    let mut out: Vec<Run> = Vec::new();
    for run in runs {
        let core = run.text.trim();
        match run.kind {
            RunKind::Same => push_same(&mut out, &run.text),
            RunKind::Deleted | RunKind::Inserted if core.is_empty() => {
                if run.kind == RunKind::Inserted {
                    push_same(&mut out, &run.text);
                }
            }
            RunKind::Deleted | RunKind::Inserted => {
                let lead = &run.text[..run.text.len() - run.text.trim_start().len()];
                let trail = &run.text[run.text.trim_end().len()..];
                push_same(&mut out, lead);
                if out.last().is_some_and(|last| last.kind != RunKind::Same) {
                    push_same(&mut out, " ");
                }
                out.push(Run {
                    kind: run.kind,
                    text: core.to_owned(),
                });
                push_same(&mut out, trail);
            }
        }
    }
    out
}

/// A field's change as runs: word by word where the diff has them, else the old value deleted
/// and the new one inserted.
fn field_runs(field: &FieldChange) -> Vec<Run> {
    if !field.runs.is_empty() {
        return field.runs.clone();
    }
    let mut runs = Vec::new();
    for (kind, text) in [
        (RunKind::Deleted, &field.old),
        (RunKind::Inserted, &field.new),
    ] {
        if !text.trim().is_empty() {
            runs.push(Run {
                kind,
                text: text.clone(),
            });
        }
    }
    runs
}

/// A field of something added or removed: its value alone (the heading says what happened).
fn field_value(field: &FieldChange) -> ChangeLine {
    let value = if field.new.trim().is_empty() {
        &field.old
    } else {
        &field.new
    };
    ChangeLine {
        label: field.label.clone(),
        runs: vec![same(value.clone())],
    }
}

fn fields(change: Change, fields: &[FieldChange]) -> Vec<ChangeLine> {
    fields
        .iter()
        .map(|field| match change {
            Change::Changed => ChangeLine::marked(&field.label, &field_runs(field)),
            Change::Added | Change::Removed => field_value(field),
        })
        .collect()
}

/// The appendix `number` («Vedlegg N»): what changed since `changes.since` in what is exported,
/// `exported` (a version's name, or `None` for the current state).
pub(super) fn appendix<'a>(
    changes: &ChangesAppendix,
    number: String,
    exported: Option<&str>,
) -> Appendix<'a> {
    let diff = &changes.diff;
    let since = &changes.since;
    let mut parts: Vec<Part<'a>> = Vec::new();
    let mut lines: Vec<ChangeLine> = Vec::new();
    // Lines gather until the next heading.
    let flush = |parts: &mut Vec<Part<'a>>, lines: &mut Vec<ChangeLine>| {
        if !lines.is_empty() {
            parts.push(Part::Changes(std::mem::take(lines)));
        }
    };
    let heading = |parts: &mut Vec<Part<'a>>, level: u8, text: String| {
        parts.push(Part::SubHeading { level, text });
    };

    if diff.is_empty() {
        lines.push(ChangeLine::plain(format!(
            "Ingen endringer siden versjonen «{since}»."
        )));
    } else {
        let to = match exported {
            Some(name) => format!("versjonen «{name}»"),
            None => "utkastet (gjeldende tekst)".to_owned(),
        };
        lines.push(ChangeLine::plain(format!(
            "Endringer fra versjonen «{since}» til {to}. Tekst som er lagt til, er merket \
             «{INSERTED}», og tekst som er fjernet, er merket «{DELETED}»."
        )));
    }
    flush(&mut parts, &mut lines);

    if !diff.meta.is_empty() {
        heading(&mut parts, 1, "Om planen".to_owned());
        lines.extend(fields(Change::Changed, &diff.meta));
        flush(&mut parts, &mut lines);
    }

    if !diff.sections.is_empty() {
        heading(&mut parts, 1, "Tekst og oppsett".to_owned());
        for section in &diff.sections {
            let title = if section.number.is_empty() {
                section.heading.clone()
            } else {
                format!("{} {}", section.number, section.heading)
            };
            heading(&mut parts, 2, title);
            lines.extend(section.notes().into_iter().map(ChangeLine::plain));
            lines.extend(
                section
                    .paragraphs
                    .iter()
                    .map(|paragraph| ChangeLine::marked("", &paragraph.runs)),
            );
            flush(&mut parts, &mut lines);
        }
    }

    for (title, change) in [
        ("Nye tiltak", Change::Added),
        ("Endrede tiltak", Change::Changed),
        ("Fjernede tiltak", Change::Removed),
    ] {
        let rows: Vec<_> = diff
            .tiltak
            .iter()
            .filter(|row| row.change == change)
            .collect();
        if rows.is_empty() {
            continue;
        }
        heading(&mut parts, 1, format!("{title} ({})", rows.len()));
        for row in rows {
            heading(&mut parts, 2, row.heading());
            lines.extend(row.note().map(ChangeLine::plain));
            lines.extend(fields(change, &row.fields));
            flush(&mut parts, &mut lines);
        }
    }

    for (title, change) in [
        ("Nye mål", Change::Added),
        ("Endrede mål", Change::Changed),
        ("Fjernede mål", Change::Removed),
    ] {
        let goals: Vec<_> = diff
            .goals
            .iter()
            .filter(|goal| goal.change == change)
            .collect();
        if goals.is_empty() {
            continue;
        }
        heading(&mut parts, 1, format!("{title} ({})", goals.len()));
        for goal in goals {
            heading(&mut parts, 2, goal.title.clone());
            lines.extend(fields(change, &goal.fields));
            flush(&mut parts, &mut lines);
        }
    }

    Appendix {
        number,
        heading: format!("Endringer siden {since}"),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: RunKind, text: &str) -> Run {
        Run {
            kind,
            text: text.to_owned(),
        }
    }

    #[test]
    fn changed_text_keeps_no_blanks_and_never_touches_another_change() {
        let runs = tidy(&[
            run(RunKind::Same, "Vi skal"),
            run(RunKind::Deleted, " styrke "),
            run(RunKind::Inserted, "bygge ut"),
            run(RunKind::Inserted, "  "),
            run(RunKind::Deleted, " "),
            run(RunKind::Same, "tilbudet"),
        ]);
        assert_eq!(
            runs,
            vec![
                run(RunKind::Same, "Vi skal "),
                run(RunKind::Deleted, "styrke"),
                run(RunKind::Same, " "),
                run(RunKind::Inserted, "bygge ut"),
                run(RunKind::Same, "  tilbudet"),
            ]
        );
    }
}
