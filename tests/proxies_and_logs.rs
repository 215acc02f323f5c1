//! Behind a load balancer: the client's address and scheme from trusted proxies only.

use httpserver::{collect_routes, get, App, Request, StreamingResponse};
use httpserver_suite::TestServer;
use serde_json::{json, Value};

#[get("/whoami")]
async fn whoami(req: Request) -> Value {
    json!({
        "client": req.client_addr().ip().to_string(),
        "peer": req.peer_addr().ip().to_string(),
        "scheme": req.scheme(),
    })
}

#[get("/stream")]
async fn stream() -> StreamingResponse {
    StreamingResponse::new(futures_util::stream::iter(["a", "b"]))
}

fn app() -> App {
    App::new().routes(collect_routes![whoami, stream])
}

async fn whoami_with(server: &TestServer, headers: &str) -> Value {
    let mut conn = server.connect().await;
    let res = conn
        .send(&format!("GET /whoami HTTP/1.1\r\nHost: t\r\n{headers}\r\n"))
        .await;
    res.assert_status(200);
    res.json()
}

#[tokio::test]
async fn forwarding_headers_are_believed_from_trusted_proxies_only() {
    let spoof = "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n";
    // No trusted proxies: the headers are the client's word, ignored.
    let plain = TestServer::start(app()).await;
    assert_eq!(
        whoami_with(&plain, spoof).await,
        json!({"client": "127.0.0.1", "peer": "127.0.0.1", "scheme": "http"})
    );
    // The peer (127.0.0.1) is a trusted proxy: the client and scheme it reports.
    let behind = TestServer::start(app().trusted_proxies(["127.0.0.1/32"])).await;
    assert_eq!(
        whoami_with(&behind, spoof).await,
        json!({"client": "203.0.113.7", "peer": "127.0.0.1", "scheme": "https"})
    );
    // A chain: the address the client made up on the left is passed over.
    let chain = "X-Forwarded-For: 6.6.6.6, 198.51.100.4, 127.0.0.1\r\n";
    assert_eq!(whoami_with(&behind, chain).await["client"], "198.51.100.4");
    // RFC 7239 Forwarded wins over X-Forwarded-*.
    let forwarded =
        "Forwarded: for=\"[2001:db8::1]:4711\";proto=https\r\nX-Forwarded-For: 9.9.9.9\r\n";
    assert_eq!(
        whoami_with(&behind, forwarded).await["client"],
        "2001:db8::1"
    );
    // A network that does not hold the peer: ignored again.
    let elsewhere = TestServer::start(app().trusted_proxies(["10.0.0.0/8"])).await;
    assert_eq!(whoami_with(&elsewhere, spoof).await["client"], "127.0.0.1");
    for server in [plain, behind, elsewhere] {
        server.stop().await.unwrap();
    }
}

#[test]
fn a_trusted_proxy_that_is_not_an_address_refuses_to_start() {
    let err = app()
        .trusted_proxies(["10.0.0.0/8", "load-balancer"])
        .into_service()
        .err();
    let msg = err.expect("refused").to_string();
    assert!(
        msg.contains("`load-balancer` is not an address or a network"),
        "{msg}"
    );
}
