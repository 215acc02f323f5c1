//! Files as responses: [`FileResponse`], and the file-serving core that
//! [`App::static_files`](crate::App::static_files) shares with it.
//!
//! A file is answered with `Content-Type` (from its extension), `Content-Length`, a strong
//! `ETag` (from its size and modification time), `Last-Modified` and `Accept-Ranges`.
//! Preconditions are evaluated in the order of RFC 9110 §13.2.2: `If-Match` and
//! `If-Unmodified-Since` (412), then `If-None-Match` or, without it, `If-Modified-Since`
//! (304), then `Range` (206 or 416) guarded by `If-Range`. A file of up to 64 KiB is read with
//! its opening and sent from memory; a larger one is streamed from disk in 64 KiB chunks,
//! never read whole.
//!
//! Errors: a missing file, a directory or anything but a regular file is a 404; a file
//! the server may not read is a 403 (so a misconfigured permission shows up as such
//! rather than as a missing file). Both go through the app's error handlers.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use http::header::{
    HeaderValue, ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, LAST_MODIFIED,
    RANGE,
};
use http::{HeaderMap, Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::file_open::{on_blocking_pool, open_regular, resolve_inside, NotOpened, OpenFile};
use super::{Body, IntoResponse, Response};
use crate::error::{BoxError, HttpError};
use crate::request::Request;

/// The size of the chunks a file is streamed in.
const CHUNK: usize = 64 * 1024;

/// A file on disk as a response: its content type comes from its extension, and it
/// answers conditional (`If-None-Match`, `If-Modified-Since`: 304) and range (`Range`:
/// 206) requests. A file larger than 64 KiB is streamed, never read whole into memory.
///
/// A missing file, or a directory, is a 404 and a file the server may not read a 403;
/// both go through the app's error handlers.
///
/// ```
/// use httpserver::{get, FileResponse, Request};
///
/// #[get("/report")]
/// async fn report(_req: Request) -> FileResponse {
///     FileResponse::new("reports/latest.pdf").with_download_name("report-2024.pdf")
/// }
/// ```
#[derive(Debug, Clone)]
pub struct FileResponse {
    path: PathBuf,
    download_name: Option<String>,
    /// For [`from_dir`](FileResponse::from_dir): the directory `path` must stay inside
    /// once symlinks are resolved (`path` is then relative to it, and `None` when the
    /// client's name was refused outright).
    confined_to: Option<Confinement>,
}

#[derive(Debug, Clone)]
struct Confinement {
    dir: PathBuf,
    name_ok: bool,
}

impl FileResponse {
    /// The file at `path` (relative paths are relative to the process's working
    /// directory). Nothing is read until the response is sent.
    ///
    /// **`path` is trusted**: it is opened as given. Never build it from what a client
    /// sent (`Path::new("uploads").join(name)` with a `<name>` of `..%2F..%2Fetc%2Fpasswd`
    /// is `/etc/passwd`); for a client-given name use [`from_dir`](FileResponse::from_dir).
    ///
    /// ```
    /// use httpserver::{FileResponse, IntoResponse};
    /// let res = FileResponse::new("public/logo.png").into_response();
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileResponse {
            path: path.into(),
            download_name: None,
            confined_to: None,
        }
    }

    /// The file `name` inside `dir`, where `name` comes from the client (Flask's
    /// `send_from_directory`): a relative path of plain names (`a.txt`, `sub/b.txt`). A
    /// name with `..`, `.`, an empty segment, a root, a drive, a backslash or a control
    /// character, or one that leads outside `dir` through a symlink, is a 404, as is a
    /// missing file.
    ///
    /// ```
    /// use httpserver::{get, FileResponse};
    ///
    /// #[get("/uploads/<path:name>")]
    /// async fn download(name: String) -> FileResponse {
    ///     FileResponse::from_dir("uploads", &name) // `../secret` is a 404
    /// }
    /// ```
    pub fn from_dir(dir: impl Into<PathBuf>, name: &str) -> Self {
        let rel = crate::protocol::safe_path::sanitize(name);
        FileResponse {
            path: rel.clone().unwrap_or_default(),
            download_name: None,
            confined_to: Some(Confinement {
                dir: dir.into(),
                name_ok: rel.is_some(),
            }),
        }
    }

    /// Asks the browser to save the file as `name` rather than show it:
    /// `Content-Disposition: attachment; filename="name"`. Quotes and backslashes are
    /// escaped and control characters replaced; a name with non-ASCII characters also
    /// gets `filename*=UTF-8''...`, percent-encoded, with `_` in place of each non-ASCII
    /// character in the plain `filename`.
    ///
    /// ```
    /// use httpserver::FileResponse;
    /// let res = FileResponse::new("/var/data/export-7.csv").with_download_name("export.csv");
    /// ```
    pub fn with_download_name(mut self, name: impl Into<String>) -> Self {
        self.download_name = Some(name.into());
        self
    }
}

