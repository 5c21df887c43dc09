//! Rullering (issue 16, item 3): «Ny plan fra denne» through `POST /api/plans` with
//! `from_plan` and through its page, on SQLite and, when configured, PostgreSQL: an adopted plan
//! rolled over with dispositions, its content carried from the adopted version, lineage both
//! ways, members only when asked, refusals, and the old plan's frozen exports unchanged.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use samskriv::access::Role;
use samskriv::plan::PlanId;
use serde_json::{Value, json};
use yrs::{Any, Text, WriteTxn, XmlFragment};

use crate::helpers::{Api, Person, TestApp, TestClient, postgres_schema};

const TEMPLATE: &str = "korus-ruspolitisk-handlingsplan@1";

/// An adopted plan with goals, shape, text and three tiltak, and the people around it.
struct Adopted {
    app: TestApp,
    admin: Person,
    coordinator: Person,
    editor: Person,
    plan: String,
    version: String,
    goal: String,
    local: String,
    item: String,
    rows: [String; 3],
}

async fn created(api: &Api, path: &str, body: Value) -> Value {
    let (status, answer) = api.post(path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
    answer
}

async fn patched(api: &Api, path: &str, body: Value) {
    let (status, answer) = api.send(Method::PATCH, path, body.to_string()).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
}

async fn adopted_plan(app: TestApp) -> Adopted {
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let plan = api.create_plan(TEMPLATE).await;
    let id: PlanId = plan.parse().expect("plan id");
    let coordinator = app
        .person("Kari Koordinator", Some((id, Role::Coordinator, None)))
        .await;
    let editor = app
        .person("Erik Redaktør", Some((id, Role::Editor, Some("NAV"))))
        .await;
    let base = format!("/api/plans/{plan}");

    let goal = created(
        &api,
        &format!("{base}/goals"),
        json!({"title": "Færre unge debuterer tidlig", "strategi": ["forebygging"]}),
    )
    .await["id"]
        .as_str()
        .expect("goal")
        .to_owned();
    let local = created(
        &api,
        &format!("{base}/sections"),
        json!({"parent": "hvor-star-vi", "heading": "Lokale forhold i bydelen", "kind": "prose"}),
    )
    .await["id"]
        .as_str()
        .expect("section")
        .to_owned();
    patched(
        &api,
        &format!("{base}/sections/innledning.byradets-foringer"),
        json!({"heading": "Byrådets føringer for oss"}),
    )
    .await;
    patched(
        &api,
        &format!("{base}/sections/hvor-star-vi.nasituasjon"),
        json!({"in_use": false}),
    )
    .await;
    let item = created(
        &api,
        &format!("{base}/checklist/hvor-star-vi.nokkeltall/items"),
        json!({"label": "Bydelens egen kartlegging", "year": "2024"}),
    )
    .await["id"]
        .as_str()
        .expect("item")
        .to_owned();
    let ids = created(
        &api,
        &format!("{base}/tiltak"),
        json!([
            {"strategi": "forebygging", "tiltak": "Foreldremøter om alkohol", "ansvarlig": ["NAV"],
             "mal": [goal], "status": "pabegynt", "frist": "2026"},
            {"strategi": "tidlig_innsats", "tiltak": "Oppsøkende arbeid i helgene",
             "ansvarlig": ["Utekontakten"], "status": "gjennomfort"},
            {"strategi": "livskvalitet", "tiltak": "Nedlagt kafétilbud", "status": "utgar"}
        ]),
    )
    .await["ids"]
        .clone();
    let rows: [String; 3] = std::array::from_fn(|i| ids[i].as_str().expect("row").to_owned());

    // Text with marks and a link, a tick and text in the plan's own section, written live.
    let mut live = TestClient::connect_as(&app.ws_url(&plan), &admin).await;
    let local_fragment = format!("section:{local}");
    live.edit(|txn| {
        let fragment = txn.get_or_insert_xml_fragment("section:hvor-star-vi.russituasjon");
        let paragraph = fragment.push_back(txn, yrs::XmlElementPrelim::empty("paragraph"));
        let text = paragraph.push_back(txn, yrs::XmlTextPrelim::new(""));
        text.push(txn, "Ungdata viser ");
        let bold = std::collections::HashMap::from([(
            std::sync::Arc::from("bold"),
            Any::Map(Default::default()),
        )]);
        let at = text.len(txn);
        text.insert_with_attributes(txn, at, "lite bruk", bold);
        let list = fragment.push_back(txn, yrs::XmlElementPrelim::empty("bullet_list"));
        let item = list.push_back(txn, yrs::XmlElementPrelim::empty("list_item"));
        let inner = item.push_back(txn, yrs::XmlElementPrelim::empty("paragraph"));
        inner
            .push_back(txn, yrs::XmlTextPrelim::new(""))
            .push(txn, "Første punkt");
        let own = txn.get_or_insert_xml_fragment(local_fragment.as_str());
        let paragraph = own.push_back(txn, yrs::XmlElementPrelim::empty("paragraph"));
        paragraph
            .push_back(txn, yrs::XmlTextPrelim::new(""))
            .push(txn, "Bydelen har mange unge.");
        use yrs::Map;
        txn.get_or_insert_map("checklist")
            .insert(txn, "hvor-star-vi.nokkeltall/fhi", true);
    })
    .await;
    live.pump_for(Duration::from_millis(300)).await;

    let version = created(
        &api,
        &format!("{base}/versions"),
        json!({"name": "Vedtatt i BU"}),
    )
    .await["id"]
        .as_str()
        .expect("version")
        .to_owned();
    patched(
        &api,
        &base,
        json!({"status": "vedtatt",
               "adopted": {"version": version, "date": "2026-03-12", "sak": "BU-sak 12/26"}}),
    )
    .await;
    Adopted {
        app,
        admin,
        coordinator,
        editor,
        plan,
        version,
        goal,
        local,
        item,
        rows,
    }
}

fn section<'a>(plan: &'a Value, id: &str) -> &'a Value {
    fn walk<'a>(sections: &'a Value, id: &str) -> Option<&'a Value> {
        sections.as_array()?.iter().find_map(|section| {
            if section["id"] == id {
                Some(section)
            } else {
                walk(&section["children"], id)
            }
        })
    }
    walk(&plan["structure"], id).unwrap_or_else(|| panic!("section {id}"))
}

