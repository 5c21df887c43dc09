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
