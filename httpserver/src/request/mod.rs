//! The request as handlers see it: its head, its body (read in full before the handler,
//! or streamed to a `BodyStream` or `Multipart` handler), and the values attached to it
//! for this request; cheap to clone, every clone sharing them.

pub(crate) mod body_stream;
pub(crate) mod path_params;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri, Version};
use serde::de::DeserializeOwned;

use crate::error::HttpError;
use crate::handle::AppHandle;
use crate::request::body_stream::BodyStream;
use crate::request::path_params::PathParams;

/// An HTTP request whose body has been read (at most `max_body_size` bytes).
///
/// Cloning is cheap (the data is shared), and a `Request` is `Send + Sync + 'static`, so
/// it can move to the blocking pool and be seen again by after-request hooks.
///
/// ```
/// use httpserver::Request;
/// let req = Request::builder("POST", "/echo?x=1&x=2")
///     .header("content-type", "application/json")
///     .body(r#"{"a": 1}"#)
///     .build();
/// assert_eq!(req.path(), "/echo");
/// assert_eq!(req.query("x"), Some("1"));
/// assert_eq!(req.query_params()["x"], ["1", "2"]);
/// let v: serde_json::Value = req.json().unwrap();
/// assert_eq!(v["a"], 1);
/// ```
#[derive(Clone)]
pub struct Request {
    inner: Arc<Inner>,
}

struct Inner {
    method: Method,
    uri: Uri,
    version: Version,
    /// `None` when it is the URI's path as it is (nothing in it was escaped).
    path: Option<String>,
    headers: HeaderMap,
    /// Empty until read: the body is read after routing and the before hooks accepted the
    /// request (see `set_body`), or given whole when the request is built.
    body: OnceLock<Bytes>,
    path_params: PathParams,
    client_addr: SocketAddr,
    peer_addr: SocketAddr,
    https: bool,
    app: AppHandle,
    query_params: OnceLock<HashMap<String, Vec<String>>>,
    cookies: OnceLock<Vec<(String, String)>>,
    /// Values hooks attach for the handler (`set`/`get`); shared by every clone.
    extensions: Mutex<http::Extensions>,
    received_at: Instant,
    /// A streaming route's body, until its `BodyStream` or `Multipart` extractor takes it;
    /// and whether it was read to its end.
    body_stream: Mutex<StreamSlot>,
}

/// The parts a request is made of; the server and the test client fill it in.
pub(crate) struct RequestParts {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) version: Version,
    /// The decoded path; `None` when it is the URI's path as it is, which saves a copy of
    /// it for most requests.
    pub(crate) path: Option<String>,
    pub(crate) headers: HeaderMap,
    /// `None` while the body is still to be read.
    pub(crate) body: Option<Bytes>,
    pub(crate) path_params: PathParams,
    /// The client: the peer, or whom a trusted proxy reports.
    pub(crate) client_addr: SocketAddr,
    /// The other end of the connection.
    pub(crate) peer_addr: SocketAddr,
    /// Whether the client used HTTPS (as a trusted proxy reports it).
    pub(crate) https: bool,
    pub(crate) app: AppHandle,
}

impl Request {
    /// Gives the request the body that was read after it was built (once routing and the
    /// before hooks accepted it); every clone sees it. A body is set once.
    pub(crate) fn set_body(&self, body: Bytes) {
        let _ = self.inner.body.set(body);
    }

    /// Hands a streaming route's body to its extractor.
    pub(crate) fn set_body_stream(&self, stream: BodyStream) {
        let mut slot = self.stream_slot();
        slot.finished = Some(stream.finished_flag());
        slot.stream = Some(stream);
    }

    /// The streaming body, once: the first `BodyStream` or `Multipart` gets it.
    pub(crate) fn take_body_stream(&self) -> Option<BodyStream> {
        self.stream_slot().stream.take()
    }

    /// Whether a streaming body was left before its end (the connection then closes).
    pub(crate) fn body_left_unread(&self) -> bool {
        self.stream_slot()
            .finished
            .as_ref()
            .is_some_and(|done| !done.load(std::sync::atomic::Ordering::Acquire))
    }

    fn stream_slot(&self) -> std::sync::MutexGuard<'_, StreamSlot> {
        self.inner
            .body_stream
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn from_parts(parts: RequestParts) -> Self {
        Request {
            inner: Arc::new(Inner {
                method: parts.method,
                uri: parts.uri,
                version: parts.version,
                path: parts.path,
                headers: parts.headers,
                // An empty body reads the same set or not; leaving it unset skips the
                // `OnceLock` initialisation (a `Once` call) for every body-less request.
                body: parts
                    .body
                    .filter(|body| !body.is_empty())
                    .map_or_else(OnceLock::new, OnceLock::from),
                path_params: parts.path_params,
                client_addr: parts.client_addr,
                peer_addr: parts.peer_addr,
                https: parts.https,
                app: parts.app,
                query_params: OnceLock::new(),
                cookies: OnceLock::new(),
                extensions: Mutex::new(http::Extensions::new()),
                body_stream: Mutex::new(StreamSlot::default()),
                received_at: Instant::now(),
            }),
        }
    }

