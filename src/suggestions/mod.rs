//! Suggestions: proposed wording that someone allowed to edit accepts or rejects.
//!
//! An adviser (or an editor or coordinator in «Foreslå endringer») proposes new words for a
//! range of prose (a replacement, an insertion when the range is empty, a deletion when the
//! new text is empty), a new value for one field of a tiltak row, or a new row. Suggestions
//! are stored beside the plan ([`crate::storage::suggestions`]), never in its Y.Doc, so a
//! pending one never reaches an export. Prose is anchored like comment threads: two Yjs
//! relative positions (see [`crate::comments::anchor`]) and the words as they were. Where a
//! suggestion stands in the live document now, whether it is out of date, and applying it are
//! pure functions of a document ([`apply`]); the service decides who may do what.

pub mod apply;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::apply::{Applied, ApplyError, Standing};
use crate::access::Actor;
use crate::comments::{Anchor, AnchorInput, CommentError};
use crate::plan::PlanId;
use crate::time::rfc3339;

/// Longest proposed prose text, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Longest reason for a rejection, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// Longest field name or row id accepted.
const MAX_ID_CHARS: usize = 200;
/// Largest proposed field value or row, as JSON, in bytes (the template's limits apply too).
const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A suggestion request the plan's rules refuse (the HTTP layer answers 422 naming `field`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuggestionError {
    #[error(
        "Forslaget må ha enten «anchor» og «text», «row», «field» og «value», eller «new_row»."
    )]
    Shape,
    #[error("{0}")]
    Anchor(CommentError),
    #[error("Et tekstforslag forankres i en tekstseksjon («kind»: «text»).")]
    NotText,
    #[error("Den foreslåtte teksten er for lang: høyst {MAX_TEXT_CHARS} tegn.")]
    TextTooLong,
    #[error("Forslaget endrer ingenting.")]
    Unchanged,
    #[error("Et tekstforslag må ligge innenfor ett avsnitt.")]
    NotOneParagraph,
    #[error("Teksten forslaget gjelder, finnes ikke lenger.")]
    TextGone,
    #[error("Feltet «{0}» er for langt.")]
    TooLong(&'static str),
    #[error("Begrunnelsen er for lang: høyst {MAX_REASON_CHARS} tegn.")]
    ReasonTooLong,
    #[error("Ukjent status «{0}»: forventet «open», «accepted» eller «rejected».")]
    UnknownStatus(String),
}

impl SuggestionError {
    /// The input the error is about, for the API's `{"error", "field"}`.
    pub fn field(&self) -> &'static str {
        match self {
            SuggestionError::Shape | SuggestionError::Unchanged => "suggestion",
            SuggestionError::Anchor(_)
            | SuggestionError::NotText
            | SuggestionError::NotOneParagraph
            | SuggestionError::TextGone => "anchor",
            SuggestionError::TextTooLong => "text",
            SuggestionError::TooLong(field) => field,
            SuggestionError::ReasonTooLong => "reason",
            SuggestionError::UnknownStatus(_) => "status",
        }
    }
}

impl From<CommentError> for SuggestionError {
    fn from(e: CommentError) -> Self {
        SuggestionError::Anchor(e)
    }
}

/// What is proposed.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// New words for a range of a prose section (empty range: an insertion; empty text: a
    /// deletion). `original` is the range's text when it was proposed.
    Text {
        section: String,
        start: Vec<u8>,
        end: Vec<u8>,
        original: String,
        text: String,
    },
    /// A new value for one template field of a row; `original` is the field's value when it
    /// was proposed (a JSON string, or an array for list fields).
    Field {
        row: String,
        field: String,
        original: Value,
        value: Value,
    },
    /// A new row, as the API's rows are written.
    Row { fields: Map<String, Value> },
}

impl Proposal {
    pub fn kind(&self) -> &'static str {
        match self {
            Proposal::Text { .. } => "text",
            Proposal::Field { .. } => "field",
            Proposal::Row { .. } => "row",
        }
    }
}

/// A suggestion as posted: `{"anchor", "text"}`, `{"row", "field", "value"}` or
/// `{"new_row": {…}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionInput {
    #[serde(default)]
    pub anchor: Option<AnchorInput>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub row: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
    /// `Some(Value::Null)` when given as `null` (clears the field).
    #[serde(default, deserialize_with = "present")]
    pub value: Option<Value>,
    #[serde(default)]
    pub new_row: Option<Map<String, Value>>,
}

