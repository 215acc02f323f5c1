//! What the generated code of the route macros calls. Not a public API: names here may
//! change in any release.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};

use crate::error::{panic_message, Failure, HttpError};
use crate::extract::FromRequest;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

pub use crate::router;
pub use crate::routes::route::{ExtractorNeed, StateNeed};

mod const_checks;
mod url_for;

pub use const_checks::*;
pub use url_for::*;

pub use crate::routes::route::HandlerFuture;

/// Stands for a return type the API document cannot name (`impl IntoResponse`).
pub struct Unnamed;

/// What a route attribute knows about its handler, at compile time. Implemented by the
/// hidden struct that shares the handler's name; that struct has one field per path
/// parameter (a [`UrlArg`]), which is what `url_for!` fills in.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route handler",
    label = "not a function with a route attribute",
    note = "`collect_routes!` and `url_for!` take the names of functions marked with #[get(\"/path\")], #[post(..)], .. or #[route(..)]"
)]
pub trait RouteInfo {
    /// The handler's name.
    const NAME: &'static str;
    /// The path pattern.
    const PATTERN: &'static str;
    /// The methods, upper case.
    const METHODS: &'static [&'static str];
    /// The pattern's [`shape_hash`](crate::router::Pattern::shape_hash).
    const SHAPE_HASH: u64;
    /// All of the above, for `collect_routes!`'s duplicate check.
    const KEY: RouteKey = RouteKey {
        name: Self::NAME,
        pattern: Self::PATTERN,
        methods: Self::METHODS,
        shape_hash: Self::SHAPE_HASH,
    };
    /// The route, ready for `App::routes`.
    fn route() -> crate::Route;
    /// The pattern with each parameter replaced by its (percent-encoded) field.
    fn url(&self) -> String;
}

pub fn box_future<F: Future<Output = Response> + Send + 'static>(f: F) -> HandlerFuture {
    Box::pin(f)
}

/// The future of an async handler that takes only path parameters, as a response: the
/// handler's own future, boxed, with no `async` block of the route's around it (one future
/// type less per route is what keeps large apps cheap to compile).
pub fn respond<F>(handler: F) -> HandlerFuture
where
    F: Future + Send + 'static,
    F::Output: IntoResponse,
{
    Box::pin(Respond { handler })
}

pin_project_lite::pin_project! {
    /// See [`respond`].
    pub struct Respond<F> {
        #[pin]
        handler: F,
    }
}

impl<F> Future for Respond<F>
where
    F: Future,
    F::Output: IntoResponse,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.project()
            .handler
            .poll(cx)
            .map(IntoResponse::into_response)
    }
}

/// A response known before the handler runs (a path parameter that does not parse).
pub fn ready(res: Response) -> HandlerFuture {
    Box::pin(std::future::ready(res))
}

/// A plain (non-async) handler that takes only path parameters, on the blocking pool.
pub fn blocking<F, R>(handler: F) -> HandlerFuture
where
    F: FnOnce() -> R + Send + 'static,
    R: IntoResponse + 'static,
{
    Box::pin(run_blocking(handler))
}

/// The routing check of a route whose path parameters take any text.
pub fn accept_any(_values: &[&str]) -> bool {
    true
}

/// A path parameter converted to its argument's type by `parse` (one of [`parse_int`],
/// [`parse_float`], [`parse_path`], [`parse_str`], wrapped in a function the route generates
/// once per parameter). Routing already checked that it converts (the route's `accepts`
/// calls the same function), so a failure here is a 404 like any non-matching path.
// The error is the response to send, moved once on a cold path; boxing it would cost an
// allocation on every failed extraction for nothing.
#[allow(clippy::result_large_err)]
pub fn path_param<T>(
    req: &Request,
    name: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, Response> {
    req.path_params()
        .get(name)
        .and_then(parse)
        .ok_or_else(|| HttpError::new(404, "Not Found").into())
}

/// An extractor's future, boxed so that the generated code can name its type.
pub type Extraction<'r, T> = futures_util::future::BoxFuture<'r, Result<T, Response>>;

pub fn extract<'r, T: FromRequest + 'r>(req: &'r Request) -> Extraction<'r, T> {
    Box::pin(async move { T::from_request(req).await.map_err(Response::from) })
}

pub fn into_response<T: IntoResponse>(value: T) -> Response {
    value.into_response()
}

/// Runs a plain (non-async) handler on tokio's blocking pool, so it cannot stall the
/// threads that drive connections. A panic there becomes a 500 like any handler's.
pub async fn run_blocking<F, R>(handler: F) -> Response
where
    F: FnOnce() -> R + Send + 'static,
    R: IntoResponse + 'static,
{
    match tokio::task::spawn_blocking(move || handler().into_response()).await {
        Ok(res) => res,
        Err(join) => {
            let message = match join.try_into_panic() {
                Ok(payload) => panic_message(payload.as_ref()),
                Err(_) => "the blocking task was cancelled".to_owned(),
            };
            Response::from_failure(Failure::Panic(message))
        }
    }
}

/// Types an `<int:..>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<int:..>` parameters need an integer type, not `{Self}`",
    label = "this argument receives an `<int:..>` parameter",
    note = "use an integer type such as `i64`, `u32` or `usize` (a value out of its range does not match: 404), or change the converter to `<name>` for any `FromStr` type"
)]
pub trait IntParam: FromStr {}

