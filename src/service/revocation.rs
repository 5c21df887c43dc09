//! Taking access away from what is already open. A live connection or a comment stream decides
//! who it serves once, when it opens; when that access is taken away (signing out, a revoked
//! token, a removed member or a changed role, a deactivated account) it must end at once, not
//! at the next reconnect.
//!
//! Each open connection and stream registers its credential here ([`RevocationHub::watch`]) and
//! holds the returned [`Watch`], whose token is cancelled when the credential stops giving it
//! the access it was opened with. Changes arrive three ways:
//!
//! - made by this server (sign-out, the members page and API): [`RevocationHub::publish`]
//!   applies them here at once and tells the other nodes;
//! - made by another node, or by the CLI, on PostgreSQL: a `NOTIFY` on `samskriv_access`
//!   ([`RevocationHub::route_node_events`]);
//! - made by the CLI beside a running server (which on SQLite cannot notify it): every server
//!   polls for tokens revoked and accounts deactivated every [`POLL_EVERY`]
//!   ([`RevocationHub::spawn_poller`]), on PostgreSQL too, in case a notification was lost.
//!
//! A change that names the credential exactly (this session ended, this token revoked, this
//! account deactivated) ends what it names without asking the database; a membership change
//! makes the connections of that person on that plan read their role again, and end if it is
//! not the role they were opened with (a client reconnects and gets its new role).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::access::role_on_plan;
use super::{Error, Principal, Result};
use crate::access::{AccessPolicy, Action, Role};
use crate::plan::PlanId;
use crate::storage::accounts as accounts_store;
use crate::storage::revocation as store;
pub use crate::storage::revocation::AccessChange;
use crate::storage::{Db, NodeEvent, Storage, now_millis};

/// How often each server looks for revocations the CLI made in the database. With the time to
/// close a connection, a CLI revocation reaches open connections within about this long. Two
/// small queries, only while something is open: cheap next to a commit.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// How far before its previous poll each poll looks again. A revocation is stamped with the
/// CLI's clock before its transaction commits; a commit that waited for the database's lock
/// must still be found. Finding one again costs nothing: what it names is closed already.
const POLL_OVERLAP_MILLIS: i64 = 30_000;

/// What an open connection or stream was opened with, as far as revoking it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser's session: its stored hash, and whose it is.
    Session { session: String, user: String },
    /// A service token, by id.
    Token { token: String },
    /// Nobody in particular (open editing): nothing to revoke.
    Anonymous,
}

impl Credential {
    pub fn of(principal: &Principal) -> Credential {
        match principal {
            Principal::User { user, session, .. } => Credential::Session {
                session: session.clone(),
                user: user.id.clone(),
            },
            Principal::Token(token) => Credential::Token {
                token: token.id.clone(),
            },
            Principal::Anonymous => Credential::Anonymous,
        }
    }

    /// Who the credential names now; `None` when it works no more (session ended or expired,
    /// account deactivated, token revoked).
    pub async fn principal_now(&self, db: &Db) -> Result<Option<Principal>> {
        Ok(match self {
            Credential::Session { session, .. } => {
                store::session_by_hash(db, session)
                    .await?
                    .map(|(user, csrf)| Principal::User {
                        user,
                        csrf,
                        session: session.clone(),
                    })
            }
            Credential::Token { token } => accounts_store::service_token_by_id(db, token)
                .await?
                .map(Principal::Token),
            Credential::Anonymous => Some(Principal::Anonymous),
        })
    }

    /// What `change` means for something opened with this credential on `plan`.
    fn concern(&self, plan: PlanId, change: &AccessChange) -> Concern {
        let named = match (self, change) {
            (
                Credential::Session { session, .. },
                AccessChange::SessionEnded { session: ended },
            ) => session == ended,
            (Credential::Token { token }, AccessChange::TokenRevoked { token: revoked }) => {
                token == revoked
            }
            (Credential::Session { user, .. }, AccessChange::UserDeactivated { user: gone }) => {
                user == gone
            }
            (
                Credential::Session { user, .. },
                AccessChange::MemberChanged {
                    plan: changed,
                    user: member,
                },
            ) if user == member && plan == *changed => return Concern::Recheck,
            (_, AccessChange::PlanChanged { plan: changed }) if plan == *changed => {
                return Concern::Recheck;
            }
            _ => false,
        };
        if named {
            Concern::Revoked
        } else {
            Concern::None
        }
    }
}

