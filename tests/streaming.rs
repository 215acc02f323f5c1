//! API §5: streaming responses and Server-Sent Events. What the app streams (items, event
//! framing byte for byte, headers, chunk-by-chunk reads) is tested over a real socket and
//! through the in-process test client (`name::socket`, `name::in_process`); what only the
//! wire shows (chunked encoding, chunk timing, disconnects, an error cutting the
//! connection, HEAD, shutdown) is socket-only.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use httpserver::{
    collect_routes, get, App, BoxError, ChunkSender, Event, IntoResponse, Request, Sse, State,
    StreamingResponse, TestStream,
};
use httpserver_suite::{
    exchange_on_every, on_every_transport, request, Client, H2Response, HttpResponse, TestServer,
    Transport, IO_TIMEOUT,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};

/// How long a test waits for something that should happen promptly (a drop, a failed
/// send) before failing.
const BOUNDED: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// Helpers

/// A raw HTTP/1.1 client that reads a chunked response one chunk at a time, so a test can
/// look at the first chunk while the server's stream is still open.
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// A response head: status and headers (names lower-cased).
#[derive(Debug)]
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Raw {
    /// Opens a connection and sends `GET path` (keep-alive: a close seen later is the
    /// server's doing, not the request's).
    async fn get(server: &TestServer, path: &str) -> Raw {
        Raw::send(server, &request("GET", path, &[], "", true)).await
    }

    async fn send(server: &TestServer, req: &str) -> Raw {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream.write_all(req.as_bytes()).await.expect("write");
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads more bytes; 0 means the server closed the connection.
    async fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 4096];
        let n = tokio::time::timeout(IO_TIMEOUT, self.stream.read(&mut tmp))
            .await
            .expect("the server sent nothing within the I/O timeout")
            .unwrap_or(0);
        self.buf.extend_from_slice(&tmp[..n]);
        n
    }

    async fn head(&mut self) -> Head {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            assert!(self.fill().await > 0, "closed before the response head");
        };
        let text = String::from_utf8(self.buf.drain(..end).collect()).expect("UTF-8 head");
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Head { status, headers }
    }

    /// The next chunk of a chunked body; `None` for the final, empty chunk. Panics if
    /// the connection closes first (see [`Raw::rest_until_close`] for that case).
    async fn chunk(&mut self) -> Option<Vec<u8>> {
        let line_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                break i;
            }
            assert!(self.fill().await > 0, "closed inside a chunk size line");
        };
        let size_line = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
        let size = usize::from_str_radix(size_line.trim(), 16)
            .unwrap_or_else(|_| panic!("not a chunk size: {size_line:?}"));
        while self.buf.len() < line_end + 2 + size + 2 {
            assert!(self.fill().await > 0, "closed inside a chunk");
        }
        let chunk: Vec<u8> = self.buf[line_end + 2..line_end + 2 + size].to_vec();
        assert_eq!(&self.buf[line_end + 2 + size..line_end + 4 + size], b"\r\n");
        self.buf.drain(..line_end + 4 + size);
        (size > 0).then_some(chunk)
    }

    /// The next chunk, as text.
    async fn text_chunk(&mut self) -> Option<String> {
        self.chunk()
            .await
            .map(|c| String::from_utf8(c).expect("UTF-8 chunk"))
    }

    /// Everything the server sends until it closes the connection.
    async fn rest_until_close(&mut self) -> Vec<u8> {
        while self.fill().await > 0 {}
        std::mem::take(&mut self.buf)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `GET` whose body is read one chunk at a time while the app's stream is still open:
/// over the socket, the chunks of the chunked encoding ([`Raw`], on a kept-alive
/// connection); in process, the test client's [`TestStream`], each non-empty item as the
/// app produced it.
struct Reading {
    head: Head,
    body: Reader,
}

enum Reader {
    Socket { raw: Raw, server: TestServer },
    InProcess(TestStream),
    Http2 { res: H2Response, client: Client },
}

impl Reading {
    /// Serves `app` over `t`, sends `GET path` and reads the response head.
    async fn get(app: App, t: Transport, path: &str) -> Reading {
        match t {
            Transport::Socket => {
                let server = TestServer::start(app).await;
                let mut raw = Raw::get(&server, path).await;
                let head = raw.head().await;
                Reading {
                    head,
                    body: Reader::Socket { raw, server },
                }
            }
            Transport::InProcess => {
                let res = app
                    .test_client()
                    .get(path)
                    .header("host", "test")
                    .send_streaming()
                    .await;
                let headers = res
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        let v = v.to_str().expect("a text header value");
                        (k.as_str().to_owned(), v.to_owned())
                    })
                    .collect();
                let head = Head {
                    status: res.status().as_u16(),
                    headers,
                };
                Reading {
                    head,
                    body: Reader::InProcess(res),
                }
            }
            Transport::H2c | Transport::H2Tls => {
                let client = Client::start(app, t).await;
                let res = client
                    .open_h2("GET", path, &[], b"")
                    .await
                    .expect("an HTTP/2 transport");
                let head = Head {
                    status: res.status,
                    headers: res.headers.clone(),
                };
                Reading {
                    head,
                    body: Reader::Http2 { res, client },
                }
            }
        }
    }

    /// The next chunk; `None` at the end of the body.
    async fn chunk(&mut self) -> Option<Vec<u8>> {
        match &mut self.body {
            Reader::Socket { raw, .. } => raw.chunk().await,
            Reader::InProcess(res) => res.chunk().await.map(|c| c.to_vec()),
            Reader::Http2 { res, .. } => res.chunk().await,
        }
    }

    /// The next chunk, as text.
    async fn text_chunk(&mut self) -> Option<String> {
        self.chunk()
            .await
            .map(|c| String::from_utf8(c).expect("UTF-8 chunk"))
    }

    /// The client goes away (closes its connection, or drops the [`TestStream`]); the
    /// server, if any, is handed back still running.
    fn leave(self) -> Option<TestServer> {
        match self.body {
            Reader::Socket { raw, server } => {
                drop(raw);
                Some(server)
            }
            Reader::InProcess(res) => {
                drop(res);
                None
            }
            Reader::Http2 { res, client } => {
                drop(res);
                client.into_server()
            }
        }
    }

    /// The client goes away, then the server stops.
    async fn finish(self) {
        if let Some(server) = self.leave() {
            server.stop().await.unwrap();
        }
    }
}

