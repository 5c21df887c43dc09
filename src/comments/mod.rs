//! Comment threads on a plan: KoRus advisers, editors and coordinators discuss the text without
//! changing it.
//!
//! Threads and their comments live in the database ([`crate::storage::comments`]), never in the Y.Doc, so they
//! never reach a Markdown or PDF export. A thread is anchored either to a range of a prose
//! section (two Yjs relative positions made by y-prosemirror in the browser, plus the quoted
//! text) or to a tiltak row. Where the anchored text is now, and whether it still exists, is
//! worked out against the live document on every read ([`anchor`]). Changes reach every open
//! plan page through [`hub::CommentHub`] (and, on PostgreSQL, the other server nodes).

pub mod anchor;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use yrs::StickyIndex;
use yrs::updates::decoder::Decode;

pub use self::anchor::{AnchorState, AnchorStatus};
use crate::access::Actor;
use crate::plan::PlanId;
use crate::time::rfc3339;

/// Longest comment, in characters, after trimming.
pub const MAX_BODY_CHARS: usize = 5000;
/// Longest quote of the commented text, in characters.
pub const MAX_QUOTE_CHARS: usize = 1000;
/// Longest encoded relative position accepted (a real one is a few dozen bytes).
pub const MAX_POSITION_CHARS: usize = 1000;
/// Longest section or row id accepted.
const MAX_ID_CHARS: usize = 200;

/// A comment request the plan's rules refuse (the HTTP layer answers 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("Kommentaren er tom.")]
    EmptyBody,
    #[error("Kommentaren er for lang: høyst {MAX_BODY_CHARS} tegn.")]
    BodyTooLong,
    #[error("Sitatet er for langt: høyst {MAX_QUOTE_CHARS} tegn.")]
    QuoteTooLong,
    #[error("Ukjent type forankring «{0}»: forventet «text» eller «tiltak».")]
    UnknownAnchorKind(String),
    #[error("Forankringen mangler feltet «{0}».")]
    MissingField(&'static str),
    #[error("Posisjonen «{0}» i forankringen er ikke en gyldig Yjs-posisjon.")]
    BadPosition(&'static str),
    #[error("Planen har ingen tekstseksjon «{0}».")]
    NotProseSection(String),
    #[error("Planen har ikke noe tiltak med id «{0}».")]
    UnknownRow(String),
    #[error("Ukjent status «{0}»: forventet «open» eller «resolved».")]
    UnknownStatus(String),
}

/// What a thread is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A range of a prose section: Yjs `encodeRelativePosition` bytes of its two ends.
    Text {
        section: String,
        start: Vec<u8>,
        end: Vec<u8>,
        quote: String,
    },
    /// A tiltak row, by its `id`.
    Tiltak { row: String, quote: String },
}

impl Anchor {
    pub fn kind(&self) -> &'static str {
        match self {
            Anchor::Text { .. } => "text",
            Anchor::Tiltak { .. } => "tiltak",
        }
    }

    pub fn quote(&self) -> &str {
        match self {
            Anchor::Text { quote, .. } | Anchor::Tiltak { quote, .. } => quote,
        }
    }

    /// The prose section of a text anchor.
    pub fn section(&self) -> Option<&str> {
        match self {
            Anchor::Text { section, .. } => Some(section),
            Anchor::Tiltak { .. } => None,
        }
    }
}

/// An anchor as the browser sends it: `{"kind":"text","section","start","end","quote"}` or
/// `{"kind":"tiltak","row","quote"}`, positions in standard base64.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnchorInput {
    pub kind: String,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub row: Option<String>,
    #[serde(default)]
    pub quote: Option<String>,
}

