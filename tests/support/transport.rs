//! One request, four roads: HTTP/1.1 over a real socket ([`TestServer`]), HTTP/2 with prior
//! knowledge (h2c), HTTP/2 over TLS (ALPN `h2`), or through the in-process test client
//! (`app.test_client()`), each read back as the same [`HttpResponse`], so that a test whose
//! subject is not one protocol runs on all of them and proves they agree.
//!
//! ```no_run
//! use httpserver::App;
//! use httpserver_suite::{Client, Transport};
//!
//! async fn the_test(t: Transport) {
//!     let client = Client::start(App::new(), t).await;
//!     client.get("/nope").await.assert_status(404);
//! }
//! // `#[tokio::test]`s named `the_test::socket`, `the_test::in_process`, `the_test::h2c`
//! // and `the_test::h2_tls`:
//! httpserver_suite::on_every_transport!(the_test);
//! ```

use bytes::Bytes;
use httpserver::{App, Method, TestClient, TestResponse};

use crate::h2::{h2_exchange, h2_open, H2Response, TestCertificate};
use crate::{request_bytes, HttpResponse, TestServer};

/// How a request reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP/1.1 bytes over a TCP connection to the app serving on 127.0.0.1.
    Socket,
    /// `app.test_client()`: the same pipeline, no socket.
    InProcess,
    /// HTTP/2 in cleartext with prior knowledge, on the same port as HTTP/1.1.
    H2c,
    /// HTTP/2 over TLS, chosen by ALPN, with a certificate made for the test.
    H2Tls,
}

impl Transport {
    /// All four, HTTP/1.1 over the socket first.
    pub const ALL: [Transport; 4] = [
        Transport::Socket,
        Transport::InProcess,
        Transport::H2c,
        Transport::H2Tls,
    ];

    /// Whether requests go over HTTP/2.
    pub fn is_http2(self) -> bool {
        matches!(self, Transport::H2c | Transport::H2Tls)
    }
}

/// An app ready to answer, over any transport. Every request carries the same headers on
/// each: `Host: test` (`:authority` over HTTP/2), the extra headers, `Content-Length` when
/// there is a body, and over HTTP/1.1 `Connection: close`; so the app sees the same request
/// whichever road it took.
pub struct Client {
    inner: Inner,
}

enum Inner {
    Socket(TestServer),
    InProcess(TestClient),
    H2c(TestServer),
    H2Tls(TestServer, tokio_rustls::TlsConnector),
}

impl Client {
    /// Serves `app` over `transport` (on a free port, but in process).
    pub async fn start(app: App, transport: Transport) -> Client {
        let inner = match transport {
            Transport::Socket => Inner::Socket(TestServer::start(app).await),
            Transport::InProcess => Inner::InProcess(app.test_client()),
            Transport::H2c => Inner::H2c(TestServer::start(app).await),
            Transport::H2Tls => {
                let cert = TestCertificate::new();
                Inner::H2Tls(TestServer::start(app.tls(cert.server)).await, cert.client)
            }
        };
        Client { inner }
    }

    pub fn transport(&self) -> Transport {
        match self.inner {
            Inner::Socket(_) => Transport::Socket,
            Inner::InProcess(_) => Transport::InProcess,
            Inner::H2c(_) => Transport::H2c,
            Inner::H2Tls(..) => Transport::H2Tls,
        }
    }

    /// The server, for the HTTP/1.1 socket transport (to open a connection of one's own
    /// and speak HTTP/1.1 byte for byte).
    pub fn server(&self) -> Option<&TestServer> {
        match &self.inner {
            Inner::Socket(server) => Some(server),
            _ => None,
        }
    }

    /// `GET target`.
    pub async fn get(&self, target: &str) -> HttpResponse {
        self.exchange("GET", target, &[], b"").await
    }

    /// `method target` with `body`.
    pub async fn call(&self, method: &str, target: &str, body: &str) -> HttpResponse {
        self.exchange(method, target, &[], body.as_bytes()).await
    }

