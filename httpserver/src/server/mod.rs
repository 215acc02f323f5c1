//! The server: the accept loop, the signals that stop it, and graceful shutdown on a
//! signal or `AppHandle::shutdown`. Each accepted connection is served by `conn` (TLS,
//! the protocol's choice, HTTP/1.1 here and HTTP/2 in `http2`), whose requests reach the
//! app through `wire`; `conn_io`, `activity`, `linger` and `reclaim` are the connection's
//! byte stream, its timers and its close; `handover` gives that stream to a WebSocket.

pub(crate) mod activity;
pub(crate) mod conn;
pub(crate) mod conn_io;
pub(crate) mod first_line;
#[cfg(feature = "ws")]
pub(crate) mod handover;
#[cfg(feature = "http2")]
pub(crate) mod http2;
pub(crate) mod linger;
pub(crate) mod listen;
pub(crate) mod reclaim;
pub(crate) mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::handle::stopped;
use crate::pipeline::core::AppCore;
use crate::pipeline::stack::Stack;
use crate::server::conn::{spawn_connection, Security};

/// Serves `listener` until a shutdown is asked for, then drains within the grace period.
pub(crate) async fn serve(stack: Stack, listener: TcpListener) -> std::io::Result<()> {
    let core = Arc::clone(&stack.core);
    let addr = listener.local_addr()?;
    #[cfg(feature = "ws")]
    handover::register();
    let https = serves_https(&core);
    log_start(&core, addr, https);
    if core.config.handle_signals {
        // Listen before the first accept, so that a signal from then on is a graceful
        // shutdown and never the default action (killing the process mid-request).
        let signals = Termination::listen();
        tokio::spawn(shutdown_on_signal(
            core.handle.clone(),
            signals,
            core.config.drain_period,
        ));
        #[cfg(all(unix, feature = "tls"))]
        if https {
            listen_for_hangup(&core.handle);
        }
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
                    let security = security_for_next(&core, https);
                    spawn_connection(&mut connections, stack.clone(), stream, peer, security, slot);
                }
                Err(e) => failed_accepts.pause_after(e).await,
            },
        }
        while connections.try_join_next().is_some() {}
    }
    accept_queued(&stack, listener, &slots, &mut connections, https);
    drain(&core, connections, core.config.grace_period, addr).await;
    // The last lines (the shutdown's, the last requests') reach stderr before `serve`
    // returns and the process, most likely, exits.
    let _ = tokio::task::spawn_blocking(|| crate::log_sink::flush(Duration::from_secs(1))).await;
    Ok(())
}

/// Takes the connections the kernel has completed but nobody accepted yet, then closes
/// the listening socket. Closing would reset them (with `SO_REUSEPORT` too: they are not
/// moved to a socket that stays), and their clients may already have sent a request.
fn accept_queued(
    stack: &Stack,
    listener: TcpListener,
    slots: &Arc<Semaphore>,
    connections: &mut JoinSet<()>,
    https: bool,
) {
    let Ok(listener) = listener.into_std() else {
        return;
    };
    // Non-blocking still: `accept` fails with WouldBlock once the queue is empty.
    while let Ok((stream, peer)) = listener.accept() {
        let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
            break;
        };
        let Ok(stream) = stream
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpStream::from_std(stream))
        else {
            continue;
        };
        let security = security_for_next(&stack.core, https);
        spawn_connection(connections, stack.clone(), stream, peer, security, slot);
    }
}

/// Whether the app was given a TLS configuration: then every connection is HTTPS.
fn serves_https(core: &AppCore) -> bool {
    #[cfg(feature = "tls")]
    return core.handle.tls().server_config().is_some();
    #[cfg(not(feature = "tls"))]
    {
        let _ = core;
        false
    }
}

/// How the next connection starts: with the TLS configuration current when it is
/// accepted, so that a reloaded certificate serves every connection from then on.
fn security_for_next(core: &AppCore, https: bool) -> Security {
    #[cfg(feature = "tls")]
    if https {
        if let Some(config) = core.handle.tls().server_config() {
            return Security::Tls(config);
        }
    }
    let _ = (core, https);
    Security::Plain
}

/// Registers SIGHUP before the first accept, as the termination signals are: from then on
/// it reloads the certificate and never kills the process.
#[cfg(all(unix, feature = "tls"))]
fn listen_for_hangup(handle: &crate::handle::AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(hangups) => {
            tokio::spawn(reload_tls_on_hangup(handle.clone(), hangups));
        }
        Err(e) => tracing::warn!(
            error = %e,
            "cannot listen for SIGHUP; reload certificates with AppHandle::reload_tls"
        ),
    }
}

/// SIGHUP reads the certificate files again (as nginx reloads on it); a failure keeps the
/// certificate the server has.
#[cfg(all(unix, feature = "tls"))]
async fn reload_tls_on_hangup(
    handle: crate::handle::AppHandle,
    mut hangups: tokio::signal::unix::Signal,
) {
    let mut stop = handle.shutdown_signal();
    loop {
        tokio::select! {
            got = hangups.recv() => if got.is_none() { return },
            // Ends with the server, which `serve` may leave in a runtime that lives on.
            _ = stopped(&mut stop) => return,
        }
        match handle.reload_tls() {
            Ok(()) => tracing::info!("SIGHUP received: TLS certificate reloaded"),
            Err(e) => tracing::error!("SIGHUP received: keeping the current TLS certificate: {e}"),
        }
    }
}

fn log_start(core: &AppCore, addr: SocketAddr, https: bool) {
    let scheme = if https { "https" } else { "http" };
    let mut lines = vec![format!("serving on {scheme}://{addr}")];
    for (methods, pattern, route) in core.router.iter() {
        let methods: Vec<&str> = methods.iter().map(http::Method::as_str).collect();
        lines.push(format!(
            "  {:<12} {:<40} {}",
            methods.join(","),
            pattern,
            route.listed_name()
        ));
    }
    // An app without a tracing subscriber would otherwise start in silence; say where it
    // listens, as Flask does.
    let silent = !tracing::dispatcher::has_been_set();
    for line in lines {
        if silent {
            crate::log_sink::line(format_args!("{line}"));
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
    let open = format!("{open} connection(s)");
    let scheme = if serves_https(core) { "https" } else { "http" };
    tracing::info!("shutting down {scheme}://{addr}: waiting for {open}");
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
    tracing::info!("stopped {scheme}://{addr}");
}

/// SIGTERM (a service manager, Kubernetes, a rolling restart): first the drain phase, in
/// which the server still accepts and answers but closes each connection after its answer
/// and reports itself not ready, so that load balancers move away without a failed
/// request; then the graceful shutdown. SIGINT (Ctrl-C) shuts down at once, gracefully.
async fn shutdown_on_signal(
    handle: crate::handle::AppHandle,
    mut signals: Termination,
    drain: Duration,
) {
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
