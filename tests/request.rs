//! API §4: every accessor of `Request`, and a request moved into a sync handler on the
//! blocking pool. Each test runs over a real socket and through the in-process test
//! client (`name::socket`, `name::in_process`); what only the wire shows (the peer's
//! address, a chunked request body) is socket-only.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use httpserver::{collect_routes, get, post, route, App, HttpError, Request};
use httpserver_suite::{
    exchange_on_every, on_every_transport, request, Case, Client, TestServer, Transport,
};
use serde::Deserialize;
use serde_json::{json, Value};

#[route("/inspect/<a>/<int:n>", methods = ["GET", "POST", "PUT", "DELETE"])]
async fn inspect(req: Request, a: String, n: i64) -> Value {
    let _ = (a, n);
    let mut params: Vec<(String, Vec<String>)> = req
        .query_params()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.sort();
    json!({
        "method": req.method().as_str(),
        "method_is_get": req.method() == httpserver::Method::GET,
        "path": req.path(),
        "query_string": req.query_string(),
        "query_params": params,
        "query_x": req.query("x"),
        "query_y": req.query("y"),
        "query_missing": req.query("missing"),
        "path_params": req.path_params(),
        "body": String::from_utf8_lossy(req.body()),
        "body_len": req.body().len(),
    })
}

#[get("/peer")]
async fn peer(req: Request) -> Value {
    json!({
        "client_ip": req.client_addr().ip().to_string(),
        "client_port": req.client_addr().port(),
    })
}

#[get("/headers")]
async fn headers(req: Request) -> Value {
    let all: Vec<String> = req
        .headers()
        .get_all("x-multi")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    json!({
        "custom_lower": req.headers().get("x-custom").map(|v| v.to_str().unwrap()),
        "custom_upper": req.headers().get("X-CUSTOM").map(|v| v.to_str().unwrap()),
        "header_mixed": req.header("X-Custom"),
        "header_upper": req.header("X-CUSTOM"),
        "header_missing": req.header("x-missing"),
        "contains": req.headers().contains_key("x-Custom"),
        "multi_first": req.header("x-multi"),
        "multi_all": all,
        "host": req.header("host"),
    })
}

fn inspect_app() -> App {
    App::new().routes(collect_routes![inspect, headers, peer])
}

const INSPECT_TARGET: &str = "/inspect/J%C3%B6rg%20M/-12?x=1&y=a%20b&x=2&z=&flag&plus=a+b";

async fn method_path_query_params_and_body(t: Transport) {
    let server = Client::start(inspect_app(), t).await;
    let res = server.call("POST", INSPECT_TARGET, "the body").await;
    res.assert_status(200);
    let v = res.json();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["method_is_get"], false);
    assert_eq!(v["path"], "/inspect/Jörg M/-12");
    assert_eq!(
        v["query_string"], "x=1&y=a%20b&x=2&z=&flag&plus=a+b",
        "the raw query string"
    );
    assert_eq!(
        v["query_params"],
        json!([
            ["flag", [""]],
            ["plus", ["a b"]],
            ["x", ["1", "2"]],
            ["y", ["a b"]],
            ["z", [""]]
        ])
    );
    assert_eq!(v["query_x"], "1", "query() is the first value");
    assert_eq!(v["query_y"], "a b");
    assert_eq!(v["query_missing"], Value::Null);
    assert_eq!(v["path_params"], json!({"a": "Jörg M", "n": "-12"}));
    assert_eq!(v["body"], "the body");
    assert_eq!(v["body_len"], 8);
}

#[tokio::test]
async fn client_addr_is_the_peer_of_the_connection() {
    let server = TestServer::start(inspect_app()).await;
    let mut conn = server.connect().await;
    let local = conn.stream.local_addr().unwrap();
    let res = conn.send(&request("GET", "/peer", &[], "", false)).await;
    res.assert_status(200);
    let v = res.json();
    assert_eq!(v["client_ip"], "127.0.0.1");
    assert_eq!(v["client_port"], local.port());
}

async fn no_query_and_no_body(t: Transport) {
    let server = Client::start(inspect_app(), t).await;
    let res = server.get("/inspect/a/1").await;
    res.assert_status(200);
    let v = res.json();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["method_is_get"], true);
    assert_eq!(v["path"], "/inspect/a/1");
    assert_eq!(v["query_string"], "");
    assert_eq!(v["query_params"], json!([]));
    assert_eq!(v["query_x"], Value::Null);
    assert_eq!(v["body"], "");
    assert_eq!(v["body_len"], 0);
    // An empty query after `?`.
    let v = server.get("/inspect/a/1?").await.json();
    assert_eq!(v["query_string"], "");
    assert_eq!(v["query_params"], json!([]));
}

