//! A route: what the route attributes produce and `App::routes` takes.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::request::Request;
use crate::response::Response;
use crate::routes::hooks::GroupHooks;

/// The future a route's handler returns once its arguments are extracted.
pub type HandlerFuture = futures_util::future::BoxFuture<'static, Response>;

/// One routed handler: its methods, its path pattern and the code that runs it.
///
/// Made by the route attributes (`#[get]`, `#[route]`, ...) and gathered with
/// [`collect_routes!`](crate::collect_routes):
///
/// ```
/// use httpserver::{collect_routes, get, Route};
/// #[get("/ping")]
/// async fn ping() -> &'static str { "pong" }
///
/// let routes: Vec<Route> = collect_routes![ping];
/// assert_eq!(routes[0].pattern(), "/ping");
/// assert_eq!(routes[0].name(), "ping");
/// ```
#[derive(Clone)]
pub struct Route {
    name: Cow<'static, str>,
    /// The handler as `collect_routes!` (or `#[group]`) listed it, with its module path
    /// (`api::tasks::list`), when that differs from its name: for the start-up table.
    listed: Option<Cow<'static, str>>,
    pattern: Cow<'static, str>,
    methods: &'static [&'static str],
    accepts: fn(&[&str]) -> bool,
    handler: Handler,
    state_needs: Vec<StateNeed>,
    /// The hooks of the group the route belongs to, if any.
    group_hooks: Option<Arc<GroupHooks>>,
    /// The route's own body limit (`max_body_size = ..` on the attribute).
    max_body_size: Option<usize>,
    /// Whether the handler takes the body as a stream (`BodyStream`, `Multipart`).
    streams_body: bool,
    /// Whether unsafe requests to it are checked for forgery (see [`crate::Csrf`]).
    csrf_checked: bool,
    /// The `#[group]` module it is in.
    group: Option<&'static str>,
    /// What the API document says of it (`None`: left out).
    #[cfg(feature = "openapi")]
    description: Option<crate::routes::describe::Describe>,
}

/// What one extractor needs: state of the app, and whether it reads the body as it
/// arrives (`FromRequest::STREAMS_BODY`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractorNeed {
    pub state: Option<StateNeed>,
    pub streams_body: bool,
}

/// What a route's handler needs the app to have before it can start: a `State<T>`'s `T`,
/// or, for a `Session`, a secret key.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct StateNeed {
    pub(crate) type_id: std::any::TypeId,
    pub(crate) type_name: &'static str,
    pub(crate) secret_key: bool,
}

impl StateNeed {
    /// The need for a `T`.
    pub fn of<T: 'static>() -> Self {
        StateNeed {
            type_id: std::any::TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
            secret_key: false,
        }
    }

    /// The need for a secret key (the app keeps its derived keys as state).
    pub(crate) fn secret_key() -> Self {
        StateNeed {
            secret_key: true,
            ..StateNeed::of::<crate::extract::session::SessionKeys>()
        }
    }
}

/// The code behind a route: a generated function, or a closure for routes the app
/// makes itself (static file mounts), which carry data of their own.
#[derive(Clone)]
enum Handler {
    Generated(fn(Request) -> HandlerFuture),
    Dynamic(Arc<dyn Fn(Request) -> HandlerFuture + Send + Sync>),
}

