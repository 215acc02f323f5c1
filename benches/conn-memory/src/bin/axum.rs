//! axum 0.8 serving `/small` and `/big` on 127.0.0.1:<port> (no idle timeout by default).

use axum::routing::get;
use axum::Router;
use httpserver_conn_memory::{big_body, port, runtime};

async fn small() -> &'static str {
    "small"
}

async fn big() -> &'static [u8] {
    big_body()
}

fn main() -> std::io::Result<()> {
    runtime()?.block_on(async move {
        let app = Router::new()
            .route("/small", get(small))
            .route("/big", get(big));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port())).await?;
        axum::serve(listener, app).await
    })
}
