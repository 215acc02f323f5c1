//! The demo app: every feature of the API on one page, on http://127.0.0.1:8000.
//!
//! ```text
//! cargo run --example hello
//! curl localhost:8000/hello
//! curl localhost:8000/echo -H 'content-type: application/json' -d '{"a": 1}'
//! curl -X POST localhost:8000/shutdown      # graceful stop
//! ```

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use httpserver::{
    abort, collect_routes, cookie::Cookie, delete, get, patch, post, put, route, url_for, App,
    Event, FileResponse, Form, Html, HttpError, IntoResponse, Json, Query, Redirect, Request,
    Response, Session, Sse, State, StatusCode, StreamingResponse,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::compression::CompressionLayer;

/// Shared state: a visit counter every handler can reach.
#[derive(Default)]
struct Stats {
    visits: AtomicU64,
}

#[get("/")]
async fn index(stats: State<Stats>, session: Session, req: Request) -> Html<String> {
    let visits = stats.visits.fetch_add(1, Ordering::Relaxed) + 1;
    // Every form that posts carries the session's CSRF token: without it the app refuses
    // the post (403) before the handler runs.
    let csrf = match session.csrf_token() {
        Ok(token) => format!(r#"<input type="hidden" name="csrf_token" value="{token}">"#),
        Err(_) => String::new(),
    };
    let signed_in = match session.get::<String>("user") {
        Some(user) => format!(
            "signed in as <b>{}</b> (an encrypted session cookie) \
             <form method=\"post\" action=\"/logout\" style=\"display:inline\">{csrf}<button>Log out</button></form>",
            html_escape(&user)
        ),
        None => "not signed in: use the form below".to_owned(),
    };
    let theme = html_escape(req.cookie("theme").unwrap_or("light"));
    // Links built by url_for!: a typo in a handler or parameter name is a compile error.
    let user = url_for!(get_user, id = 42);
    let file = url_for!(get_file, filepath = "docs/read me.txt");
    let protocol = format!("{:?} over {}", req.version(), req.scheme());
    Html(format!(
        r#"<!doctype html><meta charset="utf-8"><title>httpserver demo</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5 }} code {{ background: #f3f3f3; padding: 0 .2em }}</style>
<h1>httpserver demo</h1><p>Visits: {visits}</p>
<h2>Routes and parameters</h2><ul>
<li><a href="/hello">/hello</a>: JSON</li>
<li><a href="{user}">{user}</a>: <code>&lt;int:id&gt;</code> (try /users/abc: 404)</li>
<li><a href="/price/9.99">/price/9.99</a>: <code>&lt;float:price&gt;</code></li>
<li><a href="/greet/Ann">/greet/Ann</a>: <code>&lt;name&gt;</code></li>
<li><a href="{file}">{file}</a>: <code>&lt;path:filepath&gt;</code> (both links made by <code>url_for!</code>)</li>
<li><a href="/items">/items</a>: GET and POST on one handler</li>
<li><a href="/search?q=rust&amp;page=2">/search?q=rust&amp;page=2</a>: query and headers</li>
<li><a href="/typed-search?q=rust">/typed-search?q=rust</a>: <code>Query&lt;T&gt;</code></li>
<li><a href="/sync">/sync</a>: a plain fn on the blocking pool</li>
<li><a href="/docs">/docs</a>: 308 to /docs/</li>
<li><a href="/old-hello">/old-hello</a>: <code>Redirect::permanent</code> to /hello</li>
</ul>
<h2>Return values</h2><ul>
<li><a href="/coerce/text">text</a>, <a href="/coerce/string">String</a>, <a href="/coerce/html">Html</a>,
<a href="/coerce/bytes">bytes</a>, <a href="/coerce/json">Json</a>, <a href="/coerce/created">(body, 201)</a>,
<a href="/coerce/headers">(body, status, headers)</a>, <a href="/coerce/empty">()</a>,
<a href="/coerce/option/1">Some</a>, <a href="/coerce/option/0">None</a>,
<a href="/coerce/redirect">Redirect</a>, <a href="/coerce/response">Response</a></li>
<li>Errors: <a href="/fail/http">HttpError</a>, <a href="/fail/abort">abort(403)</a>,
<a href="/fail/parse">a ParseIntError (500)</a>, <a href="/fail/panic">a panic (500, server goes on)</a></li>
</ul>
<h2>Streaming, events and files</h2><ul>
<li><a href="/stream">/stream</a>: <code>StreamingResponse</code>, five chunks 200 ms apart</li>
<li>Server-Sent Events from <code>/events</code>: <span id="clock">waiting…</span></li>
<li><a href="/static/">/static/</a>: <code>static_files</code> (try <code>curl -r 0-9</code> or <code>If-None-Match</code>)</li>
<li><a href="/download">/download</a>: <code>FileResponse</code> as an attachment</li>
</ul>
<script>
  const source = new EventSource("/events");
  source.addEventListener("tick", (e) => {{
    document.getElementById("clock").textContent = "tick " + e.lastEventId + ": " + e.data;
  }});
</script>
<h2>Middleware</h2><p>Every response carries <code>x-response-time-us</code> (an after hook);
<a href="/admin">/admin</a> is refused by a before hook without <code>?token=demo</code>;
<a href="/nowhere">a missing page</a> goes through a 404 error handler.</p>
<h2>Forms, cookies and sessions</h2>
<p>Session: {signed_in}. Theme cookie: <b>{theme}</b>, set it to
<a href="/theme/dark">dark</a> or <a href="/theme/light">light</a>.
<code>cargo run --example login</code> has a whole login with a members-only group. Every
form here carries the session's CSRF token; a post without it is refused (403).</p>
<h2>A real app, and its API document</h2><p><code>cargo run --example board</code>: a task
board on SQLite with templates, forms, flash messages, CSRF, uploads and live updates
(port 8008). <code>cargo run --example api</code>: a typed JSON API whose OpenAPI document
is built from its routes, with a docs page (port 8009).</p>
<form method="post" action="/login">{csrf}<input name="user" value="ann"><button>POST /login</button></form>
<h2>Protocols</h2><p>This page came as {protocol}. The same port speaks HTTP/2 with prior
knowledge: <code>curl --http2-prior-knowledge http://127.0.0.1:8000/hello</code>. With
<code>TLS_CERT=cert.pem TLS_KEY=key.pem</code> set, the demo serves HTTPS instead, and ALPN
offers HTTP/2 to browsers; <code>kill -HUP</code> reloads the certificate.</p>
<form method="post" action="/shutdown">{csrf}<button>Shut the server down gracefully</button></form>
"#
    ))
}

#[get("/hello")]
async fn hello(_req: Request) -> Value {
    json!({"message": "Hello, World!"})
}

#[post("/echo")]
async fn echo(req: Request) -> Result<Json<Value>, HttpError> {
    Ok(Json(req.json()?)) // invalid JSON -> 400
}

#[get("/users/<int:id>")]
async fn get_user(id: i64) -> Value {
    json!({"user_id": id})
}

#[put("/users/<int:id>")]
async fn update_user(id: u32, Json(changes): Json<Value>) -> Value {
    json!({"updated": id, "changes": changes})
}

#[delete("/users/<int:id>")]
async fn delete_user(id: u32) {
    let _ = id; // 204 No Content
}

#[patch("/users/<int:id>")]
async fn patch_user(id: u32, req: Request) -> Result<String, HttpError> {
    Ok(format!("patched {id} with {}", req.text()?))
}

#[get("/price/<float:price>")]
async fn price(price: f64) -> Value {
    json!({"price": price, "with_tax": (price * 1.2 * 100.0).round() / 100.0})
}

#[get("/greet/<name>")]
async fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

#[get("/files/<path:filepath>")]
async fn get_file(filepath: PathBuf) -> Value {
    json!({"path": filepath, "components": filepath.components().count()})
}

#[route("/items", methods = ["GET", "POST"])]
async fn items(req: Request) -> Result<Response, HttpError> {
    if req.method() == "GET" {
        return Ok(Json(json!({"items": []})).into_response());
    }
    let data: Value = req.json()?;
    Ok((Json(json!({"created": data})), 201).into_response())
}

#[get("/search")]
async fn search(req: Request) -> Value {
    json!({
        "q": req.query("q"),
        "all": req.query_params(),
        "user_agent": req.header("user-agent"),
        "client": req.client_addr().to_string(),
    })
}

#[derive(Deserialize)]
struct SearchParams {
    q: String,
    #[serde(default = "first_page")]
    page: u32,
}

fn first_page() -> u32 {
    1
}

#[get("/typed-search")]
async fn typed_search(params: Query<SearchParams>) -> Value {
    json!({"q": params.q, "page": params.page})
}

#[derive(Deserialize)]
struct Login {
    user: String,
}

#[post("/login")]
async fn login(session: Session, Form(login): Form<Login>) -> Result<Redirect, HttpError> {
    session.insert("user", &login.user)?; // sent back sealed in the `session` cookie
    Ok(Redirect::to("/"))
}

#[post("/logout")]
async fn logout(session: Session) -> Redirect {
    session.clear(); // the cookie is removed
    Redirect::to("/")
}

#[get("/theme/<name>")]
async fn theme(name: String) -> Response {
    let name = if name == "dark" { "dark" } else { "light" };
    Redirect::to("/")
        .into_response()
        .with_cookie(Cookie::build(("theme", name)).path("/").http_only(true))
}

#[get("/sync")]
fn sync_handler(_req: Request) -> Value {
    std::thread::sleep(Duration::from_millis(10)); // runs on the blocking pool
    json!({"sync": true})
}

#[get("/old-hello")]
async fn old_hello() -> Redirect {
    Redirect::permanent(url_for!(hello))
}

#[get("/docs/")]
async fn docs() -> &'static str {
    "the docs live at /docs/ (with the slash)"
}

#[get("/coerce/<kind>")]
async fn coerce(kind: String) -> Response {
    match kind.as_str() {
        "text" => "a &'static str".into_response(),
        "string" => String::from("a String").into_response(),
        "html" => Html("<b>Html</b>").into_response(),
        "bytes" => b"raw bytes".as_slice().into_response(),
        "json" => Json(json!({"json": true})).into_response(),
        "created" => (Json(json!({"created": true})), 201).into_response(),
        "headers" => ("with headers", StatusCode::ACCEPTED, [("x-demo", "yes")]).into_response(),
        "empty" => ().into_response(),
        "redirect" => Redirect::to("/hello").into_response(),
        "response" => Response::new("built by hand")
            .with_status(200)
            .with_header("x-built", "by-hand")
            .with_content_type("text/plain; charset=utf-8"),
        _ => abort(404).into_response(),
    }
}

#[get("/coerce/option/<int:n>")]
async fn coerce_option(n: u8) -> Option<String> {
    (n > 0).then(|| format!("Some({n})"))
}

#[get("/fail/http")]
async fn fail_http() -> Result<String, HttpError> {
    Err(HttpError::new(418, "I'm a teapot"))
}

#[get("/fail/abort")]
async fn fail_abort() -> Result<String, HttpError> {
    Err(abort(403))
}

#[get("/fail/parse")]
async fn fail_parse() -> Result<String, std::num::ParseIntError> {
    let n: i32 = "not a number".parse()?; // any std::error::Error works with `?`: 500
    Ok(n.to_string())
}

#[get("/fail/panic")]
async fn fail_panic() -> &'static str {
    panic!("this handler panics; the server answers 500 and goes on")
}

