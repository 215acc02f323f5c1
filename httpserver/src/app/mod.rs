//! The application: its builder and configuration ([`App`]), and the handle that reaches
//! a running app ([`AppHandle`]).

pub(crate) mod env;

use std::any::TypeId;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use std::future::Future;

use crate::config::Config;
use crate::error::{HttpError, IntoStatusCode};
use crate::extract::session::{Session, SessionCookie, SessionKeys};
use crate::handle::{AppHandle, StateMap};
use crate::pipeline::core::{build_router, check_state, AppCore};
use crate::pipeline::layer::{ApplyLayer, Inner, RequestBody};
use crate::pipeline::stack::Stack;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::routes::error_handlers::ErrorHandlers;
use crate::routes::hooks::{self, AfterHook, BeforeHook};
use crate::routes::route::Route;
use crate::service::AppService;
use crate::testing::TestClient;

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
#[derive(Clone)]
pub struct App {
    routes: Vec<Route>,
    state: StateMap,
    before: Vec<BeforeHook>,
    after: Vec<AfterHook>,
    errors: ErrorHandlers,
    config: Config,
    secret_keys: Vec<Vec<u8>>,
    session_cookie: SessionCookie,
    session_check: Option<crate::extract::session::SessionCheck>,
    trusted_proxies: Vec<String>,
    layers: Vec<ApplyLayer>,
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
            before: Vec::new(),
            after: Vec::new(),
            errors: ErrorHandlers::default(),
            config: Config::default(),
            secret_keys: Vec::new(),
            session_cookie: SessionCookie::new(),
            session_check: None,
            trusted_proxies: Vec::new(),
            layers: Vec::new(),
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

    /// Adds the routes of a [`#[group]`](crate::routes::group) module with the group's own hooks
    /// (see [`Group`](crate::routes::group::Group)). Its routes conflict with others as any routes do.
    pub fn group(mut self, group: crate::routes::group::Group) -> Self {
        self.routes.extend(group.into_routes());
        self
    }

    /// Registers shared state, taken by handlers as [`State<T>`](crate::State) and
    /// reachable as `req.app().state::<T>()`. One value per type; a second replaces the first.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// The key that seals [`Session`](crate::Session) cookies: at least 32 random bytes,
    /// kept out of the source (an environment variable, a secret store). Instances that
    /// share it share sessions. A shorter key, or a handler taking `Session` in an app
    /// without one, keeps the app from starting with an error that says so.
    ///
    /// ```no_run
    /// let app = httpserver::App::new().secret_key(std::env::var("APP_SECRET").unwrap());
    /// ```
    pub fn secret_key(self, key: impl AsRef<[u8]>) -> Self {
        self.secret_keys([key])
    }