/// Tells a `null` that was given from one that was left out.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A suggestion's form, checked before it is checked against the document.
#[derive(Debug, Clone, PartialEq)]
pub enum ProposalInput {
    Text {
        section: String,
        start: Vec<u8>,
        end: Vec<u8>,
        /// The words the proposer saw (may be empty: the server reads them).
        quote: String,
        text: String,
    },
    Field {
        row: String,
        field: String,
        value: Value,
    },
    Row {
        fields: Map<String, Value>,
    },
}

impl SuggestionInput {
    /// Checks the form: exactly one of the three shapes, lengths bounded.
    pub fn validate(self) -> Result<ProposalInput, SuggestionError> {
        fn bounded<T: Serialize>(value: &T, name: &'static str) -> Result<(), SuggestionError> {
            if serde_json::to_string(value).map_or(true, |json| json.len() > MAX_VALUE_BYTES) {
                Err(SuggestionError::TooLong(name))
            } else {
                Ok(())
            }
        }
        match self {
            SuggestionInput {
                anchor: Some(anchor),
                text: Some(text),
                row: None,
                field: None,
                value: None,
                new_row: None,
            } => {
                if text.chars().count() > MAX_TEXT_CHARS {
                    return Err(SuggestionError::TextTooLong);
                }
                match anchor.validate()? {
                    Anchor::Text {
                        section,
                        start,
                        end,
                        quote,
                    } => Ok(ProposalInput::Text {
                        section,
                        start,
                        end,
                        quote,
                        text,
                    }),
                    Anchor::Tiltak { .. } => Err(SuggestionError::NotText),
                }
            }
            SuggestionInput {
                anchor: None,
                text: None,
                row: Some(row),
                field: Some(field),
                value: Some(value),
                new_row: None,
            } => {
                if row.chars().count() > MAX_ID_CHARS {
                    return Err(SuggestionError::TooLong("row"));
                }
                if field.chars().count() > MAX_ID_CHARS {
                    return Err(SuggestionError::TooLong("field"));
                }
                bounded(&value, "value")?;
                Ok(ProposalInput::Field { row, field, value })
            }
            SuggestionInput {
                anchor: None,
                text: None,
                row: None,
                field: None,
                value: None,
                new_row: Some(fields),
            } => {
                bounded(&fields, "new_row")?;
                Ok(ProposalInput::Row { fields })
            }
            _ => Err(SuggestionError::Shape),
        }
    }
}

/// A rejection's optional reason: trimmed, at most [`MAX_REASON_CHARS`] characters.
pub fn validate_reason(reason: Option<&str>) -> Result<Option<String>, SuggestionError> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(SuggestionError::ReasonTooLong);
    }
    Ok(Some(reason.to_owned()))
}

/// Open, accepted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionStatus {
    Open,
    Accepted,
    Rejected,
}

impl SuggestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionStatus::Open => "open",
            SuggestionStatus::Accepted => "accepted",
            SuggestionStatus::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for SuggestionStatus {
    type Err = SuggestionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(SuggestionStatus::Open),
            "accepted" => Ok(SuggestionStatus::Accepted),
            "rejected" => Ok(SuggestionStatus::Rejected),
            other => Err(SuggestionError::UnknownStatus(
                other.chars().take(40).collect(),
            )),
        }
    }
}

/// A stored suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub id: String,
    pub plan_id: PlanId,
    pub proposal: Proposal,
    pub author: Actor,
    /// Unix milliseconds.
    pub created_at: i64,
    pub status: SuggestionStatus,
    pub decided_at: Option<i64>,
    /// Who accepted or rejected it.
    pub decided_by: Option<Actor>,
    pub reason: Option<String>,
}

/// A suggestion as the API sends it (the contract the browser is written against).
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionJson {
    pub id: String,
    pub plan_id: PlanId,
    /// `text`, `field` or `row`.
    pub kind: &'static str,
    /// Prose: the anchor as for threads (`kind`, `section`, `start`, `end`, `quote`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<crate::comments::AnchorJson>,
    /// Prose: the proposed words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A field's proposed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_row: Option<Map<String, Value>>,
    /// What the suggestion replaces, as it was when proposed (prose: the words; field: the
    /// value); `null` for a new row.
    pub original: Value,
    /// The same now; `null` when the text or row is gone, or for a new row.
    pub current: Value,
    /// The text or value changed since it was proposed: accepting needs `confirm_stale`.
    pub stale: bool,
    /// The text or row it was made on no longer exists: it can only be rejected.
    pub gone: bool,
    /// The plan section it belongs to (the prose section, the row's tiltak section).
    pub section: Option<String>,
    /// A row's number as the plan prints it now («4.5-9»).
    pub tiltak_number: Option<String>,
    /// A row's title now.
    pub row_title: Option<String>,
    pub status: SuggestionStatus,
    pub author: Actor,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<Actor>,
    pub reason: Option<String>,
}

