//! API §6: before/after request hooks and error handlers (by status and by error type),
//! as a client sees them. Each test runs over a real socket and through the in-process
//! test client (`name::socket`, `name::in_process`); where the server must keep serving
//! after a failure, the socket variant sends the next request on the same connection.

use std::future::{ready, Ready};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use httpserver::{
    abort, collect_routes, get, post, App, HttpError, IntoResponse, Json, Request, Response, State,
    StreamingResponse,
};
use httpserver_suite::{on_every_transport, request, Client, HttpResponse, Transport};
use serde_json::json;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// What ran, in order: hooks and handlers push their names. Shared by the closures that
/// capture it and, as app state, by handlers and error handlers.
#[derive(Clone, Default)]
struct Trace(Arc<Mutex<Vec<String>>>);

impl Trace {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    /// The events so far, emptying the trace.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn count(&self, event: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| *e == event)
            .count()
    }
}

/// A before hook that records `name` and lets the request through.
fn pass(
    trace: &Trace,
    name: &'static str,
) -> impl Fn(Request) -> Ready<Option<Response>> + Send + Sync + 'static {
    let trace = trace.clone();
    move |_req| {
        trace.push(name);
        ready(None)
    }
}

/// An after hook that records `name:status` and appends `name` to `x-chain`, so the
/// response shows which hooks ran on it, in which order, each on the previous one's result.
fn chain(
    trace: &Trace,
    name: &'static str,
) -> impl Fn(Request, Response) -> Ready<Response> + Send + Sync + 'static {
    let trace = trace.clone();
    move |_req, mut res| {
        trace.push(format!("{name}:{}", res.status().as_u16()));
        let value = match res.headers().get("x-chain") {
            Some(before) => format!("{},{name}", before.to_str().unwrap()),
            None => name.to_owned(),
        };
        res.headers_mut().insert("x-chain", value.parse().unwrap());
        ready(res)
    }
}

#[get("/ok")]
async fn ok(trace: State<Trace>) -> &'static str {
    trace.push("handler");
    "ok"
}

#[post("/upload")]
async fn upload(req: Request) -> String {
    format!("{} bytes", req.body().len())
}

#[get("/panic")]
async fn panics() -> &'static str {
    panic!("secret panic detail 7f3a")
}

#[get("/teapot")]
async fn teapot() -> Result<String, HttpError> {
    Err(abort(418))
}

#[get("/conflict")]
async fn conflict() -> Result<String, HttpError> {
    Err(HttpError::new(409, "name taken"))
}

#[get("/stream")]
async fn stream() -> StreamingResponse {
    StreamingResponse::new(futures_util::stream::iter(["one\n", "two\n", "three\n"]))
}

/// `GET first`, then `GET /ok`: on one kept-alive connection over the socket (the first
/// response must not close it), one after the other in process.
async fn then_ok(client: &Client, first: &str) -> (HttpResponse, HttpResponse) {
    match client.server() {
        Some(server) => {
            let mut conn = server.connect().await;
            let res = conn.send(&request("GET", first, &[], "", true)).await;
            assert_ne!(res.header("connection"), Some("close"), "{res:?}");
            let next = conn.send(&request("GET", "/ok", &[], "", true)).await;
            (res, next)
        }
        None => (client.get(first).await, client.get("/ok").await),
    }
}

