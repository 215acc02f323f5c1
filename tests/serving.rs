//! Connections: keep-alive, pipelining, body limits, read timeouts, panics, malformed
//! requests, graceful shutdown and its grace period.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use httpserver::{collect_routes, get, post, App, Request, State};
use httpserver_suite::{request, Conn, TestServer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

#[get("/n/<int:n>")]
async fn number(n: u32) -> String {
    format!("number {n}")
}

#[post("/upload")]
async fn upload(req: Request) -> Value {
    json!({"len": req.body().len()})
}

#[get("/panic")]
async fn panics() -> &'static str {
    panic!("boom: secret detail")
}

#[get("/sync-panic")]
fn sync_panics(_req: Request) -> &'static str {
    panic!("boom in a sync handler")
}

const LIMIT: usize = 1024;

async fn basic(read_timeout: Duration) -> TestServer {
    TestServer::start(
        App::new()
            .max_body_size(LIMIT)
            .read_timeout(read_timeout)
            .routes(collect_routes![number, upload, panics, sync_panics]),
    )
    .await
}

fn get_keep_alive(path: &str) -> String {
    request("GET", path, &[], "", true)
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    for n in 1..=3 {
        let res = conn.send(&get_keep_alive(&format!("/n/{n}"))).await;
        res.assert_status(200);
        assert_eq!(res.text(), format!("number {n}"));
        assert_ne!(res.header("connection"), Some("close"));
    }
    // With a body too.
    let res = conn
        .send(&request("POST", "/upload", &[], "abc", true))
        .await;
    assert_eq!(res.json(), json!({"len": 3}));
    // And the last one closes when asked to.
    let res = conn.send(&request("GET", "/n/4", &[], "", false)).await;
    assert_eq!(res.text(), "number 4");
    assert!(conn.is_closed_within(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    let batch = format!(
        "{}{}{}",
        get_keep_alive("/n/1"),
        request("POST", "/upload", &[], "0123456789", true),
        get_keep_alive("/n/3"),
    );
    conn.write(batch.as_bytes()).await;
    let first = conn.read_response().await;
    let second = conn.read_response().await;
    let third = conn.read_response().await;
    assert_eq!(first.text(), "number 1");
    assert_eq!(second.json(), json!({"len": 10}));
    assert_eq!(third.text(), "number 3");
    // Still usable afterwards.
    assert_eq!(conn.send(&get_keep_alive("/n/4")).await.text(), "number 4");
}

// ---------------------------------------------------------------------------------------
// Body size limit
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn declared_body_over_the_limit_is_413_before_it_is_sent() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    // Only the head: the server must not wait for the body to refuse it.
    conn.write(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n")
        .await;
    let res = conn.read_response().await;
    res.assert_status(413);
    assert_eq!(res.header("connection"), Some("close"));
    assert!(conn.is_closed_within(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn declared_body_one_over_the_limit_is_413() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    conn.write(
        format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
            LIMIT + 1
        )
        .as_bytes(),
    )
    .await;
    let res = conn.read_response().await;
    res.assert_status(413);
    assert_eq!(res.header("connection"), Some("close"));
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_413() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    conn.write(b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await;
    let chunk = format!("{:x}\r\n{}\r\n", 400, "x".repeat(400));
    let mut sent = 0;
    let mut answer = Vec::new();
    // Send chunks one by one, waiting a little after each for the 413, so that nothing is
    // left unread on the server side when it closes (which would reset the connection).
    while sent < 20 {
        if conn.stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
        sent += 1;
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(150), conn.stream.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(n)) if n > 0 => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Ok(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        text.starts_with("HTTP/1.1 413"),
        "a 413 after {sent} chunks of 400 bytes (limit {LIMIT}); got {text:?}"
    );
    assert!(
        sent * 400 > LIMIT && sent * 400 <= LIMIT + 400,
        "refused as soon as over the limit, after {sent} chunks"
    );
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text:?}"
    );
    assert!(conn.is_closed_within(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn body_exactly_at_the_limit_is_accepted() {
    let server = basic(Duration::from_secs(5)).await;
    let body = "y".repeat(LIMIT);
    let res = server.call("POST", "/upload", &body).await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"len": LIMIT}));

    // Chunked, at the limit in total.
    let half = "z".repeat(LIMIT / 2);
    let chunked = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         {len:x}\r\n{half}\r\n{len:x}\r\n{half}\r\n0\r\n\r\n",
        len = half.len()
    );
    let res = server.send(&chunked).await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"len": LIMIT}));
}