/// `GET path` to `app` over `t`, read to the end, with the chunks its body came in: those
/// of the chunked encoding over the socket; in process, those [`TestStream::chunk`] reads
/// (each non-empty item as the app produced it) from a second, identical request.
async fn get_chunked(app: App, t: Transport, path: &str) -> HttpResponse {
    match t {
        Transport::Socket | Transport::H2c | Transport::H2Tls => {
            let client = Client::start(app, t).await;
            let res = client.get(path).await;
            client.stop().await;
            res
        }
        Transport::InProcess => {
            let client = app.test_client();
            let request = || {
                client
                    .get(path)
                    .header("host", "test")
                    .header("connection", "close")
            };
            let mut res = HttpResponse::from_test_response(&request().send().await);
            let mut stream = request().send_streaming().await;
            while let Some(chunk) = stream.chunk().await {
                res.chunks.push(chunk.to_vec());
            }
            assert_eq!(
                res.chunks.concat(),
                res.body,
                "{path}: chunks and body agree"
            );
            res
        }
    }
}

/// A stream that tells, through `dropped`, when the server drops it.
struct DropProbe<S> {
    inner: S,
    dropped: Arc<Notify>,
}

impl<S: Stream + Unpin> Stream for DropProbe<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

impl<S> Drop for DropProbe<S> {
    fn drop(&mut self) {
        self.dropped.notify_one();
    }
}

/// One chunk, then nothing more: a stream that stays open until dropped.
fn hello_then_pending<T: From<&'static str> + Send + 'static>(
) -> Pin<Box<dyn Stream<Item = T> + Send>> {
    Box::pin(stream::once(async { T::from("hello") }).chain(stream::pending()))
}

/// Hands values made inside a handler (a channel's sender) to the test.
struct Handoff<T>(Mutex<mpsc::UnboundedSender<T>>);

impl<T> Handoff<T> {
    fn pair() -> (Handoff<T>, mpsc::UnboundedReceiver<T>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Handoff(Mutex::new(tx)), rx)
    }

    fn give(&self, value: T) {
        let _ = self.0.lock().expect("handoff lock").send(value);
    }
}

