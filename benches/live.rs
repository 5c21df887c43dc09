//! Benchmark of the live core, measured against the real server binary.
//!
//! ```text
//! cargo bench --bench live              # full run, under 2 minutes on 2 cores
//! cargo bench --bench live -- --quick   # smoke run with small counts, for CI
//! ```
//!
//! It prints progress on stderr and a markdown report on stdout: figures against their targets,
//! fan-out and burst under `--sqlite-synchronous full` (the headline) and `normal`, cold loads,
//! and resident memory.
//!
//! Each scenario starts `samskriv serve` as a child process on a fresh SQLite database in a
//! temporary directory and drives it over loopback with y-websocket clients in this process
//! (tokio-tungstenite + yrs), so the protocol path, the group commit and the fsyncs are those of
//! production. Server and clients share the machine's cores: at high reader counts the latencies
//! include the clients' own scheduling, so they are upper bounds for the server's share.
//!
//! Two things the server does shape the method. The room merges the updates of one commit into
//! one relayed update, so readers identify edits by a sequence number in the document rather
//! than by counting frames. And the first relay after a connection's handshake can wait for a
//! delayed ACK (see [`SETTLE`]), so that start-up cost is reported on its own.
//!
//! The run fails (non-zero exit) when the server misbehaves: an update lost, a connection closed,
//! a timeout. A missed performance target is reported in the table, not as a failure, because
//! targets are judged on the full run on a known machine, not on a CI smoke run.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use futures_util::{StreamExt, TryStreamExt, stream};
use samskriv::config::{DatabaseConfig, SqliteSynchronous};
use samskriv::plan::PlanId;
use samskriv::storage::Storage;
use support::client::Client;
use support::launcher::{ServerProcess, sqlite_url};
use support::stats::{median, percentile};
use tokio::process::Command;
use yrs::sync::{Message, SyncMessage};
use yrs::{Any, Doc, Map, Out, Text, Transact};

/// The y-websocket client, the server launcher and the percentiles the tests use too.
#[path = "../tests/support"]
mod support {
    pub mod client;
    pub mod launcher;
    pub mod stats;
}

// ---------------------------------------------------------------------------------------------
// Scale of a run
// ---------------------------------------------------------------------------------------------

/// How much work each scenario does. The full scale is what the README's figures come from.
struct Scale {
    name: &'static str,
    fanout_readers: &'static [usize],
    fanout_edits: usize,
    fanout_pace: Duration,
    burst_updates: usize,
    burst_readers: usize,
    cold_log_entries: usize,
    /// Each plan gives one sample per measurement; a plan can be loaded uncompacted only until
    /// a server with default settings compacts it, so samples need plans, not repetitions.
    cold_plans: usize,
    idle_plans: usize,
    idle_connections: usize,
}

const FULL: Scale = Scale {
    name: "full",
    fanout_readers: &[2, 10, 50, 200],
    fanout_edits: 200,
    fanout_pace: Duration::from_millis(20),
    burst_updates: 2_000,
    burst_readers: 10,
    cold_log_entries: 10_000,
    cold_plans: 5,
    idle_plans: 100,
    idle_connections: 1_000,
};

const QUICK: Scale = Scale {
    name: "quick",
    fanout_readers: &[2, 10, 50],
    fanout_edits: 30,
    fanout_pace: Duration::from_millis(20),
    burst_updates: 300,
    burst_readers: 10,
    cold_log_entries: 1_000,
    cold_plans: 2,
    idle_plans: 20,
    idle_connections: 100,
};

/// Connections opened at once when a scenario needs many: enough to be quick, few enough that
/// the handshakes do not all time out together on a loaded machine.
const CONNECT_CONCURRENCY: usize = 32;

/// Longest a single connect-and-sync may take before the run is declared broken.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The durability mode of the headline figures: what a production server runs.
const HEADLINE_SYNC: SqliteSynchronous = SqliteSynchronous::Full;

/// Given to `--compact-after` so that writing a long log never triggers a compaction.
const NEVER_COMPACT: &str = "1000000000";

fn main() -> Result<()> {
    let scale = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(run(scale))
}

/// `--quick` selects the smoke scale; `--bench` is what cargo passes to every bench binary.
fn parse_args() -> Result<&'static Scale> {
    let mut scale = &FULL;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => scale = &QUICK,
            "--bench" => {}
            other => {
                bail!("unknown argument {other:?}; usage: cargo bench --bench live [-- --quick]")
            }
        }
    }
    Ok(scale)
}

async fn run(scale: &'static Scale) -> Result<()> {
    let started = Instant::now();
    // Other work on the machine (builds, tests) shows in every figure; the report says how much
    // of the CPUs it took while this run was going.
    let cpu_before = CpuTime::now();
    progress(&format!("live-core benchmark, {} scale", scale.name));

    // Fan-out and burst run under both durability modes to show what fsync-per-commit costs.
    let full = live_traffic(scale, SqliteSynchronous::Full).await?;
    let normal = live_traffic(scale, SqliteSynchronous::Normal).await?;
    let cold = cold_load(scale).await?;
    let memory = resident_memory(scale).await?;

    let report = Report {
        scale,
        full,
        normal,
        cold,
        memory,
        elapsed: started.elapsed(),
        others_cpu_share: cpu_before.and_then(|before| before.others_share_since()),
    };
    println!("{}", report.render());
    Ok(())
}

