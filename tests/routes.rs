//! API §2: route patterns and converters, precedence, methods, HEAD/OPTIONS/405, the
//! trailing-slash redirect, duplicate routes, and the extractors. Each test runs over a
//! real socket and through the in-process test client (`name::socket`,
//! `name::in_process`); what only the wire shows (HEAD framing) is socket-only.

use std::path::PathBuf;

use httpserver::{
    collect_routes, delete, get, patch, post, put, route, App, Form, Json, Query, Request, State,
};
use httpserver_suite::{
    exchange_on_every, on_every_transport, request, Case, Client, MakeApp, TestServer, Transport,
};
use serde::Deserialize;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Converters
// ---------------------------------------------------------------------------------------

#[get("/name/<name>")]
async fn by_name(name: String) -> String {
    format!("name={name}")
}

#[get("/flag/<flag>")]
async fn by_fromstr(flag: bool) -> String {
    format!("flag={flag}")
}

#[get("/i64/<int:id>")]
async fn by_i64(id: i64) -> String {
    format!("i64={id}")
}

#[get("/u8/<int:n>")]
async fn by_u8(n: u8) -> String {
    format!("u8={n}")
}

#[get("/f64/<float:x>")]
async fn by_f64(x: f64) -> String {
    format!("f64={x:?}")
}

#[get("/f32/<float:x>")]
async fn by_f32(x: f32) -> String {
    format!("f32={x:?}")
}

#[get("/path/<path:rest>")]
async fn by_path(rest: String) -> String {
    format!("path={rest}")
}

#[get("/pathbuf/<path:rest>")]
async fn by_pathbuf(rest: PathBuf) -> Value {
    json!({"path": rest, "components": rest.components().count()})
}

fn converters() -> App {
    App::new().routes(collect_routes![
        by_name, by_fromstr, by_i64, by_u8, by_f64, by_f32, by_path, by_pathbuf
    ])
}

async fn string_converter_takes_one_nonempty_segment(t: Transport) {
    let server = Client::start(converters(), t).await;
    let res = server.get("/name/Ann").await;
    res.assert_status(200);
    assert_eq!(res.text(), "name=Ann");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // Digits are still a string for `<name>`.
    assert_eq!(server.get("/name/42").await.text(), "name=42");
    // No `/` inside, and never empty.
    server.get("/name/a/b").await.assert_status(404);
    server.get("/name/").await.assert_status(404);
    server.get("/name").await.assert_status(404);
}

async fn string_converter_accepts_any_fromstr_type(t: Transport) {
    let server = Client::start(converters(), t).await;
    assert_eq!(server.get("/flag/true").await.text(), "flag=true");
    assert_eq!(server.get("/flag/false").await.text(), "flag=false");
    // A value that does not parse as the argument's type is no match.
    server.get("/flag/maybe").await.assert_status(404);
}

async fn int_converter(t: Transport) {
    let server = Client::start(converters(), t).await;
    assert_eq!(server.get("/i64/42").await.text(), "i64=42");
    assert_eq!(server.get("/i64/-17").await.text(), "i64=-17");
    assert_eq!(server.get("/i64/0").await.text(), "i64=0");
    assert_eq!(server.get("/i64/007").await.text(), "i64=7");
    assert_eq!(
        server.get("/i64/9223372036854775807").await.text(),
        "i64=9223372036854775807"
    );
    assert_eq!(
        server.get("/i64/-9223372036854775808").await.text(),
        "i64=-9223372036854775808"
    );
    // i64 overflow: no match.
    server
        .get("/i64/9223372036854775808")
        .await
        .assert_status(404);
    server
        .get("/i64/-9223372036854775809")
        .await
        .assert_status(404);
    server
        .get("/i64/99999999999999999999999")
        .await
        .assert_status(404);
    // Not `-?[0-9]+`.
    server.get("/i64/abc").await.assert_status(404);
    server.get("/i64/1.5").await.assert_status(404);
    server.get("/i64/+5").await.assert_status(404);
    server.get("/i64/-").await.assert_status(404);
    server.get("/i64/12a").await.assert_status(404);
    server.get("/i64/").await.assert_status(404);
}

