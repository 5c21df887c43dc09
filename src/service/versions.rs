//! Named versions and exports. A version is the committed state frozen under a name; it is read
//! from its stored state in a detached document, never from the live room, so what is frozen is
//! exactly what was committed and never changes afterwards.

use super::{Error, PlanAccess, Principal, Result, Services};
use crate::access::{Action, Actor, Role};
use crate::document::{self, PlanView};
use crate::export::{self, ChangesAppendix, ExportInfo, Format};
use crate::plan::{PlanId, PlanRecord};
use crate::storage::Storage;
use crate::templates::{Template, TemplateRegistry};
use crate::version::{self, VersionId, VersionRecord};

/// Freezes the plan's committed state under `name`.
pub async fn freeze(services: &Services, access: &PlanAccess, name: &str) -> Result<VersionRecord> {
    access.require(Action::Freeze)?;
    let record = &access.record;
    let name = version::normalize_name(name).map_err(|e| Error::invalid("name", e.to_string()))?;
    // Taken inside the room: exactly the committed document, nothing in flight.
    let frozen = services.registry.read(record.id, version::freeze).await?;
    let created = services
        .storage
        .create_version(record.id, &name, &frozen)
        .await?;
    tracing::info!(plan = %record.id, version = %created.id, "version frozen");
    Ok(created)
}

/// The plan's versions, newest first.
pub async fn list(services: &Services, access: &PlanAccess) -> Result<Vec<VersionRecord>> {
    Ok(services.storage.list_versions(access.plan()).await?)
}

/// A version's record and content, read from its frozen state.
pub async fn view(
    storage: &dyn Storage,
    record: &PlanRecord,
    template: &Template,
    version_id: &str,
) -> Result<(VersionRecord, PlanView)> {
    let id: VersionId = version_id
        .parse()
        .map_err(|e: version::InvalidVersionId| Error::Malformed(e.to_string()))?;
    let stored = storage
        .get_version(record.id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("plan {} has no version {id}", record.id)))?;
    let template = template.clone();
    let view = tokio::task::spawn_blocking(move || {
        version::thaw(&stored.state).map(|doc| document::plan_view(&doc, &template))
    })
    .await
    .map_err(|e| Error::Internal(format!("reading a version failed: {e}")))?
    .map_err(|e| Error::Internal(format!("version {id} does not decode: {e}")))?;
    Ok((stored.record, view))
}

/// An export: the file's bytes and its name.
pub struct Exported {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub format: Format,
}

/// Exports the current state, or a named version (`version_id`), in `format`; with
/// `changes_since` (another version's id), what changed since that version is the last appendix;
/// with `previous_status`, the previous plan's last closed status round is an appendix before
/// it (the caller must be allowed to see the previous plan: else it is not found, as that plan
/// would be). Readers may export versions only: the current draft is not yet the plan.
pub async fn export(
    services: &Services,
    access: &PlanAccess,
    version_id: Option<&str>,
    changes_since: Option<&str>,
    previous_status: bool,
    format: Format,
) -> Result<Exported> {
    let version_id = version_id.filter(|id| !id.is_empty());
    access.require(if version_id.is_some() {
        Action::ExportVersion
    } else {
        Action::ExportCurrent
    })?;
    if changes_since.is_some() {
        // The appendix reads the earlier version.
        access.require(Action::ExportVersion)?;
    }
    let (record, template) = (&access.record, &access.template);
    let (view, info) = match version_id {
        Some(version_id) => {
            version_to_export(services.storage.as_ref(), record, template, version_id).await?
        }
        None => {
            let view = services.current_view(record, template).await?;
            // The plan's last change dates the current state, so the same state exports the
            // same bytes.
            let updated = services
                .storage
                .get_plan(record.id)
                .await?
                .map_or(record.updated_at, |latest| latest.updated_at);
            let info = ExportInfo {
                version: None,
                date_millis: updated,
                ..ExportInfo::default()
            };
            (view, info)
        }
    };
    let info = with_changes(
        services.storage.as_ref(),
        record,
        template,
        &view,
        info,
        changes_since,
    )
    .await?;
    let storage = services.storage.as_ref();
    let info = if previous_status {
        let previous = match storage.plan_lineage(record.id).await?.previous {
            Some(previous) => Some(
                PlanAccess::resolve(services, access.principal.clone(), &previous.to_string())
                    .await?,
            ),
            None => None,
        };
        with_previous_status(storage, info, previous.as_ref()).await?
    } else {
        info
    };
    render(storage, record, template, view, info, version_id, format).await
}