impl IntoResponse for FileResponse {
    fn into_response(self) -> Response {
        // The file's metadata needs async I/O and the answer depends on the request's
        // conditional and range headers: made once the request is known.
        Response::deferred(move |req: &Request| -> BoxFuture<'static, Response> {
            let req = req.clone();
            Box::pin(async move { self.respond_to(&req).await })
        })
    }
}

impl FileResponse {
    /// The response to `req`, made now.
    pub(crate) async fn respond_to(&self, req: &Request) -> Response {
        let disposition = self.download_name.as_deref().map(content_disposition);
        let opened = match &self.confined_to {
            None => {
                let path = self.path.clone();
                on_blocking_pool(move || open_regular(&path).map(|file| (path, file))).await
            }
            Some(Confinement { name_ok: false, .. }) => Err(NotOpened::Refused("name refused")),
            Some(Confinement { dir, .. }) => {
                let (dir, rel) = (dir.clone(), self.path.clone());
                on_blocking_pool(move || {
                    let inside = resolve_inside(&dir, &rel)?;
                    open_regular(&inside).map(|file| (inside, file))
                })
                .await
            }
        };
        match opened {
            Ok((path, file)) => respond(file, &path, req, disposition).await,
            Err(why) => not_opened(&self.path, why),
        }
    }
}

/// The error response for a file that was not opened: 403 if it may not be read, else
/// 404 (a client cannot tell a refused path from an absent one).
pub(crate) fn not_opened(path: &Path, why: NotOpened) -> Response {
    match why {
        NotOpened::Refused(why) => not_found(path, why),
        NotOpened::Directory => not_found(path, "a directory"),
        NotOpened::Io(e) => io_error(path, &e),
    }
}

fn not_found(path: &Path, why: &str) -> Response {
    tracing::debug!(path = %path.display(), why, "file not served");
    HttpError::new(404, "Not Found").into_response()
}

fn io_error(path: &Path, e: &std::io::Error) -> Response {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        tracing::debug!(path = %path.display(), error = %e, "file not readable");
        return HttpError::new(403, "Forbidden").into_response();
    }
    not_found(path, &e.to_string())
}

/// What the validators and headers of a file are made of.
struct FileInfo {
    len: u64,
    /// Modification time, whole seconds since the epoch (HTTP dates have no more).
    mtime_secs: Option<u64>,
    etag: String,
    last_modified: Option<String>,
}

/// The latest time an HTTP date can say (9999-12-31T23:59:59Z).
const MAX_HTTP_DATE_SECS: u64 = 253_402_300_799;

