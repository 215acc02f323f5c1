//! The timeouts of a connection over real sockets, each apart from the others: the head
//! timeout (a request head in progress), the body timeout (the wait between two reads of
//! a body), the total bound of a buffered body, and the keep-alive timeout (an idle
//! connection). Durations are short and the margins wide: the assertions say "well
//! before" and "still open at", never exact times.

use std::time::{Duration, Instant};

use httpserver::{collect_routes, get, post, App, BodyStream, HttpError, Request};
use httpserver_suite::{Conn, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

/// A buffered body: the route reads it in full before the handler runs.
#[post("/upload")]
async fn upload(req: Request) -> String {
    req.body().len().to_string()
}

/// A streamed body, counted chunk by chunk.
#[post("/stream")]
async fn stream(mut body: BodyStream) -> Result<String, HttpError> {
    let mut total = 0;
    while let Some(chunk) = body.next().await {
        total += chunk?.len();
    }
    Ok(total.to_string())
}

fn app() -> App {
    App::new().routes(collect_routes![ping, upload, stream])
}

const PING: &str = "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";

/// Longer than any timeout below has to wait: a close later than this is a hang.
const HANG: Duration = Duration::from_secs(5);

fn upload_head(path: &str, len: usize) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\n\r\n")
}

/// Sends `total` bytes in `chunk`-byte pieces, one every `every`, and stops early if the
/// server answers or closes meanwhile. Returns what the server sent and how long the
/// sending lasted.
async fn trickle(conn: &mut Conn, total: usize, chunk: usize, every: Duration) -> Vec<u8> {
    let piece = vec![b'x'; chunk];
    let mut sent = 0;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while sent < total {
        let n = chunk.min(total - sent);
        if conn.stream.write_all(&piece[..n]).await.is_err() {
            break;
        }
        sent += n;
        if sent == total {
            // The answer to the whole body is the caller's to read.
            break;
        }
        match tokio::time::timeout(every, conn.stream.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
        }
    }
    answer
}

#[tokio::test]
async fn a_slow_steady_upload_outlasts_the_head_and_body_timeouts() {
    let server = TestServer::start(
        app()
            .head_timeout(Duration::from_millis(500))
            .body_timeout(Duration::from_secs(1))
            .body_total_timeout(Duration::from_secs(60)),
    )
    .await;
    let mut conn = server.connect().await;
    // 64 KiB at about 20 KiB/s: 1 KiB every 50 ms, over three seconds in all, three times
    // the body timeout and six times the head timeout.
    let len = 64 * 1024;
    let start = Instant::now();
    conn.write(upload_head("/upload", len).as_bytes()).await;
    let early = trickle(&mut conn, len, 1024, Duration::from_millis(50)).await;
    assert!(
        early.is_empty(),
        "answered mid-upload: {:?}",
        String::from_utf8_lossy(&early)
    );
    let took = start.elapsed();
    assert!(
        took > Duration::from_secs(1),
        "the upload took only {took:?}"
    );
    let res = conn.read_response().await;
    res.assert_status(200);
    assert_eq!(res.text(), len.to_string());
    // The connection serves on.
    conn.send(PING).await.assert_status(200);
}

#[tokio::test]
async fn a_body_that_stalls_past_the_body_timeout_gets_408_and_a_close() {
    let server = TestServer::start(
        app()
            .body_timeout(Duration::from_millis(500))
            .body_total_timeout(Duration::from_secs(60)),
    )
    .await;
    let mut conn = server.connect().await;
    let start = Instant::now();
    conn.write(upload_head("/upload", 100).as_bytes()).await;
    conn.write(&[b'x'; 50]).await;
    let res = tokio::time::timeout(HANG, conn.read_response())
        .await
        .expect("a 408 well before the hang limit");
    res.assert_status(408);
    assert_eq!(res.header("connection"), Some("close"));
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
    assert!(conn.is_closed_within(HANG).await);
}

#[tokio::test]
async fn a_buffered_body_past_the_total_timeout_gets_408_though_it_never_stalls() {
    let server = TestServer::start(
        app()
            .body_timeout(Duration::from_secs(2))
            .body_total_timeout(Duration::from_millis(800)),
    )
    .await;
    let mut conn = server.connect().await;
    let len = 100 * 1024;
    let start = Instant::now();
    conn.write(upload_head("/upload", len).as_bytes()).await;
    // 100 bytes every 50 ms would take 50 s: never a wait near the body timeout, but
    // far over the total bound.
    let answer = trickle(&mut conn, len, 100, Duration::from_millis(50)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "got {text:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(600) && took < HANG,
        "408 after {took:?}"
    );
    assert!(conn.is_closed_within(HANG).await);
}

