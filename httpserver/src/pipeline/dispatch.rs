//! One request through the app, top to bottom: decode the path, route, build the
//! [`Request`], run the handler (catching panics), and settle failures into responses.

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONNECTION, LOCATION};
use http::{Method, StatusCode};

use crate::error::{panic_message, BoxError, Failure, HttpError};
use crate::pipeline::access_log;
use crate::pipeline::core::{methods_text, AppCore};
use crate::pipeline::csrf;
use crate::protocol::body::{pending, PendingBody};
use crate::protocol::forwarded::ClientView;
use crate::protocol::head_check::{check_head, check_head_and_host};
use crate::protocol::path::{decode_path, routing_path, unescape_segment};
use crate::protocol::read_body::{
    declared_length, declared_over, read_body, BodyError, BodyTimeouts,
};
use crate::request::body_stream::BodyStream;
use crate::request::path_params::PathParams;
use crate::request::{Request, RequestParts};
use crate::response::{Body, IntoResponse, Response};
use crate::router::{Lookup, RouteId};
use crate::routes::hooks::GroupHooks;
use crate::routes::hooks::{run_after, run_before};
use crate::routes::route::{HandlerFuture, Route};

/// Marks a response (in its `http` extensions) whose request body was left unread: the
/// server then ends the connection with a lingering close.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLeftUnread;

/// Marks a request (in its `http` extensions) that arrived over TLS: its scheme is
/// `https`. The server sets it; the pipeline reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OverTls;

/// The body as the head check left it: refused already, empty, or still unread.
enum BodyState {
    /// The head was refused (the error says why); the body will never be read.
    Refused(HttpError),
    Empty,
    /// Read only once a route and the before hooks have accepted the request: a request
    /// they refuse costs no upload (and gets its answer without a `100 Continue`).
    Pending(PendingBody),
}

/// A request routed, with its [`Request`] built: all the async part keeps of it. The head
/// (a few hundred bytes) is gone into the `Request` by then, so that the future hyper
/// moves for every request stays small.
struct Routed {
    request: Request,
    outcome: Outcome,
    /// The body, unread, for the route to read or stream.
    pending: Option<PendingBody>,
    /// Whether the body was (so far) left unread.
    unread_body: bool,
}

/// How a request reached the pipeline, which says what is left to check of its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// From a connection this crate serves, or the test client, which stands in for one:
    /// the head is checked as HTTP/1.1 and HTTP/2 ask (its `Host` included), and a body
    /// left unread closes the connection after the answer.
    Connection,
    /// As a tower service under another server, whose own HTTP layer has read the request
    /// (and may not carry a `Host`).
    Service,
}

/// Answers one request: checks its head as `entry` asks, then [`respond`]s. Also says
/// whether the body was left unread. Not an `async fn`: that would be one more future
/// around the pipeline's, and one more copy of the request head per request. The future
/// owns the app rather than borrowing it, so that a server can hand it to hyper as it is,
/// without an `async` block around it (which would move it again on its first poll).
pub(crate) fn answer<B>(
    core: Arc<AppCore>,
    head: http::request::Parts,
    body: B,
    client_addr: SocketAddr,
    entry: Entry,
) -> impl Future<Output = (Response, bool)> + Send + 'static
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let checked = match entry {
        Entry::Connection => check_head_and_host(&head),
        Entry::Service => check_head(&head),
    };
    let body = match checked {
        Err(e) => BodyState::Refused(e),
        Ok(()) if body.is_end_stream() => BodyState::Empty,
        Ok(()) => BodyState::Pending(pending(body)),
    };
    let client = core
        .config
        .trusted_proxies
        .client(client_addr, over_tls(&head), &head.headers);
    let log = access_log::start(core.config.access_log, &head, client.addr);
    let routed = route(&core, head, body, client_addr, client);
    respond(core, routed, log)
}

