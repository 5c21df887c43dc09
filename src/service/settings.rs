//! A plan's settings, for its coordinator: title, bydel, periode and status live in the plan's
//! document (its `meta` map) and are changed through the live room like any edit; the adoption
//! (the frozen version BU adopted, the meeting date and the sak number), the cover's place and
//! date and the contact person are stored beside it, on the plan's record, where exports read
//! them. Archiving makes a plan read-only and hides it from the list; restoring undoes that.
//! Deleting (administrators) removes the plan and everything stored with it. The cover logo
//! (a checked PNG or SVG, see [`crate::export::logo`]) is stored beside the plan too.
//!
//! Saving settings is all or nothing: everything is checked first, then the plan's record is
//! written (one statement), then the document; when the document cannot be written, the record
//! is put back as it was.

use serde::{Deserialize, Deserializer};

use super::revocation::AccessChange;
use super::{Error, PlanAccess, Principal, Result, Services, edit_document};
use crate::access::{self, Action};
use crate::document::{self, MetaField, PlanStatus};
use crate::export::{CoverLogo, LogoKind, logo::LogoError};
use crate::plan::{
    self, Adoption, MAX_CONTACT_CHARS, MAX_PLACE_CHARS, MAX_SAK_CHARS, PlanId, PlanMeta,
    PlanRecord, PlanSettings,
};
use crate::storage::now_millis;
use crate::version::VersionId;

/// A change of settings (`PATCH /api/plans/{id}`, the settings page): only what is given
/// changes. `adopted: null` clears the adoption (as does a status other than `vedtatt`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub title: Option<String>,
    pub bydel: Option<String>,
    pub periode: Option<String>,
    /// `utkast`, `horing` or `vedtatt`.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub adopted: Option<Option<AdoptionInput>>,
    /// The cover's place; empty for none.
    pub place: Option<String>,
    /// The cover's date, YYYY-MM-DD; empty for none.
    pub date: Option<String>,
    /// The contact person; empty for none.
    pub contact: Option<String>,
}

/// The adoption as asked for, before it is checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdoptionInput {
    /// The id of a frozen version of this plan.
    #[serde(default)]
    pub version: String,
    /// The meeting date, YYYY-MM-DD.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub sak: String,
}

/// A field that is present, even as `null`, is `Some(…)`; an absent one stays `None`.
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A checked patch: the document's fields to write and the settings to store.
#[derive(Debug)]
struct Checked {
    meta: Vec<(MetaField, String)>,
    settings: PlanSettings,
}

/// The plan's status as its record has it (a plan made before statuses were kept is a draft).
fn current_status(record: &PlanRecord) -> PlanStatus {
    record.status.parse().unwrap_or(PlanStatus::Utkast)
}

