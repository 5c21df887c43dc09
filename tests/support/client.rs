//! A y-websocket client over tokio-tungstenite: its own replica of a plan's Y.Doc and awareness,
//! kept in sync with the server as the browser's provider keeps it.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The live connection of one plan on the server at `addr` (`host:port`).
pub fn collab_url(addr: impl std::fmt::Display, plan: impl std::fmt::Display) -> String {
    format!("ws://{addr}/collab/{plan}")
}

/// One y-websocket connection with its own replica of the plan's document.
pub struct Client {
    pub socket: Socket,
    /// The replica (`awareness.doc()`) and the awareness states this client knows of.
    pub awareness: Awareness,
}

/// What the server sent next.
pub enum Incoming {
    /// A protocol message, and when its frame was read (before decoding it, so a timing is the
    /// server's and the network's, not this client's decoder's).
    Message(Message, Instant),
    /// The server closed the connection with this code and reason (1005 and no reason when its
    /// close frame had none).
    Closed(u16, String),
    /// The connection ended without a close frame, or could not be read: why.
    Ended(String),
}

impl Client {
    /// Opens the connection (a URL, or a request with headers such as a session cookie) and
    /// completes the sync handshake as y-websocket does. Returns the client and the time from
    /// starting to connect until the server's SyncStep2 was read.
    pub async fn connect(request: impl IntoClientRequest + Unpin) -> Result<(Client, Duration)> {
        let started = Instant::now();
        let request = request
            .into_client_request()
            .context("not a WebSocket request")?;
        let url = request.uri().to_string();
        // No Nagle on our side: a small frame must leave at once, or timings would measure this
        // client's TCP batching instead of the server.
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
        let mut client = Client {
            socket,
            awareness: Awareness::new(Doc::new()),
        };
        let arrived = client.sync().await?;
        Ok((client, arrived.saturating_duration_since(started)))
    }

    pub fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    pub fn state_vector(&self) -> StateVector {
        self.doc().transact().state_vector()
    }

    /// Sends SyncStep1 and handles messages until the server's SyncStep2 has been applied;
    /// returns when that SyncStep2 was read. The room handles a connection's messages in order
    /// and commits before answering, so when this returns, every update this client sent
    /// earlier is durable.
    pub async fn sync(&mut self) -> Result<Instant> {
        let sv = self.state_vector();
        self.send(&Message::Sync(SyncMessage::SyncStep1(sv)))
            .await?;
        loop {
            let (message, arrived) = self.next_message().await?;
            let step2 = matches!(message, Message::Sync(SyncMessage::SyncStep2(_)));
            self.handle(message).await?;
            if step2 {
                return Ok(arrived);
            }
        }
    }

    /// Sends the update of a local change as one message, as a Yjs provider does. Returns when
    /// it was handed to the socket. How the change is encoded is the caller's: the benches send
    /// a transaction's own update, the tests everything new since the state vector before it.
    pub async fn send_update(&mut self, update: Vec<u8>) -> Result<Instant> {
        let sent = Instant::now();
        self.send(&Message::Sync(SyncMessage::Update(update)))
            .await?;
        Ok(sent)
    }

    pub async fn send(&mut self, message: &Message) -> Result<()> {
        self.send_raw(message.encode_v1()).await
    }

    /// Sends bytes as one binary frame, whatever they hold (hostile-client tests and the fuzz
    /// runner).
    pub async fn send_raw(&mut self, frame: Vec<u8>) -> Result<()> {
        self.socket
            .send(Frame::Binary(frame.into()))
            .await
            .context("cannot send to the server")
    }

    /// The next protocol message or the end of the connection. Pings are answered by
    /// tungstenite as part of reading; other non-binary frames are skipped. An error means the
    /// server sent a message that does not decode.
    pub async fn receive(&mut self) -> Result<Incoming> {
        loop {
            let frame = match self.socket.next().await {
                None => return Ok(Incoming::Ended("the connection ended".into())),
                Some(Err(e)) => return Ok(Incoming::Ended(format!("cannot read: {e}"))),
                Some(Ok(frame)) => frame,
            };
            let arrived = Instant::now();
            match frame {
                Frame::Binary(bytes) => {
                    let message = Message::decode_v1(&bytes)
                        .context("the server sent an undecodable message")?;
                    return Ok(Incoming::Message(message, arrived));
                }
                Frame::Close(close) => {
                    return Ok(match close {
                        Some(close) => {
                            Incoming::Closed(close.code.into(), close.reason.to_string())
                        }
                        None => Incoming::Closed(1005, String::new()),
                    });
                }
                _ => {}
            }
        }
    }

    /// The next protocol message and when its frame was read; the end of the connection is an
    /// error, with the server's reason.
    pub async fn next_message(&mut self) -> Result<(Message, Instant)> {
        match self.receive().await? {
            Incoming::Message(message, arrived) => Ok((message, arrived)),
            Incoming::Closed(code, reason) => {
                bail!("the server closed the connection: {code} {reason}")
            }
            Incoming::Ended(why) => bail!("the server connection ended: {why}"),
        }
    }

    /// Handles one message as y-websocket's provider does: answers the server's SyncStep1 with
    /// what the server lacks, applies SyncStep2 and updates to the replica and awareness updates
    /// to the awareness. Other messages (such as a refusal) are left to the caller.
    pub async fn handle(&mut self, message: Message) -> Result<()> {
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = self.doc().transact().encode_state_as_update_v1(&sv);
                self.send(&Message::Sync(SyncMessage::SyncStep2(update)))
                    .await
            }
            Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) => {
                self.apply(&update)
            }
            Message::Awareness(update) => self
                .awareness
                .apply_update(update)
                .context("the server sent an awareness update that does not apply"),
            _ => Ok(()),
        }
    }

    /// Applies an update from the server to the replica.
    pub fn apply(&self, update: &[u8]) -> Result<()> {
        let update = Update::decode_v1(update).context("the server sent an undecodable update")?;
        self.doc()
            .transact_mut()
            .apply_update(update)
            .context("the server sent an update that does not apply")
    }
}
