//! The app as every front end calls it (the server, the tower service, the test client):
//! the layers added with `App::layer`, if any, over the request pipeline.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::Either;
use futures_util::FutureExt;

use crate::error::BoxError;
use crate::pipeline::core::AppCore;
use crate::pipeline::dispatch::{answer, BodyLeftUnread, Entry};
use crate::pipeline::layer::{ApplyLayer, Inner, RequestBody};
use crate::response::Body;

/// A frozen app and the layers around it.
#[derive(Clone)]
pub(crate) struct Stack {
    pub(crate) core: Arc<AppCore>,
    /// `None` when the app has no layers: requests go straight to the pipeline.
    layered: Option<Inner>,
}

/// Marks a request from a connection on its way through the layers (see [`Entry`]).
#[derive(Debug, Clone, Copy)]
struct FromConnection;

impl Stack {
    pub(crate) fn new(core: Arc<AppCore>, layers: &[ApplyLayer]) -> Self {
        let layered = (!layers.is_empty()).then(|| {
            let pipeline = Inner::new(Pipeline(Arc::clone(&core)));
            layers.iter().fold(pipeline, |inner, layer| layer(inner))
        });
        Stack { core, layered }
    }

    /// Answers `req` from `client_addr`.
    pub(crate) fn call<B>(
        &self,
        req: http::Request<B>,
        entry: Entry,
        client_addr: SocketAddr,
    ) -> impl Future<Output = http::Response<Body>> + Send + 'static
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        self.call_then(req, entry, client_addr, |response| response)
    }

    /// Answers `req` from `client_addr`, and hands the answer to `finish`.
    ///
    /// Plain functions that return futures, down to the pipeline's own: each `async fn`
    /// layer would keep its arguments (the request head among them) in the future a
    /// second time, and hyper moves that future for every request. The future owns what
    /// it needs of the stack, so that it can be handed on without an `async` block; and
    /// `finish` runs in the pipeline's own last step, where a map of the caller's around
    /// the future would be a move of it (a kilobyte and more) per request.
    pub(crate) fn call_then<B, R>(
        &self,
        mut req: http::Request<B>,
        entry: Entry,
        client_addr: SocketAddr,
        finish: impl FnOnce(http::Response<Body>) -> R + Send + 'static,
    ) -> impl Future<Output = R> + Send + 'static
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let Some(layered) = &self.layered else {
            let core = Arc::clone(&self.core);
            return Either::Left(through_pipeline(core, req, entry, client_addr, finish));
        };
        // Layers may want the peer (as axum's `ConnectInfo`); the pipeline reads it back.
        req.extensions_mut().insert(client_addr);
        if entry == Entry::Connection {
            req.extensions_mut().insert(FromConnection);
        }
        let layers = layered.clone().call_layers(req.map(RequestBody::new));
        Either::Right(layers.map(finish))
    }
}

/// The request pipeline as the innermost tower service.
#[derive(Clone)]
struct Pipeline(Arc<AppCore>);

impl tower_service::Service<http::Request<RequestBody>> for Pipeline {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: http::Request<RequestBody>) -> Self::Future {
        let core = Arc::clone(&self.0);
        let entry = match req.extensions_mut().remove::<FromConnection>() {
            Some(FromConnection) => Entry::Connection,
            None => Entry::Service,
        };
        let client_addr = client_addr_of(&req);
        Box::pin(through_pipeline(core, req, entry, client_addr, Ok))
    }
}

/// The client address a server put in the request's extensions, else `0.0.0.0:0`.
pub(crate) fn client_addr_of<B>(req: &http::Request<B>) -> SocketAddr {
    req.extensions()
        .get::<SocketAddr>()
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// One request through the pipeline. A pending protocol upgrade in the request's
/// extensions is handed to the handler's extractors (see `ws::upgrade`).
fn through_pipeline<B, R>(
    core: Arc<AppCore>,
    req: http::Request<B>,
    entry: Entry,
    client_addr: SocketAddr,
    finish: impl FnOnce(http::Response<Body>) -> R + Send + 'static,
) -> impl Future<Output = R> + Send + 'static
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    #[cfg_attr(not(feature = "ws"), allow(unused_mut))]
    let (mut head, body) = req.into_parts();
    #[cfg(feature = "ws")]
    let upgrade = crate::ws::upgrade::take(&mut head);
    // A map over the answer's future, not an `async` block awaiting it: the block would
    // hold that future twice (captured, and moved in to be awaited).
    let answer = answer(core, head, body, client_addr, entry);
    let answered = answer.map(move |(response, body_unread)| {
        let mut response = response.into_http();
        if body_unread {
            response.extensions_mut().insert(BodyLeftUnread);
        }
        finish(response)
    });
    #[cfg(feature = "ws")]
    return crate::ws::upgrade::offer(upgrade, answered);
    #[cfg(not(feature = "ws"))]
    answered
}
