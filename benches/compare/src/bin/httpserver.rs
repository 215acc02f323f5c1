//! httpserver serving the benchmark routes on 127.0.0.1:<port> (argument, default 3000).
//! One tokio worker thread; logging off (no tracing subscriber is installed). With
//! `BENCH_STATIC_DIR` set, that directory's files are served under `/static`; with
//! `BENCH_TLS_CERT` and `BENCH_TLS_KEY` (PEM files), it serves HTTPS (ALPN h2, http/1.1).

use httpserver::{collect_routes, get, post, App, Json};
use serde_json::{json, Value};

#[get("/hello")]
async fn hello() -> Value {
    json!({"message": "Hello, World!"})
}

#[get("/users/<int:id>")]
async fn user(id: i64) -> Value {
    json!({"user_id": id})
}

#[post("/echo")]
async fn echo(Json(v): Json<Value>) -> Json<Value> {
    Json(v)
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map_or(3000, |p| p.parse().expect("port"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let mut app = App::new().routes(collect_routes![hello, user, echo]);
        // static.sh: the files of BENCH_STATIC_DIR under /static.
        if let Some(dir) = std::env::var_os("BENCH_STATIC_DIR") {
            app = app.static_files("/static", dir);
        }
        // h2.sh with TLS=1.
        if let (Some(cert), Some(key)) = (
            std::env::var_os("BENCH_TLS_CERT"),
            std::env::var_os("BENCH_TLS_KEY"),
        ) {
            app = app.tls(httpserver::TlsConfig::from_pem_files(cert, key)?);
        }
        app
            // As the others: no log line per request (axum and actix-web write none by default).
            .access_log(false)
            .handle_signals(true)
            .serve(listener)
            .await
    })
}
