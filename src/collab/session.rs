//! One client connection: reads its frames into the room, writes the room's frames out, pings it,
//! and closes it with a clear code when anything goes wrong.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, MissedTickBehavior, timeout};

use crate::config::LiveConfig;
use crate::plan::PlanId;
use crate::room::{Direct, Participant, Registry};
use crate::sync::{close, decode_frame};

/// Close code when the access the connection was opened with is taken away (signed out, token
/// revoked, removed from the plan, role changed): a client that still has access reconnects
/// with its new role.
pub const ACCESS_CHANGED: u16 = 4001;

/// How a session ends: with a close frame to send, or because the peer is already gone.
enum End {
    Close(u16, String),
    Gone,
}

#[tracing::instrument(skip(socket, registry, config), fields(conn))]
pub async fn run(
    mut socket: WebSocket,
    registry: Registry,
    plan: PlanId,
    participant: Arc<Participant>,
    config: LiveConfig,
) {
    let shutdown = registry.shutdown_token();
    let (room, joined) = match registry.join(plan).await {
        Ok(joined) => joined,
        Err(e) => {
            tracing::warn!(error = %e, "could not join the plan's room");
            send_close(&mut socket, close::INTERNAL, "plan unavailable", &config).await;
            return;
        }
    };
    let conn = joined.conn;
    tracing::Span::current().record("conn", conn);
    let metrics = registry.metrics().clone();
    metrics.connections.inc();
    tracing::debug!(can_edit = participant.can_edit, "connected");
    let mut relays = joined.relays;
    let mut direct = joined.direct;

    let ping_every = config.ping_interval();
    let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();

    let end = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break End::Close(close::GOING_AWAY, "server is restarting".into()),
            _ = participant.revoked.cancelled() => break End::Close(ACCESS_CHANGED, "access changed; reconnect".into()),
            incoming = socket.recv() => match incoming {
                None => break End::Gone,
                Some(Err(e)) => break read_error(e, &config),
                Some(Ok(message)) => {
                    last_heard = Instant::now();
                    match message {
                        Message::Binary(frame) => match decode_frame(&frame) {
                            Ok(messages) => {
                                if !room.send(conn, participant.clone(), messages).await {
                                    break End::Close(close::INTERNAL, "plan unavailable; reconnect".into());
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, bytes = frame.len(), "refused a frame");
                                break End::Close(e.close_code(), e.to_string());
                            }
                        },
                        Message::Text(_) => {
                            tracing::warn!("refused a text frame");
                            break End::Close(close::UNSUPPORTED, "binary y-websocket frames only".into());
                        }
                        Message::Ping(_) | Message::Pong(_) => {}
                        Message::Close(_) => break End::Gone,
                    }
                }
            },
            to_send = direct.recv() => match to_send {
                Some(Direct::Frame(frame)) => {
                    if let Err(end) = send(&mut socket, Message::Binary(frame), &config).await {
                        break end;
                    }
                }
                Some(Direct::Close { code, reason }) => break End::Close(code, reason),
                None => break End::Close(close::LAGGING, "fell behind the plan; reconnect to resync".into()),
            },
            relay = relays.recv() => match relay {
                Ok(relay) => {
                    let for_us = relay.from != conn || relay.echo;
                    if for_us
                        && let Err(end) =
                            send(&mut socket, Message::Binary(relay.frame.clone()), &config).await
                    {
                        break end;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "client fell behind; closing so it resyncs");
                    break End::Close(close::LAGGING, format!("fell {missed} messages behind; reconnect to resync"));
                }
                Err(RecvError::Closed) => break End::Close(close::GOING_AWAY, "plan closed; reconnect".into()),
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
    }
    tracing::debug!("disconnected");
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
        code,
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

fn read_error(error: axum::Error, config: &LiveConfig) -> End {
    match error.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => {
            tracing::warn!(error = %e, "refused an oversized frame");
            End::Close(
                close::TOO_BIG,
                format!("frame larger than {} bytes", config.max_frame_bytes),
            )
        }
        Ok(e) => {
            tracing::debug!(error = %e, "connection read failed");
            End::Gone
        }
        Err(e) => {
            tracing::debug!(error = %e, "connection read failed");
            End::Gone
        }
    }
}

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
