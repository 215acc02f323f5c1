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
    Framing::of(&head.headers).check()
}

/// [`check_head`] and the `Host` rules, for requests read off a connection (the test
/// client and other servers' requests need not carry a `Host`). An HTTP/2 request's
/// `:authority` has been copied to `Host` where it had none (`conn::host_from_authority`).
pub(crate) fn check_head_and_host(head: &http::request::Parts) -> Result<(), HttpError> {
    check_method(&head.method)?;
    let framing = Framing::of(&head.headers);
    framing.check()?;
    framing.check_host(head.version)?;
    if head.version == Version::HTTP_2 {
        check_authority(head.uri.authority(), framing.first_host)?;
    }
    Ok(())
}

/// RFC 9113 8.3.1: a `Host` that names another host than `:authority` makes the request
/// malformed; which one would the app route on?
fn check_authority(
    authority: Option<&http::uri::Authority>,
    host: Option<&[u8]>,
) -> Result<(), HttpError> {
    match (authority, host) {
        (Some(authority), Some(host))
            if !host.eq_ignore_ascii_case(authority.as_str().as_bytes()) =>
        {
            Err(bad_host(":authority and Host name different hosts"))
        }
        _ => Ok(()),
    }
}

/// RFC 9110 9.1: a method the server does not recognise is 501, not 405 (405 says the
/// method exists but not on this resource). Methods are case-sensitive, so `get` is one
/// of these.
fn check_method(method: &Method) -> Result<(), HttpError> {
    // Comparisons, not a table: a table of `Method`s is built and dropped on every call.
    let known = *method == Method::GET
        || *method == Method::POST
        || *method == Method::HEAD
        || *method == Method::PUT
        || *method == Method::DELETE
        || *method == Method::PATCH
        || *method == Method::OPTIONS
        || *method == Method::TRACE
        || *method == Method::CONNECT;
    if known {
        Ok(())
    } else {
        Err(HttpError::new(501, "Not Implemented: unknown method"))
    }
}

/// What the checks need from the headers, gathered in one walk over them: most requests
/// carry a handful of headers, and one walk costs less than a hashed lookup per name.
#[derive(Default)]
struct Framing<'a> {
    lengths: usize,
    invalid_length: bool,
    codings: usize,
    chunked: usize,
    other_coding: bool,
    hosts: usize,
    first_host: Option<&'a [u8]>,
}

impl<'a> Framing<'a> {
    fn of(headers: &'a HeaderMap) -> Self {
        let mut framing = Framing::default();
        for (name, value) in headers {
            if name == HOST {
                framing.hosts += 1;
                framing.first_host.get_or_insert(value.as_bytes());
            } else if name == CONTENT_LENGTH {
                framing.lengths += 1;
                // `1*DIGIT` (RFC 9110 8.6): Rust's integer parsing would also take `+5`.
                framing.invalid_length |= value.as_bytes().split(|&b| b == b',').any(|n| {
                    n.trim_ascii().is_empty() || !n.trim_ascii().iter().all(u8::is_ascii_digit)
                });
            } else if name == TRANSFER_ENCODING {
                for coding in value
                    .as_bytes()
                    .split(|&b| b == b',')
                    .map(<[u8]>::trim_ascii)
                    .filter(|c| !c.is_empty())
                {
                    framing.codings += 1;
                    if coding.eq_ignore_ascii_case(b"chunked") {
                        framing.chunked += 1;
                    } else {
                        framing.other_coding = true;
                    }
                }
            }
        }
        framing
    }

    /// RFC 9112 6.1 and 6.3. hyper has already refused a `Transfer-Encoding` whose last
    /// coding is not `chunked` (400). What is left: another coding before `chunked` is one
    /// this server does not implement (501; it would otherwise hand the handler gzip
    /// bytes), and `chunked` twice, or a `Content-Length` beside a `Transfer-Encoding`, is
    /// a framing that two parsers may read differently: the way requests are smuggled
    /// past a proxy.
    fn check(&self) -> Result<(), HttpError> {
        if self.invalid_length {
            return Err(HttpError::new(400, "Bad Request: invalid Content-Length"));
        }
        if self.codings == 0 {
            return Ok(());
        }
        if self.other_coding {
            return Err(HttpError::new(
                501,
                "Not Implemented: transfer coding other than chunked",
            ));
        }
        if self.chunked > 1 {
            return Err(HttpError::new(400, "Bad Request: chunked applied twice"));
        }
        if self.lengths > 0 {
            return Err(HttpError::new(
                400,
                "Bad Request: both Content-Length and Transfer-Encoding",
            ));
        }
        Ok(())
    }

    /// RFC 9112 3.2: an HTTP/1.1 request without `Host`, and any request with two of them
    /// or an invalid one, MUST get 400. Proxies and virtual hosts route on it, so a request
    /// that could mean two hosts is never guessed at. An HTTP/2 request names its host in
    /// `:authority` or `Host` (RFC 9113 8.3.1); one with neither is refused the same way.
    fn check_host(&self, version: Version) -> Result<(), HttpError> {
        match (self.hosts, self.first_host) {
            (0, _) if version == Version::HTTP_11 || version == Version::HTTP_2 => {
                Err(bad_host("missing Host header"))
            }
            (0, _) => Ok(()),
            (1, Some(host)) if is_valid_host(host) => Ok(()),
            (1, _) => Err(bad_host("invalid Host header")),
            _ => Err(bad_host("more than one Host header")),
        }
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
