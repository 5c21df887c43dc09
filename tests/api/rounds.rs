//! Status rounds (issue 16): the whole yearly cycle on a real server, on SQLite and, when
//! configured, PostgreSQL: a plan adopted, a round opened, two units reporting (one refused for
//! another unit's tiltak), the refusals named by field, the round closed and frozen, a second
//! round with the first one's status and history, the status report in every format, and the
//! adopted version's export unchanged by it all.

use std::collections::HashMap;
use std::process::Command;

use reqwest::{Method, StatusCode};
use samskriv::access::Role;
use samskriv::plan::PlanId;
use serde_json::{Value, json};

use crate::helpers::{Api, Person, TestApp, postgres_schema};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The people of the cycle, on one plan.
struct Cycle {
    app: TestApp,
    plan: String,
    admin: Person,
    coordinator: Person,
    nav: Person,
    ute: Person,
    adviser: Person,
    reader: Person,
    /// Row ids by title.
    rows: HashMap<&'static str, String>,
}

const FORELDRE: &str = "Foreldremøter om alkohol";
const OPPSOKENDE: &str = "Oppsøkende arbeid i helgene";
const BOLIG: &str = "Samarbeid om bolig";

async fn cycle(backend: Backend) -> Option<(Cycle, Option<impl Sized>)> {
    let (app, schema) = match backend {
        Backend::Sqlite => (TestApp::spawn_with(|c| c.open_editing = false).await, None),
        Backend::Postgres => {
            let schema = postgres_schema().await?;
            let app = TestApp::spawn_with_url(&schema.url(), |c| c.open_editing = false).await;
            (app, Some(schema))
        }
    };
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let plan = api.create_plan("korus-ruspolitisk-handlingsplan@1").await;
    let (status, added) = api
        .post(
            &format!("/api/plans/{plan}/tiltak"),
            &json!([
                {"strategi": "forebygging", "tiltak": FORELDRE, "ansvarlig": ["NAV"],
                 "indikator": "Antall møter"},
                {"strategi": "tidlig_innsats", "tiltak": OPPSOKENDE, "ansvarlig": ["Utekontakten"]},
                {"strategi": "livskvalitet", "tiltak": BOLIG, "ansvarlig": ["NAV", "Utekontakten"]},
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let ids: Vec<String> = added["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id").to_owned())
        .collect();
    let rows = HashMap::from([
        (FORELDRE, ids[0].clone()),
        (OPPSOKENDE, ids[1].clone()),
        (BOLIG, ids[2].clone()),
    ]);
    let id: PlanId = plan.parse().expect("plan id");
    let coordinator = app
        .person("Kari Koordinator", Some((id, Role::Coordinator, None)))
        .await;
    let nav = app
        .person("Nina Nav", Some((id, Role::Editor, Some("NAV"))))
        .await;
    let ute = app
        .person("Ulf Ute", Some((id, Role::Editor, Some("Utekontakten"))))
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
    Some((
        Cycle {
            app,
            plan,
            admin,
            coordinator,
            nav,
            ute,
            adviser,
            reader,
            rows,
        },
        schema,
    ))
}

impl Cycle {
    fn api(&self, person: &Person) -> Api {
        Api::as_person(&self.app, person)
    }

    /// A browser of `person`: the session cookie only, so forms carry their CSRF token.
    fn browser(&self, person: &Person) -> Api {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("samskriv_session={}", person.session)
                .parse()
                .expect("cookie"),
        );
        Api::with_headers(&self.app, headers)
    }

    fn rounds(&self) -> String {
        format!("/api/plans/{}/rounds", self.plan)
    }

    async fn put(
        &self,
        person: &Person,
        round: &str,
        row: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.api(person)
            .send(
                Method::PUT,
                &format!("{}/{round}/tiltak/{row}", self.rounds()),
                body.to_string(),
            )
            .await
    }

    async fn round(&self, person: &Person, round: &str) -> Value {
        let (status, body) = self
            .api(person)
            .get(&format!("{}/{round}", self.rounds()))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Asserts a status, and for a 422 that the message names `field`.
fn assert_answer(answer: &(StatusCode, Value), status: StatusCode, field: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    let message = answer.1["error"].as_str().expect("an error message");
    assert!(message.contains(field), "{field}: {message}");
}

/// The tiltak of a round's answer by row id.
fn tiltak_of<'a>(round: &'a Value, row: &str) -> &'a Value {
    round["tiltak"]
        .as_array()
        .expect("tiltak")
        .iter()
        .find(|t| t["row"] == row)
        .unwrap_or_else(|| panic!("no tiltak {row} in {round}"))
}

pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rapport.pdf");
    std::fs::write(&path, bytes).expect("pdf written");
    let output = Command::new("pdftotext")
        .args(["-enc", "UTF-8", path.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext runs (apt-get install -y poppler-utils)");
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Renders the report's first page (with its chart) beside the browser tests' screenshots:
/// `target/e2e-screenshots/rounds/rapport-side-1.png`.
fn render_first_page(pdf: &[u8]) {
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots/rounds");
    std::fs::create_dir_all(&out).expect("screenshot directory");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rapport.pdf");
    std::fs::write(&path, pdf).expect("pdf written");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&path)
        .arg(out.join("rapport-side-1"))
        .status()
        .expect("pdftoppm runs (apt-get install -y poppler-utils)");
    assert!(status.success(), "pdftoppm failed");
    let png = std::fs::metadata(out.join("rapport-side-1.png")).expect("the rendered page");
    assert!(
        png.len() > 10_000,
        "the rendered page is nearly empty: {} bytes",
        png.len()
    );
}

pub(crate) fn docx_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut file = archive.by_name("word/document.xml").expect("document.xml");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut file, &mut xml).expect("UTF-8 XML");
    xml
}

