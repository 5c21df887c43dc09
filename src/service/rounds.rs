//! Status rounds (statusrunder): after BU adopts a plan, the coordinator opens a round, each unit
//! reports the status of the tiltak it answers for (with a comment, required for the statuses
//! that need a reason, and an indicator value where the tiltak has an indicator), and the
//! coordinator closes it, which freezes it. A round reports on the adopted frozen version and
//! never changes it: its data is stored beside the plan. The plan's current status view is its
//! latest closed round.
//!
//! Which field holds the statuses, which says how success is measured and which names the
//! responsible units is the template's (`status_field`, `indicator_field`, the responsible
//! field); no code here names a field.
//!
//! Who may do what: the coordinator opens, closes and reports for every tiltak; an editor
//! reports for the tiltak whose responsible field names her unit; advisers read; readers read
//! closed rounds only.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::versions::Exported;
use super::{Error, PlanAccess, Result, Services};
use crate::access::{Action, Role};
use crate::document::{self, PlanStatus, PlanView, TiltakRow};
use crate::export::report::{ReportGroup, ReportTiltak, StatusOption, StatusReport, UnitProgress};
use crate::export::{self, Format};
use crate::plan::is_iso_date;
use crate::storage::Storage;
use crate::storage::accounts as people;
use crate::storage::rounds::{self as store, Entry, NewEntry, Round};
use crate::templates::{FieldSchema, Template};
use crate::version::VersionId;

/// Longest round name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest comment of a report, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Longest indicator value of a report, in characters.
pub const MAX_INDICATOR_CHARS: usize = 500;

/// `POST /api/plans/{id}/rounds`, and the «Start statusrunde» form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    #[serde(default)]
    pub name: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub deadline: String,
}

/// `PUT /api/plans/{id}/rounds/{round}/tiltak/{row}`, and a tiltak's form on the round's page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub indicator_value: Option<String>,
}

/// A round as listed: the round and whether the caller may report in it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedRound {
    #[serde(flatten)]
    pub round: Round,
    pub closed: bool,
    /// Tiltak of the adopted version.
    pub total: usize,
}

/// One of the statuses of a round (the status field's options, in order).
#[derive(Debug, Clone, Serialize)]
pub struct StatusChoice {
    pub value: String,
    pub label: String,
    pub requires_reason: bool,
    pub done: bool,
}

/// A round by name, as a tiltak's history and the previous round name it.
#[derive(Debug, Clone, Serialize)]
pub struct RoundRef {
    pub id: String,
    pub name: String,
}

/// One report of a tiltak in its history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryItem {
    pub round_id: String,
    pub round: String,
    pub status: String,
    pub comment: String,
}

/// A tiltak of the adopted version in the round.
#[derive(Debug, Clone, Serialize)]
pub struct RoundTiltak {
    pub row: String,
    /// «4.5-9»: the plan's one numbering ("" for a row no table of the plan prints).
    pub number: String,
    pub title: String,
    /// The responsible units.
    pub units: Vec<String>,
    /// How success is measured, as the plan says ("" when it says nothing: no value asked).
    pub indicator: String,
    /// This round's report, if made.
    pub entry: Option<Entry>,
    /// The status reported in the round before this one.
    pub previous_status: Option<String>,
    /// Its reports across the rounds up to this one, oldest first.
    pub history: Vec<HistoryItem>,
    /// Whether the caller may report it now.
    pub may_report: bool,
}

/// Progress of one responsible unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitOverview {
    pub unit: String,
    pub total: usize,
    pub reported: usize,
    /// Reported with the done status («gjennomført»).
    pub done: usize,
    /// `done` of `total`, in whole percent.
    pub done_percent: usize,
}

/// How many tiltak of a group have one status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub count: usize,
}

/// One group of the template's `group_by` (a strategi, a goal; one group without a label when
/// the template does not group).
#[derive(Debug, Clone, Serialize)]
pub struct GroupOverview {
    pub value: Option<String>,
    pub label: String,
    pub total: usize,
    /// Per status, in the statuses' order.
    pub counts: Vec<StatusCount>,
    pub not_reported: usize,
    pub done_percent: usize,
    /// Row ids in the group, in print order.
    pub rows: Vec<String>,
}