/// The body the framework sends when error handling itself failed, or when nothing
/// handles a 500.
#[track_caller]
fn assert_default_500(res: &HttpResponse) {
    res.assert_status(500);
    assert_eq!(res.text(), "Internal Server Error", "{res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{res:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Before and after hooks
// ---------------------------------------------------------------------------------------

async fn hooks_run_in_registration_order_around_the_handler(t: Transport) {
    let trace = Trace::default();
    let app = App::new()
        .state(trace.clone())
        .routes(collect_routes![ok])
        .before_request(pass(&trace, "b1"))
        .after_request(chain(&trace, "a1"))
        .before_request(pass(&trace, "b2"))
        .after_request(chain(&trace, "a2"))
        .before_request(pass(&trace, "b3"))
        .after_request(chain(&trace, "a3"));
    let client = Client::start(app, t).await;
    let res = client.get("/ok").await;
    res.assert_status(200);
    assert_eq!(res.text(), "ok");
    assert_eq!(res.header("x-chain"), Some("a1,a2,a3"));
    assert_eq!(
        trace.take(),
        ["b1", "b2", "b3", "handler", "a1:200", "a2:200", "a3:200"]
    );
    // Again, from scratch: hooks run on every request.
    client.get("/ok").await.assert_status(200);
    assert_eq!(trace.take().len(), 7);
}

async fn the_first_before_hook_that_answers_short_circuits(t: Transport) {
    let trace = Trace::default();
    let later = Arc::new(AtomicUsize::new(0));
    let later_hook = Arc::clone(&later);
    let app = App::new()
        .state(trace.clone())
        .routes(collect_routes![ok])
        .before_request(pass(&trace, "b1"))
        .before_request(|req: Request| async move {
            if req.header("x-stop").is_some() {
                let res = (Json(json!({"stopped_by": "b2"})), 403, [("x-b2", "1")]);
                return Some(res.into_response());
            }
            None
        })
        .before_request(move |_req: Request| {
            later_hook.fetch_add(1, Ordering::SeqCst);
            ready(None::<Response>)
        })
        .after_request(chain(&trace, "a1"));
    let client = Client::start(app, t).await;

    let res = client.call_with("GET", "/ok", &[("x-stop", "1")], "").await;
    res.assert_status(403);
    assert_eq!(res.json(), json!({"stopped_by": "b2"}));
    assert_eq!(res.header("x-b2"), Some("1"));
    assert_eq!(res.header("x-chain"), Some("a1"), "after hooks still run");
    assert_eq!(
        later.load(Ordering::SeqCst),
        0,
        "the later hook did not run"
    );
    assert_eq!(trace.count("handler"), 0, "the handler did not run");
    assert_eq!(trace.take(), ["b1", "a1:403"]);

    // Without the header the chain goes on to the handler.
    let res = client.get("/ok").await;
    res.assert_status(200);
    assert_eq!(later.load(Ordering::SeqCst), 1);
    assert_eq!(trace.take(), ["b1", "handler", "a1:200"]);
}

async fn forbid(req: Request) -> Option<Result<(), HttpError>> {
    (req.query("deny") == Some("err")).then(|| Err(HttpError::new(403, "no entry")))
}

async fn teapot_hook(req: Request) -> Option<HttpError> {
    (req.query("deny") == Some("abort")).then(|| abort(418))
}

async fn plain_403(req: Request) -> Option<Response> {
    (req.query("deny") == Some("plain")).then(|| ("built by the hook", 403).into_response())
}

async fn describe_error(req: Request, err: HttpError) -> impl IntoResponse {
    let body = json!({
        "handled": "by status",
        "status": err.status().as_u16(),
        "message": err.message(),
        "path": req.path(),
    });
    (Json(body), err.status())
}

async fn a_before_hook_error_goes_through_the_error_handlers(t: Transport) {
    let trace = Trace::default();
    let app = App::new()
        .state(trace.clone())
        .routes(collect_routes![ok])
        .before_request(forbid)
        .before_request(teapot_hook)
        .before_request(plain_403)
        .error_handler(403, describe_error)
        .error_handler(418, describe_error)
        .after_request(chain(&trace, "a1"));
    let client = Client::start(app, t).await;

    let res = client.get("/ok?deny=err").await;
    res.assert_status(403);
    assert_eq!(
        res.json(),
        json!({"handled": "by status", "status": 403, "message": "no entry", "path": "/ok"})
    );
    assert_eq!(res.header("x-chain"), Some("a1"));

    let res = client.get("/ok?deny=abort").await;
    res.assert_status(418);
    assert_eq!(res.json()["message"], "I'm a teapot");
    assert_eq!(res.header("x-chain"), Some("a1"));

    // A response the hook built with an error status is no error: it is sent as built.
    let res = client.get("/ok?deny=plain").await;
    res.assert_status(403);
    assert_eq!(res.text(), "built by the hook");
    assert_eq!(res.header("x-chain"), Some("a1"));

    assert_eq!(trace.count("handler"), 0);
    client.get("/ok").await.assert_status(200);
    assert_eq!(trace.count("handler"), 1);
}

/// Every kind of response an app sends, and the status the client should see.
fn every_kind_of_response(trace: &Trace) -> App {
    App::new()
        .state(trace.clone())
        .routes(collect_routes![ok, upload, panics, teapot, stream])
        .max_body_size(16)
        .before_request(|req: Request| {
            ready((req.path() == "/stop").then(|| ("stopped", 401).into_response()))
        })
        .error_handler(418, describe_error)
        .after_request(chain(trace, "a1"))
        .after_request(chain(trace, "a2"))
}

async fn after_hooks_run_in_order_on_every_response(t: Transport) {
    let trace = Trace::default();
    let client = Client::start(every_kind_of_response(&trace), t).await;
    let big = [b'x'; 100];
    let cases: [(&str, &str, &[u8], u16); 8] = [
        ("GET", "/ok", b"", 200),       // the handler's
        ("GET", "/stop", b"", 401),     // a short-circuit
        ("GET", "/teapot", b"", 418),   // an error handler's
        ("GET", "/nope", b"", 404),     // no route
        ("POST", "/ok", b"", 405),      // wrong method
        ("POST", "/upload", &big, 413), // body over max_body_size
        ("GET", "/panic", b"", 500),    // a handler's panic
        ("GET", "/stream", b"", 200),   // a StreamingResponse
    ];
    for (method, target, body, status) in cases {
        let res = client.exchange(method, target, &[], body).await;
        res.assert_status(status);
        assert_eq!(
            res.header("x-chain"),
            Some("a1,a2"),
            "{method} {target}: {res:?}"
        );
        assert_eq!(
            trace
                .take()
                .into_iter()
                .filter(|e| e.starts_with('a'))
                .collect::<Vec<_>>(),
            [format!("a1:{status}"), format!("a2:{status}")],
            "{method} {target}: the hooks saw the final status"
        );
        match target {
            "/teapot" => assert_eq!(res.json()["handled"], "by status"),
            "/ok" if method == "POST" => {
                assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS"], "405 keeps Allow")
            }
            "/stream" => assert_eq!(res.text(), "one\ntwo\nthree\n"),
            _ => {}
        }
    }
    // An upload within the limit reaches the handler.
    let res = client.exchange("POST", "/upload", &[], b"0123456789").await;
    assert_eq!(res.text(), "10 bytes");
}

async fn before_hooks_see_unrouted_requests_but_not_refused_ones(t: Transport) {
    let trace = Trace::default();
    let app = App::new()
        .state(trace.clone())
        .routes(collect_routes![ok, upload])
        .max_body_size(16)
        .before_request(pass(&trace, "b1"))
        .after_request(chain(&trace, "a1"));
    let client = Client::start(app, t).await;
    client.get("/nope").await.assert_status(404);
    assert_eq!(trace.take(), ["b1", "a1:404"]);
    client.call("DELETE", "/ok", "").await.assert_status(405);
    assert_eq!(trace.take(), ["b1", "a1:405"]);
    // The body is read after the before hooks accepted the request (a hook that refuses
    // an upload costs no upload), so a body over the limit is refused after them.
    let res = client.exchange("POST", "/upload", &[], &[b'x'; 17]).await;
    res.assert_status(413);
    assert_eq!(trace.take(), ["b1", "a1:413"]);
    // A head the server refuses outright (an undecodable path) reaches no hook.
    client.get("/%zz").await.assert_status(400);
    assert_eq!(trace.take(), ["a1:400"]);
}

async fn after_hooks_may_replace_the_response(t: Transport) {
    let trace = Trace::default();
    let app = App::new()
        .state(trace.clone())
        .routes(collect_routes![ok])
        .after_request(|req: Request, res: Response| async move {
            if req.query("replace").is_none() {
                return res.into_response();
            }
            let seen = format!("{} saw {}", req.path(), res.status().as_u16());
            (Json(json!({"replaced": seen})), 202).into_response()
        })
        .after_request(chain(&trace, "a2"));
    let client = Client::start(app, t).await;
    let res = client.get("/ok?replace").await;
    res.assert_status(202);
    assert_eq!(res.json(), json!({"replaced": "/ok saw 200"}));
    assert_eq!(
        res.header("x-chain"),
        Some("a2"),
        "the next hook gets the new one"
    );
    assert_eq!(trace.take(), ["handler", "a2:202"]);
    let res = client.get("/nope?replace").await;
    res.assert_status(202);
    assert_eq!(res.json(), json!({"replaced": "/nope saw 404"}));
}

async fn after_hooks_run_on_streaming_responses_without_buffering_them(t: Transport) {
    let app = App::new().routes(collect_routes![stream]).after_request(
        |_req: Request, mut res: Response| async move {
            let kind = if res.body().as_bytes().is_none() {
                "stream"
            } else {
                "bytes"
            };
            res.headers_mut().insert("x-body", kind.parse().unwrap());
            res
        },
    );
    let client = Client::start(app, t).await;
    let res = client.get("/stream").await;
    res.assert_status(200);
    assert_eq!(res.header("x-body"), Some("stream"));
    assert_eq!(res.text(), "one\ntwo\nthree\n");
    if t == Transport::Socket {
        assert_eq!(res.header("transfer-encoding"), Some("chunked"));
        assert_eq!(res.chunks.concat(), b"one\ntwo\nthree\n");
    }
}

/// A fresh directory with one file, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn with_file(name: &str, contents: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "httpserver-middleware-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), contents).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn hooks_and_error_handlers_see_static_files(t: Transport) {
    let dir = TempDir::with_file("hello.txt", "hello from disk");
    let trace = Trace::default();
    let app = App::new()
        .static_files("/static", &dir.0)
        .before_request(pass(&trace, "b1"))
        .error_handler(404, describe_error)
        .after_request(chain(&trace, "a1"));
    let client = Client::start(app, t).await;

    let res = client.get("/static/hello.txt").await;
    res.assert_status(200);
    assert_eq!(res.text(), "hello from disk");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("x-chain"), Some("a1"));
    assert_eq!(trace.take(), ["b1", "a1:200"]);

    let etag = res.header("etag").expect("an ETag").to_owned();
    let res = client
        .call_with("GET", "/static/hello.txt", &[("If-None-Match", &etag)], "")
        .await;
    res.assert_status(304);
    assert_eq!(res.header("x-chain"), Some("a1"));
    assert_eq!(trace.take(), ["b1", "a1:304"]);

    let res = client.get("/static/missing.txt").await;
    res.assert_status(404);
    assert_eq!(res.json()["handled"], "by status");
    assert_eq!(res.header("x-chain"), Some("a1"));
    assert_eq!(trace.take(), ["b1", "a1:404"]);
}

