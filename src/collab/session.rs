//! One client connection: reads its frames into the room, writes out what the socket did not take
//! of the room's frames (the room writes them itself: `room::Outbox`), pings it,
//! and closes it with a clear code when anything goes wrong.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::time::{Instant, MissedTickBehavior, timeout};

use super::wire::Wire;
use crate::config::LiveConfig;
use crate::metrics::Metrics;
use crate::plan::PlanId;
use crate::room::{ConnId, Ended, Outbox, Participant, Registry, RoomHandle, presence};
use crate::sync::{self, Incoming, Raw, close};
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;

/// The upgraded connection (see `collab::upgrade`).
pub type WebSocket = tokio_tungstenite::WebSocketStream<Wire>;

/// Close code when the access the connection was opened with is taken away (signed out, token
/// revoked, removed from the plan, role changed): a client that still has access reconnects
/// with its new role.
pub const ACCESS_CHANGED: u16 = 4001;

/// How a session ends: with a close frame to send, or because the peer is already gone.
enum End {
    Close(u16, String),
    Gone,
}

/// Serves one connection: `outbox` is the way out to `socket`, shared with the plan's room,
/// which writes its relays there itself; this task reads, pings, and writes out what the
/// socket did not take at once.
#[tracing::instrument(skip(socket, outbox, registry, config), fields(conn))]
pub async fn run(
    mut socket: WebSocket,
    outbox: Arc<Outbox>,
    registry: Registry,
    plan: PlanId,
    participant: Arc<Participant>,
    config: LiveConfig,
) {
    let shutdown = registry.shutdown_token();
    let (room, joined) = match registry
        .join(plan, participant.clone(), outbox.clone())
        .await
    {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(error = %e, "could not join the plan's room");
            send_close(&mut socket, close::INTERNAL, "plan unavailable", &config).await;
            outbox.finish(config.send_timeout()).await;
            return;
        }
    };
    let conn = joined.conn;
    tracing::Span::current().record("conn", conn);
    let metrics = registry.metrics().clone();
    metrics.connections.inc();
    tracing::debug!(can_edit = participant.can_edit, "connected");

    let ping_every = config.ping_interval();
    let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut limits = Limits::new();

    let end = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break End::Close(close::GOING_AWAY, "server is restarting".into()),
            _ = participant.revoked.cancelled() => break End::Close(ACCESS_CHANGED, "access changed; reconnect".into()),
            incoming = socket.next() => match incoming {
                None => break End::Gone,
                Some(Err(e)) => break read_error(e, &config),
                Some(Ok(message)) => {
                    last_heard = Instant::now();
                    match message {
                        Message::Binary(frame) => {
                            let mut on = Frame { socket: &mut socket, room: &room, conn, participant: &participant, metrics: &metrics, config: &config, limits: &mut limits };
                            if let Err(end) = on.handle(&frame).await {
                                break end;
                            }
                        }
                        Message::Text(_) => {
                            tracing::warn!("refused a text frame");
                            break End::Close(close::UNSUPPORTED, "binary y-websocket frames only".into());
                        }
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                        Message::Close(_) => break End::Gone,
                    }
                }
            },
            // The room's frames are written by the room; this writes what the socket did not
            // take at once, and learns when the room closes the connection.
            ended = outbox.serve(config.send_timeout()) => break match ended {
                Ended::Close(code, reason) => End::Close(code, reason),
                Ended::Stalled => {
                    tracing::info!("client stopped reading; closing so it resyncs");
                    End::Close(close::LAGGING, "stopped reading; reconnect to resync".into())
                }
                Ended::Failed => End::Gone,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > ping_every * 2 {
                    tracing::info!("no answer to pings; closing");
                    break End::Close(close::POLICY, "no answer to ping".into());
                }
                if let Err(end) = send(&mut socket, Message::Ping(Default::default()), &config).await {
                    break end;
                }
            }
        }
    };

    room.leave(conn).await;
    metrics.connections.dec();
    if let End::Close(code, reason) = end {
        send_close(&mut socket, code, &reason, &config).await;
        // A slow reader still gets the close after what is queued before it; a dead one is
        // dropped.
        outbox.finish(config.send_timeout()).await;
        if code == close::TOO_BIG {
            drain(&mut socket, &config).await;
        }
    } else {
        outbox.finish(Duration::ZERO).await;
    }
    tracing::debug!("disconnected");
}