fn progress(what: &str) {
    eprintln!("[live bench] {what}");
}

// ---------------------------------------------------------------------------------------------
// Scenarios 1 and 2: fan-out latency and burst throughput
// ---------------------------------------------------------------------------------------------

/// Fan-out and burst figures under one `--sqlite-synchronous` mode.
struct LiveTraffic {
    sync: SqliteSynchronous,
    fanout: Vec<(usize, Fanout)>,
    burst: Burst,
}

/// Pause between the last join and the timed edits.
///
/// A reader's kernel delays its ACK of the handshake's last frame (Linux: 40 ms, up to 200 ms)
/// because the connection has just carried data both ways, and the server does not set
/// TCP_NODELAY, so a relay sent inside that window waits for the ACK (Nagle). That start-up cost
/// is measured on its own (`Fanout::just_joined`) and kept out of the steady-state percentiles.
const SETTLE: Duration = Duration::from_millis(250);

/// Fan-out figures for one reader count.
struct Fanout {
    /// Paced edits sent after [`SETTLE`]: one sample per (edit, reader).
    steady: Latency,
    /// One edit sent the moment every reader and the writer had joined: one sample per reader.
    just_joined: Latency,
    /// The server process's CPU time (user and system) per paced edit, from the first paced
    /// send until every reader had every edit: the cost of one relayed update to all readers.
    server_cpu_per_edit: Option<Duration>,
}

async fn live_traffic(scale: &Scale, sync: SqliteSynchronous) -> Result<LiveTraffic> {
    let db = Database::new()?;
    let server = start_server(&db, sync, &[]).await?;
    let mut fanout = Vec::new();
    for &readers in scale.fanout_readers {
        progress(&format!(
            "fan-out, synchronous={}, {readers} readers",
            sync_name(sync)
        ));
        fanout.push((readers, measure_fanout(&server, &db, readers, scale).await?));
    }
    progress(&format!("burst, synchronous={}", sync_name(sync)));
    let burst = measure_burst(&server, &db, scale).await?;
    server.kill().await?;
    Ok(LiveTraffic {
        sync,
        fanout,
        burst,
    })
}

/// One writer makes paced edits; every reader stamps each edit's arrival. Each (edit, reader)
/// pair is one sample of send → arrival.
async fn measure_fanout(
    server: &ServerProcess,
    db: &Database,
    readers: usize,
    scale: &Scale,
) -> Result<Fanout> {
    let plan = new_plan(db, &format!("fan-out to {readers}")).await?;
    let edits = scale.fanout_edits;
    let limit = SETTLE + scale.fanout_pace * edits as u32 + Duration::from_secs(30);
    // Edit 0 goes out as soon as everyone has joined; edits 1..=edits after the settle.
    let collecting = spawn_readers(server, plan, readers, edits + 1, limit).await?;
    let (mut writer, _) = connect(server, plan).await?;
    let mut sent = write(&mut writer, 0..1, Pacing::FlatOut).await?;
    tokio::time::sleep(SETTLE).await;
    let cpu_before = server_cpu(server);
    sent.extend(write(&mut writer, 1..edits + 1, Pacing::Every(scale.fanout_pace)).await?);

    let mut just_joined = Vec::with_capacity(readers);
    let mut steady = Vec::with_capacity(edits * readers);
    let arrived = join_readers(collecting).await?;
    let server_cpu_per_edit = cpu_before
        .zip(server_cpu(server))
        .map(|(before, after)| after.saturating_sub(before) / edits.max(1) as u32);
    for arrivals in arrived {
        let mut latencies = sent
            .iter()
            .zip(&arrivals.times)
            .map(|(sent, arrived)| arrived.saturating_duration_since(*sent));
        just_joined.extend(latencies.next());
        steady.extend(latencies);
    }
    Ok(Fanout {
        steady: Latency::of(steady),
        just_joined: Latency::of(just_joined),
        server_cpu_per_edit,
    })
}

/// The server process's CPU time so far (user and system, from /proc).
fn server_cpu(server: &ServerProcess) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.child.id()?)).ok()?;
    // After the command name, which may itself hold spaces: utime and stime are the 12th and
    // 13th fields, in clock ticks (100 a second on Linux).
    let fields: Vec<u64> = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .skip(11)
        .take(2)
        .map_while(|n| n.parse().ok())
        .collect();
    let ticks = fields.first()? + fields.get(1)?;
    Some(Duration::from_millis(ticks * 10))
}

