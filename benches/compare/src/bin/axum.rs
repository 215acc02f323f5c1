//! axum 0.8 serving the benchmark routes on 127.0.0.1:<port> (argument, default 3000).
//! One tokio worker thread; logging off (no tracing subscriber is installed).

use axum::extract::Path;
use axum::routing::{get, post};
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
        let app = Router::new()
            .route("/hello", get(hello))
            .route("/users/{id}", get(user))
            .route("/echo", post(echo));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, app).await
    })
}
