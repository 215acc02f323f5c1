//! A route: what the route attributes produce and `App::routes` takes.

use std::fmt;

use crate::__private::HandlerFuture;
use crate::request::Request;

/// One routed handler: its methods, its path pattern and the code that runs it.
///
/// Made by the route attributes (`#[get]`, `#[route]`, ...) and gathered with
/// [`collect_routes!`](crate::collect_routes):
///
/// ```
/// use httpserver::{collect_routes, get, Route};
/// #[get("/ping")]
/// async fn ping() -> &'static str { "pong" }
///
/// let routes: Vec<Route> = collect_routes![ping];
/// assert_eq!(routes[0].pattern(), "/ping");
/// assert_eq!(routes[0].name(), "ping");
/// ```
#[derive(Clone)]
pub struct Route {
    name: &'static str,
    pattern: &'static str,
    methods: &'static [&'static str],
    accepts: fn(&[&str]) -> bool,
    handler: fn(Request) -> HandlerFuture,
}

impl Route {
    /// Used by the generated code; write routes with the attributes instead.
    #[doc(hidden)]
    pub fn new(
        name: &'static str,
        pattern: &'static str,
        methods: &'static [&'static str],
        accepts: fn(&[&str]) -> bool,
        handler: fn(Request) -> HandlerFuture,
    ) -> Self {
        Route {
            name,
            pattern,
            methods,
            accepts,
            handler,
        }
    }

    /// The handler's name, as written in the source (for logs and error messages).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The path pattern, such as `/users/<int:id>`.
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }

    /// The methods it answers, upper case.
    pub fn methods(&self) -> &'static [&'static str] {
        self.methods
    }

    /// Whether the captured parameter values fit the handler's argument types
    /// (an `<int:x>` whose argument is a `u8` does not take `300`).
    pub(crate) fn accepts(&self, values: &[&str]) -> bool {
        (self.accepts)(values)
    }

    pub(crate) fn call(&self, req: Request) -> HandlerFuture {
        (self.handler)(req)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("name", &self.name)
            .field("pattern", &self.pattern)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}
