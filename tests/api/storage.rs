//! The storage contract, told as one story and run against every back end: SQLite always,
//! PostgreSQL when `SAMSKRIV_TEST_POSTGRES_URL` names a server (CI sets it). Both back ends must
//! pass the very same assertions, because the rest of Samskriv cannot tell them apart.

use std::sync::Arc;
use std::time::Duration;

use samskriv::plan::{NewPlan, PlanId, PlanMeta};
use samskriv::storage::{self, Storage, StorageError, StoredDocument, now_millis};

use crate::helpers::{PostgresSchema, postgres_schema};

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test. Fields drop in order: the storage (and its pool) goes
/// before the SQLite directory or the PostgreSQL schema it used.
struct TestDatabase {
    storage: Arc<dyn Storage>,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<PostgresSchema>,
}

impl TestDatabase {
    /// Opens a fresh database, or returns `None` (after saying so) when the back end is not
    /// configured here: a test that did not run must never look like one that passed.
    async fn open(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("storage.sqlite3").display());
                Some(TestDatabase {
                    storage: connect(url).await,
                    _dir: Some(dir),
                    _schema: None,
                })
            }
            Backend::Postgres => {
                let schema = postgres_schema().await?;
                let storage = connect(schema.url()).await;
                Some(TestDatabase {
                    storage,
                    _dir: None,
                    _schema: Some(schema),
                })
            }
        }
    }
}

/// Goes through `storage::connect`, so the URL-scheme dispatch is tested too.
async fn connect(database_url: String) -> Arc<dyn Storage> {
    let config = samskriv::config::DatabaseConfig {
        database_url,
        sqlite_synchronous: samskriv::config::SqliteSynchronous::Full,
    };
    storage::connect(&config).await.expect("database opens")
}

fn sample_plan() -> NewPlan {
    NewPlan {
        title: "Ruspolitisk handlingsplan".into(),
        bydel: "Nordstrand".into(),
        periode: "2025–2028".into(),
        template: "korus-ruspolitisk-handlingsplan@1".into(),
        is_demo: false,
    }
}

fn assert_plan_not_found(result: Result<impl std::fmt::Debug, StorageError>, plan: PlanId) {
    match result {
        Err(StorageError::PlanNotFound(id)) => assert_eq!(id, plan),
        other => panic!("expected PlanNotFound({plan}), got {other:?}"),
    }
}

fn assert_document(doc: &StoredDocument, snapshot: Option<&[u8]>, updates: &[&[u8]], last: i64) {
    assert_eq!(doc.snapshot.as_deref(), snapshot, "snapshot");
    let stored: Vec<&[u8]> = doc.updates.iter().map(Vec::as_slice).collect();
    assert_eq!(stored, updates, "updates after the snapshot");
    assert_eq!(doc.last_seq, last, "last_seq");
}

/// Millisecond timestamps order the plan list; wait so that the next change is strictly later.
async fn next_millisecond() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

