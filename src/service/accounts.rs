//! Accounts, sessions, one-time sign-in links, invites and service tokens: the rules of signing
//! in and joining a plan. The pages turn the outcomes into forms and messages; the CLI calls the
//! same functions for accounts and tokens.

use std::sync::Arc;
use std::time::Duration;

use super::login_limit::{HashPool, LoginLimiter, MAX_ATTEMPTS_PER_CLIENT, MAX_FAILURES};
use super::{Error, Result, Services};
use crate::access::Role;
use crate::plan::PlanId;
use crate::secret::{self, PasswordError};
use crate::storage::accounts::{self as store, Invite, InviteState, ServiceToken, User};
use crate::storage::{Db, Storage, StorageError, now_millis};

/// How long a session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// How long an invite link stays valid unless the coordinator chooses otherwise.
pub const INVITE_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// How long a one-time sign-in link stays valid.
pub const SIGN_IN_LINK_TTL: Duration = Duration::from_secs(24 * 3600);

/// Settings and state of sign-in, shared by every request.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Mark the session cookie `Secure` (browsers still accept it on http://localhost).
    pub cookie_secure: bool,
    pub limiter: Arc<LoginLimiter>,
    /// Password hashes at once, across every form that checks or sets a password.
    pub hashes: Arc<HashPool>,
    /// Where people reach this server (`http://localhost:8080`), for links it hands out.
    pub public_url: String,
    /// The token `/metrics` asks for; without it only loopback peers get metrics.
    pub metrics_token: Option<String>,
    /// The reverse proxy whose `X-Forwarded-For` names the client (for the login limit).
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// Whether e-mail and password sign people in (`--local-passwords`).
    pub local_passwords: bool,
}

/// Checks a password; refuses with [`Error::TooManyAttempts`] after too many attempts for the
/// address, or from `client` (the client's address, when known), and with [`Error::Busy`] when
/// the pool of password hashes has no room. The attempt is counted before the hash is checked.
/// An unknown address costs as much time as a wrong password and gets the same answer: `None`.
pub async fn login(
    services: &Services,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Option<User>> {
    if !services.auth.local_passwords {
        return Err(Error::Forbidden("password sign-in is switched off".into()));
    }
    let key = store::normalize_email(email);
    let client_key = client.map(|ip| format!("client:{ip}"));
    let limiter = &services.auth.limiter;
    let refused = |wait: Duration| {
        tracing::warn!("login refused: too many attempts");
        Error::TooManyAttempts {
            retry_after_secs: wait.as_secs().max(1),
        }
    };
    if let Some(client_key) = &client_key {
        limiter
            .begin(client_key, MAX_ATTEMPTS_PER_CLIENT)
            .map_err(refused)?;
    }
    limiter.begin(&key, MAX_FAILURES).map_err(refused)?;
    let forgive = || {
        limiter.forgive(&key);
        if let Some(client_key) = &client_key {
            limiter.forgive(client_key);
        }
    };
    let found = store::user_for_login(&services.storage.db(), &key).await?;
    let password = password.to_owned();
    let checked = services
        .auth
        .hashes
        .run(move || match found {
            Some((user, Some(hash))) if secret::verify_password(&password, &hash) => Some(user),
            Some((_, Some(_))) => None,
            _ => {
                secret::waste_hash_time(&password);
                None
            }
        })
        .await
        .map_err(|e| Error::Internal(format!("password check failed: {e}")))?;
    let Some(user) = checked else {
        // Never checked: the attempt does not count.
        forgive();
        tracing::warn!("login refused: too many password hashes at once");
        return Err(Error::Busy);
    };
    match &user {
        Some(_) => {
            forgive();
            limiter.clear(&key);
        }
        None => tracing::info!("login failed"),
    }
    Ok(user)
}

/// A new session for `user`: the cookie's token (its CSRF token stays on the server).
pub async fn start_session(services: &Services, user: &User) -> Result<String> {
    let (token, _csrf) =
        store::create_session(&services.storage.db(), &user.id, SESSION_TTL).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok(token)
}

/// Signs out: the session ends, and so does everything opened with it, on every node.
pub async fn end_session(services: &Services, token: &str) -> Result<()> {
    store::delete_session(&services.storage.db(), token).await?;
    let session = secret::token_hash(token);
    services
        .revocations
        .publish(super::revocation::AccessChange::SessionEnded { session })
        .await;
    Ok(())
}

/// Why a new account's name or e-mail address cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("a name is required (at most 200 characters)")]
    Name,
    #[error("not a valid e-mail address")]
    Email,
}

