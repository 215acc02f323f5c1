//! Server-Sent Events: [`Sse`] streams [`Event`]s as `text/event-stream`, framed per the
//! WHATWG HTML standard, with optional keep-alive comments.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Future, Stream, StreamExt};
use http::header::{HeaderValue, CACHE_CONTROL};
use tokio::time::{Instant, Sleep};

use super::stream::{chunk_channel, ChunkSender, FlushBeforeError};
use super::{Body, IntoResponse, Response};
use crate::error::BoxError;

/// One Server-Sent Event, built field by field and sent by [`Sse`].
///
/// Framing follows the WHATWG HTML standard, so a browser's `EventSource` receives
/// exactly what was set:
///
/// - [`data`](Self::data) is split into one `data:` line per line (`\n`, `\r\n` and `\r`
///   all count as line breaks); the browser joins them back with `\n`.
/// - [`event`](Self::event) and [`id`](Self::id) are single-line fields: CR and LF are
///   removed from them (so a value taken from user input cannot start a new field), and
///   NUL is removed from an id (a browser ignores an id containing one).
/// - [`comment`](Self::comment)s are split into `:` lines like data.
/// - The event ends with a blank line. An event with nothing set sends nothing.
///
/// Browsers deliver an event only if it has data; an event without data still updates
/// the last event id and the reconnection time.
///
/// ```
/// use std::time::Duration;
/// use httpserver::Event;
///
/// let event = Event::default()
///     .event("update")
///     .id("7")
///     .retry(Duration::from_secs(5))
///     .data("line one\nline two");
/// assert_eq!(
///     event.to_string(),
///     "event: update\nid: 7\nretry: 5000\ndata: line one\ndata: line two\n\n"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    comments: Vec<String>,
    event: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
    data: Option<String>,
}

impl Event {
    /// Sets the data (replacing any set before). Several lines become several `data:`
    /// lines; the browser's `event.data` is the text with its line breaks as `\n`.
    ///
    /// ```
    /// use httpserver::Event;
    /// let event = Event::default().data("a\r\nb");
    /// assert_eq!(event.to_string(), "data: a\ndata: b\n\n");
    /// ```
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to `value` as JSON (compact, so on one line).
    ///
    /// ```
    /// use httpserver::Event;
    /// use serde_json::json;
    /// let event = Event::default().json_data(&json!({"n": 1})).unwrap();
    /// assert_eq!(event.to_string(), "data: {\"n\":1}\n\n");
    /// ```
    pub fn json_data<T: serde::Serialize + ?Sized>(
        self,
        value: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(self.data(serde_json::to_string(value)?))
    }

    /// Sets the event type: the browser dispatches the event under this name
    /// (`source.addEventListener("update", ..)`) instead of `message`. CR and LF are
    /// removed.
    ///
    /// ```
    /// use httpserver::Event;
    /// let event = Event::default().event("update").data("x");
    /// assert_eq!(event.to_string(), "event: update\ndata: x\n\n");
    /// ```
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the event id: the browser keeps it as `lastEventId` and sends it back in a
    /// `Last-Event-ID` header when it reconnects. CR, LF and NUL are removed.
    ///
    /// ```
    /// use httpserver::Event;
    /// let event = Event::default().id("42").data("x");
    /// assert_eq!(event.to_string(), "id: 42\ndata: x\n\n");
    /// ```
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets how long the browser waits before reconnecting after the connection drops,
    /// sent in whole milliseconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use httpserver::Event;
    /// let event = Event::default().retry(Duration::from_millis(1500));
    /// assert_eq!(event.to_string(), "retry: 1500\n\n");
    /// ```
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a comment: a `:` line the browser ignores (useful for debugging, or to keep
    /// a connection busy). May be called several times; a comment of several lines
    /// becomes several `:` lines. `Event::default().comment("..")` alone is a
    /// comment-only message.
    ///
    /// ```
    /// use httpserver::Event;
    /// let event = Event::default().comment("hello").data("x");
    /// assert_eq!(event.to_string(), ": hello\ndata: x\n\n");
    /// ```
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comments.push(comment.into());
        self
    }