#[get("/stream")]
async fn stream() -> StreamingResponse {
    let chunks = futures_util::stream::iter(0..5).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        format!("chunk {i}\n")
    });
    StreamingResponse::new(chunks)
}

#[get("/events")]
async fn events() -> Sse {
    // Endless; at shutdown the server ends it cleanly (browsers reconnect elsewhere).
    let ticks = futures_util::stream::unfold(0u64, |n| async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let event = Event::default()
            .event("tick")
            .id((n + 1).to_string())
            .data(unix_time());
        Some((event, n + 1))
    });
    Sse::new(ticks).keep_alive(Duration::from_secs(15))
}

fn unix_time() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    format!("{} s since 1970", now.map(|d| d.as_secs()).unwrap_or(0))
}

#[get("/download")]
async fn download() -> FileResponse {
    FileResponse::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/static/hello.txt"
    ))
    .with_download_name("hello.txt")
}

#[get("/admin")]
async fn admin() -> &'static str {
    "welcome, admin"
}

/// Refuses `/admin` without the demo token; every other request goes on.
async fn guard_admin(req: Request) -> Option<Response> {
    let refused = req.path() == "/admin" && req.query("token") != Some("demo");
    refused.then(|| (Html("<p>add <code>?token=demo</code></p>"), 403).into_response())
}

