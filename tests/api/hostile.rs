//! Hostile members (security review, issue 13): frames that claim huge counts, a reader's
//! content, forged presence, oversized frames, a panicking room, and fuzzed frames from many
//! connections. Memory is measured from the server process itself (a child process).

#[path = "../../benches/fuzz/runner.rs"]
#[allow(dead_code)]
mod runner;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use samskriv::access::Role;
use samskriv::plan::PlanId;
use samskriv::storage::accounts::create_service_token;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::write::Write;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{Text, Transact, WriteTxn};

use crate::helpers::*;

const MIB: u64 = 1024;

/// The real server binary on its own database, with a plan and a reader's and an editor's
/// service token.
struct Server {
    child: tokio::process::Child,
    addr: SocketAddr,
    pid: u32,
    /// Lines on the server's standard error that report a panic.
    panics: Arc<AtomicUsize>,
    plan: PlanId,
    reader: String,
    editor: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db: PathBuf = dir.path().join("samskriv.sqlite3");
        let (plan, reader, editor) = runner::plan_with_tokens(open_storage(&db).await.as_ref())
            .await
            .expect("plan and tokens");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_samskriv"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--open-editing", "false"])
            // The editor writes a scratch text `t`: these tests are about frames, not the layout.
            .args(["--free-form-roots", "true"])
            .args(args)
            .env("DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("server binary starts");
        let pid = child.id().expect("pid");
        let panics = Arc::new(AtomicUsize::new(0));
        let mut errors = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let counted = panics.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                if line.contains("panicked") {
                    counted.fetch_add(1, Ordering::Relaxed);
                    eprintln!("server: {line}");
                }
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.expect("stdout") {
                let Some(rest) = line.split("http://").nth(1) else {
                    continue;
                };
                let host = rest.split(['/', ' ']).next().unwrap_or_default();
                if let Ok(addr) = host.replacen("localhost", "127.0.0.1", 1).parse() {
                    return addr;
                }
            }
            panic!("server exited before listening");
        })
        .await
        .expect("server prints its address");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server {
            child,
            addr,
            pid,
            panics,
            plan,
            reader,
            editor,
            _dir: dir,
        }
    }

    fn url(&self, token: &str) -> String {
        format!("ws://{}/collab/{}?token={token}", self.addr, self.plan)
    }

    /// Peak resident memory (VmHWM) in KiB.
    fn peak_kib(&self) -> u64 {
        runner::memory_kib(self.pid).expect("server memory").1
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Sends one frame on a fresh connection and returns the close code the server answers with.
async fn close_code_for(url: &str, frame: Vec<u8>) -> u16 {
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connects");
    let (mut sink, mut stream) = socket.split();
    // Read while sending: a large frame may not fit the socket buffers.
    let reading = tokio::spawn(async move {
        while let Some(message) = stream.next().await {
            match message {
                Ok(WsMessage::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    });
    let _ = sink.send(WsMessage::Binary(frame.into())).await;
    tokio::time::timeout(WAIT, reading)
        .await
        .expect("closed in time")
        .expect("reader")
        .unwrap_or(1006)
}

#[tokio::test]
async fn frames_claiming_huge_counts_cost_the_server_little() {
    let server = Server::start(&[]).await;
    let mut editor = TestClient::connect(&server.url(&server.editor)).await;
    editor
        .edit(|txn| txn.get_or_insert_text("t").push(txn, "hei"))
        .await;
    editor.pump_for(Duration::from_millis(200)).await;
    let before = server.peak_kib();

    // The review's eight-byte frame claiming 940 million state-vector entries, and awareness
    // and update frames claiming 470 million clients: refused, and nothing reserved.
    let reader = server.url(&server.reader);
    let sv = runner::claim(&[0, 0], 940_000_000);
    assert_eq!(sv.len(), 8);
    assert_eq!(close_code_for(&reader, sv.clone()).await, 1007);
    assert_eq!(
        close_code_for(&reader, runner::claim(&[1], 470_000_000)).await,
        1007
    );
    let editor_url = server.url(&server.editor);
    assert_eq!(
        close_code_for(&editor_url, runner::claim(&[0, 2], 470_000_000)).await,
        1007
    );
    // Three such connections at once.
    let at_once = (0..3).map(|_| close_code_for(&reader, sv.clone()));
    for code in futures_util::future::join_all(at_once).await {
        assert_eq!(code, 1007);
    }
    let grown = server.peak_kib().saturating_sub(before);
    eprintln!("peak RSS growth after the counting frames: {grown} KiB");
    assert!(grown < 16 * MIB, "the server grew by {grown} KiB");

    // An 8 MiB frame of awareness queries from a reader that never reads: one answer.
    let before = server.peak_kib();
    let (mut quiet, _) = tokio_tungstenite::connect_async(&reader)
        .await
        .expect("connects");
    quiet
        .send(WsMessage::Binary(vec![3u8; 8 * 1024 * 1024].into()))
        .await
        .expect("sent");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let grown = server.peak_kib().saturating_sub(before);
    eprintln!("peak RSS growth after 8 MiB of awareness queries: {grown} KiB");
    assert!(grown < 64 * MIB, "the server grew by {grown} KiB");
    editor
        .edit(|txn| txn.get_or_insert_text("t").push(txn, "!"))
        .await;
    editor.pump_for(Duration::from_millis(100)).await;
    drop(quiet);
}

#[tokio::test]
async fn a_readers_content_is_refused_without_being_decoded() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let plan = app.create_plan().await;
    let db = app.storage.db();
    let (_, reader) = create_service_token(&db, plan, "leser", Role::Reader, None)
        .await
        .expect("token");
    let (_, editor) = create_service_token(&db, plan, "redaktør", Role::Editor, None)
        .await
        .expect("token");
    let url = |token: &str| format!("{}?token={token}", app.ws_url(plan));
    let mut writer = TestClient::connect(&url(&editor)).await;
    let mut bystander = TestClient::connect(&url(&editor)).await;
    let mut reader = TestClient::connect(&url(&reader)).await;
    let log_before = app.storage.log_len(plan).await.expect("log");

    // 20,000 content messages in one frame whose payloads would not even decode: a reader's
    // are answered once with the auth message, never decoded, and the connection stays.
    let garbage = Message::Sync(SyncMessage::Update(vec![200, 1, 2, 3])).encode_v1();
    let frame: Vec<u8> = garbage
        .iter()
        .copied()
        .cycle()
        .take(garbage.len() * 20_000)
        .collect();
    let started = Instant::now();
    reader.send_raw(frame).await;
    reader.wait_for(|c| !c.denied.is_empty()).await;
    reader.pump_for(Duration::from_millis(200)).await;
    assert_eq!(reader.denied.len(), 1, "one auth message per frame");
    assert!(
        reader.closed.is_none(),
        "the reader's connection stays open"
    );
    writer
        .edit(|txn| txn.get_or_insert_text("t").push(txn, "redaktøren skriver"))
        .await;
    bystander
        .wait_for(|c| {
            let text = c.doc().get_or_insert_text("t");
            yrs::GetString::get_string(&text, &c.doc().transact()) == "redaktøren skriver"
        })
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let metrics = app.registry.metrics().render();
    assert!(
        metrics.contains("samskriv_refused_updates_total 20000"),
        "{metrics}"
    );
    assert_eq!(
        app.storage.log_len(plan).await.expect("log"),
        log_before + 1
    );
    app.stop().await;
}

fn awareness_frame(client: u64, clock: u32, json: &str) -> Vec<u8> {
    awareness_frame_of(&[(client, clock, json)])
}

fn awareness_frame_of(entries: &[(u64, u32, &str)]) -> Vec<u8> {
    let mut payload = EncoderV1::new();
    payload.write_var(entries.len());
    for (client, clock, json) in entries {
        payload.write_var(*client);
        payload.write_var(*clock);
        payload.write_string(json);
    }
    let mut frame = EncoderV1::new();
    frame.write_var(1u8);
    frame.write_buf(payload.to_vec());
    frame.to_vec()
}

const KARI: &str = r##"{"user":{"name":"Kari","unit":"NAV","color":"#1f42aa"}}"##;

#[tokio::test]
async fn presence_is_each_connections_own_and_bounded() {
    let app = TestApp::spawn_with(|c| c.open_editing = false).await;
    let plan = app.create_plan().await;
    let db = app.storage.db();
    let mut tokens = Vec::new();
    for (name, role) in [
        ("kari", Role::Reader),
        ("mallory", Role::Reader),
        ("e", Role::Editor),
    ] {
        let (_, token) = create_service_token(&db, plan, name, role, None)
            .await
            .expect("token");
        tokens.push(format!("{}?token={token}", app.ws_url(plan)));
    }
    let mut kari = TestClient::connect(&tokens[0]).await;
    let mut mallory = TestClient::connect(&tokens[1]).await;
    let mut watcher = TestClient::connect(&tokens[2]).await;
    kari.send_raw(awareness_frame(1001, 1, KARI)).await;
    watcher
        .wait_for(|c| c.peers().values().any(|s| s.contains("Kari")))
        .await;

    // Another reader overwrites (a higher clock) and removes Kari's state: both dropped.
    let forged = r##"{"user":{"name":"Kari (falsk)","color":"#1f42aa"}}"##;
    mallory.send_raw(awareness_frame(1001, 50, forged)).await;
    mallory.send_raw(awareness_frame(1001, 60, "null")).await;
    // Colours outside the palette (CSS injection) and control characters in names: dropped.
    let css = r##"{"user":{"name":"M","color":"red;background:url(//evil.example)"}}"##;
    mallory.send_raw(awareness_frame(2001, 1, css)).await;
    mallory
        .send_raw(awareness_frame(
            2002,
            1,
            "{\"user\":{\"name\":\"a\\u0007b\"}}",
        ))
        .await;
    // Made-up clients: at most three per connection; made-up removals are not kept.
    let many: Vec<(u64, u32, &str)> = (3000..3016).map(|c| (c, 1, KARI)).collect();
    mallory.send_raw(awareness_frame_of(&many)).await;
    let removals: Vec<(u64, u32, &str)> = (5000..5016).map(|c| (c, 9, "null")).collect();
    mallory.send_raw(awareness_frame_of(&removals)).await;
    watcher.pump_for(Duration::from_millis(500)).await;
    let peers = watcher.peers();
    assert!(
        peers.get(&1001).is_some_and(|s| s.contains("\"Kari\"")),
        "{peers:?}"
    );
    assert!(
        !peers.contains_key(&2001) && !peers.contains_key(&2002),
        "{peers:?}"
    );
    let mallorys = peers.keys().filter(|c| (3000..3016).contains(*c)).count();
    assert_eq!(mallorys, 3, "{peers:?}");
    let late = TestClient::connect(&tokens[2]).await;
    assert_eq!(late.peers().len(), 1 + 3, "Kari and Mallory's three");
    let metrics = app.registry.metrics().render();
    assert!(
        !metrics.contains("samskriv_refused_awareness_total 0"),
        "{metrics}"
    );

    // 300,000 made-up clients in one frame: refused whole (closes 1007).
    let entries: Vec<(u64, u32, &str)> = (0..300_000).map(|c| (c, 1, "{}")).collect();
    mallory.send_raw(awareness_frame_of(&entries)).await;
    assert_eq!(mallory.expect_close().await.0, 1007);
    // Kari's own removal works, and Mallory's states left with Mallory.
    kari.send_raw(awareness_frame(1001, 2, "null")).await;
    watcher.wait_for(|c| !c.peers().contains_key(&1001)).await;
    watcher
        .wait_for(|c| c.peers().keys().all(|k| !(3000..3016).contains(k)))
        .await;
    app.stop().await;
}

#[tokio::test]
async fn a_frame_over_the_limit_closes_with_1009() {
    let app = TestApp::spawn().await;
    let plan = app.create_plan().await;
    let big = Message::Sync(SyncMessage::Update(vec![0; 9 * 1024 * 1024])).encode_v1();
    assert_eq!(close_code_for(&app.ws_url(plan), big.clone()).await, 1009);
    // A client that reads only once its frame is sent (as the review's did) sees 1009 too, not
    // a connection reset (1006): the server reads what follows the refused frame.
    let mut client = app.client(plan).await;
    client
        .socket
        .send(WsMessage::Binary(big.into()))
        .await
        .expect("sent");
    assert_eq!(client.expect_close().await.0, 1009);
    let small_limit = TestApp::spawn_with(|c| c.live.max_frame_bytes = 64 * 1024).await;
    let plan = small_limit.create_plan().await;
    let big = vec![0u8; 4 * 1024 * 1024];
    assert_eq!(close_code_for(&small_limit.ws_url(plan), big).await, 1009);
    small_limit.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_panicking_room_is_removed_and_reloaded_on_next_use() {
    let app = TestApp::spawn().await;
    let plan = app.create_plan().await;
    let mut client = app.client(plan).await;
    client
        .edit(|txn| txn.get_or_insert_text("t").push(txn, "før"))
        .await;
    client.pump_for(Duration::from_millis(100)).await;
    assert_eq!(app.registry.loaded(), 1);

    let failed = app
        .registry
        .read(plan, |_doc| -> () { panic!("a bug in a read closure") })
        .await;
    assert!(failed.is_err());
    // The connection of the dead room is closed, and the plan is not left registered.
    let (code, _) = client.expect_close().await;
    assert!([1001, 1011, 4000].contains(&code), "closed with {code}");
    let text = app
        .registry
        .read(plan, |doc| {
            let text = doc.get_or_insert_text("t");
            yrs::GetString::get_string(&text, &doc.transact())
        })
        .await
        .expect("reloaded");
    assert_eq!(text, "før");
    let mut again = app.client(plan).await;
    again
        .edit(|txn| txn.get_or_insert_text("t").push(txn, " og etter"))
        .await;
    again.pump_for(Duration::from_millis(100)).await;
    let fresh = app.client(plan).await;
    let text = fresh.doc().get_or_insert_text("t");
    assert_eq!(
        yrs::GetString::get_string(&text, &fresh.doc().transact()),
        "før og etter"
    );
    app.stop().await;
}

/// The committed fuzz runner, briefly: a few thousand hostile frames from readers and editors
/// over real WebSockets. The server neither crashes nor panics, keeps serving, and stays small.
#[tokio::test]
async fn fuzzed_frames_never_take_the_server_down() {
    let mut server = Server::start(&[]).await;
    let urls = [server.url(&server.reader), server.url(&server.editor)];
    let mut warm = TestClient::connect(&urls[1]).await;
    warm.pump_for(Duration::from_millis(100)).await;
    let before = server.peak_kib();
    let report = runner::run(&urls, 3_000, 4, 13).await.expect("fuzz run");
    eprintln!("fuzz: {report:?}");
    assert_eq!(report.frames, 3_000);
    assert!(server.alive(), "the server crashed");
    assert_eq!(
        server.panics.load(Ordering::Relaxed),
        0,
        "the server panicked"
    );
    let grown = server.peak_kib().saturating_sub(before);
    assert!(grown < 64 * MIB, "the server grew by {grown} KiB");
    // Still serving: an edit reaches another client.
    let mut a = TestClient::connect(&urls[1]).await;
    let mut b = TestClient::connect(&urls[1]).await;
    a.edit(|txn| txn.get_or_insert_text("etter").push(txn, "i drift"))
        .await;
    b.wait_for(|c| {
        let text = c.doc().get_or_insert_text("etter");
        yrs::GetString::get_string(&text, &c.doc().transact()) == "i drift"
    })
    .await;
}