fn prose_text(plan: &Value, id: &str) -> String {
    plan["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["id"] == id)
        .map(|s| s["blocks"].to_string())
        .unwrap_or_default()
}

/// Asserts a 422 whose message names `field`.
fn assert_refused(answer: &(StatusCode, Value), field: &str) {
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
    let message = answer.1["error"].as_str().expect("an error message");
    assert!(message.contains(field), "{field}: {message}");
}

async fn exports(api: &Api, plan: &str, version: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for format in ["md", "pdf", "docx"] {
        let (status, _, bytes) = api
            .download(&format!("/plans/{plan}/export.{format}?version={version}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{format}");
        out.push(bytes);
    }
    out
}

async fn rolls_over_an_adopted_plan(app: TestApp) {
    let f = adopted_plan(app).await;
    let api = Api::as_person(&f.app, &f.admin);
    let [kept, changed, ended] = &f.rows;
    let frozen_before = exports(&api, &f.plan, &f.version).await;

    // Edited after adoption: the new plan is made from what BU adopted.
    patched(
        &api,
        &format!("/api/plans/{}/tiltak/{kept}", f.plan),
        json!({"tiltak": "Endret etter vedtaket"}),
    )
    .await;

    // Refusals first: nothing is created by them.
    let (_, list) = api.get("/api/plans").await;
    let plans_before = list.as_array().map(Vec::len);
    let roll = |body: Value| {
        let api = &api;
        async move { api.post("/api/plans", &body).await }
    };
    assert_refused(
        &roll(json!({"from_plan": f.plan, "periode": "2029–2032",
                     "dispositions": {"00000000-0000-4000-8000-000000000000": "endres"}}))
        .await,
        "dispositions",
    );
    assert_refused(
        &roll(json!({"from_plan": f.plan, "periode": "2029–2032",
                     "dispositions": {kept: "slettes"}}))
        .await,
        "dispositions",
    );
    assert_refused(
        &roll(json!({"from_plan": f.plan, "periode": "2029–2032", "dispositions": {kept: 3}}))
            .await,
        "dispositions",
    );
    let too_many: serde_json::Map<String, Value> = (0..4)
        .map(|i| (format!("rad-{i}"), json!("endres")))
        .collect();
    assert_refused(
        &roll(json!({"from_plan": f.plan, "periode": "2029–2032", "dispositions": too_many})).await,
        "dispositions",
    );
    assert_refused(
        &roll(json!({"from_plan": f.plan, "periode": "  "})).await,
        "periode",
    );
    assert_refused(
        &roll(json!({"from_plan": f.plan, "periode": "x".repeat(41)})).await,
        "periode",
    );
    let (status, answer) =
        roll(json!({"from_plan": PlanId::new_random(), "periode": "2029–2032"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert!(answer["error"].is_string(), "{answer}");
    for person in [&f.editor, &f.coordinator] {
        // The editor is not coordinator; the plan's coordinator may not create plans.
        let (status, answer) = Api::as_person(&f.app, person)
            .post(
                "/api/plans",
                &json!({"from_plan": f.plan, "periode": "2029–2032"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {answer}", person.name);
    }
    let (_, list) = api.get("/api/plans").await;
    assert_eq!(list.as_array().map(Vec::len), plans_before, "{list}");

    let (status, next) = roll(json!({
        "from_plan": f.plan, "periode": " 2029–2032 ",
        "dispositions": {kept: "videreføres", changed: "endres", ended: "avsluttes"}
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    let new_id = next["id"].as_str().expect("id").to_owned();
    assert_ne!(new_id, f.plan);
    assert_eq!(next["periode"], "2029–2032");
    assert_eq!(next["title"], "Ruspolitisk handlingsplan");
    assert_eq!(next["bydel"], "Nordstrand");
    assert_eq!(next["template"], TEMPLATE);
    assert_eq!(next["status"], "utkast");
    assert_eq!(next["rollover"]["previous_plan"], f.plan.as_str());
    assert_eq!(next["rollover"]["source_version"], f.version.as_str());
    assert_eq!(next["rollover"]["carried"], json!([kept, changed]));
    assert_eq!(next["rollover"]["revise"], json!([changed]));
    assert_eq!(next["rollover"]["ended"], json!([ended]));

    let (status, new) = api.get(&format!("/api/plans/{new_id}")).await;
    assert_eq!(status, StatusCode::OK, "{new}");
    let tiltak = new["tiltak"].as_array().expect("tiltak");
    assert_eq!(tiltak.len(), 2, "{tiltak:?}");
    assert_eq!(tiltak[0]["id"], kept.as_str());
    // The adopted text, not the edit made after.
    assert_eq!(tiltak[0]["tiltak"], "Foreldremøter om alkohol");
    assert_eq!(tiltak[0]["ansvarlig"], json!(["NAV"]));
    assert_eq!(tiltak[0]["mal"], json!([f.goal]));
    assert_eq!(tiltak[0]["frist"], "2026");
    assert_eq!(tiltak[0]["strategi"], "forebygging");
    assert_eq!(tiltak[0]["status"], "ikke_startet");
    assert_eq!(tiltak[1]["id"], changed.as_str());
    assert_eq!(tiltak[1]["tiltak"], "Oppsøkende arbeid i helgene");
    assert_eq!(tiltak[1]["status"], "ikke_startet");
    assert!(!new.to_string().contains("Nedlagt kafétilbud"));
    assert_eq!(new["goals"][0]["id"], f.goal.as_str());
    assert_eq!(new["goals"][0]["strategi"], json!(["forebygging"]));
    assert_eq!(
        section(&new, "innledning.byradets-foringer")["heading"],
        "Byrådets føringer for oss"
    );
    assert_eq!(section(&new, "hvor-star-vi.nasituasjon")["in_use"], false);
    assert_eq!(
        section(&new, &f.local)["heading"],
        "Lokale forhold i bydelen"
    );
    assert_eq!(section(&new, &f.local)["local"], true);
    assert_eq!(new["checklist_items"][0]["id"], f.item.as_str());
    assert_eq!(new["checklist"]["hvor-star-vi.nokkeltall/fhi"], true);
    let text = prose_text(&new, "hvor-star-vi.russituasjon");
    assert!(
        text.contains(
            r#"{"bold":true,"italic":false,"link":null,"text":"lite bruk","type":"text"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains("Første punkt") && text.contains("bullet_list"),
        "{text}"
    );
    assert!(prose_text(&new, &f.local).contains("Bydelen har mange unge."));
    // Lineage both ways.
    assert_eq!(new["previous_plan"]["id"], f.plan.as_str());
    assert_eq!(new["previous_plan"]["title"], "Ruspolitisk handlingsplan");
    assert_eq!(new["revise_rows"], json!([changed]));
    assert_eq!(new["next_plans"], json!([]));
    let (_, old) = api.get(&format!("/api/plans/{}", f.plan)).await;
    assert_eq!(old["next_plans"][0]["id"], new_id.as_str());
    assert_eq!(old["previous_plan"], Value::Null);

    // Members only when asked: the old plan's editor is not in the new plan.
    let editor_api = Api::as_person(&f.app, &f.editor);
    let (status, _) = editor_api.get(&format!("/api/plans/{new_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, with_members) = roll(json!({"from_plan": f.plan, "periode": "2029–2032",
                                            "title": "Rusplan 2029–2032", "members": true}))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{with_members}");
    assert_eq!(with_members["title"], "Rusplan 2029–2032");
    // Rows not named are carried on.
    assert_eq!(with_members["rollover"]["carried"], json!(f.rows));
    let second = with_members["id"].as_str().expect("id");
    let (status, seen) = editor_api.get(&format!("/api/plans/{second}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let (_, members) = api.get(&format!("/api/plans/{second}/members")).await;
    let editor_row = members
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|m| m.to_string().contains(f.editor.email.as_str()))
        })
        .unwrap_or_else(|| panic!("{members}"))
        .to_string();
    assert!(
        editor_row.contains("\"editor\"") && editor_row.contains("\"NAV\""),
        "{editor_row}"
    );
    let (_, old) = api.get(&format!("/api/plans/{}", f.plan)).await;
    assert_eq!(old["next_plans"].as_array().map(Vec::len), Some(2), "{old}");

    // The old plan's frozen version exports the same bytes as before.
    let frozen_after = exports(&api, &f.plan, &f.version).await;
    for (before, after) in frozen_before.iter().zip(&frozen_after) {
        assert!(before == after, "a frozen export changed");
    }

    // Deleting the old plan leaves the new ones standing, without the link.
    let (status, _) = api
        .send(Method::DELETE, &format!("/api/plans/{}", f.plan), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, new) = api.get(&format!("/api/plans/{new_id}")).await;
    assert_eq!(status, StatusCode::OK, "{new}");
    assert_eq!(new["previous_plan"], Value::Null);
    assert_eq!(new["revise_rows"], json!([changed]));
}

#[tokio::test]
async fn an_adopted_plan_rolls_over_with_dispositions() {
    rolls_over_an_adopted_plan(TestApp::spawn_with(|c| c.open_editing = false).await).await;
}

#[tokio::test]
async fn an_adopted_plan_rolls_over_with_dispositions_on_postgres() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let app = TestApp::spawn_with_url(&schema.url(), |c| c.open_editing = false).await;
    rolls_over_an_adopted_plan(app).await;
}

/// The new plan's exports with `previous_status`: the old plan's last closed round as the
/// appendix «Status for forrige plan», in every format; refused without a closed round or a
/// previous plan; not for someone who may not see the old plan.
async fn exports_the_previous_plans_status(app: TestApp) {
    let f = adopted_plan(app).await;
    let api = Api::as_person(&f.app, &f.admin);
    let [kept, changed, ended] = &f.rows;
    let next = created(
        &api,
        "/api/plans",
        json!({"from_plan": f.plan, "periode": "2029–2032", "dispositions": {}}),
    )
    .await;
    let new_id = next["id"].as_str().expect("the new plan").to_owned();
    let export = |format: &str| format!("/plans/{new_id}/export.{format}?previous_status=1");

    // The old plan has no closed round yet (an open one does not count): refused, naming it.
    let rounds = format!("/api/plans/{}/rounds", f.plan);
    let round = created(
        &api,
        &rounds,
        json!({"name": "Status 2026", "deadline": "2026-12-01"}),
    )
    .await["id"]
        .as_str()
        .expect("round")
        .to_owned();
    for format in ["md", "pdf", "docx"] {
        let (status, page) = api.page(&export(format)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{format}: {page}");
        assert!(page.contains("previous_status"), "{page}");
        assert!(page.contains("ingen avsluttet statusrunde"), "{page}");
    }
    // A plan made from none, and a flag that is neither yes nor no.
    let (status, page) = api
        .page(&format!("/plans/{}/export.md?previous_status=1", f.plan))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("previous_status"), "{page}");
    assert!(page.contains("ikke laget fra en tidligere plan"), "{page}");
    let (status, page) = api
        .page(&format!(
            "/plans/{new_id}/export.md?previous_status=kanskje"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("previous_status"), "{page}");

    // The round is reported and closed.
    for (row, report) in [
        (
            kept,
            json!({"status": "pabegynt", "comment": "To foreldremøter holdt"}),
        ),
        (
            changed,
            json!({"status": "gjennomfort", "comment": "Hver helg hele året"}),
        ),
        (
            ended,
            json!({"status": "utgar", "comment": "Kafeen er lagt ned"}),
        ),
    ] {
        let path = format!("{rounds}/{round}/tiltak/{row}");
        let (status, answer) = api.send(Method::PUT, &path, report.to_string()).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
    }
    let (status, answer) = api
        .post(&format!("{rounds}/{round}/close"), &json!({}))
        .await;
    assert!(status.is_success(), "{status} {answer}");

    let facts = [
        "Status for forrige plan",
        "Status 2026",
        "Foreldremøter om alkohol",
        "Påbegynt",
        "To foreldremøter holdt",
        "Oppsøkende arbeid i helgene",
        "Gjennomført",
        "Hver helg hele året",
        "Nedlagt kafétilbud",
        "Utgår",
        "Kafeen er lagt ned",
        "Utekontakten",
    ];
    let mut texts = Vec::new();
    for format in ["md", "pdf", "docx"] {
        let (status, _, bytes) = api.download(&export(format)).await;
        assert_eq!(status, StatusCode::OK, "{format}");
        let (again_status, _, again) = api.download(&export(format)).await;
        assert_eq!(again_status, StatusCode::OK);
        assert!(bytes == again, "{format}: the same bytes twice");
        let text = match format {
            "md" => String::from_utf8(bytes).expect("UTF-8"),
            "pdf" => crate::rounds::pdf_text(&bytes)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            _ => crate::rounds::docx_text(&bytes),
        };
        for fact in facts {
            assert!(text.contains(fact), "{format}: {fact} in {text}");
        }
        texts.push(text);
    }
    assert!(texts[0].contains("## Vedlegg"), "{}", texts[0]);
    let (status, _, plain) = api.download(&format!("/plans/{new_id}/export.md")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&plain).contains("Status for forrige plan"));

    // The CLI's way in: the database alone.
    let stored = samskriv::service::versions::export_stored(
        f.app.storage.as_ref(),
        &samskriv::templates::TemplateRegistry::builtin().expect("templates"),
        new_id.parse().expect("plan id"),
        None,
        None,
        true,
        samskriv::export::Format::Markdown,
    )
    .await
    .expect("exported");
    assert!(stored.bytes == api.download(&export("md")).await.2);

    // Someone on the new plan only may export it, but not the old plan's status.
    let newcomer = f
        .app
        .person(
            "Nina Ny",
            Some((new_id.parse().expect("plan id"), Role::Coordinator, None)),
        )
        .await;
    let theirs = Api::as_person(&f.app, &newcomer);
    let (status, _, _) = theirs.download(&format!("/plans/{new_id}/export.md")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = theirs.download(&export("md")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("Status 2026"));
    f.app.stop().await;
}

#[tokio::test]
async fn previous_status_appendix_in_the_new_plans_exports() {
    exports_the_previous_plans_status(TestApp::spawn_with(|c| c.open_editing = false).await).await;
}

#[tokio::test]
async fn previous_status_appendix_in_the_new_plans_exports_on_postgres() {
    let Some(schema) = postgres_schema().await else {
        return;
    };
    let app = TestApp::spawn_with_url(&schema.url(), |c| c.open_editing = false).await;
    exports_the_previous_plans_status(app).await;
}

#[tokio::test]
async fn the_page_reviews_every_tiltak_and_makes_the_plan() {
    let f = adopted_plan(TestApp::spawn_with(|c| c.open_editing = false).await).await;
    let api = Api::as_person(&f.app, &f.admin);
    let [kept, changed, ended] = &f.rows;
    let page_path = format!("/plans/{}/ny-plan", f.plan);

    let (status, plan_page) = api.page(&format!("/plans/{}", f.plan)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(plan_page.contains(&format!("href=\"{page_path}\"")), "link");
    let (status, page) = api.page(&page_path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Ny plan fra denne"));
    assert!(page.contains("«Vedtatt i BU»"), "names the adopted version");
    for (row, title) in [
        (kept, "Foreldremøter om alkohol"),
        (changed, "Oppsøkende arbeid i helgene"),
        (ended, "Nedlagt kafétilbud"),
    ] {
        assert!(
            page.contains(&format!("name=\"disposisjon-{row}\"")),
            "{row}"
        );
        assert!(page.contains(title), "{title}");
    }
    let needle = "<td data-label=\"Nr.\">";
    let number = &page[page.find(needle).expect("numbers") + needle.len()..];
    assert!(number.starts_with(|c: char| c.is_ascii_digit()), "{number}");
    assert!(page.contains("Påbegynt"), "current status");
    assert!(page.contains("Ta med medlemmene"));
    // Not for an editor, nor for the plan's coordinator (only administrators create plans).
    for person in [&f.editor, &f.coordinator] {
        let (status, _) = Api::as_person(&f.app, person).page(&page_path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", person.name);
    }

    // As a browser posts the form: the session cookie, the token only in the form.
    let mut cookie = reqwest::header::HeaderMap::new();
    cookie.insert(
        reqwest::header::COOKIE,
        format!("samskriv_session={}", f.admin.session)
            .parse()
            .expect("cookie"),
    );
    let browser = Api::with_headers(&f.app, cookie);
    let post = |fields: Vec<(String, String)>| {
        let browser = &browser;
        let url = format!("{}{page_path}", browser.base);
        async move {
            browser
                .http
                .post(url)
                .form(&fields)
                .send()
                .await
                .expect("form")
        }
    };
    let field = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    // Without the CSRF token: refused.
    let response = post(vec![field("periode", "2029–2032")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // No periode: the page again, the reason beside the field, the choices kept.
    let response = post(vec![
        field("csrf_token", &f.admin.csrf),
        field("periode", ""),
        field(&format!("disposisjon-{ended}"), "avsluttes"),
    ])
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = response.text().await.expect("page");
    assert!(refused.contains("id=\"periode-feil\""), "{refused}");
    assert!(
        refused.contains("aria-describedby=\"periode-hjelp periode-feil\" aria-invalid=\"true\""),
        "{refused}"
    );
    assert!(
        refused.contains("<option value=\"avsluttes\" selected>"),
        "kept"
    );
    let response = post(vec![
        field("csrf_token", &f.admin.csrf),
        field("periode", "2029–2032"),
        field(&format!("disposisjon-{ended}"), "forsvinner"),
    ])
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = response.text().await.expect("page");
    assert!(refused.contains("id=\"disposisjoner-feil\""), "{refused}");

    let response = post(vec![
        field("csrf_token", &f.admin.csrf),
        field("periode", "2029–2032"),
        field("title", "Ruspolitisk handlingsplan 2029–2032"),
        field("members", "ja"),
        field(&format!("disposisjon-{kept}"), "videreføres"),
        field(&format!("disposisjon-{changed}"), "endres"),
        field(&format!("disposisjon-{ended}"), "avsluttes"),
    ])
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let new_id = location.strip_prefix("/plans/").expect("plan page");
    let (_, new) = api.get(&format!("/api/plans/{new_id}")).await;
    assert_eq!(new["plan"]["title"], "Ruspolitisk handlingsplan 2029–2032");
    assert_eq!(new["tiltak"].as_array().map(Vec::len), Some(2));
    assert_eq!(new["revise_rows"], json!([changed]));
    // The editor came along; the plans link to each other.
    let (status, _) = Api::as_person(&f.app, &f.editor)
        .get(&format!("/api/plans/{new_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, new_page) = api.page(&location).await;
    assert!(
        new_page.contains(&format!("Forrige plan: <a href=\"/plans/{}\">", f.plan)),
        "{new_page}"
    );
    let (_, old_page) = api.page(&format!("/plans/{}", f.plan)).await;
    assert!(
        old_page.contains(&format!("Neste plan: <a href=\"{location}\">")),
        "{old_page}"
    );
}
