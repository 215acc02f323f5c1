//! Echo server on 127.0.0.1:PORT (first argument): every text or binary message back.
use httpserver::ws::{Message, WebSocketUpgrade};
use httpserver::{collect_routes, get, App, Response};

#[get("/ws")]
async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if matches!(msg, Message::Text(_) | Message::Binary(_))
                && socket.send(msg).await.is_err()
            {
                break;
            }
        }
    })
}

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "18090".into());
    App::new()
        .routes(collect_routes![echo])
        .grace_period(std::time::Duration::from_secs(1))
        .run(format!("127.0.0.1:{port}"))
}
