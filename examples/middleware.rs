//! Middleware and error handlers: an auth check before every request, CORS on every
//! response, JSON bodies for 404 and for bad numbers. On http://127.0.0.1:8001.
//!
//! ```text
//! cargo run --example middleware
//! curl -i localhost:8001/secret                              # 401 from the auth hook
//! curl -i -H 'authorization: Bearer x' localhost:8001/secret # 200, with CORS header
//! curl -i -H 'authorization: Bearer x' localhost:8001/double/abc   # 400 from the ParseIntError handler
//! curl -i -H 'authorization: Bearer x' localhost:8001/nowhere      # JSON 404
//! ```

use httpserver::{collect_routes, get, App, HttpError, IntoResponse, Json, Request, Response};
use serde_json::{json, Value};

async fn auth_check(req: Request) -> Option<Response> {
    if req.header("authorization").is_none() {
        return Some((Json(json!({"error": "unauthorized"})), 401).into_response());
    }
    None // go on to the handler
}

async fn add_cors(_req: Request, mut res: Response) -> Response {
    res.headers_mut().insert(
        "access-control-allow-origin",
        "*".parse().expect("static header value"),
    );
    res
}

async fn not_found(req: Request, _err: HttpError) -> impl IntoResponse {
    (Json(json!({"error": "not found", "path": req.path()})), 404)
}

async fn bad_value(_req: Request, err: std::num::ParseIntError) -> impl IntoResponse {
    (Json(json!({"error": err.to_string()})), 400)
}

async fn server_error(_req: Request, _err: HttpError) -> impl IntoResponse {
    (
        Json(json!({"error": "something went wrong on our side"})),
        500,
    )
}

#[get("/secret")]
async fn secret() -> Value {
    json!({"secret": 42})
}

#[get("/double/<text>")]
async fn double(text: String) -> Result<String, std::num::ParseIntError> {
    let n: i64 = text.parse()?; // a ParseIntError goes to `bad_value`
    Ok((n * 2).to_string())
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("a panic is a 500, handled by `server_error`")
}

/// The app: routes, hooks and error handlers.
pub fn app() -> App {
    App::new()
        .routes(collect_routes![secret, double, boom])
        .before_request(auth_check) // in order; the first Some(response) short-circuits
        .after_request(add_cors) // in order, on every response, error responses included
        .error_handler(404, not_found) // by status
        .error_handler(500, server_error)
        .error_handler_for(bad_value) // by error type, taken from bad_value's second argument
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(httpserver::NonBlockingStderr::default)
        .init();
    app().run("127.0.0.1:8001")
}