#[tokio::test]
async fn expect_100_continue_within_the_limit() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    conn.write(
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .await;
    let interim = conn.read_head_response().await;
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    conn.write(b"hello").await;
    let res = conn.read_response().await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"len": 5}));
}

#[tokio::test]
async fn expect_100_continue_over_the_limit_is_413_without_continue() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    conn.write(
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
    )
    .await;
    let res = conn.read_response().await;
    res.assert_status(413);
    assert_eq!(res.header("connection"), Some("close"));
}

// ---------------------------------------------------------------------------------------
// Read timeout
// ---------------------------------------------------------------------------------------

const READ_TIMEOUT: Duration = Duration::from_millis(300);
const MARGIN: Duration = Duration::from_millis(1200);

#[tokio::test]
async fn half_a_head_is_cut_off_after_the_read_timeout() {
    let server = basic(READ_TIMEOUT).await;
    let mut conn = server.connect().await;
    let start = Instant::now();
    conn.write(b"GET /n/1 HTTP/1.1\r\nHost: t\r\n").await;
    assert!(
        conn.is_closed_within(READ_TIMEOUT + MARGIN).await,
        "a half-sent head must not hold the connection open"
    );
    let elapsed = start.elapsed();
    assert!(
        elapsed >= READ_TIMEOUT - Duration::from_millis(50),
        "closed too early: {elapsed:?}"
    );
}

#[tokio::test]
async fn head_and_half_a_body_gets_408_then_close() {
    let server = basic(READ_TIMEOUT).await;
    let mut conn = server.connect().await;
    let start = Instant::now();
    conn.write(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345")
        .await;
    let res = tokio::time::timeout(READ_TIMEOUT + MARGIN, conn.read_response())
        .await
        .expect("a 408 within the read timeout");
    res.assert_status(408);
    assert_eq!(res.header("connection"), Some("close"));
    let elapsed = start.elapsed();
    assert!(
        elapsed >= READ_TIMEOUT - Duration::from_millis(50),
        "408 too early: {elapsed:?}"
    );
    assert!(conn.is_closed_within(Duration::from_secs(1)).await);
}

#[tokio::test]
async fn a_slow_but_steady_client_within_the_timeout_is_served() {
    let server = basic(Duration::from_millis(800)).await;
    let mut conn = server.connect().await;
    conn.write(b"POST /upload HTTP/1.1\r\nHost: t\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn.write(b"Content-Length: 4\r\n\r\nab").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn.write(b"cd").await;
    let res = conn.read_response().await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"len": 4}));
}

#[tokio::test]
async fn a_head_trickled_byte_by_byte_is_cut_off_at_the_read_timeout() {
    let server = basic(READ_TIMEOUT).await;
    let mut conn = server.connect().await;
    let head = format!(
        "GET /n/1 HTTP/1.1\r\nHost: t\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(100)
    );
    let start = Instant::now();
    let mut cut = false;
    for byte in head.bytes() {
        if conn.stream.write_all(&[byte]).await.is_err() {
            cut = true;
            break;
        }
        if conn.is_closed_within(Duration::from_millis(20)).await {
            cut = true;
            break;
        }
    }
    assert!(
        cut,
        "a head sent over {:?} was not cut off",
        start.elapsed()
    );
    let elapsed = start.elapsed();
    assert!(
        elapsed < READ_TIMEOUT + MARGIN,
        "trickling bytes kept the connection open for {elapsed:?}"
    );
}

