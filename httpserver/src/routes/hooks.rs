//! Middleware: hooks that run after routing and before the handler and its body (and may
//! answer instead of the handler), and after every response, in the order they were
//! registered.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::error::catch_panic;

use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// A before-request hook, type-erased.
pub(crate) type BeforeHook =
    Arc<dyn Fn(Request) -> BoxFuture<'static, Option<Response>> + Send + Sync>;
/// An after-request hook, type-erased.
pub(crate) type AfterHook =
    Arc<dyn Fn(Request, Response) -> BoxFuture<'static, Response> + Send + Sync>;

pub(crate) fn before<F, Fut, R>(hook: F) -> BeforeHook
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<R>> + Send + 'static,
    R: IntoResponse,
{
    Arc::new(move |req| {
        let fut = hook(req);
        Box::pin(async move { fut.await.map(IntoResponse::into_response) })
    })
}

pub(crate) fn after<F, Fut, R>(hook: F) -> AfterHook
where
    F: Fn(Request, Response) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    Arc::new(move |req, res| {
        let fut = hook(req, res);
        Box::pin(async move { fut.await.into_response() })
    })
}

/// Runs the before hooks in order; the first that answers short-circuits the rest and
/// the handler. A hook that panics answers with the default 500.
pub(crate) async fn run_before(hooks: &[BeforeHook], req: &Request) -> Option<Response> {
    for hook in hooks {
        match catch_panic(hook(req.clone())).await {
            Ok(None) => continue,
            Ok(Some(res)) => return Some(res),
            Err(panic) => {
                tracing::error!(panic = %panic, "a before_request hook panicked");
                return Some(crate::response::default_500());
            }
        }
    }
    None
}

/// Runs the after hooks in order, each on the previous one's response. A hook that
/// panics or returns an error replaces the response with the default 500 and stops.
pub(crate) async fn run_after(hooks: &[AfterHook], req: &Request, mut res: Response) -> Response {
    for hook in hooks {
        res = match catch_panic(hook(req.clone(), res)).await {
            Ok(next) if next.failure().is_none() => next,
            Ok(next) => {
                tracing::error!(failure = ?next.failure(), "an after_request hook failed");
                return crate::response::default_500();
            }
            Err(panic) => {
                tracing::error!(panic = %panic, "an after_request hook panicked");
                return crate::response::default_500();
            }
        };
    }
    res
}

/// The hooks of one group, shared by its routes.
#[derive(Default)]
pub(crate) struct GroupHooks {
    pub(crate) before: Vec<BeforeHook>,
    pub(crate) after: Vec<AfterHook>,
}
