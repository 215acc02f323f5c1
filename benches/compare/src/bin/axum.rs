//! axum 0.8 serving the benchmark routes on 127.0.0.1:<port> (argument, default 3000).
//! One tokio worker thread; logging off (no tracing subscriber is installed). With
//! `BENCH_STATIC_DIR` set, that directory's files are served under `/static`.

use axum::extract::Path;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde_json::{json, Value};

async fn hello() -> Json<Value> {
    Json(json!({"message": "Hello, World!"}))
}

async fn user(Path(id): Path<i64>) -> Json<Value> {
    Json(json!({"user_id": id}))
}

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
        let mut app = Router::new()
            .route("/hello", get(hello))
            .route("/users/{id}", get(user))
            .route("/echo", post(echo));
        // static.sh: the files of BENCH_STATIC_DIR under /static, by tower-http's ServeDir.
        if let Some(dir) = std::env::var_os("BENCH_STATIC_DIR") {
            app = app.nest_service("/static", tower_http::services::ServeDir::new(dir));
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        // httpserver sets TCP_NODELAY on every connection (as nginx and Go do); axum leaves
        // it to the app. BENCH_TCP_NODELAY=1 sets it here too, for a like-for-like run.
        if std::env::var_os("BENCH_TCP_NODELAY").is_some_and(|v| v == "1") {
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app).await
        } else {
            axum::serve(listener, app).await
        }
    })
}
