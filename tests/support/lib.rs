//! Helpers shared by the integration tests: start an app on a real socket, and speak
//! HTTP/1.1 to it byte for byte, so tests see exactly what goes over the wire.

use std::net::SocketAddr;
use std::time::Duration;

use httpserver::{App, AppHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

mod h2;
pub mod session_demo;
mod transport;
pub use h2::{h2_exchange, h2_open, tls_handshake, H2Response, TestCertificate};
pub use transport::{exchange, exchange_on_every, Case, Client, MakeApp, Transport};

/// What the app logs (at `filter`, e.g. `"info"` or `"httpserver::access=info"`) while `f`
/// runs on this thread, as plain text lines.
pub async fn logged<F: std::future::Future>(filter: &str, f: F) -> (F::Output, String) {
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let out = f.await;
    let bytes = buffer.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    (out, String::from_utf8_lossy(&bytes).into_owned())
}

/// How long any single read in a test may wait before the test fails instead of hanging.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// An app serving on 127.0.0.1 on a free port, in the test's runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    pub handle: AppHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts `app` (signals off: a test process must stay killable).
    pub async fn start(app: App) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let app = app.handle_signals(false);
        let handle = app.handle();
        let task = tokio::spawn(app.serve(listener));
        TestServer { addr, handle, task }
    }

    /// Opens a connection to the server.
    pub async fn connect(&self) -> Conn {
        Conn::open(self.addr).await
    }

    /// Sends one request on a new connection and reads the response.
    pub async fn send(&self, request: &str) -> HttpResponse {
        self.connect().await.send(request).await
    }

    /// `GET path` with `Connection: close`.
    pub async fn get(&self, path: &str) -> HttpResponse {
        self.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        ))
        .await
    }

    /// Asks for a graceful shutdown and waits until `serve` returns.
    pub async fn stop(self) -> std::io::Result<()> {
        self.handle.shutdown();
        self.join().await
    }

    /// Waits until `serve` returns (after a shutdown asked for elsewhere).
    pub async fn join(self) -> std::io::Result<()> {
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("server did not stop within 60 s")
            .expect("server task panicked")
    }
}

/// A client connection that keeps what it has read but not yet parsed, so pipelined
/// responses can be read one after another.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Writes a request and reads one response.
    pub async fn send(&mut self, request: &str) -> HttpResponse {
        self.write(request.as_bytes()).await;
        self.read_response().await
    }

    /// Reads one response (for a HEAD request use [`Conn::read_head_response`]).
    pub async fn read_response(&mut self) -> HttpResponse {
        self.read_response_inner(false).await
    }

    /// Reads one response to a HEAD request: headers only, whatever they announce.
    pub async fn read_head_response(&mut self) -> HttpResponse {
        self.read_response_inner(true).await
    }

    async fn read_response_inner(&mut self, head_only: bool) -> HttpResponse {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            assert!(
                self.fill().await > 0,
                "connection closed before a full response head: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        };
        let head =
            String::from_utf8(self.buf[..head_end].to_vec()).expect("response head is UTF-8");
        self.buf.drain(..head_end);
        let mut response = HttpResponse::parse_head(&head);
        if head_only || response.status == 204 || response.status == 304 {
            return response;
        }
        if response
            .header("transfer-encoding")
            .is_some_and(|te| te.contains("chunked"))
        {
            response.body = self.read_chunked(&mut response.chunks).await;
        } else if let Some(len) = response.header("content-length") {
            let len: usize = len.parse().expect("numeric content-length");
            while self.buf.len() < len {
                assert!(self.fill().await > 0, "connection closed inside the body");
            }
            response.body = self.buf.drain(..len).collect();
        } else {
            while self.fill().await > 0 {}
            response.body = std::mem::take(&mut self.buf);
        }
        response
    }

    async fn read_chunked(&mut self, chunks: &mut Vec<Vec<u8>>) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                assert!(
                    self.fill().await > 0,
                    "connection closed inside a chunk size"
                );
            };
            let size_text = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .expect("hex chunk size");
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                assert!(self.fill().await > 0, "connection closed inside a chunk");
            }
            let chunk: Vec<u8> = self.buf.drain(..size).collect();
            self.buf.drain(..2);
            if size == 0 {
                return body;
            }
            body.extend_from_slice(&chunk);
            chunks.push(chunk);
        }
    }

    /// Reads more bytes into the buffer; 0 means the peer closed.
    async fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 8192];
        let n = tokio::time::timeout(IO_TIMEOUT, self.stream.read(&mut tmp))
            .await
            .expect("server did not answer within the I/O timeout")
            .unwrap_or(0);
        self.buf.extend_from_slice(&tmp[..n]);
        n
    }

    /// Whether the server closed the connection (reads EOF, or a reset) within `within`.
    pub async fn is_closed_within(&mut self, within: Duration) -> bool {
        let mut tmp = [0u8; 1024];
        loop {
            match tokio::time::timeout(within, self.stream.read(&mut tmp)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(n)) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    /// Everything the server sends until it closes the connection.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        while self.fill().await > 0 {}
        std::mem::take(&mut self.buf)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A parsed response: status line, headers (names lower-cased, in order) and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The chunks of a chunked body, as sent.
    pub chunks: Vec<Vec<u8>>,
}

impl HttpResponse {
    fn parse_head(head: &str) -> HttpResponse {
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_owned();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line has a status");
        let headers = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        HttpResponse {
            status_line,
            status,
            headers,
            body: Vec::new(),
            chunks: Vec::new(),
        }
    }

    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

/// A full HTTP/1.1 request: `method target`, a `Host`, the extra `headers`, a
/// `Content-Length` when `body` is not empty, and `Connection: close` unless `keep_alive`.
pub fn request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
    keep_alive: bool,
) -> String {
    let bytes = request_bytes(method, target, headers, body.as_bytes(), keep_alive);
    String::from_utf8(bytes).expect("a request of text is text")
}

/// [`request`] with a body of any bytes.
pub fn request_bytes(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    keep_alive: bool,
) -> Vec<u8> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    req
}

impl TestServer {
    /// `method target` with `body` (and its `Content-Length`) on a new connection.
    pub async fn call(&self, method: &str, target: &str, body: &str) -> HttpResponse {
        self.send(&request(method, target, &[], body, false)).await
    }

    /// `method target` with extra headers and `body` on a new connection.
    pub async fn call_with(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpResponse {
        self.send(&request(method, target, headers, body, false))
            .await
    }
}

impl HttpResponse {
    /// The methods of the `Allow` header, sorted (whatever the separators).
    pub fn allowed(&self) -> Vec<String> {
        let mut methods: Vec<String> = self
            .header("allow")
            .unwrap_or_else(|| panic!("no Allow header in {self:?}"))
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        methods.sort();
        methods
    }

    /// Asserts the HTTP/1.1 status line `expected` (`HTTP/1.1 418 I'm a teapot`); over
    /// HTTP/2, which has no reason phrase, the status code alone (`HTTP/2 418`).
    #[track_caller]
    pub fn assert_status_line(&self, expected: &str) -> &Self {
        if self.status_line.starts_with("HTTP/2") {
            let code = expected.split(' ').nth(1).unwrap_or_default();
            assert_eq!(self.status_line, format!("HTTP/2 {code}"), "{self:?}");
        } else {
            assert_eq!(self.status_line, expected, "{self:?}");
        }
        self
    }

    /// Asserts the status, with the whole response in the message when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {:?}; response: {self:?}",
            self.text()
        );
        self
    }
}
