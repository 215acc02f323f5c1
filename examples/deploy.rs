//! The app that `deploy/` runs: several instances behind nginx, systemd or Kubernetes,
//! restarted one at a time without losing a request (`deploy/README.md`,
//! `deploy/rolling-restart.sh`).
//!
//! ```text
//! cargo run --example deploy                       # http://127.0.0.1:8000
//! PORT=8101 HOST=127.0.0.1 REUSE_PORT=1 DRAIN_PERIOD=2 cargo run --example deploy
//! curl localhost:8000/                             # who answered, and who it thinks asked
//! curl localhost:8000/echo -d 'hello'              # the body back
//! curl -i localhost:8000/healthz                   # 200, or 503 while draining
//! ```
//!
//! Configured from the environment only, as a service manager or a platform sets it:
//! - `PORT`, `HOST`: the address (`httpserver::listen_addr`); a socket handed over by
//!   systemd (`LISTEN_FDS`) is used instead when there is one.
//! - `HTTPSERVER_*` limits, grace period and trusted proxies (`App::with_env`).
//! - `DRAIN_PERIOD`: seconds to drain after SIGTERM (default 5; fractions allowed), long
//!   enough for the load balancer to see `/healthz` fail and stop sending new requests.
//! - `REUSE_PORT=1`: bind with `SO_REUSEPORT`, so that the next process can bind the same
//!   port while this one drains.

use std::time::Duration;

use httpserver::{collect_routes, get, post, App, Request, StatusCode};
use serde_json::{json, Value};

/// Readiness: 503 from the moment the drain starts, so that health checks take the
/// instance out of rotation while it still answers what reaches it.
#[get("/healthz")]
async fn healthz(req: Request) -> (&'static str, StatusCode) {
    if req.app().is_ready() {
        ("ok", StatusCode::OK)
    } else {
        ("draining", StatusCode::SERVICE_UNAVAILABLE)
    }
}

/// Liveness: 200 as long as the process answers at all, draining or not. A liveness probe
/// on `/healthz` would have Kubernetes kill an instance for draining, as it is told to.
#[get("/livez")]
async fn livez() -> &'static str {
    "alive"
}

/// Which process answered and whom it believes it is talking to: behind nginx, the
/// client's address and scheme come from `X-Forwarded-For`/`-Proto` (trusted from the
/// proxy's address only). `?delay_ms=` (at most 1000) keeps the request in flight that
/// long, as a handler doing real work would be when its server is told to stop.
#[get("/")]
async fn index(req: Request) -> Value {
    let delay = req
        .query("delay_ms")
        .and_then(|ms| ms.parse::<u64>().ok())
        .unwrap_or(0)
        .min(1000);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    json!({
        "pid": std::process::id(),
        "client": req.client_addr().ip().to_string(),
        "scheme": req.scheme(),
        "peer": req.peer_addr().to_string(),
    })
}

/// The body back, byte for byte: a request that is not idempotent, which a proxy must not
/// send twice, and whose answer shows whether the body arrived whole.
#[post("/echo")]
async fn echo(req: Request) -> bytes::Bytes {
    req.body().clone()
}

fn seconds(name: &str) -> Result<Option<Duration>, String> {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| format!("{name}={v:?} is not a number of seconds"))
        })
        .transpose()
}

fn config() -> Result<(App, String), String> {
    let mut app = App::new()
        .routes(collect_routes![healthz, livez, index, echo])
        // The usual set-up: the proxy on the same host. HTTPSERVER_TRUSTED_PROXIES
        // replaces it (with_env comes last, so that the environment wins).
        .trusted_proxies(["127.0.0.1/32", "::1/128"]);
    if let Some(drain) = seconds("DRAIN_PERIOD")? {
        app = app.drain_period(drain);
    }
    let reuse = std::env::var("REUSE_PORT").is_ok_and(|v| matches!(v.trim(), "1" | "true"));
    let app = app.reuse_port(reuse).with_env()?;
    Ok((app, httpserver::listen_addr("127.0.0.1:8000")?))
}

fn main() -> std::io::Result<()> {
    let (app, addr) = config().map_err(std::io::Error::other)?;
    app.run(addr)
}
