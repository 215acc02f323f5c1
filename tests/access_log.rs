//! One access-log event per request. Alone in its test binary: tracing caches whether a
//! call site is wanted, and requests answered on other threads with no subscriber at the
//! same moment would race with the one this test installs.

use httpserver::{collect_routes, get, App, Request, StreamingResponse};
use httpserver_suite::{Client, HttpResponse, Transport};
use serde_json::{json, Value};

#[get("/whoami")]
async fn whoami(req: Request) -> Value {
    json!({"client": req.client_addr().ip().to_string()})
}

#[get("/stream")]
async fn stream() -> StreamingResponse {
    StreamingResponse::new(futures_util::stream::iter(["a", "b"]))
}

fn app() -> App {
    App::new().routes(collect_routes![whoami, stream])
}

#[tokio::test]
async fn one_access_event_per_request_with_method_path_status_bytes_duration_client() {
    let client = app().trusted_proxies(["127.0.0.1"]).test_client();
    let requests = async {
        client
            .get("/whoami")
            .header("x-forwarded-for", "192.0.2.9")
            .send()
            .await;
        client.get("/nowhere").send().await;
        client.get("/stream").send().await;
    };
    let ((), log) = httpserver_suite::logged("httpserver::access=info", requests).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].contains("httpserver::access"), "{log}");
    for (line, path, status) in [
        (lines[0], "/whoami", 200),
        (lines[1], "/nowhere", 404),
        (lines[2], "/stream", 200),
    ] {
        assert!(line.contains(&format!("path={path}")), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(
            line.contains("method=GET") && line.contains("duration_us="),
            "{line}"
        );
    }
    assert!(
        lines[0].contains("client=192.0.2.9:0"),
        "the client a trusted proxy reports: {log}"
    );
    assert!(lines[0].contains("bytes="), "{log}");
    assert!(
        !lines[2].contains("bytes="),
        "a streamed body's length is not known up front: {log}"
    );
    assert!(lines[0].contains("version=HTTP/1.1"), "{log}");

    // A HEAD answer carries no body on any transport, whatever its length: 0 bytes sent.
    for transport in Transport::ALL {
        let (res, line) = whoami_logged(transport, "HEAD", &[]).await;
        res.assert_status(200);
        assert!(line.contains("method=HEAD"), "{transport:?}: {line}");
        assert!(line.contains("bytes=0 "), "{transport:?}: {line}");
    }

    // The protocol, the user agent and the request id (as a proxy or tower-http's
    // SetRequestIdLayer sets it) ride along, over HTTP/2 too.
    let headers = [
        ("user-agent", "board-tests/1.0"),
        ("x-request-id", "req-42"),
    ];
    let (_, line) = whoami_logged(Transport::H2c, "GET", &headers).await;
    assert!(line.contains("version=HTTP/2.0"), "{line}");
    assert!(line.contains("user_agent=\"board-tests/1.0\""), "{line}");
    assert!(line.contains("request_id=\"req-42\""), "{line}");
}

/// `method /whoami` with `headers` over `transport`: the response, and the access line it
/// was logged with.
async fn whoami_logged(
    transport: Transport,
    method: &str,
    headers: &[(&str, &str)],
) -> (HttpResponse, String) {
    let request = async {
        let client = Client::start(app(), transport).await;
        let res = client.exchange(method, "/whoami", headers, b"").await;
        client.stop().await;
        res
    };
    let (res, log) = httpserver_suite::logged("httpserver::access=info", request).await;
    let line = log
        .lines()
        .find(|l| l.contains("path=/whoami"))
        .unwrap_or_else(|| panic!("no access line over {transport:?}: {log}"));
    (res, line.to_owned())
}
