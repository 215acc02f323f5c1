//! One connection, from accept to close: the TLS handshake (when the app serves HTTPS),
//! the first bytes (which pick HTTP/2 or HTTP/1.1, and refuse other versions), hyper's
//! state machine for that protocol, then a lingering close if the client may still be
//! sending.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::task::JoinSet;

use crate::handle::stopped;
use crate::pipeline::stack::Stack;
use crate::server::activity::Activity;
use crate::server::conn_io::{ConnIo, Waits};
use crate::server::first_line::{read_first_line, FirstLine, VERSION_NOT_SUPPORTED};
use crate::server::linger::linger;
use crate::server::reclaim::Reclaim;
use crate::server::wire::Wire;

/// hyper's own read buffer limit; raised only for a head limit above it.
const HYPER_DEFAULT_MAX_BUF: usize = 8192 + 4096 * 100;

/// How a connection starts: in the clear, or with a TLS handshake.
pub(crate) enum Security {
    Plain,
    #[cfg(feature = "tls")]
    Tls(Arc<rustls::ServerConfig>),
}

/// The protocol a connection speaks, with the bytes already read off it.
enum Protocol {
    Http1(Bytes),
    #[cfg(feature = "http2")]
    Http2(Bytes),
}

/// Spawns the task that serves one accepted connection until it is done; the task holds
/// the connection's slot of `max_connections` until then. Plain and TLS connections are
/// tasks of their own types: a task is allocated at the size of its largest state, and a
/// TLS session (kept in the task while the connection lives) would otherwise make every
/// plain connection's task about three times its size (benches/conn-memory).
pub(crate) fn spawn_connection(
    connections: &mut JoinSet<()>,
    stack: Stack,
    stream: TcpStream,
    peer: SocketAddr,
    security: Security,
    slot: OwnedSemaphorePermit,
) {
    match security {
        Security::Plain => {
            connections.spawn(serve_plain(stack, stream, peer, slot));
        }
        #[cfg(feature = "tls")]
        Security::Tls(config) => {
            connections.spawn(serve_tls(stack, stream, peer, config, slot));
        }
    }
}

/// Serves a connection in the clear.
async fn serve_plain(
    stack: Stack,
    stream: TcpStream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
) {
    // Small responses must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    // The first request's head is due a head timeout after the connection is accepted.
    let started = tokio::time::Instant::now();
    let mut shutdown = stack.core.handle.shutdown_signal();
    let how = Negotiated {
        over_tls: false,
        http2: false,
    };
    serve_stream(&stack, stream, peer, how, started, &mut shutdown).await;
}

/// Serves an HTTPS connection: the TLS handshake, then what ALPN chose (or the first bytes
/// say).
#[cfg(feature = "tls")]
async fn serve_tls(
    stack: Stack,
    stream: TcpStream,
    peer: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    // The handshake and the first request's head share the head timeout.
    let started = tokio::time::Instant::now();
    let mut shutdown = stack.core.handle.shutdown_signal();
    // The handshake and the session are boxed: inline, the session's 1.2 KB would be
    // counted once per future it passes through in the task's size.
    let handshake = Box::pin(tokio::time::timeout(
        head_time_left(started, stack.core.config.head_timeout),
        tokio_rustls::TlsAcceptor::from(config).accept(stream),
    ));
    let stream = match before_first_request(handshake, &mut shutdown).await {
        Some(Ok(Ok(stream))) => Box::new(stream),
        Some(Ok(Err(e))) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Some(Err(_)) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
        None => return,
    };
    let how = Negotiated {
        over_tls: true,
        http2: stream.get_ref().1.alpn_protocol() == Some(b"h2"),
    };
    serve_stream(&stack, stream, peer, how, started, &mut shutdown).await;
}

/// How long a connection accepted just before a shutdown may take to start its first
/// request: far longer than a client (a proxy) takes between its connect and its request,
/// short enough that an idle or half-sent first request (a browser's preconnection, a
/// slow client) does not hold up the shutdown noticeably.
const FIRST_REQUEST_WAIT: Duration = Duration::from_millis(100);

