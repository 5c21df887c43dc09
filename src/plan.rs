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

/// A plan as listed: its metadata and settings, not its content.
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
    /// The settings kept beside the document: adoption, the cover's place and date, contact.
    #[serde(flatten)]
    pub settings: PlanSettings,
    /// Unix milliseconds when the plan was archived; `None` while it is in use. An archived
    /// plan is read-only, left out of the plan list unless asked for, and can be restored.
    pub archived_at: Option<i64>,
}

impl PlanRecord {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

/// How a plan was adopted (status `vedtatt`): the frozen version BU adopted, the meeting date
/// and the sak number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adoption {
    /// A version of this plan.
    pub version: VersionId,
    /// The meeting date, YYYY-MM-DD.
    pub date: String,
    /// The sak number in BU's case list (e.g. «BU-sak 12/26»).
    pub sak: String,
}

/// A plan's settings stored in the database beside its document (title, bydel, periode and
/// status are the document's own, in its `meta` map). Empty text means not set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSettings {
    /// Set exactly when the status is `vedtatt`.
    pub adopted: Option<Adoption>,
    /// The place the cover names (e.g. «Oslo»).
    pub place: String,
    /// The date the cover names, YYYY-MM-DD.
    pub date: String,
    /// Whom to ask about the plan (name, e-mail, telephone: free text).
    pub contact: String,
}

/// A frozen version's id (see `crate::version`): a UUID, hyphenated and lower-case in URLs and the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VersionId(Uuid);

impl VersionId {
    pub fn new_random() -> Self {
        VersionId(Uuid::new_v4())
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The text was not a version id.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a version id (expected a UUID)")]
pub struct InvalidVersionId(String);

impl FromStr for VersionId {
    type Err = InvalidVersionId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shown = || InvalidVersionId(s.chars().take(64).collect());
        if s.len() != 36 {
            return Err(shown());
        }
        Uuid::parse_str(s).map(VersionId).map_err(|_| shown())
    }
}

/// Longest title of a plan, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest periode, in characters.
pub const MAX_PERIODE_CHARS: usize = 40;
/// Longest cover place, in characters.
pub const MAX_PLACE_CHARS: usize = 100;
/// Longest contact text, in characters.
pub const MAX_CONTACT_CHARS: usize = 300;
/// Longest sak number, in characters.
pub const MAX_SAK_CHARS: usize = 60;

/// A title as stored: trimmed, not empty, not too long.
pub fn checked_title(title: &str) -> Result<String, PlanRequestError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(PlanRequestError::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(PlanRequestError::TooLong {
            field: "title",
            max: MAX_TITLE_CHARS,
        });
    }
    Ok(title.to_owned())
}

/// A periode as stored: trimmed, not empty, not too long.
pub fn checked_periode(periode: &str) -> Result<String, PlanRequestError> {
    let periode = periode.trim();
    if periode.is_empty() {
        return Err(PlanRequestError::EmptyPeriode);
    }
    if periode.chars().count() > MAX_PERIODE_CHARS {
        return Err(PlanRequestError::TooLong {
            field: "periode",
            max: MAX_PERIODE_CHARS,
        });
    }
    Ok(periode.to_owned())
}

/// One of Oslo's bydeler, as the city spells it (matched without regard to case).
pub fn checked_bydel(bydel: &str) -> Result<&'static str, PlanRequestError> {
    BYDELER
        .iter()
        .find(|b| b.to_lowercase() == bydel.trim().to_lowercase())
        .copied()
        .ok_or_else(|| PlanRequestError::UnknownBydel(truncate_for_message(bydel)))
}

/// Whether `text` is a real calendar date written YYYY-MM-DD (years 1900–2999).
pub fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2999).contains(&year) && (1..=days).contains(&day)
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

    #[test]
    fn dates_are_real_calendar_days() {
        for good in ["2026-03-12", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_iso_date(good), "{good}");
        }
        for bad in [
            "",
            "2026-3-12",
            "12.03.2026",
            "2026-13-01",
            "2026-00-10",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-03-1x",
            "+026-03-12",
            "2026-03-12T10:00",
            "20260312",
            "2026-03-00",
        ] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }

    #[test]
    fn titles_periods_and_bydeler_are_checked() {
        assert_eq!(checked_title("  Plan  ").ok().as_deref(), Some("Plan"));
        assert_eq!(checked_title(" "), Err(PlanRequestError::EmptyTitle));
        assert_eq!(
            checked_title(&"x".repeat(201)).map_err(|e| e.field()),
            Err("title")
        );
        assert_eq!(checked_periode("").map_err(|e| e.field()), Err("periode"));
        assert_eq!(checked_bydel("alna"), Ok("Alna"));
        assert_eq!(checked_bydel("Asker").map_err(|e| e.field()), Err("bydel"));
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
        let title = checked_title(&self.title)?;
        let periode = checked_periode(&self.periode)?;
        let bydel = checked_bydel(&self.bydel)?;
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
                title,
                bydel: bydel.to_owned(),
                periode,
                status: String::new(),
            },
            template,
        ))
    }
}
