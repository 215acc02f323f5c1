//! Malformed and hostile requests over raw sockets: each gets the answer RFC 9110/9112
//! asks for, none panics the server, hangs a connection or desynchronises it, and the
//! server still answers fresh connections afterwards.

use std::time::Duration;

use httpserver::{collect_routes, get, post, App, Request, Response};
use httpserver_suite::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

#[get("/users/<name>")]
async fn user(name: String) -> String {
    format!("user {name:?}")
}

#[post("/echo")]
async fn echo(req: Request) -> Vec<u8> {
    req.body().to_vec()
}

#[post("/private")]
async fn private(req: Request) -> Vec<u8> {
    req.body().to_vec()
}

async fn require_auth(req: Request) -> Option<Response> {
    use httpserver::IntoResponse;
    (req.path() == "/private" && req.header("authorization").is_none())
        .then(|| ("unauthorized", 401).into_response())
}

/// Body limit of the hostile app: small, so that "over the limit" is cheap to send.
const LIMIT: usize = 1024;

fn hostile_app() -> App {
    App::new()
        .max_body_size(LIMIT)
        .read_timeout(Duration::from_secs(1))
        .before_request(require_auth)
        .routes(collect_routes![ping, user, echo, private])
}

/// Everything the server sends on one connection after `bytes`, until it closes; `None`
/// if it neither closes nor stops sending within `within` (a hang).
async fn exchange(server: &TestServer, bytes: &[u8], within: Duration) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    // The server may refuse and close before all is written; what it answered still counts.
    let _ = stream.write_all(bytes).await;
    read_until_close(&mut stream, within).await
}

async fn read_until_close(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// One response parsed off the wire: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// Splits what a connection received into responses (Content-Length or chunked bodies;
/// 1xx, 204 and 304 have none). Stops at the first thing that is not a response.
fn responses(mut wire: &[u8]) -> Vec<Answer> {
    let mut out = Vec::new();
    while let Some(end) = find(wire, b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&wire[..end]).into_owned();
        wire = &wire[end + 4..];
        let Some(status) = head
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| head.strip_prefix("HTTP/1.0 "))
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse::<u16>().ok())
        else {
            break;
        };
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let body = if (100..200).contains(&status) || status == 204 || status == 304 {
            Vec::new()
        } else if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
            let (body, rest) = dechunk(wire);
            wire = rest;
            body
        } else {
            let len = header("content-length").and_then(|l| l.parse().ok());
            let len = len.unwrap_or(wire.len()).min(wire.len());
            let body = wire[..len].to_vec();
            wire = &wire[len..];
            body
        };
        out.push(Answer { status, body });
    }
    out
}