async fn int_converter_out_of_range_for_the_argument_type_is_404(t: Transport) {
    let server = Client::start(converters(), t).await;
    assert_eq!(server.get("/u8/0").await.text(), "u8=0");
    assert_eq!(server.get("/u8/255").await.text(), "u8=255");
    server.get("/u8/256").await.assert_status(404);
    server.get("/u8/300").await.assert_status(404);
    server.get("/u8/-1").await.assert_status(404);
}

async fn float_converter(t: Transport) {
    let server = Client::start(converters(), t).await;
    assert_eq!(server.get("/f64/9.99").await.text(), "f64=9.99");
    assert_eq!(server.get("/f64/3").await.text(), "f64=3.0");
    assert_eq!(server.get("/f64/-2.5").await.text(), "f64=-2.5");
    assert_eq!(server.get("/f64/-7").await.text(), "f64=-7.0");
    assert_eq!(server.get("/f64/0.125").await.text(), "f64=0.125");
    assert_eq!(server.get("/f32/1.5").await.text(), "f32=1.5");
    // `1.` and `.5` are not `-?[0-9]+(\.[0-9]+)?`.
    server.get("/f64/1.").await.assert_status(404);
    server.get("/f64/.5").await.assert_status(404);
    server.get("/f64/1.2.3").await.assert_status(404);
    server.get("/f64/1e5").await.assert_status(404);
    server.get("/f64/inf").await.assert_status(404);
    server.get("/f64/NaN").await.assert_status(404);
    server.get("/f64/abc").await.assert_status(404);
}

async fn path_converter_takes_the_rest_of_the_path(t: Transport) {
    let server = Client::start(converters(), t).await;
    assert_eq!(
        server.get("/path/readme.txt").await.text(),
        "path=readme.txt"
    );
    assert_eq!(
        server.get("/path/docs/2024/notes.txt").await.text(),
        "path=docs/2024/notes.txt"
    );
    assert_eq!(server.get("/path/dir/").await.text(), "path=dir/");
    let res = server.get("/pathbuf/a/b/c.txt").await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"path": "a/b/c.txt", "components": 3}));
    // Empty: no match.
    server.get("/path/").await.assert_status(404);
    server.get("/path").await.assert_status(404);
}

