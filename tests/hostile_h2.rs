//! The HTTP/2 twins of tests/hostile.rs: every hostile case that has an HTTP/2 meaning
//! (`:authority` and `Host`, connection-specific headers, malformed pseudo-headers, the
//! header list's size, body limits, `Expect`) sent frame by frame by Python's `h2`
//! (tests/wire/hostile_h2.py), over h2c and over h2 with TLS. Each gets the answer RFC 9113
//! asks for (a 4xx, or a stream reset where the request is malformed), the connection
//! serves on unless the server ended it, and a fresh connection is served after each.
//!
//! Where HTTP/2 differs from HTTP/1.1 by design: a malformed request is a stream error
//! (RST_STREAM PROTOCOL_ERROR, RFC 9113 §8.1.1) where HTTP/1.1 answers 400 and closes, and
//! the stream, not the connection, ends; hyper's HTTP/2 layer (h2) enforces those rules
//! before the app sees the request.
//!
//! Needs `python3` with `h2` (`pip install h2`).

use std::process::Command;
use std::time::Duration;

use httpserver::{collect_routes, get, post, App, Request, Response};
use httpserver_suite::{TestCertificate, TestServer};

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

#[get("/users/<name>")]
async fn user(name: String) -> String {
    format!("user {name:?}")
}

#[post("/echo")]
async fn echo(req: Request) -> Vec<u8> {
    req.body().to_vec()
}

#[post("/private")]
async fn private(req: Request) -> Vec<u8> {
    req.body().to_vec()
}

async fn require_auth(req: Request) -> Option<Response> {
    use httpserver::IntoResponse;
    (req.path() == "/private" && req.header("authorization").is_none())
        .then(|| ("unauthorized", 401).into_response())
}

/// The app of tests/hostile.rs: a 1 KiB body limit, a hook refusing `/private`.
fn hostile_app() -> App {
    App::new()
        .max_body_size(1024)
        .read_timeout(Duration::from_secs(1))
        .before_request(require_auth)
        .routes(collect_routes![ping, user, echo, private])
        .access_log(false)
}

/// Runs the script against `server`; the cases that failed, and the table as markdown.
fn run_cases(server: &TestServer, tls: bool) -> (Vec<String>, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wire/hostile_h2.py");
    let mut command = Command::new("python3");
    command.arg(script).arg(server.addr.port().to_string());
    if tls {
        command.arg("tls");
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("this test needs python3 with h2 (pip install h2): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "hostile_h2.py failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    let mut table =
        String::from("| # | HTTP/2 request | answer | rule (RFC) |\n|---|---|---|---|\n");
    let mut count = 0;
    for (i, line) in stdout.lines().enumerate() {
        let case: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a result ({e}): {line}"));
        let (name, got) = (
            case["name"].as_str().unwrap_or(""),
            case["got"].as_str().unwrap_or(""),
        );
        if case["ok"] != true {
            failures.push(format!("{name}: got {got}, want one of {}", case["want"]));
        }
        table.push_str(&format!(
            "| {} | {name} | {got} | {} |\n",
            i + 1,
            case["rule"].as_str().unwrap_or("")
        ));
        count += 1;
    }
    assert!(count >= 30, "only {count} cases ran:\n{stdout}");
    (failures, table)
}

async fn every_case(tls: bool) {
    let cert = TestCertificate::new();
    let app = if tls {
        hostile_app().tls(cert.server)
    } else {
        hostile_app()
    };
    let server = TestServer::start(app).await;
    let (failures, table) = {
        let server = &server;
        tokio::task::block_in_place(|| run_cases(server, tls))
    };
    println!("{table}");
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.stop().await.expect("the server stops cleanly");
}

/// `cargo test --test hostile_h2 -- --nocapture` prints the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_http2_request_gets_its_answer_over_h2c() {
    every_case(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_http2_request_gets_its_answer_over_h2_tls() {
    every_case(true).await;
}