fn dechunk(mut wire: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut body = Vec::new();
    while let Some(line_end) = find(wire, b"\r\n") {
        let size = std::str::from_utf8(&wire[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        wire = &wire[line_end + 2..];
        if size == 0 {
            let end = find(wire, b"\r\n").map_or(wire.len(), |i| i + 2);
            return (body, &wire[end..]);
        }
        let take = size.min(wire.len());
        body.extend_from_slice(&wire[..take]);
        wire = &wire[(take + 2).min(wire.len())..];
    }
    (body, wire)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends one request and returns the statuses of what came back before the close.
async fn statuses(server: &TestServer, bytes: &[u8]) -> Vec<u16> {
    let wire = exchange(server, bytes, Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("hang after {:?}", String::from_utf8_lossy(bytes)));
    responses(&wire).iter().map(|a| a.status).collect()
}

// ---------------------------------------------------------------------------------------
// The rules that did not hold, one test each
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn http_1_1_without_exactly_one_valid_host_is_400() {
    let server = TestServer::start(hostile_app()).await;
    for head in [
        "GET /ping HTTP/1.1\r\n\r\n",
        "GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /ping HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET /ping HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET /ping HTTP/1.1\r\nHost: a/b\r\n\r\n",
        "GET /ping HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    ] {
        assert_eq!(statuses(&server, head.as_bytes()).await, [400], "{head:?}");
    }
    for head in [
        "GET /ping HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n",
        "GET /ping HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
        "GET /ping HTTP/1.0\r\n\r\n",
    ] {
        assert_eq!(statuses(&server, head.as_bytes()).await, [200], "{head:?}");
    }
}

#[tokio::test]
async fn malformed_percent_encoding_and_encoded_nul_in_the_path_are_400() {
    let server = TestServer::start(hostile_app()).await;
    for target in [
        "/users/%zz",
        "/users/a%00b",
        "/users/%",
        "/users/a%2",
        "/users/%u0041",
    ] {
        let head = format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assert_eq!(statuses(&server, head.as_bytes()).await, [400], "{target}");
    }
    let ok = "GET /users/a%20b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let wire = exchange(&server, ok.as_bytes(), Duration::from_secs(5))
        .await
        .expect("answer");
    assert_eq!(responses(&wire)[0].body, b"user \"a b\"");
}

#[tokio::test]
async fn a_transfer_coding_other_than_chunked_is_501() {
    let server = TestServer::start(hostile_app()).await;
    let head = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
                5\r\nhello\r\n0\r\n\r\n";
    assert_eq!(statuses(&server, head.as_bytes()).await, [501]);
}

#[tokio::test]
async fn an_unknown_method_is_501_not_405() {
    let server = TestServer::start(hostile_app()).await;
    for method in ["FOO", "get", "Get", "PROPFIND"] {
        let head = format!("{method} /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assert_eq!(statuses(&server, head.as_bytes()).await, [501], "{method}");
    }
    // A known method the route does not take is still 405.
    let head = "DELETE /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_eq!(statuses(&server, head.as_bytes()).await, [405]);
}

/// `Expect: 100-continue` on a request the app will refuse gets the refusal at once: no
/// `100 Continue`, and the client never sends the body.
#[tokio::test]
async fn expect_continue_to_a_refused_request_gets_the_final_answer_without_100() {
    let server = TestServer::start(hostile_app()).await;
    let cases = [
        ("POST /nowhere", "10", 404),
        ("PUT /echo", "10", 405),
        ("POST /private", "10", 401),
        ("POST /echo", "5000", 413),
    ];
    for (line, len, status) in cases {
        let head = format!(
            "{line} HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\nExpect: 100-continue\r\n\r\n"
        );
        // No body is sent: a server that answered 100 would wait for it, then time out.
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write");
        let wire = read_until_close(&mut stream, Duration::from_millis(800))
            .await
            .unwrap_or_else(|| panic!("{line}: no final answer before the read timeout"));
        let got: Vec<u16> = responses(&wire).iter().map(|a| a.status).collect();
        assert_eq!(got, [status], "{line}");
    }
}

#[tokio::test]
async fn expect_continue_to_an_accepted_request_still_gets_100_then_the_answer() {
    let server = TestServer::start(hostile_app()).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\
                Connection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("100 Continue in time")
        .expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"));
    stream.write_all(b"hello").await.expect("write body");
    let mut wire = buf[..n].to_vec();
    let rest = read_until_close(&mut stream, Duration::from_secs(5))
        .await
        .expect("answer");
    wire.extend(rest);
    let answers = responses(&wire);
    assert_eq!(answers.last().map(|a| a.status), Some(200));
    assert_eq!(
        answers.last().map(|a| a.body.clone()),
        Some(b"hello".to_vec())
    );
}

#[tokio::test]
async fn http_2_and_3_in_an_http_1_request_line_are_505() {
    let server = TestServer::start(hostile_app()).await;
    for version in ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9"] {
        let head = format!("GET /ping {version}\r\nHost: t\r\n\r\n");
        assert_eq!(statuses(&server, head.as_bytes()).await, [505], "{version}");
    }
}

#[tokio::test]
async fn a_head_over_the_limit_is_431() {
    let server = TestServer::start(hostile_app()).await;
    let long_line = format!(
        "GET /ping HTTP/1.1\r\nHost: t\r\nX-Long: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    assert_eq!(statuses(&server, long_line.as_bytes()).await, [431]);
    let mut many = String::from("GET /ping HTTP/1.1\r\nHost: t\r\n");
    for i in 0..500 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    assert_eq!(statuses(&server, many.as_bytes()).await, [431]);
    // Just under the default limit is fine.
    let near = format!(
        "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Long: {}\r\n\r\n",
        "a".repeat(60 * 1024)
    );
    assert_eq!(statuses(&server, near.as_bytes()).await, [200]);
}

#[tokio::test]
async fn max_head_size_is_configurable() {
    let server = TestServer::start(hostile_app().max_head_size(16 * 1024)).await;
    let head = |n: usize| {
        format!(
            "GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Long: {}\r\n\r\n",
            "a".repeat(n)
        )
    };
    assert_eq!(statuses(&server, head(15 * 1024).as_bytes()).await, [200]);
    assert_eq!(statuses(&server, head(17 * 1024).as_bytes()).await, [431]);
}

/// The client writes all of a 4 MiB body before it reads (as simple clients do); the 413
/// must still reach it, not a reset.
async fn upload_over_the_limit_reads_413(
    server: &TestServer,
    body_len: usize,
) -> Result<u16, String> {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {body_len}\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.resize(bytes.len() + body_len, b'x');
    let write = tokio::time::timeout(Duration::from_secs(10), stream.write_all(&bytes)).await;
    match write {
        Err(_) => return Err("the upload did not finish within 10 s".into()),
        Ok(Err(e)) => return Err(format!("write failed: {e}")),
        Ok(Ok(())) => {}
    }
    let mut wire = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Err(_) => return Err("no answer within 10 s".into()),
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => wire.extend_from_slice(&buf[..n]),
            Ok(Err(e)) if wire.is_empty() => return Err(format!("read failed: {e}")),
            Ok(Err(_)) => break,
        }
    }
    responses(&wire)
        .first()
        .map(|a| a.status)
        .ok_or_else(|| format!("no response in {:?}", String::from_utf8_lossy(&wire)))
}

#[tokio::test]
async fn a_client_still_sending_a_body_over_the_limit_reads_the_413() {
    let server = TestServer::start(hostile_app().max_body_size(1024 * 1024)).await;
    for _ in 0..3 {
        assert_eq!(
            upload_over_the_limit_reads_413(&server, 4 * 1024 * 1024).await,
            Ok(413)
        );
    }
    assert_eq!(
        statuses(&server, b"GET /ping HTTP/1.0\r\n\r\n").await,
        [200]
    );
}

#[tokio::test]
async fn the_lingering_close_is_capped_in_bytes() {
    // Past the cap the server closes with the upload still arriving: the client may see a
    // reset instead of the 413, but the server does not read on.
    let server = TestServer::start(
        hostile_app()
            .max_body_size(1024)
            .linger_max_bytes(64 * 1024),
    )
    .await;
    let result = upload_over_the_limit_reads_413(&server, 8 * 1024 * 1024).await;
    assert_ne!(result, Ok(200), "{result:?}");
    assert!(
        result.is_err(),
        "8 MiB over a 64 KiB linger cap still finished: {result:?}"
    );
}

/// Writes a byte every 20 ms until a write fails (the server has closed for good), and
/// returns how long that took.
async fn time_until_writes_fail(stream: &mut TcpStream, give_up: Duration) -> Option<Duration> {
    let started = std::time::Instant::now();
    while started.elapsed() < give_up {
        if stream.write_all(b"x").await.is_err() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn the_lingering_close_is_capped_in_time() {
    let server = TestServer::start(hostile_app().linger_timeout(Duration::from_millis(400))).await;
    // Over the limit, then a trickle that never ends: the server answers, shuts its side
    // (the client reads the 413 and the end), reads on for 400 ms, then closes for good.
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\nxx";
    stream.write_all(head.as_bytes()).await.expect("write");
    let wire = read_until_close(&mut stream, Duration::from_secs(3))
        .await
        .expect("the response and the end of it within 3 s");
    assert_eq!(responses(&wire)[0].status, 413);
    let lingered = time_until_writes_fail(&mut stream, Duration::from_secs(5))
        .await
        .expect("the server stops reading within 5 s");
    assert!(
        lingered >= Duration::from_millis(250) && lingered < Duration::from_secs(3),
        "{lingered:?}"
    );
}