impl FileInfo {
    fn new(len: u64, modified: Option<SystemTime>) -> Self {
        let since_epoch = modified.and_then(|m| m.duration_since(UNIX_EPOCH).ok());
        let nanos = since_epoch.map_or(0, |d| d.as_nanos());
        let mtime_secs = since_epoch
            .map(|d| d.as_secs())
            .filter(|s| *s <= MAX_HTTP_DATE_SECS);
        let last_modified =
            mtime_secs.map(|s| httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s)));
        FileInfo {
            len,
            mtime_secs,
            etag: format!("\"{nanos:x}-{len:x}\""),
            last_modified,
        }
    }
}

/// What the preconditions and `Range` make of a request.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    PreconditionFailed,
    NotModified,
    Full,
    Partial { start: u64, end: u64 },
    Unsatisfiable,
}

fn plan(method: &Method, headers: &HeaderMap, info: &FileInfo) -> Plan {
    // RFC 9110 §13.2.2, steps 1 to 4.
    if let Some(tags) = header_text(headers, &IF_MATCH) {
        if !etag_list_matches(&tags, &info.etag, true) {
            return Plan::PreconditionFailed;
        }
    } else if let Some(since) = header_date(headers, &IF_UNMODIFIED_SINCE) {
        if info.mtime_secs.is_some_and(|m| m > since) {
            return Plan::PreconditionFailed;
        }
    }
    let get_or_head = method == Method::GET || method == Method::HEAD;
    if let Some(tags) = header_text(headers, &IF_NONE_MATCH) {
        if etag_list_matches(&tags, &info.etag, false) {
            return if get_or_head {
                Plan::NotModified
            } else {
                Plan::PreconditionFailed
            };
        }
    } else if get_or_head {
        if let (Some(since), Some(mtime)) =
            (header_date(headers, &IF_MODIFIED_SINCE), info.mtime_secs)
        {
            if mtime <= since {
                return Plan::NotModified;
            }
        }
    }
    // Step 5: ranges are defined for GET only (RFC 9110 §14.2).
    if method != Method::GET {
        return Plan::Full;
    }
    let Some(range) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Plan::Full;
    };
    if let Some(if_range) = header_text(headers, &IF_RANGE) {
        if !if_range_matches(if_range.trim(), info) {
            return Plan::Full;
        }
    }
    match parse_range(range, info.len) {
        RangeSpec::Ignore => Plan::Full,
        RangeSpec::Unsatisfiable => Plan::Unsatisfiable,
        RangeSpec::Bytes(start, end) => Plan::Partial { start, end },
    }
}

/// All values of a header, joined by commas (as a list header means); `None` if absent
/// or not text.
fn header_text(headers: &HeaderMap, name: &http::HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let texts: Option<Vec<&str>> = values.map(|v| v.to_str().ok()).collect();
    Some(texts?.join(","))
}

/// A date header as whole seconds since the epoch; `None` if absent or not a valid date
/// (an invalid date is ignored, as RFC 9110 says).
fn header_date(headers: &HeaderMap, name: &http::HeaderName) -> Option<u64> {
    let text = headers.get(name)?.to_str().ok()?;
    let date = httpdate::parse_http_date(text.trim()).ok()?;
    date.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Whether `If-Range` lets the range through: an entity tag that strongly matches, or
/// a date equal to `Last-Modified`.
fn if_range_matches(value: &str, info: &FileInfo) -> bool {
    if value.starts_with('"') || value.starts_with("W/") {
        return etag_list_matches(value, &info.etag, true) && !value.contains(',');
    }
    match (httpdate::parse_http_date(value), info.mtime_secs) {
        (Ok(date), Some(mtime)) => date
            .duration_since(UNIX_EPOCH)
            .is_ok_and(|d| d.as_secs() == mtime),
        _ => false,
    }
}

/// Whether a list of entity tags (`*`, or `"a", W/"b"`) matches `ours` (a strong tag),
/// comparing strongly (weak tags never match) or weakly (the `W/` is ignored). A list
/// that does not parse matches nothing.
fn etag_list_matches(list: &str, ours: &str, strong: bool) -> bool {
    if list.trim() == "*" {
        return true;
    }
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let weak = rest.starts_with("W/");
        if weak {
            rest = &rest[2..];
        }
        let Some(after_quote) = rest.strip_prefix('"') else {
            return false;
        };
        let Some(close) = after_quote.find('"') else {
            return false;
        };
        let tag = &rest[..close + 2];
        if tag == ours && !(strong && weak) {
            return true;
        }
        rest = &after_quote[close + 1..];
    }
}

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum RangeSpec {
    /// Not a single byte range we understand (another unit, several ranges, malformed):
    /// ignored, the whole file is sent.
    Ignore,
    /// A single range that covers no byte of the file.
    Unsatisfiable,
    /// The bytes `start..=end`, within the file.
    Bytes(u64, u64),
}

