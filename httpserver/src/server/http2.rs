//! HTTP/2 connections (feature `http2`): over TLS when ALPN chose `h2`, or in the clear
//! after the connection preface (prior knowledge), on the same port as HTTP/1.1. Each
//! stream is one request through the same app; the drain phase and shutdown send GOAWAY,
//! so that the client opens new streams elsewhere while those in flight finish; a stream
//! whose client's flow-control window holds its response back for the send timeout is
//! reset.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http2;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use crate::handle::stopped;
use crate::server::activity::{Activity, SendWatch, SEND_WATCH};
use crate::server::conn_io::ConnIo;
use crate::server::wire::Wire;

/// How long a connection without streams waits for the client to acknowledge GOAWAY.
const GOAWAY_ANSWER: Duration = Duration::from_secs(1);

/// Runs hyper's HTTP/2 state machine on the connection until it is done. Not an `async fn`,
/// and hyper's connection boxed: the connection's task is allocated at its largest state's
/// size for as long as it lives, and an `async fn` would keep room in it for the builder
/// and the byte stream the connection was made from, and for a second copy of the
/// connection where it is pinned.
pub(crate) fn serve_http2<'a, S>(
    wire: Wire<'a>,
    io: ConnIo<S>,
    shutdown: &'a mut watch::Receiver<bool>,
) -> impl Future<Output = ()> + Send + 'a
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let core = &wire.stack.core;
    let peer = wire.peer;
    let activity = std::sync::Arc::clone(wire.activity);
    let executor = StreamExecutor {
        send_timeout: core.config.send_timeout,
    };
    let mut connection = Box::pin(
        http2::Builder::new(executor)
            .timer(TokioTimer::new())
            // The same bound on a request's headers as HTTP/1.1's head limit (431 over it).
            .max_header_list_size(u32::try_from(core.config.max_head_size).unwrap_or(u32::MAX))
            .serve_connection(TokioIo::new(io), wire.service()),
    );
    async move {
        // HTTP/2 has no `Connection: close`: draining, shutdown and idleness end a
        // connection with GOAWAY instead.
        let ended = tokio::select! {
            result = connection.as_mut() => Some(result),
            () = idle_for(&activity, core.config.keep_alive_timeout) => None,
            () = core.handle.drain_begun() => None,
            _ = stopped(shutdown) => None,
        };
        let result = match ended {
            Some(result) => result,
            None => {
                connection.as_mut().graceful_shutdown();
                // GOAWAY is followed by a PING whose answer hyper waits for: a client that
                // never answers must not hold the connection once its streams are done.
                tokio::select! {
                    result = connection.as_mut() => result,
                    () = idle_for(&activity, GOAWAY_ANSWER) => Ok(()),
                }
            }
        };
        if let Err(e) = result {
            tracing::debug!(%peer, error = %e, "HTTP/2 connection ended with an error");
        }
    }
}

/// Resolves once no stream has been open, and none has completed, for `timeout`. HTTP/2
/// clients send frames of their own (window updates, pings) on an idle connection, so the
/// bytes that arrive say nothing about idleness here; the streams do. Checked a few times
/// per timeout: the connection closes between one and one and a quarter timeouts idle.
async fn idle_for(activity: &Activity, timeout: Duration) {
    let tick = (timeout / 4).max(Duration::from_millis(10));
    let mut idle_since = tokio::time::Instant::now();
    let mut seen = activity.idle_after();
    loop {
        tokio::time::sleep(tick).await;
        let now = activity.idle_after();
        if now.is_none() || now != seen {
            seen = now;
            idle_since = tokio::time::Instant::now();
        } else if idle_since.elapsed() >= timeout {
            return;
        }
    }
}

/// Spawns hyper's per-stream tasks, each with a watch on its response body.
#[derive(Clone, Copy)]
struct StreamExecutor {
    send_timeout: Duration,
}

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, stream: F) {
        // The watch lives in the task, not behind a shared pointer: the body reports to
        // it and `ResetWhenStalled` reads it, both from inside the task's scope.
        tokio::spawn(SEND_WATCH.scope(
            SendWatch::default(),
            ResetWhenStalled {
                stream: Box::pin(stream),
                timeout: self.send_timeout,
                armed_at: None,
                timer: None,
            },
        ));
    }
}

/// A stream's task, ended (which resets the stream, RST_STREAM CANCEL, and frees its
/// response) once its body has waited on the client's flow-control window, without a
/// chunk taken, for the send timeout. The connection and its other streams go on.
struct ResetWhenStalled<F> {
    stream: Pin<Box<F>>,
    timeout: Duration,
    /// The body's chunk count when the timer was set: a chunk taken since restarts it.
    armed_at: Option<usize>,
    /// Allocated on the stream's first wait, then reset.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<F: Future> Future for ResetWhenStalled<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.stream.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        let Some(asked) = SEND_WATCH.try_with(SendWatch::waiting).ok().flatten() else {
            return Poll::Pending;
        };
        if this.armed_at != Some(asked) {
            let Some(deadline) = Instant::now().checked_add(this.timeout) else {
                return Poll::Pending;
            };
            match &mut this.timer {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => this.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            this.armed_at = Some(asked);
        }
        let Some(sleep) = &mut this.timer else {
            return Poll::Pending;
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        tracing::debug!(
            "HTTP/2 stream reset: the client took none of its response within the send timeout"
        );
        Poll::Ready(())
    }
}
