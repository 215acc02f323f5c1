//! Errors that compose, on every transport: `?` turns any error into `httpserver::Error`
//! inside one handler (an `HttpError` keeps its status, anything else is a 500), error
//! handlers by type may answer with any status, a catch-all renders every error the
//! others left. What they log is tested in `tests/error_logs.rs`.

use httpserver::{
    abort, collect_routes, get, App, Context, Error, HttpError, IntoResponse, OrAbort, Request,
    Response,
};
use httpserver_suite::{on_every_transport, Client, Transport};

/// A database's error, as a library would define it.
#[derive(Debug)]
struct NoSuchRow(i64);

impl std::fmt::Display for NoSuchRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no row with id {}", self.0)
    }
}

impl std::error::Error for NoSuchRow {}

/// Every kind of error behind one `?`, chosen by the path.
#[get("/mixed/<kind>")]
async fn mixed(kind: String) -> Result<String, Error> {
    match kind.as_str() {
        "io" => {
            std::fs::read_to_string("/nonexistent/for/this/test")
                .context("reading the board's settings")?;
        }
        "json" => {
            let _: serde_json::Value = serde_json::from_str("{not json")?;
        }
        "http" => return Err(HttpError::new(409, "name taken").into()),
        "abort" => Err(abort(403))?,
        "none" => {
            let found: Option<&str> = None;
            found.or_404()?;
        }
        "row" => Err(NoSuchRow(7))?,
        _ => {}
    }
    Ok(format!("ok {kind}"))
}

#[get("/panics")]
async fn panics() -> &'static str {
    panic!("a bug")
}

fn app() -> App {
    App::new()
        .routes(collect_routes![mixed, panics])
        .access_log(false)
}

async fn one_error_type_takes_every_error(t: Transport) {
    let client = Client::start(app(), t).await;
    let cases = [
        ("io", 500, "Internal Server Error"),
        ("json", 500, "Internal Server Error"),
        ("http", 409, "name taken"),
        ("abort", 403, "Forbidden"),
        ("none", 404, "Not Found"),
        ("row", 500, "Internal Server Error"),
        ("fine", 200, "ok fine"),
    ];
    for (kind, status, body) in cases {
        let res = client.get(&format!("/mixed/{kind}")).await;
        assert_eq!(
            (res.status, res.text()),
            (status, body.to_owned()),
            "{kind} over {t:?}"
        );
    }
    client.stop().await;
}

/// An error handler by type answers with any status it likes, an `HttpError` included
/// (it used to become a 500).
async fn a_typed_error_handler_may_answer_any_status(t: Transport) {
    let app = app()
        .error_handler_for(|_req: Request, err: NoSuchRow| async move {
            HttpError::new(404, format!("task {} does not exist", err.0)).into_response()
        })
        .error_handler_for(|_req: Request, _err: serde_json::Error| async move { abort(400) });
    let client = Client::start(app, t).await;
    let res = client.get("/mixed/row").await;
    assert_eq!(
        (res.status, res.text()),
        (404, "task 7 does not exist".to_owned()),
        "{t:?}"
    );
    let res = client.get("/mixed/json").await;
    assert_eq!(
        (res.status, res.text()),
        (400, "Bad Request".to_owned()),
        "{t:?}"
    );
    client.stop().await;
}

async fn page(req: Request, err: Error) -> Response {
    let status = err.status();
    let page = format!("error page: {} at {}", status.as_u16(), req.path());
    (page, status).into_response()
}

/// The catch-all renders what no handler by type or status took: the router's 404, an
/// unmapped error, a panic; a handler by status still comes first.
async fn the_catch_all_renders_every_other_error(t: Transport) {
    let app = app()
        .error_handler(409, |_req: Request, _err: HttpError| async {
            ("by status", 409)
        })
        .error_handler_any(page);
    let client = Client::start(app, t).await;
    let cases = [
        ("/nowhere", 404, "error page: 404 at /nowhere"),
        ("/mixed/io", 500, "error page: 500 at /mixed/io"),
        ("/panics", 500, "error page: 500 at /panics"),
        ("/mixed/http", 409, "by status"),
        ("/mixed/fine", 200, "ok fine"),
    ];
    for (path, status, body) in cases {
        let res = client.get(path).await;
        assert_eq!(
            (res.status, res.text()),
            (status, body.to_owned()),
            "{path} over {t:?}"
        );
    }
    client.stop().await;
}

on_every_transport!(
    one_error_type_takes_every_error,
    a_typed_error_handler_may_answer_any_status,
    the_catch_all_renders_every_other_error
);
