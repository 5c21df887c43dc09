//! The browser editor end to end: a real server, Debian's headless Chromium driven by
//! `tests/e2e/editor.mjs` (playwright-core, axe-core), then the server's own reading of what the
//! browser typed (`GET /api/plans/{id}`), which proves the browser writes the schema the server
//! reads. Fails, never skips, when Node, Chromium or the test packages are missing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

/// Strings typed by tests/e2e/editor.mjs (its `TEXT`).
const PROSE: &str = "Bydelen har mange tjenester";
const BOLD: &str = "viktig";
const ITEM: &str = "Første punkt";
const LINK_TEXT: &str = "KoRus Oslo";
const HREF: &str = "https://korus-oslo.no/";
const TILTAK: &str = "Rusfritt ungdomshus fra A";
const OFFLINE: &str = "Skrevet frakoblet av B";
const ONLINE: &str = "Skrevet av A mens B var borte";
const RELOAD: &str = "Lagret lokalt i nettleseren";
const MILESTONE: &str = "Utkast sendt på høring";
const INDIKATOR: &str = "Antall ungdommer som deltar";

fn chromium_path() -> PathBuf {
    std::env::var_os("SAMSKRIV_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Everything the scenario needs, with what to install when it is missing.
pub(crate) fn check_prerequisites(e2e: &Path) {
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|out| out.status.success()),
        "Node.js is missing: install Node 20 (the browser test runs tests/e2e/editor.mjs with node)"
    );
    assert!(
        chromium_path().exists(),
        "Chromium is missing at {}: run `apt-get update && apt-get install -y chromium` \
         (or set SAMSKRIV_CHROMIUM to a Chromium binary)",
        chromium_path().display()
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            e2e.join("node_modules").join(package).exists(),
            "the browser test's packages are missing: run `npm ci --prefix tests/e2e` ({package})"
        );
    }
}

/// `program` under `taskset` (the last CPU) and `nice`, where those exist (util-linux, coreutils).
fn low_priority(program: &str) -> tokio::process::Command {
    let mut prefix: Vec<String> = Vec::new();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if cpus > 1 && Path::new("/usr/bin/taskset").exists() {
        prefix.extend([
            "/usr/bin/taskset".into(),
            "-c".into(),
            (cpus - 1).to_string(),
        ]);
    }
    if Path::new("/usr/bin/nice").exists() {
        prefix.extend(["/usr/bin/nice".into(), "-n".into(), "15".into()]);
    }
    prefix.push(program.to_owned());
    let mut command = tokio::process::Command::new(&prefix[0]);
    command.args(&prefix[1..]);
    command
}

async fn api(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Value {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("API request");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON answer");
    assert!(status.is_success(), "{url}: {status} {body}");
    body
}

/// All text runs of a block list, flattened (paragraphs, headings, lists, quotes, tables).
fn runs(blocks: &Value, out: &mut Vec<Value>) {
    for block in blocks.as_array().into_iter().flatten() {
        for inline in block["content"].as_array().into_iter().flatten() {
            out.push(inline.clone());
        }
        runs(&block["blocks"], out);
        for item in block["items"].as_array().into_iter().flatten() {
            runs(&item["blocks"], out);
        }
    }
}

fn section<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["sections"]
        .as_array()
        .and_then(|sections| sections.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("section {id} in {plan}"))
}

/// One browser scenario at a time: two at once would starve each other on a two-core machine.
/// Runs the browser scenario `script` (in `tests/e2e`) against `base` and `plan_id`, with its
/// screenshots in `out_dir` and the sign-ins in `env`; fails the test with the scenario's output
/// unless it succeeds within 5 minutes, and returns the JSON summary on its last line (`Null` if
/// it printed none).
pub(crate) async fn run_scenario(
    e2e: &Path,
    script: &str,
    base: &str,
    plan_id: &str,
    out_dir: &Path,
    env: &[(&str, String)],
) -> Value {
    // The browser runs at low CPU priority and on one CPU only: on a two-core machine it would
    // otherwise starve the timing-sensitive live tests that run beside it in this binary.
    let mut command = low_priority("node");
    command
        .arg(e2e.join(script))
        .arg(base)
        .arg(plan_id)
        .arg(out_dir)
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .unwrap_or_else(|_| panic!("the scenario {script} finishes within 5 minutes"))
        .expect("node runs (install Node.js 20)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the scenario {script} failed (screenshots in {}):\n{stdout}\n{stderr}",
        out_dir.display()
    );
    println!("{stdout}");
    stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or(Value::Null)
}

