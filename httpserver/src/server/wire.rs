//! The service hyper calls for each request of a connection: the app, with what the
//! connection knows around it (the peer, TLS, HTTP/2's `:authority`), the connection's
//! accounting, and the answer made fit for the wire (no body where HTTP forbids one).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{HeaderValue, CONTENT_LENGTH, HOST};
use hyper::body::Incoming;
use hyper::service::{service_fn, Service};

use crate::pipeline::dispatch::{BodyLeftUnread, Entry, OverTls};
use crate::pipeline::stack::Stack;
use crate::protocol::bodiless::status_forbids_content;
use crate::response::Body;
use crate::server::activity::{Activity, TrackedBody};

/// What the service answering a connection's requests needs to know about it.
#[derive(Clone, Copy)]
pub(crate) struct Wire<'a> {
    pub(crate) stack: &'a Stack,
    pub(crate) activity: &'a Arc<Activity>,
    pub(crate) peer: SocketAddr,
    pub(crate) over_tls: bool,
    /// Each request is a stream of an HTTP/2 connection, whose task watches its body.
    pub(crate) http2: bool,
}

impl Wire<'_> {
    /// The service hyper calls for each request of the connection: the app, with the
    /// connection's accounting around it.
    pub(crate) fn service(
        self,
    ) -> impl Service<
        http::Request<Incoming>,
        Response = http::Response<TrackedBody>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone {
        let (stack, activity) = (self.stack.clone(), Arc::clone(self.activity));
        let (peer, over_tls, http2) = (self.peer, self.over_tls, self.http2);
        service_fn(move |mut req: http::Request<Incoming>| {
            let in_flight = activity.start();
            let activity = Arc::clone(&activity);
            if over_tls {
                req.extensions_mut().insert(OverTls);
            }
            host_from_authority(&mut req);
            let head_request = req.method() == http::Method::HEAD;
            // The app's own future, finishing with the wire's step, not an `async` block
            // awaiting it: hyper moves the service future once per request, and the block
            // would move the app's future again on its first poll (from its captures to
            // its await point).
            stack.call_then(req, Entry::Connection, peer, move |mut res| {
                bodiless_where_required(&mut res, head_request);
                if res.extensions().get::<BodyLeftUnread>().is_some() {
                    activity.close_early();
                }
                if res.status() == http::StatusCode::SWITCHING_PROTOCOLS {
                    activity.upgrade();
                }
                Ok::<_, Infallible>(res.map(|body| TrackedBody::new(body, in_flight, http2)))
            })
        })
    }
}

/// A response as it goes on the wire: to HEAD, its headers (with the length its body
/// would have had) and no body; with a status that forbids content (1xx, 204, 304, RFC
/// 9110 §6.4.1), neither body nor length. HTTP/1.1's framing drops these bodies by itself;
/// HTTP/2's does not, and a HEADERS frame without END_STREAM answering HEAD is a protocol
/// error to the client.
fn bodiless_where_required(res: &mut http::Response<Body>, head_request: bool) {
    let status = res.status();
    if status_forbids_content(status) {
        res.headers_mut().remove(CONTENT_LENGTH);
    } else if head_request {
        if !res.headers().contains_key(CONTENT_LENGTH) {
            if let Some(len) = http_body::Body::size_hint(res.body()).exact() {
                res.headers_mut().insert(CONTENT_LENGTH, len.into());
            }
        }
    } else {
        return;
    }
    *res.body_mut() = Body::empty();
}

/// An HTTP/2 request names its host in `:authority`, which hyper keeps in the URI: the app
/// sees it as the `Host` header, as an HTTP/1.1 request has it (RFC 9113 §8.3.1).
fn host_from_authority<B>(req: &mut http::Request<B>) {
    if req.version() == http::Version::HTTP_2 && !req.headers().contains_key(HOST) {
        let authority = req
            .uri()
            .authority()
            .map(|a| HeaderValue::from_str(a.as_str()));
        if let Some(Ok(host)) = authority {
            req.headers_mut().insert(HOST, host);
        }
    }
}