/// A round with everything its page, its API answer and its report show.
#[derive(Debug, Clone, Serialize)]
pub struct RoundView {
    pub round: Round,
    pub closed: bool,
    /// The adopted frozen version the round reports on.
    pub version: RoundRef,
    pub statuses: Vec<StatusChoice>,
    pub previous_round: Option<RoundRef>,
    pub tiltak: Vec<RoundTiltak>,
    pub by_unit: Vec<UnitOverview>,
    pub by_group: Vec<GroupOverview>,
    /// Units with tiltak still to report.
    pub not_reported_units: Vec<String>,
    /// Whether the caller may report any tiltak now, and close the round.
    pub may_report: bool,
    pub may_close: bool,
    #[serde(skip)]
    pub plan_title: String,
}

/// The status field of the plan's template; a template without one has no status rounds.
fn status_field(template: &Template) -> Result<&FieldSchema> {
    template.status_field().ok_or_else(|| {
        Error::Conflict(format!(
            "the plan's template {} has no status field (status_field), so the plan has no status rounds",
            template.key()
        ))
    })
}

/// The adopted version of an adopted plan; 409 for a plan that is not `vedtatt`.
fn adopted_version(access: &PlanAccess) -> Result<VersionId> {
    let record = &access.record;
    let adopted = record.settings.adopted.as_ref();
    match (record.status.parse::<PlanStatus>(), adopted) {
        (Ok(PlanStatus::Vedtatt), Some(adoption)) => Ok(adoption.version),
        _ => Err(Error::Conflict(format!(
            "status rounds are for adopted plans: set the plan's status to vedtatt with its adopted version first (PATCH /api/plans/{})",
            record.id
        ))),
    }
}

/// One line of text of at most `max` characters, trimmed.
fn one_line(field: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("{field} must be one line of text"),
        ));
    }
    Ok(text.to_owned())
}