    /// The event as sent: its fields, then a blank line (nothing for an empty event).
    fn encode(&self) -> String {
        let mut out = String::new();
        for comment in &self.comments {
            for line in lines(comment) {
                field(&mut out, "", line);
            }
        }
        if let Some(event) = &self.event {
            let event: String = event
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect();
            field(&mut out, "event", &event);
        }
        if let Some(id) = &self.id {
            let id: String = id
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
                .collect();
            field(&mut out, "id", &id);
        }
        if let Some(retry) = self.retry {
            field(&mut out, "retry", &retry.as_millis().to_string());
        }
        if let Some(data) = &self.data {
            for line in lines(data) {
                field(&mut out, "data", line);
            }
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }
}

/// The wire form of the event, as [`Sse`] sends it.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// `name: value` (`name:` when the value is empty, so no trailing space is sent).
fn field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push(':');
    if !value.is_empty() {
        out.push(' ');
        out.push_str(value);
    }
    out.push('\n');
}

/// The lines of `text`, split at `\r\n`, `\r` or `\n`; a trailing break gives a last,
/// empty line (so `"a\n"` round-trips through `EventSource` as `"a\n"`).
fn lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\r', '\n']) {
        lines.push(&rest[..i]);
        let width = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + width..];
    }
    lines.push(rest);
    lines
}

/// An item an [`Sse`] stream can yield: an [`Event`], or a `Result` of one whose error
/// converts into a [`BoxError`]. An `Err` ends the response (the connection is closed,
/// and the browser's `EventSource` reconnects).
///
/// ```
/// use httpserver::{Event, IntoEvent};
/// assert!(Event::default().data("x").into_event().is_ok());
/// let failed: Result<Event, std::io::Error> = Err(std::io::ErrorKind::Other.into());
/// assert!(failed.into_event().is_err());
/// ```
pub trait IntoEvent {
    /// The event, or the error that ends the response.
    fn into_event(self) -> Result<Event, BoxError>;
}

impl IntoEvent for Event {
    fn into_event(self) -> Result<Event, BoxError> {
        Ok(self)
    }
}

