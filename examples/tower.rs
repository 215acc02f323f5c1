//! The app as a tower `Service`: wrapped in tower-http's CORS layer and served by a
//! hand-written hyper accept loop. On http://127.0.0.1:8002.
//!
//! ```text
//! cargo run --example tower
//! curl -i -H 'origin: https://example.com' localhost:8002/hello
//! ```

use std::net::SocketAddr;

use httpserver::{collect_routes, get, App, AppService};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{Cors, CorsLayer};

#[get("/hello")]
async fn hello() -> Value {
    json!({"message": "Hello from inside tower"})
}

fn service() -> std::io::Result<Cors<AppService>> {
    let app = App::new().routes(collect_routes![hello]).into_service()?;
    Ok(ServiceBuilder::new()
        .layer(CorsLayer::permissive())
        .service(app))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let service = service()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8002").await?;
    println!("serving on http://127.0.0.1:8002");
    loop {
        let (stream, peer) = listener.accept().await?;
        let service = service.clone();
        tokio::spawn(async move {
            let per_request = hyper::service::service_fn(move |mut req| {
                // The app reads the client address from this extension.
                req.extensions_mut().insert::<SocketAddr>(peer);
                service.clone().oneshot(req)
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), per_request)
                .await
            {
                eprintln!("connection from {peer} failed: {e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::service;
    use http_body_util::{BodyExt, Empty};
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_cors_layer_wraps_the_app() {
        let req = http::Request::get("/hello")
            .header("origin", "https://example.com")
            .body(Empty::<bytes::Bytes>::new())
            .unwrap();
        let res = service().unwrap().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, r#"{"message":"Hello from inside tower"}"#);
    }

    #[tokio::test]
    async fn errors_pass_through_the_layer() {
        let req = http::Request::get("/nope")
            .body(Empty::<bytes::Bytes>::new())
            .unwrap();
        let res = service().unwrap().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 404);
    }
}
