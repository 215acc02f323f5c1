//! Small response wrappers: JSON, HTML and redirects.

use http::header::LOCATION;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use super::{Body, IntoResponse, Response};

/// JSON: as a return value it serializes `T` with `application/json`; as an argument it
/// deserializes the request body (a body that does not fit `T` is a 400).
///
/// ```
/// use httpserver::{IntoResponse, Json};
/// let res = Json(vec![1, 2, 3]).into_response();
/// assert_eq!(res.body().as_bytes().unwrap(), b"[1,2,3]");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => Response::with_type(bytes, "application/json"),
            Err(e) => Response::from_failure(crate::error::Failure::Other(Box::new(e))),
        }
    }
}

/// HTML text, sent as `text/html; charset=utf-8`.
///
/// ```
/// use httpserver::{Html, IntoResponse};
/// let res = Html("<h1>hi</h1>").into_response();
/// assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        Response::with_type(self.0, "text/html; charset=utf-8")
    }
}

/// A redirect: [`Redirect::to`] (302 Found) or [`Redirect::permanent`] (308).
///
/// ```
/// use httpserver::{IntoResponse, Redirect};
/// let res = Redirect::to("/login").into_response();
/// assert_eq!(res.status().as_u16(), 302);
/// assert_eq!(res.headers()["location"], "/login");
/// ```
#[derive(Debug, Clone)]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// A temporary redirect (302 Found) to `url`.
    pub fn to(url: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::FOUND,
            location: url.into(),
        }
    }

    /// A permanent redirect (308 Permanent Redirect, which keeps the method and body).
    pub fn permanent(url: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::PERMANENT_REDIRECT,
            location: url.into(),
        }
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        match HeaderValue::try_from(self.location) {
            Ok(location) => {
                let mut res = Response::new(Body::empty()).with_status(self.status);
                res.headers_mut().insert(LOCATION, location);
                res
            }
            Err(_) => Response::internal_error("a redirect target is not a valid header value"),
        }
    }
}