#[tokio::test]
async fn a_streamed_body_is_bound_by_the_wait_between_chunks_not_its_length() {
    let server = TestServer::start(
        app()
            .body_timeout(Duration::from_millis(500))
            // A total bound this short would cut the upload if streams obeyed it.
            .body_total_timeout(Duration::from_millis(300)),
    )
    .await;
    let mut conn = server.connect().await;
    let len = 30 * 1024;
    conn.write(upload_head("/stream", len).as_bytes()).await;
    // 1 KiB every 50 ms: 1.5 s in all.
    let early = trickle(&mut conn, len, 1024, Duration::from_millis(50)).await;
    assert!(early.is_empty(), "{:?}", String::from_utf8_lossy(&early));
    let res = conn.read_response().await;
    res.assert_status(200);
    assert_eq!(res.text(), len.to_string());

    // The same stream, stalled half way for longer than the body timeout.
    let mut conn = server.connect().await;
    conn.write(upload_head("/stream", 100).as_bytes()).await;
    conn.write(&[b'x'; 50]).await;
    let res = tokio::time::timeout(HANG, conn.read_response())
        .await
        .expect("a 408 well before the hang limit");
    res.assert_status(408);
    assert!(conn.is_closed_within(HANG).await);
}

#[tokio::test]
async fn a_client_stuck_in_its_head_is_closed_after_the_head_timeout() {
    let server = TestServer::start(
        app()
            .head_timeout(Duration::from_millis(500))
            .keep_alive_timeout(Duration::from_secs(30)),
    )
    .await;
    // The first request of a connection.
    let mut conn = server.connect().await;
    let start = Instant::now();
    conn.write(b"GET /ping HTTP/1.1\r\nHost: t\r\n").await;
    assert!(
        conn.is_closed_within(HANG).await,
        "a half head held the connection"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );

    // A later request on a keep-alive connection: its head is timed from its first byte,
    // by the head timeout, not by the much longer keep-alive timeout.
    let mut conn = server.connect().await;
    conn.send(PING).await.assert_status(200);
    let start = Instant::now();
    conn.write(b"GET /ping HTTP/1.1\r\n").await;
    assert!(
        conn.is_closed_within(HANG).await,
        "a half head held the connection"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn the_first_head_is_timed_from_the_connection_start() {
    let server = TestServer::start(
        app()
            .head_timeout(Duration::from_secs(1))
            .keep_alive_timeout(Duration::from_secs(30)),
    )
    .await;
    let mut conn = server.connect().await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    // Within the head timeout of this first byte, but not of the connection's start.
    let _ = conn.stream.write_all(b"GET /ping HTTP/1.1\r\n").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = conn.stream.write_all(b"Host: t\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(HANG, conn.stream.read_to_end(&mut answer)).await;
    assert!(
        answer.is_empty(),
        "served: {:?}",
        String::from_utf8_lossy(&answer)
    );

    // Nothing at all: closed too.
    let mut conn = server.connect().await;
    assert!(conn.is_closed_within(HANG).await);
}

#[tokio::test]
async fn an_idle_connection_outlives_a_short_head_timeout_until_the_keep_alive_timeout() {
    let server = TestServer::start(
        app()
            .head_timeout(Duration::from_millis(500))
            .keep_alive_timeout(Duration::from_secs(3)),
    )
    .await;
    let mut conn = server.connect().await;
    conn.send(PING).await.assert_status(200);
    // Idle for three times the head timeout: still open, and it serves.
    assert!(
        !conn.is_closed_within(Duration::from_millis(1500)).await,
        "an idle connection was closed by the head timeout"
    );
    conn.send(PING).await.assert_status(200);
    let idle_since = Instant::now();
    assert!(
        conn.is_closed_within(Duration::from_secs(3) + HANG).await,
        "an idle connection outlived the keep-alive timeout"
    );
    let idle = idle_since.elapsed();
    assert!(idle >= Duration::from_secs(2), "closed after {idle:?}");
}
