//! `multipart/form-data` bodies (file uploads), read field by field as they arrive, on the
//! `multer` parser; the body's limits hold while it streams, and its framing is bounded
//! before the parser buffers it.

mod framing;

use std::path::Path;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use tokio::io::AsyncWriteExt;

use crate::config::MultipartLimits;
use crate::error::HttpError;
use crate::extract::FromRequest;
use crate::request::body_stream::BodyStream;
use crate::request::Request;
use framing::{Framing, FramingCheck};

/// A `multipart/form-data` body, field by field, as it arrives: uploads are never held
/// whole in memory (stream a file to disk with [`Field::save_to`]). A handler taking it
/// gets the body unread, under the route's `max_body_size` (413 while it streams) and
/// `body_timeout` between two reads (408). A body that is not `multipart/form-data` is a
/// 415; one without a boundary, or malformed or cut short, a 400.
///
/// The framing has bounds of its own, each a 413 whose message names its setting:
/// a part's header block (and the preamble) ends within
/// [`App::max_multipart_header_size`](crate::App::max_multipart_header_size) (8 KiB),
/// a body has at most [`App::max_multipart_parts`](crate::App::max_multipart_parts)
/// parts (1,000), and a field that is not a file holds at most
/// [`App::max_form_field_size`](crate::App::max_form_field_size) bytes (1 MiB).
///
/// ```
/// use std::path::Path;
/// use httpserver::{post, secure_filename, HttpError, Multipart};
/// use serde_json::{json, Value};
///
/// #[post("/upload", max_body_size = 64 * 1024 * 1024)]
/// async fn upload(mut form: Multipart) -> Result<Value, HttpError> {
///     let mut saved = Vec::new();
///     while let Some(mut field) = form.next_field().await? {
///         match field.file_name().map(secure_filename) {
///             Some(name) => {
///                 let bytes = field.save_to(Path::new("uploads").join(&name)).await?;
///                 saved.push(json!({"field": field.name(), "file": name, "bytes": bytes}));
///             }
///             None => saved.push(json!({"field": field.name(), "value": field.text().await?})),
///         }
///     }
///     Ok(json!({"saved": saved}))
/// }
/// ```
pub struct Multipart {
    inner: multer::Multipart<'static>,
    field_size: usize,
}

impl Multipart {
    /// The next field, `None` after the last.
    pub async fn next_field(&mut self) -> Result<Option<Field>, HttpError> {
        let field = self.inner.next_field().await.map_err(to_http_error)?;
        Ok(field.map(|inner| Field {
            limit: inner.file_name().is_none().then_some(self.field_size),
            inner,
            received: 0,
        }))
    }
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart").finish_non_exhaustive()
    }
}

impl FromRequest for Multipart {
    const STREAMS_BODY: bool = true;

    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        req.require_content_type(crate::request::MediaType::Multipart)?;
        let content_type = req.header("content-type").unwrap_or("");
        let boundary = multer::parse_boundary(content_type)
            .map_err(|_| HttpError::new(400, "multipart/form-data without a boundary parameter"))?;
        let limits = req
            .app()
            .state_arc::<MultipartLimits>()
            .map_or_else(MultipartLimits::default, |limits| *limits);
        let body = BodyStream::from_request(req).await?;
        let framing = Framing::new(&boundary, limits.framing);
        Ok(Multipart {
            inner: multer::Multipart::new(FramingCheck::new(body, framing), boundary),
            field_size: limits.field_size,
        })
    }
}

/// One field of a [`Multipart`] body: a form value, or a file with its client-given name.
pub struct Field {
    inner: multer::Field<'static>,
    /// For a field that is not a file, the most bytes it may hold.
    limit: Option<usize>,
    received: usize,
}

impl Field {
    /// The field's name (`name="..."`).
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The file name the client gave, for a file field, as sent: **untrusted**, pass it
    /// through [`secure_filename`](crate::secure_filename) before using it in a path.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The field's declared content type, if any (as the client declared it).
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type().map(|mime| mime.essence_str())
    }

    /// The field's own headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The next piece of the field's data, `None` at its end. A field that is not a file
    /// fails with a 413 once it passes
    /// [`App::max_form_field_size`](crate::App::max_form_field_size).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, HttpError> {
        let chunk = self.inner.chunk().await.map_err(to_http_error)?;
        if let (Some(limit), Some(chunk)) = (self.limit, &chunk) {
            self.received = self.received.saturating_add(chunk.len());
            if self.received > limit {
                return Err(HttpError::new(
                    413,
                    format!(
                        "form field `{}` is over the {limit}-byte limit of a field that is \
                         not a file (max_form_field_size)",
                        self.name().unwrap_or("")
                    ),
                ));
            }
        }
        Ok(chunk)
    }

    /// The rest of the field's data, in memory (mind the route's `max_body_size`).
    pub async fn bytes(&mut self) -> Result<Bytes, HttpError> {
        let mut all = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all.freeze())
    }

    /// The rest of the field's data as text; 400 if it is not UTF-8.
    pub async fn text(&mut self) -> Result<String, HttpError> {
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            HttpError::new(
                400,
                format!("field `{}` is not UTF-8 text", self.name().unwrap_or("")),
            )
        })
    }

    /// Streams the rest of the field's data into a new file at `path` (replacing one that
    /// is there), chunk by chunk, and returns the number of bytes written. **`path` is
    /// trusted**: build it from [`secure_filename`](crate::secure_filename), never from the
    /// raw file name. If the body fails half way (too large, too slow, cut short), the
    /// partial file is removed and the body's error returned; a file that cannot be written
    /// is a 500, with the reason in the log.
    pub async fn save_to(&mut self, path: impl AsRef<Path>) -> Result<u64, HttpError> {
        let path = path.as_ref();
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| write_failed(path, &e))?;
        let written = self.copy_into(&mut file, path).await;
        let flushed = match written {
            Ok(n) => file
                .flush()
                .await
                .map(|()| n)
                .map_err(|e| write_failed(path, &e)),
            Err(e) => Err(e),
        };
        if flushed.is_err() {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
        }
        flushed
    }

    async fn copy_into(
        &mut self,
        file: &mut tokio::fs::File,
        path: &Path,
    ) -> Result<u64, HttpError> {
        let mut written = 0u64;
        while let Some(chunk) = self.chunk().await? {
            file.write_all(&chunk)
                .await
                .map_err(|e| write_failed(path, &e))?;
            written += chunk.len() as u64;
        }
        Ok(written)
    }
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name())
            .field("content_type", &self.content_type())
            .finish()
    }
}

fn write_failed(path: &Path, e: &std::io::Error) -> HttpError {
    tracing::error!(path = %path.display(), error = %e, "an upload could not be written");
    crate::error::report_without_subscriber(format_args!(
        "an upload could not be written to {}: {e}",
        path.display()
    ));
    HttpError::new(500, "Internal Server Error")
}

/// The body's own errors (413, 408, 400) keep their status; the parser's are a 400.
fn to_http_error(e: multer::Error) -> HttpError {
    if let multer::Error::StreamReadFailed(inner) = &e {
        if let Some(http) = inner.downcast_ref::<HttpError>() {
            return http.clone();
        }
    }
    HttpError::new(400, format!("malformed multipart body: {e}"))
}
