//! API §3: every row of the return-value coercion table. Each test runs over a real
//! socket and through the in-process test client (`name::socket`, `name::in_process`);
//! what only the wire shows (framing, a 204 on a kept-alive connection) is socket-only.

use bytes::Bytes;
use httpserver::{
    abort, collect_routes, get, App, HeaderMap, Html, HttpError, IntoResponse, Json, Redirect,
    Response, StatusCode,
};
use httpserver_suite::{
    exchange_on_every, on_every_transport, request, Client, HttpResponse, MakeApp, TestServer,
    Transport,
};
use serde::Serialize;
use serde_json::{json, Value};

const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const OCTETS: &str = "application/octet-stream";

#[track_caller]
fn assert_response(res: &HttpResponse, status: u16, content_type: Option<&str>, body: &[u8]) {
    assert_eq!(res.status, status, "status of {res:?} ({:?})", res.text());
    assert_eq!(
        res.header("content-type"),
        content_type,
        "content-type of {res:?}"
    );
    assert_eq!(res.body, body, "body of {res:?}: {:?}", res.text());
    // On the wire the server frames the body; the test client reads it without framing.
    if let Some(len) = res.header("content-length") {
        assert_eq!(len, body.len().to_string(), "content-length of {res:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------

#[derive(Serialize)]
struct User {
    id: u32,
    name: &'static str,
}

#[get("/value")]
async fn value() -> Value {
    json!({"a": 1, "b": [true, null]})
}

#[get("/json-struct")]
async fn json_struct() -> Json<User> {
    Json(User { id: 7, name: "Ann" })
}

#[get("/json-vec")]
async fn json_vec() -> Json<Vec<i32>> {
    Json(vec![1, 2, 3])
}

#[get("/string")]
async fn string() -> String {
    String::from("a String, ünïcødé")
}

#[get("/str")]
async fn static_str() -> &'static str {
    "a &'static str"
}

#[get("/html-string")]
async fn html_string() -> Html<String> {
    Html(format!("<p>{}</p>", 1 + 1))
}

#[get("/html-str")]
async fn html_str() -> Html<&'static str> {
    Html("<h1>hi</h1>")
}

#[get("/vec")]
async fn vec_u8() -> Vec<u8> {
    vec![0, 1, 2, 255]
}

#[get("/bytes")]
async fn bytes_body() -> Bytes {
    Bytes::from_static(b"\x00raw\xffbytes")
}

#[get("/slice")]
async fn static_slice() -> &'static [u8] {
    b"static slice"
}

#[get("/empty-string")]
async fn empty_string() -> String {
    String::new()
}

fn bodies() -> App {
    App::new().routes(collect_routes![
        value,
        json_struct,
        json_vec,
        string,
        static_str,
        html_string,
        html_str,
        vec_u8,
        bytes_body,
        static_slice,
        empty_string
    ])
}

