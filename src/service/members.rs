//! A plan's people: members and their roles and units, invite links, the plan's units and which
//! unit answers for which section. Only the coordinator manages them ([`Action::Manage`]).

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use super::revocation::AccessChange;
use super::{Error, PlanAccess, Result, Services};
use crate::access::{Action, Role};
use crate::storage::accounts::{self as store, Invite, Member};

/// Longest an invite may stay valid.
pub const MAX_INVITE_DAYS: u64 = 90;
/// Longest name of a unit.
pub const MAX_UNIT_CHARS: usize = 100;

/// A role named in a form or request: one of the four code names.
pub fn parse_role(role: &str) -> Result<Role> {
    role.parse()
        .map_err(|e: crate::access::UnknownRole| Error::invalid("role", e.to_string()))
}

/// A unit chosen in a form or request: empty means none; anything else must be one of `units`,
/// the plan's units.
pub fn checked_unit(units: &[String], unit: &str) -> Result<Option<String>> {
    let unit = unit.trim();
    if unit.is_empty() {
        return Ok(None);
    }
    if units.iter().any(|u| u == unit) {
        Ok(Some(unit.to_owned()))
    } else {
        Err(Error::invalid(
            "unit",
            format!("'{unit}' is not one of the plan's units"),
        ))
    }
}

/// [`checked_unit`] against the plan's units as stored now.
async fn plan_unit(services: &Services, access: &PlanAccess, unit: &str) -> Result<Option<String>> {
    let units = store::list_units(&services.storage.db(), access.plan()).await?;
    checked_unit(&units, unit)
}

/// The plan's members (coordinator only).
pub async fn list(services: &Services, access: &PlanAccess) -> Result<Vec<Member>> {
    access.require(Action::Manage)?;
    Ok(store::list_members(&services.storage.db(), access.plan()).await?)
}

/// Adds someone who already has an account; [`Error::NotFound`] when nobody has that address.
pub async fn add(
    services: &Services,
    access: &PlanAccess,
    email: &str,
    role: Role,
    unit: &str,
) -> Result<Member> {
    access.require(Action::Manage)?;
    let unit = plan_unit(services, access, unit).await?;
    let db = services.storage.db();
    let user = store::user_by_email(&db, email)
        .await?
        .ok_or_else(|| Error::NotFound("no account with that e-mail address".into()))?;
    store::set_member(&db, access.plan(), &user.id, role, unit.as_deref()).await?;
    // Adding someone who is a member already changes their role.
    member_changed(services, access, &user.id).await;
    let email_verified = store::email_verified(&db, &user.id).await?;
    Ok(Member {
        user,
        role,
        unit,
        email_verified,
    })
}

/// Changes a member's role and unit; [`Error::NotFound`] for someone who is not a member.
pub async fn change(
    services: &Services,
    access: &PlanAccess,
    user_id: &str,
    role: Role,
    unit: &str,
) -> Result<()> {
    access.require(Action::Manage)?;
    let unit = plan_unit(services, access, unit).await?;
    let db = services.storage.db();
    if store::membership(&db, access.plan(), user_id)
        .await?
        .is_none()
    {
        return Err(no_such_member());
    }
    store::set_member(&db, access.plan(), user_id, role, unit.as_deref()).await?;
    member_changed(services, access, user_id).await;
    Ok(())
}

pub async fn remove(services: &Services, access: &PlanAccess, user_id: &str) -> Result<()> {
    access.require(Action::Manage)?;
    if store::remove_member(&services.storage.db(), access.plan(), user_id).await? {
        member_changed(services, access, user_id).await;
        Ok(())
    } else {
        Err(no_such_member())
    }
}

/// Makes the member's open connections to the plan, on every node, read their role again.
async fn member_changed(services: &Services, access: &PlanAccess, user_id: &str) {
    let change = AccessChange::MemberChanged {
        plan: access.plan(),
        user: user_id.to_owned(),
    };
    services.revocations.publish(change).await;
}

fn no_such_member() -> Error {
    Error::NotFound("no such member of this plan".into())
}