/// Plans, the update log, compaction and the plan list, in the order a server uses them.
async fn plans_and_the_update_log(backend: Backend) {
    let Some(db) = TestDatabase::open(backend).await else {
        return;
    };
    let storage = db.storage.as_ref();

    // Create, get, list.
    let before = now_millis();
    let plan = storage
        .create_plan(&sample_plan(), b"initial")
        .await
        .expect("plan created");
    assert_eq!(plan.title, "Ruspolitisk handlingsplan");
    assert_eq!(plan.bydel, "Nordstrand");
    assert_eq!(plan.periode, "2025–2028");
    assert_eq!(plan.template, "korus-ruspolitisk-handlingsplan@1");
    assert_eq!(plan.status, "utkast");
    assert!(!plan.is_demo);
    assert!(plan.created_at >= before && plan.created_at <= now_millis());
    assert_eq!(plan.updated_at, plan.created_at);
    assert_eq!(
        storage.get_plan(plan.id).await.expect("get"),
        Some(plan.clone())
    );
    assert_eq!(
        storage.get_plan(PlanId::new_random()).await.expect("get"),
        None
    );

    next_millisecond().await;
    let demo = storage
        .create_plan(
            &NewPlan {
                title: "Demo".into(),
                is_demo: true,
                ..NewPlan::default()
            },
            b"",
        )
        .await
        .expect("plan with an empty initial update created");
    assert!(demo.is_demo);
    let listed = storage.list_plans().await.expect("list");
    assert_eq!(listed, vec![demo.clone(), plan.clone()], "newest first");

    // Appends in several transactions get consecutive sequence numbers after the initial one.
    next_millisecond().await;
    let binary: &[u8] = &[0, 255, 0, 1, 0x80];
    let large = vec![0x5a_u8; 256 * 1024];
    assert_eq!(
        storage
            .append_updates(plan.id, &[b"u2"])
            .await
            .expect("append"),
        2
    );
    assert_eq!(
        storage
            .append_updates(plan.id, &[b"u3", binary, &large])
            .await
            .expect("append"),
        5
    );
    assert_eq!(
        storage
            .append_updates(plan.id, &[b"u6"])
            .await
            .expect("append"),
        6
    );
    assert_eq!(
        storage.append_updates(plan.id, &[]).await.expect("append"),
        6,
        "an empty append changes nothing"
    );
    assert_eq!(storage.log_len(plan.id).await.expect("log_len"), 6);
    let doc = storage.load_document(plan.id).await.expect("load");
    assert_document(
        &doc,
        None,
        &[b"initial", b"u2", b"u3", binary, &large, b"u6"],
        6,
    );

    // The appends moved the plan to the top of the list.
    let listed = storage.list_plans().await.expect("list");
    let ids: Vec<PlanId> = listed.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![plan.id, demo.id], "the changed plan comes first");
    assert!(listed[0].updated_at > plan.updated_at);
    assert_eq!(listed[0].created_at, plan.created_at);

    // What another node committed since a known point.
    let after = storage.log_after(plan.id, 3).await.expect("after").updates;
    assert_eq!(
        after,
        vec![
            (4, binary.to_vec()),
            (5, large.clone()),
            (6, b"u6".to_vec())
        ]
    );
    assert!(
        storage
            .log_after(plan.id, 6)
            .await
            .expect("after")
            .updates
            .is_empty()
    );

    // Compaction folds the log up to a point into the snapshot; later updates stay logged.
    storage
        .compact(plan.id, b"state@4", 4)
        .await
        .expect("compact");
    assert_eq!(storage.log_len(plan.id).await.expect("log_len"), 2);
    let doc = storage.load_document(plan.id).await.expect("load");
    assert_document(&doc, Some(b"state@4"), &[&large, b"u6"], 6);
    // A reader behind the snapshot gets the snapshot and what follows it.
    let tail = storage.log_after(plan.id, 0).await.expect("after");
    assert_eq!(tail.snapshot, Some((b"state@4".to_vec(), 4)));
    assert_eq!(tail.updates, vec![(5, large.clone()), (6, b"u6".to_vec())]);
    let tail = storage.log_after(plan.id, 4).await.expect("after");
    assert_eq!(tail.snapshot, None);
    assert_eq!(tail.updates.len(), 2);

    // A compaction of an older state (a slower node) never replaces a newer snapshot.
    storage
        .compact(plan.id, b"state@6", 6)
        .await
        .expect("compact");
    storage
        .compact(plan.id, b"stale state@5", 5)
        .await
        .expect("stale compact is harmless");
    assert_eq!(storage.log_len(plan.id).await.expect("log_len"), 0);
    let doc = storage.load_document(plan.id).await.expect("load");
    assert_document(&doc, Some(b"state@6"), &[], 6);

    // The log continues after the snapshot.
    assert_eq!(
        storage
            .append_updates(plan.id, &[b"u7"])
            .await
            .expect("append"),
        7
    );
    let doc = storage.load_document(plan.id).await.expect("load");
    assert_document(&doc, Some(b"state@6"), &[b"u7"], 7);

    // The document's meta is copied to the plan list; the other plan is untouched.
    let meta = PlanMeta {
        title: "Handlingsplan mot rus".into(),
        bydel: "Bydel Nordstrand".into(),
        periode: "2026–2029".into(),
        status: "horing".into(),
    };
    storage
        .update_plan_meta(plan.id, &meta)
        .await
        .expect("meta updated");
    let listed = storage.list_plans().await.expect("list");
    let shown = listed.iter().find(|p| p.id == plan.id).expect("listed");
    assert_eq!(
        (
            shown.title.as_str(),
            shown.bydel.as_str(),
            shown.periode.as_str(),
            shown.status.as_str()
        ),
        (
            "Handlingsplan mot rus",
            "Bydel Nordstrand",
            "2026–2029",
            "horing"
        )
    );
    assert_eq!(shown.template, plan.template, "the template is not meta");
    assert_eq!(listed.iter().find(|p| p.id == demo.id), Some(&demo));

    // An unknown plan is reported as such, not as a database error.
    let unknown = PlanId::new_random();
    assert_plan_not_found(storage.append_updates(unknown, &[b"x"]).await, unknown);
    assert_plan_not_found(storage.load_document(unknown).await, unknown);
}