// ---------------------------------------------------------------------------------------
// Error handlers
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct OutOfStock {
    item: String,
    left: u32,
}

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "out of {} ({} left)", self.item, self.left)
    }
}

impl std::error::Error for OutOfStock {}

/// An error no handler is registered for; its text must never reach a client.
#[derive(Debug)]
struct Unhandled;

impl std::fmt::Display for Unhandled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("secret unhandled detail 9c1e")
    }
}

impl std::error::Error for Unhandled {}

#[get("/parse/<text>")]
async fn parse(text: String) -> Result<String, std::num::ParseIntError> {
    let n: i64 = text.parse()?;
    Ok((n * 2).to_string())
}

#[get("/stock/<item>")]
async fn stock(item: String) -> Result<String, OutOfStock> {
    Err(OutOfStock { item, left: 0 })
}

#[get("/unhandled")]
async fn unhandled() -> Result<String, Unhandled> {
    Err(Unhandled)
}

#[get("/io")]
async fn io() -> Result<Vec<u8>, std::io::Error> {
    std::fs::read("/definitely/not/here/secret-io-detail.txt")
}

async fn bad_number(req: Request, err: std::num::ParseIntError) -> impl IntoResponse {
    let body = json!({"handled": "by type", "error": err.to_string(), "path": req.path()});
    (Json(body), 400)
}

