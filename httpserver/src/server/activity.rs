//! What a connection is doing, as the keep-alive timer needs to know it: whether a
//! request is being answered (its response body not yet sent in full), and how many
//! responses have been completed. hyper reads from the socket while a response streams
//! (to notice a client that leaves), so a read that waits says nothing about idleness.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::Notify;

use crate::error::BoxError;
use crate::response::Body;

#[derive(Default)]
pub(crate) struct Activity {
    in_flight: AtomicUsize,
    completed: AtomicUsize,
    /// A response closed the connection with the request body unread.
    closed_early: AtomicBool,
    /// The connection was handed over to another protocol (a WebSocket), which has
    /// idle times of its own: the keep-alive timer no longer applies.
    upgraded: AtomicBool,
    /// Woken when the connection's first request starts (a shutdown waits for it).
    first_started: Notify,
}

impl Activity {
    /// Marks a request as being answered until the returned guard is dropped.
    pub(crate) fn start(self: &Arc<Self>) -> InFlight {
        let before = self.in_flight.fetch_add(1, Ordering::Relaxed);
        // Once per connection: later requests cost nothing more.
        if before == 0 && self.completed.load(Ordering::Relaxed) == 0 {
            self.first_started.notify_one();
        }
        InFlight(Arc::clone(self))
    }

    /// Resolves once the first request of the connection has started (at once if it has).
    pub(crate) async fn first_request_started(&self) {
        if self.idle_after() == Some(0) {
            // notify_one keeps the wake-up for a start between the check and this wait.
            self.first_started.notified().await;
        }
    }

    /// The number of completed responses while nothing is in flight, else `None`.
    pub(crate) fn idle_after(&self) -> Option<usize> {
        (self.in_flight.load(Ordering::Relaxed) == 0)
            .then(|| self.completed.load(Ordering::Relaxed))
    }

    pub(crate) fn close_early(&self) {
        self.closed_early.store(true, Ordering::Relaxed);
    }

    pub(crate) fn closed_early(&self) -> bool {
        self.closed_early.load(Ordering::Relaxed)
    }

    pub(crate) fn upgrade(&self) {
        self.upgraded.store(true, Ordering::Relaxed);
    }

    pub(crate) fn upgraded(&self) -> bool {
        self.upgraded.load(Ordering::Relaxed)
    }
}

/// A request being answered; dropping it (when the response body has been sent, or the
/// response dropped) completes it.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.completed.fetch_add(1, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that completes its request when hyper drops it.
pub(crate) struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
    /// Over HTTP/2: tells the stream's task (through its `SEND_WATCH`) whether hyper holds
    /// a chunk of this body that the client's flow-control window keeps it from sending.
    watched: bool,
}

impl TrackedBody {
    pub(crate) fn new(body: Body, in_flight: InFlight, watched: bool) -> Self {
        TrackedBody {
            body,
            _in_flight: in_flight,
            watched,
        }
    }
}

/// Whether a response body waits for the client: hyper took a chunk and has not asked for
/// the next (it asks once the chunk is sent), and how many chunks it has asked for.
#[derive(Debug, Default)]
pub(crate) struct SendWatch {
    waiting: AtomicBool,
    asked: AtomicUsize,
}

impl SendWatch {
    /// The body's chunk count while it waits for the client, else `None`.
    #[cfg(feature = "http2")]
    pub(crate) fn waiting(&self) -> Option<usize> {
        self.waiting
            .load(Ordering::Relaxed)
            .then(|| self.asked.load(Ordering::Relaxed))
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if !this.watched {
            return Pin::new(&mut this.body).poll_frame(cx);
        }
        watch_send(|send| {
            send.asked.fetch_add(1, Ordering::Relaxed);
            send.waiting.store(false, Ordering::Relaxed);
        });
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(&frame, Poll::Ready(Some(Ok(frame))) if frame.data_ref().is_some_and(|d| !d.is_empty()))
        {
            watch_send(|send| send.waiting.store(true, Ordering::Relaxed));
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(feature = "http2")]
tokio::task_local! {
    /// The send watch of the HTTP/2 stream whose task is running: its response body,
    /// polled in that task, reports to it (see `http2::StreamExecutor`).
    pub(crate) static SEND_WATCH: SendWatch;
}

/// Reports to the running stream's send watch, if there is one.
fn watch_send(report: impl FnOnce(&SendWatch)) {
    #[cfg(feature = "http2")]
    let _ = SEND_WATCH.try_with(report);
    #[cfg(not(feature = "http2"))]
    let _ = report;
}
