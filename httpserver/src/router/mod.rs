//! Request routing: maps a method and a decoded path to a registered value (a handler).
//!
//! # Data structure
//!
//! Patterns are stored in a segment tree. Each node has static children in a
//! hash map keyed by the segment text, at most one child per dynamic converter (`int`,
//! `float`, `string`) and a list of routes ending in `<path:..>`. Parameter names are not
//! part of the tree, so patterns differing only in names share a node, which is also how
//! duplicates are found.
//!
//! # Why lookup cost does not depend on the number of routes
//!
//! A lookup walks the request path one segment at a time. At each node it does one hash
//! lookup for the static child and at most four converter checks, then descends. When a
//! branch dead-ends, the walk backtracks to the next branch in precedence order (static,
//! `int`, `float`, `string`, `path`). A node is visited at most once per walk and never
//! deeper than the path, so the work is bounded by the path's depth (and, in the worst
//! case where a segment matches all four kinds of branch at every level, by `4^depth`),
//! whatever the number of registered routes. Routes only widen hash maps, never the walk.

pub use httpserver_pattern as pattern;
mod tree;

use std::fmt;
use std::sync::Arc;

use http::Method;

pub use pattern::{parse, Converter, Pattern, PatternError, Segment};

use tree::{Goal, Node, Search};

/// A routing table from `(method, pattern)` to a value of type `T`.
///
/// Generic so it can be tested and benchmarked without handlers.
pub struct Router<T> {
    root: Node,
    routes: Vec<Route<T>>,
}

struct Route<T> {
    pattern: Box<str>,
    methods: Vec<Method>,
    /// Parameter names in pattern order, paired with captured values on a match.
    names: Box<[Arc<str>]>,
    value: T,
}

/// Why [`Router::insert`] refused a route.
#[derive(Debug)]
pub enum InsertError<'a, T> {
    /// The pattern breaks the grammar; the message is ready to show to the user.
    Pattern(PatternError),
    /// Another route already has the same pattern shape (parameter names ignored) and one
    /// of the methods. `existing` is the value registered first; the caller still knows
    /// the rejected one, so it can name both handlers.
    Duplicate { existing: &'a T },
}

impl<T> fmt::Display for InsertError<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsertError::Pattern(error) => error.fmt(f),
            InsertError::Duplicate { .. } => f.write_str(
                "a route with the same pattern (ignoring parameter names) and method is already registered",
            ),
        }
    }
}

/// The outcome of [`Router::lookup`].
#[derive(Debug)]
pub enum Lookup<'r, 'p, T> {
    /// A route matched the path and method, and `accept` accepted it.
    Found {
        value: &'r T,
        /// Where the value sits in the router, to find it again with [`Router::get`].
        id: RouteId,
        params: Params<'r, 'p>,
    },
    /// Routes matched the path, but none for this method. `allowed` is sorted by name,
    /// deduplicated, and includes `HEAD` when `GET` is there, and `OPTIONS`.
    MethodNotAllowed { allowed: Vec<Method> },
    /// Nothing matched, but the path with a `/` appended matches a route (of any method).
    RedirectTrailingSlash,
    /// Nothing matched.
    NotFound,
}

/// A route's place in its [`Router`]: what a lookup found, held without borrowing the
/// router (a request's future owns the app it borrows from, and cannot hold a reference
/// into it made before).
///
/// ```
/// use http::Method;
/// use httpserver::router::{Lookup, Router};
///
/// let mut router = Router::new();
/// router.insert("/users/<int:id>", &[Method::GET], "user").unwrap();
/// let Lookup::Found { id, .. } = router.lookup(&Method::GET, "/users/7", |_, _| true) else {
///     panic!("no match");
/// };
/// assert_eq!(router.get(id), Some(&"user"));
/// assert_eq!(router[id], "user");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteId(usize);

/// The parameters captured by a match: the route's own names with the decoded values,
/// in pattern order. Holds no heap allocation when the route has no parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params<'r, 'p> {
    names: &'r [Arc<str>],
    values: Vec<&'p str>,
}

