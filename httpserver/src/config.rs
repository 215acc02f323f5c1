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