/// What names the appendix «Status for forrige plan» in a request: the query parameter
/// (`?previous_status=1`) and the field of its refusals.
pub const PREVIOUS_STATUS: &str = "previous_status";

/// The flag `previous_status` as a query gives it: `1`, `true`, `ja` or `on` ask for the
/// appendix; nothing, "", `0`, `false`, `nei` or `off` do not; anything else is refused.
pub fn previous_status_flag(value: Option<&str>) -> Result<bool> {
    match value.map(|v| v.trim().to_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "nei" | "off") => Ok(false),
        Some("1" | "true" | "ja" | "on") => Ok(true),
        Some(_) => Err(Error::invalid(
            PREVIOUS_STATUS,
            format!("`{PREVIOUS_STATUS}` må være 1 (ta med status for forrige plan) eller 0"),
        )),
    }
}

/// `info` with the appendix «Status for forrige plan»: the status report of the last closed
/// round of `previous` (the plan the exported plan was made from, as the caller sees it).
/// Refused naming `previous_status` when there is no previous plan or it has no closed round:
/// an empty appendix is never printed.
async fn with_previous_status(
    storage: &dyn Storage,
    mut info: ExportInfo,
    previous: Option<&PlanAccess>,
) -> Result<ExportInfo> {
    let Some(previous) = previous else {
        return Err(Error::invalid(
            PREVIOUS_STATUS,
            format!(
                "Planen er ikke laget fra en tidligere plan («Ny plan fra denne»), så det finnes \
                 ingen forrige plan å vise status for ({PREVIOUS_STATUS})."
            ),
        ));
    };
    let report = crate::service::rounds::latest_closed_report(storage, previous)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                PREVIOUS_STATUS,
                format!(
                    "Forrige plan, «{}», har ingen avsluttet statusrunde ennå, så det finnes \
                     ingen status å vise ({PREVIOUS_STATUS}). Lukk en statusrunde i den planen \
                     først.",
                    previous.record.title
                ),
            )
        })?;
    info.previous_status = Some(report);
    Ok(info)
}

/// `info` with the appendix of what changed from version `changes_since` to `view`. The
/// version must be one of this plan's: any other value is refused naming `changes_since`.
async fn with_changes(
    storage: &dyn Storage,
    record: &PlanRecord,
    template: &Template,
    exported: &PlanView,
    mut info: ExportInfo,
    changes_since: Option<&str>,
) -> Result<ExportInfo> {
    const PARAM: &str = "changes_since";
    const EXPECTED: &str = "give a version id of this plan (see GET /api/plans/{id}/versions)";
    let Some(value) = changes_since
        .map(str::trim)
        .filter(|value| !value.is_empty())
    else {
        return Ok(info);
    };
    let id: VersionId = value.parse().map_err(|e: version::InvalidVersionId| {
        Error::invalid(PARAM, format!("`{PARAM}` is not valid: {e}; {EXPECTED}"))
    })?;
    let (since, from) = match view(storage, record, template, &id.to_string()).await {
        Ok(found) => found,
        Err(Error::NotFound(_)) => {
            return Err(Error::invalid(
                PARAM,
                format!("`{PARAM}` names no version of this plan; {EXPECTED}"),
            ));
        }
        Err(other) => return Err(other),
    };
    let (to, template) = (exported.clone(), template.clone());
    let diff = tokio::task::spawn_blocking(move || document::diff(&from, &to, &template))
        .await
        .map_err(|e| Error::Internal(format!("comparing versions failed: {e}")))?;
    info.changes = Some(ChangesAppendix {
        since: since.name,
        diff,
    });
    Ok(info)
}