#[tokio::test]
async fn a_body_trickled_byte_by_byte_gets_408_at_the_read_timeout() {
    let server = basic(READ_TIMEOUT).await;
    let mut conn = server.connect().await;
    conn.write(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
        .await;
    let start = Instant::now();
    let mut answer = Vec::new();
    for _ in 0..100 {
        if conn.stream.write_all(b"x").await.is_err() {
            break;
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(20), conn.stream.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Ok(Err(_)) => break,
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "got {text:?}");
    assert!(start.elapsed() < READ_TIMEOUT + MARGIN);
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_the_read_timeout() {
    let server = basic(READ_TIMEOUT).await;
    let mut conn = server.connect().await;
    let res = conn.send(&get_keep_alive("/n/1")).await;
    res.assert_status(200);
    assert!(
        conn.is_closed_within(READ_TIMEOUT + MARGIN).await,
        "an idle keep-alive connection is bounded by the read timeout"
    );
}

// ---------------------------------------------------------------------------------------
// Panics and garbage
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_connection_serves_on() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    let res = conn.send(&get_keep_alive("/panic")).await;
    res.assert_status(500);
    assert_eq!(res.text(), "Internal Server Error");
    let res = conn.send(&get_keep_alive("/n/7")).await;
    res.assert_status(200);
    assert_eq!(res.text(), "number 7");

    // A sync handler too.
    let res = conn.send(&get_keep_alive("/sync-panic")).await;
    res.assert_status(500);
    assert_eq!(res.text(), "Internal Server Error");
    let res = conn.send(&get_keep_alive("/n/8")).await;
    assert_eq!(res.text(), "number 8");

    // And other connections are fine.
    assert_eq!(server.get("/n/9").await.text(), "number 9");
}

#[tokio::test]
async fn many_pipelined_requests_in_one_write() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    let batch: String = (0..30)
        .map(|n| get_keep_alive(&format!("/n/{n}")))
        .collect();
    conn.write(batch.as_bytes()).await;
    for n in 0..30 {
        assert_eq!(conn.read_response().await.text(), format!("number {n}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_at_once() {
    let server = basic(Duration::from_secs(5)).await;
    let mut tasks = Vec::new();
    for n in 0..50 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            let res = conn.send(&get_keep_alive(&format!("/n/{n}"))).await;
            (n, res.text())
        }));
    }
    for task in tasks {
        let (n, text) = task.await.unwrap();
        assert_eq!(text, format!("number {n}"));
    }
}

#[tokio::test]
async fn http_1_0_requests_are_answered_and_closed() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    let res = conn.send("GET /n/10 HTTP/1.0\r\n\r\n").await;
    res.assert_status(200);
    assert_eq!(res.text(), "number 10");
    assert!(conn.is_closed_within(Duration::from_secs(2)).await);
}

async fn read_until_close(conn: &mut Conn, within: Duration) -> Vec<u8> {
    tokio::time::timeout(within, conn.read_to_close())
        .await
        .expect("the server must answer or close, not hang")
}

#[tokio::test]
async fn a_malformed_request_line_is_400_or_a_close() {
    let server = basic(Duration::from_secs(5)).await;
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"\x00\x01\x02\xff\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n",
        b"GET / HTTP/1.1\r\nbad header line\r\n\r\n",
    ] {
        let mut conn = server.connect().await;
        conn.write(garbage).await;
        let answer = read_until_close(&mut conn, Duration::from_secs(3)).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty()
                || text.starts_with("HTTP/1.1 400")
                || text.starts_with("HTTP/1.0 400"),
            "{:?} -> {text:?}",
            String::from_utf8_lossy(garbage)
        );
    }
    // The server is still fine.
    assert_eq!(server.get("/n/1").await.text(), "number 1");
}

#[tokio::test]
async fn an_http_version_of_another_major_number_is_505() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    conn.write(b"GET / HTTP/9.9\r\n\r\n").await;
    let answer = read_until_close(&mut conn, Duration::from_secs(3)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 505 "),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn a_closing_request_followed_by_pipelined_bytes_still_gets_its_response() {
    // RFC 9112 §9.6: the request that carries `Connection: close` gets its response, then
    // the connection closes; what was pipelined after it is not answered.
    let server = basic(Duration::from_secs(5)).await;
    let mut conn = server.connect().await;
    let batch = format!(
        "{}{}",
        request("GET", "/n/1", &[], "", false),
        get_keep_alive("/n/2")
    );
    conn.write(batch.as_bytes()).await;
    let answer = read_until_close(&mut conn, Duration::from_secs(3)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 200 OK"),
        "the first response must be sent before the close; got {text:?}"
    );
    assert!(text.ends_with("number 1"), "{text:?}");
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown
// ---------------------------------------------------------------------------------------

/// Tells the test when a slow handler has started, and how long it should sleep.
struct Slow {
    started: mpsc::UnboundedSender<()>,
    sleep: Duration,
    finished: AtomicUsize,
}

#[get("/slow")]
async fn slow(state: State<Slow>) -> &'static str {
    let _ = state.started.send(());
    tokio::time::sleep(state.sleep).await;
    state.finished.fetch_add(1, Ordering::SeqCst);
    "slow done"
}

