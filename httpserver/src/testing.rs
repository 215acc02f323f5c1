//! The in-process test client: requests through the app's whole pipeline, no socket.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cookie::{Cookie, CookieJar};
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::extract::session::SessionKeys;
use crate::pipeline::dispatch::Entry;
use crate::pipeline::stack::Stack;
use crate::protocol::bodiless::sends_no_body;
use crate::response::Body;

/// Sends requests to an app in process, through exactly the pipeline the server uses:
/// the checks of a request head (a request without a `Host` header gets
/// `Host: localhost`, as an HTTP client would send), body limits, before hooks, routing,
/// extraction, the handler, error handlers, after hooks. What it does not have is a
/// connection: no keep-alive, timeouts or lingering close. Made by
/// [`App::test_client`](crate::App::test_client).
///
/// Like a browser, it keeps the cookies responses set (`Set-Cookie`, removals included) and
/// sends them back with later requests whose path is within the cookie's `Path`; clones of
/// a client share its cookies. Turn that off with [`keep_cookies(false)`](Self::keep_cookies).
///
/// ```
/// use httpserver::{collect_routes, post, App, Json};
/// use serde_json::{json, Value};
///
/// #[post("/echo")]
/// async fn echo(Json(v): Json<Value>) -> Json<Value> { Json(v) }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let client = App::new().routes(collect_routes![echo]).test_client();
/// let res = client.post("/echo").json(&json!({"a": 1})).send().await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.json::<Value>()["a"], 1);
/// # });
/// ```
#[derive(Clone)]
pub struct TestClient {
    stack: Stack,
    /// `None` when the client keeps no cookies.
    jar: Option<Arc<Mutex<CookieJar>>>,
}

impl TestClient {
    pub(crate) fn new(stack: Stack) -> Self {
        TestClient {
            stack,
            jar: Some(Arc::default()),
        }
    }

    /// Whether this client keeps cookies between requests (default `true`). With `false`,
    /// each request carries only the `Cookie` header the test gives it.
    pub fn keep_cookies(mut self, keep: bool) -> Self {
        self.jar = keep.then(Arc::default);
        self
    }

    /// The value of the cookie `name` the client holds, if any.
    ///
    /// ```
    /// use httpserver::cookie::Cookie;
    /// use httpserver::{collect_routes, get, App, Response};
    ///
    /// #[get("/visit")]
    /// async fn visit() -> Response {
    ///     Response::new("hi").with_cookie(Cookie::new("seen", "1"))
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new().routes(collect_routes![visit]).test_client();
    /// client.get("/visit").send().await;
    /// assert_eq!(client.cookie("seen").as_deref(), Some("1"));
    /// # });
    /// ```
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.jar.as_ref()?;
        let jar = lock(jar);
        jar.get(name).map(|c| c.value().to_owned())
    }

    /// Puts a cookie in the client's jar, as if a response had set it.
    pub fn set_cookie(&self, cookie: impl Into<Cookie<'static>>) {
        if let Some(jar) = &self.jar {
            lock(jar).add(cookie.into());
        }
    }

    /// A request with any method.
    pub fn request(&self, method: Method, target: &str) -> TestRequest {
        TestRequest {
            stack: self.stack.clone(),
            jar: self.jar.clone(),
            method,
            target: target.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            client_addr: SocketAddr::from(([127, 0, 0, 1], 40000)),
        }
    }

    /// A `GET` request.
    pub fn get(&self, target: &str) -> TestRequest {
        self.request(Method::GET, target)
    }

    /// A `POST` request.
    pub fn post(&self, target: &str) -> TestRequest {
        self.request(Method::POST, target)
    }

    /// A `PUT` request.
    pub fn put(&self, target: &str) -> TestRequest {
        self.request(Method::PUT, target)
    }

    /// A `DELETE` request.
    pub fn delete(&self, target: &str) -> TestRequest {
        self.request(Method::DELETE, target)
    }

    /// A `PATCH` request.
    pub fn patch(&self, target: &str) -> TestRequest {
        self.request(Method::PATCH, target)
    }

    /// Opens a WebSocket on `target` (see [`TestRequest::websocket`]). Feature `ws`.
    #[cfg(feature = "ws")]
    pub async fn websocket(&self, target: &str) -> Result<crate::ws::WebSocket, TestResponse> {
        self.get(target).websocket().await
    }

    /// A `HEAD` request.
    pub fn head(&self, target: &str) -> TestRequest {
        self.request(Method::HEAD, target)
    }

    /// An `OPTIONS` request.
    pub fn options(&self, target: &str) -> TestRequest {
        self.request(Method::OPTIONS, target)
    }
}