async fn matching_is_on_the_percent_decoded_path(t: Transport) {
    let server = Client::start(converters(), t).await;
    let res = server.get("/name/J%C3%B6rg").await;
    res.assert_status(200);
    assert_eq!(res.text(), "name=Jörg");
    assert_eq!(server.get("/name/a%20b").await.text(), "name=a b");
    // `+` is not a space in a path.
    assert_eq!(server.get("/name/a+b").await.text(), "name=a+b");
    // Encoded static segments and encoded digits match too.
    assert_eq!(server.get("/%6Eame/x").await.text(), "name=x");
    assert_eq!(server.get("/i64/%34%32").await.text(), "i64=42");
    assert_eq!(
        server.get("/path/my%20docs/f%C3%BCr.txt").await.text(),
        "path=my docs/für.txt"
    );
    // Not UTF-8 once decoded: refused, not routed.
    let res = server.get("/name/%FF").await;
    assert!(
        res.status == 400 || res.status == 404,
        "invalid UTF-8 in the path: {res:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------

#[get("/p/static")]
async fn p_static() -> &'static str {
    "static"
}

#[get("/p/<int:n>")]
async fn p_int(n: u8) -> String {
    format!("int {n}")
}

#[get("/p/<float:x>")]
async fn p_float(x: f64) -> String {
    format!("float {x:?}")
}

#[get("/p/<s>")]
async fn p_string(s: String) -> String {
    format!("string {s}")
}

#[get("/p/<path:rest>")]
async fn p_path(rest: String) -> String {
    format!("path {rest}")
}

fn precedence_app() -> App {
    // Registered lowest precedence first: order of registration must not matter.
    App::new().routes(collect_routes![p_path, p_string, p_float, p_int, p_static])
}

async fn precedence_static_int_float_string_path(t: Transport) {
    let server = Client::start(precedence_app(), t).await;
    assert_eq!(server.get("/p/static").await.text(), "static");
    assert_eq!(server.get("/p/42").await.text(), "int 42");
    assert_eq!(server.get("/p/4.5").await.text(), "float 4.5");
    assert_eq!(server.get("/p/-3").await.text(), "float -3.0");
    assert_eq!(server.get("/p/abc").await.text(), "string abc");
    assert_eq!(server.get("/p/statics").await.text(), "string statics");
    assert_eq!(server.get("/p/1.").await.text(), "string 1.");
    assert_eq!(server.get("/p/a/b").await.text(), "path a/b");
    assert_eq!(server.get("/p/static/x").await.text(), "path static/x");
    // An int out of the argument's range is no match for the int route: the next
    // candidate (float) takes it.
    assert_eq!(server.get("/p/300").await.text(), "float 300.0");
}

on_every_transport!(
    string_converter_takes_one_nonempty_segment,
    string_converter_accepts_any_fromstr_type,
    int_converter,
    int_converter_out_of_range_for_the_argument_type_is_404,
    float_converter,
    path_converter_takes_the_rest_of_the_path,
    matching_is_on_the_percent_decoded_path,
    precedence_static_int_float_string_path
);

// ---------------------------------------------------------------------------------------
// Arguments in any order, methods
// ---------------------------------------------------------------------------------------

struct Prefix {
    text: &'static str,
}

#[get("/order/<a>/<int:b>")]
async fn any_order(req: Request, b: i32, prefix: State<Prefix>, a: String) -> String {
    format!("{} a={a} b={b} path={}", prefix.text, req.path())
}

#[get("/order2/<int:b>/<a>")]
async fn any_order_reversed(a: String, b: i32) -> String {
    format!("a={a} b={b}")
}

fn any_order_app() -> App {
    App::new()
        .state(Prefix { text: ">>" })
        .routes(collect_routes![any_order, any_order_reversed])
}

async fn arguments_may_come_in_any_order(t: Transport) {
    let server = Client::start(any_order_app(), t).await;
    assert_eq!(
        server.get("/order/x/-5").await.text(),
        ">> a=x b=-5 path=/order/x/-5"
    );
    assert_eq!(server.get("/order2/7/y").await.text(), "a=y b=7");
}

#[get("/res")]
async fn res_get(req: Request) -> String {
    format!("get {}", req.method())
}

#[post("/res")]
async fn res_post(req: Request) -> String {
    format!("post {} {}", req.method(), req.text().unwrap_or("?"))
}

#[put("/res")]
async fn res_put(req: Request) -> String {
    format!("put {}", req.method())
}

#[delete("/res")]
async fn res_delete(req: Request) -> String {
    format!("delete {}", req.method())
}

#[patch("/res")]
async fn res_patch(req: Request) -> String {
    format!("patch {}", req.method())
}

#[route("/multi", methods = ["GET", "POST"])]
async fn multi(req: Request) -> String {
    format!("multi {}", req.method())
}

#[route("/lower", methods = ["put", "Delete"])]
async fn lower(req: Request) -> String {
    format!("lower {}", req.method())
}

#[route("/plain")]
async fn plain(req: Request) -> String {
    format!("plain {}", req.method())
}

#[get("/only-get")]
async fn only_get() -> &'static str {
    "only get"
}

#[post("/only-post")]
async fn only_post() -> &'static str {
    "only post"
}

#[get("/hello")]
async fn hello() -> Value {
    json!({"message": "Hello, World!"})
}

#[get("/dir/")]
async fn dir() -> &'static str {
    "dir"
}

#[get("/file")]
async fn file() -> &'static str {
    "file"
}

#[get("/nested/<int:id>/")]
async fn nested(id: i64) -> String {
    format!("nested {id}")
}

fn methods_app() -> App {
    App::new().routes(collect_routes![
        res_get, res_post, res_put, res_delete, res_patch, multi, lower, plain, only_get,
        only_post, hello, dir, file, nested
    ])
}

async fn each_method_attribute_routes_its_method(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    assert_eq!(server.call("GET", "/res", "").await.text(), "get GET");
    assert_eq!(
        server.call("POST", "/res", "hi").await.text(),
        "post POST hi"
    );
    assert_eq!(server.call("PUT", "/res", "").await.text(), "put PUT");
    assert_eq!(
        server.call("DELETE", "/res", "").await.text(),
        "delete DELETE"
    );
    assert_eq!(server.call("PATCH", "/res", "").await.text(), "patch PATCH");
    let res = server.call("OPTIONS", "/res", "").await;
    res.assert_status(204);
    assert_eq!(
        res.allowed(),
        ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    );
}

