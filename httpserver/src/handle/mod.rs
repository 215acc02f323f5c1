//! What a running app shares with its requests, its connections and the code that runs it:
//! the shutdown and drain signals, the app's state, its TLS settings and its open sockets.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

#[cfg(feature = "ws")]
pub(crate) mod race;
#[cfg(feature = "ws")]
pub(crate) mod sockets;

/// The app's state, by type.
pub(crate) type StateMap = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

/// A handle on a (running) app: shut it down, or reach its state. Cheap to clone.
///
/// ```
/// use httpserver::App;
/// let app = App::new();
/// let handle = app.handle();
/// assert!(!handle.is_shutting_down());
/// handle.shutdown();
/// assert!(handle.is_shutting_down());
/// ```
#[derive(Clone)]
pub struct AppHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    shutdown: Arc<watch::Sender<bool>>,
    draining: Arc<std::sync::atomic::AtomicBool>,
    /// Wakes the HTTP/2 connections when the drain phase starts, to send GOAWAY.
    #[cfg(feature = "http2")]
    drain_notice: Arc<tokio::sync::Notify>,
    state: OnceLock<Arc<StateMap>>,
    /// Open WebSockets, which outlive their HTTP connections: shutdown waits for them.
    #[cfg(feature = "ws")]
    websockets: sockets::Sockets,
    #[cfg(feature = "tls")]
    tls: crate::tls::TlsSlot,
}

impl AppHandle {
    pub(crate) fn detached() -> Self {
        AppHandle {
            inner: Arc::new(HandleInner {
                shutdown: Arc::new(watch::Sender::new(false)),
                draining: Arc::default(),
                #[cfg(feature = "http2")]
                drain_notice: Arc::default(),
                state: OnceLock::new(),
                #[cfg(feature = "ws")]
                websockets: sockets::Sockets::default(),
                #[cfg(feature = "tls")]
                tls: crate::tls::TlsSlot::default(),
            }),
        }
    }

    /// Gives this handle `state` unless it has some already (the first app started from
    /// a handle given out before serving wins).
    pub(crate) fn offer_state(&self, state: &Arc<StateMap>) {
        let _ = self.inner.state.set(Arc::clone(state));
    }

    /// A handle that shuts down what this one does, holding `state`.
    pub(crate) fn with_state(&self, state: Arc<StateMap>) -> Self {
        AppHandle {
            inner: Arc::new(HandleInner {
                shutdown: Arc::clone(&self.inner.shutdown),
                draining: Arc::clone(&self.inner.draining),
                #[cfg(feature = "http2")]
                drain_notice: Arc::clone(&self.inner.drain_notice),
                state: OnceLock::from(state),
                #[cfg(feature = "ws")]
                websockets: self.inner.websockets.clone(),
                #[cfg(feature = "tls")]
                tls: self.inner.tls.clone(),
            }),
        }
    }

    /// Starts a graceful shutdown: stop accepting, close idle connections, let requests
    /// in flight finish within the grace period. Returns at once; calling it again does
    /// nothing more.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Starts the drain phase by hand (SIGTERM starts it on its own): the server goes on
    /// answering but closes each connection after its answer, and
    /// [`is_ready`](AppHandle::is_ready) turns false. Call [`shutdown`](AppHandle::shutdown)
    /// when the load balancer has moved away.
    pub fn start_draining(&self) {
        self.inner
            .draining
            .store(true, std::sync::atomic::Ordering::Release);
        #[cfg(feature = "http2")]
        self.inner.drain_notice.notify_waiters();
    }

    /// Resolves once the drain phase has begun (at once if it already has).
    #[cfg(feature = "http2")]
    pub(crate) async fn drain_begun(&self) {
        let notice = self.inner.drain_notice.notified();
        tokio::pin!(notice);
        // Registered before the flag is read, so a drain starting in between still wakes us.
        notice.as_mut().enable();
        if self.drain_started() {
            return;
        }
        notice.await;
    }