async fn out_of_stock(_req: Request, err: OutOfStock) -> impl IntoResponse {
    // By value: the handler owns the error and moves its fields out.
    let OutOfStock { item, left } = err;
    (
        Json(json!({"handled": "by type", "item": item, "left": left})),
        409,
    )
}

fn error_routes() -> App {
    // `ok` takes the trace as state, and an app must have the state its handlers take.
    App::new().state(Trace::default()).routes(collect_routes![
        ok, upload, panics, teapot, conflict, parse, stock, unhandled, io
    ])
}

fn with_status_handlers(app: App) -> App {
    [404, 405, 409, 413, 418, 500]
        .into_iter()
        .fold(app, |app, status| app.error_handler(status, describe_error))
        .max_body_size(16)
}

#[track_caller]
fn assert_handled_by_status(res: &HttpResponse, status: u16, message: &str, path: &str) {
    res.assert_status(status);
    assert_eq!(
        res.json(),
        json!({"handled": "by status", "status": status, "message": message, "path": path}),
    );
}

async fn status_handlers_take_404_405_and_413(t: Transport) {
    let client = Client::start(with_status_handlers(error_routes()), t).await;
    let res = client.get("/nope").await;
    assert_handled_by_status(&res, 404, "Not Found", "/nope");

    let res = client.call("PUT", "/ok", "").await;
    assert_handled_by_status(&res, 405, "Method Not Allowed", "/ok");
    assert_eq!(
        res.allowed(),
        ["GET", "HEAD", "OPTIONS"],
        "the handler's 405 keeps Allow"
    );

    let res = client.exchange("POST", "/upload", &[], &[b'x'; 17]).await;
    assert_handled_by_status(&res, 413, "Payload Too Large", "/upload");
}

