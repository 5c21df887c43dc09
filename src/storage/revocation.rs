//! What revoking access needs from the database: deactivating an account, finding revocations
//! made by another process (the CLI), and the change events themselves, which PostgreSQL also
//! carries to the other server nodes (see `postgres.rs`). The SQL reads the same on both
//! databases (see [`Db`]).

use sqlx::FromRow;

use super::accounts::User;
use super::{Db, Result, now_millis};
use crate::on_db;
use crate::plan::PlanId;

/// Something that may take access away from open connections and comment streams. Ids only:
/// whoever holds a connection decides whether the change concerns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChange {
    /// A session ended (signed out). `session` is the SHA-256 (hex) of the cookie's value, as
    /// stored: never the cookie itself.
    SessionEnded { session: String },
    /// A service token was revoked (by its id).
    TokenRevoked { token: String },
    /// A person's membership of a plan was removed or its role or unit changed.
    MemberChanged { plan: PlanId, user: String },
    /// An account was deactivated: every session of it ended.
    UserDeactivated { user: String },
    /// A plan was archived, restored or deleted: what everyone may do on it changed.
    PlanChanged { plan: PlanId },
}

impl AccessChange {
    /// The change as text (`kind|id…`), for a notification payload. Ids are UUIDs and hex
    /// digests: never a `|`.
    pub fn encode(&self) -> String {
        match self {
            AccessChange::SessionEnded { session } => format!("session|{session}"),
            AccessChange::TokenRevoked { token } => format!("token|{token}"),
            AccessChange::MemberChanged { plan, user } => format!("member|{plan}|{user}"),
            AccessChange::UserDeactivated { user } => format!("user|{user}"),
            AccessChange::PlanChanged { plan } => format!("plan|{plan}"),
        }
    }

    /// Reads [`Self::encode`]'s text; `None` for anything else.
    pub fn decode(text: &str) -> Option<AccessChange> {
        let mut parts = text.split('|');
        let kind = parts.next()?;
        let first = parts.next().filter(|id| !id.is_empty())?.to_owned();
        let change = match kind {
            "session" => AccessChange::SessionEnded { session: first },
            "token" => AccessChange::TokenRevoked { token: first },
            "user" => AccessChange::UserDeactivated { user: first },
            "plan" => AccessChange::PlanChanged {
                plan: first.parse().ok()?,
            },
            "member" => AccessChange::MemberChanged {
                plan: first.parse().ok()?,
                user: parts.next().filter(|id| !id.is_empty())?.to_owned(),
            },
            _ => return None,
        };
        parts.next().is_none().then_some(change)
    }
}

/// Deactivates an account, ends every session of it and voids its unused sign-in links, in one
/// transaction. `false` when there is no such account, or it was deactivated already.
pub async fn deactivate_user(db: &Db, user_id: &str) -> Result<bool> {
    const DEACTIVATE: &str =
        "UPDATE users SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL";
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const LINKS: &str = "DELETE FROM sign_in_links WHERE user_id = $1";
    let now = now_millis();
    let done = on_db!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(DEACTIVATE)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            sqlx::query(SESSIONS).bind(user_id).execute(&mut *tx).await?;
            sqlx::query(LINKS).bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(done)
        }
        .await
    })?;
    Ok(done)
}

/// The active account of an unexpired session, by the session's stored hash, with the
/// session's CSRF token: what an open connection's credential is worth now.
pub async fn session_by_hash(db: &Db, session: &str) -> Result<Option<(User, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        csrf_token: String,
    }
    const SQL: &str = "SELECT u.id, u.email, u.name, u.is_admin, s.csrf_token
                       FROM sessions s JOIN users u ON u.id = s.user_id
                       WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deactivated_at IS NULL";
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(SQL)
        .bind(session)
        .bind(now_millis())
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|r| (r.user, r.csrf_token)))
}

/// Tokens revoked and accounts deactivated at or after `since` (unix milliseconds, the clock of
/// whoever revoked): how a server learns of what the CLI did while it runs.
pub async fn revoked_since(db: &Db, since: i64) -> Result<Vec<AccessChange>> {
    // One query, not one per table: the server asks every half second while anyone is
    // connected, and each query is a round trip to a database connection's thread.
    const SQL: &str = "SELECT 't', id FROM service_tokens WHERE revoked_at >= $1
                       UNION ALL SELECT 'u', id FROM users WHERE deactivated_at >= $1";
    let rows: Vec<(String, String)> =
        on_db!(db, pool => sqlx::query_as(SQL).bind(since).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(kind, id)| match kind.as_str() {
            "t" => AccessChange::TokenRevoked { token: id },
            _ => AccessChange::UserDeactivated { user: id },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_their_text_form() {
        let plan = PlanId::new_random();
        for change in [
            AccessChange::SessionEnded {
                session: "ab12".into(),
            },
            AccessChange::TokenRevoked { token: "t1".into() },
            AccessChange::MemberChanged {
                plan,
                user: "u1".into(),
            },
            AccessChange::UserDeactivated { user: "u2".into() },
            AccessChange::PlanChanged { plan },
        ] {
            assert_eq!(AccessChange::decode(&change.encode()), Some(change));
        }
        for garbage in [
            "",
            "session",
            "session|",
            "member|x|u",
            "token|a|b",
            "who|a",
            "plan|x",
        ] {
            assert_eq!(AccessChange::decode(garbage), None, "{garbage}");
        }
        assert_eq!(AccessChange::decode(&format!("member|{plan}|")), None);
    }
}
