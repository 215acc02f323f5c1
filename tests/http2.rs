//! HTTP/2 in cleartext with prior knowledge (feature `http2`), on the same port as
//! HTTP/1.1, over real sockets: hyper's HTTP/2 client drives streams frame by frame, and
//! curl checks the protocol as a user's client would see it.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use httpserver::{collect_routes, get, post, App, Event, HttpError, Request, Sse, State};
use httpserver_suite::{TestServer, IO_TIMEOUT};
use hyper::client::conn::http2::{handshake, SendRequest};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::Notify;

#[get("/hello")]
async fn hello() -> &'static str {
    "Hello, World!"
}

#[get("/users/<int:id>")]
async fn user(id: i64) -> String {
    format!("user {id}")
}

#[post("/echo", max_body_size = 2 * 1024 * 1024)]
async fn echo(req: Request) -> Bytes {
    req.body().clone()
}

#[get("/panic")]
async fn panics() -> &'static str {
    panic!("a handler bug")
}

#[get("/version")]
async fn version(req: Request) -> String {
    format!("{:?} {}", req.version(), req.scheme())
}

/// Lets a test see a handler start, and decide when it may go on.
#[derive(Default)]
struct Gate {
    started: Notify,
    go_on: Notify,
}

#[get("/slow")]
async fn slow(gate: State<Arc<Gate>>) -> &'static str {
    gate.started.notify_one();
    gate.go_on.notified().await;
    "slow done"
}

#[get("/events")]
async fn events(gate: State<Arc<Gate>>) -> Sse {
    let (tx, sse) = Sse::channel(4);
    let gate = Arc::clone(&gate);
    tokio::spawn(async move {
        let _ = tx.send(Event::default().data("first")).await;
        // The second event waits for the test, which must already hold the first.
        gate.go_on.notified().await;
        let _ = tx.send(Event::default().data("second")).await;
    });
    sse
}

#[get("/too-big")]
async fn too_big() -> Result<&'static str, HttpError> {
    Err(HttpError::new(413, "too big"))
}

fn app(gate: &Arc<Gate>) -> App {
    App::new()
        .routes(collect_routes![
            hello, user, echo, panics, version, slow, events, too_big
        ])
        .state(Arc::clone(gate))
        .access_log(false)
}

async fn start() -> (TestServer, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    (TestServer::start(app(&gate)).await, gate)
}

/// An HTTP/2 connection with prior knowledge: the preface first, no upgrade, no TLS.
async fn h2(server: &TestServer) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (send, connection) = handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    send
}

fn get_request(server: &TestServer, path: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(format!("http://{}{path}", server.addr))
        .body(Full::new(Bytes::new()))
        .expect("request")
}

async fn call(
    send: &mut SendRequest<Full<Bytes>>,
    request: http::Request<Full<Bytes>>,
) -> (http::StatusCode, Bytes) {
    let response = tokio::time::timeout(IO_TIMEOUT, send.send_request(request))
        .await
        .expect("response within the timeout")
        .expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    let status = response.status();
    let body = tokio::time::timeout(IO_TIMEOUT, response.into_body().collect())
        .await
        .expect("body within the timeout")
        .expect("body")
        .to_bytes();
    (status, body)
}

