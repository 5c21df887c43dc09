//! Benchmark of several server nodes on one PostgreSQL database (issue 7):
//!
//! 1. cross-node relay latency: one writer on node A, 10 clients on each of nodes A and B;
//!    p50/p99 (nearest rank) from the writer's send to each reader's receipt, local (A) and
//!    cross-node (B);
//! 2. commit throughput of the storage layer, PostgreSQL against SQLite: sequential commits of
//!    one small update, and 8 writers at once on 8 plans.
//!
//! `cargo bench --bench nodes [-- --quick]`. PostgreSQL comes from `SAMSKRIV_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`); the bench works in a schema of its own
//! and drops it at the end. Without a reachable server it says so and measures SQLite only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use samskriv::config::{DatabaseConfig, SqliteSynchronous};
use samskriv::plan::NewPlan;
use samskriv::storage::{self, Storage};
use support::client::Client;
use support::launcher::{ServerProcess, sqlite_url};
use support::postgres::{self, PostgresSchema};
use support::stats::{median, percentile};
use tokio::sync::mpsc;
use yrs::{Doc, Map, Out, ReadTxn, StateVector, Transact, Update};

#[path = "../tests/support"]
mod support {
    pub mod client;
    pub mod launcher;
    pub mod postgres;
    pub mod stats;
}

struct Scale {
    edits: usize,
    pace: Duration,
    commits: usize,
}

const FULL: Scale = Scale {
    edits: 200,
    pace: Duration::from_millis(20),
    commits: 2_000,
};
const QUICK: Scale = Scale {
    edits: 40,
    pace: Duration::from_millis(20),
    commits: 300,
};
const CLIENTS_PER_NODE: usize = 10;
const CONCURRENT_WRITERS: usize = 8;
const SEQ_MAP: &str = "bench-seq";

fn main() -> Result<()> {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let scale = if quick { &QUICK } else { &FULL };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(scale))
}

async fn run(scale: &Scale) -> Result<()> {
    eprintln!(
        "[nodes bench] {} scale",
        if scale.edits == QUICK.edits {
            "quick"
        } else {
            "full"
        }
    );
    let mut rows = Vec::new();
    let base = std::env::var(postgres::URL_VAR)
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = match PostgresSchema::create(&base).await {
        Ok(schema) => Some(schema),
        Err(e) => {
            println!(
                "PostgreSQL at {} not reachable ({e:#}): cross-node figures skipped.",
                storage::redact_url(&base)
            );
            None
        }
    };
    if let Some(schema) = &schema {
        let (local, remote) = cross_node_latency(&schema.url(), scale).await?;
        rows.push(format!(
            "| relay latency, same node (9 readers) | p50 {} / p99 {} |",
            ms(median(&local)),
            ms(percentile(&local, 99))
        ));
        rows.push(format!(
            "| relay latency, other node (10 readers) | p50 {} / p99 {} |",
            ms(median(&remote)),
            ms(percentile(&remote, 99))
        ));
        let pg = commit_throughput(&schema.url(), scale).await?;
        rows.push(format!(
            "| PostgreSQL commits/s, 1 writer / {CONCURRENT_WRITERS} writers | {:.0} / {:.0} |",
            pg.0, pg.1
        ));
    }
    for (name, sync) in [
        ("full", SqliteSynchronous::Full),
        ("normal", SqliteSynchronous::Normal),
    ] {
        let dir = tempfile::tempdir()?;
        let url = sqlite_url(&dir.path().join("db.sqlite3"));
        let (one, many) = commit_throughput_with(&url, sync, scale).await?;
        rows.push(format!("| SQLite ({name}) commits/s, 1 writer / {CONCURRENT_WRITERS} writers | {one:.0} / {many:.0} |"));
    }
    println!("\n| figure | value |\n|---|---|");
    for row in rows {
        println!("{row}");
    }
    // Dropping the schema drops it in the database, with everything in it.
    drop(schema);
    Ok(())
}