async fn route_with_methods_list(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    assert_eq!(server.call("GET", "/multi", "").await.text(), "multi GET");
    assert_eq!(server.call("POST", "/multi", "").await.text(), "multi POST");
    let res = server.call("PUT", "/multi", "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS", "POST"]);
    // Method names in any case.
    assert_eq!(server.call("PUT", "/lower", "").await.text(), "lower PUT");
    assert_eq!(
        server.call("DELETE", "/lower", "").await.text(),
        "lower DELETE"
    );
    let res = server.call("GET", "/lower", "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["DELETE", "OPTIONS", "PUT"]);
}

async fn route_without_methods_is_get(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    assert_eq!(server.call("GET", "/plain", "").await.text(), "plain GET");
    let res = server.call("POST", "/plain", "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS"]);
}

async fn unknown_path_is_404(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    server.get("/nope").await.assert_status(404);
    server.get("/res/extra").await.assert_status(404);
    server.call("POST", "/nope", "x").await.assert_status(404);
    server.get("/").await.assert_status(404);
}

async fn wrong_method_is_405_with_exact_allow(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    let res = server.call("POST", "/only-get", "x").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS"]);
    let res = server.call("DELETE", "/only-get", "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS"]);

    let res = server.call("GET", "/only-post", "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["OPTIONS", "POST"]);
    // No GET route there, so no automatic HEAD either.
    let res = server.call("HEAD", "/only-post", "").await;
    res.assert_status(405);
    assert_eq!(res.allowed(), ["OPTIONS", "POST"]);
}

async fn head_is_answered_for_get_routes_without_a_body(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    let get = server.get("/hello").await;
    get.assert_status(200);
    let res = server.call("HEAD", "/hello", "").await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("content-length"), get.header("content-length"));
    assert!(res.body.is_empty());
    assert_eq!(res.app_headers(), get.app_headers(), "the headers of a GET");
}

#[tokio::test]
async fn a_head_response_has_the_length_of_the_get_and_no_body_bytes() {
    let server = TestServer::start(methods_app()).await;
    let get = server.get("/hello").await;
    get.assert_status(200);
    let get_len = get.body.len().to_string();

    // HEAD then GET pipelined on one connection: if the HEAD response carried body bytes,
    // the GET response would not parse.
    let mut conn = server.connect().await;
    let head = request("HEAD", "/hello", &[], "", true);
    let next = request("GET", "/only-get", &[], "", false);
    conn.write(format!("{head}{next}").as_bytes()).await;
    let res = conn.read_head_response().await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("content-length"), Some(get_len.as_str()));
    let res = conn.read_response().await;
    assert_eq!(res.status_line, "HTTP/1.1 200 OK");
    assert_eq!(res.text(), "only get");
}

async fn options_lists_allowed_methods(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    let res = server.call("OPTIONS", "/only-get", "").await;
    res.assert_status(204);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS"]);
    assert!(res.body.is_empty());
    let res = server.call("OPTIONS", "/multi", "").await;
    res.assert_status(204);
    assert_eq!(res.allowed(), ["GET", "HEAD", "OPTIONS", "POST"]);
    server.call("OPTIONS", "/nope", "").await.assert_status(404);
}

async fn missing_trailing_slash_redirects_with_308_keeping_the_query(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    let res = server.get("/dir").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/dir/"));
    let res = server.get("/dir?a=1&b=x%20y").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/dir/?a=1&b=x%20y"));
    assert_eq!(server.get("/dir/").await.text(), "dir");

    let res = server.get("/nested/5?q=1").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/nested/5/?q=1"));
    assert_eq!(server.get("/nested/5/").await.text(), "nested 5");
}

async fn extra_trailing_slash_is_404(t: Transport) {
    let server = Client::start(methods_app(), t).await;
    assert_eq!(server.get("/file").await.text(), "file");
    server.get("/file/").await.assert_status(404);
}

#[get("/explicit")]
async fn explicit_get() -> &'static str {
    "explicit get"
}

#[route("/explicit", methods = ["HEAD"])]
async fn explicit_head() -> (&'static str, u16, [(&'static str, &'static str); 1]) {
    ("", 200, [("x-handler", "head")])
}

#[route("/explicit", methods = ["OPTIONS"])]
async fn explicit_options() -> (&'static str, u16, [(&'static str, &'static str); 1]) {
    ("custom options", 200, [("x-handler", "options")])
}

