//! The live core: convergence, durability, awareness, bad input, read-only connections,
//! fairness and the stock Yjs client.

use std::time::Duration;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{Array, GetString, Map, Text, Transact, WriteTxn};

use crate::helpers::*;

fn text_of(client: &TestClient, name: &str) -> String {
    let text = client.doc().get_or_insert_text(name);
    text.get_string(&client.doc().transact())
}

#[tokio::test]
async fn two_clients_converge_and_a_late_joiner_gets_everything() {
    let app = TestApp::spawn().await;
    let plan = app.create_plan().await;
    let mut a = app.client(plan).await;
    let mut b = app.client(plan).await;

    a.edit(|txn| {
        txn.get_or_insert_text("t").insert(txn, 0, "Hvor står vi?");
    })
    .await;
    b.edit(|txn| {
        txn.get_or_insert_map("m")
            .insert(txn, "fra_b", "Utekontakten");
    })
    .await;
    a.edit(|txn| {
        txn.get_or_insert_array("a").push_back(txn, "tiltak 1");
    })
    .await;
    b.edit(|txn| {
        txn.get_or_insert_text("t").insert(txn, 0, "2 ");
    })
    .await;

    let target_len = "2 Hvor står vi?".len();
    a.wait_for(|c| {
        text_of(c, "t").len() == target_len && c.snapshot_json().contains("Utekontakten")
    })
    .await;
    b.wait_for(|c| text_of(c, "t").len() == target_len && c.snapshot_json().contains("tiltak 1"))
        .await;
    assert_eq!(a.snapshot_json(), b.snapshot_json());

    let late = app.client(plan).await;
    assert_eq!(late.snapshot_json(), a.snapshot_json());
    app.stop().await;
}

#[tokio::test]
async fn ten_clients_editing_text_map_and_array_at_once_converge() {
    let app = TestApp::spawn().await;
    let plan = app.create_plan().await;
    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(app.client(plan).await);
    }
    // Everyone edits before reading anything: the edits are truly concurrent.
    for (i, client) in clients.iter_mut().enumerate() {
        let label = format!("[{i}]");
        client
            .edit(|txn| {
                txn.get_or_insert_text("t").insert(txn, 0, &label);
                txn.get_or_insert_map("m")
                    .insert(txn, label.as_str(), i as i64);
                txn.get_or_insert_array("a").push_back(txn, label.as_str());
            })
            .await;
    }
    for client in clients.iter_mut() {
        client
            .wait_for(|c| c.doc().get_or_insert_array("a").len(&c.doc().transact()) == 10)
            .await;
    }
    let expected = clients[0].snapshot_json();
    for client in &clients {
        assert_eq!(client.snapshot_json(), expected);
        assert_eq!(text_of(client, "t").len(), "[0]".len() * 10);
    }
    let late = app.client(plan).await;
    assert_eq!(late.snapshot_json(), expected);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_everything() {
    let app = TestApp::spawn().await;
    let db = app.db_path.clone();
    let plan = app.create_plan().await;
    let mut a = app.client(plan).await;
    for i in 0..50 {
        a.edit(|txn| {
            txn.get_or_insert_text("t").push(txn, &format!("{i},"));
        })
        .await;
    }
    let mut b = app.client(plan).await;
    b.wait_for(|c| text_of(c, "t").ends_with("49,")).await;
    let before = b.snapshot_json();
    drop((a, b));
    let dir = app.stop().await;

    // Graceful shutdown compacts: the log is folded into the snapshot.
    let storage = open_storage(&db).await;
    assert_eq!(storage.log_len(plan).await.expect("log"), 0);
    drop(storage);

    let again = TestApp::spawn_on(&db, |_| {}).await;
    let c = again.client(plan).await;
    assert_eq!(c.snapshot_json(), before);
    again.stop().await;
    drop(dir);
}

#[tokio::test]
async fn updates_are_committed_in_groups_and_compacted_past_the_threshold() {
    let app = TestApp::spawn_with(|c| c.live.compact_after = 20).await;
    let plan = app.create_plan().await;
    let mut a = app.client(plan).await;
    let mut b = app.client(plan).await;
    for i in 0..45 {
        a.edit(|txn| {
            txn.get_or_insert_text("t").push(txn, &format!("{i} "));
        })
        .await;
    }
    b.wait_for(|c| text_of(c, "t").ends_with("44 ")).await;
    // 1 initial update + 45 edits, compacted at least twice: fewer than 20 remain in the log.
    let log = app.storage.log_len(plan).await.expect("log");
    assert!(log < 20, "log holds {log} entries");
    let fresh = app.client(plan).await;
    assert_eq!(fresh.snapshot_json(), b.snapshot_json());
    app.stop().await;
}

