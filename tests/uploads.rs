//! Uploads over a real socket: multipart bodies streamed to disk (memory stays flat), unsafe
//! file names, malformed and truncated bodies, per-route limits enforced while the body
//! streams, and a before hook that refuses an upload before its body is read.

use std::path::PathBuf;
use std::time::Duration;

use httpserver::{
    collect_routes, post, App, BodyStream, HttpError, IntoResponse, Request, Response,
};
use httpserver_suite::{TestServer, IO_TIMEOUT};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[allow(dead_code)]
#[path = "../examples/upload.rs"]
mod upload_example;

const BOUNDARY: &str = "----upload-test-boundary";
const MIB: usize = 1024 * 1024;

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("httpserver-uploads-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The resident set of this process (server and client both live here), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn text_part(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

fn file_head(name: &str, file_name: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes()
}

fn closing() -> Vec<u8> {
    format!("--{BOUNDARY}--\r\n").into_bytes()
}

fn head(target: &str, length: usize, extra: &str) -> String {
    format!(
        "POST {target} HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\n{extra}Connection: close\r\n\r\n"
    )
}

/// The byte at offset `i` of the big test file: not all one value, so a reordered or lost
/// chunk shows.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// Reads until the server closes, or fails the test after `IO_TIMEOUT`.
async fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(IO_TIMEOUT, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "no answer within {IO_TIMEOUT:?}");
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {response:?}"))
}

