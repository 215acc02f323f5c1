//! The application: its builder and configuration ([`App`]), and the handle that reaches
//! a running app ([`AppHandle`]).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::dispatch::AppCore;
use crate::route::Route;

type StateMap = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

/// Limits and timings of a server; the defaults suit most apps.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_body_size: usize,
    pub(crate) read_timeout: Duration,
    pub(crate) grace_period: Duration,
    pub(crate) handle_signals: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_size: 1024 * 1024,
            read_timeout: Duration::from_secs(30),
            grace_period: Duration::from_secs(30),
            handle_signals: true,
        }
    }
}

/// A web application: routes, state and configuration, then [`run`](App::run) or
/// [`serve`](App::serve).
///
/// ```no_run
/// use httpserver::{collect_routes, get, App};
///
/// #[get("/hello")]
/// async fn hello() -> &'static str {
///     "Hello, World!"
/// }
///
/// fn main() -> std::io::Result<()> {
///     App::new().routes(collect_routes![hello]).run("127.0.0.1:8000")
/// }
/// ```
pub struct App {
    routes: Vec<Route>,
    state: StateMap,
    pub(crate) config: Config,
    handle: AppHandle,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An app with no routes and the default configuration.
    pub fn new() -> Self {
        App {
            routes: Vec::new(),
            state: StateMap::new(),
            config: Config::default(),
            handle: AppHandle::detached(),
        }
    }

    /// Adds routes, usually from [`collect_routes!`](crate::collect_routes). May be called
    /// several times; the same method and pattern registered twice is an error when the
    /// server starts, naming both handlers.
    pub fn routes(mut self, routes: impl IntoIterator<Item = Route>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// Registers shared state, taken by handlers as [`State<T>`](crate::State) and
    /// reachable as `req.app().state::<T>()`. One value per type; a second replaces the first.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// The largest request body accepted (default 1 MiB). A larger one is answered 413
    /// as soon as it is known to be too large, without reading the rest.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// How long a client may take to send one request's head and body (default 30 s).
    /// A connection that takes longer is closed, with a 408 if nothing was sent yet.
    /// The same time bounds how long an idle keep-alive connection stays open.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = timeout;
        self
    }

    /// How long a graceful shutdown waits for requests in flight (default 30 s) before
    /// closing their connections.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.config.grace_period = grace;
        self
    }

    /// Whether SIGINT and SIGTERM trigger a graceful shutdown (default `true`). Turn it
    /// off when the app runs inside a program that handles signals itself.
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.config.handle_signals = on;
        self
    }

    /// The handle of this app, usable before it serves (to shut it down from elsewhere).
    pub fn handle(&self) -> AppHandle {
        self.handle.clone()
    }

    /// Serves on `addr` until shut down (by SIGINT, SIGTERM or [`AppHandle::shutdown`]),
    /// on a multi-threaded tokio runtime of its own. Returns `Ok(())` after a graceful
    /// shutdown; an error if the address cannot be bound or the routes conflict.
    pub fn run(self, addr: impl std::net::ToSocketAddrs) -> std::io::Result<()> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move { self.serve(TcpListener::from_std(listener)?).await })
    }

    /// Serves on `listener` in the caller's tokio runtime, exactly as [`run`](App::run) does.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use httpserver::App;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let app = App::new().handle_signals(false);
    /// let handle = app.handle();
    /// let server = tokio::spawn(app.serve(listener));
    /// handle.shutdown();
    /// server.await.expect("server task")?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        let core = self.into_core()?;
        crate::server::serve(core, listener).await
    }

    /// Freezes the app into what serves requests: the route table and shared state.
    pub(crate) fn into_core(self) -> std::io::Result<Arc<AppCore>> {
        // Set once; an app built twice from clones of one handle keeps the first state.
        let _ = self.handle.inner.state.set(self.state);
        let core = AppCore::new(self.routes, self.config, self.handle)
            .map_err(|msg| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg))?;
        Ok(Arc::new(core))
    }
}

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
    shutdown: watch::Sender<bool>,
    state: OnceLock<StateMap>,
}

impl AppHandle {
    pub(crate) fn detached() -> Self {
        AppHandle {
            inner: Arc::new(HandleInner {
                shutdown: watch::Sender::new(false),
                state: OnceLock::new(),
            }),
        }
    }

    /// Starts a graceful shutdown: stop accepting, close idle connections, let requests
    /// in flight finish within the grace period. Returns at once; calling it again does
    /// nothing more.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Whether a shutdown has been asked for.
    pub fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// The state of type `T` registered with [`App::state`], once the app is serving.
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
