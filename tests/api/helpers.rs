//! Shared test helpers: a real server on port 0 with its own SQLite file, people signed in to it,
//! and the support module's protocol client as tests use it (a failure fails the test).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use samskriv::access::Role;
use samskriv::app::Application;
use samskriv::config::{DatabaseConfig, LiveConfig, ServeConfig, SqliteSynchronous};
use samskriv::plan::{NewPlan, PlanId};
use samskriv::storage::accounts as store;
use samskriv::storage::{self, Storage};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite;
use yrs::sync::Message;
use yrs::types::ToJson;
use yrs::{GetString, Map, ReadTxn, StateVector, Transact, Update};

use crate::support::client::{Client, Incoming, collab_url};
pub use crate::support::launcher::{ServerProcess, sqlite_url};
pub use crate::support::postgres::PostgresSchema;

pub const WAIT: Duration = Duration::from_secs(10);

/// Logs appear only when TEST_LOG is set, so test output stays readable.
pub fn init_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("samskriv=debug")
            .with_test_writer()
            .try_init();
    }
}

pub fn database_config(path: &Path) -> DatabaseConfig {
    DatabaseConfig {
        database_url: sqlite_url(path),
        sqlite_synchronous: SqliteSynchronous::Full,
    }
}

/// A server running in this process on its own database file.
pub struct TestApp {
    pub addr: SocketAddr,
    pub storage: Arc<dyn Storage>,
    pub db_path: PathBuf,
    pub registry: samskriv::room::Registry,
    /// The first-administrator link this start printed, if it printed one.
    pub first_admin_link: Option<String>,
    pub password_hashes: Arc<samskriv::service::login_limit::HashPool>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

pub fn test_config(db_path: &Path) -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        database: database_config(db_path),
        // Most tests here check the live protocol with scratch types (`t`, `m`, `a`); the tests
        // of the plan's layout switch this off (`strict_layout`).
        live: LiveConfig {
            free_form_roots: true,
            ..LiveConfig::default()
        },
        open_editing: true,
        templates_dir: None,
        public_url: None,
        cookie_secure: true,
        metrics_token: None,
        trusted_proxy: None,
        oidc: samskriv::config::OidcConfig::default(),
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("samskriv.sqlite3");
        let mut app = Self::spawn_on(&db_path, configure).await;
        app._dir = Some(dir);
        app
    }

    /// Starts a server on an existing database file (for restart tests).
    pub async fn spawn_on(db_path: &Path, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        Self::spawn_with_url(&sqlite_url(db_path), configure).await
    }

    /// Starts a server on any database (a PostgreSQL schema shared by several nodes).
    pub async fn spawn_with_url(url: &str, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        init_logging();
        let db_path = PathBuf::from(url.strip_prefix("sqlite://").unwrap_or_default());
        let mut config = test_config(&db_path);
        config.database.database_url = url.to_owned();
        configure(&mut config);
        let app = Application::build(config).await.expect("server builds");
        let addr = app.addr();
        let storage = app.storage();
        let registry = app.registry();
        let first_admin_link = app.first_admin_link();
        let password_hashes = app.password_hashes();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app.run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            addr,
            storage,
            db_path,
            registry,
            first_admin_link,
            password_hashes,
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        }
    }

    /// Graceful shutdown, as on SIGTERM: returns when every plan is saved.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("shutdown in time")
                .expect("server task");
        }
        self._dir.take()
    }

    pub async fn create_plan(&self) -> PlanId {
        // Every plan records its template; the document starts empty.
        let plan = NewPlan {
            title: "Testplan".into(),
            template: "korus-ruspolitisk-handlingsplan@1".into(),
            ..NewPlan::default()
        };
        self.storage
            .create_plan(&plan, Update::EMPTY_V1)
            .await
            .expect("plan created")
            .id
    }

    /// Creates an account with a password, makes it a member of `plan` with `role` (and `unit`)
    /// when given, and signs in through the real login form.
    pub async fn person(
        &self,
        name: &str,
        membership: Option<(PlanId, Role, Option<&str>)>,
    ) -> Person {
        self.person_with(name, false, membership).await
    }

    /// An administrator (coordinator of every plan), signed in.
    pub async fn admin(&self) -> Person {
        self.person_with("Administrator", true, None).await
    }

    async fn person_with(
        &self,
        name: &str,
        admin: bool,
        membership: Option<(PlanId, Role, Option<&str>)>,
    ) -> Person {
        let db = self.storage.db();
        let email = format!(
            "{}.{}@test.oslo.kommune.no",
            // ASCII only: browsers refuse other letters in an e-mail field's local part.
            name.to_lowercase()
                .chars()
                .map(|c| match c {
                    'æ' => 'e',
                    'ø' => 'o',
                    'å' => 'a',
                    c if c.is_ascii_alphanumeric() => c,
                    _ => '.',
                })
                .collect::<String>(),
            uuid::Uuid::new_v4().simple()
        );
        let password = "et langt nok testpassord".to_owned();
        let hash = samskriv::secret::hash_password(&password).expect("hash");
        let user = store::create_user(&db, &email, name, Some(&hash), admin)
            .await
            .expect("user created");
        if let Some((plan, role, unit)) = membership {
            store::set_member(&db, plan, &user.id, role, unit)
                .await
                .expect("member added");
        }
        let session = self.login(&email, &password).await.expect("signed in");
        let (_, csrf) = store::session_user(&db, &session)
            .await
            .expect("session read")
            .expect("session exists");
        Person {
            id: user.id,
            name: name.to_owned(),
            email,
            password,
            session,
            csrf,
        }
    }

    /// Posts the login form; the session cookie's value when it succeeded, else the status.
    pub async fn login(&self, email: &str, password: &str) -> Result<String, reqwest::StatusCode> {
        let form = self.login_form("/login").await;
        let response = form
            .post(
                &format!("http://{}/login", self.addr),
                &[("email", email), ("password", password)],
            )
            .await;
        let cookie = set_cookie(&response, "samskriv_session");
        match cookie {
            Some(value) if response.status() == reqwest::StatusCode::SEE_OTHER => Ok(value),
            _ => Err(response.status()),
        }
    }

    /// Opens a page with a form that signs a browser in (`/login`, an invite) as a browser
    /// would: keeps the login-form cookie and the form's hidden token.
    pub async fn login_form(&self, path: &str) -> LoginForm {
        let response = reqwest::Client::new()
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .expect("GET the form");
        let cookie = set_cookie(&response, "samskriv_login").unwrap_or_default();
        let html = response.text().await.expect("page");
        let token = html
            .split("name=\"login_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        LoginForm { cookie, token }
    }

    pub fn ws_url(&self, plan: impl std::fmt::Display) -> String {
        collab_url(self.addr, plan)
    }

    pub async fn client(&self, plan: PlanId) -> TestClient {
        TestClient::connect(&self.ws_url(plan)).await
    }
}

