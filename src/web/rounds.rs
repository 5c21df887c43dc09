//! Status rounds on the pages (see [`crate::service::rounds`]): the plan's rounds with the
//! coordinator's «Start statusrunde» form, and a round's page: an editor reports her unit's
//! tiltak (a form per tiltak), the coordinator reports any and sees the overviews by unit and by
//! group and «Lukk runden»; everyone who may see the round sees each tiltak's history. A refused
//! form comes back with what was typed and the reason beside the field (422); a saved one says
//! so (role=status).

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::account::AccountBar;
use crate::access::Action;
use crate::document::PlanStatus;
use crate::http::{AppState, HttpError};
use crate::service::rounds::{
    self, ListedRound, MAX_COMMENT_CHARS, MAX_INDICATOR_CHARS, MAX_NAME_CHARS, NewRound, Report,
    RoundTiltak, RoundView,
};
use crate::service::{Error as ServiceError, PlanAccess};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/plans/{plan_id}/statusrunder",
            get(rounds_page).post(open_round),
        )
        .route("/plans/{plan_id}/statusrunder/{round_id}", get(round_page))
        .route(
            "/plans/{plan_id}/statusrunder/{round_id}/tiltak/{row_id}",
            post(report_tiltak),
        )
        .route(
            "/plans/{plan_id}/statusrunder/{round_id}/lukk",
            post(close_round),
        )
}

/// A refused form: the field at fault and why, in bokmål.
struct Refused {
    field: &'static str,
    message: String,
}

/// A round as the list shows it.
struct ListedRow {
    href: String,
    name: String,
    deadline: String,
    opened_display: String,
    state: String,
    reported: i64,
    total: usize,
}

impl ListedRow {
    fn of(plan: &str, listed: &ListedRound) -> Self {
        let round = &listed.round;
        ListedRow {
            href: format!("/plans/{plan}/statusrunder/{}", round.id),
            name: round.name.clone(),
            deadline: round.deadline.clone(),
            opened_display: time::oslo_date_display(round.opened_at),
            state: match round.closed_at {
                Some(at) => format!("Lukket {}", time::oslo_date_display(at)),
                None => "Åpen".to_owned(),
            },
            reported: round.reported,
            total: listed.total,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "pages/rounds.html")]
struct RoundsPage {
    account: Option<AccountBar>,
    plan_id: String,
    plan_title: String,
    csrf_token: Option<String>,
    rounds: Vec<ListedRow>,
    /// Why no round can be opened now, for the coordinator (bokmål); `None` when one can.
    cannot_open: Option<&'static str>,
    can_manage: bool,
    name: String,
    deadline: String,
    refused: Option<Refused>,
    max_name: usize,
}

impl RoundsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|r| r.field == field)
            .map(|r| r.message.as_str())
    }
}

fn is_adopted(access: &PlanAccess) -> bool {
    access.record.status.parse::<PlanStatus>() == Ok(PlanStatus::Vedtatt)
        && access.record.settings.adopted.is_some()
}

async fn list_page(
    state: &AppState,
    access: &PlanAccess,
    form: (String, String),
    refused: Option<Refused>,
) -> Result<Html<String>, HttpError> {
    let listed = rounds::list(state, access).await?;
    let plan = access.plan().to_string();
    let cannot_open = if access.template.status_field().is_none() {
        Some("Planens mal har ikke statusrunder.")
    } else if !is_adopted(access) {
        Some(
            "Statusrunder er for vedtatte planer. Sett status «Vedtatt» med den vedtatte versjonen under «Innstillinger for planen» først.",
        )
    } else if listed.iter().any(|r| !r.closed) {
        Some("Planen har en åpen statusrunde. Lukk den før du starter en ny.")
    } else {
        None
    };
    let page = RoundsPage {
        account: AccountBar::of(&access.principal),
        plan_title: access.record.title.clone(),
        csrf_token: access.principal.csrf().map(str::to_owned),
        rounds: listed.iter().map(|r| ListedRow::of(&plan, r)).collect(),
        cannot_open,
        can_manage: access.may(Action::Manage),
        name: form.0,
        deadline: form.1,
        refused,
        max_name: MAX_NAME_CHARS,
        plan_id: plan,
    };
    render(&page)
}

fn render(page: &impl askama::Template) -> Result<Html<String>, HttpError> {
    page.render()
        .map(Html)
        .map_err(|e| HttpError::Internal(format!("page did not render: {e}")))
}

async fn rounds_page(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Html<String>, HttpError> {
    list_page(&state, &access, Default::default(), None).await
}

#[derive(Debug, Default, Deserialize)]
struct NewRoundForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    deadline: String,
}

