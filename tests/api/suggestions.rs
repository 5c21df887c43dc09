//! Suggestions: an adviser proposes, someone who may edit accepts (applied through the room as
//! their edit: live clients, the API and exports see it) or rejects; who may decide; prose
//! suggestions that went out of date; pending ones out of the exports; live delivery on the
//! comments' event stream; the same across two nodes on PostgreSQL when
//! `SAMSKRIV_TEST_POSTGRES_URL` is set.

use reqwest::StatusCode;
use samskriv::access::Role;
use samskriv::plan::PlanId;
use serde_json::{Value, json};
use yrs::{GetString, Text, Transact};

use crate::comments::{
    PARAGRAPH, SECTION, TEMPLATE, committed, first_text, section_text, text_anchor, write_paragraph,
};
use crate::helpers::*;

/// The KoRus template's title field, and the value the test plan's row starts with.
const TITLE_FIELD: &str = "tiltak";
const ROW_TITLE: &str = "Foreldremøter om alkohol";
const PROPOSED: &str = "Foreldremøter om alkohol og cannabis";
const REJECTED_ROW: &str = "Et nytt tiltak som ble avvist";

fn suggestions(plan: &str) -> String {
    format!("/api/plans/{plan}/suggestions")
}

fn suggestion(plan: &str, id: &str) -> String {
    format!("/api/plans/{plan}/suggestions/{id}")
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// The row's title field in a live client's document.
fn row_title(doc: &yrs::Doc, row: &str) -> Option<String> {
    let template = samskriv::templates::TemplateRegistry::load(None)
        .expect("templates")
        .get(TEMPLATE)
        .cloned()
        .expect("the KoRus template");
    samskriv::document::read_tiltak(&doc.transact(), &template)
        .into_iter()
        .find(|r| r.id == row)
        .map(|r| r.text(TITLE_FIELD))
}

/// The next `suggestion` event for `id` (thread events in between are skipped).
async fn next_suggestion(events: &mut CommentEvents, id: &str) -> Value {
    loop {
        let (name, data) = events.next().await;
        if name == "suggestion" && data["id"] == id {
            return data;
        }
    }
}

async fn markdown(api: &Api, plan: &str) -> String {
    let (status, _, body) = api.download(&format!("/plans/{plan}/export.md")).await;
    assert_eq!(status, StatusCode::OK);
    String::from_utf8(body).expect("UTF-8")
}

#[tokio::test]
async fn an_advisers_tiltak_suggestion_accepted_by_the_coordinator_changes_the_row() {
    let f = PlanPeople::new().await;
    let adviser = f.api(&f.adviser);
    let coordinator = f.api(&f.coordinator);
    let mut live = TestClient::connect_as(&f.app.ws_url(&f.plan), &f.editor).await;
    live.wait_for(|c| row_title(c.doc(), &f.row).as_deref() == Some(ROW_TITLE))
        .await;
    let mut page = CommentEvents::open(&f.api(&f.editor), &f.plan).await;

    let (status, made) = adviser
        .post(
            &suggestions(&f.plan),
            &json!({"row": f.row, "field": TITLE_FIELD, "value": PROPOSED}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = id_of(&made);
    assert_eq!(made["kind"], "field");
    assert_eq!(made["status"], "open");
    assert_eq!(made["original"], ROW_TITLE);
    assert_eq!(made["current"], ROW_TITLE);
    assert_eq!(made["value"], PROPOSED);
    assert_eq!(made["stale"], false);
    assert_eq!(made["author"]["name"], f.adviser.name.as_str());
    assert_eq!(made["author"]["unit"], "KoRus");
    assert!(made["tiltak_number"].is_string(), "{made}");
    let seen = next_suggestion(&mut page, &id).await;
    assert_eq!(seen["status"], "open");

    // Pending: not in the document, not in the exports.
    assert!(!markdown(&coordinator, &f.plan).await.contains(PROPOSED));
    let (_, listed) = adviser
        .get(&format!("{}?status=open", suggestions(&f.plan)))
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // Advisers and readers may not accept, even their own.
    for person in [&f.adviser, &f.reader] {
        let (status, body) = f
            .api(person)
            .post(&format!("{}/accept", suggestion(&f.plan, &id)), &json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, _) = f
        .api(&f.outsider)
        .post(&format!("{}/accept", suggestion(&f.plan, &id)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(row_title(live.doc(), &f.row).as_deref(), Some(ROW_TITLE));

    // A version frozen before it is accepted, to compare with afterwards.
    let (status, version) = coordinator
        .post(
            &format!("/api/plans/{}/versions", f.plan),
            &json!({"name": "Før forslaget"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let (status, accepted) = coordinator
        .post(&format!("{}/accept", suggestion(&f.plan, &id)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["author"]["name"], f.adviser.name.as_str());
    assert_eq!(accepted["decided_by"]["name"], f.coordinator.name.as_str());
    assert_eq!(accepted["current"], PROPOSED);
    // Live clients, open pages, the API and the exports all see it.
    live.wait_for(|c| row_title(c.doc(), &f.row).as_deref() == Some(PROPOSED))
        .await;
    assert_eq!(next_suggestion(&mut page, &id).await["status"], "accepted");
    let (_, plan) = coordinator.get(&format!("/api/plans/{}", f.plan)).await;
    let row = plan["tiltak"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == f.row.as_str()))
        .expect("the row");
    assert_eq!(row[TITLE_FIELD], PROPOSED);
    assert!(markdown(&coordinator, &f.plan).await.contains(PROPOSED));
    // The comparison of versions shows it like any other edit.
    let (status, diff) = coordinator
        .get(&format!(
            "/api/plans/{}/diff?from={}&to=current",
            f.plan,
            id_of(&version)
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    let changed = diff["tiltak"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == f.row.as_str()))
        .unwrap_or_else(|| panic!("the row in the comparison: {diff:#}"));
    let title = changed["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|x| x["field"] == TITLE_FIELD))
        .unwrap_or_else(|| panic!("the title in the comparison: {changed:#}"));
    assert_eq!(
        (title["old"].clone(), title["new"].clone()),
        (json!(ROW_TITLE), json!(PROPOSED))
    );
    // The edit is the coordinator's in the update log's record of who changed what.
    let plan_id: PlanId = f.plan.parse().expect("plan id");
    let edits = samskriv::storage::activity::last_edits(&f.app.storage.db(), plan_id)
        .await
        .expect("last edits");
    let edit = edits.get("tiltak").expect("the tiltak's last edit");
    assert_eq!(edit.actor_id, format!("user:{}", f.coordinator.id));

    // Decided once only.
    let (status, _) = coordinator
        .post(&format!("{}/accept", suggestion(&f.plan, &id)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = coordinator
        .post(&format!("{}/reject", suggestion(&f.plan, &id)), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    f.app.stop().await;
}

#[tokio::test]
async fn a_rejected_suggestion_leaves_the_plan_unchanged() {
    let f = PlanPeople::new().await;
    let adviser = f.api(&f.adviser);
    let editor = f.api(&f.editor);
    let (status, field) = adviser
        .post(
            &suggestions(&f.plan),
            &json!({"row": f.row, "field": TITLE_FIELD, "value": PROPOSED}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{field}");
    let new_title = "Nytt tiltak foreslått av KoRus";
    let (status, row) = adviser
        .post(
            &suggestions(&f.plan),
            &json!({"new_row": {"strategi": "forebygging", "tiltak": new_title}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["kind"], "row");
    assert!(!markdown(&editor, &f.plan).await.contains(new_title));

    // Completeness warns while suggestions are open: a version frozen now would leave them.
    let completeness = format!("/api/plans/{}/completeness", f.plan);
    let (_, missing) = editor.get(&completeness).await;
    assert_eq!(missing["counts"]["open_suggestions"], 2, "{missing}");
    assert_eq!(missing["complete"], false);
    assert_eq!(missing["open_suggestions"][0]["count"], 2, "{missing}");
    let (_, page) = editor.page(&format!("/plans/{}", f.plan)).await;
    assert!(page.contains("Forslag som ikke er behandlet (2)"), "{page}");

    // Someone else's suggestion: the adviser may not reject it; the editor may, with a reason.
    let (status, own) = f
        .api(&f.coordinator)
        .post(
            &suggestions(&f.plan),
            &json!({"row": f.row, "field": TITLE_FIELD, "value": "Koordinatorens forslag"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let (status, _) = adviser
        .post(
            &format!("{}/reject", suggestion(&f.plan, &id_of(&own))),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, rejected) = editor
        .post(
            &format!("{}/reject", suggestion(&f.plan, &id_of(&field))),
            &json!({"reason": "  Vi holder oss til alkohol her.  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "Vi holder oss til alkohol her.");
    assert_eq!(rejected["decided_by"]["name"], f.editor.name.as_str());
    // The author withdraws their own (a reject without a body).
    let (status, withdrawn) = adviser
        .send(
            reqwest::Method::POST,
            &format!("{}/reject", suggestion(&f.plan, &id_of(&row))),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["reason"], Value::Null);
    // Rejected stays rejected.
    let (status, _) = editor
        .post(
            &format!("{}/accept", suggestion(&f.plan, &id_of(&field))),
            &json!({"confirm_stale": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, plan) = editor.get(&format!("/api/plans/{}", f.plan)).await;
    let rows = plan["tiltak"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][TITLE_FIELD], ROW_TITLE);
    let (_, open) = editor
        .get(&format!("{}?status=open", suggestions(&f.plan)))
        .await;
    assert_eq!(open.as_array().map(Vec::len), Some(1));
    let (_, missing) = editor.get(&completeness).await;
    assert_eq!(missing["counts"]["open_suggestions"], 1, "{missing}");
    let (_, rejected) = editor
        .get(&format!("{}?status=rejected", suggestions(&f.plan)))
        .await;
    assert_eq!(rejected.as_array().map(Vec::len), Some(2));
    f.app.stop().await;
}

#[tokio::test]
async fn a_prose_suggestion_edited_since_is_accepted_only_with_confirmation() {
    let f = PlanPeople::new().await;
    let mut writer = f.writer(&f.editor).await;
    let anchor = text_anchor(writer.doc(), SECTION, "unge drikker");
    let (status, made) = f
        .api(&f.adviser)
        .post(
            &suggestions(&f.plan),
            &json!({"anchor": anchor, "text": "ungdom drikker"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = id_of(&made);
    assert_eq!(made["kind"], "text");
    assert_eq!(made["section"], SECTION);
    assert_eq!(made["original"], "unge drikker");
    assert_eq!(made["anchor"]["start"], anchor["start"]);

    // Someone else edits inside the range.
    writer
        .edit(|txn| {
            let text = first_text(txn, SECTION);
            let at = text.get_string(txn).find("drikker").expect("word") as u32;
            text.insert(txn, at, "i Oslo ");
        })
        .await;
    committed(&f.app, &f.plan, Some(&f.admin), &mut writer).await;
    let (_, now) = f.api(&f.editor).get(&suggestion(&f.plan, &id)).await;
    assert_eq!(now["stale"], true);
    assert_eq!(now["original"], "unge drikker");
    assert_eq!(now["current"], "unge i Oslo drikker");

    let coordinator = f.api(&f.coordinator);
    let accept = format!("{}/accept", suggestion(&f.plan, &id));
    let (status, refused) = coordinator.post(&accept, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("confirm_stale")),
        "{refused}"
    );
    assert!(section_text(writer.doc(), SECTION).contains("unge i Oslo drikker"));
    let (status, accepted) = coordinator
        .post(&accept, &json!({"confirm_stale": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let expected = PARAGRAPH.replace("unge drikker", "ungdom drikker");
    writer
        .wait_for(|c| section_text(c.doc(), SECTION) == expected)
        .await;
    f.app.stop().await;
}

#[tokio::test]
async fn only_editors_of_the_sections_unit_or_the_coordinator_decide() {
    let f = PlanPeople::new().await;
    let writer = f.writer(&f.editor).await;
    let plan: PlanId = f.plan.parse().expect("plan id");
    let db = f.app.storage.db();
    samskriv::storage::accounts::set_section_unit(&db, plan, SECTION, Some("Utekontakten"))
        .await
        .expect("unit set");
    let anchor = text_anchor(writer.doc(), SECTION, "mindre");
    let (status, made) = f
        .api(&f.adviser)
        .post(
            &suggestions(&f.plan),
            &json!({"anchor": anchor, "text": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let accept = format!("{}/accept", suggestion(&f.plan, &id_of(&made)));
    // The editor is NAV's; the section is Utekontakten's.
    let (status, body) = f.api(&f.editor).post(&accept, &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    samskriv::storage::accounts::set_section_unit(&db, plan, SECTION, Some("NAV"))
        .await
        .expect("unit set");
    let (status, body) = f.api(&f.editor).post(&accept, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["decided_by"]["unit"], "NAV");
    drop(writer);
    f.app.stop().await;
}

#[tokio::test]
async fn malformed_and_refused_suggestions_are_not_stored() {
    let f = PlanPeople::new().await;
    let writer = f.writer(&f.editor).await;
    let adviser = f.api(&f.adviser);
    let path = suggestions(&f.plan);
    let anchor = text_anchor(writer.doc(), SECTION, "unge");
    let long = "x".repeat(70_000);
    for (body, status, field) in [
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "suggestion"),
        (
            json!({"anchor": anchor, "text": "x", "row": f.row}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "suggestion",
        ),
        (
            json!({"anchor": {"kind": "tiltak", "row": f.row}, "text": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "anchor",
        ),
        (
            json!({"anchor": anchor, "text": "unge"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "suggestion",
        ),
        (
            json!({"row": f.row, "field": "finnes_ikke", "value": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            json!({"row": "ukjent", "field": TITLE_FIELD, "value": "x"}),
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            json!({"row": f.row, "field": TITLE_FIELD, "value": long}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "value",
        ),
        (
            json!({"new_row": {"strategi": "ukjent"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (json!({"odd": 1}), StatusCode::BAD_REQUEST, ""),
    ] {
        let (got, answer) = adviser.post(&path, &body).await;
        assert_eq!(got, status, "{body} → {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(field)),
            "{answer}"
        );
    }
    let (status, _) = f.api(&f.reader).post(&path, &json!({"new_row": {}})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, all) = adviser.get(&path).await;
    assert_eq!(all, json!([]));
    // Ids of another plan, or not ids at all.
    let (status, _) = adviser
        .get(&suggestion(&f.plan, &uuid::Uuid::now_v7().to_string()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = adviser.get(&suggestion(&f.plan, "nei")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    drop(writer);
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_are_made_and_accepted_across_two_nodes_on_postgres() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let one = TestApp::spawn_with_url(&schema.url(), |c| c.open_editing = false).await;
    let two = TestApp::spawn_with_url(&schema.url(), |c| c.open_editing = false).await;
    let admin = one.admin().await;
    let plan = Api::as_person(&one, &admin).create_plan(TEMPLATE).await;
    let plan_id: PlanId = plan.parse().expect("plan id");
    let (status, rows) = Api::as_person(&one, &admin)
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([{"strategi": "forebygging", "tiltak": ROW_TITLE}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    let row = rows["ids"][0].as_str().expect("row id").to_owned();
    let adviser = one
        .person(
            "Ragnhild Rådgiver",
            Some((plan_id, Role::Adviser, Some("KoRus"))),
        )
        .await;
    let coordinator = one
        .person("Kari Koordinator", Some((plan_id, Role::Coordinator, None)))
        .await;
    let editor = one
        .person("Erik Redaktør", Some((plan_id, Role::Editor, Some("NAV"))))
        .await;

    // The editor writes on node one; the coordinator has the plan open on node two.
    let mut writer = TestClient::connect_as(&one.ws_url(&plan), &editor).await;
    writer
        .edit(|txn| write_paragraph(txn, SECTION, PARAGRAPH))
        .await;
    committed(&one, &plan, Some(&admin), &mut writer).await;
    let mut page_on_two = CommentEvents::open(&Api::as_person(&two, &coordinator), &plan).await;
    let mut live_on_two = TestClient::connect_as(&two.ws_url(&plan), &coordinator).await;

    let adviser_one = Api::as_person(&one, &adviser);
    let (status, field) = adviser_one
        .post(
            &suggestions(&plan),
            &json!({"row": row, "field": TITLE_FIELD, "value": PROPOSED}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{field}");
    let anchor = text_anchor(writer.doc(), SECTION, "unge drikker");
    let (status, prose) = adviser_one
        .post(
            &suggestions(&plan),
            &json!({"anchor": anchor, "text": "ungdom drikker"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{prose}");
    let seen = next_suggestion(&mut page_on_two, &id_of(&field)).await;
    assert_eq!(seen["author"]["name"], "Ragnhild Rådgiver");
    next_suggestion(&mut page_on_two, &id_of(&prose)).await;

    // The adviser's accept is refused on either node; the coordinator accepts on node two.
    let adviser_two = Api::as_person(&two, &adviser);
    let (status, _) = adviser_two
        .post(
            &format!("{}/accept", suggestion(&plan, &id_of(&field))),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let coordinator_two = Api::as_person(&two, &coordinator);
    for id in [id_of(&field), id_of(&prose)] {
        let (status, body) = coordinator_two
            .post(&format!("{}/accept", suggestion(&plan, &id)), &json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["decided_by"]["name"], "Kari Koordinator");
    }
    // The writer on node one sees both edits; the page on node two sees both decisions.
    let expected = PARAGRAPH.replace("unge drikker", "ungdom drikker");
    writer
        .wait_for(|c| {
            row_title(c.doc(), &row).as_deref() == Some(PROPOSED)
                && section_text(c.doc(), SECTION) == expected
        })
        .await;
    live_on_two
        .wait_for(|c| row_title(c.doc(), &row).as_deref() == Some(PROPOSED))
        .await;
    assert_eq!(
        next_suggestion(&mut page_on_two, &id_of(&field)).await["status"],
        "accepted"
    );
    // A page on node one learns of the rejection made on node two.
    let mut page_on_one = CommentEvents::open(&Api::as_person(&one, &editor), &plan).await;
    let (status, again) = adviser_one
        .post(
            &suggestions(&plan),
            &json!({"new_row": {"strategi": "forebygging", "tiltak": REJECTED_ROW}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    next_suggestion(&mut page_on_one, &id_of(&again)).await;
    let (status, _) = coordinator_two
        .post(
            &format!("{}/reject", suggestion(&plan, &id_of(&again))),
            &json!({"reason": "Ikke nå"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen = next_suggestion(&mut page_on_one, &id_of(&again)).await;
    assert_eq!(
        (seen["status"].clone(), seen["reason"].clone()),
        (json!("rejected"), json!("Ikke nå"))
    );
    let exported = markdown(&Api::as_person(&one, &coordinator), &plan).await;
    assert!(exported.contains(PROPOSED) && exported.contains(&expected));
    assert!(!exported.contains(REJECTED_ROW));
    drop((writer, live_on_two));
    one.stop().await;
    two.stop().await;
}

/// An adviser and an editor in two real browsers (tests/e2e/suggestions.mjs): the adviser
/// proposes a rewording, the editor sees it inline and accepts it; axe scans both views. Then
/// the server's record of it.
#[tokio::test]
async fn an_adviser_proposes_a_rewording_in_the_browser_and_the_editor_accepts_it() {
    use crate::browser::{BROWSER, check_prerequisites, run_scenario};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    check_prerequisites(&e2e);
    let _one_at_a_time = BROWSER.lock().await;
    let app = TestApp::spawn_with(|c| {
        c.open_editing = false;
        c.live.free_form_roots = false;
    })
    .await;
    let admin = app.admin().await;
    let plan = Api::as_person(&app, &admin)
        .create_plan("korus-ruspolitisk-handlingsplan")
        .await;
    let id: PlanId = plan.parse().expect("plan id");
    let (status, rows) = Api::as_person(&app, &admin)
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([{"strategi": "forebygging", "tiltak": ROW_TITLE}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rows}");
    let adviser = app
        .person("Rita Rådgiver", Some((id, Role::Adviser, Some("KoRus"))))
        .await;
    let editor = app
        .person("Erik NAV", Some((id, Role::Editor, Some("NAV"))))
        .await;
    // localhost: the session cookie is `Secure`, which browsers accept on http://localhost.
    let base = format!("http://localhost:{}", app.addr.port());
    let out_dir = root.join("target/e2e-screenshots/suggestions");
    let summary = run_scenario(
        &e2e,
        "suggestions.mjs",
        &base,
        &plan,
        &out_dir,
        &[
            ("SAMSKRIV_E2E_ADVISER", adviser.sign_in()),
            ("SAMSKRIV_E2E_EDITOR", editor.sign_in()),
        ],
    )
    .await;
    let suggestion_id = summary["suggestion_id"].as_str().expect("suggestion id");
    let (status, record) = Api::as_person(&app, &admin)
        .get(&suggestion(&plan, suggestion_id))
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["status"], "accepted", "{record}");
    assert_eq!(record["author"]["name"], "Rita Rådgiver", "{record}");
    assert_eq!(record["decided_by"]["name"], "Erik NAV", "{record}");
    assert_eq!(record["original"], "hele bydelen", "{record}");
    assert_eq!(record["text"], "alle delene av bydelen", "{record}");
    // The adviser's tiltak suggestion from the panel waits, open, for someone to decide.
    let (_, open) = Api::as_person(&app, &admin)
        .get(&format!("{}?status=open", suggestions(&plan)))
        .await;
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["kind"], "field");
    assert_eq!(open[0]["value"], summary["row_suggestion"]);
    assert_eq!(open[0]["author"]["name"], "Rita Rådgiver");
    // The new tiltak proposed in the browser was accepted with only what she filled in.
    let (_, accepted) = Api::as_person(&app, &admin)
        .get(&format!("{}?status=accepted", suggestions(&plan)))
        .await;
    let row = accepted
        .as_array()
        .and_then(|all| all.iter().find(|s| s["kind"] == "row"))
        .unwrap_or_else(|| panic!("no accepted new row: {accepted}"));
    assert_eq!(
        row["new_row"],
        json!({"tiltak": summary["new_row"], "status": "pabegynt"}),
        "{row}"
    );
    assert_eq!(row["decided_by"]["name"], "Erik NAV", "{row}");
    app.stop().await;
}

#[tokio::test]
async fn an_acceptance_the_plan_refuses_leaves_the_suggestion_open() {
    let f = PlanPeople::new().await;
    let coordinator = f.api(&f.coordinator);
    let goals = format!("/api/plans/{}/goals", f.plan);
    let (status, goal) = coordinator
        .post(&goals, &json!({"title": "Færre unge drikker"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{goal}");
    let goal = id_of(&goal);
    let (status, made) = f
        .api(&f.adviser)
        .post(
            &suggestions(&f.plan),
            &json!({"row": f.row, "field": "mal", "value": [goal]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    // The goal goes before anyone accepts: the value is no longer one the plan takes.
    let (status, _) = coordinator
        .send(reqwest::Method::DELETE, &format!("{goals}/{goal}"), "")
        .await;
    assert!(status.is_success(), "{status}");
    let path = suggestion(&f.plan, &id_of(&made));
    let (status, refused) = coordinator
        .post(&format!("{path}/accept"), &json!({"confirm_stale": true}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, now) = coordinator.get(&path).await;
    assert_eq!(now["status"], "open", "{now}");
    assert_eq!(now["decided_by"], Value::Null);
    let (_, plan) = coordinator.get(&format!("/api/plans/{}", f.plan)).await;
    assert_eq!(plan["tiltak"][0]["mal"], json!([]));
    // It can still be rejected.
    let (status, _) = coordinator
        .post(&format!("{path}/reject"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    f.app.stop().await;
}