#[get("/fast")]
async fn fast() -> &'static str {
    "fast"
}

async fn slow_app(sleep: Duration, grace: Duration) -> (TestServer, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = TestServer::start(
        App::new()
            .grace_period(grace)
            .state(Slow {
                started: tx,
                sleep,
                finished: AtomicUsize::new(0),
            })
            .routes(collect_routes![slow, fast]),
    )
    .await;
    (server, rx)
}

async fn connect_is_refused_within(addr: std::net::SocketAddr, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Err(_) => return true,
            Ok(_) if Instant::now() >= deadline => return false,
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let (server, mut started) = slow_app(Duration::from_millis(300), Duration::from_secs(10)).await;

    // An idle keep-alive connection.
    let mut idle = server.connect().await;
    assert_eq!(idle.send(&get_keep_alive("/fast")).await.text(), "fast");

    // A request in flight.
    let mut busy = server.connect().await;
    busy.write(get_keep_alive("/slow").as_bytes()).await;
    tokio::time::timeout(Duration::from_secs(5), started.recv())
        .await
        .expect("the slow handler starts")
        .expect("channel open");

    let shutdown_at = Instant::now();
    server.handle.shutdown();

    // The idle connection is closed at once, not after the slow request.
    assert!(
        idle.is_closed_within(Duration::from_millis(250)).await,
        "idle keep-alive connections close on shutdown"
    );
    // No new connections.
    assert!(
        connect_is_refused_within(server.addr, Duration::from_millis(250)).await,
        "new connections are refused once shutting down"
    );
    // The in-flight request completes.
    let res = busy.read_response().await;
    res.assert_status(200);
    assert_eq!(res.text(), "slow done");
    assert!(
        busy.is_closed_within(Duration::from_secs(1)).await,
        "the connection closes after its last response"
    );

    tokio::time::timeout(Duration::from_secs(2), server.join())
        .await
        .expect("serve returns once the in-flight request is done")
        .expect("serve returns Ok");
    assert!(shutdown_at.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_a_pipelined_request_queued_still_answers_the_in_flight_one() {
    let (server, mut started) = slow_app(Duration::from_millis(200), Duration::from_secs(10)).await;
    let mut conn = server.connect().await;
    conn.write(format!("{}{}", get_keep_alive("/slow"), get_keep_alive("/fast")).as_bytes())
        .await;
    tokio::time::timeout(Duration::from_secs(5), started.recv())
        .await
        .expect("the slow handler starts")
        .expect("channel open");
    server.handle.shutdown();
    let res = conn.read_response().await;
    assert_eq!(res.text(), "slow done");
    // The queued request is either answered or dropped with the connection; never a hang.
    let rest = read_until_close(&mut conn, Duration::from_secs(2)).await;
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 200"),
        "{rest:?}"
    );
    tokio::time::timeout(Duration::from_secs(2), server.join())
        .await
        .expect("serve returns")
        .expect("Ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_nothing_in_flight_returns_at_once() {
    let (server, _started) = slow_app(Duration::from_millis(10), Duration::from_secs(10)).await;
    assert_eq!(server.get("/fast").await.text(), "fast");
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(2), server.stop())
        .await
        .expect("serve returns")
        .expect("Ok");
    assert!(start.elapsed() < Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_a_connection_that_sent_nothing_at_once() {
    let (server, _started) = slow_app(Duration::from_millis(10), Duration::from_secs(10)).await;
    let mut silent = server.connect().await;
    // Make sure the server has accepted it.
    assert_eq!(server.get("/fast").await.text(), "fast");
    let start = Instant::now();
    server.handle.shutdown();
    assert!(silent.is_closed_within(Duration::from_millis(500)).await);
    tokio::time::timeout(Duration::from_secs(1), server.join())
        .await
        .expect("a silent connection must not hold up the shutdown")
        .expect("Ok");
    assert!(start.elapsed() < Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_head_is_closed_at_once_at_shutdown() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let server = TestServer::start(
        App::new()
            .read_timeout(READ_TIMEOUT)
            .grace_period(Duration::from_secs(10))
            .state(Slow {
                started: tx,
                sleep: Duration::ZERO,
                finished: AtomicUsize::new(0),
            })
            .routes(collect_routes![slow, fast]),
    )
    .await;
    let mut half = server.connect().await;
    half.write(b"GET /fast HTTP/1.1\r\n").await;
    assert_eq!(server.get("/fast").await.text(), "fast");
    let start = Instant::now();
    server.handle.shutdown();
    // Not after the read timeout: a client that may never finish its head is not waited
    // for (Kubernetes sends SIGKILL 30 s after SIGTERM).
    tokio::time::timeout(MARGIN, server.join())
        .await
        .expect("serve returns at once")
        .expect("Ok");
    assert!(half.is_closed_within(Duration::from_millis(500)).await);
    assert!(start.elapsed() < READ_TIMEOUT, "{:?}", start.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_slower_than_the_grace_period_is_cut() {
    let grace = Duration::from_millis(200);
    let (server, mut started) = slow_app(Duration::from_secs(5), grace).await;
    let mut busy = server.connect().await;
    busy.write(get_keep_alive("/slow").as_bytes()).await;
    started.recv().await.expect("slow started");

    let start = Instant::now();
    server.handle.shutdown();
    let addr = server.addr;
    tokio::time::timeout(grace + Duration::from_millis(1300), server.join())
        .await
        .expect("serve returns soon after the grace period")
        .expect("serve returns Ok");
    let elapsed = start.elapsed();
    assert!(
        elapsed >= grace - Duration::from_millis(20),
        "the grace period is waited for: {elapsed:?}"
    );
    // The cut connection is closed without a (successful) response.
    let rest = read_until_close(&mut busy, Duration::from_secs(2)).await;
    assert!(
        !String::from_utf8_lossy(&rest).contains("slow done"),
        "the slow handler was cut"
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn run_inside_a_runtime_is_an_error_that_says_what_to_use() {
    let err = App::new()
        .run("127.0.0.1:0")
        .expect_err("run inside a runtime must not serve");
    assert!(err.to_string().contains("App::serve"), "{err}");
}

#[test]
fn run_on_an_address_it_cannot_bind_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let err = App::new().run(addr).expect_err("the port is taken");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
}

#[tokio::test]
async fn a_handler_taking_unregistered_state_keeps_the_app_from_starting() {
    struct Db;
    #[get("/db")]
    async fn uses_db(_db: State<Db>, _req: Request) -> &'static str {
        "ok"
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let serving = App::new()
        .handle_signals(false)
        .routes(collect_routes![uses_db])
        .serve(listener);
    let err = tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve should refuse to start, not serve")
        .expect_err("an app without the state its handlers take must not start");
    let msg = err.to_string();
    assert!(msg.contains("`uses_db` takes `State<"), "{msg}");
    assert!(msg.contains("Db>`") && msg.contains("App::state"), "{msg}");

    let server = TestServer::start(App::new().state(Db).routes(collect_routes![uses_db])).await;
    assert_eq!(server.get("/db").await.text(), "ok");
    server.stop().await.expect("stop");
}

/// Requests on connections made just before a shutdown (queued in the listen backlog, or
/// accepted with their request still arriving) are answered, not reset: a proxy would
/// turn each lost POST into a 502.
#[tokio::test]
async fn requests_sent_just_before_a_shutdown_are_answered() {
    let server = basic(Duration::from_secs(5)).await;
    let mut conns = Vec::new();
    for n in 0..32 {
        let mut stream = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        let body = format!("post {n}");
        let head = format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        conns.push((stream, body.len()));
    }
    server.handle.shutdown();
    let mut answered = 0;
    let mut lost = Vec::new();
    for (n, (mut stream, len)) in conns.into_iter().enumerate() {
        let mut got = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut got)).await;
        let text = String::from_utf8_lossy(&got);
        if matches!(read, Ok(Ok(_)))
            && text.starts_with("HTTP/1.1 200")
            && text.ends_with(&format!("{{\"len\":{len}}}"))
        {
            answered += 1;
        } else {
            lost.push((n, read.map(|r| r.map_err(|e| e.kind())), text.into_owned()));
        }
    }
    assert_eq!(answered, 32, "lost: {lost:?}");
    server.join().await.expect("clean stop");
}
