//! What the generated code of the route macros calls. Not a public API: names here may
//! change in any release.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use crate::error::{panic_message, Failure, HttpError};
use crate::extract::FromRequest;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

pub use crate::router;

/// The future a route's handler returns once its arguments are extracted.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// What a route attribute knows about its handler, at compile time.
pub trait RouteInfo {
    /// The handler's name.
    const NAME: &'static str;
    /// The path pattern.
    const PATTERN: &'static str;
    /// The methods, upper case.
    const METHODS: &'static [&'static str];
    /// The route, ready for `App::routes`.
    fn route() -> crate::Route;
}

pub fn box_future<F: Future<Output = Response> + Send + 'static>(f: F) -> HandlerFuture {
    Box::pin(f)
}

/// A path parameter converted to its argument's type. Routing already checked that it
/// converts (see [`accepts`]), so a failure here is a 404 like any non-matching path.
// The error is the response to send, moved once on a cold path; boxing it would cost an
// allocation on every failed extraction for nothing.
#[allow(clippy::result_large_err)]
pub fn path_param<T: FromStr>(req: &Request, name: &'static str) -> Result<T, Response> {
    req.path_params()
        .get(name)
        .and_then(|raw| raw.parse().ok())
        .ok_or_else(|| HttpError::new(404, "Not Found").into())
}

#[allow(clippy::result_large_err)]
pub fn extract<T: FromRequest>(req: &Request) -> Result<T, Response> {
    T::from_request(req).map_err(Response::from)
}

pub fn accepts<T: FromStr>(raw: &str) -> bool {
    raw.parse::<T>().is_ok()
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

/// Types a `<path:..>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<path:..>` parameters need `String` or `PathBuf`, not `{Self}`",
    label = "this argument receives a `<path:..>` parameter",
    note = "a `<path:..>` parameter is the rest of the path, slashes included: take it as `String` or `std::path::PathBuf`"
)]
pub trait PathParam: FromStr {}

/// Types a plain `<name>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<name>` parameters need a type that implements `FromStr`, and `{Self}` does not",
    label = "this argument receives a `<name>` parameter",
    note = "use `String`, or any type that implements `std::str::FromStr`"
)]
pub trait StrParam: FromStr {}
impl<T: FromStr> StrParam for T {}

macro_rules! mark {
    ($trait:ident: $($t:ty),*) => { $(impl $trait for $t {})* };
}
mark!(IntParam: i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
mark!(FloatParam: f32, f64);
mark!(PathParam: String, std::path::PathBuf);

pub fn assert_int_param<T: IntParam>() {}
pub fn assert_float_param<T: FloatParam>() {}
pub fn assert_path_param<T: PathParam>() {}
pub fn assert_str_param<T: StrParam>() {}

/// Whether two routes answer the same requests: a method in common and the same pattern
/// once parameter names are ignored (`/u/<int:id>` and `/u/<int:uid>` are the same).
/// A `const fn`, so `collect_routes!` can reject duplicates at compile time.
pub const fn same_route(
    a_methods: &[&str],
    a_pattern: &str,
    b_methods: &[&str],
    b_pattern: &str,
) -> bool {
    shares_method(a_methods, b_methods) && same_shape(a_pattern.as_bytes(), b_pattern.as_bytes())
}

const fn shares_method(a: &[&str], b: &[&str]) -> bool {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if bytes_eq(a[i].as_bytes(), b[j].as_bytes()) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Compares two (already validated) patterns, each `<..>` reduced to its converter.
const fn same_shape(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b'<' && b[j] == b'<' {
            let (ca, next_i) = converter_of(a, i);
            let (cb, next_j) = converter_of(b, j);
            if ca != cb {
                return false;
            }
            i = next_i;
            j = next_j;
        } else if a[i] != b[j] {
            return false;
        } else {
            i += 1;
            j += 1;
        }
    }
    i == a.len() && j == b.len()
}

/// The converter of the parameter starting at `start` (0 string, 1 int, 2 float,
/// 3 path) and the index just past its `>`.
const fn converter_of(p: &[u8], start: usize) -> (u8, usize) {
    let mut end = start;
    let mut colon = 0;
    while end < p.len() && p[end] != b'>' {
        if p[end] == b':' && colon == 0 {
            colon = end;
        }
        end += 1;
    }
    let kind = if colon == 0 {
        0
    } else {
        let name = subslice(p, start + 1, colon);
        if bytes_eq(name, b"int") {
            1
        } else if bytes_eq(name, b"float") {
            2
        } else if bytes_eq(name, b"path") {
            3
        } else {
            0
        }
    };
    (kind, end + 1)
}

const fn subslice(p: &[u8], from: usize, to: usize) -> &[u8] {
    let (_, tail) = p.split_at(from);
    let (mid, _) = tail.split_at(to - from);
    mid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_route_ignores_names_but_not_converters_or_methods() {
        assert!(same_route(
            &["GET"],
            "/u/<int:id>",
            &["GET"],
            "/u/<int:uid>"
        ));
        assert!(same_route(&["GET"], "/u/<a>", &["GET"], "/u/<string:b>"));
        assert!(same_route(&["GET", "POST"], "/x", &["POST"], "/x"));
        assert!(!same_route(&["GET"], "/u/<int:id>", &["GET"], "/u/<id>"));
        assert!(!same_route(&["GET"], "/x", &["POST"], "/x"));
        assert!(!same_route(&["GET"], "/x", &["GET"], "/x/"));
        assert!(!same_route(&["GET"], "/a/<p>", &["GET"], "/a/<p>/b"));
    }
}