/// The value a response sets for the cookie `name`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(prefix.as_str()))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

/// A sign-in form as a browser holds it: the login-form cookie and the page's hidden token.
pub struct LoginForm {
    pub cookie: String,
    pub token: String,
}

impl LoginForm {
    /// Posts `fields` with the form's token and cookie, not following redirects.
    pub async fn post(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = fields.to_vec();
        fields.push(("login_token", &self.token));
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(url)
            .header(
                reqwest::header::COOKIE,
                format!("samskriv_login={}", self.cookie),
            )
            .form(&fields)
            .send()
            .await
            .expect("POST the form")
    }
}

/// A WebSocket handshake request, with `session` as the session cookie when given.
pub fn ws_request(url: &str, session: Option<&str>) -> tungstenite::handshake::client::Request {
    use tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().expect("request");
    if let Some(session) = session {
        request.headers_mut().insert(
            "cookie",
            format!("samskriv_session={session}")
                .parse()
                .expect("cookie"),
        );
    }
    request
}

/// A signed-in person in a test.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
    pub password: String,
    /// The session cookie's value.
    pub session: String,
    pub csrf: String,
}

impl Person {
    /// How a browser scenario signs this person in: `email:password` (tests/e2e/harness.mjs).
    pub fn sign_in(&self) -> String {
        format!("{}:{}", self.email, self.password)
    }

