//! What travels over a WebSocket: [`Message`], [`CloseFrame`], and [`Error`].

use bytes::Bytes;
use tokio_tungstenite::tungstenite;
use tungstenite::protocol::frame::coding::CloseCode;

/// One WebSocket message.
///
/// ```
/// use httpserver::ws::{CloseFrame, Message};
/// let hello = Message::Text("hello".into());
/// let bye = Message::Close(Some(CloseFrame { code: 1000, reason: "done".into() }));
/// assert_ne!(hello, bye);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (always valid UTF-8).
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping (at most 125 bytes). The pong is sent for you.
    Ping(Bytes),
    /// A pong (at most 125 bytes).
    Pong(Bytes),
    /// A close frame: the peer's, or one to send. `None` has no code.
    Close(Option<CloseFrame>),
}

/// The code and reason of a close frame (RFC 6455 section 7.4: 1000 normal, 1001 going
/// away, 1009 too big, 1011 server error, 4000-4999 yours).
///
/// ```
/// let frame = httpserver::ws::CloseFrame { code: 4000, reason: "kicked".into() };
/// assert_eq!(frame.code, 4000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code.
    pub code: u16,
    /// Why, for people (at most 123 bytes).
    pub reason: String,
}

impl From<Message> for tungstenite::Message {
    fn from(msg: Message) -> Self {
        match msg {
            Message::Text(text) => tungstenite::Message::Text(text.into()),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
            Message::Ping(bytes) => tungstenite::Message::Ping(bytes),
            Message::Pong(bytes) => tungstenite::Message::Pong(bytes),
            Message::Close(frame) => {
                tungstenite::Message::Close(frame.map(|f| tungstenite::protocol::CloseFrame {
                    code: CloseCode::from(f.code),
                    reason: f.reason.into(),
                }))
            }
        }
    }
}

impl Message {
    /// `None` for a raw frame, which reading never yields.
    pub(crate) fn from_tungstenite(msg: tungstenite::Message) -> Option<Self> {
        Some(match msg {
            tungstenite::Message::Text(text) => Message::Text(text.as_str().to_owned()),
            tungstenite::Message::Binary(bytes) => Message::Binary(bytes),
            tungstenite::Message::Ping(bytes) => Message::Ping(bytes),
            tungstenite::Message::Pong(bytes) => Message::Pong(bytes),
            tungstenite::Message::Close(frame) => Message::Close(frame.map(|f| CloseFrame {
                code: u16::from(f.code),
                reason: f.reason.as_str().to_owned(),
            })),
            tungstenite::Message::Frame(_) => return None,
        })
    }
}

/// A WebSocket failed: the peer broke the protocol, sent a message over the size limit
/// (the socket was closed with 1009), or the connection is gone.
///
/// ```
/// # async fn demo(mut socket: httpserver::ws::WebSocket) {
/// if let Some(Err(e)) = socket.recv().await {
///     eprintln!("socket failed: {e}");
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Error(pub(crate) tungstenite::Error);

impl Error {
    /// Whether the peer sent a message over the size limit.
    pub fn is_too_large(&self) -> bool {
        matches!(self.0, tungstenite::Error::Capacity(_))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "websocket: {}", self.0)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
