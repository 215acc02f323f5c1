//! Streaming responses: a body sent chunk by chunk as a [`Stream`] yields it, or as
//! another task pushes it through a [`ChunkSender`].

use std::fmt;
use std::future::ready;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::header::{HeaderName, HeaderValue};
use tokio::sync::mpsc;

use super::{Body, IntoResponse, Response};
use crate::error::{BoxError, IntoStatusCode};

/// An item a [`StreamingResponse`] can send as one chunk: `String`, `&'static str`,
/// `Vec<u8>`, [`Bytes`], `&'static [u8]`, or a `Result` of one of those whose error
/// converts into a [`BoxError`] (any `std::error::Error + Send + Sync`, a `String`, ...).
/// An `Err` item ends the response (see [`StreamingResponse`]).
///
/// Implement it for your own types to stream them directly.
///
/// ```
/// use httpserver::IntoChunk;
/// assert_eq!(&"hello".into_chunk().unwrap()[..], b"hello");
/// let failed: Result<String, std::io::Error> = Err(std::io::ErrorKind::Other.into());
/// assert!(failed.into_chunk().is_err());
/// assert_eq!(<Vec<u8> as IntoChunk>::CONTENT_TYPE, "application/octet-stream");
/// ```
pub trait IntoChunk {
    /// The `Content-Type` a stream of these gets unless one is set: text is
    /// `text/plain; charset=utf-8`, bytes are `application/octet-stream`, as for a handler
    /// returning the same type whole.
    const CONTENT_TYPE: &'static str = "application/octet-stream";

    /// The bytes of the chunk, or the error that ends the response.
    fn into_chunk(self) -> Result<Bytes, BoxError>;
}

const TEXT: &str = "text/plain; charset=utf-8";

impl IntoChunk for Bytes {
    fn into_chunk(self) -> Result<Bytes, BoxError> {
        Ok(self)
    }
}

impl IntoChunk for Vec<u8> {
    fn into_chunk(self) -> Result<Bytes, BoxError> {
        Ok(Bytes::from(self))
    }
}

impl IntoChunk for &'static [u8] {
    fn into_chunk(self) -> Result<Bytes, BoxError> {
        Ok(Bytes::from_static(self))
    }
}

impl IntoChunk for String {
    const CONTENT_TYPE: &'static str = TEXT;

    fn into_chunk(self) -> Result<Bytes, BoxError> {
        Ok(Bytes::from(self))
    }
}

impl IntoChunk for &'static str {
    const CONTENT_TYPE: &'static str = TEXT;

    fn into_chunk(self) -> Result<Bytes, BoxError> {
        Ok(Bytes::from_static(self.as_bytes()))
    }
}

impl<T: IntoChunk, E: Into<BoxError>> IntoChunk for Result<T, E> {
    const CONTENT_TYPE: &'static str = T::CONTENT_TYPE;

    fn into_chunk(self) -> Result<Bytes, BoxError> {
        self.map_err(Into::into).and_then(IntoChunk::into_chunk)
    }
}

/// A response whose body is sent chunk by chunk (`Transfer-Encoding: chunked`) as a
/// [`Stream`] produces it; each chunk is flushed to the client as soon as it is ready.
///
/// - Items are anything [`IntoChunk`]: `String`, `&'static str`, `Vec<u8>`, [`Bytes`],
///   `&'static [u8]`, or a `Result` of those. Empty chunks are skipped.
/// - `Content-Type` defaults to `text/plain; charset=utf-8` for a stream of text and
///   `application/octet-stream` for a stream of bytes; set another with
///   [`with_content_type`](Self::with_content_type).
/// - An `Err` item is logged and ends the response: the chunks before it are flushed,
///   then the connection is closed without the final empty chunk, so the client sees a
///   truncated body, never a complete-looking one. The server goes on serving other
///   connections.
/// - When the client goes away the stream is dropped, so whatever it owns (a database
///   cursor, a subscription) is released and nothing keeps producing. On a graceful
///   shutdown the server waits for the stream to end within the grace period, then drops
///   it.
///
/// ```
/// use httpserver::{get, Request, StreamingResponse};
///
/// #[get("/events")]
/// async fn events(_req: Request) -> StreamingResponse {
///     let chunks = futures_util::stream::iter((0..5).map(|i| format!("data: event {i}\n\n")));
///     StreamingResponse::new(chunks).with_content_type("text/event-stream")
/// }
/// ```
#[derive(Debug)]
pub struct StreamingResponse {
    response: Response,
}

