//! What the two servers answer: `/small` (a few bytes) and `/big` (512 KiB), the same
//! bytes in both.

/// The size of `/big`'s body.
pub const BIG: usize = 512 * 1024;

/// The body of `/big`: one allocation, shared by every response.
pub fn big_body() -> &'static [u8] {
    static BODY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BODY.get_or_init(|| vec![b'x'; BIG])
}

/// The port from the first argument.
pub fn port() -> u16 {
    std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(19210)
}

/// One tokio worker thread, as in benches/compare.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}