/// Stamps every response (errors included) with the time the app took.
async fn timing(req: Request, res: Response) -> Response {
    let took = req.received_at().elapsed();
    res.with_header("x-response-time-us", took.as_micros().to_string())
}

async fn not_found(req: Request, _err: HttpError) -> impl IntoResponse {
    let page = format!(
        "<h1>404</h1><p>Nothing at <code>{}</code>. <a href=\"/\">Home</a></p>",
        html_escape(req.path())
    );
    (Html(page), 404)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[post("/shutdown")]
async fn trigger_shutdown(req: Request) -> Value {
    req.app().shutdown(); // graceful: in-flight requests finish
    json!({"status": "shutting down"})
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // A stderr nobody reads drops log lines instead of stalling the server.
        .with_writer(httpserver::NonBlockingStderr::default)
        .init();
    let mut app = app();
    // HTTPS when a certificate is given: `TLS_CERT=cert.pem TLS_KEY=key.pem`.
    if let (Ok(cert), Ok(key)) = (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) {
        app = app.tls(httpserver::TlsConfig::from_pem_files(cert, key)?);
    }
    // PORT (and HOST) from the environment, so that a soak or a platform can pick the port.
    let addr = httpserver::listen_addr("127.0.0.1:8000").map_err(std::io::Error::other)?;
    app.run(addr)
}

/// The key that seals sessions: `APP_SECRET`, or a demo key (anyone who knows it can forge
/// a session, so never in production).
fn secret() -> String {
    std::env::var("APP_SECRET")
        .unwrap_or_else(|_| "the demo key of the hello example: not a secret".to_owned())
}

/// The demo app: every route, hook and handler above.
fn app() -> App {
    App::new()
        .secret_key(secret())
        .state(Stats::default())
        .before_request(guard_admin)
        .after_request(timing)
        .error_handler(404, not_found)
        .static_files(
            "/static",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static"),
        )
        .routes(collect_routes![
            index,
            hello,
            echo,
            get_user,
            update_user,
            delete_user,
            patch_user,
            price,
            greet,
            get_file,
            items,
            search,
            typed_search,
            login,
            logout,
            theme,
            sync_handler,
            docs,
            old_hello,
            coerce,
            coerce_option,
            fail_http,
            fail_abort,
            fail_parse,
            fail_panic,
            stream,
            events,
            download,
            admin,
            trigger_shutdown
        ])
        .layer(CompressionLayer::new())
}

#[cfg(test)]
mod tests {
    use super::app;
    use serde_json::Value;

    #[tokio::test]
    async fn the_demo_pages_answer() {
        let client = app().test_client();
        let home = client.get("/").send().await;
        assert_eq!(home.status(), 200);
        assert!(home.text().contains(r#"<a href="/users/42">"#));
        let user = client.get("/users/42").send().await;
        assert_eq!(user.json::<Value>()["user_id"], 42);
        assert_eq!(client.get("/users/abc").send().await.status(), 404);
        assert_eq!(client.get("/admin").send().await.status(), 403);
        assert_eq!(
            client.get("/admin?token=demo").send().await.text(),
            "welcome, admin"
        );
        let missing = client.get("/nowhere").send().await;
        assert!(missing.text().contains("Nothing at <code>/nowhere</code>"));
        assert!(missing.header("x-response-time-us").is_some());
        assert_eq!(client.get("/fail/panic").send().await.status(), 500);
        assert_eq!(client.get("/static/hello.txt").send().await.status(), 200);
        assert_eq!(
            client.get("/stream").send().await.text(),
            "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n"
        );
        let echo = client
            .post("/echo")
            .json(&serde_json::json!({"a": 1}))
            .send()
            .await;
        assert_eq!(echo.json::<Value>()["a"], 1);
    }

    #[tokio::test]
    async fn the_session_and_the_theme_cookie() {
        let client = app().test_client();
        assert!(client
            .get("/")
            .send()
            .await
            .text()
            .contains("not signed in"));
        let res = client.post("/login").form(&[("user", "ann")]).send().await;
        assert_eq!(res.status(), 403, "no CSRF token: refused");
        let res = client
            .post("/login")
            .form(&[("user", "ann")])
            .with_csrf_token()
            .send()
            .await;
        assert_eq!(res.status(), 302);
        assert!(client
            .get("/")
            .send()
            .await
            .text()
            .contains("signed in as <b>ann</b>"));
        client.get("/theme/dark").send().await;
        assert!(client
            .get("/")
            .send()
            .await
            .text()
            .contains("Theme cookie: <b>dark</b>"));
        client.post("/logout").with_csrf_token().send().await;
        assert!(client
            .get("/")
            .send()
            .await
            .text()
            .contains("not signed in"));
    }
}
