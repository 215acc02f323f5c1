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
    let head = format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {body_len}\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.resize(bytes.len() + body_len, b'x');
    // Connected once the bytes are ready: filling 200 MiB takes an unoptimised test build
    // about a second, which the app's 1 s head timeout would count against the client.
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
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

/// An uploader reads its answer once the upload is sent: the lingering close reads all of
/// a 200 MiB upload to an 8 MiB route (bounded by time, not bytes), so the client that wrote
/// it all still reads its 413. Under a bound of 8 MiB in bytes it got a reset instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_many_times_the_limit_still_reads_its_413() {
    let server = TestServer::start(hostile_app().max_body_size(8 * 1024 * 1024)).await;
    for len in [9 * 1024 * 1024, 200 * 1024 * 1024] {
        assert_eq!(
            upload_over_the_limit_reads_413(&server, len).await,
            Ok(413),
            "{len} bytes"
        );
    }
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
    let server = TestServer::start(hostile_app().linger_time(Duration::from_millis(400))).await;
    // Over the limit, then a trickle that never ends: the server answers, shuts its side
    // (the client reads the 413 and the end), reads on for 400 ms in all, then closes for
    // good, though the trickle never leaves it idle for its 5 s linger_timeout.
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

// ---------------------------------------------------------------------------------------
// The table: each request on a fresh connection, followed by a pipelined `GET /ping`
// ---------------------------------------------------------------------------------------

/// What a hostile request must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// This status, then the pipelined request gets its own answer: the connection stayed
    /// in step.
    Serves(u16),
    /// This status, then the connection closes; the bytes after the request are never
    /// answered as a request of their own (the framing was in doubt, or the client asked).
    Closes(u16),
}

struct Case {
    name: &'static str,
    request: Vec<u8>,
    expect: Expect,
    rule: &'static str,
}

fn case(
    name: &'static str,
    request: impl Into<Vec<u8>>,
    expect: Expect,
    rule: &'static str,
) -> Case {
    Case {
        name,
        request: request.into(),
        expect,
        rule,
    }
}

/// Sent after each case, on the same connection and in the same write.
const FOLLOW_UP: &[u8] = b"GET /ping HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

fn get(extra_headers: &str) -> String {
    format!("GET /ping HTTP/1.1\r\nHost: t\r\n{extra_headers}\r\n")
}

fn post(headers: &str, body: &str) -> String {
    format!("POST /echo HTTP/1.1\r\nHost: t\r\n{headers}\r\n{body}")
}

