//! Cookie headers: the pairs a request's `Cookie` headers carry, and a cookie as a
//! `Set-Cookie` value. Parsing and formatting are the `cookie` crate's.

use cookie::Cookie;
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

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
}
