//! httpserver serving `/small` and `/big` on 127.0.0.1:<port>.

use httpserver::{collect_routes, get, App};
use httpserver_conn_memory::{big_body, port, runtime};

#[get("/small")]
async fn small() -> &'static str {
    "small"
}

#[get("/big")]
async fn big() -> &'static [u8] {
    big_body()
}

fn main() -> std::io::Result<()> {
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port())).await?;
        App::new()
            .routes(collect_routes![small, big])
            .access_log(false)
            // The connections must outlive the measurement.
            .keep_alive_timeout(std::time::Duration::from_secs(600))
            .serve(listener)
            .await
    })
}
