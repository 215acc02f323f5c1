//! Route attributes and compile-time route checks for `httpserver`.
//!
//! Use these through `httpserver` (`use httpserver::{get, collect_routes};`); the code they
//! generate refers to `::httpserver`.
//!
//! ```
//! use httpserver::{collect_routes, get, App};
//!
//! #[get("/users/<int:id>")]
//! async fn get_user(id: i64) -> String {
//!     format!("user {id}")
//! }
//!
//! let app = App::new().routes(collect_routes![get_user]);
//! ```
//!
//! Mistakes that the router would otherwise only find at run time are compile errors here:
//! a malformed pattern, a path parameter without an argument of that name, a parameter
//! type that does not fit its converter (`<int:id>` bound to a `String`), an unknown HTTP
//! method, two handlers of one `collect_routes!` that serve the same method and path, and a
//! `url_for!` with a missing, unknown or mistyped parameter.

#![warn(missing_docs)]

use proc_macro::TokenStream;

mod args;
mod collect;
mod group;
mod route;
mod suggest;
mod tokens;
mod url;

use args::Kind;

/// Expands the route attribute named `name` (see `args::ROUTE_ATTRIBUTES`).
fn expand_named(name: &'static str, args: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(Kind::named(name), args.into(), item.into()).into()
}

/// Makes a function the handler of `GET` requests to a path.
///
/// `#[get("/users/<int:id>")]` is `#[route("/users/<int:id>", methods = ["GET"])]`; see
/// [`macro@route`] for patterns and arguments.
#[proc_macro_attribute]
pub fn get(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_named("get", args, item)
}

/// Makes a function the handler of `POST` requests to a path; see [`macro@route`].
#[proc_macro_attribute]
pub fn post(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_named("post", args, item)
}

/// Makes a function the handler of `PUT` requests to a path; see [`macro@route`].
#[proc_macro_attribute]
pub fn put(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_named("put", args, item)
}

/// Makes a function the handler of `DELETE` requests to a path; see [`macro@route`].
#[proc_macro_attribute]
pub fn delete(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_named("delete", args, item)
}

/// Makes a function the handler of `PATCH` requests to a path; see [`macro@route`].
#[proc_macro_attribute]
pub fn patch(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_named("patch", args, item)
}

/// Makes a function the handler of requests to a path, for the listed methods.
///
/// ```
/// use httpserver::{route, HttpError, IntoResponse, Request, Response};
///
/// #[route("/items", methods = ["GET", "POST"])]
/// async fn items(req: Request) -> Result<Response, HttpError> {
///     if req.method() == "GET" {
///         return Ok("no items yet".into_response());
///     }
///     Ok((req.text()?.to_owned(), 201).into_response())
/// }
/// ```
///
/// Without `methods` the route handles `GET`. Methods are GET, POST, PUT, DELETE, PATCH,
/// HEAD and OPTIONS, in any case.
///
/// The path is a pattern of static segments and parameters: `<name>` (any one segment),
/// `<int:name>`, `<float:name>`, `<path:name>` (the rest of the path, slashes included).
/// Each parameter goes to the argument of the same name, parsed as that argument's type.
/// Every other argument, and any argument written as a pattern (`Json(body): Json<T>`), is
/// extracted from the request (`State<T>`, `Query<T>`, `Form<T>`, `Json<T>`, `Request`, ..).
/// Arguments may come in any order.
///
/// An `async fn` runs on the server's runtime; a plain `fn` runs on tokio's blocking pool.
/// The function itself is left as written, so it can still be called directly (in tests,
/// say). Its name also names a hidden type that [`collect_routes!`] turns into a route and
/// [`url_for!`] turns into a path.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_named("route", args, item)
}

/// The routes of the named handlers, as a `Vec<httpserver::Route>`.
///
/// ```
/// use httpserver::{collect_routes, get, App};
///
/// #[get("/")]
/// async fn index() -> &'static str { "home" }
///
/// mod api {
///     pub mod users {
///         #[httpserver::get("/api/users")]
///         pub async fn list() -> &'static str { "[]" }
///     }
/// }
///
/// let app = App::new().routes(collect_routes![index, api::users::list]);
/// ```
///
/// Two handlers that serve the same method on the same pattern (parameter names aside) are
/// a compile error.
#[proc_macro]
pub fn collect_routes(input: TokenStream) -> TokenStream {
    collect::expand(input.into()).into()
}

/// The path of a route, with its parameters filled in, as a `String`.
///
/// ```
/// use httpserver::{get, url_for};
///
/// #[get("/users/<int:id>")]
/// async fn get_user(id: i64) -> String { format!("user {id}") }
///
/// mod files {
///     #[httpserver::get("/files/<path:path>")]
///     pub async fn show(path: String) -> String { path }
/// }
///
/// assert_eq!(url_for!(get_user, id = 42), "/users/42");
/// assert_eq!(url_for!(files::show, path = "a b/c.txt"), "/files/a%20b/c.txt");
/// ```
///
/// The first argument names the handler as `collect_routes!` does (`get_user`,
/// `api::users::get_user`); then comes each path parameter as `name = value`, in any order.
/// A value has the type of the handler's argument, or is a reference to one (`&str` for
/// `String`, `&str` or `&Path` for `PathBuf`); it is borrowed, not moved.
///
/// Each value is percent-encoded: everything but letters, digits and `-._~` is escaped,
/// including `/`, except that a `<path:..>` value keeps its slashes. A parameter that is
/// missing or unknown, or a value of the wrong type, is a compile error.
///
/// Query parameters come after a `?`: `url_for!(tasks, ?page = 2, ?q = "a b")` is
/// `/tasks?page=2&q=a+b`. They are form-urlencoded, in the order given, and may repeat; a
/// value is anything `Display`, and a key that is no identifier is written as a string
/// (`?"sort-by" = "due"`). The route does not declare them, so they are not checked.
#[proc_macro]
pub fn url_for(input: TokenStream) -> TokenStream {
    url::expand(input.into()).into()
}

/// Puts the handlers of an inline module under one path prefix, as a group with hooks of
/// its own (Flask's blueprints, axum's `nest`).
///
/// ```
/// use httpserver::{group, url_for, App};
///
/// #[group("/admin")]
/// mod admin {
///     use httpserver::get;
///
///     #[get("/users")] // serves /admin/users
///     pub async fn users() -> &'static str {
///         "[]"
///     }
/// }
///
/// assert_eq!(url_for!(admin::users), "/admin/users");
/// let app = App::new().group(admin::group());
/// ```
///
/// Each route attribute of the module's functions (`#[get]`, `#[route]`, .., however they
/// are imported) gets the prefix written in front of its path, so `url_for!` and the
/// compile-time checks see the full path. The module gains `pub fn group() ->
/// httpserver::Group`, its routes, to which hooks limited to the group can be added (see
/// `httpserver::Group`). Only the module's own functions are rewritten, not those of modules
/// inside it.
#[proc_macro_attribute]
pub fn group(args: TokenStream, item: TokenStream) -> TokenStream {
    group::expand(args.into(), item.into()).into()
}