    /// Whether the server is draining (or shutting down): answers close their connections.
    pub fn is_draining(&self) -> bool {
        self.drain_started() || self.is_shutting_down()
    }

    /// Whether the drain phase has begun: one atomic load, for every answer on the hot
    /// path (a shutdown closes connections through hyper without it).
    pub(crate) fn drain_started(&self) -> bool {
        self.inner
            .draining
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether the server wants new traffic: false from the start of the drain phase on.
    /// A readiness route answers 503 when it is false, so that a load balancer (or a
    /// Kubernetes readiness probe) stops sending before the server stops.
    ///
    /// ```
    /// use httpserver::{get, Request, Response, IntoResponse};
    ///
    /// #[get("/ready")]
    /// async fn ready(req: Request) -> Response {
    ///     if req.app().is_ready() {
    ///         "ready".into_response()
    ///     } else {
    ///         ("draining", 503).into_response()
    ///     }
    /// }
    /// ```
    pub fn is_ready(&self) -> bool {
        !self.is_draining()
    }

    /// Whether a shutdown has been asked for.
    pub fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// Resolves once a shutdown has been asked for (at once if it already was). Long-lived
    /// responses (an endless event stream, a long poll) can end themselves with it
    /// instead of being cut at the end of the grace period.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let handle = httpserver::App::new().handle();
    /// handle.shutdown();
    /// handle.shutdown_requested().await; // returns at once: already asked for
    /// # });
    /// ```
    pub async fn shutdown_requested(&self) {
        stopped(&mut self.shutdown_signal()).await;
    }

    /// The state of type `T` registered with [`App::state`](crate::App::state), once the app is serving.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner
            .state
            .get()?
            .get(&TypeId::of::<T>())?
            .downcast_ref::<T>()
    }

    pub(crate) fn state_arc<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let any = self.inner.state.get()?.get(&TypeId::of::<T>())?.clone();
        any.downcast::<T>().ok()
    }

    /// Reads the certificate and key files given to [`TlsConfig::from_pem_files`](crate::TlsConfig::from_pem_files)
    /// again, for the connections accepted from now on (feature `tls`). SIGHUP does the
    /// same when the app handles signals. On an error (a file missing, half written, or a
    /// key that does not fit) the server keeps the certificate it has, and the error says
    /// what is wrong.
    ///
    /// ```no_run
    /// # fn demo(handle: httpserver::AppHandle) {
    /// // After the certificate files were renewed:
    /// if let Err(e) = handle.reload_tls() {
    ///     eprintln!("keeping the old certificate: {e}");
    /// }
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn reload_tls(&self) -> std::io::Result<()> {
        self.inner.tls.reload()
    }

    /// Replaces the TLS configuration for the connections accepted from now on (feature
    /// `tls`), for certificates that do not come from files. It takes effect on a server
    /// started with [`App::tls`](crate::App::tls); a server started without it serves plain HTTP to the end.
    ///
    /// ```
    /// # fn demo(handle: httpserver::AppHandle, cert: &[u8], key: &[u8]) -> std::io::Result<()> {
    /// handle.set_tls(httpserver::TlsConfig::from_pem(cert, key)?);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn set_tls(&self, config: crate::tls::TlsConfig) {
        self.inner.tls.set(config);
    }

    #[cfg(feature = "tls")]
    pub(crate) fn tls(&self) -> &crate::tls::TlsSlot {
        &self.inner.tls
    }

    #[cfg(feature = "ws")]
    pub(crate) fn websockets(&self) -> &sockets::Sockets {
        &self.inner.websockets
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }
}

impl std::fmt::Debug for AppHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHandle")
            .field("shutting_down", &self.is_shutting_down())
            .finish_non_exhaustive()
    }
}

/// Resolves once a shutdown has been asked for (at once if it already was), on a receiver
/// of [`AppHandle::shutdown_signal`] that a loop keeps between its waits.
pub(crate) async fn stopped(signal: &mut watch::Receiver<bool>) {
    // An error means the handle is gone, and with it every way to ask for a shutdown.
    if signal.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
