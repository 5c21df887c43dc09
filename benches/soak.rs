//! Kill -9 soak (issue 13): the server process is killed with SIGKILL again and again while
//! several clients write at once; after every restart, everything the server had relayed to
//! any client before it died must be in the plan.
//!
//! Each round starts `samskriv serve` as a child process on the same database, connects an
//! observer and [`WRITERS`] writers (each a fresh Y.Doc), lets the writers add uniquely named
//! keys to a shared map every [`PACE`], kills the server at a moment that varies from round to
//! round (with edits in flight), and collects what each client had received from the server:
//! for the observer, every key; for a writer, every key but the ones it wrote itself. The next
//! round's server must serve all of them. Printed: rounds, updates relayed, updates lost (must
//! be 0: the bench fails otherwise), restart time p50/p99 (process start to a client synced).
//!
//! `cargo bench --bench soak [-- --quick]`: 50 rounds on SQLite (`--sqlite-synchronous full`)
//! and 50 on PostgreSQL (`SAMSKRIV_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, in a schema of its own, dropped at the end;
//! skipped with a note when unreachable). `--quick`: 3 rounds each, for CI.

use std::collections::BTreeSet;
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
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, Map, ReadTxn, Transact, Update};

/// Concurrent writers per round.
const WRITERS: usize = 4;
/// Each writer's pause between edits.
const PACE: Duration = Duration::from_millis(5);
/// The shared map the writers add keys to.
const MAP: &str = "soak";
const FULL_ROUNDS: usize = 50;
const QUICK_ROUNDS: usize = 3;

fn main() -> Result<()> {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let rounds = if quick { QUICK_ROUNDS } else { FULL_ROUNDS };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(rounds))
}

async fn run(rounds: usize) -> Result<()> {
    eprintln!("[soak bench] {rounds} rounds of kill -9 per database, {WRITERS} writers");
    let mut rows = Vec::new();
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("soak.sqlite3").display());
    rows.push(soak("SQLite (`full`)", &sqlite, rounds).await?);

    let base = std::env::var("SAMSKRIV_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    match Schema::create(&base).await {
        Ok(schema) => {
            let outcome = soak("PostgreSQL", &schema.url(), rounds).await;
            schema.drop().await?;
            rows.push(outcome?);
        }
        Err(e) => println!(
            "PostgreSQL at {} not reachable ({e:#}): its soak is skipped.",
            storage::redact_url(&base)
        ),
    }
    println!(
        "\n| database | rounds | updates relayed | updates lost | restart p50 / p99 |\n|---|---|---|---|---|"
    );
    for row in &rows {
        println!("{}", row.line());
    }
    if let Some(row) = rows.iter().find(|row| row.lost > 0) {
        bail!("{} lost {} relayed updates", row.name, row.lost);
    }
    Ok(())
}

struct Outcome {
    name: &'static str,
    rounds: usize,
    relayed: usize,
    lost: usize,
    restarts: Vec<Duration>,
}

impl Outcome {
    fn line(&self) -> String {
        let mut restarts = self.restarts.clone();
        restarts.sort();
        format!(
            "| {} | {} | {} | {} | {} / {} |",
            self.name,
            self.rounds,
            self.relayed,
            self.lost,
            ms(percentile(&restarts, 50.0)),
            ms(percentile(&restarts, 99.0))
        )
    }
}

/// `rounds` rounds of writing and killing on the database at `url`.
async fn soak(name: &'static str, url: &str, rounds: usize) -> Result<Outcome> {
    let storage = open(url).await?;
    let plan = storage
        .create_plan(
            &NewPlan {
                title: "soak".into(),
                template: "korus-ruspolitisk-handlingsplan@1".into(),
                ..NewPlan::default()
            },
            Update::EMPTY_V1,
        )
        .await?
        .id;
    drop(storage);
    // Every key any client received from any server so far.
    let mut relayed: BTreeSet<String> = BTreeSet::new();
    let mut outcome = Outcome {
        name,
        rounds,
        relayed: 0,
        lost: 0,
        restarts: Vec::with_capacity(rounds + 1),
    };
    for round in 0..rounds {
        let started = Instant::now();
        let server = Server::start(url).await?;
        let observer = Client::connect(server.addr, plan).await?;
        outcome.restarts.push(started.elapsed());
        let lost = relayed.difference(&observer.keys()).count();
        if lost > 0 {
            eprintln!("round {round}: {lost} relayed updates are missing after the restart");
        }
        outcome.lost += lost;

        let mut clients = vec![tokio::spawn(observer.run(None))];
        for writer in 0..WRITERS {
            let client = Client::connect(server.addr, plan).await?;
            let prefix = format!("r{round}w{writer}e");
            clients.push(tokio::spawn(client.run(Some(prefix))));
        }
        // Kill at a moment that varies from round to round, edits in flight.
        let alive = Duration::from_millis(150 + (round as u64 * 37) % 250);
        tokio::time::sleep(alive).await;
        server.kill9().await;
        let before = relayed.len();
        for client in clients {
            relayed.extend(client.await??);
        }
        eprintln!(
            "round {round}: {} updates relayed before the kill",
            relayed.len() - before
        );
    }
    // One more start: the last round's relays must be there too.
    let started = Instant::now();
    let server = Server::start(url).await?;
    let check = Client::connect(server.addr, plan).await?;
    outcome.restarts.push(started.elapsed());
    outcome.lost += relayed.difference(&check.keys()).count();
    outcome.relayed = relayed.len();
    server.kill9().await;
    Ok(outcome)
}

