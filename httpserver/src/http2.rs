//! HTTP/2 connections (feature `http2`): over TLS when ALPN chose `h2`, or in the clear
//! after the connection preface (prior knowledge), on the same port as HTTP/1.1. Each
//! stream is one request through the same app; the drain phase and shutdown send GOAWAY,
//! so that the client opens new streams elsewhere while those in flight finish.

use hyper::server::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::conn::Wire;
use crate::conn_io::ConnIo;
use crate::server::stopped;

/// Runs hyper's HTTP/2 state machine on the connection until it is done.
pub(crate) async fn serve_http2<S>(
    wire: Wire<'_>,
    io: ConnIo<S>,
    shutdown: &mut watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let core = &wire.stack.core;
    let peer = wire.peer;
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        // The same bound on a request's headers as HTTP/1.1's head limit (431 over it).
        .max_header_list_size(u32::try_from(core.config.max_head_size).unwrap_or(u32::MAX));
    let connection = builder.serve_connection(TokioIo::new(io), wire.service());
    tokio::pin!(connection);
    // HTTP/2 has no `Connection: close`: draining ends a connection with GOAWAY instead.
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = core.handle.drain_begun() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
        _ = stopped(shutdown) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "HTTP/2 connection ended with an error");
    }
}
