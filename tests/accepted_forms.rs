//! Every form the route attributes accept compiles and routes as written, and `url_for!`
//! builds paths that route back to the same handler with the same values. (The forms they
//! reject are in `tests/ui/`, run by `tests/compile_fail.rs`.)

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use httpserver::__private::router::pattern::cases::CASES;
use httpserver::__private::router::{InsertError, Router};
use httpserver::{
    collect_routes, get, post, route, url_for, App, Json, Method, Query, Request, State, TestClient,
};
use serde::Deserialize;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Arguments: any order, owned types, extractors by pattern
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Page {
    page: u32,
}

struct Greeting {
    text: &'static str,
}

/// Path parameters and extractors interleaved, in an order unrelated to the pattern's.
#[get("/order/<a>/<int:b>/<float:c>")]
async fn any_order(
    greeting: State<Greeting>,
    c: f64,
    Query(query): Query<Page>,
    a: String,
    req: Request,
    b: i32,
) -> Value {
    json!({
        "a": a, "b": b, "c": c,
        "page": query.page,
        "greeting": greeting.text,
        "path": req.path(),
    })
}

#[post("/body/<int:id>")]
async fn pattern_extractor(Json(body): Json<Value>, mut id: u64) -> Value {
    id += 1;
    json!({"id": id, "body": body})
}

/// `r#kind` receives `<kind>`, and the handler may be a raw identifier itself.
#[get("/raw/<kind>")]
async fn r#type(r#kind: String) -> String {
    format!("kind={kind}")
}

/// A plain `fn` runs on the blocking pool.
#[get("/blocking/<int:n>")]
fn blocking(n: u16) -> String {
    format!("n={n}")
}

#[route("/multi/<int:id>", methods = ["GET", "put", DELETE])]
async fn multi(req: Request, id: i64) -> String {
    format!("{} {id}", req.method())
}

fn client() -> TestClient {
    App::new()
        .state(Greeting { text: "hi" })
        .routes(collect_routes![
            any_order,
            pattern_extractor,
            r#type,
            blocking,
            multi
        ])
        .test_client()
}

#[tokio::test]
async fn arguments_in_any_order() {
    let res = client().get("/order/x/-3/2.5?page=7").send().await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"a": "x", "b": -3, "c": 2.5, "page": 7, "greeting": "hi", "path": "/order/x/-3/2.5"})
    );
}

#[tokio::test]
async fn pattern_arguments_and_mut_bindings() {
    let res = client()
        .post("/body/41")
        .json(&json!({"k": [1, 2]}))
        .send()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    assert_eq!(
        res.json::<Value>(),
        json!({"id": 42, "body": {"k": [1, 2]}})
    );
}

#[tokio::test]
async fn raw_identifiers_sync_handlers_and_methods() {
    let client = client();
    assert_eq!(client.get("/raw/a").send().await.text(), "kind=a");
    assert_eq!(client.get("/blocking/65535").send().await.text(), "n=65535");
    assert_eq!(client.get("/blocking/65536").send().await.status(), 404);
    assert_eq!(client.get("/multi/1").send().await.text(), "GET 1");
    assert_eq!(client.put("/multi/2").send().await.text(), "PUT 2");
    assert_eq!(client.delete("/multi/3").send().await.text(), "DELETE 3");
    assert_eq!(client.post("/multi/4").send().await.status(), 405);
}

// ---------------------------------------------------------------------------------------
// Converters: every integer width, both floats, String and PathBuf, any FromStr type
// ---------------------------------------------------------------------------------------

#[get("/int/i8/<int:v>")]
async fn int_i8(v: i8) -> String {
    format!("i8={v}")
}
#[get("/int/i16/<int:v>")]
async fn int_i16(v: i16) -> String {
    format!("i16={v}")
}
#[get("/int/i32/<int:v>")]
async fn int_i32(v: i32) -> String {
    format!("i32={v}")
}
#[get("/int/i64/<int:v>")]
async fn int_i64(v: i64) -> String {
    format!("i64={v}")
}
#[get("/int/i128/<int:v>")]
async fn int_i128(v: i128) -> String {
    format!("i128={v}")
}
#[get("/int/isize/<int:v>")]
async fn int_isize(v: isize) -> String {
    format!("isize={v}")
}
#[get("/int/u8/<int:v>")]
async fn int_u8(v: u8) -> String {
    format!("u8={v}")
}
#[get("/int/u16/<int:v>")]
async fn int_u16(v: u16) -> String {
    format!("u16={v}")
}
#[get("/int/u32/<int:v>")]
async fn int_u32(v: u32) -> String {
    format!("u32={v}")
}
#[get("/int/u64/<int:v>")]
async fn int_u64(v: u64) -> String {
    format!("u64={v}")
}
#[get("/int/u128/<int:v>")]
async fn int_u128(v: u128) -> String {
    format!("u128={v}")
}
#[get("/int/usize/<int:v>")]
async fn int_usize(v: usize) -> String {
    format!("usize={v}")
}

