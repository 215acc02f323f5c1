//! One access-log line per request: a `tracing` event (target `httpserver::access`) for
//! apps with a subscriber, a readable line on stderr for those without (as Flask's
//! development server prints), or nothing when turned off.

use std::net::SocketAddr;
use std::time::Instant;

use http::{Method, StatusCode};

/// What is known of a request before it is answered, kept only when a line will be written.
pub(crate) struct Pending {
    started: Instant,
    method: Method,
    target: String,
    client: SocketAddr,
}

/// Starts a line for this request, if anything will read it: a subscriber that takes
/// `httpserver::access` events, or stderr when there is no subscriber and `to_stderr`.
pub(crate) fn start(
    to_stderr: bool,
    method: &Method,
    target: &str,
    client: SocketAddr,
) -> Option<Pending> {
    let wanted = if tracing::dispatcher::has_been_set() {
        tracing::enabled!(target: "httpserver::access", tracing::Level::INFO)
    } else {
        to_stderr
    };
    wanted.then(|| Pending {
        started: Instant::now(),
        method: method.clone(),
        target: target.to_owned(),
        client,
    })
}

/// Writes the line: status, body bytes (`-` for a body whose length is not known until it
/// has been streamed) and the time the app took to produce the response.
pub(crate) fn finish(pending: Pending, status: StatusCode, bytes: Option<u64>) {
    let micros = pending.started.elapsed().as_micros() as u64;
    let Pending {
        method,
        target,
        client,
        ..
    } = pending;
    if tracing::dispatcher::has_been_set() {
        tracing::info!(
            target: "httpserver::access",
            method = %method,
            path = %target,
            status = status.as_u16(),
            bytes,
            duration_us = micros,
            client = %client,
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
