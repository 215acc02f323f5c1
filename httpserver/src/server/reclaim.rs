//! A connection's byte stream lent to hyper and given back when hyper lets it go.
//!
//! hyper must own the stream to hand it over on an HTTP upgrade (a WebSocket outlives
//! the HTTP connection), yet a connection that ends with part of a request unread still
//! needs its socket for a lingering close. The stream is moved into hyper inside a
//! [`Reclaim`], which sends it back through a channel when hyper drops it; an upgraded
//! connection keeps it for as long as the upgrade lives.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

pub(crate) struct Reclaim<T> {
    inner: Option<T>,
    back: Option<oneshot::Sender<T>>,
}

impl<T> Reclaim<T> {
    /// Lends `inner`; the receiver gets it back once the returned value is dropped.
    pub(crate) fn new(inner: T) -> (Self, oneshot::Receiver<T>) {
        let (back, returned) = oneshot::channel();
        let lent = Reclaim {
            inner: Some(inner),
            back: Some(back),
        };
        (lent, returned)
    }

    /// The stream lent, while it is.
    #[cfg(feature = "ws")]
    pub(crate) fn inner_mut(&mut self) -> Option<&mut T> {
        self.inner.as_mut()
    }

    fn get(&mut self) -> io::Result<&mut T> {
        // `inner` is only taken in `drop`, so this never fails while the value lives.
        self.inner
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl<T> Drop for Reclaim<T> {
    fn drop(&mut self) {
        if let (Some(inner), Some(back)) = (self.inner.take(), self.back.take()) {
            // Nobody waiting (an upgraded connection's task is gone): the stream closes here.
            let _ = back.send(inner);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Reclaim<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get() {
            Ok(inner) => Pin::new(inner).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Reclaim<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get() {
            Ok(inner) => Pin::new(inner).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get() {
            Ok(inner) => Pin::new(inner).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.as_ref().is_some_and(T::is_write_vectored)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get() {
            Ok(inner) => Pin::new(inner).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get() {
            Ok(inner) => Pin::new(inner).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn gives_the_stream_back_when_dropped() {
        let (a, mut b) = tokio::io::duplex(64);
        let (mut lent, returned) = Reclaim::new(a);
        lent.write_all(b"hi").await.unwrap();
        drop(lent);
        let mut a = returned.await.expect("stream given back");
        a.write_all(b"!").await.unwrap();
        let mut buf = [0u8; 3];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi!");
    }
}
