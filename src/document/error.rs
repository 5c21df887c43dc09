//! Why a change to a plan's document was refused. Every write validates first and mutates only
//! when everything is valid, so an error always means "nothing was changed".

use crate::templates::{FieldValueError, SectionKind};

/// How the HTTP layer should answer an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The row, milestone, section or checklist item does not exist (404).
    NotFound,
    /// Well-formed, but a value is not allowed (422).
    Invalid,
    /// A value has the wrong JSON type (400).
    BadRequest,
    /// The value collides with existing content, e.g. a row id already in use (409).
    Conflict,
}

impl ErrorKind {
    /// The HTTP status code for this kind.
    pub fn status_code(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::Invalid => 422,
            ErrorKind::BadRequest => 400,
            ErrorKind::Conflict => 409,
        }
    }
}

/// A refused change. `row` is the index in the request's `rows` array (bulk import) or `None`
/// when a single row is patched; `field` is the tiltak field, or `meta.<key>` /
/// `milestone.<key>` outside the tiltak table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("{}unknown field `{field}`; known fields: {}", at(.row), .known.join(", "))]
    UnknownField {
        row: Option<usize>,
        field: String,
        known: Vec<String>,
    },
    #[error("{}field `{field}` must be {expected} or null, not {found}", at(.row))]
    WrongType {
        row: Option<usize>,
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{}field `{field}` is {len} characters long; the limit is {max}", at(.row))]
    TooLong {
        row: Option<usize>,
        field: String,
        len: usize,
        max: usize,
    },
    /// An enum value of the tiltak table (the template's own check).
    #[error("{}{error}", at(.row))]
    Enum {
        row: Option<usize>,
        error: FieldValueError,
    },
    /// Any other value outside a fixed list (plan status, target-group tiltak section, …).
    #[error("{}`{value}` is not allowed for `{field}`; allowed values: {}", at(.row), list(.allowed))]
    NotAllowed {
        row: Option<usize>,
        field: String,
        value: String,
        allowed: Vec<String>,
    },
    #[error("{}`{value}` is not a valid id (expected a UUID such as 0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11)", at(.row))]
    InvalidId { row: Option<usize>, value: String },
    #[error("{}a tiltak row with id `{id}` already exists", at(.row))]
    DuplicateId { row: Option<usize>, id: String },
    #[error("field `{field}` cannot be changed")]
    Immutable { field: String },
    /// Too many rows or paragraphs in one request.
    #[error("{count} {what} in one request; the limit is {max}")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error("there is no tiltak row with id `{id}`")]
    UnknownRow { id: String },
    #[error("there is no milestone with id `{id}`")]
    UnknownMilestone { id: String },
    #[error("the plan's template has no section `{id}`")]
    UnknownSection { id: String },
    #[error("section `{id}` is a `{kind}` section, not prose")]
    NotProse { id: String, kind: SectionKind },
    #[error("the plan has no checklist item `{key}` (expected `<section id>/<item id>`)")]
    UnknownChecklistItem { key: String },
    #[error("the plan has no goal with id `{id}`")]
    UnknownGoal { id: String },
    #[error("{}field `{field}` must be a number, not `{value}`", at(.row))]
    NotANumber {
        row: Option<usize>,
        field: String,
        value: String,
    },
    #[error("field `{field}` is empty; it needs a value")]
    Empty { field: String },
    #[error("section `{id}` {reason}")]
    SectionRefused { id: String, reason: &'static str },
    /// A live change to a part of the document the plan does not have.
    #[error("{place} is not part of the plan's document")]
    UnknownPlace { place: String },
    /// A live change that only a coordinator may make.
    #[error("only the coordinator may change {place}")]
    NotCoordinator { place: String },
}

impl DocumentError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DocumentError::UnknownRow { .. }
            | DocumentError::UnknownMilestone { .. }
            | DocumentError::UnknownSection { .. }
            | DocumentError::UnknownChecklistItem { .. }
            | DocumentError::UnknownGoal { .. } => ErrorKind::NotFound,
            DocumentError::WrongType { .. } => ErrorKind::BadRequest,
            DocumentError::DuplicateId { .. } => ErrorKind::Conflict,
            DocumentError::UnknownField { .. }
            | DocumentError::TooLong { .. }
            | DocumentError::Enum { .. }
            | DocumentError::NotAllowed { .. }
            | DocumentError::InvalidId { .. }
            | DocumentError::Immutable { .. }
            | DocumentError::TooMany { .. }
            | DocumentError::NotProse { .. }
            | DocumentError::NotANumber { .. }
            | DocumentError::Empty { .. }
            | DocumentError::SectionRefused { .. }
            | DocumentError::UnknownPlace { .. }
            | DocumentError::NotCoordinator { .. } => ErrorKind::Invalid,
        }
    }
}

/// A value quoted in a message, cut so that a huge input never becomes a huge error.
pub(crate) fn quote(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

fn at(row: &Option<usize>) -> String {
    match row {
        Some(index) => format!("rows[{index}]: "),
        None => String::new(),
    }
}

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
    }
}
