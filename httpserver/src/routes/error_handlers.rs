//! Error handlers: turning a failed response into the one the app wants to send, by the
//! error's type first, then by status, then the catch-all, else the default plain-text
//! body.

use std::any::TypeId;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::ALLOW;
use http::StatusCode;

use crate::error::{catch_panic, BoxError, Error, Failure, HttpError};
use crate::request::Request;
use crate::response::default_500;
use crate::response::{IntoResponse, Response};

type ByStatus = Arc<dyn Fn(Request, HttpError) -> BoxFuture<'static, Response> + Send + Sync>;
/// Gets the error back (by value) when it is of the handler's type.
type ByType =
    Arc<dyn Fn(Request, BoxError) -> Result<BoxFuture<'static, Response>, BoxError> + Send + Sync>;

type Any = Arc<dyn Fn(Request, Error) -> BoxFuture<'static, Response> + Send + Sync>;

/// The registered error handlers.
#[derive(Clone, Default)]
pub(crate) struct ErrorHandlers {
    by_status: HashMap<StatusCode, ByStatus>,
    /// Tried in registration order; one per error type (a later one replaces it).
    by_type: Vec<(TypeId, ByType)>,
    /// Every failure no other handler took.
    any: Option<Any>,
}

impl ErrorHandlers {
    pub(crate) fn add_for_status<F, Fut, R>(&mut self, status: StatusCode, handler: F)
    where
        F: Fn(Request, HttpError) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        let erased: ByStatus = Arc::new(move |req, err| {
            let fut = handler(req, err);
            Box::pin(async move { fut.await.into_response() })
        });
        self.by_status.insert(status, erased);
    }

    pub(crate) fn add_for_type<E, F, Fut, R>(&mut self, handler: F)
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(Request, E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        let erased: ByType = Arc::new(move |req, err: BoxError| {
            let err = err.downcast::<E>()?;
            let fut = handler(req, *err);
            Ok(Box::pin(async move { fut.await.into_response() }) as BoxFuture<'static, Response>)
        });
        let type_id = TypeId::of::<E>();
        self.by_type.retain(|(id, _)| *id != type_id);
        self.by_type.push((type_id, erased));
    }

    pub(crate) fn set_any<F, Fut, R>(&mut self, handler: F)
    where
        F: Fn(Request, Error) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.any = Some(Arc::new(move |req, err| {
            let fut = handler(req, err);
            Box::pin(async move { fut.await.into_response() })
        }));
    }

    /// The response for `res`: itself when it did not fail, else what the matching error
    /// handler makes of it, used as it is whatever its status (an `HttpError` it returns
    /// is that error's response). A handler that fails in turn (another error, a panic)
    /// gets the default 500, never another round of error handling.
    pub(crate) async fn settle(&self, req: &Request, mut res: Response) -> Response {
        let Some(failure) = res.take_failure() else {
            return res;
        };
        let allow = res.headers().get(ALLOW).cloned();
        let Some(handled) = self.dispatch(req, failure) else {
            return res;
        };
        let mut out = match catch_panic(handled).await {
            Ok(out) if matches!(out.failure(), None | Some(Failure::Http(_))) => {
                let mut out = out;
                out.take_failure();
                out
            }
            Ok(out) => {
                tracing::error!(failure = ?out.failure(), "an error handler failed");
                return default_500();
            }
            Err(panic) => {
                tracing::error!(panic = %panic, "an error handler panicked");
                return default_500();
            }
        };
        // A 405 stays a valid 405 whatever body the handler chose.
        if let Some(allow) = allow {
            out.headers_mut().entry(ALLOW).or_insert(allow);
        }
        out
    }

    /// The handler future for `failure`, or `None` when no handler takes it: the one for
    /// the error's type, else the one for its status, else the catch-all.
    fn dispatch(&self, req: &Request, failure: Failure) -> Option<BoxFuture<'static, Response>> {
        let status = failure.status();
        let failure = match failure {
            Failure::Http(e) => match self.by_error_type(req, Box::new(e)) {
                Ok(fut) => return Some(fut),
                Err(back) => Failure::from_boxed(back),
            },
            Failure::Other(e) => match self.by_error_type(req, e) {
                Ok(fut) => return Some(fut),
                Err(back) => Failure::Other(back),
            },
            panic @ Failure::Panic(_) => panic,
        };
        if let Some(handler) = self.by_status.get(&status) {
            let as_http = match failure {
                Failure::Http(e) => e,
                _ => HttpError::new(status, "Internal Server Error"),
            };
            return Some(handler(req.clone(), as_http));
        }
        let any = self.any.as_ref()?;
        Some(any(req.clone(), failure.into_error()))
    }

    /// The handler registered for the error's own type, or the error back.
    fn by_error_type(
        &self,
        req: &Request,
        mut err: BoxError,
    ) -> Result<BoxFuture<'static, Response>, BoxError> {
        for (_, handler) in &self.by_type {
            match handler(req.clone(), err) {
                Ok(fut) => return Ok(fut),
                Err(back) => err = back,
            }
        }
        Err(err)
    }
}
