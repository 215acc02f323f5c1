//! Body limits on every transport (HTTP/1.1, h2c, h2 over TLS, in process): a declared
//! length over a route's limit is refused before its handler runs, buffered and streamed
//! routes alike, and a multipart body's framing and form fields are bounded, each refusal
//! a 413 that names its setting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use httpserver::{
    collect_routes, post, App, BodyStream, FromRequest, HttpError, Multipart, Request, State,
};
use httpserver_suite::{on_every_transport, Client, Transport};

/// How many times a handler with side effects has started.
#[derive(Default)]
struct Started(AtomicUsize);

#[post("/stream", max_body_size = 1024)]
async fn stream(started: State<Arc<Started>>, mut body: BodyStream) -> Result<String, HttpError> {
    started.0.fetch_add(1, Ordering::SeqCst);
    let mut total = 0;
    while let Some(chunk) = body.next().await {
        total += chunk?.len();
    }
    Ok(total.to_string())
}

#[post("/form", max_body_size = 64 * 1024)]
async fn form(started: State<Arc<Started>>, mut form: Multipart) -> Result<String, HttpError> {
    started.0.fetch_add(1, Ordering::SeqCst);
    let mut fields = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        let len = field.bytes().await?.len();
        fields.push(format!("{}={len}", field.name().unwrap_or("")));
    }
    Ok(fields.join(","))
}

#[post("/buffered", max_body_size = 1024)]
async fn buffered(started: State<Arc<Started>>, req: Request) -> String {
    started.0.fetch_add(1, Ordering::SeqCst);
    req.body().len().to_string()
}

/// `BodyStream` under another name: a route taking it streams all the same.
type Upload = BodyStream;

/// A wrapper of `BodyStream`, which says that it streams.
struct Chunks(BodyStream);

impl FromRequest for Chunks {
    const STREAMS_BODY: bool = true;

    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        BodyStream::from_request(req).await.map(Chunks)
    }
}

async fn count(mut body: BodyStream) -> Result<usize, HttpError> {
    let mut total = 0;
    while let Some(chunk) = body.next().await {
        total += chunk?.len();
    }
    Ok(total)
}

/// What the handler saw: the body read before it (`req.body()`), and what it streamed.
#[post("/alias")]
async fn alias(req: Request, body: Upload) -> Result<String, HttpError> {
    Ok(format!(
        "buffered {} streamed {}",
        req.body().len(),
        count(body).await?
    ))
}

#[post("/wrapper")]
async fn wrapper(req: Request, body: Chunks) -> Result<String, HttpError> {
    Ok(format!(
        "buffered {} streamed {}",
        req.body().len(),
        count(body.0).await?
    ))
}

/// A limit from configuration, read when the routes are collected.
static UPLOAD_LIMIT: AtomicUsize = AtomicUsize::new(0);

fn upload_limit() -> usize {
    UPLOAD_LIMIT.load(Ordering::SeqCst)
}

#[post("/configured", max_body_size = upload_limit())]
async fn configured(req: Request) -> String {
    req.body().len().to_string()
}

fn app(started: &Arc<Started>) -> App {
    App::new()
        .routes(collect_routes![
            stream, form, buffered, alias, wrapper, configured
        ])
        .state(Arc::clone(started))
        .max_multipart_header_size(1024)
        .max_multipart_parts(20)
        .max_form_field_size(2048)
        .access_log(false)
}

const MULTIPART: (&str, &str) = ("content-type", "multipart/form-data; boundary=XyZ");

fn part(name: &str, file: Option<&str>, value: &[u8]) -> Vec<u8> {
    let file = file.map_or(String::new(), |f| format!("; filename=\"{f}\""));
    [
        format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n")
            .as_bytes(),
        value,
        b"\r\n",
    ]
    .concat()
}

fn body(parts: &[Vec<u8>]) -> Vec<u8> {
    [parts.concat(), b"--XyZ--\r\n".to_vec()].concat()
}