    /// Several keys, to rotate them: the first seals new sessions, every one opens them.
    /// Put the new key first and keep the old one until the sessions it sealed have expired.
    ///
    /// ```no_run
    /// let (new, old) = (std::env::var("APP_SECRET").unwrap(), std::env::var("APP_SECRET_OLD").unwrap());
    /// let app = httpserver::App::new().secret_keys([new, old]);
    /// ```
    pub fn secret_keys<K: AsRef<[u8]>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.secret_keys = keys.into_iter().map(|k| k.as_ref().to_vec()).collect();
        self
    }

    /// The proxies (addresses or networks) whose `Forwarded` / `X-Forwarded-For` and
    /// `X-Forwarded-Proto` headers are believed: for a request from one of them,
    /// [`Request::client_addr`](crate::Request::client_addr) is the client the proxies
    /// report (port 0) and [`Request::scheme`](crate::Request::scheme) the scheme it used.
    /// From any other peer those headers are ignored, so a client cannot claim another
    /// address. An entry that is not an address or a network keeps the app from starting.
    ///
    /// ```
    /// let app = httpserver::App::new().trusted_proxies(["127.0.0.1/32", "10.0.0.0/8"]);
    /// ```
    pub fn trusted_proxies<S: AsRef<str>>(mut self, proxies: impl IntoIterator<Item = S>) -> Self {
        self.trusted_proxies = proxies.into_iter().map(|p| p.as_ref().to_owned()).collect();
        self
    }

    /// Whether an app without a tracing subscriber prints one line per request on stderr
    /// (default `true`, as Flask's development server does). With a subscriber, each request
    /// is an INFO event of target `httpserver::access` (method, path, status, bytes,
    /// duration, client address), filtered like any other; this setting does not apply.
    ///
    /// ```
    /// let quiet = httpserver::App::new().access_log(false);
    /// ```
    pub fn access_log(mut self, on: bool) -> Self {
        self.config.access_log = on;
        self
    }

    /// How the session cookie is sent: name, `Max-Age`, `Secure`, `SameSite` (see
    /// [`SessionCookie`]).
    pub fn session_cookie(mut self, cookie: SessionCookie) -> Self {
        self.session_cookie = cookie;
        self
    }

    /// The app's own check of every non-empty session as it is read: a session for which
    /// `check` answers `false` reads as empty, and its cookie is removed from the browser.
    ///
    /// A cookie session lives in the browser, not on the server, so a logout alone cannot
    /// revoke it: a copy of the cookie taken before the logout still unseals until its
    /// [`lifetime`](SessionCookie::lifetime) ends. The usual remedy is a per-user
    /// generation counter: store it in the session at login, bump it in your database at
    /// logout (or "log out everywhere", or a password change), and compare the two here.
    /// `check` may be slow (a database query): it runs once per request that reads the
    /// session, not per request.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, Mutex};
    /// use httpserver::{App, Request, Session};
    ///
    /// // user -> generation, as a users table would hold it.
    /// let generations: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    /// let app = App::new()
    ///     .secret_key("a secret of at least 32 bytes, from the environment")
    ///     .session_check(move |_req: &Request, session: &Session| {
    ///         let current = session.get::<String>("user").map(|user| {
    ///             let table = generations.lock().unwrap();
    ///             table.get(&user).copied().unwrap_or(0)
    ///         });
    ///         let sealed = session.get::<u64>("generation");
    ///         async move { current.is_some() && current == sealed }
    ///     });
    /// ```
    pub fn session_check<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(&Request, &Session) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        self.session_check = Some(Arc::new(move |req: &Request, session: &Session| {
            Box::pin(check(req, session)) as futures_util::future::BoxFuture<'static, bool>
        }));
        self
    }

    /// Adds a hook that runs before the handler of every request, in registration order:
    /// after routing (unrouted requests too, so that a hook may answer a 404 its own way)
    /// and before the body is read, so that a refused upload costs nothing. The first
    /// hook that returns `Some(response)` answers the request: later hooks and the
    /// handler do not run. Requests refused before routing (a malformed head, a path that
    /// does not decode) skip it.
    ///
    /// ```
    /// use httpserver::{App, Request, Response, IntoResponse};
    /// async fn auth_check(req: Request) -> Option<Response> {
    ///     if req.header("authorization").is_none() {
    ///         return Some(("unauthorized", 401).into_response());
    ///     }
    ///     None // go on to the handler
    /// }
    /// let app = App::new().before_request(auth_check);
    /// ```
    pub fn before_request<F, Fut, R>(mut self, hook: F) -> Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<R>> + Send + 'static,
        R: IntoResponse,
    {
        self.before.push(hooks::before(hook));
        self
    }

    /// Adds a hook that runs on every response the app produces (error responses, 404,
    /// 405, 413 and short-circuits included), in registration order, each on the
    /// previous hook's result.
    ///
    /// ```
    /// use httpserver::{App, Request, Response};
    /// async fn add_cors(_req: Request, mut res: Response) -> Response {
    ///     res.headers_mut().insert("access-control-allow-origin", "*".parse().unwrap());
    ///     res
    /// }
    /// let app = App::new().after_request(add_cors);
    /// ```
    pub fn after_request<F, Fut, R>(mut self, hook: F) -> Self
    where
        F: Fn(Request, Response) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.after.push(hooks::after(hook));
        self
    }

    /// Handles every error response with `status` (404, 405, 413, 500, an
    /// [`HttpError`](crate::HttpError) or `abort` of that status). For a 500 caused by
    /// another error type or a panic, the handler receives a generic `HttpError` 500.
    ///
    /// ```
    /// use httpserver::{App, HttpError, IntoResponse, Json, Request};
    /// use serde_json::json;
    /// async fn not_found(_req: Request, _err: HttpError) -> impl IntoResponse {
    ///     (Json(json!({"error": "not found"})), 404)
    /// }
    /// let app = App::new().error_handler(404, not_found);
    /// ```
    pub fn error_handler<F, Fut, R>(mut self, status: impl IntoStatusCode, handler: F) -> Self
    where
        F: Fn(Request, HttpError) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.errors
            .add_for_status(status.into_status_code(), handler);
        self
    }

    /// Handles the errors of one type, taken from `handler`'s second argument, which
    /// receives the error by value. It comes before any handler by status.
    ///
    /// ```
    /// use httpserver::{App, IntoResponse, Json, Request};
    /// use serde_json::json;
    /// async fn bad_value(_req: Request, err: std::num::ParseIntError) -> impl IntoResponse {
    ///     (Json(json!({"error": err.to_string()})), 400)
    /// }
    /// let app = App::new().error_handler_for(bad_value);
    /// ```
    pub fn error_handler_for<E, F, Fut, R>(mut self, handler: F) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(Request, E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.errors.add_for_type(handler);
        self
    }

    /// Serves the files of `dir` under the URL `prefix`: `GET {prefix}/style.css` sends
    /// `{dir}/style.css`, with its content type, `ETag` and `Last-Modified`, answering
    /// conditional and range requests. No request reaches a file outside `dir`, whatever
    /// its encoding. A directory serves its `index.html`, never a listing. Several mounts
    /// may coexist; a route of the app's own wins over a file at the same path.
    ///
    /// ```
    /// use httpserver::App;
    /// let app = App::new().static_files("/assets", "./public");
    /// ```
    pub fn static_files(mut self, prefix: &str, dir: impl Into<std::path::PathBuf>) -> Self {
        self.routes
            .extend(crate::routes::static_files::mount(prefix, dir.into()));
        self
    }

    /// Wraps the whole app (routes, hooks, error handlers, static files) in a tower
    /// [`Layer`](tower::Layer): tower-http's compression, CORS, timeouts, request
    /// ids, tracing, or one of your own. Each layer wraps those added before it, so the
    /// last one added sees a request first (as in axum). Layers apply alike under
    /// [`run`](App::run), [`serve`](App::serve), [`into_service`](App::into_service) and
    /// the [test client](App::test_client). The layer's service takes
    /// `http::Request<`[`RequestBody`]`>` and may answer any `http::Response<B>` whose
    /// body `B` yields bytes; a layer's own error becomes a 500.
    ///
    /// ```
    /// use std::time::Duration;
    /// use httpserver::{collect_routes, get, App, StatusCode};
    /// use tower_http::{compression::CompressionLayer, timeout::TimeoutLayer};
    ///
    /// #[get("/")]
    /// async fn index() -> String { "hello ".repeat(100) }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let app = App::new()
    ///     .routes(collect_routes![index])
    ///     .layer(CompressionLayer::new())                     // gzip when the client accepts it
    ///     .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(10)));
    /// let res = app.test_client().get("/").header("accept-encoding", "gzip").send().await;
    /// assert_eq!(res.header("content-encoding"), Some("gzip"));
    /// # });
    /// ```
    pub fn layer<L, ResBody>(mut self, layer: L) -> Self
    where
        L: tower::Layer<Inner> + Send + Sync + 'static,
        L::Service: tower_service::Service<http::Request<RequestBody>, Response = http::Response<ResBody>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower_service::Service<http::Request<RequestBody>>>::Future: Send + 'static,
        <L::Service as tower_service::Service<http::Request<RequestBody>>>::Error:
            Into<crate::error::BoxError>,
        ResBody: http_body::Body + Send + 'static,
        ResBody::Data: Send,
        ResBody::Error: Into<crate::error::BoxError>,
    {
        self.layers.push(crate::pipeline::layer::erase(layer));
        self
    }

    /// The largest request body accepted (default 1 MiB). A larger one is answered 413
    /// as soon as it is known to be too large, without reading the rest.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The most bytes of a [`Multipart`](crate::Multipart) body's preamble and of each
    /// part's header block, up to its blank line (default 8 KiB). Without this bound a
    /// client could make the parser hold the whole body while it looks for the end of a
    /// header block; past it the request gets a 413 naming this setting.
    ///
    /// ```
    /// let app = httpserver::App::new().max_multipart_header_size(16 * 1024);
    /// ```
    pub fn max_multipart_header_size(mut self, bytes: usize) -> Self {
        self.config.multipart.framing.header_size = bytes;
        self
    }

    /// The most parts in one [`Multipart`](crate::Multipart) body (default 1,000); past it
    /// the request gets a 413 naming this setting.
    ///
    /// ```
    /// let app = httpserver::App::new().max_multipart_parts(50);
    /// ```
    pub fn max_multipart_parts(mut self, parts: usize) -> Self {
        self.config.multipart.framing.parts = parts;
        self
    }

    /// The most bytes of a [`Multipart`](crate::Multipart) field that is not a file
    /// (default 1 MiB): form values are read into memory, files are streamed and bounded
    /// by the route's `max_body_size` alone. Past it, reading the field fails with a 413
    /// naming the field and this setting.
    ///
    /// ```
    /// let app = httpserver::App::new().max_form_field_size(64 * 1024);
    /// ```
    pub fn max_form_field_size(mut self, bytes: usize) -> Self {
        self.config.multipart.field_size = bytes;
        self
    }

    /// The shorthand of the timeouts for a request in progress: sets
    /// [`head_timeout`](App::head_timeout), [`body_timeout`](App::body_timeout) and
    /// [`body_total_timeout`](App::body_total_timeout) to `timeout`, and lowers
    /// [`keep_alive_timeout`](App::keep_alive_timeout) to `timeout` if it is longer.
    /// That is what it meant before those settings existed (a client had `timeout` to
    /// send one request's head and buffered body, and an idle connection was closed after
    /// it), so code that calls it keeps its behaviour. Settings called after it win: to
    /// allow slow uploads or to keep idle connections longer behind a load balancer, set
    /// `body_total_timeout` or `keep_alive_timeout` after `read_timeout`, or use the
    /// separate settings instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new()
    ///     .read_timeout(Duration::from_secs(10))
    ///     .body_total_timeout(Duration::from_secs(120));
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.head_timeout = timeout;
        self.config.body_timeout = timeout;
        self.config.body_total_timeout = timeout;
        self.config.keep_alive_timeout = self.config.keep_alive_timeout.min(timeout);
        self
    }

    /// How long a client may take to send a complete request head (request line and
    /// headers); default 30 s. For a connection's first request it counts from the moment
    /// the connection was accepted, so it also bounds the wait for the first byte; for
    /// a later request on a keep-alive connection it counts from the first byte of that
    /// request (the wait before it is [`keep_alive_timeout`](App::keep_alive_timeout)'s).
    /// Past it the connection is closed without a response, as nginx's
    /// `client_header_timeout` and Go's `ReadHeaderTimeout` do. (hyper's own
    /// `header_read_timeout` is not used: it starts when hyper begins to wait for a head,
    /// so it would also cut idle keep-alive connections.)
    ///
    /// The default, hyper's own and the old `read_timeout`, is long enough for a head of
    /// a few KiB over the worst mobile link, and short enough that a client sending a head
    /// byte by byte (slowloris) holds a connection slot for no more than that.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().head_timeout(Duration::from_secs(10));
    /// ```
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.config.head_timeout = timeout;
        self
    }

    /// The longest wait for the next bytes of a request body (default 30 s): a body from
    /// which nothing arrives for this long gets 408 and the connection is closed. It is
    /// the time between two reads, not the time for the whole body, so a slow but steady
    /// upload is fine however long it takes (nginx's `client_body_timeout`). It applies to
    /// buffered bodies and to [`BodyStream`](crate::BodyStream) between chunks.
    ///
    /// The default is the old `read_timeout`: a link that delivers nothing for 30 s has
    /// stalled (TCP retransmits within seconds), and a waiting body holds its connection.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().body_timeout(Duration::from_secs(10));
    /// ```
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_timeout = timeout;
        self
    }

    /// The longest time to receive a whole buffered request body, from the first wait for
    /// it (default 300 s); past it the client gets 408 and the connection is closed. A
    /// buffered body is held in memory until it is complete, up to
    /// [`max_body_size`](App::max_body_size): without a total bound a client sending a
    /// byte just within [`body_timeout`](App::body_timeout) each time could hold that
    /// memory and a connection slot indefinitely. Streamed bodies
    /// ([`BodyStream`](crate::BodyStream)) are not bound by it: the handler decides how
    /// long it reads.
    ///
    /// The default lets the default 1 MiB body arrive at 3.5 KiB/s on average, slower
    /// than a GPRS mobile link; raise it along with `max_body_size` if larger bodies must
    /// be buffered over slow links.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new()
    ///     .max_body_size(16 << 20)
    ///     .body_total_timeout(Duration::from_secs(600));
    /// ```
    pub fn body_total_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_total_timeout = timeout;
        self
    }

    /// How long a response may wait for a client that takes none of it (default 60 s,
    /// nginx's `send_timeout`). A client that stops reading fills the socket's buffers,
    /// and then each write waits: after this long without one byte taken, the server
    /// closes the connection (HTTP/1.1, and an HTTP/2 connection whose socket takes
    /// nothing) or resets the stream (an HTTP/2 stream that the client's flow-control
    /// window holds back), so that such clients can neither hold
    /// [`max_connections`](App::max_connections) slots nor keep their responses in
    /// memory. A slow client that keeps taking bytes is never cut: the timer restarts
    /// with each write that goes through. It applies to WebSocket frames too.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().send_timeout(Duration::from_secs(30));
    /// ```
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = timeout;
        self
    }

    /// How long a keep-alive connection may stay idle, from the end of a response until
    /// the first byte of the next request, before the server closes it quietly (default
    /// 75 s, nginx's `keepalive_timeout`).
    ///
    /// Behind a load balancer or reverse proxy that keeps a pool of connections to the
    /// app, this must be longer than the balancer's own idle timeout (AWS ALB: 60 s; nginx
    /// `keepalive_timeout` in an `upstream` block: 60 s; Google Cloud's: 600 s, so set
    /// about 620 s there): then the balancer is always the one that closes an idle pooled
    /// connection. The other way round, the server may close a connection at the moment
    /// the balancer sends a request on it; the request is lost and the balancer answers
    /// 502. Clients facing the server directly gain little from the long default (browsers
    /// reuse a connection within seconds when they reuse it at all), and idle connections
    /// cost a descriptor, a slot of [`max_connections`](App::max_connections) and about
    /// 30 KiB of memory each; shutdown closes them at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// // Behind an AWS ALB with its default 60 s idle timeout.
    /// let app = httpserver::App::new().keep_alive_timeout(Duration::from_secs(65));
    /// ```
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.config.keep_alive_timeout = timeout;
        self
    }

    /// The largest request head accepted: the request line and all header lines (default
    /// 64 KiB, as large as the biggest cookie jars browsers send, a quarter of hyper's own
    /// 400 KiB buffer). A longer head gets 431 as soon as the limit is passed, without
    /// reading the rest; so does one with more than 100 header lines. Such 431 answers
    /// come from hyper, before the app sees the request: the error handlers do not see them.
    ///
    /// ```
    /// let app = httpserver::App::new().max_head_size(16 * 1024);
    /// ```
    pub fn max_head_size(mut self, bytes: usize) -> Self {
        self.config.max_head_size = bytes;
        self
    }

    /// The most connections served at once (default 10,000). At the cap the server stops
    /// accepting: further clients wait in the kernel's listen backlog (and are accepted as
    /// connections close) instead of each taking a file descriptor. Keep it below the
    /// process's open-file limit (`ulimit -n`), with room for files and other sockets.
    /// Should the limit be reached anyway, accepting pauses and resumes as descriptors
    /// free up; the connections already open are served meanwhile.
    ///
    /// ```
    /// let app = httpserver::App::new().max_connections(512);
    /// ```
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections;
        self
    }

    /// The longest a lingering close keeps reading (and discarding) what a client still
    /// sends after a response that closes the connection before the request was read in
    /// full (a 413, a refused head); default 30 s, nginx's `lingering_time`. Closing at
    /// once would make the kernel reset the connection, and the client could lose the
    /// response: an uploader (a browser, `requests`, `fetch`) reads it only once its upload
    /// is sent, so the server reads on until then. The client's own close ends it sooner.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().linger_time(Duration::from_secs(10));
    /// ```
    pub fn linger_time(mut self, time: Duration) -> Self {
        self.config.linger_time = time;
        self
    }

    /// How long a lingering close waits for the client's next bytes before it closes
    /// (default 5 s, nginx's `lingering_timeout`): a client that has stopped sending has
    /// read its response or never will.
    ///
    /// ```
    /// use std::time::Duration;
    /// let app = httpserver::App::new().linger_timeout(Duration::from_secs(2));
    /// ```
    pub fn linger_timeout(mut self, timeout: Duration) -> Self {
        self.config.linger_timeout = timeout;
        self
    }

    /// The most bytes a lingering close reads and discards before it closes anyway
    /// (default: no bound but [`linger_time`](App::linger_time)). A bound in bytes cuts
    /// off a fast uploader before it reads its 413; set one only to cap the bandwidth a
    /// refused upload may use.
    ///
    /// ```
    /// let app = httpserver::App::new().linger_max_bytes(64 * 1024 * 1024);
    /// ```
    pub fn linger_max_bytes(mut self, bytes: u64) -> Self {
        self.config.linger_max_bytes = bytes;
        self
    }

    /// How long the server drains after SIGTERM before its graceful shutdown (default 5 s):
    /// it keeps accepting and answering, adds `Connection: close` to every answer, and
    /// [`AppHandle::is_ready`] is false, so that a load balancer takes it out of rotation
    /// without a failed request. Set it to the time your load balancer needs to notice
    /// (its health-check interval times its failure threshold); `Duration::ZERO` skips the
    /// phase. SIGINT and `AppHandle::shutdown` do not drain.
    pub fn drain_period(mut self, period: Duration) -> Self {
        self.config.drain_period = period;
        self
    }

    /// Whether [`run`](App::run) binds with `SO_REUSEPORT` (default `false`), so that a new
    /// process can bind the same port while the old one drains: a restart without a moment
    /// in which nothing listens. Unix only; elsewhere ignored.
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.config.reuse_port = on;
        self
    }

    /// How long a graceful shutdown waits for requests in flight (default 30 s) before
    /// closing their connections.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.config.grace_period = grace;
        self
    }

    /// The largest WebSocket message (and frame) accepted, in bytes (default 16 MiB;
    /// feature `ws`). A larger one closes its socket with 1009 (message too big). A route
    /// may choose its own with
    /// [`WebSocketUpgrade::max_message_size`](crate::ws::WebSocketUpgrade::max_message_size).
    ///
    /// ```
    /// let app = httpserver::App::new().ws_max_message_size(1024 * 1024);
    /// ```
    #[cfg(feature = "ws")]
    pub fn ws_max_message_size(mut self, bytes: usize) -> Self {
        self.config.ws_max_message_size = bytes;
        self
    }

    /// Serves HTTPS with this certificate and key (feature `tls`): every connection starts
    /// with a TLS handshake, and ALPN picks HTTP/2 (feature `http2`) or HTTP/1.1. Replace
    /// the certificate while the server runs with [`AppHandle::reload_tls`] (SIGHUP calls
    /// it) or [`AppHandle::set_tls`]; connections already open keep the one they started
    /// with.
    ///
    /// ```no_run
    /// use httpserver::{App, TlsConfig};
    ///
    /// fn main() -> std::io::Result<()> {
    ///     App::new()
    ///         .tls(TlsConfig::from_pem_files("cert.pem", "key.pem")?)
    ///         .run("0.0.0.0:8443")
    /// }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(self, config: crate::tls::TlsConfig) -> Self {
        self.handle.tls().set(config);
        self
    }

    /// Whether SIGINT and SIGTERM trigger a graceful shutdown (default `true`), and SIGHUP
    /// a reload of the TLS certificate. Turn it off when the app runs inside a program
    /// that handles signals itself.
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.config.handle_signals = on;
        self
    }

    /// The handle of this app, usable before it serves (to shut it down from elsewhere).
    pub fn handle(&self) -> AppHandle {
        self.handle.clone()
    }

    /// Serves on `addr` until shut down (by SIGINT, SIGTERM or [`AppHandle::shutdown`]),
    /// on a multi-threaded tokio runtime of its own. A listening socket handed over by the
    /// service manager (`LISTEN_FDS`/`LISTEN_PID`, as systemd socket activation and
    /// `systemd-socket-activate` set them) is used instead of binding `addr`. Returns `Ok(())` after a graceful
    /// shutdown; an error if the address cannot be bound or the routes conflict.
    pub fn run(self, addr: impl std::net::ToSocketAddrs) -> std::io::Result<()> {
        // Only the address is generic: the rest is compiled once, here, not in every app.
        let addrs: Vec<std::net::SocketAddr> = addr.to_socket_addrs()?.collect();
        self.run_on(&addrs)
    }

    fn run_on(self, addrs: &[std::net::SocketAddr]) -> std::io::Result<()> {
        if tokio::runtime::Handle::try_current().is_ok() {
            // Starting a runtime inside another one would panic; say what to do instead.
            return Err(std::io::Error::other(
                "App::run starts its own tokio runtime and cannot be called from async code; \
                 use `App::serve(listener).await` there",
            ));
        }
        let listener = match crate::server::listen::inherited()? {
            Some(listener) => listener,
            None => crate::server::listen::bind(addrs, self.config.reuse_port)?,
        };
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
        crate::server::serve(self.into_stack()?, listener).await
    }

    /// An in-process client that sends requests through this app's whole pipeline
    /// (hooks, routing, extraction, error handlers, limits) without a socket.
    ///
    /// Panics if two routes conflict, as [`serve`](App::serve) would refuse to start.
    ///
    /// ```
    /// use httpserver::{collect_routes, get, App};
    ///
    /// #[get("/users/<int:id>")]
    /// async fn user(id: u32) -> String { format!("user {id}") }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new().routes(collect_routes![user]).test_client();
    /// let res = client.get("/users/5").send().await;
    /// assert_eq!(res.status(), 200);
    /// assert_eq!(res.text(), "user 5");
    /// # });
    /// ```
    pub fn test_client(&self) -> TestClient {
        match self.clone().into_stack() {
            Ok(stack) => TestClient::new(stack),
            Err(e) => panic!("the app cannot start: {e}"),
        }
    }

    /// The app as a [`tower_service::Service`], to run under another hyper server, inside
    /// an axum router, or wrapped in tower-http layers. Fails, as `serve` would, if two
    /// routes conflict.
    pub fn into_service(self) -> std::io::Result<AppService> {
        Ok(AppService::new(self.into_stack()?))
    }

    /// Freezes the app and puts its layers around it.
    fn into_stack(mut self) -> std::io::Result<Stack> {
        let layers = std::mem::take(&mut self.layers);
        Ok(Stack::new(self.into_core()?, &layers))
    }

    /// Freezes the app into what serves requests: the route table and shared state.
    pub(crate) fn into_core(self) -> std::io::Result<Arc<AppCore>> {
        let invalid = |msg| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg);
        let mut config = self.config;
        config.trusted_proxies =
            crate::protocol::forwarded::TrustedProxies::parse(&self.trusted_proxies)
                .map_err(invalid)?;
        let mut state = self.state;
        state.insert(
            TypeId::of::<crate::config::MultipartLimits>(),
            Arc::new(config.multipart),
        );
        let sessions = !self.secret_keys.is_empty();
        if sessions {
            let keys = SessionKeys::new(&self.secret_keys, self.session_cookie)
                .map_err(invalid)?
                .with_check(self.session_check);
            state.insert(TypeId::of::<SessionKeys>(), Arc::new(keys));
        }
        check_state(&self.routes, &state).map_err(invalid)?;
        let state = Arc::new(state);
        // A handle given out before serving reaches this app's state too; the first app
        // started from it wins there. The requests' own handle is this app's alone, so
        // clones of one app given different state each see their own.
        self.handle.offer_state(&state);
        let handle = self.handle.with_state(state);
        #[cfg(feature = "ws")]
        handle
            .websockets()
            .set_max_message_size(config.ws_max_message_size);
        let router = build_router(self.routes).map_err(invalid)?;
        Ok(Arc::new(AppCore {
            router,
            before: self.before,
            after: self.after,
            errors: self.errors,
            config,
            handle,
            sessions,
        }))
    }
}
