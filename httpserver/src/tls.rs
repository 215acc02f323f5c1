//! HTTPS: the certificate chain and key a server presents, read from PEM, and replaced for
//! new connections without a restart ([`AppHandle::reload_tls`](crate::AppHandle::reload_tls),
//! or SIGHUP when the app handles signals).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// A certificate chain and its private key, to serve HTTPS with [`App::tls`](crate::App::tls)
/// (feature `tls`). Connections negotiate TLS 1.3 or 1.2 (rustls' safe defaults) and, by
/// ALPN, HTTP/2 (with the feature `http2`) or HTTP/1.1.
///
/// ```no_run
/// use httpserver::{App, TlsConfig};
///
/// fn main() -> std::io::Result<()> {
///     App::new()
///         .tls(TlsConfig::from_pem_files("cert.pem", "key.pem")?)
///         .run("0.0.0.0:8443")
/// }
/// ```
///
/// A missing file, a file without a certificate or a key, or a key that does not belong to
/// the certificate is an [`io::Error`] that names the file and says which.
#[derive(Clone)]
pub struct TlsConfig {
    server: Arc<ServerConfig>,
    /// Where it was read from, to read it again on a reload.
    files: Option<PemFiles>,
}

#[derive(Clone, Debug)]
struct PemFiles {
    cert: PathBuf,
    key: PathBuf,
}

impl TlsConfig {
    /// Reads the certificate chain (the server's certificate first, then intermediates) and
    /// the private key (PKCS#8, PKCS#1 or SEC1) from PEM files. A reload reads the same
    /// files again.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        let files = PemFiles {
            cert: cert.as_ref().to_path_buf(),
            key: key.as_ref().to_path_buf(),
        };
        let server = files.load()?;
        Ok(TlsConfig {
            server,
            files: Some(files),
        })
    }

    /// The certificate chain and private key from PEM text already in memory (from a
    /// secret store, say).
    ///
    /// ```
    /// # fn demo(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<()> {
    /// let tls = httpserver::TlsConfig::from_pem(cert_pem, key_pem)?;
    /// # Ok(()) }
    /// ```
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> io::Result<Self> {
        let certs = certificates(cert_chain, "the certificate PEM")?;
        let key = private_key(key, "the key PEM")?;
        let server = server_config(certs, key, "the certificate PEM", "the key PEM")?;
        Ok(TlsConfig {
            server,
            files: None,
        })
    }

    /// A rustls configuration made elsewhere (client certificates, several certificates by
    /// SNI, other cipher suites). Its ALPN list is used as it is, unless it is empty: then
    /// the server offers `h2` (with the feature `http2`) and `http/1.1`.
    pub fn from_rustls(mut config: ServerConfig) -> Self {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = alpn_protocols();
        }
        TlsConfig {
            server: Arc::new(config),
            files: None,
        }
    }

    pub(crate) fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.server)
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TlsConfig");
        match &self.files {
            Some(files) => debug.field("cert", &files.cert).field("key", &files.key),
            None => debug.field("source", &"in memory"),
        }
        .finish_non_exhaustive()
    }
}

impl PemFiles {
    fn load(&self) -> io::Result<Arc<ServerConfig>> {
        let cert_name = self.cert.display().to_string();
        let key_name = self.key.display().to_string();
        let cert_pem = read(&self.cert, "certificate")?;
        let key_pem = read(&self.key, "private key")?;
        let certs = certificates(&cert_pem, &cert_name)?;
        let key = private_key(&key_pem, &key_name)?;
        server_config(certs, key, &cert_name, &key_name)
    }
}

fn read(path: &Path, what: &str) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot read the TLS {what} file {}: {e}", path.display()),
        )
    })
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn certificates(pem_text: &[u8], source: &str) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem_text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{source}: malformed PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "{source} holds no certificate (a PEM block `-----BEGIN CERTIFICATE-----`)"
        )));
    }
    Ok(certs)
}

fn private_key(pem_text: &[u8], source: &str) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem_text).map_err(|e| match e {
        pem::Error::NoItemsFound => invalid(format!(
            "{source} holds no private key (a PEM block `PRIVATE KEY`, `RSA PRIVATE KEY` or \
             `EC PRIVATE KEY`)"
        )),
        e => invalid(format!("{source}: malformed PEM: {e}")),
    })
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_source: &str,
    key_source: &str,
) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            invalid(format!(
                "the TLS certificate ({cert_source}) and key ({key_source}) cannot be used \
                 together: {e}"
            ))
        })?;
    config.alpn_protocols = alpn_protocols();
    Ok(Arc::new(config))
}

/// The protocols a client may pick during the handshake, most preferred first.
fn alpn_protocols() -> Vec<Vec<u8>> {
    let mut protocols = Vec::new();
    if cfg!(feature = "http2") {
        protocols.push(b"h2".to_vec());
    }
    protocols.push(b"http/1.1".to_vec());
    protocols
}

/// The TLS configuration of an app, shared by its handle and its accept loop: each new
/// connection takes the one current when it is accepted.
#[derive(Clone, Default)]
pub(crate) struct TlsSlot(Arc<RwLock<Option<TlsConfig>>>);

impl TlsSlot {
    pub(crate) fn set(&self, config: TlsConfig) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(config);
    }

    pub(crate) fn current(&self) -> Option<TlsConfig> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The rustls configuration for the next connection: an `Arc` clone, not the file
    /// names that come with the whole [`TlsConfig`].
    pub(crate) fn server_config(&self) -> Option<Arc<ServerConfig>> {
        let current = self.0.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().map(TlsConfig::server_config)
    }

    /// Reads the files of the current configuration again; on any error the current one
    /// stays, so a half-copied certificate never takes a server down.
    pub(crate) fn reload(&self) -> io::Result<()> {
        let Some(current) = self.current() else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "reload_tls: the app does not serve HTTPS (no `App::tls`)",
            ));
        };
        let Some(files) = current.files else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "reload_tls: the TLS configuration was not read from files; \
                 give a new one with `AppHandle::set_tls`",
            ));
        };
        let server = files.load()?;
        self.set(TlsConfig {
            server,
            files: Some(files),
        });
        Ok(())
    }
}