impl SuggestionJson {
    /// The suggestion with where it stands in the live document now.
    pub fn new(suggestion: &Suggestion, standing: Standing) -> SuggestionJson {
        let mut json = SuggestionJson {
            id: suggestion.id.clone(),
            plan_id: suggestion.plan_id,
            kind: suggestion.proposal.kind(),
            anchor: None,
            text: None,
            row: None,
            field: None,
            value: None,
            new_row: None,
            original: Value::Null,
            current: standing.current,
            stale: standing.stale,
            gone: standing.gone,
            section: standing.section,
            tiltak_number: standing.number,
            row_title: standing.row_title,
            status: suggestion.status,
            author: suggestion.author.clone(),
            created_at: rfc3339(suggestion.created_at),
            decided_at: suggestion.decided_at.map(rfc3339),
            decided_by: suggestion.decided_by.clone(),
            reason: suggestion.reason.clone(),
        };
        match &suggestion.proposal {
            Proposal::Text {
                section,
                start,
                end,
                original,
                text,
            } => {
                json.anchor = Some(crate::comments::AnchorJson::Text {
                    section: section.clone(),
                    start: BASE64.encode(start),
                    end: BASE64.encode(end),
                    quote: original.clone(),
                });
                json.text = Some(text.clone());
                json.original = Value::String(original.clone());
            }
            Proposal::Field {
                row,
                field,
                original,
                value,
            } => {
                json.row = Some(row.clone());
                json.field = Some(field.clone());
                json.value = Some(value.clone());
                json.original = original.clone();
            }
            Proposal::Row { fields } => json.new_row = Some(fields.clone()),
        }
        json
    }
}

/// Which suggestions to list; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuggestionFilter {
    pub status: Option<SuggestionStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: Value) -> Result<ProposalInput, SuggestionError> {
        serde_json::from_value::<SuggestionInput>(json)
            .expect("parses")
            .validate()
    }

    #[test]
    fn exactly_one_shape_is_accepted() {
        assert_eq!(
            input(serde_json::json!({"row": "r", "field": "tiltak", "value": null})),
            Ok(ProposalInput::Field {
                row: "r".into(),
                field: "tiltak".into(),
                value: Value::Null
            })
        );
        assert_eq!(
            input(serde_json::json!({"row": "r", "field": "tiltak"})),
            Err(SuggestionError::Shape)
        );
        assert_eq!(
            input(serde_json::json!({"new_row": {"tiltak": "x"}, "row": "r"})),
            Err(SuggestionError::Shape)
        );
        assert_eq!(input(serde_json::json!({})), Err(SuggestionError::Shape));
        assert!(matches!(
            input(serde_json::json!({"new_row": {"tiltak": "x"}})),
            Ok(ProposalInput::Row { .. })
        ));
        assert!(serde_json::from_value::<SuggestionInput>(serde_json::json!({"odd": 1})).is_err());
    }

    #[test]
    fn sizes_are_bounded() {
        let long = "x".repeat(MAX_VALUE_BYTES + 1);
        assert_eq!(
            input(serde_json::json!({"row": "r", "field": "tiltak", "value": long})),
            Err(SuggestionError::TooLong("value"))
        );
        assert_eq!(
            input(serde_json::json!({"new_row": {"tiltak": long}})),
            Err(SuggestionError::TooLong("new_row"))
        );
        let anchor = serde_json::json!({"kind": "tiltak", "row": "r"});
        assert_eq!(
            input(serde_json::json!({"anchor": anchor, "text": "x"})),
            Err(SuggestionError::NotText)
        );
        assert_eq!(
            input(serde_json::json!({"anchor": anchor, "text": "å".repeat(MAX_TEXT_CHARS + 1)})),
            Err(SuggestionError::TextTooLong)
        );
        assert_eq!(validate_reason(Some("  ")), Ok(None));
        assert_eq!(validate_reason(Some(" nei ")), Ok(Some("nei".into())));
        assert_eq!(
            validate_reason(Some(&"x".repeat(MAX_REASON_CHARS + 1))),
            Err(SuggestionError::ReasonTooLong)
        );
    }
}
