//! HTTP/2 clients for the transport matrix: hyper's HTTP/2 client with prior knowledge
//! (h2c), or over TLS with ALPN `h2` against a certificate made for the test by rcgen.
//! A request is sent on a new connection, as the HTTP/1.1 road sends it, and read back as
//! the same [`HttpResponse`].

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use httpserver::TlsConfig;
use hyper::body::Incoming;
use hyper::client::conn::http2::handshake;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::{HttpResponse, IO_TIMEOUT};

/// Headers that HTTP/2 forbids in a request (RFC 9113 §8.2.2); the `Host` of an HTTP/1.1
/// request travels as `:authority` instead.
const HTTP1_ONLY: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// A self-signed certificate for `localhost`: the server's TLS settings, and a client that
/// trusts it alone and offers only `h2`.
pub struct TestCertificate {
    pub server: TlsConfig,
    /// Trusts the certificate and offers `h2` only.
    pub client: TlsConnector,
    /// Trusts the certificate and offers `http/1.1` only (WebSocket handshakes).
    pub http1_client: TlsConnector,
}

impl TestCertificate {
    pub fn new() -> TestCertificate {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("rcgen makes a certificate");
        let der: CertificateDer<'static> = made.cert.der().clone();
        let server = TlsConfig::from_pem(
            made.cert.pem().as_bytes(),
            made.signing_key.serialize_pem().as_bytes(),
        )
        .expect("the server takes the certificate");
        let mut roots = RootCertStore::empty();
        roots.add(der).expect("root certificate");
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http1 = config.clone();
        config.alpn_protocols = vec![b"h2".to_vec()];
        http1.alpn_protocols = vec![b"http/1.1".to_vec()];
        TestCertificate {
            server,
            client: TlsConnector::from(Arc::new(config)),
            http1_client: TlsConnector::from(Arc::new(http1)),
        }
    }
}

impl Default for TestCertificate {
    fn default() -> Self {
        TestCertificate::new()
    }
}

/// Sends one request over a new HTTP/2 connection to `addr`, over TLS when `tls` is given,
/// and reads the whole response. The request carries the headers the HTTP/1.1 road would
/// (a `Host` becomes the `:authority`, `test` by default), less those HTTP/2 forbids.
pub async fn h2_exchange(
    addr: SocketAddr,
    tls: Option<&TlsConnector>,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut open = h2_open(addr, tls, method, target, headers, body).await;
    let mut chunks = Vec::new();
    while let Some(chunk) = open.chunk().await {
        chunks.push(chunk);
    }
    HttpResponse {
        status_line: format!("HTTP/2 {}", open.status),
        status: open.status,
        headers: open.headers,
        body: chunks.concat(),
        chunks,
    }
}

/// An HTTP/2 response whose head has arrived and whose body is read a DATA frame at a
/// time. Dropping it resets the stream and closes the connection.
pub struct H2Response {
    pub status: u16,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    body: Incoming,
}

impl H2Response {
    /// The next DATA frame's bytes; `None` at the end of the body. An empty frame (hyper
    /// ends a stream of unknown length with one carrying END_STREAM, as HTTP/1.1's chunked
    /// encoding ends with a zero-size chunk) is not a chunk. Panics on a reset stream, and
    /// after [`IO_TIMEOUT`] without a frame.
    pub async fn chunk(&mut self) -> Option<Vec<u8>> {
        loop {
            let frame = tokio::time::timeout(IO_TIMEOUT, self.body.frame())
                .await
                .expect("a DATA frame within the timeout");
            match frame {
                None => return None,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => return Some(data.to_vec()),
                    _ => {}
                },
                Some(Err(e)) => panic!("HTTP/2 body failed: {e}"),
            }
        }
    }
}

/// [`h2_exchange`] up to the response's head.
pub async fn h2_open(
    addr: SocketAddr,
    tls: Option<&TlsConnector>,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> H2Response {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let request = h2_request(tls.is_some(), method, target, headers, body);
    match tls {
        None => send(tcp, request).await,
        Some(connector) => {
            let stream = tls_handshake(tcp, connector).await;
            assert_eq!(
                stream.get_ref().1.alpn_protocol(),
                Some(&b"h2"[..]),
                "the server chose h2 by ALPN"
            );
            send(stream, request).await
        }
    }
}

/// The TLS handshake of a client connection to the test server, as `localhost`.
pub async fn tls_handshake(tcp: TcpStream, connector: &TlsConnector) -> TlsStream<TcpStream> {
    let name = ServerName::try_from("localhost").expect("server name");
    tokio::time::timeout(IO_TIMEOUT, connector.connect(name, tcp))
        .await
        .expect("TLS handshake within the timeout")
        .expect("TLS handshake")
}

fn h2_request(
    tls: bool,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Full<Bytes>> {
    let authority = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map_or("test", |(_, value)| value);
    // An absolute-form target gives its own authority and path, as a proxy would send it.
    let uri = if target.starts_with('/') {
        http::Uri::builder()
            .scheme(if tls { "https" } else { "http" })
            .authority(authority)
            .path_and_query(target)
            .build()
    } else {
        target.parse().map_err(http::Error::from)
    }
    .unwrap_or_else(|e| panic!("{target:?} is no HTTP/2 :path: {e}"));
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        if !HTTP1_ONLY.contains(&name.to_ascii_lowercase().as_str()) {
            builder = builder.header(*name, *value);
        }
    }
    if !body.is_empty() {
        builder = builder.header("content-length", body.len());
    }
    builder
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("request")
}

async fn send<S>(stream: S, request: http::Request<Full<Bytes>>) -> H2Response
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    let response = tokio::time::timeout(IO_TIMEOUT, sender.send_request(request))
        .await
        .expect("response within the timeout")
        .expect("response");
    assert_eq!(response.version(), http::Version::HTTP_2);
    let (head, body) = response.into_parts();
    let headers = head
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).trim().to_owned(),
            )
        })
        .collect();
    H2Response {
        status: head.status.as_u16(),
        headers,
        body,
    }
}
