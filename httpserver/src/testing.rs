//! The in-process test client: requests through the app's whole pipeline, no socket.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::dispatch::{answer, AppCore};
use crate::response::Body;

/// Sends requests to an app in process, through exactly the pipeline the server uses:
/// body limits, before hooks, routing, extraction, the handler, error handlers, after
/// hooks. Made by [`App::test_client`](crate::App::test_client).
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
    core: Arc<AppCore>,
}

impl TestClient {
    pub(crate) fn new(core: Arc<AppCore>) -> Self {
        TestClient { core }
    }

    /// A request with any method.
    pub fn request(&self, method: Method, target: &str) -> TestRequest {
        TestRequest {
            core: Arc::clone(&self.core),
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
    core: Arc<AppCore>,
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
        let encoded = serde_urlencoded::to_string(params)
            .unwrap_or_else(|e| panic!("query parameters do not encode: {e}"));
        if !encoded.is_empty() {
            let sep = if self.target.contains('?') { '&' } else { '?' };
            self.target = format!("{}{sep}{encoded}", self.target);
        }
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = serde_json::to_vec(value)
            .unwrap_or_else(|e| panic!("JSON body does not serialize: {e}"));
        self.typed_body(bytes, "application/json")
    }

    /// Sets a url-encoded form body and its `Content-Type`.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let encoded = serde_urlencoded::to_string(value)
            .unwrap_or_else(|e| panic!("form body does not encode: {e}"));
        self.typed_body(encoded, "application/x-www-form-urlencoded")
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

    fn typed_body(mut self, body: impl Into<Bytes>, content_type: &'static str) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.body(body)
    }

    /// Sends the request and reads the whole response body (a stream to its end; use
    /// [`send_streaming`](Self::send_streaming) for a stream that does not end).
    pub async fn send(self) -> TestResponse {
        let mut res = self.send_streaming().await;
        let mut buf = Vec::new();
        while let Some(chunk) = res.chunk().await {
            buf.extend_from_slice(&chunk);
        }
        TestResponse {
            status: res.status,
            headers: res.headers,
            body: Bytes::from(buf),
        }
    }

    /// Sends the request and returns as soon as the response head is ready; read the
    /// body with [`TestStream::chunk`].
    pub async fn send_streaming(self) -> TestStream {
        let uri: Uri = self
            .target
            .parse()
            .unwrap_or_else(|e| panic!("invalid request target {:?}: {e}", self.target));
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(uri);
        if let Some(headers) = builder.headers_mut() {
            *headers = self.headers;
        }
        let (head, ()) = builder
            .body(())
            .unwrap_or_else(|e| panic!("invalid request: {e}"))
            .into_parts();
        let response = answer(&self.core, head, Full::new(self.body), self.client_addr).await;
        let (status, headers, body) = response.into_parts();
        // As on the wire: a HEAD response has the headers of a GET and no body, and 1xx,
        // 204 and 304 responses never carry one.
        let bodiless = status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let body = if self.method == Method::HEAD || bodiless {
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