    /// The headers the browser sends for this person: the session cookie and the CSRF token.
    pub fn headers(&self) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("samskriv_session={}", self.session)
                .parse()
                .expect("cookie"),
        );
        headers.insert("x-csrf-token", self.csrf.parse().expect("csrf"));
        headers
    }
}

/// The support module's y-websocket [`Client`] as tests use it: anything going wrong fails the
/// test, waits are bounded by [`WAIT`], and what the server refused or closed with is kept for
/// assertions. The protocol itself (handshake, updates, awareness) is the client's.
pub struct TestClient {
    client: Client,
    /// Permission-denied reasons received from the server.
    pub denied: Vec<String>,
    /// The close frame the server sent, if any.
    pub closed: Option<(u16, String)>,
}

impl Deref for TestClient {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for TestClient {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl TestClient {
    /// Connects, exchanges sync step 1 and waits for the server's sync step 2.
    pub async fn connect(url: &str) -> TestClient {
        Self::connect_with_cookie(url, None).await
    }

    /// [`Self::connect`] signed in as `person` (their session cookie on the handshake).
    pub async fn connect_as(url: &str, person: &Person) -> TestClient {
        Self::connect_with_cookie(url, Some(&person.session)).await
    }

    async fn connect_with_cookie(url: &str, session: Option<&str>) -> TestClient {
        let (client, _) = tokio::time::timeout(WAIT, Client::connect(ws_request(url, session)))
            .await
            .expect("connected and synced in time")
            .expect("websocket connects and syncs");
        TestClient {
            client,
            denied: Vec::new(),
            closed: None,
        }
    }

    pub async fn connect_owned(url: String) -> TestClient {
        Self::connect(&url).await
    }

    /// Runs a local change and sends it as one update, as a Yjs provider does: everything new
    /// since the state vector before the change, encoded after it commits. (A transaction's own
    /// update carries the same blocks and is cheaper to make; with it, the writer in
    /// `a_stalled_client_is_closed_and_never_delays_the_others` outpaces the fast reader in
    /// about one run in five, and the server closes that reader for lagging.)
    pub async fn edit(&mut self, change: impl FnOnce(&mut yrs::TransactionMut)) {
        let before = self.state_vector();
        change(&mut self.doc().transact_mut());
        let update = self.doc().transact().encode_state_as_update_v1(&before);
        self.client.send_update(update).await.expect("update sent");
    }

    /// Sends bytes as one frame, whatever they hold.
    pub async fn send_raw(&mut self, frame: Vec<u8>) {
        self.client.send_raw(frame).await.expect("frame sent");
    }

    pub async fn set_awareness(&mut self, json: &str) {
        self.awareness.set_local_state_raw(json);
        let update = self
            .awareness
            .update_with_clients([self.awareness.client_id()])
            .expect("own state");
        self.client
            .send(&Message::Awareness(update))
            .await
            .expect("awareness sent");
    }

