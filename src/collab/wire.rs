//! The byte stream under one connection's WebSocket: reads from its socket, writes through its
//! [`Outbox`], so that what the WebSocket library writes itself (pongs, pings, the close frame)
//! takes its place in order with the frames the room writes straight to the socket.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf};

use crate::room::Outbox;

pub struct Wire {
    read: ReadHalf<TokioIo<Upgraded>>,
    outbox: Arc<Outbox>,
}

impl Wire {
    /// `read` is the reading half of the socket whose writing half `outbox` holds.
    pub fn new(read: ReadHalf<TokioIo<Upgraded>>, outbox: Arc<Outbox>) -> Self {
        Wire { read, outbox }
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().read).poll_read(cx, buf)
    }
}

impl AsyncWrite for Wire {
    /// Takes everything at once: the outbox writes it now or queues it (bounded).
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.outbox.write_own(buf).map(|()| buf.len()))
    }

    /// What the socket did not take is written by the session's [`Outbox::serve`].
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