impl StreamingResponse {
    /// A 200 response that sends what `stream` yields; see [`StreamingResponse`].
    ///
    /// ```
    /// use httpserver::{IntoResponse, StreamingResponse};
    /// let lines = futures_util::stream::iter(["one\n", "two\n"]);
    /// let res = StreamingResponse::new(lines).into_response();
    /// assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    /// ```
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream + Send + 'static,
        S::Item: IntoChunk,
    {
        let chunks = stream.filter_map(|item| {
            ready(match item.into_chunk() {
                Ok(bytes) if bytes.is_empty() => None,
                other => Some(other),
            })
        });
        let body = Body::from_stream(FlushBeforeError::new(chunks));
        StreamingResponse {
            response: Response::with_type(body, S::Item::CONTENT_TYPE),
        }
    }

    /// A streaming response fed from elsewhere: chunks sent on the [`ChunkSender`] (by a
    /// spawned task, say) go to the client in order. At most `capacity` chunks wait
    /// unsent (at least 1): past that, [`ChunkSender::send`] waits for the client to take
    /// them, so a slow client slows the producer instead of filling memory. The response
    /// ends when every sender is dropped; once the client is gone, `send` fails, so the
    /// producer knows to stop.
    ///
    /// ```
    /// use httpserver::{get, StreamingResponse};
    ///
    /// #[get("/progress")]
    /// async fn progress() -> StreamingResponse {
    ///     let (tx, res) = StreamingResponse::channel(8);
    ///     tokio::spawn(async move {
    ///         for pct in (0..=100).step_by(10) {
    ///             if tx.send(format!("{pct}%\n")).await.is_err() {
    ///                 break; // the client went away
    ///             }
    ///         }
    ///     });
    ///     res
    /// }
    /// ```
    pub fn channel<T>(capacity: usize) -> (ChunkSender<T>, StreamingResponse)
    where
        T: IntoChunk + Send + 'static,
    {
        let (tx, rx) = chunk_channel(capacity);
        (tx, StreamingResponse::new(rx))
    }

    /// Sets the status (a `u16` or a [`StatusCode`](crate::StatusCode)).
    ///
    /// ```
    /// use httpserver::{IntoResponse, StreamingResponse};
    /// let res = StreamingResponse::new(futures_util::stream::iter(["partial"]))
    ///     .with_status(206)
    ///     .into_response();
    /// assert_eq!(res.status().as_u16(), 206);
    /// ```
    pub fn with_status(self, status: impl IntoStatusCode) -> Self {
        StreamingResponse {
            response: self.response.with_status(status),
        }
    }

    /// Sets a header, replacing any value it had. As with
    /// [`Response::with_header`], an invalid name or value makes the response a 500.
    ///
    /// ```
    /// use httpserver::{IntoResponse, StreamingResponse};
    /// let res = StreamingResponse::new(futures_util::stream::iter(["a,b\n"]))
    ///     .with_header("content-disposition", "attachment; filename=\"rows.csv\"")
    ///     .into_response();
    /// assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"rows.csv\"");
    /// ```
    pub fn with_header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        StreamingResponse {
            response: self.response.with_header(name, value),
        }
    }

    /// Sets `Content-Type`, replacing the default chosen from the item type.
    ///
    /// ```
    /// use httpserver::{IntoResponse, StreamingResponse};
    /// let rows = futures_util::stream::iter(["{\"n\":1}\n", "{\"n\":2}\n"]);
    /// let res = StreamingResponse::new(rows)
    ///     .with_content_type("application/x-ndjson")
    ///     .into_response();
    /// assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    /// ```
    pub fn with_content_type<V: TryInto<HeaderValue>>(self, content_type: V) -> Self {
        StreamingResponse {
            response: self.response.with_content_type(content_type),
        }
    }
}

impl IntoResponse for StreamingResponse {
    fn into_response(self) -> Response {
        self.response
    }
}