/// Text of at most `max` characters, trimmed; line breaks and tabs allowed.
fn some_text(field: &'static str, text: Option<&str>, max: usize) -> Result<String> {
    let text = text.unwrap_or_default().trim();
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(
            field,
            format!("{field} contains control characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Opens a round on an adopted plan (coordinator): one open round at a time.
pub async fn open(services: &Services, access: &PlanAccess, request: &NewRound) -> Result<Round> {
    access.require(Action::Manage)?;
    status_field(&access.template)?;
    let version = adopted_version(access)?;
    let name = one_line("name", &request.name, MAX_NAME_CHARS)?;
    if name.is_empty() {
        return Err(Error::invalid(
            "name",
            "name must be given, such as «Status 2026»",
        ));
    }
    let deadline = request.deadline.trim();
    if !is_iso_date(deadline) {
        return Err(Error::invalid(
            "deadline",
            "deadline must be a date written YYYY-MM-DD, such as 2026-12-01",
        ));
    }
    let plan = access.plan();
    let round = store::create_round(
        &services.storage.db(),
        plan,
        &name,
        deadline,
        &version.to_string(),
        &access.actor.id,
    )
    .await?
    .ok_or_else(|| {
        Error::Conflict("the plan has an open status round: close it before opening another".into())
    })?;
    tracing::info!(%plan, round = %round.id, "status round opened");
    Ok(round)
}

/// Readers see closed rounds only.
fn may_see(access: &PlanAccess, round: &Round) -> bool {
    round.is_closed() || access.may(Action::ExportCurrent)
}

/// The plan's rounds the caller may see, oldest first.
pub async fn list(services: &Services, access: &PlanAccess) -> Result<Vec<ListedRound>> {
    access.require(Action::Read)?;
    let rounds = store::list_rounds(&services.storage.db(), access.plan()).await?;
    let mut totals: HashMap<String, usize> = HashMap::new();
    let mut listed = Vec::new();
    for round in rounds.into_iter().filter(|round| may_see(access, round)) {
        let total = match totals.get(&round.version_id) {
            Some(total) => *total,
            None => {
                let view = adopted_view(services.storage.as_ref(), access, &round).await?;
                totals.insert(round.version_id.clone(), view.tiltak.len());
                view.tiltak.len()
            }
        };
        listed.push(ListedRound {
            closed: round.is_closed(),
            round,
            total,
        });
    }
    Ok(listed)
}

/// The round with this id, if the caller may see it.
async fn find(storage: &dyn Storage, access: &PlanAccess, round_id: &str) -> Result<Round> {
    access.require(Action::Read)?;
    let round = store::get_round(&storage.db(), access.plan(), round_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the plan has no status round {round_id}")))?;
    if !may_see(access, &round) {
        return Err(Error::Forbidden(
            "readers see status rounds once they are closed".into(),
        ));
    }
    Ok(round)
}

/// The frozen version a round reports on.
async fn adopted_view(
    storage: &dyn Storage,
    access: &PlanAccess,
    round: &Round,
) -> Result<PlanView> {
    let (_, view) =
        super::versions::view(storage, &access.record, &access.template, &round.version_id).await?;
    Ok(view)
}

/// Whether the caller may report `units`' tiltak in an open round: the coordinator any; an
/// editor those of her own unit.
fn may_report(access: &PlanAccess, units: &[String]) -> bool {
    if access.may(Action::Manage) {
        return true;
    }
    access.role == Role::Editor
        && access.may(Action::Edit)
        && access
            .actor
            .unit
            .as_deref()
            .is_some_and(|own| units.iter().any(|unit| unit.trim() == own.trim()))
}

/// `n` of `total` in whole percent (0 of 0 is 0).
fn percent(n: usize, total: usize) -> usize {
    (n * 100 + total / 2).checked_div(total).unwrap_or(0)
}

/// Sorts «4.5-10» after «4.5-9»; rows without a number last.
fn number_key(number: &str) -> (bool, Vec<u64>) {
    let parts = number
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap_or(u64::MAX))
        .collect();
    (number.is_empty(), parts)
}

/// The round with its tiltak, their reports and history, and the overviews.
pub async fn view(services: &Services, access: &PlanAccess, round_id: &str) -> Result<RoundView> {
    view_stored(services.storage.as_ref(), access, round_id).await
}

/// [`view`] read from the database alone (the CLI's exports read it with no server).
async fn view_stored(
    storage: &dyn Storage,
    access: &PlanAccess,
    round_id: &str,
) -> Result<RoundView> {
    let round = find(storage, access, round_id).await?;
    let template = &access.template;
    let status = status_field(template)?;
    let plan_view = adopted_view(storage, access, &round).await?;
    let db = storage.db();
    let plan = access.plan();
    let rounds = store::list_rounds(&db, plan).await?;
    let entries = store::plan_entries(&db, plan).await?;
    let version_name = storage
        .list_versions(plan)
        .await?
        .into_iter()
        .find(|version| version.id.to_string() == round.version_id)
        .map(|version| version.name)
        .unwrap_or_default();

    let position = rounds.iter().position(|r| r.id == round.id).unwrap_or(0);
    let earlier = &rounds[..=position.min(rounds.len().saturating_sub(1))];
    let previous = position.checked_sub(1).and_then(|i| rounds.get(i));
    let reported: HashMap<(&str, &str), &Entry> = entries
        .iter()
        .map(|entry| ((entry.round_id.as_str(), entry.row_id.as_str()), entry))
        .collect();

    let responsible = template.responsible_field();
    let indicator = template.indicator_field();
    let numbers = document::tiltak_numbers(
        &plan_view.structure,
        &plan_view.tiltak,
        &plan_view.goals,
        template,
    );
    let open = !round.is_closed();
    let mut tiltak: Vec<RoundTiltak> = plan_view
        .tiltak
        .iter()
        .map(|row| {
            let units: Vec<String> = responsible
                .map(|field| {
                    row.values(&field.name)
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let history = earlier
                .iter()
                .filter_map(|r| {
                    reported
                        .get(&(r.id.as_str(), row.id.as_str()))
                        .map(|entry| HistoryItem {
                            round_id: r.id.clone(),
                            round: r.name.clone(),
                            status: entry.status.clone(),
                            comment: entry.comment.clone(),
                        })
                })
                .collect();
            RoundTiltak {
                row: row.id.clone(),
                number: numbers.get(row.id.as_str()).cloned().unwrap_or_default(),
                title: row.title(template),
                indicator: indicator
                    .map(|field| row.display(field, &plan_view.goals))
                    .unwrap_or_default(),
                entry: reported
                    .get(&(round.id.as_str(), row.id.as_str()))
                    .map(|entry| (*entry).clone()),
                previous_status: previous.and_then(|p| {
                    reported
                        .get(&(p.id.as_str(), row.id.as_str()))
                        .map(|entry| entry.status.clone())
                }),
                history,
                may_report: open && may_report(access, &units),
                units,
            }
        })
        .collect();
    tiltak.sort_by_cached_key(|t| number_key(&t.number));

    let done_status = status.options.iter().find(|option| option.done);
    let is_done = |t: &RoundTiltak| {
        done_status.is_some_and(|done| t.entry.as_ref().is_some_and(|e| e.status == done.value))
    };
    let by_unit = unit_overview(storage, access, &tiltak, &is_done).await?;
    let by_group = group_overview(&plan_view, template, status, &tiltak, &is_done);
    let not_reported_units = by_unit
        .iter()
        .filter(|unit| unit.reported < unit.total)
        .map(|unit| unit.unit.clone())
        .collect();
    Ok(RoundView {
        closed: round.is_closed(),
        version: RoundRef {
            id: round.version_id.clone(),
            name: version_name,
        },
        statuses: status
            .options
            .iter()
            .map(|option| StatusChoice {
                value: option.value.clone(),
                label: option.label.clone(),
                requires_reason: option.requires_reason,
                done: option.done,
            })
            .collect(),
        previous_round: previous.map(|p| RoundRef {
            id: p.id.clone(),
            name: p.name.clone(),
        }),
        may_report: tiltak.iter().any(|t| t.may_report),
        may_close: open && access.may(Action::Manage),
        not_reported_units,
        by_unit,
        by_group,
        tiltak,
        round,
        plan_title: access.record.title.clone(),
    })
}

/// Progress per responsible unit: the plan's units in their order, then any other name the
/// responsible field holds (a partner written as free text), alphabetically.
async fn unit_overview(
    storage: &dyn Storage,
    access: &PlanAccess,
    tiltak: &[RoundTiltak],
    is_done: &(dyn Fn(&RoundTiltak) -> bool + Sync),
) -> Result<Vec<UnitOverview>> {
    let mut order = people::list_units(&storage.db(), access.plan()).await?;
    let mut others: Vec<String> = tiltak
        .iter()
        .flat_map(|t| t.units.iter())
        .filter(|unit| !order.contains(unit))
        .cloned()
        .collect();
    others.sort();
    others.dedup();
    order.extend(others);
    Ok(order
        .into_iter()
        .filter_map(|unit| {
            let own: Vec<&RoundTiltak> =
                tiltak.iter().filter(|t| t.units.contains(&unit)).collect();
            if own.is_empty() {
                return None;
            }
            let done = own.iter().filter(|t| is_done(t)).count();
            Some(UnitOverview {
                total: own.len(),
                reported: own.iter().filter(|t| t.entry.is_some()).count(),
                done,
                done_percent: percent(done, own.len()),
                unit,
            })
        })
        .collect())
}

/// Counts per status in each group of the template's `group_by`, as the plan prints its tables.
fn group_overview(
    plan_view: &PlanView,
    template: &Template,
    status: &FieldSchema,
    tiltak: &[RoundTiltak],
    is_done: &(dyn Fn(&RoundTiltak) -> bool + Sync),
) -> Vec<GroupOverview> {
    let by_row: HashMap<&str, &RoundTiltak> = tiltak.iter().map(|t| (t.row.as_str(), t)).collect();
    let rows: Vec<&TiltakRow> = plan_view.tiltak.iter().collect();
    document::group_rows(&rows, template, &plan_view.goals)
        .into_iter()
        .map(|group| {
            let mut members: Vec<&RoundTiltak> = group
                .rows
                .iter()
                .filter_map(|grouped| by_row.get(grouped.row.id.as_str()).copied())
                .collect();
            members.sort_by_cached_key(|t| number_key(&t.number));
            let count_of = |value: &str| {
                members
                    .iter()
                    .filter(|t| t.entry.as_ref().is_some_and(|e| e.status == value))
                    .count()
            };
            let done = members.iter().filter(|t| is_done(t)).count();
            GroupOverview {
                value: group.value,
                label: group.label,
                total: members.len(),
                counts: status
                    .options
                    .iter()
                    .map(|option| StatusCount {
                        status: option.value.clone(),
                        label: option.label.clone(),
                        count: count_of(&option.value),
                    })
                    .collect(),
                not_reported: members.iter().filter(|t| t.entry.is_none()).count(),
                done_percent: percent(done, members.len()),
                rows: members.iter().map(|t| t.row.clone()).collect(),
            }
        })
        .collect()
}

/// Stores a tiltak's report in an open round: the coordinator for any tiltak, an editor for her
/// unit's. Returns the stored entry.
pub async fn put_report(
    services: &Services,
    access: &PlanAccess,
    round_id: &str,
    row_id: &str,
    report: &Report,
) -> Result<Entry> {
    // Advisers and readers never report (an archived plan refuses everyone, saying why).
    access.require(Action::Edit)?;
    let round = find(services.storage.as_ref(), access, round_id).await?;
    if round.is_closed() {
        return Err(closed(&round));
    }
    let template = &access.template;
    let status = status_field(template)?;
    let plan_view = adopted_view(services.storage.as_ref(), access, &round).await?;
    let row = plan_view
        .tiltak
        .iter()
        .find(|row| row.id == row_id)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "the adopted version has no tiltak {}",
                row_id.chars().take(60).collect::<String>()
            ))
        })?;
    let units: Vec<String> = template
        .responsible_field()
        .map(|field| {
            row.values(&field.name)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !may_report(access, &units) {
        return Err(Error::Forbidden(format!(
            "you report for the tiltak of your own unit ({}); this tiltak is {}'s",
            access.actor.unit.as_deref().unwrap_or("none"),
            if units.is_empty() {
                "no unit".to_owned()
            } else {
                units.join(", ")
            }
        )));
    }
    let entry = checked(template, status, row, &plan_view, report)?;
    let stored = store::put_entry(
        &services.storage.db(),
        access.plan(),
        &round.id,
        &NewEntry {
            row_id: &row.id,
            status: &entry.0,
            comment: &entry.1,
            indicator_value: &entry.2,
            reported_by: &access.actor.id,
            reported_by_name: &access.actor.name,
        },
    )
    .await?;
    if !stored {
        return Err(closed(&round));
    }
    let entries = store::plan_entries(&services.storage.db(), access.plan()).await?;
    entries
        .into_iter()
        .find(|e| e.round_id == round.id && e.row_id == row.id)
        .ok_or_else(|| Error::Internal("a stored status report is not there".into()))
}

/// A report checked against the template: (status, comment, indicator value).
fn checked(
    template: &Template,
    status: &FieldSchema,
    row: &TiltakRow,
    plan_view: &PlanView,
    report: &Report,
) -> Result<(String, String, String)> {
    let value = report.status.trim();
    let Some(option) = status.option(value) else {
        let allowed: Vec<&str> = status.options.iter().map(|o| o.value.as_str()).collect();
        return Err(Error::invalid(
            "status",
            format!(
                "status must be one of {}; got '{}'",
                allowed.join(", "),
                value.chars().take(40).collect::<String>()
            ),
        ));
    };
    let comment = some_text("comment", report.comment.as_deref(), MAX_COMMENT_CHARS)?;
    if option.requires_reason && comment.is_empty() {
        return Err(Error::invalid(
            "comment",
            format!(
                "comment must say why when the status is {} ({})",
                option.value, option.label
            ),
        ));
    }
    let indicator_value = some_text(
        "indicator_value",
        report.indicator_value.as_deref(),
        MAX_INDICATOR_CHARS,
    )?;
    let has_indicator = template
        .indicator_field()
        .is_some_and(|field| !row.display(field, &plan_view.goals).trim().is_empty());
    if !indicator_value.is_empty() && !has_indicator {
        return Err(Error::invalid(
            "indicator_value",
            "indicator_value is for a tiltak with an indicator, and this one has none",
        ));
    }
    Ok((option.value.clone(), comment, indicator_value))
}

fn closed(round: &Round) -> Error {
    Error::Conflict(format!(
        "the status round «{}» is closed and cannot change",
        round.name
    ))
}

/// Closes an open round (coordinator): it is frozen from then on.
pub async fn close(services: &Services, access: &PlanAccess, round_id: &str) -> Result<Round> {
    access.require(Action::Manage)?;
    let round = find(services.storage.as_ref(), access, round_id).await?;
    let db = services.storage.db();
    if !store::close_round(&db, access.plan(), &round.id).await? {
        return Err(closed(&round));
    }
    tracing::info!(plan = %access.plan(), round = %round.id, "status round closed");
    store::get_round(&db, access.plan(), &round.id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the plan has no status round {round_id}")))
}

/// The status report of a round, for BU: every tiltak with its status, grouped as the plan
/// prints them, and the progress per unit.
pub async fn report(
    services: &Services,
    access: &PlanAccess,
    round_id: &str,
) -> Result<StatusReport> {
    let view = view(services, access, round_id).await?;
    Ok(report_of(access, &view))
}

/// The status report of a round as a file in `format`, rendered off the async threads.
pub async fn render_report(
    services: &Services,
    access: &PlanAccess,
    round_id: &str,
    format: Format,
) -> Result<Exported> {
    let report = report(services, access, round_id).await?;
    let filename = report_filename(&report, format);
    let started = std::time::Instant::now();
    let bytes = tokio::task::spawn_blocking(move || match format {
        Format::Markdown => Ok(export::report::to_markdown(&report).into_bytes()),
        Format::Pdf => export::report::to_pdf(&report),
        Format::Docx => export::report::to_docx(&report),
    })
    .await
    .map_err(|e| Error::Internal(format!("status report task failed: {e}")))?
    .map_err(|e| Error::Internal(e.to_string()))?;
    tracing::info!(plan = %access.plan(), round = round_id, %format, bytes = bytes.len(), elapsed_ms = started.elapsed().as_millis() as u64, "status report exported");
    Ok(Exported {
        bytes,
        filename,
        format,
    })
}

/// «statusrapport-status-2026.pdf»: ASCII, from the round's name.
fn report_filename(report: &StatusReport, format: Format) -> String {
    let mut slug = String::from("statusrapport-");
    for c in report.round_name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'æ' => "ae",
            'ø' | 'ö' => "o",
            'å' | 'ä' => "a",
            'é' | 'è' => "e",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        if folded != "-" || !slug.ends_with('-') {
            slug.push_str(folded);
        }
        if slug.len() >= 80 {
            break;
        }
    }
    format!("{}.{}", slug.trim_end_matches('-'), format.extension())
}

/// A [`StatusReport`] from a round's view.
fn report_of(access: &PlanAccess, view: &RoundView) -> StatusReport {
    let record = &access.record;
    let by_row: HashMap<&str, &RoundTiltak> =
        view.tiltak.iter().map(|t| (t.row.as_str(), t)).collect();
    let round = &view.round;
    let last_report = view
        .tiltak
        .iter()
        .filter_map(|t| t.entry.as_ref().map(|e| e.reported_at))
        .max();
    StatusReport {
        plan_title: record.title.clone(),
        bydel: record.bydel.clone(),
        periode: record.periode.clone(),
        round_name: round.name.clone(),
        deadline: round.deadline.clone(),
        date_millis: round.closed_at.or(last_report).unwrap_or(round.opened_at),
        closed: view.closed,
        previous_round: view.previous_round.as_ref().map(|p| p.name.clone()),
        statuses: view
            .statuses
            .iter()
            .map(|s| StatusOption {
                value: s.value.clone(),
                label: s.label.clone(),
            })
            .collect(),
        done_status: view
            .statuses
            .iter()
            .find(|s| s.done)
            .map(|s| s.value.clone())
            .unwrap_or_default(),
        group_label: access
            .template
            .group_field()
            .map(|field| field.label.clone())
            .unwrap_or_default(),
        groups: view
            .by_group
            .iter()
            .map(|group| ReportGroup {
                label: group.label.clone(),
                counts: group.counts.iter().map(|c| c.count).collect(),
                not_reported: group.not_reported,
                tiltak: group
                    .rows
                    .iter()
                    .filter_map(|row| by_row.get(row.as_str()))
                    .map(|t| ReportTiltak {
                        number: t.number.clone(),
                        text: t.title.clone(),
                        units: t.units.clone(),
                        status: t.entry.as_ref().map(|e| e.status.clone()),
                        previous_status: t.previous_status.clone(),
                        comment: t
                            .entry
                            .as_ref()
                            .map(|e| e.comment.clone())
                            .unwrap_or_default(),
                        indicator: t.indicator.clone(),
                        indicator_value: t
                            .entry
                            .as_ref()
                            .map(|e| e.indicator_value.clone())
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
        units: view
            .by_unit
            .iter()
            .map(|unit| UnitProgress {
                unit: unit.unit.clone(),
                total: unit.total,
                reported: unit.reported,
                done: unit.done,
            })
            .collect(),
    }
}

/// The status report of the plan's latest closed round (`None` before the first closes), read
/// from the database alone: what a plan made from this one prints as its appendix «Status for
/// forrige plan».
pub async fn latest_closed_report(
    storage: &dyn Storage,
    access: &PlanAccess,
) -> Result<Option<StatusReport>> {
    let Some(round) = store::latest_closed_round(&storage.db(), access.plan()).await? else {
        return Ok(None);
    };
    let view = view_stored(storage, access, &round.id).await?;
    Ok(Some(report_of(access, &view)))
}

/// The plan's latest closed round: its current status view (`None` before the first closes).
pub async fn latest_closed(services: &Services, access: &PlanAccess) -> Result<Option<Round>> {
    Ok(store::latest_closed_round(&services.storage.db(), access.plan()).await?)
}
