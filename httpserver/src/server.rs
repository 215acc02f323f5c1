//! The accept loop and connections: HTTP/1.1 with keep-alive and pipelining, per-request
//! read limits, and graceful shutdown on a signal or `AppHandle::shutdown`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::activity::{Activity, TrackedBody};
use crate::conn_io::{ConnIo, Waits};
use crate::dispatch::{AppCore, BodyLeftUnread};
use crate::first_line::{read_first_line, FirstLine, VERSION_NOT_SUPPORTED};
use crate::linger::linger;
use crate::reclaim::Reclaim;

use crate::stack::{Origin, Stack};

/// hyper's own read buffer limit; raised only for a head limit above it.
const HYPER_DEFAULT_MAX_BUF: usize = 8192 + 4096 * 100;

/// Serves `listener` until a shutdown is asked for, then drains within the grace period.
pub(crate) async fn serve(stack: Stack, listener: TcpListener) -> std::io::Result<()> {
    let core = Arc::clone(&stack.core);
    let addr = listener.local_addr()?;
    log_start(&core, addr);
    if core.config.handle_signals {
        // Listen before the first accept, so that a signal from then on is a graceful
        // shutdown and never the default action (killing the process mid-request).
        let signals = Termination::listen();
        tokio::spawn(shutdown_on_signal(
            core.handle.clone(),
            signals,
            core.config.drain_period,
        ));
    }
    let mut shutdown = core.handle.shutdown_signal();
    let mut connections = JoinSet::new();
    // At the cap, the loop stops accepting: new connections wait in the kernel's backlog
    // instead of each taking a file descriptor and a task.
    let slots = Arc::new(Semaphore::new(core.config.max_connections.max(1)));
    let mut failed_accepts = FailedAccepts(0);
    loop {
        let slot = tokio::select! {
            _ = stopped(&mut shutdown) => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
        };
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    failed_accepts.recovered();
                    connections.spawn(serve_connection(stack.clone(), stream, peer, slot));
                }
                Err(e) => failed_accepts.pause_after(e).await,
            },
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    drain(&core, connections, core.config.grace_period, addr).await;
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

/// Accepts that failed in a row. Running out of file descriptors makes `accept` fail at
/// once, again and again: a short pause lets connections close instead of spinning, and
/// only the first failure and the recovery are logged, not every retry.
struct FailedAccepts(u64);

