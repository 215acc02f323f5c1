//! One access-log line per request: a `tracing` event (target `httpserver::access`) for
//! apps with a subscriber, a readable line on stderr for those without (as Flask's
//! development server prints), or nothing when turned off.

use std::net::SocketAddr;
use std::time::Instant;

use http::header::USER_AGENT;
use http::{Method, StatusCode, Version};

use crate::protocol::bodiless::sends_no_body;

/// What is known of a request before it is answered, kept only when a line will be written.
pub(crate) struct Pending {
    started: Instant,
    method: Method,
    target: String,
    version: Version,
    client: SocketAddr,
    /// For a subscriber only (the stderr line stays short): the `User-Agent` and the
    /// request id (`X-Request-Id`, as a proxy or tower-http's `SetRequestIdLayer` sets it).
    user_agent: Option<String>,
    request_id: Option<String>,
}

/// Starts a line for this request, if anything will read it: a subscriber that takes
/// `httpserver::access` events, or stderr when there is no subscriber and `to_stderr`.
pub(crate) fn start(
    to_stderr: bool,
    head: &http::request::Parts,
    client: SocketAddr,
) -> Option<Box<Pending>> {
    let subscriber = tracing::dispatcher::has_been_set();
    let wanted = if subscriber {
        tracing::enabled!(target: "httpserver::access", tracing::Level::INFO)
    } else {
        to_stderr
    };
    let header = |name| {
        subscriber
            .then(|| head.headers.get(name))
            .flatten()
            .map(|v: &http::HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    // Boxed: it is kept in the request's future until the answer, and inline it would make
    // that future larger (a move per request costs more) when no log is wanted.
    wanted.then(|| {
        Box::new(Pending {
            started: Instant::now(),
            method: head.method.clone(),
            target: head.uri.path().to_owned(),
            version: head.version,
            client,
            user_agent: header(USER_AGENT),
            request_id: header(http::HeaderName::from_static("x-request-id")),
        })
    })
}

/// Writes the line: status, body bytes (`-` for a body whose length is not known until it
/// has been streamed) and the time the app took to produce the response.
pub(crate) fn finish(pending: Pending, status: StatusCode, bytes: Option<u64>) {
    let micros = pending.started.elapsed().as_micros() as u64;
    // The body bytes sent: none where the wire drops the body, whatever its length.
    let bytes = if sends_no_body(&pending.method, status) {
        Some(0)
    } else {
        bytes
    };
    let Pending {
        method,
        target,
        version,
        client,
        user_agent,
        request_id,
        ..
    } = pending;
    // The stderr line keeps the shape Flask's development server users know; the fields
    // beyond it go to subscribers.
    if tracing::dispatcher::has_been_set() {
        tracing::info!(
            target: "httpserver::access",
            method = %method,
            path = %target,
            version = ?version,
            status = status.as_u16(),
            bytes,
            duration_us = micros,
            client = %client,
            user_agent,
            request_id,
        );
        return;
    }
    let bytes = bytes.map_or_else(|| "-".to_owned(), |b| b.to_string());
    // Through a bounded queue: a stderr nobody reads drops lines instead of stalling
    // the worker thread that answers requests.
    crate::log_sink::line(format_args!(
        "{client} \"{method} {target}\" {} {bytes} {:.1}ms",
        status.as_u16(),
        micros as f64 / 1000.0
    ));
}
