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
use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::sync::oneshot;

use crate::error::BoxError;

/// A byte stream a WebSocket runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

pub(crate) type BoxIo = Box<dyn Io>;

/// A connection that becomes the WebSocket's once the 101 answer has been sent.
pub(crate) enum Pending {
    Hyper(hyper::upgrade::OnUpgrade),
    /// The test client's end of a pipe, sent only if the app answers 101.
    Test(oneshot::Receiver<DuplexStream>),
}

impl Pending {
    pub(crate) async fn connect(self) -> Result<BoxIo, BoxError> {
        Ok(match self {
            Pending::Hyper(on_upgrade) => Box::new(TokioIo::new(on_upgrade.await?)),
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