/// Burst figures: how fast one writer's updates reach every reader when it sends flat out.
struct Burst {
    updates: usize,
    readers: usize,
    /// Time the writer needed to hand every update to its socket (the server pushes back
    /// through TCP and its command queue when it falls behind).
    writer_time: Duration,
    /// Updates per second from the writer's first send until a reader had them all; median
    /// over readers.
    relay_rate: f64,
    /// From the writer's first send until the slowest reader had every update.
    converged: Duration,
    /// Update frames that carried the burst to a reader (the room merges each commit's
    /// updates); median over readers.
    frames: usize,
}

async fn measure_burst(server: &ServerProcess, db: &Database, scale: &Scale) -> Result<Burst> {
    let plan = new_plan(db, "burst").await?;
    let (updates, readers) = (scale.burst_updates, scale.burst_readers);
    let limit = Duration::from_secs(120);
    let collecting = spawn_readers(server, plan, readers, updates, limit).await?;
    let (mut writer, _) = connect(server, plan).await?;
    // The start-up stall described at SETTLE would otherwise dominate a short burst.
    tokio::time::sleep(SETTLE).await;
    let sent = write(&mut writer, 0..updates, Pacing::FlatOut).await?;
    let first_send = *sent.first().context("the burst sent nothing")?;
    let last_send = *sent.last().context("the burst sent nothing")?;

    let mut rates = Vec::with_capacity(readers);
    let mut frames = Vec::with_capacity(readers);
    let mut converged = Duration::ZERO;
    for arrivals in join_readers(collecting).await? {
        let last = arrivals
            .times
            .iter()
            .max()
            .context("a reader received nothing")?;
        let took = last.saturating_duration_since(first_send);
        rates.push(updates as f64 / took.as_secs_f64().max(f64::EPSILON));
        frames.push(arrivals.frames);
        converged = converged.max(took);
    }
    rates.sort_by(f64::total_cmp);
    frames.sort_unstable();
    Ok(Burst {
        updates,
        readers,
        writer_time: last_send.saturating_duration_since(first_send),
        relay_rate: rates[rates.len() / 2],
        converged,
        frames: frames[frames.len() / 2],
    })
}

type Collecting = Vec<tokio::task::JoinHandle<Result<Arrivals>>>;

/// Connects `count` synced readers, each already collecting the arrivals of `expected` edits, so
/// the writer can start as soon as this returns.
async fn spawn_readers(
    server: &ServerProcess,
    plan: PlanId,
    count: usize,
    expected: usize,
    limit: Duration,
) -> Result<Collecting> {
    let readers = connect_many(server, plan, count).await?;
    Ok(readers
        .into_iter()
        .map(|reader| tokio::spawn(collect_edits(reader, expected, limit)))
        .collect())
}

