//! Middleware: hooks that run after routing and before the handler and its body (and may
//! answer instead of the handler), and after every response, in the order they were
//! registered.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::error::catch_panic;

use crate::extract::FromRequest;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// A before-request hook, type-erased.
pub(crate) type BeforeHook =
    Arc<dyn Fn(Request) -> BoxFuture<'static, Option<Response>> + Send + Sync>;
/// An after-request hook, type-erased.
pub(crate) type AfterHook =
    Arc<dyn Fn(Request, Response) -> BoxFuture<'static, Response> + Send + Sync>;

/// A before-request hook: an async function of extractors, as a handler takes them
/// (`Request`, `Session`, `State<T>`, `Ext<T>`, your own `FromRequest` types; up to four),
/// answering `Some(response)` to stop the request there, or `None` to go on. An extractor
/// that fails answers with its error, as it would for a handler. A closure names its
/// arguments' types (`|req: Request| async move { .. }`): they are what says which
/// extractors to run.
pub trait BeforeHookFn<Args>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_hook(self) -> BeforeHook;
}

macro_rules! before_hook_fn {
    ($($arg:ident),+) => {
        impl<F, Fut, R, $($arg,)+> BeforeHookFn<($($arg,)+)> for F
        where
            F: Fn($($arg),+) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Option<R>> + Send + 'static,
            R: IntoResponse,
            $($arg: FromRequest + Send + 'static,)+
        {
            #[allow(non_snake_case)]
            fn into_hook(self) -> BeforeHook {
                let hook = Arc::new(self);
                Arc::new(move |req: Request| {
                    let hook = Arc::clone(&hook);
                    Box::pin(async move {
                        $(
                            let $arg = match <$arg as FromRequest>::from_request(&req).await {
                                Ok(value) => value,
                                Err(e) => return Some(e.into_response()),
                            };
                        )+
                        hook($($arg),+).await.map(IntoResponse::into_response)
                    })
                })
            }
        }
    };
}

before_hook_fn!(A1);
before_hook_fn!(A1, A2);
before_hook_fn!(A1, A2, A3);
before_hook_fn!(A1, A2, A3, A4);

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
