//! The connection a WebSocket handshake takes over, from the request that carries it to
//! the extractor that claims it.
//!
//! hyper puts an `OnUpgrade` in the request's extensions, and the test client a duplex
//! pipe; layers pass extensions on untouched. The request pipeline builds its `Request`
//! from the head alone, so the pending upgrade is offered to the extractors of that one
//! request through a task-local slot around its answer: only code running for that
//! request can claim it, and an unclaimed one is dropped with the answer.

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::sync::oneshot;

use crate::error::BoxError;

/// A byte stream a WebSocket runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

pub(crate) type BoxIo = Box<dyn Io>;

/// Takes the server's own byte stream back out of hyper's `Upgraded`, or gives it back
/// when the stream is not one the server made (an HTTP/2 stream, another server's).
pub(crate) type OwnStream = fn(hyper::upgrade::Upgraded) -> Result<BoxIo, hyper::upgrade::Upgraded>;

/// Registered by the server when it starts: this module cannot name the server's stream
/// types, and the server's function is the same for every app of the process. A socket
/// over its own stream skips, on every read and write, hyper's boxed stream, its rewind
/// buffer and the two adapters between tokio's and hyper's I/O traits.
static OWN_STREAM: OnceLock<OwnStream> = OnceLock::new();

/// Registers how to take the server's own stream back (the first call wins: there is
/// only one server implementation).
pub(crate) fn register_own_stream(own: OwnStream) {
    let _ = OWN_STREAM.set(own);
}

/// The upgraded connection as the socket's byte stream.
fn socket_stream(upgraded: hyper::upgrade::Upgraded) -> BoxIo {
    let upgraded = match OWN_STREAM.get() {
        Some(own) => match own(upgraded) {
            Ok(stream) => return stream,
            Err(upgraded) => upgraded,
        },
        None => upgraded,
    };
    Box::new(TokioIo::new(upgraded))
}

/// A connection that becomes the WebSocket's once the 101 answer has been sent.
pub(crate) enum Pending {
    Hyper(hyper::upgrade::OnUpgrade),
    /// The test client's end of a pipe, sent only if the app answers 101.
    Test(oneshot::Receiver<DuplexStream>),
}

impl Pending {
    pub(crate) async fn connect(self) -> Result<BoxIo, BoxError> {
        Ok(match self {
            Pending::Hyper(on_upgrade) => socket_stream(on_upgrade.await?),
            Pending::Test(pipe) => Box::new(pipe.await?),
        })
    }
}

/// The test client's pending upgrade, as a request extension (which must be `Clone`).
#[derive(Clone)]
pub(crate) struct TestUpgrade(Arc<Mutex<Option<oneshot::Receiver<DuplexStream>>>>);

/// A pending upgrade for the test client's request, and the sender of its pipe.
pub(crate) fn test_upgrade() -> (TestUpgrade, oneshot::Sender<DuplexStream>) {
    let (tx, rx) = oneshot::channel();
    (TestUpgrade(Arc::new(Mutex::new(Some(rx)))), tx)
}

tokio::task_local! {
    static OFFERED: RefCell<Option<Pending>>;
}

/// Takes the pending upgrade out of a request that asks for one.
pub(crate) fn take(head: &mut http::request::Parts) -> Option<Pending> {
    if !head.headers.contains_key(http::header::UPGRADE) {
        return None;
    }
    if let Some(TestUpgrade(pipe)) = head.extensions.remove::<TestUpgrade>() {
        let pipe = pipe.lock().unwrap_or_else(|p| p.into_inner()).take();
        return pipe.map(Pending::Test);
    }
    head.extensions
        .remove::<hyper::upgrade::OnUpgrade>()
        .map(Pending::Hyper)
}

/// Runs `answer` with `pending` available to [`claim`]. Not an `async fn`, which would
/// hold `answer` twice in its state (as passed and as awaited).
pub(crate) fn offer<F: Future>(
    pending: Option<Pending>,
    answer: F,
) -> impl Future<Output = F::Output> {
    match pending {
        None => futures_util::future::Either::Left(answer),
        Some(pending) => {
            futures_util::future::Either::Right(OFFERED.scope(RefCell::new(Some(pending)), answer))
        }
    }
}

/// The pending upgrade of the request being answered, once.
pub(crate) fn claim() -> Option<Pending> {
    OFFERED
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
}
