//! A multipart body's framing, checked as its bytes stream in, before the parser buffers
//! them: the preamble and each part's headers must end within a bound (else a client
//! could make the parser hold a whole body's worth of bytes while it looks for a
//! CRLFCRLF), and the number of parts is capped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use memchr::memmem;

use crate::config::FramingLimits;
use crate::error::HttpError;

/// Where the scan is: looking for the next delimiter, the end of a header block, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the first delimiter.
    Preamble,
    /// After a delimiter: two bytes tell a closing delimiter (`--`) from a part.
    AfterDelimiter,
    /// A part's headers, up to their CRLFCRLF.
    Headers,
    /// A part's data, up to the next delimiter.
    Data,
    /// After the closing delimiter: the epilogue is ignored.
    Done,
}

/// A streaming scan of a multipart body's framing.
#[derive(Debug)]
pub(crate) struct Framing {
    limits: FramingLimits,
    /// `CRLF--boundary`: the body is scanned as if it began with a CRLF, so that a
    /// delimiter on the first line is found like any other.
    delimiter: Vec<u8>,
    stage: Stage,
    /// The last bytes of this stage (at most the needle's length less one), for a needle
    /// split between two chunks.
    tail: Vec<u8>,
    /// Bytes seen in this stage.
    seen: usize,
    parts: usize,
}

const HEADERS_END: &[u8] = b"\r\n\r\n";

impl Framing {
    pub(crate) fn new(boundary: &str, limits: FramingLimits) -> Self {
        Framing {
            limits,
            delimiter: [b"\r\n--", boundary.as_bytes()].concat(),
            stage: Stage::Preamble,
            tail: b"\r\n".to_vec(),
            seen: 0,
            parts: 0,
        }
    }

