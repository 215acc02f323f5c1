//! A real WebSocket client against the server: Python's `websockets` package
//! (tests/wire/websocket.py) sends text, binary and 1 MiB messages, an oversized one
//! (closed with 1009), pings, close codes both ways, a subprotocol offer, 100 clients at
//! once, and finally has the server shut down with sockets open (each gets Close 1001).
//!
//! Needs `python3` with `websockets` (`pip install websockets`); without them this test
//! fails and says so.

use std::process::Command;
use std::time::Duration;

use httpserver::ws::{Message, WebSocketUpgrade};
use httpserver::{collect_routes, get, App, Request, Response};
use httpserver_suite::TestServer;

#[get("/echo")]
async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if !matches!(msg, Message::Text(_) | Message::Binary(_)) {
                continue;
            }
            if socket.send(msg).await.is_err() {
                break;
            }
        }
    })
}

/// Closes with the code and reason the client sends as `CODE REASON`.
#[get("/closer")]
async fn closer(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        if let Some(Ok(Message::Text(text))) = socket.recv().await {
            let (code, reason) = text.split_once(' ').unwrap_or((&text, ""));
            let _ = socket.close(code.parse().unwrap_or(1000), reason).await;
            while socket.recv().await.is_some() {}
        }
    })
}

#[get("/proto")]
async fn proto(ws: WebSocketUpgrade) -> Response {
    ws.protocols(["chat", "superchat"])
        .on_upgrade(|mut socket| async move {
            let chosen = socket.protocol().unwrap_or("none").to_owned();
            let _ = socket.send(Message::Text(chosen)).await;
            while socket.recv().await.is_some() {}
        })
}

#[get("/shutdown")]
async fn shutdown(req: Request) -> &'static str {
    req.app().shutdown();
    "shutting down"
}

/// How long the Python client may take in all.
const CLIENT_DEADLINE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websockets_client() {
    let app = App::new()
        .routes(collect_routes![echo, closer, proto, shutdown])
        .grace_period(Duration::from_secs(20));
    let server = TestServer::start(app).await;
    let base = format!("ws://{}", server.addr);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire/websocket.py");
    let run =
        tokio::task::spawn_blocking(move || Command::new("python3").arg(script).arg(base).output());
    let output = tokio::time::timeout(CLIENT_DEADLINE, run)
        .await
        .expect("the Python client finished in time")
        .expect("the client task")
        .unwrap_or_else(|e| {
            panic!("this test needs python3 with websockets (pip install websockets): {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named 'websockets'") {
        panic!("this test needs Python's websockets: pip install websockets");
    }
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    // The script asked for a shutdown with sockets open; they closed, so it is quick.
    let started = std::time::Instant::now();
    server.join().await.expect("server stops");
    assert!(started.elapsed() < Duration::from_secs(10));
}