/// What a connection may still do: its rates of awareness and queries, and when it was last
/// logged for a refused change.
struct Limits {
    awareness: Bucket,
    queries: Bucket,
    /// When a refused change was last logged, and how many were refused since.
    refusal_logged: Option<Instant>,
    refused_since: u64,
}

impl Limits {
    fn new() -> Self {
        Limits {
            awareness: Bucket::new(AWARENESS_PER_SECOND, AWARENESS_BURST),
            queries: Bucket::new(QUERIES_PER_SECOND, QUERIES_BURST),
            refusal_logged: None,
            refused_since: 0,
        }
    }
}

/// Awareness messages a connection may send: a cursor moves with every keystroke, so a fast
/// typist sends about ten a second. Beyond the burst, messages are dropped (the next one wins).
const AWARENESS_PER_SECOND: f64 = 30.0;
const AWARENESS_BURST: f64 = 60.0;
/// Awareness queries answered per connection (each answer is everyone's presence).
const QUERIES_PER_SECOND: f64 = 1.0;
const QUERIES_BURST: f64 = 4.0;
/// A refused change is logged at most once a minute per connection, with the count since.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(60);

/// A token bucket.
struct Bucket {
    tokens: f64,
    per_second: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    fn new(per_second: f64, burst: f64) -> Self {
        Bucket {
            tokens: burst,
            per_second,
            burst,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.at).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + earned).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One incoming frame and what handling it needs.
struct Frame<'a> {
    socket: &'a mut WebSocket,
    room: &'a RoomHandle,
    conn: ConnId,
    participant: &'a Arc<Participant>,
    metrics: &'a Metrics,
    config: &'a LiveConfig,
    limits: &'a mut Limits,
}

impl Frame<'_> {
    /// Handles the messages of one frame one at a time: each is decoded only when it is its
    /// turn, and only as far as this connection may use it, so a frame never costs more than a
    /// small multiple of its size. A message that does not decode ends the connection; those
    /// before it were handled.
    async fn handle(&mut self, frame: &[u8]) -> Result<(), End> {
        let mut denied = false;
        let mut queried = false;
        for raw in sync::messages(frame) {
            let incoming = match raw.map_err(|e| self.refuse_frame(e, frame.len()))? {
                Raw::SyncStep1(payload) => Incoming::SyncStep1(
                    sync::decode_state_vector(payload)
                        .map_err(|e| self.refuse_frame(e, frame.len()))?,
                ),
                Raw::Content(_) if !self.participant.may_edit() => {
                    // Never decoded: a read-only connection's content costs the room nothing.
                    self.metrics.refused_updates.inc();
                    self.log_refusal();
                    if !denied {
                        denied = true;
                        let reason = "this connection may read this plan but not change it";
                        send(
                            self.socket,
                            Message::Binary(sync::permission_denied(reason)),
                            self.config,
                        )
                        .await?;
                    }
                    continue;
                }
                Raw::Content(payload) => Incoming::Update {
                    update: sync::decode_update(payload)
                        .map_err(|e| self.refuse_frame(e, frame.len()))?,
                    raw: payload.to_vec(),
                },
                Raw::Awareness(payload) => {
                    let mut update = sync::decode_awareness(payload)
                        .map_err(|e| self.refuse_frame(e, frame.len()))?;
                    let before = update.clients.len();
                    if !self.limits.awareness.take() {
                        update.clients.clear();
                    }
                    update
                        .clients
                        .retain(|_, entry| presence::valid_state(&entry.json));
                    let dropped = before - update.clients.len();
                    if dropped > 0 {
                        self.metrics.refused_awareness.inc_by(dropped as u64);
                    }
                    if update.clients.is_empty() {
                        continue;
                    }
                    Incoming::Awareness(update)
                }
                Raw::QueryAwareness => {
                    // One answer per frame at most, and a few a second.
                    if queried || !self.limits.queries.take() {
                        continue;
                    }
                    queried = true;
                    Incoming::QueryAwareness
                }
                Raw::Auth => continue,
            };
            if !self
                .room
                .send(self.conn, self.participant.clone(), incoming)
                .await
            {
                return Err(End::Close(
                    close::INTERNAL,
                    "plan unavailable; reconnect".into(),
                ));
            }
        }
        Ok(())
    }

    fn refuse_frame(&self, error: sync::ProtocolError, bytes: usize) -> End {
        tracing::warn!(error = %error, bytes, "refused a frame");
        End::Close(error.close_code(), error.to_string())
    }

    /// Logs a refused change at most once a minute for this connection.
    fn log_refusal(&mut self) {
        let limits = &mut *self.limits;
        limits.refused_since += 1;
        if limits
            .refusal_logged
            .is_some_and(|at| at.elapsed() < REFUSAL_LOG_EVERY)
        {
            return;
        }
        tracing::warn!(
            actor = %self.participant.actor.id,
            refused = limits.refused_since,
            "refused content updates from a read-only connection (logged once a minute)"
        );
        limits.refusal_logged = Some(Instant::now());
        limits.refused_since = 0;
    }
}