impl<'r, 'p> Params<'r, 'p> {
    /// `(name, value)` pairs in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&'r str, &'p str)> + '_ {
        let names = self.names.iter().map(|name| &**name);
        names.zip(self.values.iter().copied())
    }

    /// The value captured for `name`.
    pub fn get(&self, name: &str) -> Option<&'p str> {
        self.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }

    /// The route's parameter names in pattern order, shared: a caller that keeps them
    /// past the router's borrow clones the `Arc`s instead of copying the text.
    pub fn names(&self) -> &'r [Arc<str>] {
        self.names
    }

    /// The captured values in pattern order.
    pub fn values(&self) -> &[&'p str] {
        &self.values
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The value of the route a lookup of this router found.
///
/// # Panics
/// For an id that no lookup of this router gave: an id of a larger router.
impl<T> std::ops::Index<RouteId> for Router<T> {
    type Output = T;

    fn index(&self, id: RouteId) -> &T {
        &self.routes[id.0].value
    }
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Router<T> {
    /// An empty router.
    pub fn new() -> Self {
        Router {
            root: Node::default(),
            routes: Vec::new(),
        }
    }

    /// Registers `value` for `pattern` and each of `methods` (repeats are ignored).
    ///
    /// Fails without changing the router if the pattern is invalid or if a route with the
    /// same shape (e.g. `/u/<int:id>` and `/u/<int:uid>`) already has one of the methods.
    pub fn insert(
        &mut self,
        pattern: &str,
        methods: &[Method],
        value: T,
    ) -> Result<(), InsertError<'_, T>> {
        let parsed = pattern::parse(pattern).map_err(InsertError::Pattern)?;
        let mut unique: Vec<Method> = Vec::with_capacity(methods.len());
        for method in methods {
            if !unique.contains(method) {
                unique.push(method.clone());
            }
        }
        if let Some(id) = self.conflict(&parsed, &unique) {
            return Err(InsertError::Duplicate {
                existing: &self.routes[id].value,
            });
        }
        self.root.slot_mut(&parsed.segments).push(self.routes.len());
        self.routes.push(Route {
            pattern: pattern.into(),
            methods: unique,
            names: parsed.params().map(|(name, _)| name.into()).collect(),
            value,
        });
        Ok(())
    }

    fn conflict(&self, parsed: &Pattern, methods: &[Method]) -> Option<usize> {
        let mut slot = self.root.slot(&parsed.segments).iter().copied();
        slot.find(|&id| methods.iter().any(|m| self.routes[id].methods.contains(m)))
    }

    /// Finds the route for `method` and the decoded `path` (which starts with `/`).
    ///
    /// `accept(value, captured_values)` vets each candidate (e.g. an `<int:x>` bound to a
    /// `u8` rejects `"300"`); a rejected candidate does not match, and the search goes on
    /// to lower-precedence branches. `HEAD` is served by a `GET` route unless a `HEAD`
    /// route matches at the same place.
    pub fn lookup<'r, 'p>(
        &'r self,
        method: &Method,
        path: &'p str,
        accept: impl FnMut(&T, &[&'p str]) -> bool,
    ) -> Lookup<'r, 'p, T> {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let mut search = Search {
            routes: &self.routes,
            method,
            accept,
            goal: Goal::Method,
            captures: Vec::new(),
            allowed: Vec::new(),
            path_matched: false,
        };
        if let Some(id) = search.run(&self.root, rest, Goal::Method) {
            let route = &self.routes[id];
            debug_assert_eq!(route.names.len(), search.captures.len());
            let params = Params {
                names: &route.names,
                values: search.captures,
            };
            return Lookup::Found {
                value: &route.value,
                id: RouteId(id),
                params,
            };
        }
        if search.path_matched {
            return Lookup::MethodNotAllowed {
                allowed: allow_list(search.allowed),
            };
        }
        let probe =
            !path.ends_with('/') && search.run(&self.root, rest, Goal::TrailingSlash).is_some();
        match probe {
            true => Lookup::RedirectTrailingSlash,
            false => Lookup::NotFound,
        }
    }

    /// The value of the route a lookup found (`None` for an id of another router).
    pub fn get(&self, id: RouteId) -> Option<&T> {
        self.routes.get(id.0).map(|route| &route.value)
    }

    /// Every route as `(methods, pattern as written, value)`, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[Method], &str, &T)> {
        self.routes
            .iter()
            .map(|route| (route.methods.as_slice(), &*route.pattern, &route.value))
    }

    /// The number of routes inserted.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether no route was inserted.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

fn allow_list(mut methods: Vec<Method>) -> Vec<Method> {
    if methods.contains(&Method::GET) {
        methods.push(Method::HEAD);
    }
    methods.push(Method::OPTIONS);
    methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    methods.dedup();
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    type Table = [(&'static str, &'static [Method], &'static str)];

    fn router(table: &Table) -> Router<&'static str> {
        let mut router = Router::new();
        for (pattern, methods, name) in table {
            if let Err(e) = router.insert(pattern, methods, *name) {
                panic!("{pattern}: {e}");
            }
        }
        router
    }

    fn lookup(router: &Router<&'static str>, method: Method, path: &str) -> String {
        describe(router.lookup(&method, path, |_, _| true))
    }

    fn get(router: &Router<&'static str>, path: &str) -> String {
        lookup(router, Method::GET, path)
    }

    /// `name` or `name a=1 b=2` for a match, else the variant.
    fn describe(found: Lookup<'_, '_, &'static str>) -> String {
        match found {
            Lookup::Found { value, params, .. } => {
                let pairs = params.iter().map(|(n, v)| format!(" {n}={v}"));
                format!("{value}{}", pairs.collect::<String>())
            }
            Lookup::MethodNotAllowed { allowed } => {
                let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
                format!("405 {}", names.join(","))
            }
            Lookup::RedirectTrailingSlash => "redirect".into(),
            Lookup::NotFound => "404".into(),
        }
    }

    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];

    #[test]
    fn precedence_static_int_float_string_path() {
        let r = router(&[
            ("/p/<path:rest>", GET, "path"),
            ("/p/<s>", GET, "string"),
            ("/p/<float:f>", GET, "float"),
            ("/p/<int:i>", GET, "int"),
            ("/p/static", GET, "static"),
        ]);
        assert_eq!(get(&r, "/p/static"), "static");
        assert_eq!(get(&r, "/p/5"), "int i=5");
        assert_eq!(get(&r, "/p/-5"), "int i=-5");
        assert_eq!(get(&r, "/p/5.5"), "float f=5.5");
        assert_eq!(get(&r, "/p/-0.5"), "float f=-0.5");
        assert_eq!(get(&r, "/p/abc"), "string s=abc");
        assert_eq!(get(&r, "/p/1."), "string s=1.");
        assert_eq!(get(&r, "/p/.5"), "string s=.5");
        assert_eq!(get(&r, "/p/a/b"), "path rest=a/b");
        assert_eq!(get(&r, "/p/static/x"), "path rest=static/x");
    }

    #[test]
    fn static_prefix_that_dead_ends_falls_back_to_param() {
        let r = router(&[("/a/b/c", GET, "static"), ("/a/<x>/d", GET, "param")]);
        assert_eq!(get(&r, "/a/b/c"), "static");
        assert_eq!(get(&r, "/a/b/d"), "param x=b");
        assert_eq!(get(&r, "/a/b/e"), "404");
    }

    #[test]
    fn dead_end_param_branches_fall_back_in_precedence_order() {
        let r = router(&[
            ("/n/<int:i>/x", GET, "int"),
            ("/n/<s>/y", GET, "string"),
            ("/n/<path:p>", GET, "path"),
        ]);
        assert_eq!(get(&r, "/n/5/x"), "int i=5");
        assert_eq!(get(&r, "/n/5/y"), "string s=5");
        assert_eq!(get(&r, "/n/5/z"), "path p=5/z");
    }

    #[test]
    fn rejected_int_falls_back_to_string() {
        let r = router(&[("/u/<int:id>", GET, "int"), ("/u/<name>", GET, "string")]);
        let accept_u8 =
            |value: &&str, values: &[&str]| *value != "int" || values[0].parse::<u8>().is_ok();
        let found = |path| describe(r.lookup(&Method::GET, path, accept_u8));
        assert_eq!(found("/u/30"), "int id=30");
        assert_eq!(found("/u/300"), "string name=300");
    }

    #[test]
    fn nothing_accepted_is_not_found_even_for_other_methods() {
        let r = router(&[("/u/<int:id>", POST, "int")]);
        let none = r.lookup(&Method::GET, "/u/1", |_, _| false);
        assert_eq!(describe(none), "404");
        let accepted = r.lookup(&Method::GET, "/u/1", |_, _| true);
        assert_eq!(describe(accepted), "405 OPTIONS,POST");
    }

    #[test]
    fn floats_need_digits_on_both_sides_of_the_dot() {
        let r = router(&[("/f/<float:x>", GET, "float")]);
        assert_eq!(get(&r, "/f/1"), "float x=1");
        assert_eq!(get(&r, "/f/1.5"), "float x=1.5");
        assert_eq!(get(&r, "/f/-2.25"), "float x=-2.25");
        for miss in ["/f/1.", "/f/.5", "/f/1e3", "/f/abc", "/f/-"] {
            assert_eq!(get(&r, miss), "404", "{miss}");
        }
    }

    #[test]
    fn path_captures_slashes_and_unicode() {
        let r = router(&[("/files/<path:p>", GET, "files")]);
        assert_eq!(get(&r, "/files/\u{e9}/\u{fc}"), "files p=\u{e9}/\u{fc}");
        assert_eq!(get(&r, "/files/a/"), "files p=a/");
        assert_eq!(get(&r, "/files/a//b"), "files p=a//b");
        assert_eq!(get(&r, "/files/"), "404");
        assert_eq!(get(&r, "/files"), "404");
    }

    #[test]
    fn unicode_static_and_string_segments() {
        let r = router(&[("/caf\u{e9}/<n>", GET, "cafe")]);
        assert_eq!(get(&r, "/caf\u{e9}/na\u{ef}ve"), "cafe n=na\u{ef}ve");
    }

    #[test]
    fn method_not_allowed_lists_the_union() {
        let r = router(&[
            ("/r", GET, "get"),
            ("/r", POST, "post"),
            ("/r", &[Method::PUT, Method::DELETE], "put"),
            ("/m/<int:i>", GET, "int"),
            ("/m/<s>", POST, "string"),
        ]);
        assert_eq!(
            lookup(&r, Method::PATCH, "/r"),
            "405 DELETE,GET,HEAD,OPTIONS,POST,PUT"
        );
        assert_eq!(lookup(&r, Method::PUT, "/m/5"), "405 GET,HEAD,OPTIONS,POST");
        assert_eq!(lookup(&r, Method::POST, "/m/5"), "string s=5");
        assert_eq!(lookup(&r, Method::OPTIONS, "/m/x"), "405 OPTIONS,POST");
        assert_eq!(lookup(&r, Method::PATCH, "/nope"), "404");
    }

    #[test]
    fn head_is_served_by_get_unless_an_explicit_head_route_matches() {
        let r = router(&[
            ("/h", GET, "get"),
            ("/h2", GET, "get2"),
            ("/h2", &[Method::HEAD], "head2"),
        ]);
        assert_eq!(lookup(&r, Method::HEAD, "/h"), "get");
        assert_eq!(lookup(&r, Method::HEAD, "/h2"), "head2");
        assert_eq!(lookup(&r, Method::GET, "/h2"), "get2");
        assert_eq!(lookup(&r, Method::POST, "/h"), "405 GET,HEAD,OPTIONS");
    }

    #[test]
    fn redirect_to_trailing_slash() {
        let r = router(&[
            ("/x/", GET, "x"),
            ("/d/<int:i>/", POST, "d"),
            ("/y", POST, "y"),
            ("/y/", GET, "y/"),
            ("/z", GET, "z"),
        ]);
        assert_eq!(get(&r, "/x"), "redirect");
        assert_eq!(lookup(&r, Method::DELETE, "/x"), "redirect");
        assert_eq!(get(&r, "/d/5"), "redirect");
        assert_eq!(get(&r, "/d/e"), "404");
        assert_eq!(get(&r, "/y"), "405 OPTIONS,POST");
        assert_eq!(get(&r, "/y/"), "y/");
        assert_eq!(get(&r, "/z/"), "404");
    }

    #[test]
    fn redirect_respects_accept() {
        let r = router(&[("/d/<int:i>/", GET, "d")]);
        let rejected = r.lookup(&Method::GET, "/d/5", |_, _| false);
        assert_eq!(describe(rejected), "404");
    }

    #[test]
    fn root() {
        let r = router(&[("/", GET, "root"), ("/a", GET, "a")]);
        assert_eq!(get(&r, "/"), "root");
        assert_eq!(get(&r, "/a"), "a");
        assert_eq!(get(&r, "/b"), "404");
        assert_eq!(get(&r, "//"), "404");
        assert_eq!(get(&Router::new(), "/"), "404");
    }

    #[test]
    fn empty_segments_only_match_a_trailing_slash() {
        let r = router(&[("/a/<s>", GET, "s"), ("/a/<s>/b", GET, "sb")]);
        assert_eq!(get(&r, "/a/"), "404");
        assert_eq!(get(&r, "/a//b"), "404");
    }

    #[test]
    fn duplicates_ignore_names_but_not_converters_or_methods() {
        let mut r = Router::new();
        assert!(r.insert("/u/<int:a>", GET, "first").is_ok());
        match r.insert("/u/<int:b>", &[Method::POST, Method::GET], "second") {
            Err(InsertError::Duplicate { existing }) => assert_eq!(*existing, "first"),
            other => panic!("{:?}", other.map_err(|e| e.to_string())),
        }
        assert!(r.insert("/u/<b>", GET, "string").is_ok());
        assert!(r.insert("/u/<float:b>", GET, "float").is_ok());
        assert!(r.insert("/u/<int:c>", POST, "post").is_ok());
        let again = r.insert("/u/<int:d>", &[Method::PUT, Method::POST], "put");
        assert!(matches!(
            again,
            Err(InsertError::Duplicate { existing: &"post" })
        ));
        assert_eq!(r.len(), 4);
        assert_eq!(get(&r, "/u/1"), "first a=1");
        assert_eq!(lookup(&r, Method::PUT, "/u/1"), "405 GET,HEAD,OPTIONS,POST");
    }

    #[test]
    fn duplicate_paths_differ_by_converter_and_static_text() {
        let mut r = Router::new();
        assert!(r.insert("/f/<path:p>", GET, 1).is_ok());
        assert!(r.insert("/f/<path:q>", GET, 2).is_err());
        assert!(r.insert("/f/<p>", GET, 3).is_ok());
        assert!(r.insert("/x", GET, 4).is_ok());
        assert!(r.insert("/x/", GET, 5).is_ok());
        assert!(r.insert("/x", GET, 6).is_err());
    }

    #[test]
    fn invalid_patterns_and_duplicate_messages() {
        let mut r = Router::new();
        let bad = r
            .insert("/file-<id>.txt", GET, ())
            .map_err(|e| e.to_string());
        assert!(matches!(bad, Err(m) if m.contains("a parameter must be a whole path segment")));
        assert!(r.insert("/u/<int:id>", GET, ()).is_ok());
        let dup = r.insert("/u/<int:uid>", GET, ()).map_err(|e| e.to_string());
        assert!(matches!(dup, Err(m) if m.contains("already registered")));
        assert!(!r.is_empty());
    }

    #[test]
    fn same_pattern_with_different_methods() {
        let r = router(&[("/s", GET, "get"), ("/s", POST, "post")]);
        assert_eq!(lookup(&r, Method::GET, "/s"), "get");
        assert_eq!(lookup(&r, Method::POST, "/s"), "post");
    }

    #[test]
    fn params_use_the_routes_own_names_without_allocating_when_empty() {
        let r = router(&[
            ("/u/<int:id>/<path:rest>", GET, "a"),
            ("/u/<int:uid>/<path:tail>", POST, "b"),
            ("/plain", GET, "plain"),
        ]);
        let Lookup::Found { params, .. } = r.lookup(&Method::POST, "/u/7/x/y", |_, _| true) else {
            panic!("no match")
        };
        assert_eq!(params.len(), 2);
        assert_eq!(params.get("uid"), Some("7"));
        assert_eq!(params.get("tail"), Some("x/y"));
        assert_eq!(params.get("id"), None);
        assert_eq!(params.values(), ["7", "x/y"]);
        let Lookup::Found { params, .. } = r.lookup(&Method::GET, "/plain", |_, _| true) else {
            panic!("no match")
        };
        assert!(params.is_empty());
        assert_eq!(params.values.capacity(), 0);
    }

    #[test]
    fn accept_sees_the_captured_values() {
        let r = router(&[("/a/<int:x>/<y>", GET, "a")]);
        let mut seen = Vec::new();
        let found = r.lookup(&Method::GET, "/a/1/b", |_, values| {
            seen.push(values.join(","));
            true
        });
        assert_eq!(describe(found), "a x=1 y=b");
        assert_eq!(seen, ["1,b"]);
    }

    #[test]
    fn iter_is_in_insertion_order() {
        let r = router(&[
            ("/b", GET, "b"),
            ("/a", &[Method::POST, Method::PUT, Method::POST], "a"),
        ]);
        let rows: Vec<_> = r.iter().map(|(m, p, v)| (m.to_vec(), p, *v)).collect();
        assert_eq!(
            rows,
            [
                (vec![Method::GET], "/b", "b"),
                (vec![Method::POST, Method::PUT], "/a", "a")
            ]
        );
    }
}