async fn other_methods_are_reported(t: Transport) {
    let server = Client::start(inspect_app(), t).await;
    assert_eq!(
        server.call("PUT", "/inspect/a/1", "").await.json()["method"],
        "PUT"
    );
    assert_eq!(
        server.call("DELETE", "/inspect/a/1", "").await.json()["method"],
        "DELETE"
    );
}

#[tokio::test]
async fn chunked_request_body_is_read_in_full() {
    let server = TestServer::start(inspect_app()).await;
    let res = server
        .send(
            "POST /inspect/a/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
        )
        .await;
    res.assert_status(200);
    assert_eq!(res.json()["body"], "Wikipedia");
}

async fn headers_are_case_insensitive(t: Transport) {
    let server = Client::start(inspect_app(), t).await;
    let res = server
        .call_with(
            "GET",
            "/headers",
            &[("X-Custom", "v1"), ("x-multi", "one"), ("X-MULTI", "two")],
            "",
        )
        .await;
    res.assert_status(200);
    assert_eq!(
        res.json(),
        json!({
            "custom_lower": "v1",
            "custom_upper": "v1",
            "header_mixed": "v1",
            "header_upper": "v1",
            "header_missing": null,
            "contains": true,
            "multi_first": "one",
            "multi_all": ["one", "two"],
            "host": "test",
        })
    );
}

// ---------------------------------------------------------------------------------------
// Body parsing: json, text, form
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[post("/json")]
async fn json_body(req: Request) -> Result<Value, HttpError> {
    let p: Point = req.json()?;
    Ok(json!({"sum": p.x + p.y}))
}

#[post("/json-value")]
async fn json_value(req: Request) -> Result<Value, HttpError> {
    let v: Value = req.json()?;
    Ok(json!({"got": v}))
}

#[post("/text")]
async fn text_body(req: Request) -> Result<String, HttpError> {
    Ok(format!("{} chars", req.text()?.chars().count()))
}

#[post("/form")]
async fn form_body(req: Request) -> Result<Value, HttpError> {
    let form = req.form()?;
    let mut entries: Vec<_> = form.into_iter().collect();
    entries.sort();
    Ok(json!(entries))
}

fn body_app() -> App {
    App::new().routes(collect_routes![json_body, json_value, text_body, form_body])
}

const JSON_CT: [(&str, &str); 1] = [("Content-Type", "application/json")];

async fn json_parses_or_400(t: Transport) {
    let server = Client::start(body_app(), t).await;
    let res = server
        .call_with("POST", "/json", &JSON_CT, r#"{"x": 2, "y": 40}"#)
        .await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"sum": 42}));
    let res = server
        .call_with("POST", "/json-value", &JSON_CT, "[1, \"two\"]")
        .await;
    assert_eq!(res.json(), json!({"got": [1, "two"]}));
    let vendor = [("content-type", "application/vnd.api+json; charset=utf-8")];
    let res = server
        .call_with("POST", "/json-value", &vendor, "[3]")
        .await;
    assert_eq!(res.json(), json!({"got": [3]}));

    for bad in ["{", "not json", r#"{"x": 1}"#, r#"{"x": "1", "y": 2}"#, ""] {
        let res = server.call_with("POST", "/json", &JSON_CT, bad).await;
        assert_eq!(res.status, 400, "{bad:?}: {res:?}");
        assert!(!res.text().is_empty(), "{bad:?}: a reason");
    }
}

/// JSON is only read from a body declared as JSON: a cross-site form can post `text/plain`
/// that happens to be JSON (no CORS preflight for that), and must not reach the handler.
async fn json_and_forms_refuse_other_content_types_with_415(t: Transport) {
    let server = Client::start(body_app(), t).await;
    let body = r#"{"x": 2, "y": 40}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "multipart/form-data; boundary=x",
    ] {
        for target in ["/json", "/json-value"] {
            let res = server
                .call_with("POST", target, &[("Content-Type", content_type)], body)
                .await;
            assert_eq!(res.status, 415, "{content_type} to {target}: {res:?}");
            assert!(
                res.text().contains("expected a JSON body"),
                "{}",
                res.text()
            );
        }
    }
    let res = server.call("POST", "/json", body).await;
    assert_eq!(res.status, 415, "no Content-Type: {res:?}");
    for content_type in ["application/json", "text/plain"] {
        let res = server
            .call_with("POST", "/form", &[("Content-Type", content_type)], "a=1")
            .await;
        assert_eq!(res.status, 415, "{content_type} to /form: {res:?}");
        assert!(
            res.text().contains("expected a form body"),
            "{}",
            res.text()
        );
    }
}

