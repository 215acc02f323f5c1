//! The byte stream of one connection as hyper sees it: the bytes read before hyper took
//! over (to check the request line) come first; a connection that stays idle after a
//! response for longer than the keep-alive timeout reads as closed by the client, so hyper
//! closes it quietly; a head not complete within the head timeout reads as an error,
//! so hyper closes the connection without a response; and a write that makes no progress
//! for the send timeout (a client that stopped reading) fails, so hyper closes the
//! connection and frees what the response held.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::server::activity::Activity;

pub(crate) struct ConnIo<S> {
    pub(crate) stream: S,
    prefix: Bytes,
    idle: IdleTimer,
    send: SendTimer,
    /// Taken over by an upgrade (a WebSocket), which times its own waits: the idle timer
    /// is no longer consulted.
    handed_over: bool,
}

/// Times a write the socket does not take: armed when a write is refused for lack of
/// room, cleared by any write that goes through.
struct SendTimer {
    timeout: Duration,
    armed: bool,
    /// Allocated on the connection's first stalled write, then reset.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl SendTimer {
    fn progressed(&mut self) {
        self.armed = false;
    }

    /// Called when a write is refused: whether the writes have been refused for the whole
    /// send timeout (polling registers the wake-up for when they will have). One clock
    /// read per stall, none for writes that go through.
    fn stalled(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.armed {
            let Some(deadline) = Instant::now().checked_add(self.timeout) else {
                return false;
            };
            match &mut self.sleep {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            self.armed = true;
        }
        self.sleep
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready())
    }

    /// A write's outcome as hyper sees it: refused for the whole send timeout, it is an
    /// error that ends the connection.
    fn check<T>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match written {
            Poll::Ready(result) => {
                self.progressed();
                Poll::Ready(result)
            }
            Poll::Pending if self.stalled(cx) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took none of the response within the send timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The two waits of a connection while no request is being answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waits {
    /// From the end of a response to the first byte of the next request.
    pub(crate) keep_alive: Option<Duration>,
    /// From the first byte of a request (the connection's start, for its first request)
    /// to the end of its head.
    pub(crate) head: Option<Duration>,
}

/// What the connection waits for while nothing is in flight, and since how many
/// completed responses: each wait is timed once, whatever the number of polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Idle(usize),
    Head(usize),
}

/// hyper's own head timer starts when it begins waiting for a head, idle time included,
/// so it cannot tell a client that is slowly sending a head from one that sends nothing.
/// This one tells them apart: while no request is being answered, the connection is idle
/// until bytes arrive after the last completed response (timed by `keep_alive`), then it
/// is receiving a head (timed by `head`, from those first bytes) until hyper has parsed it
/// and a request is in flight.
struct IdleTimer {
    waits: Waits,
    activity: Arc<Activity>,
    /// Responses completed when bytes last arrived.
    completed_at_last_read: usize,
    /// When the current head began: the connection's start; after an idle wait, `None`
    /// until the head is first waited for (a head that arrives in one read, the common
    /// case, costs no clock read).
    head_since: Option<Instant>,
    /// The wait the sleep is set for.
    armed: Option<Wait>,
    /// Allocated on the first timed wait of the connection, then reset.
    sleep: Option<Pin<Box<Sleep>>>,
    /// When the current idle wait ends; `sleep` may still be set for an earlier one.
    deadline: Option<Instant>,
}

impl<S> ConnIo<S> {
    /// `started` is when the connection was accepted: the first request's head is due
    /// `waits.head` after it. A write the client takes none of for `send_timeout` fails.
    pub(crate) fn new(
        stream: S,
        prefix: Bytes,
        waits: Waits,
        started: Instant,
        activity: Arc<Activity>,
        send_timeout: Duration,
    ) -> Self {
        ConnIo {
            stream,
            prefix,
            send: SendTimer {
                timeout: send_timeout,
                armed: false,
                sleep: None,
            },
            idle: IdleTimer {
                waits,
                activity,
                completed_at_last_read: 0,
                head_since: Some(started),
                armed: None,
                sleep: None,
                deadline: None,
            },
            handed_over: false,
        }
    }