pub(crate) static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn the_browser_editor_works_end_to_end_and_the_server_reads_what_it_wrote() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    check_prerequisites(&e2e);
    let _one_at_a_time = BROWSER.lock().await;

    // The plan's layout is checked as in production: everything the editor writes must pass.
    let app = TestApp::spawn_with(|c| c.live.free_form_roots = false).await;
    let base = format!("http://{}", app.addr);
    let http = reqwest::Client::new();
    let plan = api(
        &http,
        reqwest::Method::POST,
        &format!("{base}/api/plans"),
        Some(json!({"title": "Ruspolitisk handlingsplan", "bydel": "Nordstrand", "periode": "2025–2028", "template": "korus-ruspolitisk-handlingsplan"})),
    )
    .await;
    let plan_id = plan["id"].as_str().expect("plan id").to_owned();
    // One existing row, so the new one has a neighbour to move past.
    api(
        &http,
        reqwest::Method::POST,
        &format!("{base}/api/plans/{plan_id}/tiltak"),
        Some(json!([{"strategi": "forebygging", "tiltak": "Eksisterende tiltak", "ansvarlig": ["NAV"]}])),
    )
    .await;

    let out_dir = root.join("target/e2e-screenshots");
    println!(
        "browser test: screenshots and summary in {}",
        out_dir.display()
    );
    run_scenario(&e2e, "editor.mjs", &base, &plan_id, &out_dir, &[]).await;

    // What the server stored is what the browser typed, in the schema the server reads.
    let plan = api(
        &http,
        reqwest::Method::GET,
        &format!("{base}/api/plans/{plan_id}"),
        None,
    )
    .await;
    let intro = section(&plan, "innledning.hva-er-planen");
    let mut inlines = Vec::new();
    runs(&intro["blocks"], &mut inlines);
    let text_of = |inline: &Value| inline["text"].as_str().unwrap_or_default().to_owned();
    assert!(
        inlines
            .iter()
            .any(|i| text_of(i).contains(PROSE) && i["bold"] == false),
        "plain prose: {intro}"
    );
    assert!(
        inlines
            .iter()
            .any(|i| text_of(i) == BOLD && i["bold"] == true),
        "bold run `{BOLD}`: {intro}"
    );
    assert!(
        inlines
            .iter()
            .any(|i| text_of(i) == LINK_TEXT && i["link"] == HREF),
        "link run: {intro}"
    );
    let list = intro["blocks"]
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == "bullet_list"))
        .unwrap_or_else(|| panic!("a bullet list: {intro}"));
    assert_eq!(list["items"][0]["blocks"][0]["type"], "paragraph");
    assert_eq!(list["items"][0]["blocks"][0]["content"][0]["text"], ITEM);

    let status_text = section(&plan, "hvor-star-vi.nasituasjon")["blocks"].to_string();
    for expected in [OFFLINE, ONLINE, RELOAD, "BBB"] {
        assert!(
            status_text.contains(expected),
            "`{expected}` in {status_text}"
        );
    }
    assert!(
        !status_text.contains("AAA"),
        "the undone text is gone: {status_text}"
    );

    let row = plan["tiltak"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["tiltak"] == TILTAK))
        .unwrap_or_else(|| panic!("the browser's tiltak row: {}", plan["tiltak"]));
    assert_eq!(row["strategi"], "forebygging");
    assert_eq!(row["status"], "pabegynt");
    assert_eq!(row["ansvarlig"], json!(["Utekontakten"]));
    assert_eq!(row["frist"], "2027", "B's offline edit");
    assert_eq!(row["niva"], "gruppe");
    assert_eq!(row["indikator"], INDIKATOR);
    assert!(
        row["id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()),
        "UUID id: {row}"
    );
    assert_eq!(plan["tiltak"].as_array().map(Vec::len), Some(2));
    assert_eq!(plan["checklist"]["hvor-star-vi.nokkeltall/fhi"], true);
    let milestone = plan["milestones"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["title"] == MILESTONE))
        .unwrap_or_else(|| panic!("the milestone: {}", plan["milestones"]));
    assert_eq!(milestone["date"], "2026-03-01");
    app.stop().await;
}

