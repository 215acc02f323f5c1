//! The byte stream of one connection as hyper sees it: the bytes read before hyper took
//! over (to check the request line) come first, and a connection that stays idle after a
//! response for longer than the keep-alive timeout reads as closed by the client, so hyper
//! closes it quietly.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::activity::Activity;

pub(crate) struct ConnIo {
    pub(crate) stream: TcpStream,
    prefix: Bytes,
    idle: IdleTimer,
}

/// hyper's own head timer starts when it begins waiting for a head, idle time included,
/// so it cannot tell a client that is slowly sending a head from one that sends nothing.
/// This one runs only while no request is being answered and nothing has arrived since
/// the last response was completed.
struct IdleTimer {
    timeout: Option<Duration>,
    activity: Arc<Activity>,
    /// Responses completed when bytes last arrived.
    completed_at_last_read: usize,
    running: bool,
    /// Allocated on the first idle wait of the connection, then reset.
    sleep: Option<Pin<Box<Sleep>>>,
    /// When the current idle wait ends; `sleep` may still be set for an earlier one.
    deadline: Option<Instant>,
}

impl ConnIo {
    pub(crate) fn new(
        stream: TcpStream,
        prefix: Bytes,
        keep_alive: Option<Duration>,
        activity: Arc<Activity>,
    ) -> Self {
        ConnIo {
            stream,
            prefix,
            idle: IdleTimer {
                timeout: keep_alive,
                activity,
                completed_at_last_read: 0,
                running: false,
                sleep: None,
                deadline: None,
            },
        }
    }
}

impl IdleTimer {
    fn on_read(&mut self) {
        if let Some(completed) = self.activity.idle_after() {
            self.completed_at_last_read = completed;
        }
        self.running = false;
    }

    /// Idle: nothing in flight, and a response completed since bytes last arrived.
    fn is_idle(&self) -> bool {
        self.activity
            .idle_after()
            .is_some_and(|completed| completed > self.completed_at_last_read)
    }

    /// Whether the connection has been idle for the whole timeout (polling registers the
    /// wake-up for when it will have been).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(timeout) = self.timeout else {
            return false;
        };
        if self.activity.upgraded() {
            return false;
        }
        if !self.is_idle() {
            self.running = false;
            return false;
        }
        if !self.running {
            // One clock read per idle wait, not per poll.
            let deadline = Instant::now() + timeout;
            match &mut self.sleep {
                // A timer set for an earlier idle wait is left as it is, and moved only when
                // it fires (below): moving it on every idle wait, that is after every
                // response, costs more than the rare early wake-up.
                Some(sleep) if sleep.deadline() <= deadline => {}
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            self.deadline = Some(deadline);
            self.running = true;
        }
        let (Some(sleep), Some(deadline)) = (&mut self.sleep, self.deadline) else {
            return false;
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return false;
        }
        if sleep.deadline() < deadline {
            sleep.as_mut().reset(deadline);
            return sleep.as_mut().poll(cx).is_ready();
        }
        true
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.prefix.has_remaining() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            if this.prefix.is_empty() {
                // Frees the first read's buffer instead of keeping it for the connection's life.
                this.prefix = Bytes::new();
            }
            this.idle.on_read();
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.idle.on_read();
                }
                Poll::Ready(result)
            }
            // Nothing read: an end of stream, which hyper takes as the client leaving.
            Poll::Pending if this.idle.expired(cx) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
