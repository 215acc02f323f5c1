//! The builder ([`App`]): routes, state, sessions, hooks, error handlers, files and
//! layers here; its limits in `limits`, the environment's settings in `env`, and running
//! it in `run`.

pub(crate) mod env;
mod limits;
mod run;

use std::any::TypeId;
use std::future::Future;
use std::sync::Arc;

use crate::config::Config;
use crate::error::{HttpError, IntoStatusCode};
use crate::extract::session::{Session, SessionCookie};
use crate::handle::{AppHandle, StateMap};
use crate::pipeline::layer::{ApplyLayer, Inner, RequestBody};
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::routes::error_handlers::ErrorHandlers;
use crate::routes::hooks::{self, AfterHook, BeforeHook};
use crate::routes::route::Route;

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
    #[cfg(feature = "templates")]
    templates: Option<crate::templates::Templates>,
    #[cfg(feature = "openapi")]
    openapi: crate::openapi::ServeOpenApi,
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
            #[cfg(feature = "templates")]
            templates: None,
            #[cfg(feature = "openapi")]
            openapi: crate::openapi::ServeOpenApi::default(),
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

    /// Adds the routes of a [`#[group]`](macro@crate::group) module with the group's own hooks
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
    /// A session that holds nothing but its CSRF secret (a visitor who has only seen a
    /// form) is not checked.
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

    /// The app's templates (feature `templates`): a directory, or [`Templates`] with
    /// options. Read and checked when the app starts: a syntax error, or a `url_for`
    /// naming no route, stops it with the template's name and line. See
    /// [`templates`](crate::templates).
    ///
    /// [`Templates`]: crate::templates::Templates
    #[cfg(feature = "templates")]
    pub fn templates(mut self, templates: impl Into<crate::templates::Templates>) -> Self {
        self.templates = Some(templates.into());
        self
    }

    /// The app's OpenAPI 3.1 document (feature `openapi`), built from its routes as they
    /// are now; see [`openapi`](crate::openapi) for what it says and where from.
    #[cfg(feature = "openapi")]
    pub fn openapi(&self) -> serde_json::Value {
        crate::openapi::document(&self.routes, &self.openapi.info)
    }

    /// The document's title, version and description (default: "API", "0.1.0").
    #[cfg(feature = "openapi")]
    pub fn openapi_info(mut self, info: crate::openapi::ApiInfo) -> Self {
        self.openapi.info = info;
        self
    }

    /// Serves the OpenAPI document at `path` (`"/openapi.json"`), built once when the app
    /// starts from every route it has then. The route is not in the document.
    ///
    /// ```
    /// use httpserver::{collect_routes, get, App};
    ///
    /// #[get("/ping")]
    /// async fn ping() -> &'static str {
    ///     "pong"
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new()
    ///     .routes(collect_routes![ping])
    ///     .serve_openapi("/openapi.json")
    ///     .serve_openapi_docs("/docs")
    ///     .test_client();
    /// let doc: serde_json::Value = client.get("/openapi.json").send().await.json();
    /// assert_eq!(doc["openapi"], "3.1.0");
    /// assert!(doc["paths"]["/ping"]["get"].is_object());
    /// assert!(client.get("/docs").send().await.text().contains("fetch(\"/openapi.json\")"));
    /// # });
    /// ```
    #[cfg(feature = "openapi")]
    pub fn serve_openapi(mut self, path: impl Into<String>) -> Self {
        self.openapi.document_path = Some(path.into());
        self
    }

    /// Serves a page at `path` (`"/docs"`) that shows the document served by
    /// [`serve_openapi`](App::serve_openapi), with a form to try each operation. The page
    /// is the app's own: it loads nothing from elsewhere, so it works offline.
    #[cfg(feature = "openapi")]
    pub fn serve_openapi_docs(mut self, path: impl Into<String>) -> Self {
        self.openapi.page_path = Some(path.into());
        self
    }

    /// How forms are protected against cross-site request forgery (see [`Csrf`]): on by
    /// default once the app has a secret key.
    ///
    /// [`Csrf`]: crate::Csrf
    pub fn csrf(mut self, csrf: crate::config::Csrf) -> Self {
        self.config.csrf = csrf;
        self
    }

    /// Adds a hook that runs before the handler of every request, in registration order:
    /// after routing (unrouted requests too, so that a hook may answer a 404 its own way)
    /// and before the body is read, so that a refused upload costs nothing. The first
    /// hook that returns `Some(response)` answers the request: later hooks and the
    /// handler do not run. Requests refused before routing (a malformed head, a path that
    /// does not decode) skip it.
    ///
    /// A hook takes extractors as a handler does (up to four: `Request`, `Session`,
    /// `State<T>`, `Ext<T>`, your own [`FromRequest`](crate::FromRequest) types); an
    /// extractor that fails answers with its error. See [`BeforeHookFn`](crate::BeforeHookFn).
    ///
    /// ```
    /// use httpserver::{App, IntoResponse, Redirect, Request, Response, Session};
    ///
    /// async fn auth_check(req: Request) -> Option<Response> {
    ///     if req.header("authorization").is_none() {
    ///         return Some(("unauthorized", 401).into_response());
    ///     }
    ///     None // go on to the handler
    /// }
    ///
    /// #[derive(Clone)]
    /// struct User(String);
    ///
    /// // The session and the request, extracted as for a handler.
    /// async fn load_user(req: Request, session: Session) -> Option<Redirect> {
    ///     match session.get::<String>("user") {
    ///         Some(name) => {
    ///             req.set(User(name)); // the handler takes it as Ext<User>
    ///             None
    ///         }
    ///         None => Some(Redirect::to("/login")),
    ///     }
    /// }
    ///
    /// let app = App::new()
    ///     .secret_key("a secret of at least 32 bytes, from the environment")
    ///     .before_request(auth_check)
    ///     .before_request(load_user);
    /// ```
    pub fn before_request<H, Args>(mut self, hook: H) -> Self
    where
        H: hooks::BeforeHookFn<Args>,
    {
        self.before.push(hook.into_hook());
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

    /// Handles every failure that no handler by type or by status took: any error a
    /// handler returned (as an [`Error`](crate::Error), its type and cause chain intact),
    /// an [`HttpError`] the framework or a handler made (a 404 of the router, a 413), or a
    /// panic (as an error saying so). What it returns is sent as it is, whatever its
    /// status: one place to render every error page of an app.
    ///
    /// The order: [`error_handler_for`](App::error_handler_for) by the error's type, then
    /// [`error_handler`](App::error_handler) by status, then this one, else the default
    /// plain-text answer. A handler that fails in turn gets the plain default 500.
    ///
    /// ```
    /// use httpserver::{App, Error, IntoResponse, Request, Response};
    ///
    /// async fn every_error(req: Request, err: Error) -> Response {
    ///     let status = err.status();
    ///     let page = format!("<h1>{}</h1><p>{}</p>", status.as_u16(), req.path());
    ///     (httpserver::Html(page), status).into_response()
    /// }
    /// let app = App::new().error_handler_any(every_error);
    /// ```
    pub fn error_handler_any<F, Fut, R>(mut self, handler: F) -> Self
    where
        F: Fn(Request, crate::error::Error) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.errors.set_any(handler);
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
}