async fn join_readers(collecting: Collecting) -> Result<Vec<Arrivals>> {
    let mut all = Vec::with_capacity(collecting.len());
    for (index, handle) in collecting.into_iter().enumerate() {
        let arrivals = handle
            .await
            .context("a reader task panicked")?
            .with_context(|| format!("reader {index}"))?;
        all.push(arrivals);
    }
    Ok(all)
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: cold load of a long update log, before and after compaction
// ---------------------------------------------------------------------------------------------

struct ColdLoad {
    plans: usize,
    entries: usize,
    log_bytes: usize,
    db_bytes: u64,
    /// Connect → SyncStep2 with compaction disabled: the cost of replaying the log alone.
    uncompacted: Duration,
    /// The same under default settings, where the room compacts the log as it opens.
    first_open_default: Duration,
    snapshot_bytes: usize,
    compacted: Duration,
}

async fn cold_load(scale: &Scale) -> Result<ColdLoad> {
    let db = Database::new()?;
    let storage = db.storage().await?;
    let warmup = new_plan(&db, "warm-up").await?;
    let mut plans = Vec::with_capacity(scale.cold_plans);
    for index in 0..scale.cold_plans {
        plans.push(new_plan(&db, &format!("cold load {index}")).await?);
    }

    progress(&format!(
        "cold load: writing {} plans of {} updates",
        plans.len(),
        scale.cold_log_entries
    ));
    write_logs(&db, &plans, scale.cold_log_entries).await?;
    let stored = storage
        .load_document(plans[0])
        .await
        .context("cannot read the written log back")?;
    ensure!(
        stored.snapshot.is_none() && stored.updates.len() > scale.cold_log_entries,
        "expected an uncompacted log of over {} entries, found {} entries and {}",
        scale.cold_log_entries,
        stored.updates.len(),
        if stored.snapshot.is_some() {
            "a snapshot"
        } else {
            "no snapshot"
        }
    );
    let entries = stored.updates.len();
    let log_bytes = stored.updates.iter().map(Vec::len).sum();
    let db_bytes = db.size_bytes();

    progress("cold load: uncompacted log, compaction disabled");
    let (server, uncompacted) =
        time_cold_opens(&db, warmup, &plans, &["--compact-after", NEVER_COMPACT]).await?;
    server.kill().await?;

    // Default settings compact a long log when the room opens; the shutdown compacts anything
    // left, so after SIGTERM every log must be empty.
    progress("cold load: first open under default settings (compacts)");
    let (server, first_open_default) = time_cold_opens(&db, warmup, &plans, &[]).await?;
    terminate(server).await?;
    for plan in &plans {
        let left = storage
            .log_len(*plan)
            .await
            .context("cannot count the log")?;
        ensure!(
            left == 0,
            "plan {plan} still has {left} log entries after compaction"
        );
    }
    let snapshot_bytes = storage
        .load_document(plans[0])
        .await
        .context("cannot read the snapshot back")?
        .snapshot
        .map_or(0, |s| s.len());

    progress("cold load: compacted");
    let (server, compacted) = time_cold_opens(&db, warmup, &plans, &[]).await?;
    server.kill().await?;

    Ok(ColdLoad {
        plans: plans.len(),
        entries,
        log_bytes,
        db_bytes,
        uncompacted: median(&uncompacted),
        first_open_default: median(&first_open_default),
        snapshot_bytes,
        compacted: median(&compacted),
    })
}

/// Writes `entries` updates to each plan through a client, one commit per update, so that each
/// is its own log entry (updates committed together are merged into one entry). The plans are
/// written concurrently by a server with `synchronous=normal`: the log is the same as under
/// `full`, without minutes of fsyncs. SIGKILL at the end, so neither idle eviction nor the
/// shutdown compacts the logs.
async fn write_logs(db: &Database, plans: &[PlanId], entries: usize) -> Result<()> {
    let server = start_server(
        db,
        SqliteSynchronous::Normal,
        &["--compact-after", NEVER_COMPACT],
    )
    .await?;
    let writing = &server;
    futures_util::future::try_join_all(plans.iter().map(|plan| async move {
        let (mut writer, _) = connect(writing, *plan).await?;
        write(&mut writer, 0..entries, Pacing::OneCommitEach).await
    }))
    .await?;
    server.kill().await
}

/// Starts a server and times connect → SyncStep2 once per plan, after warming the process up on
/// a small plan so the figures are the plans' cost, not the first query's. Returns the server
/// still running, so the caller chooses how it stops (SIGKILL keeps the log, SIGTERM compacts).
async fn time_cold_opens(
    db: &Database,
    warmup: PlanId,
    plans: &[PlanId],
    args: &[&str],
) -> Result<(ServerProcess, Vec<Duration>)> {
    let server = start_server(db, HEADLINE_SYNC, args).await?;
    connect(&server, warmup).await?;
    let mut times = Vec::with_capacity(plans.len());
    for plan in plans {
        let (_client, synced) = connect(&server, *plan).await?;
        times.push(synced);
    }
    Ok((server, times))
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: resident memory of idle plans and idle connections
// ---------------------------------------------------------------------------------------------

struct Memory {
    plans: usize,
    per_plan: f64,
    connections: usize,
    per_connection: f64,
}

async fn resident_memory(scale: &Scale) -> Result<Memory> {
    let db = Database::new()?;
    let warm = new_plan(&db, "memory warm-up").await?;
    let mut plans = Vec::with_capacity(scale.idle_plans);
    for index in 0..scale.idle_plans {
        plans.push(new_plan(&db, &format!("idle {index}")).await?);
    }
    // Rooms must stay loaded after their last client leaves for the whole measurement.
    let server = start_server(&db, HEADLINE_SYNC, &["--room-idle-secs", "3600"]).await?;

    // The first room and connection pay for one-time allocations (pools, runtime buffers);
    // they belong to the baseline, not to the per-plan figure.
    open_with_content(&server, warm).await?;
    let baseline = settled_rss(&server).await?;

    progress(&format!("memory: {} idle loaded plans", plans.len()));
    for plan in &plans {
        open_with_content(&server, *plan).await?;
    }
    let with_plans = settled_rss(&server).await?;

    progress(&format!(
        "memory: {} idle connections",
        scale.idle_connections
    ));
    let connections = connect_many(&server, warm, scale.idle_connections).await?;
    let with_connections = settled_rss(&server).await?;
    drop(connections);
    server.kill().await?;

    Ok(Memory {
        plans: plans.len(),
        per_plan: with_plans.saturating_sub(baseline) as f64 / plans.len() as f64,
        connections: scale.idle_connections,
        per_connection: with_connections.saturating_sub(with_plans) as f64
            / scale.idle_connections as f64,
    })
}

/// Loads a plan into the server with a little content of its own, then disconnects.
async fn open_with_content(server: &ServerProcess, plan: PlanId) -> Result<()> {
    let (mut client, _) = connect(server, plan).await?;
    write(&mut client, 0..3, Pacing::FlatOut).await?;
    barrier(&mut client).await
}

// ---------------------------------------------------------------------------------------------
// The server child process and its database
// ---------------------------------------------------------------------------------------------

/// A fresh SQLite database in its own temporary directory, removed when dropped.
struct Database {
    dir: tempfile::TempDir,
}

impl Database {
    fn new() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("samskriv-bench-")
            .tempdir()
            .context("cannot create a temporary directory for the database")?;
        Ok(Database { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("db.sqlite3")
    }

    fn url(&self) -> String {
        sqlite_url(&self.path())
    }

    /// The library's storage on the same file, for reading the log back; SQLite's WAL lets it
    /// share the file with a running server. Its durability mode does not matter: it only reads.
    async fn storage(&self) -> Result<Arc<dyn Storage>> {
        samskriv::storage::connect(&DatabaseConfig {
            database_url: self.url(),
            sqlite_synchronous: SqliteSynchronous::Full,
        })
        .await
        .with_context(|| format!("cannot open {}", self.url()))
    }

    /// Bytes on disk: the database file and its write-ahead log.
    fn size_bytes(&self) -> u64 {
        ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let mut path = self.path().into_os_string();
                path.push(suffix);
                std::fs::metadata(path).ok()
            })
            .map(|m| m.len())
            .sum()
    }
}

/// Creates a plan with `samskriv plan create`, which prints its id alone on stdout. The command
/// line is the documented way to make a plan outside the web UI, so the bench does not depend on
/// library internals that are still moving. The plan starts from the default template.
async fn new_plan(db: &Database, title: &str) -> Result<PlanId> {
    let output = ServerProcess::command(&db.url())
        .args(["plan", "create", "--title", title])
        .args(["--bydel", "Nordstrand", "--periode", "2025–2028"])
        .stdin(Stdio::null())
        .output()
        .await
        .context("cannot run `samskriv plan create`")?;
    ensure!(
        output.status.success(),
        "`samskriv plan create` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let id = String::from_utf8_lossy(&output.stdout);
    id.trim()
        .parse()
        .with_context(|| format!("`samskriv plan create` printed {id:?}, not a plan id"))
}

/// `samskriv serve` on `db` in the durability mode `sync`; `args` are further `serve` flags.
async fn start_server(
    db: &Database,
    sync: SqliteSynchronous,
    args: &[&str],
) -> Result<ServerProcess> {
    let mut flags = vec!["--sqlite-synchronous", sync_name(sync)];
    flags.extend_from_slice(args);
    ServerProcess::start(&db.url(), &flags).await
}

/// SIGTERM: graceful shutdown, which commits and compacts every loaded plan.
async fn terminate(mut server: ServerProcess) -> Result<()> {
    let pid = server.child.id().context("the server has already exited")?;
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .context("cannot run kill(1)")?;
    ensure!(status.success(), "kill -TERM {pid} failed: {status}");
    let exit = tokio::time::timeout(Duration::from_secs(60), server.child.wait())
        .await
        .context("the server did not shut down within 60 s of SIGTERM")?
        .context("cannot wait for the server")?;
    ensure!(
        exit.success(),
        "the server's graceful shutdown failed: {exit}"
    );
    Ok(())
}

/// The server's resident set size in bytes, after a pause that lets sessions that just ended
/// finish and free their buffers.
async fn settled_rss(server: &ServerProcess) -> Result<u64> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.child.id().context("the server has exited")?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("cannot read the server's /proc status")?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line in the server's /proc status")?;
    Ok(kib * 1024)
}

fn sync_name(sync: SqliteSynchronous) -> &'static str {
    match sync {
        SqliteSynchronous::Full => "full",
        SqliteSynchronous::Normal => "normal",
    }
}

