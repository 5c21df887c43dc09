//! Throws random, truncated and mutated y-websocket frames at a live server over real
//! WebSockets. Shared by `benches/fuzz.rs` (a million frames) and the test suite
//! (`tests/api/hostile.rs`, a few thousand).
//!
//! Frames go out as fast as the connections take them; a frame that the server refuses closes
//! its connection (1003, 1007 or 1009), and the runner reconnects. A server that crashes, stops
//! accepting connections or stops answering fails the run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::write::Write;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{Array, Doc, Map, ReadTxn, StateVector, Text, Transact, WriteTxn};

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub frames: u64,
    pub bytes: u64,
    pub connections: u64,
    /// Close codes the server sent, and how often.
    pub closes: BTreeMap<u16, u64>,
    pub elapsed: Duration,
}

impl Report {
    pub fn frames_per_second(&self) -> f64 {
        self.frames as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A small deterministic generator (xorshift64*): a run is repeated by its seed.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Real frames a client sends, and the hostile ones the security review used: the seeds that
/// truncation and mutation start from.
pub fn seeds() -> Vec<Vec<u8>> {
    let doc = Doc::with_client_id(4242);
    let mut frames = Vec::new();
    let mut sv = StateVector::default();
    for i in 0..6u32 {
        {
            let mut txn = doc.transact_mut();
            let text = txn.get_or_insert_text("t");
            text.insert(&mut txn, 0, "Hvor står vi? ");
            if i % 2 == 1 {
                text.remove_range(&mut txn, 0, 3);
            }
            txn.get_or_insert_map("m")
                .insert(&mut txn, "k", i64::from(i));
            txn.get_or_insert_array("a")
                .push_back(&mut txn, vec![yrs::Any::from("x"), yrs::Any::from(1.5)]);
        }
        let update = doc.transact().encode_state_as_update_v1(&sv);
        sv = doc.transact().state_vector();
        frames.push(Message::Sync(SyncMessage::Update(update.clone())).encode_v1());
        frames.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
    }
    frames.push(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1());
    let mut awareness = Awareness::new(Doc::with_client_id(77));
    awareness.set_local_state_raw(r##"{"user":{"name":"Kari","unit":"NAV","color":"#1f42aa"}}"##);
    if let Ok(update) = awareness.update() {
        frames.push(Message::Awareness(update).encode_v1());
    }
    frames.push(Message::AwarenessQuery.encode_v1());
    frames.push(Message::Auth(Some("nei".into())).encode_v1());
    for (tag, count) in [
        (&[0u8, 0][..], 940_000_000u64),
        (&[1], 470_000_000),
        (&[0, 2], 470_000_000),
    ] {
        frames.push(claim(tag, count));
    }
    frames
}

/// A frame of one message (its type varints `tag`) whose payload is nothing but a count.
pub fn claim(tag: &[u8], count: u64) -> Vec<u8> {
    let mut payload = EncoderV1::new();
    payload.write_var(count);
    let mut frame = EncoderV1::new();
    for t in tag {
        frame.write_var(*t);
    }
    frame.write_buf(payload.to_vec());
    frame.to_vec()
}

/// A KoRus plan to throw frames at, with a reader's and an editor's service token.
pub async fn plan_with_tokens(
    storage: &dyn samskriv::storage::Storage,
) -> anyhow::Result<(samskriv::plan::PlanId, String, String)> {
    use samskriv::access::Role;
    use samskriv::storage::accounts::create_service_token;
    let plan = storage
        .create_plan(
            &samskriv::plan::NewPlan {
                title: "Fiendtlig".into(),
                template: "korus-ruspolitisk-handlingsplan@1".into(),
                ..Default::default()
            },
            yrs::Update::EMPTY_V1,
        )
        .await?
        .id;
    let db = storage.db();
    let (_, reader) = create_service_token(&db, plan, "leser", Role::Reader, None).await?;
    let (_, editor) = create_service_token(&db, plan, "redaktør", Role::Editor, None).await?;
    Ok((plan, reader, editor))
}

/// One hostile frame: random bytes, or a seed truncated, mutated, repeated or joined.
pub fn frame(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = &seeds[rng.below(seeds.len())];
    match rng.below(8) {
        0 => {
            let len = if rng.below(16) == 0 {
                rng.below(4096)
            } else {
                rng.below(48)
            };
            (0..len).map(|_| rng.next() as u8).collect()
        }
        1 => {
            // A message type the server knows, then noise.
            let mut f = vec![rng.below(4) as u8, rng.below(3) as u8];
            f.extend((0..rng.below(32)).map(|_| rng.next() as u8));
            f
        }
        2 => seed[..rng.below(seed.len() + 1)].to_vec(),
        3 | 4 => {
            let mut f = seed.clone();
            for _ in 0..1 + rng.below(4) {
                match rng.below(3) {
                    0 if !f.is_empty() => {
                        let at = rng.below(f.len());
                        f[at] = rng.next() as u8;
                    }
                    1 => {
                        let at = rng.below(f.len() + 1);
                        f.insert(at, rng.next() as u8);
                    }
                    _ if !f.is_empty() => {
                        let at = rng.below(f.len());
                        f.remove(at);
                    }
                    _ => {}
                }
            }
            f
        }
        5 => {
            // Many messages in one frame.
            let mut f = Vec::new();
            for _ in 0..1 + rng.below(64) {
                f.extend_from_slice(&seeds[rng.below(seeds.len())]);
            }
            f
        }
        _ => seed.clone(),
    }
}

/// Sends `frames` hostile frames over `conns` connections spread over `urls`, reconnecting
/// whenever the server closes one. Fails when the server stops accepting connections.
pub async fn run(urls: &[String], frames: u64, conns: usize, seed: u64) -> anyhow::Result<Report> {
    let seeds = Arc::new(seeds());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns.max(1) {
        let url = urls[c % urls.len()].clone();
        let seeds = seeds.clone();
        let quota = frames / conns as u64 + u64::from((c as u64) < frames % conns as u64);
        let mut rng = Rng::new(seed.wrapping_add(c as u64 * 0x9e37_79b9));
        tasks.push(tokio::spawn(async move {
            let mut report = Report::default();
            let mut sent = 0;
            while sent < quota {
                let (socket, _) = connect(&url).await?;
                report.connections += 1;
                let (mut sink, mut stream) = socket.split();
                let closed = Arc::new(AtomicBool::new(false));
                let code = Arc::new(AtomicU64::new(0));
                let reader = {
                    let (closed, code) = (closed.clone(), code.clone());
                    tokio::spawn(async move {
                        while let Some(message) = stream.next().await {
                            match message {
                                Ok(WsMessage::Close(frame)) => {
                                    let c = frame.map(|f| u16::from(f.code)).unwrap_or(1005);
                                    code.store(u64::from(c), Ordering::Relaxed);
                                    break;
                                }
                                Ok(_) => {}
                                Err(_) => break,
                            }
                        }
                        closed.store(true, Ordering::Relaxed);
                    })
                };
                while sent < quota && !closed.load(Ordering::Relaxed) {
                    let f = frame(&mut rng, &seeds);
                    report.bytes += f.len() as u64;
                    sent += 1;
                    if sink.send(WsMessage::Binary(f.into())).await.is_err() {
                        break;
                    }
                }
                let _ = sink.close().await;
                let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
                let c = code.load(Ordering::Relaxed) as u16;
                *report
                    .closes
                    .entry(if c == 0 { 1006 } else { c })
                    .or_default() += 1;
            }
            report.frames = sent;
            anyhow::Ok(report)
        }));
    }
    let mut total = Report::default();
    for task in tasks {
        let report = task.await??;
        total.frames += report.frames;
        total.bytes += report.bytes;
        total.connections += report.connections;
        for (code, n) in report.closes {
            *total.closes.entry(code).or_default() += n;
        }
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects, retrying briefly: a server that accepts no connection for 10 s is down.
async fn connect(
    url: &str,
) -> anyhow::Result<(
    Socket,
    tokio_tungstenite::tungstenite::handshake::client::Response,
)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio_tungstenite::connect_async(url).await {
            Ok(connected) => return Ok(connected),
            Err(e) if Instant::now() > deadline => {
                anyhow::bail!("the server stopped accepting connections: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// The server's resident and peak memory (VmRSS, VmHWM) in KiB, from /proc.
pub fn memory_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}
