//! Who is asking, and what they may do on one plan. The surfaces find the credentials (a
//! session cookie, a bearer token) and hand them here; [`PlanAccess::resolve`] decides, with
//! [`crate::access`]'s table, what the caller's role on the plan is.

use crate::access::{self, AccessPolicy, Action, Actor, Caller, Role};
use crate::plan::{PlanId, PlanRecord};
use crate::secret;
use crate::storage::Db;
use crate::storage::accounts::{self as store, Membership, ServiceToken, User};
use crate::templates::Template;

use super::{Error, Result, Services};

/// Who made a request.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    /// A signed-in person, with their session's CSRF token.
    User {
        user: User,
        csrf: String,
        /// The session, as stored (the SHA-256 of the cookie's value): what signing out ends,
        /// and how open connections and streams know they were opened with it.
        session: String,
    },
    Token(ServiceToken),
}

impl Principal {
    /// The caller named by a service token (which wins) or a session token; anonymous without
    /// either. An unknown or revoked service token is refused rather than ignored, so a script
    /// learns at once that its token no longer works.
    pub async fn from_credentials(
        services: &Services,
        service_token: Option<&str>,
        session: Option<&str>,
    ) -> Result<Principal> {
        let db = services.storage.db();
        if let Some(token) = service_token {
            let token = store::service_token(&db, token)
                .await?
                .ok_or_else(|| Error::Unauthorized("unknown or revoked token".into()))?;
            return Ok(Principal::Token(token));
        }
        let Some(session) = session else {
            return Ok(Principal::Anonymous);
        };
        Ok(match store::session_user(&db, session).await? {
            Some((user, csrf)) => Principal::User {
                user,
                csrf,
                session: secret::token_hash(session),
            },
            None => Principal::Anonymous,
        })
    }

