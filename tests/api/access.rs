//! Accounts, roles and their enforcement: the role matrix over every page and API route, crafted
//! protocol messages on read-only connections, service tokens, sign-in links, invites, CSRF,
//! login rate limiting, and who wrote what.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use samskriv::access::Role;
use samskriv::plan::PlanId;
use samskriv::storage::accounts as store;
use serde_json::{Value, json};
use yrs::{GetString, Map, ReadTxn, Text, Transact, WriteTxn, XmlFragment};

use crate::helpers::*;

const TEMPLATE: &str = "korus-ruspolitisk-handlingsplan@1";

/// Expected statuses, in the fixture's order: coordinator, editor, adviser, reader, non-member.
type Expect = [u16; 5];

#[tokio::test]
async fn the_role_matrix_holds_on_every_page_and_route() {
    let f = PlanPeople::new().await;
    let (status, version) = Api::as_person(&f.app, &f.admin)
        .post(
            &format!("/api/plans/{}/versions", f.plan),
            &json!({"name": "Utkast 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let version = version["id"].as_str().expect("version id").to_owned();
    let matrix: Vec<(Method, &str, Option<Value>, Expect)> = vec![
        // Pages.
        (Method::GET, "/plans/{P}", None, [200, 200, 200, 200, 404]),
        (
            Method::GET,
            "/plans/{P}/versions/{V}",
            None,
            [200, 200, 200, 200, 404],
        ),
        (
            Method::GET,
            "/plans/{P}/medlemmer",
            None,
            [200, 403, 403, 403, 404],
        ),
        // Plan API.
        // Readers read frozen versions through the API, as they export them.
        (
            Method::GET,
            "/api/plans/{P}",
            None,
            [200, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            "/api/plans/{P}/completeness",
            None,
            [200, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            "/api/plans/{P}/units",
            None,
            [200, 200, 200, 200, 404],
        ),
        (
            Method::POST,
            "/api/plans/{P}/tiltak",
            Some(json!([{"strategi": "forebygging", "tiltak": "Nytt tiltak"}])),
            [201, 201, 403, 403, 404],
        ),
        (
            Method::PATCH,
            "/api/plans/{P}/tiltak/{R}",
            Some(json!({"status": "pabegynt"})),
            [200, 200, 403, 403, 404],
        ),
        // Versions and exports: readers export frozen versions only.
        (
            Method::GET,
            "/api/plans/{P}/versions",
            None,
            [200, 200, 200, 200, 404],
        ),
        (
            Method::GET,
            "/api/plans/{P}/versions/{V}",
            None,
            [200, 200, 200, 200, 404],
        ),
        (
            Method::POST,
            "/api/plans/{P}/versions",
            Some(json!({"name": "Versjon {N}"})),
            [201, 403, 403, 403, 404],
        ),
        (
            Method::GET,
            "/plans/{P}/export.md",
            None,
            [200, 200, 200, 403, 404],
        ),
        (
            Method::GET,
            "/plans/{P}/export.md?version={V}",
            None,
            [200, 200, 200, 200, 404],
        ),
        // Membership: the coordinator's.
        (
            Method::GET,
            "/api/plans/{P}/members",
            None,
            [200, 403, 403, 403, 404],
        ),
        (
            Method::GET,
            "/api/plans/{P}/invites",
            None,
            [200, 403, 403, 403, 404],
        ),
        (
            Method::POST,
            "/api/plans/{P}/invites",
            Some(json!({"role": "reader"})),
            [201, 403, 403, 403, 404],
        ),
        // Comment threads: advisers comment, readers read.
        (
            Method::GET,
            "/api/plans/{P}/threads",
            None,
            [200, 200, 200, 200, 404],
        ),
        (
            Method::POST,
            "/api/plans/{P}/threads",
            Some(
                json!({"anchor": {"kind": "tiltak", "row": "{R}", "quote": "Foreldremøter"}, "body": "Hvem har ansvaret?"}),
            ),
            [201, 201, 201, 403, 404],
        ),
        // Creating plans is for administrators.
        (
            Method::POST,
            "/api/plans",
            Some(
                json!({"title": "Ny", "bydel": "Nordstrand", "periode": "2026–2029", "template": TEMPLATE}),
            ),
            [403, 403, 403, 403, 403],
        ),
    ];
    let mut failures = Vec::new();
    for (n, (method, path, body, expected)) in matrix.iter().enumerate() {
        let path = path
            .replace("{P}", &f.plan)
            .replace("{V}", &version)
            .replace("{R}", &f.row);
        for ((label, person), want) in f.everyone().iter().zip(expected) {
            let api = Api::as_person(&f.app, person);
            let body = body
                .as_ref()
                .map(|b| {
                    b.to_string()
                        .replace("{N}", &format!("{n}-{label}"))
                        .replace("{R}", &f.row)
                })
                .unwrap_or_default();
            let mut request = api
                .http
                .request(method.clone(), format!("{}{path}", api.base));
            if !body.is_empty() {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            let status = request.send().await.expect("request").status().as_u16();
            if status != *want {
                failures.push(format!(
                    "{label} {method} {path}: {status}, expected {want}"
                ));
            }
        }
    }
    // The live connection: who may connect, and whose content updates are stored.
    let url = f.app.ws_url(&f.plan);
    let id: PlanId = f.plan.parse().expect("plan id");
    let live: [Option<bool>; 5] = [Some(true), Some(true), Some(false), Some(false), None];
    for ((label, person), stored) in f.everyone().iter().zip(live) {
        let Some(stored) = stored else {
            expect_ws_refused(&url, Some(&person.session), 404).await;
            continue;
        };
        let mut client = TestClient::connect_as(&url, person).await;
        let before = f.app.storage.log_len(id).await.expect("log");
        client
            .edit(|txn| {
                txn.get_or_insert_text("matrix").push(txn, label);
            })
            .await;
        if stored {
            client.pump_for(Duration::from_millis(200)).await;
        } else {
            client.wait_for(|c| !c.denied.is_empty()).await;
        }
        let after = f.app.storage.log_len(id).await.expect("log");
        if (after > before) != stored {
            failures.push(format!("{label} live edit: stored {}", after > before));
        }
    }
    assert!(failures.is_empty(), "role matrix:\n{}", failures.join("\n"));

    // Anonymous visitors: pages send them to sign in, the API answers 404, the list is empty.
    let anonymous = Api::new(&f.app);
    let (status, _) = anonymous.page(&format!("/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = anonymous.get(&format!("/api/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = anonymous.get("/api/plans").await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let (status, _) = anonymous.page("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Members see their plans in the list; outsiders see none; the administrator sees all.
    let (_, list) = Api::as_person(&f.app, &f.reader).get("/api/plans").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (_, list) = Api::as_person(&f.app, &f.outsider).get("/api/plans").await;
    assert_eq!(list, json!([]));
    let (_, list) = Api::as_person(&f.app, &f.admin).get("/api/plans").await;
    assert!(
        list.as_array().is_some_and(|plans| plans.len() >= 2),
        "{list}"
    );
    f.app.stop().await;
}

#[tokio::test]
async fn live_connections_follow_the_role_and_crafted_updates_are_never_stored() {
    let f = PlanPeople::new().await;
    let url = f.app.ws_url(&f.plan);
    let id: PlanId = f.plan.parse().expect("id");

    // A non-member (and anyone not signed in) cannot even open the connection.
    let outsider = &f.outsider;
    expect_ws_refused(&url, Some(&outsider.session), 404).await;
    expect_ws_refused(&url, None, 404).await;

    let mut editor = TestClient::connect_as(&url, &f.editor).await;
    for (label, person) in [("rådgiver", &f.adviser), ("leser", &f.reader)] {
        let mut client = TestClient::connect_as(&url, person).await;
        let log_before = f.app.storage.log_len(id).await.expect("log");
        // A content update crafted by hand, as a modified client would send it.
        client
            .edit(|txn| {
                txn.get_or_insert_text("crafted")
                    .push(txn, "skal ikke lagres");
            })
            .await;
        client.wait_for(|c| !c.denied.is_empty()).await;
        // Presence still works for them.
        client
            .set_awareness(&format!(r#"{{"user":{{"name":"{label}"}}}}"#))
            .await;
        editor.wait_for(|c| !c.peers().is_empty()).await;
        editor.pump_for(Duration::from_millis(200)).await;
        assert_eq!(
            f.app.storage.log_len(id).await.expect("log"),
            log_before,
            "{label}'s update was stored"
        );
        drop(client);
    }
    let fresh = TestClient::connect_as(&url, &f.admin).await;
    assert_eq!(root_text(&fresh, "crafted"), "");

    // The editor's own change is committed and reaches everyone.
    editor
        .edit(|txn| {
            txn.get_or_insert_text("crafted")
                .push(txn, "redaktørens tekst");
        })
        .await;
    let mut fresh = fresh;
    fresh
        .wait_for(|c| root_text(c, "crafted") == "redaktørens tekst")
        .await;
    assert!(f.app.storage.log_len(id).await.expect("log") > 0);
    f.app.stop().await;
}

fn root_text(client: &TestClient, name: &str) -> String {
    let txn = client.doc().transact();
    txn.get_text(name)
        .map(|text| text.get_string(&txn))
        .unwrap_or_default()
}

/// Tries to open a live connection and expects the HTTP status of a refused handshake.
async fn expect_ws_refused(url: &str, session: Option<&str>, status: u16) {
    let request = ws_request(url, session);
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), status)
        }
        other => panic!("expected HTTP {status}, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_cookie_session_from_another_site_cannot_open_a_live_connection() {
    let f = PlanPeople::new().await;
    let mut request = ws_request(&f.app.ws_url(&f.plan), Some(&f.editor.session));
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().expect("origin"));
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    f.app.stop().await;
}

#[tokio::test]
async fn service_tokens_grant_their_role_on_their_plan_until_revoked() {
    let f = PlanPeople::new().await;
    let id: PlanId = f.plan.parse().expect("id");
    let db = f.app.storage.db();
    let (editor_token, editor_secret) =
        store::create_service_token(&db, id, "Import fra Excel", Role::Editor, Some("NAV"))
            .await
            .expect("token");
    let (_, reader_secret) = store::create_service_token(&db, id, "Dashbord", Role::Reader, None)
        .await
        .expect("token");

    // Bearer on the API.
    let as_editor = Api::with_token(&f.app, &editor_secret);
    let (status, _) = as_editor
        .post(
            &format!("/api/plans/{}/tiltak", f.plan),
            &json!([{"strategi": "forebygging", "tiltak": "Fra importen"}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let as_reader = Api::with_token(&f.app, &reader_secret);
    let (status, _) = as_reader
        .get(&format!("/api/plans/{}/versions", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = as_reader
        .post(
            &format!("/api/plans/{}/tiltak", f.plan),
            &json!([{"tiltak": "x"}]),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A token is for its own plan only.
    let other = Api::as_person(&f.app, &f.admin).create_plan(TEMPLATE).await;
    let (status, _) = as_editor.get(&format!("/api/plans/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // ?token= on the live connection; an unknown token is refused before the upgrade.
    let url = format!("{}?token={editor_secret}", f.app.ws_url(&f.plan));
    let mut live = TestClient::connect(&url).await;
    live.edit(|txn| {
        txn.get_or_insert_text("t").push(txn, "fra tjenesten");
    })
    .await;
    live.pump_for(Duration::from_millis(200)).await;
    assert!(live.denied.is_empty());
    let bad = format!("{}?token=sst_feil", f.app.ws_url(&f.plan));
    expect_ws_refused(&bad, None, 401).await;
    let (status, _) = Api::with_token(&f.app, "sst_feil")
        .get(&format!("/api/plans/{}", f.plan))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Revoked: refused at once. The database holds only the hash.
    assert!(
        store::revoke_service_token(&db, &editor_token.id)
            .await
            .expect("revoke")
    );
    let (status, _) = as_editor.get(&format!("/api/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stored: Vec<String> = match &db {
        samskriv::storage::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT token_hash FROM service_tokens")
                .fetch_all(pool)
                .await
                .expect("read")
        }
        samskriv::storage::Db::Postgres(_) => unreachable!("the fixture uses SQLite"),
    };
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 64 && !h.contains(&editor_secret))
    );
    f.app.stop().await;
}

#[tokio::test]
async fn invites_expire_can_be_revoked_and_work_once() {
    let f = PlanPeople::new().await;
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let invite = |role: &str, unit: Option<&str>| {
        let body = json!({"role": role, "unit": unit});
        let coordinator = &coordinator;
        let plan = f.plan.clone();
        async move {
            let (status, created) = coordinator
                .post(&format!("/api/plans/{plan}/invites"), &body)
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            let url = created["url"].as_str().expect("url").to_owned();
            let path = url[url.find("/invitasjon/").expect("path")..].to_owned();
            (
                created["invite"]["id"].as_str().expect("id").to_owned(),
                path,
            )
        }
    };
    // A unit that is not the plan's is refused.
    let (status, _) = coordinator
        .post(
            &format!("/api/plans/{}/invites", f.plan),
            &json!({"role": "editor", "unit": "Finnes ikke"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A new person accepts: an account is made, they are signed in and are an editor for NAV.
    let (_, path) = invite("editor", Some("NAV")).await;
    let anonymous = Api::new(&f.app);
    let (status, page) = anonymous.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("redaktør for NAV"), "{page}");
    let url = format!("{}{path}", anonymous.base);
    let nina_fields = [
        ("name", "Nina NAV"),
        ("email", "nina@nav.no"),
        ("password", "et langt passord her"),
    ];
    // Without the form's own token (a form posted from another site), nothing happens.
    let response = anonymous
        .http
        .post(&url)
        .form(&nina_fields)
        .send()
        .await
        .expect("forged");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let form = f.app.login_form(&path).await;
    let response = form.post(&url, &nina_fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers().get("set-cookie").is_some());
    let members = coordinator
        .get(&format!("/api/plans/{}/members", f.plan))
        .await
        .1;
    let nina = members
        .as_array()
        .and_then(|m| m.iter().find(|m| m["user"]["email"] == "nina@nav.no"))
        .expect("Nina is a member");
    assert_eq!(
        (nina["role"].as_str(), nina["unit"].as_str()),
        (Some("editor"), Some("NAV"))
    );

    // Used once: a second acceptance is refused.
    let response = form
        .post(
            &url,
            &[
                ("name", "Noen"),
                ("email", "noen@nav.no"),
                ("password", "et langt passord her"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);

    // Revoked.
    let (id, path) = invite("reader", None).await;
    let (status, _) = coordinator
        .send(
            Method::DELETE,
            &format!("/api/plans/{}/invites/{id}", f.plan),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, page) = anonymous.page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("trukket tilbake"));

    // Expired (made to expire in the past, as time would).
    let db = f.app.storage.db();
    let (_, token) = store::create_invite(
        &db,
        f.plan.parse().expect("id"),
        Role::Reader,
        None,
        None,
        Duration::ZERO,
    )
    .await
    .expect("invite");
    let (status, page) = anonymous.page(&format!("/invitasjon/{token}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("utløpt"));

    // Unknown token; another plan's invite id cannot be revoked through this plan.
    let (status, _) = anonymous.page("/invitasjon/finnes-ikke").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = Api::as_person(&f.app, &f.admin).create_plan(TEMPLATE).await;
    let (other_id, _) = {
        let (_, created) = Api::as_person(&f.app, &f.admin)
            .post(
                &format!("/api/plans/{other}/invites"),
                &json!({"role": "reader"}),
            )
            .await;
        (created["invite"]["id"].as_str().expect("id").to_owned(), ())
    };
    let (status, _) = coordinator
        .send(
            Method::DELETE,
            &format!("/api/plans/{}/invites/{other_id}", f.plan),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    f.app.stop().await;
}

#[tokio::test]
async fn cookie_requests_without_the_csrf_token_are_refused() {
    let f = PlanPeople::new().await;
    let coordinator = &f.coordinator;
    let mut cookie_only = reqwest::header::HeaderMap::new();
    cookie_only.insert(
        reqwest::header::COOKIE,
        format!("samskriv_session={}", coordinator.session)
            .parse()
            .expect("cookie"),
    );
    let api = Api::with_headers(&f.app, cookie_only.clone());
    let (status, body) = api
        .post(
            &format!("/api/plans/{}/versions", f.plan),
            &json!({"name": "Uten token"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A wrong token, and a form without the field.
    let mut wrong = cookie_only.clone();
    wrong.insert("x-csrf-token", "feil".parse().expect("header"));
    let (status, _) = Api::with_headers(&f.app, wrong)
        .post(
            &format!("/api/plans/{}/versions", f.plan),
            &json!({"name": "Feil token"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = api
        .http
        .post(format!("{}/plans/{}/versions", api.base, f.plan))
        .form(&[("name", "Skjema uten token")])
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The same form with the field goes through.
    let response = api
        .http
        .post(format!("{}/plans/{}/versions", api.base, f.plan))
        .form(&[
            ("name", "Skjema med token"),
            ("csrf_token", coordinator.csrf.as_str()),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Nothing was frozen by the refused requests.
    let (_, versions) = Api::as_person(&f.app, coordinator)
        .get(&format!("/api/plans/{}/versions", f.plan))
        .await;
    let names: Vec<&str> = versions
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Skjema med token"]);
    f.app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_rate_limited() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let person = app.person("Kari", None).await;
    assert_eq!(
        app.login(&person.email, "feil passord").await,
        Err(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        app.login("finnes.ikke@oslo.kommune.no", "feil passord")
            .await,
        Err(StatusCode::UNAUTHORIZED),
        "an unknown address gets the same answer"
    );
    for _ in 1..samskriv::service::login_limit::MAX_FAILURES {
        assert_eq!(
            app.login(&person.email, "feil passord").await,
            Err(StatusCode::UNAUTHORIZED)
        );
    }
    // Now even the right password waits; other addresses are not affected.
    assert_eq!(
        app.login(&person.email, &person.password).await,
        Err(StatusCode::TOO_MANY_REQUESTS)
    );
    let other = app.person("Ola", None).await;
    assert!(app.login(&other.email, &other.password).await.is_ok());
    // E-mail addresses are not case-sensitive.
    assert!(
        app.login(&other.email.to_uppercase(), &other.password)
            .await
            .is_ok()
    );
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let (status, _) = api.get("/api/plans").await;
    assert_eq!(status, StatusCode::OK);
    let response = api
        .http
        .post(format!("{}/logout", api.base))
        .form(&[("csrf_token", admin.csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The old cookie is worth nothing now.
    let (status, _) = api.page("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        store::session_user(&app.storage.db(), &admin.session)
            .await
            .expect("read")
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn the_first_start_prints_a_one_time_link_for_the_first_administrator() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("samskriv.sqlite3");
    let app = TestApp::spawn_on(&db, |c| c.open_editing = false).await;
    let link = app
        .first_admin_link
        .clone()
        .expect("a link while nobody has an account");
    let path = link[link.find("/velkommen/").expect("path")..].to_owned();
    let api = Api::new(&app);
    let (status, page) = api.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("første administratoren"));
    // A too short password is refused and the link still works. The form signs a browser in,
    // so it carries the login-form token.
    let form = app.login_form(&path).await;
    let url = format!("{}{path}", api.base);
    let post = async |password: &'static str| {
        let fields = [
            ("name", "Kari Admin"),
            ("email", "kari@oslo.kommune.no"),
            ("password", password),
        ];
        form.post(&url, &fields).await
    };
    assert_eq!(
        post("kort").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let response = post("korrekt hest batteri").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // One time only.
    assert_eq!(
        post("korrekt hest batteri").await.status(),
        StatusCode::GONE
    );
    let session = app
        .login("kari@oslo.kommune.no", "korrekt hest batteri")
        .await
        .expect("the new administrator signs in");
    let (user, _) = store::session_user(&app.storage.db(), &session)
        .await
        .expect("read")
        .expect("session");
    assert!(user.is_admin);
    // The demo plan is there for the administrator.
    let dir_path = db.clone();
    app.stop().await;
    let again = samskriv::app::Application::build(test_config(&dir_path))
        .await
        .expect("builds");
    assert!(
        again.first_admin_link().is_none(),
        "no link once someone has an account"
    );
}

#[tokio::test]
async fn each_section_shows_its_last_editor_and_responsible_unit() {
    let f = PlanPeople::new().await;
    let editor = &f.editor;
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), editor).await;
    live.edit(|txn| {
        let fragment = txn.get_or_insert_xml_fragment("section:hvor-star-vi.russituasjon");
        let paragraph = fragment.push_back(txn, yrs::XmlElementPrelim::empty("paragraph"));
        let text = paragraph.push_back(txn, yrs::XmlTextPrelim::new(""));
        text.push(txn, "Ungdata viser lite bruk.");
        // A checklist item of one checklist section: only that section is marked as changed.
        txn.get_or_insert_map("checklist")
            .insert(txn, "hvor-star-vi.nokkeltall/fhi", true);
    })
    .await;
    live.pump_for(Duration::from_millis(300)).await;
    // The coordinator makes NAV responsible for the section through the members page form.
    let coordinator = &f.coordinator;
    let api = Api::as_person(&f.app, coordinator);
    let response = api
        .http
        .post(format!("{}/plans/{}/seksjoner", api.base, f.plan))
        .form(&[
            ("csrf_token", coordinator.csrf.as_str()),
            ("seksjon:hvor-star-vi.russituasjon", "NAV"),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = api.page(&format!("/plans/{}", f.plan)).await;
    let section = &page[page
        .find("id=\"seksjon-hvor-star-vi-russituasjon\"")
        .expect("section")..];
    let section = &section[..section.find("</section>").expect("end")];
    assert!(section.contains("Ansvarlig enhet: NAV"), "{section}");
    assert!(
        section.contains("Sist endret av Erik Redaktør (NAV)"),
        "{section}"
    );
    let checklist_section = |anchor: &str| {
        let start = page.find(anchor).expect("checklist section");
        let rest = &page[start..];
        rest[..rest.find("</section>").expect("end")].to_owned()
    };
    assert!(
        checklist_section("id=\"seksjon-hvor-star-vi-nokkeltall\"")
            .contains("Sist endret av Erik Redaktør (NAV)")
    );
    assert!(
        !checklist_section("id=\"seksjon-hvor-star-vi-plandokumenter\"").contains("Sist endret"),
        "another checklist section was not changed"
    );
    // An unknown section or unit is refused.
    let response = api
        .http
        .post(format!("{}/plans/{}/seksjoner", api.base, f.plan))
        .form(&[
            ("csrf_token", coordinator.csrf.as_str()),
            ("seksjon:finnes.ikke", "NAV"),
        ])
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The log records who wrote each update.
    let authors: Vec<Option<String>> = match &f.app.storage.db() {
        samskriv::storage::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT author FROM plan_updates")
                .fetch_all(pool)
                .await
                .expect("read")
        }
        samskriv::storage::Db::Postgres(_) => unreachable!("the fixture uses SQLite"),
    };
    assert!(
        authors.contains(&Some(format!("user:{}", editor.id))),
        "{authors:?}"
    );
    f.app.stop().await;
}

#[tokio::test]
async fn the_coordinator_adds_changes_and_removes_members_on_the_members_page() {
    let f = PlanPeople::new().await;
    let coordinator = &f.coordinator;
    let api = Api::as_person(&f.app, coordinator);
    let outsider = &f.outsider;
    let form = |fields: Vec<(&'static str, String)>, path: String| {
        let api = &api;
        let csrf = coordinator.csrf.clone();
        async move {
            let mut fields = fields;
            fields.push(("csrf_token", csrf));
            api.http
                .post(format!("{}{path}", api.base))
                .form(&fields)
                .send()
                .await
                .expect("form")
                .status()
        }
    };
    let members = format!("/plans/{}/medlemmer", f.plan);
    // Someone with an account is added directly, with a role and unit.
    let status = form(
        vec![
            ("email", outsider.email.to_uppercase()),
            ("role", "adviser".into()),
            ("unit", "".into()),
        ],
        members.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = Api::as_person(&f.app, outsider)
        .get(&format!("/api/plans/{}", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK, "now a member");
    // The page says so (a status message), and lists the plan's administrator with their role.
    let (_, page) = api
        .page(&format!("{members}?lagt-til={}", outsider.id))
        .await;
    assert!(
        page.contains(&format!(
            r#"role="status">{} er lagt til som rådgiver."#,
            outsider.name
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "{} <span class=\"merknad\">(administrator)</span>",
            f.admin.name
        )),
        "the administrator among the members: {page}"
    );
    // A made-up success says nothing.
    let (_, page) = api.page(&format!("{members}?lagt-til=ukjent")).await;
    assert!(!page.contains("er lagt til som"), "{page}");
    // Nobody with that address: the page says so and suggests an invite.
    let status = form(
        vec![
            ("email", "ingen@oslo.kommune.no".into()),
            ("role", "reader".into()),
        ],
        members.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Role changes take effect at once; a made-up role or unit is refused.
    let change = format!("{members}/{}", outsider.id);
    assert_eq!(
        form(
            vec![("role", "editor".into()), ("unit", "NAV".into())],
            change.clone()
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (status, _) = Api::as_person(&f.app, outsider)
        .post(
            &format!("/api/plans/{}/tiltak", f.plan),
            &json!([{"tiltak": "Fra en ny redaktør"}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        form(vec![("role", "admin".into())], change.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        form(
            vec![("role", "reader".into()), ("unit", "Finnes ikke".into())],
            change.clone()
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // «Fjern …» asks first, without JavaScript: a page that names who and what it does, whose
    // form alone removes. A removal not confirmed only leads to that page.
    let (status, confirm) = api.page(&format!("{change}/fjern")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        confirm.contains(&format!("Ja, fjern {}", outsider.name))
            && confirm.contains(r#"name="bekreft" value="ja""#)
            && confirm.contains(r#"class="fare""#),
        "{confirm}"
    );
    assert_eq!(
        form(vec![], format!("{change}/fjern")).await,
        StatusCode::SEE_OTHER
    );
    let (status, _) = Api::as_person(&f.app, outsider)
        .get(&format!("/api/plans/{}", f.plan))
        .await;
    assert_eq!(status, StatusCode::OK, "not removed without confirming");
    let (_, page) = api.page(&members).await;
    assert!(
        page.contains(&format!(
            r#"<a class="knapp fare" href="{members}/{}/fjern""#,
            outsider.id
        )),
        "«Fjern …» is a link to the confirmation, not the page's main button"
    );
    // Removed once confirmed: the plan is gone for them, and the page says so.
    assert_eq!(
        form(vec![("bekreft", "ja".into())], format!("{change}/fjern")).await,
        StatusCode::SEE_OTHER
    );
    let (status, _) = Api::as_person(&f.app, outsider)
        .get(&format!("/api/plans/{}", f.plan))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = api
        .page(&format!("{members}?fjernet={}", outsider.id))
        .await;
    assert!(
        page.contains(&format!(
            r#"role="status">{} er fjernet fra planen."#,
            outsider.name
        )),
        "{page}"
    );
    // Units: added, then offered for members.
    assert_eq!(
        form(
            vec![("name", "KoRus Oslo".into())],
            format!("/plans/{}/enheter", f.plan)
        )
        .await,
        StatusCode::SEE_OTHER
    );
    let (_, units) = api.get(&format!("/api/plans/{}/units", f.plan)).await;
    assert!(
        units
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u == "KoRus Oslo")),
        "{units}"
    );
    let (status, page) = api.page(&members).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("KoRus Oslo"));
    f.app.stop().await;
}

#[tokio::test]
async fn a_login_form_from_another_site_signs_nobody_in() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let person = app.person("Kari", None).await;
    let url = format!("http://{}/login", app.addr);
    let fields = [
        ("email", person.email.as_str()),
        ("password", person.password.as_str()),
    ];
    // No token at all, as a form on another site would post it.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(&url)
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&response, "samskriv_session").is_none());
    // The attacker's own token, with the victim browser's cookie: still refused.
    let attacker = app.login_form("/login").await;
    let victim = app.login_form("/login").await;
    let crossed = LoginForm {
        cookie: victim.cookie.clone(),
        token: attacker.token.clone(),
    };
    let response = crossed.post(&url, &fields).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The browser's own form signs in.
    let response = victim.post(&url, &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&response, "samskriv_session").is_some());
    app.stop().await;
}

/// «Frys versjon» says what it did (a status message on the plan page it goes back to), and a
/// name of blanks only is called empty, never too long.
#[tokio::test]
async fn the_freeze_form_confirms_and_calls_a_blank_name_empty() {
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.coordinator);
    let freeze = async |name: String| {
        api.http
            .post(format!("{}/plans/{}/versions", api.base, f.plan))
            .form(&[
                ("name", name.as_str()),
                ("csrf_token", f.coordinator.csrf.as_str()),
            ])
            .send()
            .await
            .expect("form")
    };
    let response = freeze("Høringsutkast".into()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!("/plans/{}?frosset=", f.plan))
            && location.ends_with("#versjoner"),
        "{location}"
    );
    let (status, page) = api.page(location.trim_end_matches("#versjoner")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"role="status">Versjonen «Høringsutkast» er frosset."#),
        "{page}"
    );
    // An id that is not one of the plan's versions says nothing.
    let (_, page) = api.page(&format!("/plans/{}?frosset=ukjent", f.plan)).await;
    assert!(!page.contains("er frosset."));

    for blank in ["   ", " \u{3000}\u{a0} ", "\t\u{1}\u{7f} \n"] {
        let response = freeze(blank.into()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{blank:?}"
        );
        let page = response.text().await.expect("page");
        assert!(
            page.contains("Skriv et navn på versjonen") && !page.contains("høyst"),
            "{blank:?}: {page}"
        );
    }
    let response = freeze("x".repeat(121)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("høyst 120 tegn")
    );
    f.app.stop().await;
}