fn parse_range(header: &str, len: u64) -> RangeSpec {
    let Some((unit, spec)) = header.trim().split_once('=') else {
        return RangeSpec::Ignore;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // Digits too many for a u64 name a position past any file.
    let number = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    match (first.is_empty(), last.is_empty()) {
        // `-n`: the last n bytes.
        (true, false) if digits(last) => {
            let n = number(last);
            if n == 0 || len == 0 {
                RangeSpec::Unsatisfiable
            } else {
                RangeSpec::Bytes(len - n.min(len), len - 1)
            }
        }
        // `a-` or `a-b`.
        (false, _) if digits(first) && (last.is_empty() || digits(last)) => {
            let start = number(first);
            let end = if last.is_empty() {
                u64::MAX
            } else {
                number(last)
            };
            if end < start {
                RangeSpec::Ignore
            } else if start >= len {
                RangeSpec::Unsatisfiable
            } else {
                RangeSpec::Bytes(start, end.min(len - 1))
            }
        }
        _ => RangeSpec::Ignore,
    }
}

/// `text/*`, JavaScript and JSON are sent as UTF-8.
fn content_type_of(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let essence = mime.essence_str();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(essence, "application/javascript" | "application/json");
    if textual && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{essence}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// Characters kept as they are in an RFC 8187 `ext-value` (`attr-char`).
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="..."` for `name`, with `filename*` when it is not ASCII.
fn content_disposition(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    let mut value = String::from("attachment; filename=\"");
    for c in clean.chars() {
        match c {
            '"' | '\\' => {
                value.push('\\');
                value.push(c);
            }
            ' '..='~' => value.push(c),
            _ => value.push('_'),
        }
    }
    value.push('"');
    if !clean.is_ascii() {
        value.push_str("; filename*=UTF-8''");
        value.extend(utf8_percent_encode(&clean, ATTR_CHAR_ESCAPES));
    }
    value
}

fn header_value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

/// The response to `req` from an open regular file, with `disposition` as its
/// `Content-Disposition` if given.
pub(crate) async fn respond(
    open: OpenFile,
    path: &Path,
    req: &Request,
    disposition: Option<String>,
) -> Response {
    let info = FileInfo::new(open.len, open.modified);
    let mut headers = HeaderMap::new();
    if let Some(etag) = header_value(&info.etag) {
        headers.insert(ETAG, etag);
    }
    if let Some(date) = info.last_modified.as_deref().and_then(header_value) {
        headers.insert(LAST_MODIFIED, date);
    }
    let (status, start, len) = match plan(req.method(), req.headers(), &info) {
        Plan::PreconditionFailed => {
            return HttpError::new(412, "Precondition Failed").into_response()
        }
        Plan::NotModified => {
            let mut res = Response::new(Body::empty()).with_status(StatusCode::NOT_MODIFIED);
            *res.headers_mut() = headers;
            return res;
        }
        Plan::Unsatisfiable => {
            // Not through the error handlers: a handler's body would lose the
            // `Content-Range` that makes this a valid 416.
            return Response::new("Range Not Satisfiable")
                .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
                .with_content_type("text/plain; charset=utf-8")
                .with_header(CONTENT_RANGE, format!("bytes */{}", info.len));
        }
        Plan::Full => (StatusCode::OK, 0, info.len),
        Plan::Partial { start, end } => {
            let range = format!("bytes {start}-{end}/{}", info.len);
            if let Some(range) = header_value(&range) {
                headers.insert(CONTENT_RANGE, range);
            }
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    if let Some(ct) = header_value(&content_type_of(path)) {
        headers.insert(CONTENT_TYPE, ct);
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(disposition) = disposition.as_deref().and_then(header_value) {
        headers.insert(CONTENT_DISPOSITION, disposition);
    }
    // HEAD: the same headers, no bytes (hyper sends none anyway; this reads none).
    let body = if len == 0 || req.method() == Method::HEAD {
        Body::empty()
    } else if let Some(contents) = open.contents {
        // Within the bytes read: `plan` keeps ranges inside `info.len`, their length.
        Body::from(contents.slice(start as usize..(start + len) as usize))
    } else {
        let mut file = tokio::fs::File::from_std(open.file);
        if start > 0 {
            if let Err(e) = file.seek(SeekFrom::Start(start)).await {
                tracing::error!(path = %path.display(), error = %e, "seeking in a file failed");
                return HttpError::new(500, "Internal Server Error").into_response();
            }
        }
        // `take`: a file that grows while it is sent still sends what was announced; one
        // that shrinks ends early, and the connection is closed rather than padded.
        let stream = ReaderStream::with_capacity(file.take(len), CHUNK)
            .map(|chunk| chunk.map_err(|e| Box::new(e) as BoxError));
        Body::from_stream(stream)
    };
    let mut res = Response::new(body).with_status(status);
    *res.headers_mut() = headers;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> FileInfo {
        FileInfo::new(100, Some(UNIX_EPOCH + Duration::new(1_700_000_000, 123)))
    }

    #[test]
    fn etag_and_date_come_from_size_and_mtime() {
        let i = info();
        assert_eq!(
            i.etag,
            format!("\"{:x}-64\"", 1_700_000_000_000_000_123u128)
        );
        assert_eq!(
            i.last_modified.as_deref(),
            Some("Tue, 14 Nov 2023 22:13:20 GMT")
        );
        let no_time = FileInfo::new(5, None);
        assert_eq!(no_time.etag, "\"0-5\"");
        assert!(no_time.last_modified.is_none());
    }

    #[test]
    fn ranges() {
        use RangeSpec::*;
        assert_eq!(parse_range("bytes=0-9", 100), Bytes(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Bytes(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Bytes(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100), Bytes(0, 99));
        assert_eq!(parse_range("bytes=50-1000", 100), Bytes(50, 99));
        assert_eq!(parse_range(" Bytes = 1-2 ", 100), Bytes(1, 2));
        assert_eq!(parse_range("bytes=99-99", 100), Bytes(99, 99));
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999", 100),
            Bytes(0, 99)
        );
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 100),
            Unsatisfiable
        );
        for bad in [
            "bytes=5-1",
            "bytes=0-1,5-6",
            "bytes=0-1,",
            "items=0-1",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=1",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=--1",
            "bytes=1 -2",
            "0-1",
        ] {
            assert_eq!(parse_range(bad, 100), Ignore, "{bad}");
        }
    }

    #[test]
    fn etag_lists() {
        let ours = "\"abc-1\"";
        assert!(etag_list_matches("\"abc-1\"", ours, true));
        assert!(etag_list_matches("*", ours, true));
        assert!(etag_list_matches(" \"x\" , W/\"abc-1\"", ours, false));
        assert!(!etag_list_matches("W/\"abc-1\"", ours, true));
        assert!(etag_list_matches("\"x,y\", \"abc-1\"", ours, false));
        assert!(!etag_list_matches("\"abc-2\"", ours, false));
        assert!(!etag_list_matches("abc-1", ours, false));
        assert!(!etag_list_matches("\"abc-1", ours, false));
        assert!(!etag_list_matches("", ours, false));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn preconditions_in_rfc_order() {
        let i = info();
        let lm = i.last_modified.clone().unwrap();
        let get = Method::GET;
        let plan_of = |pairs: &[(&'static str, &str)]| plan(&get, &headers(pairs), &i);
        assert_eq!(plan_of(&[]), Plan::Full);
        assert_eq!(plan_of(&[("if-none-match", &i.etag)]), Plan::NotModified);
        assert_eq!(plan_of(&[("if-none-match", "\"other\"")]), Plan::Full);
        assert_eq!(plan_of(&[("if-modified-since", &lm)]), Plan::NotModified);
        assert_eq!(
            plan_of(&[("if-modified-since", "Mon, 13 Nov 2023 00:00:00 GMT")]),
            Plan::Full
        );
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            plan_of(&[("if-none-match", "\"other\""), ("if-modified-since", &lm)]),
            Plan::Full
        );
        assert_eq!(plan_of(&[("if-modified-since", "garbage")]), Plan::Full);
        assert_eq!(
            plan_of(&[("if-match", "\"other\"")]),
            Plan::PreconditionFailed
        );
        assert_eq!(
            plan_of(&[("if-unmodified-since", "Mon, 13 Nov 2023 00:00:00 GMT")]),
            Plan::PreconditionFailed
        );
        assert_eq!(
            plan_of(&[("range", "bytes=1-2")]),
            Plan::Partial { start: 1, end: 2 }
        );
        assert_eq!(
            plan_of(&[("range", "bytes=1-2"), ("if-range", &i.etag)]),
            Plan::Partial { start: 1, end: 2 }
        );
        assert_eq!(
            plan_of(&[("range", "bytes=1-2"), ("if-range", &lm)]),
            Plan::Partial { start: 1, end: 2 }
        );
        assert_eq!(
            plan_of(&[("range", "bytes=1-2"), ("if-range", "\"old\"")]),
            Plan::Full
        );
        let weak = format!("W/{}", i.etag);
        assert_eq!(
            plan_of(&[("range", "bytes=1-2"), ("if-range", &weak)]),
            Plan::Full
        );
        assert_eq!(plan_of(&[("range", "bytes=500-")]), Plan::Unsatisfiable);
        // Range is for GET only.
        let head = plan(&Method::HEAD, &headers(&[("range", "bytes=1-2")]), &i);
        assert_eq!(head, Plan::Full);
    }

    #[test]
    fn content_types() {
        let ct = |p: &str| content_type_of(Path::new(p));
        assert_eq!(ct("a.html"), "text/html; charset=utf-8");
        assert_eq!(ct("a.css"), "text/css; charset=utf-8");
        assert!(ct("a.js").ends_with("javascript; charset=utf-8"));
        assert_eq!(ct("a.json"), "application/json; charset=utf-8");
        assert_eq!(ct("a.png"), "image/png");
        assert_eq!(ct("a.unknownext"), "application/octet-stream");
        assert_eq!(ct("noext"), "application/octet-stream");
    }

    #[test]
    fn download_names() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\""
        );
        assert_eq!(
            content_disposition("a \"b\" \\c.txt"),
            "attachment; filename=\"a \\\"b\\\" \\\\c.txt\""
        );
        assert_eq!(
            content_disposition("x\r\nSet-Cookie: a=b"),
            "attachment; filename=\"x__Set-Cookie: a=b\""
        );
        assert_eq!(
            content_disposition("résumé €.pdf"),
            "attachment; filename=\"r_sum_ _.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.pdf"
        );
        for name in ["report.pdf", "résumé.pdf", "a\"b", "x\r\ny", "\u{7f}"] {
            assert!(HeaderValue::from_str(&content_disposition(name)).is_ok());
        }
    }
}
