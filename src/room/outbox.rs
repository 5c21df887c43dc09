//! The way out to one connection: what its room sends it, written straight to its socket.
//!
//! A relayed update used to wake one task per connection, which then encoded the same WebSocket
//! frame again and wrote it. Now the room encodes each frame once and writes it to every
//! connection's socket itself, with a non-blocking write: on a socket that takes it (the usual
//! case: a few hundred bytes into an empty send buffer) nothing else runs. Only what a socket does
//! not take at once is queued, and the connection's own task writes the queue out when the
//! socket is writable again ([`Outbox::serve`]).
//!
//! Bytes reach a socket in the order they were handed over, whoever hands them over (the room's
//! frames, or the connection's own pongs, pings and close): every write happens under the
//! outbox's lock, and nothing is written while a queue waits. The queue is bounded in frames; a
//! connection that falls further behind, or whose socket takes nothing for the send timeout, is
//! closed (4000) so that its client reconnects and resyncs. Nobody waits for a slow client.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::AsyncWrite;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::sync::close;

/// Frames and the state of one connection's way out. Shared by the connection's task and its
/// room.
pub struct Outbox {
    state: Mutex<State>,
    /// Wakes the connection's task: there is a queue to write, a close to send, or a failure.
    wake: Notify,
    /// Most frames queued before the connection counts as fallen behind.
    limit: usize,
}

/// The writing half of a connection's socket.
pub type Sink = Box<dyn AsyncWrite + Send + Unpin>;

struct State {
    /// `None` for a connection without a socket of its own (the room's tests); its frames are
    /// only queued. Also `None` once the connection's task has let the socket go.
    socket: Option<Sink>,
    queue: VecDeque<Bytes>,
    /// The front of the queue was partly written: it must be finished before anything else.
    front_started: bool,
    /// Since when the queue has waited without the socket taking anything.
    stalled_since: Option<Instant>,
    /// Set by the room: the connection is to be closed with this code and reason.
    closing: Option<(u16, String)>,
    /// The socket failed or the connection's own writes overflowed: the connection is over.
    failed: bool,
}

/// How a connection's way out ended (see [`Outbox::serve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The room closes the connection with this code and reason.
    Close(u16, String),
    /// The socket took nothing for the send timeout.
    Stalled,
    /// The socket failed: the peer is gone.
    Failed,
}

impl Outbox {
    /// An outbox that writes to `socket`; at most `limit` frames wait when it does not take them.
    pub fn new(socket: Sink, limit: usize) -> Self {
        Self::with(Some(socket), limit)
    }

    /// An outbox without a socket: frames wait in its queue, up to `limit`.
    pub fn detached(limit: usize) -> Self {
        Self::with(None, limit)
    }

