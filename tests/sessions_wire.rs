//! Sessions over a real socket, with a real cookie-handling client: Python's
//! `requests.Session` (tests/wire/sessions.py) logs in through the form of
//! `examples/login.rs`, then tampers with, rotates, replays after expiry and overfills
//! sessions of the session demo app.
//!
//! Needs `python3` with `requests` (`pip install requests`); without them this test fails
//! and says so.

use std::process::Command;
use std::time::Duration;

use httpserver::SessionCookie;
use httpserver_suite::session_demo::{app, KEY, OLD_KEY};
use httpserver_suite::TestServer;

/// The example, compiled in so its app can be served from this test.
#[allow(dead_code)]
#[path = "../examples/login.rs"]
mod login_example;

/// How long the Python client may take in all.
const CLIENT_DEADLINE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_session_against_real_servers() {
    let servers = [
        ("login", TestServer::start(login_example::app(KEY)).await),
        ("old", TestServer::start(app(&[OLD_KEY])).await),
        ("rotated", TestServer::start(app(&[KEY, OLD_KEY])).await),
        ("new", TestServer::start(app(&[KEY])).await),
        (
            "expiring",
            TestServer::start(
                app(&[KEY]).session_cookie(SessionCookie::new().max_age(Duration::from_secs(1))),
            )
            .await,
        ),
    ];
    let args: Vec<String> = servers
        .iter()
        .map(|(name, server)| format!("{name}={}", server.addr.port()))
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire/sessions.py");
    let run = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg(script).args(args).output()
    });
    let output = tokio::time::timeout(CLIENT_DEADLINE, run)
        .await
        .expect("the Python client finished in time")
        .expect("the client task")
        .unwrap_or_else(|e| {
            panic!("this test needs python3 with requests (pip install requests): {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named 'requests'") {
        panic!("this test needs Python's requests: pip install requests");
    }
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the Python client failed:\n{stdout}\n{stderr}"
    );
    for (_, server) in servers {
        server.stop().await.expect("server stops");
    }
}
