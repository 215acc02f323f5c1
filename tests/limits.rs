//! Limits a production server needs, over real sockets: the keep-alive idle timeout apart
//! from the read timeout, and the cap on connections served at once.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use httpserver::{collect_routes, get, App, StreamingResponse};
use httpserver_suite::{Conn, TestServer};
use tokio::io::AsyncWriteExt;

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

/// Two chunks 600 ms apart: longer than the keep-alive timeout of the tests below.
#[get("/pausing-stream")]
async fn pausing_stream() -> StreamingResponse {
    let chunks = futures_util::stream::iter(["first\n", "second\n"])
        .enumerate()
        .then(|(i, chunk)| async move {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(600)).await;
            }
            chunk
        });
    StreamingResponse::new(chunks)
}

const KEEP_ALIVE: &str = "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";

fn app() -> App {
    App::new().routes(collect_routes![ping, pausing_stream])
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let server = TestServer::start(
        app()
            .read_timeout(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_millis(300)),
    )
    .await;
    let mut conn = server.connect().await;
    conn.send(KEEP_ALIVE).await.assert_status(200);
    // Within the idle timeout the connection serves on.
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn.send(KEEP_ALIVE).await.assert_status(200);
    let idle_since = Instant::now();
    assert!(conn.is_closed_within(Duration::from_secs(3)).await);
    let idle = idle_since.elapsed();
    assert!(
        idle >= Duration::from_millis(250) && idle < Duration::from_secs(2),
        "closed after {idle:?}, not after the keep-alive timeout"
    );
}

#[tokio::test]
async fn a_slow_head_is_bound_by_the_read_timeout_not_the_keep_alive_timeout() {
    let server = TestServer::start(
        app()
            .read_timeout(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_millis(200)),
    )
    .await;
    let mut conn = server.connect().await;
    conn.send(KEEP_ALIVE).await.assert_status(200);
    // The next request starts at once, then trickles for longer than the idle timeout.
    for piece in ["GET /ping", " HTTP/1.1\r\n", "Host: t\r\n", "\r\n"] {
        conn.write(piece.as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    conn.read_response().await.assert_status(200);
}

#[tokio::test]
async fn the_first_request_may_take_the_read_timeout_to_arrive() {
    let server = TestServer::start(
        app()
            .read_timeout(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_millis(100)),
    )
    .await;
    let mut conn = server.connect().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    conn.send(KEEP_ALIVE).await.assert_status(200);
}

#[tokio::test]
async fn past_max_connections_clients_wait_until_a_connection_closes() {
    let server = TestServer::start(app().max_connections(2)).await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    first.send(KEEP_ALIVE).await.assert_status(200);
    second.send(KEEP_ALIVE).await.assert_status(200);
    // The third connects (the kernel's backlog takes it) but is not served...
    let mut third = server.connect().await;
    third.write(KEEP_ALIVE.as_bytes()).await;
    let mut probe = [0u8; 64];
    let early = tokio::time::timeout(
        Duration::from_millis(300),
        tokio::io::AsyncReadExt::read(&mut third.stream, &mut probe),
    )
    .await;
    assert!(early.is_err(), "served past the cap: {early:?}");
    // ...until one of the two closes.
    first.stream.shutdown().await.expect("shutdown");
    drop(first);
    third.read_response().await.assert_status(200);
    second.send(KEEP_ALIVE).await.assert_status(200);
}

#[tokio::test]
async fn connections_under_the_cap_are_served_at_once() {
    let server = TestServer::start(app().max_connections(8)).await;
    let mut conns = Vec::new();
    for _ in 0..8 {
        let mut conn: Conn = server.connect().await;
        conn.send(KEEP_ALIVE).await.assert_status(200);
        conns.push(conn);
    }
    for conn in &mut conns {
        conn.send(KEEP_ALIVE).await.assert_status(200);
    }
}

#[tokio::test]
async fn a_response_streaming_slower_than_the_keep_alive_timeout_is_not_cut() {
    let server = TestServer::start(app().keep_alive_timeout(Duration::from_millis(200))).await;
    let mut conn = server.connect().await;
    conn.send(KEEP_ALIVE).await.assert_status(200);
    let res = conn
        .send("GET /pausing-stream HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    res.assert_status(200);
    assert_eq!(res.text(), "first\nsecond\n");
}

#[tokio::test]
async fn a_handler_slower_than_the_keep_alive_timeout_is_not_cut() {
    // The second request on the connection waits on its handler past the idle timeout.
    let server = TestServer::start(app().keep_alive_timeout(Duration::from_millis(200))).await;
    let mut conn = server.connect().await;
    conn.send("GET /pausing-stream HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .assert_status(200);
    let res = conn
        .send("GET /pausing-stream HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    assert_eq!(res.text(), "first\nsecond\n");
}