async fn json_values(t: Transport) {
    let server = Client::start(bodies(), t).await;
    let res = server.get("/value").await;
    assert_response(&res, 200, Some(JSON), br#"{"a":1,"b":[true,null]}"#);
    let res = server.get("/json-struct").await;
    assert_response(&res, 200, Some(JSON), br#"{"id":7,"name":"Ann"}"#);
    let res = server.get("/json-vec").await;
    assert_response(&res, 200, Some(JSON), b"[1,2,3]");
}

async fn text(t: Transport) {
    let server = Client::start(bodies(), t).await;
    let res = server.get("/string").await;
    assert_response(&res, 200, Some(TEXT), "a String, ünïcødé".as_bytes());
    let res = server.get("/str").await;
    assert_response(&res, 200, Some(TEXT), b"a &'static str");
}

async fn empty_text_is_still_200(t: Transport) {
    let server = Client::start(bodies(), t).await;
    let res = server.get("/empty-string").await;
    assert_response(&res, 200, Some(TEXT), b"");
}

/// The body's length is announced on the wire, for an empty body too.
#[tokio::test]
async fn bodies_carry_their_content_length_on_the_wire() {
    let server = TestServer::start(bodies()).await;
    for (path, len) in [
        ("/value", 23),
        ("/string", "a String, ünïcødé".len()),
        ("/vec", 4),
        ("/empty-string", 0),
    ] {
        let res = server.get(path).await;
        res.assert_status(200);
        assert_eq!(
            res.header("content-length"),
            Some(len.to_string().as_str()),
            "{path}: {res:?}"
        );
        assert!(res.header("transfer-encoding").is_none(), "{path}: {res:?}");
        assert!(res.header("date").is_some(), "{path}: {res:?}");
    }
}

async fn html(t: Transport) {
    let server = Client::start(bodies(), t).await;
    let res = server.get("/html-string").await;
    assert_response(&res, 200, Some(HTML), b"<p>2</p>");
    let res = server.get("/html-str").await;
    assert_response(&res, 200, Some(HTML), b"<h1>hi</h1>");
}

async fn binary(t: Transport) {
    let server = Client::start(bodies(), t).await;
    let res = server.get("/vec").await;
    assert_response(&res, 200, Some(OCTETS), &[0, 1, 2, 255]);
    let res = server.get("/bytes").await;
    assert_response(&res, 200, Some(OCTETS), b"\x00raw\xffbytes");
    let res = server.get("/slice").await;
    assert_response(&res, 200, Some(OCTETS), b"static slice");
}

on_every_transport!(json_values, text, empty_text_is_still_200, html, binary);

// ---------------------------------------------------------------------------------------
// Status and headers
// ---------------------------------------------------------------------------------------

#[get("/status-u16")]
async fn status_u16() -> (&'static str, u16) {
    ("created", 201u16)
}

#[get("/status-literal")]
async fn status_literal() -> (Json<Value>, i32) {
    (Json(json!({"created": true})), 201)
}

#[get("/status-code")]
async fn status_code() -> (Html<&'static str>, StatusCode) {
    (Html("<i>accepted</i>"), StatusCode::ACCEPTED)
}

#[get("/status-error-code")]
async fn status_error_code() -> (String, u16) {
    ("teapot".to_owned(), 418)
}

#[get("/headers-array")]
async fn headers_array() -> (&'static str, u16, [(&'static str, &'static str); 2]) {
    ("array", 201, [("x-one", "1"), ("x-two", "2")])
}

#[get("/headers-vec")]
async fn headers_vec() -> (String, StatusCode, Vec<(String, String)>) {
    (
        "vec".to_owned(),
        StatusCode::ACCEPTED,
        vec![("x-from".to_owned(), "vec".to_owned())],
    )
}

#[get("/headers-map")]
async fn headers_map() -> (Json<Value>, u16, HeaderMap) {
    let mut map = HeaderMap::new();
    map.insert("x-from", "map".parse().unwrap());
    map.insert("cache-control", "no-store".parse().unwrap());
    (Json(json!({"map": true})), 202, map)
}

#[get("/headers-content-type")]
async fn headers_content_type() -> (&'static str, u16, [(&'static str, &'static str); 1]) {
    ("a,b\n1,2\n", 200, [("content-type", "text/csv")])
}

#[get("/headers-repeated")]
async fn headers_repeated() -> (&'static str, u16, Vec<(&'static str, &'static str)>) {
    (
        "cookies",
        200,
        vec![("set-cookie", "a=1"), ("set-cookie", "b=2")],
    )
}

fn statuses() -> App {
    App::new().routes(collect_routes![
        status_u16,
        status_literal,
        status_code,
        status_error_code,
        headers_array,
        headers_vec,
        headers_map,
        headers_content_type,
        headers_repeated
    ])
}

async fn body_and_status(t: Transport) {
    let server = Client::start(statuses(), t).await;
    let res = server.get("/status-u16").await;
    assert_response(&res, 201, Some(TEXT), b"created");
    res.assert_status_line("HTTP/1.1 201 Created");
    let res = server.get("/status-literal").await;
    assert_response(&res, 201, Some(JSON), br#"{"created":true}"#);
    let res = server.get("/status-code").await;
    assert_response(&res, 202, Some(HTML), b"<i>accepted</i>");
    let res = server.get("/status-error-code").await;
    assert_response(&res, 418, Some(TEXT), b"teapot");
}

async fn body_status_and_headers(t: Transport) {
    let server = Client::start(statuses(), t).await;
    let res = server.get("/headers-array").await;
    assert_response(&res, 201, Some(TEXT), b"array");
    assert_eq!(res.header("x-one"), Some("1"));
    assert_eq!(res.header("x-two"), Some("2"));

    let res = server.get("/headers-vec").await;
    assert_response(&res, 202, Some(TEXT), b"vec");
    assert_eq!(res.header("x-from"), Some("vec"));

    let res = server.get("/headers-map").await;
    assert_response(&res, 202, Some(JSON), br#"{"map":true}"#);
    assert_eq!(res.header("x-from"), Some("map"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

async fn a_content_type_in_the_headers_replaces_the_default(t: Transport) {
    let server = Client::start(statuses(), t).await;
    let res = server.get("/headers-content-type").await;
    assert_response(&res, 200, Some("text/csv"), b"a,b\n1,2\n");
    let content_types = res
        .headers
        .iter()
        .filter(|(k, _)| k == "content-type")
        .count();
    assert_eq!(content_types, 1, "one content-type: {res:?}");
}

async fn a_header_given_twice_keeps_both_values(t: Transport) {
    let server = Client::start(statuses(), t).await;
    let res = server.get("/headers-repeated").await;
    let cookies: Vec<&str> = res
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
}

on_every_transport!(
    body_and_status,
    body_status_and_headers,
    a_content_type_in_the_headers_replaces_the_default,
    a_header_given_twice_keeps_both_values
);

// ---------------------------------------------------------------------------------------
// (), Option, Result, abort
// ---------------------------------------------------------------------------------------

#[get("/unit")]
async fn unit() {}

#[get("/none")]
async fn none() -> Option<String> {
    None
}

#[get("/some")]
async fn some() -> Option<String> {
    Some("some text".to_owned())
}

#[get("/some-json")]
async fn some_json() -> Option<Json<Value>> {
    Some(Json(json!({"some": 1})))
}

#[get("/ok")]
async fn ok() -> Result<Json<Value>, HttpError> {
    Ok(Json(json!({"ok": true})))
}

#[get("/ok-status")]
async fn ok_status() -> Result<(&'static str, u16), HttpError> {
    Ok(("made", 201))
}

#[get("/http-error")]
async fn http_error() -> Result<String, HttpError> {
    Err(HttpError::new(418, "I'm a teapot"))
}

#[get("/http-error-status-code")]
async fn http_error_status_code() -> Result<String, HttpError> {
    Err(HttpError::new(StatusCode::CONFLICT, "already there"))
}

#[get("/parse-error")]
async fn parse_error() -> Result<String, std::num::ParseIntError> {
    let n: i32 = "not a number".parse()?;
    Ok(n.to_string())
}

#[derive(Debug)]
struct SecretError;

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("db password hunter2 rejected at 10.0.0.7")
    }
}

impl std::error::Error for SecretError {}

#[get("/secret-error")]
async fn secret_error() -> Result<Json<Value>, SecretError> {
    Err(SecretError)
}

#[get("/io-error")]
async fn io_error() -> Result<Vec<u8>, std::io::Error> {
    std::fs::read("/definitely/not/here/secret.txt")
}

#[get("/abort-404")]
async fn abort_404() -> Result<String, HttpError> {
    Err(abort(404))
}

#[get("/abort-403")]
async fn abort_403() -> Result<Value, HttpError> {
    Err(abort(StatusCode::FORBIDDEN))
}

#[get("/abort-question-mark")]
async fn abort_question_mark() -> Result<&'static str, HttpError> {
    let found: Option<&str> = None;
    let value = found.ok_or_else(|| abort(404))?;
    Ok(value)
}

fn outcomes() -> App {
    App::new().routes(collect_routes![
        unit,
        none,
        some,
        some_json,
        ok,
        ok_status,
        http_error,
        http_error_status_code,
        parse_error,
        secret_error,
        io_error,
        abort_404,
        abort_403,
        abort_question_mark
    ])
}

async fn unit_and_none_are_204_without_a_body(t: Transport) {
    let server = Client::start(outcomes(), t).await;
    for path in ["/unit", "/none"] {
        let res = server.get(path).await;
        res.assert_status_line("HTTP/1.1 204 No Content");
        assert!(res.body.is_empty(), "{path}: {res:?}");
        assert_eq!(res.header("content-type"), None, "{path}: {res:?}");
    }
}

/// A 204 carries no body: the response after it on the same connection still parses.
async fn assert_no_content(server: &TestServer, path: &str) {
    let mut conn = server.connect().await;
    let first = request("GET", path, &[], "", true);
    let second = request("GET", "/some", &[], "", false);
    conn.write(format!("{first}{second}").as_bytes()).await;
    let res = conn.read_response().await;
    assert_eq!(
        res.status_line, "HTTP/1.1 204 No Content",
        "{path}: {res:?}"
    );
    assert!(
        matches!(res.header("content-length"), None | Some("0")),
        "{path}: {res:?}"
    );
    assert!(res.header("transfer-encoding").is_none(), "{path}: {res:?}");
    let next = conn.read_response().await;
    assert_eq!(
        next.status_line, "HTTP/1.1 200 OK",
        "after {path}: {next:?}"
    );
    assert_eq!(next.text(), "some text");
}

#[get("/204-with-body")]
async fn no_content_with_a_body() -> (&'static str, u16) {
    ("a body the status forbids", 204)
}

#[get("/304-with-body")]
async fn not_modified_with_a_body() -> (&'static str, u16) {
    ("a body the status forbids", 304)
}

/// 204 and 304 responses carry no content (RFC 9110 §15.3.5, §15.4.5), whatever body the
/// handler gave: the server sends none, and the test client must show none either.
async fn a_204_or_304_never_carries_a_body(t: Transport) {
    let app = App::new().routes(collect_routes![
        no_content_with_a_body,
        not_modified_with_a_body
    ]);
    let server = Client::start(app, t).await;
    for (path, status) in [("/204-with-body", 204), ("/304-with-body", 304)] {
        let res = server.get(path).await;
        res.assert_status(status);
        assert_eq!(res.text(), "", "{path}: no body over {t:?}");
        // hyper's HTTP/1.1 framing drops the length of a 204 or 304; HTTP/2 must too.
        assert_eq!(res.header("content-length"), None, "{path} over {t:?}");
    }
}

#[tokio::test]
async fn a_204_leaves_the_connection_usable() {
    let server = TestServer::start(outcomes()).await;
    assert_no_content(&server, "/unit").await;
    assert_no_content(&server, "/none").await;
}

async fn some_is_its_value(t: Transport) {
    let server = Client::start(outcomes(), t).await;
    assert_response(&server.get("/some").await, 200, Some(TEXT), b"some text");
    assert_response(
        &server.get("/some-json").await,
        200,
        Some(JSON),
        br#"{"some":1}"#,
    );
}

async fn ok_is_its_value(t: Transport) {
    let server = Client::start(outcomes(), t).await;
    assert_response(&server.get("/ok").await, 200, Some(JSON), br#"{"ok":true}"#);
    assert_response(&server.get("/ok-status").await, 201, Some(TEXT), b"made");
}

async fn http_error_keeps_its_status_and_message(t: Transport) {
    let server = Client::start(outcomes(), t).await;
    let res = server.get("/http-error").await;
    res.assert_status_line("HTTP/1.1 418 I'm a teapot");
    assert_eq!(res.text(), "I'm a teapot");
    let res = server.get("/http-error-status-code").await;
    res.assert_status(409);
    assert_eq!(res.text(), "already there");
}

async fn other_errors_are_a_generic_500(t: Transport) {
    let server = Client::start(outcomes(), t).await;
    for path in ["/parse-error", "/secret-error", "/io-error"] {
        let res = server.get(path).await;
        assert_eq!(res.status, 500, "{path}: {res:?}");
        assert_eq!(res.text(), "Internal Server Error", "{path}: no details");
        let lower = res
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();
        for leak in [
            "invalid digit",
            "hunter2",
            "10.0.0.7",
            "no such file",
            "secret",
        ] {
            assert!(
                !lower.contains(leak),
                "{path} leaks {leak:?} in headers: {lower}"
            );
        }
    }
}

async fn abort_gives_the_status_and_its_reason(t: Transport) {
    let server = Client::start(outcomes(), t).await;
    let res = server.get("/abort-404").await;
    res.assert_status(404);
    assert_eq!(res.text(), "Not Found");
    let res = server.get("/abort-403").await;
    res.assert_status(403);
    assert_eq!(res.text(), "Forbidden");
    let res = server.get("/abort-question-mark").await;
    res.assert_status(404);
    assert_eq!(res.text(), "Not Found");
}

on_every_transport!(
    unit_and_none_are_204_without_a_body,
    a_204_or_304_never_carries_a_body,
    some_is_its_value,
    ok_is_its_value,
    http_error_keeps_its_status_and_message,
    other_errors_are_a_generic_500,
    abort_gives_the_status_and_its_reason
);

// ---------------------------------------------------------------------------------------
// Response, Redirect, into_response
// ---------------------------------------------------------------------------------------

#[get("/built")]
async fn built() -> Response {
    Response::new("built by hand")
        .with_status(201)
        .with_header("x-built", "by-hand")
        .with_content_type("text/csv; charset=utf-8")
}

#[get("/built-status-code")]
async fn built_status_code() -> Response {
    Response::new(vec![1u8, 2, 3])
        .with_status(StatusCode::PARTIAL_CONTENT)
        .with_header("x-a", "1")
        .with_header("x-a", "2")
}

#[get("/built-plain")]
async fn built_plain() -> Response {
    Response::new(String::from("no type"))
}

#[get("/built-mut")]
async fn built_mut() -> Response {
    let mut res = Response::new("mutated");
    res.headers_mut()
        .insert("x-mutated", "yes".parse().unwrap());
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-mutated"], "yes");
    res
}

#[get("/redirect")]
async fn redirect() -> Redirect {
    Redirect::to("/target?x=1")
}

#[get("/redirect-permanent")]
async fn redirect_permanent() -> Redirect {
    Redirect::permanent("https://example.com/new")
}

#[get("/into-response/<kind>")]
async fn into_response(kind: String) -> Response {
    match kind.as_str() {
        "json" => Json(json!({"k": "v"})).into_response(),
        "tuple" => ("tuple", 203, [("x-t", "1")]).into_response(),
        "redirect" => Redirect::to("/elsewhere").into_response(),
        "unit" => ().into_response(),
        _ => abort(400).into_response(),
    }
}

#[get("/result-response")]
async fn result_response() -> Result<Response, HttpError> {
    Ok(Response::new("r").with_status(StatusCode::ACCEPTED))
}

fn builders() -> App {
    App::new().routes(collect_routes![
        built,
        built_status_code,
        built_plain,
        built_mut,
        redirect,
        redirect_permanent,
        into_response,
        result_response
    ])
}

async fn response_builder(t: Transport) {
    let server = Client::start(builders(), t).await;
    let res = server.get("/built").await;
    assert_response(&res, 201, Some("text/csv; charset=utf-8"), b"built by hand");
    assert_eq!(res.header("x-built"), Some("by-hand"));

    let res = server.get("/built-status-code").await;
    assert_eq!(res.status, 206);
    assert_eq!(res.body, [1, 2, 3]);
    // with_header replaces.
    let values: Vec<&str> = res
        .headers
        .iter()
        .filter(|(k, _)| k == "x-a")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(values, ["2"]);

    let res = server.get("/built-plain").await;
    assert_response(&res, 200, None, b"no type");

    let res = server.get("/built-mut").await;
    assert_eq!(res.text(), "mutated");
    assert_eq!(res.header("x-mutated"), Some("yes"));

    let res = server.get("/result-response").await;
    assert_eq!(res.status, 202);
    assert_eq!(res.text(), "r");
}

async fn redirects(t: Transport) {
    let server = Client::start(builders(), t).await;
    let res = server.get("/redirect").await;
    res.assert_status_line("HTTP/1.1 302 Found");
    assert_eq!(res.header("location"), Some("/target?x=1"));
    assert!(res.body.is_empty());
    let res = server.get("/redirect-permanent").await;
    res.assert_status_line("HTTP/1.1 308 Permanent Redirect");
    assert_eq!(res.header("location"), Some("https://example.com/new"));
    assert!(res.body.is_empty());
}

async fn into_response_on_each_kind(t: Transport) {
    let server = Client::start(builders(), t).await;
    let res = server.get("/into-response/json").await;
    assert_response(&res, 200, Some(JSON), br#"{"k":"v"}"#);
    let res = server.get("/into-response/tuple").await;
    assert_response(&res, 203, Some(TEXT), b"tuple");
    assert_eq!(res.header("x-t"), Some("1"));
    let res = server.get("/into-response/redirect").await;
    res.assert_status(302);
    assert_eq!(res.header("location"), Some("/elsewhere"));
    let res = server.get("/into-response/unit").await;
    res.assert_status(204);
    let res = server.get("/into-response/other").await;
    res.assert_status(400);
    assert_eq!(res.text(), "Bad Request");
}

on_every_transport!(response_builder, redirects, into_response_on_each_kind);

// ---------------------------------------------------------------------------------------
// Both transports, side by side
// ---------------------------------------------------------------------------------------

/// Every route of this file answers the same over the socket and in process: status line,
/// headers (but those of the connection) in order, and body.
#[tokio::test]
async fn the_test_client_answers_exactly_as_the_server() {
    let fixtures: [(MakeApp, &[&str]); 4] = [
        (
            bodies,
            &[
                "/value",
                "/json-struct",
                "/json-vec",
                "/string",
                "/str",
                "/html-string",
                "/html-str",
                "/vec",
                "/bytes",
                "/slice",
                "/empty-string",
            ],
        ),
        (
            statuses,
            &[
                "/status-u16",
                "/status-literal",
                "/status-code",
                "/status-error-code",
                "/headers-array",
                "/headers-vec",
                "/headers-map",
                "/headers-content-type",
                "/headers-repeated",
            ],
        ),
        (
            outcomes,
            &[
                "/unit",
                "/none",
                "/some",
                "/some-json",
                "/ok",
                "/ok-status",
                "/http-error",
                "/http-error-status-code",
                "/parse-error",
                "/secret-error",
                "/io-error",
                "/abort-404",
                "/abort-403",
                "/abort-question-mark",
            ],
        ),
        (
            builders,
            &[
                "/built",
                "/built-status-code",
                "/built-plain",
                "/built-mut",
                "/redirect",
                "/redirect-permanent",
                "/into-response/json",
                "/into-response/tuple",
                "/into-response/redirect",
                "/into-response/unit",
                "/into-response/other",
                "/result-response",
            ],
        ),
    ];
    for (app, paths) in fixtures {
        for path in paths {
            exchange_on_every(app, "GET", path, &[], b"").await;
            exchange_on_every(app, "HEAD", path, &[], b"").await;
        }
    }
}
