//! The body of a response: nothing, bytes in memory, or a stream of chunks.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use std::future::Future;

use futures_util::{Stream, StreamExt};
use http_body::{Frame, SizeHint};

use crate::error::BoxError;
use http_body_util::combinators::UnsyncBoxBody;

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// What a body's `poll_frame` returns.
type FramePoll = Poll<Option<Result<Frame<Bytes>, BoxError>>>;

/// A response body. Built from `String`, `&'static str`, `Vec<u8>`, [`Bytes`],
/// `&'static [u8]` or `()`; streams come from [`crate::StreamingResponse`].
///
/// ```
/// use httpserver::Body;
/// let body: Body = "hello".into();
/// assert_eq!(body.as_bytes().unwrap(), "hello".as_bytes());
/// ```
pub struct Body {
    kind: Kind,
    /// Whether a stream should end (cleanly) as soon as the app starts shutting down,
    /// rather than be cut at the end of the grace period: true for event streams, whose
    /// clients reconnect, false for downloads, which must not look complete when cut.
    ends_on_shutdown: bool,
}

enum Kind {
    Empty,
    Full(Bytes),
    Stream(ChunkStream),
    /// What a tower layer answered (a compressed body, say).
    Layered(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// A body with no bytes.
    pub fn empty() -> Self {
        Body {
            kind: Kind::Empty,
            ends_on_shutdown: false,
        }
    }

    /// A body sent chunk by chunk as `stream` yields; an `Err` item ends the response.
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
    {
        Body {
            kind: Kind::Stream(Box::pin(stream)),
            ends_on_shutdown: false,
        }
    }

    /// Any `http_body::Body`, as a layer answers it; a `Body` stays as it is.
    pub(crate) fn from_http_body<B>(body: B) -> Self
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        // Layers that leave the body alone (CORS, request ids, timeouts) hand back our own
        // type: no second box around it.
        let mut slot = Some(body);
        if let Some(own) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Body>>() {
            if let Some(own) = own.take() {
                return own;
            }
        }
        match slot {
            Some(body) => Body {
                kind: Kind::Layered(crate::protocol::body::boxed_bytes(body)),
                ends_on_shutdown: false,
            },
            None => Body::empty(),
        }
    }

    /// Marks a stream to end as soon as the app starts shutting down (see `Body`'s
    /// `ends_on_shutdown`).
    pub(crate) fn ending_on_shutdown(mut self) -> Self {
        self.ends_on_shutdown = matches!(self.kind, Kind::Stream(_));
        self
    }

    pub(crate) fn ends_on_shutdown(&self) -> bool {
        self.ends_on_shutdown
    }

    /// Ends a stream marked [`ending_on_shutdown`](Self::ending_on_shutdown) when
    /// `shutdown` resolves: the chunks sent so far, then a proper end of the body.
    pub(crate) fn end_on(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        match self.kind {
            Kind::Stream(stream) if self.ends_on_shutdown => Body {
                kind: Kind::Stream(Box::pin(stream.take_until(shutdown))),
                ends_on_shutdown: false,
            },
            kind => Body { kind, ..self },
        }
    }

    /// The bytes of a body held in memory; `None` for a stream.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Empty => Some(&[]),
            Kind::Full(b) => Some(b),
            Kind::Stream(_) | Kind::Layered(_) => None,
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body::Empty"),
            Kind::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Kind::Stream(_) => f.write_str("Body::Stream"),
            Kind::Layered(_) => f.write_str("Body::Layered"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            Body::empty()
        } else {
            Body {
                kind: Kind::Full(bytes),
                ends_on_shutdown: false,
            }
        }
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(v: &'static [u8]) -> Self {
        Bytes::from_static(v).into()
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}

/// Polls a response stream; a panic inside the producer becomes its message, so that it
/// cuts this response (as an error item does) instead of the connection's task.
fn poll_catching_panics(
    stream: &mut ChunkStream,
    cx: &mut Context<'_>,
) -> Result<FramePoll, String> {
    let poll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stream.as_mut().poll_next(cx)
    }))
    .map_err(|payload| crate::error::panic_message(payload.as_ref()))?;
    Ok(match poll {
        Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
        Poll::Ready(Some(Err(e))) => {
            tracing::error!(error = %e, "response stream failed; ending the response");
            Poll::Ready(Some(Err(e)))
        }
        Poll::Ready(None) => Poll::Ready(None),
        Poll::Pending => Poll::Pending,
    })
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(_) => match std::mem::replace(&mut self.kind, Kind::Empty) {
                Kind::Full(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                _ => Poll::Ready(None),
            },
            Kind::Stream(stream) => match poll_catching_panics(stream, cx) {
                Err(panic) => {
                    tracing::error!(panic = %panic, "response stream panicked; ending the response");
                    // Dropped at once: a panicked stream is never polled again.
                    self.kind = Kind::Empty;
                    Poll::Ready(Some(Err(panic.into())))
                }
                Ok(poll) => poll,
            },
            Kind::Layered(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Layered(body) => body.is_end_stream(),
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(b) => SizeHint::with_exact(b.len() as u64),
            Kind::Stream(_) => SizeHint::default(),
            Kind::Layered(body) => body.size_hint(),
        }
    }
}