async fn text_decodes_utf8_or_400(t: Transport) {
    let server = Client::start(body_app(), t).await;
    let res = server.call("POST", "/text", "héllo wörld").await;
    res.assert_status(200);
    assert_eq!(res.text(), "11 chars");

    let res = server.exchange("POST", "/text", &[], b"ab\xff\xfe").await;
    res.assert_status(400);
    assert!(!res.text().is_empty());
}

async fn form_decodes_url_encoded_bodies(t: Transport) {
    let server = Client::start(body_app(), t).await;
    let res = server
        .call_with(
            "POST",
            "/form",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "user=J%C3%B6rg+M&tag=a&tag=b&empty=&amp%26=%3D",
        )
        .await;
    res.assert_status(200);
    assert_eq!(
        res.json(),
        json!([
            ["amp&", ["="]],
            ["empty", [""]],
            ["tag", ["a", "b"]],
            ["user", ["Jörg M"]]
        ])
    );
    let form_ct = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(
        server.call_with("POST", "/form", &form_ct, "").await.json(),
        json!([])
    );

    server
        .exchange("POST", "/form", &form_ct, b"a=\xff")
        .await
        .assert_status(400);
}

// ---------------------------------------------------------------------------------------
// The app: state and shutdown
// ---------------------------------------------------------------------------------------

struct Config {
    name: &'static str,
}

#[get("/state")]
async fn state(req: Request) -> Value {
    json!({
        "name": req.app().state::<Config>().map(|c| c.name),
        "absent": req.app().state::<String>().is_none(),
    })
}

#[post("/shutdown")]
async fn shutdown(req: Request) -> &'static str {
    req.app().shutdown();
    "bye"
}

fn state_app() -> App {
    App::new()
        .state(Config { name: "demo" })
        .routes(collect_routes![state, shutdown])
}

async fn app_state_and_shutdown(t: Transport) {
    let app = state_app();
    let handle = app.handle();
    let server = Client::start(app, t).await;
    let res = server.get("/state").await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"name": "demo", "absent": true}));

    assert!(!handle.is_shutting_down());
    let res = server.call("POST", "/shutdown", "").await;
    res.assert_status(200);
    assert_eq!(res.text(), "bye");
    assert!(
        handle.is_shutting_down(),
        "req.app() is the app's own handle"
    );
}

#[tokio::test]
async fn shutdown_from_a_handler_stops_the_server() {
    let server = TestServer::start(state_app()).await;
    let res = server.call("POST", "/shutdown", "").await;
    res.assert_status(200);
    assert_eq!(res.text(), "bye");
    tokio::time::timeout(Duration::from_secs(5), server.join())
        .await
        .expect("serve returns soon after req.app().shutdown()")
        .expect("serve returns Ok");
}

on_every_transport!(
    method_path_query_params_and_body,
    no_query_and_no_body,
    other_methods_are_reported,
    headers_are_case_insensitive,
    json_parses_or_400,
    json_and_forms_refuse_other_content_types_with_415,
    text_decodes_utf8_or_400,
    form_decodes_url_encoded_bodies,
    app_state_and_shutdown
);

// ---------------------------------------------------------------------------------------
// Sync handlers
// ---------------------------------------------------------------------------------------

#[get("/sync/<name>")]
fn sync_inspect(req: Request, name: String) -> Value {
    // The request moves to another thread: it is Send + 'static.
    let moved = req.clone();
    let from_thread = std::thread::spawn(move || {
        format!("{} {} {:?}", moved.method(), moved.path(), moved.query("q"))
    })
    .join()
    .unwrap();
    json!({
        "name": name,
        "from_thread": from_thread,
        "header": req.header("x-h"),
        "path_params": req.path_params(),
        "client_ip": req.client_addr().ip().to_string(),
    })
}

