//! Accounts, sessions, membership, invites and service tokens in the database. The SQL reads the
//! same on SQLite and PostgreSQL (see [`Db`]).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use sqlx::FromRow;
use uuid::Uuid;

use super::{Db, Result, StorageError, now_millis};
use crate::access::Role;
use crate::on_db;
use crate::plan::PlanId;
use crate::secret::{new_token, token_hash};

/// A person with an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
}

/// A person's role and unit on one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub role: Role,
    pub unit: Option<String>,
}

/// A member as the members page lists them.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub unit: Option<String>,
    /// `false` for an account made from an invite that named no address: nobody confirmed it.
    pub email_verified: bool,
}

/// An invite link's record (the link's token is shown once, when it is made).
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub id: String,
    pub plan_id: PlanId,
    pub role: Role,
    pub unit: Option<String>,
    /// The invitee's address, when the invite names one: only that account may accept it.
    pub email: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<i64>,
}

impl Invite {
    /// Whether `email` may accept this invite: any address when it names none, else its own.
    pub fn is_for(&self, email: &str) -> bool {
        self.email
            .as_deref()
            .is_none_or(|bound| bound == normalize_email(email))
    }

    /// Can the invite still be accepted at `now`?
    pub fn state(&self, now: i64) -> InviteState {
        if self.revoked_at.is_some() {
            InviteState::Revoked
        } else if self.accepted_at.is_some() {
            InviteState::Used
        } else if self.expires_at <= now {
            InviteState::Expired
        } else {
            InviteState::Open
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    Open,
    Used,
    Expired,
    Revoked,
}

impl InviteState {
    pub fn label(self) -> &'static str {
        match self {
            InviteState::Open => "Gyldig",
            InviteState::Used => "Brukt",
            InviteState::Expired => "Utløpt",
            InviteState::Revoked => "Trukket tilbake",
        }
    }
}

/// A service token's record.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceToken {
    pub id: String,
    pub plan_id: PlanId,
    pub name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(FromRow)]
struct MemberRow {
    id: String,
    email: String,
    name: String,
    is_admin: bool,
    role: String,
    unit: Option<String>,
    email_verified: bool,
}

#[derive(FromRow)]
struct InviteRow {
    id: String,
    plan_id: String,
    role: String,
    unit: Option<String>,
    email: Option<String>,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    accepted_by: Option<String>,
    accepted_at: Option<i64>,
}

#[derive(FromRow)]
struct TokenRow {
    id: String,
    plan_id: String,
    name: String,
    role: String,
    unit: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
}

fn parse_role(role: &str) -> Result<Role> {
    role.parse()
        .map_err(|e| StorageError::Corrupt(format!("role: {e}")))
}

fn parse_plan(id: &str) -> Result<PlanId> {
    id.parse()
        .map_err(|e| StorageError::Corrupt(format!("plan id: {e}")))
}

impl TryFrom<InviteRow> for Invite {
    type Error = StorageError;
    fn try_from(row: InviteRow) -> Result<Self> {
        Ok(Invite {
            id: row.id,
            plan_id: parse_plan(&row.plan_id)?,
            role: parse_role(&row.role)?,
            unit: row.unit,
            email: row.email,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            accepted_by: row.accepted_by,
            accepted_at: row.accepted_at,
        })
    }
}

impl TryFrom<TokenRow> for ServiceToken {
    type Error = StorageError;
    fn try_from(row: TokenRow) -> Result<Self> {
        Ok(ServiceToken {
            id: row.id,
            plan_id: parse_plan(&row.plan_id)?,
            name: row.name,
            role: parse_role(&row.role)?,
            unit: row.unit,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// E-mail addresses are compared case-insensitively: stored lower-cased and trimmed.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

// ---------------------------------------------------------------------------------------------
// Users

pub async fn count_users(db: &Db) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM users";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?)
}

/// Creates an account. `password_hash` is `None` for someone who sets their password through a
/// one-time sign-in link.
pub async fn create_user(
    db: &Db,
    email: &str,
    name: &str,
    password_hash: Option<&str>,
    is_admin: bool,
) -> Result<User> {
    const SQL: &str = "INSERT INTO users (id, email, name, password_hash, is_admin, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6)";
    let user = User {
        id: Uuid::new_v4().to_string(),
        email: normalize_email(email),
        name: name.trim().to_owned(),
        is_admin,
    };
    let result = on_db!(db, pool => sqlx::query(SQL)
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(password_hash)
        .bind(is_admin)
        .bind(now_millis())
        .execute(pool).await.map(|r| r.rows_affected()));
    match result {
        Ok(_) => Ok(user),
        Err(e) if unique_violation(&e) => Err(StorageError::EmailTaken(user.email)),
        Err(e) => Err(e.into()),
    }
}

const USER_COLUMNS: &str = "id, email, name, is_admin";

/// A user and their password hash, by e-mail address.
pub async fn user_for_login(db: &Db, email: &str) -> Result<Option<(User, Option<String>)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        password_hash: Option<String>,
    }
    // A deactivated account signs in no more: it reads as an unknown address.
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1 AND deactivated_at IS NULL"
    );
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(normalize_email(email))
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|r| (r.user, r.password_hash)))
}