const WRITERS: usize = 8;
const APPENDS_PER_WRITER: usize = 20;

/// Several writers (standing in for several server nodes) append to one plan at once: the log
/// is gapless, has no duplicates, and the sequence number each append returns identifies
/// exactly the entries it wrote.
async fn concurrent_appends_are_gapless(backend: Backend) {
    let Some(db) = TestDatabase::open(backend).await else {
        return;
    };
    let plan = db
        .storage
        .create_plan(&sample_plan(), b"initial")
        .await
        .expect("plan created")
        .id;

    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let storage = db.storage.clone();
            tokio::spawn(async move {
                let mut appended = Vec::new();
                for append in 0..APPENDS_PER_WRITER {
                    let entries: Vec<Vec<u8>> = (0..=append % 3)
                        .map(|entry| format!("w{writer}-a{append}-e{entry}").into_bytes())
                        .collect();
                    let slices: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
                    let last = storage
                        .append_updates(plan, &slices)
                        .await
                        .expect("concurrent append");
                    appended.push((last, entries));
                }
                appended
            })
        })
        .collect();
    let mut appended = Vec::new();
    for writer in writers {
        appended.extend(writer.await.expect("writer task"));
    }

    let total = 1 + appended.iter().map(|(_, e)| e.len()).sum::<usize>();
    let total = i64::try_from(total).expect("small");
    let log = db
        .storage
        .log_after(plan, 0)
        .await
        .expect("log read back")
        .updates;
    let seqs: Vec<i64> = log.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "gapless, no duplicates"
    );
    for (last, entries) in &appended {
        let first = last - i64::try_from(entries.len()).expect("small") + 1;
        let stored: Vec<&Vec<u8>> = log
            .iter()
            .filter(|(seq, _)| (first..=*last).contains(seq))
            .map(|(_, data)| data)
            .collect();
        let expected: Vec<&Vec<u8>> = entries.iter().collect();
        assert_eq!(stored, expected, "entries of the append ending at {last}");
    }
    let doc = db.storage.load_document(plan).await.expect("load");
    assert_eq!(doc.last_seq, total);
    assert_eq!(doc.updates.len(), log.len());
    assert_eq!(db.storage.log_len(plan).await.expect("log_len"), total);
}

const COMPACTION_RACE_APPENDS: i64 = 150;
const READERS: usize = 3;