/// A KoRus adviser and NAV's writer (the plan's coordinator) in two real browsers: the adviser
/// signs in, selects text and comments; the writer sees the thread live, types before it (the
/// highlight follows its words), replies and resolves it; the adviser sees it resolved. Then the
/// server's own record of it.
#[tokio::test]
async fn an_adviser_comments_in_the_browser_and_the_coordinator_resolves_it_live() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    check_prerequisites(&e2e);
    let _one_at_a_time = BROWSER.lock().await;

    let app = TestApp::spawn_with(|c| {
        c.open_editing = false;
        c.live.free_form_roots = false;
    })
    .await;
    let admin = app.admin().await;
    let plan_id = Api::as_person(&app, &admin)
        .create_plan("korus-ruspolitisk-handlingsplan")
        .await;
    let id: samskriv::plan::PlanId = plan_id.parse().expect("plan id");
    let adviser = app
        .person(
            "Rita Rådgiver",
            Some((id, samskriv::access::Role::Adviser, None)),
        )
        .await;
    // The one who resolves writes for NAV and coordinates the plan: only the coordinator and
    // a thread's author resolve threads (tests/api/comments.rs checks that a plain editor
    // cannot).
    let editor = app
        .person(
            "Erik NAV",
            Some((id, samskriv::access::Role::Coordinator, Some("NAV"))),
        )
        .await;
    // localhost, as people open it: the session cookie is `Secure`, which browsers accept on
    // http://localhost.
    let base = format!("http://localhost:{}", app.addr.port());
    let out_dir = root.join("target/e2e-screenshots/comments");
    let summary = run_scenario(
        &e2e,
        "comments.mjs",
        &base,
        &plan_id,
        &out_dir,
        &[
            ("SAMSKRIV_E2E_ADVISER", adviser.sign_in()),
            ("SAMSKRIV_E2E_EDITOR", editor.sign_in()),
        ],
    )
    .await;
    let thread_id = summary["thread_id"].as_str().expect("thread id");

    // The server's record: the adviser's thread, resolved by the editor, with the reply.
    let (status, thread) = Api::as_person(&app, &admin)
        .get(&format!("/api/plans/{plan_id}/threads/{thread_id}"))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{thread}");
    assert_eq!(thread["status"], "resolved", "{thread}");
    assert_eq!(thread["author"]["name"], "Rita Rådgiver", "{thread}");
    assert_eq!(thread["resolved_by"]["name"], "Erik NAV", "{thread}");
    assert_eq!(thread["anchor"]["kind"], "text", "{thread}");
    assert_eq!(thread["anchor_state"], "present", "{thread}");
    assert!(
        thread["comments"].as_array().is_some_and(|c| c.len() >= 2),
        "the adviser's comment and the editor's reply: {thread}"
    );
    // The adviser changed nothing in the plan: every logged update is the editor's.
    let authors: Vec<Option<String>> = match &app.storage.db() {
        samskriv::storage::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT author FROM plan_updates WHERE plan_id = $1")
                .bind(&plan_id)
                .fetch_all(pool)
                .await
                .expect("read the log")
        }
        samskriv::storage::Db::Postgres(_) => unreachable!("the test uses SQLite"),
    };
    let adviser_id = format!("user:{}", adviser.id);
    assert!(
        !authors.iter().flatten().any(|a| *a == adviser_id),
        "the adviser wrote to the plan: {authors:?}"
    );
    app.stop().await;
}