impl FailedAccepts {
    async fn pause_after(&mut self, e: std::io::Error) {
        if self.0 == 0 {
            tracing::warn!(error = %e, "accept failed; pausing until it succeeds again");
        } else {
            tracing::debug!(error = %e, "accept failed again");
        }
        self.0 += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    fn recovered(&mut self) {
        if self.0 > 0 {
            tracing::info!(failures = self.0, "accepting again");
            self.0 = 0;
        }
    }
}

/// Waits for open connections (and WebSockets, already sent Close 1001) to finish; past
/// the grace period, cuts those still open.
async fn drain(core: &AppCore, mut connections: JoinSet<()>, grace: Duration, addr: SocketAddr) {
    let open = connections.len();
    #[cfg(feature = "ws")]
    let open = format!(
        "{open} connection(s), {} websocket(s)",
        core.handle.websockets().open()
    );
    #[cfg(not(feature = "ws"))]
    let (open, _) = (format!("{open} connection(s)"), core);
    tracing::info!("shutting down http://{addr}: waiting for {open}");
    let all_done = async {
        while connections.join_next().await.is_some() {}
        #[cfg(feature = "ws")]
        core.handle.websockets().closed().await;
    };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        tracing::warn!(
            "grace period of {grace:?} over; closing {} connection(s)",
            connections.len()
        );
        connections.shutdown().await;
        #[cfg(feature = "ws")]
        core.handle.websockets().cut().await;
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

/// SIGTERM (a service manager, Kubernetes, a rolling restart): first the drain phase, in
/// which the server still accepts and answers but closes each connection after its answer
/// and reports itself not ready, so that load balancers move away without a failed
/// request; then the graceful shutdown. SIGINT (Ctrl-C) shuts down at once, gracefully.
async fn shutdown_on_signal(handle: crate::AppHandle, mut signals: Termination, drain: Duration) {
    let mut stop_signal = handle.shutdown_signal();
    tokio::select! {
        signal = signals.recv() => {
            if signal == "SIGTERM" && !drain.is_zero() {
                tracing::info!("{signal} received: draining for {drain:?}, then shutting down gracefully");
                handle.start_draining();
                tokio::select! {
                    () = tokio::time::sleep(drain) => {}
                    _ = stopped(&mut stop_signal) => {}
                    signal = signals.recv() => tracing::info!("{signal} received: draining cut short"),
                }
            } else {
                tracing::info!("{signal} received: shutting down gracefully");
            }
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
/// timeout fires, or shutdown closes it once idle; then a lingering close if the client
/// may still be sending. Holds its slot of `max_connections` until it is closed.
async fn serve_connection(
    stack: Stack,
    mut stream: TcpStream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
) {
    let core = &stack.core;
    // Small responses must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let mut shutdown: watch::Receiver<bool> = core.handle.shutdown_signal();
    let started = tokio::time::Instant::now();
    let first = tokio::select! {
        first = read_first_line(&mut stream, core.config.head_timeout) => first,
        _ = stopped(&mut shutdown) => return,
    };
    let prefix = match first {
        FirstLine::Pass(prefix) => prefix,
        FirstLine::Silent => return,
        FirstLine::UnsupportedVersion => {
            let _ = stream.write_all(VERSION_NOT_SUPPORTED).await;
            linger(&mut stream, core.config.linger()).await;
            return;
        }
    };
    let activity = Arc::new(Activity::default());
    let waits = Waits {
        keep_alive: Some(core.config.keep_alive_timeout),
        head: Some(core.config.head_timeout),
    };
    let io = ConnIo::new(stream, prefix, waits, started, Arc::clone(&activity));
    let (io, returned) = Reclaim::new(io);
    let unread = serve_http1(&stack, io, activity, peer, &mut shutdown).await;
    // hyper has dropped the stream by now, unless an upgrade took it.
    if let (Unread::Maybe, Ok(mut io)) = (unread, returned.await) {
        linger(&mut io.stream, core.config.linger()).await;
    }
}

/// Whether the client may have sent bytes the server never read.
#[derive(Debug, PartialEq, Eq)]
enum Unread {
    No,
    Maybe,
}

/// Runs hyper's HTTP/1 state machine on the connection until it is done.
async fn serve_http1(
    stack: &Stack,
    io: Reclaim<ConnIo>,
    activity: Arc<Activity>,
    peer: SocketAddr,
    shutdown: &mut watch::Receiver<bool>,
) -> Unread {
    let config = &stack.core.config;
    let service = {
        let (stack, activity) = (stack.clone(), Arc::clone(&activity));
        service_fn(move |req| {
            let stack = stack.clone();
            let in_flight = activity.start();
            let activity = Arc::clone(&activity);
            async move {
                let res = stack.call(req, Origin::Wire, peer).await;
                if res.extensions().get::<BodyLeftUnread>().is_some() {
                    activity.close_early();
                }
                if res.status() == http::StatusCode::SWITCHING_PROTOCOLS {
                    activity.upgrade();
                }
                Ok::<_, Infallible>(res.map(|body| TrackedBody::new(body, in_flight)))
            }
        })
    };
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
        .serve_connection(TokioIo::new(io), service)
        // A WebSocket handshake hands the connection over once its 101 is written.
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stopped(shutdown) => {
            // Nothing being answered: the connection is idle, or a client is part way
            // through a request head that it may never finish. Neither is worth waiting
            // for (it would be waited for until the head timeout): close it now.
            if activity.idle_after().is_some() {
                return Unread::No;
            }
            connection.as_mut().graceful_shutdown();
            connection.await
        }
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
