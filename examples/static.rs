//! Static files and `FileResponse`, on http://127.0.0.1:8003.
//!
//! ```text
//! cargo run --example static
//! curl -i localhost:8003/static/                        # index.html
//! curl -i localhost:8003/static/css/site.css
//! curl -i -r 0-4 localhost:8003/static/hello.txt        # 206, "Hello"
//! curl -i -H 'If-None-Match: "..."' localhost:8003/static/hello.txt   # 304 with its ETag
//! curl -i localhost:8003/download                       # Content-Disposition: attachment
//! curl -i --path-as-is localhost:8003/static/../static.rs   # 404: nothing outside the directory
//! ```

use httpserver::{collect_routes, get, App, FileResponse, Html, Request};

/// The directory served, wherever the example is run from.
const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static");

#[get("/")]
async fn home() -> Html<&'static str> {
    Html(r#"<p>See <a href="/static/">/static/</a> and <a href="/download">/download</a>.</p>"#)
}

/// The text file as an attachment named `greeting.txt`.
#[get("/download")]
async fn download(_req: Request) -> FileResponse {
    FileResponse::new(format!("{STATIC_DIR}/hello.txt")).with_download_name("greeting.txt")
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // A stderr nobody reads drops log lines instead of stalling the server.
        .with_writer(httpserver::NonBlockingStderr::default)
        .init();
    App::new()
        .routes(collect_routes![home, download])
        .static_files("/static", STATIC_DIR)
        .run("127.0.0.1:8003")
}