fn request_lines() -> Vec<Case> {
    use Expect::*;
    vec![
        case("well-formed GET", get(""), Serves(200), "baseline"),
        case(
            "HTTP/1.0, no Host",
            "GET /ping HTTP/1.0\r\n\r\n",
            Closes(200),
            "9112 9.3: 1.0 closes",
        ),
        case(
            "HTTP/1.0 keep-alive",
            "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            Serves(200),
            "9112 9.3",
        ),
        case(
            "HTTP/1.2 (higher minor)",
            "GET /ping HTTP/1.2\r\nHost: t\r\n\r\n",
            Serves(200),
            "9110 2.5: as 1.1",
        ),
        case(
            "HTTP/2.0 request line",
            "GET /ping HTTP/2.0\r\nHost: t\r\n\r\n",
            Closes(505),
            "9110 15.6.6",
        ),
        case(
            "HTTP/3.0 request line",
            "GET /ping HTTP/3.0\r\nHost: t\r\n\r\n",
            Closes(505),
            "9110 15.6.6",
        ),
        // The whole HTTP/2 preface starts HTTP/2 (tests/http2.rs); its method alone in an
        // HTTP/1.1 request is just a method this server does not implement.
        case(
            "PRI method in an HTTP/1.1 request",
            "PRI /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(501),
            "9110 9.1",
        ),
        case(
            "HTTP/0.9 (no version)",
            "GET /ping\r\n",
            Closes(400),
            "9112 2.3: no 0.9",
        ),
        case(
            "lower-case version",
            "GET /ping http/1.1\r\nHost: t\r\n\r\n",
            Closes(400),
            "9112 2.3",
        ),
        case(
            "two spaces after method",
            "GET  /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(400),
            "9112 3",
        ),
        case(
            "tab as separator",
            "GET\t/ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(400),
            "9112 3",
        ),
        case(
            "trailing token after version",
            "GET /ping HTTP/1.1 x\r\nHost: t\r\n\r\n",
            Closes(400),
            "9112 3",
        ),
        case(
            "bare LF line ends",
            "GET /ping HTTP/1.1\nHost: t\n\n",
            Serves(200),
            "9112 2.2: MAY accept LF",
        ),
        case(
            "bare CR in request line",
            "GET /ping\rHTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(400),
            "9112 2.2",
        ),
        case(
            "empty line before request",
            "\r\nGET /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(200),
            "9112 2.2: SHOULD ignore",
        ),
        case(
            "unknown method",
            "FOO /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(501),
            "9110 9.1",
        ),
        case(
            "lower-case method",
            "get /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(501),
            "9110 9.1: case-sensitive",
        ),
        case(
            "method with a delimiter",
            "G(T /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(400),
            "9110 9.1: token",
        ),
        case(
            "no method",
            " /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Closes(400),
            "9112 3",
        ),
        case(
            "known method, not routed",
            "DELETE /ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(405),
            "9110 15.5.6",
        ),
        case(
            "absolute-form",
            "GET http://t/ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(200),
            "9112 3.2.2: MUST accept",
        ),
        case(
            "absolute-form, other Host",
            "GET http://t/ping HTTP/1.1\r\nHost: other\r\n\r\n",
            Serves(200),
            "9112 3.2.2: target wins",
        ),
        case(
            "asterisk-form OPTIONS",
            "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(204),
            "9112 3.2.4",
        ),
        case(
            "asterisk-form GET",
            "GET * HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(400),
            "9112 3.2.4",
        ),
        case(
            "authority-form GET",
            "GET t:80 HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(400),
            "9112 3.2.3",
        ),
        case(
            "target without slash",
            "GET ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(400),
            "9112 3.2",
        ),
        case(
            "control byte in target",
            &b"GET /pi\x01ng HTTP/1.1\r\nHost: t\r\n\r\n"[..],
            Closes(400),
            "9112 3.2",
        ),
        case(
            "non-ASCII byte in target",
            &b"GET /\xffping HTTP/1.1\r\nHost: t\r\n\r\n"[..],
            Closes(400),
            "9112 3.2",
        ),
        case(
            "malformed escape in path",
            "GET /users/%zz HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(400),
            "3986 2.1",
        ),
        case(
            "encoded NUL in path",
            "GET /users/a%00b HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(400),
            "NUL refused",
        ),
        case(
            "dot segments",
            "GET /../ping HTTP/1.1\r\nHost: t\r\n\r\n",
            Serves(404),
            "3986 5.2.4",
        ),
        case(
            "8 KiB query",
            format!(
                "GET /ping?q={} HTTP/1.1\r\nHost: t\r\n\r\n",
                "a".repeat(8 * 1024)
            ),
            Serves(200),
            "9112 3: 8000+ octets",
        ),
        case(
            "70 KiB target",
            format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(70 * 1024)),
            Closes(431),
            "head limit (414 in spirit)",
        ),
    ]
}

fn header_fields() -> Vec<Case> {
    use Expect::*;
    let many = |n: usize| get(&(0..n).map(|i| format!("X-H{i}: v\r\n")).collect::<String>());
    vec![
        case("HTTP/1.1 without Host", "GET /ping HTTP/1.1\r\n\r\n", Closes(400), "9112 3.2: MUST"),
        case("two Host headers", get("Host: u\r\n"), Closes(400), "9112 3.2: MUST"),
        case("Host with a space", "GET /ping HTTP/1.1\r\nHost: a b\r\n\r\n", Closes(400), "9112 3.2: MUST"),
        case("Host with userinfo", "GET /ping HTTP/1.1\r\nHost: u@t\r\n\r\n", Closes(400), "9112 3.2: MUST"),
        case("empty Host", "GET /ping HTTP/1.1\r\nHost:\r\n\r\n", Serves(200), "9112 3.2"),
        case("Host with port", "GET /ping HTTP/1.1\r\nHost: t:8080\r\n\r\n", Serves(200), "9112 3.2"),
        case("space in header name", get("Bad Name: v\r\n"), Closes(400), "9110 5.1"),
        case("space before colon", get("X-A : v\r\n"), Closes(400), "9112 5.1: MUST 400"),
        case("no colon", get("NoColon\r\n"), Closes(400), "9112 5"),
        case("empty header name", get(": v\r\n"), Closes(400), "9110 5.1"),
        case("delimiter in header name", get("X(A): v\r\n"), Closes(400), "9110 5.1"),
        case("obs-fold", get("X-A: a\r\n b\r\n"), Closes(400), "9112 5.2: 400 or SP"),
        case("whitespace before first header", "GET /ping HTTP/1.1\r\n Host: t\r\n\r\n", Closes(400), "9112 2.2"),
        case("NUL in header value", &b"GET /ping HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n"[..], Closes(400), "9110 5.5: MUST"),
        case("bare CR in header value", get("X-A: a\rb\r\n"), Closes(400), "9112 2.2"),
        case("obs-text in header value", &b"GET /ping HTTP/1.1\r\nHost: t\r\nX-A: caf\xe9\r\n\r\n"[..], Serves(200), "9110 5.5"),
        case("tab in header value", get("X-A: a\tb\r\n"), Serves(200), "9110 5.5"),
        case("10 KiB header name", get(&format!("X-{}: v\r\n", "n".repeat(10 * 1024))), Serves(200), "under the head limit"),
        case("100 KiB header line", get(&format!("X-A: {}\r\n", "a".repeat(100 * 1024))), Closes(431), "6585 5"),
        case("99 header lines", many(98), Serves(200), "under 100"),
        case("500 header lines", many(500), Closes(431), "6585 5"),
        case("Expect: unknown", get("Expect: something\r\n"), Serves(200), "9110 10.1.1: MAY 417"),
        case("Expect 100-continue, 404", "POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", Closes(404), "9110 10.1.1"),
        case("Connection: close", get("Connection: close\r\n"), Closes(200), "9112 9.6"),
    ]
}