enum Concern {
    None,
    Revoked,
    Recheck,
}

/// The role the holder of `credential` has on `plan` now; `None` when the credential no longer
/// works or gives no access to the plan.
pub async fn role_now(
    db: &Db,
    policy: &AccessPolicy,
    credential: &Credential,
    plan: PlanId,
) -> Result<Option<Role>> {
    let Some(principal) = credential.principal_now(db).await? else {
        return Ok(None);
    };
    Ok(role_on_plan(db, policy, &principal, plan)
        .await?
        .map(|(role, _)| role))
}

/// What an open connection needs to keep to stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Exactly this role: a live connection's rights were fixed when it opened, so any other
    /// role ends it and its client reconnects with the new one.
    Role(Role),
    /// Any role that may read the plan (a comment stream shows the same to every reader).
    Read,
}

impl Needs {
    fn met_by(self, role: Option<Role>) -> bool {
        match (self, role) {
            (_, None) => false,
            (Needs::Role(needed), Some(role)) => role == needed,
            (Needs::Read, Some(role)) => role.may(Action::Read),
        }
    }
}

struct Watched {
    plan: PlanId,
    needs: Needs,
    credential: Credential,
    revoked: CancellationToken,
}

/// The open connections and streams of this server process and what they were opened with.
/// Cheap to clone.
#[derive(Clone)]
pub struct RevocationHub {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Arc<dyn Storage>,
    policy: AccessPolicy,
    next: AtomicU64,
    watched: Mutex<HashMap<u64, Watched>>,
}

impl Inner {
    fn watched(&self) -> MutexGuard<'_, HashMap<u64, Watched>> {
        // Every change to the map is a single call, so it stays consistent after a panic.
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One open connection's registration: its token is cancelled when its access is taken away;
/// dropping it unregisters.
pub struct Watch {
    id: u64,
    revoked: CancellationToken,
    hub: Arc<Inner>,
}

impl Watch {
    /// Cancelled when the access this was opened with is gone.
    pub fn token(&self) -> CancellationToken {
        self.revoked.clone()
    }