    /// Scans the next chunk of the body; an error names the limit it passed.
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) -> Result<(), HttpError> {
        while !chunk.is_empty() {
            match self.stage {
                Stage::Done => return Ok(()),
                Stage::AfterDelimiter => {
                    let need = 2 - self.tail.len();
                    let take = need.min(chunk.len());
                    self.tail.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if self.tail.len() == 2 {
                        self.after_delimiter()?;
                    }
                }
                Stage::Preamble | Stage::Headers | Stage::Data => {
                    let needle = match self.stage {
                        Stage::Headers => HEADERS_END,
                        _ => &self.delimiter[..],
                    };
                    match find_across(&self.tail, chunk, needle) {
                        Some(end) => {
                            self.seen += end;
                            self.check_size()?;
                            chunk = &chunk[end..];
                            self.tail.clear();
                            self.seen = 0;
                            self.stage = match self.stage {
                                Stage::Headers => Stage::Data,
                                _ => Stage::AfterDelimiter,
                            };
                        }
                        None => {
                            self.seen += chunk.len();
                            self.check_size()?;
                            keep_tail(&mut self.tail, chunk, needle.len() - 1);
                            chunk = &[];
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Two bytes after a delimiter: `--` closes the body, anything else starts a part
    /// (whose header block those bytes begin: `\r\n` at once for a part without headers).
    fn after_delimiter(&mut self) -> Result<(), HttpError> {
        if self.tail == b"--" {
            self.stage = Stage::Done;
            return Ok(());
        }
        self.parts += 1;
        if self.parts > self.limits.parts {
            return Err(HttpError::new(
                413,
                format!(
                    "the multipart body has more than {} parts (max_multipart_parts)",
                    self.limits.parts
                ),
            ));
        }
        self.stage = Stage::Headers;
        self.seen = self.tail.len();
        if self.tail == b"\r\n" {
            // The CRLF ending the delimiter line is the first half of an empty header
            // block's CRLFCRLF: keep it for the search.
            return Ok(());
        }
        self.check_size()
    }

    fn check_size(&self) -> Result<(), HttpError> {
        let what = match self.stage {
            Stage::Preamble => "preamble before the first boundary",
            Stage::Headers => "headers of a part",
            _ => return Ok(()),
        };
        if self.seen <= self.limits.header_size {
            return Ok(());
        }
        Err(HttpError::new(
            413,
            format!(
                "the {what} of the multipart body run past {} bytes without their end \
                 (max_multipart_header_size)",
                self.limits.header_size
            ),
        ))
    }
}

/// Where `needle` ends in `chunk` (an index into `chunk`), when it starts in the `tail` of
/// what came before or anywhere in `chunk`.
fn find_across(tail: &[u8], chunk: &[u8], needle: &[u8]) -> Option<usize> {
    if !tail.is_empty() {
        let take = (needle.len() - 1).min(chunk.len());
        let span = [tail, &chunk[..take]].concat();
        if let Some(start) = memmem::find(&span, needle) {
            return Some(start + needle.len() - tail.len());
        }
    }
    memmem::find(chunk, needle).map(|start| start + needle.len())
}

/// Keeps the last `keep` bytes of `tail` followed by `chunk`.
fn keep_tail(tail: &mut Vec<u8>, chunk: &[u8], keep: usize) {
    if chunk.len() >= keep {
        tail.clear();
        tail.extend_from_slice(&chunk[chunk.len() - keep..]);
    } else {
        tail.extend_from_slice(chunk);
        let excess = tail.len().saturating_sub(keep);
        tail.drain(..excess);
    }
}

/// A body stream whose framing is checked chunk by chunk before the parser sees it.
pub(crate) struct FramingCheck<S> {
    inner: S,
    framing: Framing,
    failed: bool,
}

impl<S> FramingCheck<S> {
    pub(crate) fn new(inner: S, framing: Framing) -> Self {
        FramingCheck {
            inner,
            framing,
            failed: false,
        }
    }
}

impl<S> Stream for FramingCheck<S>
where
    S: Stream<Item = Result<Bytes, HttpError>> + Unpin,
{
    type Item = Result<Bytes, HttpError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        let item = std::task::ready!(Pin::new(&mut this.inner).poll_next(cx));
        if let Some(Ok(chunk)) = &item {
            if let Err(e) = this.framing.feed(chunk) {
                this.failed = true;
                return Poll::Ready(Some(Err(e)));
            }
        }
        Poll::Ready(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FramingLimits = FramingLimits {
        header_size: 64,
        parts: 3,
    };

    fn part(name: &str, value: &str) -> String {
        format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    }

    /// Feeds `body` in chunks of `size` bytes; the first error's message.
    fn scan(body: &[u8], size: usize) -> Result<usize, String> {
        let mut framing = Framing::new("XyZ", LIMITS);
        for chunk in body.chunks(size) {
            framing.feed(chunk).map_err(|e| e.message().to_owned())?;
        }
        Ok(framing.parts)
    }

    #[test]
    fn well_formed_bodies_pass_whatever_the_chunking() {
        let body = format!("{}{}--XyZ--\r\nepilogue", part("a", "1"), part("b", "two"));
        for size in 1..body.len() {
            assert_eq!(scan(body.as_bytes(), size), Ok(2), "chunks of {size}");
        }
    }

    #[test]
    fn a_short_preamble_and_an_empty_header_block_pass() {
        let body = b"preamble\r\n--XyZ\r\n\r\ndata\r\n--XyZ--";
        for size in 1..body.len() {
            assert_eq!(scan(body, size), Ok(1), "chunks of {size}");
        }
    }

    #[test]
    fn headers_without_their_end_are_refused_at_the_limit() {
        let body = format!("--XyZ\r\nX-Long: {}", "h".repeat(200));
        for size in [1, 7, 1000] {
            let err = scan(body.as_bytes(), size).unwrap_err();
            assert!(err.contains("headers of a part"), "{err}");
            assert!(err.contains("64 bytes"), "{err}");
        }
    }

    #[test]
    fn a_preamble_without_a_boundary_is_refused_at_the_limit() {
        let err = scan(&[b'p'; 100], 10).unwrap_err();
        assert!(err.contains("preamble"), "{err}");
    }

    #[test]
    fn data_of_any_size_is_not_a_header() {
        let body = format!("{}--XyZ--", part("file", &"d".repeat(10_000)));
        assert_eq!(scan(body.as_bytes(), 333), Ok(1));
    }

    #[test]
    fn parts_over_the_cap_are_refused() {
        let body: String = (0..4).map(|i| part(&format!("f{i}"), "v")).collect();
        let err = scan(body.as_bytes(), 16).unwrap_err();
        assert!(err.contains("more than 3 parts"), "{err}");
    }

    #[test]
    fn a_delimiter_split_across_chunks_is_found() {
        let mut framing = Framing::new("XyZ", LIMITS);
        for piece in ["--X", "yZ\r", "\nA: b\r\n\r", "\nv\r\n--", "X", "yZ--"] {
            framing.feed(piece.as_bytes()).expect("well formed");
        }
        assert_eq!((framing.parts, framing.stage), (1, Stage::Done));
    }
}
