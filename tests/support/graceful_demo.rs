//! A tiny app for `tests/signals.rs`: it serves with `App::run` (signal handling on, the
//! default) on a free port, which it prints on stdout before serving, and has a `/slow`
//! handler that prints `slow started` when it begins and answers after ~500 ms. `/fail`
//! returns an error and `/boom` panics: with no tracing subscriber installed, both must
//! still show on stderr. `/ready` answers 503 while the server drains.
//!
//! Environment (all optional): `DEMO_PORT` (serve on this port instead of a free one),
//! `DEMO_DRAIN_MS` (the drain period after SIGTERM; default 0), `DEMO_REUSE_PORT=1`.
//!
//! Exits 0 after a graceful shutdown, 3 if the port could not be bound (the test retries).

use std::io::Write;
use std::time::Duration;

use httpserver::{collect_routes, get, App};

#[get("/slow")]
async fn slow() -> &'static str {
    say("slow started");
    tokio::time::sleep(Duration::from_millis(500)).await;
    "slow done"
}

#[get("/fail")]
async fn fail() -> Result<&'static str, std::io::Error> {
    let cause = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
    Err(std::io::Error::other(DatabaseDown(cause)))
}

#[derive(Debug)]
struct DatabaseDown(std::io::Error);

impl std::fmt::Display for DatabaseDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the database is down")
    }
}

impl std::error::Error for DatabaseDown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[get("/boom")]
async fn boom() -> &'static str {
    panic!("boom at the handler")
}

#[get("/ready")]
async fn ready(req: httpserver::Request) -> (&'static str, u16) {
    if req.app().is_ready() {
        ("ready", 200)
    } else {
        ("draining", 503)
    }
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    // Pick a free port, release it, and serve on it; another process could take it in
    // between, in which case this exits 3 and the test starts another demo.
    let port = env_number("DEMO_PORT").map_or_else(
        || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port")
        },
        |p| p as u16,
    );
    say(&format!("port {port}"));
    let result = App::new()
        .routes(collect_routes![slow, ping, fail, boom, ready])
        .drain_period(std::time::Duration::from_millis(
            env_number("DEMO_DRAIN_MS").unwrap_or(0),
        ))
        .reuse_port(std::env::var("DEMO_REUSE_PORT").is_ok_and(|v| v == "1"))
        .run(("127.0.0.1", port));
    match result {
        Ok(()) => say("stopped"),
        Err(e) => {
            eprintln!("graceful-demo: {e}");
            std::process::exit(3);
        }
    }
}