/// Counts the sync handlers running at once; each waits (up to 2 s) until `GOAL` run
/// together, which can only happen if none of them holds an async worker thread.
struct Rendezvous {
    arrived: Mutex<usize>,
    all_here: Condvar,
}

const GOAL: usize = 4;

#[get("/rendezvous")]
fn rendezvous(req: Request) -> String {
    let state = req.app().state::<Rendezvous>().expect("state");
    let mut arrived = state.arrived.lock().unwrap();
    *arrived += 1;
    state.all_here.notify_all();
    let (arrived, timeout) = state
        .all_here
        .wait_timeout_while(arrived, Duration::from_secs(2), |n| *n < GOAL)
        .unwrap();
    format!("{} {}", *arrived, timeout.timed_out())
}

async fn sync_handler_gets_a_usable_request(t: Transport) {
    let server = Client::start(sync_app(), t).await;
    let res = server
        .call_with("GET", "/sync/b%C3%A9?q=1", &[("X-H", "hv")], "")
        .await;
    res.assert_status(200);
    assert_eq!(
        res.json(),
        json!({
            "name": "bé",
            "from_thread": "GET /sync/bé Some(\"1\")",
            "header": "hv",
            "path_params": {"name": "bé"},
            "client_ip": "127.0.0.1",
        })
    );
}

async fn sync_handlers_run_on_the_blocking_pool(t: Transport) {
    // More blocking handlers at once than there are worker threads: they only meet if they
    // run elsewhere (the blocking pool). In process, all of them are driven by one task,
    // which they would block if they ran on it.
    let app = App::new()
        .state(Rendezvous {
            arrived: Mutex::new(0),
            all_here: Condvar::new(),
        })
        .routes(collect_routes![rendezvous]);
    let server = Client::start(app, t).await;
    let responses = join_all((0..GOAL).map(|_| server.get("/rendezvous"))).await;
    for res in responses {
        res.assert_status(200);
        assert_eq!(
            res.text(),
            format!("{GOAL} false"),
            "all met, none timed out"
        );
    }
}

on_every_transport!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    sync_handler_gets_a_usable_request,
    sync_handlers_run_on_the_blocking_pool
);

// ---------------------------------------------------------------------------------------
// Both transports, side by side
// ---------------------------------------------------------------------------------------

/// Requests of every kind in this file answer the same over the socket and in process:
/// status line, headers (but those of the connection) in order, and body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_client_answers_exactly_as_the_server() {
    let json_ct = ("Content-Type", "application/json");
    let cases: [Case; 18] = [
        (inspect_app, "POST", INSPECT_TARGET, &[], b"the body"),
        (inspect_app, "GET", "/inspect/a/1", &[], b""),
        (inspect_app, "GET", "/inspect/a/1?", &[], b""),
        (inspect_app, "PUT", "/inspect/a/1", &[], b"x"),
        (inspect_app, "DELETE", "/inspect/a/1", &[], b""),
        (inspect_app, "HEAD", "/inspect/a/1", &[], b""),
        (
            inspect_app,
            "GET",
            "/headers",
            &[("X-Custom", "v1"), ("x-multi", "one"), ("X-MULTI", "two")],
            b"",
        ),
        (
            body_app,
            "POST",
            "/json",
            &[json_ct],
            br#"{"x": 2, "y": 40}"#,
        ),
        (body_app, "POST", "/json", &[json_ct], b"{"),
        (body_app, "POST", "/json", &[], br#"{"x": "1", "y": 2}"#),
        (body_app, "POST", "/json", &[], b""),
        (body_app, "POST", "/json-value", &[], b"[1, \"two\"]"),
        (body_app, "POST", "/text", &[], "héllo wörld".as_bytes()),
        (body_app, "POST", "/text", &[], b"ab\xff\xfe"),
        (
            body_app,
            "POST",
            "/form",
            &[],
            b"user=J%C3%B6rg+M&tag=a&tag=b&empty=&amp%26=%3D",
        ),
        (body_app, "POST", "/form", &[], b"a=\xff"),
        (state_app, "GET", "/state", &[], b""),
        (sync_app, "GET", "/sync/b%C3%A9?q=1", &[("X-H", "hv")], b""),
    ];
    for (app, method, target, headers, body) in cases {
        exchange_on_every(app, method, target, headers, body).await;
    }
}

fn sync_app() -> App {
    App::new().routes(collect_routes![sync_inspect])
}