/// Types a `<float:..>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<float:..>` parameters need `f32` or `f64`, not `{Self}`",
    label = "this argument receives a `<float:..>` parameter",
    note = "use `f64` or `f32`, or change the converter to `<name>` for any `FromStr` type"
)]
pub trait FloatParam: FromStr {}

/// Types a `<path:..>` parameter converts to: `String` as sent (trusted by whoever uses
/// it), `PathBuf` only if it is a relative path of plain names (no `..`, root, drive or NUL;
/// otherwise the route does not match: 404).
#[diagnostic::on_unimplemented(
    message = "`<path:..>` parameters need `String` or `PathBuf`, not `{Self}`",
    label = "this argument receives a `<path:..>` parameter",
    note = "a `<path:..>` parameter is the rest of the path, slashes included: take it as `String` or `std::path::PathBuf`"
)]
pub trait PathParam: Sized {
    /// The value, or `None` if the route must not match it.
    fn from_param(raw: &str) -> Option<Self>;
}

/// Types a plain `<name>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<name>` parameters need a type that implements `FromStr`, and `{Self}` does not",
    label = "this argument receives a `<name>` parameter",
    note = "use `String`, or any type that implements `std::str::FromStr`"
)]
pub trait StrParam: FromStr {}
impl<T: FromStr> StrParam for T {}

macro_rules! int_param {
    ($($t:ty),*) => { $(impl IntParam for $t {})* };
}
int_param!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
// Written out, because rustc quotes these lines in its "other types implement" help.
impl FloatParam for f32 {}
impl FloatParam for f64 {}
impl PathParam for String {
    fn from_param(raw: &str) -> Option<Self> {
        Some(raw.to_owned())
    }
}
impl PathParam for PathBuf {
    fn from_param(raw: &str) -> Option<Self> {
        crate::protocol::safe_path::sanitize(raw)
    }
}

// The one place where a parameter's type meets its converter's bound: the route generates
// one `fn(&str) -> Option<T>` per parameter that calls one of these, and both its `accepts`
// and its handler go through that function, so a type that does not fit is one error.

/// Parses an `<int:..>` value.
pub fn parse_int<T: IntParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// Parses a `<float:..>` value.
pub fn parse_float<T: FloatParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// Parses a `<path:..>` value, or any parameter taken as a `PathBuf`.
pub fn parse_path<T: PathParam>(raw: &str) -> Option<T> {
    T::from_param(raw)
}

/// Parses a `<name>` value.
pub fn parse_str<T: StrParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

// ---------------------------------------------------------------------------------------
// What each extractor of a route needs, so that the app can refuse to start without it
// and read the body the way the handler takes it. The route generates
// `(&&Probe::<ArgType>::new()).need()` per extractor argument, and method resolution
// takes the first impl that applies, one autoref or deref at a time: `State<T>` and
// `Session` (on `&Probe<_>`), then any `FromRequest` type (on `&&Probe<T>`, one autoref
// further), then anything at all (on `Probe<T>`, one deref further): a type that is no
// extractor gets its one error at its argument, not a second one here.
// ---------------------------------------------------------------------------------------

/// A stand-in for an extractor type, to ask it what it needs.
pub struct Probe<T>(std::marker::PhantomData<T>);

impl<T> Probe<T> {
    pub const fn new() -> Self {
        Probe(std::marker::PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// `State<T>` needs a `T`, `Session` a secret key.
pub trait NeedsState {
    fn need(&self) -> ExtractorNeed;
}

impl<T: Send + Sync + 'static> NeedsState for &Probe<crate::State<T>> {
    fn need(&self) -> ExtractorNeed {
        ExtractorNeed {
            state: Some(StateNeed::of::<T>()),
            streams_body: false,
        }
    }
}

impl NeedsState for &Probe<crate::Session> {
    fn need(&self) -> ExtractorNeed {
        ExtractorNeed {
            state: Some(StateNeed::secret_key()),
            streams_body: false,
        }
    }
}

/// Any other extractor needs no state, and may stream the body.
pub trait Extracts {
    fn need(&self) -> ExtractorNeed;
}

impl<T: crate::FromRequest> Extracts for &&Probe<T> {
    fn need(&self) -> ExtractorNeed {
        ExtractorNeed {
            state: None,
            streams_body: T::STREAMS_BODY,
        }
    }
}

/// A type that is no extractor needs nothing (the compiler refuses it elsewhere).
pub trait NotAnExtractor {
    fn need(&self) -> ExtractorNeed {
        ExtractorNeed::default()
    }
}

impl<T> NotAnExtractor for Probe<T> {}