    fn with(socket: Option<Sink>, limit: usize) -> Self {
        Outbox {
            state: Mutex::new(State {
                socket,
                queue: VecDeque::new(),
                front_started: false,
                stalled_since: None,
                closing: None,
                failed: false,
            }),
            wake: Notify::new(),
            limit: limit.max(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change under the lock leaves the state consistent, even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the room's frame (already a whole WebSocket frame) to the connection. `false` when
    /// the connection is closing or has fallen `limit` frames behind: the room then closes it.
    pub fn push(&self, frame: &Bytes) -> bool {
        self.hand_over(frame, true)
    }

    /// Like [`Self::push`], but the frame is only queued: the connection's own task writes it.
    /// For a room with many connections, where writing to every socket from the room's task
    /// alone would keep the last of them waiting while the other core idles.
    pub fn push_queued(&self, frame: &Bytes) -> bool {
        self.hand_over(frame, false)
    }

    fn hand_over(&self, frame: &Bytes, write_now: bool) -> bool {
        let mut state = self.state();
        if state.closing.is_some() || state.failed || state.queue.len() >= self.limit {
            return false;
        }
        if write_now {
            self.write_or_queue(&mut state, frame.clone());
        } else {
            self.queue(&mut state, frame.clone());
        }
        true
    }

    /// The connection's own bytes (its WebSocket library's pongs, pings and close frame), in
    /// order with the room's. Bounded like the room's frames: an error ends the connection.
    pub fn write_own(&self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.state();
        if state.failed {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if state.queue.len() >= self.limit.saturating_add(OWN_FRAMES) {
            state.failed = true;
            drop(state);
            self.wake.notify_one();
            return Err(io::Error::other("the client does not read what it is sent"));
        }
        self.write_or_queue(&mut state, Bytes::copy_from_slice(bytes));
        Ok(())
    }

    /// Asks the connection's task to close the connection with `code`. Frames queued and not yet
    /// started are dropped (the client resyncs when it reconnects); the close frame follows.
    pub fn close(&self, code: u16, reason: &str) {
        let mut state = self.state();
        if state.closing.is_some() {
            return;
        }
        state.closing = Some((code, reason.to_owned()));
        let keep = usize::from(state.front_started);
        state.queue.truncate(keep);
        drop(state);
        self.wake.notify_one();
    }

    /// Writes `bytes` now if nothing waits and the socket takes them, else queues what is left.
    ///
    /// The attempt is a poll with a waker that does nothing: only the connection's task waits
    /// for the socket to become writable, and it does so only while a queue waits, when nobody
    /// else writes.
    fn write_or_queue(&self, state: &mut State, mut bytes: Bytes) {
        if state.queue.is_empty()
            && let Some(socket) = &mut state.socket
        {
            let mut cx = Context::from_waker(Waker::noop());
            match Pin::new(socket).poll_write(&mut cx, &bytes) {
                Poll::Ready(Ok(n)) if n == bytes.len() => return,
                Poll::Ready(Ok(n)) if n > 0 => {
                    bytes.advance(n);
                    state.front_started = true;
                }
                Poll::Pending => state.front_started = false,
                Poll::Ready(_) => {
                    state.failed = true;
                    self.wake.notify_one();
                    return;
                }
            }
        }
        self.queue(state, bytes);
    }

    /// Queues `bytes` for the connection's task, waking it when the queue was empty.
    fn queue(&self, state: &mut State, bytes: Bytes) {
        if state.queue.is_empty() {
            state.stalled_since = Some(Instant::now());
            self.wake.notify_one();
        }
        state.queue.push_back(bytes);
    }

    /// Writes the queue as the socket takes it: ready once it is empty (or there is no socket),
    /// pending (with `cx` woken when the socket is writable) while some is left, `Err` when the
    /// socket failed.
    fn write_queue(state: &mut State, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let State {
            socket,
            queue,
            front_started,
            stalled_since,
            ..
        } = state;
        let Some(socket) = socket else {
            return Poll::Ready(Ok(()));
        };
        while let Some(front) = queue.front_mut() {
            match Pin::new(&mut *socket).poll_write(cx, front) {
                Poll::Ready(Ok(n)) if n == front.len() => {
                    queue.pop_front();
                    *front_started = false;
                    *stalled_since = Some(Instant::now());
                }
                Poll::Ready(Ok(n)) if n > 0 => {
                    front.advance(n);
                    *front_started = true;
                    *stalled_since = Some(Instant::now());
                }
                Poll::Pending => return Poll::Pending,
                Poll::Ready(_) => return Poll::Ready(Err(())),
            }
        }
        *stalled_since = None;
        Poll::Ready(Ok(()))
    }

    /// Writes the queue out; see [`Self::write_queue`].
    async fn drain(&self) -> Result<(), ()> {
        std::future::poll_fn(|cx| Self::write_queue(&mut self.state(), cx)).await
    }

    /// Run by the connection's task beside its reads: writes the queue out as the socket takes
    /// it, and returns when the connection is to end (closed by the room, stalled past
    /// `send_timeout`, or failed). Cancel-safe: everything it knows lives in the outbox.
    pub async fn serve(&self, send_timeout: Duration) -> Ended {
        loop {
            let deadline = {
                let mut state = self.state();
                if state.failed {
                    return Ended::Failed;
                }
                if let Some((code, reason)) = &state.closing {
                    return Ended::Close(*code, reason.clone());
                }
                (state.socket.is_some() && !state.queue.is_empty())
                    .then(|| *state.stalled_since.get_or_insert_with(Instant::now) + send_timeout)
            };
            let Some(deadline) = deadline else {
                self.wake.notified().await;
                continue;
            };
            // A close asked for while the socket takes nothing is seen at once.
            tokio::select! {
                drained = tokio::time::timeout_at(deadline, self.drain()) => match drained {
                    Err(_) => return Ended::Stalled,
                    Ok(Err(())) => {
                        self.state().failed = true;
                        return Ended::Failed;
                    }
                    Ok(Ok(())) => {}
                },
                () = self.wake.notified() => {}
            }
        }
    }

    /// Writes out what is queued (the close frame last), for at most `limit`; then lets the
    /// socket go, so the connection closes once its task drops its own handle.
    pub async fn finish(&self, limit: Duration) {
        let failed = self.state().failed;
        if !failed {
            let _ = tokio::time::timeout(limit, self.drain()).await;
        }
        let mut state = self.state();
        state.socket = None;
        state.queue.clear();
        state.failed = true;
    }

    /// Frames waiting (for tests and a detached outbox's reader).
    pub fn queued(&self) -> usize {
        self.state().queue.len()
    }
}

/// Frames of the connection's own (pongs, pings, a refusal, the close) that may wait beyond the
/// room's limit before the connection is given up.
const OWN_FRAMES: usize = 16;

/// The close a room sends when it lets a connection go because the plan itself closed.
pub(super) const PLAN_CLOSED: (u16, &str) = (close::GOING_AWAY, "plan closed; reconnect");

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::net::{TcpListener, TcpStream};

    /// Both ends of a loopback TCP connection: the client's, and the server's.
    async fn connected() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
        (client.expect("connect"), accepted.expect("accept").0)
    }

    #[test]
    fn a_detached_outbox_is_bounded_and_closes_once() {
        let outbox = Outbox::detached(2);
        let frame = Bytes::from_static(b"x");
        assert!(outbox.push(&frame));
        assert!(outbox.push(&frame));
        assert!(!outbox.push(&frame), "a third frame is past the limit");
        outbox.close(close::LAGGING, "behind");
        outbox.close(close::GOING_AWAY, "later");
        assert_eq!(
            outbox.queued(),
            0,
            "frames not started are dropped on close"
        );
        assert!(!outbox.push(&frame), "nothing is taken once closing");
        let ended = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(outbox.serve(Duration::from_secs(1))));
        assert_eq!(
            ended.ok(),
            Some(Ended::Close(close::LAGGING, "behind".into())),
            "the first close wins"
        );
    }

    #[tokio::test]
    async fn a_frame_handed_to_the_connections_task_waits_for_it() {
        let (_client, server) = connected().await;
        let outbox = Outbox::new(Box::new(server), 4);
        let frame = Bytes::from_static(b"x");
        assert!(outbox.push(&frame));
        assert_eq!(outbox.queued(), 0, "an empty socket takes a frame at once");
        assert!(outbox.push_queued(&frame));
        assert_eq!(outbox.queued(), 1, "handed over: queued, not written");
        assert!(outbox.push(&frame));
        assert_eq!(outbox.queued(), 2, "a later frame waits behind it");
    }

    #[tokio::test]
    async fn frames_reach_the_socket_in_order_and_a_queue_drains() {
        use tokio::io::AsyncReadExt;
        let (mut client, server) = connected().await;
        let outbox = Arc::new(Outbox::new(Box::new(server), 1 << 20));
        // More than a socket's buffers hold, so part of it is queued and served later.
        let mut expected = Vec::new();
        for i in 0..2_000u32 {
            let frame = Bytes::from(vec![(i % 251) as u8; 1024]);
            expected.extend_from_slice(&frame);
            // Frames written at once and frames left to the connection's task, mixed (a room
            // whose connections come and go hands one connection frames both ways).
            if i % 7 == 3 {
                assert!(outbox.push_queued(&frame));
            } else {
                assert!(outbox.push(&frame));
            }
            if i == 1_000 {
                outbox.write_own(b"own").expect("own bytes");
                expected.extend_from_slice(b"own");
            }
        }
        let serving = {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.serve(Duration::from_secs(10)).await })
        };
        let mut got = vec![0u8; expected.len()];
        client.read_exact(&mut got).await.expect("read");
        assert!(got == expected, "every byte, in order");
        assert_eq!(outbox.queued(), 0);
        outbox.close(close::GOING_AWAY, "bye");
        assert_eq!(
            serving.await.expect("serving"),
            Ended::Close(close::GOING_AWAY, "bye".into())
        );
    }
}