impl<T: IntoEvent, E: Into<BoxError>> IntoEvent for Result<T, E> {
    fn into_event(self) -> Result<Event, BoxError> {
        self.map_err(Into::into).and_then(IntoEvent::into_event)
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// A Server-Sent Events response: each [`Event`] of a stream is sent to the client as it
/// comes, for a browser's `EventSource` to receive.
///
/// The response carries `Content-Type: text/event-stream`, `Cache-Control: no-cache`
/// and `X-Accel-Buffering: no` (so nginx passes events on at once instead of buffering
/// them). It ends when the stream ends; an `Err` item ends it early (the connection is
/// closed). A client that disconnects drops the stream.
///
/// Proxies and load balancers often close connections idle for a minute or so: call
/// [`keep_alive`](Self::keep_alive) to send a comment when no event was sent for a while.
///
/// ```
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use httpserver::{get, Event, Sse};
///
/// #[get("/ticks")]
/// async fn ticks() -> Sse {
///     let events = futures_util::stream::iter(1..=3)
///         .map(|n| Event::default().event("tick").id(n.to_string()).data(n.to_string()));
///     Sse::new(events).keep_alive(Duration::from_secs(15))
/// }
/// ```
pub struct Sse {
    events: ChunkStream,
    keep_alive: Option<Duration>,
}

impl Sse {
    /// Streams `events`: items that are [`Event`]s, or `Result`s of them.
    ///
    /// ```
    /// use httpserver::{Event, IntoResponse, Sse};
    /// let events = futures_util::stream::iter([Event::default().data("hello")]);
    /// let res = Sse::new(events).into_response();
    /// assert_eq!(res.headers()["content-type"], "text/event-stream");
    /// assert_eq!(res.headers()["cache-control"], "no-cache");
    /// ```
    pub fn new<S>(events: S) -> Self
    where
        S: Stream + Send + 'static,
        S::Item: IntoEvent,
    {
        let chunks = events.filter_map(|item| {
            std::future::ready(match item.into_event() {
                Ok(event) => {
                    let text = event.encode();
                    (!text.is_empty()).then(|| Ok(Bytes::from(text)))
                }
                Err(e) => Some(Err(e)),
            })
        });
        Sse {
            events: Box::pin(FlushBeforeError::new(chunks)),
            keep_alive: None,
        }
    }

    /// Events fed from elsewhere: what is sent on the [`ChunkSender`] (by a spawned
    /// task, say) goes to the client in order. At most `capacity` events wait unsent (at
    /// least 1); then [`ChunkSender::send`] waits. The response ends when every sender is
    /// dropped; once the client is gone, `send` fails, so the producer knows to stop.
    ///
    /// ```
    /// use std::time::Duration;
    /// use httpserver::{get, Event, Sse};
    ///
    /// #[get("/clock")]
    /// async fn clock() -> Sse {
    ///     let (tx, sse) = Sse::channel(16);
    ///     tokio::spawn(async move {
    ///         let mut tick = tokio::time::interval(Duration::from_secs(1));
    ///         for n in 0u64.. {
    ///             tick.tick().await;
    ///             let event = Event::default().event("tick").data(n.to_string());
    ///             if tx.send(event).await.is_err() {
    ///                 break; // the client went away
    ///             }
    ///         }
    ///     });
    ///     sse.keep_alive(Duration::from_secs(15))
    /// }
    /// ```
    pub fn channel<T>(capacity: usize) -> (ChunkSender<T>, Sse)
    where
        T: IntoEvent + Send + 'static,
    {
        let (tx, rx) = chunk_channel(capacity);
        (tx, Sse::new(rx))
    }

    /// Sends a comment line (`: keep-alive`) whenever no event was sent for `interval`,
    /// so proxies do not close an idle connection. It stops with the event stream: the
    /// response still ends when the events end.
    ///
    /// ```
    /// use std::time::Duration;
    /// use httpserver::{Event, Sse};
    /// let sse = Sse::new(futures_util::stream::pending::<Event>())
    ///     .keep_alive(Duration::from_secs(15));
    /// ```
    pub fn keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = Some(interval);
        self
    }
}

impl fmt::Debug for Sse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl IntoResponse for Sse {
    fn into_response(self) -> Response {
        let body = match self.keep_alive {
            Some(every) if !every.is_zero() => Body::from_stream(KeepAlive {
                events: self.events,
                every,
                timer: None,
            }),
            _ => Body::from_stream(self.events),
        };
        // Browsers reconnect to an event stream, so at shutdown it ends cleanly at once
        // instead of holding the graceful shutdown for its whole grace period.
        let mut res = Response::with_type(body.ending_on_shutdown(), "text/event-stream");
        let headers = res.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        res
    }
}

/// What a keep-alive sends: a comment line, then the blank line that ends a message.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Events, with a keep-alive comment whenever none came for `every`; ends with them.
struct KeepAlive {
    events: ChunkStream,
    every: Duration,
    /// Made on the first wait (inside the runtime), then reset after each chunk.
    timer: Option<Pin<Box<Sleep>>>,
}

impl Stream for KeepAlive {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Poll::Ready(item) = this.events.as_mut().poll_next(cx) {
            if let Some(timer) = &mut this.timer {
                timer.as_mut().reset(Instant::now() + this.every);
            }
            return Poll::Ready(item);
        }
        let every = this.every;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                timer.as_mut().reset(Instant::now() + every);
                Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