impl Route {
    /// Used by the generated code; write routes with the attributes instead.
    #[doc(hidden)]
    pub fn new(
        name: &'static str,
        pattern: &'static str,
        methods: &'static [&'static str],
        accepts: fn(&[&str]) -> bool,
        handler: fn(Request) -> HandlerFuture,
    ) -> Self {
        Route {
            name: Cow::Borrowed(name),
            listed: None,
            pattern: Cow::Borrowed(pattern),
            methods,
            accepts,
            handler: Handler::Generated(handler),
            state_needs: Vec::new(),
            group_hooks: None,
            max_body_size: None,
            streams_body: false,
            csrf_checked: true,
            group: None,
            #[cfg(feature = "openapi")]
            description: None,
        }
    }

    /// Used by the generated code: what the handler's extractors need. The `State<T>`
    /// types it takes (and a secret key for a `Session`), so that an app missing one of
    /// them refuses to start instead of answering 500 at run time; and whether one of them
    /// reads the body as it arrives
    /// ([`FromRequest::STREAMS_BODY`](crate::FromRequest::STREAMS_BODY)).
    #[doc(hidden)]
    pub fn needing(mut self, needs: &[ExtractorNeed]) -> Self {
        self.state_needs = needs.iter().filter_map(|need| need.state).collect();
        self.streams_body = needs.iter().any(|need| need.streams_body);
        self
    }

    /// A route whose handler carries its own data, for routes built at run time.
    pub(crate) fn dynamic(
        name: impl Into<Cow<'static, str>>,
        pattern: String,
        methods: &'static [&'static str],
        handler: impl Fn(Request) -> HandlerFuture + Send + Sync + 'static,
    ) -> Self {
        Route {
            name: name.into(),
            listed: None,
            pattern: Cow::Owned(pattern),
            methods,
            accepts: |_| true,
            handler: Handler::Dynamic(Arc::new(handler)),
            state_needs: Vec::new(),
            group_hooks: None,
            max_body_size: None,
            streams_body: false,
            csrf_checked: true,
            group: None,
            #[cfg(feature = "openapi")]
            description: None,
        }
    }

    /// The handler's name, as written in the source (for logs and error messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Used by the generated code: the handler as `collect_routes!` listed it, module path
    /// included (`api::tasks::list`).
    #[doc(hidden)]
    pub fn listed_as(mut self, path: &'static str) -> Self {
        self.listed = Some(Cow::Borrowed(path));
        self
    }

    /// The route's handler in `module` (a `#[group]` module), unless it was listed with a
    /// path already.
    pub(crate) fn listed_in(&mut self, module: &'static str) {
        if self.listed.is_none() {
            self.listed = Some(Cow::Owned(format!("{module}::{}", self.name)));
        }
        self.group = Some(module);
    }

    /// The `#[group]` module the route is in, if any: its tag in the API document.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))]
    pub(crate) fn group(&self) -> Option<&'static str> {
        self.group
    }

    /// The handler with its module path as it was listed, else its name: for the start-up
    /// route table.
    pub(crate) fn listed_name(&self) -> &str {
        self.listed.as_deref().unwrap_or(&self.name)
    }

    /// The path pattern, such as `/users/<int:id>`.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The methods it answers, upper case.
    pub fn methods(&self) -> &'static [&'static str] {
        self.methods
    }

    /// Whether the captured parameter values fit the handler's argument types
    /// (an `<int:x>` whose argument is a `u8` does not take `300`).
    pub(crate) fn accepts(&self, values: &[&str]) -> bool {
        (self.accepts)(values)
    }

    /// Used by the generated code: the route's own body limit.
    #[doc(hidden)]
    pub fn with_max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// The route's own body limit, if it has one (else the app's applies).
    pub fn max_body_size(&self) -> Option<usize> {
        self.max_body_size
    }

    /// Exempts the route from the CSRF check (`csrf = false` on its attribute), for an
    /// endpoint that authenticates its callers otherwise (an API key, a webhook's
    /// signature) and is never posted to by a browser carrying the session cookie.
    ///
    /// ```
    /// use httpserver::{collect_routes, post};
    ///
    /// #[post("/hooks/payment", csrf = false)]
    /// async fn payment_webhook(req: httpserver::Request) -> &'static str {
    ///     "ok" // check the sender's signature over req.body() here
    /// }
    ///
    /// assert!(!collect_routes![payment_webhook][0].csrf_checked());
    /// ```
    pub fn without_csrf(mut self) -> Self {
        self.csrf_checked = false;
        self
    }

    /// Whether unsafe requests to this route are checked for forgery (the default), or
    /// it was exempted with [`without_csrf`](Route::without_csrf).
    pub fn csrf_checked(&self) -> bool {
        self.csrf_checked
    }

    /// Used by the generated code: what the API document says of the route.
    #[doc(hidden)]
    #[cfg(feature = "openapi")]
    pub fn with_description(mut self, describe: crate::routes::describe::Describe) -> Self {
        self.description = Some(describe);
        self
    }

    #[cfg(feature = "openapi")]
    pub(crate) fn description(&self) -> Option<crate::routes::describe::Describe> {
        self.description
    }

    pub(crate) fn streams_body(&self) -> bool {
        self.streams_body
    }

    pub(crate) fn with_group_hooks(mut self, hooks: Arc<GroupHooks>) -> Self {
        self.group_hooks = Some(hooks);
        self
    }

    pub(crate) fn group_hooks(&self) -> Option<&GroupHooks> {
        self.group_hooks.as_deref()
    }

    pub(crate) fn state_needs(&self) -> &[StateNeed] {
        &self.state_needs
    }

    pub(crate) fn call(&self, req: Request) -> HandlerFuture {
        match &self.handler {
            Handler::Generated(f) => f(req),
            Handler::Dynamic(f) => f(req),
        }
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("name", &self.name)
            .field("pattern", &self.pattern)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}
