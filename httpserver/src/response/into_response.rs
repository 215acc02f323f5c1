//! What a handler may return: every type of the coercion table, turned into a [`Response`].

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;

use super::{Body, Response};
use crate::error::{Error, Failure, HttpError, IntoStatusCode};

/// A value a handler can return. Implemented for every row of the coercion table:
/// JSON values, text, bytes, `(body, status)`, `(body, status, headers)`, `()`,
/// `Option`, `Result` and the response types.
///
/// ```
/// use httpserver::{IntoResponse, Json};
/// use serde_json::json;
/// let res = (Json(json!({"created": true})), 201).into_response();
/// assert_eq!(res.status().as_u16(), 201);
/// assert_eq!(res.headers()["content-type"], "application/json");
/// ```
#[diagnostic::on_unimplemented(
    message = "a handler cannot return `{Self}`",
    label = "this type has no HTTP response form",
    note = "to send `{Self}` as JSON, wrap it: return `Json<{Self}>` (`Json(value)`), which works for any `T: serde::Serialize`",
    note = "a handler returns a `String`, `&'static str`, `serde_json::Value`, `Json<T>`, `Html<T>`, `Vec<u8>`, `Bytes`, `Response`, `Redirect`, `()`, an `Option` or `Result` of those, or a `(body, status)` / `(body, status, headers)` tuple"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::with_type(self, TEXT)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::with_type(self, TEXT)
    }
}

impl IntoResponse for std::borrow::Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            std::borrow::Cow::Borrowed(s) => s.into_response(),
            std::borrow::Cow::Owned(s) => s.into_response(),
        }
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Response::with_type(self, OCTETS)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        Response::with_type(self, OCTETS)
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        Response::with_type(self, OCTETS)
    }
}

impl IntoResponse for serde_json::Value {
    fn into_response(self) -> Response {
        super::Json(self).into_response()
    }
}

/// `()` means "nothing to say": 204 No Content.
impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty()).with_status(StatusCode::NO_CONTENT)
    }
}

/// A bare status: that status with an empty body.
impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        Response::new(Body::empty()).with_status(self)
    }
}

impl<T: IntoResponse> IntoResponse for Option<T> {
    fn into_response(self) -> Response {
        match self {
            Some(t) => t.into_response(),
            None => ().into_response(),
        }
    }
}

/// `Ok` is sent as its value; `Err` goes to the error handlers. An [`HttpError`] keeps its
/// status; any other error is a 500 unless a handler for its type is registered.
impl<T, E> IntoResponse for Result<T, E>
where
    T: IntoResponse,
    E: std::error::Error + Send + Sync + 'static,
{
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => Response::from_failure(Failure::from_boxed(Box::new(e))),
        }
    }
}

/// `Ok` is sent as its value; `Err` goes to the error handlers, as above: the
/// [`HttpError`] inside an [`Error`] keeps its status, any other error is a 500 unless the
/// app maps it.
impl<T: IntoResponse> IntoResponse for Result<T, Error> {
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => Response::from_failure(Failure::from_boxed(e.into_boxed())),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        Response::from(self)
    }
}

impl<B: IntoResponse, S: IntoStatusCode> IntoResponse for (B, S) {
    fn into_response(self) -> Response {
        let mut res = self.0.into_response();
        if res.failure().is_none() {
            res.set_status(self.1);
        }
        res
    }
}

impl<B: IntoResponse, S: IntoStatusCode, H: IntoHeaders> IntoResponse for (B, S, H) {
    fn into_response(self) -> Response {
        let (body, status, headers) = self;
        let mut res = (body, status).into_response();
        if res.failure().is_some() {
            return res;
        }
        match headers.into_headers() {
            Ok(map) => {
                merge_headers(res.headers_mut(), map);
                res
            }
            Err(reason) => Response::internal_error(reason),
        }
    }
}

/// Headers given by the handler replace those the body set (a `Content-Type` from a
/// tuple wins over the default); a name given twice in the list keeps both values.
fn merge_headers(target: &mut HeaderMap, given: HeaderMap) {
    let mut last: Option<HeaderName> = None;
    for (name, value) in given {
        match name {
            Some(name) => {
                target.insert(name.clone(), value);
                last = Some(name);
            }
            None => {
                if let Some(name) = &last {
                    target.append(name.clone(), value);
                }
            }
        }
    }
}

/// Headers in a `(body, status, headers)` tuple: `[(K, V); N]`, `Vec<(K, V)>` or a
/// [`HeaderMap`], where `K` and `V` convert to a header name and value (`&str`, `String`,
/// `HeaderName`, `HeaderValue`, ...).
///
/// ```
/// use httpserver::IntoResponse;
/// let res = ("hi", 200, [("x-one", "1"), ("x-two", "2")]).into_response();
/// assert_eq!(res.headers()["x-two"], "2");
/// ```
pub trait IntoHeaders {
    /// The headers, or why one of them is not valid HTTP.
    fn into_headers(self) -> Result<HeaderMap, &'static str>;
}

impl IntoHeaders for HeaderMap {
    fn into_headers(self) -> Result<HeaderMap, &'static str> {
        Ok(self)
    }
}

impl<K, V> IntoHeaders for Vec<(K, V)>
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
{
    fn into_headers(self) -> Result<HeaderMap, &'static str> {
        pairs_to_map(self)
    }
}

impl<K, V, const N: usize> IntoHeaders for [(K, V); N]
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
{
    fn into_headers(self) -> Result<HeaderMap, &'static str> {
        pairs_to_map(self)
    }
}

fn pairs_to_map<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<HeaderMap, &'static str>
where
    K: TryInto<HeaderName>,
    V: TryInto<HeaderValue>,
{
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        let name = k
            .try_into()
            .map_err(|_| "a handler returned an invalid header name")?;
        let value = v
            .try_into()
            .map_err(|_| "a handler returned an invalid header value")?;
        map.append(name, value);
    }
    Ok(map)
}