    /// Starts a request by hand, for unit-testing a handler without a server. `target` is
    /// the request target as sent on the wire (`/path?query`).
    pub fn builder(method: &str, target: &str) -> RequestBuilder {
        RequestBuilder::new(method, target)
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// The path, percent-decoded (`/files/a%20b` is `/files/a b`).
    pub fn path(&self) -> &str {
        match &self.inner.path {
            Some(decoded) => decoded,
            None => self.inner.uri.path(),
        }
    }

    /// The request target as received, still encoded.
    pub fn uri(&self) -> &Uri {
        &self.inner.uri
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.inner.version
    }

    /// The raw query string, without `?` (empty when there is none).
    pub fn query_string(&self) -> &str {
        self.inner.uri.query().unwrap_or("")
    }

    /// Every query parameter, decoded, with all of its values in order.
    pub fn query_params(&self) -> &HashMap<String, Vec<String>> {
        self.inner
            .query_params
            .get_or_init(|| multi_map(self.query_string().as_bytes()))
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_params()
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// The headers (names are case-insensitive).
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The first value of header `name`, if it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first value of cookie `name`, as sent (no decoding).
    ///
    /// ```
    /// use httpserver::Request;
    /// let req = Request::builder("GET", "/").header("cookie", "theme=dark; seen=1").build();
    /// assert_eq!(req.cookie("theme"), Some("dark"));
    /// assert_eq!(req.cookie("lang"), None);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Every cookie the request carries, as `(name, value)` pairs in the order sent. A
    /// malformed pair is skipped; the others are still read.
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .cookies
            .get_or_init(|| crate::protocol::cookies::parse(&self.inner.headers))
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Attaches `value` to this request, for the handler and the hooks that come after
    /// (Flask's `g`, axum's extensions): one value per type, a second replaces the first.
    /// The handler takes it as [`Ext<T>`](crate::Ext). Every clone of the request sees it.
    ///
    /// ```
    /// use httpserver::Request;
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct UserId(u64);
    /// let req = Request::builder("GET", "/").build();
    /// req.clone().set(UserId(7)); // in a before hook, on its copy
    /// assert_eq!(req.get::<UserId>(), Some(UserId(7)));
    /// ```
    pub fn set<T: Clone + Send + Sync + 'static>(&self, value: T) {
        self.extensions().insert(value);
    }

    /// A copy of the value of type `T` attached with [`set`](Request::set), if any.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.extensions().get::<T>().cloned()
    }

    fn extensions(&self) -> std::sync::MutexGuard<'_, http::Extensions> {
        // Held only to insert or clone one value; a panic there leaves the map whole.
        self.inner
            .extensions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The body, already read in full (empty in a before hook when the body is read after
    /// the hooks accepted the request).
    pub fn body(&self) -> &Bytes {
        static EMPTY: Bytes = Bytes::new();
        self.inner.body.get().unwrap_or(&EMPTY)
    }

    /// The path parameters of the matched route by name, as decoded strings.
    pub fn path_params(&self) -> &PathParams {
        &self.inner.path_params
    }

    /// The client's address: the peer's, unless the peer is one of the app's
    /// [`trusted_proxies`](crate::App::trusted_proxies), in which case it is the client the
    /// proxy reports (with port 0).
    pub fn client_addr(&self) -> SocketAddr {
        self.inner.client_addr
    }

    /// The address at the other end of the connection (a proxy, when there is one).
    pub fn peer_addr(&self) -> SocketAddr {
        self.inner.peer_addr
    }

    /// `"https"` when the request came over this server's TLS (feature `tls`), or when a
    /// [trusted proxy](crate::App::trusted_proxies) reports that the client used HTTPS
    /// (a trusted proxy's report wins over the connection's own scheme); else `"http"`.
    pub fn scheme(&self) -> &'static str {
        if self.inner.https {
            "https"
        } else {
            "http"
        }
    }

    /// When the request was received (its body read), to measure how long answering took.
    pub fn received_at(&self) -> Instant {
        self.inner.received_at
    }

    /// The application: shut it down, or reach its state.
    pub fn app(&self) -> &AppHandle {
        &self.inner.app
    }