async fn status_handlers_get_http_errors_and_aborts_as_returned(t: Transport) {
    let client = Client::start(with_status_handlers(error_routes()), t).await;
    let res = client.get("/conflict").await;
    assert_handled_by_status(&res, 409, "name taken", "/conflict");
    let res = client.get("/teapot").await;
    assert_handled_by_status(&res, 418, "I'm a teapot", "/teapot");
    res.assert_status_line("HTTP/1.1 418 I'm a teapot");
}

async fn a_500_handler_gets_a_generic_error_for_other_errors_and_panics(t: Transport) {
    let client = Client::start(with_status_handlers(error_routes()), t).await;
    for path in ["/unhandled", "/io", "/panic"] {
        let res = client.get(path).await;
        assert_handled_by_status(&res, 500, "Internal Server Error", path);
        let everything = format!("{:?} {}", res.headers, res.text()).to_lowercase();
        for leak in ["secret", "9c1e", "7f3a", "no such file"] {
            assert!(!everything.contains(leak), "{path} leaks {leak:?}: {res:?}");
        }
    }
}

async fn type_handlers_get_the_error_by_value(t: Transport) {
    let app = error_routes()
        .error_handler_for(bad_number)
        .error_handler_for(out_of_stock);
    let client = Client::start(app, t).await;
    let res = client.get("/parse/abc").await;
    res.assert_status(400);
    assert_eq!(
        res.json(),
        json!({"handled": "by type", "error": "invalid digit found in string", "path": "/parse/abc"})
    );
    assert_eq!(client.get("/parse/21").await.text(), "42");

    let res = client.get("/stock/apple").await;
    res.assert_status(409);
    assert_eq!(
        res.json(),
        json!({"handled": "by type", "item": "apple", "left": 0})
    );
}

