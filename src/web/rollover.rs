//! «Ny plan fra denne» (rullering): the coordinator reviews every tiltak of the plan (its
//! adopted version when it has one), gives each a disposition, and makes the next period's
//! plan. A refused form comes back with what was chosen and the reason beside the field (422).

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::account::AccountBar;
use super::render;
use crate::document;
use crate::http::{AppState, HttpError};
use crate::plan::{MAX_PERIODE_CHARS, MAX_TITLE_CHARS};
use crate::service::Error as ServiceError;
use crate::service::PlanAccess;
use crate::service::rollover::{self, Disposition, RolloverRequest};

/// Prefix of a row's disposition field in the form: `disposisjon-<row id>`.
const DISPOSITION_PREFIX: &str = "disposisjon-";

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/plans/{plan_id}/ny-plan",
        get(rollover_page).post(create_next),
    )
}

/// One tiltak of the review table.
struct ReviewRow {
    id: String,
    number: String,
    title: String,
    responsible: String,
    status: String,
    /// The chosen disposition's code.
    chosen: &'static str,
}

/// What the form shows: the plan's own values, or what was sent in a refused form.
struct Values {
    periode: String,
    title: String,
    members: bool,
    chosen: HashMap<String, String>,
}

#[derive(askama::Template)]
#[template(path = "pages/rollover.html")]
struct RolloverPage {
    account: Option<AccountBar>,
    plan_id: String,
    plan_title: String,
    plan_periode: String,
    csrf_token: String,
    /// The adopted version's name, when the content comes from it.
    source_version: Option<String>,
    responsible_label: String,
    status_label: String,
    rows: Vec<ReviewRow>,
    dispositions: Vec<(&'static str, &'static str)>,
    values: Values,
    /// The refused field and why, in bokmål.
    refused: Option<(&'static str, &'static str)>,
    max_title: usize,
    max_periode: usize,
}

impl RolloverPage {
    fn error_for(&self, field: &str) -> Option<&'static str> {
        self.refused
            .filter(|(at, _)| *at == field)
            .map(|(_, message)| message)
    }
}

fn message_for(field: &str) -> &'static str {
    match field {
        "periode" => {
            "Skriv perioden den nye planen gjelder for (høyst 40 tegn), for eksempel 2029–2032."
        }
        "title" => {
            "Tittelen kan ha høyst 200 tegn. La feltet stå tomt for å bruke tittelen på denne planen."
        }
        "dispositions" => {
            "Velg «Videreføres», «Endres» eller «Avsluttes» for hvert tiltak i tabellen. Tabellen kan ha endret seg: last siden på nytt."
        }
        _ => "Skjemaet kunne ikke brukes. Last siden på nytt og prøv igjen.",
    }
}

async fn page(
    state: &AppState,
    access: &PlanAccess,
    values: Values,
    refused: Option<(&'static str, &'static str)>,
) -> Result<Html<String>, HttpError> {
    let review = rollover::review(state, access).await?;
    let template = &access.template;
    let view = &review.view;
    let numbers = document::tiltak_numbers(&view.structure, &view.tiltak, &view.goals, template);
    let responsible = rollover::responsible_field(template);
    let resets = document::reset_fields(template);
    let rows = view
        .tiltak
        .iter()
        .map(|row| ReviewRow {
            id: row.id.clone(),
            number: numbers.get(row.id.as_str()).cloned().unwrap_or_default(),
            title: row.title(template),
            responsible: responsible
                .map(|field| row.display(field, &view.goals))
                .unwrap_or_default(),
            status: resets
                .iter()
                .map(|field| row.display(field, &view.goals))
                .filter(|text| !text.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            chosen: values
                .chosen
                .get(&row.id)
                .and_then(|value| Disposition::ALL.into_iter().find(|d| d.as_str() == value))
                .unwrap_or(Disposition::Videreføres)
                .as_str(),
        })
        .collect();
    let source_version = match review.source_version {
        Some(id) => state
            .storage
            .list_versions(access.plan())
            .await?
            .into_iter()
            .find(|version| version.id == id)
            .map(|version| version.name),
        None => None,
    };
    render(&RolloverPage {
        account: AccountBar::of(&access.principal),
        plan_id: access.plan().to_string(),
        plan_title: access.record.title.clone(),
        plan_periode: access.record.periode.clone(),
        csrf_token: access.principal.csrf().unwrap_or_default().to_owned(),
        source_version,
        responsible_label: responsible.map_or_else(|| "Ansvarlig".to_owned(), |f| f.label.clone()),
        status_label: resets
            .first()
            .map_or_else(|| "Status".to_owned(), |f| f.label.clone()),
        rows,
        dispositions: Disposition::ALL
            .iter()
            .map(|d| (d.as_str(), d.label()))
            .collect(),
        values,
        refused,
        max_title: MAX_TITLE_CHARS,
        max_periode: MAX_PERIODE_CHARS,
    })
}

async fn rollover_page(
    State(state): State<AppState>,
    access: PlanAccess,
) -> Result<Html<String>, HttpError> {
    let values = Values {
        periode: String::new(),
        title: access.record.title.clone(),
        members: false,
        chosen: HashMap::new(),
    };
    page(&state, &access, values, None).await
}

/// The form: `periode`, `title`, `members` (a checkbox) and one `disposisjon-<row id>` per
/// row. Creates the plan and goes to it, or shows the form again with the reason (422).
async fn create_next(
    State(state): State<AppState>,
    access: PlanAccess,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let mut values = Values {
        periode: String::new(),
        title: String::new(),
        members: false,
        chosen: HashMap::new(),
    };
    let mut dispositions = BTreeMap::new();
    for (key, value) in pairs {
        match key.as_str() {
            "periode" => values.periode = value,
            "title" => values.title = value,
            "members" => values.members = true,
            _ => {
                if let Some(row) = key.strip_prefix(DISPOSITION_PREFIX) {
                    dispositions.insert(row.to_owned(), serde_json::Value::from(value.as_str()));
                    values.chosen.insert(row.to_owned(), value);
                }
            }
        }
    }
    let request = RolloverRequest {
        from_plan: access.plan().to_string(),
        periode: values.periode.clone(),
        title: Some(values.title.clone()),
        dispositions,
        members: values.members,
    };
    match rollover::create_from(&state, &access, &request).await {
        Ok(created) => Ok(Redirect::to(&format!("/plans/{}", created.plan.id)).into_response()),
        Err(ServiceError::Invalid { field, .. }) => {
            let field = match field {
                "periode" | "title" | "dispositions" => field,
                _ => "form",
            };
            let html = page(&state, &access, values, Some((field, message_for(field)))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
