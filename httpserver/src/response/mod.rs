//! Responses: the [`Response`] type, the [`IntoResponse`] coercion that turns handler
//! return values into one, and the small wrappers [`Json`], [`Html`] and [`Redirect`].

mod body;
pub(crate) mod cookies;
pub(crate) mod file;
pub(crate) mod file_open;
mod into_response;
mod sse;
mod stream;
mod wrappers;

pub use body::Body;
pub use file::FileResponse;
pub use into_response::{IntoHeaders, IntoResponse};
pub use sse::{Event, IntoEvent, Sse};
pub use stream::{ChunkSender, IntoChunk, StreamClosed, StreamingResponse};
pub use wrappers::{Html, Json, Redirect};

use futures_util::future::BoxFuture;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use http::StatusCode;

use crate::error::{Failure, HttpError, IntoStatusCode};
use crate::handle::AppHandle;
use crate::request::Request;

/// An HTTP response: status, headers and [`Body`].
///
/// ```
/// use httpserver::Response;
/// let res = Response::new("created")
///     .with_status(201)
///     .with_header("x-request-id", "42")
///     .with_content_type("text/plain");
/// assert_eq!(res.status().as_u16(), 201);
/// assert_eq!(res.headers()["x-request-id"], "42");
/// ```
#[derive(Debug)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
    failure: Option<Failure>,
    deferred: Option<Deferred>,
}

/// A response that can only be made once the request is known and some I/O is done
/// (a file's metadata, a conditional or range request), resolved before error handlers
/// and after hooks see it.
pub(crate) struct Deferred(Box<MakeResponse>);

type MakeResponse = dyn FnOnce(&Request) -> BoxFuture<'static, Response> + Send;

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred")
    }
}

impl Response {
    /// A 200 response with `body` and no `Content-Type` (add one with
    /// [`with_content_type`](Self::with_content_type), or return a `String`, `Json` or
    /// `Html` from the handler to have it set for you).
    pub fn new(body: impl Into<Body>) -> Self {
        Response {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: body.into(),
            failure: None,
            deferred: None,
        }
    }

    /// A response made by `make` once the request is known; see [`Deferred`].
    pub(crate) fn deferred(
        make: impl FnOnce(&Request) -> BoxFuture<'static, Response> + Send + 'static,
    ) -> Self {
        let mut res = Response::new(Body::empty());
        res.deferred = Some(Deferred(Box::new(make)));
        res
    }

    /// Wires a body that should end on shutdown (an event stream) to `app`'s shutdown.
    pub(crate) fn end_with(&mut self, app: &AppHandle) {
        if self.body.ends_on_shutdown() {
            let app = app.clone();
            let body = std::mem::take(&mut self.body);
            self.body = body.end_on(async move { app.shutdown_requested().await });
        }
    }

    pub(crate) fn is_deferred(&self) -> bool {
        self.deferred.is_some()
    }

    /// Makes a deferred response for `req`. Headers set on the placeholder (say, by a
    /// `(FileResponse, status, headers)` tuple) are kept on the result.
    pub(crate) async fn resolve(mut self, req: &Request) -> Response {
        let Some(Deferred(make)) = self.deferred.take() else {
            return self;
        };
        let mut made = make(req).await;
        // A status the handler chose (`(FileResponse::new(p), 201)`) wins over a plain 200.
        if self.status != StatusCode::OK && made.status == StatusCode::OK {
            made.status = self.status;
        }
        for (name, value) in self.headers.drain().filter_map(|(n, v)| Some((n?, v))) {
            made.headers.insert(name, value);
        }
        made
    }

    /// A response of `body` with `content_type` set.
    pub(crate) fn with_type(body: impl Into<Body>, content_type: &'static str) -> Self {
        let mut res = Response::new(body);
        res.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        res
    }

    /// Sets the status (a `u16` or a [`StatusCode`]).
    pub fn with_status(mut self, status: impl IntoStatusCode) -> Self {
        self.status = status.into_status_code();
        self
    }

    /// Sets a header, replacing any value it had. A name or value that is not valid in
    /// HTTP turns the response into a 500 and logs why, rather than sending it malformed.
    pub fn with_header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
                self
            }
            _ => Response::internal_error("a handler set a header with an invalid name or value"),
        }
    }

    /// Sets `Content-Type`.
    pub fn with_content_type<V: TryInto<HeaderValue>>(self, content_type: V) -> Self {
        self.with_header(CONTENT_TYPE, content_type)
    }

    /// The body's length when it is known before it is sent (a full body), for the log.
    pub(crate) fn known_length(&self) -> Option<u64> {
        http_body::Body::size_hint(&self.body).exact()
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to change them (as after-request hooks do).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Sets the status in place.
    pub fn set_status(&mut self, status: impl IntoStatusCode) {
        self.status = status.into_status_code();
    }

    /// A 500 caused by a mistake in the application, with `reason` kept for the log.
    pub(crate) fn internal_error(reason: &'static str) -> Self {
        Response::from_failure(Failure::Other(reason.into()))
    }

    /// The response a failure gets when no error handler takes it: the `HttpError`'s own
    /// message, or a generic 500 that tells the client nothing about the cause.
    pub(crate) fn from_failure(failure: Failure) -> Self {
        let status = failure.status();
        let body: Body = match &failure {
            Failure::Http(e) => e.message().to_owned().into(),
            Failure::Other(_) | Failure::Panic(_) => "Internal Server Error".into(),
        };
        let mut res = Response::with_type(body, "text/plain; charset=utf-8").with_status(status);
        res.failure = Some(failure);
        res
    }

    pub(crate) fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    pub(crate) fn take_failure(&mut self) -> Option<Failure> {
        self.failure.take()
    }

    /// Converts into the `http` crate's response, as hyper sends it.
    pub(crate) fn into_http(self) -> http::Response<Body> {
        let mut res = http::Response::new(self.body);
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers;
        res
    }

    /// Splits into the pieces the test client and hooks look at.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, Body) {
        (self.status, self.headers, self.body)
    }
}

impl From<HttpError> for Response {
    fn from(err: HttpError) -> Self {
        Response::from_failure(Failure::Http(err))
    }
}

/// The 500 sent when error handling itself failed: plain text, no details, and no failure
/// attached, so nothing tries to handle it again.
pub(crate) fn default_500() -> Response {
    Response::new("Internal Server Error")
        .with_status(http::StatusCode::INTERNAL_SERVER_ERROR)
        .with_content_type("text/plain; charset=utf-8")
}
