//! Sign-in with an OpenID Connect provider, in the database: sign-ins under way (one use each),
//! the link between an account and its identity at a provider, and the ID token a session was
//! started with. The SQL reads the same on SQLite and PostgreSQL.

use std::time::Duration;

use sqlx::FromRow;
use uuid::Uuid;

use super::accounts::{User, normalize_email};
use super::{Db, Result, StorageError, now_millis};
use crate::on_db;
use crate::secret::token_hash;

/// A sign-in under way: what the callback needs to finish it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Flow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub expires_at: i64,
}

/// An account as a provider's sign-in finds it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Account {
    #[sqlx(flatten)]
    pub user: User,
    pub deactivated: bool,
    pub email_verified: bool,
}

const ACCOUNT_COLUMNS: &str = "u.id, u.email, u.name, u.is_admin, \
     (u.deactivated_at IS NOT NULL) AS deactivated, u.email_verified";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Records a sign-in under way, found later by the browser's flow cookie `cookie_token`. Expired
/// ones are removed first; `false` (nothing stored) when `max_open` are under way already, so
/// requests from nobody in particular cannot fill the database.
pub async fn start_flow(
    db: &Db,
    cookie_token: &str,
    flow: &Flow,
    ttl: Duration,
    max_open: i64,
) -> Result<bool> {
    const SWEEP: &str = "DELETE FROM oidc_flows WHERE expires_at <= $1";
    const OPEN: &str = "SELECT COUNT(*) FROM oidc_flows";
    const INSERT: &str = "INSERT INTO oidc_flows
                          (cookie_hash, state, nonce, pkce_verifier, next_path, created_at, expires_at)
                          VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let now = now_millis();
    let hash = token_hash(cookie_token);
    let stored = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query(SWEEP).bind(now).execute(&mut *tx).await?;
            let open: i64 = sqlx::query_scalar(OPEN).fetch_one(&mut *tx).await?;
            if open >= max_open {
                tx.commit().await?;
                return Ok::<bool, sqlx::Error>(false);
            }
            sqlx::query(INSERT)
                .bind(&hash)
                .bind(&flow.state)
                .bind(&flow.nonce)
                .bind(&flow.pkce_verifier)
                .bind(&flow.next_path)
                .bind(now)
                .bind(now.saturating_add(millis(ttl)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        }
        .await
    })?;
    Ok(stored)
}

/// Takes the sign-in under way for this flow cookie: it is deleted as it is read, so exactly one
/// callback can use it. Returned even when expired (the caller says so); `None` when unknown.
pub async fn take_flow(db: &Db, cookie_token: &str) -> Result<Option<Flow>> {
    const SQL: &str = "DELETE FROM oidc_flows WHERE cookie_hash = $1
                       RETURNING state, nonce, pkce_verifier, next_path, expires_at";
    Ok(on_db!(db, pool => sqlx::query_as(SQL)
        .bind(token_hash(cookie_token))
        .fetch_optional(pool)
        .await)?)
}

/// The account linked to `subject` at `issuer`.
pub async fn account_of_identity(db: &Db, issuer: &str, subject: &str) -> Result<Option<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM oidc_identities i JOIN users u ON u.id = i.user_id
         WHERE i.issuer = $1 AND i.subject = $2"
    );
    Ok(on_db!(db, pool => sqlx::query_as(&sql)
        .bind(issuer)
        .bind(subject)
        .fetch_optional(pool)
        .await)?)
}

/// The account with this e-mail address, deactivated or not.
pub async fn account_by_email(db: &Db, email: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users u WHERE u.email = $1");
    Ok(on_db!(db, pool => sqlx::query_as(&sql)
        .bind(normalize_email(email))
        .fetch_optional(pool)
        .await)?)
}

/// Whether the account is linked to some identity at `issuer` already (then another subject
/// with the same address is someone else, or the same person under a new subject: either way
/// not to be linked silently).
pub async fn has_identity_at(db: &Db, user_id: &str, issuer: &str) -> Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM oidc_identities WHERE user_id = $1 AND issuer = $2";
    let n: i64 = on_db!(db, pool => sqlx::query_scalar(SQL).bind(user_id).bind(issuer).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// Links an existing account to `subject` at `issuer`. `false` when that identity is linked
/// already (a sign-in at the same moment linked it).
pub async fn link_identity(db: &Db, issuer: &str, subject: &str, user_id: &str) -> Result<bool> {
    const SQL: &str =
        "INSERT INTO oidc_identities (issuer, subject, user_id, created_at, last_sign_in_at)
                       VALUES ($1, $2, $3, $4, $4) ON CONFLICT (issuer, subject) DO NOTHING";
    let n = on_db!(db, pool => sqlx::query(SQL)
        .bind(issuer)
        .bind(subject)
        .bind(user_id)
        .bind(now_millis())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Notes a sign-in through an identity.
pub async fn touch_identity(db: &Db, issuer: &str, subject: &str) -> Result<()> {
    const SQL: &str =
        "UPDATE oidc_identities SET last_sign_in_at = $1 WHERE issuer = $2 AND subject = $3";
    on_db!(db, pool => sqlx::query(SQL)
        .bind(now_millis())
        .bind(issuer)
        .bind(subject)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Creates an account without a password, linked to `subject` at `issuer`, in one transaction.
/// [`StorageError::EmailTaken`] when the address has an account (made meanwhile).
pub async fn create_linked_user(
    db: &Db,
    email: &str,
    name: &str,
    email_verified: bool,
    issuer: &str,
    subject: &str,
) -> Result<User> {
    const USER: &str =
        "INSERT INTO users (id, email, name, password_hash, is_admin, created_at, email_verified)
                        VALUES ($1, $2, $3, NULL, FALSE, $4, $5)";
    const IDENTITY: &str =
        "INSERT INTO oidc_identities (issuer, subject, user_id, created_at, last_sign_in_at)
                            VALUES ($1, $2, $3, $4, $4)";
    let user = User {
        id: Uuid::new_v4().to_string(),
        email: normalize_email(email),
        name: name.trim().to_owned(),
        is_admin: false,
    };
    let now = now_millis();
    let created = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query(USER)
                .bind(&user.id)
                .bind(&user.email)
                .bind(&user.name)
                .bind(now)
                .bind(email_verified)
                .execute(&mut *tx)
                .await?;
            sqlx::query(IDENTITY)
                .bind(issuer)
                .bind(subject)
                .bind(&user.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
    });
    match created {
        Ok(()) => Ok(user),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StorageError::EmailTaken(user.email))
        }
        Err(e) => Err(e.into()),
    }
}

/// Keeps the ID token a session was started with (for the provider's logout).
pub async fn save_session_token(
    db: &Db,
    session_token: &str,
    issuer: &str,
    id_token: &str,
) -> Result<()> {
    const SQL: &str =
        "INSERT INTO oidc_sessions (session_hash, issuer, id_token) VALUES ($1, $2, $3)";
    on_db!(db, pool => sqlx::query(SQL)
        .bind(token_hash(session_token))
        .bind(issuer)
        .bind(id_token)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The issuer and ID token a session was started with, when it was started at a provider.
pub async fn session_token(db: &Db, session_token: &str) -> Result<Option<(String, String)>> {
    const SQL: &str = "SELECT issuer, id_token FROM oidc_sessions WHERE session_hash = $1";
    Ok(on_db!(db, pool => sqlx::query_as(SQL)
        .bind(token_hash(session_token))
        .fetch_optional(pool)
        .await)?)
}
