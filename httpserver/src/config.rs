//! Every limit and timeout of a server, with its default: what the `App` builder sets and
//! what the server, the pipeline and the extractors read.

use std::time::Duration;

/// The default largest message (and frame) a socket accepts: 16 MiB.
///
/// ```
/// assert_eq!(httpserver::ws::DEFAULT_MAX_MESSAGE_SIZE, 16 << 20);
/// ```
#[cfg(feature = "ws")]
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// Limits and timings of a server; the defaults suit most apps.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_body_size: usize,
    pub(crate) head_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) body_total_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) send_timeout: Duration,
    pub(crate) max_head_size: usize,
    pub(crate) max_connections: usize,
    pub(crate) linger_time: Duration,
    pub(crate) linger_timeout: Duration,
    pub(crate) linger_max_bytes: u64,
    pub(crate) grace_period: Duration,
    pub(crate) handle_signals: bool,
    pub(crate) access_log: bool,
    pub(crate) drain_period: Duration,
    pub(crate) reuse_port: bool,
    pub(crate) trusted_proxies: crate::protocol::forwarded::TrustedProxies,
    pub(crate) multipart: MultipartLimits,
    pub(crate) csrf: Csrf,
    #[cfg(feature = "ws")]
    pub(crate) ws_max_message_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_size: 1024 * 1024,
            head_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            body_total_timeout: Duration::from_secs(300),
            keep_alive_timeout: Duration::from_secs(75),
            send_timeout: Duration::from_secs(60),
            max_head_size: 64 * 1024,
            max_connections: 10_000,
            linger_time: Duration::from_secs(30),
            linger_timeout: Duration::from_secs(5),
            linger_max_bytes: u64::MAX,
            grace_period: Duration::from_secs(30),
            handle_signals: true,
            access_log: true,
            drain_period: Duration::from_secs(5),
            reuse_port: false,
            trusted_proxies: crate::protocol::forwarded::TrustedProxies::default(),
            multipart: MultipartLimits::default(),
            csrf: Csrf::new(),
            #[cfg(feature = "ws")]
            ws_max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

/// The app's bounds on multipart bodies, beside the body's own size limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MultipartLimits {
    pub(crate) framing: FramingLimits,
    /// The most bytes of a field that is not a file.
    pub(crate) field_size: usize,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        MultipartLimits {
            framing: FramingLimits {
                header_size: 8 * 1024,
                parts: 1000,
            },
            field_size: 1024 * 1024,
        }
    }
}

/// The bounds a multipart body's framing is held to while it streams.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FramingLimits {
    /// The most bytes of a preamble, and of one part's header block.
    pub(crate) header_size: usize,
    /// The most parts in one body.
    pub(crate) parts: usize,
}

/// Protection against cross-site request forgery: another site making a visitor's browser
/// post a form to this app, riding on the visitor's session cookie. On by default in every
/// app with a [`secret_key`](crate::App::secret_key) (an app without one has no session to
/// ride on); set with [`App::csrf`](crate::App::csrf).
///
/// **What is checked.** A request with an unsafe method (`POST`, `PUT`, `PATCH`,
/// `DELETE`) whose body a browser could send from another site without asking first: a
/// form (`application/x-www-form-urlencoded`, `multipart/form-data`), `text/plain`, or a
/// `POST` with no `Content-Type`. JSON and other types, and `PUT`/`PATCH`/`DELETE` without
/// a body type, need a CORS preflight cross-site, which this app never grants unless told
/// to, so they are not checked. Two checks, both before the handler runs:
///
/// 1. **Where it comes from.** A browser says so in `Sec-Fetch-Site` (every current
///    browser): `same-origin` and `none` (typed in, a bookmark) pass; `same-site` (a
///    sibling subdomain) and `cross-site` are refused. Without it, an `Origin` header must
///    name this host (the request's `Host`); `Origin: null` is refused. Origins you
///    [`trust`](Csrf::trust_origin) pass either way. A client that sends neither (curl, a
///    script) goes on to the token.
/// 2. **The token.** The session's token ([`Session::csrf_token`](crate::Session::csrf_token),
///    `{{ csrf_token() }}` in templates) must come back in the `X-CSRF-Token` header or
///    the `csrf_token` form field. In a `multipart/form-data` form, put the field first
///    (right after `<form>`): it is read before the handler sees the body, and the check
///    reads no further than the first part.
///
/// A refused request is a 403 whose message says which check failed; it goes through the
/// app's error handlers like any other 403, so a page can explain it. An endpoint that
/// authenticates otherwise (an API key, a webhook signature) opts out with `csrf = false`
/// on its route attribute, or [`Group::without_csrf`](crate::Group::without_csrf).
///
/// **Trust.** The check trusts the browser: `Sec-Fetch-Site` and `Origin` are set by the
/// browser and cannot be changed by a page's script, which is what a forgery is made of.
/// Any non-browser client can send any header; it gets nothing from that, as it has no
/// victim's cookie to ride on.
///
/// ```
/// use httpserver::{App, Csrf};
///
/// // Behind a proxy that serves the app under another name, or for a sibling
/// // subdomain you trust:
/// let app = App::new()
///     .secret_key("a secret of at least 32 bytes, from the environment")
///     .csrf(Csrf::new().trust_origin("https://admin.example.com"));
/// // An app whose sessions are only read, never posted to (rarely right):
/// let api = App::new()
///     .secret_key("a secret of at least 32 bytes, from the environment")
///     .csrf(Csrf::disabled());
/// ```
#[derive(Debug, Clone)]
pub struct Csrf {
    pub(crate) enabled: bool,
    /// Lowercase `scheme://host[:port]`, as browsers write `Origin`.
    pub(crate) trusted_origins: Vec<String>,
}

impl Default for Csrf {
    fn default() -> Self {
        Csrf::new()
    }
}

impl Csrf {
    /// The default: on, trusting no other origin.
    pub fn new() -> Self {
        Csrf {
            enabled: true,
            trusted_origins: Vec::new(),
        }
    }

    /// Off: no request is checked. Every form that changes something is then open to
    /// forgery unless the app checks it itself.
    pub fn disabled() -> Self {
        Csrf {
            enabled: false,
            trusted_origins: Vec::new(),
        }
    }

    /// Accepts requests from `origin` (`https://admin.example.com`, as a browser writes
    /// the `Origin` header: scheme, host, and port if it is not the default) as if they
    /// came from this app. They still need the token.
    pub fn trust_origin(mut self, origin: impl Into<String>) -> Self {
        let origin = origin.into();
        self.trusted_origins
            .push(origin.trim_end_matches('/').to_ascii_lowercase());
        self
    }
}

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The header that carries the CSRF token, for scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";
