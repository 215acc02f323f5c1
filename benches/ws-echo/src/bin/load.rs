//! Load: CONNS WebSockets to URL, each sending a SIZE-byte text message and waiting for its
//! echo, over and over for SECONDS. Prints the echoed messages per second, all
//! connections together.
//!
//!     load ws://127.0.0.1:18090/ws CONNS SECONDS SIZE
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// tungstenite zeroes its whole read buffer (128 KiB by default) before every read; at
/// that size the load generator, not the server, would be the bottleneck on its core.
const READ_BUFFER_SIZE: usize = 4 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "ws://127.0.0.1:18090/ws".into());
    let conns: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(5);
    let size: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(32);
    let payload = "x".repeat(size);
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_SIZE);
    let mut sockets = Vec::new();
    for _ in 0..conns {
        // Nagle off, as both servers have it: small messages go out at once.
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true)
                .await
                .expect("connect");
        sockets.push(socket);
    }
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let payload = payload.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < until {
                    socket
                        .send(Message::Text(payload.as_str().into()))
                        .await
                        .expect("send");
                    match socket.next().await {
                        Some(Ok(Message::Text(_))) => n += 1,
                        other => panic!("expected the echo, got {other:?}"),
                    }
                }
                let _ = socket.close(None).await;
                n
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("connection task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("{:.0}", total as f64 / elapsed);
}
