//! The «Endringer» page: what changed between two versions of a plan, or from a version to the
//! current text (`/plans/{id}/endringer?from=<vid>&to=<vid>|current`). Insertions and deletions
//! are marked with `<ins>` and `<del>` and say so in words («Lagt til:», «Fjernet:»), so the
//! page never relies on colour alone. Without `from` and `to` it shows the form to choose them.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::access::Action;
use crate::document::{Change, FieldChange, Run, RunKind};
use crate::http::{AppState, HttpError};
use crate::service::diff::{self as service, Comparison, Side};
use crate::service::{Error as ServiceError, PlanAccess, versions};
use crate::time;
use crate::version::VersionRecord;

pub fn router() -> Router<AppState> {
    Router::new().route("/plans/{plan_id}/endringer", get(changes_page))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    from: Option<String>,
    to: Option<String>,
}

/// A choice in the form's lists.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A run of text as the page marks it: `same`, `ins` or `del`.
struct RunView {
    kind: &'static str,
    text: String,
}

fn runs(runs: &[Run]) -> Vec<RunView> {
    runs.iter()
        .map(|run| RunView {
            kind: match run.kind {
                RunKind::Same => "same",
                RunKind::Inserted => "ins",
                RunKind::Deleted => "del",
            },
            text: run.text.clone(),
        })
        .collect()
}

fn change_code(change: Change) -> &'static str {
    match change {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
    }
}

struct ParagraphView {
    change: &'static str,
    runs: Vec<RunView>,
}

struct SectionView {
    number: String,
    heading: String,
    change: &'static str,
    /// Sentences about the section itself: renamed, set aside, renumbered (bokmål).
    notes: Vec<String>,
    paragraphs: Vec<ParagraphView>,
}

/// A field before and after; `runs` when a text changed word by word.
struct FieldView {
    label: String,
    old: String,
    new: String,
    runs: Vec<RunView>,
}

impl From<&FieldChange> for FieldView {
    fn from(field: &FieldChange) -> Self {
        FieldView {
            label: field.label.clone(),
            old: field.old.clone(),
            new: field.new.clone(),
            runs: runs(&field.runs),
        }
    }
}

/// A tiltak or goal added, removed or changed.
struct ItemView {
    /// «Tiltak 4.5-9», or a goal's title.
    name: String,
    title: String,
    note: String,
    fields: Vec<FieldView>,
}

struct ItemGroup {
    heading: &'static str,
    change: &'static str,
    items: Vec<ItemView>,
}

#[derive(askama::Template)]
#[template(path = "pages/endringer.html")]
struct ChangesPage {
    account: Option<super::AccountBar>,
    plan_id: String,
    plan_title: String,
    from_choices: Vec<Choice>,
    to_choices: Vec<Choice>,
    /// Why the versions asked for could not be compared (bokmål).
    error: Option<String>,
    /// Set once two versions were compared.
    result: Option<ResultView>,
}

struct ResultView {
    from_name: String,
    from_href: String,
    to_name: String,
    to_href: String,
    summary: String,
    empty: bool,
    meta: Vec<FieldView>,
    sections: Vec<SectionView>,
    tiltak: Vec<ItemGroup>,
    goals: Vec<ItemGroup>,
}

async fn changes_page(
    State(state): State<AppState>,
    access: PlanAccess,
    Query(query): Query<ChangesQuery>,
) -> Result<Response, HttpError> {
    let listed = versions::list(&state, &access).await?;
    let can_current = access.may(Action::ExportCurrent);
    let asked = query.from.is_some() || query.to.is_some();
    let parsed = Side::parse("from", query.from.as_deref(), false)
        .and_then(|from| Side::parse("to", query.to.as_deref(), true).map(|to| (from, to)));
    let (status, error, result, from_value, to_value) = match parsed {
        Ok((from, to)) => {
            let comparison = service::compare(&state, &access, &from, &to).await?;
            let result = result_view(&access, &comparison);
            (
                StatusCode::OK,
                None,
                Some(result),
                from.as_param(),
                to.as_param(),
            )
        }
        Err(ServiceError::Invalid { field, .. }) => {
            let (from, to) = defaults(&listed, can_current);
            let from = query.from.clone().filter(|v| !v.is_empty()).unwrap_or(from);
            let to = query.to.clone().filter(|v| !v.is_empty()).unwrap_or(to);
            if asked {
                let which = if field == "from" { "fra" } else { "til" };
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(format!(
                        "Velg en gyldig versjon i listen «Sammenlign {which}»."
                    )),
                    None,
                    from,
                    to,
                )
            } else {
                (StatusCode::OK, None, None, from, to)
            }
        }
        Err(other) => return Err(other.into()),
    };
    let version_choices = |selected: &str| -> Vec<Choice> {
        listed
            .iter()
            .map(|version| Choice {
                value: version.id.to_string(),
                label: version_label(version),
                selected: version.id.to_string() == selected,
            })
            .collect()
    };
    let mut to_choices = Vec::new();
    if can_current {
        to_choices.push(Choice {
            value: service::CURRENT.to_owned(),
            label: "Gjeldende tekst (ikke frosset)".to_owned(),
            selected: to_value == service::CURRENT,
        });
    }
    to_choices.extend(version_choices(&to_value));
    let page = ChangesPage {
        account: super::AccountBar::of(&access.principal),
        plan_id: access.plan().to_string(),
        plan_title: access.record.title.clone(),
        from_choices: version_choices(&from_value),
        to_choices,
        error,
        result,
    };
    let html = askama::Template::render(&page)
        .map_err(|e| HttpError::Internal(format!("page did not render: {e}")))?;
    Ok((status, Html(html)).into_response())
}