    /// Completes when the access this was opened with is gone (cancel-safe).
    pub async fn revoked(&self) {
        self.revoked.cancelled().await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.hub.watched().remove(&self.id);
    }
}

impl RevocationHub {
    pub fn new(storage: Arc<dyn Storage>, policy: AccessPolicy) -> Self {
        RevocationHub {
            inner: Arc::new(Inner {
                storage,
                policy,
                next: AtomicU64::new(1),
                watched: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Registers something opened on `plan` by `principal`. The access was decided before this
    /// call; a revocation that landed in between would be missed, so the credential is read
    /// once more in the background right after registering.
    pub fn watch(&self, plan: PlanId, needs: Needs, principal: &Principal) -> Watch {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let revoked = CancellationToken::new();
        let credential = Credential::of(principal);
        let check = credential != Credential::Anonymous;
        self.inner.watched().insert(
            id,
            Watched {
                plan,
                needs,
                credential: credential.clone(),
                revoked: revoked.clone(),
            },
        );
        if check {
            let hub = self.clone();
            let token = revoked.clone();
            tokio::spawn(async move {
                hub.recheck(plan, needs, &credential, &token).await;
            });
        }
        Watch {
            id,
            revoked,
            hub: self.inner.clone(),
        }
    }

    /// How many connections and streams are registered.
    pub fn watched(&self) -> usize {
        self.inner.watched().len()
    }

    /// Applies a change made by this server, then tells the other nodes. The change is
    /// committed already: failing to tell other nodes is logged (their poll or their re-check
    /// after a lost notification still finds it), not returned.
    pub async fn publish(&self, change: AccessChange) {
        self.apply(&change).await;
        if let Err(e) = self.inner.storage.publish_access_change(&change).await {
            tracing::warn!(error = %e, "cannot tell other nodes about a revocation");
        }
    }

    /// Ends, on this node, what `change` takes access from.
    pub async fn apply(&self, change: &AccessChange) {
        let mut recheck = Vec::new();
        {
            let watched = self.inner.watched();
            for entry in watched.values() {
                match entry.credential.concern(entry.plan, change) {
                    Concern::None => {}
                    Concern::Revoked => entry.revoked.cancel(),
                    Concern::Recheck => recheck.push((
                        entry.plan,
                        entry.needs,
                        entry.credential.clone(),
                        entry.revoked.clone(),
                    )),
                }
            }
        }
        for (plan, needs, credential, revoked) in recheck {
            self.recheck(plan, needs, &credential, &revoked).await;
        }
    }

    /// Reads every registered credential again (after notifications may have been lost).
    pub async fn recheck_all(&self) {
        let all: Vec<_> = self
            .inner
            .watched()
            .values()
            .filter(|entry| entry.credential != Credential::Anonymous)
            .map(|entry| {
                (
                    entry.plan,
                    entry.needs,
                    entry.credential.clone(),
                    entry.revoked.clone(),
                )
            })
            .collect();
        for (plan, needs, credential, revoked) in all {
            self.recheck(plan, needs, &credential, &revoked).await;
        }
    }

    /// Cancels `revoked` unless the credential still gives what is needed. A database that does
    /// not answer revokes nothing (and stores nothing either).
    async fn recheck(
        &self,
        plan: PlanId,
        needs: Needs,
        credential: &Credential,
        revoked: &CancellationToken,
    ) {
        if revoked.is_cancelled() {
            return;
        }
        let db = self.inner.storage.db();
        match role_now(&db, &self.inner.policy, credential, plan).await {
            Ok(role) if needs.met_by(role) => {}
            Ok(role) => {
                tracing::info!(%plan, ?role, "access changed; closing");
                revoked.cancel();
            }
            Err(e) => tracing::warn!(%plan, error = %e, "cannot re-check a credential"),
        }
    }

    /// Takes the other nodes' events: revocations are applied here, a lost notification
    /// connection makes every credential be read again, and everything comes out of the
    /// returned receiver but revocations, in order. Ends when either side does.
    pub fn route_node_events(
        &self,
        mut events: mpsc::Receiver<NodeEvent>,
    ) -> mpsc::Receiver<NodeEvent> {
        let (rest, receiver) = mpsc::channel(1024);
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = rest.closed() => break,
                    event = events.recv() => match event {
                        Some(event) => event,
                        None => break,
                    },
                };
                match event {
                    NodeEvent::AccessChanged(change) => hub.apply(&change).await,
                    NodeEvent::Reconnected => {
                        let again = hub.clone();
                        tokio::spawn(async move { again.recheck_all().await });
                        if rest.send(NodeEvent::Reconnected).await.is_err() {
                            break;
                        }
                    }
                    other => {
                        if rest.send(other).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
        receiver
    }

    /// Looks for tokens revoked and accounts deactivated by the CLI every [`POLL_EVERY`], until
    /// `shutdown`.
    pub fn spawn_poller(&self, shutdown: CancellationToken) {
        let hub = self.clone();
        tokio::spawn(async move {
            let db = hub.inner.storage.db();
            let mut every = tokio::time::interval(POLL_EVERY);
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut since = now_millis() - POLL_OVERLAP_MILLIS;
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = every.tick() => {}
                }
                let started = now_millis();
                if hub.watched() == 0 {
                    // Nothing open that a revocation could end (what opens later is checked
                    // when it registers).
                    since = started - POLL_OVERLAP_MILLIS;
                    continue;
                }
                match store::revoked_since(&db, since).await {
                    Ok(changes) => {
                        for change in &changes {
                            hub.apply(change).await;
                        }
                        since = started - POLL_OVERLAP_MILLIS;
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot look for revocations"),
                }
            }
        });
    }
}

/// Revokes a service token and tells the running servers: at once on PostgreSQL, at their next
/// poll on SQLite. [`Error::NotFound`] for an unknown or revoked one.
pub async fn revoke_token(storage: &dyn Storage, id: &str) -> Result<()> {
    super::accounts::revoke_service_token(&storage.db(), id).await?;
    let change = AccessChange::TokenRevoked {
        token: id.to_owned(),
    };
    if let Err(e) = storage.publish_access_change(&change).await {
        tracing::warn!(error = %e, "cannot tell the servers; they find it at their next poll");
    }
    Ok(())
}

/// Deactivates the account with this e-mail address: it cannot sign in any more, its sessions
/// end, and the running servers close what it has open (at once on PostgreSQL, at their next
/// poll on SQLite). Returns the account as it was.
pub async fn deactivate_user(storage: &dyn Storage, email: &str) -> Result<accounts_store::User> {
    let db = storage.db();
    let user = accounts_store::user_by_email(&db, email)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no active account with the address {email}")))?;
    if !store::deactivate_user(&db, &user.id).await? {
        return Err(Error::NotFound(format!(
            "no active account with the address {email}"
        )));
    }
    tracing::info!(user = %user.id, "account deactivated");
    let change = AccessChange::UserDeactivated {
        user: user.id.clone(),
    };
    if let Err(e) = storage.publish_access_change(&change).await {
        tracing::warn!(error = %e, "cannot tell the servers; they find it at their next poll");
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(session: &str, user: &str) -> Credential {
        Credential::Session {
            session: session.into(),
            user: user.into(),
        }
    }

    fn revokes(credential: &Credential, plan: PlanId, change: &AccessChange) -> bool {
        matches!(credential.concern(plan, change), Concern::Revoked)
    }

    #[test]
    fn a_change_concerns_exactly_what_it_names() {
        let (plan, other_plan) = (PlanId::new_random(), PlanId::new_random());
        let kari = session("s1", "kari");
        let token = Credential::Token { token: "t1".into() };
        let ended = AccessChange::SessionEnded {
            session: "s1".into(),
        };
        assert!(revokes(&kari, plan, &ended));
        assert!(!revokes(&session("s2", "kari"), plan, &ended));
        assert!(!revokes(&token, plan, &ended));
        let revoked = AccessChange::TokenRevoked { token: "t1".into() };
        assert!(revokes(&token, plan, &revoked));
        assert!(!revokes(&kari, plan, &revoked));
        let gone = AccessChange::UserDeactivated {
            user: "kari".into(),
        };
        assert!(revokes(&kari, plan, &gone));
        assert!(revokes(&session("s2", "kari"), other_plan, &gone));
        assert!(!revokes(&session("s3", "ola"), plan, &gone));
        let member = AccessChange::MemberChanged {
            plan,
            user: "kari".into(),
        };
        assert!(matches!(kari.concern(plan, &member), Concern::Recheck));
        assert!(matches!(kari.concern(other_plan, &member), Concern::None));
        assert!(matches!(token.concern(plan, &member), Concern::None));
        assert!(matches!(
            Credential::Anonymous.concern(plan, &gone),
            Concern::None
        ));
        let archived = AccessChange::PlanChanged { plan };
        for credential in [&kari, &token, &Credential::Anonymous] {
            assert!(matches!(
                credential.concern(plan, &archived),
                Concern::Recheck
            ));
            assert!(matches!(
                credential.concern(other_plan, &archived),
                Concern::None
            ));
        }
    }

    #[test]
    fn what_a_connection_needs_to_stay_open() {
        assert!(Needs::Role(Role::Editor).met_by(Some(Role::Editor)));
        assert!(!Needs::Role(Role::Editor).met_by(Some(Role::Reader)));
        assert!(!Needs::Role(Role::Reader).met_by(Some(Role::Editor)));
        assert!(!Needs::Role(Role::Editor).met_by(None));
        assert!(Needs::Read.met_by(Some(Role::Reader)));
        assert!(!Needs::Read.met_by(None));
    }

    #[tokio::test]
    async fn a_watch_is_cancelled_by_its_change_and_unregistered_when_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage = crate::storage::SqliteStorage::open(
            &dir.path().join("r.sqlite3").display().to_string(),
            crate::config::SqliteSynchronous::Normal,
        )
        .await
        .expect("storage");
        let hub = RevocationHub::new(Arc::new(storage), AccessPolicy::default());
        let plan = PlanId::new_random();
        let token = crate::storage::accounts::ServiceToken {
            id: "t1".into(),
            plan_id: plan,
            name: "Integrasjon".into(),
            role: Role::Editor,
            unit: None,
            created_at: 0,
            revoked_at: None,
        };
        let watch = hub.watch(plan, Needs::Role(Role::Editor), &Principal::Token(token));
        let other = hub.watch(plan, Needs::Read, &Principal::Anonymous);
        assert_eq!(hub.watched(), 2);
        hub.apply(&AccessChange::TokenRevoked { token: "t1".into() })
            .await;
        assert!(watch.token().is_cancelled());
        assert!(!other.token().is_cancelled());
        drop(watch);
        assert_eq!(hub.watched(), 1);
    }
}