async fn a_declared_length_over_the_limit_never_starts_a_handler(t: Transport) {
    let started = Arc::new(Started::default());
    let client = Client::start(app(&started), t).await;
    let too_big = vec![b'x'; 2048];
    for target in ["/stream", "/buffered"] {
        let res = client.exchange("POST", target, &[], &too_big).await;
        res.assert_status(413);
    }
    let form = body(&[part("big", Some("a.bin"), &[b'y'; 70 * 1024])]);
    let res = client.exchange("POST", "/form", &[MULTIPART], &form).await;
    res.assert_status(413);
    assert_eq!(
        started.0.load(Ordering::SeqCst),
        0,
        "a handler ran for a body declared too large ({t:?})"
    );
    // Within the limits, each handler runs.
    let res = client.exchange("POST", "/stream", &[], &[b'z'; 1000]).await;
    assert_eq!((res.status, res.text()), (200, "1000".to_owned()));
    let res = client
        .exchange("POST", "/buffered", &[], &[b'z'; 1000])
        .await;
    assert_eq!((res.status, res.text()), (200, "1000".to_owned()));
    assert_eq!(started.0.load(Ordering::SeqCst), 2);
    client.stop().await;
}

async fn multipart_framing_and_fields_are_bounded(t: Transport) {
    let started = Arc::new(Started::default());
    let client = Client::start(app(&started), t).await;
    let post = |form: Vec<u8>| {
        let client = &client;
        async move { client.exchange("POST", "/form", &[MULTIPART], &form).await }
    };

    let ok = body(&[
        part("title", None, b"hello"),
        part("file", Some("f.bin"), &[b'f'; 8 * 1024]),
    ]);
    let res = post(ok).await;
    assert_eq!(
        (res.status, res.text()),
        (200, "title=5,file=8192".to_owned())
    );

    // A header block that never ends.
    let endless = format!("--XyZ\r\nX-Filler: {}", "h".repeat(4096)).into_bytes();
    let res = post(endless).await;
    res.assert_status(413);
    assert!(
        res.text().contains("max_multipart_header_size"),
        "{}",
        res.text()
    );

    // A preamble that never reaches a boundary.
    let res = post(vec![b'p'; 4096]).await;
    res.assert_status(413);
    assert!(res.text().contains("preamble"), "{}", res.text());

    // One part too many.
    let many: Vec<Vec<u8>> = (0..21)
        .map(|i| part(&format!("f{i}"), None, b"v"))
        .collect();
    let res = post(body(&many)).await;
    res.assert_status(413);
    assert!(res.text().contains("max_multipart_parts"), "{}", res.text());

    // A form value over its limit; a file of the same size is fine.
    let res = post(body(&[part("essay", None, &[b'e'; 4096])])).await;
    res.assert_status(413);
    let text = res.text();
    assert!(
        text.contains("`essay`") && text.contains("max_form_field_size"),
        "{text}"
    );
    let res = post(body(&[part("essay", Some("essay.txt"), &[b'e'; 4096])])).await;
    assert_eq!((res.status, res.text()), (200, "essay=4096".to_owned()));
    client.stop().await;
}

/// Streaming is the extractor's own word (`FromRequest::STREAMS_BODY`), not its type's
/// name: behind an alias or a wrapper, the body still arrives unread.
async fn an_alias_or_a_wrapper_of_body_stream_streams(t: Transport) {
    let started = Arc::new(Started::default());
    let client = Client::start(app(&started), t).await;
    for target in ["/alias", "/wrapper"] {
        let res = client.exchange("POST", target, &[], b"hello").await;
        assert_eq!(res.text(), "buffered 0 streamed 5", "{target} over {t:?}");
    }
    client.stop().await;
}

/// `max_body_size = upload_limit()`: a route's limit may come from configuration read at
/// start-up, not only from a constant.
async fn a_route_limit_may_come_from_configuration(t: Transport) {
    UPLOAD_LIMIT.store(2048, Ordering::SeqCst);
    let started = Arc::new(Started::default());
    let client = Client::start(app(&started), t).await;
    let res = client
        .exchange("POST", "/configured", &[], &[b'c'; 2048])
        .await;
    assert_eq!((res.status, res.text()), (200, "2048".to_owned()), "{t:?}");
    let res = client
        .exchange("POST", "/configured", &[], &[b'c'; 2049])
        .await;
    res.assert_status(413);
    client.stop().await;
}

on_every_transport!(
    a_route_limit_may_come_from_configuration,
    an_alias_or_a_wrapper_of_body_stream_streams,
    a_declared_length_over_the_limit_never_starts_a_handler,
    multipart_framing_and_fields_are_bounded
);
