//! The request line of a connection's first request, checked before hyper parses it:
//! the HTTP/2 connection preface starts an HTTP/2 connection (feature `http2`); hyper
//! answers every HTTP version it cannot parse with 400, where RFC 9110 15.6.6 asks
//! for 505 when the major version is not one the server speaks (`HTTP/2.0`, `HTTP/3.0`
//! sent as text), and a higher minor version of HTTP/1 (`HTTP/1.2`) is to be read as the
//! highest this server speaks (RFC 9110 2.5), where hyper refuses it. Later requests on
//! the same connection are left to hyper (400): they
//! cannot be found in the stream without parsing every message before them. Only the
//! first read is looked at: a request line split over several packets is left to hyper
//! too. The head timeout (ConnIo's) runs from the connection's start either way.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of the first request one read takes; the rest of it is hyper's to read.
const FIRST_READ: usize = 8 * 1024;

/// What the first bytes of a connection say.
pub(crate) enum FirstLine {
    /// Hand these bytes to hyper, which parses them as the start of the first request.
    Pass(Bytes),
    /// The HTTP/2 connection preface (a client with prior knowledge): these bytes start
    /// an HTTP/2 connection.
    #[cfg(feature = "http2")]
    Http2(Bytes),
    /// An HTTP version whose major number is not 1: answer 505 and close.
    UnsupportedVersion,
    /// Nothing arrived before the timeout, or the client closed: close without a word.
    Silent,
}

/// Waits (at most `timeout`) for the first bytes of the connection and looks at them.
pub(crate) async fn read_first_line<S: AsyncRead + Unpin>(
    stream: &mut S,
    timeout: Duration,
) -> FirstLine {
    let mut buf = Vec::with_capacity(FIRST_READ);
    match tokio::time::timeout(timeout, stream.read_buf(&mut buf)).await {
        #[cfg(feature = "http2")]
        Ok(Ok(n)) if n > 0 && buf.starts_with(HTTP2_PREFACE_LINE) => {
            FirstLine::Http2(Bytes::from(buf))
        }
        Ok(Ok(n)) if n > 0 && major_version_is_not_1(&buf) => FirstLine::UnsupportedVersion,
        Ok(Ok(n)) if n > 0 => {
            downgrade_minor_version(&mut buf);
            FirstLine::Pass(Bytes::from(buf))
        }
        _ => FirstLine::Silent,
    }
}

/// The first line of the HTTP/2 connection preface (RFC 9113 3.4); hyper's HTTP/2 side
/// checks the rest of it.
#[cfg(feature = "http2")]
const HTTP2_PREFACE_LINE: &[u8] = b"PRI * HTTP/2.0\r\n";

/// `HTTP/1.2` to `HTTP/1.9` become `HTTP/1.1` (same length, so nothing else moves).
fn downgrade_minor_version(bytes: &mut [u8]) {
    if let Some(minor) = version_of_first_line(bytes).and_then(|(at, major, minor)| {
        (major == b'1' && minor.is_ascii_digit() && minor > b'1').then_some(at + 7)
    }) {
        bytes[minor] = b'1';
    }
}

/// Where the request line's `HTTP/x.y` starts, with its two digits, if it ends in one.
fn version_of_first_line(bytes: &[u8]) -> Option<(usize, u8, u8)> {
    let line_end = bytes.iter().position(|&b| b == b'\n')?;
    let line = &bytes[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = line.iter().rposition(|&b| b == b' ')? + 1;
    match &line[start..] {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() => {
            Some((start, *major, *minor))
        }
        _ => None,
    }
}

/// Whether the request line ends in `HTTP/<digit>.<digit>` with a major other than 1.
/// Anything else (no version at all, a malformed one) is for hyper to refuse.
fn major_version_is_not_1(bytes: &[u8]) -> bool {
    version_of_first_line(bytes)
        .is_some_and(|(_, major, minor)| major != b'1' && minor.is_ascii_digit())
}

/// The whole answer to a request in a version this server does not speak.
pub(crate) const VERSION_NOT_SUPPORTED: &[u8] = b"HTTP/1.1 505 HTTP Version Not Supported\r\n\
content-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\nconnection: close\r\n\r\n\
HTTP Version Not Supported";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for bad in [
            &b"GET / HTTP/2.0\r\n"[..],
            b"GET / HTTP/3.0\r\n",
            b"GET / HTTP/0.9\r\n",
            b"GET / HTTP/9.9\n",
            b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        ] {
            assert!(major_version_is_not_1(bad), "{bad:?}");
        }
        for left_to_hyper in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"GET / HTTP/1.0\r\nHost: x\r\n",
            b"GET / HTTP/1.2\r\n",
            b"GET /\r\n",
            b"GET / HTTP/20.0\r\n",
            b"GET / http/2.0\r\n",
            b"GET / HTTP/2.0",
            b"",
        ] {
            assert!(!major_version_is_not_1(left_to_hyper), "{left_to_hyper:?}");
        }
        assert_eq!(
            VERSION_NOT_SUPPORTED
                .split(|&b| b == b'\n')
                .next_back()
                .map(<[u8]>::len),
            Some(26)
        );
    }
}
