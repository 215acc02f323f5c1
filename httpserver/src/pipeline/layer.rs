//! Tower layers over the whole app ([`App::layer`](crate::App::layer)): the types a
//! layer's service sees, and how layers are stacked.
//!
//! A layer wraps everything the app answers (routes, hooks, error handlers, static
//! files), for the built-in server, [`App::into_service`](crate::App::into_service) and
//! the test client alike. An app without layers calls its pipeline directly: no boxing,
//! no cloning of services per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt;

use crate::error::BoxError;
use crate::protocol::body::boxed_bytes;
use crate::response::Body;

/// The body of a request as the layers of [`App::layer`](crate::App::layer) see it,
/// whichever way the request came in (the server, a tower server, the test client).
///
/// ```
/// use http_body::Body as _;
/// let body = httpserver::layer::RequestBody::new(http_body_util::Full::new(bytes::Bytes::from("hi")));
/// assert_eq!(body.size_hint().exact(), Some(2));
/// ```
pub struct RequestBody(UnsyncBoxBody<Bytes, BoxError>);

impl RequestBody {
    /// Wraps any body whose chunks are bytes.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        RequestBody(boxed_bytes(body))
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestBody")
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

/// The service a layer of [`App::layer`](crate::App::layer) wraps: the app, under the
/// layers added before. It takes `http::Request<RequestBody>` and answers
/// `http::Response<httpserver::Body>`; an error of a layer becomes a 500 at the top.
///
/// ```
/// use httpserver::layer::Inner;
/// use tower::Layer;
///
/// // A layer written for the app: any `Layer<Inner>` whose service answers HTTP responses.
/// #[derive(Clone)]
/// struct Nothing;
/// impl Layer<Inner> for Nothing {
///     type Service = Inner;
///     fn layer(&self, inner: Inner) -> Inner { inner }
/// }
/// let app = httpserver::App::new().layer(Nothing);
/// ```
#[derive(Clone)]
pub struct Inner(BoxCloneSyncService<http::Request<RequestBody>, http::Response<Body>, BoxError>);

impl Inner {
    pub(crate) fn new<S>(service: S) -> Self
    where
        S: tower_service::Service<http::Request<RequestBody>, Response = http::Response<Body>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
    {
        Inner(BoxCloneSyncService::new(service.map_err(Into::into)))
    }

    /// One request through the layers, down to the pipeline and back.
    pub(crate) async fn call_layers(self, req: http::Request<RequestBody>) -> http::Response<Body> {
        match self.oneshot(req).await {
            Ok(res) => res,
            Err(e) => {
                tracing::error!(error = %e, "a layer failed; answering 500");
                crate::response::Response::internal_error("a tower layer failed").into_http()
            }
        }
    }
}

impl tower_service::Service<http::Request<RequestBody>> for Inner {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<RequestBody>) -> Self::Future {
        self.0.call(req)
    }
}

/// One layer, stored until the app is frozen for serving.
pub(crate) type ApplyLayer = Arc<dyn Fn(Inner) -> Inner + Send + Sync>;

/// Type-erases `layer`: its service's responses become [`Body`] responses.
pub(crate) fn erase<L, ResBody>(layer: L) -> ApplyLayer
where
    L: tower::Layer<Inner> + Send + Sync + 'static,
    L::Service: tower_service::Service<http::Request<RequestBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    <L::Service as tower_service::Service<http::Request<RequestBody>>>::Future: Send + 'static,
    <L::Service as tower_service::Service<http::Request<RequestBody>>>::Error: Into<BoxError>,
    ResBody: http_body::Body + Send + 'static,
    ResBody::Data: Send,
    ResBody::Error: Into<BoxError>,
{
    Arc::new(move |inner: Inner| {
        let service = layer
            .layer(inner)
            .map_response(|res: http::Response<ResBody>| res.map(Body::from_http_body));
        Inner::new(service)
    })
}
