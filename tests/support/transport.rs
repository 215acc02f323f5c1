//! One request, two roads: over a real socket ([`TestServer`]) or through the in-process
//! test client (`app.test_client()`), read back as the same [`HttpResponse`], so that a
//! test whose subject is not the wire runs on both and proves they agree.
//!
//! ```no_run
//! use httpserver::App;
//! use httpserver_suite::{Client, Transport};
//!
//! async fn the_test(t: Transport) {
//!     let client = Client::start(App::new(), t).await;
//!     client.get("/nope").await.assert_status(404);
//! }
//! // `#[tokio::test]`s named `the_test::socket` and `the_test::in_process`:
//! httpserver_suite::on_both_transports!(the_test);
//! ```

use bytes::Bytes;
use httpserver::{App, Method, TestClient, TestResponse};

use crate::{request_bytes, HttpResponse, TestServer};

/// How a request reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP/1.1 bytes over a TCP connection to the app serving on 127.0.0.1.
    Socket,
    /// `app.test_client()`: the same pipeline, no socket.
    InProcess,
}

impl Transport {
    /// Both, socket first.
    pub const ALL: [Transport; 2] = [Transport::Socket, Transport::InProcess];
}

/// An app ready to answer, over either transport. Every request carries the same header
/// lines on both: `Host: test`, the extra headers, `Content-Length` when there is a body,
/// and `Connection: close`; so the app sees the same request whichever road it took.
pub struct Client {
    inner: Inner,
}

enum Inner {
    Socket(TestServer),
    InProcess(TestClient),
}

impl Client {
    /// Serves `app` over `transport` (on a free port for [`Transport::Socket`]).
    pub async fn start(app: App, transport: Transport) -> Client {
        let inner = match transport {
            Transport::Socket => Inner::Socket(TestServer::start(app).await),
            Transport::InProcess => Inner::InProcess(app.test_client()),
        };
        Client { inner }
    }

    pub fn transport(&self) -> Transport {
        match self.inner {
            Inner::Socket(_) => Transport::Socket,
            Inner::InProcess(_) => Transport::InProcess,
        }
    }

    /// The server, for the socket transport (to open a connection of one's own).
    pub fn server(&self) -> Option<&TestServer> {
        match &self.inner {
            Inner::Socket(server) => Some(server),
            Inner::InProcess(_) => None,
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
        }
    }

    /// Stops the server (socket transport); nothing to do in process.
    pub async fn stop(self) {
        if let Inner::Socket(server) = self.inner {
            server.stop().await.expect("server stops cleanly");
        }
    }
}

/// Builds a fresh app, for [`exchange_on_both`] tables.
pub type MakeApp = fn() -> App;

/// A request of an [`exchange_on_both`] table: the app, method, target, extra headers, body.
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
/// responses agree (see [`HttpResponse::assert_same_as`]) and returns the socket's.
pub async fn exchange_on_both(
    make_app: impl Fn() -> App,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let wire = exchange(make_app(), Transport::Socket, method, target, headers, body).await;
    let in_process = exchange(
        make_app(),
        Transport::InProcess,
        method,
        target,
        headers,
        body,
    )
    .await;
    in_process.assert_same_as(&wire, &format!("{method} {target}"));
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

    /// Asserts that two responses to the same request are the same: status line, the
    /// app's headers (in order) and body.
    #[track_caller]
    pub fn assert_same_as(&self, other: &HttpResponse, what: &str) {
        assert_eq!(self.status_line, other.status_line, "{what}: status line");
        assert_eq!(self.app_headers(), other.app_headers(), "{what}: headers");
        assert!(
            self.body == other.body,
            "{what}: bodies differ:\n  {:?}\n  {:?}",
            self.text(),
            other.text()
        );
    }
}

/// For each async fn `name(t: Transport)` listed, a module `name` with two tests,
/// `name::socket` and `name::in_process`, that run it over each transport. A test
/// attribute other than `#[tokio::test]` may come first, for them all:
/// `on_both_transports!(#[tokio::test(flavor = "multi_thread")] a, b);`.
#[macro_export]
macro_rules! on_both_transports {
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
            }
        )+
    };
    ($($name:ident),+ $(,)?) => {
        $crate::on_both_transports!(#[tokio::test] $($name),+);
    };
}