/// Routes the request (or says why it cannot be) and builds its [`Request`]: decoding the
/// path, the path parameters, the client as the app sees it.
fn route(
    core: &AppCore,
    head: http::request::Parts,
    body: BodyState,
    peer: SocketAddr,
    client: ClientView,
) -> Routed {
    let (refused, pending) = match body {
        BodyState::Refused(e) => (Some(e), None),
        BodyState::Empty => (None, None),
        BodyState::Pending(body) => (None, Some(body)),
    };
    let unread_body = refused.is_some() || pending.is_some();
    let (outcome, path_params) = match (refused, routing_path(head.uri.path())) {
        (Some(e), _) => (
            Outcome::Refused(Box::new(e.into_response())),
            PathParams::default(),
        ),
        (None, None) => (
            Outcome::Refused(Box::new(refuse_target(core, &head))),
            PathParams::default(),
        ),
        (None, Some(path)) => route_request(core, &head, &path),
    };
    // Without a `%`, decoding gives the path back as it is: no copy of it is made.
    let raw_path = head.uri.path();
    let path = raw_path
        .contains('%')
        .then(|| decode_path(raw_path).unwrap_or_else(|| raw_path.to_owned()));
    let request = Request::from_parts(RequestParts {
        method: head.method,
        uri: head.uri,
        version: head.version,
        path,
        headers: head.headers,
        body: pending.is_none().then(Bytes::new),
        path_params,
        client_addr: client.addr,
        peer_addr: peer,
        https: client.https,
        app: core.handle.clone(),
    });
    Routed {
        request,
        outcome,
        pending,
        unread_body,
    }
}

/// Answers a routed request: before hooks, the handler (or the reason there is none),
/// error handlers, after hooks, the session; then the access log and the connection
/// headers. Also says whether the body was left unread.
///
/// An `async` block, not an `async fn`: an `async fn` keeps its arguments twice in its
/// state (as passed, and as bound), and hyper moves that state for every request.
#[allow(clippy::manual_async_fn)]
fn respond(
    core: Arc<AppCore>,
    mut routed: Routed,
    log: Option<Box<access_log::Pending>>,
) -> impl Future<Output = (Response, bool)> + Send + 'static {
    async move {
        let core = &*core;
        let request = &routed.request;
        let (group, handler_name) = match routed.outcome {
            Outcome::Routed(id) => {
                let route = &core.router[id];
                (route.group_hooks(), Some(route.name()))
            }
            _ => (None, None),
        };
        // One binding, changed in place below: a new binding per step is a copy per step.
        let mut response = match routed.outcome {
            // Refused before routing (a malformed head, an undecodable path): no hook that
            // expects a well-formed request sees it.
            Outcome::Refused(response) => *response,
            Outcome::Routed(id) => {
                // Boxed when a hook answers (rare): inline, the answer would sit in the
                // state beside the handler's future for every request.
                let early = match has_before_hooks(core, group) {
                    true => run_all_before(core, group, request).await.map(Box::new),
                    false => None,
                };
                match early {
                    Some(early) => *early,
                    None => {
                        let pending = routed.pending.take();
                        let route = &core.router[id];
                        let (response, unread) = run_route(core, route, request, pending).await;
                        routed.unread_body = unread;
                        response
                    }
                }
            }
            Outcome::Unrouted(response) if core.before.is_empty() => *response,
            Outcome::Unrouted(response) => {
                run_before(&core.before, request).await.unwrap_or(*response)
            }
        };
        // Each step below is skipped when it has nothing to do: a response is a few hundred
        // bytes, and moving it through an idle step costs more than the check. The steps are
        // boxed: unboxed, their futures would be part of this one's state, which every
        // request moves (several times, one copy per enclosing future) whether or not a step
        // runs.
        if response.is_deferred() {
            response = Box::pin(response.resolve(request)).await;
        }
        if response.failure().is_some() {
            let failed = describe_failure(response.failure());
            response = Box::pin(core.errors.settle(request, response)).await;
            if response.is_deferred() {
                // An error handler's page may be made with the request too (a template).
                response = Box::pin(response.resolve(request)).await;
            }
            if let Some(failed) = failed {
                log_failure(handler_name, &failed, response.status());
            }
        }
        if let Some(group) = group.filter(|group| !group.after.is_empty()) {
            response = Box::pin(run_after(&group.after, request, response)).await;
        }
        if !core.after.is_empty() {
            response = Box::pin(run_after(&core.after, request, response)).await;
        }
        if core.sessions {
            crate::extract::session::save(request, &mut response);
        }
        if let Some(log) = log {
            access_log::finish(*log, response.status(), response.known_length());
        }
        response.end_with(&core.handle);
        // While draining, every connection ends after its answer, so that clients reconnect
        // to a server that stays.
        if routed.unread_body || core.handle.drain_started() {
            // The rest of the body was never read, so the connection is at an unknown place
            // in the stream: it cannot carry another request.
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        (response, routed.unread_body)
    }
}

