//! Extractors: handler arguments that are not path parameters, built from the request.

use std::ops::Deref;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::error::HttpError;
use crate::request::Request;
use crate::response::Json;

/// A handler argument built from the request: [`Request`], [`State<T>`], [`Json<T>`],
/// [`Query<T>`] and [`Form<T>`]. Implement it for your own types to take them as
/// arguments too.
///
/// ```
/// use httpserver::{FromRequest, HttpError, Request};
/// struct ApiKey(String);
/// impl FromRequest for ApiKey {
///     fn from_request(req: &Request) -> Result<Self, HttpError> {
///         req.header("x-api-key")
///             .map(|k| ApiKey(k.to_owned()))
///             .ok_or_else(|| HttpError::new(401, "missing x-api-key"))
///     }
/// }
/// let req = Request::builder("GET", "/").header("x-api-key", "k1").build();
/// assert_eq!(ApiKey::from_request(&req).unwrap().0, "k1");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a path parameter nor an extractor",
    label = "no path parameter has this argument's name, and `{Self}` cannot be built from a request",
    note = "an argument either has the name of a `<parameter>` in the route's path, or one of the types Request, State<T>, Json<T>, Query<T>, Form<T> (or a type that implements FromRequest)"
)]
pub trait FromRequest: Sized {
    /// Builds the value, or says which error response to send instead.
    fn from_request(req: &Request) -> Result<Self, HttpError>;
}

impl FromRequest for Request {
    fn from_request(req: &Request) -> Result<Self, HttpError> {
        Ok(req.clone())
    }
}

impl<T: DeserializeOwned> FromRequest for Json<T> {
    fn from_request(req: &Request) -> Result<Self, HttpError> {
        req.json().map(Json)
    }
}

/// Shared application state registered with [`App::state`](crate::App::state).
///
/// An app whose handlers take a `State<T>` that was never registered refuses to start
/// (`serve` and `run` return an error naming the handler and `T`), rather than answer
/// 500 when the handler is first reached.
///
/// ```
/// use httpserver::{get, App, State};
/// struct Greeting {
///     text: &'static str,
/// }
///
/// #[get("/greet")]
/// async fn greet(greeting: State<Greeting>) -> &'static str {
///     greeting.text // State<T> derefs to T
/// }
///
/// let app = App::new().state(Greeting { text: "hi" }).routes(httpserver::collect_routes![greet]);
/// ```
#[derive(Debug)]
pub struct State<T>(pub Arc<T>);

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(Arc::clone(&self.0))
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromRequest for State<T> {
    fn from_request(req: &Request) -> Result<Self, HttpError> {
        match req.app().state_arc::<T>() {
            Some(state) => Ok(State(state)),
            None => {
                tracing::error!(
                    "a handler takes State<{}>, but no such state was registered with App::state",
                    std::any::type_name::<T>()
                );
                Err(HttpError::new(500, "Internal Server Error"))
            }
        }
    }
}

/// The query string deserialized into `T` (400 if it does not fit).
///
/// ```
/// use httpserver::{FromRequest, Query, Request};
/// #[derive(serde::Deserialize)]
/// struct Page { page: u32 }
/// let req = Request::builder("GET", "/list?page=3").build();
/// let Query(p) = Query::<Page>::from_request(&req).unwrap();
/// assert_eq!(p.page, 3);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    fn from_request(req: &Request) -> Result<Self, HttpError> {
        serde_urlencoded::from_str(req.query_string())
            .map(Query)
            .map_err(|e| HttpError::new(400, format!("invalid query string: {e}")))
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A url-encoded form body deserialized into `T` (400 if it does not fit).
///
/// ```
/// use httpserver::{Form, FromRequest, Request};
/// #[derive(serde::Deserialize)]
/// struct Login { user: String }
/// let req = Request::builder("POST", "/login").body("user=ann").build();
/// assert_eq!(Form::<Login>::from_request(&req).unwrap().0.user, "ann");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Form<T> {
    fn from_request(req: &Request) -> Result<Self, HttpError> {
        serde_urlencoded::from_bytes(req.body())
            .map(Form)
            .map_err(|e| HttpError::new(400, format!("invalid form body: {e}")))
    }
}

impl<T> Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
