//! What a failed handler logs, on every transport: a 5xx at ERROR with its cause chain, an
//! error that an error handler made a 4xx of not at all (DEBUG). A binary of its own: the
//! log is read through a subscriber installed for the test.

use httpserver::{abort, collect_routes, get, App, Context, Error, Request};
use httpserver_suite::{logged, Client, Transport};

#[derive(Debug)]
struct NoSuchRow(i64);

impl std::fmt::Display for NoSuchRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no row with id {}", self.0)
    }
}

impl std::error::Error for NoSuchRow {}

#[get("/mixed/<kind>")]
async fn mixed(kind: String) -> Result<String, Error> {
    if kind == "io" {
        std::fs::read_to_string("/nonexistent/for/this/test")
            .context("reading the board's settings")?;
    }
    if kind == "row" {
        Err(NoSuchRow(7))?;
    }
    Ok(format!("ok {kind}"))
}

fn app() -> App {
    App::new().routes(collect_routes![mixed]).access_log(false)
}

/// A 5xx is logged at ERROR with its cause chain; an error an error handler made a 4xx of
/// is the client's, not the server's, and is not.
async fn only_server_errors_are_logged_as_errors(t: Transport) {
    let app = || app().error_handler_for(|_req: Request, _err: NoSuchRow| async { abort(404) });
    let (_, log) = logged("info", async {
        let client = Client::start(app(), t).await;
        assert_eq!(client.get("/mixed/row").await.status, 404);
        client.stop().await;
    })
    .await;
    assert!(
        !log.contains("ERROR"),
        "a 404 logged as an error over {t:?}:\n{log}"
    );
    let (_, log) = logged("info", async {
        let client = Client::start(app(), t).await;
        assert_eq!(client.get("/mixed/io").await.status, 500);
        client.stop().await;
    })
    .await;
    let line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("handler failed"))
        .unwrap_or_else(|| panic!("no ERROR line over {t:?}:\n{log}"));
    assert!(
        line.contains("handler=\"mixed\"") || line.contains("handler=mixed"),
        "{line}"
    );
    assert!(
        line.contains("reading the board's settings: No such file or directory"),
        "the cause chain is in the line: {line}"
    );
}

/// One test over the four transports in turn: `tracing` decides once per call site whether
/// anyone listens, so a test of what is logged keeps its subscriber in place before any
/// request of its binary is answered.
#[tokio::test]
async fn only_server_errors_are_logged_as_errors_on_every_transport() {
    for t in Transport::ALL {
        only_server_errors_are_logged_as_errors(t).await;
    }
}