impl AnchorInput {
    /// Checks the anchor's form (not yet against the document: see
    /// [`anchor::check_new_anchor`]).
    pub fn validate(self) -> Result<Anchor, CommentError> {
        let quote = self.quote.unwrap_or_default();
        if quote.chars().count() > MAX_QUOTE_CHARS {
            return Err(CommentError::QuoteTooLong);
        }
        let required = |value: Option<String>, name: &'static str| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(CommentError::MissingField(name))
        };
        match self.kind.as_str() {
            "text" => {
                let section = required(self.section, "section")?;
                if section.chars().count() > MAX_ID_CHARS {
                    return Err(CommentError::NotProseSection(
                        section.chars().take(40).collect(),
                    ));
                }
                Ok(Anchor::Text {
                    section,
                    start: decode_position(&required(self.start, "start")?, "start")?,
                    end: decode_position(&required(self.end, "end")?, "end")?,
                    quote,
                })
            }
            "tiltak" => {
                let row = required(self.row, "row")?;
                if row.chars().count() > MAX_ID_CHARS {
                    return Err(CommentError::UnknownRow(row.chars().take(40).collect()));
                }
                Ok(Anchor::Tiltak { row, quote })
            }
            other => Err(CommentError::UnknownAnchorKind(
                other.chars().take(40).collect(),
            )),
        }
    }
}

/// Base64 that must decode to a Yjs relative position; returns the bytes as given.
fn decode_position(encoded: &str, which: &'static str) -> Result<Vec<u8>, CommentError> {
    if encoded.len() > MAX_POSITION_CHARS {
        return Err(CommentError::BadPosition(which));
    }
    let bytes = BASE64
        .decode(encoded)
        .map_err(|_| CommentError::BadPosition(which))?;
    StickyIndex::decode_v1(&bytes).map_err(|_| CommentError::BadPosition(which))?;
    Ok(bytes)
}

/// A comment's text: trimmed, 1 to [`MAX_BODY_CHARS`] characters.
pub fn validate_body(body: &str) -> Result<String, CommentError> {
    let body = body.trim();
    match body.chars().count() {
        0 => Err(CommentError::EmptyBody),
        n if n > MAX_BODY_CHARS => Err(CommentError::BodyTooLong),
        _ => Ok(body.to_owned()),
    }
}

/// Open or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadStatus {
    Open,
    Resolved,
}

impl std::str::FromStr for ThreadStatus {
    type Err = CommentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(ThreadStatus::Open),
            "resolved" => Ok(ThreadStatus::Resolved),
            other => Err(CommentError::UnknownStatus(
                other.chars().take(40).collect(),
            )),
        }
    }
}

/// Which threads to list; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadFilter {
    pub status: Option<ThreadStatus>,
    /// The prose section of text anchors.
    pub section: Option<String>,
    /// The unit of the thread's author.
    pub unit: Option<String>,
}

/// A stored thread with its comments, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub id: String,
    pub plan_id: PlanId,
    pub anchor: Anchor,
    pub author: Actor,
    /// Unix milliseconds.
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<Actor>,
    pub comments: Vec<Comment>,
}

impl Thread {
    pub fn status(&self) -> ThreadStatus {
        if self.resolved_at.is_some() {
            ThreadStatus::Resolved
        } else {
            ThreadStatus::Open
        }
    }
}

/// One comment of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub thread_id: String,
    pub author: Actor,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub edited_at: Option<i64>,
}

