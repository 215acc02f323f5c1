//! The CSRF check before a handler: where an unsafe form request comes from (the
//! browser's `Sec-Fetch-Site`, or its `Origin`), then the session's token in a header or
//! in the form (see [`Csrf`] for the rules).

use bytes::{Bytes, BytesMut};
use http::Method;

use crate::config::{Csrf, CSRF_FIELD, CSRF_HEADER};
use crate::error::HttpError;
use crate::extract::csrf_token::token_matches;
use crate::extract::session::Session;
use crate::extract::FromRequest;
use crate::request::body_stream::BodyStream;
use crate::request::Request;
use crate::routes::route::Route;

/// The most of a streamed multipart body read ahead to find the token in its first part:
/// the part's headers and an 86-byte token fit with room to spare.
const FIRST_PART_READ_AHEAD: usize = 16 * 1024;

/// Whether the request must pass the check: the app checks, the route is not exempt, the
/// method changes things and the body is one a page on another site can send unasked.
pub(crate) fn applies(csrf: &Csrf, sessions: bool, route: &Route, request: &Request) -> bool {
    sessions
        && csrf.enabled
        && route.csrf_checked()
        && !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        )
        && sendable_cross_site(request)
}

/// What a form or `fetch` on another site can send without a CORS preflight: a form-like
/// body, or a `POST` with no type at all (a `fetch` of an untyped blob). `PUT`, `PATCH`
/// and `DELETE` always need a preflight cross-origin, so without a body type they are
/// left to CORS, which grants nothing unless the app says so.
fn sendable_cross_site(request: &Request) -> bool {
    match content_type_essence(request) {
        None => request.method() == Method::POST,
        Some(essence) => matches!(
            essence.as_str(),
            "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
        ),
    }
}

fn content_type_essence(request: &Request) -> Option<String> {
    let value = request.header("content-type")?;
    let essence = value.split(';').next().unwrap_or("").trim();
    Some(essence.to_ascii_lowercase())
}

/// Checks a request whose body has been read in full.
pub(crate) async fn check_read(csrf: &Csrf, request: &Request) -> Result<(), HttpError> {
    check_origin(csrf, request)?;
    let token = match request.header(CSRF_HEADER) {
        Some(token) => Some(token.to_owned()),
        None => token_in_body(request, request.body().clone()).await,
    };
    check_token(request, token).await
}

/// Checks a request whose handler streams the body: the token is in the header, or in the
/// first part of a multipart form, read ahead and put back for the handler.
pub(crate) async fn check_streamed(
    csrf: &Csrf,
    request: &Request,
    body: &mut BodyStream,
) -> Result<(), HttpError> {
    check_origin(csrf, request)?;
    let token = match request.header(CSRF_HEADER) {
        Some(token) => Some(token.to_owned()),
        None if is_multipart(request) => {
            let boundary = request
                .header("content-type")
                .and_then(|ct| multer::parse_boundary(ct).ok())
                .unwrap_or_default();
            let (chunks, ahead) = read_ahead(body, &boundary).await?;
            let token = token_in_body(request, ahead).await;
            body.put_back(chunks);
            token
        }
        None => None,
    };
    check_token(request, token).await
}

