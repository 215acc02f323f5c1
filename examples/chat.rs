//! A chat room over WebSocket on http://127.0.0.1:8007: open it in two tabs and talk.
//!
//! ```text
//! cargo run --example chat
//! ```
//!
//! Every message goes to every connected client through a tokio broadcast channel kept in
//! the app's state; the last messages are replayed to whoever joins. The page
//! (`examples/chat/index.html`) is plain HTML and JavaScript.

use std::collections::VecDeque;
use std::sync::Mutex;

use httpserver::ws::{Message, WebSocketUpgrade};
use httpserver::{collect_routes, get, App, Html, Query, Response, State};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

/// Messages replayed to a newcomer.
const HISTORY: usize = 50;

/// The room: who is listening, and what was said last.
pub struct Room {
    tx: broadcast::Sender<String>,
    history: Mutex<VecDeque<String>>,
}

impl Default for Room {
    fn default() -> Self {
        Room {
            tx: broadcast::channel(256).0,
            history: Mutex::new(VecDeque::new()),
        }
    }
}

impl Room {
    /// Sends `line` (a JSON object) to everyone, and keeps it for newcomers.
    fn publish(&self, line: String) {
        // Under the history lock, so that a newcomer sees each line exactly once: either
        // in the history it is given or on its subscription.
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(line.clone());
        let _ = self.tx.send(line); // no one listening is fine
    }

    /// A subscription and the history up to it.
    fn join(&self) -> (broadcast::Receiver<String>, Vec<String>) {
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        (self.tx.subscribe(), history.iter().cloned().collect())
    }
}

#[derive(Deserialize)]
struct Join {
    name: Option<String>,
}

#[get("/")]
async fn index() -> Html<&'static str> {
    Html(include_str!("chat/index.html"))
}

#[get("/ws")]
async fn chat(ws: WebSocketUpgrade, room: State<Room>, Query(join): Query<Join>) -> Response {
    let name: String = join
        .name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(32)
        .collect();
    let name = if name.trim().is_empty() {
        "guest".to_owned()
    } else {
        name
    };
    let room = State::arc(&room);
    ws.on_upgrade(move |socket| async move {
        let (mut sender, mut receiver) = socket.split();
        let (mut lines, history) = room.join();
        room.publish(json!({"kind": "join", "name": name}).to_string());
        // One task writes what the room says; this one reads what the client says.
        let forward = tokio::spawn(async move {
            for line in history {
                if sender.send(Message::Text(line)).await.is_err() {
                    return;
                }
            }
            loop {
                match lines.recv().await {
                    Ok(line) => {
                        if sender.send(Message::Text(line)).await.is_err() {
                            return;
                        }
                    }
                    // A client too slow to keep up misses some lines rather than stall the room.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        while let Some(Ok(msg)) = receiver.recv().await {
            if let Message::Text(text) = msg {
                let text: String = text.chars().take(2000).collect();
                room.publish(json!({"kind": "message", "name": name, "text": text}).to_string());
            }
        }
        forward.abort();
        room.publish(json!({"kind": "leave", "name": name}).to_string());
    })
}

/// The chat app; `chat/` holds the page's script and style.
pub fn app() -> App {
    App::new()
        .routes(collect_routes![index, chat])
        .static_files(
            "/assets",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/chat"),
        )
        .state(Room::default())
}

fn main() -> std::io::Result<()> {
    app().run("127.0.0.1:8007")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    async fn next_json(socket: &mut httpserver::ws::WebSocket) -> Value {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => serde_json::from_str(&text).expect("JSON line"),
            other => panic!("expected a line, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn messages_reach_every_client() {
        let client = app().test_client();
        let mut alice = client
            .websocket("/ws?name=alice")
            .await
            .expect("alice joins");
        assert_eq!(next_json(&mut alice).await["kind"], "join");
        let mut bob = client.websocket("/ws?name=bob").await.expect("bob joins");
        // Bob is given the history (alice's arrival), then his own.
        assert_eq!(next_json(&mut bob).await["name"], "alice");
        assert_eq!(next_json(&mut bob).await["name"], "bob");
        assert_eq!(next_json(&mut alice).await["name"], "bob");

        alice.send(Message::Text("hi bob".into())).await.unwrap();
        for socket in [&mut alice, &mut bob] {
            let line = next_json(socket).await;
            assert_eq!(line["kind"], "message");
            assert_eq!(line["name"], "alice");
            assert_eq!(line["text"], "hi bob");
        }
        alice.close(1000, "bye").await.unwrap();
        while alice.recv().await.is_some() {}
        let line = next_json(&mut bob).await;
        assert_eq!(
            (line["kind"].as_str(), line["name"].as_str()),
            (Some("leave"), Some("alice"))
        );
    }

    #[tokio::test]
    async fn the_page_and_its_script_are_served() {
        let client = app().test_client();
        let page = client.get("/").send().await;
        assert_eq!(page.status(), 200);
        assert!(page.text().contains("/assets/chat.js"));
        let script = client.get("/assets/chat.js").send().await;
        assert_eq!(script.status(), 200);
        assert!(script.text().contains("WebSocket"));
    }
}
