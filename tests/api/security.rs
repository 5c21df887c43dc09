//! Security findings of issue 13 that concern pages, links, sign-in and headers: stored script
//! links, the redirect after sign-in, first-administrator links, login under concurrency,
//! invites, response headers, `/metrics`, and what readers get from the API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use samskriv::storage::accounts as store;
use serde_json::Value;
use yrs::{Any, Text, WriteTxn, XmlFragment};

use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Finding 3: links

const SECTION: &str = "hvor-star-vi.russituasjon";

/// Attributes of a y-prosemirror link mark with `href`.
fn link(href: &str) -> yrs::types::Attrs {
    let attrs = HashMap::from([("href".to_owned(), Any::from(href))]);
    HashMap::from([(Arc::from("link"), Any::Map(Arc::new(attrs)))])
}

#[tokio::test]
async fn a_script_link_from_a_live_update_is_never_a_link() {
    let f = PlanPeople::new().await;
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;
    live.edit(|txn| {
        let fragment = txn.get_or_insert_xml_fragment(format!("section:{SECTION}"));
        let paragraph = fragment.push_back(txn, yrs::XmlElementPrelim::empty("paragraph"));
        let text = paragraph.push_back(txn, yrs::XmlTextPrelim::new(""));
        text.insert_with_attributes(
            txn,
            0,
            "Trykk her",
            link("javascript:alert(document.domain)"),
        );
        text.push(txn, " og ");
        let len = text.len(txn);
        text.insert_with_attributes(txn, len, "her", link("java\tscript:alert(1)"));
        text.push(txn, ", men ");
        let len = text.len(txn);
        text.insert_with_attributes(txn, len, "KoRus", link("https://korus-oslo.no/"));
        text.push(txn, " er trygg.");
    })
    .await;
    // The coordinator's API view, once the update is committed.
    let api = Api::as_person(&f.app, &f.coordinator);
    let mut plan = Value::Null;
    for _ in 0..100 {
        let (status, body) = api.get(&format!("/api/plans/{}", f.plan)).await;
        assert_eq!(status, StatusCode::OK);
        if body.to_string().contains("er trygg.") {
            plan = body;
            break;
        }
        live.pump_for(Duration::from_millis(50)).await;
    }
    let json = plan.to_string();
    assert!(json.contains("Trykk her"), "the text stays: {json}");
    assert!(
        !json.contains("script:"),
        "no script link in the API: {json}"
    );
    assert!(
        json.contains("\"link\":\"https://korus-oslo.no/\""),
        "safe links stay: {json}"
    );
    let (status, page) = api.page(&format!("/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Trykk her"));
    assert!(!page.contains("script:"), "no script link on the page");
    assert!(page.contains("href=\"https://korus-oslo.no/\""));
    let (status, _, markdown) = api.download(&format!("/plans/{}/export.md", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    let markdown = String::from_utf8(markdown).expect("utf-8");
    assert!(markdown.contains("Trykk her"));
    assert!(!markdown.contains("script:"), "no script link in Markdown");
    assert!(markdown.contains("(https://korus-oslo.no/)"));
}

// ---------------------------------------------------------------------------------------------
// Finding 4: the redirect after sign-in

/// Where a response sends the browser.
fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_redirect_after_sign_in_stays_on_this_site() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let person = app.person("Kari Koordinator", None).await;
    let api = Api::as_person(&app, &person);
    // Signed in already: /login sends the browser on at once.
    for (query, expected) in [
        ("%2F%09%2Fevil.example%2F", "/"),
        ("/%0A", "/"),
        ("%2F%0D%0ASet-Cookie:%20x=1", "/"),
        ("//evil.example/", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
        ("/plans", "/plans"),
    ] {
        let response = api
            .http
            .get(format!("{}/login?neste={query}", api.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{query}");
        assert_eq!(location(&response), expected, "{query}");
    }
    // The login form itself.
    let url = format!("http://{}/login", app.addr);
    for next in ["/\t/evil.example/", "/\n", "/\r\n"] {
        let form = app.login_form("/login").await;
        let response = form
            .post(
                &url,
                &[
                    ("email", person.email.as_str()),
                    ("password", person.password.as_str()),
                    ("neste", next),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/", "{next:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 6: first-administrator links

/// The path of the link a start without accounts prints.
async fn start_without_accounts(db: &std::path::Path) -> Option<String> {
    let app = samskriv::app::Application::build({
        let mut config = test_config(db);
        config.open_editing = false;
        config
    })
    .await
    .expect("builds");
    app.first_admin_link()
        .map(|link| link[link.find("/velkommen/").expect("path")..].to_owned())
}

/// Fills in the first-administrator form of `path` as a browser would.
async fn make_first_admin(app: &TestApp, path: &str, email: &str) -> StatusCode {
    let form = app.login_form(path).await;
    form.post(
        &format!("http://{}{path}", app.addr),
        &[
            ("name", "Kari Admin"),
            ("email", email),
            ("password", "korrekt hest batteri"),
        ],
    )
    .await
    .status()
}

#[tokio::test]
async fn only_the_newest_first_administrator_link_works() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("samskriv.sqlite3");
    let older = start_without_accounts(&db).await.expect("first link");
    // The next start prints a new link and voids the older one.
    let app = TestApp::spawn_on(&db, |c| c.open_editing = false).await;
    let newer = app.first_admin_link.clone().expect("second link");
    let newer = newer[newer.find("/velkommen/").expect("path")..].to_owned();
    assert_ne!(older, newer);
    let (status, _) = Api::new(&app).page(&older).await;
    assert_eq!(status, StatusCode::GONE, "the older link is void");
    assert_eq!(
        make_first_admin(&app, &older, "gammel@oslo.kommune.no").await,
        StatusCode::GONE
    );
    assert_eq!(
        make_first_admin(&app, &newer, "kari@oslo.kommune.no").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        make_first_admin(&app, &newer, "kari2@oslo.kommune.no").await,
        StatusCode::GONE
    );
    assert_eq!(admins(&app).await, 1);
    app.stop().await;
    assert!(
        start_without_accounts(&db).await.is_none(),
        "no link once an administrator exists"
    );
}

async fn admins(app: &TestApp) -> usize {
    let db = app.storage.db();
    let count: i64 = match &db {
        samskriv::storage::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_admin")
                .fetch_one(pool)
                .await
                .expect("count")
        }
        samskriv::storage::Db::Postgres(_) => unreachable!("the fixture uses SQLite"),
    };
    usize::try_from(count).expect("count")
}

#[tokio::test]
async fn a_used_first_administrator_link_voids_every_other() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let db = app.storage.db();
    // Two links valid at once (as two nodes started together, or links from before this rule,
    // could leave them): whichever is used first, the other stops working, newest or not.
    let ttl = Duration::from_secs(3600);
    let older = store::create_sign_in_link(&db, None, ttl)
        .await
        .expect("link");
    let newer = store::create_sign_in_link(&db, None, ttl)
        .await
        .expect("link");
    let (older, newer) = (format!("/velkommen/{older}"), format!("/velkommen/{newer}"));
    let form = app.login_form(&newer).await;
    assert_eq!(
        make_first_admin(&app, &older, "kari@oslo.kommune.no").await,
        StatusCode::SEE_OTHER
    );
    let response = form
        .post(
            &format!("http://{}{newer}", app.addr),
            &[
                ("name", "Ola Admin"),
                ("email", "ola@oslo.kommune.no"),
                ("password", "korrekt hest batteri"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let (status, _) = Api::new(&app).page(&newer).await;
    assert_eq!(status, StatusCode::GONE);
    // An administrator made another way voids an outstanding link as well.
    let app2 = TestApp::spawn_with(|c| c.open_editing = false).await;
    let db2 = app2.storage.db();
    let link = store::create_sign_in_link(&db2, None, ttl)
        .await
        .expect("link");
    app2.admin().await;
    let link = format!("/velkommen/{link}");
    assert_eq!(
        make_first_admin(&app2, &link, "per@oslo.kommune.no").await,
        StatusCode::GONE
    );
    assert_eq!(admins(&app).await, 1);
}

#[tokio::test]
async fn the_one_time_link_form_needs_the_login_form_token() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let db = app.storage.db();
    let link = samskriv::service::accounts::first_administrator_link(&db)
        .await
        .expect("link")
        .expect("no accounts yet");
    let url = format!("http://{}/velkommen/{link}", app.addr);
    // Another site's form: no login-form cookie, no token.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(&url)
        .form(&[
            ("name", "Mallory"),
            ("email", "mallory@evil.example"),
            ("password", "korrekt hest batteri"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&response, "samskriv_session").is_none());
    // The link still works from the site's own form.
    assert_eq!(
        make_first_admin(&app, &format!("/velkommen/{link}"), "kari@oslo.kommune.no").await,
        StatusCode::SEE_OTHER
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 8: login under concurrency, invites

/// Posts the login form as a browser behind a proxy would (`X-Forwarded-For`).
async fn login_from(app: &TestApp, email: &str, password: &str, forwarded: &str) -> StatusCode {
    let form = app.login_form("/login").await;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("http://{}/login", app.addr))
        .header(
            reqwest::header::COOKIE,
            format!("samskriv_login={}", form.cookie),
        )
        .header("x-forwarded-for", forwarded)
        .form(&[
            ("email", email),
            ("password", password),
            ("login_token", form.token.as_str()),
        ])
        .send()
        .await
        .expect("POST")
        .status()
}

#[tokio::test]
async fn concurrent_wrong_passwords_for_one_address_check_at_most_the_limit() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let person = app.person("Kari Koordinator", None).await;
    let attempts = (0..20).map(|_| app.login(&person.email, "et feil passord her"));
    let results = futures_util::future::join_all(attempts).await;
    let checked = results
        .iter()
        .filter(|r| **r == Err(StatusCode::UNAUTHORIZED))
        .count();
    let refused = results
        .iter()
        .filter(|r| **r == Err(StatusCode::TOO_MANY_REQUESTS))
        .count();
    assert!(checked <= 5, "{checked} passwords checked: {results:?}");
    assert_eq!(checked + refused, 20, "{results:?}");
    // The address is locked now, the right password included.
    assert_eq!(
        app.login(&person.email, &person.password).await,
        Err(StatusCode::TOO_MANY_REQUESTS)
    );
}

#[tokio::test]
async fn concurrent_logins_share_a_bounded_pool_of_hashes() {
    let app = TestApp::spawn().await;
    let emails: Vec<String> = (0..32)
        .map(|i| format!("ukjent{i}@oslo.kommune.no"))
        .collect();
    let attempts = emails
        .iter()
        .map(|email| app.login(email, "et feil passord her"));
    let results = futures_util::future::join_all(attempts).await;
    for result in &results {
        assert!(
            matches!(
                result,
                Err(StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)
            ),
            "{results:?}"
        );
    }
    let pool = &app.password_hashes;
    assert!(pool.peak() >= 1);
    assert!(
        pool.peak() <= pool.size(),
        "{} hashes at once, pool of {}",
        pool.peak(),
        pool.size()
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_limited() {
    // The tests connect from 127.0.0.1: here that is the proxy, so X-Forwarded-For counts.
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
    })
    .await;
    let limit = samskriv::service::login_limit::MAX_ATTEMPTS_PER_CLIENT;
    for i in 0..limit {
        let email = format!("ukjent{i}@oslo.kommune.no");
        assert_eq!(
            login_from(
                &app,
                &email,
                "et feil passord her",
                "198.51.100.1, 203.0.113.7"
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "attempt {i}"
        );
    }
    // Any address from that client is refused now; another client is not.
    assert_eq!(
        login_from(
            &app,
            "ny@oslo.kommune.no",
            "et feil passord her",
            "203.0.113.7"
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(
            &app,
            "ny@oslo.kommune.no",
            "et feil passord her",
            "203.0.113.8"
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
}

/// A new invite's path, made by `coordinator` through the API with `body`.
async fn invite(api: &Api, plan: &str, body: Value) -> String {
    let (status, created) = api.post(&format!("/api/plans/{plan}/invites"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let url = created["url"].as_str().expect("url");
    url[url.find("/invitasjon/").expect("path")..].to_owned()
}

/// Accepts the invite at `path` as the signed-in `person`.
async fn accept_signed_in(app: &TestApp, person: &Person, path: &str) -> StatusCode {
    let api = Api::as_person(app, person);
    api.http
        .post(format!("{}{path}", api.base))
        .form(&[("csrf_token", person.csrf.as_str())])
        .send()
        .await
        .expect("POST")
        .status()
}

/// `person`'s role on the plan, as the members API lists it.
async fn role_of(f: &PlanPeople, person: &Person) -> String {
    let (_, members) = Api::as_person(&f.app, &f.admin)
        .get(&format!("/api/plans/{}/members", f.plan))
        .await;
    members
        .as_array()
        .and_then(|m| m.iter().find(|m| m["user"]["id"] == person.id.as_str()))
        .and_then(|m| m["role"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn accepting_an_invite_never_lowers_a_role() {
    let f = PlanPeople::new().await;
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let reader_invite = invite(&coordinator, &f.plan, serde_json::json!({"role": "reader"})).await;
    assert_eq!(
        accept_signed_in(&f.app, &f.coordinator, &reader_invite).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(role_of(&f, &f.coordinator).await, "coordinator");
    let (status, _) = coordinator
        .get(&format!("/api/plans/{}/members", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK, "still manages the plan");
    // A higher role is taken.
    let editor_invite = invite(
        &coordinator,
        &f.plan,
        serde_json::json!({"role": "editor", "unit": "NAV"}),
    )
    .await;
    assert_eq!(
        accept_signed_in(&f.app, &f.reader, &editor_invite).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(role_of(&f, &f.reader).await, "editor");
}

/// The members API's entry for `email`.
async fn member_with(f: &PlanPeople, email: &str) -> Option<Value> {
    let (_, members) = Api::as_person(&f.app, &f.admin)
        .get(&format!("/api/plans/{}/members", f.plan))
        .await;
    members
        .as_array()
        .and_then(|m| m.iter().find(|m| m["user"]["email"] == email))
        .cloned()
}

#[tokio::test]
async fn an_invite_to_an_address_is_for_that_account_only() {
    let f = PlanPeople::new().await;
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let (status, _) = coordinator
        .post(
            &format!("/api/plans/{}/invites", f.plan),
            &serde_json::json!({"role": "editor", "email": "ikke en adresse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let path = invite(
        &coordinator,
        &f.plan,
        serde_json::json!({"role": "editor", "unit": "NAV", "email": "Nina@NAV.no"}),
    )
    .await;
    // Someone signed in with another address cannot take it.
    assert_eq!(
        accept_signed_in(&f.app, &f.outsider, &path).await,
        StatusCode::FORBIDDEN
    );
    assert!(member_with(&f, &f.outsider.email).await.is_none());
    // Nor can a new account with another address.
    let url = format!("http://{}{path}", f.app.addr);
    let form = f.app.login_form(&path).await;
    let response = form
        .post(
            &url,
            &[
                ("name", "Mallory"),
                ("email", "mallory@evil.example"),
                ("password", "et langt passord her"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(set_cookie(&response, "samskriv_session").is_none());
    assert!(member_with(&f, "mallory@evil.example").await.is_none());
    // The invitee's own address works, and the account counts as confirmed.
    let response = form
        .post(
            &url,
            &[
                ("name", "Nina NAV"),
                ("email", "nina@nav.no"),
                ("password", "et langt passord her"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let nina = member_with(&f, "nina@nav.no").await.expect("Nina joined");
    assert_eq!(nina["role"], "editor");
    assert_eq!(nina["email_verified"], true);
}

#[tokio::test]
async fn an_account_from_an_invite_without_an_address_is_shown_unconfirmed() {
    let f = PlanPeople::new().await;
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let path = invite(&coordinator, &f.plan, serde_json::json!({"role": "reader"})).await;
    let form = f.app.login_form(&path).await;
    let response = form
        .post(
            &format!("http://{}{path}", f.app.addr),
            &[
                ("name", "Per Ukjent"),
                ("email", "per@example.org"),
                ("password", "et langt passord her"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let per = member_with(&f, "per@example.org")
        .await
        .expect("Per joined");
    assert_eq!(per["email_verified"], false);
    let (_, page) = coordinator
        .page(&format!("/plans/{}/medlemmer", f.plan))
        .await;
    assert!(page.contains("per@example.org <span class=\"merknad\">(ikke bekreftet"));
    // Accounts made otherwise are confirmed.
    let editor = member_with(&f, &f.editor.email).await.expect("editor");
    assert_eq!(editor["email_verified"], true);
}

// ---------------------------------------------------------------------------------------------
// Finding 9: headers, /metrics, readers' API view

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.coordinator);
    for path in [
        "/".to_owned(),
        format!("/plans/{}", f.plan),
        format!("/api/plans/{}", f.plan),
        "/static/editor.js".to_owned(),
        "/finnes-ikke".to_owned(),
        "/api/plans/finnes-ikke".to_owned(),
        "/login".to_owned(),
    ] {
        let (_, headers, _) = api.download(&path).await;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            header("content-security-policy"),
            samskriv::app::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        let csp = header("content-security-policy");
        assert!(csp.contains("script-src 'self';"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
    // No inline script on the plan page: the plan's data is a JSON block, which is not run.
    let (_, page) = api.page(&format!("/plans/{}", f.plan)).await;
    for script in page.split("<script").skip(1) {
        let tag = &script[..script.find('>').expect("tag end")];
        let body = &script
            [script.find('>').expect("tag end") + 1..script.find("</script>").expect("script end")];
        assert!(
            tag.contains("src=") || tag.contains("type=\"application/json\""),
            "inline script: <script{tag}>"
        );
        assert!(tag.contains("src=") == body.trim().is_empty());
    }
    assert!(!page.contains(" style=\""), "no style attributes");
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    // No token configured: loopback peers (the tests) get metrics.
    let open = TestApp::spawn().await;
    let (status, _, _) = Api::new(&open).download("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let app = TestApp::spawn_with(|c| c.metrics_token = Some("maaling-hemmelig".into())).await;
    let (status, _, _) = Api::new(&app).download("/metrics").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = Api::with_token(&app, "feil").download("/metrics").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = Api::with_token(&app, "maaling-hemmelig")
        .download("/metrics")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("# EOF"));
}

#[tokio::test]
async fn readers_get_frozen_versions_not_the_draft_from_the_api() {
    let f = PlanPeople::new().await;
    let reader = Api::as_person(&f.app, &f.reader);
    for path in [
        format!("/api/plans/{}", f.plan),
        format!("/api/plans/{}/completeness", f.plan),
    ] {
        let (status, body) = reader.get(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("/api/plans/{}/versions", f.plan)),
            "points to the versions: {body}"
        );
        assert!(!body.to_string().contains("Foreldremøter"), "{body}");
    }
    let (status, _) = reader.get(&format!("/api/plans/{}/versions", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = Api::as_person(&f.app, &f.adviser)
        .get(&format!("/api/plans/{}", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// The same SQL on PostgreSQL

#[tokio::test]
async fn first_administrator_links_and_invites_on_postgres() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let app = TestApp::spawn_with_url(&schema.url(), |c| c.open_editing = false).await;
    let db = app.storage.db();
    // Two first-administrator links at once, then the newest from a start: one works, once.
    let ttl = Duration::from_secs(3600);
    let stray = store::create_sign_in_link(&db, None, ttl)
        .await
        .expect("link");
    let newest = samskriv::service::accounts::first_administrator_link(&db)
        .await
        .expect("link")
        .expect("no accounts yet");
    let stray = format!("/velkommen/{stray}");
    let newest = format!("/velkommen/{newest}");
    assert_eq!(
        make_first_admin(&app, &stray, "gammel@oslo.kommune.no").await,
        StatusCode::GONE,
        "replaced by the newer link"
    );
    assert_eq!(
        make_first_admin(&app, &newest, "kari@oslo.kommune.no").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        make_first_admin(&app, &newest, "ola@oslo.kommune.no").await,
        StatusCode::GONE
    );
    let admins: i64 = match &db {
        samskriv::storage::Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_admin")
                .fetch_one(pool)
                .await
                .expect("count")
        }
        samskriv::storage::Db::Sqlite(_) => unreachable!("PostgreSQL"),
    };
    assert_eq!(admins, 1);
    // Invites: a bound one, a role kept, an unconfirmed account.
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let plan = api.create_plan("korus-ruspolitisk-handlingsplan@1").await;
    let id: samskriv::plan::PlanId = plan.parse().expect("id");
    let coordinator = app
        .person(
            "Kari Koordinator",
            Some((id, samskriv::access::Role::Coordinator, None)),
        )
        .await;
    let reader_invite = invite(&api, &plan, serde_json::json!({"role": "reader"})).await;
    assert_eq!(
        accept_signed_in(&app, &coordinator, &reader_invite).await,
        StatusCode::SEE_OTHER
    );
    let (_, members) = api.get(&format!("/api/plans/{plan}/members")).await;
    let kari = members
        .as_array()
        .and_then(|m| {
            m.iter()
                .find(|m| m["user"]["id"] == coordinator.id.as_str())
        })
        .expect("member");
    assert_eq!(kari["role"], "coordinator");
    assert_eq!(kari["email_verified"], true);
    let bound = invite(
        &api,
        &plan,
        serde_json::json!({"role": "editor", "email": "nina@nav.no"}),
    )
    .await;
    assert_eq!(
        accept_signed_in(&app, &coordinator, &bound).await,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