/// A thread as the API sends it (the contract the browser is written against).
#[derive(Debug, Clone, Serialize)]
pub struct ThreadJson {
    pub id: String,
    pub plan_id: PlanId,
    pub anchor: AnchorJson,
    pub status: ThreadStatus,
    pub author: Actor,
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<Actor>,
    pub anchor_state: AnchorState,
    pub current_text: Option<String>,
    /// A row anchor's number as the plan prints it now («4.5-9»), if it is printed.
    pub tiltak_number: Option<String>,
    pub comments: Vec<CommentJson>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnchorJson {
    Text {
        section: String,
        start: String,
        end: String,
        quote: String,
    },
    Tiltak {
        row: String,
        quote: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct CommentJson {
    pub id: String,
    pub author: Actor,
    pub body: String,
    pub created_at: String,
    pub edited_at: Option<String>,
}

impl From<&Anchor> for AnchorJson {
    fn from(anchor: &Anchor) -> Self {
        match anchor {
            Anchor::Text {
                section,
                start,
                end,
                quote,
            } => AnchorJson::Text {
                section: section.clone(),
                start: BASE64.encode(start),
                end: BASE64.encode(end),
                quote: quote.clone(),
            },
            Anchor::Tiltak { row, quote } => AnchorJson::Tiltak {
                row: row.clone(),
                quote: quote.clone(),
            },
        }
    }
}

impl From<&Comment> for CommentJson {
    fn from(comment: &Comment) -> Self {
        CommentJson {
            id: comment.id.clone(),
            author: comment.author.clone(),
            body: comment.body.clone(),
            created_at: rfc3339(comment.created_at),
            edited_at: comment.edited_at.map(rfc3339),
        }
    }
}

impl ThreadJson {
    /// The thread with where its anchor stands in the live document now.
    pub fn new(thread: &Thread, status: AnchorStatus) -> ThreadJson {
        ThreadJson {
            id: thread.id.clone(),
            plan_id: thread.plan_id,
            anchor: AnchorJson::from(&thread.anchor),
            status: thread.status(),
            author: thread.author.clone(),
            created_at: rfc3339(thread.created_at),
            resolved_at: thread.resolved_at.map(rfc3339),
            resolved_by: thread.resolved_by.clone(),
            anchor_state: status.state,
            current_text: status.current_text,
            tiltak_number: status.number,
            comments: thread.comments.iter().map(CommentJson::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> String {
        let doc = yrs::Doc::new();
        let text = doc.get_or_insert_text("t");
        let mut txn = yrs::Transact::transact_mut(&doc);
        yrs::Text::insert(&text, &mut txn, 0, "abc");
        let index =
            yrs::IndexedSequence::sticky_index(&text, &txn, 1, yrs::Assoc::After).expect("index");
        BASE64.encode(yrs::updates::encoder::Encode::encode_v1(&index))
    }

    fn text_anchor(start: &str) -> AnchorInput {
        AnchorInput {
            kind: "text".into(),
            section: Some("a".into()),
            start: Some(start.into()),
            end: Some(position()),
            quote: Some("b".into()),
            ..AnchorInput::default()
        }
    }

    #[test]
    fn bodies_are_trimmed_and_bounded() {
        assert_eq!(validate_body("  hei \n"), Ok("hei".to_owned()));
        assert_eq!(validate_body(" \n\t"), Err(CommentError::EmptyBody));
        assert!(validate_body(&"å".repeat(MAX_BODY_CHARS)).is_ok());
        assert_eq!(
            validate_body(&"å".repeat(MAX_BODY_CHARS + 1)),
            Err(CommentError::BodyTooLong)
        );
    }

    #[test]
    fn anchors_are_checked_for_form() {
        let anchor = text_anchor(&position()).validate().expect("valid");
        assert_eq!(anchor.kind(), "text");
        assert_eq!(anchor.section(), Some("a"));
        assert_eq!(
            text_anchor("not base64!").validate(),
            Err(CommentError::BadPosition("start"))
        );
        // Valid base64, but not a relative position (tag 9 is unknown).
        assert_eq!(
            text_anchor(&BASE64.encode([9u8, 1, 2])).validate(),
            Err(CommentError::BadPosition("start"))
        );
        let mut missing = text_anchor(&position());
        missing.end = None;
        assert_eq!(missing.validate(), Err(CommentError::MissingField("end")));
        let mut long = text_anchor(&position());
        long.quote = Some("x".repeat(MAX_QUOTE_CHARS + 1));
        assert_eq!(long.validate(), Err(CommentError::QuoteTooLong));
        let row = AnchorInput {
            kind: "tiltak".into(),
            row: Some("r1".into()),
            ..AnchorInput::default()
        };
        assert_eq!(
            row.validate(),
            Ok(Anchor::Tiltak {
                row: "r1".into(),
                quote: String::new()
            })
        );
        let odd = AnchorInput {
            kind: "image".into(),
            ..AnchorInput::default()
        };
        assert!(matches!(
            odd.validate(),
            Err(CommentError::UnknownAnchorKind(_))
        ));
    }
}
