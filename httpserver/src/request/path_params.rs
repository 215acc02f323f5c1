//! The path parameters a route matched: a short list of names and decoded values, in the
//! pattern's order.

use std::fmt;
use std::sync::Arc;

/// The path parameters of the matched route, by name, as percent-decoded strings.
///
/// A route has a handful of parameters at most, so this is a list searched by name
/// rather than a hash map: no hashing per request, and no allocation for a route without
/// parameters. The names are shared with the route table.
///
/// ```
/// use httpserver::Request;
/// let req = Request::builder("GET", "/users/42/posts/hello%20world")
///     .path_param("id", "42")
///     .path_param("slug", "hello world")
///     .build();
/// let params = req.path_params();
/// assert_eq!(params.get("id"), Some("42"));
/// assert_eq!(params["slug"], *"hello world");
/// assert_eq!(params.get("missing"), None);
/// let pairs: Vec<(&str, &str)> = params.iter().collect();
/// assert_eq!(pairs, [("id", "42"), ("slug", "hello world")]);
/// // Serialized as a map, e.g. into JSON:
/// assert_eq!(
///     serde_json::to_value(params).unwrap(),
///     serde_json::json!({"id": "42", "slug": "hello world"})
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PathParams {
    pairs: Vec<(Arc<str>, String)>,
}

impl PathParams {
    /// Parameters from `(name, value)` pairs, as routing found them.
    pub(crate) fn from_pairs(pairs: Vec<(Arc<str>, String)>) -> Self {
        PathParams { pairs }
    }

    /// Sets `name` to `value`, replacing an earlier value of the same name.
    pub(crate) fn set(&mut self, name: &str, value: String) {
        match self.pairs.iter_mut().find(|(n, _)| &**n == name) {
            Some((_, old)) => *old = value,
            None => self.pairs.push((name.into(), value)),
        }
    }

    /// The value of the parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether the route has a parameter `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `(name, value)` pairs in the pattern's order.
    pub fn iter(&self) -> PathParamsIter<'_> {
        PathParamsIter(self.pairs.iter())
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// The value of the parameter `name`.
///
/// # Panics
/// When the route has no parameter `name` (as a `HashMap` indexed by a missing key);
/// [`PathParams::get`] asks without panicking.
impl std::ops::Index<&str> for PathParams {
    type Output = str;

    fn index(&self, name: &str) -> &str {
        match self.get(name) {
            Some(value) => value,
            None => panic!("the route has no path parameter `{name}`"),
        }
    }
}

/// The `(name, value)` pairs of [`PathParams`], in the pattern's order.
#[derive(Debug, Clone)]
pub struct PathParamsIter<'a>(std::slice::Iter<'a, (Arc<str>, String)>);

impl<'a> Iterator for PathParamsIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(n, v)| (&**n, v.as_str()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for PathParamsIter<'_> {}

impl<'a> IntoIterator for &'a PathParams {
    type Item = (&'a str, &'a str);
    type IntoIter = PathParamsIter<'a>;

    fn into_iter(self) -> PathParamsIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for PathParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As a map from name to value.
impl serde::Serialize for PathParams {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}