/// The body, then the handler: the body read in full under the route's limit, or handed to
/// the handler as a stream. Also says whether the body was left unread.
async fn run_route(
    core: &AppCore,
    route: &Route,
    request: &Request,
    pending: Option<PendingBody>,
) -> (Response, bool) {
    let Some(body) = pending else {
        // No body: the token can only be in the header.
        if csrf::applies(&core.config.csrf, core.sessions, route, request) {
            if let Err(refused) = Box::pin(csrf::check_read(&core.config.csrf, request)).await {
                return (refused.into_response(), false);
            }
        }
        return (run_handler(route, request.clone()).await, false);
    };
    let limit = route.max_body_size().unwrap_or(core.config.max_body_size);
    let config = &core.config;
    let declared = declared_length(request.headers());
    if declared_over(declared, limit) {
        // Streamed routes too: the handler and its side effects never start for a body
        // the client has already said is too large.
        return (BodyError::TooLarge.into_http_error().into_response(), true);
    }
    // The CSRF checks are boxed: inline, their futures (a multipart parser among them)
    // made every request's pipeline future 1.5 KB larger, which hyper copies per request.
    let csrf_applies = csrf::applies(&config.csrf, core.sessions, route, request);
    if route.streams_body() {
        let idle = config.body_timeout;
        let mut stream = BodyStream::new(body, declared, limit, idle);
        if csrf_applies {
            if let Err(refused) =
                Box::pin(csrf::check_streamed(&config.csrf, request, &mut stream)).await
            {
                return (refused.into_response(), true);
            }
        }
        request.set_body_stream(stream);
        let response = run_handler(route, request.clone()).await;
        return (response, request.body_left_unread());
    }
    let timeouts = BodyTimeouts {
        idle: config.body_timeout,
        total: config.body_total_timeout,
    };
    // Boxed: its timers make it a few hundred bytes, which would be part of every
    // request's future (bodiless ones too), moved per request.
    match Box::pin(read_body(body, declared, limit, timeouts)).await {
        Err(e) => (e.into_http_error().into_response(), true),
        Ok(bytes) => {
            request.set_body(bytes);
            if csrf_applies {
                if let Err(refused) = Box::pin(csrf::check_read(&config.csrf, request)).await {
                    return (refused.into_response(), false);
                }
            }
            (run_handler(route, request.clone()).await, false)
        }
    }
}

/// Whether the app or the route's group has before hooks: without any, no hook future is
/// made (its `None` would still be moved out of it, a response's size).
fn has_before_hooks(core: &AppCore, group: Option<&GroupHooks>) -> bool {
    !core.before.is_empty() || group.is_some_and(|group| !group.before.is_empty())
}

/// The app's before hooks, then those of the route's group: the first answer, if any.
async fn run_all_before(
    core: &AppCore,
    group: Option<&GroupHooks>,
    request: &Request,
) -> Option<Response> {
    if let Some(early) = run_before(&core.before, request).await {
        return Some(early);
    }
    match group {
        Some(group) => run_before(&group.before, request).await,
        None => None,
    }
}

/// The answer to a request target that is not a decodable path: `OPTIONS *` asks what
/// the server supports; anything else is a bad request.
fn refuse_target(core: &AppCore, head: &http::request::Parts) -> Response {
    if head.method == Method::OPTIONS && head.uri.path() == "*" {
        let mut methods: Vec<Method> = core
            .router
            .iter()
            .flat_map(|(methods, _, _)| methods.iter().cloned())
            .collect();
        methods.extend([Method::HEAD, Method::OPTIONS]);
        methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        methods.dedup();
        return method_not_allowed(&head.method, &methods);
    }
    let reason = if head.uri.path().starts_with('/') {
        "the path is not valid percent-encoded UTF-8"
    } else {
        "the request target must be a path"
    };
    HttpError::new(400, reason).into_response()
}

/// Where routing left a request.
/// The responses are boxed: they are the rare outcomes, and inline they would add a
/// response's size to the state of every request's future.
enum Outcome {
    /// Refused before routing; the response says why.
    Refused(Box<Response>),
    /// A route takes it.
    Routed(RouteId),
    /// No route takes it: 404, 405, the OPTIONS answer or a trailing-slash redirect.
    Unrouted(Box<Response>),
}