    /// Awareness states other than our own, by client id.
    pub fn peers(&self) -> HashMap<u64, String> {
        let own = self.awareness.client_id();
        self.awareness
            .iter()
            .filter(|(id, state)| *id != own && state.data.is_some())
            .map(|(id, state)| {
                (
                    id.get(),
                    state.data.as_deref().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Reads and handles one message. Returns false when the connection has ended.
    pub async fn pump(&mut self) -> bool {
        match self.client.receive().await.expect("server frames decode") {
            Incoming::Message(message, _) => {
                if let Message::Auth(Some(reason)) = &message {
                    self.denied.push(reason.clone());
                }
                self.client
                    .handle(message)
                    .await
                    .expect("server messages apply");
                true
            }
            Incoming::Closed(code, reason) => {
                self.closed = Some((code, reason));
                false
            }
            Incoming::Ended(_) => false,
        }
    }

    /// Handles messages until `done` holds, failing the test after [`WAIT`].
    pub async fn wait_for(&mut self, mut done: impl FnMut(&Self) -> bool) {
        let result = tokio::time::timeout(WAIT, async {
            while !done(self) {
                if !self.pump().await {
                    panic!("connection ended while waiting (close: {:?})", self.closed);
                }
            }
        })
        .await;
        assert!(result.is_ok(), "timed out waiting for a condition");
    }

    /// Handles messages for a while, for asserting that something does NOT arrive.
    pub async fn pump_for(&mut self, duration: Duration) {
        let _ = tokio::time::timeout(duration, async { while self.pump().await {} }).await;
    }

    /// Reads until the server closes the connection; returns its close code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        let ended = tokio::time::timeout(WAIT, async { while self.pump().await {} }).await;
        assert!(ended.is_ok(), "server did not close the connection");
        self.closed.clone().expect("a close frame with a code")
    }

    /// The test document's content — text `t`, map `m` (keys sorted), array `a` — for
    /// comparing replicas.
    pub fn snapshot_json(&self) -> String {
        let text = self.doc().get_or_insert_text("t");
        let map = self.doc().get_or_insert_map("m");
        let array = self.doc().get_or_insert_array("a");
        let txn = self.doc().transact();
        let mut entries: Vec<String> = map
            .iter(&txn)
            .map(|(key, value)| format!("{key}={}", value.to_json(&txn)))
            .collect();
        entries.sort();
        format!(
            "t={:?} m={entries:?} a={}",
            text.get_string(&txn),
            array.to_json(&txn)
        )
    }
}

/// True when `have` includes everything `need` describes.
pub fn covers(have: &StateVector, need: &StateVector) -> bool {
    need.iter()
        .all(|(client, clock)| have.get(client) >= *clock)
}

/// Connecting must fail before the upgrade with this HTTP status.
pub async fn expect_http_status(url: &str, status: u16) {
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), status),
        Err(other) => panic!("expected HTTP {status}, got {other}"),
        Ok(_) => panic!("expected HTTP {status}, but the upgrade succeeded"),
    }
}

/// Opens the database directly, as a second process would.
pub async fn open_storage(db_path: &Path) -> Arc<dyn Storage> {
    storage::connect(&database_config(db_path))
        .await
        .expect("database opens")
}

/// A PostgreSQL schema of this test's own, or `None` after saying the test is skipped: a test
/// that did not run must never look like one that passed.
pub async fn postgres_schema() -> Option<PostgresSchema> {
    let Ok(base_url) = std::env::var(crate::support::postgres::URL_VAR) else {
        // Written past libtest's output capture so the skip shows in every run; libtest names
        // the test's thread after the test.
        let test = std::thread::current().name().unwrap_or("?").to_owned();
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {} not set ({test})",
            crate::support::postgres::URL_VAR
        );
        return None;
    };
    Some(
        PostgresSchema::create(&base_url)
            .await
            .expect("the test PostgreSQL server accepts connections and a schema"),
    )
}

/// A JSON/HTML client of one test server's HTTP API and pages. Redirects are not followed, so
/// tests can see them.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(app: &TestApp) -> Api {
        Self::with_headers(app, reqwest::header::HeaderMap::new())
    }

    /// An API client signed in as `person`: every request carries their session cookie and the
    /// session's CSRF token, as the browser editor's requests do.
    pub fn as_person(app: &TestApp, person: &Person) -> Api {
        Self::with_headers(app, person.headers())
    }

    /// An API client that authenticates with a service token (`Authorization: Bearer`).
    pub fn with_token(app: &TestApp, token: &str) -> Api {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
        Self::with_headers(app, headers)
    }

    pub fn with_headers(app: &TestApp, headers: reqwest::header::HeaderMap) -> Api {
        Api {
            base: format!("http://{}", app.addr),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .expect("client"),
        }
    }

    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(reqwest::Method::POST, path, body.to_string())
            .await
    }

    pub async fn page(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        (response.status(), response.text().await.expect("text"))
    }

    pub async fn download(
        &self,
        path: &str,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.bytes().await.expect("body").to_vec(),
        )
    }

    /// Creates a plan for Bydel Nordstrand from `template` and returns its id.
    pub async fn create_plan(&self, template: &str) -> String {
        let (status, plan) = self
            .post(
                "/api/plans",
                &serde_json::json!({"title": "Ruspolitisk handlingsplan", "bydel": "Nordstrand",
                        "periode": "2025–2028", "template": template}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{plan}");
        plan["id"].as_str().expect("id").to_owned()
    }
}

/// A plan made by an administrator (as in production: editing is not open), with one tiltak
/// row, and a signed-in person in each role plus one who is not a member.
pub struct PlanPeople {
    pub app: TestApp,
    pub plan: String,
    pub row: String,
    pub admin: Person,
    pub coordinator: Person,
    pub editor: Person,
    pub adviser: Person,
    pub reader: Person,
    pub outsider: Person,
}

impl PlanPeople {
    pub async fn new() -> PlanPeople {
        let app = TestApp::spawn_with(|c| c.open_editing = false).await;
        let admin = app.admin().await;
        let api = Api::as_person(&app, &admin);
        let plan = api.create_plan("korus-ruspolitisk-handlingsplan@1").await;
        let id: PlanId = plan.parse().expect("plan id");
        let (status, rows) = api
            .post(
                &format!("/api/plans/{plan}/tiltak"),
                &serde_json::json!([{"strategi": "forebygging", "tiltak": "Foreldremøter om alkohol"}]),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{rows}");
        let row = rows["ids"][0].as_str().expect("row id").to_owned();
        let coordinator = app
            .person("Kari Koordinator", Some((id, Role::Coordinator, None)))
            .await;
        let editor = app
            .person("Erik Redaktør", Some((id, Role::Editor, Some("NAV"))))
            .await;
        let adviser = app
            .person(
                "Ragnhild Rådgiver",
                Some((id, Role::Adviser, Some("KoRus"))),
            )
            .await;
        let reader = app
            .person("Lars Leser", Some((id, Role::Reader, None)))
            .await;
        let outsider = app.person("Ola Utenfor", None).await;
        PlanPeople {
            app,
            plan,
            row,
            admin,
            coordinator,
            editor,
            adviser,
            reader,
            outsider,
        }
    }

    /// Everyone in the order of role-matrix columns: coordinator, editor, adviser, reader,
    /// non-member.
    pub fn everyone(&self) -> [(&'static str, &Person); 5] {
        [
            ("koordinator", &self.coordinator),
            ("redaktør", &self.editor),
            ("rådgiver", &self.adviser),
            ("leser", &self.reader),
            ("utenforstående", &self.outsider),
        ]
    }
}

/// Server-sent events of one plan's threads.
pub struct CommentEvents {
    stream: Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl CommentEvents {
    pub async fn open(api: &Api, plan: impl std::fmt::Display) -> CommentEvents {
        let response = api
            .http
            .get(format!("{}/api/plans/{plan}/threads/events", api.base))
            .send()
            .await
            .expect("GET events");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        CommentEvents {
            stream: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event's name and data, failing the test after [`WAIT`].
    pub async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut name = String::from("message");
                    let mut data = Vec::new();
                    for line in block.lines() {
                        if let Some(value) = line.strip_prefix("event:") {
                            name = value.trim().to_owned();
                        } else if let Some(value) = line.strip_prefix("data:") {
                            data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                        }
                    }
                    if data.is_empty() {
                        continue; // a keep-alive comment
                    }
                    let data = serde_json::from_str(&data.join("\n")).expect("JSON data");
                    return (name, data);
                }
                let chunk = self
                    .stream
                    .next()
                    .await
                    .expect("the event stream stays open")
                    .expect("event bytes");
                self.buffer
                    .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
            }
        })
        .await
        .expect("an event in time")
    }

    /// Waits for the server to end the stream; fails if an event arrives first.
    pub async fn ends(&mut self) {
        self.ends_within(std::time::Instant::now(), WAIT).await;
    }

    /// Waits for the server to end the stream; fails after `bound` from `since`, or when an
    /// event arrives first.
    pub async fn ends_within(&mut self, since: std::time::Instant, bound: Duration) {
        let left = bound.saturating_sub(since.elapsed());
        tokio::time::timeout(left, async {
            while let Some(Ok(chunk)) = self.stream.next().await {
                let text = String::from_utf8_lossy(&chunk);
                assert!(
                    !text.contains("data:"),
                    "an event arrived after access ended: {text}"
                );
            }
        })
        .await
        .expect("the comment stream ends in time");
    }

    /// The next event, which must be `thread` for `id`: returns the thread.
    pub async fn thread(&mut self, id: &str) -> Value {
        let (name, data) = self.next().await;
        assert_eq!(name, "thread", "{data}");
        assert_eq!(data["id"], id, "{data}");
        data
    }
}
