//! Route groups: the routes of one module under one prefix, with hooks of their own (Flask's
//! blueprints, Rocket's `mount`, axum's `nest`).

use std::future::Future;
use std::sync::Arc;

use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::routes::hooks::{self, GroupHooks};
use crate::routes::route::Route;

/// The routes of a [`#[group]`](macro@crate::group) module, and the hooks that run for them
/// alone. Made by the module's generated `group()` function; added with
/// [`App::group`](crate::App::group).
///
/// Group hooks run after the app's: its before hooks after the app's before hooks (and only
/// if none of those answered), its after hooks before the app's after hooks.
///
/// ```
/// use httpserver::{collect_routes, get, group, App, IntoResponse, Redirect, Request, Response};
///
/// #[get("/")]
/// async fn index() -> &'static str { "welcome" }
///
/// #[group("/members")]
/// mod members {
///     use httpserver::{get, Ext};
///
///     #[derive(Clone)]
///     pub struct User(pub String);
///
///     #[get("/")]                     // serves /members/
///     pub async fn home(Ext(user): Ext<User>) -> String {
///         format!("hello {}", user.0)
///     }
/// }
///
/// async fn load_user(req: Request) -> Option<Response> {
///     match req.header("x-user") {
///         Some(name) => {
///             req.set(members::User(name.to_owned()));
///             None
///         }
///         None => Some(Redirect::to("/").into_response()),
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = App::new()
///     .routes(collect_routes![index])
///     .group(members::group().before_request(load_user));
/// assert_eq!(httpserver::url_for!(members::home), "/members/");
/// let client = app.test_client();
/// assert_eq!(client.get("/").send().await.text(), "welcome"); // no group hook here
/// assert_eq!(client.get("/members/").send().await.status(), 302);
/// let res = client.get("/members/").header("x-user", "ann").send().await;
/// assert_eq!(res.text(), "hello ann");
/// # });
/// ```
pub struct Group {
    prefix: &'static str,
    routes: Vec<Route>,
    hooks: GroupHooks,
}

impl Group {
    /// A group of `routes` under `prefix` (whose patterns already carry it: the
    /// `#[group]` attribute wrote it into each route attribute, so that `url_for!` knows it).
    pub fn new(prefix: &'static str, routes: Vec<Route>) -> Self {
        Group {
            prefix,
            routes,
            hooks: GroupHooks::default(),
        }
    }

    /// Used by the generated code: the routes are the handlers of the module `module`
    /// (their start-up table names them `module::handler`).
    #[doc(hidden)]
    pub fn listed_in(mut self, module: &'static str) -> Self {
        for route in &mut self.routes {
            route.listed_in(module);
        }
        self
    }

    /// The prefix, e.g. `/members`.
    pub fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The routes.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Exempts every route of the group from the CSRF check: for a JSON API whose clients
    /// authenticate with a token in a header rather than the session cookie. See
    /// [`Csrf`](crate::Csrf) and [`Route::without_csrf`].
    pub fn without_csrf(mut self) -> Self {
        self.routes = self.routes.into_iter().map(Route::without_csrf).collect();
        self
    }

    /// Adds a hook that runs before each request to one of this group's routes, after the
    /// app's before hooks; see [`App::before_request`](crate::App::before_request).
    pub fn before_request<H, Args>(mut self, hook: H) -> Self
    where
        H: hooks::BeforeHookFn<Args>,
    {
        self.hooks.before.push(hook.into_hook());
        self
    }

    /// Adds a hook that runs on each response of this group's routes, before the app's
    /// after hooks; see [`App::after_request`](crate::App::after_request).
    pub fn after_request<F, Fut, R>(mut self, hook: F) -> Self
    where
        F: Fn(Request, Response) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse,
    {
        self.hooks.after.push(hooks::after(hook));
        self
    }

    /// The routes, each carrying the group's hooks.
    pub(crate) fn into_routes(self) -> Vec<Route> {
        let hooks = Arc::new(self.hooks);
        self.routes
            .into_iter()
            .map(|route| route.with_group_hooks(Arc::clone(&hooks)))
            .collect()
    }
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("prefix", &self.prefix)
            .field("routes", &self.routes.len())
            .field("before_hooks", &self.hooks.before.len())
            .field("after_hooks", &self.hooks.after.len())
            .finish()
    }
}