/// A request being built by a [`TestClient`]. Invalid input here is a mistake in the
/// test, so it panics with a message saying which.
pub struct TestRequest {
    stack: Stack,
    jar: Option<Arc<Mutex<CookieJar>>>,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Bytes,
    client_addr: SocketAddr,
}

impl TestRequest {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("invalid header name {name:?}: {e}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("invalid header value {value:?}: {e}"));
        self.headers.append(name, value);
        self
    }

    /// Appends `params` (a struct, map or list of pairs) to the query string, encoded.
    pub fn query<T: Serialize + ?Sized>(mut self, params: &T) -> Self {
        let encoded = serde_html_form::to_string(params)
            .unwrap_or_else(|e| panic!("query parameters do not encode: {e}"));
        if !encoded.is_empty() {
            let sep = if self.target.contains('?') { '&' } else { '?' };
            self.target = format!("{}{sep}{encoded}", self.target);
        }
        self
    }

    /// Sends the session's CSRF token in the `X-CSRF-Token` header, as a page's script
    /// does with the token it was served: the request passes the app's CSRF check (see
    /// [`Csrf`](crate::Csrf)) with the check left on. A client without a session gets one,
    /// kept in its cookies, as a first visit to a form would give it.
    ///
    /// Panics if the app has no secret key or the client keeps no cookies: there is then
    /// no session to hold a token.
    ///
    /// ```
    /// use httpserver::{collect_routes, post, App};
    ///
    /// #[post("/tasks")]
    /// async fn create() -> &'static str {
    ///     "created"
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new()
    ///     .secret_key("a secret of at least 32 bytes, from the environment")
    ///     .routes(collect_routes![create])
    ///     .test_client();
    /// assert_eq!(client.post("/tasks").send().await.status(), 403);
    /// assert_eq!(client.post("/tasks").with_csrf_token().send().await.text(), "created");
    /// # });
    /// ```
    pub fn with_csrf_token(self) -> Self {
        let Some(keys) = self.stack.core.handle.state_arc::<SessionKeys>() else {
            panic!("with_csrf_token: the app has no secret key, so no session holds a token");
        };
        let Some(jar) = self.jar.clone() else {
            panic!("with_csrf_token: this client keeps no cookies, so no session holds a token");
        };
        let (token, set_cookie) = {
            let jar = lock(&jar);
            let sealed = jar.get(keys.cookie_name()).map(|c| c.value().to_owned());
            keys.csrf_token_for(sealed.as_deref())
                .unwrap_or_else(|| panic!("with_csrf_token: no token could be made"))
        };
        if let Some(set_cookie) = set_cookie {
            if let Ok(cookie) = Cookie::parse(set_cookie) {
                lock(&jar).add(cookie);
            }
        }
        self.header(crate::config::CSRF_HEADER, &token)
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = serde_json::to_vec(value)
            .unwrap_or_else(|e| panic!("JSON body does not serialize: {e}"));
        self.typed_body(bytes, HeaderValue::from_static("application/json"))
    }