#[tokio::test]
async fn every_integer_width() {
    let client = App::new()
        .routes(collect_routes![
            int_i8, int_i16, int_i32, int_i64, int_i128, int_isize, int_u8, int_u16, int_u32,
            int_u64, int_u128, int_usize
        ])
        .test_client();
    let cases: &[(&str, &str, &str)] = &[
        ("i8", "-128", "127"),
        ("i16", "-32768", "32767"),
        ("i32", "-2147483648", "2147483647"),
        ("i64", "-9223372036854775808", "9223372036854775807"),
        (
            "i128",
            "-170141183460469231731687303715884105728",
            "170141183460469231731687303715884105727",
        ),
        ("isize", "-9223372036854775808", "9223372036854775807"),
        ("u8", "0", "255"),
        ("u16", "0", "65535"),
        ("u32", "0", "4294967295"),
        ("u64", "0", "18446744073709551615"),
        ("u128", "0", "340282366920938463463374607431768211455"),
        ("usize", "0", "18446744073709551615"),
    ];
    for (ty, min, max) in cases {
        for value in [min, max] {
            let res = client.get(&format!("/int/{ty}/{value}")).send().await;
            assert_eq!(res.text(), format!("{ty}={value}"));
        }
        // One past either end is out of the type's range: no match.
        let below = match min.strip_prefix('-') {
            Some(digits) => format!("-{}", bump(digits)),
            None => "-1".to_owned(),
        };
        for value in [below, bump(max)] {
            let res = client.get(&format!("/int/{ty}/{value}")).send().await;
            assert_eq!(res.status(), 404, "{ty} {value}");
        }
    }
}

/// A decimal string plus one.
fn bump(digits: &str) -> String {
    let mut out: Vec<u8> = digits.bytes().collect();
    for d in out.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return String::from_utf8(out).unwrap();
        }
    }
    format!("1{}", String::from_utf8(out).unwrap())
}

#[get("/f32/<float:x>")]
async fn by_f32(x: f32) -> String {
    format!("f32={x:?}")
}

#[get("/f64/<float:x>")]
async fn by_f64(x: f64) -> String {
    format!("f64={x:?}")
}

#[get("/string/<path:rest>")]
async fn path_string(rest: String) -> String {
    rest
}

#[get("/pathbuf/<path:rest>")]
async fn path_pathbuf(rest: std::path::PathBuf) -> Value {
    let parts: Vec<String> = rest
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    json!(parts)
}

/// A `<name>` segment as a `PathBuf`: any `FromStr` type works there.
#[get("/segment-pathbuf/<name>")]
async fn segment_pathbuf(name: PathBuf) -> String {
    name.display().to_string()
}

#[derive(Debug, PartialEq)]
enum Color {
    Red,
    Green,
}

impl FromStr for Color {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "red" => Ok(Color::Red),
            "green" => Ok(Color::Green),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Color::Red => "red",
            Color::Green => "green",
        })
    }
}

#[get("/color/<color>")]
async fn by_color(color: Color) -> String {
    format!("{color:?}")
}

#[get("/flag/<flag>/<ch>")]
async fn by_flag(flag: bool, ch: char) -> String {
    format!("{flag} {ch}")
}

fn converter_client() -> TestClient {
    App::new()
        .routes(collect_routes![
            by_f32,
            by_f64,
            path_string,
            path_pathbuf,
            segment_pathbuf,
            by_color,
            by_flag
        ])
        .test_client()
}

#[tokio::test]
async fn floats_paths_and_fromstr_types() {
    let client = converter_client();
    assert_eq!(client.get("/f32/1.5").send().await.text(), "f32=1.5");
    assert_eq!(client.get("/f64/-2").send().await.text(), "f64=-2.0");
    assert_eq!(client.get("/f64/1e5").send().await.status(), 404);
    assert_eq!(
        client.get("/string/a/b/c.txt").send().await.text(),
        "a/b/c.txt"
    );
    let res = client.get("/pathbuf/docs/guide/intro.md").send().await;
    assert_eq!(res.json::<Value>(), json!(["docs", "guide", "intro.md"]));
    assert_eq!(
        client.get("/segment-pathbuf/a.txt").send().await.text(),
        "a.txt"
    );
    assert_eq!(client.get("/color/red").send().await.text(), "Red");
    assert_eq!(client.get("/color/blue").send().await.status(), 404);
    assert_eq!(client.get("/flag/true/x").send().await.text(), "true x");
    assert_eq!(client.get("/flag/yes/x").send().await.status(), 404);
}

