//! A request body between the wire and the handler: held unread until routing and the
//! before hooks accept the request, then either read in full under the route's limit, or
//! handed to the handler as a [`BodyStream`] that enforces the same limits as it goes.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http_body::Body as HttpBody;
use http_body_util::BodyExt;
use tokio::time::Sleep;

use crate::error::HttpError;
use crate::protocol::body::PendingBody;
use crate::protocol::read_body::{declared_over, BodyError};

/// The request body as it arrives, chunk by chunk: for uploads too large to hold in memory.
/// A handler takes it as an argument (the route then does not read the body first); each
/// item is a chunk, or the error that ends the body: 413 at the first byte over the route's
/// `max_body_size` (or the app's), 408 when no byte arrives for `body_timeout`, 400 if the
/// body is malformed. Return that error (`?`) and the client gets it.
///
/// ```
/// use httpserver::{post, BodyStream, HttpError};
///
/// #[post("/ingest", max_body_size = 1 << 30)]
/// async fn ingest(mut body: BodyStream) -> Result<String, HttpError> {
///     let mut total = 0;
///     while let Some(chunk) = body.next().await {
///         total += chunk?.len();
///     }
///     Ok(total.to_string())
/// }
/// ```
pub struct BodyStream {
    body: Option<PendingBody>,
    limit: usize,
    idle_timeout: Duration,
    /// Armed while waiting for the next chunk; reset by each one.
    idle: Option<Pin<Box<Sleep>>>,
    received: usize,
    /// Set once the body has been read to its end, so that the connection can carry
    /// another request.
    finished: Arc<AtomicBool>,
    /// Chunks read ahead before the handler (the CSRF check reads a form's first field),
    /// handed out again first.
    replay: std::collections::VecDeque<Bytes>,
}

impl BodyStream {
    /// A stream over `body` that refuses more than `limit` bytes and a wait of more than
    /// `idle_timeout` for the next chunk.
    pub(crate) fn new(
        body: PendingBody,
        declared: Option<u64>,
        limit: usize,
        idle_timeout: Duration,
    ) -> Self {
        let declared_too_large = declared_over(declared, limit);
        BodyStream {
            body: Some(body),
            limit,
            idle_timeout,
            idle: None,
            // A declared length over the limit fails at the first read, before any byte.
            received: if declared_too_large { usize::MAX } else { 0 },
            finished: Arc::new(AtomicBool::new(false)),
            replay: std::collections::VecDeque::new(),
        }
    }

    /// Puts chunks read ahead back in front of the stream, in order: the handler reads
    /// the body whole, as if nobody had looked.
    pub(crate) fn put_back(&mut self, chunks: Vec<Bytes>) {
        for chunk in chunks.into_iter().rev() {
            self.replay.push_front(chunk);
        }
    }

    /// A stream of a body already read (a route that read it, or a request built by hand).
    pub(crate) fn of_bytes(bytes: Bytes) -> Self {
        let body = http_body_util::Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync();
        BodyStream::new(body, None, usize::MAX, Duration::MAX)
    }

    /// The flag that says whether the body was read to its end.
    pub(crate) fn finished_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.finished)
    }

    /// The next chunk, the error that ends the body, or `None` at its end.
    pub async fn next(&mut self) -> Option<Result<Bytes, HttpError>> {
        futures_util::StreamExt::next(self).await
    }

    /// Ends the stream with `error`: nothing more is read.
    fn fail(&mut self, error: BodyError) -> Poll<Option<Result<Bytes, HttpError>>> {
        self.body = None;
        self.idle = None;
        Poll::Ready(Some(Err(error.into_http_error())))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, HttpError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(chunk) = this.replay.pop_front() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        if this.body.is_some() && this.received > this.limit {
            return this.fail(BodyError::TooLarge);
        }
        loop {
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(body).poll_frame(cx) {
                Poll::Ready(None) => {
                    this.body = None;
                    this.idle = None;
                    this.finished.store(true, Ordering::Release);
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(_))) => return this.fail(BodyError::Malformed),
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers carry nothing a handler reads
                    };
                    this.idle = None;
                    this.received = this.received.saturating_add(data.len());
                    if this.received > this.limit {
                        return this.fail(BodyError::TooLarge);
                    }
                    if data.is_empty() {
                        continue;
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Pending => {
                    let timeout = this.idle_timeout;
                    let idle = this.idle.get_or_insert_with(|| {
                        Box::pin(tokio::time::sleep(
                            timeout.min(Duration::from_secs(86_400 * 365)),
                        ))
                    });
                    if idle.as_mut().poll(cx).is_ready() {
                        return this.fail(BodyError::TimedOut);
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyStream")
            .field("limit", &self.limit)
            .field("received", &self.received)
            .field("ended", &self.body.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BoxError;
    use http_body_util::StreamBody;

    fn chunks(n: usize, size: usize) -> PendingBody {
        let frames = (0..n)
            .map(move |_| Ok::<_, BoxError>(http_body::Frame::data(Bytes::from(vec![b'x'; size]))));
        StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
    }

    #[tokio::test]
    async fn streams_chunks_and_marks_the_end() {
        let mut stream = BodyStream::new(chunks(3, 10), None, 30, Duration::from_secs(5));
        let finished = stream.finished_flag();
        let mut total = 0;
        while let Some(chunk) = stream.next().await {
            total += chunk.unwrap().len();
        }
        assert_eq!(total, 30);
        assert!(finished.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn the_first_byte_over_the_limit_is_a_413_and_the_end() {
        let mut stream = BodyStream::new(chunks(5, 10), None, 25, Duration::from_secs(5));
        assert!(stream.next().await.unwrap().is_ok());
        assert!(stream.next().await.unwrap().is_ok());
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(err.status().as_u16(), 413);
        assert!(stream.next().await.is_none());
        assert!(!stream.finished_flag().load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_fails_before_reading() {
        let never = StreamBody::new(futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, BoxError>,
        >());
        let mut stream =
            BodyStream::new(never.boxed_unsync(), Some(100), 99, Duration::from_secs(5));
        assert_eq!(
            stream.next().await.unwrap().unwrap_err().status().as_u16(),
            413
        );
    }

    #[tokio::test]
    async fn chunks_put_back_come_first_and_in_order() {
        let mut stream = BodyStream::new(chunks(3, 2), None, 100, Duration::from_secs(5));
        let first = stream.next().await.unwrap().unwrap();
        let second = stream.next().await.unwrap().unwrap();
        stream.put_back(vec![first.clone(), second.clone()]);
        let mut all = Vec::new();
        while let Some(chunk) = stream.next().await {
            all.push(chunk.unwrap());
        }
        assert_eq!(all.len(), 3);
        assert_eq!((&all[0], &all[1]), (&first, &second));
        assert!(stream.finished_flag().load(Ordering::Acquire));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_is_a_408() {
        let never = StreamBody::new(futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, BoxError>,
        >());
        let mut stream = BodyStream::new(never.boxed_unsync(), None, 99, Duration::from_secs(3));
        assert_eq!(
            stream.next().await.unwrap().unwrap_err().status().as_u16(),
            408
        );
    }
}