impl IdentityError {
    pub fn field(self) -> &'static str {
        match self {
            IdentityError::Name => "name",
            IdentityError::Email => "email",
        }
    }
}

/// Checks a new account's name and address.
pub fn check_identity(name: &str, email: &str) -> Result<(), IdentityError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(IdentityError::Name);
    }
    let email = email.trim();
    let valid = email.len() <= 320
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !valid {
        return Err(IdentityError::Email);
    }
    Ok(())
}

/// Hashes a new password off the async threads, in the pool of password hashes ([`Error::Busy`]
/// when it has no room): `Ok(Err(rule))` when the password breaks a rule shown in the form.
pub async fn hash_new_password(
    services: &Services,
    password: String,
) -> Result<Result<String, PasswordError>> {
    let hashed = services
        .auth
        .hashes
        .run(move || secret::hash_password(&password))
        .await
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))?
        .ok_or(Error::Busy)?;
    match hashed {
        Ok(hash) => Ok(Ok(hash)),
        Err(PasswordError::Hash(detail)) => Err(Error::Internal(detail)),
        Err(rule) => Ok(Err(rule)),
    }
}

/// What a one-time sign-in link is for.
#[derive(Debug, Clone)]
pub enum SignInLink {
    /// Setting up the first administrator.
    FirstAdministrator,
    /// Choosing the password of an existing account.
    Account(User),
}

/// The purpose of an unused, unexpired sign-in link; `None` for a used, expired or unknown one.
pub async fn sign_in_link(services: &Services, token: &str) -> Result<Option<SignInLink>> {
    let db = services.storage.db();
    let Some(purpose) = store::sign_in_link(&db, token).await? else {
        return Ok(None);
    };
    Ok(Some(match purpose {
        // Void once an administrator exists (made meanwhile with `samskriv user create`).
        None if store::any_admin(&db).await? => return Ok(None),
        None => SignInLink::FirstAdministrator,
        Some(user_id) => SignInLink::Account(
            store::user_by_id(&db, &user_id)
                .await?
                .ok_or_else(|| Error::NotFound("the account no longer exists".into()))?,
        ),
    }))
}

/// Spends a sign-in link: sets the account's password, or creates the first administrator.
/// `None` when the link was spent meanwhile (it works exactly once, even for two forms sent at
/// the same moment); [`Error::Conflict`] when the address has an account already.
pub async fn redeem_sign_in_link(
    services: &Services,
    token: &str,
    link: &SignInLink,
    name: &str,
    email: &str,
    password_hash: &str,
) -> Result<Option<User>> {
    let db = services.storage.db();
    if let SignInLink::FirstAdministrator = link {
        // Spends every outstanding first-administrator link and checks that no administrator
        // exists, in the transaction that creates this one.
        let user = store::redeem_first_admin_link(&db, token, email, name, password_hash).await?;
        if let Some(user) = &user {
            tracing::info!(user = %user.id, "first administrator created");
        }
        return Ok(user);
    }
    if !store::use_sign_in_link(&db, token).await? {
        return Ok(None);
    }
    Ok(Some(match link {
        SignInLink::Account(user) => {
            store::set_password(&db, &user.id, password_hash).await?;
            user.clone()
        }
        SignInLink::FirstAdministrator => return Ok(None),
    }))
}

/// The link that sets up the first administrator, while nobody has an account: the token of a
/// new one-time link, which voids every earlier one (at most one is valid at a time), or `None`
/// when accounts exist.
pub async fn first_administrator_link(db: &Db) -> Result<Option<String>> {
    Ok(store::replace_first_admin_link(db, SIGN_IN_LINK_TTL).await?)
}

/// Creates an account whose owner chooses a password through a one-time link; returns the
/// account and the link's token.
pub async fn create_user_with_link(
    db: &Db,
    email: &str,
    name: &str,
    admin: bool,
) -> Result<(User, String)> {
    check_identity(name, email).map_err(|e| Error::invalid(e.field(), e.to_string()))?;
    let user = store::create_user(db, email, name, None, admin).await?;
    let token = store::create_sign_in_link(db, Some(&user.id), SIGN_IN_LINK_TTL).await?;
    Ok((user, token))
}

