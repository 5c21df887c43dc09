//! Plan settings (issue 14, item 1): the coordinator's `PATCH /api/plans/{id}` and settings
//! page, archiving (read-only, hidden, restorable) and deleting (administrators), on a real
//! server; and the storage functions behind them on SQLite and, when configured, PostgreSQL.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use samskriv::plan::{Adoption, NewPlan, PlanId, PlanSettings};
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
    let db = f.app.storage.db();
    let before = rows_of_plan(&db, &f.plan).await;
    for table in [
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
    storage
        .update_plan_settings(plan, &settings)
        .await
        .expect("settings stored");
    let record = storage.get_plan(plan).await.expect("read").expect("plan");
    assert_eq!(record.settings, settings, "{backend:?}");
    let cleared = PlanSettings {
        adopted: None,
        ..settings.clone()
    };
    storage
        .update_plan_settings(plan, &cleared)
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
        storage.update_plan_settings(unknown, &settings).await,
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

    // Deleting takes the log, the snapshot and the versions along, and leaves other plans be.
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
}

#[tokio::test]
async fn storage_of_settings_archiving_and_deleting_on_sqlite() {
    storage_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn storage_of_settings_archiving_and_deleting_on_postgres() {
    storage_story(Backend::Postgres).await;
}