    pub fn caller(&self) -> Caller {
        match self {
            Principal::Anonymous => Caller::Anonymous,
            Principal::User { user, .. } => Caller::User {
                admin: user.is_admin,
            },
            Principal::Token(_) => Caller::Token,
        }
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::User { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The CSRF token forms and scripts must send back (signed-in people only).
    pub fn csrf(&self) -> Option<&str> {
        match self {
            Principal::User { csrf, .. } => Some(csrf),
            _ => None,
        }
    }
}

/// A plan the caller may see, with their role on it. Resolving it fails with
/// [`Error::Malformed`] for a malformed plan id and with [`Error::PlanNotFound`] both for an
/// unknown plan and for one the caller is not a member of.
#[derive(Debug, Clone)]
pub struct PlanAccess {
    pub record: PlanRecord,
    pub template: Template,
    /// The role the caller acts in: on an archived plan, read and comment at most
    /// ([`Role::on_archived_plan`]).
    pub role: Role,
    /// The role the caller's membership (or administration) gives, archived or not: who may
    /// restore an archived plan.
    pub own_role: Role,
    pub actor: Actor,
    pub principal: Principal,
}

impl PlanAccess {
    pub fn plan(&self) -> PlanId {
        self.record.id
    }

    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// [`Error::NotAllowed`] unless the caller's role allows `action`; an archived plan
    /// refuses what its role would otherwise allow with [`Error::Forbidden`], saying why.
    pub fn require(&self, action: Action) -> Result<()> {
        if self.may(action) {
            Ok(())
        } else if self.record.is_archived() && self.own_role.may(action) {
            Err(archived(self.plan()))
        } else {
            Err(Error::NotAllowed {
                role: self.role,
                action,
            })
        }
    }

    /// [`Self::require`] for what the caller's own role decides even on an archived plan
    /// (restoring it, its settings page).
    pub fn require_own(&self, action: Action) -> Result<()> {
        if self.own_role.may(action) {
            Ok(())
        } else {
            Err(Error::NotAllowed {
                role: self.own_role,
                action,
            })
        }
    }

    /// Resolves `principal`'s access to the plan with the id `plan_id` (as written in a URL).
    pub async fn resolve(
        services: &Services,
        principal: Principal,
        plan_id: &str,
    ) -> Result<PlanAccess> {
        let member = PlanMember::resolve(services, principal, plan_id).await?;
        let template = services.plan_template(&member.record)?;
        Ok(PlanAccess {
            record: member.record,
            template,
            role: member.role,
            own_role: member.own_role,
            actor: member.actor,
            principal: member.principal,
        })
    }
}

/// [`PlanAccess`] without the plan's template, for the live connection: relaying a document
/// needs no template (and a plan made without one still syncs).
#[derive(Debug, Clone)]
pub struct PlanMember {
    pub record: PlanRecord,
    /// As [`PlanAccess::role`]: what a live connection may do.
    pub role: Role,
    /// As [`PlanAccess::own_role`].
    pub own_role: Role,
    pub actor: Actor,
    pub principal: Principal,
}

impl PlanMember {
    pub async fn resolve(
        services: &Services,
        principal: Principal,
        plan_id: &str,
    ) -> Result<PlanMember> {
        let plan: PlanId = plan_id.parse()?;
        let not_found = || Error::plan_not_found(plan);
        let record = services
            .storage
            .get_plan(plan)
            .await?
            .ok_or_else(not_found)?;
        let (own_role, unit) =
            own_role_on_plan(&services.storage.db(), &services.policy, &principal, plan)
                .await?
                .ok_or_else(not_found)?;
        let role = if record.is_archived() {
            own_role.on_archived_plan()
        } else {
            own_role
        };
        let actor = match &principal {
            Principal::User { user, .. } => Actor {
                id: format!("user:{}", user.id),
                name: user.name.clone(),
                unit,
            },
            Principal::Token(token) => Actor {
                id: format!("token:{}", token.id),
                name: token.name.clone(),
                unit,
            },
            Principal::Anonymous => Actor {
                id: "anonymous".into(),
                name: "Gjest".into(),
                unit: None,
            },
        };
        Ok(PlanMember {
            record,
            role,
            own_role,
            actor,
            principal,
        })
    }
}

/// The plan is archived: nothing in it changes until a coordinator restores it.
pub(crate) fn archived(plan: PlanId) -> Error {
    Error::Forbidden(format!(
        "plan {plan} is archived and read-only; a coordinator may restore it: POST /api/plans/{plan}/restore"
    ))
}

/// The role the caller acts in on a plan and the unit they write for; `None` when they may not
/// see it, or the plan does not exist. On an archived plan, read and comment at most
/// ([`Role::on_archived_plan`]). The one place that decides, for the HTTP extractors, the live
/// connection and the re-checks of open connections and streams (see [`super::revocation`]).
pub async fn role_on_plan(
    db: &Db,
    policy: &AccessPolicy,
    principal: &Principal,
    plan: PlanId,
) -> Result<Option<(Role, Option<String>)>> {
    let Some(archived) = crate::storage::plan_archived(db, plan).await? else {
        return Ok(None);
    };
    Ok(own_role_on_plan(db, policy, principal, plan)
        .await?
        .map(|(role, unit)| {
            let role = if archived {
                role.on_archived_plan()
            } else {
                role
            };
            (role, unit)
        }))
}

/// [`role_on_plan`] as the caller's membership (or administration) gives it, archived or not.
async fn own_role_on_plan(
    db: &Db,
    policy: &AccessPolicy,
    principal: &Principal,
    plan: PlanId,
) -> Result<Option<(Role, Option<String>)>> {
    let membership = match principal {
        Principal::User { user, .. } => store::membership(db, plan, &user.id).await?,
        Principal::Token(token) if token.plan_id == plan => Some(Membership {
            role: token.role,
            unit: token.unit.clone(),
        }),
        _ => None,
    };
    let role = access::role_on_plan(
        policy,
        principal.caller(),
        membership.as_ref().map(|m| m.role),
    );
    Ok(role.map(|role| (role, membership.and_then(|m| m.unit))))
}
