//! The command line, run as the real binary against a real database file.

use std::path::Path;
use std::process::Output;

use yrs::{Array, Text, Transact, WriteTxn};

use crate::helpers::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

async fn samskriv(db: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args(args)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("samskriv runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn create_plan(db: &Path) -> String {
    let output = samskriv(
        db,
        &[
            "plan",
            "create",
            "--template",
            "korus-ruspolitisk-handlingsplan",
            "--title",
            "Plan for Alna",
            "--bydel",
            "Alna",
            "--periode",
            "2026–2029",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let id = stdout(&output);
    // The id alone, so scripts can use it.
    assert_eq!(
        id.trim_end()
            .parse::<samskriv::plan::PlanId>()
            .map(|p| p.to_string())
            .ok()
            .as_deref(),
        Some(id.trim_end())
    );
    assert_eq!(id.lines().count(), 1);
    id.trim_end().to_owned()
}

#[tokio::test]
async fn plan_create_prints_the_id_alone_and_plan_list_shows_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("cli.sqlite3");
    let id = create_plan(&db).await;
    let list = samskriv(&db, &["plan", "list"]).await;
    assert!(list.status.success());
    let line = stdout(&list)
        .lines()
        .find(|l| l.starts_with(&id))
        .map(str::to_owned)
        .expect("listed");
    assert!(
        line.contains("Plan for Alna\tAlna\t2026–2029\tkorus-ruspolitisk-handlingsplan@1\tutkast"),
        "{line}"
    );

    let bad = samskriv(
        &db,
        &[
            "plan",
            "create",
            "--title",
            "X",
            "--bydel",
            "Atlantis",
            "--periode",
            "2026",
        ],
    )
    .await;
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("unknown bydel 'Atlantis'"),
        "{}",
        stderr(&bad)
    );
}

#[tokio::test]
async fn import_tiltak_reaches_a_running_server_at_its_next_commit() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("cli.sqlite3");
    let id = create_plan(&db).await;
    let app = TestApp::spawn_on(&db, |_| {}).await;
    let mut client = app.client(id.parse().expect("id")).await;

    let fixture = format!("{ROOT}/templates/demo/nordstrand-tiltak.json");
    let output = samskriv(&db, &["plan", "import-tiltak", &id, &fixture]).await;
    assert!(output.status.success(), "{}", stderr(&output));

    // The server has the plan open; its next commit picks up what the CLI appended.
    client
        .edit(|txn| txn.get_or_insert_text("t").push(txn, "neste endring"))
        .await;
    client
        .wait_for(|c| {
            c.doc()
                .get_or_insert_array("tiltak")
                .len(&c.doc().transact())
                == 49
        })
        .await;
    let fresh = app.client(id.parse().expect("id")).await;
    assert_eq!(
        fresh
            .doc()
            .get_or_insert_array("tiltak")
            .len(&fresh.doc().transact()),
        49
    );
    app.stop().await;
}

#[tokio::test]
async fn import_tiltak_refuses_bad_files_and_unknown_plans() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("cli.sqlite3");
    let id = create_plan(&db).await;
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"strategi": "reparasjon"}]"#).expect("write");
    let output = samskriv(
        &db,
        &["plan", "import-tiltak", &id, bad.to_str().expect("path")],
    )
    .await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("bad.json") && stderr(&output).contains("reparasjon"),
        "{}",
        stderr(&output)
    );

    let unknown = samskriv::plan::PlanId::new_random().to_string();
    let fixture = format!("{ROOT}/templates/demo/nordstrand-tiltak.json");
    let output = samskriv(&db, &["plan", "import-tiltak", &unknown, &fixture]).await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );

    // An archived plan is read-only for the command line too.
    let storage = open_storage(&db).await;
    storage
        .set_plan_archived(id.parse().expect("id"), Some(1_764_000_000_000))
        .await
        .expect("archived");
    let output = samskriv(&db, &["plan", "import-tiltak", &id, &fixture]).await;
    assert!(!output.status.success());
    assert!(stderr(&output).contains("archived"), "{}", stderr(&output));

    assert_eq!(
        storage.log_len(id.parse().expect("id")).await.expect("log"),
        1,
        "nothing appended"
    );
}

#[tokio::test]
async fn template_check_names_the_file_and_the_problem() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("unused.sqlite3");
    let good = format!("{ROOT}/templates/plans/korus-ruspolitisk-handlingsplan.toml");
    let output = samskriv(&db, &["template", "check", &good]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "korus-ruspolitisk-handlingsplan@1");

    let broken = format!("{ROOT}/tests/fixtures/templates/broken-duplicate-section.toml");
    let output = samskriv(&db, &["template", "check", &broken]).await;
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("broken-duplicate-section.toml") && message.contains("duplicate"),
        "{message}"
    );
}

/// `samskriv user create` prints a link with the address the server uses: `SAMSKRIV_PUBLIC_URL`
/// when set, else guessed from the listen address (`SAMSKRIV_LISTEN`), and says it guessed.
#[tokio::test]
async fn user_create_prints_a_link_with_the_servers_public_address() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("cli.sqlite3");
    let create = |email: &'static str, env: Vec<(&'static str, &'static str)>| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_samskriv"));
        command
            .args([
                "user",
                "create",
                "--email",
                email,
                "--name",
                "Kari Nordmann",
            ])
            .env("DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("RUST_LOG", "warn")
            .env_remove("SAMSKRIV_PUBLIC_URL")
            .env_remove("SAMSKRIV_LISTEN");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output()
    };

    // Set: exactly that address, without a doubled slash, and no note about guessing.
    let output = create(
        "kari@oslo.kommune.no",
        vec![("SAMSKRIV_PUBLIC_URL", "https://samskriv.oslo.example/")],
    )
    .await
    .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let link = stdout(&output).trim().to_owned();
    assert!(
        link.starts_with("https://samskriv.oslo.example/velkommen/"),
        "{link}"
    );
    assert!(!stderr(&output).contains("gjettet"), "{}", stderr(&output));

    // Not set: the server's own default, http://localhost:<the listen port>, and a note saying so.
    let output = create(
        "ola@oslo.kommune.no",
        vec![("SAMSKRIV_LISTEN", "0.0.0.0:9345")],
    )
    .await
    .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let link = stdout(&output).trim().to_owned();
    assert!(
        link.starts_with("http://localhost:9345/velkommen/"),
        "{link}"
    );
    let note = stderr(&output);
    assert!(
        note.contains("SAMSKRIV_PUBLIC_URL") && note.contains("gjettet"),
        "{note}"
    );
}