async fn open_round(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(form): Form<NewRoundForm>,
) -> Result<Response, HttpError> {
    let request = NewRound {
        name: form.name.clone(),
        deadline: form.deadline.clone(),
    };
    let (status, refused) = match rounds::open(&state, &access, &request).await {
        Ok(round) => {
            return Ok(Redirect::to(&format!(
                "/plans/{}/statusrunder/{}?startet=1",
                access.plan(),
                round.id
            ))
            .into_response());
        }
        Err(ServiceError::Invalid { field, .. }) => {
            let message = if field == "deadline" {
                "Skriv fristen som en dato, ÅÅÅÅ-MM-DD, for eksempel 2026-12-01.".to_owned()
            } else {
                format!(
                    "Skriv et navn på runden, på én linje og høyst {MAX_NAME_CHARS} tegn, for eksempel Status 2026."
                )
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Refused {
                    field: if field == "deadline" {
                        "deadline"
                    } else {
                        "name"
                    },
                    message,
                },
            )
        }
        Err(other) => return Err(other.into()),
    };
    let page = list_page(&state, &access, (form.name, form.deadline), Some(refused)).await?;
    Ok((status, page).into_response())
}

/// A history line of a tiltak.
struct HistoryLine {
    round: String,
    status: String,
    comment: String,
}

/// A tiltak as the round's page shows it, with its form's values.
struct PageTiltak {
    row: String,
    number: String,
    title: String,
    units: String,
    indicator: String,
    status_label: String,
    comment: String,
    indicator_value: String,
    reported_by: String,
    previous_label: String,
    history: Vec<HistoryLine>,
    may_report: bool,
    /// The form's values: as stored, or as typed into a refused form.
    form_status: String,
    form_comment: String,
    form_indicator: String,
    refused: Option<Refused>,
    /// «Lagret» after this tiltak's form was saved.
    saved: bool,
}

impl PageTiltak {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|r| r.field == field)
            .map(|r| r.message.as_str())
    }
}

/// «Skriv hvorfor når status er «Utsatt» eller «Utgår».»
fn reason_hint(view: &RoundView) -> String {
    let labels: Vec<String> = view
        .statuses
        .iter()
        .filter(|s| s.requires_reason)
        .map(|s| format!("«{}»", s.label))
        .collect();
    match labels.as_slice() {
        [] => "Kort om hvordan det går med tiltaket.".to_owned(),
        [one] => format!("Skriv hvorfor når status er {one}."),
        [rest @ .., last] => format!(
            "Skriv hvorfor når status er {} eller {last}.",
            rest.join(", ")
        ),
    }
}

fn label_of(view: &RoundView, status: &str) -> String {
    view.statuses
        .iter()
        .find(|s| s.value == status)
        .map_or_else(|| status.to_owned(), |s| s.label.clone())
}

impl PageTiltak {
    fn of(view: &RoundView, t: &RoundTiltak) -> Self {
        let entry = t.entry.as_ref();
        PageTiltak {
            row: t.row.clone(),
            number: t.number.clone(),
            title: t.title.clone(),
            units: t.units.join(", "),
            indicator: t.indicator.clone(),
            status_label: entry.map(|e| label_of(view, &e.status)).unwrap_or_default(),
            comment: entry.map(|e| e.comment.clone()).unwrap_or_default(),
            indicator_value: entry.map(|e| e.indicator_value.clone()).unwrap_or_default(),
            reported_by: entry
                .map(|e| {
                    format!(
                        "{}, {}",
                        e.reported_by_name,
                        time::oslo_display(e.reported_at)
                    )
                })
                .unwrap_or_default(),
            previous_label: t
                .previous_status
                .as_deref()
                .map(|s| label_of(view, s))
                .unwrap_or_default(),
            history: t
                .history
                .iter()
                .map(|h| HistoryLine {
                    round: h.round.clone(),
                    status: label_of(view, &h.status),
                    comment: h.comment.clone(),
                })
                .collect(),
            may_report: t.may_report,
            form_status: entry.map(|e| e.status.clone()).unwrap_or_default(),
            form_comment: entry.map(|e| e.comment.clone()).unwrap_or_default(),
            form_indicator: entry.map(|e| e.indicator_value.clone()).unwrap_or_default(),
            refused: None,
            saved: false,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "pages/round.html")]
struct RoundPage {
    account: Option<AccountBar>,
    plan_id: String,
    plan_title: String,
    csrf_token: Option<String>,
    view: RoundView,
    tiltak: Vec<PageTiltak>,
    /// An editor sees her unit's tiltak: the unit, or `None` for everyone else.
    own_unit: Option<String>,
    /// An editor without a unit: she has nothing to report.
    editor_without_unit: bool,
    /// Said once (role=status): the round was opened, closed, or a tiltak saved.
    done: Option<String>,
    refused_any: bool,
    reports_href: String,
    /// Which statuses need a comment saying why.
    reason_hint: String,
    max_comment: usize,
    max_indicator: usize,
}

#[derive(Debug, Default, Deserialize)]
struct RoundQuery {
    #[serde(default)]
    startet: String,
    #[serde(default)]
    lukket: String,
    #[serde(default)]
    lagret: String,
}

/// The round's page; `refused` is a tiltak's refused form (row, what was typed, why).
async fn page_of(
    state: &AppState,
    access: &PlanAccess,
    round_id: &str,
    query: &RoundQuery,
    refused: Option<(String, Report, Refused)>,
) -> Result<Html<String>, HttpError> {
    let view = rounds::view(state, access, round_id).await?;
    let is_editor = access.role == crate::access::Role::Editor;
    let own_unit = is_editor.then(|| access.actor.unit.clone()).flatten();
    let mut tiltak: Vec<PageTiltak> = view
        .tiltak
        .iter()
        .filter(|t| {
            !is_editor
                || own_unit
                    .as_deref()
                    .is_some_and(|unit| t.units.iter().any(|u| u.trim() == unit.trim()))
        })
        .map(|t| PageTiltak::of(&view, t))
        .collect();
    let mut done = None;
    if let Some((row, report, why)) = refused {
        if let Some(t) = tiltak.iter_mut().find(|t| t.row == row) {
            t.form_status = report.status;
            t.form_comment = report.comment.unwrap_or_default();
            t.form_indicator = report.indicator_value.unwrap_or_default();
            t.refused = Some(why);
        }
    } else if query.startet == "1" {
        done = Some(format!(
            "Statusrunden «{}» er startet. Enhetene kan nå rapportere.",
            view.round.name
        ));
    } else if query.lukket == "1" {
        done = Some(format!(
            "Statusrunden «{}» er lukket og kan ikke endres mer.",
            view.round.name
        ));
    } else if let Some(t) = tiltak.iter_mut().find(|t| t.row == query.lagret) {
        t.saved = true;
        done = Some(if t.number.is_empty() {
            "Statusen er lagret.".to_owned()
        } else {
            format!("Statusen for tiltak {} er lagret.", t.number)
        });
    }
    let plan = access.plan().to_string();
    let page = RoundPage {
        account: AccountBar::of(&access.principal),
        plan_title: access.record.title.clone(),
        csrf_token: access.principal.csrf().map(str::to_owned),
        refused_any: tiltak.iter().any(|t| t.refused.is_some()),
        tiltak,
        editor_without_unit: is_editor && own_unit.is_none(),
        own_unit,
        done,
        reports_href: format!("/plans/{plan}/statusrunder/{}/rapport", view.round.id),
        reason_hint: reason_hint(&view),
        view,
        max_comment: MAX_COMMENT_CHARS,
        max_indicator: MAX_INDICATOR_CHARS,
        plan_id: plan,
    };
    render(&page)
}

async fn round_page(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
    query: Result<Query<RoundQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Html<String>, HttpError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    page_of(&state, &access, &round_id, &query, None).await
}

#[derive(Debug, Default, Deserialize)]
struct ReportForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    indicator_value: String,
}

