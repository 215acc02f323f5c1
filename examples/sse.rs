//! Server-Sent Events: a live clock page on http://127.0.0.1:8004.
//!
//! ```text
//! cargo run --example sse
//! open http://127.0.0.1:8004/          # the page: an EventSource on /events
//! curl -N localhost:8004/events         # the raw stream: a `tick` event every second
//! ```
//!
//! The page is `examples/sse/index.html`, served by `App::static_files`. Each event has an `id`; a browser that
//! reconnects sends it back as `Last-Event-ID` and the count resumes from there. Closing
//! the tab drops the stream on the server: nothing keeps ticking for a client that left.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httpserver::{collect_routes, get, App, Event, Request, Sse, State};

/// How often `/events` ticks (the browser test makes it fast).
pub struct Clock {
    pub every: Duration,
}

/// The page (`index.html`, which listens to `/events`) and anything beside it.
const PAGE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sse");

/// A `tick` event every `Clock::every`, numbered by its `id`, with the time as data.
#[get("/events")]
async fn events(req: Request, clock: State<Clock>) -> Sse {
    // A reconnecting EventSource says where it stopped.
    let last_id: u64 = req
        .header("last-event-id")
        .and_then(|id| id.parse().ok())
        .unwrap_or(0);
    let ticker = tokio::time::interval(clock.every);
    // Endless; at shutdown the server ends it cleanly, and the browser reconnects.
    let ticks =
        futures_util::stream::unfold((last_id, ticker), move |(n, mut ticker)| async move {
            ticker.tick().await;
            let n = n + 1;
            let event = Event::default()
                .event("tick")
                .id(n.to_string())
                .data(clock_time());
            Some((event, (n, ticker)))
        });
    Sse::new(ticks).keep_alive(Duration::from_secs(15))
}

/// The time of day, UTC, as `HH:MM:SS`.
fn clock_time() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02} UTC")
}

/// The app, ticking every `every`.
pub fn app(every: Duration) -> App {
    App::new()
        .state(Clock { every })
        .static_files("/", PAGE_DIR)
        .routes(collect_routes![events])
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // A stderr nobody reads drops log lines instead of stalling the server.
        .with_writer(httpserver::NonBlockingStderr::default)
        .init();
    app(Duration::from_secs(1)).run("127.0.0.1:8004")
}
