//! PostgreSQL storage: one database shared by several server nodes.
//!
//! The behaviour is that of [`super::SqliteStorage`]; the differences below exist because
//! PostgreSQL is a server reached over the network and used by several nodes at once:
//!
//! - Reads that must see one state (`load_document`, `log_after`) run at REPEATABLE READ (see
//!   `plans::ConsistentRead`); the SQL itself is shared with SQLite in `plans.rs`.
//! - `append_updates` inserts all entries in one statement (`UNNEST … WITH ORDINALITY`), so a
//!   commit costs the same number of round trips however many entries it carries.
//! - Appends to one plan are serialised by the row lock that `UPDATE plans … RETURNING last_seq`
//!   takes, across every node: the log stays gapless and in commit order.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::revocation::AccessChange;
use super::{LogEntry, NodeEvent, Result, Storage, now_millis, redact_url};
use crate::plan::PlanId;

/// Connections per node. Writes to one plan are serialised by its row lock anyway; more
/// connections only help with many plans being edited at once, and every node multiplies this
/// against the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: u32 = 10;

/// How long a query waits for a free connection (or for the server to accept one) before it
/// fails, so an unreachable database becomes an error instead of a hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Channel of commit notifications: `plan|seq|node|millis`.
const COMMITS: &str = "samskriv_commits";
/// Channel of awareness relays: `plan|node|base64 update`.
const AWARENESS: &str = "samskriv_awareness";
/// Channel of comment changes: `plan|thread|node`.
const COMMENTS: &str = "samskriv_comments";
/// Channel of revocations: `kind|id…|node` (see [`AccessChange::encode`]).
const ACCESS: &str = "samskriv_access";
/// NOTIFY payloads must stay under 8000 bytes; larger awareness updates are not relayed.
const MAX_NOTIFY_PAYLOAD: usize = 7900;

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
    /// This process among the nodes, so it can ignore its own notifications.
    node: Uuid,
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`) and runs the
    /// migrations. The URL may carry any libpq-style parameter sqlx understands, e.g.
    /// `sslmode=require` or `options=-c search_path=…`.
    pub async fn open(url: &str) -> Result<Self> {
        // Never log `url` or the options (their Debug output includes the password).
        tracing::info!(database = %redact_url(url), "opening PostgreSQL");
        let mut options = PgConnectOptions::from_str(url)?;
        if options.get_application_name().is_none() {
            // Lets an operator tell Samskriv's sessions apart in pg_stat_activity.
            options = options.application_name("samskriv");
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        // sqlx takes a database-wide advisory lock here, so nodes starting together migrate once.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PostgresStorage {
            pool,
            node: Uuid::new_v4(),
        })
    }
}

/// Reads one notification into an event; `None` for our own or a malformed one.
fn parse_notification(channel: &str, payload: &str, own_node: &str) -> Option<NodeEvent> {
    if channel == ACCESS {
        let (change, node) = payload.rsplit_once('|')?;
        return (node != own_node)
            .then(|| AccessChange::decode(change))
            .flatten()
            .map(NodeEvent::AccessChanged);
    }
    let mut parts = payload.split('|');
    let plan: PlanId = parts.next()?.parse().ok()?;
    match channel {
        COMMITS => {
            let seq = parts.next()?.parse().ok()?;
            let node = parts.next()?;
            let at_millis = parts.next()?.parse().ok()?;
            (node != own_node).then_some(NodeEvent::Committed {
                plan,
                seq,
                at_millis,
            })
        }
        AWARENESS => {
            let node = parts.next()?;
            let update = BASE64.decode(parts.next()?).ok()?;
            (node != own_node).then_some(NodeEvent::Awareness { plan, update })
        }
        COMMENTS => {
            let thread = parts.next()?.to_owned();
            let node = parts.next()?;
            (node != own_node && !thread.is_empty()).then_some(NodeEvent::Thread { plan, thread })
        }
        _ => None,
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    #[tracing::instrument(skip(self, updates), fields(count = updates.len()))]
    async fn append_entries(
        &self,
        id: PlanId,
        updates: &[LogEntry<'_>],
        edits: &[super::activity::Edit<'_>],
    ) -> Result<i64> {
        let key = id.to_string();
        let now = now_millis();
        let count = i64::try_from(updates.len()).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await?;
        let last = super::plans::reserve_seqs!(tx, id, &key, count, now);
        // Entry i (1-based) gets seq `last - count + i`; ORDINALITY keeps the caller's order.
        sqlx::query(
            "INSERT INTO plan_updates (plan_id, seq, data, created_at, author)
             SELECT $1, $2 + u.ord, u.data, $3, u.author
             FROM UNNEST($4::BYTEA[], $5::TEXT[]) WITH ORDINALITY AS u (data, author, ord)",
        )
        .bind(&key)
        .bind(last - count)
        .bind(now)
        .bind(updates.iter().map(|u| u.data).collect::<Vec<&[u8]>>())
        .bind(
            updates
                .iter()
                .map(|u| u.author)
                .collect::<Vec<Option<&str>>>(),
        )
        .execute(&mut *tx)
        .await?;
        // Delivered to the other nodes when (and only if) this transaction commits.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(COMMITS)
            .bind(format!("{key}|{last}|{}|{now}", self.node))
            .execute(&mut *tx)
            .await?;
        super::activity::upsert_edits!(tx, &key, edits, now);
        tx.commit().await?;
        Ok(last)
    }

    fn db(&self) -> super::Db {
        super::Db::Postgres(self.pool.clone())
    }

    fn is_shared(&self) -> bool {
        true
    }

    /// Listens on a dedicated connection. sqlx reconnects a lost listener on the next receive;
    /// what was notified meanwhile is lost, so that is reported as [`NodeEvent::Reconnected`]
    /// and the rooms catch up from the log.
    async fn subscribe(&self) -> Result<Option<mpsc::Receiver<NodeEvent>>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener
            .listen_all([COMMITS, AWARENESS, COMMENTS, ACCESS])
            .await?;
        let (events, receiver) = mpsc::channel(1024);
        let own_node = self.node.to_string();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = events.closed() => break,
                    received = listener.try_recv() => received,
                };
                let event = match received {
                    Ok(Some(notification)) => parse_notification(
                        notification.channel(),
                        notification.payload(),
                        &own_node,
                    ),
                    Ok(None) => {
                        tracing::warn!("lost the notification connection; catching up");
                        Some(NodeEvent::Reconnected)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "notification connection failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        None
                    }
                };
                if let Some(event) = event
                    && events.send(event).await.is_err()
                {
                    break;
                }
            }
        });
        Ok(Some(receiver))
    }

    async fn publish_awareness(&self, id: PlanId, update: &[u8]) -> Result<()> {
        let payload = format!("{id}|{}|{}", self.node, BASE64.encode(update));
        if payload.len() > MAX_NOTIFY_PAYLOAD {
            tracing::debug!(
                bytes = payload.len(),
                "awareness update too large to relay to other nodes"
            );
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(AWARENESS)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn publish_thread(&self, id: PlanId, thread: &str) -> Result<()> {
        // Thread ids are UUIDs: never a `|`, never near the payload limit.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(COMMENTS)
            .bind(format!("{id}|{thread}|{}", self.node))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn publish_access_change(&self, change: &AccessChange) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(ACCESS)
            .bind(format!("{}|{}", change.encode(), self.node))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_parse_and_our_own_are_ignored() {
        let plan = PlanId::new_random();
        let event = parse_notification(COMMITS, &format!("{plan}|42|other|1700"), "me");
        assert_eq!(
            event,
            Some(NodeEvent::Committed {
                plan,
                seq: 42,
                at_millis: 1700
            })
        );
        assert_eq!(
            parse_notification(COMMITS, &format!("{plan}|42|me|1700"), "me"),
            None
        );
        let encoded = BASE64.encode([1u8, 2, 3]);
        assert_eq!(
            parse_notification(AWARENESS, &format!("{plan}|other|{encoded}"), "me"),
            Some(NodeEvent::Awareness {
                plan,
                update: vec![1, 2, 3]
            })
        );
        for garbage in [
            "",
            "x|1|n|2",
            &format!("{plan}|x|n|2"),
            &format!("{plan}|other|!!!"),
        ] {
            assert_eq!(
                parse_notification(COMMITS, garbage, "me"),
                None,
                "{garbage}"
            );
        }
        assert_eq!(
            parse_notification(AWARENESS, &format!("{plan}|other|!!!"), "me"),
            None
        );
        assert_eq!(
            parse_notification(COMMENTS, &format!("{plan}|t1|other"), "me"),
            Some(NodeEvent::Thread {
                plan,
                thread: "t1".into()
            })
        );
        assert_eq!(
            parse_notification(COMMENTS, &format!("{plan}|t1|me"), "me"),
            None
        );
        assert_eq!(
            parse_notification(COMMENTS, &format!("{plan}|t1"), "me"),
            None
        );
        let removed = AccessChange::MemberChanged {
            plan,
            user: "u1".into(),
        };
        assert_eq!(
            parse_notification(ACCESS, &format!("{}|other", removed.encode()), "me"),
            Some(NodeEvent::AccessChanged(removed.clone()))
        );
        assert_eq!(
            parse_notification(ACCESS, &format!("{}|me", removed.encode()), "me"),
            None
        );
        assert_eq!(parse_notification(ACCESS, "token|other", "me"), None);
    }
}