fn status_of(text: &str) -> Result<PlanStatus> {
    text.trim().parse::<PlanStatus>().map_err(|_| {
        Error::invalid(
            "status",
            format!(
                "status must be one of utkast, horing, vedtatt; got '{}'",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// An optional date: empty, or a real date written YYYY-MM-DD.
fn checked_date(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || plan::is_iso_date(text) {
        Ok(text.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("{field} must be a date written YYYY-MM-DD, such as 2026-03-12"),
        ))
    }
}

fn checked_text(field: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            field,
            format!("{field} must be one line of text"),
        ));
    }
    Ok(text.to_owned())
}

/// Checks an adoption: a version of this plan, a meeting date, a sak number.
async fn checked_adoption(
    services: &Services,
    plan: PlanId,
    input: &AdoptionInput,
) -> Result<Adoption> {
    let version: VersionId = input.version.trim().parse().map_err(|_| {
        Error::invalid(
            "adopted.version",
            "adopted.version must be the id of a frozen version of this plan",
        )
    })?;
    if !services
        .storage
        .list_versions(plan)
        .await?
        .iter()
        .any(|v| v.id == version)
    {
        return Err(Error::invalid(
            "adopted.version",
            format!("adopted.version: {version} is not a version of this plan"),
        ));
    }
    let date = checked_date("adopted.date", &input.date)?;
    if date.is_empty() {
        return Err(Error::invalid(
            "adopted.date",
            "adopted.date (the meeting date, YYYY-MM-DD) must be given",
        ));
    }
    let sak = checked_text("adopted.sak", &input.sak, MAX_SAK_CHARS)?;
    if sak.is_empty() {
        return Err(Error::invalid(
            "adopted.sak",
            "adopted.sak (the sak number) must be given",
        ));
    }
    Ok(Adoption { version, date, sak })
}

/// Checks everything a patch asks for against the plan as it is, before anything changes.
async fn check(services: &Services, record: &PlanRecord, patch: &SettingsPatch) -> Result<Checked> {
    let mut meta = Vec::new();
    if let Some(title) = &patch.title {
        meta.push((MetaField::Title, plan::checked_title(title)?));
    }
    if let Some(bydel) = &patch.bydel {
        meta.push((MetaField::Bydel, plan::checked_bydel(bydel)?.to_owned()));
    }
    if let Some(periode) = &patch.periode {
        meta.push((MetaField::Periode, plan::checked_periode(periode)?));
    }
    let status = match &patch.status {
        Some(text) => {
            let status = status_of(text)?;
            meta.push((MetaField::Status, status.as_str().to_owned()));
            status
        }
        None => current_status(record),
    };
    let mut settings = record.settings.clone();
    settings.adopted = match &patch.adopted {
        Some(Some(_)) if status != PlanStatus::Vedtatt => {
            return Err(Error::invalid(
                "adopted",
                "adopted is only for status vedtatt",
            ));
        }
        Some(Some(input)) => Some(checked_adoption(services, record.id, input).await?),
        Some(None) => None,
        None if status == PlanStatus::Vedtatt => settings.adopted,
        None => None,
    };
    if status == PlanStatus::Vedtatt && settings.adopted.is_none() {
        return Err(Error::invalid(
            "adopted",
            "adopted: status vedtatt needs the adopted version, the meeting date and the sak number",
        ));
    }
    if let Some(place) = &patch.place {
        settings.place = checked_text("place", place, MAX_PLACE_CHARS)?;
    }
    if let Some(date) = &patch.date {
        settings.date = checked_date("date", date)?;
    }
    if let Some(contact) = &patch.contact {
        settings.contact = checked_text("contact", contact, MAX_CONTACT_CHARS)?;
    }
    Ok(Checked { meta, settings })
}

/// The plan's record as stored now.
async fn reload(services: &Services, plan: PlanId) -> Result<PlanRecord> {
    services
        .storage
        .get_plan(plan)
        .await?
        .ok_or_else(|| Error::plan_not_found(plan))
}

/// The plan list's copy of the document's meta, as a record has it.
fn meta_of(record: &PlanRecord) -> PlanMeta {
    PlanMeta {
        title: record.title.clone(),
        bydel: record.bydel.clone(),
        periode: record.periode.clone(),
        status: record.status.clone(),
    }
}

/// `meta` with the checked changes of the document's fields.
fn with_changes(mut meta: PlanMeta, changes: &[(MetaField, String)]) -> PlanMeta {
    for (field, value) in changes {
        let slot = match field {
            MetaField::Title => &mut meta.title,
            MetaField::Bydel => &mut meta.bydel,
            MetaField::Periode => &mut meta.periode,
            MetaField::Status => &mut meta.status,
        };
        value.clone_into(slot);
    }
    meta
}

/// Changes the plan's settings (coordinator), all or nothing: checks everything first, then
/// stores the record (the list's meta and the settings, in one statement), then writes the
/// document's fields through the live room (open browsers see them at once). When the
/// document cannot be written, the record is stored back as it was. Returns the plan's record.
pub async fn update(
    services: &Services,
    access: &PlanAccess,
    patch: &SettingsPatch,
) -> Result<PlanRecord> {
    access.require(Action::Manage)?;
    let plan = access.plan();
    let before = &access.record;
    let checked = check(services, before, patch).await?;
    let meta = with_changes(meta_of(before), &checked.meta);
    if checked.meta.is_empty() && checked.settings == before.settings {
        return reload(services, plan).await;
    }
    services
        .storage
        .update_plan_record(plan, &meta, &checked.settings)
        .await?;
    if !checked.meta.is_empty() {
        let changes = checked.meta;
        let written = edit_document(services, access, Action::Manage, move |txn, _| {
            for (field, value) in &changes {
                document::set_meta(txn, *field, value)?;
            }
            Ok(())
        })
        .await;
        if let Err(e) = written {
            // The room has already put its document back; the record follows it.
            if let Err(restore) = services
                .storage
                .update_plan_record(plan, &meta_of(before), &before.settings)
                .await
            {
                tracing::error!(%plan, error = %restore, "plan record not restored after a failed document write");
            }
            return Err(e);
        }
    }
    tracing::info!(%plan, "plan settings changed");
    reload(services, plan).await
}

/// Stores the plan's cover logo (coordinator): a PNG or SVG upload of `kind` (`None`: another
/// type), checked by [`CoverLogo::check`]; a refusal names the field `logo`.
pub async fn set_logo(
    services: &Services,
    access: &PlanAccess,
    kind: Option<LogoKind>,
    bytes: Vec<u8>,
) -> Result<()> {
    access.require(Action::Manage)?;
    let refused = |e: LogoError| Error::invalid("logo", e.to_string());
    let kind = kind.ok_or_else(|| refused(LogoError::UnsupportedType))?;
    // Decoding a PNG or parsing an SVG takes a while for a large one.
    let logo = tokio::task::spawn_blocking(move || CoverLogo::check(kind, &bytes))
        .await
        .map_err(|e| Error::Internal(format!("logo check failed: {e}")))?
        .map_err(refused)?;
    services.storage.set_plan_logo(access.plan(), &logo).await?;
    tracing::info!(plan = %access.plan(), kind = kind.as_str(), bytes = logo.bytes.len(), "cover logo stored");
    Ok(())
}

/// Removes the plan's cover logo (coordinator); removing none changes nothing.
pub async fn remove_logo(services: &Services, access: &PlanAccess) -> Result<()> {
    access.require(Action::Manage)?;
    if services.storage.delete_plan_logo(access.plan()).await? {
        tracing::info!(plan = %access.plan(), "cover logo removed");
    }
    Ok(())
}

/// The plan's cover logo, for everyone who may read the plan.
pub async fn logo(services: &Services, access: &PlanAccess) -> Result<CoverLogo> {
    access.require(Action::Read)?;
    services
        .storage
        .plan_logo(access.plan())
        .await?
        .ok_or_else(|| Error::NotFound(format!("plan {} has no logo", access.plan())))
}

/// Whether the plan has a cover logo.
pub async fn has_logo(services: &Services, access: &PlanAccess) -> Result<bool> {
    Ok(services.storage.plan_logo(access.plan()).await?.is_some())
}

/// Archives the plan (coordinator): it becomes read-only for everyone and leaves the plan list.
/// Open live connections that could edit are closed, and reconnect read-only. Archiving an
/// archived plan changes nothing.
pub async fn archive(services: &Services, access: &PlanAccess) -> Result<PlanRecord> {
    set_archived(services, access, true).await
}

/// Restores an archived plan (coordinator): it can be edited again and is back in the list.
pub async fn restore(services: &Services, access: &PlanAccess) -> Result<PlanRecord> {
    set_archived(services, access, false).await
}

async fn set_archived(
    services: &Services,
    access: &PlanAccess,
    archived: bool,
) -> Result<PlanRecord> {
    access.require_own(Action::Manage)?;
    let plan = access.plan();
    if access.record.is_archived() != archived {
        let at = archived.then(now_millis);
        services.storage.set_plan_archived(plan, at).await?;
        // Open connections and streams read their role again (on every node).
        services
            .revocations
            .publish(AccessChange::PlanChanged { plan })
            .await;
        tracing::info!(%plan, archived, "plan archived or restored");
    }
    reload(services, plan).await
}

/// Whether this caller may delete plans (administrators).
pub fn may_delete(services: &Services, principal: &Principal) -> bool {
    access::may_delete_plans(&services.policy, principal.caller())
}

/// Deletes the plan and everything stored with it (administrators), in one transaction; open
/// connections and comment streams to it end.
pub async fn delete(services: &Services, access: &PlanAccess) -> Result<()> {
    if !may_delete(services, &access.principal) {
        return Err(Error::Forbidden(
            "only administrators may delete plans".into(),
        ));
    }
    let plan = access.plan();
    if !services.storage.delete_plan(plan).await? {
        return Err(Error::plan_not_found(plan));
    }
    services
        .revocations
        .publish(AccessChange::PlanChanged { plan })
        .await;
    tracing::info!(%plan, "plan deleted");
    Ok(())
}

/// [`delete`] once the caller has typed the plan's title (the settings page's confirmation).
pub async fn delete_confirmed(services: &Services, access: &PlanAccess, typed: &str) -> Result<()> {
    if !may_delete(services, &access.principal) {
        return Err(Error::Forbidden(
            "only administrators may delete plans".into(),
        ));
    }
    if typed.trim() != access.record.title.trim() {
        return Err(Error::invalid(
            "confirm",
            "confirm: type the plan's title exactly to delete it",
        ));
    }
    delete(services, access).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_changes_overlay_the_records_meta() {
        let before = PlanMeta {
            title: "Plan".into(),
            bydel: "Nordstrand".into(),
            periode: "2025–2028".into(),
            status: "utkast".into(),
        };
        let after = with_changes(
            before.clone(),
            &[
                (MetaField::Title, "Ny plan".into()),
                (MetaField::Status, "horing".into()),
            ],
        );
        assert_eq!(
            after,
            PlanMeta {
                title: "Ny plan".into(),
                status: "horing".into(),
                ..before.clone()
            }
        );
        assert_eq!(with_changes(before.clone(), &[]), before);
    }

    #[test]
    fn a_patch_tells_null_from_absent() {
        let absent: SettingsPatch = serde_json::from_str("{}").expect("patch");
        assert!(absent.adopted.is_none());
        let cleared: SettingsPatch = serde_json::from_str(r#"{"adopted": null}"#).expect("patch");
        assert!(matches!(cleared.adopted, Some(None)));
        let given: SettingsPatch =
            serde_json::from_str(r#"{"adopted": {"version": "v", "date": "d", "sak": "s"}}"#)
                .expect("patch");
        assert!(matches!(given.adopted, Some(Some(_))));
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"tittel": "x"}"#).is_err());
    }

    #[test]
    fn texts_and_dates_name_their_field() {
        let field = |e: Error| match e {
            Error::Invalid { field, message } => {
                assert!(message.contains(field), "{message}");
                field
            }
            other => panic!("{other}"),
        };
        assert_eq!(checked_date("date", " ").ok().as_deref(), Some(""));
        assert_eq!(
            checked_date("date", "2026-02-30").map_err(field),
            Err("date")
        );
        assert_eq!(
            checked_text("place", &"x".repeat(101), MAX_PLACE_CHARS).map_err(field),
            Err("place")
        );
        assert_eq!(
            checked_text("contact", "a\nb", MAX_CONTACT_CHARS).map_err(field),
            Err("contact")
        );
        assert_eq!(status_of("vedtatt").ok(), Some(PlanStatus::Vedtatt));
        assert_eq!(status_of("adopted").map_err(field), Err("status"));
    }
}