async fn type_handlers_come_before_status_handlers(t: Transport) {
    let app = with_status_handlers(error_routes())
        .error_handler_for(bad_number)
        .error_handler_for(out_of_stock);
    let client = Client::start(app, t).await;
    // Both a 500 handler and a ParseIntError handler could take it: the type wins.
    let res = client.get("/parse/abc").await;
    res.assert_status(400);
    assert_eq!(res.json()["handled"], "by type");
    // And over the 409 handler for an error the type handler answers 409.
    let res = client.get("/stock/pear").await;
    res.assert_status(409);
    assert_eq!(res.json()["handled"], "by type");
    // A type without a handler falls back to the handler of its status.
    let res = client.get("/unhandled").await;
    assert_handled_by_status(&res, 500, "Internal Server Error", "/unhandled");
    // HttpErrors still go by status.
    let res = client.get("/conflict").await;
    assert_handled_by_status(&res, 409, "name taken", "/conflict");
}

async fn without_a_handler_errors_are_the_default_500_without_details(t: Transport) {
    let app = error_routes()
        .error_handler_for(bad_number)
        .error_handler(404, describe_error);
    let client = Client::start(app, t).await;
    for path in ["/unhandled", "/io", "/panic", "/stock/fig"] {
        let res = client.get(path).await;
        assert_default_500(&res);
        let everything = format!("{:?}", res.headers).to_lowercase();
        for leak in ["secret", "9c1e", "7f3a", "fig", "out of"] {
            assert!(!everything.contains(leak), "{path} leaks {leak:?}: {res:?}");
        }
    }
    // The registered ones still answer.
    client.get("/parse/x").await.assert_status(400);
    assert_eq!(client.get("/nope").await.json()["handled"], "by status");
}

async fn panicking_error_handler(_req: Request, _err: HttpError) -> &'static str {
    panic!("the error handler itself fails")
}

/// Fails with the error it was given: were its output handled again, it would loop.
async fn err_returning_error_handler(
    req: Request,
    err: HttpError,
) -> Result<&'static str, std::io::Error> {
    if let Some(trace) = req.app().state::<Trace>() {
        trace.push(format!("error handler {}", err.status().as_u16()));
    }
    Err(std::io::Error::other(
        "the error page's template is missing",
    ))
}

/// An error handler that hands the `HttpError` back: that error is its answer.
async fn http_error_returning_error_handler(
    _req: Request,
    err: HttpError,
) -> Result<&'static str, HttpError> {
    Err(HttpError::new(
        err.status(),
        format!("handled: {}", err.message()),
    ))
}

async fn an_error_handler_returning_an_http_error_answers_with_it(t: Transport) {
    let app = error_routes()
        .error_handler(404, http_error_returning_error_handler)
        .error_handler(409, http_error_returning_error_handler);
    let client = Client::start(app, t).await;
    for (path, status, body) in [
        ("/nope", 404, "handled: Not Found"),
        ("/conflict", 409, "handled: name taken"),
    ] {
        let (res, next) = then_ok(&client, path).await;
        assert_eq!(
            (res.status, res.text()),
            (status, body.to_owned()),
            "{path}"
        );
        assert_eq!(next.text(), "ok");
    }
}

async fn a_panicking_error_handler_falls_back_to_the_default_500(t: Transport) {
    let trace = Trace::default();
    let app = error_routes()
        .state(trace.clone())
        .error_handler(404, panicking_error_handler)
        .error_handler(500, panicking_error_handler)
        .after_request(chain(&trace, "a1"));
    let client = Client::start(app, t).await;
    for path in ["/nope", "/panic", "/unhandled"] {
        let (res, next) = then_ok(&client, path).await;
        assert_default_500(&res);
        assert_eq!(
            res.header("x-chain"),
            Some("a1"),
            "{path}: after hooks still run"
        );
        next.assert_status(200);
        assert_eq!(next.text(), "ok", "the server keeps serving");
    }
}

