//! Access taken away reaches what is already open: a removed member's, a revoked token's, a
//! signed-out session's and a deactivated account's live connections are closed (4001) within
//! 2 s, a CLI revocation within 5 s, and nothing they send afterwards is stored; their comment
//! streams end too. On one node (SQLite) and across two nodes on PostgreSQL (when
//! `SAMSKRIV_TEST_POSTGRES_URL` is set).

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use reqwest::{Method, StatusCode};
use samskriv::access::Role;
use samskriv::plan::PlanId;
use samskriv::storage::accounts as store;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{GetString, ReadTxn, Text, Transact, WriteTxn};

use crate::helpers::*;

/// The documented close code for access taken away.
const ACCESS_CHANGED: u16 = 4001;
/// How soon a change made on a server must reach open connections, on every node.
const SERVER_BOUND: Duration = Duration::from_secs(2);
/// How soon a revocation made by the CLI must reach a running server.
const CLI_BOUND: Duration = Duration::from_secs(5);

fn text_of(client: &TestClient) -> String {
    let text = client.doc().get_or_insert_text("t");
    text.get_string(&client.doc().transact())
}

/// Sends an edit as a client would, without failing when the server has closed already.
async fn try_edit(client: &mut TestClient, words: &str) {
    let before = client.doc().transact().state_vector();
    {
        let mut txn = client.doc().transact_mut();
        txn.get_or_insert_text("t").push(&mut txn, words);
    }
    let update = client.doc().transact().encode_state_as_update_v1(&before);
    let frame = Message::Sync(SyncMessage::Update(update)).encode_v1();
    let _ = client.socket.send(WsMessage::Binary(frame.into())).await;
}

async fn write(client: &mut TestClient, words: &str) {
    client
        .edit(|txn| txn.get_or_insert_text("t").push(txn, words))
        .await;
}

/// Waits for the server to close `client` with 4001; fails if that takes longer than `bound`
/// after `since`. Prints how long it took (`--nocapture` shows the figures).
async fn closed_for_access(what: &str, client: &mut TestClient, since: Instant, bound: Duration) {
    let (code, reason) = client.expect_close().await;
    let took = since.elapsed();
    assert_eq!(code, ACCESS_CHANGED, "{reason}");
    assert!(
        took < bound,
        "{what}: closed after {took:?}, more than {bound:?}"
    );
    eprintln!("{what}: closed after {took:?}");
}

/// What a fresh look at the plan (by someone who may read it) finds: nothing sent after the
/// revocation may be there.
async fn stored_text(url: &str, viewer: Option<&Person>) -> String {
    let fresh = match viewer {
        Some(person) => TestClient::connect_as(url, person).await,
        None => TestClient::connect(url).await,
    };
    text_of(&fresh)
}

async fn cli(url: &str, args: &[&str]) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("samskriv runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn sqlite_url(app: &TestApp) -> String {
    format!("sqlite://{}", app.db_path.display())
}

async fn new_token(app: &TestApp, plan: PlanId, role: Role) -> (String, String) {
    let (record, secret) =
        store::create_service_token(&app.storage.db(), plan, "Integrasjon", role, None)
            .await
            .expect("token created");
    (record.id, secret)
}

fn token_url(app: &TestApp, plan: impl std::fmt::Display, secret: &str) -> String {
    format!("{}?token={secret}", app.ws_url(plan))
}

