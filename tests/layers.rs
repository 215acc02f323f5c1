//! `App::layer` with tower-http's layers, over a real socket: compression, CORS, timeouts,
//! request ids and tracing wrap routes, hooks, error handlers and static files alike, and
//! streams still arrive chunk by chunk under compression.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpserver::{
    collect_routes, get, App, Event, HttpError, IntoResponse, Request, Response, Sse, State,
    StreamingResponse,
};
use httpserver_suite::{TestServer, IO_TIMEOUT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const TEXT: &str = "All work and no play makes Jack a dull boy. ";

fn big_text() -> String {
    TEXT.repeat(200)
}

#[get("/big")]
async fn big() -> String {
    big_text()
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

#[get("/request-id")]
async fn request_id(req: Request) -> String {
    req.header("x-request-id").unwrap_or("none").to_owned()
}

/// Lets a test see one chunk arrive before the next is produced.
#[derive(Default)]
struct Gate(Notify);

#[get("/stream")]
async fn stream(gate: State<Gate>) -> StreamingResponse {
    let gate = State::arc(&gate);
    let (tx, res) = StreamingResponse::channel(4);
    tokio::spawn(async move {
        let _ = tx.send(format!("first {}\n", big_text())).await;
        gate.0.notified().await;
        let _ = tx.send("second\n".to_owned()).await;
    });
    res.with_content_type("text/plain")
}

#[get("/events")]
async fn events(gate: State<Gate>) -> Sse {
    let gate = State::arc(&gate);
    let (tx, sse) = Sse::channel(4);
    tokio::spawn(async move {
        let _ = tx.send(Event::default().data("first")).await;
        gate.0.notified().await;
        let _ = tx.send(Event::default().data("second")).await;
    });
    sse
}

async fn not_found(_req: Request, _err: HttpError) -> impl IntoResponse {
    (format!("nothing here. {}", big_text()), 404)
}

fn app() -> App {
    App::new()
        .routes(collect_routes![big, slow, request_id, stream, events])
        .state(Gate::default())
        .error_handler(404, not_found)
}

/// One request with `Connection: close`, read to the end: (head in lowercase, body bytes
/// with chunked framing removed).
async fn fetch(server: &TestServer, method: &str, path: &str, headers: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(IO_TIMEOUT, stream.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = unchunk(&body).0;
    }
    (head, body)
}

/// The data of chunked framing, and whether the last chunk was seen.
fn unchunk(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return (out, false);
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return (out, true);
        }
        if raw.len() < eol + 2 + size + 2 {
            return (out, false);
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
}

fn gunzip(bytes: &[u8]) -> String {
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    decoder.write_all(bytes).unwrap();
    String::from_utf8(decoder.finish().unwrap()).unwrap()
}

#[tokio::test]
async fn compression_covers_routes_error_handlers_and_static_files() {
    let dir = std::env::temp_dir().join(format!("httpserver-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("page.html"), big_text()).unwrap();
    let app = app()
        .static_files("/static", &dir)
        .layer(CompressionLayer::new());
    let server = TestServer::start(app).await;

    let (head, body) = fetch(&server, "GET", "/big", "Accept-Encoding: gzip\r\n").await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(body.len() < big_text().len() / 10, "{} bytes", body.len());
    assert_eq!(gunzip(&body), big_text());

    let (head, body) = fetch(&server, "GET", "/big", "").await;
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(body, big_text().as_bytes());

    let (head, body) = fetch(&server, "GET", "/missing", "Accept-Encoding: gzip\r\n").await;
    assert!(head.starts_with("http/1.1 404"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(gunzip(&body).starts_with("nothing here."));

    let (head, body) = fetch(
        &server,
        "GET",
        "/static/page.html",
        "Accept-Encoding: gzip\r\n",
    )
    .await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert_eq!(gunzip(&body), big_text());

    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn cors_answers_preflights_and_marks_responses() {
    let cors = CorsLayer::new()
        .allow_origin("https://example.com".parse::<http::HeaderValue>().unwrap())
        .allow_methods([http::Method::GET]);
    let server = TestServer::start(app().layer(cors)).await;
    let (head, _) = fetch(
        &server,
        "OPTIONS",
        "/big",
        "Origin: https://example.com\r\nAccess-Control-Request-Method: GET\r\n",
    )
    .await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("access-control-allow-origin: https://example.com"),
        "{head}"
    );
    assert!(head.contains("access-control-allow-methods: get"), "{head}");
    let (head, body) = fetch(&server, "GET", "/big", "Origin: https://example.com\r\n").await;
    assert!(
        head.contains("access-control-allow-origin: https://example.com"),
        "{head}"
    );
    assert_eq!(body, big_text().as_bytes());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn timeout_answers_408_for_a_slow_handler() {
    let app = app().layer(TimeoutLayer::with_status_code(
        http::StatusCode::REQUEST_TIMEOUT,
        Duration::from_millis(200),
    ));
    let server = TestServer::start(app).await;
    let started = std::time::Instant::now();
    let (head, _) = fetch(&server, "GET", "/slow", "").await;
    assert!(head.starts_with("http/1.1 408"), "{head}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let (head, _) = fetch(&server, "GET", "/big", "").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn request_ids_reach_the_handler_and_the_response() {
    let app = app()
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    let server = TestServer::start(app).await;
    let (head, body) = fetch(&server, "GET", "/request-id", "").await;
    let id = String::from_utf8(body).unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert!(head.contains(&format!("x-request-id: {id}")), "{head}");
    let (head, body) = fetch(&server, "GET", "/request-id", "X-Request-Id: mine-42\r\n").await;
    assert_eq!(body, b"mine-42");
    assert!(head.contains("x-request-id: mine-42"), "{head}");
    server.stop().await.unwrap();
}

/// Collects what the app logs while one test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_each_request() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // A current-thread test runtime: the server's tasks run on this thread, under it.
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = TestServer::start(app().layer(TraceLayer::new_for_http())).await;
    let (head, _) = fetch(&server, "GET", "/big", "").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    server.stop().await.unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("started processing request"), "{log}");
    assert!(log.contains("finished processing request"), "{log}");
    assert!(log.contains("uri=/big"), "{log}");
}

/// Reads the body of a chunked response as it arrives until `want` shows in what
/// `decode` makes of it; fails if it does not within a few seconds.
async fn read_until(
    stream: &mut TcpStream,
    raw: &mut Vec<u8>,
    decode: impl Fn(&[u8]) -> String,
    want: &str,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = decode(&unchunk(&raw[split + 4..]).0);
            if text.contains(want) {
                return String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            }
        }
        let mut buf = [0u8; 16 * 1024];
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{want:?} did not arrive on its own: {:?}",
                    String::from_utf8_lossy(raw)
                )
            })
            .unwrap();
        assert!(n > 0, "closed early");
        raw.extend_from_slice(&buf[..n]);
    }
}

/// What a gzip stream decodes to so far (a flushed deflate block decodes on its own).
fn gunzip_partial(bytes: &[u8]) -> String {
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let _ = decoder.write_all(bytes);
    let _ = decoder.flush();
    String::from_utf8_lossy(decoder.get_ref()).into_owned()
}

#[tokio::test]
async fn event_streams_stay_uncompressed_and_arrive_event_by_event() {
    let app = app().layer(CompressionLayer::new());
    let gate = app.handle();
    let server = TestServer::start(app).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request =
        "GET /events HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let plain = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let head = read_until(&mut stream, &mut raw, plain, "data: first").await;
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(!head.contains("content-encoding"), "{head}");
    gate.state::<Gate>().expect("gate").0.notify_one();
    read_until(&mut stream, &mut raw, plain, "data: second").await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn streams_arrive_chunk_by_chunk_under_compression() {
    let app = app().layer(CompressionLayer::new());
    let gate = app.handle();
    let server = TestServer::start(app).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request =
        "GET /stream HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let head = read_until(&mut stream, &mut raw, gunzip_partial, "first").await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    gate.state::<Gate>().expect("gate").0.notify_one();
    read_until(&mut stream, &mut raw, gunzip_partial, "second").await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_test_client_and_into_service_run_through_layers() {
    use tower::ServiceExt;
    let app = app().layer(CompressionLayer::new());
    let res = app
        .test_client()
        .get("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(res.bytes()), big_text());

    let service = app.into_service().unwrap();
    let req = http::Request::get("/big")
        .header("accept-encoding", "gzip")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn hooks_run_inside_the_layers() {
    async fn short_circuit(req: Request) -> Option<Response> {
        (req.path() == "/blocked").then(|| (big_text(), 403).into_response())
    }
    let app = app()
        .before_request(short_circuit)
        .layer(CompressionLayer::new());
    let server = TestServer::start(app).await;
    let (head, body) = fetch(&server, "GET", "/blocked", "Accept-Encoding: gzip\r\n").await;
    assert!(head.starts_with("http/1.1 403"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert_eq!(gunzip(&body), big_text());
    server.stop().await.unwrap();
}

/// What the layers cost against hand-written after hooks doing the same (gzip when the
/// client accepts it, and a CORS header), in process, per request. A rough figure, for
/// docs/websocket-and-layers.md:
/// `cargo test --release --test layers -- --ignored --nocapture hook_versus_layer`.
#[tokio::test]
#[ignore = "a measurement, not a check: run it in release"]
async fn hook_versus_layer_cost() {
    use flate2::{write::GzEncoder, Compression};

    #[get("/small")]
    async fn small_route() -> &'static str {
        "hello"
    }

    async fn gzip_and_cors(req: Request, mut res: Response) -> Response {
        res.headers_mut().insert(
            "access-control-allow-origin",
            http::HeaderValue::from_static("*"),
        );
        let accepts = req
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip"));
        let body = match res.body().as_bytes() {
            Some(body) if accepts && body.len() >= 32 => body.to_vec(),
            _ => return res,
        };
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        if encoder.write_all(&body).is_err() {
            return res;
        }
        let Ok(gz) = encoder.finish() else { return res };
        let (status, headers, _) = res.into_parts();
        let mut out = Response::new(gz).with_status(status);
        *out.headers_mut() = headers;
        out.headers_mut().remove(http::header::CONTENT_LENGTH);
        out.headers_mut()
            .insert("content-encoding", http::HeaderValue::from_static("gzip"));
        out
    }

    let base = || App::new().routes(collect_routes![big, small_route]);
    let apps = [
        ("none", base()),
        ("hook", base().after_request(gzip_and_cors)),
        (
            "layer",
            base()
                .layer(CompressionLayer::new())
                .layer(CorsLayer::new().allow_origin(tower_http::cors::Any)),
        ),
    ];
    const N: u32 = 3000;
    let mut line = String::new();
    for path in ["/big", "/small"] {
        for (name, app) in &apps {
            let client = app.test_client();
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let started = std::time::Instant::now();
                for _ in 0..N {
                    let res = client
                        .get(path)
                        .header("accept-encoding", "gzip")
                        .header("origin", "https://example.com")
                        .send()
                        .await;
                    assert_eq!(res.status(), 200);
                }
                best = best.min(started.elapsed() / N);
            }
            line.push_str(&format!(
                "{path} {name}: {:.1} µs; ",
                best.as_secs_f64() * 1e6
            ));
        }
    }
    println!("per request, in process, best of 3 x {N}: {line}");
}