async fn an_error_handler_returning_err_falls_back_to_the_default_500(t: Transport) {
    let trace = Trace::default();
    let app = error_routes()
        .state(trace.clone())
        .error_handler(404, err_returning_error_handler)
        .error_handler(409, err_returning_error_handler)
        .error_handler(500, err_returning_error_handler);
    let client = Client::start(app, t).await;
    for (path, status) in [("/nope", 404), ("/conflict", 409), ("/panic", 500)] {
        let (res, next) = then_ok(&client, path).await;
        assert_default_500(&res);
        assert_eq!(
            trace.take(),
            [format!("error handler {status}"), "handler".to_owned()],
            "{path}: the error handler ran once, then the next request was served"
        );
        assert_eq!(next.text(), "ok");
    }
}

async fn a_panicking_before_hook_is_a_500_and_the_server_keeps_serving(t: Transport) {
    let trace = Trace::default();
    let app = error_routes()
        .state(trace.clone())
        .before_request(|req: Request| async move {
            if req.query("explode").is_some() {
                panic!("before hook exploded: secret b4");
            }
            None::<Response>
        })
        .after_request(chain(&trace, "a1"));
    let client = Client::start(app, t).await;
    let (res, next) = then_ok(&client, "/ok?explode").await;
    assert_default_500(&res);
    assert_eq!(res.header("x-chain"), Some("a1"));
    assert_eq!(next.text(), "ok");
    assert_eq!(
        trace.take(),
        ["a1:500", "handler", "a1:200"],
        "the handler ran for the second request only"
    );
}

async fn a_panicking_after_hook_is_a_500_and_the_server_keeps_serving(t: Transport) {
    let trace = Trace::default();
    let app = error_routes().state(trace.clone()).after_request(
        |req: Request, res: Response| async move {
            if req.query("explode").is_some() {
                panic!("after hook exploded: secret af7");
            }
            res
        },
    );
    let client = Client::start(app, t).await;
    let (res, next) = then_ok(&client, "/ok?explode").await;
    assert_default_500(&res);
    assert_eq!(next.text(), "ok");
    assert_eq!(trace.take(), ["handler", "handler"]);
}

on_every_transport!(
    hooks_run_in_registration_order_around_the_handler,
    the_first_before_hook_that_answers_short_circuits,
    a_before_hook_error_goes_through_the_error_handlers,
    after_hooks_run_in_order_on_every_response,
    before_hooks_see_unrouted_requests_but_not_refused_ones,
    after_hooks_may_replace_the_response,
    after_hooks_run_on_streaming_responses_without_buffering_them,
    hooks_and_error_handlers_see_static_files,
    status_handlers_take_404_405_and_413,
    status_handlers_get_http_errors_and_aborts_as_returned,
    a_500_handler_gets_a_generic_error_for_other_errors_and_panics,
    type_handlers_get_the_error_by_value,
    type_handlers_come_before_status_handlers,
    without_a_handler_errors_are_the_default_500_without_details,
    a_panicking_error_handler_falls_back_to_the_default_500,
    an_error_handler_returning_err_falls_back_to_the_default_500,
    an_error_handler_returning_an_http_error_answers_with_it,
    a_panicking_before_hook_is_a_500_and_the_server_keeps_serving,
    a_panicking_after_hook_is_a_500_and_the_server_keeps_serving,
);

// ---------------------------------------------------------------------------------------
// examples/middleware.rs: an auth check, CORS on every response, JSON errors
// ---------------------------------------------------------------------------------------

// The example itself, so the test and the documentation cannot drift apart.
#[path = "../examples/middleware.rs"]
#[allow(dead_code)] // its `main`
mod example;

