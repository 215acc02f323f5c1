//! Errors as values: [`HttpError`] (a status and a message for the client), [`abort`],
//! [`Error`] (any error a handler meets, for `?`), and what a response carries when a
//! handler failed, so that error handlers can see the cause.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

/// An error of any type, boxed: what tower layers, error handlers and `Box<dyn Error>` APIs
/// pass around. A handler returns [`Error`] instead (`Result<T, BoxError>` is not a
/// handler's return type); [`Error::from_boxed`] turns one into the other.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Any error a handler meets, as one type: `?` converts every
/// `std::error::Error + Send + Sync + 'static` into it (a database's, `std::io`'s,
/// `serde_json`'s, a template engine's) and [`HttpError`] alike, so a handler that uses
/// several libraries needs no error enum of its own.
///
/// What the client gets: an [`HttpError`] inside keeps its status and message; any other
/// error is a 500 whose body says only "Internal Server Error", unless the app maps the
/// error's type ([`App::error_handler_for`](crate::App::error_handler_for)) or handles
/// every error ([`App::error_handler_any`](crate::App::error_handler_any)). A 5xx is
/// logged at ERROR with the error's cause chain; a 4xx is not an error of the server and
/// is logged at DEBUG.
///
/// Like `anyhow::Error`, it does not implement `std::error::Error` itself (that is what
/// lets `?` convert every error into it).
///
/// ```
/// use httpserver::{get, Error, HttpError, OrAbort};
///
/// #[get("/notes/<int:id>")]
/// async fn note(id: i64) -> Result<String, Error> {
///     let text = std::fs::read_to_string(format!("notes/{id}.txt"))?; // io::Error: a 500
///     let meta: serde_json::Value = serde_json::from_str("{}")?;        // serde_json::Error
///     if text.is_empty() {
///         return Err(HttpError::new(404, "empty note").into());      // keeps its 404
///     }
///     let title = meta.get("title").or_404()?;                          // None: a 404
///     Ok(format!("{title}: {text}"))
/// }
/// ```
pub struct Error {
    inner: BoxError,
}

impl Error {
    /// An error from a boxed one.
    pub fn from_boxed(error: BoxError) -> Self {
        Error { inner: error }
    }

    /// An error that is only a message, for the log (the client gets a 500 without it).
    ///
    /// ```
    /// let err = httpserver::Error::msg("the cache is cold");
    /// assert_eq!(err.to_string(), "the cache is cold");
    /// assert_eq!(err.status().as_u16(), 500);
    /// ```
    pub fn msg(message: impl Into<Cow<'static, str>>) -> Self {
        Error::from(Message(message.into()))
    }

    /// The status the client gets unless an error handler decides otherwise: an
    /// [`HttpError`]'s own, else 500.
    pub fn status(&self) -> StatusCode {
        self.downcast_ref::<HttpError>()
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, HttpError::status)
    }

    /// Whether the error is of type `E`.
    pub fn is<E: std::error::Error + 'static>(&self) -> bool {
        self.inner.is::<E>()
    }

    /// The error as an `E`, if it is one.
    ///
    /// ```
    /// let err = httpserver::Error::from(std::io::Error::other("disk full"));
    /// assert!(err.downcast_ref::<std::io::Error>().is_some());
    /// ```
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.inner.downcast_ref::<E>()
    }

    /// The error as an `E`, or itself back if it is not one.
    pub fn downcast<E: std::error::Error + 'static>(self) -> Result<E, Self> {
        self.inner
            .downcast::<E>()
            .map(|e| *e)
            .map_err(Error::from_boxed)
    }

    /// The error and its sources, outermost first.
    pub fn chain(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        std::iter::successors(
            Some(self.inner.as_ref() as &(dyn std::error::Error + 'static)),
            |e| e.source(),
        )
    }

    /// The boxed error inside.
    pub fn into_boxed(self) -> BoxError {
        self.inner
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Error {
            inner: Box::new(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

/// The error and its cause chain, as the log shows it.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&cause_chain(self.inner.as_ref()))
    }
}

/// [`Error::msg`]'s error: a message alone.
#[derive(Debug)]
struct Message(Cow<'static, str>);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

/// Context for an error on its way up: what was being done when it happened. The log
/// shows `context: cause: cause ..`; the client sees nothing of it.
///
/// ```
/// use httpserver::{Context, Error};
///
/// fn load(id: i64) -> Result<String, Error> {
///     std::fs::read_to_string(format!("tasks/{id}.json"))
///         .context(format!("loading task {id}"))
/// }
/// let err = load(7).unwrap_err();
/// assert_eq!(err.to_string(), "loading task 7");
/// assert!(format!("{err:?}").starts_with("loading task 7: "));
/// ```
pub trait Context<T> {
    /// The error, if any, with `context` around it.
    fn context(self, context: impl Into<Cow<'static, str>>) -> Result<T, Error>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, context: impl Into<Cow<'static, str>>) -> Result<T, Error> {
        self.map_err(|source| {
            Error::from(WithContext {
                context: context.into(),
                source: Box::new(source),
            })
        })
    }
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, context: impl Into<Cow<'static, str>>) -> Result<T, Error> {
        self.map_err(|source| {
            Error::from(WithContext {
                context: context.into(),
                source: source.inner,
            })
        })
    }
}

/// An error with what was being done when it happened.
#[derive(Debug)]
struct WithContext {
    context: Cow<'static, str>,
    source: BoxError,
}

impl fmt::Display for WithContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for WithContext {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// `None` as an [`HttpError`], for `?` in a handler: `find(id).or_404()?`.
///
/// ```
/// use httpserver::{HttpError, OrAbort};
/// fn title(titles: &[&str], i: usize) -> Result<String, HttpError> {
///     Ok(titles.get(i).or_404()?.to_string())
/// }
/// assert_eq!(title(&["a"], 0).unwrap(), "a");
/// assert_eq!(title(&["a"], 5).unwrap_err().status().as_u16(), 404);
/// ```
pub trait OrAbort<T> {
    /// The value, or a 404 Not Found.
    fn or_404(self) -> Result<T, HttpError>;
    /// The value, or [`abort`] with `status`.
    fn or_abort(self, status: impl IntoStatusCode) -> Result<T, HttpError>;
}

impl<T> OrAbort<T> for Option<T> {
    fn or_404(self) -> Result<T, HttpError> {
        self.ok_or_else(|| abort(404))
    }

    fn or_abort(self, status: impl IntoStatusCode) -> Result<T, HttpError> {
        self.ok_or_else(|| abort(status))
    }
}

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
    /// A handler's error: an [`HttpError`] keeps its status, any other is a 500.
    pub(crate) fn from_boxed(error: BoxError) -> Self {
        match error.downcast::<HttpError>() {
            Ok(http) => Failure::Http(*http),
            Err(other) => Failure::Other(other),
        }
    }

    /// The failure as the catch-all error handler receives it.
    pub(crate) fn into_error(self) -> Error {
        match self {
            Failure::Http(e) => Error::from(e),
            Failure::Other(e) => Error::from_boxed(e),
            Failure::Panic(message) => Error::msg(format!("the handler panicked: {message}")),
        }
    }

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
