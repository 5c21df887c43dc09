//! Plan identity and the metadata kept beside each plan's live document.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A plan's id: a UUID, written in its hyphenated lower-case form in URLs and the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanId(Uuid);

impl PlanId {
    pub fn new_random() -> Self {
        PlanId(Uuid::new_v4())
    }
}

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The text was not a plan id.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a plan id (expected a UUID such as 0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11)")]
pub struct InvalidPlanId(String);

impl FromStr for PlanId {
    type Err = InvalidPlanId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the canonical hyphenated form, so one plan has exactly one URL.
        if s.len() != 36 {
            return Err(InvalidPlanId(truncate_for_message(s)));
        }
        Uuid::parse_str(s)
            .map(PlanId)
            .map_err(|_| InvalidPlanId(truncate_for_message(s)))
    }
}

fn truncate_for_message(s: &str) -> String {
    s.chars().take(64).collect()
}

/// What a new plan starts with. Everything but the id is optional so that a bare plan can be made
/// before a template is chosen.
#[derive(Debug, Clone, Default)]
pub struct NewPlan {
    pub title: String,
    pub bydel: String,
    pub periode: String,
    pub template: String,
    pub is_demo: bool,
}

/// The part of a plan's live `meta` map that the plan list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanMeta {
    pub title: String,
    pub bydel: String,
    pub periode: String,
    pub status: String,
}

/// A plan as listed: its metadata, not its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRecord {
    pub id: PlanId,
    pub title: String,
    pub bydel: String,
    pub periode: String,
    pub template: String,
    pub status: String,
    pub is_demo: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last committed change.
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_canonical_uuids() {
        let id = PlanId::new_random();
        assert_eq!(id.to_string().parse::<PlanId>().ok(), Some(id));
        assert!("not-a-uuid".parse::<PlanId>().is_err());
        assert!(
            "0b5e3a528a0e4a559a4e0a4f7e2d1c11"
                .parse::<PlanId>()
                .is_err()
        );
        let long = "x".repeat(10_000);
        let err = long.parse::<PlanId>().err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.len() < 200));
    }
}

/// Oslo's fifteen city districts, in the order the city lists them.
pub const BYDELER: [&str; 15] = [
    "Gamle Oslo",
    "Grünerløkka",
    "Sagene",
    "St. Hanshaugen",
    "Frogner",
    "Ullern",
    "Vestre Aker",
    "Nordre Aker",
    "Bjerke",
    "Grorud",
    "Stovner",
    "Alna",
    "Østensjø",
    "Nordstrand",
    "Søndre Nordstrand",
];

/// What a person asks for when creating a plan (form, API, CLI), before it is checked.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanRequest {
    pub title: String,
    pub bydel: String,
    pub periode: String,
    /// A template id (its newest version) or "id@version".
    pub template: String,
}

/// Why a plan request was refused; each names the field and what is allowed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanRequestError {
    #[error("title must not be empty")]
    EmptyTitle,
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("unknown bydel '{0}'; allowed: {list}", list = BYDELER.join(", "))]
    UnknownBydel(String),
    #[error("periode must not be empty (for example 2025–2028)")]
    EmptyPeriode,
    #[error("unknown template '{given}'; available: {available}")]
    UnknownTemplate { given: String, available: String },
}

impl PlanRequestError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            PlanRequestError::EmptyTitle => "title",
            PlanRequestError::TooLong { field, .. } => field,
            PlanRequestError::UnknownBydel(_) => "bydel",
            PlanRequestError::EmptyPeriode => "periode",
            PlanRequestError::UnknownTemplate { .. } => "template",
        }
    }
}

impl PlanRequest {
    /// Checks the request and resolves its template.
    pub fn resolve<'a>(
        &self,
        templates: &'a crate::templates::TemplateRegistry,
    ) -> Result<(PlanMeta, &'a crate::templates::Template), PlanRequestError> {
        let title = self.title.trim();
        let periode = self.periode.trim();
        if title.is_empty() {
            return Err(PlanRequestError::EmptyTitle);
        }
        if title.chars().count() > 200 {
            return Err(PlanRequestError::TooLong {
                field: "title",
                max: 200,
            });
        }
        if periode.is_empty() {
            return Err(PlanRequestError::EmptyPeriode);
        }
        if periode.chars().count() > 40 {
            return Err(PlanRequestError::TooLong {
                field: "periode",
                max: 40,
            });
        }
        let bydel = BYDELER
            .iter()
            .find(|b| b.to_lowercase() == self.bydel.trim().to_lowercase())
            .ok_or_else(|| PlanRequestError::UnknownBydel(truncate_for_message(&self.bydel)))?;
        let template = templates.get(self.template.trim()).ok_or_else(|| {
            PlanRequestError::UnknownTemplate {
                given: truncate_for_message(&self.template),
                available: templates
                    .list()
                    .map(|t| t.key())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?;
        Ok((
            PlanMeta {
                title: title.to_owned(),
                bydel: (*bydel).to_owned(),
                periode: periode.to_owned(),
                status: String::new(),
            },
            template,
        ))
    }
}