// ---------------------------------------------------------------------------------------
// Modules and handlers inside functions
// ---------------------------------------------------------------------------------------

mod api {
    pub mod users {
        use httpserver::get;

        #[get("/api/users/<int:id>")]
        pub async fn get_user(id: i64) -> String {
            format!("user {id}")
        }

        #[get("/api/users")]
        pub async fn list() -> &'static str {
            "users"
        }

        /// A `url_for!` from inside the module, by the short name.
        pub fn link(id: i64) -> String {
            httpserver::url_for!(get_user, id = id)
        }
    }

    /// `super::` paths work in both macros.
    pub fn routes() -> Vec<httpserver::Route> {
        httpserver::collect_routes![self::users::get_user, users::list]
    }

    pub fn link() -> String {
        httpserver::url_for!(self::users::get_user, id = 5)
    }
}

#[tokio::test]
async fn handlers_in_modules() {
    let client = App::new()
        .routes(collect_routes![api::users::get_user, api::users::list])
        .test_client();
    assert_eq!(client.get("/api/users/7").send().await.text(), "user 7");
    assert_eq!(client.get("/api/users").send().await.text(), "users");

    assert_eq!(url_for!(api::users::get_user, id = 1), "/api/users/1");
    assert_eq!(url_for!(crate::api::users::list), "/api/users");
    assert_eq!(api::users::link(2), "/api/users/2");
    assert_eq!(api::link(), "/api/users/5");
    assert_eq!(api::routes().len(), 2);
}

#[tokio::test]
async fn handlers_inside_functions() {
    #[get("/local/<name>")]
    async fn local(name: String) -> String {
        format!("local {name}")
    }

    #[get("/local/<name>/<int:n>")]
    fn local_blocking(n: u8, name: String) -> String {
        format!("{name} x{n}")
    }

    let client = App::new()
        .routes(collect_routes![local, local_blocking])
        .test_client();
    let url = url_for!(local, name = "Ann Lee");
    assert_eq!(url, "/local/Ann%20Lee");
    assert_eq!(client.get(&url).send().await.text(), "local Ann Lee");
    let url = url_for!(local_blocking, n = 3, name = "b");
    assert_eq!(url, "/local/b/3");
    assert_eq!(client.get(&url).send().await.text(), "b x3");
}

#[tokio::test]
async fn a_sync_handler_without_arguments() {
    // Also keeps the generated code clippy-clean for users: CI runs clippy on this file.
    #[get("/plain")]
    fn plain() -> &'static str {
        "plain"
    }
    let client = App::new().routes(collect_routes![plain]).test_client();
    assert_eq!(client.get("/plain").send().await.text(), "plain");
}

#[tokio::test]
async fn same_name_in_two_functions() {
    // Two tests may each define a handler called `index`; each is its own item.
    fn first() -> String {
        #[get("/first")]
        async fn index() -> &'static str {
            "first"
        }
        url_for!(index)
    }
    fn second() -> String {
        #[get("/second/<int:id>")]
        async fn index(id: i64) -> String {
            id.to_string()
        }
        url_for!(index, id = 9)
    }
    assert_eq!(first(), "/first");
    assert_eq!(second(), "/second/9");
}

// ---------------------------------------------------------------------------------------
// url_for!: values, encoding, round trips
// ---------------------------------------------------------------------------------------

#[get("/")]
async fn root() -> &'static str {
    "root"
}

#[get("/dir/")]
async fn dir() -> &'static str {
    "dir"
}

#[get("/users/<int:id>/posts/<slug>")]
async fn post_of(slug: String, id: i64) -> Value {
    json!({"id": id, "slug": slug})
}

#[get("/files/<path:path>")]
async fn file(path: String) -> String {
    path
}

#[get("/fs/<path:path>")]
async fn fs_file(path: PathBuf) -> String {
    path.display().to_string()
}

#[get("/name/<name>")]
async fn name(name: String) -> String {
    name
}

#[get("/caf\u{e9}/na\u{ef}ve file.txt")]
async fn unicode_static() -> &'static str {
    "static"
}

#[get("/price/<float:p>/<int:small>")]
async fn price(p: f32, small: u8) -> String {
    format!("{p} {small}")
}

fn url_client() -> TestClient {
    App::new()
        .routes(collect_routes![
            root,
            dir,
            post_of,
            file,
            fs_file,
            name,
            unicode_static,
            price,
            by_color,
            by_flag
        ])
        .test_client()
}

