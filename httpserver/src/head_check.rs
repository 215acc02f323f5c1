//! Checks of a request head that hyper lets through but HTTP forbids: a missing, repeated
//! or malformed `Host`, a method the server does not implement, transfer codings other
//! than `chunked`, and a body framed two ways at once. Each failure is answered before the
//! body is read, and the connection is closed after it.

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, Method, Version};

use crate::error::HttpError;

/// Why a head is refused, with the status RFC 9110/9112 asks for.
pub(crate) fn check_head(head: &http::request::Parts) -> Result<(), HttpError> {
    check_method(&head.method)?;
    check_framing(&head.headers)
}

/// [`check_head`] and the `Host` rules, for requests read off an HTTP/1 connection (the
/// test client and other servers' requests need not carry a `Host`).
pub(crate) fn check_wire_head(head: &http::request::Parts) -> Result<(), HttpError> {
    check_head(head)?;
    check_host(&head.headers, head.version)
}

/// RFC 9110 9.1: a method the server does not recognise is 501, not 405 (405 says the
/// method exists but not on this resource). Methods are case-sensitive, so `get` is one
/// of these.
fn check_method(method: &Method) -> Result<(), HttpError> {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    if KNOWN.contains(method) {
        Ok(())
    } else {
        Err(HttpError::new(501, "Not Implemented: unknown method"))
    }
}

/// RFC 9112 3.2: an HTTP/1.1 request without `Host`, and any request with two of them or
/// an invalid one, MUST get 400. Proxies and virtual hosts route on it, so a request that
/// could mean two hosts is never guessed at.
fn check_host(headers: &HeaderMap, version: Version) -> Result<(), HttpError> {
    let mut hosts = headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::HTTP_11 => Err(bad_host("missing Host header")),
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err(bad_host("more than one Host header")),
        (Some(host), None) if is_valid_host(host.as_bytes()) => Ok(()),
        (Some(_), None) => Err(bad_host("invalid Host header")),
    }
}

fn bad_host(why: &str) -> HttpError {
    HttpError::new(400, format!("Bad Request: {why}"))
}

/// `uri-host [ ":" port ]` (RFC 3986): a registered name, an IPv4 address or a bracketed
/// IP literal, then digits after the last colon. An empty value is allowed (RFC 9112 3.2,
/// for targets without an authority).
pub(crate) fn is_valid_host(host: &[u8]) -> bool {
    let (name, port) = match host.first() {
        Some(b'[') => match host.iter().position(|&b| b == b']') {
            Some(end) => (&host[..=end], &host[end + 1..]),
            None => return false,
        },
        _ => match host.iter().position(|&b| b == b':') {
            Some(colon) => (&host[..colon], &host[colon..]),
            None => (host, &host[host.len()..]),
        },
    };
    let port_ok = match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    let name_ok = match name.first() {
        Some(b'[') => name[1..name.len() - 1]
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'v' | b'V')),
        _ => name.iter().all(|&b| is_reg_name_byte(b)),
    };
    port_ok && name_ok
}

/// unreserved / pct-encoded / sub-delims of RFC 3986's reg-name.
fn is_reg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
        )
}

/// RFC 9112 6.1 and 6.3. hyper has already refused a `Transfer-Encoding` whose last coding
/// is not `chunked` (400). What is left: another coding before `chunked` is one this
/// server does not implement (501; it would otherwise hand the handler gzip bytes), and
/// `chunked` twice, or a `Content-Length` beside a `Transfer-Encoding`, is a framing
/// that two parsers may read differently: the way requests are smuggled past a proxy.
fn check_framing(headers: &HeaderMap) -> Result<(), HttpError> {
    // `1*DIGIT` (RFC 9110 8.6): Rust's integer parsing would also take `+5`.
    let lengths = headers.get_all(CONTENT_LENGTH).iter();
    if lengths
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|n| n.trim_ascii().is_empty() || !n.trim_ascii().iter().all(u8::is_ascii_digit))
    {
        return Err(HttpError::new(400, "Bad Request: invalid Content-Length"));
    }
    let mut codings = headers
        .get_all(TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|c| !c.is_empty())
        .peekable();
    if codings.peek().is_none() {
        return Ok(());
    }
    let mut chunked = 0;
    for coding in codings {
        if coding.eq_ignore_ascii_case(b"chunked") {
            chunked += 1;
        } else {
            return Err(HttpError::new(
                501,
                "Not Implemented: transfer coding other than chunked",
            ));
        }
    }
    if chunked > 1 {
        return Err(HttpError::new(400, "Bad Request: chunked applied twice"));
    }
    if headers.contains_key(CONTENT_LENGTH) {
        return Err(HttpError::new(
            400,
            "Bad Request: both Content-Length and Transfer-Encoding",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "example.com",
            "example.com:8080",
            "127.0.0.1",
            "[::1]:80",
            "",
            "a-b.c_d~",
        ] {
            assert!(is_valid_host(ok.as_bytes()), "{ok:?}");
        }
        for bad in [
            "a b", "a/b", "a:b", "a:1:2", "[::1", "a@b", "a\tb", "x:123456",
        ] {
            assert!(!is_valid_host(bad.as_bytes()), "{bad:?}");
        }
    }
}