/// The coordinator shapes a plan of the combined template in the browser: renames a section,
/// adds one, adds a plan goal, makes a tiltak that belongs to two target groups and deletes a
/// target group; an editor's browser sees the new section live. The server's record follows.
#[tokio::test]
async fn the_coordinator_shapes_the_plan_in_the_browser_and_others_see_it_live() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    check_prerequisites(&e2e);
    let _one_at_a_time = BROWSER.lock().await;
    let app = TestApp::spawn_with(|c| {
        c.open_editing = false;
        c.live.free_form_roots = false;
    })
    .await;
    let admin = app.admin().await;
    let plan_id = Api::as_person(&app, &admin)
        .create_plan("handlingsplan-psykisk-helse-og-rus")
        .await;
    let id: samskriv::plan::PlanId = plan_id.parse().expect("plan id");
    let coordinator = app
        .person(
            "Kari Koordinator",
            Some((id, samskriv::access::Role::Coordinator, Some("NAV"))),
        )
        .await;
    let editor = app
        .person(
            "Ola Redaktør",
            Some((id, samskriv::access::Role::Editor, Some("Utekontakten"))),
        )
        .await;
    let base = format!("http://localhost:{}", app.addr.port());
    let out_dir = root.join("target/e2e-screenshots/structure");
    let summary = run_scenario(
        &e2e,
        "structure.mjs",
        &base,
        &plan_id,
        &out_dir,
        &[
            ("SAMSKRIV_E2E_COORDINATOR", coordinator.sign_in()),
            ("SAMSKRIV_E2E_EDITOR", editor.sign_in()),
        ],
    )
    .await;

    let (status, plan) = Api::as_person(&app, &admin)
        .get(&format!("/api/plans/{plan_id}"))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{plan}");
    let nodes = {
        fn walk<'a>(tree: &'a Value, out: &mut Vec<&'a Value>) {
            for node in tree.as_array().into_iter().flatten() {
                out.push(node);
                walk(&node["children"], out);
            }
        }
        let mut out = Vec::new();
        walk(&plan["structure"], &mut out);
        out
    };
    let local = summary["local_section_id"]
        .as_str()
        .expect("local section id");
    let added = nodes
        .iter()
        .find(|n| n["id"] == local)
        .unwrap_or_else(|| panic!("the added section {local}: {}", plan["structure"]));
    assert_eq!(added["local"], true);
    assert!(local.starts_with("utarbeidelse."), "{local}");
    let innledning = nodes
        .iter()
        .find(|n| n["id"] == "innledning")
        .expect("innledning");
    assert_eq!(innledning["heading"], "Innledning og bakgrunn");
    assert!(
        plan["goals"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["title"] == summary["goal_title"])),
        "the goal: {}",
        plan["goals"]
    );
    let row_id = summary["row_id"].as_str().expect("row id");
    let row = plan["tiltak"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == row_id))
        .unwrap_or_else(|| panic!("the row: {}", plan["tiltak"]));
    assert_eq!(
        row["sections"],
        json!([
            "malgrupper.barn-og-unge.nye-tiltak",
            "malgrupper.voksne.nye-tiltak"
        ]),
        "{row}"
    );
    assert!(
        plan["target_groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["id"] == "eldre")),
        "the target group deleted and brought back with «Angre»: {}",
        plan["target_groups"]
    );
    app.stop().await;
}