// ---------------------------------------------------------------------------------------------
// A y-websocket client
// ---------------------------------------------------------------------------------------------

/// Root names in the plan document the bench writes to; separate from what the app uses.
const TEXT: &str = "bench-text";
const SEQ_MAP: &str = "bench-seq";

/// Connects to `plan` and completes the sync handshake. Returns the client and the time from
/// starting to connect until the server's SyncStep2 was read (before our replica decodes it, so
/// the figure is the server's work and the transfer, not this client's).
async fn connect(server: &ServerProcess, plan: PlanId) -> Result<(Client, Duration)> {
    tokio::time::timeout(
        CONNECT_TIMEOUT,
        Client::connect(server.ws_url(plan).as_str()),
    )
    .await
    .with_context(|| format!("connecting to plan {plan} took over {CONNECT_TIMEOUT:?}"))?
}

/// Asks the server for what this replica lacks and waits for the answer: when this returns,
/// every update the client sent earlier is durable.
async fn barrier(client: &mut Client) -> Result<()> {
    tokio::time::timeout(Duration::from_secs(60), client.sync())
        .await
        .context("the server did not answer SyncStep1 within 60 s")??;
    Ok(())
}

/// Makes the edits numbered `seqs`, each sent as its own update message. Returns their send
/// times in order.
async fn write(client: &mut Client, seqs: Range<usize>, pacing: Pacing) -> Result<Vec<Instant>> {
    let mut ticker = match pacing {
        Pacing::Every(interval) => {
            let mut ticker = tokio::time::interval(interval);
            // After a stall, carry on at the pace instead of catching up in a burst.
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            Some(ticker)
        }
        Pacing::FlatOut | Pacing::OneCommitEach => None,
    };
    let mut sent = Vec::with_capacity(seqs.len());
    for seq in seqs {
        if let Some(ticker) = ticker.as_mut() {
            ticker.tick().await;
        }
        let update = make_edit(client.doc(), seq);
        sent.push(client.send_update(update).await?);
        if matches!(pacing, Pacing::OneCommitEach) {
            barrier(client).await?;
        }
    }
    Ok(sent)
}