#[tokio::test]
async fn a_removed_member_is_closed_at_once_and_its_later_edits_are_not_stored() {
    let f = PlanPeople::new().await;
    let url = f.app.ws_url(&f.plan);
    let mut observer = TestClient::connect_as(&url, &f.coordinator).await;
    let mut editor = TestClient::connect_as(&url, &f.editor).await;
    let mut events = CommentEvents::open(&Api::as_person(&f.app, &f.editor), &f.plan).await;
    write(&mut editor, "før;").await;
    observer.wait_for(|c| text_of(c).contains("før;")).await;

    let since = Instant::now();
    let (status, _) = Api::as_person(&f.app, &f.coordinator)
        .send(
            Method::DELETE,
            &format!("/api/plans/{}/members/{}", f.plan, f.editor.id),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Sent at once, before the client could have seen the close: never stored.
    try_edit(&mut editor, "etter;").await;
    closed_for_access("member removed (SQLite)", &mut editor, since, SERVER_BOUND).await;
    events.ends_within(since, SERVER_BOUND).await;

    observer.pump_for(Duration::from_millis(300)).await;
    assert!(!text_of(&observer).contains("etter;"));
    let stored = stored_text(&url, Some(&f.admin)).await;
    assert!(
        stored.contains("før;") && !stored.contains("etter;"),
        "{stored}"
    );
    // And a new connection is refused like any non-member's.
    expect_http_status_as(&url, &f.editor, 404).await;
    f.app.stop().await;
}

/// Connecting as `person` must fail before the upgrade with this HTTP status.
async fn expect_http_status_as(url: &str, person: &Person, status: u16) {
    use tokio_tungstenite::tungstenite::Error;
    match tokio_tungstenite::connect_async(ws_request(url, Some(&person.session))).await {
        Err(Error::Http(response)) => assert_eq!(response.status().as_u16(), status),
        Err(other) => panic!("expected HTTP {status}, got {other}"),
        Ok(_) => panic!("expected HTTP {status}, but the upgrade succeeded"),
    }
}

#[tokio::test]
async fn a_lowered_role_closes_the_connection_and_it_reconnects_read_only() {
    let f = PlanPeople::new().await;
    let url = f.app.ws_url(&f.plan);
    let mut editor = TestClient::connect_as(&url, &f.editor).await;
    let mut observer = TestClient::connect_as(&url, &f.coordinator).await;
    write(&mut editor, "redaktør;").await;
    observer
        .wait_for(|c| text_of(c).contains("redaktør;"))
        .await;

    let since = Instant::now();
    let (status, body) = Api::as_person(&f.app, &f.coordinator)
        .send(
            Method::PUT,
            &format!("/api/plans/{}/members/{}", f.plan, f.editor.id),
            r#"{"role": "reader"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    try_edit(&mut editor, "som-leser;").await;
    closed_for_access("role lowered (SQLite)", &mut editor, since, SERVER_BOUND).await;

    // The reconnected connection is read-only.
    let mut again = TestClient::connect_as(&url, &f.editor).await;
    assert!(text_of(&again).contains("redaktør;"));
    assert!(!text_of(&again).contains("som-leser;"));
    try_edit(&mut again, "igjen;").await;
    again.wait_for(|c| !c.denied.is_empty()).await;
    let stored = stored_text(&url, Some(&f.admin)).await;
    assert!(
        !stored.contains("som-leser;") && !stored.contains("igjen;"),
        "{stored}"
    );

    // A raised role closes too, so the client gets its new rights at once.
    let since = Instant::now();
    let (status, _) = Api::as_person(&f.app, &f.coordinator)
        .send(
            Method::PUT,
            &format!("/api/plans/{}/members/{}", f.plan, f.editor.id),
            r#"{"role": "editor", "unit": "NAV"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    closed_for_access("role raised (SQLite)", &mut again, since, SERVER_BOUND).await;
    f.app.stop().await;
}

#[tokio::test]
async fn signing_out_ends_that_sessions_connection_and_comment_stream_only() {
    let f = PlanPeople::new().await;
    let url = f.app.ws_url(&f.plan);
    // The same person signed in twice (two browsers): only the session that signs out ends.
    let other_session = f
        .app
        .login(&f.editor.email, &f.editor.password)
        .await
        .expect("second sign-in");
    let elsewhere = Person {
        session: other_session,
        ..f.editor.clone()
    };
    let mut live = TestClient::connect_as(&url, &f.editor).await;
    let mut live_elsewhere = TestClient::connect_as(&url, &elsewhere).await;
    let mut events = CommentEvents::open(&Api::as_person(&f.app, &f.editor), &f.plan).await;

    let since = Instant::now();
    let response = Api::as_person(&f.app, &f.editor)
        .http
        .post(format!("http://{}/logout", f.app.addr))
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    try_edit(&mut live, "utlogget;").await;
    closed_for_access("signed out (SQLite)", &mut live, since, SERVER_BOUND).await;
    events.ends_within(since, SERVER_BOUND).await;

    // The other browser's session goes on working.
    write(&mut live_elsewhere, "fortsatt;").await;
    live_elsewhere
        .wait_for(|c| text_of(c).contains("fortsatt;"))
        .await;
    let stored = stored_text(&url, Some(&f.admin)).await;
    assert!(!stored.contains("utlogget;"), "{stored}");
    f.app.stop().await;
}

#[tokio::test]
async fn a_token_revoked_by_the_cli_is_closed_within_seconds_and_stores_nothing_after() {
    let f = PlanPeople::new().await;
    let plan: PlanId = f.plan.parse().expect("plan id");
    let (id, secret) = new_token(&f.app, plan, Role::Editor).await;
    let mut live = TestClient::connect(&token_url(&f.app, plan, &secret)).await;
    let mut events = CommentEvents::open(&Api::with_token(&f.app, &secret), plan).await;
    write(&mut live, "tjeneste;").await;
    let mut observer = TestClient::connect_as(&f.app.ws_url(plan), &f.coordinator).await;
    observer
        .wait_for(|c| text_of(c).contains("tjeneste;"))
        .await;

    let since = Instant::now();
    cli(&sqlite_url(&f.app), &["token", "revoke", &id]).await;
    closed_for_access(
        "token revoked by the CLI (SQLite, CLI start included)",
        &mut live,
        since,
        CLI_BOUND,
    )
    .await;
    events.ends_within(since, CLI_BOUND).await;

    // The server learns of a CLI revocation at its next poll (SQLite): what arrived before
    // that was accepted as from a valid token; nothing is accepted after.
    try_edit(&mut live, "tilbakekalt;").await;
    let stored = stored_text(&f.app.ws_url(plan), Some(&f.admin)).await;
    assert!(
        stored.contains("tjeneste;") && !stored.contains("tilbakekalt;"),
        "{stored}"
    );
    expect_http_status(&token_url(&f.app, plan, &secret), 401).await;
    f.app.stop().await;
}

#[tokio::test]
async fn a_token_revoked_beside_a_running_server_is_closed_within_two_seconds() {
    // The server's own poll, without a process start: the bound of the SQLite path itself.
    let f = PlanPeople::new().await;
    let plan: PlanId = f.plan.parse().expect("plan id");
    let (id, secret) = new_token(&f.app, plan, Role::Editor).await;
    let mut live = TestClient::connect(&token_url(&f.app, plan, &secret)).await;
    let since = Instant::now();
    samskriv::service::revocation::revoke_token(f.app.storage.as_ref(), &id)
        .await
        .expect("revoked");
    closed_for_access(
        "token revoked beside the server (SQLite poll)",
        &mut live,
        since,
        SERVER_BOUND,
    )
    .await;
    f.app.stop().await;
}

#[tokio::test]
async fn a_deactivated_account_is_closed_everywhere_and_cannot_sign_in() {
    let f = PlanPeople::new().await;
    let url = f.app.ws_url(&f.plan);
    let mut live = TestClient::connect_as(&url, &f.editor).await;
    let mut events = CommentEvents::open(&Api::as_person(&f.app, &f.editor), &f.plan).await;

    let since = Instant::now();
    cli(
        &sqlite_url(&f.app),
        &["user", "deactivate", "--email", &f.editor.email],
    )
    .await;
    closed_for_access(
        "account deactivated by the CLI (SQLite, CLI start included)",
        &mut live,
        since,
        CLI_BOUND,
    )
    .await;
    try_edit(&mut live, "deaktivert;").await;
    events.ends_within(since, CLI_BOUND).await;

    // Its session is gone, and it cannot sign in again.
    let (status, _) = Api::as_person(&f.app, &f.editor)
        .get(&format!("/api/plans/{}", f.plan))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        f.app
            .login(&f.editor.email, &f.editor.password)
            .await
            .is_err()
    );
    let stored = stored_text(&url, Some(&f.admin)).await;
    assert!(!stored.contains("deaktivert;"), "{stored}");
    // Deactivating twice says so.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args(["user", "deactivate", "--email", &f.editor.email])
        .env("DATABASE_URL", sqlite_url(&f.app))
        .output()
        .await
        .expect("samskriv runs");
    assert!(!output.status.success());
    f.app.stop().await;
}

#[tokio::test]
async fn access_that_stays_keeps_its_connection() {
    // Changing someone else's membership, or a member's unit only, closes nobody else.
    let f = PlanPeople::new().await;
    let url = f.app.ws_url(&f.plan);
    let mut editor = TestClient::connect_as(&url, &f.editor).await;
    let mut adviser = TestClient::connect_as(&url, &f.adviser).await;
    let (status, _) = Api::as_person(&f.app, &f.coordinator)
        .send(
            Method::DELETE,
            &format!("/api/plans/{}/members/{}", f.plan, f.reader.id),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = Api::as_person(&f.app, &f.coordinator)
        .send(
            Method::PUT,
            &format!("/api/plans/{}/members/{}", f.plan, f.editor.id),
            r#"{"role": "editor", "unit": "SaLTo"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    editor.pump_for(Duration::from_millis(1500)).await;
    adviser.pump_for(Duration::from_millis(100)).await;
    assert_eq!(editor.closed, None);
    assert_eq!(adviser.closed, None);
    write(&mut editor, "fortsatt;").await;
    adviser.wait_for(|c| text_of(c).contains("fortsatt;")).await;
    f.app.stop().await;
}

/// Two nodes on one PostgreSQL schema, editing closed to members, with an administrator and an
/// editor of one plan signed in (on node one; sessions are shared).
struct TwoNodes {
    _schema: PostgresSchema,
    url: String,
    one: TestApp,
    two: TestApp,
    plan: PlanId,
    admin: Person,
    editor: Person,
}

impl TwoNodes {
    async fn start() -> Option<TwoNodes> {
        let schema = postgres_schema().await?;
        let url = schema.url();
        let one = TestApp::spawn_with_url(&url, |c| c.open_editing = false).await;
        let two = TestApp::spawn_with_url(&url, |c| c.open_editing = false).await;
        let plan = one.create_plan().await;
        let admin = one.admin().await;
        let editor = one
            .person("Erik Redaktør", Some((plan, Role::Editor, Some("NAV"))))
            .await;
        Some(TwoNodes {
            _schema: schema,
            url,
            one,
            two,
            plan,
            admin,
            editor,
        })
    }

    async fn stop(self) {
        self.one.stop().await;
        self.two.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_removed_on_one_node_is_closed_on_the_other() {
    let Some(n) = TwoNodes::start().await else {
        return;
    };
    let on_two = n.two.ws_url(n.plan);
    let mut editor = TestClient::connect_as(&on_two, &n.editor).await;
    let mut events = CommentEvents::open(&Api::as_person(&n.two, &n.editor), n.plan).await;
    write(&mut editor, "før;").await;
    let mut observer = TestClient::connect_as(&n.one.ws_url(n.plan), &n.admin).await;
    observer.wait_for(|c| text_of(c).contains("før;")).await;

    let since = Instant::now();
    let (status, _) = Api::as_person(&n.one, &n.admin)
        .send(
            Method::DELETE,
            &format!("/api/plans/{}/members/{}", n.plan, n.editor.id),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    closed_for_access(
        "member removed on node one, connection on node two",
        &mut editor,
        since,
        SERVER_BOUND,
    )
    .await;
    events.ends_within(since, SERVER_BOUND).await;
    // Node two learns of the removal by NOTIFY, milliseconds after node one answered; from
    // then on it accepts nothing.
    try_edit(&mut editor, "etter;").await;

    let stored = stored_text(&n.one.ws_url(n.plan), Some(&n.admin)).await;
    assert!(
        stored.contains("før;") && !stored.contains("etter;"),
        "{stored}"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_by_the_cli_and_a_sign_out_reach_every_node() {
    let Some(n) = TwoNodes::start().await else {
        return;
    };
    let (id, secret) = new_token(&n.one, n.plan, Role::Editor).await;
    let mut on_one = TestClient::connect(&token_url(&n.one, n.plan, &secret)).await;
    let mut on_two = TestClient::connect(&token_url(&n.two, n.plan, &secret)).await;
    let mut events = CommentEvents::open(&Api::with_token(&n.two, &secret), n.plan).await;

    // The CLI notifies every node at once; the bound is the CLI's.
    let since = Instant::now();
    cli(&n.url, &["token", "revoke", &id]).await;
    closed_for_access(
        "token revoked by the CLI, node two (CLI start included)",
        &mut on_two,
        since,
        CLI_BOUND,
    )
    .await;
    closed_for_access(
        "token revoked by the CLI, node one (CLI start included)",
        &mut on_one,
        since,
        CLI_BOUND,
    )
    .await;
    try_edit(&mut on_two, "tilbakekalt;").await;
    events.ends_within(since, CLI_BOUND).await;

    // Signing out on node one ends the session's connection on node two.
    let mut live = TestClient::connect_as(&n.two.ws_url(n.plan), &n.editor).await;
    let since = Instant::now();
    let response = Api::as_person(&n.one, &n.editor)
        .http
        .post(format!("http://{}/logout", n.one.addr))
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    closed_for_access(
        "signed out on node one, connection on node two",
        &mut live,
        since,
        SERVER_BOUND,
    )
    .await;

    let stored = stored_text(&n.one.ws_url(n.plan), Some(&n.admin)).await;
    assert!(!stored.contains("tilbakekalt;"), "{stored}");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_deactivated_by_the_cli_is_closed_on_every_node() {
    let Some(n) = TwoNodes::start().await else {
        return;
    };
    let mut on_one = TestClient::connect_as(&n.one.ws_url(n.plan), &n.editor).await;
    let mut on_two = TestClient::connect_as(&n.two.ws_url(n.plan), &n.editor).await;
    let since = Instant::now();
    cli(&n.url, &["user", "deactivate", "--email", &n.editor.email]).await;
    closed_for_access(
        "account deactivated by the CLI, node one (CLI start included)",
        &mut on_one,
        since,
        CLI_BOUND,
    )
    .await;
    closed_for_access(
        "account deactivated by the CLI, node two (CLI start included)",
        &mut on_two,
        since,
        CLI_BOUND,
    )
    .await;
    assert!(
        n.two
            .login(&n.editor.email, &n.editor.password)
            .await
            .is_err()
    );
    n.stop().await;
}
