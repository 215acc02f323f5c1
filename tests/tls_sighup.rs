//! SIGHUP reloads the TLS certificate of an app that handles signals. Alone in its test
//! binary: the app installs the process's signal handlers, which no other test may share.

use std::sync::Arc;
use std::time::Duration;

use httpserver::{collect_routes, get, App, TlsConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

#[get("/")]
async fn index() -> &'static str {
    "hi"
}

fn new_cert() -> (CertificateDer<'static>, String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("rcgen makes a certificate");
    (
        made.cert.der().clone(),
        made.cert.pem(),
        made.signing_key.serialize_pem(),
    )
}

/// The certificate the server presents to a client trusting `trusted`, if it trusts it.
async fn presented(
    addr: std::net::SocketAddr,
    trusted: &CertificateDer<'static>,
) -> Option<CertificateDer<'static>> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.clone()).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .ok()?;
    Some(tls.get_ref().1.peer_certificates()?[0].clone())
}

#[tokio::test]
async fn sighup_reloads_the_certificate_files() {
    let dir = std::env::temp_dir().join(format!("httpserver-sighup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    let (old_der, old_cert, old_key) = new_cert();
    std::fs::write(&cert_path, old_cert).expect("write");
    std::fs::write(&key_path, old_key).expect("write");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = App::new()
        .routes(collect_routes![index])
        .tls(TlsConfig::from_pem_files(&cert_path, &key_path).expect("certificate"))
        .drain_period(Duration::ZERO);
    let handle = app.handle();
    let server = tokio::spawn(app.serve(listener));
    assert_eq!(presented(addr, &old_der).await, Some(old_der.clone()));

    let (new_der, new_cert, new_key) = new_cert();
    std::fs::write(&cert_path, new_cert).expect("write");
    std::fs::write(&key_path, new_key).expect("write");
    // SAFETY: sends a signal to this process, whose SIGHUP the app now handles.
    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGHUP) }, 0);
    let mut reloaded = false;
    for _ in 0..100 {
        if presented(addr, &new_der).await == Some(new_der.clone()) {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reloaded, "the new certificate is served after SIGHUP");

    handle.shutdown();
    server.await.expect("server task").expect("clean stop");
    let _ = std::fs::remove_dir_all(&dir);
}