pub async fn list_users(db: &Db) -> Result<Vec<User>> {
    Ok(store::list_users(db).await?)
}

/// Removes expired sessions and spent sign-in links; returns how many.
pub async fn sweep_expired(db: &Db) -> Result<u64> {
    Ok(store::sweep_expired(db).await?)
}

/// An invite that can be accepted now, with the title of its plan; `Err(state)` says why one
/// cannot (used, expired, revoked).
pub async fn open_invite(
    services: &Services,
    token: &str,
) -> Result<Option<Result<(Invite, String), InviteState>>> {
    let Some(invite) = store::invite_by_token(&services.storage.db(), token).await? else {
        return Ok(None);
    };
    match invite.state(now_millis()) {
        InviteState::Open => {}
        other => return Ok(Some(Err(other))),
    }
    let title = services
        .storage
        .get_plan(invite.plan_id)
        .await?
        .map(|p| p.title)
        .unwrap_or_default();
    Ok(Some(Ok((invite, title))))
}

/// Makes an account for someone accepting `invite`; [`Error::Conflict`] when the address has
/// one already, [`Error::Forbidden`] when the invite names another address. An invite that
/// names no address makes an account whose address nobody confirmed: the members page says so.
pub async fn create_invited_user(
    services: &Services,
    invite: &Invite,
    name: &str,
    email: &str,
    password_hash: &str,
) -> Result<User> {
    if !invite.is_for(email) {
        return Err(Error::Forbidden(
            "this invite is for another e-mail address".into(),
        ));
    }
    let db = services.storage.db();
    match store::create_user(&db, email, name, Some(password_hash), false).await {
        Ok(user) => {
            if invite.email.is_none() {
                store::mark_email_unverified(&db, &user.id).await?;
            }
            Ok(user)
        }
        Err(e @ StorageError::EmailTaken(_)) => Err(Error::Conflict(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Accepts an invite for `user`: `Err(state)` when it was used or revoked meanwhile;
/// [`Error::Forbidden`] when the invite names another address than the user's.
pub async fn accept_invite(
    services: &Services,
    token: &str,
    user: &User,
) -> Result<Result<Invite, InviteState>> {
    let db = services.storage.db();
    if let Some(invite) = store::invite_by_token(&db, token).await?
        && !invite.is_for(&user.email)
    {
        return Err(Error::Forbidden(
            "this invite is for another e-mail address".into(),
        ));
    }
    let Some(accepted) = store::accept_invite(&db, token, &user.id).await? else {
        let now = store::invite_by_token(&db, token)
            .await?
            .map_or(InviteState::Revoked, |i| i.state(now_millis()));
        return Ok(Err(now));
    };
    tracing::info!(plan = %accepted.plan_id, user = %user.id, role = %accepted.role, "invite accepted");
    Ok(Ok(accepted))
}

/// Creates a service token for one plan; returns it with the secret, shown only now.
pub async fn create_service_token(
    storage: &dyn Storage,
    plan: PlanId,
    name: &str,
    role: Role,
    unit: Option<&str>,
) -> Result<(ServiceToken, String)> {
    if storage.get_plan(plan).await?.is_none() {
        return Err(Error::plan_not_found(plan));
    }
    Ok(store::create_service_token(&storage.db(), plan, name, role, unit).await?)
}

pub async fn list_service_tokens(db: &Db, plan: Option<PlanId>) -> Result<Vec<ServiceToken>> {
    Ok(store::list_service_tokens(db, plan).await?)
}

/// Revokes a token: it stops working at once. [`Error::NotFound`] for an unknown or revoked one.
pub async fn revoke_service_token(db: &Db, id: &str) -> Result<()> {
    if store::revoke_service_token(db, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("no active token with id {id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_checked() {
        assert!(check_identity("Kari", "kari@oslo.kommune.no").is_ok());
        assert_eq!(
            check_identity(" ", "kari@oslo.kommune.no"),
            Err(IdentityError::Name)
        );
        assert_eq!(check_identity("Kari", "kari"), Err(IdentityError::Email));
        assert_eq!(
            check_identity("Kari", "@oslo.no"),
            Err(IdentityError::Email)
        );
    }
}