    /// Sets a url-encoded form body and its `Content-Type`.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let encoded = serde_html_form::to_string(value)
            .unwrap_or_else(|e| panic!("form body does not encode: {e}"));
        self.typed_body(
            encoded,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the client address the app sees.
    pub fn client_addr(mut self, addr: SocketAddr) -> Self {
        self.client_addr = addr;
        self
    }

    /// Sets a `multipart/form-data` body (text fields and files) and its `Content-Type`.
    ///
    /// ```
    /// use httpserver::{collect_routes, post, App, HttpError, Multipart, TestMultipart};
    ///
    /// #[post("/upload")]
    /// async fn upload(mut form: Multipart) -> Result<String, HttpError> {
    ///     let mut names = Vec::new();
    ///     while let Some(field) = form.next_field().await? {
    ///         names.push(field.file_name().unwrap_or("-").to_owned());
    ///     }
    ///     Ok(names.join(","))
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new().routes(collect_routes![upload]).test_client();
    /// let form = TestMultipart::new()
    ///     .text("title", "holidays")
    ///     .file("photo", "beach.jpg", "image/jpeg", vec![0xff, 0xd8]);
    /// let res = client.post("/upload").multipart(form).send().await;
    /// assert_eq!(res.text(), "-,beach.jpg");
    /// # });
    /// ```
    pub fn multipart(self, form: TestMultipart) -> Self {
        let (boundary, body) = form.encode();
        let content_type = format!("multipart/form-data; boundary={boundary}");
        match HeaderValue::try_from(content_type) {
            Ok(value) => self.typed_body(body, value),
            Err(e) => panic!("invalid multipart boundary: {e}"),
        }
    }

    fn typed_body(mut self, body: impl Into<Bytes>, content_type: HeaderValue) -> Self {
        self.headers.insert(CONTENT_TYPE, content_type);
        self.body(body)
    }

    /// Sends the request and reads the whole response body (a stream to its end; use
    /// [`send_streaming`](Self::send_streaming) for a stream that does not end).
    pub async fn send(self) -> TestResponse {
        self.send_streaming().await.read_all().await
    }

    /// Sends the request and returns as soon as the response head is ready; read the
    /// body with [`TestStream::chunk`].
    pub async fn send_streaming(self) -> TestStream {
        let (stack, jar, method, client_addr) = (
            self.stack.clone(),
            self.jar.clone(),
            self.method.clone(),
            self.client_addr,
        );
        let request = self.into_http();
        let response = stack.call(request, Entry::Connection, client_addr).await;
        TestStream::received(response, jar.as_deref(), &method)
    }

    /// Opens a WebSocket on the target: sends the handshake (the test's own
    /// `Sec-WebSocket-*` headers win) through the whole pipeline and, when the app answers
    /// 101, returns the client's end of the socket over an in-memory pipe; otherwise the
    /// response, read in full. Feature `ws`.
    ///
    /// ```
    /// use httpserver::ws::{Message, WebSocketUpgrade};
    /// use httpserver::{collect_routes, get, App, Response};
    ///
    /// #[get("/hi")]
    /// async fn hi(ws: WebSocketUpgrade) -> Response {
    ///     ws.on_upgrade(|mut socket| async move {
    ///         let _ = socket.send(Message::Text("hi".into())).await;
    ///     })
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let client = App::new().routes(collect_routes![hi]).test_client();
    /// let mut socket = client.get("/hi").websocket().await.expect("handshake");
    /// assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Text("hi".into()));
    /// let refused = client.get("/hi").header("sec-websocket-version", "8").websocket().await;
    /// assert_eq!(refused.err().unwrap().status(), 426);
    /// # });
    /// ```
    #[cfg(feature = "ws")]
    pub async fn websocket(mut self) -> Result<crate::ws::WebSocket, TestResponse> {
        for (name, value) in [
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
            ("sec-websocket-version", "13"),
            // Any well-formed key will do in process; this is RFC 6455's example.
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ] {
            if !self.headers.contains_key(name) {
                self.headers.insert(name, HeaderValue::from_static(value));
            }
        }
        let (stack, jar, method, client_addr) = (
            self.stack.clone(),
            self.jar.clone(),
            self.method.clone(),
            self.client_addr,
        );
        let mut request = self.into_http();
        let (upgrade, pipe) = crate::ws::test_upgrade();
        request.extensions_mut().insert(upgrade);
        let response = stack.call(request, Entry::Connection, client_addr).await;
        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            return Ok(crate::ws::connect_test_client(response.headers(), pipe).await);
        }
        Err(TestStream::received(response, jar.as_deref(), &method)
            .read_all()
            .await)
    }

    /// The request as the app receives it, with the client's cookies.
    fn into_http(self) -> http::Request<Full<Bytes>> {
        let uri: Uri = self
            .target
            .parse()
            .unwrap_or_else(|e| panic!("invalid request target {:?}: {e}", self.target));
        let mut headers = self.headers;
        // As every HTTP/1.1 client does (Flask's test client too): the request goes through
        // the same checks as one read off a connection, which asks for a `Host`.
        if !headers.contains_key(http::header::HOST) {
            headers.insert(http::header::HOST, HeaderValue::from_static("localhost"));
        }
        if let Some(jar) = &self.jar {
            add_cookie_header(&lock(jar), uri.path(), &mut headers);
        }
        let mut builder = http::Request::builder().method(self.method).uri(uri);
        if let Some(builder_headers) = builder.headers_mut() {
            *builder_headers = headers;
        }
        builder
            .body(Full::new(self.body))
            .unwrap_or_else(|e| panic!("invalid request: {e}"))
    }
}