pub async fn user_by_id(db: &Db, id: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    Ok(user_for_login(db, email).await?.map(|(user, _)| user))
}

pub async fn list_users(db: &Db) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name, email");
    Ok(on_db!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
}

pub async fn set_password(db: &Db, user_id: &str, password_hash: &str) -> Result<()> {
    const SQL: &str = "UPDATE users SET password_hash = $1 WHERE id = $2";
    on_db!(db, pool => sqlx::query(SQL).bind(password_hash).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sessions and one-time sign-in links

/// A new session for `user_id`: returns the cookie's token and the session's CSRF token.
pub async fn create_session(db: &Db, user_id: &str, ttl: Duration) -> Result<(String, String)> {
    const SQL: &str =
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                       VALUES ($1, $2, $3, $4, $5)";
    let token = new_token();
    let csrf = new_token();
    let now = now_millis();
    on_db!(db, pool => sqlx::query(SQL)
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(&csrf)
        .bind(now)
        .bind(now.saturating_add(millis(ttl)))
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok((token, csrf))
}

/// The user of a live session, with the session's CSRF token.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<(User, String)>> {
    super::revocation::session_by_hash(db, &token_hash(token)).await
}

pub async fn delete_session(db: &Db, token: &str) -> Result<()> {
    const SQL: &str = "DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2";
    on_db!(db, pool => sqlx::query(SQL).bind(token_hash(token)).bind(now_millis()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions and sign-in links that are used or expired; returns how many.
pub async fn sweep_expired(db: &Db) -> Result<u64> {
    const SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";
    const LINKS: &str = "DELETE FROM sign_in_links WHERE expires_at <= $1 OR used_at IS NOT NULL";
    let now = now_millis();
    let sessions = on_db!(db, pool => sqlx::query(SESSIONS).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    let links = on_db!(db, pool => sqlx::query(LINKS).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(sessions + links)
}

/// A one-time sign-in link's token: for `user_id` (to set a password), or with `None` to create
/// the first administrator.
pub async fn create_sign_in_link(db: &Db, user_id: Option<&str>, ttl: Duration) -> Result<String> {
    const SQL: &str = "INSERT INTO sign_in_links (token_hash, user_id, created_at, expires_at)
                       VALUES ($1, $2, $3, $4)";
    let token = new_token();
    let now = now_millis();
    on_db!(db, pool => sqlx::query(SQL)
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now.saturating_add(millis(ttl)))
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(token)
}

/// A new link that sets up the first administrator, in place of every older one (at most one
/// such link is valid at a time), or `None` when an account exists. One transaction.
pub async fn replace_first_admin_link(db: &Db, ttl: Duration) -> Result<Option<String>> {
    const VOID: &str = "DELETE FROM sign_in_links WHERE user_id IS NULL";
    const USERS: &str = "SELECT COUNT(*) FROM users";
    const INSERT: &str = "INSERT INTO sign_in_links (token_hash, user_id, created_at, expires_at)
                          VALUES ($1, NULL, $2, $3)";
    let token = new_token();
    let now = now_millis();
    let created = on_db!(db, pool => {
        async {
            // The write comes first, so SQLite takes its write lock before anything is read.
            let mut tx = pool.begin().await?;
            sqlx::query(VOID).execute(&mut *tx).await?;
            let users: i64 = sqlx::query_scalar(USERS).fetch_one(&mut *tx).await?;
            if users == 0 {
                sqlx::query(INSERT)
                    .bind(token_hash(&token))
                    .bind(now)
                    .bind(now.saturating_add(millis(ttl)))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(users == 0)
        }
        .await
    })?;
    Ok(created.then_some(token))
}

/// Spends a first-administrator link and creates the administrator, in one transaction: every
/// outstanding first-administrator link is voided with it, and nothing is created when an
/// administrator exists already. `None` when the link is unknown, used or expired, or an
/// administrator exists.
pub async fn redeem_first_admin_link(
    db: &Db,
    token: &str,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<Option<User>> {
    // Voids every outstanding first-administrator link (row locks on PostgreSQL, the write lock
    // on SQLite: a second redeem waits, then finds nothing to spend).
    const SPEND: &str = "UPDATE sign_in_links SET used_at = $1
                         WHERE user_id IS NULL AND used_at IS NULL AND expires_at > $1
                         RETURNING token_hash";
    const ADMINS: &str = "SELECT COUNT(*) FROM users WHERE is_admin";
    const INSERT: &str = "INSERT INTO users (id, email, name, password_hash, is_admin, created_at)
                          VALUES ($1, $2, $3, $4, TRUE, $5)";
    let user = User {
        id: Uuid::new_v4().to_string(),
        email: normalize_email(email),
        name: name.trim().to_owned(),
        is_admin: true,
    };
    let hash = token_hash(token);
    let now = now_millis();
    let created = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            let spent: Vec<String> = sqlx::query_scalar(SPEND).bind(now).fetch_all(&mut *tx).await?;
            if !spent.contains(&hash) {
                // Not a valid link: the others stay as they were.
                tx.rollback().await?;
                return Ok::<bool, sqlx::Error>(false);
            }
            let admins: i64 = sqlx::query_scalar(ADMINS).fetch_one(&mut *tx).await?;
            if admins > 0 {
                tx.commit().await?;
                return Ok(false);
            }
            sqlx::query(INSERT)
                .bind(&user.id)
                .bind(&user.email)
                .bind(&user.name)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        }
        .await
    });
    match created {
        Ok(created) => Ok(created.then_some(user)),
        Err(e) if unique_violation(&e) => Err(StorageError::EmailTaken(user.email)),
        Err(e) => Err(e.into()),
    }
}

/// Marks an account's address as unconfirmed (made from an invite that named no address).
pub async fn mark_email_unverified(db: &Db, user_id: &str) -> Result<()> {
    const SQL: &str = "UPDATE users SET email_verified = FALSE WHERE id = $1";
    on_db!(db, pool => sqlx::query(SQL).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whether an account's address is confirmed (see [`mark_email_unverified`]).
pub async fn email_verified(db: &Db, user_id: &str) -> Result<bool> {
    const SQL: &str = "SELECT email_verified FROM users WHERE id = $1";
    let verified: Option<bool> =
        on_db!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_optional(pool).await)?;
    Ok(verified.unwrap_or(true))
}

/// Whether any administrator exists.
pub async fn any_admin(db: &Db) -> Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE is_admin";
    let admins: i64 = on_db!(db, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?;
    Ok(admins > 0)
}

/// What an unused, unexpired sign-in link is for: `Some(Some(user))`, `Some(None)` for the first
/// administrator, `None` when the link is unknown, used or expired.
pub async fn sign_in_link(db: &Db, token: &str) -> Result<Option<Option<String>>> {
    const SQL: &str = "SELECT user_id FROM sign_in_links
                       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
    let row: Option<(Option<String>,)> = on_db!(db, pool => sqlx::query_as(SQL)
        .bind(token_hash(token))
        .bind(now_millis())
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|(user,)| user))
}

/// Marks a sign-in link used. `false` when it was used, expired or unknown: exactly one request
/// can use a link, however many arrive at once.
pub async fn use_sign_in_link(db: &Db, token: &str) -> Result<bool> {
    const SQL: &str = "UPDATE sign_in_links SET used_at = $1
                       WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $3";
    let now = now_millis();
    let done = on_db!(db, pool => sqlx::query(SQL)
        .bind(now)
        .bind(token_hash(token))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

// ---------------------------------------------------------------------------------------------
// Units and members

pub async fn list_units(db: &Db, plan: PlanId) -> Result<Vec<String>> {
    const SQL: &str = "SELECT name FROM plan_units WHERE plan_id = $1 ORDER BY position, name";
    Ok(on_db!(db, pool => sqlx::query_scalar(SQL).bind(plan.to_string()).fetch_all(pool).await)?)
}

/// Adds a unit at the end of the plan's list (nothing happens when it is there already).
pub async fn add_unit(db: &Db, plan: PlanId, name: &str) -> Result<()> {
    add_units(db, plan, &[name]).await
}

/// Adds units at the end of the plan's list, in order, in one transaction (a new plan's
/// template units cost one commit, not one each).
pub async fn add_units(db: &Db, plan: PlanId, names: &[&str]) -> Result<()> {
    const SQL: &str = "INSERT INTO plan_units (plan_id, name, position)
                       SELECT $1, $2, COALESCE(MAX(position), 0) + 1 FROM plan_units WHERE plan_id = $1
                       ON CONFLICT (plan_id, name) DO NOTHING";
    let key = plan.to_string();
    let result = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            for name in names {
                sqlx::query(SQL).bind(&key).bind(*name).execute(&mut *tx).await?;
            }
            tx.commit().await
        }
        .await
    });
    match result {
        Ok(()) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StorageError::PlanNotFound(plan))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_unit(db: &Db, plan: PlanId, name: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM plan_units WHERE plan_id = $1 AND name = $2";
    let n = on_db!(db, pool => sqlx::query(SQL).bind(plan.to_string()).bind(name).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn membership(db: &Db, plan: PlanId, user_id: &str) -> Result<Option<Membership>> {
    const SQL: &str = "SELECT role, unit FROM plan_members WHERE plan_id = $1 AND user_id = $2";
    let row: Option<(String, Option<String>)> = on_db!(db, pool => sqlx::query_as(SQL)
        .bind(plan.to_string())
        .bind(user_id)
        .fetch_optional(pool)
        .await)?;
    row.map(|(role, unit)| {
        Ok(Membership {
            role: parse_role(&role)?,
            unit,
        })
    })
    .transpose()
}

pub async fn list_members(db: &Db, plan: PlanId) -> Result<Vec<Member>> {
    const SQL: &str = "SELECT u.id, u.email, u.name, u.is_admin, m.role, m.unit, u.email_verified
                       FROM plan_members m JOIN users u ON u.id = m.user_id
                       WHERE m.plan_id = $1 ORDER BY u.name, u.email";
    let rows: Vec<MemberRow> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(plan.to_string()).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|row| {
            Ok(Member {
                role: parse_role(&row.role)?,
                unit: row.unit,
                email_verified: row.email_verified,
                user: User {
                    id: row.id,
                    email: row.email,
                    name: row.name,
                    is_admin: row.is_admin,
                },
            })
        })
        .collect()
}

/// Adds a member or changes their role and unit.
pub async fn set_member(
    db: &Db,
    plan: PlanId,
    user_id: &str,
    role: Role,
    unit: Option<&str>,
) -> Result<()> {
    const SQL: &str = "INSERT INTO plan_members (plan_id, user_id, role, unit, created_at)
                       VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (plan_id, user_id) DO UPDATE SET role = excluded.role, unit = excluded.unit";
    let result = on_db!(db, pool => sqlx::query(SQL)
        .bind(plan.to_string())
        .bind(user_id)
        .bind(role.as_str())
        .bind(unit)
        .bind(now_millis())
        .execute(pool).await.map(|r| r.rows_affected()));
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StorageError::PlanNotFound(plan))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_member(db: &Db, plan: PlanId, user_id: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM plan_members WHERE plan_id = $1 AND user_id = $2";
    let n = on_db!(db, pool => sqlx::query(SQL).bind(plan.to_string()).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// The plans a person is a member of.
pub async fn plans_of(db: &Db, user_id: &str) -> Result<Vec<PlanId>> {
    const SQL: &str = "SELECT plan_id FROM plan_members WHERE user_id = $1";
    let ids: Vec<String> =
        on_db!(db, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)?;
    ids.iter().map(|id| parse_plan(id)).collect()
}

/// The unit responsible for each section that has one.
pub async fn section_units(db: &Db, plan: PlanId) -> Result<HashMap<String, String>> {
    const SQL: &str = "SELECT section_id, unit FROM plan_section_units WHERE plan_id = $1";
    let rows: Vec<(String, String)> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(plan.to_string()).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

/// Sets (or with `None` clears) the unit responsible for a section.
pub async fn set_section_unit(
    db: &Db,
    plan: PlanId,
    section: &str,
    unit: Option<&str>,
) -> Result<()> {
    const UPSERT: &str =
        "INSERT INTO plan_section_units (plan_id, section_id, unit) VALUES ($1, $2, $3)
                          ON CONFLICT (plan_id, section_id) DO UPDATE SET unit = excluded.unit";
    const DELETE: &str = "DELETE FROM plan_section_units WHERE plan_id = $1 AND section_id = $2";
    match unit {
        Some(unit) => {
            on_db!(db, pool => sqlx::query(UPSERT).bind(plan.to_string()).bind(section).bind(unit).execute(pool).await.map(|r| r.rows_affected()))?
        }
        None => {
            on_db!(db, pool => sqlx::query(DELETE).bind(plan.to_string()).bind(section).execute(pool).await.map(|r| r.rows_affected()))?
        }
    };
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Invites

const INVITE_COLUMNS: &str =
    "id, plan_id, role, unit, email, created_at, expires_at, revoked_at, accepted_by, accepted_at";

/// A new invite link's record and its token (shown to the coordinator once).
pub async fn create_invite(
    db: &Db,
    plan: PlanId,
    role: Role,
    unit: Option<&str>,
    created_by: Option<&str>,
    ttl: Duration,
) -> Result<(Invite, String)> {
    create_invite_for(db, plan, role, unit, None, created_by, ttl).await
}

/// A new invite link that only the account with `email` may accept (any account when `None`).
pub async fn create_invite_for(
    db: &Db,
    plan: PlanId,
    role: Role,
    unit: Option<&str>,
    email: Option<&str>,
    created_by: Option<&str>,
    ttl: Duration,
) -> Result<(Invite, String)> {
    const SQL: &str = "INSERT INTO plan_invites (id, plan_id, token_hash, role, unit, created_by, created_at, expires_at, email)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let token = new_token();
    let now = now_millis();
    let invite = Invite {
        id: Uuid::new_v4().to_string(),
        plan_id: plan,
        role,
        unit: unit.map(str::to_owned),
        email: email.map(normalize_email),
        created_at: now,
        expires_at: now.saturating_add(millis(ttl)),
        revoked_at: None,
        accepted_by: None,
        accepted_at: None,
    };
    on_db!(db, pool => sqlx::query(SQL)
        .bind(&invite.id)
        .bind(plan.to_string())
        .bind(token_hash(&token))
        .bind(role.as_str())
        .bind(unit)
        .bind(created_by)
        .bind(now)
        .bind(invite.expires_at)
        .bind(invite.email.as_deref())
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok((invite, token))
}

pub async fn invite_by_token(db: &Db, token: &str) -> Result<Option<Invite>> {
    let sql = format!("SELECT {INVITE_COLUMNS} FROM plan_invites WHERE token_hash = $1");
    let row: Option<InviteRow> = on_db!(db, pool => sqlx::query_as(&sql).bind(token_hash(token)).fetch_optional(pool).await)?;
    row.map(Invite::try_from).transpose()
}

pub async fn list_invites(db: &Db, plan: PlanId) -> Result<Vec<Invite>> {
    let sql = format!(
        "SELECT {INVITE_COLUMNS} FROM plan_invites WHERE plan_id = $1 ORDER BY created_at DESC"
    );
    let rows: Vec<InviteRow> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(plan.to_string()).fetch_all(pool).await)?;
    rows.into_iter().map(Invite::try_from).collect()
}

/// Revokes an open invite of `plan`; `false` when there is no such invite on this plan.
pub async fn revoke_invite(db: &Db, plan: PlanId, id: &str) -> Result<bool> {
    const SQL: &str = "UPDATE plan_invites SET revoked_at = $1
                       WHERE plan_id = $2 AND id = $3 AND revoked_at IS NULL";
    let n = on_db!(db, pool => sqlx::query(SQL)
        .bind(now_millis())
        .bind(plan.to_string())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Accepts an invite for `user_id`: marks it used and makes the user a member, in one
/// transaction. A member keeps a higher role than the invite's (and its unit with it): accepting
/// an invite never lowers a role. Returns the invite as it was, or `None` when it could not be
/// accepted (unknown, used, expired or revoked: [`Invite::state`] of a fresh read tells which).
pub async fn accept_invite(db: &Db, token: &str, user_id: &str) -> Result<Option<Invite>> {
    const CLAIM: &str = "UPDATE plan_invites SET accepted_by = $1, accepted_at = $2
                         WHERE token_hash = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $4";
    const MEMBER: &str = "INSERT INTO plan_members (plan_id, user_id, role, unit, created_at)
                          VALUES ($1, $2, $3, $4, $5)
                          ON CONFLICT (plan_id, user_id) DO UPDATE SET
                            role = CASE WHEN (CASE plan_members.role WHEN 'coordinator' THEN 4 WHEN 'editor' THEN 3 WHEN 'adviser' THEN 2 ELSE 1 END)
                                           > (CASE excluded.role WHEN 'coordinator' THEN 4 WHEN 'editor' THEN 3 WHEN 'adviser' THEN 2 ELSE 1 END)
                                        THEN plan_members.role ELSE excluded.role END,
                            unit = CASE WHEN (CASE plan_members.role WHEN 'coordinator' THEN 4 WHEN 'editor' THEN 3 WHEN 'adviser' THEN 2 ELSE 1 END)
                                           > (CASE excluded.role WHEN 'coordinator' THEN 4 WHEN 'editor' THEN 3 WHEN 'adviser' THEN 2 ELSE 1 END)
                                        THEN plan_members.unit ELSE excluded.unit END";
    let Some(invite) = invite_by_token(db, token).await? else {
        return Ok(None);
    };
    let now = now_millis();
    let hash = token_hash(token);
    let claimed = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            let claimed = sqlx::query(CLAIM)
                .bind(user_id)
                .bind(now)
                .bind(&hash)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if claimed {
                sqlx::query(MEMBER)
                    .bind(invite.plan_id.to_string())
                    .bind(user_id)
                    .bind(invite.role.as_str())
                    .bind(invite.unit.as_deref())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(claimed)
        }
        .await
    })?;
    Ok(claimed.then_some(invite))
}

// ---------------------------------------------------------------------------------------------
// Service tokens

const TOKEN_COLUMNS: &str = "id, plan_id, name, role, unit, created_at, revoked_at";

/// A new service token for one plan: its record and the token (shown once).
pub async fn create_service_token(
    db: &Db,
    plan: PlanId,
    name: &str,
    role: Role,
    unit: Option<&str>,
) -> Result<(ServiceToken, String)> {
    const SQL: &str =
        "INSERT INTO service_tokens (id, plan_id, token_hash, name, role, unit, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let token = format!("sst_{}", new_token());
    let record = ServiceToken {
        id: Uuid::new_v4().to_string(),
        plan_id: plan,
        name: name.to_owned(),
        role,
        unit: unit.map(str::to_owned),
        created_at: now_millis(),
        revoked_at: None,
    };
    let result = on_db!(db, pool => sqlx::query(SQL)
        .bind(&record.id)
        .bind(plan.to_string())
        .bind(token_hash(&token))
        .bind(name)
        .bind(role.as_str())
        .bind(unit)
        .bind(record.created_at)
        .execute(pool).await.map(|r| r.rows_affected()));
    match result {
        Ok(_) => Ok((record, token)),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            Err(StorageError::PlanNotFound(plan))
        }
        Err(e) => Err(e.into()),
    }
}

/// The unrevoked service token with this value.
pub async fn service_token(db: &Db, token: &str) -> Result<Option<ServiceToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM service_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
    );
    let row: Option<TokenRow> = on_db!(db, pool => sqlx::query_as(&sql).bind(token_hash(token)).fetch_optional(pool).await)?;
    row.map(ServiceToken::try_from).transpose()
}

/// Service tokens, of one plan or of all.
pub async fn list_service_tokens(db: &Db, plan: Option<PlanId>) -> Result<Vec<ServiceToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM service_tokens WHERE $1 IS NULL OR plan_id = $1 ORDER BY created_at"
    );
    let rows: Vec<TokenRow> = on_db!(db, pool => sqlx::query_as(&sql)
        .bind(plan.map(|p| p.to_string()))
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(ServiceToken::try_from).collect()
}

/// Revokes a service token by id; `false` when there is no such unrevoked token.
pub async fn revoke_service_token(db: &Db, id: &str) -> Result<bool> {
    const SQL: &str =
        "UPDATE service_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    let n = on_db!(db, pool => sqlx::query(SQL).bind(now_millis()).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// The unrevoked service token with this id: what an open connection's token is worth now.
pub async fn service_token_by_id(db: &Db, id: &str) -> Result<Option<ServiceToken>> {
    let sql =
        format!("SELECT {TOKEN_COLUMNS} FROM service_tokens WHERE id = $1 AND revoked_at IS NULL");
    let row: Option<TokenRow> =
        on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    row.map(ServiceToken::try_from).transpose()
}