/// Finds the route for the request and its path parameters, or the response that says
/// why there is none.
fn route_request(core: &AppCore, head: &http::request::Parts, path: &str) -> (Outcome, PathParams) {
    let lookup = core
        .router
        .lookup(&head.method, path, |route: &Route, values: &[&str]| {
            if values.iter().any(|v| v.contains('%')) {
                let owned: Vec<Cow<str>> = values.iter().map(|v| unescape_segment(v)).collect();
                let unescaped: Vec<&str> = owned.iter().map(|v| v.as_ref()).collect();
                return route.accepts(&unescaped);
            }
            route.accepts(values)
        });
    let unrouted = match lookup {
        Lookup::Found { id, params, .. } => {
            let names = params.names().iter().map(Arc::clone);
            let values = params
                .values()
                .iter()
                .map(|v| unescape_segment(v).into_owned());
            let params = PathParams::from_pairs(names.zip(values).collect());
            return (Outcome::Routed(id), params);
        }
        Lookup::MethodNotAllowed { allowed } => method_not_allowed(&head.method, &allowed),
        Lookup::RedirectTrailingSlash => redirect_to_slash(&head.uri),
        Lookup::NotFound => HttpError::new(404, "Not Found").into_response(),
    };
    (Outcome::Unrouted(Box::new(unrouted)), PathParams::default())
}

/// Runs the handler; a panic inside it becomes a 500 and the connection serves on.
fn run_handler(route: &Route, request: Request) -> HandlerRun {
    HandlerRun(route.call(request))
}

/// A handler's future, a panic inside it answered as a 500. A future of its own rather
/// than `catch_panic(..)` awaited: the response comes out of the poll as it is, not
/// through a `Result` and the closures that unwrap it, each a copy of the response.
struct HandlerRun(HandlerFuture);

impl Future for HandlerRun {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let handler = &mut self.0;
        // The panicked future is not polled again: the 500 is the run's end.
        match std::panic::catch_unwind(AssertUnwindSafe(|| handler.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Response::from_failure(Failure::Panic(panic_message(
                payload.as_ref(),
            )))),
        }
    }
}

/// What the log says of a failed response, taken before the error handlers consume the
/// failure: an error's cause chain or a panic's message. An `HttpError` is an answer, not
/// a failure of the server: DEBUG, at once.
fn describe_failure(failure: Option<&Failure>) -> Option<(&'static str, String)> {
    match failure? {
        Failure::Other(e) => Some(("failed", crate::error::cause_chain(e.as_ref()))),
        Failure::Panic(message) => Some(("panicked", message.clone())),
        Failure::Http(e) => {
            tracing::debug!(error = %e, "answered an error");
            None
        }
    }
}

/// A failed handler is logged once its error handlers have had their say: at ERROR when
/// the answer is a 5xx, with the cause chain (an app without a subscriber gets the line on
/// stderr instead, as Flask prints a traceback, so that no 500 goes unexplained); at DEBUG
/// when an error handler made a 4xx of it (the client's mistake, not the server's).
fn log_failure(handler: Option<&str>, failed: &(&str, String), status: StatusCode) {
    let (handler, (how, what)) = (handler.unwrap_or("-"), failed);
    if status.is_server_error() {
        if *how == "panicked" {
            tracing::error!(handler, status = status.as_u16(), panic = %what, "handler panicked");
        } else {
            tracing::error!(handler, status = status.as_u16(), error = %what, "handler failed");
        }
        crate::error::report_without_subscriber(format_args!("handler `{handler}` {how}: {what}"));
    } else {
        tracing::debug!(
            handler,
            status = status.as_u16(),
            error = %what,
            "handler {how}; answered as a client error"
        );
    }
}

/// `OPTIONS` on a routed path lists the methods; any other method not routed there is a 405.
fn method_not_allowed(method: &Method, allowed: &[Method]) -> Response {
    let allow =
        HeaderValue::from_str(&methods_text(allowed)).unwrap_or(HeaderValue::from_static(""));
    let mut res = if method == Method::OPTIONS {
        Response::new(Body::empty()).with_status(StatusCode::NO_CONTENT)
    } else {
        HttpError::new(405, "Method Not Allowed").into_response()
    };
    res.headers_mut().insert(ALLOW, allow);
    res
}

/// `/x` when only `/x/` is routed: send the client to the canonical URL, keeping the query.
fn redirect_to_slash(uri: &http::Uri) -> Response {
    let target = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    match HeaderValue::try_from(target) {
        Ok(location) => {
            let mut res = Response::new(Body::empty()).with_status(StatusCode::PERMANENT_REDIRECT);
            res.headers_mut().insert(LOCATION, location);
            res
        }
        Err(_) => HttpError::new(400, "Bad Request").into_response(),
    }
}

/// Whether the request came over a TLS connection of this server.
fn over_tls(head: &http::request::Parts) -> bool {
    head.extensions.get::<OverTls>().is_some()
}