/// A server killed with SIGKILL at any moment keeps every update any client received from it.
#[tokio::test]
async fn sigkill_loses_nothing_that_was_relayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.sqlite3");
    let plan = {
        let storage = open_storage(&db).await;
        storage
            .create_plan(
                &samskriv::plan::NewPlan {
                    template: "korus-ruspolitisk-handlingsplan@1".into(),
                    ..Default::default()
                },
                yrs::Update::EMPTY_V1,
            )
            .await
            .expect("plan")
            .id
    };
    let mut expected = yrs::StateVector::default();
    for round in 0..12 {
        let server = ServerProcess::start(&sqlite_url(&db), &["--ping-secs", "60"])
            .await
            .expect("server binary starts");
        let mut writer = TestClient::connect(&server.ws_url(plan)).await;
        let mut reader = TestClient::connect(&server.ws_url(plan)).await;
        assert!(
            covers(&reader.state_vector(), &expected),
            "round {round}: the restarted server lost updates it had relayed"
        );
        // The writer keeps typing; the reader's view is what the server has relayed.
        let edits = 5 + round * 3;
        for i in 0..edits {
            writer
                .edit(|txn| {
                    txn.get_or_insert_text("t")
                        .push(txn, &format!("r{round}e{i};"))
                })
                .await;
        }
        let wanted = format!("r{round}e{};", edits / 2);
        reader.wait_for(|c| text_of(c, "t").contains(&wanted)).await;
        // Kill at once, with later edits possibly still in flight.
        server.kill().await.expect("SIGKILL");
        expected = reader.state_vector();
    }
    let server = ServerProcess::start(&sqlite_url(&db), &[])
        .await
        .expect("server binary starts");
    let last = TestClient::connect(&server.ws_url(plan)).await;
    assert!(covers(&last.state_vector(), &expected));
    server.kill().await.expect("SIGKILL");
}

