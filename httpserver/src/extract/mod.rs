//! Extractors: handler arguments that are not path parameters, built from the request;
//! among them the session and multipart bodies.

pub(crate) mod csrf_token;
pub(crate) mod multipart;
pub(crate) mod session;

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::error::HttpError;
use crate::request::body_stream::BodyStream;
use crate::request::Request;
use crate::response::Json;

/// A handler argument built from the request: [`Request`], [`State<T>`], [`Ext<T>`],
/// [`Json<T>`], [`Query<T>`], [`Form<T>`] and [`Session`](crate::Session). Implement it for
/// your own types to take them as arguments too. It is async, so an extractor may await
/// (a database, a session store); write the impl as an `async fn`.
///
/// ```
/// use httpserver::{get, FromRequest, HttpError, Request};
///
/// struct User {
///     name: String,
/// }
///
/// impl FromRequest for User {
///     async fn from_request(req: &Request) -> Result<Self, HttpError> {
///         let key = req.header("x-api-key").ok_or_else(|| HttpError::new(401, "missing x-api-key"))?;
///         let name = lookup(key).await.ok_or_else(|| HttpError::new(403, "unknown key"))?;
///         Ok(User { name })
///     }
/// }
///
/// async fn lookup(key: &str) -> Option<String> {
///     (key == "k1").then(|| "ann".to_owned()) // a database, in a real app
/// }
///
/// #[get("/me")]
/// async fn me(user: User) -> String {
///     user.name
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let req = Request::builder("GET", "/").header("x-api-key", "k1").build();
/// assert_eq!(User::from_request(&req).await.unwrap().name, "ann");
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a path parameter nor an extractor",
    label = "no path parameter has this argument's name, and `{Self}` cannot be built from a request",
    note = "an argument either has the name of a `<parameter>` in the route's path, or one of the types Request, State<T>, Ext<T>, Session, Json<T>, Query<T>, Form<T> (or a type that implements FromRequest)"
)]
pub trait FromRequest: Sized {
    /// Whether this extractor reads the request body as it arrives ([`BodyStream`],
    /// [`Multipart`](crate::Multipart)): a route taking one hands the body over unread,
    /// instead of reading it whole before the handler. A type alias of one of them is one
    /// of them; a type of your own that wraps one says `true` here too.
    const STREAMS_BODY: bool = false;

    /// Builds the value, or says which error response to send instead. The future is
    /// `Send`, since handlers run on a multi-threaded runtime.
    fn from_request(req: &Request) -> impl Future<Output = Result<Self, HttpError>> + Send;
}

impl FromRequest for Request {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        Ok(req.clone())
    }
}

impl<T: DeserializeOwned> FromRequest for Json<T> {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        req.json().map(Json)
    }
}

/// Shared application state registered with [`App::state`](crate::App::state). It derefs
/// to `T`, so `db.query(..)` or `sessions.0.lock()` reach `T` and its fields directly; one
/// value is shared by every request (clone it out with [`State::arc`]).
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
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// The shared value itself, to keep beyond the request (a spawned task, say). An
    /// associated function, so that it never hides a method of `T`.
    ///
    /// ```
    /// use httpserver::State;
    /// # fn demo(counter: State<std::sync::atomic::AtomicU64>) {
    /// let counter = State::arc(&counter);
    /// std::thread::spawn(move || counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    /// # }
    /// ```
    pub fn arc(this: &Self) -> Arc<T> {
        Arc::clone(&this.0)
    }
}

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
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
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

/// The query string deserialized into `T` (400 if it does not fit, naming the field), as
/// HTML forms send it: `?tag=x&tag=y` fills a `tag: Vec<String>`, and `?limit=` is `None`
/// for a `limit: Option<u32>`.
///
/// ```
/// use httpserver::{FromRequest, Query, Request};
/// #[derive(serde::Deserialize)]
/// struct Page { page: u32 }
/// let req = Request::builder("GET", "/list?page=3").build();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let Query(p) = Query::<Page>::from_request(&req).await.unwrap();
/// assert_eq!(p.page, 3);
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        from_form(req.query_string().as_bytes(), "query string").map(Query)
    }
}

/// Url-encoded pairs into `T` as HTML forms send them (`serde_html_form`): a repeated key
/// fills a `Vec`, an empty value is `None` for an `Option`. The error names the field.
fn from_form<T: DeserializeOwned>(encoded: &[u8], what: &str) -> Result<T, HttpError> {
    let pairs = serde_html_form::Deserializer::new(form_urlencoded::parse(encoded));
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let message = match e.path().to_string().as_str() {
            "." => format!("invalid {what}: {}", e.inner()),
            field => format!("invalid {what}: `{field}`: {}", e.inner()),
        };
        HttpError::new(400, message)
    })
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A url-encoded form body deserialized into `T`: 415 unless it is declared as
/// `application/x-www-form-urlencoded`, 400 if it does not fit (naming the field). Repeated
/// keys and empty values work as for [`Query`].
///
/// ```
/// use httpserver::{Form, FromRequest, Request};
/// #[derive(serde::Deserialize)]
/// struct Login { user: String }
/// let req = Request::builder("POST", "/login")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body("user=ann")
///     .build();
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// assert_eq!(Form::<Login>::from_request(&req).await.unwrap().0.user, "ann");
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Form<T> {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        req.require_content_type(crate::request::MediaType::Form)?;
        from_form(req.body(), "form body").map(Form)
    }
}

impl<T> Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A value a hook attached to the request with [`Request::set`]: the user a before hook
/// loaded, say, handed to the handler instead of loaded again. A handler taking `Ext<T>`
/// when no `T` was set answers 500 (and the log says which type was missing); take
/// `Option<Ext<T>>` where the value is optional.
///
/// ```
/// use httpserver::{collect_routes, get, App, Ext, Request, Response};
///
/// #[derive(Clone)]
/// struct User {
///     name: String,
/// }
///
/// async fn load_user(req: Request) -> Option<Response> {
///     req.set(User { name: "ann".into() });
///     None
/// }
///
/// #[get("/me")]
/// async fn me(Ext(user): Ext<User>) -> String {
///     user.name
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = App::new().before_request(load_user).routes(collect_routes![me]);
/// assert_eq!(app.test_client().get("/me").send().await.text(), "ann");
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Ext<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequest for Ext<T> {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        match req.get::<T>() {
            Some(value) => Ok(Ext(value)),
            None => {
                tracing::error!(
                    "a handler takes Ext<{}>, but no hook set a value of that type on the request",
                    std::any::type_name::<T>()
                );
                Err(HttpError::new(500, "Internal Server Error"))
            }
        }
    }
}

impl<T> Deref for Ext<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// `None` where `T` would have refused the request: an optional extractor.
impl<T: FromRequest + Send> FromRequest for Option<T> {
    const STREAMS_BODY: bool = T::STREAMS_BODY;

    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        Ok(T::from_request(req).await.ok())
    }
}

impl FromRequest for BodyStream {
    const STREAMS_BODY: bool = true;

    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        // A streaming route hands its body over unread; elsewhere (a buffered route, a
        // request built by hand) the body was read already: stream that.
        Ok(req
            .take_body_stream()
            .unwrap_or_else(|| BodyStream::of_bytes(req.body().clone())))
    }
}
