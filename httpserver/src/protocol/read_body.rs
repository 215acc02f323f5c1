//! Reading a request body under the app's limits: at most `max_body_size` bytes, with
//! no wait longer than `body_timeout` between two reads and the whole within
//! `body_total_timeout`. Limits are enforced while reading, so an oversized body is refused
//! as soon as it is known to be too large, never buffered whole.

use bytes::{Buf, Bytes, BytesMut};
use http::header::CONTENT_LENGTH;
use http::HeaderMap;
use http_body_util::BodyExt;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::HttpError;

/// Why a body could not be read; each maps to the response the client gets, after which
/// the connection is closed (the rest of the body is never read).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    TimedOut,
    Malformed,
}

// A method, not `From`: a `From` impl of a private type would be listed in rustc's hints
// to every user whose `?` does not convert into `HttpError`.
impl BodyError {
    /// The answer the client gets.
    pub(crate) fn into_http_error(self) -> HttpError {
        match self {
            BodyError::TooLarge => HttpError::new(413, "Payload Too Large"),
            BodyError::TimedOut => HttpError::new(408, "Request Timeout"),
            BodyError::Malformed => HttpError::new(400, "Bad Request: malformed body"),
        }
    }
}

/// How long a body read may wait: for each next frame, and for the whole body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeouts {
    pub(crate) idle: Duration,
    pub(crate) total: Duration,
}

/// Reads `body` in full, or stops at the first byte over `limit`, once nothing has
/// arrived for `timeouts.idle`, or once `timeouts.total` has passed since the read began.
pub(crate) async fn read_body<B>(
    body: B,
    declared: Option<u64>,
    limit: usize,
    timeouts: BodyTimeouts,
) -> Result<Bytes, BodyError>
where
    B: http_body::Body,
{
    let mut body = std::pin::pin!(body);
    if declared_over(declared, limit) {
        return Err(BodyError::TooLarge);
    }
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    // Read the clock only for requests that have a body: most have none.
    let start = Instant::now();
    let total_deadline = far(start, timeouts.total);
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut total = 0usize;
    loop {
        // One clock read per frame; a frame is at least one socket read, which costs more.
        let deadline = total_deadline.min(far(Instant::now(), timeouts.idle));
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Malformed),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers carry nothing a handler reads
        };
        let chunk = data.copy_to_bytes(data.remaining());
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        // One chunk is the common case: keep it as is instead of copying it.
        match (&mut first, &mut joined) {
            (None, None) => first = Some(chunk),
            (Some(_), None) => {
                let mut buf = BytesMut::with_capacity(declared.map_or(total, |n| n as usize));
                buf.extend_from_slice(&first.take().unwrap_or_default());
                buf.extend_from_slice(&chunk);
                joined = Some(buf);
            }
            (_, Some(buf)) => buf.extend_from_slice(&chunk),
        }
    }
    Ok(match joined {
        Some(buf) => buf.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// `from + timeout`, saturating: `Duration::MAX` means no deadline.
fn far(from: Instant, timeout: Duration) -> Instant {
    from.checked_add(timeout)
        .unwrap_or_else(|| from + Duration::from_secs(86_400 * 365 * 30))
}

/// Whether the request's declared length (see [`declared_length`]) already says its body
/// is over `limit`: then it is refused before a byte of it is read, and before any handler
/// runs.
pub(crate) fn declared_over(declared: Option<u64>, limit: usize) -> bool {
    declared.is_some_and(|len| len > limit as u64)
}

/// The body's length as the request's `Content-Length` declares it, if it does. Read once
/// per request, by the caller of the body's readers.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body_util::{Full, StreamBody};

    fn later() -> BodyTimeouts {
        BodyTimeouts {
            idle: Duration::from_secs(5),
            total: Duration::from_secs(5),
        }
    }

    /// 20 chunks, one every 5 ms.
    fn steady() -> impl http_body::Body<Data = Bytes, Error = std::convert::Infallible> {
        let chunks = futures_util::stream::iter(0..20).then(|_| async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(http_body::Frame::data(Bytes::from_static(b"0123456789")))
        });
        StreamBody::new(chunks)
    }

    #[tokio::test]
    async fn reads_a_body_within_the_limit() {
        let body = Full::new(Bytes::from_static(b"hello"));
        assert_eq!(read_body(body, None, 5, later()).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn refuses_a_declared_length_over_the_limit_without_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, "6".parse().unwrap());
        let never = StreamBody::new(futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, std::convert::Infallible>,
        >());
        assert_eq!(
            read_body(never, declared_length(&headers), 5, later()).await,
            Err(BodyError::TooLarge)
        );
    }

    #[tokio::test]
    async fn stops_a_chunked_body_at_the_first_byte_over_the_limit() {
        let chunks = (0..100).map(|_| {
            Ok::<_, std::convert::Infallible>(http_body::Frame::data(Bytes::from_static(
                b"0123456789",
            )))
        });
        let body = StreamBody::new(futures_util::stream::iter(chunks));
        assert_eq!(
            read_body(body, None, 95, later()).await,
            Err(BodyError::TooLarge)
        );
    }

    #[tokio::test]
    async fn joins_several_chunks() {
        let chunks = ["ab", "cd", "ef"].map(|c| {
            Ok::<_, std::convert::Infallible>(http_body::Frame::data(Bytes::from_static(
                c.as_bytes(),
            )))
        });
        let body = StreamBody::new(futures_util::stream::iter(chunks));
        assert_eq!(read_body(body, None, 100, later()).await.unwrap(), "abcdef");
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_a_slow_body() {
        let never = StreamBody::new(futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, std::convert::Infallible>,
        >());
        let timeouts = BodyTimeouts {
            idle: Duration::from_millis(10),
            total: Duration::from_secs(5),
        };
        assert_eq!(
            read_body(never, None, 5, timeouts).await,
            Err(BodyError::TimedOut)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_body_may_take_longer_than_the_idle_timeout() {
        let timeouts = BodyTimeouts {
            idle: Duration::from_millis(10),
            total: Duration::from_secs(5),
        };
        let body = read_body(steady(), None, 1000, timeouts).await;
        assert_eq!(body.map(|b| b.len()), Ok(200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_body_is_cut_at_the_total_timeout() {
        let timeouts = BodyTimeouts {
            idle: Duration::from_millis(10),
            total: Duration::from_millis(50),
        };
        assert_eq!(
            read_body(steady(), None, 1000, timeouts).await,
            Err(BodyError::TimedOut)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_deadline_does_not_overflow() {
        let timeouts = BodyTimeouts {
            idle: Duration::MAX,
            total: Duration::MAX,
        };
        let body = read_body(steady(), None, 1000, timeouts).await;
        assert_eq!(body.map(|b| b.len()), Ok(200));
    }
}
