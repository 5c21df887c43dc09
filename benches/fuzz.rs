//! Fuzzing the live endpoint of the real server binary: a million random, truncated and
//! mutated y-websocket frames from readers and editors over real WebSockets.
//!
//! ```text
//! cargo bench --bench fuzz              # 1,000,000 frames
//! cargo bench --bench fuzz -- --quick   # 20,000 frames, for CI
//! ```
//!
//! It starts `samskriv serve` as a child process on a fresh SQLite database with one plan, a
//! reader's and an editor's service token, and throws frames at it from 8 connections (the
//! generator is `benches/fuzz/runner.rs`, shared with the test suite). It prints frames per
//! second, the server's resident and peak memory before and after, how the server closed the
//! connections, and fails (non-zero exit) if the server crashed, panicked, stopped accepting
//! connections or no longer relays an edit afterwards.

#[path = "fuzz/runner.rs"]
#[allow(dead_code)]
mod runner;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use samskriv::config::{DatabaseConfig, SqliteSynchronous};
use tokio::io::{AsyncBufReadExt, BufReader};

const FULL: u64 = 1_000_000;
const QUICK: u64 = 20_000;
const CONNECTIONS: usize = 8;

fn main() -> Result<()> {
    let mut frames = FULL;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => frames = QUICK,
            "--bench" => {}
            other => {
                bail!("unknown argument {other:?}; usage: cargo bench --bench fuzz [-- --quick]")
            }
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?
        .block_on(run(frames))
}

async fn run(frames: u64) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fuzz.sqlite3");
    let url = format!("sqlite://{}", db.display());
    let storage = samskriv::storage::connect(&DatabaseConfig {
        database_url: url.clone(),
        sqlite_synchronous: SqliteSynchronous::Normal,
    })
    .await?;
    let (plan, reader, editor) = runner::plan_with_tokens(storage.as_ref()).await?;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_samskriv"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--open-editing",
            "false",
            // The editor's edits go to scratch types (`t`, `m`, `a`): this bench is about
            // frames, not the plan's layout.
            "--free-form-roots",
            "true",
        ])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the server binary")?;
    let pid = child.id().context("server pid")?;
    let panics = Arc::new(AtomicUsize::new(0));
    let mut errors = BufReader::new(child.stderr.take().context("stderr")?).lines();
    let counted = panics.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            if line.contains("panicked") {
                counted.fetch_add(1, Ordering::Relaxed);
                eprintln!("server: {line}");
            }
        }
    });
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let addr: SocketAddr = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await? {
            let Some(rest) = line.split("http://").nth(1) else {
                continue;
            };
            let host = rest.split(['/', ' ']).next().unwrap_or_default();
            if let Ok(addr) = host.replacen("localhost", "127.0.0.1", 1).parse() {
                return Ok(addr);
            }
        }
        bail!("the server exited before listening")
    })
    .await
    .context("the server did not print its address")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let urls = [
        format!("ws://{addr}/collab/{plan}?token={reader}"),
        format!("ws://{addr}/collab/{plan}?token={editor}"),
    ];
    let (rss_before, peak_before) = runner::memory_kib(pid)?;
    eprintln!("fuzz: {frames} frames over {CONNECTIONS} connections against {addr}");
    let report = runner::run(&urls, frames, CONNECTIONS, 2026).await?;
    let (rss_after, peak_after) = runner::memory_kib(pid)?;
    let crashed = !matches!(child.try_wait(), Ok(None));
    let relays = !crashed && still_relays(&urls[1]).await.is_ok();
    let panics = panics.load(Ordering::Relaxed);

    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| frames sent | {} ({:.1} MiB) |",
        report.frames,
        report.bytes as f64 / 1048576.0
    );
    println!("| frames/s | {:.0} |", report.frames_per_second());
    println!("| time | {:.1} s |", report.elapsed.as_secs_f64());
    println!(
        "| connections (reconnects after a refusal) | {} |",
        report.connections
    );
    println!("| closes by code | {:?} |", report.closes);
    println!(
        "| server RSS before / after | {:.1} / {:.1} MiB |",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    println!(
        "| server peak RSS before / after | {:.1} / {:.1} MiB |",
        peak_before as f64 / 1024.0,
        peak_after as f64 / 1024.0
    );
    println!("| panics / crashes | {panics} / {} |", u8::from(crashed));
    println!(
        "| an edit still relays afterwards | {} |",
        if relays { "yes" } else { "no" }
    );
    if crashed || panics > 0 || !relays {
        bail!("the server did not survive the fuzz run");
    }
    Ok(())
}

/// One editor's change reaches another connection.
async fn still_relays(url: &str) -> Result<()> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    use yrs::sync::{Message, SyncMessage};
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, ReadTxn, StateVector, Text, Transact, WriteTxn};
    let (mut watcher, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut writer, _) = tokio_tungstenite::connect_async(url).await?;
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        let text = txn.get_or_insert_text("etter");
        text.push(&mut txn, "i drift");
    }
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    writer
        .send(WsMessage::Binary(
            Message::Sync(SyncMessage::Update(update))
                .encode_v1()
                .into(),
        ))
        .await?;
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = watcher.next().await {
            if let WsMessage::Binary(bytes) = frame?
                && bytes.windows(7).any(|w| w == b"i drift")
            {
                return Ok(());
            }
        }
        bail!("the watcher's connection ended")
    })
    .await?
}
