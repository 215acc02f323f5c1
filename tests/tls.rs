//! HTTPS (feature `tls`) over real sockets, with certificates made in the test by rcgen:
//! ALPN choosing HTTP/2 or HTTP/1.1, the request's scheme, certificate reload without a
//! restart, and clear errors for bad certificate files. curl checks it as users run it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use httpserver::{collect_routes, get, App, Event, Request, Sse, TlsConfig};
use httpserver_suite::{TestServer, IO_TIMEOUT};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

#[get("/scheme")]
async fn scheme(req: Request) -> String {
    format!("{:?} {}", req.version(), req.scheme())
}

#[get("/events")]
async fn events() -> Sse {
    let (tx, sse) = Sse::channel(4);
    tokio::spawn(async move {
        let _ = tx.send(Event::default().data("one")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = tx.send(Event::default().data("two")).await;
    });
    sse
}

/// A self-signed certificate for `localhost`, and its key, as PEM.
struct Cert {
    der: CertificateDer<'static>,
    cert_pem: String,
    key_pem: String,
}

fn new_cert() -> Cert {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("rcgen makes a certificate");
    Cert {
        der: made.cert.der().clone(),
        cert_pem: made.cert.pem(),
        key_pem: made.signing_key.serialize_pem(),
    }
}

/// A scratch directory for PEM files, removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("httpserver-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write PEM");
        path
    }

    fn install(&self, cert: &Cert) -> (PathBuf, PathBuf) {
        (
            self.write("cert.pem", &cert.cert_pem),
            self.write("key.pem", &cert.key_pem),
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn app() -> App {
    App::new()
        .routes(collect_routes![scheme, events])
        .access_log(false)
}

async fn start_https(cert: &Path, key: &Path) -> TestServer {
    let tls = TlsConfig::from_pem_files(cert, key).expect("valid certificate");
    TestServer::start(app().tls(tls)).await
}

/// A client trusting only `cert`, offering these ALPN protocols.
fn connector(cert: &Cert, alpn: &[&[u8]]) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(cert.der.clone()).expect("root certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}

async fn connect_tls(
    server: &TestServer,
    cert: &Cert,
    alpn: &[&[u8]],
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from("localhost").expect("server name");
    tokio::time::timeout(IO_TIMEOUT, connector(cert, alpn).connect(name, tcp))
        .await
        .expect("handshake within the timeout")
}

/// One HTTP/1.1 request on a TLS stream, kept alive; returns the response's bytes.
async fn http1_call(tls: &mut TlsStream<TcpStream>, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    tls.write_all(request.as_bytes()).await.expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // The test routes answer with a short, length-delimited body.
    while !response_complete(&got) {
        let n = tokio::time::timeout(IO_TIMEOUT, tls.read(&mut buf))
            .await
            .expect("read within the timeout")
            .expect("read");
        assert!(n > 0, "closed before the response: {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn response_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .and_then(|n| n.trim().parse::<usize>().ok());
    length.is_some_and(|n| body.len() >= n)
}

fn presented(tls: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    tls.get_ref()
        .1
        .peer_certificates()
        .expect("server certificate")[0]
        .clone()
}

#[tokio::test]
async fn https_with_http1_by_alpn_or_without_alpn() {
    let scratch = Scratch::new("http1");
    let cert = new_cert();
    let (cert_path, key_path) = scratch.install(&cert);
    let server = start_https(&cert_path, &key_path).await;
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let mut tls = connect_tls(&server, &cert, alpn).await.expect("handshake");
        let negotiated = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        assert_eq!(negotiated, alpn.first().map(|p| p.to_vec()));
        let response = http1_call(&mut tls, "/scheme").await;
        assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
        assert!(response.ends_with("HTTP/1.1 https"), "{response}");
        // Kept alive: a second request on the same TLS connection.
        let again = http1_call(&mut tls, "/scheme").await;
        assert!(again.ends_with("HTTP/1.1 https"), "{again}");
    }
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn alpn_h2_serves_http2_and_streams_sse() {
    let scratch = Scratch::new("h2");
    let cert = new_cert();
    let (cert_path, key_path) = scratch.install(&cert);
    let server = start_https(&cert_path, &key_path).await;
    let tls = connect_tls(&server, &cert, &[b"h2", b"http/1.1"])
        .await
        .expect("handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("HTTP/2 over TLS");
    tokio::spawn(connection);
    let get = |path: &str| {
        http::Request::get(format!("https://localhost:{}{path}", server.addr.port()))
            .body(Full::new(Bytes::new()))
            .expect("request")
    };
    let response = send.send_request(get("/scheme")).await.expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"HTTP/2.0 https");

    let response = send.send_request(get("/events")).await.expect("response");
    let mut body = response.into_body();
    let first = tokio::time::timeout(IO_TIMEOUT, body.frame())
        .await
        .expect("first event")
        .expect("frame")
        .expect("frame ok");
    // The first event comes alone, before the producer has made the second.
    assert_eq!(
        first.into_data().ok().as_deref(),
        Some(&b"data: one\n\n"[..])
    );
    let rest = body.collect().await.expect("rest").to_bytes();
    assert_eq!(&rest[..], b"data: two\n\n");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn reload_serves_the_new_certificate_to_new_connections() {
    let scratch = Scratch::new("reload");
    let (old, new) = (new_cert(), new_cert());
    let (cert_path, key_path) = scratch.install(&old);
    let server = start_https(&cert_path, &key_path).await;
    let mut kept = connect_tls(&server, &old, &[]).await.expect("handshake");
    assert_eq!(presented(&kept), old.der);

    scratch.install(&new);
    server.handle.reload_tls().expect("reload");
    let mut fresh = connect_tls(&server, &new, &[])
        .await
        .expect("new certificate");
    assert_eq!(presented(&fresh), new.der);
    assert!(http1_call(&mut fresh, "/scheme").await.ends_with("https"));
    // A client that trusts only the old certificate is refused now.
    assert!(connect_tls(&server, &old, &[]).await.is_err());
    // The connection opened before the reload goes on with the old one.
    assert!(http1_call(&mut kept, "/scheme").await.ends_with("https"));
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_failed_reload_keeps_the_current_certificate() {
    let scratch = Scratch::new("bad-reload");
    let cert = new_cert();
    let (cert_path, key_path) = scratch.install(&cert);
    let server = start_https(&cert_path, &key_path).await;
    // A renewal caught half-way: the new certificate is there, its key not yet.
    let other = new_cert();
    scratch.write("cert.pem", &other.cert_pem);
    scratch.write("key.pem", "");
    let err = server.handle.reload_tls().expect_err("no key");
    assert!(err.to_string().contains("holds no private key"), "{err}");
    let mut tls = connect_tls(&server, &cert, &[])
        .await
        .expect("old certificate");
    assert_eq!(presented(&tls), cert.der);
    assert!(http1_call(&mut tls, "/scheme").await.ends_with("https"));
    server.stop().await.expect("clean stop");
}

#[test]
fn bad_certificates_and_keys_are_clear_errors() {
    let scratch = Scratch::new("errors");
    let (a, b) = (new_cert(), new_cert());
    let cert = scratch.write("a-cert.pem", &a.cert_pem);
    let key = scratch.write("a-key.pem", &a.key_pem);
    let other_key = scratch.write("b-key.pem", &b.key_pem);
    let missing = scratch.0.join("missing.pem");
    let error = |cert: &Path, key: &Path| {
        TlsConfig::from_pem_files(cert, key)
            .expect_err("refused")
            .to_string()
    };

    let message = error(&missing, &key);
    assert!(
        message.contains("cannot read the TLS certificate file") && message.contains("missing.pem"),
        "{message}"
    );
    let message = error(&cert, &missing);
    assert!(
        message.contains("cannot read the TLS private key file"),
        "{message}"
    );
    // The two files swapped.
    let message = error(&key, &cert);
    assert!(
        message.contains("a-key.pem holds no certificate"),
        "{message}"
    );
    let message = error(&cert, &cert);
    assert!(
        message.contains("a-cert.pem holds no private key"),
        "{message}"
    );
    let message = error(&cert, &other_key);
    assert!(message.contains("cannot be used together"), "{message}");
    let garbled = scratch.write("garbled.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n");
    let message = error(&garbled, &key);
    assert!(message.contains("garbled.pem"), "{message}");

    assert!(TlsConfig::from_pem_files(&cert, &key).is_ok());
    assert!(TlsConfig::from_pem(a.cert_pem.as_bytes(), a.key_pem.as_bytes()).is_ok());
    let message = TlsConfig::from_pem(b"", a.key_pem.as_bytes())
        .expect_err("no certificate")
        .to_string();
    assert!(
        message.contains("the certificate PEM holds no certificate"),
        "{message}"
    );
}

#[tokio::test]
async fn plain_http_to_the_tls_port_is_closed_and_the_server_serves_on() {
    let scratch = Scratch::new("plain");
    let cert = new_cert();
    let (cert_path, key_path) = scratch.install(&cert);
    let server = start_https(&cert_path, &key_path).await;
    let mut plain = server.connect().await;
    plain
        .write(b"GET /scheme HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    assert!(plain.is_closed_within(IO_TIMEOUT).await);
    let mut tls = connect_tls(&server, &cert, &[]).await.expect("handshake");
    assert!(http1_call(&mut tls, "/scheme").await.ends_with("https"));
    server.stop().await.expect("clean stop");
}

/// curl negotiates HTTP/2 or HTTP/1.1 by ALPN, verifying the certificate.
#[tokio::test]
async fn curl_over_https() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed; skipped");
        return;
    }
    let scratch = Scratch::new("curl");
    let cert = new_cert();
    let (cert_path, key_path) = scratch.install(&cert);
    let server = start_https(&cert_path, &key_path).await;
    let port = server.addr.port();
    let curl = |protocol: &'static str| {
        let cert_path = cert_path.clone();
        tokio::task::spawn_blocking(move || {
            let out = Command::new("curl")
                .args(["-sS", protocol, "-w", " %{http_version}", "--cacert"])
                .arg(&cert_path)
                .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
                .arg(format!("https://localhost:{port}/scheme"))
                .output()
                .expect("curl runs");
            assert!(out.status.success(), "curl {protocol}: {out:?}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    assert_eq!(curl("--http2").await.expect("curl"), "HTTP/2.0 https 2");
    assert_eq!(curl("--http1.1").await.expect("curl"), "HTTP/1.1 https 1.1");
    server.stop().await.expect("clean stop");
}
