//! Clients that stop reading their response: after `send_timeout` without a byte taken,
//! an HTTP/1.1 connection is closed (so such clients cannot hold `max_connections` slots
//! for good) and an HTTP/2 stream held back by its flow-control window is reset (its
//! response freed), while the connection serves on. A slow reader that keeps taking
//! bytes is never cut.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http_body_util::{BodyExt, Empty};
use httpserver::{collect_routes, get, App, State, StreamingResponse};
use httpserver_suite::{TestCertificate, TestServer, IO_TIMEOUT};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::rustls::pki_types::ServerName;

// Three times the slow reader's pause, so that a loaded machine does not turn the pause
// into a stall.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);
const MIB: usize = 1024 * 1024;

#[get("/big")]
async fn big() -> Bytes {
    Bytes::from(vec![b'b'; 4 * MIB])
}

#[get("/one-mib")]
async fn one_mib() -> Bytes {
    Bytes::from(vec![b'm'; MIB])
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

/// Tells the test when the server drops a response body.
struct Dropped(Arc<Notify>);

/// 64 KiB chunks without end, telling `Dropped` when the server lets go of them.
struct Endless(Arc<Notify>);

impl Stream for Endless {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        Poll::Ready(Some(Bytes::from(vec![b'e'; 64 * 1024])))
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

#[get("/endless")]
async fn endless(dropped: State<Dropped>) -> StreamingResponse {
    StreamingResponse::new(Endless(Arc::clone(&dropped.0)))
}

fn app(dropped: &Arc<Notify>) -> App {
    App::new()
        .routes(collect_routes![big, one_mib, ping, endless])
        .state(Dropped(Arc::clone(dropped)))
        .send_timeout(SEND_TIMEOUT)
        .access_log(false)
}

/// Twenty clients that ask for 4 MiB and never read fill a server of twenty connections;
/// each is closed after the send timeout, and the next client is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_stop_reading_cannot_hold_every_connection() {
    let dropped = Arc::new(Notify::new());
    let server = TestServer::start(app(&dropped).max_connections(20)).await;
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream
            .write_all(b"GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        stalled.push(stream);
    }
    let res = tokio::time::timeout(IO_TIMEOUT, server.get("/ping"))
        .await
        .expect("a new client is served once the stalled ones time out");
    assert_eq!(res.text(), "pong");
    // All twenty stalled at about the same time; well past their send timeout, every one
    // has been closed: reading on ends before the 4 MiB.
    tokio::time::sleep(SEND_TIMEOUT * 4).await;
    for mut stream in stalled {
        let mut got = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tokio::time::timeout(IO_TIMEOUT, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => got += n,
                Err(_) => panic!("a stalled connection stayed open"),
            }
        }
        assert!(got < 4 * MIB, "the whole response arrived ({got} bytes)");
    }
    server.stop().await.expect("clean stop");
}

/// A client reading in bursts, with pauses of 0.3 s (the send timeout is 1 s), gets it all.
#[tokio::test]
async fn a_slow_reader_that_keeps_reading_is_not_cut() {
    let dropped = Arc::new(Notify::new());
    let server = TestServer::start(app(&dropped)).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /one-mib HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let n = tokio::time::timeout(IO_TIMEOUT, stream.read(&mut buf))
            .await
            .expect("read within the timeout")
            .expect("read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let body_start = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    assert_eq!(got.len() - body_start, MIB, "the whole body arrived");
    server.stop().await.expect("clean stop");
}

/// An HTTP/2 client whose stream window is zero: the stream is reset after the send
/// timeout and its response dropped; the connection answers another stream.
async fn a_stream_held_back_by_its_window_is_reset<S>(
    stream: S,
    server: TestServer,
    dropped: Arc<Notify>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut send, connection) = http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(0)
        .handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    let request = |path: &str, method: &str| {
        http::Request::builder()
            .method(method)
            .uri(format!("http://test{path}"))
            .body(Empty::<Bytes>::new())
            .expect("request")
    };
    let response = tokio::time::timeout(IO_TIMEOUT, send.send_request(request("/endless", "GET")))
        .await
        .expect("the head within the timeout")
        .expect("response");
    assert_eq!(response.status(), 200);
    tokio::time::timeout(IO_TIMEOUT, dropped.notified())
        .await
        .expect("the held-back response is dropped after the send timeout");
    let ended = tokio::time::timeout(IO_TIMEOUT, response.into_body().collect())
        .await
        .expect("the stream ends");
    let reset = ended.expect_err("the stream was reset, not completed");
    assert!(format!("{reset:?}").contains("CANCEL"), "{reset:?}");
    // The connection serves on: a HEAD needs no window.
    let head = tokio::time::timeout(IO_TIMEOUT, send.send_request(request("/ping", "HEAD")))
        .await
        .expect("an answer within the timeout")
        .expect("response");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "4");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn h2c_a_stream_held_back_by_its_window_is_reset() {
    let dropped = Arc::new(Notify::new());
    let server = TestServer::start(app(&dropped)).await;
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    a_stream_held_back_by_its_window_is_reset(stream, server, dropped).await;
}

#[tokio::test]
async fn h2_tls_a_stream_held_back_by_its_window_is_reset() {
    let dropped = Arc::new(Notify::new());
    let cert = TestCertificate::new();
    let server = TestServer::start(app(&dropped).tls(cert.server)).await;
    let tcp = TcpStream::connect(server.addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("server name");
    let stream = cert.client.connect(name, tcp).await.expect("TLS handshake");
    a_stream_held_back_by_its_window_is_reset(stream, server, dropped).await;
}