/// A version's content and the export information it is dated by.
async fn version_to_export(
    storage: &dyn Storage,
    record: &PlanRecord,
    template: &Template,
    version_id: &str,
) -> Result<(PlanView, ExportInfo)> {
    let (version, view) = view(storage, record, template, version_id).await?;
    let info = ExportInfo {
        version: Some(version.name),
        date_millis: version.created_at,
        ..ExportInfo::default()
    };
    Ok((view, info))
}

/// Exports straight from the database, with no server running or beside one (the CLI): the
/// current state is the stored document (snapshot and log, as a server would load it), a
/// version its frozen state.
pub async fn export_stored(
    storage: &dyn Storage,
    templates: &TemplateRegistry,
    plan: PlanId,
    version_id: Option<&str>,
    changes_since: Option<&str>,
    previous_status: bool,
    format: Format,
) -> Result<Exported> {
    let (record, template) = super::plans::stored_plan(storage, templates, plan).await?;
    let (view, info) = match version_id {
        Some(version_id) => version_to_export(storage, &record, template, version_id).await?,
        None => {
            let doc = crate::room::load_document(&storage.load_document(plan).await?)?;
            let info = ExportInfo {
                version: None,
                date_millis: record.updated_at,
                ..ExportInfo::default()
            };
            (document::plan_view(&doc, template), info)
        }
    };
    let info = with_changes(storage, &record, template, &view, info, changes_since).await?;
    let info = if previous_status {
        let previous = match storage.plan_lineage(plan).await?.previous {
            Some(previous) => {
                let (record, template) =
                    super::plans::stored_plan(storage, templates, previous).await?;
                Some(stored_access(record, template.clone()))
            }
            None => None,
        };
        with_previous_status(storage, info, previous.as_ref()).await?
    } else {
        info
    };
    render(storage, &record, template, view, info, version_id, format).await
}

/// Access to a plan for the CLI, which works on the database directly as its owner: the
/// coordinator's reading of it, by nobody in particular.
fn stored_access(record: PlanRecord, template: Template) -> PlanAccess {
    PlanAccess {
        record,
        template,
        role: Role::Coordinator,
        own_role: Role::Coordinator,
        actor: Actor {
            id: "anonymous".into(),
            name: "Kommandolinjen".into(),
            unit: None,
        },
        principal: Principal::Anonymous,
    }
}

/// Typesets off the async threads (a PDF takes tens to hundreds of milliseconds), with the
/// cover from the plan's settings and its logo.
async fn render(
    storage: &dyn Storage,
    record: &PlanRecord,
    template: &Template,
    view: PlanView,
    mut info: ExportInfo,
    version_id: Option<&str>,
    format: Format,
) -> Result<Exported> {
    cover_from_settings(&mut info, record, version_id);
    info.logo = storage.plan_logo(record.id).await?;
    let filename = export::filename(&view, &info, format);
    let started = std::time::Instant::now();
    let template = template.clone();
    let bytes =
        tokio::task::spawn_blocking(move || export::export(format, &view, &template, &info))
            .await
            .map_err(|e| Error::Internal(format!("export task failed: {e}")))?
            .map_err(|e| Error::Internal(e.to_string()))?;
    tracing::info!(plan = %record.id, %format, bytes = bytes.len(), elapsed_ms = started.elapsed().as_millis() as u64, "exported");
    Ok(Exported {
        bytes,
        filename,
        format,
    })
}

/// The cover's place and date from the plan's settings: the adoption date when the adopted
/// version is exported, else the plan's own date; the plan's own place.
fn cover_from_settings(info: &mut ExportInfo, record: &PlanRecord, version_id: Option<&str>) {
    let settings = &record.settings;
    info.place = settings.place.clone();
    let adopted = settings
        .adopted
        .as_ref()
        .filter(|adopted| version_id == Some(adopted.version.to_string().as_str()))
        .map(|adopted| adopted.date.as_str());
    let date = adopted.or((!settings.date.is_empty()).then_some(settings.date.as_str()));
    info.cover_date_millis = date.and_then(crate::time::date_millis);
}
