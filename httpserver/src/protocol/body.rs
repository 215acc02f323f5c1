//! A body of any type, boxed, its chunks as `Bytes`: how a request body waits, unread,
//! whichever server, tower service or test client it came from.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;

use crate::error::BoxError;

/// A body not read yet, whatever type the server, the tower service or the test client
/// gave it.
pub(crate) type PendingBody = UnsyncBoxBody<Bytes, BoxError>;

pub(crate) fn pending<B>(body: B) -> PendingBody
where
    B: HttpBody + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    boxed_bytes(body)
}

/// Any body, boxed, its chunks as `Bytes` (no copy when they already are) and its size
/// hint kept (http-body-util's `map_frame` drops it, and limits read it).
pub(crate) fn boxed_bytes<B>(body: B) -> UnsyncBoxBody<Bytes, BoxError>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    BytesBody { body }.boxed_unsync()
}

pin_project_lite::pin_project! {
    struct BytesBody<B> {
        #[pin]
        body: B,
    }
}

impl<B> http_body::Body for BytesBody<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.project().body.poll_frame(cx).map(|frame| {
            frame.map(|frame| {
                frame
                    .map(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining())))
                    .map_err(Into::into)
            })
        })
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