async fn take<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(IO_TIMEOUT, rx.recv())
        .await
        .expect("the handler did not run")
        .expect("handoff closed")
}

async fn wait_for(what: &str, notify: &Notify) {
    tokio::time::timeout(BOUNDED, notify.notified())
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within {BOUNDED:?}"));
}

/// Where the drop probes of the probed routes report.
struct Dropped(Arc<Notify>);

impl Dropped {
    fn probe<S>(&self, inner: S) -> DropProbe<S> {
        DropProbe {
            inner,
            dropped: Arc::clone(&self.0),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Routes

/// Exactly the example of API.md §5.
#[get("/events")]
async fn events(_req: Request) -> StreamingResponse {
    let chunks = futures_util::stream::iter((0..5).map(|i| format!("data: event {i}\n\n")));
    StreamingResponse::new(chunks).with_content_type("text/event-stream")
}

#[get("/kinds/text")]
async fn kind_text() -> StreamingResponse {
    StreamingResponse::new(stream::iter(["static ", "str"]))
}

#[get("/kinds/vec")]
async fn kind_vec() -> StreamingResponse {
    StreamingResponse::new(stream::iter([vec![0u8, 1], vec![2, 255]]))
}

#[get("/kinds/bytes")]
async fn kind_bytes() -> StreamingResponse {
    StreamingResponse::new(stream::iter([
        Bytes::from_static(b"by"),
        Bytes::from_static(b"tes"),
    ]))
}

#[get("/kinds/result")]
async fn kind_result() -> StreamingResponse {
    let items: Vec<Result<String, std::io::Error>> = vec![Ok("ok ".into()), Ok("fine".into())];
    StreamingResponse::new(stream::iter(items))
}

#[get("/empty-chunks")]
async fn empty_chunks() -> StreamingResponse {
    StreamingResponse::new(stream::iter(["a", "", "b", ""]))
}

#[get("/nothing")]
async fn nothing() -> StreamingResponse {
    StreamingResponse::new(stream::iter(Vec::<String>::new()))
}

#[get("/custom")]
async fn custom() -> StreamingResponse {
    StreamingResponse::new(stream::iter(["{\"n\":1}\n", "{\"n\":2}\n"]))
        .with_status(202)
        .with_header("x-stream", "yes")
        .with_content_type("application/x-ndjson")
}

#[get("/bad-header")]
async fn bad_header() -> StreamingResponse {
    StreamingResponse::new(stream::iter(["never sent"])).with_header("x-bad", "line\nbreak")
}

#[get("/channel")]
async fn channel(handoff: State<Handoff<ChunkSender<String>>>) -> StreamingResponse {
    let (tx, res) = StreamingResponse::channel(1);
    handoff.give(tx);
    res
}

#[get("/probed")]
async fn probed(dropped: State<Dropped>) -> StreamingResponse {
    StreamingResponse::new(dropped.probe(hello_then_pending::<&'static str>()))
}

#[get("/fails")]
async fn fails() -> StreamingResponse {
    let items: Vec<Result<&'static str, BoxError>> =
        vec![Ok("one"), Err("the database went away".into()), Ok("never")];
    StreamingResponse::new(stream::iter(items))
}

#[get("/ok")]
async fn ok() -> &'static str {
    "still serving"
}

fn framing_events() -> Vec<Event> {
    vec![
        Event::default().data("first line\nsecond\r\nthird\rfourth"),
        Event::default()
            .event("update")
            .id("7")
            .retry(Duration::from_millis(2500))
            .data("x"),
        Event::default().comment("just a comment"),
        Event::default()
            .event("evil\r\ndata: forged")
            .id("1\nretry: 0\0")
            .data("ok"),
        Event::default().data("trailing\n"),
        Event::default(), // nothing set: nothing sent
        Event::default().comment("two\nlines").data(""),
    ]
}

const FRAMED: [&str; 6] = [
    "data: first line\ndata: second\ndata: third\ndata: fourth\n\n",
    "event: update\nid: 7\nretry: 2500\ndata: x\n\n",
    ": just a comment\n\n",
    "event: evildata: forged\nid: 1retry: 0\ndata: ok\n\n",
    "data: trailing\ndata:\n\n",
    ": two\n: lines\ndata:\n\n",
];

#[get("/sse/framing")]
async fn sse_framing() -> Sse {
    Sse::new(stream::iter(framing_events()))
}

#[get("/sse/idle")]
async fn sse_idle() -> Sse {
    Sse::new(stream::pending::<Event>()).keep_alive(Duration::from_millis(50))
}

#[get("/sse/channel")]
async fn sse_channel(handoff: State<Handoff<ChunkSender<Event>>>) -> Sse {
    let (tx, sse) = Sse::channel(4);
    handoff.give(tx);
    sse.keep_alive(Duration::from_millis(50))
}

#[get("/sse/probed")]
async fn sse_probed(dropped: State<Dropped>) -> Sse {
    let events = stream::once(async { Event::default().data("hello") }).chain(stream::pending());
    Sse::new(dropped.probe(Box::pin(events))).keep_alive(Duration::from_millis(50))
}

#[get("/sse/short")]
async fn sse_short() -> Sse {
    let events = stream::iter(1..=2).map(|n| Event::default().id(n.to_string()).data("tick"));
    Sse::new(events).keep_alive(Duration::from_millis(50))
}

#[get("/sse/fails")]
async fn sse_fails() -> Sse {
    let items: Vec<Result<Event, std::io::Error>> = vec![
        Ok(Event::default().data("before")),
        Err(std::io::Error::other("feed lost")),
        Ok(Event::default().data("after")),
    ];
    Sse::new(stream::iter(items))
}

#[get("/sse/tuple")]
async fn sse_tuple() -> (Sse, u16, [(&'static str, &'static str); 1]) {
    let events = stream::iter([Event::default().data("x")]);
    (
        Sse::new(events),
        200,
        [("access-control-allow-origin", "*")],
    )
}

#[get("/sse/json")]
async fn sse_json() -> Result<Sse, serde_json::Error> {
    let event = Event::default()
        .event("user")
        .json_data(&serde_json::json!({"bio": "line\nbreak"}))?;
    Ok(Sse::new(stream::iter([event])))
}

fn app() -> App {
    App::new().routes(collect_routes![
        events,
        kind_text,
        kind_vec,
        kind_bytes,
        kind_result,
        empty_chunks,
        nothing,
        custom,
        bad_header,
        fails,
        ok,
        sse_framing,
        sse_idle,
        sse_short,
        sse_fails,
        sse_json,
        sse_tuple,
    ])
}

fn probed_app(dropped: Arc<Notify>) -> App {
    App::new()
        .state(Dropped(dropped))
        .routes(collect_routes![probed, sse_probed, ok])
}

// ---------------------------------------------------------------------------------------
// Streaming responses

/// One chunk per item, in order: a chunk of the chunked encoding each on the wire, a
/// chunk read each through the test client; no length announced on either.
async fn a_stream_is_sent_chunked_one_chunk_per_item(t: Transport) {
    let res = get_chunked(app(), t, "/events").await;
    res.assert_status(200);
    if t == Transport::Socket {
        assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    }
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    let chunks: Vec<String> = res
        .chunks
        .iter()
        .map(|c| String::from_utf8(c.clone()).unwrap())
        .collect();
    let expected: Vec<String> = (0..5).map(|i| format!("data: event {i}\n\n")).collect();
    assert_eq!(chunks, expected);
}

async fn every_item_type_streams_with_its_default_content_type(t: Transport) {
    let cases: [(&str, &str, &[u8]); 4] = [
        ("/kinds/text", "text/plain; charset=utf-8", b"static str"),
        ("/kinds/vec", "application/octet-stream", &[0, 1, 2, 255]),
        ("/kinds/bytes", "application/octet-stream", b"bytes"),
        ("/kinds/result", "text/plain; charset=utf-8", b"ok fine"),
    ];
    for (path, content_type, body) in cases {
        let res = get_chunked(app(), t, path).await;
        res.assert_status(200);
        assert_eq!(res.header("content-type"), Some(content_type), "{path}");
        if t == Transport::Socket {
            assert_eq!(res.header("transfer-encoding"), Some("chunked"), "{path}");
        }
        assert_eq!(res.body, body, "{path}");
        assert_eq!(res.chunks.len(), 2, "{path}: {:?}", res.chunks);
    }
}

async fn empty_chunks_are_skipped_and_an_empty_stream_is_an_empty_body(t: Transport) {
    let res = get_chunked(app(), t, "/empty-chunks").await;
    assert_eq!(res.chunks, vec![b"a".to_vec(), b"b".to_vec()]);
    let res = get_chunked(app(), t, "/nothing").await;
    res.assert_status(200);
    assert!(res.body.is_empty(), "{res:?}");
}

async fn status_headers_and_content_type_can_be_set(t: Transport) {
    let server = Client::start(app(), t).await;
    let res = server.get("/custom").await;
    res.assert_status(202);
    assert_eq!(res.header("x-stream"), Some("yes"));
    assert_eq!(res.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(res.text(), "{\"n\":1}\n{\"n\":2}\n");
    // An invalid header is the application's mistake: a 500, nothing of the stream.
    let res = server.get("/bad-header").await;
    res.assert_status(500);
    assert!(!res.text().contains("never sent"));
    server.stop().await;
}

on_every_transport!(
    a_stream_is_sent_chunked_one_chunk_per_item,
    every_item_type_streams_with_its_default_content_type,
    empty_chunks_are_skipped_and_an_empty_stream_is_an_empty_body,
    status_headers_and_content_type_can_be_set
);

/// Socket-only: chunk timing on the wire (the in-process counterpart is
/// `channel_events_are_read_as_they_are_sent`).
#[tokio::test]
async fn each_chunk_reaches_the_client_before_the_next_is_produced() {
    let (handoff, mut senders) = Handoff::pair();
    let server = TestServer::start(app().state(handoff).routes(collect_routes![channel])).await;
    let mut client = Raw::get(&server, "/channel").await;
    let tx: ChunkSender<String> = take(&mut senders).await;

    tx.send("first".into()).await.unwrap();
    let head = client.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // The second item does not exist yet: the first chunk was flushed on its own.
    assert_eq!(client.text_chunk().await.as_deref(), Some("first"));

    tx.send("second".into()).await.unwrap();
    assert_eq!(client.text_chunk().await.as_deref(), Some("second"));

    drop(tx); // the last sender: the response ends
    assert_eq!(client.chunk().await, None);
    server.stop().await.unwrap();
}

/// Socket-only: a closed connection.
#[tokio::test]
async fn a_client_that_disconnects_drops_the_stream() {
    let dropped = Arc::new(Notify::new());
    let server = TestServer::start(probed_app(Arc::clone(&dropped))).await;
    let mut client = Raw::get(&server, "/probed").await;
    assert_eq!(client.head().await.status, 200);
    assert_eq!(client.text_chunk().await.as_deref(), Some("hello"));
    drop(client); // closes the socket mid-stream
    wait_for("dropping the stream after the client left", &dropped).await;
    assert_eq!(server.get("/ok").await.text(), "still serving");
    server.stop().await.unwrap();
}

/// Socket-only: a closed connection.
#[tokio::test]
async fn the_channel_sender_fails_once_the_client_is_gone() {
    let (handoff, mut senders) = Handoff::pair();
    let server = TestServer::start(app().state(handoff).routes(collect_routes![channel])).await;
    let mut client = Raw::get(&server, "/channel").await;
    let tx: ChunkSender<String> = take(&mut senders).await;
    tx.send("first".into()).await.unwrap();
    client.head().await;
    assert_eq!(client.text_chunk().await.as_deref(), Some("first"));
    assert!(!tx.is_closed());

    drop(client);
    tokio::time::timeout(BOUNDED, tx.closed())
        .await
        .expect("the sender did not see the client leave");
    assert!(tx.is_closed());
    let err = tx.send("lost".into()).await.unwrap_err();
    assert_eq!(err.into_inner(), "lost");
    server.stop().await.unwrap();
}

/// Socket-only: the connection is cut (the in-process counterpart is
/// `test_client_sees_an_error_end_the_events`).
#[tokio::test]
async fn an_error_item_cuts_the_response_and_the_server_serves_on() {
    let server = TestServer::start(app()).await;
    let mut client = Raw::get(&server, "/fails").await;
    assert_eq!(client.head().await.status, 200);
    assert_eq!(client.text_chunk().await.as_deref(), Some("one"));
    // The connection is closed without the final empty chunk: the client can tell the
    // body is incomplete, and it never gets what came after the error.
    let rest = client.rest_until_close().await;
    assert!(
        rest.is_empty(),
        "expected the connection closed right after the error, got {:?}",
        String::from_utf8_lossy(&rest)
    );
    let res = server.get("/ok").await;
    res.assert_status(200);
    assert_eq!(res.text(), "still serving");
    server.stop().await.unwrap();
}

/// Socket-only: HEAD framing on a kept-alive connection.
#[tokio::test]
async fn head_of_a_streaming_route_sends_no_body_and_drops_the_stream() {
    let dropped = Arc::new(Notify::new());
    let server = TestServer::start(probed_app(Arc::clone(&dropped))).await;
    let mut conn = server.connect().await;
    conn.write(request("HEAD", "/probed", &[], "", true).as_bytes())
        .await;
    let res = conn.read_head_response().await;
    res.assert_status(200);
    wait_for("dropping the stream of a HEAD response", &dropped).await;
    // The connection is still usable: no body bytes were sent.
    let res = conn.send(&request("GET", "/ok", &[], "", false)).await;
    assert_eq!(res.text(), "still serving");
    server.stop().await.unwrap();
}

/// Socket-only: shutdown and its grace period.
#[tokio::test]
async fn shutdown_cuts_an_endless_stream_after_the_grace_period() {
    let dropped = Arc::new(Notify::new());
    let app = probed_app(Arc::clone(&dropped)).grace_period(Duration::from_millis(300));
    let server = TestServer::start(app).await;
    let mut client = Raw::get(&server, "/probed").await;
    client.head().await;
    assert_eq!(client.text_chunk().await.as_deref(), Some("hello"));

    let started = std::time::Instant::now();
    tokio::time::timeout(BOUNDED, server.stop())
        .await
        .expect("shutdown did not finish")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the stream was cut before the grace period"
    );
    wait_for("dropping the stream at shutdown", &dropped).await;
    // Cut, not completed: no final chunk.
    assert!(client.rest_until_close().await.is_empty());
}

/// Socket-only: an event stream ends cleanly as soon as shutdown starts (its clients
/// reconnect), instead of holding the shutdown for the whole grace period.
#[tokio::test]
async fn shutdown_ends_an_event_stream_at_once_and_cleanly() {
    let dropped = Arc::new(Notify::new());
    let app = probed_app(Arc::clone(&dropped)).grace_period(Duration::from_secs(30));
    let server = TestServer::start(app).await;
    let mut client = Raw::get(&server, "/sse/probed").await;
    client.head().await;
    assert_eq!(
        client.text_chunk().await.as_deref(),
        Some("data: hello\n\n")
    );

    let started = std::time::Instant::now();
    tokio::time::timeout(BOUNDED, server.stop())
        .await
        .expect("shutdown did not finish")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the event stream held the shutdown for {:?}",
        started.elapsed()
    );
    wait_for("dropping the event stream at shutdown", &dropped).await;
    // Ended, not cut: keep-alive comments may come first, then the final chunk.
    while let Some(chunk) = client.text_chunk().await {
        assert_eq!(chunk, ": keep-alive\n\n");
    }
}

// ---------------------------------------------------------------------------------------
// Server-Sent Events

async fn sse_sends_its_headers_and_frames_events_exactly(t: Transport) {
    let res = get_chunked(app(), t, "/sse/framing").await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    assert_eq!(res.header("x-accel-buffering"), Some("no"));
    if t == Transport::Socket {
        assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    }
    let chunks: Vec<String> = res
        .chunks
        .iter()
        .map(|c| String::from_utf8(c.clone()).unwrap())
        .collect();
    assert_eq!(chunks, FRAMED);
}

/// Each keep-alive comes within the bound, as a chunk of its own.
async fn sse_sends_keep_alive_comments_while_idle(t: Transport) {
    let mut res = Reading::get(app(), t, "/sse/idle").await;
    assert_eq!(res.head.header("content-type"), Some("text/event-stream"));
    for _ in 0..2 {
        let chunk = tokio::time::timeout(BOUNDED, res.text_chunk())
            .await
            .expect("a keep-alive within the bound");
        assert_eq!(chunk.as_deref(), Some(": keep-alive\n\n"));
    }
    res.finish().await;
}

async fn sse_keep_alive_stops_when_the_events_end(t: Transport) {
    let (handoff, mut senders) = Handoff::pair();
    let app = app().state(handoff).routes(collect_routes![sse_channel]);
    let mut res = Reading::get(app, t, "/sse/channel").await;
    let tx: ChunkSender<Event> = take(&mut senders).await;

    tx.send(Event::default().id("1").data("one")).await.unwrap();
    // Keep-alives may come before the event, none inside it.
    let mut saw_keep_alive = false;
    loop {
        match res.text_chunk().await.as_deref() {
            Some(": keep-alive\n\n") => saw_keep_alive = true,
            Some(event) => {
                assert_eq!(event, "id: 1\ndata: one\n\n");
                break;
            }
            None => panic!("the response ended early"),
        }
    }
    // Idle now: a keep-alive comes.
    while !saw_keep_alive {
        saw_keep_alive = res.text_chunk().await.as_deref() == Some(": keep-alive\n\n");
    }
    drop(tx);
    let ended = tokio::time::timeout(BOUNDED, async {
        while let Some(chunk) = res.text_chunk().await {
            assert_eq!(chunk, ": keep-alive\n\n");
        }
    })
    .await;
    assert!(ended.is_ok(), "the response went on after the events ended");
    res.finish().await;
}

async fn a_finite_sse_stream_with_keep_alive_ends(t: Transport) {
    let server = Client::start(app(), t).await;
    let res = server.get("/sse/short").await;
    assert_eq!(res.text(), "id: 1\ndata: tick\n\nid: 2\ndata: tick\n\n");
    server.stop().await;
}

on_every_transport!(
    sse_sends_its_headers_and_frames_events_exactly,
    sse_sends_keep_alive_comments_while_idle,
    sse_keep_alive_stops_when_the_events_end,
    a_finite_sse_stream_with_keep_alive_ends
);

/// Socket-only: a closed connection.
#[tokio::test]
async fn a_client_that_disconnects_drops_the_event_stream() {
    let dropped = Arc::new(Notify::new());
    let server = TestServer::start(probed_app(Arc::clone(&dropped))).await;
    let mut client = Raw::get(&server, "/sse/probed").await;
    client.head().await;
    assert_eq!(
        client.text_chunk().await.as_deref(),
        Some("data: hello\n\n")
    );
    assert_eq!(
        client.text_chunk().await.as_deref(),
        Some(": keep-alive\n\n")
    );
    drop(client);
    wait_for("dropping the event stream after the client left", &dropped).await;
    server.stop().await.unwrap();
}

/// Socket-only: the connection is cut (the in-process counterpart is
/// `test_client_sees_an_error_end_the_events`).
#[tokio::test]
async fn an_error_in_an_event_stream_closes_the_connection() {
    let server = TestServer::start(app()).await;
    let mut client = Raw::get(&server, "/sse/fails").await;
    client.head().await;
    assert_eq!(
        client.text_chunk().await.as_deref(),
        Some("data: before\n\n")
    );
    assert!(client.rest_until_close().await.is_empty());
    assert_eq!(server.get("/ok").await.text(), "still serving");
    server.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Read chunk by chunk

async fn events_are_read_one_at_a_time(t: Transport) {
    let mut res = Reading::get(app(), t, "/sse/framing").await;
    assert_eq!(res.head.status, 200);
    assert_eq!(res.head.header("content-type"), Some("text/event-stream"));
    assert_eq!(res.head.header("cache-control"), Some("no-cache"));
    assert_eq!(res.head.header("x-accel-buffering"), Some("no"));
    for expected in FRAMED {
        let chunk = res.chunk().await.expect("another event");
        assert_eq!(std::str::from_utf8(&chunk).unwrap(), expected);
    }
    assert_eq!(res.chunk().await, None);
    res.finish().await;
}

/// Each event is read as soon as it is sent; once the client is gone, sending fails. In
/// process that is at once; over the socket once the server has seen the connection
/// close.
async fn channel_events_are_read_as_they_are_sent(t: Transport) {
    let (handoff, mut senders) = Handoff::pair();
    let app = App::new()
        .state(handoff)
        .routes(collect_routes![sse_channel]);
    let mut res = Reading::get(app, t, "/sse/channel").await;
    let tx: ChunkSender<Event> = take(&mut senders).await;
    for n in 1..=3 {
        let event = Event::default().event("tick").id(n.to_string()).data("on");
        tx.send(event).await.unwrap();
        let chunk = loop {
            let chunk = res.chunk().await.expect("the event");
            if chunk != b": keep-alive\n\n" {
                break chunk;
            }
        };
        assert_eq!(
            chunk,
            format!("event: tick\nid: {n}\ndata: on\n\n").as_bytes()
        );
    }
    let server = res.leave(); // the client goes away
    if t != Transport::InProcess {
        tokio::time::timeout(BOUNDED, tx.closed())
            .await
            .expect("the sender did not see the client leave");
    }
    let err = tx.send(Event::default().data("lost")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the response stream is closed: the client went away"
    );
    if let Some(server) = server {
        server.stop().await.unwrap();
    }
}

on_every_transport!(
    events_are_read_one_at_a_time,
    channel_events_are_read_as_they_are_sent
);

/// In-process only: how the test client reports an error in the stream (it ends the
/// body). On the wire that is the connection cut without a final chunk, tested in
/// `an_error_in_an_event_stream_closes_the_connection`.
#[tokio::test]
async fn test_client_sees_an_error_end_the_events() {
    let client = app().test_client();
    let mut res = client.get("/sse/fails").send_streaming().await;
    assert_eq!(res.chunk().await.as_deref(), Some(&b"data: before\n\n"[..]));
    assert_eq!(res.chunk().await, None);
}

// ---------------------------------------------------------------------------------------
// Events

async fn json_data_stays_on_one_line(t: Transport) {
    let client = Client::start(app(), t).await;
    let res = client.get("/sse/json").await;
    assert_eq!(
        res.text(),
        "event: user\ndata: {\"bio\":\"line\\nbreak\"}\n\n"
    );
    client.stop().await;
}

async fn an_sse_response_can_take_a_status_and_headers_from_a_tuple(t: Transport) {
    let events = stream::iter([Event::default().data("x")]);
    let res = (
        Sse::new(events),
        200,
        [("access-control-allow-origin", "*")],
    )
        .into_response();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    // The same tuple returned by a handler.
    let client = Client::start(app(), t).await;
    let res = client.get("/sse/tuple").await;
    res.assert_status(200);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    assert_eq!(res.text(), "data: x\n\n");
    client.stop().await;
}

on_every_transport!(
    json_data_stays_on_one_line,
    an_sse_response_can_take_a_status_and_headers_from_a_tuple
);

#[test]
fn events_are_framed_per_the_whatwg_rules() {
    let cases = [
        (
            Event::default().data("a\nb\r\nc\rd"),
            "data: a\ndata: b\ndata: c\ndata: d\n\n",
        ),
        (Event::default().data("\n"), "data:\ndata:\n\n"),
        (
            Event::default().data(" leading space"),
            "data:  leading space\n\n",
        ),
        (
            Event::default().data("a\r\n\r\nb"),
            "data: a\ndata:\ndata: b\n\n",
        ),
        (
            Event::default().event("a\rb\nc").data("x"),
            "event: abc\ndata: x\n\n",
        ),
        (Event::default().id("4\r\n2\0"), "id: 42\n\n"),
        (Event::default().id(""), "id:\n\n"),
        (
            Event::default().retry(Duration::from_secs(3)),
            "retry: 3000\n\n",
        ),
        (Event::default().comment("").comment("b"), ":\n: b\n\n"),
        (
            Event::default().data("x").data("replaced"),
            "data: replaced\n\n",
        ),
        (Event::default(), ""),
    ];
    for (event, wire) in cases {
        assert_eq!(event.to_string(), wire, "{event:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Both transports, side by side

/// Every finite stream of this file answers the same over the socket and in process:
/// status line, headers (but those of the connection) in order, and body.
#[tokio::test]
async fn the_test_client_answers_exactly_as_the_server() {
    for path in [
        "/events",
        "/kinds/text",
        "/kinds/vec",
        "/kinds/bytes",
        "/kinds/result",
        "/empty-chunks",
        "/nothing",
        "/custom",
        "/bad-header",
        "/ok",
        "/sse/framing",
        "/sse/short",
        "/sse/json",
        "/sse/tuple",
    ] {
        for method in ["GET", "HEAD"] {
            exchange_on_every(app, method, path, &[], b"").await;
        }
    }
}
