//! The app as a `tower::Service`, so other hyper servers, axum routers and tower-http
//! layers can run it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::BoxError;
use crate::pipeline::dispatch::Entry;
use crate::pipeline::stack::{client_addr_of, Stack};
use crate::response::Body;

/// An [`App`](crate::App) as a [`tower_service::Service`] over `http::Request<B>` for any
/// body type `B`: the same pipeline as the built-in server (limits, hooks, routing,
/// error handlers, and the layers of [`App::layer`](crate::App::layer)). Made by [`App::into_service`](crate::App::into_service); cheap to clone.
///
/// The client address is taken from a `SocketAddr` in the request's extensions, if the
/// server put one there; otherwise it reads as `0.0.0.0:0`.
///
/// ```
/// use httpserver::{collect_routes, get, App};
/// use tower_service::Service;
///
/// #[get("/hi")]
/// async fn hi() -> &'static str { "hi" }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut service = App::new().routes(collect_routes![hi]).into_service().unwrap();
/// let req = http::Request::get("/hi").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// let res = service.call(req).await.unwrap();
/// assert_eq!(res.status(), 200);
/// # });
/// ```
#[derive(Clone)]
pub struct AppService {
    stack: Stack,
}

impl AppService {
    pub(crate) fn new(stack: Stack) -> Self {
        AppService { stack }
    }
}

impl<B> tower_service::Service<http::Request<B>> for AppService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let stack = self.stack.clone();
        Box::pin(async move {
            let client_addr = client_addr_of(&req);
            Ok(stack.call(req, Entry::Service, client_addr).await)
        })
    }
}
