//! Plan settings (issue 14, item 1): the coordinator's `PATCH /api/plans/{id}` and settings
//! page, archiving (read-only, hidden, restorable) and deleting (administrators), on a real
//! server; and the storage functions behind them on SQLite and, when configured, PostgreSQL.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use samskriv::export::{CoverLogo, LogoKind};
use samskriv::plan::{Adoption, NewPlan, PlanId, PlanMeta, PlanSettings};
use samskriv::storage::{self, Storage, StorageError};
use serde_json::{Value, json};
use yrs::{GetString, Text, Transact, WriteTxn};

use crate::helpers::{Api, PlanPeople, TestClient, postgres_schema};

fn plan_path(f: &PlanPeople) -> String {
    format!("/api/plans/{}", f.plan)
}

async fn patch(api: &Api, path: &str, body: Value) -> (StatusCode, Value) {
    api.send(Method::PATCH, path, body.to_string()).await
}

/// Freezes a version of the plan as the administrator and returns its id.
async fn freeze(f: &PlanPeople, name: &str) -> String {
    let (status, version) = Api::as_person(&f.app, &f.admin)
        .post(
            &format!("/api/plans/{}/versions", f.plan),
            &json!({ "name": name }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    version["id"].as_str().expect("version id").to_owned()
}

/// Asserts a 422 whose message names `field`.
fn assert_refused(answer: &(StatusCode, Value), field: &str) {
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
    let message = answer.1["error"].as_str().expect("an error message");
    assert!(message.contains(field), "{field}: {message}");
}

#[tokio::test]
async fn the_coordinator_changes_title_periode_status_and_cover() {
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.coordinator);
    let (status, record) = patch(
        &api,
        &plan_path(&f),
        json!({"title": "  Rusplan for Nordstrand ", "periode": "2026–2029", "status": "horing",
               "place": "Oslo", "date": "2026-02-01", "contact": "Kari Koordinator, 21 80 21 80"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["id"], f.plan.as_str());
    assert_eq!(record["title"], "Rusplan for Nordstrand");
    assert_eq!(record["periode"], "2026–2029");
    assert_eq!(record["status"], "horing");
    assert_eq!(record["place"], "Oslo");
    assert_eq!(record["date"], "2026-02-01");
    assert_eq!(record["contact"], "Kari Koordinator, 21 80 21 80");
    assert_eq!(record["adopted"], Value::Null);
    assert_eq!(record["archived_at"], Value::Null);

    // The document's own meta has them (written through the live room) and so does the list.
    let (status, plan) = api.get(&plan_path(&f)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        plan["meta"]["title"], "Rusplan for Nordstrand",
        "{}",
        plan["meta"]
    );
    assert_eq!(plan["meta"]["status"], "horing");
    let (_, list) = api.get("/api/plans").await;
    assert_eq!(list[0]["title"], "Rusplan for Nordstrand");

    // Only what is given changes; an empty patch changes nothing.
    let (status, same) = patch(&api, &plan_path(&f), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["place"], "Oslo");
    let (status, cleared) = patch(&api, &plan_path(&f), json!({"place": ""})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["place"], "");
    assert_eq!(cleared["contact"], "Kari Koordinator, 21 80 21 80");
}

#[tokio::test]
async fn vedtatt_names_a_frozen_version_of_this_plan_its_meeting_and_sak() {
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.coordinator);
    let path = plan_path(&f);
    assert_refused(
        &patch(&api, &path, json!({"status": "vedtatt"})).await,
        "adopted",
    );
    let adopted =
        |version: &str| json!({"version": version, "date": "2026-03-12", "sak": "BU-sak 12/26"});
    assert_refused(
        &patch(
            &api,
            &path,
            json!({"status": "vedtatt", "adopted": adopted("ikke-en-id")}),
        )
        .await,
        "adopted.version",
    );
    // A version of another plan is not one of this plan's.
    let other_api = Api::as_person(&f.app, &f.admin);
    let other = other_api
        .create_plan("korus-ruspolitisk-handlingsplan@1")
        .await;
    let (status, foreign) = other_api
        .post(
            &format!("/api/plans/{other}/versions"),
            &json!({"name": "Annen plan"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let foreign = foreign["id"].as_str().expect("id").to_owned();
    assert_refused(
        &patch(
            &api,
            &path,
            json!({"status": "vedtatt", "adopted": adopted(&foreign)}),
        )
        .await,
        "adopted.version",
    );

    let version = freeze(&f, "Vedtatt i BU 12.03.2026").await;
    for (date, sak, field) in [
        ("12.03.2026", "BU-sak 12/26", "adopted.date"),
        ("2026-02-30", "BU-sak 12/26", "adopted.date"),
        ("", "BU-sak 12/26", "adopted.date"),
        ("2026-03-12", " ", "adopted.sak"),
    ] {
        assert_refused(
            &patch(
                &api,
                &path,
                json!({"status": "vedtatt", "adopted": {"version": version, "date": date, "sak": sak}}),
            )
            .await,
            field,
        );
    }
    // An adoption belongs to status vedtatt only.
    assert_refused(
        &patch(
            &api,
            &path,
            json!({"status": "horing", "adopted": adopted(&version)}),
        )
        .await,
        "adopted",
    );
    // Nothing refused changed anything.
    let (_, plan) = api.get(&path).await;
    assert_eq!(plan["plan"]["status"], "utkast");

    let (status, record) = patch(
        &api,
        &path,
        json!({"status": "vedtatt", "adopted": adopted(&version)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["status"], "vedtatt");
    assert_eq!(record["adopted"], adopted(&version));
    // The adopted version's cover carries the meeting's date and the plan's place; the current
    // state's cover the plan's own date.
    let (_, record) = patch(&api, &path, json!({"place": "Oslo", "date": "2026-01-20"})).await;
    assert_eq!(record["place"], "Oslo");
    let cover = |bytes: Vec<u8>| String::from_utf8(bytes).expect("markdown");
    let (_, _, adopted_md) = api
        .download(&format!("/plans/{}/export.md?version={version}", f.plan))
        .await;
    let adopted_md = cover(adopted_md);
    assert!(
        adopted_md.contains("Oslo") && adopted_md.contains("12.03.2026"),
        "{adopted_md}"
    );
    let (_, _, current_md) = api.download(&format!("/plans/{}/export.md", f.plan)).await;
    assert!(cover(current_md).contains("20.01.2026"));
    // Staying vedtatt keeps the adoption; another status drops it.
    let (_, record) = patch(&api, &path, json!({"contact": "Kari"})).await;
    assert_eq!(record["adopted"]["sak"], "BU-sak 12/26");
    let (status, record) = patch(&api, &path, json!({"status": "utkast"})).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["adopted"], Value::Null);
    assert_eq!(record["status"], "utkast");
}

#[tokio::test]
async fn every_refusal_names_its_field_and_changes_nothing() {
    let f = PlanPeople::new().await;
    let api = Api::as_person(&f.app, &f.coordinator);
    let path = plan_path(&f);
    let long = |n: usize| "x".repeat(n);
    for (body, field) in [
        (json!({"title": " "}), "title"),
        (json!({"title": long(201)}), "title"),
        (json!({"periode": ""}), "periode"),
        (json!({"periode": long(41)}), "periode"),
        (json!({"bydel": "Asker"}), "bydel"),
        (json!({"status": "ferdig"}), "status"),
        (json!({"place": long(101)}), "place"),
        (json!({"date": "12.03.2026"}), "date"),
        (json!({"date": "2026-13-01"}), "date"),
        (json!({"contact": long(301)}), "contact"),
        (json!({"contact": "to\nlinjer"}), "contact"),
        // One bad field refuses the whole patch.
        (json!({"title": "Ny tittel", "date": "i morgen"}), "date"),
    ] {
        assert_refused(&patch(&api, &path, body).await, field);
    }
    let (_, plan) = api.get(&path).await;
    assert_eq!(plan["plan"]["title"], "Ruspolitisk handlingsplan");
    // Wrong types and unknown fields are malformed requests.
    let (status, body) = patch(&api, &path, json!({"title": 7})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = patch(&api, &path, json!({"tittel": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn only_coordinators_change_settings_and_only_administrators_delete() {
    let f = PlanPeople::new().await;
    let path = plan_path(&f);
    for person in [&f.editor, &f.adviser, &f.reader] {
        let api = Api::as_person(&f.app, person);
        let (status, body) = patch(&api, &path, json!({"title": "Kapret"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", person.name);
        for action in ["archive", "restore"] {
            let (status, _) = api.post(&format!("{path}/{action}"), &json!({})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{} {action}", person.name);
        }
        let (status, _) = api.send(Method::DELETE, &path, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", person.name);
    }
    // A coordinator is not an administrator.
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let (status, body) = coordinator.send(Method::DELETE, &path, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("administrators"))
    );
    // Non-members and unknown plans: 404; a malformed id: 400.
    let outsider = Api::as_person(&f.app, &f.outsider);
    let (status, _) = patch(&outsider, &path, json!({"title": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = outsider.post(&format!("{path}/archive"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = outsider.send(Method::DELETE, &path, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin = Api::as_person(&f.app, &f.admin);
    let unknown = format!("/api/plans/{}", PlanId::new_random());
    let (status, _) = patch(&admin, &unknown, json!({"title": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["archive", "restore"] {
        let (status, _) = admin.post(&format!("{unknown}/{action}"), &json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let (status, _) = admin.send(Method::DELETE, &unknown, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = patch(&admin, "/api/plans/ikke-en-plan", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nothing changed.
    let (_, plan) = admin.get(&path).await;
    assert_eq!(plan["plan"]["title"], "Ruspolitisk handlingsplan");
}

#[tokio::test]
async fn an_archived_plan_is_read_only_hidden_and_restorable() {
    let f = PlanPeople::new().await;
    let path = plan_path(&f);
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let editor = Api::as_person(&f.app, &f.editor);
    let row_path = format!("{path}/tiltak/{}", f.row);

    // The editor is connected live when the plan is archived.
    let mut before = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;

    let (status, record) = coordinator
        .post(&format!("{path}/archive"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert!(record["archived_at"].is_i64(), "{record}");
    // Archiving twice changes nothing.
    let (status, again) = coordinator
        .post(&format!("{path}/archive"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["archived_at"], record["archived_at"]);

    // The open connection that could edit is closed (its client reconnects read-only).
    before.expect_close().await;

    // Hidden from the list unless asked for, for every member.
    for api in [&coordinator, &editor, &Api::as_person(&f.app, &f.admin)] {
        let (_, list) = api.get("/api/plans").await;
        assert!(
            !list
                .as_array()
                .expect("list")
                .iter()
                .any(|p| p["id"] == f.plan.as_str()),
            "{list}"
        );
        let (_, list) = api.get("/api/plans?archived=true").await;
        assert!(
            list.as_array()
                .expect("list")
                .iter()
                .any(|p| p["id"] == f.plan.as_str()),
            "{list}"
        );
    }
    let (status, _) = editor.get("/api/plans?archived=kanskje").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, page) = coordinator.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&f.plan), "archived plan listed");
    assert!(
        page.contains("href=\"/?archived=true\""),
        "no «Vis arkiverte» link"
    );
    let (_, page) = coordinator.page("/?archived=true").await;
    assert!(page.contains(&f.plan) && page.contains("Arkivert"));

    // Still readable; no edits through the API, settings or shape, freezing either.
    let (status, _) = editor.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = patch(&editor, &row_path, json!({"tiltak": "Endret"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("archived")),
        "{body}"
    );
    let (status, _) = coordinator
        .post(&format!("{path}/tiltak"), &json!([{"tiltak": "Nytt"}]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = patch(&coordinator, &path, json!({"title": "Endret"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = coordinator
        .post(
            &format!("{path}/versions"),
            &json!({"name": "Etter arkivering"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Commenting is still allowed.
    let (status, thread) = editor
        .post(
            &format!("{path}/threads"),
            &json!({"anchor": {"kind": "tiltak", "row": f.row}, "body": "Arkivert, men lest"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");

    // A live connection made now receives the plan, and its updates are refused, never stored.
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.coordinator).await;
    live.edit(|txn| {
        let text = txn.get_or_insert_text("t");
        text.insert(txn, 0, "skal ikke lagres");
    })
    .await;
    live.wait_for(|c| !c.denied.is_empty()).await;
    drop(live);
    let (_, plan) = editor.get(&path).await;
    assert_eq!(plan["tiltak"][0]["tiltak"], "Foreldremøter om alkohol");

    // Restored: listed again and editable again.
    let (status, record) = coordinator
        .post(&format!("{path}/restore"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["archived_at"], Value::Null);
    let (_, list) = editor.get("/api/plans").await;
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|p| p["id"] == f.plan.as_str())
    );
    let (status, body) = patch(&editor, &row_path, json!({"tiltak": "Endret"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;
    let stored = fresh
        .doc()
        .get_or_insert_text("t")
        .get_string(&fresh.doc().transact());
    assert_eq!(stored, "", "an update refused while archived was stored");
}

/// How many rows each table holds for the plan.
async fn rows_of_plan(db: &storage::Db, plan: &str) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in [
        "plan_updates",
        "plan_snapshots",
        "plan_versions",
        "plan_units",
        "plan_members",
        "plan_invites",
        "service_tokens",
        "plan_section_units",
        "plan_activity",
        "comment_threads",
        "comments",
        "plan_logos",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE plan_id = $1");
        let count: i64 = samskriv::on_db!(db, pool => sqlx::query_scalar(&sql)
            .bind(plan)
            .fetch_one(pool)
            .await)
        .expect("count");
        counts.push((table, count));
    }
    let sql = "SELECT COUNT(*) FROM plans WHERE id = $1";
    let count: i64 =
        samskriv::on_db!(db, pool => sqlx::query_scalar(sql).bind(plan).fetch_one(pool).await)
            .expect("count");
    counts.push(("plans", count));
    counts
}

#[tokio::test]
async fn an_administrator_deletes_a_plan_and_everything_stored_with_it() {
    let f = PlanPeople::new().await;
    let path = plan_path(&f);
    let admin = Api::as_person(&f.app, &f.admin);
    freeze(&f, "Høringsutkast").await;
    let (status, thread) = Api::as_person(&f.app, &f.adviser)
        .post(
            &format!("{path}/threads"),
            &json!({"anchor": {"kind": "tiltak", "row": f.row}, "body": "Godt tiltak"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let (status, invite) = admin
        .post(&format!("{path}/invites"), &json!({"role": "reader"}))
        .await;
    assert!(status.is_success(), "{status} {invite}");
    put_logo(
        &Api::as_person(&f.app, &f.coordinator),
        &f.plan,
        "image/png",
        png(8, 4),
    )
    .await;
    let db = f.app.storage.db();
    let before = rows_of_plan(&db, &f.plan).await;
    for table in [
        "plan_logos",
        "plan_versions",
        "plan_members",
        "comment_threads",
        "comments",
        "plans",
    ] {
        assert!(
            before.iter().any(|(t, n)| *t == table && *n > 0),
            "{table}: {before:?}"
        );
    }
    // An open connection to the plan ends with it.
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;

    let (status, body) = admin.send(Method::DELETE, &path, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    live.expect_close().await;
    for (table, count) in rows_of_plan(&db, &f.plan).await {
        assert_eq!(count, 0, "{table} still holds rows of the deleted plan");
    }
    let (status, _) = admin.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin.send(Method::DELETE, &path, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = admin.get("/api/plans?archived=true").await;
    assert!(
        !list
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p["id"] == f.plan.as_str())
    );
}

/// Posts a form of the settings page as `person`, with the session's CSRF token.
async fn post_form(
    f: &PlanPeople,
    person: &crate::helpers::Person,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &person.csrf));
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!(
            "http://{}/plans/{}/innstillinger{action}",
            f.app.addr, f.plan
        ))
        .header(
            reqwest::header::COOKIE,
            format!("samskriv_session={}", person.session),
        )
        .form(&fields)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

#[tokio::test]
async fn the_settings_page_renders_and_its_forms_work() {
    let f = PlanPeople::new().await;
    let page_path = format!("/plans/{}/innstillinger", f.plan);
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let (status, page) = coordinator.page(&page_path).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "<label for=\"tittel\">Tittel</label>",
        "<label for=\"status\">Status</label>",
        "På høring",
        "<label for=\"sted\">Sted</label>",
        "<label for=\"kontakt\">Kontaktperson</label>",
        "Arkiver planen",
        "Bare en administrator kan slette en plan.",
        "value=\"Ruspolitisk handlingsplan\"",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    // Coordinators only.
    for person in [&f.editor, &f.adviser, &f.reader] {
        let (status, page) = Api::as_person(&f.app, person).page(&page_path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", person.name);
        assert!(page.contains("<html lang=\"nb\">"));
    }
    let (status, _) = Api::as_person(&f.app, &f.outsider).page(&page_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A refused form comes back with what was typed and the reason beside the field.
    let (status, _, page) = post_form(
        &f,
        &f.coordinator,
        "/plan",
        &[
            ("title", " "),
            ("bydel", "Nordstrand"),
            ("periode", "2026–2029"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"tittel-feil\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"tittel-feil\""));
    assert!(page.contains("Planen må ha en tittel"));
    assert!(page.contains("value=\"2026–2029\""), "typed periode kept");

    // A saved form goes back to the page, which says so.
    let (status, location, _) = post_form(
        &f,
        &f.coordinator,
        "/plan",
        &[
            ("title", "Ny tittel"),
            ("bydel", "Nordstrand"),
            ("periode", "2026–2029"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{page_path}?lagret=plan"));
    let (_, page) = coordinator.page(&location).await;
    assert!(page.contains("role=\"status\">Tittel, bydel og periode er lagret."));
    assert!(page.contains("value=\"Ny tittel\""));

    // Status with adoption: the version must be chosen.
    let version = freeze(&f, "Vedtatt i BU").await;
    let (status, _, page) = post_form(
        &f,
        &f.coordinator,
        "/status",
        &[
            ("status", "vedtatt"),
            ("adopted_version", ""),
            ("adopted_date", "2026-03-12"),
            ("adopted_sak", "12/26"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"vedtatt-versjon-feil\""), "{page}");
    assert!(page.contains("value=\"12/26\""));
    let (status, location, _) = post_form(
        &f,
        &f.coordinator,
        "/status",
        &[
            ("status", "vedtatt"),
            ("adopted_version", &version),
            ("adopted_date", "2026-03-12"),
            ("adopted_sak", "12/26"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("?lagret=status"));
    let (_, record) = coordinator.get("/api/plans").await;
    assert_eq!(record[0]["status"], "vedtatt");
    assert_eq!(record[0]["adopted"]["version"], version.as_str());

    // The cover.
    let (status, _, page) = post_form(
        &f,
        &f.coordinator,
        "/forside",
        &[("place", "Oslo"), ("date", "12.03.2026"), ("contact", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"dato-feil\""));
    let (status, _, _) = post_form(
        &f,
        &f.coordinator,
        "/forside",
        &[
            ("place", "Oslo"),
            ("date", "2026-03-20"),
            ("contact", "Kari"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = coordinator.page(&page_path).await;
    assert!(page.contains("value=\"2026-03-20\"") && page.contains("value=\"Oslo\""));

    // Archive and restore.
    let (status, location, _) = post_form(&f, &f.coordinator, "/arkiver", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = coordinator.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Planen er arkivert"));
    assert!(page.contains("Gjenopprett planen"));
    assert!(
        !page.contains("id=\"tittel\""),
        "an archived plan's forms are hidden"
    );
    let (status, location, _) = post_form(&f, &f.coordinator, "/gjenopprett", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.ends_with("?lagret=gjenopprettet"));

    // Delete: administrators, once the title is typed.
    let (status, _, _) = post_form(&f, &f.coordinator, "/slett", &[("confirm", "Ny tittel")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, page) = Api::as_person(&f.app, &f.admin).page(&page_path).await;
    assert!(page.contains("<label for=\"bekreft\">Planens tittel</label>"));
    let (status, _, page) = post_form(&f, &f.admin, "/slett", &[("confirm", "Feil tittel")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"bekreft-feil\""));
    let (status, location, _) =
        post_form(&f, &f.admin, "/slett", &[("confirm", "Ny tittel")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/?slettet=1");
    let (_, page) = Api::as_person(&f.app, &f.admin).page(&location).await;
    assert!(page.contains("role=\"status\">Planen er slettet."));
    let (status, _) = coordinator.page(&page_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ny_plan_preselects_the_korus_template() {
    let f = PlanPeople::new().await;
    let (status, page) = Api::as_person(&f.app, &f.admin).page("/").await;
    assert_eq!(status, StatusCode::OK);
    let selected = page
        .split("<option ")
        .find(|option| option.contains(" selected>") && option.contains("value=\"korus-"))
        .unwrap_or_default();
    assert!(
        selected.starts_with("value=\"korus-ruspolitisk-handlingsplan@"),
        "{page}"
    );
}

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Settings, archiving and deleting as the storage layer does them, on one back end.
async fn storage_story(backend: Backend) {
    let (storage, _dir, _schema): (Arc<dyn Storage>, _, _) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let storage = crate::helpers::open_storage(&dir.path().join("s.sqlite3")).await;
            (storage, Some(dir), None)
        }
        Backend::Postgres => {
            let Some(schema) = postgres_schema().await else {
                return;
            };
            let config = samskriv::config::DatabaseConfig {
                database_url: schema.url(),
                sqlite_synchronous: samskriv::config::SqliteSynchronous::Full,
            };
            let storage = storage::connect(&config).await.expect("database opens");
            (storage, None, Some(schema))
        }
    };
    let new = NewPlan {
        title: "Plan".into(),
        template: "korus-ruspolitisk-handlingsplan@1".into(),
        ..NewPlan::default()
    };
    let plan = storage.create_plan(&new, &[]).await.expect("plan").id;
    let other = storage.create_plan(&new, &[]).await.expect("plan").id;
    let record = storage.get_plan(plan).await.expect("read").expect("plan");
    assert_eq!(record.settings, PlanSettings::default(), "{backend:?}");
    assert_eq!(record.archived_at, None);

    let version = storage
        .create_version(plan, "Vedtatt", &[0, 0])
        .await
        .expect("version");
    let meta = PlanMeta {
        title: "Plan".into(),
        ..PlanMeta::default()
    };
    let settings = PlanSettings {
        adopted: Some(Adoption {
            version: version.id,
            date: "2026-03-12".into(),
            sak: "BU-sak 12/26".into(),
        }),
        place: "Oslo".into(),
        date: "2026-03-20".into(),
        contact: "Kari Koordinator".into(),
    };
    let renamed = PlanMeta {
        title: "Ny plan".into(),
        bydel: "Nordstrand".into(),
        periode: "2026–2029".into(),
        status: "vedtatt".into(),
    };
    storage
        .update_plan_record(plan, &renamed, &settings)
        .await
        .expect("settings stored");
    let record = storage.get_plan(plan).await.expect("read").expect("plan");
    assert_eq!(record.settings, settings, "{backend:?}");
    assert_eq!(
        (
            record.title.as_str(),
            record.bydel.as_str(),
            record.periode.as_str(),
            record.status.as_str()
        ),
        ("Ny plan", "Nordstrand", "2026–2029", "vedtatt")
    );
    let cleared = PlanSettings {
        adopted: None,
        ..settings.clone()
    };
    storage
        .update_plan_record(plan, &meta, &cleared)
        .await
        .expect("cleared");
    assert_eq!(
        storage
            .get_plan(plan)
            .await
            .expect("read")
            .expect("plan")
            .settings,
        cleared
    );
    let unknown = PlanId::new_random();
    assert!(matches!(
        storage.update_plan_record(unknown, &meta, &settings).await,
        Err(StorageError::PlanNotFound(id)) if id == unknown
    ));

    // Archiving and restoring.
    assert_eq!(
        storage::plan_archived(&storage.db(), plan)
            .await
            .expect("read"),
        Some(false)
    );
    storage
        .set_plan_archived(plan, Some(1_700_000_000_000))
        .await
        .expect("archived");
    let record = storage.get_plan(plan).await.expect("read").expect("plan");
    assert_eq!(record.archived_at, Some(1_700_000_000_000));
    assert!(record.is_archived());
    assert_eq!(
        storage::plan_archived(&storage.db(), plan)
            .await
            .expect("read"),
        Some(true)
    );
    assert_eq!(storage.list_plans().await.expect("list").len(), 2);
    storage
        .set_plan_archived(plan, None)
        .await
        .expect("restored");
    assert_eq!(
        storage::plan_archived(&storage.db(), plan)
            .await
            .expect("read"),
        Some(false)
    );
    assert!(matches!(
        storage.set_plan_archived(unknown, None).await,
        Err(StorageError::PlanNotFound(_))
    ));
    assert_eq!(
        storage::plan_archived(&storage.db(), unknown)
            .await
            .expect("read"),
        None
    );

    // The cover logo: stored, replaced, removed; one per plan, of a plan that exists.
    assert_eq!(storage.plan_logo(plan).await.expect("read"), None);
    let first = CoverLogo {
        kind: LogoKind::Png,
        bytes: png(3, 2),
    };
    storage.set_plan_logo(plan, &first).await.expect("stored");
    assert_eq!(
        storage.plan_logo(plan).await.expect("read"),
        Some(first.clone()),
        "{backend:?}"
    );
    let second = CoverLogo {
        kind: LogoKind::Svg,
        bytes: b"<svg/>".to_vec(),
    };
    storage
        .set_plan_logo(plan, &second)
        .await
        .expect("replaced");
    assert_eq!(storage.plan_logo(plan).await.expect("read"), Some(second));
    assert!(storage.delete_plan_logo(plan).await.expect("removed"));
    assert!(
        !storage
            .delete_plan_logo(plan)
            .await
            .expect("none to remove")
    );
    assert_eq!(storage.plan_logo(plan).await.expect("read"), None);
    assert!(
        matches!(
            storage.set_plan_logo(unknown, &first).await,
            Err(StorageError::PlanNotFound(id)) if id == unknown
        ),
        "{backend:?}"
    );
    storage.set_plan_logo(plan, &first).await.expect("stored");
    storage.set_plan_logo(other, &first).await.expect("stored");

    // Deleting takes the log, the snapshot, the versions and the logo along, and leaves other
    // plans be.
    storage
        .append_updates(plan, &[&[0, 0]])
        .await
        .expect("appended");
    storage.compact(plan, &[0, 0], 1).await.expect("compacted");
    storage
        .append_updates(plan, &[&[0, 0]])
        .await
        .expect("appended");
    storage
        .create_version(other, "Annen", &[0, 0])
        .await
        .expect("version");
    assert!(
        storage.delete_plan(plan).await.expect("deleted"),
        "{backend:?}"
    );
    assert!(storage.get_plan(plan).await.expect("read").is_none());
    assert!(
        storage
            .list_versions(plan)
            .await
            .expect("versions")
            .is_empty()
    );
    assert_eq!(storage.log_len(plan).await.expect("log"), 0);
    assert!(matches!(
        storage.load_document(plan).await,
        Err(StorageError::PlanNotFound(_))
    ));
    for (table, count) in rows_of_plan(&storage.db(), &plan.to_string()).await {
        assert_eq!(count, 0, "{backend:?}: {table}");
    }
    assert!(!storage.delete_plan(plan).await.expect("nothing to delete"));
    assert_eq!(
        storage.list_versions(other).await.expect("versions").len(),
        1
    );
    assert!(storage.get_plan(other).await.expect("read").is_some());
    assert_eq!(storage.plan_logo(other).await.expect("read"), Some(first));
}

#[tokio::test]
async fn storage_of_settings_archiving_and_deleting_on_sqlite() {
    storage_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn storage_of_settings_archiving_and_deleting_on_postgres() {
    storage_story(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// Settings are saved whole or not at all
// ---------------------------------------------------------------------------------------------

/// Makes the database refuse `event` (e.g. `UPDATE OF contact ON plans`) where `when` holds,
/// on either back end, until [`allow_in_database`].
async fn refuse_in_database(db: &storage::Db, name: &str, event: &str, when: &str) {
    match db {
        storage::Db::Sqlite(pool) => {
            let sql = format!(
                "CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW WHEN {when}
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            );
            sqlx::query(&sql).execute(pool).await.expect("trigger");
        }
        storage::Db::Postgres(pool) => {
            sqlx::query(
                "CREATE OR REPLACE FUNCTION refused_by_test() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            )
            .execute(pool)
            .await
            .expect("function");
            let sql = format!(
                "CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW WHEN ({when})
                 EXECUTE FUNCTION refused_by_test()"
            );
            sqlx::query(&sql).execute(pool).await.expect("trigger");
        }
    }
}

async fn allow_in_database(db: &storage::Db, name: &str, table: &str) {
    let sql = match db {
        storage::Db::Sqlite(_) => format!("DROP TRIGGER {name}"),
        storage::Db::Postgres(_) => format!("DROP TRIGGER {name} ON {table}"),
    };
    samskriv::on_db!(db, pool => sqlx::query(&sql).execute(pool).await.map(|_| ()))
        .expect("drop trigger");
}

/// The plan as created: its document, its record and the plan list all say so.
async fn assert_untouched(api: &Api, plan: &str, backend: Backend) {
    let (status, body) = api.get(&format!("/api/plans/{plan}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["meta"]["title"], "Ruspolitisk handlingsplan",
        "{backend:?}: the document was written"
    );
    assert_eq!(
        body["plan"]["title"], "Ruspolitisk handlingsplan",
        "{backend:?}: the record's title was written"
    );
    assert_eq!(
        body["plan"]["contact"], "",
        "{backend:?}: the record's settings were written"
    );
    let (_, list) = api.get("/api/plans").await;
    assert_eq!(list[0]["title"], "Ruspolitisk handlingsplan", "{backend:?}");
}

/// When the database refuses the record, the document is not written; when the document
/// cannot be written, the record is put back.
async fn settings_are_saved_whole_or_not_at_all(backend: Backend) {
    let (app, _schema) = match backend {
        Backend::Sqlite => (crate::helpers::TestApp::spawn().await, None),
        Backend::Postgres => {
            let Some(schema) = postgres_schema().await else {
                return;
            };
            let app = crate::helpers::TestApp::spawn_with_url(&schema.url(), |_| {}).await;
            (app, Some(schema))
        }
    };
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let plan = api.create_plan("korus-ruspolitisk-handlingsplan@1").await;
    let path = format!("/api/plans/{plan}");
    let change = json!({"title": "Halvveis", "contact": "Kari Koordinator"});
    let db = app.storage.db();

    refuse_in_database(
        &db,
        "refuse_contact",
        "UPDATE OF contact ON plans",
        "NEW.contact = 'Kari Koordinator'",
    )
    .await;
    let (status, body) = patch(&api, &path, change.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_untouched(&api, &plan, backend).await;
    allow_in_database(&db, "refuse_contact", "plans").await;

    refuse_in_database(&db, "refuse_log", "INSERT ON plan_updates", "1 = 1").await;
    let (status, body) = patch(&api, &path, change.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_untouched(&api, &plan, backend).await;
    allow_in_database(&db, "refuse_log", "plan_updates").await;

    let (status, record) = patch(&api, &path, change).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let (_, body) = api.get(&path).await;
    assert_eq!(body["meta"]["title"], "Halvveis", "{backend:?}");
    assert_eq!(body["plan"]["title"], "Halvveis");
    assert_eq!(body["plan"]["contact"], "Kari Koordinator");
}

#[tokio::test]
async fn settings_are_saved_whole_or_not_at_all_on_sqlite() {
    settings_are_saved_whole_or_not_at_all(Backend::Sqlite).await;
}

#[tokio::test]
async fn settings_are_saved_whole_or_not_at_all_on_postgres() {
    settings_are_saved_whole_or_not_at_all(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// The cover logo
// ---------------------------------------------------------------------------------------------

/// A valid `width` × `height` RGB PNG.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("header");
    let pixels: Vec<u8> = (0..width * height)
        .flat_map(|i| [0x1f, (i % 251) as u8, 0x79])
        .collect();
    writer.write_image_data(&pixels).expect("pixels");
    writer.finish().expect("png");
    out
}

/// An SVG logo that tries everything an SVG can: script, event handlers, a local file, a
/// foreign document, an external link. Only the rectangle and the circle are a logo.
const HOSTILE_SVG: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="300" height="100" onload="alert(document.cookie)">
  <script>alert(document.cookie)</script>
  <image xlink:href="file:///etc/passwd" width="10" height="10"/>
  <foreignObject width="100" height="100"><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://example.org/"/></foreignObject>
  <a xlink:href="javascript:alert(1)"><rect width="300" height="100" fill="#1f4e79"/></a>
  <circle cx="50" cy="50" r="40" fill="#ffffff" onclick="alert(2)"/>
</svg>"##;

const SVG_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

fn logo_api_path(plan: &str) -> String {
    format!("/api/plans/{plan}/logo")
}

/// `PUT /api/plans/{id}/logo` with the file as the body.
async fn put_logo(
    api: &Api,
    plan: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = api
        .http
        .put(format!("{}{}", api.base, logo_api_path(plan)))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(bytes)
        .send()
        .await
        .expect("PUT");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_coordinator_uploads_a_logo_that_members_read_back() {
    let f = PlanPeople::new().await;
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let logo_path = format!("/plans/{}/logo", f.plan);
    let (status, _, _) = coordinator.download(&logo_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no logo yet");

    let bytes = png(40, 10);
    let (status, body) = put_logo(&coordinator, &f.plan, "image/png", bytes.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for person in [&f.coordinator, &f.editor, &f.adviser, &f.reader] {
        let (status, headers, got) = Api::as_person(&f.app, person).download(&logo_path).await;
        assert_eq!(status, StatusCode::OK, "{}", person.name);
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(got, bytes, "the PNG as uploaded");
    }
    let (status, _, _) = Api::as_person(&f.app, &f.outsider)
        .download(&logo_path)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "non-members learn nothing");

    // An SVG is stored as usvg wrote it: nothing but the drawing is left.
    let (status, body) = put_logo(
        &coordinator,
        &f.plan,
        "image/svg+xml; charset=utf-8",
        HOSTILE_SVG.into(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, headers, got) = Api::as_person(&f.app, &f.reader).download(&logo_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], SVG_POLICY);
    let svg = String::from_utf8(got).expect("UTF-8").to_lowercase();
    for gone in [
        "<script",
        "alert",
        "onload",
        "onclick",
        "foreignobject",
        "iframe",
        "passwd",
        "example.org",
        "javascript",
        "<image",
    ] {
        assert!(!svg.contains(gone), "{gone} survived: {svg}");
    }
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");

    // Anything else is refused, naming the field, and changes nothing.
    let jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00".to_vec();
    for (content_type, upload, expected) in [
        ("image/jpeg", jpeg.clone(), StatusCode::UNPROCESSABLE_ENTITY),
        ("image/png", jpeg, StatusCode::UNPROCESSABLE_ENTITY),
        (
            "image/png",
            b"garbage".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("image/png", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY),
        ("image/png", png(3001, 1), StatusCode::UNPROCESSABLE_ENTITY),
        (
            "image/svg+xml",
            b"<svg".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("image/svg+xml", png(4, 4), StatusCode::UNPROCESSABLE_ENTITY),
        (
            "text/html",
            b"<html><script>alert(1)</script></html>".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "image/png",
            vec![0; 600 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let (status, body) = put_logo(&coordinator, &f.plan, content_type, upload).await;
        assert_eq!(status, expected, "{content_type}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("logo")),
            "{content_type}: {body}"
        );
    }
    let (_, headers, _) = coordinator.download(&logo_path).await;
    assert_eq!(headers["content-type"], "image/svg+xml", "still the SVG");

    // Only the coordinator changes it; non-members see no plan; a session needs its CSRF token.
    for person in [&f.editor, &f.adviser, &f.reader] {
        let api = Api::as_person(&f.app, person);
        let (status, _) = put_logo(&api, &f.plan, "image/png", png(2, 2)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", person.name);
        let (status, _) = api.send(Method::DELETE, &logo_api_path(&f.plan), "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", person.name);
    }
    let outsider = Api::as_person(&f.app, &f.outsider);
    let (status, _) = put_logo(&outsider, &f.plan, "image/png", png(2, 2)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut cookie_only = reqwest::header::HeaderMap::new();
    cookie_only.insert(
        reqwest::header::COOKIE,
        format!("samskriv_session={}", f.coordinator.session)
            .parse()
            .expect("header"),
    );
    let (status, _) = put_logo(
        &Api::with_headers(&f.app, cookie_only),
        &f.plan,
        "image/png",
        png(2, 2),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (_, headers, _) = coordinator.download(&logo_path).await;
    assert_eq!(headers["content-type"], "image/svg+xml", "still the SVG");

    // An archived plan's logo is read, not changed.
    let (status, _) = coordinator
        .post(&format!("/api/plans/{}/archive", f.plan), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = put_logo(&coordinator, &f.plan, "image/png", png(2, 2)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = coordinator
        .send(Method::DELETE, &logo_api_path(&f.plan), "")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = coordinator.download(&logo_path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = coordinator
        .post(&format!("/api/plans/{}/restore", f.plan), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Removed, it is gone; removing none changes nothing.
    for _ in 0..2 {
        let (status, body) = coordinator
            .send(Method::DELETE, &logo_api_path(&f.plan), "")
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (status, _, _) = coordinator.download(&logo_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The images `pdfimages -list` finds in a PDF (poppler-utils; a missing tool fails the test).
fn pdf_images(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.pdf");
    std::fs::write(&path, pdf).expect("pdf written");
    let output = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("pdfimages could not be run ({e}): apt-get install -y poppler-utils")
        });
    assert!(output.status.success(), "pdfimages: {output:?}");
    // Two lines of column headings, then one line per image.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(2)
        .filter(|line| !line.trim().is_empty())
        .count()
}

/// A part of a .docx package, as bytes; `None` when it has no such part.
fn docx_part(docx: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip archive");
    let mut part = archive.by_name(name).ok()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut part, &mut bytes).expect("part");
    Some(bytes)
}

fn docx_text(docx: &[u8], name: &str) -> String {
    String::from_utf8(docx_part(docx, name).expect(name)).expect("UTF-8")
}

/// LibreOffice converts the .docx to PDF, which holds the logo as an image. A missing
/// `soffice` skips this outside CI (scripts/test installs it).
fn libreoffice_shows_the_logo(docx: &[u8]) {
    let soffice = std::process::Command::new("soffice")
        .arg("--version")
        .output();
    if soffice.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "soffice is missing in CI: scripts/test installs libreoffice-writer-nogui"
        );
        eprintln!("SKIPPED: soffice not found (apt-get install -y libreoffice-writer-nogui)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.docx");
    std::fs::write(&path, docx).expect("docx written");
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let output = std::process::Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&path)
        .output()
        .expect("soffice runs");
    let pdf = std::fs::read(dir.path().join("plan.pdf")).unwrap_or_else(|e| {
        panic!(
            "LibreOffice could not convert the .docx ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(pdf_images(&pdf) >= 1, "LibreOffice shows no logo");
}

#[tokio::test]
async fn exports_put_the_logo_on_the_cover() {
    let f = PlanPeople::new().await;
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let export = |format: &str| format!("/plans/{}/export.{format}", f.plan);
    let download = |path: String| {
        let api = &coordinator;
        async move {
            let (status, _, bytes) = api.download(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            bytes
        }
    };
    let plain_pdf = download(export("pdf")).await;
    let plain_md = download(export("md")).await;
    assert_eq!(pdf_images(&plain_pdf), 0);
    assert!(docx_part(&download(export("docx")).await, "word/media/logo.png").is_none());

    // A PNG: in the PDF as an image, in the Word file as itself at 12 × 3 cm (40 × 10 pixels).
    let logo = png(40, 10);
    let (status, body) = put_logo(&coordinator, &f.plan, "image/png", logo.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let pdf = download(export("pdf")).await;
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pdf_images(&pdf), 1, "the logo");
    assert_eq!(download(export("pdf")).await, pdf, "reproducible");
    let docx = download(export("docx")).await;
    assert_eq!(docx_part(&docx, "word/media/logo.png"), Some(logo));
    let document = docx_text(&docx, "word/document.xml");
    assert!(
        document.contains(r#"<wp:extent cx="4320000" cy="1080000"/>"#),
        "{document}"
    );
    assert!(document.contains(r#"r:embed="rIdLogo""#));
    assert!(
        docx_text(&docx, "word/_rels/document.xml.rels")
            .contains(r#"Id="rIdLogo" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/logo.png""#)
    );
    assert!(
        docx_text(&docx, "[Content_Types].xml")
            .contains(r#"<Default Extension="png" ContentType="image/png"/>"#)
    );
    assert_eq!(download(export("docx")).await, docx, "reproducible");
    libreoffice_shows_the_logo(&docx);
    assert_eq!(
        download(export("md")).await,
        plain_md,
        "Markdown has no logo"
    );

    // An SVG: drawn in the PDF, rasterized for Word at the same size.
    let (status, body) = put_logo(&coordinator, &f.plan, "image/svg+xml", HOSTILE_SVG.into()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let pdf = download(export("pdf")).await;
    assert!(pdf.starts_with(b"%PDF") && pdf != plain_pdf);
    assert_eq!(download(export("pdf")).await, pdf, "reproducible");
    let docx = download(export("docx")).await;
    let raster = docx_part(&docx, "word/media/logo.png").expect("a PNG for Word");
    let decoder = png::Decoder::new(std::io::Cursor::new(&raster));
    let reader = decoder.read_info().expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (1063, 354));
    assert!(
        docx_text(&docx, "word/document.xml").contains(r#"<wp:extent cx="3240000" cy="1080000"/>"#)
    );
    assert_eq!(download(export("docx")).await, docx, "reproducible");

    // A frozen version's export has the logo too.
    let version = freeze(&f, "Høringsutkast").await;
    let docx = download(format!("{}?version={version}", export("docx"))).await;
    assert!(docx_part(&docx, "word/media/logo.png").is_some());
}

/// Posts the settings page's logo form (multipart), with the session's CSRF token when
/// `with_token`.
async fn post_logo_form(
    f: &PlanPeople,
    with_token: bool,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (StatusCode, String, String) {
    const BOUNDARY: &str = "samskriv-test-grense";
    let mut body = Vec::new();
    if with_token {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n",
                f.coordinator.csrf
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!(
            "http://{}/plans/{}/innstillinger/logo",
            f.app.addr, f.plan
        ))
        .header(
            reqwest::header::COOKIE,
            format!("samskriv_session={}", f.coordinator.session),
        )
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

#[tokio::test]
async fn the_settings_page_uploads_shows_and_removes_the_logo() {
    let f = PlanPeople::new().await;
    let page_path = format!("/plans/{}/innstillinger", f.plan);
    let coordinator = Api::as_person(&f.app, &f.coordinator);
    let (_, page) = coordinator.page(&page_path).await;
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("<label for=\"logo\">Logo</label>"));
    assert!(page.contains("Planen har ingen logo."));
    assert!(!page.contains("Fjern logo"));

    // A file of another kind comes back with the reason beside the field.
    let (status, _, page) = post_logo_form(&f, true, "logo.txt", "text/plain", b"hei").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"logo-feil\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains("Logoen må være en PNG- eller SVG-fil"));
    // Without the CSRF token, nothing is stored.
    let (status, _, _) = post_logo_form(&f, false, "logo.png", "image/png", &png(4, 4)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = coordinator
        .download(&format!("/plans/{}/logo", f.plan))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An SVG whose browser names no image type is known by its name.
    let (status, location, _) = post_logo_form(
        &f,
        true,
        "Bydel Nordstrand.SVG",
        "application/octet-stream",
        HOSTILE_SVG.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{page_path}?lagret=logo"));
    let (_, page) = coordinator.page(&location).await;
    assert!(page.contains("role=\"status\">Logoen er lagret."), "{page}");
    assert!(page.contains(&format!(
        "<img src=\"/plans/{}/logo\" height=\"80\" alt=\"Logoen som står på forsiden av PDF- og Word-filene\">",
        f.plan
    )));
    assert!(page.contains("<label for=\"logo\">Ny logo</label>"));
    let (_, headers, _) = coordinator
        .download(&format!("/plans/{}/logo", f.plan))
        .await;
    assert_eq!(headers["content-type"], "image/svg+xml");

    let (status, location, _) = post_form(&f, &f.coordinator, "/logo/fjern", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{page_path}?lagret=logo-fjernet"));
    let (_, page) = coordinator.page(&location).await;
    assert!(page.contains("role=\"status\">Logoen er fjernet."));
    assert!(page.contains("Planen har ingen logo."));
    let (status, _, _) = coordinator
        .download(&format!("/plans/{}/logo", f.plan))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