/// A document loaded while another node compacts is always whole: the snapshot plus exactly the
/// updates after it, never a snapshot with updates missing after it (the gap a reader would see
/// if the log were read after a compaction it did not see the snapshot of).
async fn loads_are_consistent_during_compaction(backend: Backend) {
    let Some(db) = TestDatabase::open(backend).await else {
        return;
    };
    let plan = db
        .storage
        .create_plan(&sample_plan(), b"seq=1")
        .await
        .expect("plan created")
        .id;
    let (committed_tx, committed) = tokio::sync::watch::channel(1_i64);

    // Every entry names its own sequence number, every snapshot the last one it folds in.
    let writer = {
        let storage = db.storage.clone();
        tokio::spawn(async move {
            for seq in 2..=COMPACTION_RACE_APPENDS {
                let entry = format!("seq={seq}").into_bytes();
                let last = storage
                    .append_updates(plan, &[&entry])
                    .await
                    .expect("append");
                assert_eq!(last, seq, "a single writer gets the next number");
                let _ = committed_tx.send(last);
            }
        })
    };
    let compactor = {
        let storage = db.storage.clone();
        let mut committed = committed.clone();
        tokio::spawn(async move {
            while committed.changed().await.is_ok() {
                let upto = *committed.borrow_and_update();
                let state = format!("upto={upto}").into_bytes();
                storage.compact(plan, &state, upto).await.expect("compact");
            }
        })
    };
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let storage = db.storage.clone();
            let committed = committed.clone();
            tokio::spawn(async move {
                let mut loads = 0_u32;
                while *committed.borrow() < COMPACTION_RACE_APPENDS {
                    let doc = storage.load_document(plan).await.expect("load");
                    let upto = doc.snapshot.as_deref().map_or(0, |state| {
                        String::from_utf8_lossy(state)
                            .trim_start_matches("upto=")
                            .parse::<i64>()
                            .expect("snapshot names its seq")
                    });
                    let expected: Vec<Vec<u8>> = (upto + 1..=doc.last_seq)
                        .map(|seq| format!("seq={seq}").into_bytes())
                        .collect();
                    assert_eq!(
                        doc.updates, expected,
                        "snapshot up to {upto} must be followed by every later update"
                    );
                    loads += 1;
                }
                loads
            })
        })
        .collect();

    writer.await.expect("writer");
    compactor.await.expect("compactor");
    let mut loads = 0;
    for reader in readers {
        loads += reader.await.expect("reader saw only whole documents");
    }
    assert!(loads > 0, "the readers raced the compactions");
    let doc = db.storage.load_document(plan).await.expect("load");
    assert_eq!(doc.last_seq, COMPACTION_RACE_APPENDS);
}