/// What the form offers first: the newest version against the current text, or (for those who
/// read versions only) the two newest versions.
fn defaults(listed: &[VersionRecord], can_current: bool) -> (String, String) {
    let id = |at: usize| {
        listed
            .get(at)
            .map(|version| version.id.to_string())
            .unwrap_or_default()
    };
    if can_current {
        (id(0), service::CURRENT.to_owned())
    } else {
        (id(1), id(0))
    }
}

fn version_label(version: &VersionRecord) -> String {
    format!(
        "{} (frosset {})",
        version.name,
        time::oslo_display(version.created_at)
    )
}

fn result_view(access: &PlanAccess, comparison: &Comparison) -> ResultView {
    let plan = access.plan();
    let side = |compared: &service::Compared| match &compared.version {
        Some(version) => (
            format!("«{}»", version.name),
            format!("/plans/{plan}/versions/{}", version.id),
        ),
        None => ("gjeldende tekst".to_owned(), format!("/plans/{plan}")),
    };
    let (from_name, from_href) = side(&comparison.from);
    let (to_name, to_href) = side(&comparison.to);
    let diff = &comparison.diff;

    let sections = diff
        .sections
        .iter()
        .map(|section| SectionView {
            number: section.number.clone(),
            heading: section.heading.clone(),
            change: change_code(section.change),
            notes: section.notes(),
            paragraphs: section
                .paragraphs
                .iter()
                .map(|paragraph| ParagraphView {
                    change: change_code(paragraph.change),
                    runs: runs(&paragraph.runs),
                })
                .collect(),
        })
        .collect();

    let tiltak_group = |heading, change| ItemGroup {
        heading,
        change: change_code(change),
        items: diff
            .tiltak
            .iter()
            .filter(|row| row.change == change)
            .map(|row| ItemView {
                name: row.heading_name(),
                title: row.heading_title().to_owned(),
                note: row.note().unwrap_or_default(),
                fields: row.fields.iter().map(FieldView::from).collect(),
            })
            .collect(),
    };
    let tiltak = [
        tiltak_group("Nye tiltak", Change::Added),
        tiltak_group("Endrede tiltak", Change::Changed),
        tiltak_group("Fjernede tiltak", Change::Removed),
    ]
    .into_iter()
    .filter(|group| !group.items.is_empty())
    .collect();
    let goal_group = |heading, change| ItemGroup {
        heading,
        change: change_code(change),
        items: diff
            .goals
            .iter()
            .filter(|goal| goal.change == change)
            .map(|goal| ItemView {
                name: goal.title.clone(),
                title: String::new(),
                note: String::new(),
                fields: goal.fields.iter().map(FieldView::from).collect(),
            })
            .collect(),
    };
    let goals = [
        goal_group("Nye mål", Change::Added),
        goal_group("Endrede mål", Change::Changed),
        goal_group("Fjernede mål", Change::Removed),
    ]
    .into_iter()
    .filter(|group| !group.items.is_empty())
    .collect();

    let counts = diff.counts;
    let summary = format!(
        "{} {} med endringer i tekst eller oppsett. Tiltak: {} {}, {} {}, {} {}. Mål: {} lagt til, endret eller fjernet.",
        counts.sections,
        if counts.sections == 1 { "del" } else { "deler" },
        counts.tiltak_added,
        agree(counts.tiltak_added, "nytt", "nye"),
        counts.tiltak_changed,
        agree(counts.tiltak_changed, "endret", "endrede"),
        counts.tiltak_removed,
        agree(counts.tiltak_removed, "fjernet", "fjernede"),
        counts.goals,
    );
    ResultView {
        from_name,
        from_href,
        to_name,
        to_href,
        summary,
        empty: diff.is_empty(),
        meta: diff.meta.iter().map(FieldView::from).collect(),
        sections,
        tiltak,
        goals,
    }
}

/// The singular after 1, the plural otherwise (bokmål adjectives agree with the count).
fn agree(count: usize, one: &'static str, more: &'static str) -> &'static str {
    if count == 1 { one } else { more }
}