const AUTH: (&str, &str) = ("Authorization", "Bearer x");

async fn example_the_auth_hook_guards_every_path(t: Transport) {
    let client = Client::start(example::app(), t).await;
    for path in ["/secret", "/double/2", "/boom", "/nowhere"] {
        let res = client.get(path).await;
        res.assert_status(401);
        assert_eq!(res.json(), json!({"error": "unauthorized"}), "{path}");
        assert_eq!(res.header("content-type"), Some("application/json"));
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
    }
    let res = client.call_with("GET", "/secret", &[AUTH], "").await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"secret": 42}));
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
}

async fn example_errors_are_json_with_cors(t: Transport) {
    let client = Client::start(example::app(), t).await;
    let get = |path: &'static str| client.call_with("GET", path, &[AUTH], "");

    let res = get("/double/21").await;
    res.assert_status(200);
    assert_eq!(res.text(), "42");

    let res = get("/double/abc").await;
    res.assert_status(400);
    assert_eq!(
        res.json(),
        json!({"error": "invalid digit found in string"})
    );

    let res = get("/nowhere").await;
    res.assert_status(404);
    assert_eq!(
        res.json(),
        json!({"error": "not found", "path": "/nowhere"})
    );

    let res = get("/boom").await;
    res.assert_status(500);
    assert_eq!(
        res.json(),
        json!({"error": "something went wrong on our side"})
    );

    for path in ["/double/abc", "/nowhere", "/boom"] {
        let res = get(path).await;
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
        assert_eq!(
            res.header("content-type"),
            Some("application/json"),
            "{path}"
        );
    }
    // 405 is no 404 or 500: the default body, with CORS and Allow.
    let res = client.call_with("POST", "/secret", &[AUTH], "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS"]);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
}

on_every_transport!(
    example_the_auth_hook_guards_every_path,
    example_errors_are_json_with_cors
);

// ---------------------------------------------------------------------------------------
// Both transports, side by side
// ---------------------------------------------------------------------------------------

/// Hooks and error handlers answer the same over the socket and in process: status line,
/// headers (but those of the connection) in order, and body.
#[tokio::test]
async fn the_test_client_answers_exactly_as_the_server() {
    let big = [b'x'; 100];
    let every_kind = || every_kind_of_response(&Trace::default());
    for (method, target, body) in [
        ("GET", "/ok", &b""[..]),
        ("HEAD", "/ok", b""),
        ("GET", "/stop", b""),
        ("GET", "/teapot", b""),
        ("GET", "/nope", b""),
        ("POST", "/ok", b""),
        ("OPTIONS", "/ok", b""),
        ("POST", "/upload", &big),
        ("POST", "/upload", b"small"),
        ("GET", "/panic", b""),
        ("GET", "/stream", b""),
    ] {
        httpserver_suite::exchange_on_every(every_kind, method, target, &[], body).await;
    }

    let by_status = || with_status_handlers(error_routes());
    let by_type = || {
        with_status_handlers(error_routes())
            .error_handler_for(bad_number)
            .error_handler_for(out_of_stock)
    };
    let failing = || {
        error_routes()
            .state(Trace::default())
            .error_handler(404, panicking_error_handler)
            .error_handler(500, err_returning_error_handler)
    };
    for app in [by_status, by_type, failing, example::app] {
        for target in [
            "/nope",
            "/conflict",
            "/teapot",
            "/unhandled",
            "/io",
            "/panic",
            "/parse/abc",
            "/stock/apple",
            "/secret",
        ] {
            httpserver_suite::exchange_on_every(app, "GET", target, &[], b"").await;
            httpserver_suite::exchange_on_every(app, "GET", target, &[AUTH], b"").await;
        }
        httpserver_suite::exchange_on_every(app, "PUT", "/ok", &[AUTH], b"").await;
        httpserver_suite::exchange_on_every(app, "POST", "/upload", &[AUTH], &big).await;
    }
}