/// Every page of a plan on a phone (390×844) and a laptop (1366×768): none scrolls sideways at
/// 390 px and axe-core finds nothing on any; «Legg til» and «Frys versjon» answer with a status
/// message; an adviser's status line says she may comment; a lowered role goes read-only; and a
/// member removed on the members page («Fjern …», «Ja, fjern …») is told within 2 s on their
/// open page. Screenshots: `target/e2e-screenshots/pages/` (the version page at 390 px is
/// `versjon-390.png`).
#[tokio::test]
async fn every_page_fits_a_phone_passes_axe_and_a_removed_member_is_told_at_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    check_prerequisites(&e2e);
    let _one_at_a_time = BROWSER.lock().await;
    let app = TestApp::spawn_with(|c| {
        c.open_editing = false;
        c.live.free_form_roots = false;
    })
    .await;
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let plan_id = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    // The demo plan's tiltak: a frozen version with a full, wide table.
    let rows: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("templates/demo/nordstrand-tiltak.json"))
            .expect("demo tiltak"),
    )
    .expect("JSON");
    let rows = rows.get("tiltak").cloned().unwrap_or(rows);
    let (status, body) = api
        .post(&format!("/api/plans/{plan_id}/tiltak"), &rows)
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let (status, body) = api
        .post(
            &format!("/api/plans/{plan_id}/versions"),
            &json!({"name": "Høringsutkast"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let id: samskriv::plan::PlanId = plan_id.parse().expect("plan id");
    use samskriv::access::Role;
    let coordinator = app
        .person(
            "Kari Koordinator",
            Some((id, Role::Coordinator, Some("NAV"))),
        )
        .await;
    let editor = app
        .person(
            "Ola Redaktør",
            Some((id, Role::Editor, Some("Utekontakten"))),
        )
        .await;
    let lowered = app
        .person("Per Redaktør", Some((id, Role::Editor, Some("NAV"))))
        .await;
    let adviser = app
        .person("Rita Rådgiver", Some((id, Role::Adviser, None)))
        .await;
    let newcomer = app.person("Nina Ny", None).await;
    let base = format!("http://localhost:{}", app.addr.port());
    let out_dir = root.join("target/e2e-screenshots/pages");
    let summary = run_scenario(
        &e2e,
        "pages.mjs",
        &base,
        &plan_id,
        &out_dir,
        &[
            ("SAMSKRIV_E2E_COORDINATOR", coordinator.sign_in()),
            ("SAMSKRIV_E2E_EDITOR", editor.sign_in()),
            ("SAMSKRIV_E2E_LOWERED", lowered.sign_in()),
            ("SAMSKRIV_E2E_ADVISER", adviser.sign_in()),
            ("SAMSKRIV_E2E_NEWCOMER", newcomer.email.clone()),
        ],
    )
    .await;
    assert!(
        summary["revoked_after_ms"]
            .as_u64()
            .is_some_and(|ms| ms <= 2000),
        "{summary}"
    );
    assert!(out_dir.join("versjon-390.png").exists());

    // The server's record: the editor removed, the second editor an adviser, the newcomer a
    // reader, and the version frozen in the browser.
    let (_, members) = api.get(&format!("/api/plans/{plan_id}/members")).await;
    let role_of = |who: &Person| {
        members
            .as_array()
            .and_then(|m| m.iter().find(|m| m["user"]["id"] == who.id.as_str()))
            .map(|m| m["role"].clone())
    };
    assert_eq!(role_of(&editor), None, "{members}");
    assert_eq!(role_of(&lowered), Some(json!("adviser")), "{members}");
    assert_eq!(role_of(&newcomer), Some(json!("reader")), "{members}");
    let (_, versions) = api.get(&format!("/api/plans/{plan_id}/versions")).await;
    assert_eq!(versions[0]["name"], "Utkast til BU", "{versions}");
    app.stop().await;
}

/// Status rounds (issue 16) in the browser: a unit editor reports on a phone (a missing reason
/// refused beside the field, then saved), the coordinator sees the overview and closes the round;
/// axe on every page. The server then has the editor's report and the round closed.
#[tokio::test]
async fn a_unit_reports_in_a_status_round_and_the_coordinator_closes_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    check_prerequisites(&e2e);
    let _one_at_a_time = BROWSER.lock().await;
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let admin = app.admin().await;
    let api = Api::as_person(&app, &admin);
    let plan_id = api.create_plan("korus-ruspolitisk-handlingsplan").await;
    let (status, body) = api
        .post(
            &format!("/api/plans/{plan_id}/tiltak"),
            &json!([
                {"strategi": "forebygging", "tiltak": "Foreldremøter om alkohol", "ansvarlig": ["NAV"],
                 "indikator": "Antall møter"},
                {"strategi": "tidlig_innsats", "tiltak": "Oppsøkende arbeid", "ansvarlig": ["Utekontakten"]},
                {"strategi": "livskvalitet", "tiltak": "Samarbeid om bolig", "ansvarlig": ["NAV", "Utekontakten"]},
            ]),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let (_, version) = api
        .post(
            &format!("/api/plans/{plan_id}/versions"),
            &json!({"name": "Vedtatt av BU"}),
        )
        .await;
    let (status, body) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/plans/{plan_id}"),
            json!({"status": "vedtatt", "adopted": {"version": version["id"], "date": "2026-03-12", "sak": "BU-sak 12/26"}})
                .to_string(),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let (status, round) = api
        .post(
            &format!("/api/plans/{plan_id}/rounds"),
            &json!({"name": "Status 2026", "deadline": "2026-12-01"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{round}");
    let round = round["id"].as_str().expect("round id").to_owned();
    let id: samskriv::plan::PlanId = plan_id.parse().expect("plan id");
    use samskriv::access::Role;
    let coordinator = app
        .person("Kari Koordinator", Some((id, Role::Coordinator, None)))
        .await;
    let editor = app
        .person("Nina Nav", Some((id, Role::Editor, Some("NAV"))))
        .await;
    let base = format!("http://localhost:{}", app.addr.port());
    let out_dir = root.join("target/e2e-screenshots/rounds");
    let summary = run_scenario(
        &e2e,
        "rounds.mjs",
        &base,
        &plan_id,
        &out_dir,
        &[
            ("SAMSKRIV_E2E_COORDINATOR", coordinator.sign_in()),
            ("SAMSKRIV_E2E_EDITOR", editor.sign_in()),
            ("SAMSKRIV_E2E_ROUND", round.clone()),
        ],
    )
    .await;
    assert_eq!(summary["editor_forms"], 2, "{summary}");
    assert!(out_dir.join("statusrunde-redaktor-390.png").exists());

    let (_, view) = api
        .get(&format!("/api/plans/{plan_id}/rounds/{round}"))
        .await;
    assert_eq!(view["closed"], true, "{view}");
    let reported: Vec<&Value> = view["tiltak"]
        .as_array()
        .expect("tiltak")
        .iter()
        .filter_map(|t| t.get("entry").filter(|e| !e.is_null()))
        .collect();
    assert_eq!(reported.len(), 1, "{view}");
    assert_eq!(reported[0]["status"], "utsatt");
    assert_eq!(reported[0]["comment"], "Venter på nye stillinger");
    app.stop().await;
}