/// An invite as the coordinator asks for it, from the page's form or the API.
#[derive(Debug, Deserialize)]
pub struct InviteRequest {
    pub role: String,
    #[serde(default)]
    pub unit: Option<String>,
    /// Days the link stays valid (1 to [`MAX_INVITE_DAYS`], 14 when not given).
    #[serde(default)]
    pub days: Option<u64>,
    /// The invitee's e-mail address: only an account with it may accept the invite. Without
    /// one, anyone with the link may, and an account made from it is shown as unconfirmed.
    #[serde(default)]
    pub email: Option<String>,
}

/// Makes an invite link for the plan; returns the invite and its full link.
pub async fn invite(
    services: &Services,
    access: &PlanAccess,
    request: &InviteRequest,
) -> Result<(Invite, String)> {
    access.require(Action::Manage)?;
    let role = parse_role(&request.role)?;
    let unit = plan_unit(services, access, request.unit.as_deref().unwrap_or("")).await?;
    let days = request.days.unwrap_or(14);
    if !(1..=MAX_INVITE_DAYS).contains(&days) {
        return Err(Error::invalid(
            "days",
            format!("an invite is valid for 1 to {MAX_INVITE_DAYS} days"),
        ));
    }
    let email = request
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(email) = email
        && super::accounts::check_identity("-", email).is_err()
    {
        return Err(Error::invalid("email", "not a valid e-mail address"));
    }
    let (invite, token) = store::create_invite_for(
        &services.storage.db(),
        access.plan(),
        role,
        unit.as_deref(),
        email,
        access.actor.user_id(),
        Duration::from_secs(days * 24 * 3600),
    )
    .await?;
    tracing::info!(plan = %access.plan(), invite = %invite.id, %role, "invite created");
    let link = format!("{}/invitasjon/{token}", services.auth.public_url);
    Ok((invite, link))
}

pub async fn invites(services: &Services, access: &PlanAccess) -> Result<Vec<Invite>> {
    access.require(Action::Manage)?;
    Ok(store::list_invites(&services.storage.db(), access.plan()).await?)
}

pub async fn revoke_invite(
    services: &Services,
    access: &PlanAccess,
    invite_id: &str,
) -> Result<()> {
    access.require(Action::Manage)?;
    if store::revoke_invite(&services.storage.db(), access.plan(), invite_id).await? {
        Ok(())
    } else {
        Err(Error::NotFound(
            "no open invite with that id on this plan".into(),
        ))
    }
}

/// The plan's units, in order (every member may read them).
pub async fn units(services: &Services, access: &PlanAccess) -> Result<Vec<String>> {
    Ok(store::list_units(&services.storage.db(), access.plan()).await?)
}

pub async fn add_unit(services: &Services, access: &PlanAccess, name: &str) -> Result<()> {
    access.require(Action::Manage)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_UNIT_CHARS {
        return Err(Error::invalid(
            "name",
            format!("a unit's name has 1 to {MAX_UNIT_CHARS} characters"),
        ));
    }
    Ok(store::add_unit(&services.storage.db(), access.plan(), name).await?)
}

pub async fn remove_unit(services: &Services, access: &PlanAccess, name: &str) -> Result<()> {
    access.require(Action::Manage)?;
    store::remove_unit(&services.storage.db(), access.plan(), name.trim()).await?;
    Ok(())
}

/// Which unit answers for which section, by section id.
pub async fn section_units(
    services: &Services,
    access: &PlanAccess,
) -> Result<HashMap<String, String>> {
    Ok(store::section_units(&services.storage.db(), access.plan()).await?)
}

/// Sets the unit of each named section (empty: none). Every choice is checked before anything
/// is stored: a refused form changes nothing.
pub async fn set_section_units(
    services: &Services,
    access: &PlanAccess,
    choices: &[(String, String)],
) -> Result<()> {
    access.require(Action::Manage)?;
    let db = services.storage.db();
    let units = store::list_units(&db, access.plan()).await?;
    let mut checked = Vec::with_capacity(choices.len());
    for (section, unit) in choices {
        if access.template.section(section).is_none() {
            return Err(Error::invalid(
                "section",
                format!("the plan has no section '{section}'"),
            ));
        }
        checked.push((section, checked_unit(&units, unit)?));
    }
    for (section, unit) in checked {
        store::set_section_unit(&db, access.plan(), section, unit.as_deref()).await?;
    }
    Ok(())
}
