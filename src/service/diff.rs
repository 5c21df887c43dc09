//! What changed between two frozen versions of a plan, or between a version and the current
//! text ([`compare`]). Versions are read from their frozen state, the current text in the
//! plan's room; the comparison itself is [`document::diff`].

use serde::Serialize;

use super::{Error, PlanAccess, Result, Services, versions};
use crate::access::Action;
use crate::document::{self, PlanDiff, PlanView};
use crate::version::{VersionId, VersionRecord};

/// The word that names the current text where a version id could stand (`to=current`).
pub const CURRENT: &str = "current";

/// One side of a comparison, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    Version(VersionId),
    /// The plan's current committed text.
    Current,
}

impl Side {
    /// Reads a query parameter: a version id, or `current` where `current_allowed`. Missing or
    /// malformed values are refused naming the parameter.
    pub fn parse(param: &'static str, value: Option<&str>, current_allowed: bool) -> Result<Side> {
        let value = value.map(str::trim).unwrap_or_default();
        let expected = if current_allowed {
            "a version id (see GET /api/plans/{id}/versions) or \"current\""
        } else {
            "a version id (see GET /api/plans/{id}/versions)"
        };
        if value.is_empty() {
            return Err(Error::invalid(
                param,
                format!("the query parameter `{param}` is missing: give {expected}"),
            ));
        }
        if current_allowed && value == CURRENT {
            return Ok(Side::Current);
        }
        value.parse::<VersionId>().map(Side::Version).map_err(|e| {
            Error::invalid(
                param,
                format!("the query parameter `{param}` is not valid: {e}; give {expected}"),
            )
        })
    }

    /// The value as a query parameter gives it.
    pub fn as_param(&self) -> String {
        match self {
            Side::Version(id) => id.to_string(),
            Side::Current => CURRENT.to_owned(),
        }
    }
}

/// One side of a comparison as compared: a version, or the current text.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    /// A version id, or `current`.
    pub id: String,
    /// The version's record; `None` for the current text.
    pub version: Option<VersionRecord>,
}

/// A comparison: what was compared, and what changed.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub from: Compared,
    pub to: Compared,
    #[serde(flatten)]
    pub diff: PlanDiff,
}

/// What changed from `from` to `to`. The current text is for those who may see the draft
/// (readers read frozen versions only); an unknown version is not found.
pub async fn compare(
    services: &Services,
    access: &PlanAccess,
    from: &Side,
    to: &Side,
) -> Result<Comparison> {
    if [from, to].contains(&&Side::Current) {
        access.require(Action::ExportCurrent)?;
    }
    let (from_side, from_view) = read(services, access, from).await?;
    let (to_side, to_view) = read(services, access, to).await?;
    let template = access.template.clone();
    let diff = tokio::task::spawn_blocking(move || document::diff(&from_view, &to_view, &template))
        .await
        .map_err(|e| Error::Internal(format!("comparing versions failed: {e}")))?;
    Ok(Comparison {
        from: from_side,
        to: to_side,
        diff,
    })
}

async fn read(
    services: &Services,
    access: &PlanAccess,
    side: &Side,
) -> Result<(Compared, PlanView)> {
    match side {
        Side::Current => {
            let view = services
                .current_view(&access.record, &access.template)
                .await?;
            Ok((
                Compared {
                    id: CURRENT.to_owned(),
                    version: None,
                },
                view,
            ))
        }
        Side::Version(id) => {
            let (record, view) = versions::view(
                services.storage.as_ref(),
                &access.record,
                &access.template,
                &id.to_string(),
            )
            .await?;
            Ok((
                Compared {
                    id: id.to_string(),
                    version: Some(record),
                },
                view,
            ))
        }
    }
}

/// The version frozen just before `version` (the versions are listed newest first), if any: what
/// a version's page compares it with.
pub async fn previous_version(
    services: &Services,
    access: &PlanAccess,
    version: VersionId,
) -> Result<Option<VersionRecord>> {
    let listed = versions::list(services, access).await?;
    Ok(listed
        .iter()
        .position(|listed| listed.id == version)
        .and_then(|at| listed.get(at + 1))
        .cloned())
}