#[tokio::test]
async fn prior_knowledge_and_http1_share_one_port() {
    let (server, _) = start().await;
    let mut send = h2(&server).await;
    let (status, body) = call(&mut send, get_request(&server, "/hello")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"Hello, World!"[..]));
    let (_, body) = call(&mut send, get_request(&server, "/version")).await;
    assert_eq!(&body[..], b"HTTP/2.0 http");
    // The same port still speaks HTTP/1.1.
    let res = server.get("/version").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "HTTP/1.1 http");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn concurrent_streams_on_one_connection() {
    let (server, _) = start().await;
    let send = h2(&server).await;
    let calls = (0..64).map(|id| {
        let mut send = send.clone();
        let request = get_request(&server, &format!("/users/{id}"));
        async move { (id, call(&mut send, request).await) }
    });
    for (id, (status, body)) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200);
        assert_eq!(body, format!("user {id}"));
    }
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn request_bodies_and_their_limit() {
    let (server, _) = start().await;
    let mut send = h2(&server).await;
    let payload: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let post = |body: Vec<u8>| {
        http::Request::post(format!("http://{}/echo", server.addr))
            .body(Full::new(Bytes::from(body)))
            .expect("request")
    };
    let (status, body) = call(&mut send, post(payload.clone())).await;
    assert_eq!(status, 200);
    assert!(body == payload, "the 1 MiB body came back changed");
    // Over the route's 2 MiB: 413, and the connection serves on.
    let (status, _) = call(&mut send, post(vec![b'x'; 3 * 1024 * 1024])).await;
    assert_eq!(status, 413);
    let (status, _) = call(&mut send, get_request(&server, "/hello")).await;
    assert_eq!(status, 200);
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_handler_panic_is_a_500_and_the_connection_serves_on() {
    let (server, _) = start().await;
    let mut send = h2(&server).await;
    let (status, _) = call(&mut send, get_request(&server, "/panic")).await;
    assert_eq!(status, 500);
    let (status, _) = call(&mut send, get_request(&server, "/too-big")).await;
    assert_eq!(status, 413);
    let (status, body) = call(&mut send, get_request(&server, "/hello")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"Hello, World!"[..]));
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn sse_events_arrive_one_by_one() {
    let (server, gate) = start().await;
    let mut send = h2(&server).await;
    let response = send
        .send_request(get_request(&server, "/events"))
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut received = Vec::new();
    // The first event arrives while the producer is still waiting for the test.
    while !received.ends_with(b"\n\n") {
        let frame = tokio::time::timeout(IO_TIMEOUT, body.frame())
            .await
            .expect("the first event before the second is produced")
            .expect("a frame")
            .expect("frame ok");
        if let Ok(data) = frame.into_data() {
            received.extend_from_slice(&data);
        }
    }
    assert_eq!(received, b"data: first\n\n");
    gate.go_on.notify_one();
    let rest = tokio::time::timeout(IO_TIMEOUT, body.collect())
        .await
        .expect("the stream ends")
        .expect("body")
        .to_bytes();
    assert_eq!(&rest[..], b"data: second\n\n");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn shutdown_sends_goaway_and_finishes_the_streams_in_flight() {
    let (server, gate) = start().await;
    let mut send = h2(&server).await;
    let in_flight = tokio::spawn({
        let mut send = send.clone();
        let request = get_request(&server, "/slow");
        async move { call(&mut send, request).await }
    });
    gate.started.notified().await;
    server.handle.shutdown();
    // GOAWAY arrives: the client refuses new streams on this connection.
    let refused = tokio::time::timeout(IO_TIMEOUT, async {
        loop {
            if send.ready().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            if send.is_closed() {
                return;
            }
        }
    });
    gate.go_on.notify_one();
    let (status, body) = in_flight.await.expect("in-flight call");
    assert_eq!((status.as_u16(), &body[..]), (200, &b"slow done"[..]));
    refused.await.expect("the connection closes after GOAWAY");
    server.join().await.expect("clean stop");
}

#[tokio::test]
async fn draining_sends_goaway_while_new_connections_are_served() {
    let (server, _) = start().await;
    let mut send = h2(&server).await;
    let (status, _) = call(&mut send, get_request(&server, "/hello")).await;
    assert_eq!(status, 200);
    server.handle.start_draining();
    tokio::time::timeout(IO_TIMEOUT, async {
        while send.ready().await.is_ok() && !send.is_closed() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("GOAWAY closes the idle HTTP/2 connection when draining starts");
    // Still accepting: a new connection is answered.
    let mut again = h2(&server).await;
    let (status, _) = call(&mut again, get_request(&server, "/hello")).await;
    assert_eq!(status, 200);
    server.stop().await.expect("clean stop");
}

/// curl, as users run it: `--http2-prior-knowledge` speaks HTTP/2 at once, plain `curl`
/// HTTP/1.1, on the same port.
#[tokio::test]
async fn curl_speaks_both_protocols_to_one_port() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed; skipped");
        return;
    }
    let (server, _) = start().await;
    let url = format!("http://{}/hello", server.addr);
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let out = Command::new("curl")
                .args(&args)
                .output()
                .expect("curl runs");
            assert!(out.status.success(), "curl {args:?}: {out:?}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    let h2 = run(vec![
        "-sS".into(),
        "--http2-prior-knowledge".into(),
        "-w".into(),
        " %{http_version}".into(),
        url.clone(),
    ]);
    let h1 = run(vec![
        "-sS".into(),
        "-w".into(),
        " %{http_version}".into(),
        url,
    ]);
    assert_eq!(h2.await.expect("curl"), "Hello, World! 2");
    assert_eq!(h1.await.expect("curl"), "Hello, World! 1.1");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_keep_alive_timeout() {
    let gate = Arc::new(Gate::default());
    let app = app(&gate).keep_alive_timeout(Duration::from_millis(300));
    let server = TestServer::start(app).await;
    let mut send = h2(&server).await;
    let (status, _) = call(&mut send, get_request(&server, "/hello")).await;
    assert_eq!(status, 200);
    tokio::time::timeout(IO_TIMEOUT, async {
        while send.ready().await.is_ok() && !send.is_closed() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the idle HTTP/2 connection is closed");
    server.stop().await.expect("clean stop");
}

/// The raw preface, as RFC 9113 3.4 has it: the server answers with its SETTINGS frame; a
/// preface that goes wrong after its first line ends the connection, and the server
/// serves on.
#[tokio::test]
async fn the_raw_preface_gets_settings_and_a_broken_one_a_close() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, _) = start().await;
    let mut good = TcpStream::connect(server.addr).await.expect("connect");
    good.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("write");
    let mut head = [0u8; 9];
    tokio::time::timeout(IO_TIMEOUT, good.read_exact(&mut head))
        .await
        .expect("a frame within the timeout")
        .expect("read");
    assert_eq!(head[3], 0x4, "the first frame is SETTINGS: {head:?}");

    let mut broken = TcpStream::connect(server.addr).await.expect("connect");
    broken
        .write_all(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        .await
        .expect("write");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(IO_TIMEOUT, broken.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "a broken preface closes the connection");
    assert!(
        !String::from_utf8_lossy(&rest).contains("HTTP/1.1"),
        "{rest:?}"
    );
    assert_eq!(server.get("/hello").await.status, 200);
    // A client that sent the preface and then nothing does not hold up the shutdown for
    // the grace period (30 s): its connection has no streams.
    let stopping = std::time::Instant::now();
    server.stop().await.expect("clean stop");
    assert!(
        stopping.elapsed() < Duration::from_secs(15),
        "{:?}",
        stopping.elapsed()
    );
    drop(good);
}

/// `curl -I` over h2c and over h2 with TLS: a HEAD answer is a HEADERS frame that ends the
/// stream, with the length a GET's body would have (it was a PROTOCOL_ERROR: the HEADERS
/// lacked END_STREAM and a DATA frame followed).
#[tokio::test]
async fn head_is_answered_with_headers_alone_over_h2c_and_h2_tls() {
    let gate = Arc::new(Gate::default());
    let cert = httpserver_suite::TestCertificate::new();
    let h2c = TestServer::start(app(&gate)).await;
    let tls = TestServer::start(app(&gate).tls(cert.server)).await;
    let cases = [
        vec![
            "--http2-prior-knowledge".to_owned(),
            format!("http://{}/hello", h2c.addr),
        ],
        vec![
            "--http2".to_owned(),
            "--insecure".to_owned(),
            format!("https://localhost:{}/hello", tls.addr.port()),
        ],
    ];
    for args in cases {
        let out = tokio::task::spawn_blocking(move || {
            Command::new("curl")
                .args(["-sS", "-I", "--max-time", "10"])
                .args(&args)
                .output()
                .expect("curl runs")
        })
        .await
        .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        assert!(out.status.success(), "curl -I: {out:?}");
        assert!(text.starts_with("http/2 200"), "{text}");
        assert!(text.contains("content-length: 13"), "{text}");
    }
    // hyper's client too: the body is empty and ends cleanly.
    let mut send = h2(&h2c).await;
    let head = http::Request::head(format!("http://{}/hello", h2c.addr))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let (status, body) = call(&mut send, head).await;
    assert_eq!((status.as_u16(), body.len()), (200, 0));
    let (status, body) = call(&mut send, get_request(&h2c, "/hello")).await;
    assert_eq!((status.as_u16(), &body[..]), (200, &b"Hello, World!"[..]));
    h2c.stop().await.expect("clean stop");
    tls.stop().await.expect("clean stop");
}
