//! The `Set-Cookie` headers a response adds; cookies are built with the `cookie` crate,
//! re-exported as [`httpserver::cookie`](crate::cookie).

use cookie::Cookie;
use http::header::SET_COOKIE;

use crate::protocol::cookies::header_value;

use crate::response::Response;

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