/// The bokmål reason for a refused report field.
fn report_message(field: &'static str, form: &ReportForm, view_status: Option<&str>) -> String {
    match field {
        "status" => "Velg en av statusene.".to_owned(),
        "comment" if form.comment.trim().is_empty() => format!(
            "Skriv hvorfor tiltaket har status «{}».",
            view_status.unwrap_or(&form.status)
        ),
        "comment" => format!("Kommentaren kan ha høyst {MAX_COMMENT_CHARS} tegn."),
        _ if form.indicator_value.chars().count() > MAX_INDICATOR_CHARS => {
            format!("Indikatorverdien kan ha høyst {MAX_INDICATOR_CHARS} tegn.")
        }
        _ => "Tiltaket har ingen indikator, så feltet skal stå tomt.".to_owned(),
    }
}

async fn report_tiltak(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id, row_id)): Path<(String, String, String)>,
    Form(form): Form<ReportForm>,
) -> Result<Response, HttpError> {
    let report = Report {
        status: form.status.clone(),
        comment: Some(form.comment.clone()),
        indicator_value: Some(form.indicator_value.clone()),
    };
    match rounds::put_report(&state, &access, &round_id, &row_id, &report).await {
        Ok(entry) => Ok(Redirect::to(&format!(
            "/plans/{}/statusrunder/{round_id}?lagret={}#tiltak-{}",
            access.plan(),
            entry.row_id,
            entry.row_id
        ))
        .into_response()),
        Err(ServiceError::Invalid { field, .. }) => {
            let label = access
                .template
                .status_field()
                .and_then(|f| f.option(form.status.trim()))
                .map(|o| o.label.clone());
            let why = Refused {
                field: match field {
                    "status" => "status",
                    "comment" => "comment",
                    _ => "indicator_value",
                },
                message: report_message(field, &form, label.as_deref()),
            };
            let page = page_of(
                &state,
                &access,
                &round_id,
                &RoundQuery::default(),
                Some((row_id, report, why)),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn close_round(
    State(state): State<AppState>,
    access: PlanAccess,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let round = rounds::close(&state, &access, &round_id).await?;
    Ok(Redirect::to(&format!(
        "/plans/{}/statusrunder/{}?lukket=1",
        access.plan(),
        round.id
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_reason_and_a_long_comment_read_differently() {
        let blank = ReportForm {
            status: "utsatt".into(),
            comment: "  ".into(),
            indicator_value: String::new(),
        };
        assert_eq!(
            report_message("comment", &blank, Some("Utsatt")),
            "Skriv hvorfor tiltaket har status «Utsatt»."
        );
        let long = ReportForm {
            comment: "x".repeat(MAX_COMMENT_CHARS + 1),
            ..blank
        };
        assert!(report_message("comment", &long, None).contains("høyst"));
    }
}
