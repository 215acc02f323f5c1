//! hyper 1 alone serving the benchmark routes on 127.0.0.1:<port> (argument, default
//! 3000): a match on the method and path, serde_json for the bodies, one task per
//! connection. The floor a framework on hyper adds to. One tokio worker thread.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

fn json_response(value: &Value) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(value.to_string())));
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = code;
    res
}

async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    Ok(match (req.method(), path.as_str()) {
        (&Method::GET, "/hello") => json_response(&json!({"message": "Hello, World!"})),
        (&Method::GET, p) if p.starts_with("/users/") => match p["/users/".len()..].parse::<i64>() {
            Ok(id) => json_response(&json!({"user_id": id})),
            Err(_) => status(StatusCode::NOT_FOUND),
        },
        (&Method::POST, "/echo") => match req.into_body().collect().await {
            Ok(body) => match serde_json::from_slice::<Value>(&body.to_bytes()) {
                Ok(value) => json_response(&value),
                Err(_) => status(StatusCode::BAD_REQUEST),
            },
            Err(_) => status(StatusCode::BAD_REQUEST),
        },
        _ => status(StatusCode::NOT_FOUND),
    })
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
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(route);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
