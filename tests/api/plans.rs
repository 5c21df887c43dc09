//! Plans, templates and the JSON API: creation from templates, bulk tiltak import through the
//! live room, the plan page, completeness, and refusals of bad input.

use reqwest::StatusCode;
use serde_json::{Value, json};
use yrs::types::ToJson;
use yrs::{Array, Transact};

use crate::helpers::*;

const FIXTURE: &str = include_str!("../../templates/demo/nordstrand-tiltak.json");

fn error_of(body: &Value) -> String {
    body["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn templates_are_listed_with_their_sections() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let (status, templates) = api.get("/api/templates").await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = templates
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["key"].as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "handlingsplan-psykisk-helse-og-rus@1",
            "korus-ruspolitisk-handlingsplan@1"
        ]
    );
    let korus = &templates[1];
    let sections = korus["sections"].as_array().expect("sections");
    let kind_of = |id: &str| {
        sections
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["kind"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        kind_of("hvor-star-vi.nasituasjon").as_deref(),
        Some("prose")
    );
    assert_eq!(kind_of("planprosessen.tiltak").as_deref(), Some("tiltak"));
    assert_eq!(
        kind_of("planprosessen.milepaeler").as_deref(),
        Some("milestones")
    );
    assert_eq!(
        kind_of("hvor-star-vi.nokkeltall").as_deref(),
        Some("checklist")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_plan_from_each_template_has_its_sections_and_schema() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    for template in [
        "korus-ruspolitisk-handlingsplan",
        "handlingsplan-psykisk-helse-og-rus@1",
    ] {
        let id = api.create_plan(template).await;
        let (status, plan) = api.get(&format!("/api/plans/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(plan["meta"]["title"], "Ruspolitisk handlingsplan");
        assert_eq!(plan["meta"]["status"], "utkast");
        assert!(
            plan["meta"]["template"]
                .as_str()
                .is_some_and(|t| t.ends_with("@1"))
        );
        assert!(!plan["sections"].as_array().expect("sections").is_empty());
        assert!(!plan["checklist"].as_object().expect("checklist").is_empty());
    }
    let combined = api.create_plan("handlingsplan-psykisk-helse-og-rus").await;
    let (_, plan) = api.get(&format!("/api/plans/{combined}")).await;
    let groups: Vec<&str> = plan["target_groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(groups.contains(&"Barn og unge"), "{groups:?}");
    let section_ids: Vec<&str> = plan["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(
        section_ids.contains(&"malgrupper.barn-og-unge.utfordringsbilde"),
        "{section_ids:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn bulk_import_arrives_live_is_grouped_and_survives_a_restart() {
    let app = TestApp::spawn().await;
    let db = app.db_path.clone();
    let api = Api::new(&app);
    let id = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    let plan: samskriv::plan::PlanId = id.parse().expect("plan id");
    let mut watcher = app.client(plan).await;

    let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/api/plans/{id}/tiltak"),
            FIXTURE,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["ids"].as_array().map(Vec::len), Some(49));

    // The open WebSocket client receives the rows as a live update.
    watcher
        .wait_for(|c| {
            c.doc()
                .get_or_insert_array("tiltak")
                .len(&c.doc().transact())
                == 49
        })
        .await;

    let (_, plan_json) = api.get(&format!("/api/plans/{id}")).await;
    assert_eq!(plan_json["tiltak"].as_array().map(Vec::len), Some(49));
    assert_eq!(
        plan_json["tiltak_tables"][0]["section"],
        "planprosessen.tiltak"
    );
    let groups = plan_json["tiltak_tables"][0]["groups"]
        .as_array()
        .expect("groups");
    let order: Vec<(&str, usize)> = groups
        .iter()
        .map(|g| {
            (
                g["value"].as_str().unwrap_or("-"),
                g["rows"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("forebygging", 8),
            ("tidlig_innsats", 10),
            ("livskvalitet", 31)
        ]
    );
    // An import file's blanks stay blank: no status the source did not have.
    let blank = plan_json["tiltak"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["status"] == "")
        .count();
    assert_eq!(blank, 27);

    drop(watcher);
    let dir = app.stop().await;
    let again = TestApp::spawn_on(&db, |_| {}).await;
    let api = Api::new(&again);
    let (_, after) = api.get(&format!("/api/plans/{id}")).await;
    assert_eq!(after["tiltak"], plan_json["tiltak"]);
    again.stop().await;
    drop(dir);
}

#[tokio::test]
async fn a_patch_changes_one_row_for_everyone() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let id = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    let (_, created) = api
        .post(
            &format!("/api/plans/{id}/tiltak"),
            &json!([{"strategi": "forebygging", "tiltak": "Foreldremøter om alkohol"}]),
        )
        .await;
    let row = created["ids"][0].as_str().expect("row id").to_owned();
    let mut watcher = app.client(id.parse().expect("id")).await;
    let (status, patched) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/plans/{id}/tiltak/{row}"),
            json!({"status": "pabegynt", "ansvarlig": "SaLTo", "frist": "2026"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["status"], "pabegynt");
    assert_eq!(patched["ansvarlig"], json!(["SaLTo"]));
    watcher
        .wait_for(|c| {
            let rows = c.doc().get_or_insert_array("tiltak");
            rows.to_json(&c.doc().transact())
                .to_string()
                .contains("SaLTo")
        })
        .await;
    let (_, completeness) = api.get(&format!("/api/plans/{id}/completeness")).await;
    assert_eq!(completeness["counts"]["tiltak_rows"], 1);
    assert_eq!(completeness["counts"]["incomplete_rows"], 0);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_names_the_problem_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let id = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    let plan: samskriv::plan::PlanId = id.parse().expect("id");
    let log_before = app.storage.log_len(plan).await.expect("log");
    let tiltak = format!("/api/plans/{id}/tiltak");

    let cases: Vec<(&str, String, String, StatusCode, &str)> = vec![
        (
            "unknown enum",
            tiltak.clone(),
            json!([{"strategi": "reparasjon"}]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "forebygging, tidlig_innsats, livskvalitet",
        ),
        (
            "unknown field",
            tiltak.clone(),
            json!([{"ansvar": "NAV"}]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ansvar",
        ),
        (
            "wrong type",
            tiltak.clone(),
            json!([{"tiltak": 5}]).to_string(),
            StatusCode::BAD_REQUEST,
            "tiltak",
        ),
        (
            "row not an object",
            tiltak.clone(),
            json!([1]).to_string(),
            StatusCode::BAD_REQUEST,
            "rows[0]",
        ),
        (
            "oversize text",
            tiltak.clone(),
            json!([{"tiltak": "x".repeat(20_000)}]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tiltak",
        ),
        (
            "broken JSON",
            tiltak.clone(),
            "[{".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid JSON",
        ),
        (
            "second row bad",
            tiltak.clone(),
            json!([{"tiltak": "ok"}, {"status": "ferdig"}]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rows[1]",
        ),
    ];
    for (name, path, body, status, needle) in cases {
        let (got, response) = api.send(reqwest::Method::POST, &path, body).await;
        assert_eq!(got, status, "{name}: {response}");
        assert!(error_of(&response).contains(needle), "{name}: {response}");
    }
    let (got, response) = api
        .send(
            reqwest::Method::PATCH,
            &format!("{tiltak}/{}", uuid_like()),
            json!({"status": "pabegynt"}).to_string(),
        )
        .await;
    assert_eq!(got, StatusCode::NOT_FOUND, "{response}");
    assert_eq!(
        app.storage.log_len(plan).await.expect("log"),
        log_before,
        "nothing stored"
    );

    let unknown = samskriv::plan::PlanId::new_random();
    for path in [
        format!("/api/plans/{unknown}"),
        format!("/api/plans/{unknown}/completeness"),
    ] {
        assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        api.post(&format!("/api/plans/{unknown}/tiltak"), &json!([]))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("/api/plans/ikke-en-id").await.0,
        StatusCode::BAD_REQUEST
    );

    let plan_cases = [
        (
            json!({"title": "T", "bydel": "Nordstrand", "periode": "2025", "template": "finnes-ikke"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown template",
        ),
        (
            json!({"title": "T", "bydel": "Atlantis", "periode": "2025", "template": "korus-ruspolitisk-handlingsplan"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Søndre Nordstrand",
        ),
        (
            json!({"title": "", "bydel": "Nordstrand", "periode": "2025", "template": "korus-ruspolitisk-handlingsplan"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
        ),
        (
            json!({"title": 3, "bydel": "Nordstrand", "periode": "2025", "template": "korus-ruspolitisk-handlingsplan"}),
            StatusCode::BAD_REQUEST,
            "invalid type",
        ),
        (
            json!({"title": "T"}),
            StatusCode::BAD_REQUEST,
            "missing field",
        ),
    ];
    let plans_before = app.storage.list_plans().await.expect("plans").len();
    for (body, status, needle) in plan_cases {
        let (got, response) = api.post("/api/plans", &body).await;
        assert_eq!(got, status, "{body}: {response}");
        assert!(error_of(&response).contains(needle), "{body}: {response}");
    }
    assert_eq!(
        app.storage.list_plans().await.expect("plans").len(),
        plans_before
    );
    app.stop().await;
}

fn uuid_like() -> String {
    samskriv::plan::PlanId::new_random().to_string()
}

#[tokio::test]
async fn the_plan_page_renders_headings_guidance_and_tiltak() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let id = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    api.post(
        &format!("/api/plans/{id}/tiltak"),
        &json!([{"strategi": "tidlig_innsats", "tiltak": "Rusfrie ungdomsfester <script>alert(1)</script>", "ansvarlig": "Utekontakten"}]),
    )
    .await;
    let (status, html) = api.page(&format!("/plans/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"nb\">"));
    assert!(html.contains("Hvor står vi?"));
    assert!(html.contains("Veiledning"));
    assert!(html.contains("Rusfrie ungdomsfester"));
    assert!(!html.contains("<script>alert(1)"), "user text is escaped");
    assert!(html.contains("Utekontakten"));
    assert!(html.contains("Før planen sendes til BU"));

    // The panel alone, as the editor fetches it to keep it current, is the page's panel.
    let (status, panel) = api.page(&format!("/plans/{id}/mangler")).await;
    assert_eq!(status, StatusCode::OK);
    let panel = panel.trim();
    assert!(
        panel.starts_with("<section class=\"mangler\" id=\"mangler\""),
        "{panel}"
    );
    assert!(panel.contains("data-kind=\"tomme\""), "{panel}");
    assert!(html.contains(panel), "the fragment is the page's own panel");

    let (status, _) = api
        .page(&format!("/plans/{}", samskriv::plan::PlanId::new_random()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn the_plan_list_and_its_form_create_a_plan() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let response = api
        .http
        .post(format!("{}/plans", api.base))
        .form(&[
            ("title", "Handlingsplan Bydel Alna"),
            ("bydel", "Alna"),
            ("periode", "2026–2029"),
            ("template", "korus-ruspolitisk-handlingsplan@1"),
        ])
        .send()
        .await
        .expect("form post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with("/plans/"));
    let (status, html) = api.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Handlingsplan Bydel Alna"));
    assert!(html.contains("Ny plan"));
    let (status, html) = api.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Handlingsplan Bydel Alna"));
    app.stop().await;
}
