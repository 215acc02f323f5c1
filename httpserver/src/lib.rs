//! A web framework with the feel of Flask and the guarantees of a compiler.
//!
//! ```no_run
//! use httpserver::{collect_routes, get, post, App, HttpError, Json, Request};
//! use serde_json::{json, Value};
//!
//! #[get("/hello")]
//! async fn hello(_req: Request) -> Value {
//!     json!({"message": "Hello, World!"})
//! }
//!
//! #[post("/echo")]
//! async fn echo(req: Request) -> Result<Json<Value>, HttpError> {
//!     Ok(Json(req.json()?)) // invalid JSON -> 400
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     App::new()
//!         .routes(collect_routes![hello, echo])
//!         .run("127.0.0.1:8000") // blocking; returns after a graceful shutdown
//! }
//! ```
//!
//! Routes are attributes on ordinary functions ([`get`], [`post`], [`put`], [`delete`],
//! [`patch`], [`route`]); their mistakes (a parameter without an argument, a type that
//! does not fit its converter, a malformed pattern) are compile errors. Return values
//! become responses through [`IntoResponse`]; arguments are path parameters by name or
//! extractors ([`Request`], [`State`], [`Ext`], [`Json`], [`Query`], [`Form`], [`Session`]).

#![warn(missing_docs)]

// The generated code names `::httpserver`; this lets it compile inside this crate too.
extern crate self as httpserver;

// Layers, bottom up: each module imports only from those above it in this list. The
// request goes the other way, from the accept loop in `server` down through `pipeline`
// (the frozen app), `routes` and the extractors to the handler.
mod app;
mod config;
mod error;
mod extract;
mod handle;
mod log_sink;
#[cfg(feature = "openapi")]
pub mod openapi;
mod pipeline;
mod protocol;
mod request;
mod response;
#[doc(hidden)]
pub mod router;
mod routes;
mod server;
mod service;
#[cfg(feature = "templates")]
pub mod templates;
mod testing;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "ws")]
pub mod ws;

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;

pub use app::env::{listen_addr, ENV_VARIABLES};
pub use app::App;
pub use config::{Csrf, CSRF_FIELD, CSRF_HEADER};
pub use error::{abort, BoxError, Context, Error, HttpError, IntoStatusCode, OrAbort};
pub use extract::multipart::{Field, Multipart};
pub use extract::session::{Flash, Session, SessionCookie};
pub use extract::{Ext, Form, FromRequest, Query, State};
pub use handle::AppHandle;
pub use log_sink::NonBlockingStderr;
pub use pipeline::layer;
pub use protocol::safe_path::secure_filename;
pub use request::body_stream::BodyStream;
pub use request::path_params::{PathParams, PathParamsIter};
pub use request::{Request, RequestBuilder};
pub use response::{
    Body, ChunkSender, Event, FileResponse, Html, IntoChunk, IntoEvent, IntoHeaders, IntoResponse,
    Json, Redirect, Response, Sse, StreamClosed, StreamingResponse,
};
pub use routes::group::Group;
pub use routes::hooks::BeforeHookFn;
pub use routes::route::Route;
pub use service::AppService;
pub use testing::{TestClient, TestMultipart, TestRequest, TestResponse, TestStream};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

pub use http::{HeaderMap, Method, StatusCode};

/// The [`http`](https://docs.rs/http) crate, whose types the framework speaks (header
/// names for layers and responses, `Uri`, `Version`): `use httpserver::http::header;`.
pub use http;

/// The [`cookie`](https://docs.rs/cookie) crate, for building the cookies of
/// [`Response::with_cookie`]: `use httpserver::cookie::{Cookie, SameSite};`.
pub use cookie;
pub use httpserver_macros::{collect_routes, delete, get, group, patch, post, put, route, url_for};

/// Used by the route attributes: the route's description for the API document, or
/// nothing without the `openapi` feature (so a build without it pays for nothing).
#[cfg(feature = "openapi")]
#[doc(hidden)]
#[macro_export]
macro_rules! __describe_route {
    ($route:ident, docs = [$($doc:expr),*], inputs = [$($input:ty),*], output = $output:ty,
     responses = [$($status:expr),*]) => {
        $route.with_description(|__op: &mut $crate::openapi::Operation<'_>| {
            #[allow(unused_imports)]
            use $crate::openapi::{
                OtherInput as _, OtherOutput as _, TypedInput as _, TypedOutput as _,
                UntypedInput as _,
            };
            __op.docs(&[$($doc),*]);
            $((&&&$crate::openapi::Probe::<$input>::new()).input(__op);)*
            (&&$crate::openapi::Probe::<$output>::new()).output(__op);
            __op.responses(&[$($status),*]);
        })
    };
}

/// Without the `openapi` feature: the route as it is.
#[cfg(not(feature = "openapi"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __describe_route {
    ($route:ident, $($description:tt)*) => {
        $route
    };
}

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
