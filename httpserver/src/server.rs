//! The accept loop and connections: HTTP/1.1 with keep-alive and pipelining, per-request
//! read limits, and graceful shutdown on a signal or `AppHandle::shutdown`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::dispatch::{answer_from_wire, AppCore};
use crate::response::Body;

/// Serves `listener` until a shutdown is asked for, then drains within the grace period.
pub(crate) async fn serve(core: Arc<AppCore>, listener: TcpListener) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    log_start(&core, addr);
    if core.config.handle_signals {
        // Listen before the first accept, so that a signal from then on is a graceful
        // shutdown and never the default action (killing the process mid-request).
        let signals = Termination::listen();
        tokio::spawn(shutdown_on_signal(core.handle.clone(), signals));
    }
    let mut shutdown = core.handle.shutdown_signal();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(Arc::clone(&core), stream, peer));
                }
                Err(e) => pause_after_accept_error(e).await,
            },
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    drain(connections, core.config.grace_period, addr).await;
    Ok(())
}

fn log_start(core: &AppCore, addr: SocketAddr) {
    let mut lines = vec![format!("serving on http://{addr}")];
    for (methods, pattern, route) in core.router.iter() {
        let methods: Vec<&str> = methods.iter().map(http::Method::as_str).collect();
        lines.push(format!(
            "  {:<12} {:<40} {}",
            methods.join(","),
            pattern,
            route.name()
        ));
    }
    // An app without a tracing subscriber would otherwise start in silence; say where it
    // listens, as Flask does.
    let silent = !tracing::dispatcher::has_been_set();
    for line in lines {
        if silent {
            eprintln!("{line}");
        } else {
            tracing::info!("{line}");
        }
    }
}

/// Running out of file descriptors makes `accept` fail at once, again and again; a short
/// pause lets connections close instead of spinning.
async fn pause_after_accept_error(e: std::io::Error) {
    tracing::warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Waits for open connections to finish; past the grace period, cuts those still open.
async fn drain(mut connections: JoinSet<()>, grace: Duration, addr: SocketAddr) {
    let open = connections.len();
    tracing::info!("shutting down http://{addr}: waiting for {open} connection(s)");
    let all_done = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        tracing::warn!(
            "grace period of {grace:?} over; closing {} connection(s)",
            connections.len()
        );
        connections.shutdown().await;
    }
    tracing::info!("stopped http://{addr}");
}

/// Resolves once a shutdown has been asked for (at once if it already was).
async fn stopped(signal: &mut watch::Receiver<bool>) {
    // An error means the handle is gone, and with it every way to ask for a shutdown.
    if signal.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn shutdown_on_signal(handle: crate::AppHandle, mut signals: Termination) {
    let mut stop_signal = handle.shutdown_signal();
    tokio::select! {
        signal = signals.recv() => {
            tracing::info!("{signal} received: shutting down gracefully");
            handle.shutdown();
        }
        _ = stopped(&mut stop_signal) => {}
    }
}

/// The signals that ask a server to stop: SIGINT and SIGTERM (Ctrl-C elsewhere).
struct Termination {
    #[cfg(unix)]
    listeners: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Termination {
    #[cfg(unix)]
    fn listen() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(int), Ok(term)) => Termination {
                listeners: Some((int, term)),
            },
            _ => {
                tracing::warn!(
                    "cannot listen for SIGINT/SIGTERM; only AppHandle::shutdown stops the server"
                );
                Termination { listeners: None }
            }
        }
    }

    #[cfg(unix)]
    async fn recv(&mut self) -> &'static str {
        let Some((int, term)) = &mut self.listeners else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }

    #[cfg(not(unix))]
    fn listen() -> Self {
        Termination {}
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}

/// One connection: requests in order (pipelined ones too) until the client closes, a
/// timeout fires, or shutdown closes it once idle.
async fn serve_connection(core: Arc<AppCore>, stream: TcpStream, peer: SocketAddr) {
    // Small responses must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let mut shutdown: watch::Receiver<bool> = core.handle.shutdown_signal();
    let read_timeout = core.config.read_timeout;
    let service = service_fn(move |req| {
        let core = Arc::clone(&core);
        async move { Ok::<_, Infallible>(respond(&core, req, peer).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .keep_alive(true)
        // One buffer per write instead of a vectored write of head and body: small
        // responses (most of them) cost one copy less than the iovec bookkeeping, measured
        // in benches/compare.
        .writev(false)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Lets the app answer one request off the wire.
async fn respond(
    core: &AppCore,
    req: hyper::Request<Incoming>,
    client_addr: SocketAddr,
) -> http::Response<Body> {
    let (head, body) = req.into_parts();
    answer_from_wire(core, head, body, client_addr)
        .await
        .into_http()
}
