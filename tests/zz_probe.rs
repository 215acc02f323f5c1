use httpserver::{collect_routes, get, App};
use httpserver_suite::TestServer;
#[get("/name/<name>")]
async fn by_name(name: String) -> String {
    format!("name={name}")
}
#[get("/only")]
async fn only() -> &'static str {
    "x"
}
#[tokio::test]
async fn probe() {
    let s = TestServer::start(App::new().routes(collect_routes![by_name, only])).await;
    for p in ["/name/%FF", "/name/a%2Fb", "/only?x", "//only", "/only/.."] {
        let r = s.get(p).await;
        println!("{p} -> {:?} {:?}", r, r.text());
    }
    let r = s.call("POST", "/only", "").await;
    println!("{:?} {:?}", r, r.text());
    let r = s.call("OPTIONS", "*", "").await;
    println!("{:?} {:?}", r, r.text());
}