#[test]
fn url_for_static_routes() {
    assert_eq!(url_for!(root), "/");
    assert_eq!(url_for!(dir), "/dir/");
    // Static text is encoded too; the router matches the decoded path.
    assert_eq!(url_for!(unicode_static), "/caf%C3%A9/na%C3%AFve%20file.txt");
}

#[test]
fn url_for_parameters_in_any_order() {
    assert_eq!(
        url_for!(post_of, id = 3, slug = "hello"),
        "/users/3/posts/hello"
    );
    assert_eq!(
        url_for!(post_of, slug = "hello", id = 3,),
        "/users/3/posts/hello"
    );
    assert_eq!(url_for!(post_of, id = -3, slug = "x"), "/users/-3/posts/x");
}

#[test]
fn url_for_value_forms() {
    // `String` parameters: `&str`, `String`, `&String`, `Cow<str>`, `Box<str>`.
    let owned = String::from("s");
    assert_eq!(url_for!(name, name = "s"), "/name/s");
    assert_eq!(url_for!(name, name = owned), "/name/s");
    assert_eq!(url_for!(name, name = &owned), "/name/s");
    assert_eq!(
        url_for!(name, name = std::borrow::Cow::from("s")),
        "/name/s"
    );
    assert_eq!(url_for!(name, name = Box::<str>::from("s")), "/name/s");
    // The value was borrowed, not moved.
    assert_eq!(owned, "s");

    struct User {
        id: i64,
        name: String,
    }
    let user = User {
        id: 8,
        name: "ann".into(),
    };
    let by_ref = &user;
    assert_eq!(
        url_for!(post_of, id = by_ref.id, slug = by_ref.name),
        "/users/8/posts/ann"
    );

    // Integer and float literals take the parameter's type; variables of that type work,
    // and so do references to them.
    let id: i64 = 12;
    assert_eq!(url_for!(post_of, id = id, slug = "a"), "/users/12/posts/a");
    assert_eq!(url_for!(post_of, id = &id, slug = "a"), "/users/12/posts/a");
    assert_eq!(url_for!(price, p = 2.5, small = 255), "/price/2.5/255");
    assert_eq!(url_for!(price, p = -1.0, small = 0), "/price/-1/0");

    // `PathBuf` parameters: `&str`, `String`, `&Path`, `PathBuf`, `&PathBuf`.
    let buf = PathBuf::from("a/b.txt");
    assert_eq!(url_for!(fs_file, path = "a/b.txt"), "/fs/a/b.txt");
    assert_eq!(
        url_for!(fs_file, path = String::from("a/b.txt")),
        "/fs/a/b.txt"
    );
    assert_eq!(
        url_for!(fs_file, path = Path::new("a/b.txt")),
        "/fs/a/b.txt"
    );
    assert_eq!(url_for!(fs_file, path = &buf), "/fs/a/b.txt");
    assert_eq!(url_for!(fs_file, path = buf), "/fs/a/b.txt");

    // Any other `FromStr` type: a value of that type, shown with `Display`.
    assert_eq!(url_for!(by_color, color = Color::Green), "/color/green");
    assert_eq!(url_for!(by_flag, flag = false, ch = 'z'), "/flag/false/z");

    // Names written as raw identifiers.
    assert_eq!(url_for!(r#type, r#kind = "k"), "/raw/k");
}

#[test]
fn url_for_percent_encoding() {
    // Everything but RFC 3986's unreserved characters is escaped in a segment, `/` too.
    assert_eq!(url_for!(name, name = "a b"), "/name/a%20b");
    assert_eq!(url_for!(name, name = "a/b"), "/name/a%2Fb");
    assert_eq!(url_for!(name, name = "-._~"), "/name/-._~");
    assert_eq!(
        url_for!(name, name = "?#%&=+:@!$'()*,;[]"),
        "/name/%3F%23%25%26%3D%2B%3A%40%21%24%27%28%29%2A%2C%3B%5B%5D"
    );
    assert_eq!(url_for!(name, name = "caf\u{e9}"), "/name/caf%C3%A9");
    assert_eq!(url_for!(name, name = "\u{1f600}"), "/name/%F0%9F%98%80");
    // A `<path:..>` value keeps its slashes, and only those.
    assert_eq!(
        url_for!(file, path = "docs/my file.txt"),
        "/files/docs/my%20file.txt"
    );
    assert_eq!(url_for!(file, path = "a/b?c#d"), "/files/a/b%3Fc%23d");
    assert_eq!(
        url_for!(file, path = "\u{65e5}\u{672c}/\u{8a9e}.txt"),
        "/files/%E6%97%A5%E6%9C%AC/%E8%AA%9E.txt"
    );
}

#[tokio::test]
async fn url_for_round_trips() {
    let client = url_client();
    let get = |url: String| {
        let client = client.clone();
        async move {
            let res = client.get(&url).send().await;
            assert_eq!(res.status(), 200, "{url}: {}", res.text());
            res.text()
        }
    };
    assert_eq!(get(url_for!(root)).await, "root");
    assert_eq!(get(url_for!(dir)).await, "dir");
    assert_eq!(get(url_for!(unicode_static)).await, "static");
    // A slash inside a `<name>` value is encoded as %2F and stays inside its segment.
    for value in [
        "a b",
        "caf\u{e9}",
        "x?y#z",
        "100%",
        "+plus+",
        "\u{1f600}",
        "a/b",
        "%2F",
    ] {
        assert_eq!(get(url_for!(name, name = value)).await, value);
    }
    for value in [
        "a/b/c",
        "dir/my file.txt",
        "\u{65e5}\u{672c}/\u{8a9e}.txt",
        "a/?/b",
    ] {
        assert_eq!(get(url_for!(file, path = value)).await, value);
    }
    let res = get(url_for!(post_of, id = i64::MIN, slug = "s p")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&res).unwrap(),
        json!({"id": i64::MIN, "slug": "s p"})
    );
    assert_eq!(get(url_for!(price, p = 0.25, small = 7)).await, "0.25 7");
    assert_eq!(get(url_for!(by_color, color = Color::Red)).await, "Red");
    assert_eq!(
        get(url_for!(fs_file, path = Path::new("x/y z"))).await,
        "x/y z"
    );
}

// ---------------------------------------------------------------------------------------
// The pattern grammar: the table of cases the macro crate also runs (see
// `httpserver-macros/src/route.rs`, `shared_case_table_through_the_attribute`), here
// through the runtime router.
// ---------------------------------------------------------------------------------------

#[test]
fn shared_case_table_through_the_router() {
    assert!(CASES.len() >= 25);
    for (pattern, expected) in CASES {
        let mut router = Router::new();
        match (router.insert(pattern, &[Method::GET], 1), expected) {
            (Ok(()), Ok(shape)) => {
                // The same shape with other parameter names is the same route.
                let renamed = name_params(shape);
                match router.insert(&renamed, &[Method::GET], 2) {
                    Err(InsertError::Duplicate { existing }) => assert_eq!(*existing, 1),
                    other => panic!("{pattern}: {renamed} should collide, got {other:?}"),
                }
            }
            (Err(InsertError::Pattern(e)), Err(part)) => {
                assert!(e.message.contains(part), "{pattern}: {}", e.message);
            }
            (got, want) => panic!("{pattern}: got {got:?}, want {want:?}"),
        }
    }
}

/// A pattern of the given shape (`/u/<int>`), its parameters named `p0`, `p1`, ..
fn name_params(shape: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for (i, piece) in shape.split('<').enumerate() {
        match (i, piece.split_once('>')) {
            (0, _) | (_, None) => out.push_str(piece),
            (_, Some((converter, rest))) => {
                out.push_str(&format!("<{converter}:p{n}>{rest}"));
                n += 1;
            }
        }
    }
    out
}

mod query_parameters {
    use httpserver::{get, url_for};

    #[get("/tasks")]
    async fn tasks() -> &'static str {
        "tasks"
    }

    #[get("/users/<int:id>")]
    async fn user(id: i64) -> String {
        id.to_string()
    }

    /// Query parameters after a `?`: form-urlencoded, in order, repeatable, any `Display`
    /// value; keys that are no identifiers as string literals.
    #[test]
    fn url_for_takes_query_parameters_after_a_question_mark() {
        assert_eq!(url_for!(tasks, ?page = 2), "/tasks?page=2");
        assert_eq!(
            url_for!(tasks, ?q = "a b&c", ?tag = "x", ?tag = "y"),
            "/tasks?q=a+b%26c&tag=x&tag=y"
        );
        assert_eq!(url_for!(user, id = 5, ?tab = "posts"), "/users/5?tab=posts");
        assert_eq!(url_for!(tasks, ?"sort-by" = "due"), "/tasks?sort-by=due");
        let page = 3;
        assert_eq!(url_for!(tasks, ?page = page), "/tasks?page=3");
        let request = httpserver::Request::builder("GET", &url_for!(tasks, ?q = "ü & ö")).build();
        assert_eq!(request.query("q"), Some("ü & ö"));
    }
}