/// Sends one message. A client that does not take it in time has stalled: it is closed like
/// one that fell behind, so its provider reconnects and resyncs.
async fn send(socket: &mut WebSocket, message: Message, config: &LiveConfig) -> Result<(), End> {
    match timeout(config.send_timeout(), socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => {
            tracing::info!("client stopped reading; closing so it resyncs");
            Err(End::Close(
                close::LAGGING,
                "stopped reading; reconnect to resync".into(),
            ))
        }
    }
}

async fn send_close(socket: &mut WebSocket, code: u16, reason: &str, config: &LiveConfig) {
    let frame = CloseFrame {
        code: code.into(),
        reason: truncate_reason(reason).into(),
    };
    // A slow reader still gets the close after what is queued before it; a dead one is dropped.
    let _ = timeout(
        config.send_timeout(),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// A close reason may hold at most 123 bytes.
fn truncate_reason(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

fn read_error(error: tungstenite::Error, config: &LiveConfig) -> End {
    match error {
        tungstenite::Error::Capacity(e) => {
            tracing::info!(error = %e, "refused an oversized frame");
            End::Close(
                close::TOO_BIG,
                format!("frame larger than {} bytes", config.max_frame_bytes),
            )
        }
        e => {
            tracing::debug!(error = %e, "connection read failed");
            End::Gone
        }
    }
}

/// After an oversized frame is refused, reads and discards what the client still sends (the
/// rest of that frame, then its answer to our close) until it hangs up, for at most
/// [`DRAIN_TIME`] and a few times the frame limit. Closing a socket with unread data makes the
/// kernel reset the connection, and a client still busy sending would see that (1006) instead
/// of our close frame with 1009.
async fn drain(socket: &mut WebSocket, config: &LiveConfig) {
    let budget = config.max_frame_bytes.saturating_mul(4).max(1 << 20);
    let io = socket.get_mut();
    let mut buf = [0u8; 16 * 1024];
    let _ = timeout(DRAIN_TIME, async {
        let mut read = 0;
        while read < budget {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}

/// Longest wait for a client to finish sending after its oversized frame was refused.
const DRAIN_TIME: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::truncate_reason;

    #[test]
    fn close_reasons_fit_the_frame() {
        let long = "ø".repeat(100);
        let cut = truncate_reason(&long);
        assert!(cut.len() <= 123);
        assert!(cut.chars().all(|c| c == 'ø'));
        assert_eq!(truncate_reason("kort"), "kort");
    }
}