fn json_of(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {response}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_parts_and_a_50_mib_file_stream_to_disk_with_flat_memory() {
    let dir = scratch("big");
    let server = TestServer::start(upload_example::app(dir.clone())).await;
    const BIG: usize = 50 * MIB;
    let mut prefix = text_part("note", "hello");
    prefix.extend(file_head("file", "small.txt"));
    prefix.extend(b"a small file\r\n");
    prefix.extend(file_head("file", "big.bin"));
    let suffix = [b"\r\n".to_vec(), closing()].concat();
    let length = prefix.len() + BIG + suffix.len();

    let before = rss_kib();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(head("/upload", length, "").as_bytes())
        .await
        .unwrap();
    stream.write_all(&prefix).await.unwrap();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut peak = before;
    for start in (0..BIG).step_by(chunk.len()) {
        for (j, byte) in chunk.iter_mut().enumerate() {
            *byte = pattern(start + j);
        }
        stream.write_all(&chunk).await.unwrap();
        if start.is_multiple_of(8 * MIB) {
            peak = peak.max(rss_kib());
        }
    }
    stream.write_all(&suffix).await.unwrap();
    let response = read_all(&mut stream).await;
    let after = rss_kib();
    assert_eq!(status_of(&response), 200, "{response}");
    let saved = json_of(&response);
    assert_eq!(saved["saved"][0]["value"], "hello");
    assert_eq!(saved["saved"][1]["bytes"], 12);
    assert_eq!(saved["saved"][2]["file"], "big.bin");
    assert_eq!(saved["saved"][2]["bytes"], BIG);

    let on_disk = std::fs::read(dir.join("big.bin")).expect("the file");
    assert_eq!(on_disk.len(), BIG);
    assert!(
        on_disk.iter().enumerate().all(|(i, b)| *b == pattern(i)),
        "the bytes as sent"
    );
    drop(on_disk);
    let growth_mib = after.saturating_sub(before) as f64 / 1024.0;
    eprintln!(
        "RSS before {before} KiB, peak while sending {peak} KiB, after {after} KiB (+{growth_mib:.1} MiB)"
    );
    assert!(
        growth_mib < 16.0,
        "RSS grew {growth_mib:.1} MiB over a 50 MiB upload"
    );
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_client_file_name_cannot_leave_the_upload_directory() {
    let dir = scratch("names");
    let server = TestServer::start(upload_example::app(dir.join("inside"))).await;
    std::fs::create_dir_all(dir.join("inside")).unwrap();
    for (sent, saved) in [
        ("../../evil", "evil"),
        ("..\\..\\evil.bat", "evil.bat"),
        ("/etc/passwd", "etc_passwd"),
        ("..", "file"),
    ] {
        let mut body = file_head("file", sent);
        body.extend(b"payload\r\n");
        body.extend(closing());
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(head("/upload", body.len(), "").as_bytes())
            .await
            .unwrap();
        stream.write_all(&body).await.unwrap();
        let response = read_all(&mut stream).await;
        assert_eq!(status_of(&response), 200, "{sent}: {response}");
        assert_eq!(json_of(&response)["saved"][0]["file"], saved, "{sent}");
        assert!(dir.join("inside").join(saved).exists(), "{sent}");
    }
    assert!(!dir.join("evil").exists() && !std::env::temp_dir().join("evil").exists());
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn malformed_truncated_and_boundaryless_bodies_are_400_and_others_415() {
    let dir = scratch("bad");
    let server = TestServer::start(upload_example::app(dir.clone())).await;
    let send = |request: Vec<u8>, half_close: bool| async move {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(&request).await.unwrap();
        if half_close {
            stream.shutdown().await.unwrap();
        }
        read_all(&mut stream).await
    };
    // No boundary parameter.
    let body = text_part("a", "1");
    let no_boundary = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let response = send([no_boundary.into_bytes(), body.clone()].concat(), false).await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert!(response.contains("without a boundary"), "{response}");
    // Not multipart at all.
    let not_multipart = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let response = send([not_multipart.into_bytes(), body.clone()].concat(), false).await;
    assert_eq!(status_of(&response), 415, "{response}");
    // No closing boundary: the body ends inside a field.
    let mut unterminated = file_head("file", "cut.txt");
    unterminated.extend(b"half a file");
    let response = send(
        [
            head("/upload", unterminated.len(), "").into_bytes(),
            unterminated,
        ]
        .concat(),
        false,
    )
    .await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert!(!dir.join("cut.txt").exists(), "a partial file is removed");
    // Truncated on the wire: the client stops sending inside a file, short of its
    // Content-Length.
    let mut cut = file_head("file", "short.txt");
    cut.extend(b"0123456789");
    let declared = head("/upload", cut.len() + 100, "");
    let response = send([declared.into_bytes(), cut].concat(), true).await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert!(!dir.join("short.txt").exists(), "a partial file is removed");
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[post("/ingest", max_body_size = 1024 * 1024)]
async fn ingest(mut body: BodyStream) -> Result<String, HttpError> {
    let mut total = 0;
    while let Some(chunk) = body.next().await {
        total += chunk?.len();
    }
    Ok(total.to_string())
}

#[post("/big", max_body_size = 4 * 1024 * 1024)]
async fn big(req: Request) -> String {
    req.body().len().to_string()
}

#[post("/small")]
async fn small(req: Request) -> String {
    req.body().len().to_string()
}

async fn refuse_anonymous(req: Request) -> Option<Response> {
    if req.header("authorization").is_none() {
        return Some(("log in first", 401).into_response());
    }
    None
}

fn limits_app() -> App {
    App::new()
        .max_body_size(64 * 1024)
        .routes(collect_routes![ingest, big, small])
}

/// Sends `total` bytes chunked, at a pace a network would (a pause each 64 KiB), while
/// reading the answer; returns it and how many bytes were sent when it came.
async fn race_chunked_upload(
    addr: std::net::SocketAddr,
    target: &str,
    total: usize,
    extra: &str,
) -> (String, usize) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head =
        format!("POST {target} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n{extra}\r\n");
    writer.write_all(head.as_bytes()).await.unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&sent);
    let sender = tokio::spawn(async move {
        let chunk = vec![b'x'; 16 * 1024];
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        while counter.load(std::sync::atomic::Ordering::Relaxed) < total {
            if writer.write_all(&frame).await.is_err() {
                return;
            }
            let sent = counter.fetch_add(16 * 1024, std::sync::atomic::Ordering::Relaxed);
            if sent.is_multiple_of(64 * 1024) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
        // Keep the sending side open: a client that shuts it is taken as gone (that is how
        // the server notices a client that left and drops its handler).
        std::future::pending::<()>().await;
    });
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(IO_TIMEOUT, reader.read(&mut buf))
        .await
        .expect("an answer in time")
        .expect("read");
    let at = sent.load(std::sync::atomic::Ordering::Relaxed);
    sender.abort();
    (String::from_utf8_lossy(&buf[..n]).into_owned(), at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_limits_hold_while_the_body_streams() {
    let server = TestServer::start(limits_app()).await;
    // A streaming route: 413 as soon as its 1 MiB is passed, while the client still sends.
    let (response, sent) = race_chunked_upload(server.addr, "/ingest", 32 * MIB, "").await;
    assert_eq!(status_of(&response), 413, "{response}");
    assert!(
        sent < 32 * MIB,
        "answered before the client finished ({sent} bytes sent)"
    );
    // A declared length over the limit: refused before a byte of the body is read.
    let mut conn = server.connect().await;
    let res = conn
        .send("POST /ingest HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n")
        .await;
    res.assert_status(413);
    // Within the limit: the whole body arrives.
    let body = vec![b'y'; 900 * 1024];
    let request = format!(
        "POST /ingest HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let response = read_all(&mut stream).await;
    assert!(response.ends_with("\r\n\r\n921600"), "{response}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_route_with_a_larger_limit_beside_one_with_the_apps() {
    let server = TestServer::start(limits_app()).await;
    let two_mib = vec![b'z'; 2 * MIB];
    let post = |target: &str| {
        format!(
            "POST {target} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            two_mib.len()
        )
    };
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(post("/big").as_bytes()).await.unwrap();
    stream.write_all(&two_mib).await.unwrap();
    let response = read_all(&mut stream).await;
    assert_eq!(status_of(&response), 200, "{response}");
    assert!(response.ends_with("2097152"), "{response}");
    // The app's 64 KiB: refused at once from the declared length.
    let mut conn = server.connect().await;
    conn.write(post("/small").as_bytes()).await;
    conn.read_response().await.assert_status(413);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_before_hook_refuses_an_upload_before_its_body_is_read() {
    let server = TestServer::start(limits_app().before_request(refuse_anonymous)).await;
    let (response, sent) = race_chunked_upload(server.addr, "/ingest", 32 * MIB, "").await;
    assert_eq!(status_of(&response), 401, "{response}");
    assert!(response.contains("connection: close"), "{response}");
    assert!(
        sent < 32 * MIB,
        "the refusal came while the client was sending ({sent} bytes)"
    );
    // With credentials the same upload goes through.
    let (response, _) =
        race_chunked_upload(server.addr, "/ingest", 512 * 1024, "Authorization: x\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 200 OK"),
        "with credentials: {response:?}"
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    server.stop().await.unwrap();
}