    /// The connection now belongs to the protocol an upgrade switched to: no keep-alive
    /// or head timeout applies any more (the send timeout still does), and `unread`, the
    /// bytes hyper read past the handshake, are put back in front of what is to be read.
    #[cfg(feature = "ws")]
    pub(crate) fn hand_over(&mut self, unread: Bytes) {
        self.handed_over = true;
        self.unread(unread);
    }

    #[cfg(feature = "ws")]
    fn unread(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        self.prefix = if self.prefix.is_empty() {
            bytes
        } else {
            // What hyper read came out of the front of the prefix.
            let mut joined = Vec::with_capacity(bytes.len() + self.prefix.len());
            joined.extend_from_slice(&bytes);
            joined.extend_from_slice(&self.prefix);
            Bytes::from(joined)
        };
    }
}

/// Why a connection is closed while hyper waits for a head.
enum Expired {
    /// Idle for the whole keep-alive timeout: an end of stream, which hyper takes as the
    /// client leaving, and closes quietly.
    Idle,
    /// A head not complete within the head timeout: an error, which ends the connection
    /// without a response (as hyper's own header timeout did).
    Head,
}

impl IdleTimer {
    fn on_read(&mut self) {
        if let Some(completed) = self.activity.idle_after() {
            if completed > self.completed_at_last_read {
                // The first bytes of a request after an idle wait: its head is timed
                // from now.
                self.head_since = None;
                self.completed_at_last_read = completed;
            }
        }
    }

    /// What the connection waits for now, if anything is timed.
    fn wait(&self) -> Option<Wait> {
        if self.activity.upgraded() {
            return None;
        }
        let completed = self.activity.idle_after()?;
        Some(if completed > self.completed_at_last_read {
            Wait::Idle(completed)
        } else {
            Wait::Head(completed)
        })
    }

    /// Whether the current wait has lasted its whole timeout (polling registers the
    /// wake-up for when it will have).
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<Expired> {
        let wait = self.wait()?;
        let (timeout, expired) = match wait {
            Wait::Idle(_) => (self.waits.keep_alive?, Expired::Idle),
            Wait::Head(_) => (self.waits.head?, Expired::Head),
        };
        if self.armed != Some(wait) {
            let deadline = match wait {
                // One clock read per idle wait, not per poll.
                Wait::Idle(_) => Instant::now().checked_add(timeout),
                Wait::Head(_) => self
                    .head_since
                    .get_or_insert_with(Instant::now)
                    .checked_add(timeout),
            }?;
            match &mut self.sleep {
                // A timer set for an earlier idle wait is left as it is, and moved only when
                // it fires (below): moving it on every idle wait, that is after every
                // response, costs more than the rare early wake-up.
                Some(sleep) if sleep.deadline() <= deadline => {}
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            self.deadline = Some(deadline);
            self.armed = Some(wait);
        }
        let (Some(sleep), Some(deadline)) = (&mut self.sleep, self.deadline) else {
            return None;
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return None;
        }
        if sleep.deadline() < deadline {
            // Set for an earlier wait: moved now, when it fires.
            sleep.as_mut().reset(deadline);
            return sleep.as_mut().poll(cx).is_ready().then_some(expired);
        }
        Some(expired)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ConnIo<S> {
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
        if this.handed_over {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.idle.on_read();
                }
                Poll::Ready(result)
            }
            Poll::Pending => match this.idle.expired(cx) {
                None => Poll::Pending,
                Some(Expired::Idle) => Poll::Ready(Ok(())),
                Some(Expired::Head) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request head not received within the head timeout",
                ))),
            },
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ConnIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.send.check(cx, written)
    }

    // Vectored writes reach the socket as such: hyper then queues a response's head and
    // body buffers and writes them with one writev, instead of copying the body into a
    // write buffer of its own that keeps the largest response's size for the connection.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.send.check(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let flushed = Pin::new(&mut this.stream).poll_flush(cx);
        let flushed = this.send.check(cx, flushed);
        // hyper flushes after the last bytes of a response, and may not read again until
        // something wakes it: the idle wait that the response's end starts is armed here,
        // on this task's waker, instead of waking the task once more per request.
        if flushed.is_ready() && !this.handed_over && this.idle.expired(cx).is_some() {
            // Already due (nothing was registered): let the next read see it.
            cx.waker().wake_by_ref();
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