/// Runs `step` (the TLS handshake, the first read) to its end, unless a shutdown comes
/// first: then `step` has [`FIRST_REQUEST_WAIT`] more. A client that connected just before
/// the shutdown connected to send a request, which may be on its way; closing at once would
/// lose it (a proxy does not resend a POST it has written).
async fn before_first_request<F: Future>(
    step: F,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<F::Output> {
    tokio::pin!(step);
    tokio::select! {
        done = &mut step => Some(done),
        _ = stopped(shutdown) => tokio::time::timeout(FIRST_REQUEST_WAIT, step).await.ok(),
    }
}

/// What is left of the first request's head timeout, which runs from the connection's
/// start: a TLS handshake and the first read share it, as ConnIo's head timer does.
fn head_time_left(started: tokio::time::Instant, head_timeout: Duration) -> Duration {
    started
        .checked_add(head_timeout)
        .map_or(head_timeout, |due| {
            due.saturating_duration_since(tokio::time::Instant::now())
        })
}

/// What the TLS handshake settled, if there was one.
#[derive(Clone, Copy)]
struct Negotiated {
    over_tls: bool,
    /// ALPN chose `h2`.
    http2: bool,
}

/// Serves a connection's byte stream (after TLS, if any). A connection whose protocol ALPN
/// did not settle says what it speaks in its first bytes.
async fn serve_stream<S>(
    stack: &Stack,
    mut stream: S,
    peer: SocketAddr,
    negotiated: Negotiated,
    started: tokio::time::Instant,
    shutdown: &mut watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let core = &stack.core;
    let protocol = match negotiated.http2 {
        #[cfg(feature = "http2")]
        true => Protocol::Http2(Bytes::new()),
        _ => {
            let read = read_first_line(
                &mut stream,
                head_time_left(started, core.config.head_timeout),
            );
            let Some(first) = before_first_request(read, shutdown).await else {
                return;
            };
            match first {
                FirstLine::Pass(prefix) => Protocol::Http1(prefix),
                #[cfg(feature = "http2")]
                FirstLine::Http2(prefix) => Protocol::Http2(prefix),
                FirstLine::Silent => return,
                FirstLine::UnsupportedVersion => {
                    let _ = stream.write_all(VERSION_NOT_SUPPORTED).await;
                    linger(&mut stream, core.config.linger()).await;
                    return;
                }
            }
        }
    };
    let activity = Arc::new(Activity::default());
    let wire = Wire {
        stack,
        activity: &activity,
        peer,
        over_tls: negotiated.over_tls,
        #[cfg(feature = "http2")]
        http2: matches!(protocol, Protocol::Http2(_)),
        #[cfg(not(feature = "http2"))]
        http2: false,
    };
    match protocol {
        Protocol::Http1(prefix) => {
            let waits = Waits {
                keep_alive: Some(core.config.keep_alive_timeout),
                head: Some(core.config.head_timeout),
            };
            let send_timeout = core.config.send_timeout;
            let io = ConnIo::new(
                stream,
                prefix,
                waits,
                started,
                Arc::clone(&activity),
                send_timeout,
            );
            let (io, returned) = Reclaim::new(io);
            let unread = serve_http1(wire, io, shutdown).await;
            // hyper has dropped the stream by now, unless an upgrade took it.
            if let (Unread::Maybe, Ok(mut io)) = (unread, returned.await) {
                linger(&mut io.stream, core.config.linger()).await;
            }
        }
        #[cfg(feature = "http2")]
        Protocol::Http2(prefix) => {
            // Idleness is watched by streams, not bytes (see `http2::idle_for`), and a
            // stream's headers arrive in frames hyper times itself.
            let waits = Waits {
                keep_alive: None,
                head: None,
            };
            let send_timeout = core.config.send_timeout;
            let io = ConnIo::new(
                stream,
                prefix,
                waits,
                started,
                Arc::clone(&activity),
                send_timeout,
            );
            crate::server::http2::serve_http2(wire, io, shutdown).await;
        }
    }
}

/// Whether the client may have sent bytes the server never read.
#[derive(Debug, PartialEq, Eq)]
enum Unread {
    No,
    Maybe,
}

/// Runs hyper's HTTP/1 state machine on the connection until it is done: requests in
/// order (pipelined ones too) until the client closes, a timeout fires, or shutdown
/// closes it once idle.
async fn serve_http1<S>(
    wire: Wire<'_>,
    io: Reclaim<ConnIo<S>>,
    shutdown: &mut watch::Receiver<bool>,
) -> Unread
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = &wire.stack.core.config;
    let (activity, peer) = (wire.activity, wire.peer);
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        // The head timeout is ConnIo's: hyper's would start with the idle wait.
        .header_read_timeout(None)
        .keep_alive(true)
        // The whole head (request line and headers) is limited while it is read: hyper
        // answers 431 as soon as the limit is passed without the end of the head.
        .max_header_size(config.max_head_size)
        .max_buf_size(config.max_head_size.max(HYPER_DEFAULT_MAX_BUF))
        // No `.writev(false)`: flattening copies each body into one write buffer per
        // connection that keeps the largest response's size while the connection lives
        // (512 KiB per idle connection after a 512 KiB response, benches/conn-memory).
        // hyper's default queues head and body for one writev, ConnIo being vectored.
        .serve_connection(TokioIo::new(io), wire.service())
        // A WebSocket handshake hands the connection over once its 101 is written.
        .with_upgrades();
    tokio::pin!(connection);
    let result = 'served: {
        tokio::select! {
            result = connection.as_mut() => break 'served result,
            _ = stopped(shutdown) => {}
        }
        match activity.idle_after() {
            // The first request: its request line has arrived (read_first_line saw it), so
            // the client is sending it now. Asked to stop before it has read a byte, hyper
            // would close the connection and drop that request unanswered (the line is in
            // ConnIo's prefix, not yet in hyper's buffer); let hyper start it first, then
            // answer it and close. A head that does not arrive soon is not waited for.
            Some(0) => tokio::select! {
                result = connection.as_mut() => break 'served result,
                () = activity.first_request_started() => {}
                () = tokio::time::sleep(FIRST_REQUEST_WAIT) => return Unread::No,
            },
            // Nothing being answered: the connection is idle, or a client is part way
            // through a later request head that it may never finish. Neither is worth
            // waiting for (it would be waited for until the head timeout): close it.
            Some(_) => return Unread::No,
            None => {}
        }
        connection.as_mut().graceful_shutdown();
        connection.await
    };
    match result {
        Ok(()) if activity.closed_early() => Unread::Maybe,
        Ok(()) => Unread::No,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
            // A head hyper refused (400, 431) may be followed by more of it.
            if e.is_parse() {
                Unread::Maybe
            } else {
                Unread::No
            }
        }
    }
}
