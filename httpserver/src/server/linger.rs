//! Lingering close. Closing a socket whose receive queue still holds bytes makes the kernel
//! send a reset, and a reset can reach the client before it has read the response, which
//! it then never sees: a 413 sent while the client is still uploading is lost that way.
//! So after such a response the server shuts its side down (the client sees the end of
//! the response) and reads and discards what the client is still sending before closing,
//! bounded by time as nginx's `lingering_close` is (`lingering_time`, `lingering_timeout`):
//! a bound in bytes would cut off a browser uploading a file many times the limit, on a
//! link fast enough to send it all in the time allowed, before it read its 413.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::config::Config;

/// How long and how much a lingering close may read before it closes anyway.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Linger {
    /// The whole lingering close (nginx's `lingering_time`).
    pub(crate) total: Duration,
    /// The longest wait for the client's next bytes (nginx's `lingering_timeout`).
    pub(crate) idle: Duration,
    pub(crate) max_bytes: u64,
}

impl Config {
    pub(crate) fn linger(&self) -> Linger {
        Linger {
            total: self.linger_time,
            idle: self.linger_timeout,
            max_bytes: self.linger_max_bytes,
        }
    }
}

/// Shuts the write side, then discards input until the client closes its side, sends
/// nothing for `idle`, `total` has passed, or `max_bytes` have been read. Returns the
/// bytes discarded.
pub(crate) async fn linger<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    limits: Linger,
) -> u64 {
    // Flushes nothing (hyper has written everything); sends FIN if hyper has not.
    let _ = stream.shutdown().await;
    let mut discarded = 0u64;
    // On the heap, and only here: an array would sit in every connection task's future for
    // the connection's whole life (16 KiB each), though few connections ever linger.
    let mut scratch = vec![0u8; 16 * 1024];
    let drain = async {
        while discarded < limits.max_bytes {
            match tokio::time::timeout(limits.idle, stream.read(&mut scratch)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => break,
                Ok(Ok(n)) => discarded += n as u64,
            }
        }
    };
    let _ = tokio::time::timeout(limits.total, drain).await;
    discarded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each connection task embeds this future (whether or not it lingers), so its size is
    /// paid per open connection.
    #[tokio::test]
    async fn the_linger_future_is_small() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let limits = Linger {
            total: Duration::from_millis(1),
            idle: Duration::from_millis(1),
            max_bytes: 1,
        };
        let future = linger(&mut stream, limits);
        let size = std::mem::size_of_val(&future);
        assert!(size < 1024, "the linger future takes {size} bytes");
    }
}