async fn open(url: &str) -> Result<Arc<dyn Storage>> {
    storage::connect(&DatabaseConfig {
        database_url: url.to_owned(),
        sqlite_synchronous: SqliteSynchronous::Full,
    })
    .await
    .with_context(|| format!("cannot open {}", storage::redact_url(url)))
}

/// `samskriv serve` as a child process.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    async fn start(url: &str) -> Result<Server> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_samskriv"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            // The bench's clients are anonymous: everyone may edit.
            .args(["--open-editing", "true"])
            // Its clients write a scratch map, outside any plan's layout.
            .args(["--free-form-roots", "true"])
            .args(["--sqlite-synchronous", "full"])
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

    /// SIGKILL: no shutdown code runs.
    async fn kill9(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A y-websocket client with its own Y.Doc.
struct Client {
    socket: Socket,
    doc: Doc,
}

impl Client {
    /// Connects and waits for the server's sync step 2: the doc then holds what the server has.
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
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let Some(frame) = client.socket.next().await else {
                    bail!("closed before syncing");
                };
                if let WsMessage::Binary(bytes) = frame? {
                    let message = Message::decode_v1(&bytes)?;
                    let synced = matches!(message, Message::Sync(SyncMessage::SyncStep2(_)));
                    client.handle(message).await?;
                    if synced {
                        return Ok(());
                    }
                }
            }
        })
        .await
        .context("no sync step 2 within 30 s")??;
        Ok(client)
    }

    async fn send(&mut self, message: Message) -> Result<()> {
        self.socket
            .send(WsMessage::Binary(message.encode_v1().into()))
            .await?;
        Ok(())
    }

    /// Answers the server's sync step 1 as y-websocket does; applies updates.
    async fn handle(&mut self, message: Message) -> Result<()> {
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

    fn keys(&self) -> BTreeSet<String> {
        let map = self.doc.get_or_insert_map(MAP);
        let txn = self.doc.transact();
        map.keys(&txn).map(str::to_owned).collect()
    }

    /// Reads (and, with a key prefix, writes a new key every [`PACE`]) until the server is
    /// gone; returns the keys it received from the server.
    async fn run(mut self, writes: Option<String>) -> Result<BTreeSet<String>> {
        let mut tick = tokio::time::interval(PACE);
        let mut written = 0usize;
        loop {
            tokio::select! {
                frame = self.socket.next() => match frame {
                    Some(Ok(WsMessage::Binary(bytes))) => {
                        let message = Message::decode_v1(&bytes)?;
                        if self.handle(message).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(_)) => {}
                    // The server was killed.
                    Some(Err(_)) | None => break,
                },
                _ = tick.tick(), if writes.is_some() => {
                    let prefix = writes.as_deref().unwrap_or_default();
                    let map = self.doc.get_or_insert_map(MAP);
                    let before = self.doc.transact().state_vector();
                    map.insert(&mut self.doc.transact_mut(), format!("{prefix}{written}"), true);
                    written += 1;
                    let update = self.doc.transact().encode_state_as_update_v1(&before);
                    if self.send(Message::Sync(SyncMessage::Update(update))).await.is_err() {
                        break;
                    }
                }
            }
        }
        let mut keys = self.keys();
        if let Some(prefix) = writes {
            // A writer's own keys may never have reached the server.
            keys.retain(|key| !key.starts_with(&prefix));
        }
        Ok(keys)
    }
}

fn percentile(sorted: &[Duration], pct: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((pct / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// A PostgreSQL schema of the bench's own, dropped at the end.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    async fn create(base: &str) -> Result<Schema> {
        let name = format!("soak_{}", uuid::Uuid::new_v4().simple());
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
