//! The board example over a real socket: Python's `requests` drives its forms, uploads,
//! downloads and JSON API, and a `websockets` client watches its live feed
//! (tests/wire/board.py).
//!
//! Needs `python3` with `requests` and `websockets`; without them this test fails and says
//! so.

use std::process::Command;
use std::time::Duration;

use httpserver_suite::TestServer;

#[allow(dead_code)]
#[path = "../examples/board.rs"]
mod board_example;

/// How long the Python client may take in all.
const CLIENT_DEADLINE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_websockets_drive_the_board() {
    let data = std::env::temp_dir().join(format!("board-wire-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let app = board_example::app("the board's wire test secret, 32+ bytes", &data)
        .await
        .expect("the board starts");
    let server = TestServer::start(app.access_log(false)).await;
    let port = server.addr.port().to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire/board.py");
    let run =
        tokio::task::spawn_blocking(move || Command::new("python3").arg(script).arg(port).output());
    let output = tokio::time::timeout(CLIENT_DEADLINE, run)
        .await
        .expect("the Python client finished in time")
        .expect("the client task")
        .unwrap_or_else(|e| panic!("this test needs python3 with requests and websockets: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    server.stop().await.expect("server stops");
    let _ = std::fs::remove_dir_all(&data);
}
