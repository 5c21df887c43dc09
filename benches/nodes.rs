//! Benchmark of several server nodes on one PostgreSQL database (issue 7):
//!
//! 1. cross-node relay latency: one writer on node A, 10 clients on each of nodes A and B;
//!    p50/p99 from the writer's send to each reader's receipt, local (A) and cross-node (B);
//! 2. commit throughput of the storage layer, PostgreSQL against SQLite: sequential commits of
//!    one small update, and 8 writers at once on 8 plans.
//!
//! `cargo bench --bench nodes [-- --quick]`. PostgreSQL comes from `SAMSKRIV_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`); the bench works in a schema of its own
//! and drops it at the end. Without a reachable server it says so and measures SQLite only.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use samskriv::config::{DatabaseConfig, SqliteSynchronous};
use samskriv::plan::{NewPlan, PlanId};
use samskriv::storage::{self, Storage};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, Map, Out, ReadTxn, StateVector, Transact, Update};

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
    let base = std::env::var("SAMSKRIV_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = match Schema::create(&base).await {
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
            ms(local.p(50.0)),
            ms(local.p(99.0))
        ));
        rows.push(format!(
            "| relay latency, other node (10 readers) | p50 {} / p99 {} |",
            ms(remote.p(50.0)),
            ms(remote.p(99.0))
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
        let url = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
        let (one, many) = commit_throughput_with(&url, sync, scale).await?;
        rows.push(format!("| SQLite ({name}) commits/s, 1 writer / {CONCURRENT_WRITERS} writers | {one:.0} / {many:.0} |"));
    }
    println!("\n| figure | value |\n|---|---|");
    for row in rows {
        println!("{row}");
    }
    if let Some(schema) = schema {
        schema.drop().await?;
    }
    Ok(())
}

/// Relay latencies (same node, other node) of one writer's paced edits.
async fn cross_node_latency(url: &str, scale: &Scale) -> Result<(Latency, Latency)> {
    let storage = open(url, SqliteSynchronous::Full).await?;
    let plan = storage
        .create_plan(
            &NewPlan {
                title: "nodes bench".into(),
                ..NewPlan::default()
            },
            Update::EMPTY_V1,
        )
        .await?
        .id;
    let node_a = Server::start(url).await?;
    let node_b = Server::start(url).await?;
    let (arrivals, mut received) = mpsc::unbounded_channel::<(bool, usize, Instant)>();
    let mut readers = Vec::new();
    for (node, remote, count) in [
        (&node_a, false, CLIENTS_PER_NODE - 1),
        (&node_b, true, CLIENTS_PER_NODE),
    ] {
        for _ in 0..count {
            let client = Client::connect(node.addr, plan).await?;
            let arrivals = arrivals.clone();
            readers.push(tokio::spawn(client.read_seqs(
                remote,
                scale.edits,
                arrivals,
            )));
        }
    }
    drop(arrivals);
    let mut writer = Client::connect(node_a.addr, plan).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sent = Vec::with_capacity(scale.edits);
    for seq in 1..=scale.edits {
        sent.push(Instant::now());
        writer.write_seq(seq).await?;
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
    node_a.stop().await;
    node_b.stop().await;
    Ok((Latency::of(local), Latency::of(remote)))
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

/// `samskriv serve` as a child process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    async fn start(url: &str) -> Result<Server> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_samskriv"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            // The benchmark's clients are anonymous: everyone may edit.
            .args(["--open-editing", "true"])
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start the samskriv binary")?;
        let stdout = child.stdout.take().context("stdout not piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("http://").nth(1) {
                    // Printed as http://localhost:PORT; the server listens on 127.0.0.1.
                    let addr = rest
                        .trim_end_matches('/')
                        .replacen("localhost", "127.0.0.1", 1);
                    return Ok(addr.parse::<SocketAddr>()?);
                }
            }
            bail!("the server exited before listening")
        })
        .await
        .context("the server did not start within 30 s")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, addr })
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A y-websocket client whose edits set `bench-seq.seq` to increasing numbers.
struct Client {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    doc: Doc,
}

impl Client {
    async fn connect(addr: SocketAddr, plan: PlanId) -> Result<Client> {
        let url = format!("ws://{addr}/collab/{plan}");
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(url.as_str(), None, true).await?;
        let mut client = Client {
            socket,
            doc: Doc::new(),
        };
        let sv = client.doc.transact().state_vector();
        client
            .send(Message::Sync(SyncMessage::SyncStep1(sv)))
            .await?;
        // Wait for the server's sync step 2.
        loop {
            let frame = client.next_frame().await?;
            if let Message::Sync(SyncMessage::SyncStep2(update)) = frame {
                client
                    .doc
                    .transact_mut()
                    .apply_update(Update::decode_v1(&update)?)?;
                return Ok(client);
            }
            client.answer(frame).await?;
        }
    }

    async fn send(&mut self, message: Message) -> Result<()> {
        self.socket
            .send(WsMessage::Binary(message.encode_v1().into()))
            .await?;
        Ok(())
    }

    async fn next_frame(&mut self) -> Result<Message> {
        loop {
            match self.socket.next().await.context("connection closed")?? {
                WsMessage::Binary(bytes) => return Ok(Message::decode_v1(&bytes)?),
                WsMessage::Close(frame) => bail!("server closed the connection: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Answers the server's sync step 1 as y-websocket does; applies updates.
    async fn answer(&mut self, message: Message) -> Result<()> {
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send(Message::Sync(SyncMessage::SyncStep2(update)))
                    .await
            }
            Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                self.doc
                    .transact_mut()
                    .apply_update(Update::decode_v1(&update)?)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn write_seq(&mut self, seq: usize) -> Result<()> {
        let map = self.doc.get_or_insert_map(SEQ_MAP);
        let before = self.doc.transact().state_vector();
        map.insert(&mut self.doc.transact_mut(), "seq", seq.to_string());
        let update = self.doc.transact().encode_state_as_update_v1(&before);
        self.send(Message::Sync(SyncMessage::Update(update))).await
    }

    fn seq(&self) -> usize {
        let map = self.doc.get_or_insert_map(SEQ_MAP);
        match map.get(&self.doc.transact(), "seq") {
            Some(Out::Any(yrs::Any::String(text))) => text.parse().unwrap_or(0),
            _ => 0,
        }
    }

    /// Reports the arrival time of every sequence number until `last`.
    async fn read_seqs(
        mut self,
        remote: bool,
        last: usize,
        arrivals: mpsc::UnboundedSender<(bool, usize, Instant)>,
    ) -> Result<()> {
        let mut seen = 0;
        while seen < last {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.next_frame()).await??;
            let at = Instant::now();
            self.answer(frame).await?;
            let now = self.seq();
            // A merged relay may carry several edits: each arrived now.
            for seq in seen + 1..=now {
                let _ = arrivals.send((remote, seq, at));
            }
            seen = seen.max(now);
        }
        Ok(())
    }
}

struct Latency(Vec<Duration>);

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort();
        Latency(samples)
    }

    fn p(&self, pct: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let index = ((pct / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[index.min(self.0.len() - 1)]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A PostgreSQL schema of the bench's own, dropped at the end.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    async fn create(base: &str) -> Result<Schema> {
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin =
            tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(base))
                .await??;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        Ok(Schema {
            base: base.to_owned(),
            name,
        })
    }

    fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.base, self.name
        )
    }

    async fn drop(self) -> Result<()> {
        let mut admin = sqlx::PgConnection::connect(&self.base).await?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        Ok(())
    }
}