/// Refuses a request a browser says comes from another site.
fn check_origin(csrf: &Csrf, request: &Request) -> Result<(), HttpError> {
    let origin = request.header("origin");
    let trusted = origin.is_some_and(|origin| {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        csrf.trusted_origins.contains(&origin)
    });
    if trusted {
        return Ok(());
    }
    if let Some(site) = request.header("sec-fetch-site") {
        return match site.to_ascii_lowercase().as_str() {
            "same-origin" | "none" => Ok(()),
            _ => Err(refused(format!(
                "the request comes from another site (Sec-Fetch-Site: {site})"
            ))),
        };
    }
    match origin {
        None => Ok(()),
        Some(origin) if origin_is_host(origin, request.header("host")) => Ok(()),
        Some(origin) => Err(refused(format!(
            "the request comes from another site (Origin: {origin})"
        ))),
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to. The
/// scheme is not compared: behind a proxy that ends TLS the app may not know it, and a
/// browser sends `Sec-Fetch-Site`, which is exact, in any case.
fn origin_is_host(origin: &str, host: Option<&str>) -> bool {
    let (Some((scheme, authority)), Some(host)) = (origin.split_once("://"), host) else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return false,
    };
    let strip = |a: &str| {
        a.strip_suffix(default_port)
            .unwrap_or(a)
            .to_ascii_lowercase()
    };
    !authority.is_empty() && strip(authority) == strip(host)
}

/// The session's token must match the one sent.
async fn check_token(request: &Request, token: Option<String>) -> Result<(), HttpError> {
    let Some(token) = token else {
        return Err(refused(format!(
            "the CSRF token is missing; send the session's token (Session::csrf_token, \
             {{{{ csrf_token() }}}} in templates) in the `{CSRF_FIELD}` form field or the \
             `X-CSRF-Token` header"
        )));
    };
    let session = Session::from_request(request).await?;
    match session.csrf_secret() {
        Some(secret) if token_matches(&token, &secret) => Ok(()),
        Some(_) => Err(refused(
            "the CSRF token does not match this session (is the page older than the last \
             login or logout?)",
        )),
        None => Err(refused(
            "this session has no CSRF token yet; load the form's page first",
        )),
    }
}

fn refused(reason: impl Into<std::borrow::Cow<'static, str>>) -> HttpError {
    let reason = reason.into();
    HttpError::new(403, format!("CSRF check failed: {reason}"))
}

fn is_multipart(request: &Request) -> bool {
    content_type_essence(request).as_deref() == Some("multipart/form-data")
}

/// The token in a form body: the `csrf_token` field of a URL-encoded form, or the first
/// part of a multipart one if it is that field.
async fn token_in_body(request: &Request, body: Bytes) -> Option<String> {
    match content_type_essence(request)?.as_str() {
        "application/x-www-form-urlencoded" => form_urlencoded::parse(&body)
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.into_owned()),
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(request.header("content-type")?).ok()?;
            let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(body)]);
            let mut form = multer::Multipart::new(chunks, boundary);
            let field = form.next_field().await.ok()??;
            if field.name() != Some(CSRF_FIELD) || field.file_name().is_some() {
                return None;
            }
            field.text().await.ok()
        }
        _ => None,
    }
}

/// Reads the start of a streamed body until its first part has ended (the boundary's
/// second delimiter is in), up to [`FIRST_PART_READ_AHEAD`] bytes: the chunks read (to put
/// back) and their bytes joined.
async fn read_ahead(
    body: &mut BodyStream,
    boundary: &str,
) -> Result<(Vec<Bytes>, Bytes), HttpError> {
    let delimiter = format!("--{boundary}");
    let first_part_ended = |bytes: &[u8]| {
        memchr::memmem::find_iter(bytes, delimiter.as_bytes())
            .nth(1)
            .is_some()
    };
    let mut chunks = Vec::new();
    let mut ahead = BytesMut::new();
    while ahead.len() < FIRST_PART_READ_AHEAD && !first_part_ended(&ahead) {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                ahead.extend_from_slice(&chunk);
                chunks.push(chunk);
            }
            None => break,
        }
    }
    Ok((chunks, ahead.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_matches_its_host_with_or_without_the_default_port() {
        assert!(origin_is_host("https://example.com", Some("example.com")));
        assert!(origin_is_host(
            "https://example.com",
            Some("example.com:443")
        ));
        assert!(origin_is_host(
            "http://Example.com:8000",
            Some("example.com:8000")
        ));
        assert!(origin_is_host("http://example.com", Some("example.com:80")));
        assert!(!origin_is_host(
            "http://example.com:8001",
            Some("example.com:8000")
        ));
        assert!(!origin_is_host("https://evil.example", Some("example.com")));
        assert!(!origin_is_host(
            "https://example.com.evil.example",
            Some("example.com")
        ));
        assert!(!origin_is_host("null", Some("example.com")));
        assert!(!origin_is_host("https://example.com", None));
        assert!(!origin_is_host("ftp://example.com", Some("example.com")));
    }
}
