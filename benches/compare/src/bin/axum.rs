//! axum 0.8 serving the benchmark routes on 127.0.0.1:<port> (argument, default 3000).
//! One tokio worker thread; logging off (no tracing subscriber is installed). With
//! `BENCH_STATIC_DIR` set, that directory's files are served under `/static`; with
//! `BENCH_TLS_CERT` and `BENCH_TLS_KEY` (PEM files), it serves HTTPS.

use std::sync::Arc;

use axum::extract::Path;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
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
        let nodelay = std::env::var_os("BENCH_TCP_NODELAY").is_some_and(|v| v == "1");
        if let Some(tls) = tls_from_env()? {
            return serve_tls(listener, app, tls, nodelay).await;
        }
        if nodelay {
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app).await
        } else {
            axum::serve(listener, app).await
        }
    })
}

/// h2.sh with TLS=1: the certificate and key of BENCH_TLS_CERT and BENCH_TLS_KEY, with
/// ALPN offering h2 then http/1.1, on rustls' ring provider (httpserver's too).
fn tls_from_env() -> std::io::Result<Option<Arc<rustls::ServerConfig>>> {
    let (Some(cert), Some(key)) = (
        std::env::var_os("BENCH_TLS_CERT"),
        std::env::var_os("BENCH_TLS_KEY"),
    ) else {
        return Ok(None);
    };
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |e: rustls::pki_types::pem::Error| std::io::Error::other(e.to_string());
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(invalid)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(invalid)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// HTTPS as an axum user serves it without a proxy: tokio-rustls for the handshake, then
/// hyper-util's auto builder (HTTP/1.1 or HTTP/2 by ALPN), which axum::serve also runs on.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Arc<rustls::ServerConfig>,
    nodelay: bool,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let (tcp, _) = listener.accept().await?;
        if nodelay {
            let _ = tcp.set_nodelay(true);
        }
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let service = TowerToHyperService::new(app);
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