/// A response read in full by [`TestRequest::send`].
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name`, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body if it is not JSON of that shape.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not the expected JSON ({e}): {}",
                self.text()
            )
        })
    }
}

/// A response whose body is read chunk by chunk, from [`TestRequest::send_streaming`].
pub struct TestStream {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl TestStream {
    /// A response as the client sees it; its cookies go into `jar`.
    fn received(
        response: http::Response<Body>,
        jar: Option<&Mutex<CookieJar>>,
        method: &Method,
    ) -> Self {
        let (parts, body) = response.into_parts();
        let (status, headers) = (parts.status, parts.headers);
        if let Some(jar) = jar {
            keep_cookies(&mut lock(jar), &headers);
        }
        // As on the wire: a HEAD response has the headers of a GET and no body, and 1xx,
        // 204 and 304 responses never carry one.
        let body = if sends_no_body(method, status) {
            Body::empty()
        } else {
            body
        };
        TestStream {
            status,
            headers,
            body,
        }
    }

    /// Reads the rest of the body.
    async fn read_all(mut self) -> TestResponse {
        let mut buf = Vec::new();
        while let Some(chunk) = self.chunk().await {
            buf.extend_from_slice(&chunk);
        }
        TestResponse {
            status: self.status,
            headers: self.headers,
            body: Bytes::from(buf),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next chunk of the body as the app produces it; `None` at the end (or after an
    /// error in the stream, which ends the response as it would on the wire).
    pub async fn chunk(&mut self) -> Option<Bytes> {
        loop {
            match self.body.frame().await? {
                Ok(frame) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => return Some(data),
                    Err(_) => continue,
                },
                Err(_) => return None,
            }
        }
    }
}

fn lock(jar: &Mutex<CookieJar>) -> std::sync::MutexGuard<'_, CookieJar> {
    jar.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `Cookie: a=1; b=2` with the jar's cookies whose `Path` holds `path`, unless the test set
/// a `Cookie` header itself.
fn add_cookie_header(jar: &CookieJar, path: &str, headers: &mut HeaderMap) {
    if headers.contains_key(COOKIE) {
        return;
    }
    let mut pairs: Vec<String> = jar
        .iter()
        .filter(|c| path_matches(c.path().unwrap_or("/"), path))
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    // By name: the jar has no order of its own, and a test's requests should not vary.
    pairs.sort();
    if pairs.is_empty() {
        return;
    }
    if let Ok(value) = HeaderValue::try_from(pairs.join("; ")) {
        headers.insert(COOKIE, value);
    }
}

/// RFC 6265 5.1.4: `/a` holds `/a`, `/a/` and `/a/b`, not `/ab`.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    match request_path.strip_prefix(cookie_path) {
        Some(rest) => cookie_path.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Stores each `Set-Cookie`, and forgets those it expires (`Max-Age=0`, or an `Expires` in
/// the past), as a browser does.
fn keep_cookies(jar: &mut CookieJar, headers: &HeaderMap) {
    let now = cookie::time::OffsetDateTime::now_utc();
    for value in headers.get_all(SET_COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        let Ok(cookie) = Cookie::parse(text.to_owned()) else {
            continue;
        };
        let expired = cookie
            .max_age()
            .is_some_and(|age| age.is_zero() || age.is_negative())
            || cookie.expires_datetime().is_some_and(|at| at <= now);
        if expired {
            jar.force_remove(cookie.name());
        } else {
            jar.add(cookie);
        }
    }
}

/// A `multipart/form-data` body for [`TestRequest::multipart`]: text fields and files, in
/// the order given.
#[derive(Debug, Clone, Default)]
pub struct TestMultipart {
    parts: Vec<TestPart>,
}

#[derive(Debug, Clone)]
struct TestPart {
    name: String,
    file: Option<(String, String)>,
    data: Bytes,
}

impl TestMultipart {
    /// An empty form.
    pub fn new() -> Self {
        TestMultipart::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.parts.push(TestPart {
            name: name.to_owned(),
            file: None,
            data: Bytes::copy_from_slice(value.as_bytes()),
        });
        self
    }

    /// Adds a file field: its file name (sent as given, `../x` included) and content type.
    pub fn file(
        mut self,
        name: &str,
        file_name: &str,
        content_type: &str,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(TestPart {
            name: name.to_owned(),
            file: Some((file_name.to_owned(), content_type.to_owned())),
            data: data.into(),
        });
        self
    }

    /// The boundary and the encoded body. The boundary is one no part contains.
    fn encode(&self) -> (String, Bytes) {
        let mut n = 0u32;
        let boundary = loop {
            let candidate = format!("----httpserver-test-{n:08x}");
            let clash = self.parts.iter().any(|p| {
                p.data
                    .windows(candidate.len())
                    .any(|w| w == candidate.as_bytes())
            });
            if !clash {
                break candidate;
            }
            n += 1;
        };
        let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut body = Vec::new();
        for part in &self.parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!(
                "Content-Disposition: form-data; name=\"{}\"",
                quote(&part.name)
            );
            if let Some((file_name, content_type)) = &part.file {
                disposition.push_str(&format!(
                    "; filename=\"{}\"\r\nContent-Type: {content_type}",
                    quote(file_name)
                ));
            }
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (boundary, Bytes::from(body))
    }
}
