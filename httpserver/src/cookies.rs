//! Cookies: those a request carries, and the `Set-Cookie` headers a response adds. Parsing
//! and formatting are the `cookie` crate's, re-exported as [`httpserver::cookie`](crate::cookie).

use cookie::Cookie;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::response::Response;

/// The `(name, value)` pairs of every `Cookie` header, in order. A pair that does not parse
/// is skipped, never an error: one bad cookie set by another app on the same domain must
/// not lock a user out.
pub(crate) fn parse(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect()
}

/// `Set-Cookie` for `cookie`, or `None` (and a log line) if it cannot be a header value.
pub(crate) fn header_value(cookie: &Cookie<'_>) -> Option<HeaderValue> {
    match HeaderValue::try_from(cookie.to_string()) {
        Ok(value) => Some(value),
        Err(_) => {
            tracing::error!(
                cookie = cookie.name(),
                "cookie not sent: its name or value holds characters a header cannot carry"
            );
            None
        }
    }
}

impl Response {
    /// Adds a `Set-Cookie` header for `cookie` (one header per cookie). Build it with the
    /// re-exported `cookie` crate; name and value are sent as given, so keep them to
    /// the characters cookies allow (percent-encode anything else yourself).
    ///
    /// ```
    /// use httpserver::cookie::{Cookie, SameSite};
    /// use httpserver::Response;
    ///
    /// let res = Response::new("ok")
    ///     .with_cookie(Cookie::build(("theme", "dark")).path("/").http_only(true).same_site(SameSite::Lax));
    /// assert_eq!(res.headers()["set-cookie"], "theme=dark; HttpOnly; SameSite=Lax; Path=/");
    /// ```
    pub fn with_cookie(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        if let Some(value) = header_value(&cookie.into()) {
            self.headers_mut().append(SET_COOKIE, value);
        }
        self
    }

    /// Adds a `Set-Cookie` header that expires cookie `name` (at path `/`) in the browser.
    /// A cookie set with another `path` or `domain` is removed by sending
    /// `Cookie::build((name, "")).path(p).removal()` with [`with_cookie`](Response::with_cookie).
    ///
    /// ```
    /// use httpserver::Response;
    /// let res = Response::new("bye").remove_cookie("seen");
    /// let set = res.headers()["set-cookie"].to_str().unwrap();
    /// assert!(set.starts_with("seen=; Path=/; Max-Age=0"), "{set}");
    /// ```
    pub fn remove_cookie(self, name: &str) -> Self {
        let removal = Cookie::build((name.to_owned(), "")).path("/").removal();
        self.with_cookie(removal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn pairs_in_order_from_every_header_bad_ones_skipped() {
        let parsed = parse(&headers(&["a=1; b=2; =nameless; c", "d=x=y; a=3"]));
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "1"), ("b", "2"), ("d", "x=y"), ("a", "3")]);
        assert!(parse(&headers(&[";;;", "  "])).is_empty());
        assert!(parse(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn set_cookie_headers_accumulate() {
        let res = Response::new("x")
            .with_cookie(Cookie::new("a", "1"))
            .with_cookie(Cookie::new("b", "2"))
            .with_cookie(Cookie::new("bad", "line\nbreak"));
        let values: Vec<&str> = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(values, ["a=1", "b=2"]);
    }
}
