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

mod access_log;
mod activity;
mod app;
mod body_stream;
mod conn;
mod conn_io;
mod cookies;
mod dispatch;
mod env_config;
mod error;
mod error_handlers;
mod extract;
mod first_line;
mod forwarded;
mod group;
mod head_check;
mod hooks;
#[cfg(feature = "http2")]
mod http2;
pub mod layer;
mod linger;
mod listen;
mod log_sink;
mod multipart;
mod path;
mod read_body;
mod reclaim;
mod request;
mod response;
mod route;
#[doc(hidden)]
pub mod router;
mod safe_path;
mod server;
mod service;
mod session;
mod stack;
mod static_files;
mod testing;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "ws")]
pub mod ws;

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;

pub use app::{App, AppHandle};
pub use body_stream::BodyStream;
pub use env_config::{listen_addr, ENV_VARIABLES};
pub use error::{abort, BoxError, HttpError, IntoStatusCode};
pub use extract::{Ext, Form, FromRequest, Query, State};
pub use group::Group;
pub use log_sink::NonBlockingStderr;
pub use multipart::{Field, Multipart};
pub use request::{Request, RequestBuilder};
pub use response::{
    Body, ChunkSender, Event, FileResponse, Html, IntoChunk, IntoEvent, IntoHeaders, IntoResponse,
    Json, Redirect, Response, Sse, StreamClosed, StreamingResponse,
};
pub use route::Route;
pub use safe_path::secure_filename;
pub use service::AppService;
pub use session::{Session, SessionCookie};
pub use testing::{TestClient, TestMultipart, TestRequest, TestResponse, TestStream};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

pub use http::{HeaderMap, Method, StatusCode};

/// The [`cookie`](https://docs.rs/cookie) crate, for building the cookies of
/// [`Response::with_cookie`]: `use httpserver::cookie::{Cookie, SameSite};`.
pub use cookie;
pub use httpserver_macros::{collect_routes, delete, get, group, patch, post, put, route, url_for};

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