fn explicit_app() -> App {
    App::new().routes(collect_routes![
        explicit_get,
        explicit_head,
        explicit_options
    ])
}

async fn explicit_head_and_options_routes_win_over_the_automatic_ones(t: Transport) {
    let server = Client::start(explicit_app(), t).await;
    let res = server.call("HEAD", "/explicit", "").await;
    res.assert_status(200);
    assert_eq!(res.header("x-handler"), Some("head"));
    let res = server.get("/explicit").await;
    assert_eq!(res.text(), "explicit get");
    assert_eq!(res.header("x-handler"), None);

    let res = server.call("OPTIONS", "/explicit", "").await;
    res.assert_status(200);
    assert_eq!(res.header("x-handler"), Some("options"));
    assert_eq!(res.text(), "custom options");
}

on_every_transport!(
    arguments_may_come_in_any_order,
    each_method_attribute_routes_its_method,
    route_with_methods_list,
    route_without_methods_is_get,
    unknown_path_is_404,
    wrong_method_is_405_with_exact_allow,
    head_is_answered_for_get_routes_without_a_body,
    options_lists_allowed_methods,
    missing_trailing_slash_redirects_with_308_keeping_the_query,
    extra_trailing_slash_is_404,
    explicit_head_and_options_routes_win_over_the_automatic_ones
);

// ---------------------------------------------------------------------------------------
// Duplicate routes
// ---------------------------------------------------------------------------------------

#[get("/dup/<a>")]
async fn first_dup(a: String) -> String {
    a
}

#[get("/dup/<b>")]
async fn second_dup(b: String) -> String {
    b
}

#[tokio::test]
async fn duplicate_routes_across_two_routes_calls_fail_serve() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = App::new()
        .handle_signals(false)
        .routes(collect_routes![first_dup])
        .routes(collect_routes![second_dup]);
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), app.serve(listener))
        .await
        .expect("serve must fail at once, not serve");
    let err = result.expect_err("duplicate routes must be an error");
    let msg = err.to_string();
    assert!(
        msg.contains("first_dup"),
        "message names the first handler: {msg}"
    );
    assert!(
        msg.contains("second_dup"),
        "message names the second handler: {msg}"
    );
}

#[test]
fn duplicate_routes_make_test_client_panic_as_serve_fails() {
    let app = App::new()
        .routes(collect_routes![first_dup])
        .routes(collect_routes![second_dup]);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.test_client()))
        .err()
        .expect("test_client() must refuse duplicate routes");
    let msg = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        msg.contains("first_dup"),
        "message names the first handler: {msg}"
    );
    assert!(
        msg.contains("second_dup"),
        "message names the second handler: {msg}"
    );
}

// ---------------------------------------------------------------------------------------
// Extractors
// ---------------------------------------------------------------------------------------

struct Counter {
    hits: std::sync::atomic::AtomicU32,
}

#[get("/count")]
async fn count(counter: State<Counter>) -> String {
    let n = counter
        .hits
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    n.to_string()
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    age: u8,
}

#[post("/users")]
async fn create_user(Json(user): Json<NewUser>) -> Value {
    json!({"name": user.name, "age": user.age})
}

/// What HTML forms send: a key repeated for each checked box, an empty value for an empty field.
#[derive(Deserialize)]
struct Filter {
    #[serde(default)]
    tag: Vec<String>,
    limit: Option<u32>,
}

#[get("/filter")]
async fn filter(Query(f): Query<Filter>) -> Value {
    json!({"tag": f.tag, "limit": f.limit})
}

#[post("/filter")]
async fn filter_form(Form(f): Form<Filter>) -> Value {
    json!({"tag": f.tag, "limit": f.limit})
}

#[derive(Deserialize)]
struct Search {
    q: String,
    #[serde(default)]
    page: u32,
}

#[get("/search")]
async fn search(params: Query<Search>) -> Value {
    json!({"q": params.q, "page": params.page})
}

#[derive(Deserialize)]
struct Login {
    user: String,
    remember: Option<bool>,
}

#[post("/login")]
async fn login(Form(login): Form<Login>) -> Value {
    json!({"user": login.user, "remember": login.remember})
}

#[put("/things/<int:id>")]
async fn update_thing(body: Json<Value>, id: u32, q: Query<Search>) -> Value {
    json!({"id": id, "body": body.0, "q": q.q})
}

