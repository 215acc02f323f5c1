//! Building a URL from text: path segments percent-encoded as RFC 3986 asks, and a query
//! string form-urlencoded. Shared by `url_for!` and the templates' `url_for`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a path segment may hold unencoded: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The same, plus `/`, for a `<path:..>` value.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// Appends `/` and a static segment of the pattern, encoded as a parameter's value is.
pub fn push_static(url: &mut String, text: &str) {
    push_segment_text(url, text);
}

/// Appends `/` and the value of a one-segment parameter (`/` inside it is encoded).
pub(crate) fn push_segment_text(url: &mut String, text: &str) {
    url.push('/');
    url.extend(utf8_percent_encode(text, SEGMENT));
}

/// Appends `/` and the value of a `<path:..>` parameter, keeping its slashes.
pub(crate) fn push_path_text(url: &mut String, text: &str) {
    url.push('/');
    url.extend(utf8_percent_encode(text, PATH));
}

/// `path?key=value&..`, each pair form-urlencoded, for `url_for!(h, ?key = value)`.
pub fn with_query(mut path: String, pairs: &[(&str, String)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    path.push('?');
    path.push_str(&query);
    path
}
