//! [`WebSocketUpgrade`]: the extractor that answers the handshake and starts the socket.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use http::header::{HeaderValue, CONNECTION, UPGRADE};
use http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::handshake::{self, Accepted, Refusal, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_PROTOCOL};
use super::socket::WebSocket;
use super::upgrade::{self, Pending};
use crate::error::HttpError;
use crate::extract::FromRequest;
use crate::handle::race::unless_signalled;
use crate::handle::AppHandle;
use crate::request::Request;
use crate::response::{Body, IntoResponse, Response};

/// What a socket reads into at a time, allocated when it opens. tungstenite's default is
/// 128 KiB, which an app with thousands of mostly idle sockets (chat, live updates) pays
/// for each one; 8 KiB is what a socket read of small messages needs, and a larger message
/// takes more reads, not more memory.
const READ_BUFFER_SIZE: usize = 8 * 1024;

/// A request to open a WebSocket. Take it as a handler argument and answer with
/// [`on_upgrade`](Self::on_upgrade).
///
/// A request that is not a WebSocket handshake still reaches the handler (so that hooks
/// and logs see it as usual); `on_upgrade` then answers 426 with `Upgrade: websocket`
/// (or `Sec-WebSocket-Version: 13` for another protocol version). A handshake with a
/// missing or malformed `Sec-WebSocket-Key` is refused with 400 before the handler runs.
///
/// ```
/// use httpserver::ws::{Message, WebSocketUpgrade};
/// use httpserver::{get, Response};
///
/// #[get("/chat")]
/// async fn chat(ws: WebSocketUpgrade) -> Response {
///     ws.protocols(["chat.v2", "chat.v1"])
///         .max_message_size(64 * 1024)
///         .on_upgrade(|mut socket| async move {
///             let _ = socket.send(Message::Text(format!("speaking {:?}", socket.protocol()))).await;
///         })
/// }
/// ```
pub struct WebSocketUpgrade {
    handshake: Result<Accepted, Refusal>,
    pending: Option<Pending>,
    app: AppHandle,
    protocols: Vec<String>,
    max_message_size: Option<usize>,
}

impl FromRequest for WebSocketUpgrade {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        let handshake = handshake::check(req.method(), req.version(), req.headers())?;
        let pending = match handshake {
            Ok(_) => Some(upgrade::claim().ok_or_else(|| {
                HttpError::new(
                    500,
                    "this connection cannot be upgraded (the server runs without HTTP upgrades)",
                )
            })?),
            Err(_) => None,
        };
        Ok(WebSocketUpgrade {
            handshake,
            pending,
            app: req.app().clone(),
            protocols: Vec::new(),
            max_message_size: None,
        })
    }
}

impl WebSocketUpgrade {
    /// The subprotocols this route speaks. The first one the client offers (in the
    /// client's order of preference) is chosen and sent back in
    /// `Sec-WebSocket-Protocol`; if none matches, the socket opens without one (the
    /// client may then close it). [`WebSocket::protocol`] tells which was chosen.
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The largest message (and frame) this socket accepts, overriding
    /// [`App::ws_max_message_size`](crate::App::ws_max_message_size). A larger one
    /// closes the socket with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = Some(bytes);
        self
    }

    /// Answers the handshake (101 Switching Protocols) and, once it has been sent, runs
    /// `callback` with the open socket on a task of its own. When the callback returns,
    /// the socket is closed (with a close frame, if the app sent none).
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accepted = match self.handshake {
            Ok(accepted) => accepted,
            Err(refusal) => return refusal.into_response(),
        };
        let Some(pending) = self.pending else {
            return HttpError::new(500, "this connection cannot be upgraded").into_response();
        };
        let protocol = accepted
            .offered
            .iter()
            .find(|offered| self.protocols.iter().any(|p| p == *offered))
            .cloned();
        let sockets = self.app.websockets().clone();
        let max = self
            .max_message_size
            .unwrap_or_else(|| sockets.max_message_size());
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_SIZE)
            .max_message_size(Some(max))
            .max_frame_size(Some(max));
        let mut res = Response::new(Body::empty()).with_status(StatusCode::SWITCHING_PROTOCOLS);
        let headers = res.headers_mut();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        match HeaderValue::try_from(accepted.accept) {
            Ok(accept) => headers.insert(SEC_WEBSOCKET_ACCEPT, accept),
            Err(_) => {
                return Response::internal_error("Sec-WebSocket-Accept is not a header value")
            }
        };
        if let Some(Ok(chosen)) = protocol.as_deref().map(HeaderValue::from_str) {
            headers.insert(SEC_WEBSOCKET_PROTOCOL, chosen);
        }
        sockets.spawn(run(pending, config, protocol, self.app, callback));
        res
    }
}

/// One socket's life: wait for the connection, run the app's callback, close.
async fn run<F, Fut>(
    pending: Pending,
    config: WebSocketConfig,
    protocol: Option<String>,
    app: AppHandle,
    callback: F,
) where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let io = match pending.connect().await {
        Ok(io) => io,
        // The 101 was never sent (an after hook changed it) or the client left first.
        Err(e) => {
            tracing::debug!(error = %e, "websocket upgrade did not happen");
            return;
        }
    };
    let stream = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let socket = WebSocket::new(stream, protocol);
    let mut closer = socket.sender();
    let app_side = AssertUnwindSafe(callback(socket)).catch_unwind();
    let going_away = async {
        app.shutdown_requested().await;
        let _ = closer.close(1001, "server shutting down").await;
        // The app's side goes on, reading the client's reply; the grace period bounds it.
        std::future::pending::<()>().await
    };
    if let Some(Err(panic)) = unless_signalled(app_side, going_away).await {
        let msg = crate::error::panic_message(panic.as_ref());
        tracing::error!(panic = %msg, "websocket task panicked");
    }
    closer.finish().await;
}