fn framing() -> Vec<Case> {
    use Expect::*;
    let te = |value: &str, body: &str| post(&format!("Transfer-Encoding: {value}\r\n"), body);
    vec![
        case("Content-Length body", post("Content-Length: 5\r\n", "hello"), Serves(200), "9112 6.2"),
        case("Content-Length with leading zeros", post("Content-Length: 005\r\n", "hello"), Serves(200), "9110 8.6"),
        case("Content-Length list, same values", post("Content-Length: 5, 5\r\n", "hello"), Closes(400), "9110 8.6: MAY reject"),
        case("two equal Content-Length", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), Serves(200), "9110 8.6: MAY accept"),
        case("two different Content-Length", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), Closes(400), "9112 6.3: MUST"),
        case("Content-Length list, differing", post("Content-Length: 5, 6\r\n", "hello"), Closes(400), "9112 6.3: MUST"),
        case("negative Content-Length", post("Content-Length: -1\r\n", ""), Closes(400), "9112 6.3"),
        case("Content-Length +5", post("Content-Length: +5\r\n", "hello"), Closes(400), "9110 8.6: 1*DIGIT"),
        case("Content-Length not a number", post("Content-Length: abc\r\n", ""), Closes(400), "9112 6.3"),
        case("Content-Length overflowing u64", post("Content-Length: 99999999999999999999\r\n", ""), Closes(400), "9112 6.3"),
        case("Content-Length over the limit", post("Content-Length: 1025\r\n", ""), Closes(413), "9110 15.5.14"),
        case("body shorter than Content-Length", post("Content-Length: 200\r\n", "short"), Closes(408), "9112 8: incomplete"),
        case("GET with a body", "GET /ping HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", Serves(200), "9110 9.3.1"),
        case("chunked body", te("chunked", "5\r\nhello\r\n0\r\n\r\n"), Serves(200), "9112 7.1"),
        case("chunked, upper case", te("CHUNKED", "5\r\nhello\r\n0\r\n\r\n"), Serves(200), "9112 7: case-insensitive"),
        case("chunked after a tab", post("Transfer-Encoding:\tchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), Serves(200), "9110 5.6.3"),
        case("chunked with trailers", te("chunked", "5\r\nhello\r\n0\r\nX-T: v\r\n\r\n"), Serves(200), "9112 7.1.2"),
        case("chunk extension", te("chunked", "5;a=b\r\nhello\r\n0\r\n\r\n"), Serves(200), "9112 7.1.1"),
        case("gzip, chunked", te("gzip, chunked", "5\r\nhello\r\n0\r\n\r\n"), Closes(501), "9112 6.1: SHOULD 501"),
        case("chunked, gzip", te("chunked, gzip", "5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 6.3: MUST 400"),
        case("gzip alone", te("gzip", "hello"), Closes(400), "9112 6.3: MUST 400"),
        case("chunked twice", te("chunked, chunked", "5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 7: once"),
        case("xchunked", te("xchunked", "5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 6.3"),
        case("TE.TE: chunked then x", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", "5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 6.3"),
        case("TE with space before colon", post("Transfer-Encoding : chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 5.1"),
        case("CL.TE smuggling", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG"), Closes(200), "9112 6.1: TE wins, MUST close"),
        case("TE.CL smuggling", post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", "5c\r\nGPOST /echo HTTP/1.1\r\n\r\n0\r\n\r\n"), Closes(408), "9112 6.1: TE wins, chunk eats the rest"),
        case("chunked in HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", Closes(400), "9112 6.1: faulty framing"),
        case("chunk size not hex", te("chunked", "zz\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 7.1"),
        case("negative chunk size", te("chunked", "-5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 7.1"),
        case("chunk size 0x5", te("chunked", "0x5\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 7.1"),
        case("chunk size overflowing u64", te("chunked", "fffffffffffffffffff\r\nhello\r\n0\r\n\r\n"), Closes(400), "9112 7.1"),
        case("chunk over the body limit", te("chunked", &format!("fffff\r\n{}", "x".repeat(2000))), Closes(413), "9110 15.5.14"),
        case("chunk longer than its size", te("chunked", "5\r\nhelloXX\r\n0\r\n\r\n"), Closes(400), "9112 7.1"),
        case("20 KiB chunk extension", te("chunked", &format!("5;{}\r\nhello\r\n0\r\n\r\n", "e".repeat(20 * 1024))), Closes(400), "9112 7.1.1: limit"),
        case("NUL in chunk size line", &b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\x00\r\nhello\r\n0\r\n\r\n"[..], Closes(400), "9112 7.1"),
    ]
}

fn garbage() -> Vec<Case> {
    use Expect::*;
    vec![
        case(
            "NUL bytes only",
            &b"\x00\x00\x00\r\n\r\n"[..],
            Closes(400),
            "9112 3",
        ),
        case(
            "binary garbage",
            &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
            Closes(400),
            "TLS hello on HTTP",
        ),
        case(
            "request line only LF LF",
            "GET /ping HTTP/1.1\n\n",
            Closes(400),
            "9112 3.2: no Host",
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    [request_lines(), header_fields(), framing(), garbage()]
        .into_iter()
        .flatten()
        .collect()
}

/// What the server did with one case, as checked against its [`Expect`].
async fn run_case(server: &TestServer, case: &Case) -> Result<(), String> {
    let mut bytes = case.request.clone();
    bytes.extend_from_slice(FOLLOW_UP);
    let wire = exchange(server, &bytes, Duration::from_secs(5))
        .await
        .ok_or("the connection hung (no close within 5 s)")?;
    let got: Vec<u16> = responses(&wire).iter().map(|a| a.status).collect();
    let want = match case.expect {
        Expect::Serves(status) => vec![status, 200],
        Expect::Closes(status) => vec![status],
    };
    if got != want {
        return Err(format!(
            "statuses {got:?}, expected {want:?}; wire: {:?}",
            String::from_utf8_lossy(&wire[..wire.len().min(300)])
        ));
    }
    if let Expect::Serves(_) = case.expect {
        let last = responses(&wire).pop().map(|a| a.body);
        if last.as_deref() != Some(b"pong") {
            return Err(format!("the pipelined request got {last:?}"));
        }
    }
    Ok(())
}

/// The table as markdown, for docs/hardening.md.
fn markdown(cases: &[Case]) -> String {
    let mut out = String::from(
        "| # | request | sent (start) | answer | rule (RFC) |\n|---|---|---|---|---|\n",
    );
    for (i, c) in cases.iter().enumerate() {
        let sent: String = String::from_utf8_lossy(&c.request)
            .chars()
            .take(48)
            .flat_map(char::escape_default)
            .collect::<String>()
            .replace('|', "\\|");
        let answer = match c.expect {
            Expect::Serves(s) => format!("{s}, connection serves on"),
            Expect::Closes(s) => format!("{s}, then close"),
        };
        out.push_str(&format!(
            "| {} | {} | `{sent}` | {answer} | {} |\n",
            i + 1,
            c.name,
            c.rule
        ));
    }
    out
}

/// `cargo test --test hostile every_hostile_request -- --nocapture` prints the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_request_gets_its_answer_and_the_server_serves_on() {
    let cases = all_cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    println!("{}", markdown(&cases));
    let server = TestServer::start(hostile_app()).await;
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run_case(&server, case).await {
            failures.push(format!("{}: {why}", case.name));
        }
        // A fresh connection is still served after each one.
        let fresh = statuses(&server, b"GET /ping HTTP/1.0\r\n\r\n").await;
        assert_eq!(fresh, [200], "after {}", case.name);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    server.stop().await.expect("the server stops cleanly");
}

#[tokio::test]
async fn the_head_limit_is_enforced_while_the_head_is_still_arriving() {
    // No end of head ever comes: a 431 (not the read timeout's silent close) shows the
    // limit was applied to the bytes as they arrived.
    let server = TestServer::start(hostile_app().read_timeout(Duration::from_secs(10))).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let mut head = b"GET /ping HTTP/1.1\r\nHost: t\r\nX-Long: ".to_vec();
    head.resize(head.len() + 70 * 1024, b'a');
    stream.write_all(&head).await.expect("write");
    let wire = read_until_close(&mut stream, Duration::from_secs(3))
        .await
        .expect("an answer well before the read timeout");
    assert_eq!(responses(&wire).first().map(|a| a.status), Some(431));
}