#[tokio::test]
async fn sqlite_plans_and_the_update_log() {
    plans_and_the_update_log(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_plans_and_the_update_log() {
    plans_and_the_update_log(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_appends_are_gapless() {
    concurrent_appends_are_gapless(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_appends_are_gapless() {
    concurrent_appends_are_gapless(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_loads_are_consistent_during_compaction() {
    loads_are_consistent_during_compaction(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_loads_are_consistent_during_compaction() {
    loads_are_consistent_during_compaction(Backend::Postgres).await;
}

/// Accounts, membership and who-wrote-what read the same on both databases.
async fn accounts_membership_and_authorship(backend: Backend) {
    use samskriv::access::Actor;
    use samskriv::access::Role;
    use samskriv::storage::LogEntry;
    use samskriv::storage::accounts as store;
    use samskriv::storage::activity::{Edit, last_edits};

    let Some(db) = TestDatabase::open(backend).await else {
        return;
    };
    let plan = db
        .storage
        .create_plan(&sample_plan(), b"u1")
        .await
        .expect("plan")
        .id;
    let pool = db.storage.db();
    let kari = store::create_user(&pool, "Kari@Oslo.Kommune.no", "Kari", None, false)
        .await
        .expect("user");
    assert_eq!(kari.email, "kari@oslo.kommune.no");
    assert!(matches!(
        store::create_user(&pool, "kari@oslo.kommune.no", "Kari 2", None, false).await,
        Err(samskriv::storage::StorageError::EmailTaken(_))
    ));
    store::add_unit(&pool, plan, "NAV").await.expect("unit");
    store::add_unit(&pool, plan, "SaLTo").await.expect("unit");
    store::add_unit(&pool, plan, "NAV")
        .await
        .expect("a unit twice is one unit");
    assert_eq!(
        store::list_units(&pool, plan).await.expect("units"),
        ["NAV", "SaLTo"]
    );
    store::set_member(&pool, plan, &kari.id, Role::Editor, Some("NAV"))
        .await
        .expect("member");
    let membership = store::membership(&pool, plan, &kari.id)
        .await
        .expect("read")
        .expect("member");
    assert_eq!(
        (membership.role, membership.unit.as_deref()),
        (Role::Editor, Some("NAV"))
    );
    assert_eq!(
        store::plans_of(&pool, &kari.id).await.expect("plans"),
        [plan]
    );

    // A session and its CSRF token; a sign-in link works once.
    let (session, csrf) = store::create_session(&pool, &kari.id, Duration::from_secs(60))
        .await
        .expect("session");
    let (user, read_csrf) = store::session_user(&pool, &session)
        .await
        .expect("read")
        .expect("live session");
    assert_eq!((user.id.as_str(), read_csrf), (kari.id.as_str(), csrf));
    let link = store::create_sign_in_link(&pool, Some(&kari.id), Duration::from_secs(60))
        .await
        .expect("link");
    assert!(store::use_sign_in_link(&pool, &link).await.expect("use"));
    assert!(
        !store::use_sign_in_link(&pool, &link)
            .await
            .expect("use again")
    );
    // Expired sessions and spent links are swept; live ones stay.
    let (expired, _) = store::create_session(&pool, &kari.id, Duration::ZERO)
        .await
        .expect("session");
    assert_eq!(store::sweep_expired(&pool).await.expect("sweep"), 2);
    assert!(
        store::session_user(&pool, &expired)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store::session_user(&pool, &session)
            .await
            .expect("read")
            .is_some()
    );

    // An invite is accepted once, in one transaction with the membership.
    let ola = store::create_user(&pool, "ola@oslo.kommune.no", "Ola", None, false)
        .await
        .expect("user");
    let (_, invite) = store::create_invite(
        &pool,
        plan,
        Role::Adviser,
        None,
        Some(&kari.id),
        Duration::from_secs(60),
    )
    .await
    .expect("invite");
    assert!(
        store::accept_invite(&pool, &invite, &ola.id)
            .await
            .expect("accept")
            .is_some()
    );
    assert!(
        store::accept_invite(&pool, &invite, &kari.id)
            .await
            .expect("again")
            .is_none()
    );
    assert_eq!(
        store::list_members(&pool, plan)
            .await
            .expect("members")
            .len(),
        2
    );

    // Each log entry names its author; the last edit of each part is kept beside the log.
    let actor = Actor {
        id: format!("user:{}", kari.id),
        name: "Kari".into(),
        unit: Some("NAV".into()),
    };
    db.storage
        .append_entries(
            plan,
            &[LogEntry {
                data: b"u2",
                author: Some(&actor.id),
            }],
            &[Edit {
                target: "section:innledning",
                actor: &actor,
            }],
        )
        .await
        .expect("append");
    let edits = last_edits(&pool, plan).await.expect("edits");
    let edit = &edits["section:innledning"];
    assert_eq!(
        (
            edit.actor_id.as_str(),
            edit.actor_name.as_str(),
            edit.actor_unit.as_deref()
        ),
        (actor.id.as_str(), "Kari", Some("NAV"))
    );
    assert!(edit.edited_at > 0);
    let authors: Vec<Option<String>> = match &pool {
        samskriv::storage::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT author FROM plan_updates ORDER BY seq")
                .fetch_all(p)
                .await
        }
        samskriv::storage::Db::Postgres(p) => {
            sqlx::query_scalar("SELECT author FROM plan_updates ORDER BY seq")
                .fetch_all(p)
                .await
        }
    }
    .expect("authors");
    assert_eq!(authors, [None, Some(actor.id.clone())]);
}

#[tokio::test]
async fn sqlite_accounts_membership_and_authorship() {
    accounts_membership_and_authorship(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_accounts_membership_and_authorship() {
    accounts_membership_and_authorship(Backend::Postgres).await;
}