async fn the_yearly_cycle(backend: Backend) {
    let Some((c, _schema)) = cycle(backend).await else {
        return;
    };
    let coordinator = c.api(&c.coordinator);
    let plan_path = format!("/api/plans/{}", c.plan);
    let round_2026 = json!({"name": "Status 2026", "deadline": "2026-12-01"});

    // A draft has no status rounds.
    assert_answer(
        &coordinator.post(&c.rounds(), &round_2026).await,
        StatusCode::CONFLICT,
        "vedtatt",
    );

    // BU adopts a frozen version.
    let (status, version) = c
        .api(&c.admin)
        .post(
            &format!("{plan_path}/versions"),
            &json!({"name": "Vedtatt av BU"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let version = version["id"].as_str().expect("version id").to_owned();
    let (status, body) = coordinator
        .send(
            Method::PATCH,
            &plan_path,
            json!({"status": "vedtatt", "adopted": {"version": version, "date": "2026-03-12", "sak": "BU-sak 12/26"}})
                .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let frozen_md = format!("/plans/{}/export.md?version={version}", c.plan);
    let frozen_pdf = format!("/plans/{}/export.pdf?version={version}", c.plan);
    let (_, _, md_before) = coordinator.download(&frozen_md).await;
    let (_, _, pdf_before) = coordinator.download(&frozen_pdf).await;
    let (_, plan) = coordinator.get(&plan_path).await;
    assert_eq!(plan["latest_closed_round"], Value::Null, "{plan}");

    // Only the coordinator opens a round; its name and deadline are checked.
    for person in [&c.nav, &c.adviser, &c.reader] {
        let (status, body) = c.api(person).post(&c.rounds(), &round_2026).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", person.name);
    }
    assert_answer(
        &coordinator
            .post(&c.rounds(), &json!({"name": " ", "deadline": "2026-12-01"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
    );
    assert_answer(
        &coordinator
            .post(
                &c.rounds(),
                &json!({"name": "x".repeat(121), "deadline": "2026-12-01"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "name",
    );
    assert_answer(
        &coordinator
            .post(
                &c.rounds(),
                &json!({"name": "Status 2026", "deadline": "1. desember"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline",
    );
    let (status, opened) = coordinator.post(&c.rounds(), &round_2026).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let first = opened["id"].as_str().expect("round id").to_owned();
    // One open round at a time.
    assert_answer(
        &coordinator
            .post(
                &c.rounds(),
                &json!({"name": "Status 2026 b", "deadline": "2026-12-01"}),
            )
            .await,
        StatusCode::CONFLICT,
        "open",
    );

    // Readers see closed rounds only.
    let (status, list) = c.api(&c.reader).get(&c.rounds()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]));
    let (status, _) = c
        .api(&c.reader)
        .get(&format!("{}/{first}", c.rounds()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The round lists the adopted version's tiltak with the plan's numbers.
    let round = c.round(&c.adviser, &first).await;
    assert_eq!(round["tiltak"].as_array().expect("tiltak").len(), 3);
    let (_, plan) = coordinator.get(&plan_path).await;
    let numbers: Vec<String> = round["tiltak"]
        .as_array()
        .expect("tiltak")
        .iter()
        .map(|t| t["number"].as_str().expect("number").to_owned())
        .collect();
    assert!(numbers.iter().all(|n| n.contains('-')), "{numbers:?}");
    let foreldre = &c.rows[FORELDRE];
    let oppsokende = &c.rows[OPPSOKENDE];
    let bolig = &c.rows[BOLIG];
    assert_eq!(tiltak_of(&round, foreldre)["units"], json!(["NAV"]));
    assert_eq!(
        tiltak_of(&round, foreldre)["indicator"],
        "Antall møter",
        "{plan}"
    );
    assert_eq!(round["may_report"], false, "advisers read");

    // Two units report: each its own tiltak, never another unit's.
    let (status, entry) = c
        .put(
            &c.nav,
            &first,
            foreldre,
            json!({"status": "pabegynt", "comment": "To møter holdt", "indicator_value": "2 møter"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!(entry["status"], "pabegynt");
    assert_eq!(entry["indicator_value"], "2 møter");
    let (status, body) = c
        .put(&c.nav, &first, oppsokende, json!({"status": "gjennomfort"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for person in [&c.adviser, &c.reader] {
        let (status, body) = c
            .put(person, &first, foreldre, json!({"status": "gjennomfort"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", person.name);
    }
    // «Utsatt» needs a reason; unknown statuses, rows and oversized text are refused by name.
    assert_answer(
        &c.put(
            &c.ute,
            &first,
            oppsokende,
            json!({"status": "utsatt", "comment": "  "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "comment",
    );
    assert_answer(
        &c.put(&c.ute, &first, oppsokende, json!({"status": "utgar"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "comment",
    );
    assert_answer(
        &c.put(&c.ute, &first, oppsokende, json!({"status": "ferdig"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "status",
    );
    assert_answer(
        &c.put(
            &c.ute,
            &first,
            oppsokende,
            json!({"status": "pabegynt", "comment": "x".repeat(2001)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "comment",
    );
    assert_answer(
        &c.put(
            &c.ute,
            &first,
            oppsokende,
            json!({"status": "pabegynt", "indicator_value": "12"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "indicator_value",
    );
    let (status, body) = c
        .put(
            &c.nav,
            &first,
            foreldre,
            json!({"status": "pabegynt", "indicator_value": "x".repeat(501)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = c
        .put(
            &c.ute,
            &first,
            "00000000-0000-0000-0000-000000000000",
            json!({"status": "pabegynt"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = c
        .put(
            &c.ute,
            &first,
            oppsokende,
            json!({"status": "utsatt", "comment": "Mangler ansatte i år"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The overview: who has not reported yet, and counts by unit and group.
    let round = c.round(&c.coordinator, &first).await;
    assert_eq!(
        round["not_reported_units"],
        json!(["NAV", "Utekontakten"]),
        "the shared tiltak is not reported yet"
    );
    let (status, body) = c
        .put(&c.ute, &first, bolig, json!({"status": "gjennomfort"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let round = c.round(&c.coordinator, &first).await;
    assert_eq!(round["not_reported_units"], json!([]), "{round}");
    let nav_progress = round["by_unit"]
        .as_array()
        .expect("by_unit")
        .iter()
        .find(|u| u["unit"] == "NAV")
        .expect("NAV");
    assert_eq!(
        (
            nav_progress["total"].as_u64(),
            nav_progress["reported"].as_u64(),
            nav_progress["done"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{nav_progress}"
    );
    assert_eq!(nav_progress["done_percent"], 50);
    let groups = round["by_group"].as_array().expect("by_group");
    assert_eq!(groups.len(), 3, "{groups:?}");
    let counts = |group: &Value, status: &str| {
        group["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .find(|count| count["status"] == status)
            .expect("status count")["count"]
            .as_u64()
    };
    assert_eq!(counts(&groups[1], "utsatt"), Some(1), "{}", groups[1]);
    assert_eq!(counts(&groups[0], "pabegynt"), Some(1), "{}", groups[0]);

    // The editor's page shows her unit's tiltak with a form each, and refuses a missing reason
    // beside the field.
    let (status, page) = c
        .api(&c.nav)
        .page(&format!("/plans/{}/statusrunder/{first}", c.plan))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/tiltak/{foreldre}")), "{page}");
    assert!(page.contains(&format!("/tiltak/{bolig}")));
    assert!(!page.contains(&format!("/tiltak/{oppsokende}")));
    let form = |status: &str, comment: &str| {
        vec![
            ("csrf_token".to_owned(), c.nav.csrf.clone()),
            ("status".to_owned(), status.to_owned()),
            ("comment".to_owned(), comment.to_owned()),
            ("indicator_value".to_owned(), "3 møter".to_owned()),
        ]
    };
    let action = format!(
        "{}/plans/{}/statusrunder/{first}/tiltak/{foreldre}",
        coordinator.base, c.plan
    );
    let refused = c
        .browser(&c.nav)
        .http
        .post(&action)
        .form(&form("utsatt", ""))
        .send()
        .await
        .expect("form");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("page");
    assert!(
        html.contains(&format!(
            "aria-describedby=\"kommentar-{foreldre}-hjelp kommentar-{foreldre}-feil\" aria-invalid=\"true\""
        )),
        "{html}"
    );
    assert!(html.contains("Skriv hvorfor tiltaket har status «Utsatt»."));
    let saved = c
        .browser(&c.nav)
        .http
        .post(&action)
        .form(&form("pabegynt", "Tre møter holdt"))
        .send()
        .await
        .expect("form");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let round = c.round(&c.nav, &first).await;
    assert_eq!(
        tiltak_of(&round, foreldre)["entry"]["comment"],
        "Tre møter holdt"
    );

    // Closing freezes the round; it becomes the plan's current status view.
    let close = format!("{}/{first}/close", c.rounds());
    let (status, _) = c.api(&c.nav).post(&close, &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, closed) = coordinator.post(&close, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert!(closed["closed_at"].is_i64(), "{closed}");
    assert_answer(
        &coordinator.post(&close, &json!({})).await,
        StatusCode::CONFLICT,
        "closed",
    );
    assert_answer(
        &c.put(&c.nav, &first, foreldre, json!({"status": "gjennomfort"}))
            .await,
        StatusCode::CONFLICT,
        "closed",
    );
    let (_, plan) = coordinator.get(&plan_path).await;
    assert_eq!(plan["latest_closed_round"]["id"], first.as_str(), "{plan}");
    let round = c.round(&c.reader, &first).await;
    assert_eq!(round["closed"], true);
    let (_, list) = c.api(&c.reader).get(&c.rounds()).await;
    assert_eq!(list[0]["id"], first.as_str());
    assert_eq!(list[0]["reported"], 3);

    // A second round shows the first one's status and each tiltak's history.
    let (status, opened) = coordinator
        .post(
            &c.rounds(),
            &json!({"name": "Status 2027", "deadline": "2027-12-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let second = opened["id"].as_str().expect("round id").to_owned();
    let (status, body) = c
        .put(
            &c.ute,
            &second,
            oppsokende,
            json!({"status": "gjennomfort", "comment": "Startet i mars"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let round = c.round(&c.coordinator, &second).await;
    assert_eq!(round["previous_round"]["name"], "Status 2026");
    let t = tiltak_of(&round, oppsokende);
    assert_eq!(t["previous_status"], "utsatt");
    assert_eq!(
        t["history"],
        json!([
            {"round_id": first, "round": "Status 2026", "status": "utsatt", "comment": "Mangler ansatte i år"},
            {"round_id": second, "round": "Status 2027", "status": "gjennomfort", "comment": "Startet i mars"},
        ])
    );
    assert_eq!(tiltak_of(&round, foreldre)["entry"], Value::Null);

    // The status report in every format names the tiltak by number and their statuses.
    let number = tiltak_of(&round, oppsokende)["number"]
        .as_str()
        .expect("number")
        .to_owned();
    let report = format!("/plans/{}/statusrunder/{second}/rapport", c.plan);
    let (status, headers, md) = coordinator.download(&format!("{report}.md")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&md));
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("header")
            .contains("statusrapport-status-2027.md")
    );
    let md = String::from_utf8(md).expect("UTF-8");
    assert!(md.contains(&number), "{md}");
    assert!(md.contains("Gjennomført") && md.contains("Utsatt"), "{md}");
    let (status, _, pdf) = coordinator.download(&format!("{report}.pdf")).await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(
        text.contains(&number) && text.contains("Gjennomført"),
        "{text}"
    );
    if backend == Backend::Sqlite {
        render_first_page(&pdf);
    }
    let (status, _, docx) = coordinator.download(&format!("{report}.docx")).await;
    assert_eq!(status, StatusCode::OK);
    let xml = docx_text(&docx);
    assert!(
        xml.contains(&number) && xml.contains("Gjennomført"),
        "{xml}"
    );
    // Readers get reports of closed rounds only.
    let (status, _, _) = c.api(&c.reader).download(&format!("{report}.md")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = c
        .api(&c.reader)
        .download(&format!(
            "/plans/{}/statusrunder/{first}/rapport.md",
            c.plan
        ))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The adopted version never changed.
    let (_, _, md_after) = coordinator.download(&frozen_md).await;
    let (_, _, pdf_after) = coordinator.download(&frozen_pdf).await;
    assert!(md_before == md_after, "the frozen Markdown changed");
    assert!(pdf_before == pdf_after, "the frozen PDF changed");

    // Deleting the plan deletes its rounds.
    let (status, _) = c.api(&c.admin).send(Method::DELETE, &plan_path, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let db = c.app.storage.db();
    for table in ["status_rounds", "status_entries"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE plan_id = $1");
        let count: i64 = samskriv::on_db!(&db, pool => sqlx::query_scalar(&sql)
            .bind(&c.plan)
            .fetch_one(pool)
            .await)
        .expect("count");
        assert_eq!(
            count, 0,
            "{table} kept rows of a deleted plan ({backend:?})"
        );
    }
}

#[tokio::test]
async fn the_yearly_status_cycle_on_sqlite() {
    the_yearly_cycle(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_yearly_status_cycle_on_postgres() {
    the_yearly_cycle(Backend::Postgres).await;
}

/// The list page's form: the coordinator starts a round; a refused field is named beside it.
#[tokio::test]
async fn the_coordinator_starts_a_round_from_the_page() {
    let Some((c, _schema)) = cycle(Backend::Sqlite).await else {
        return;
    };
    let coordinator = c.api(&c.coordinator);
    let page = format!("/plans/{}/statusrunder", c.plan);
    let (status, html) = coordinator.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Statusrunder er for vedtatte planer"),
        "{html}"
    );

    let (_, version) = coordinator
        .post(
            &format!("/api/plans/{}/versions", c.plan),
            &json!({"name": "Vedtatt"}),
        )
        .await;
    let (status, _) = coordinator
        .send(
            Method::PATCH,
            &format!("/api/plans/{}", c.plan),
            json!({"status": "vedtatt", "adopted": {"version": version["id"], "date": "2026-03-12", "sak": "12/26"}})
                .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, plan_page) = coordinator.page(&format!("/plans/{}", c.plan)).await;
    assert!(plan_page.contains(&format!("href=\"{page}\"")));

    let browser = c.browser(&c.coordinator);
    let post = |fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf_token", c.coordinator.csrf.clone()));
        browser
            .http
            .post(format!("{}{page}", coordinator.base))
            .form(&fields)
            .send()
    };
    let refused = post(vec![
        ("name", "Status 2026".into()),
        ("deadline", "snart".into()),
    ])
    .await
    .expect("form");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("page");
    assert!(html.contains("id=\"runde-frist-feil\""), "{html}");
    assert!(html.contains("value=\"Status 2026\""));
    let started = post(vec![
        ("name", "Status 2026".into()),
        ("deadline", "2026-12-01".into()),
    ])
    .await
    .expect("form");
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let location = started.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (status, html) = coordinator.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("role=\"status\">Statusrunden «Status 2026» er startet"),
        "{html}"
    );
    assert!(html.contains("Lukk runden"));
    // Without a CSRF token, nothing is started.
    let forged = browser
        .http
        .post(format!("{}{page}", coordinator.base))
        .form(&[("name", "Forfalsket"), ("deadline", "2026-12-01")])
        .send()
        .await
        .expect("form");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
