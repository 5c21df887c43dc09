//! The domain error: what went wrong, in terms of plans and people, never of HTTP. The JSON API
//! maps it to a status and `{"error": …}`; the pages map it to a Norwegian page.

use crate::access::{Action, Role};
use crate::document::{DocumentError, ErrorKind};
use crate::plan::InvalidPlanId;
use crate::room::RoomError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan does not exist, or the caller may not know that it does: both read the same,
    /// so a non-member learns nothing about which plans exist.
    #[error("plan {0} not found")]
    PlanNotFound(String),
    /// Something inside a plan (a version, a row, a thread, a member, an invite) is not there.
    #[error("{0}")]
    NotFound(String),
    /// An id or a body that is not well-formed (not a UUID, not JSON, wrong types).
    #[error("{0}")]
    Malformed(String),
    /// The caller's role on the plan does not allow the action.
    #[error("the role {role} may not {} on this plan", action_text(*action))]
    NotAllowed { role: Role, action: Action },
    /// The caller may not do this at all (not on one plan: e.g. creating plans).
    #[error("{0}")]
    Forbidden(String),
    /// A credential was presented but is unknown, revoked or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// Well-formed but refused by the rules; `field` names the input at fault.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Collides with what exists (a version name in use, an e-mail address taken).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {} minutes", retry_after_secs.div_ceil(60))]
    TooManyAttempts { retry_after_secs: u64 },
    /// Too many password hashes at once: retry in a moment.
    #[error("too many sign-ins at once; try again in a moment")]
    Busy,
    /// The server is shutting down, or the plan's room just closed: retry.
    #[error("the server is busy or shutting down; try again")]
    Unavailable,
    /// Something went wrong on our side; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A rule broken by the input `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn plan_not_found(plan: impl std::fmt::Display) -> Self {
        Error::PlanNotFound(plan.to_string())
    }
}

/// What an action is called in messages.
pub fn action_text(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Edit => "change content",
        Action::Comment => "comment",
        Action::Moderate => "resolve or reopen others' threads",
        Action::ExportCurrent => "export the current draft",
        Action::ExportVersion => "export versions",
        Action::Freeze => "freeze versions",
        Action::Manage => "manage members",
        Action::Shape => "change the plan's sections and goals",
    }
}

impl From<InvalidPlanId> for Error {
    fn from(e: InvalidPlanId) -> Self {
        Error::Malformed(e.to_string())
    }
}

impl From<DocumentError> for Error {
    fn from(e: DocumentError) -> Self {
        let message = e.to_string();
        match e.kind() {
            ErrorKind::NotFound => Error::NotFound(message),
            ErrorKind::Invalid => Error::invalid("tiltak", message),
            ErrorKind::BadRequest => Error::Malformed(message),
            ErrorKind::Conflict => Error::Conflict(message),
        }
    }
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::PlanNotFound(id) => Error::plan_not_found(id),
            StorageError::VersionNameTaken(_) | StorageError::EmailTaken(_) => {
                Error::Conflict(e.to_string())
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<RoomError> for Error {
    fn from(e: RoomError) -> Self {
        match e {
            RoomError::Storage(e) => e.into(),
            RoomError::ShuttingDown | RoomError::Closed => Error::Unavailable,
            RoomError::NotStored => Error::Internal("a change could not be stored".into()),
            RoomError::Corrupt(detail) => Error::Internal(detail),
            RoomError::UnknownTemplate(key) => Error::Internal(format!(
                "the plan's template {key} is not loaded; start the server with the directory that holds it (--templates-dir)"
            )),
        }
    }
}