    /// The body parsed as JSON: 415 unless the `Content-Type` is `application/json` (or
    /// `application/*+json`), so that a cross-site form posting `text/plain` that happens to
    /// be JSON never reaches a JSON handler; 400 if it is not JSON of that shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        self.require_content_type(MediaType::Json)?;
        serde_json::from_slice(self.body())
            .map_err(|e| HttpError::new(400, format!("invalid JSON body: {e}")))
    }

    /// 415 unless the body is declared as `expected`.
    pub(crate) fn require_content_type(&self, expected: MediaType) -> Result<(), HttpError> {
        let declared = self.header("content-type").unwrap_or("");
        // Compared without case, in place: a lower-cased copy would be an allocation per
        // request with a body.
        let essence = declared.split(';').next().unwrap_or("").trim().as_bytes();
        let is = |name: &str| essence.eq_ignore_ascii_case(name.as_bytes());
        let ok = match expected {
            MediaType::Json => {
                is("application/json")
                    || (essence.len() >= "application/+json".len()
                        && essence[..12].eq_ignore_ascii_case(b"application/")
                        && essence[essence.len() - 5..].eq_ignore_ascii_case(b"+json"))
            }
            MediaType::Form => is("application/x-www-form-urlencoded"),
            MediaType::Multipart => is("multipart/form-data"),
        };
        if ok {
            return Ok(());
        }
        let (what, example) = match expected {
            MediaType::Json => ("a JSON body", "application/json"),
            MediaType::Form => ("a form body", "application/x-www-form-urlencoded"),
            MediaType::Multipart => ("a multipart body", "multipart/form-data; boundary=.."),
        };
        let got = if declared.is_empty() {
            "none".to_owned()
        } else {
            format!("`{declared}`")
        };
        Err(HttpError::new(
            415,
            format!("expected {what} (Content-Type: {example}), got {got}"),
        ))
    }

    /// The body as text; 400 if it is not UTF-8.
    pub fn text(&self) -> Result<&str, HttpError> {
        std::str::from_utf8(self.body())
            .map_err(|e| HttpError::new(400, format!("body is not UTF-8: {e}")))
    }

    /// The body parsed as `application/x-www-form-urlencoded`: 415 if it is declared as
    /// anything else, 400 if it is not UTF-8.
    pub fn form(&self) -> Result<HashMap<String, Vec<String>>, HttpError> {
        self.require_content_type(MediaType::Form)?;
        self.text()?;
        Ok(multi_map(self.body()))
    }
}

#[derive(Default)]
struct StreamSlot {
    stream: Option<BodyStream>,
    finished: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// The body types the extractors check for.
#[derive(Clone, Copy)]
pub(crate) enum MediaType {
    Json,
    Form,
    Multipart,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.inner.method)
            .field("uri", &self.inner.uri)
            .field("client_addr", &self.inner.client_addr)
            .finish_non_exhaustive()
    }
}

fn multi_map(encoded: &[u8]) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form_urlencoded::parse(encoded) {
        map.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    map
}

/// Builds a [`Request`] by hand, for unit tests of handlers. See [`Request::builder`].
#[derive(Debug)]
pub struct RequestBuilder {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    path_params: PathParams,
    app: AppHandle,
}

impl RequestBuilder {
    fn new(method: &str, target: &str) -> Self {
        RequestBuilder {
            method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
            uri: target.parse().unwrap_or_else(|_| Uri::from_static("/")),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            path_params: PathParams::default(),
            app: AppHandle::detached(),
        }
    }

    /// Adds a header; an invalid name or value is ignored.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            self.headers.append(n, v);
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a path parameter, as routing would.
    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        self.path_params.set(name, value.to_owned());
        self
    }

    /// Finishes the request.
    pub fn build(self) -> Request {
        let path = crate::protocol::path::decode_path(self.uri.path()).unwrap_or_default();
        Request::from_parts(RequestParts {
            method: self.method,
            uri: self.uri,
            version: Version::HTTP_11,
            path: Some(path),
            headers: self.headers,
            body: Some(self.body),
            path_params: self.path_params,
            client_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            peer_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            https: false,
            app: self.app,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_compare_without_case() {
        let with = |ct: &str| {
            Request::builder("POST", "/")
                .header("content-type", ct)
                .build()
        };
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+JSON",
            "APPLICATION/+json",
        ] {
            assert!(
                with(ok).require_content_type(MediaType::Json).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "text/plain",
            "application/jsonx",
            "application/+jso",
            "json",
            "",
            "xapplication/a+json",
        ] {
            assert!(
                with(bad).require_content_type(MediaType::Json).is_err(),
                "{bad}"
            );
        }
        assert!(with("Multipart/Form-Data; boundary=x")
            .require_content_type(MediaType::Multipart)
            .is_ok());
        assert!(with("APPLICATION/X-WWW-FORM-URLENCODED")
            .require_content_type(MediaType::Form)
            .is_ok());
    }
}
