//! HTTP errors as values: [`HttpError`], [`abort`], and what a response carries when a
//! handler failed, so that error handlers can see the cause.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// Any error a handler may return: boxed so errors of every type travel the same road.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An HTTP outcome other than success: a status and a short message for the client.
///
/// Returned from handlers (`Err(HttpError::new(403, "not yours"))`) and produced by the
/// framework (404, 405, 413, a bad JSON body's 400). Its message is the response body.
///
/// ```
/// use httpserver::HttpError;
/// let err = HttpError::new(403, "not yours");
/// assert_eq!(err.status().as_u16(), 403);
/// assert_eq!(err.message(), "not yours");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: StatusCode,
    message: Cow<'static, str>,
}

impl HttpError {
    /// An error with `status` (a `u16` or a [`StatusCode`]) and a message for the client.
    /// A number that is not a valid status becomes 500.
    pub fn new(status: impl IntoStatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        HttpError {
            status: status.into_status_code(),
            message: message.into(),
        }
    }

    /// The status sent to the client.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message sent to the client as the body.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for HttpError {}

/// An [`HttpError`] with the status's standard reason as its message, for
/// `return Err(abort(404))`.
///
/// ```
/// use httpserver::{abort, HttpError};
/// fn find(id: u32) -> Result<String, HttpError> {
///     if id != 1 {
///         return Err(abort(404));
///     }
///     Ok("found".into())
/// }
/// assert_eq!(find(2).unwrap_err().message(), "Not Found");
/// ```
pub fn abort(status: impl IntoStatusCode) -> HttpError {
    let status = status.into_status_code();
    HttpError::new(status, status.canonical_reason().unwrap_or("Error"))
}

/// Something that names an HTTP status: `u16`, `i32` (so that a bare literal like `201`
/// works) or [`StatusCode`]. Numbers outside 100..=999 become 500.
///
/// ```
/// use httpserver::IntoStatusCode;
/// assert_eq!(201.into_status_code().as_u16(), 201);
/// assert_eq!(5000.into_status_code().as_u16(), 500);
/// ```
pub trait IntoStatusCode {
    /// The status this value names.
    fn into_status_code(self) -> StatusCode;
}

impl IntoStatusCode for StatusCode {
    fn into_status_code(self) -> StatusCode {
        self
    }
}

impl IntoStatusCode for u16 {
    fn into_status_code(self) -> StatusCode {
        StatusCode::from_u16(self).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoStatusCode for i32 {
    fn into_status_code(self) -> StatusCode {
        u16::try_from(self)
            .map(u16::into_status_code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Why a response is an error response; kept beside it so error handlers and the log
/// can see the cause after the handler has returned.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An [`HttpError`], from a handler or from the framework.
    Http(HttpError),
    /// Any other error a handler returned: a 500 unless a handler for its type exists.
    Other(BoxError),
    /// The handler panicked; the payload's text, for the log.
    Panic(String),
}

impl Failure {
    /// The status the client sees unless an error handler decides otherwise.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Failure::Http(e) => e.status(),
            Failure::Other(_) | Failure::Panic(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Runs `fut`, turning a panic inside it into the panic's text: handlers, hooks and error
/// handlers all run under this, so a panic is a 500 and never takes the connection down.
pub(crate) async fn catch_panic<T>(fut: impl std::future::Future<Output = T>) -> Result<T, String> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|payload| panic_message(payload.as_ref()))
}

/// The text of a panic payload, which is a `&str` or a `String` for `panic!` with a message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// `error: cause: cause ...`: an error and its sources on one line, for the log.
pub(crate) fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// An error line for an app without a tracing subscriber, which would otherwise never see
/// it (Flask prints its tracebacks too). With a subscriber, the `tracing` event says it.
pub(crate) fn report_without_subscriber(line: std::fmt::Arguments<'_>) {
    if !tracing::dispatcher::has_been_set() {
        crate::log_sink::line(format_args!("error: {line}"));
    }
}