    /// `method target` with extra headers and `body`.
    pub async fn call_with(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpResponse {
        self.exchange(method, target, headers, body.as_bytes())
            .await
    }

    /// `method target` with extra headers and a body of any bytes. A HEAD response has an
    /// empty body on both transports.
    pub async fn exchange(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        match &self.inner {
            Inner::Socket(server) => {
                let mut conn = server.connect().await;
                conn.write(&request_bytes(method, target, headers, body, false))
                    .await;
                if method.eq_ignore_ascii_case("HEAD") {
                    conn.read_head_response().await
                } else {
                    conn.read_response().await
                }
            }
            Inner::InProcess(client) => {
                let method = Method::from_bytes(method.as_bytes())
                    .unwrap_or_else(|e| panic!("invalid method {method:?}: {e}"));
                let mut req = client.request(method, target).header("host", "test");
                for (name, value) in headers {
                    req = req.header(name, value);
                }
                if !body.is_empty() {
                    req = req.header("content-length", &body.len().to_string());
                }
                let res = req
                    .header("connection", "close")
                    .body(Bytes::copy_from_slice(body))
                    .send()
                    .await;
                HttpResponse::from_test_response(&res)
            }
            Inner::H2c(server) => {
                h2_exchange(server.addr, None, method, target, headers, body).await
            }
            Inner::H2Tls(server, tls) => {
                h2_exchange(server.addr, Some(tls), method, target, headers, body).await
            }
        }
    }

    /// Sends a request over HTTP/2 and returns once its response head has arrived, for a
    /// body read frame by frame. `None` on the other transports.
    pub async fn open_h2(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<H2Response> {
        let (server, tls) = match &self.inner {
            Inner::H2c(server) => (server, None),
            Inner::H2Tls(server, tls) => (server, Some(tls)),
            _ => return None,
        };
        Some(h2_open(server.addr, tls, method, target, headers, body).await)
    }

    /// The server, on every transport but in process.
    pub fn into_server(self) -> Option<TestServer> {
        match self.inner {
            Inner::Socket(server) | Inner::H2c(server) | Inner::H2Tls(server, _) => Some(server),
            Inner::InProcess(_) => None,
        }
    }

    /// Stops the server; nothing to do in process.
    pub async fn stop(self) {
        match self.inner {
            Inner::Socket(server) | Inner::H2c(server) | Inner::H2Tls(server, _) => {
                server.stop().await.expect("server stops cleanly")
            }
            Inner::InProcess(_) => {}
        }
    }
}

/// Builds a fresh app, for [`exchange_on_every`] tables.
pub type MakeApp = fn() -> App;

/// A request of an [`exchange_on_every`] table: the app, method, target, extra headers, body.
pub type Case<'a> = (
    MakeApp,
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [u8],
);

/// Sends one request to `app` over `transport` and returns the response.
pub async fn exchange(
    app: App,
    transport: Transport,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let client = Client::start(app, transport).await;
    let res = client.exchange(method, target, headers, body).await;
    client.stop().await;
    res
}

/// Sends the same request to a fresh `make_app()` over each transport, asserts that the
/// responses agree (see [`HttpResponse::assert_same_as`]) and returns the HTTP/1.1 socket's.
pub async fn exchange_on_every(
    make_app: impl Fn() -> App,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let wire = exchange(make_app(), Transport::Socket, method, target, headers, body).await;
    for transport in &Transport::ALL[1..] {
        let other = exchange(make_app(), *transport, method, target, headers, body).await;
        other.assert_same_as(&wire, &format!("{method} {target} ({transport:?})"));
    }
    wire
}

/// Headers that belong to the connection, not to the app's answer: the server adds them
/// on the wire (`date`, framing, `connection: close` echoing the request's), the test
/// client does not.
const TRANSPORT_HEADERS: [&str; 4] = ["date", "content-length", "transfer-encoding", "connection"];

impl HttpResponse {
    /// The response the test client read, in the shape the socket client reads: the
    /// status line hyper would write, headers lower-cased in order, the body.
    pub fn from_test_response(res: &TestResponse) -> HttpResponse {
        let status = res.status();
        let headers = res
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).trim().to_owned(),
                )
            })
            .collect();
        HttpResponse {
            status_line: format!(
                "HTTP/1.1 {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("<none>")
            ),
            status: status.as_u16(),
            headers,
            body: res.bytes().to_vec(),
            chunks: Vec::new(),
        }
    }

    /// The headers without those of the transport (`date`, `content-length`,
    /// `transfer-encoding`, `connection`), in order.
    pub fn app_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(k, _)| !TRANSPORT_HEADERS.contains(&k.as_str()))
            .cloned()
            .collect()
    }

    /// Asserts that two responses to the same request are the same: status (the whole
    /// status line between two HTTP/1.1 responses), the app's headers (in order) and body.
    #[track_caller]
    pub fn assert_same_as(&self, other: &HttpResponse, what: &str) {
        let http2 = |res: &HttpResponse| res.status_line.starts_with("HTTP/2");
        if http2(self) || http2(other) {
            assert_eq!(self.status, other.status, "{what}: status");
        } else {
            assert_eq!(self.status_line, other.status_line, "{what}: status line");
        }
        assert_eq!(self.app_headers(), other.app_headers(), "{what}: headers");
        assert!(
            self.body == other.body,
            "{what}: bodies differ:\n  {:?}\n  {:?}",
            self.text(),
            other.text()
        );
    }
}

/// For each async fn `name(t: Transport)` listed, a module `name` with four tests,
/// `name::socket`, `name::in_process`, `name::h2c` and `name::h2_tls`, that run it over
/// each transport. A test attribute other than `#[tokio::test]` may come first, for them
/// all: `on_every_transport!(#[tokio::test(flavor = "multi_thread")] a, b);`.
#[macro_export]
macro_rules! on_every_transport {
    (#[$test:meta] $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[$test]
                async fn socket() {
                    super::$name($crate::Transport::Socket).await
                }

                #[$test]
                async fn in_process() {
                    super::$name($crate::Transport::InProcess).await
                }

                #[$test]
                async fn h2c() {
                    super::$name($crate::Transport::H2c).await
                }

                #[$test]
                async fn h2_tls() {
                    super::$name($crate::Transport::H2Tls).await
                }
            }
        )+
    };
    ($($name:ident),+ $(,)?) => {
        $crate::on_every_transport!(#[tokio::test] $($name),+);
    };
}