/// The sending half of [`StreamingResponse::channel`] and
/// [`Sse::channel`](crate::Sse::channel): each item sent becomes a chunk (or an event)
/// of the response. Clone it to send from several tasks; the response ends when the
/// last clone is dropped.
///
/// ```
/// use httpserver::StreamingResponse;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx, res) = StreamingResponse::channel::<String>(1);
/// assert!(tx.send("sent".to_string()).await.is_ok());
/// drop(res); // as when the client disconnects
/// assert!(tx.is_closed());
/// let err = tx.send("lost".to_string()).await.unwrap_err();
/// assert_eq!(err.into_inner(), "lost");
/// # });
/// ```
pub struct ChunkSender<T> {
    tx: mpsc::Sender<T>,
}

impl<T> ChunkSender<T> {
    /// Queues `item` for the client, waiting while `capacity` items are already queued.
    /// Fails, handing the item back, once the response is gone: the client disconnected,
    /// the server shut down, or the response was never sent (say, for a `HEAD` request).
    ///
    /// ```
    /// # use httpserver::StreamingResponse;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (tx, _res) = StreamingResponse::channel(4);
    /// tx.send("tick\n").await.expect("the client is still there");
    /// # });
    /// ```
    pub async fn send(&self, item: T) -> Result<(), StreamClosed<T>> {
        self.tx.send(item).await.map_err(|e| StreamClosed(e.0))
    }

    /// Whether the response is gone, so that sending would fail.
    ///
    /// ```
    /// # use httpserver::StreamingResponse;
    /// let (tx, res) = StreamingResponse::channel::<&'static str>(4);
    /// assert!(!tx.is_closed());
    /// drop(res);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Waits until the response is gone (the client disconnected): for a producer that
    /// waits on something else between sends, to stop at once instead of at its next send.
    ///
    /// ```
    /// # use httpserver::StreamingResponse;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let (tx, res) = StreamingResponse::channel::<String>(4);
    /// drop(res);
    /// tokio::select! {
    ///     _ = tx.closed() => {}                                         // the client left
    ///     _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => unreachable!(),
    /// }
    /// # });
    /// ```
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}

impl<T> Clone for ChunkSender<T> {
    fn clone(&self) -> Self {
        ChunkSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for ChunkSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The error of [`ChunkSender::send`]: the response is gone (the client disconnected),
/// so the item could not be sent. It carries the item back.
///
/// ```
/// use httpserver::{BoxError, StreamingResponse};
///
/// async fn produce(tx: httpserver::ChunkSender<String>) -> Result<(), BoxError> {
///     loop {
///         tx.send("more\n".to_string()).await?; // stops the producer once the client is gone
///     }
/// }
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx, res) = StreamingResponse::channel(1);
/// drop(res);
/// assert!(produce(tx).await.is_err());
/// # });
/// ```
pub struct StreamClosed<T>(pub T);

impl<T> StreamClosed<T> {
    /// The item that was not sent.
    ///
    /// ```
    /// let err = httpserver::StreamClosed("unsent");
    /// assert_eq!(err.into_inner(), "unsent");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for StreamClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamClosed(..)")
    }
}

impl<T> fmt::Display for StreamClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the response stream is closed: the client went away")
    }
}

impl<T> std::error::Error for StreamClosed<T> {}

/// A bounded channel whose receiving half is a [`Stream`], dropped with the response.
pub(crate) fn chunk_channel<T: Send + 'static>(
    capacity: usize,
) -> (ChunkSender<T>, impl Stream<Item = T> + Send + 'static) {
    let (tx, mut rx) = mpsc::channel(capacity.max(1));
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (ChunkSender { tx }, stream)
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// Holds an error back for one poll, so that the chunks before it are flushed to the
/// client before the error closes the connection (hyper flushes when the body is
/// pending, and drops what it has buffered when the body fails).
pub(crate) struct FlushBeforeError {
    chunks: ChunkStream,
    failed: Option<BoxError>,
    done: bool,
}

impl FlushBeforeError {
    pub(crate) fn new<S>(chunks: S) -> Self
    where
        S: Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
    {
        FlushBeforeError {
            chunks: Box::pin(chunks),
            failed: None,
            done: false,
        }
    }
}

impl Stream for FlushBeforeError {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(e) = self.failed.take() {
            self.done = true;
            return Poll::Ready(Some(Err(e)));
        }
        if self.done {
            return Poll::Ready(None);
        }
        match self.chunks.as_mut().poll_next(cx) {
            Poll::Ready(Some(Err(e))) => {
                self.failed = Some(e);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => other,
        }
    }
}