/// Applies incoming updates until all `expected` edits have arrived.
///
/// The room merges the updates of one commit into one relayed update, so a frame may carry
/// several edits: every edit up to the newest sequence number the replica now holds arrived
/// with that frame (one writer's edits arrive in order). Arrival is stamped when the frame is
/// read, before decoding, so the figure is the server's and the network's, not our decoder's.
async fn collect_edits(mut client: Client, expected: usize, limit: Duration) -> Result<Arrivals> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut times = Vec::with_capacity(expected);
    let mut frames = 0;
    while times.len() < expected {
        let (message, arrived) = tokio::time::timeout_at(deadline, client.next_message())
            .await
            .map_err(|_| anyhow!("timed out with {} of {expected} edits", times.len()))??;
        let Message::Sync(SyncMessage::Update(update)) = message else {
            continue;
        };
        frames += 1;
        client.apply(&update)?;
        let newest = newest_seq(client.doc()).context("an update without a sequence number")?;
        ensure!(newest < expected, "edit {newest} was never sent");
        ensure!(
            newest >= times.len(),
            "an update brought nothing new (newest edit {newest}, {} received)",
            times.len()
        );
        times.resize(newest + 1, arrived);
    }
    Ok(Arrivals { times, frames })
}

/// How a writer spaces its edits.
#[derive(Clone, Copy)]
enum Pacing {
    /// One edit every interval, like a fast typist: each edit is its own commit and relay.
    Every(Duration),
    /// As fast as the connection takes them; the room merges what arrives within one commit.
    FlatOut,
    /// Each edit waits until the previous one is committed, so each is its own log entry, as
    /// when a plan is edited a little at a time over weeks.
    OneCommitEach,
}

/// What one reader saw: each edit's arrival time, indexed by sequence number, and the number of
/// update frames that carried them.
struct Arrivals {
    times: Vec<Instant>,
    frames: usize,
}

/// Connects `count` synced clients to one plan, a bounded number at a time.
async fn connect_many(server: &ServerProcess, plan: PlanId, count: usize) -> Result<Vec<Client>> {
    stream::iter(0..count)
        .map(|_| connect(server, plan))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .map_ok(|(client, _)| client)
        .try_collect()
        .await
}

/// One edit: appends a short sentence to the text and records its sequence number in a side
/// map, in one transaction, so it travels as one small update and a reader can tell which edit
/// arrived by reading one map entry.
fn make_edit(doc: &Doc, seq: usize) -> Vec<u8> {
    let text = doc.get_or_insert_text(TEXT);
    let marks = doc.get_or_insert_map(SEQ_MAP);
    let mut txn = doc.transact_mut();
    let end = text.len(&txn);
    text.insert(&mut txn, end, &format!("Tiltak {seq}. "));
    marks.insert(&mut txn, "seq", seq.to_string());
    txn.encode_update_v1()
}

