//! An open WebSocket: [`WebSocket`], and its two halves for separate tasks.

use std::sync::Arc;
use std::time::Duration;

use futures_util::lock::Mutex;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame as RawCloseFrame;

use super::message::{Error, Message};
use super::upgrade::BoxIo;

type Stream = WebSocketStream<BoxIo>;

/// The writing half, shared by the socket's sender(s) and the server, which closes the
/// socket with 1001 at shutdown and 1009 on an oversized message whatever the app's
/// tasks are doing. futures' `Mutex`, not tokio's: unlocking tokio's takes its waiter
/// list's lock every time, about 200 instructions per echoed message (benches/ws-echo).
type Sink = Arc<Mutex<SplitSink<Stream, tungstenite::Message>>>;

/// How long closing waits for the close frame to be written.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// An open WebSocket, given to the closure of
/// [`WebSocketUpgrade::on_upgrade`](super::WebSocketUpgrade::on_upgrade). Pings are
/// answered for you while you [`recv`](Self::recv).
///
/// ```
/// use httpserver::ws::{Message, WebSocket};
/// async fn shout(mut socket: WebSocket) {
///     while let Some(Ok(Message::Text(text))) = socket.recv().await {
///         if socket.send(Message::Text(text.to_uppercase())).await.is_err() {
///             break;
///         }
///     }
/// }
/// ```
pub struct WebSocket {
    sender: WebSocketSender,
    receiver: WebSocketReceiver,
    protocol: Option<String>,
}

/// The sending half of a [`WebSocket`] (see [`WebSocket::split`]); clones send on the same socket.
///
/// ```
/// use httpserver::ws::{Message, WebSocket};
/// async fn greet(socket: WebSocket) {
///     let (mut sender, _receiver) = socket.split();
///     let _ = sender.send(Message::Text("welcome".into())).await;
/// }
/// ```
#[derive(Clone)]
pub struct WebSocketSender {
    sink: Sink,
}

/// The receiving half of a [`WebSocket`] (see [`WebSocket::split`]).
///
/// ```
/// use httpserver::ws::{Message, WebSocket};
/// async fn count(socket: WebSocket) -> usize {
///     let (_sender, mut receiver) = socket.split();
///     let mut n = 0;
///     while let Some(Ok(_)) = receiver.recv().await {
///         n += 1;
///     }
///     n
/// }
/// ```
pub struct WebSocketReceiver {
    stream: SplitStream<Stream>,
    sink: Sink,
    done: bool,
}

impl WebSocket {
    pub(crate) fn new(stream: Stream, protocol: Option<String>) -> Self {
        let (sink, stream) = stream.split();
        let sink = Arc::new(Mutex::new(sink));
        WebSocket {
            sender: WebSocketSender {
                sink: Arc::clone(&sink),
            },
            receiver: WebSocketReceiver {
                stream,
                sink,
                done: false,
            },
            protocol,
        }
    }

    /// The next message; `None` once the socket is closed. A close frame from the peer
    /// comes as [`Message::Close`] (the reply is sent for you), then `None`. A message
    /// over the size limit is an [`Error`] after the socket has been closed with 1009.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        self.receiver.recv().await
    }

    /// Sends a message. Fails once the socket is closed or the connection is gone.
    pub async fn send(&mut self, msg: Message) -> Result<(), Error> {
        self.sender.send(msg).await
    }

    /// Sends a close frame with `code` and `reason`; keep calling [`recv`](Self::recv)
    /// until `None` to read the peer's reply.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        self.sender.close(code, reason).await
    }

    /// The subprotocol chosen in the handshake (see
    /// [`WebSocketUpgrade::protocols`](super::WebSocketUpgrade::protocols)).
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// A sender and a receiver, to send and receive from separate tasks.
    pub fn split(self) -> (WebSocketSender, WebSocketReceiver) {
        (self.sender, self.receiver)
    }

    /// A handle on the writing half, kept by the server to close the socket.
    pub(crate) fn sender(&self) -> WebSocketSender {
        self.sender.clone()
    }
}

impl WebSocketSender {
    /// Sends a message. Fails once the socket is closed or the connection is gone.
    pub async fn send(&mut self, msg: Message) -> Result<(), Error> {
        self.sink.lock().await.send(msg.into()).await.map_err(Error)
    }

    /// Sends a close frame with `code` and `reason`.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        send_close(&self.sink, code, reason).await
    }

    /// Ends the close handshake from our side if the app did not (a close frame without
    /// a code), within a bounded time.
    pub(crate) async fn finish(&self) {
        let close = async { self.sink.lock().await.close().await };
        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, close).await;
    }
}

impl WebSocketReceiver {
    /// The next message; see [`WebSocket::recv`].
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        if self.done {
            return None;
        }
        loop {
            let read = match self.stream.next().await {
                Some(read) => read,
                None => {
                    self.done = true;
                    return None;
                }
            };
            match read {
                Ok(msg) => match Message::from_tungstenite(msg) {
                    Some(msg) => return Some(Ok(msg)),
                    None => continue,
                },
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    // Nothing more can be read: the rest of the frame at fault was not.
                    // RFC 6455 7.4.1 names the reason for the peer.
                    self.done = true;
                    let reason = match &e {
                        tungstenite::Error::Capacity(_) => Some((1009, "message too big")),
                        tungstenite::Error::Protocol(_) => Some((1002, "protocol error")),
                        tungstenite::Error::Utf8(_) => Some((1007, "text is not UTF-8")),
                        _ => None,
                    };
                    if let Some((code, reason)) = reason {
                        let _ = send_close(&self.sink, code, reason).await;
                    }
                    return Some(Err(Error(e)));
                }
            }
        }
    }
}

async fn send_close(sink: &Sink, code: u16, reason: &str) -> Result<(), Error> {
    let frame = RawCloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    let send = async {
        sink.lock()
            .await
            .send(tungstenite::Message::Close(Some(frame)))
            .await
    };
    match tokio::time::timeout(CLOSE_WRITE_TIMEOUT, send).await {
        Ok(sent) => sent.map_err(Error),
        Err(_) => Err(Error(tungstenite::Error::Io(
            std::io::ErrorKind::TimedOut.into(),
        ))),
    }
}

/// The test client's end of an upgraded in-memory connection.
pub(crate) async fn connect_test_client(
    headers: &http::HeaderMap,
    pipe: tokio::sync::oneshot::Sender<tokio::io::DuplexStream>,
) -> WebSocket {
    // Large enough that a 1 MiB message crosses in a few writes.
    let (server_end, client_end) = tokio::io::duplex(256 * 1024);
    // The app's socket task waits for this end; if it is gone, the client sees a closed socket.
    let _ = pipe.send(server_end);
    let io: BoxIo = Box::new(client_end);
    let stream =
        WebSocketStream::from_raw_socket(io, tungstenite::protocol::Role::Client, None).await;
    let protocol = headers
        .get(super::handshake::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    WebSocket::new(stream, protocol)
}
