//! The plan's own shape (issue 12): its sections, goals and checklist items through the API,
//! the template as the one definition of the tiltak table (a third template end to end), blanks
//! that stay blank, and live writes outside the plan's layout refused.

use reqwest::{Method, StatusCode};
use samskriv::access::Role;
use samskriv::plan::PlanId;
use serde_json::{Value, json};
use yrs::{Array, Map, MapPrelim, Text, WriteTxn};

use crate::helpers::{Api, Person, TestApp, TestClient};

const NORDSTRAND: &str = include_str!("../../templates/demo/nordstrand-tiltak.json");

/// A server that checks live writes against the plan's layout, as in production, with a plan
/// from `template`, its coordinator and an editor.
struct Shaped {
    app: TestApp,
    plan: String,
    coordinator: Person,
    editor: Person,
}

impl Shaped {
    async fn new(template: &str) -> Shaped {
        Self::with_templates(template, None).await
    }

    async fn with_templates(template: &str, dir: Option<&str>) -> Shaped {
        let dir = dir.map(std::path::PathBuf::from);
        let app = TestApp::spawn_with(move |c| {
            c.open_editing = false;
            c.live.free_form_roots = false;
            c.templates_dir = dir;
        })
        .await;
        let admin = app.admin().await;
        let plan = Api::as_person(&app, &admin).create_plan(template).await;
        let id: PlanId = plan.parse().expect("plan id");
        let coordinator = app
            .person("Kari Koordinator", Some((id, Role::Coordinator, None)))
            .await;
        let editor = app
            .person("Erik Redaktør", Some((id, Role::Editor, Some("NAV"))))
            .await;
        Shaped {
            app,
            plan,
            coordinator,
            editor,
        }
    }

    fn coordinator(&self) -> Api {
        Api::as_person(&self.app, &self.coordinator)
    }

    fn editor(&self) -> Api {
        Api::as_person(&self.app, &self.editor)
    }

    async fn plan_json(&self) -> Value {
        let (status, plan) = self
            .coordinator()
            .get(&format!("/api/plans/{}", self.plan))
            .await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        plan
    }

    async fn markdown(&self) -> String {
        let (status, _, bytes) = self
            .coordinator()
            .download(&format!("/plans/{}/export.md", self.plan))
            .await;
        assert_eq!(status, StatusCode::OK);
        String::from_utf8(bytes).expect("UTF-8")
    }
}

/// Every node of a structure tree, depth first.
fn nodes(tree: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for node in tree.as_array().into_iter().flatten() {
        out.push(node);
        out.extend(nodes(&node["children"]));
    }
    out
}

fn node<'a>(plan: &'a Value, id: &str) -> Option<&'a Value> {
    nodes(&plan["structure"])
        .into_iter()
        .find(|n| n["id"] == id)
}