/// The sequence number of the newest edit a replica holds.
fn newest_seq(doc: &Doc) -> Option<usize> {
    let marks = doc.get_or_insert_map(SEQ_MAP);
    match marks.get(&doc.transact(), "seq")? {
        Out::Any(Any::String(seq)) => seq.parse().ok(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/// Latency figures of one set of samples; percentiles are nearest rank (`tests/support/stats.rs`).
struct Latency {
    samples: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Latency {
    fn of(samples: Vec<Duration>) -> Latency {
        Latency {
            samples: samples.len(),
            p50: median(&samples),
            p99: percentile(&samples, 99),
            max: samples.iter().max().copied().unwrap_or_default(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

const MEMORY_NOTES: &str = "### Memory\n\n\
    VmRSS of the server process. Plans are made by `samskriv plan create` (default template) and \
    opened by a client that makes three small edits and leaves; with `--room-idle-secs 3600` they \
    stay loaded. Idle connections are synced clients of one plan that send nothing. Each figure is \
    (RSS after − RSS before) ÷ count, half a second after the last change.\n";

const FANOUT_TARGET_READERS: usize = 50;
const FANOUT_P99_TARGET: Duration = Duration::from_millis(10);
const COMPACTED_LOAD_TARGET: Duration = Duration::from_millis(20);
const PLAN_RSS_TARGET: f64 = 1024.0 * 1024.0;

struct Report {
    scale: &'static Scale,
    full: LiveTraffic,
    normal: LiveTraffic,
    cold: ColdLoad,
    memory: Memory,
    elapsed: Duration,
    /// Share of the machine's CPU time that other processes spent in user space.
    others_cpu_share: Option<f64>,
}

impl Report {
    fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "\n## Samskriv live-core benchmark ({} scale)\n\n",
            self.scale.name
        ));
        out.push_str(&self.machine());
        out.push_str(&self.headline());
        out.push_str(&self.fanout_table());
        out.push_str(&self.burst_table());
        out.push_str(&self.cold_notes());
        out.push_str(MEMORY_NOTES);
        out.push_str(&format!(
            "\nWhole run: {:.0} s.\n",
            self.elapsed.as_secs_f64()
        ));
        out
    }

    fn machine(&self) -> String {
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        let temp = std::env::temp_dir();
        format!(
            "Machine: {cpus} CPUs (nproc), {}, Linux {}. Database in {} ({}). \
             Server and clients share the CPUs; clients are in the bench process. \
             Other processes used {} of the CPU time in user space during the run (well above \
             0 % means the figures are pessimistic).\n\
             Headline figures: `--sqlite-synchronous full` (fsync on every commit).\n\n",
            cpu_model().unwrap_or_else(|| "CPU model unknown".into()),
            read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "?".into()),
            temp.display(),
            filesystem_of(&temp).unwrap_or_else(|| "filesystem unknown".into()),
            self.others_cpu_share
                .map_or("an unknown share".into(), |share| format!(
                    "{:.0} %",
                    share * 100.0
                )),
        )
    }

    fn headline(&self) -> String {
        let mut rows = vec![
            ["Figure", "Value", "Target", "Met"]
                .map(String::from)
                .to_vec(),
        ];
        for (readers, fanout) in &self.full.fanout {
            let steady = &fanout.steady;
            let target = (*readers == FANOUT_TARGET_READERS)
                .then(|| ("< 10 ms p99", steady.p99 < FANOUT_P99_TARGET));
            rows.push(headline_row(
                format!("Fan-out latency p50 / p99, 1 → {readers} readers"),
                format!("{} / {}", ms(steady.p50), ms(steady.p99)),
                target,
            ));
        }
        if let Some((readers, fanout)) = self.full.fanout.last() {
            rows.push(headline_row(
                format!("Fan-out of an edit sent as {readers} readers have just joined, p50 / max"),
                format!(
                    "{} / {}",
                    ms(fanout.just_joined.p50),
                    ms(fanout.just_joined.max)
                ),
                None,
            ));
        }
        let burst = &self.full.burst;
        rows.push(headline_row(
            format!(
                "Burst: {} updates to {} readers, relay rate at a reader",
                burst.updates, burst.readers
            ),
            format!("{:.0} updates/s", burst.relay_rate),
            None,
        ));
        rows.push(headline_row(
            "Burst: until every reader converged".into(),
            ms(burst.converged),
            None,
        ));
        let cold = &self.cold;
        rows.push(headline_row(
            format!("Cold load, {} log entries (no compaction)", cold.entries),
            ms(cold.uncompacted),
            None,
        ));
        rows.push(headline_row(
            "Cold load, first open with default settings (load + compaction)".into(),
            ms(cold.first_open_default),
            None,
        ));
        rows.push(headline_row(
            "Cold load after compaction".into(),
            ms(cold.compacted),
            Some(("< 20 ms", cold.compacted < COMPACTED_LOAD_TARGET)),
        ));
        rows.push(headline_row(
            format!("Stored log of {} entries (payload)", cold.entries),
            format!(
                "{} ({:.1} B/entry)",
                kib(cold.log_bytes as f64),
                cold.log_bytes as f64 / cold.entries as f64
            ),
            None,
        ));
        let memory = &self.memory;
        rows.push(headline_row(
            format!("RSS per idle loaded plan ({} plans)", memory.plans),
            kib(memory.per_plan),
            Some(("< 1 MiB", memory.per_plan < PLAN_RSS_TARGET)),
        ));
        rows.push(headline_row(
            format!(
                "RSS per idle connection ({} on one plan)",
                memory.connections
            ),
            kib(memory.per_connection),
            None,
        ));
        format!("### Figures and targets\n\n{}\n", table(&rows))
    }

    fn fanout_table(&self) -> String {
        let mut rows = vec![
            [
                "readers",
                "samples",
                "full p50",
                "full p99",
                "full max",
                "full just joined (max)",
                "normal p50",
                "normal p99",
                "normal max",
                "normal just joined (max)",
                "server CPU per edit, full / normal",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for ((readers, full), (_, normal)) in self.full.fanout.iter().zip(&self.normal.fanout) {
            rows.push(vec![
                readers.to_string(),
                full.steady.samples.to_string(),
                ms(full.steady.p50),
                ms(full.steady.p99),
                ms(full.steady.max),
                ms(full.just_joined.max),
                ms(normal.steady.p50),
                ms(normal.steady.p99),
                ms(normal.steady.max),
                ms(normal.just_joined.max),
                format!(
                    "{} / {}",
                    cpu_per_edit(full.server_cpu_per_edit),
                    cpu_per_edit(normal.server_cpu_per_edit)
                ),
            ]);
        }
        format!(
            "### Fan-out latency by `--sqlite-synchronous` mode\n\n\
             One writer, {} edits {} ms apart, starting {} ms after the last reader joined; \
             every (edit, reader) pair is a sample of send → arrival. \"Just joined\": one edit \
             sent the moment the writer had joined, before those {} ms. Server CPU: the server \
             process's user and system time from the first paced edit until every reader had \
             the last, divided by the edits (10 ms ticks: a rough figure).\n\n{}\n",
            self.scale.fanout_edits,
            self.scale.fanout_pace.as_millis(),
            SETTLE.as_millis(),
            SETTLE.as_millis(),
            table(&rows)
        )
    }

    fn burst_table(&self) -> String {
        let mut rows = vec![vec![
            "synchronous".into(),
            "updates".into(),
            "readers".into(),
            "writer done after".into(),
            "relay rate at a reader".into(),
            "all readers converged".into(),
            "frames per reader".into(),
        ]];
        for traffic in [&self.full, &self.normal] {
            let burst = &traffic.burst;
            rows.push(vec![
                sync_name(traffic.sync).into(),
                burst.updates.to_string(),
                burst.readers.to_string(),
                ms(burst.writer_time),
                format!("{:.0} updates/s", burst.relay_rate),
                ms(burst.converged),
                burst.frames.to_string(),
            ]);
        }
        format!(
            "### Burst\n\n\
             One writer sends every update as its own message as fast as the connection takes \
             them. Relay rate: updates ÷ (first send → last arrival at that reader), median over \
             readers; the room merges the updates of each commit into one frame.\n\n{}\n",
            table(&rows)
        )
    }

    fn cold_notes(&self) -> String {
        let cold = &self.cold;
        format!(
            "### Cold load\n\n\
             {} plans whose logs hold {} entries each (one commit per update), {} of update \
             payload per plan, database {} on disk. Each edit appends to a text and rewrites a \
             map entry in one transaction; the two interleave, so nothing squashes and the \
             compacted snapshot stays large ({}): a pessimistic document. Connect → SyncStep2, \
             median over the plans, each opened once per server start after a warm-up \
             connection to another plan. Under default settings the room compacts a long log \
             once it has been quiet for 500 ms, after answering the first client.\n\n",
            cold.plans,
            cold.entries,
            kib(cold.log_bytes as f64),
            kib(cold.db_bytes as f64),
            kib(cold.snapshot_bytes as f64),
        )
    }
}

/// A row of the headline table: figure, value, target and whether it is met.
fn headline_row(figure: String, value: String, target: Option<(&str, bool)>) -> Vec<String> {
    let (target, met) = match target {
        Some((target, met)) => (target, if met { "yes" } else { "**no**" }),
        None => ("—", "—"),
    };
    vec![figure, value, target.to_owned(), met.to_owned()]
}

/// A markdown table; the first row is the header.
fn table(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (index, row) in rows.iter().enumerate() {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
        if index == 0 {
            out.push_str(&format!("|{}\n", " --- |".repeat(row.len())));
        }
    }
    out
}

fn cpu_per_edit(cpu: Option<Duration>) -> String {
    cpu.map_or_else(|| "-".into(), |cpu| format!("{} µs", cpu.as_micros()))
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// User-space CPU time from /proc, in clock ticks: the whole machine's, and this process's with
/// its waited-for children (the servers and `samskriv plan create` runs). User time only: the
/// kernel's share of our work (loopback networking in softirqs, journal threads for fsync) is
/// not charged to us and would otherwise count as someone else's.
struct CpuTime {
    machine_user: u64,
    machine_total: u64,
    own_user: u64,
}

impl CpuTime {
    fn now() -> Option<CpuTime> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        // cpu  user nice system idle iowait irq softirq steal …
        let ticks: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .take(8)
            .map_while(|n| n.parse().ok())
            .collect();
        // After the command name, which may itself hold spaces, utime is the 12th field and
        // cutime the 14th.
        let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let own: Vec<u64> = own_stat
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .skip(11)
            .take(4)
            .map_while(|n| n.parse().ok())
            .collect();
        Some(CpuTime {
            machine_user: ticks.first()? + ticks.get(1)?,
            machine_total: ticks.iter().sum(),
            own_user: own.first()? + own.get(2)?,
        })
    }

    /// Share of all CPU time since `self` that other processes spent in user space.
    fn others_share_since(&self) -> Option<f64> {
        let now = CpuTime::now()?;
        let total = now.machine_total.checked_sub(self.machine_total)?;
        let user = now.machine_user.saturating_sub(self.machine_user);
        let own = now.own_user.saturating_sub(self.own_user);
        (total > 0).then(|| user.saturating_sub(own) as f64 / total as f64)
    }
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

/// The filesystem type holding `path` (fsync cost depends on it), from the longest matching
/// mount point in /proc/mounts.
fn filesystem_of(path: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, mount_point, fs_type) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(mount_point)
                .then(|| (mount_point.len(), fs_type.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, fs_type)| fs_type)
}