fn extractors_app() -> App {
    App::new()
        .state(Counter {
            hits: Default::default(),
        })
        .routes(collect_routes![
            count,
            create_user,
            filter,
            filter_form,
            search,
            login,
            update_thing
        ])
}

async fn state_extractor_shares_one_value(t: Transport) {
    let server = Client::start(extractors_app(), t).await;
    assert_eq!(server.get("/count").await.text(), "1");
    assert_eq!(server.get("/count").await.text(), "2");
    assert_eq!(server.get("/count").await.text(), "3");
}

async fn json_extractor(t: Transport) {
    let server = Client::start(extractors_app(), t).await;
    let json_ct = [("Content-Type", "application/json")];
    let res = server
        .call_with("POST", "/users", &json_ct, r#"{"name": "Ann", "age": 31}"#)
        .await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"name": "Ann", "age": 31}));

    for bad in [
        r#"{"name": "Ann", "age": "#,       // not JSON
        r#"{"name": "Ann"}"#,               // missing field
        r#"{"name": "Ann", "age": 300}"#,   // out of range
        r#"{"name": "Ann", "age": "old"}"#, // wrong type
        "",                                 // empty body
    ] {
        let res = server.call_with("POST", "/users", &json_ct, bad).await;
        res.assert_status(400);
        let reason = res.text();
        assert!(!reason.trim().is_empty(), "400 for {bad:?} has a reason");
        assert!(reason.len() < 300, "400 reason is short: {reason:?}");
        assert!(!reason.contains('\n'), "400 reason is one line: {reason:?}");
    }
}

async fn query_extractor(t: Transport) {
    let server = Client::start(extractors_app(), t).await;
    let res = server.get("/search?q=rust%20lang&page=2").await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"q": "rust lang", "page": 2}));
    let res = server.get("/search?q=a+b").await;
    assert_eq!(res.json(), json!({"q": "a b", "page": 0}));
    // Mismatch: missing field, wrong type.
    server.get("/search").await.assert_status(400);
    server.get("/search?page=2").await.assert_status(400);
    let res = server.get("/search?q=x&page=abc").await;
    res.assert_status(400);
    assert!(!res.text().is_empty());
}

async fn query_and_form_take_what_html_forms_send(t: Transport) {
    let server = Client::start(extractors_app(), t).await;
    let res = server.get("/filter?tag=x&tag=y&limit=").await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"tag": ["x", "y"], "limit": null}));
    assert_eq!(
        server.get("/filter").await.json(),
        json!({"tag": [], "limit": null})
    );
    assert_eq!(
        server.get("/filter?limit=5&tag=z").await.json(),
        json!({"tag": ["z"], "limit": 5})
    );
    let res = server.get("/filter?tag=x&limit=many").await;
    res.assert_status(400);
    assert!(
        res.text().contains("`limit`"),
        "the error names the field: {}",
        res.text()
    );

    let form_ct = [("Content-Type", "application/x-www-form-urlencoded")];
    let res = server
        .call_with("POST", "/filter", &form_ct, "tag=a&tag=b&limit=")
        .await;
    assert_eq!(res.json(), json!({"tag": ["a", "b"], "limit": null}));
    let res = server
        .call_with("POST", "/filter", &form_ct, "limit=-1")
        .await;
    res.assert_status(400);
    assert!(res.text().contains("`limit`"), "{}", res.text());
}

async fn form_extractor(t: Transport) {
    let server = Client::start(extractors_app(), t).await;
    let form_ct = [("Content-Type", "application/x-www-form-urlencoded")];
    let res = server
        .call_with("POST", "/login", &form_ct, "user=J%C3%B6rg+M&remember=true")
        .await;
    res.assert_status(200);
    assert_eq!(res.json(), json!({"user": "Jörg M", "remember": true}));
    let res = server
        .call_with("POST", "/login", &form_ct, "user=ann")
        .await;
    assert_eq!(res.json(), json!({"user": "ann", "remember": null}));
    // Mismatch.
    server
        .call_with("POST", "/login", &form_ct, "name=ann")
        .await
        .assert_status(400);
    server
        .call_with("POST", "/login", &form_ct, "user=ann&remember=perhaps")
        .await
        .assert_status(400);
}

