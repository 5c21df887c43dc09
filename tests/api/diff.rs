//! What changed between versions: `GET /api/plans/{id}/diff` and the «Endringer» page. Two
//! frozen versions with edits between them (a tiltak's status and text changed, a tiltak added,
//! a paragraph rewritten): the API names the changed tiltak by the number the plan prints, with
//! old and new values; `to=current`; refusals (422, 404, 403); the page marks insertions and
//! deletions in words as well as with `<ins>` and `<del>`.

use reqwest::StatusCode;
use samskriv::document;
use serde_json::{Value, json};

use crate::helpers::*;

const KORUS: &str = "korus-ruspolitisk-handlingsplan@1";
const SECTION: &str = "innledning.hva-er-planen";

async fn freeze(api: &Api, plan: &str, name: &str) -> String {
    let (status, version) = api
        .post(
            &format!("/api/plans/{plan}/versions"),
            &json!({"name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    version["id"].as_str().expect("version id").to_owned()
}

async fn write_prose(app: &TestApp, plan: &str, paragraphs: &'static [&'static str]) {
    let template = samskriv::templates::TemplateRegistry::builtin()
        .expect("built-in templates")
        .get(KORUS)
        .expect("korus template")
        .clone();
    app.registry
        .edit(plan.parse().expect("plan id"), move |txn| {
            document::set_prose_paragraphs(txn, &template, SECTION, paragraphs)
        })
        .await
        .expect("room")
        .expect("edit");
}

/// The number a row is printed with, read from the plan API's tables (rows in print order per
/// tiltak section in use) and the section numbers of its structure.
fn printed_number(plan: &Value, row: &str) -> String {
    fn sections(tree: &Value, out: &mut Vec<(String, String)>) {
        for section in tree.as_array().into_iter().flatten() {
            out.push((
                section["id"].as_str().unwrap_or_default().to_owned(),
                section["number"].as_str().unwrap_or_default().to_owned(),
            ));
            sections(&section["children"], out);
        }
    }
    let mut numbers = Vec::new();
    sections(&plan["structure"], &mut numbers);
    for table in plan["tiltak_tables"].as_array().expect("tables") {
        let rows: Vec<&str> = table["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .flat_map(|group| group["rows"].as_array().expect("rows"))
            .filter_map(Value::as_str)
            .collect();
        if let Some(at) = rows.iter().position(|id| *id == row) {
            let section = table["section"].as_str().expect("section");
            let (_, number) = numbers
                .iter()
                .find(|(id, _)| id == section)
                .expect("the table's section");
            return format!("{number}-{}", at + 1);
        }
    }
    panic!("row {row} is not printed");
}

/// A plan with three tiltak and a paragraph, frozen as «Høringsutkast»; then a tiltak's status
/// and text changed, a tiltak added and the paragraph rewritten, frozen as «Vedtatt i BU».
struct TwoVersions {
    app: TestApp,
    api: Api,
    plan: String,
    changed_row: String,
    added_row: String,
    v1: String,
    v2: String,
}

async fn two_versions() -> TwoVersions {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let plan = api.create_plan(KORUS).await;
    let (status, rows) = api
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([
                {"strategi": "forebygging", "tiltak": "Foreldremøter om alkohol", "status": "ikke_startet"},
                {"strategi": "forebygging", "tiltak": "Skjenkekontroller i samarbeid med politiet", "status": "ikke_startet"},
                {"strategi": "livskvalitet", "tiltak": "Lavterskel møteplass for voksne", "status": "ikke_startet"}
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    let changed_row = rows["ids"][1].as_str().expect("row id").to_owned();
    write_prose(
        &app,
        &plan,
        &[
            "Bydelen har fire tiltak mot alkohol blant unge.",
            "Et avsnitt som står.",
        ],
    )
    .await;
    let v1 = freeze(&api, &plan, "Høringsutkast").await;

    let (status, patched) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/plans/{plan}/tiltak/{changed_row}"),
            json!({"status": "pabegynt", "tiltak": "Skjenkekontroller hver måned i samarbeid med politiet"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let (status, rows) = api
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([{"strategi": "livskvalitet", "tiltak": "Nytt tiltak etter høringen", "status": "ikke_startet"}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    let added_row = rows["ids"][0].as_str().expect("row id").to_owned();
    write_prose(
        &app,
        &plan,
        &[
            "Bydelen har fem nye tiltak mot alkohol blant unge.",
            "Et avsnitt som står.",
        ],
    )
    .await;
    let v2 = freeze(&api, &plan, "Vedtatt i BU").await;
    TwoVersions {
        app,
        api,
        plan,
        changed_row,
        added_row,
        v1,
        v2,
    }
}

#[tokio::test]
async fn the_diff_names_the_changed_tiltak_by_number_with_old_and_new_values() {
    let TwoVersions {
        app,
        api,
        plan,
        changed_row,
        added_row,
        v1,
        v2,
    } = two_versions().await;
    let (status, body) = api
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to={v2}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["from"]["id"], v1.as_str());
    assert_eq!(body["from"]["version"]["name"], "Høringsutkast");
    assert_eq!(body["to"]["version"]["name"], "Vedtatt i BU");

    let (_, live) = api.get(&format!("/api/plans/{plan}")).await;
    let number = printed_number(&live, &changed_row);
    let tiltak = body["tiltak"].as_array().expect("tiltak");
    assert_eq!(tiltak.len(), 2, "{body:#}");
    let changed = tiltak
        .iter()
        .find(|row| row["id"] == changed_row.as_str())
        .expect("the changed row");
    assert_eq!(changed["change"], "changed");
    assert_eq!(changed["number"], number.as_str());
    assert_eq!(changed["name"], format!("tiltak {number}").as_str());
    let field = |name: &str| {
        changed["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|field| field["field"] == name)
            .unwrap_or_else(|| panic!("{name} in {changed:#}"))
            .clone()
    };
    let status_change = field("status");
    assert_eq!(status_change["label"], "Status");
    assert_eq!(status_change["old"], "Ikke startet");
    assert_eq!(status_change["new"], "Påbegynt");
    let text = field("tiltak");
    assert_eq!(text["old"], "Skjenkekontroller i samarbeid med politiet");
    assert_eq!(
        text["new"],
        "Skjenkekontroller hver måned i samarbeid med politiet"
    );
    assert_eq!(
        text["runs"],
        json!([
            {"kind": "same", "text": "Skjenkekontroller "},
            {"kind": "inserted", "text": "hver måned "},
            {"kind": "same", "text": "i samarbeid med politiet"}
        ])
    );

    let added = tiltak
        .iter()
        .find(|row| row["id"] == added_row.as_str())
        .expect("the added row");
    assert_eq!(added["change"], "added");
    assert_eq!(added["number"], printed_number(&live, &added_row).as_str());
    assert_eq!(body["counts"]["tiltak_added"], 1);
    assert_eq!(body["counts"]["tiltak_changed"], 1);

    let section = body["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|section| section["id"] == SECTION)
        .expect("the rewritten section");
    assert_eq!(section["paragraphs"].as_array().map(Vec::len), Some(1));
    let runs = &section["paragraphs"][0]["runs"];
    assert!(
        runs.as_array()
            .expect("runs")
            .contains(&json!({"kind": "deleted", "text": "fire"})),
        "{runs:#}"
    );
    assert!(
        runs.as_array()
            .expect("runs")
            .contains(&json!({"kind": "inserted", "text": "fem nye"})),
        "{runs:#}"
    );

    // The same versions the other way round: the added row is removed, by its number then.
    let (status, back) = api
        .get(&format!("/api/plans/{plan}/diff?from={v2}&to={v1}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back["counts"]["tiltak_removed"], 1);
    app.stop().await;
}

#[tokio::test]
async fn to_current_compares_with_the_text_as_it_is_now() {
    let TwoVersions {
        app,
        api,
        plan,
        changed_row,
        v2,
        ..
    } = two_versions().await;
    let (status, body) = api
        .get(&format!("/api/plans/{plan}/diff?from={v2}&to=current"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["to"]["id"], "current");
    assert_eq!(body["to"]["version"], Value::Null);
    assert_eq!(body["tiltak"], json!([]), "nothing changed since v2");

    let (status, _) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/plans/{plan}/tiltak/{changed_row}"),
            json!({"status": "gjennomfort"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .get(&format!("/api/plans/{plan}/diff?from={v2}&to=current"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fields = &body["tiltak"][0]["fields"];
    assert_eq!(fields[0]["old"], "Påbegynt", "{body:#}");
    assert_eq!(fields[0]["new"], "Gjennomført");
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_are_refused_naming_what_is_wrong() {
    let TwoVersions {
        app, api, plan, v1, ..
    } = two_versions().await;
    let missing = "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11";
    for (query, named) in [
        (String::new(), "from"),
        (format!("to={v1}"), "from"),
        (format!("from={v1}"), "to"),
        (format!("from=nope&to={v1}"), "from"),
        (format!("from={v1}&to=nope"), "to"),
        (format!("from=current&to={v1}"), "from"),
    ] {
        let (status, body) = api.get(&format!("/api/plans/{plan}/diff?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        let message = body["error"].as_str().expect("message");
        assert!(
            message.contains(&format!("`{named}`")),
            "{query}: {message}"
        );
    }
    let (status, body) = api
        .get(&format!("/api/plans/{plan}/diff?from={missing}&to={v1}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = api
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to={missing}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .get(&format!("/api/plans/{missing}/diff?from={v1}&to=current"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The page: the form alone without a choice, 422 with a message for a bad one.
    let (status, html) = api.page(&format!("/plans/{plan}/endringer")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Vis endringer") && !html.contains("<ins>"));
    let (status, html) = api
        .page(&format!("/plans/{plan}/endringer?from=nope&to=current"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("role=\"alert\""), "{html}");
    let (status, _) = api
        .page(&format!(
            "/plans/{plan}/endringer?from={missing}&to=current"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn readers_compare_versions_but_not_the_draft() {
    let people = PlanPeople::new().await;
    let plan = people.plan.clone();
    let admin = Api::as_person(&people.app, &people.admin);
    let v1 = freeze(&admin, &plan, "Høringsutkast").await;
    let v2 = freeze(&admin, &plan, "Vedtatt").await;
    let reader = Api::as_person(&people.app, &people.reader);
    let (status, body) = reader
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to=current"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("message")
            .contains("versions")
    );
    let (status, body) = reader
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to={v2}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = reader
        .page(&format!("/plans/{plan}/endringer?from={v1}&to=current"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The reader's form offers versions only.
    let (status, html) = reader.page(&format!("/plans/{plan}/endringer")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("value=\"current\""));
    let outsider = Api::as_person(&people.app, &people.outsider);
    let (status, _) = outsider
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to={v2}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (coordinator_status, _) = Api::as_person(&people.app, &people.coordinator)
        .get(&format!("/api/plans/{plan}/diff?from={v1}&to=current"))
        .await;
    assert_eq!(coordinator_status, StatusCode::OK);
    people.app.stop().await;
}

#[tokio::test]
async fn the_page_marks_insertions_and_deletions_in_words_too() {
    let TwoVersions {
        app,
        api,
        plan,
        changed_row,
        v1,
        v2,
        ..
    } = two_versions().await;
    let (_, live) = api.get(&format!("/api/plans/{plan}")).await;
    let number = printed_number(&live, &changed_row);
    let (status, html) = api
        .page(&format!("/plans/{plan}/endringer?from={v1}&to={v2}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"nb\">"));
    assert!(html.contains(
        "<del><span class=\"endring-merke\"> Fjernet:</span> fire</del><ins><span class=\"endring-merke\"> Lagt til:</span> fem nye</ins>"
    ), "{html}");
    assert!(html.contains(&format!("Tiltak {number}")), "{html}");
    assert!(
        html.contains("<del><span class=\"endring-merke\"> Fjernet:</span> Ikke startet</del>")
    );
    assert!(html.contains("<ins><span class=\"endring-merke\"> Lagt til:</span> Påbegynt</ins>"));
    assert!(html.contains("Nye tiltak (1)") && html.contains("Endrede tiltak (1)"));
    // Links back to the plan and to both versions; the form keeps the choice.
    assert!(html.contains(&format!("href=\"/plans/{plan}\"")));
    assert!(html.contains(&format!("href=\"/plans/{plan}/versions/{v1}\"")));
    assert!(html.contains(&format!("href=\"/plans/{plan}/versions/{v2}\"")));
    assert!(html.contains(&format!("<option value=\"{v1}\" selected>")));
    assert!(html.contains("<label for=\"endringer-fra\">"));
    // The later version's page, and the plan's list of versions, link to these changes.
    // (askama writes the `&` of the link as `&#38;`.)
    let changes = format!("/plans/{plan}/endringer?from={v1}&#38;to={v2}");
    let (_, version_page) = api.page(&format!("/plans/{plan}/versions/{v2}")).await;
    assert!(version_page.contains(&changes), "{version_page}");
    let (_, plan_page) = api.page(&format!("/plans/{plan}")).await;
    assert!(plan_page.contains(&changes));
    assert!(plan_page.contains(&format!("href=\"/plans/{plan}/endringer\"")));
    app.stop().await;
}