#[tokio::test]
async fn the_plan_carries_its_structure_goals_and_tiltak_schema() {
    let s = Shaped::new("korus-ruspolitisk-handlingsplan").await;
    let plan = s.plan_json().await;
    let tiltak = node(&plan, "planprosessen.tiltak").expect("tiltak section");
    assert_eq!(tiltak["kind"], "tiltak");
    assert_eq!(tiltak["in_use"], true);
    assert_eq!(tiltak["local"], false);
    assert_eq!(tiltak["number"], "4.5");
    assert_eq!(
        node(&plan, "hvor-star-vi.nokkeltall-tabell").expect("figures")["kind"],
        "figures"
    );
    assert_eq!(plan["goals"], json!([]));
    assert_eq!(plan["tiltak_schema"]["group_by"], "strategi");
    let fields: Vec<&str> = plan["tiltak_schema"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(
        fields.contains(&"mal") && fields.contains(&"indikator"),
        "{fields:?}"
    );
    s.app.stop().await;
}

#[tokio::test]
async fn the_coordinator_adds_renames_sets_aside_moves_and_deletes_sections() {
    let s = Shaped::new("korus-ruspolitisk-handlingsplan").await;
    let api = s.coordinator();
    let sections = format!("/api/plans/{}/sections", s.plan);

    let (status, first) = api
        .post(
            &sections,
            &json!({"parent": "hvor-star-vi", "heading": "Bydelens tjenester", "kind": "prose"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let first = first["id"].as_str().expect("id").to_owned();
    assert!(first.starts_with("hvor-star-vi.lokal-"), "{first}");
    let (_, second) = api
        .post(
            &sections,
            &json!({"parent": "hvor-star-vi", "heading": "Kommunerevisjonens rapport", "kind": "appendix"}),
        )
        .await;
    let second = second["id"].as_str().expect("id").to_owned();

    // Rename a template heading, set one aside, and put the second local section first.
    for (id, patch) in [
        ("innledning", json!({"heading": "Innledning og bakgrunn"})),
        ("hvor-bor-vi-ga.fokus", json!({"in_use": false})),
        (second.as_str(), json!({"after": ""})),
    ] {
        let (status, body) = api
            .send(
                Method::PATCH,
                &format!("{sections}/{id}"),
                patch.to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{id}: {body}");
    }
    let plan = s.plan_json().await;
    let innledning = node(&plan, "innledning").expect("innledning");
    assert_eq!(innledning["heading"], "Innledning og bakgrunn");
    assert_eq!(innledning["template_heading"], "Innledning");
    let fokus = node(&plan, "hvor-bor-vi-ga.fokus").expect("fokus");
    assert_eq!(
        (&fokus["in_use"], &fokus["number"]),
        (&json!(false), &json!(""))
    );
    let children: Vec<&str> = node(&plan, "hvor-star-vi").expect("chapter")["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    let at = |id: &str| children.iter().position(|c| *c == id).expect("child");
    assert!(
        at(&second) < at(&first),
        "moved first among the local ones: {children:?}"
    );
    assert!(
        at("hvor-star-vi.plandokumenter") < at(&second),
        "after the template's own"
    );
    assert_eq!(node(&plan, &first).expect("local")["local"], true);

    // The markdown follows the plan: its headings, without the section set aside.
    let markdown = s.markdown().await;
    assert!(markdown.contains("Innledning og bakgrunn"), "{markdown}");
    assert!(markdown.contains("Bydelens tjenester"));
    assert!(!markdown.contains("Hvilket fokus skal bydelen ha?"));

    // Refusals: an editor may not shape the plan; a template section cannot be deleted; a
    // bad kind or an empty heading names the field.
    let (status, _) = s
        .editor()
        .post(&sections, &json!({"heading": "X", "kind": "prose"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = api
        .send(Method::DELETE, &format!("{sections}/innledning"), "")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = api
        .post(&sections, &json!({"heading": "X", "kind": "tiltak"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap_or_default().contains("kind"),
        "{body}"
    );
    let (status, body) = api
        .send(
            Method::PATCH,
            &format!("{sections}/{first}"),
            json!({"heading": " "}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("heading"),
        "{body}"
    );
    let (status, _) = api
        .send(
            Method::PATCH,
            &format!("{sections}/finnes-ikke"),
            json!({"in_use": false}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = api
        .send(Method::DELETE, &format!("{sections}/{first}"), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(node(&s.plan_json().await, &first).is_none());
    s.app.stop().await;
}

#[tokio::test]
async fn a_checklist_takes_the_plans_own_items_and_one_tick_completes_it() {
    let s = Shaped::new("korus-ruspolitisk-handlingsplan").await;
    let api = s.coordinator();
    let (status, item) = api
        .post(
            &format!("/api/plans/{}/checklist/hvor-star-vi.plandokumenter/items", s.plan),
            &json!({"label": "Bydelens plan for psykisk helse", "group": "Bydelens egne mål og overordnede strategiske planer", "year": "2022"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let key = item["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("hvor-star-vi.plandokumenter/"));
    let plan = s.plan_json().await;
    assert_eq!(plan["checklist"][&key], false, "listed, not ticked");
    assert_eq!(plan["checklist_items"][0]["year"], "2022");

    let (status, _) = api
        .post(
            &format!("/api/plans/{}/checklist/innledning/items", s.plan),
            &json!({"label": "X"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not a checklist");

    // An idébank is done with one item ticked: tick the new one live.
    let (_, before) = api
        .get(&format!("/api/plans/{}/completeness", s.plan))
        .await;
    let empty = |c: &Value| {
        c["empty_checklists"]
            .as_array()
            .expect("list")
            .iter()
            .any(|e| e["id"] == "hvor-star-vi.plandokumenter")
    };
    assert!(empty(&before));
    let id: PlanId = s.plan.parse().expect("id");
    let mut live = TestClient::connect_as(&s.app.ws_url(id), &s.editor).await;
    live.edit(|txn| {
        txn.get_or_insert_map("checklist")
            .insert(txn, key.as_str(), true);
    })
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, after) = api
            .get(&format!("/api/plans/{}/completeness", s.plan))
            .await;
        if !empty(&after) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the tick arrived: {after}"
        );
        live.pump_for(std::time::Duration::from_millis(100)).await;
    }
    assert!(live.denied.is_empty(), "{:?}", live.denied);
    s.app.stop().await;
}

#[tokio::test]
async fn plan_goals_are_kept_by_the_coordinator_and_linked_from_tiltak() {
    let s = Shaped::new("korus-ruspolitisk-handlingsplan").await;
    let api = s.coordinator();
    let goals = format!("/api/plans/{}/goals", s.plan);
    let (status, created) = api
        .post(
            &goals,
            &json!({"title": "Færre unge debuterer tidlig med alkohol", "description": "Ung i Oslo", "strategi": ["forebygging"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let goal = created["id"].as_str().expect("id").to_owned();
    let (status, body) = api
        .post(&goals, &json!({"title": "X", "strategi": ["reparasjon"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("strategi"),
        "{body}"
    );
    let (status, _) = s.editor().post(&goals, &json!({"title": "X"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, patched) = api
        .send(
            Method::PATCH,
            &format!("{goals}/{goal}"),
            json!({"title": "Færre unge drikker seg beruset"}).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["description"], "Ung i Oslo");

    // A tiltak serves the goal; an unknown goal id is refused, naming the field.
    let rows = format!("/api/plans/{}/tiltak", s.plan);
    let (status, made) = s
        .editor()
        .post(
            &rows,
            &json!([{"tiltak": "Foreldremøter", "strategi": "forebygging", "mal": [goal]}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, body) = s
        .editor()
        .post(&rows, &json!([{"tiltak": "X", "mal": ["ikke-et-mal"]}]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap_or_default().contains("mal"),
        "{body}"
    );
    let plan = s.plan_json().await;
    assert_eq!(plan["tiltak"][0]["mal"], json!([goal]));
    assert_eq!(plan["goals"][0]["title"], "Færre unge drikker seg beruset");
    let markdown = s.markdown().await;
    assert!(
        markdown.contains("Færre unge drikker seg beruset"),
        "{markdown}"
    );

    // Deleting the goal removes its links too.
    let (status, _) = api
        .send(Method::DELETE, &format!("{goals}/{goal}"), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let plan = s.plan_json().await;
    assert_eq!(plan["goals"], json!([]));
    assert_eq!(plan["tiltak"][0]["mal"], json!([]));
    s.app.stop().await;
}

#[tokio::test]
async fn imported_rows_keep_their_blanks_and_every_value_reaches_the_export() {
    let s = Shaped::new("korus-ruspolitisk-handlingsplan").await;
    let (status, body) = s
        .editor()
        .send(
            Method::POST,
            &format!("/api/plans/{}/tiltak", s.plan),
            NORDSTRAND,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let plan = s.plan_json().await;
    let rows = plan["tiltak"].as_array().expect("rows");
    let blank = rows.iter().filter(|r| r["status"] == "").count();
    assert_eq!(
        blank, 27,
        "Nordstrand's 27 rows without a status stay without one"
    );
    assert_eq!(rows[1]["ansvarlig"], json!(["Forebyggende tjenester"]));

    let markdown = s.markdown().await;
    assert_eq!(markdown.matches("Påbegynt").count(), 22, "{markdown}");
    assert!(
        !markdown.contains("Ikke startet"),
        "no status the source did not have"
    );
    for column in [
        "Innsatsområde",
        "Ansvarlig",
        "Status",
        "Forebyggende tjenester",
    ] {
        assert!(markdown.contains(column), "{column} in the export");
    }

    // A row made now (a bare array) gets the template's default.
    let (_, made) = s
        .editor()
        .post(
            &format!("/api/plans/{}/tiltak", s.plan),
            &json!([{"tiltak": "Nytt"}]),
        )
        .await;
    let id = made["ids"][0].as_str().expect("id");
    let plan = s.plan_json().await;
    let row = plan["tiltak"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["id"] == id)
        .expect("row");
    assert_eq!(row["status"], "ikke_startet");
    s.app.stop().await;
}

#[tokio::test]
async fn a_template_with_other_columns_works_from_the_api_to_the_exports() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/templates-kostnad"
    );
    let s = Shaped::with_templates("kostnadsplan", Some(dir)).await;
    let api = s.coordinator();
    let (_, goal) = api
        .post(
            &format!("/api/plans/{}/goals", s.plan),
            &json!({"title": "Tryggere nærmiljø"}),
        )
        .await;
    let goal = goal["id"].as_str().expect("goal").to_owned();
    let rows = format!("/api/plans/{}/tiltak", s.plan);
    let (status, body) = s
        .editor()
        .post(
            &rows,
            &json!([
                {"tiltak": "Natteravner i helgene", "fase": ["gjennomforing", "planlegging"], "kostnad": "12 500", "ansvarlig": ["SaLTo", "Frivillige"], "mal": [goal]},
                {"tiltak": "Kartlegging", "fase": ["planlegging"]}
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = s
        .editor()
        .post(&rows, &json!([{"tiltak": "X", "kostnad": "tolv"}]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("kostnad"),
        "{body}"
    );
    let (status, body) = s
        .editor()
        .post(&rows, &json!([{"tiltak": "X", "niva": "gruppe"}]))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no niva here: {body}"
    );

    let plan = s.plan_json().await;
    assert_eq!(plan["tiltak_schema"]["group_by"], "fase");
    let table = &plan["tiltak_tables"][0];
    assert_eq!(table["section"], "tiltak");
    let labels: Vec<&str> = table["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        ["Planlegging"],
        "each row printed once, in its first group"
    );
    // The second row lacks the required kostnad: completeness names it by number and place.
    let (_, completeness) = api
        .get(&format!("/api/plans/{}/completeness", s.plan))
        .await;
    let missing = &completeness["incomplete_tiltak"][0];
    assert_eq!(missing["number"], 2);
    assert_eq!(missing["missing"][0]["name"], "kostnad");
    assert!(
        missing["place"]
            .as_str()
            .unwrap_or_default()
            .contains("Planlegging")
    );

    let markdown = s.markdown().await;
    for text in [
        "Kostnad (kr)",
        "12 500",
        "SaLTo, Frivillige",
        "Tryggere nærmiljø",
        "Også under:** Gjennomføring",
    ] {
        assert!(markdown.contains(text), "{text} in:\n{markdown}");
    }
    assert!(!markdown.contains("Nivå") && !markdown.contains("Strategi"));
    let (status, _, pdf) = api.download(&format!("/plans/{}/export.pdf", s.plan)).await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(
        text.contains("Kostnad") && text.contains("12 500"),
        "{text}"
    );

    // The page shows the template's columns and hands the schema to the editor.
    let (status, page) = api.page(&format!("/plans/{}", s.plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Kostnad (kr)") && page.contains("\"group_by\":\"fase\""));
    s.app.stop().await;
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("plan.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_live_write_outside_the_plans_layout_is_refused_and_never_stored() {
    let s = Shaped::new("korus-ruspolitisk-handlingsplan").await;
    let id: PlanId = s.plan.parse().expect("id");
    let url = s.app.ws_url(id);
    let log = || s.app.storage.log_len(id);
    let before = log().await.expect("log");

    type Change = Box<dyn FnOnce(&mut yrs::TransactionMut)>;
    let refused: Vec<(&str, Change)> = vec![
        (
            "a top-level type the plan does not have",
            Box::new(|txn| {
                txn.get_or_insert_text("notater").push(txn, "hei");
            }),
        ),
        (
            "a key a tiltak row does not have",
            Box::new(|txn| {
                txn.get_or_insert_array("tiltak").push_back(
                    txn,
                    MapPrelim::from([
                        ("id", "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11"),
                        ("budsjett", "9"),
                    ]),
                );
            }),
        ),
        (
            "a checklist item the plan does not have",
            Box::new(|txn| {
                txn.get_or_insert_map("checklist").insert(
                    txn,
                    "hvor-star-vi.nokkeltall/oppdiktet",
                    true,
                );
            }),
        ),
        (
            "the template of the plan",
            Box::new(|txn| {
                txn.get_or_insert_map("meta")
                    .insert(txn, "template", "annen@1");
            }),
        ),
        (
            "the plan's shape, by an editor",
            Box::new(|txn| {
                txn.get_or_insert_array("mal")
                    .push_back(txn, MapPrelim::from([("id", "x"), ("title", "Mål")]));
            }),
        ),
    ];
    for (what, change) in refused {
        let mut client = TestClient::connect_as(&url, &s.editor).await;
        client.edit(change).await;
        let (code, _) = client.expect_close().await;
        assert_eq!(code, 1008, "{what}: closed as a policy violation");
        assert!(
            !client.denied.is_empty(),
            "{what}: told why (y-protocols auth)"
        );
        assert_eq!(log().await.expect("log"), before, "{what}: nothing stored");
    }

    // A tiltak row of the template's fields and a tick are taken.
    let mut client = TestClient::connect_as(&url, &s.editor).await;
    client
        .edit(|txn| {
            txn.get_or_insert_array("tiltak").push_back(
                txn,
                MapPrelim::from([
                    ("id", "0b5e3a52-8a0e-4a55-9a4e-0a4f7e2d1c11"),
                    ("status", "pabegynt"),
                ]),
            );
            txn.get_or_insert_map("checklist")
                .insert(txn, "hvor-star-vi.nokkeltall/ungdata", true);
        })
        .await;
    client.pump_for(std::time::Duration::from_millis(500)).await;
    assert!(client.denied.is_empty(), "{:?}", client.denied);
    assert!(client.closed.is_none());
    assert!(log().await.expect("log") > before);
    let plan = s.plan_json().await;
    assert_eq!(plan["tiltak"][0]["status"], "pabegynt");
    s.app.stop().await;
}