#[tokio::test]
async fn awareness_is_relayed_and_removed_when_a_client_leaves() {
    let app = TestApp::spawn().await;
    let plan = app.create_plan().await;
    let mut a = app.client(plan).await;
    let mut b = app.client(plan).await;
    a.set_awareness(r#"{"user":{"name":"Kari","unit":"NAV"}}"#)
        .await;
    b.wait_for(|c| c.peers().values().any(|s| s.contains("Kari")))
        .await;

    // A late joiner receives current awareness on connect.
    let mut c = app.client(plan).await;
    c.wait_for(|c| c.peers().values().any(|s| s.contains("Kari")))
        .await;

    // A vanishes without saying goodbye: its state is removed for everyone.
    drop(a);
    b.wait_for(|c| c.peers().is_empty()).await;
    c.wait_for(|c| c.peers().is_empty()).await;
    app.stop().await;
}

/// Sends a bad frame on one connection and checks: the close code, nothing stored, and the room
/// still serving another client.
async fn assert_refused(
    frame: WsMessage,
    expected_code: u16,
    configure: fn(&mut samskriv::config::ServeConfig),
) {
    let app = TestApp::spawn_with(configure).await;
    let plan = app.create_plan().await;
    let mut bystander = app.client(plan).await;
    let mut bad = app.client(plan).await;
    let log_before = app.storage.log_len(plan).await.expect("log");

    bad.socket.send(frame).await.expect("frame sent");
    let (code, reason) = bad.expect_close().await;
    assert_eq!(code, expected_code, "close reason: {reason}");
    assert!(!reason.is_empty(), "a close needs a reason");
    assert_eq!(
        app.storage.log_len(plan).await.expect("log"),
        log_before,
        "nothing is stored"
    );

    let mut other = app.client(plan).await;
    other
        .edit(|txn| {
            txn.get_or_insert_text("t").push(txn, "fortsatt i drift");
        })
        .await;
    bystander
        .wait_for(|c| text_of(c, "t") == "fortsatt i drift")
        .await;
    app.stop().await;
}

fn defaults(_: &mut samskriv::config::ServeConfig) {}

#[tokio::test]
async fn a_text_frame_is_refused() {
    assert_refused(WsMessage::Text("hei".into()), 1003, defaults).await;
}

#[tokio::test]
async fn a_truncated_varint_is_refused() {
    assert_refused(
        WsMessage::Binary(vec![0x00, 0x02, 0xff].into()),
        1007,
        defaults,
    )
    .await;
}

#[tokio::test]
async fn an_unknown_message_type_is_refused() {
    assert_refused(WsMessage::Binary(vec![9, 1, 0].into()), 1003, defaults).await;
}

#[tokio::test]
async fn an_update_that_does_not_decode_is_refused() {
    let frame = Message::Sync(SyncMessage::Update(vec![3, 250, 1, 7, 7])).encode_v1();
    assert_refused(WsMessage::Binary(frame.into()), 1007, defaults).await;
}

#[tokio::test]
async fn a_frame_over_the_size_limit_is_refused() {
    let big = Message::Sync(SyncMessage::Update(vec![0; 70_000])).encode_v1();
    assert_refused(WsMessage::Binary(big.into()), 1009, |c| {
        c.live.max_frame_bytes = 64 * 1024
    })
    .await;
}

#[tokio::test]
async fn malformed_and_unknown_plan_ids_get_http_errors_before_the_upgrade() {
    let app = TestApp::spawn().await;
    expect_http_status(&app.ws_url("ikke-en-plan"), 400).await;
    expect_http_status(&app.ws_url(samskriv::plan::PlanId::new_random()), 404).await;
    expect_http_status(&app.ws_url("%27%3B%20DROP%20TABLE%20plans"), 400).await;
    app.stop().await;
}

#[tokio::test]
async fn concurrent_first_connections_load_the_plan_once() {
    let app = TestApp::spawn().await;
    let plan = app.create_plan().await;
    let connects = (0..20).map(|_| TestClient::connect_owned(app.ws_url(plan)));
    let clients = futures_util::future::join_all(connects).await;
    assert_eq!(clients.len(), 20);
    assert_eq!(app.registry.loaded(), 1);
    app.stop().await;
}

#[tokio::test]
async fn an_idle_room_is_evicted_after_it_is_saved() {
    let app = TestApp::spawn_with(|c| c.live.room_idle_secs = 1).await;
    let plan = app.create_plan().await;
    let mut a = app.client(plan).await;
    a.edit(|txn| {
        txn.get_or_insert_text("t").push(txn, "lagret");
    })
    .await;
    a.pump_for(Duration::from_millis(100)).await;
    drop(a);
    tokio::time::timeout(WAIT, async {
        while app.registry.loaded() > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("room evicted");
    assert_eq!(
        app.storage.log_len(plan).await.expect("log"),
        0,
        "compacted on eviction"
    );
    let b = app.client(plan).await;
    assert_eq!(text_of(&b, "t"), "lagret");
    app.stop().await;
}

/// A client that stops reading never delays the others, and is closed with 4000 once it has
/// fallen further behind than its queue allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_is_closed_and_never_delays_the_others() {
    let app = TestApp::spawn_with(|c| c.live.send_queue = 16).await;
    let plan = app.create_plan().await;
    let mut writer = app.client(plan).await;
    let mut stalled = app.client(plan).await;
    let mut fast = app.client(plan).await;

    // Enough data to fill the kernel's socket buffers towards the stalled client and then its
    // queue: 48 frames of 640 KiB. The fast reader may fall 16 frames (10 MiB) behind, plenty
    // even on a busy machine.
    let chunk = "x".repeat(640 * 1024);
    let edits = 48;
    let total = (edits * chunk.len()) as u32;
    let text_len = |c: &TestClient| {
        let text = c.doc().get_or_insert_text("t");
        text.len(&c.doc().transact())
    };
    let fast_reader = tokio::spawn(async move {
        while text_len(&fast) < total {
            assert!(fast.pump().await, "the fast reader was disconnected");
        }
    });
    for _ in 0..edits {
        writer
            .edit(|txn| txn.get_or_insert_text("t").push(txn, &chunk))
            .await;
    }
    tokio::time::timeout(WAIT, fast_reader)
        .await
        .expect("the fast reader is not held up by the stalled one")
        .expect("fast reader");

    let (code, reason) = stalled.expect_close().await;
    assert_eq!(code, 4000, "close reason: {reason}");
    assert!(
        text_len(&stalled) < total,
        "the stalled client was cut off, not fed everything"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_stock_yjs_client_works_against_the_server() {
    // Editing is closed: the stock client authenticates with a service token, passed as
    // y-websocket's `params` (`?token=…`).
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let plan = app.create_plan().await;
    let (_, token) = samskriv::storage::accounts::create_service_token(
        &app.storage.db(),
        plan,
        "Yjs-klient",
        samskriv::access::Role::Editor,
        None,
    )
    .await
    .expect("token");
    let root = env!("CARGO_MANIFEST_DIR");
    let client_dir = format!("{root}/tests/yjs-client");
    assert!(
        std::path::Path::new(&format!("{client_dir}/node_modules/yjs")).exists(),
        "the Yjs client is not installed: run `npm ci --prefix tests/yjs-client` (README)"
    );
    let output = tokio::process::Command::new("node")
        .arg(format!("{client_dir}/scenario.mjs"))
        .arg(format!("ws://{}/collab", app.addr))
        .arg(plan.to_string())
        .env("SAMSKRIV_TOKEN", &token)
        .output()
        .await
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "yjs scenario failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.contains(r#""ok":true"#))
    );
    app.stop().await;
}
