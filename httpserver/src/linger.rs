//! Lingering close. Closing a socket whose receive queue still holds bytes makes the kernel
//! send a reset, and a reset can reach the client before it has read the response, which
//! it then never sees: a 413 sent while the client is still uploading is lost that way.
//! So after such a response the server shuts its side down (the client sees the end of
//! the response) and reads and discards what the client is still sending, for a bounded
//! time and number of bytes, before closing (as nginx's `lingering_close` does).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long and how much a lingering close may read before it closes anyway.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Linger {
    pub(crate) timeout: Duration,
    pub(crate) max_bytes: u64,
}

/// Shuts the write side, then discards input until the client closes its side, the time
/// is up, or `max_bytes` have been read. Returns the bytes discarded.
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
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n as u64,
            }
        }
    };
    let _ = tokio::time::timeout(limits.timeout, drain).await;
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
            timeout: Duration::from_millis(1),
            max_bytes: 1,
        };
        let future = linger(&mut stream, limits);
        let size = std::mem::size_of_val(&future);
        assert!(size < 1024, "the linger future takes {size} bytes");
    }
}
