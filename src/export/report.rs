//! The status report of a status round («statusrunde») for the district council.
//!
//! The data types are filled by the rounds code; this module only renders them.

use serde::Serialize;

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
    /// the share done and each unit's `done`; "" (or a value not among `statuses`) for none.
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
