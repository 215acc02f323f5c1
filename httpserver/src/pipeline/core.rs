//! The app as it serves: frozen from the builder at start-up, its route table built (a
//! conflict is an error naming both handlers) and its state checked against what the
//! handlers take.

use http::Method;

use crate::config::Config;
use crate::handle::{AppHandle, StateMap};
use crate::router::{InsertError, Router};
use crate::routes::error_handlers::ErrorHandlers;
use crate::routes::hooks::{AfterHook, BeforeHook};
use crate::routes::route::Route;

/// An app frozen for serving: the route table, middleware, error handlers, the
/// configuration and the handle.
pub(crate) struct AppCore {
    pub(crate) router: Router<Route>,
    pub(crate) before: Vec<BeforeHook>,
    pub(crate) after: Vec<AfterHook>,
    pub(crate) errors: ErrorHandlers,
    pub(crate) config: Config,
    pub(crate) handle: AppHandle,
    /// The app can seal sessions (it has a secret key): only then is there one to save.
    pub(crate) sessions: bool,
}

/// Builds the route table; a route registered twice is an error naming both handlers.
pub(crate) fn build_router(routes: Vec<Route>) -> Result<Router<Route>, String> {
    let mut router = Router::new();
    for route in routes {
        let methods = parse_methods(&route)?;
        let (name, pattern) = (route.name().to_owned(), route.pattern().to_owned());
        match router.insert(&pattern, &methods, route) {
            Ok(()) => {}
            Err(InsertError::Duplicate { existing }) => {
                return Err(format!(
                    "route conflict: `{}` ({} {}) and `{}` ({} {}) answer the same requests; \
                     remove one or change its path",
                    existing.name(),
                    existing.methods().join(","),
                    existing.pattern(),
                    name,
                    methods_text(&methods),
                    pattern
                ))
            }
            Err(InsertError::Pattern(e)) => {
                return Err(format!(
                    "route `{name}` has an invalid pattern {pattern:?}: {}",
                    e.message
                ))
            }
        }
    }
    Ok(router)
}

fn parse_methods(route: &Route) -> Result<Vec<Method>, String> {
    route
        .methods()
        .iter()
        .map(|m| {
            Method::from_bytes(m.as_bytes())
                .map_err(|_| format!("route `{}` has an invalid method {m:?}", route.name()))
        })
        .collect()
}

pub(crate) fn methods_text(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// Every `State<T>` a handler takes must be registered, and a handler taking `Session`
/// needs a secret key: found at start-up, not as a 500 on the first request.
pub(crate) fn check_state(routes: &[Route], state: &StateMap) -> Result<(), String> {
    for route in routes {
        for need in route.state_needs() {
            if state.contains_key(&need.type_id) {
                continue;
            }
            return Err(if need.secret_key {
                format!(
                    "`{}` takes `Session`, but the app has no secret key to seal sessions \
                     with; set one with `App::secret_key(..)` (at least 32 random bytes, from \
                     the environment, e.g. `std::env::var(\"APP_SECRET\")`)",
                    route.name()
                )
            } else {
                format!(
                    "`{}` takes `State<{}>`, but the app has no state of that type; \
                     register one with `App::state(..)`",
                    route.name(),
                    need.type_name
                )
            });
        }
    }
    Ok(())
}
