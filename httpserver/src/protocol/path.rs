//! Request paths, decoded twice: fully for handlers (`Request::path`), and segment-safe for
//! routing, where an encoded `/` (`%2F`) stays inside its segment instead of splitting it,
//! so that `url_for!` of a value with a slash routes back to the same handler.
//!
//! Both refuse a path that is not a valid percent-encoding (`%zz`, a lone `%`) or that
//! decodes to a NUL byte: a handler would otherwise receive a `%` it cannot tell from an
//! escaped one, or a NUL that truncates the string in whatever C API it reaches.

use std::borrow::Cow;

/// The percent-decoded path, or `None` if it is not a path, is not well-formed
/// percent-encoding, or does not decode to UTF-8 without NUL.
pub(crate) fn decode_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') || !is_well_escaped(raw.as_bytes()) {
        return None;
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
}

/// The path the router matches: decoded, except that `%2F` and `%25` stay escaped (upper
/// case), so segments split only where the client put a real `/`. Captured values are
/// finished with [`unescape_segment`].
pub(crate) fn routing_path(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.starts_with('/') {
        return None;
    }
    if !raw.contains('%') {
        // The common case: nothing to decode, nothing to allocate.
        return Some(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match escaped_byte(bytes, i) {
            Some(b'/') => out.extend_from_slice(b"%2F"),
            Some(b'%') => out.extend_from_slice(b"%25"),
            Some(0) => return None,
            Some(byte) => out.push(byte),
            None if bytes[i] == b'%' => return None,
            None => {
                out.push(bytes[i]);
                i += 1;
                continue;
            }
        }
        i += 3;
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// A captured value of [`routing_path`], fully decoded.
pub(crate) fn unescape_segment(value: &str) -> Cow<'_, str> {
    if !value.contains('%') {
        return Cow::Borrowed(value);
    }
    // Only `%2F` and `%25` can be escapes here; anything else is literal text.
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < bytes.len() {
        match escaped_byte(bytes, i) {
            Some(byte @ (b'/' | b'%')) => {
                out.push(char::from(byte));
                i += 3;
            }
            _ => {
                let next = value[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&value[i..i + next]);
                i += next;
            }
        }
    }
    Cow::Owned(out)
}

/// Every `%` starts a `%XX` escape, and none of them is `%00`.
fn is_well_escaped(bytes: &[u8]) -> bool {
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'%')
        .all(|i| escaped_byte(bytes, i).is_some_and(|b| b != 0))
}

/// The byte of a `%XX` escape starting at `i`, if there is one.
fn escaped_byte(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let high = hex(*bytes.get(i + 1)?)?;
    let low = hex(*bytes.get(i + 2)?)?;
    u8::try_from(high * 16 + low).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_paths_for_handlers() {
        assert_eq!(decode_path("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(decode_path("/caf%C3%A9").as_deref(), Some("/café"));
        assert_eq!(decode_path("/a+b").as_deref(), Some("/a+b"));
        assert_eq!(decode_path("/a%2Fb").as_deref(), Some("/a/b"));
        assert_eq!(decode_path("/%FF"), None);
        assert_eq!(decode_path("*"), None);
    }

    #[test]
    fn routing_keeps_encoded_slashes_and_percents_inside_segments() {
        assert_eq!(routing_path("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(routing_path("/a%2fb/c").as_deref(), Some("/a%2Fb/c"));
        assert_eq!(routing_path("/100%25").as_deref(), Some("/100%25"));
        assert_eq!(routing_path("/%252F").as_deref(), Some("/%252F"));
        assert_eq!(routing_path("/caf%C3%A9").as_deref(), Some("/café"));
        assert_eq!(routing_path("/%FF"), None);
        assert_eq!(routing_path("*"), None);
    }

    #[test]
    fn malformed_escapes_and_nul_are_refused() {
        for raw in ["/%zz", "/%", "/a%2", "/%%25", "/a%00b", "/%u002e", "/%0"] {
            assert_eq!(routing_path(raw), None, "{raw}");
            assert_eq!(decode_path(raw), None, "{raw}");
        }
    }

    #[test]
    fn captured_values_decode_to_what_the_client_meant() {
        let cases = [
            ("/a%2Fb", "a/b"),
            ("/100%25", "100%"),
            ("/%252F", "%2F"),
            ("/é%2F", "é/"),
        ];
        for (raw, want) in cases {
            let routed = routing_path(raw).unwrap();
            assert_eq!(unescape_segment(&routed[1..]), want, "{raw}");
            assert_eq!(decode_path(raw).unwrap()[1..], *want, "{raw}");
        }
    }
}