async fn several_extractors_and_a_path_parameter(t: Transport) {
    let server = Client::start(extractors_app(), t).await;
    let json_ct = [("Content-Type", "application/json")];
    let res = server
        .call_with("PUT", "/things/9?q=z", &json_ct, r#"{"k": [1, 2]}"#)
        .await;
    res.assert_status(200);
    assert_eq!(
        res.json(),
        json!({"id": 9, "body": {"k": [1, 2]}, "q": "z"})
    );
    // One failing extractor is enough for a 400.
    server
        .call_with("PUT", "/things/9?q=z", &json_ct, "not json")
        .await
        .assert_status(400);
    server
        .call_with("PUT", "/things/9", &json_ct, r#"{"k": 1}"#)
        .await
        .assert_status(400);
}

on_every_transport!(
    state_extractor_shares_one_value,
    json_extractor,
    query_extractor,
    query_and_form_take_what_html_forms_send,
    form_extractor,
    several_extractors_and_a_path_parameter
);

// ---------------------------------------------------------------------------------------
// Both transports, side by side
// ---------------------------------------------------------------------------------------

/// Requests of every kind in this file answer the same over the socket and in process:
/// status line, headers (but those of the connection) in order, and body.
#[tokio::test]
async fn the_test_client_answers_exactly_as_the_server() {
    let gets: [(MakeApp, &[&str]); 4] = [
        (
            converters,
            &[
                "/name/Ann",
                "/name/a/b",
                "/name/",
                "/name",
                "/flag/maybe",
                "/i64/-9223372036854775808",
                "/i64/9223372036854775808",
                "/i64/+5",
                "/u8/256",
                "/f64/-7",
                "/f64/1e5",
                "/f32/1.5",
                "/path/docs/2024/notes.txt",
                "/path/dir/",
                "/pathbuf/a/b/c.txt",
                "/name/J%C3%B6rg",
                "/%6Eame/x",
                "/i64/%34%32",
                "/name/%FF",
            ],
        ),
        (
            precedence_app,
            &["/p/static", "/p/42", "/p/4.5", "/p/abc", "/p/a/b", "/p/300"],
        ),
        (any_order_app, &["/order/x/-5", "/order2/7/y"]),
        (
            methods_app,
            &[
                "/hello",
                "/only-post",
                "/lower",
                "/nope",
                "/",
                "/dir",
                "/dir?a=1&b=x%20y",
                "/nested/5?q=1",
                "/nested/5/",
                "/file/",
            ],
        ),
    ];
    for (app, targets) in gets {
        for target in targets {
            for method in ["GET", "HEAD", "OPTIONS", "DELETE"] {
                exchange_on_every(app, method, target, &[], b"").await;
            }
        }
    }
    let json_ct = ("Content-Type", "application/json");
    let form_ct = ("Content-Type", "application/x-www-form-urlencoded");
    let cases: [Case; 14] = [
        (methods_app, "POST", "/res", &[], b"hi"),
        (methods_app, "PATCH", "/res", &[], b""),
        (methods_app, "PUT", "/multi", &[], b""),
        (methods_app, "POST", "/plain", &[], b""),
        (explicit_app, "HEAD", "/explicit", &[], b""),
        (explicit_app, "OPTIONS", "/explicit", &[], b""),
        (extractors_app, "GET", "/count", &[], b""),
        (
            extractors_app,
            "POST",
            "/users",
            &[json_ct],
            br#"{"name": "Ann", "age": 31}"#,
        ),
        (
            extractors_app,
            "POST",
            "/users",
            &[json_ct],
            br#"{"name": "Ann", "age": 300}"#,
        ),
        (extractors_app, "GET", "/search?q=x&page=abc", &[], b""),
        (
            extractors_app,
            "POST",
            "/login",
            &[form_ct],
            b"user=J%C3%B6rg+M&remember=true",
        ),
        (
            extractors_app,
            "POST",
            "/login",
            &[form_ct],
            b"user=ann&remember=perhaps",
        ),
        (
            extractors_app,
            "PUT",
            "/things/9?q=z",
            &[],
            br#"{"k": [1, 2]}"#,
        ),
        (extractors_app, "PUT", "/things/9?q=z", &[], b"not json"),
    ];
    for (app, method, target, headers, body) in cases {
        exchange_on_every(app, method, target, headers, body).await;
    }
}