/// Relay latencies (same node, other node) of one writer's paced edits.
async fn cross_node_latency(url: &str, scale: &Scale) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let storage = open(url, SqliteSynchronous::Full).await?;
    let plan = storage
        .create_plan(
            &NewPlan {
                title: "nodes bench".into(),
                template: "korus-ruspolitisk-handlingsplan@1".into(),
                ..NewPlan::default()
            },
            Update::EMPTY_V1,
        )
        .await?
        .id;
    let node_a = ServerProcess::start(url, &[]).await?;
    let node_b = ServerProcess::start(url, &[]).await?;
    let (arrivals, mut received) = mpsc::unbounded_channel::<(bool, usize, Instant)>();
    let mut readers = Vec::new();
    for (node, remote, count) in [
        (&node_a, false, CLIENTS_PER_NODE - 1),
        (&node_b, true, CLIENTS_PER_NODE),
    ] {
        for _ in 0..count {
            let (client, _) = Client::connect(node.ws_url(plan).as_str()).await?;
            let arrivals = arrivals.clone();
            readers.push(tokio::spawn(read_seqs(
                client,
                remote,
                scale.edits,
                arrivals,
            )));
        }
    }
    drop(arrivals);
    let (mut writer, _) = Client::connect(node_a.ws_url(plan).as_str()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sent = Vec::with_capacity(scale.edits);
    for seq in 1..=scale.edits {
        sent.push(Instant::now());
        let update = seq_update(writer.doc(), seq);
        writer.send_update(update).await?;
        tokio::time::sleep(scale.pace).await;
    }
    let mut local = Vec::new();
    let mut remote = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    let expected = scale.edits * (2 * CLIENTS_PER_NODE - 1);
    while local.len() + remote.len() < expected {
        tokio::select! {
            _ = &mut deadline => bail!("only {} of {expected} arrivals within 30 s", local.len() + remote.len()),
            arrival = received.recv() => {
                let Some((is_remote, seq, at)) = arrival else { break };
                let latency = at.saturating_duration_since(sent[seq - 1]);
                if is_remote { remote.push(latency) } else { local.push(latency) }
            }
        }
    }
    for reader in readers {
        reader.await??;
    }
    node_a.kill().await?;
    node_b.kill().await?;
    Ok((local, remote))
}

async fn commit_throughput(url: &str, scale: &Scale) -> Result<(f64, f64)> {
    commit_throughput_with(url, SqliteSynchronous::Full, scale).await
}

/// Commits per second of small updates: one writer in sequence, then several on their own plans.
async fn commit_throughput_with(
    url: &str,
    sync: SqliteSynchronous,
    scale: &Scale,
) -> Result<(f64, f64)> {
    let storage = open(url, sync).await?;
    let update = small_update();
    let plan = storage
        .create_plan(&NewPlan::default(), Update::EMPTY_V1)
        .await?
        .id;
    let started = Instant::now();
    for _ in 0..scale.commits {
        storage.append_updates(plan, &[&update]).await?;
    }
    let one = scale.commits as f64 / started.elapsed().as_secs_f64();

    let per_writer = scale.commits / CONCURRENT_WRITERS;
    let mut plans = Vec::new();
    for _ in 0..CONCURRENT_WRITERS {
        plans.push(
            storage
                .create_plan(&NewPlan::default(), Update::EMPTY_V1)
                .await?
                .id,
        );
    }
    let started = Instant::now();
    let writers: Vec<_> = plans
        .into_iter()
        .map(|plan| {
            let storage = storage.clone();
            let update = update.clone();
            tokio::spawn(async move {
                for _ in 0..per_writer {
                    storage.append_updates(plan, &[&update]).await?;
                }
                Ok::<_, storage::StorageError>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    let many = (per_writer * CONCURRENT_WRITERS) as f64 / started.elapsed().as_secs_f64();
    Ok((one, many))
}

fn small_update() -> Vec<u8> {
    let doc = Doc::new();
    let map = doc.get_or_insert_map(SEQ_MAP);
    map.insert(&mut doc.transact_mut(), "k", 1);
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

async fn open(url: &str, sync: SqliteSynchronous) -> Result<Arc<dyn Storage>> {
    storage::connect(&DatabaseConfig {
        database_url: url.to_owned(),
        sqlite_synchronous: sync,
    })
    .await
    .with_context(|| format!("cannot open {}", storage::redact_url(url)))
}

/// Sets `bench-seq.seq` to `seq` in `doc` and returns the update to send: each edit of the
/// writer sets the next number.
fn seq_update(doc: &Doc, seq: usize) -> Vec<u8> {
    let map = doc.get_or_insert_map(SEQ_MAP);
    let before = doc.transact().state_vector();
    map.insert(&mut doc.transact_mut(), "seq", seq.to_string());
    doc.transact().encode_state_as_update_v1(&before)
}

/// The newest sequence number a replica holds (0 before the first).
fn seq(doc: &Doc) -> usize {
    let map = doc.get_or_insert_map(SEQ_MAP);
    match map.get(&doc.transact(), "seq") {
        Some(Out::Any(yrs::Any::String(text))) => text.parse().unwrap_or(0),
        _ => 0,
    }
}

/// Reports the arrival time of every sequence number until `last`.
async fn read_seqs(
    mut client: Client,
    remote: bool,
    last: usize,
    arrivals: mpsc::UnboundedSender<(bool, usize, Instant)>,
) -> Result<()> {
    let mut seen = 0;
    while seen < last {
        let (message, _) =
            tokio::time::timeout(Duration::from_secs(30), client.next_message()).await??;
        let at = Instant::now();
        client.handle(message).await?;
        let now = seq(client.doc());
        // A merged relay may carry several edits: each arrived now.
        for seq in seen + 1..=now {
            let _ = arrivals.send((remote, seq, at));
        }
        seen = seen.max(now);
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
