//! WebSocket routes (cargo feature `ws`): the [`WebSocketUpgrade`] extractor answers
//! the handshake and hands the connection to your code as a [`WebSocket`].
//!
//! ```
//! use httpserver::ws::{Message, WebSocket, WebSocketUpgrade};
//! use httpserver::{collect_routes, get, App, Response};
//!
//! #[get("/ws")]
//! async fn echo(ws: WebSocketUpgrade) -> Response {
//!     ws.on_upgrade(|mut socket: WebSocket| async move {
//!         while let Some(Ok(msg)) = socket.recv().await {
//!             if socket.send(msg).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let client = App::new().routes(collect_routes![echo]).test_client();
//! let mut socket = client.websocket("/ws").await.expect("handshake");
//! socket.send(Message::Text("hi".into())).await.unwrap();
//! assert_eq!(socket.recv().await.unwrap().unwrap(), Message::Text("hi".into()));
//! # });
//! ```
//!
//! - The handshake follows RFC 6455: a `GET` with `Upgrade: websocket`,
//!   `Connection: upgrade`, `Sec-WebSocket-Version: 13` and a well-formed
//!   `Sec-WebSocket-Key`. A request that is no upgrade gets 426 with `Upgrade: websocket`;
//!   another version, 426 with `Sec-WebSocket-Version: 13`; a missing or malformed key, 400.
//! - Pings are answered for you (and still shown to you as [`Message::Ping`]).
//! - A peer that breaks the protocol gets Close 1002 (1007 for text that is not UTF-8),
//!   and [`WebSocket::recv`] gives the error.
//! - A message or frame larger than the maximum (16 MiB unless
//!   [`App::ws_max_message_size`](crate::App::ws_max_message_size) or
//!   [`WebSocketUpgrade::max_message_size`] says otherwise) closes the socket with 1009.
//! - A graceful shutdown sends Close 1001 (going away) to every open socket and waits for
//!   the sockets to close within the grace period; past it, they are cut.

mod extract;
mod handshake;
mod message;
mod socket;
pub(crate) mod upgrade;

pub use extract::WebSocketUpgrade;
pub use message::{CloseFrame, Error, Message};
pub use socket::{WebSocket, WebSocketReceiver, WebSocketSender};

pub(crate) use socket::connect_test_client;
pub(crate) use upgrade::test_upgrade;

pub use crate::config::DEFAULT_MAX_MESSAGE_SIZE;
