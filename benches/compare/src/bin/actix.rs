//! actix-web 4 serving the benchmark routes on 127.0.0.1:<port> (argument, default 3000).
//! One worker; logging off (no Logger middleware, no logger installed).

use actix_web::{get, post, web, App, HttpServer};
use serde_json::{json, Value};

#[get("/hello")]
async fn hello() -> web::Json<Value> {
    web::Json(json!({"message": "Hello, World!"}))
}

#[get("/users/{id}")]
async fn user(id: web::Path<i64>) -> web::Json<Value> {
    web::Json(json!({"user_id": id.into_inner()}))
}

#[post("/echo")]
async fn echo(v: web::Json<Value>) -> web::Json<Value> {
    v
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map_or(3000, |p| p.parse().expect("port"));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().service(hello).service(user).service(echo))
            .workers(1)
            .bind(("127.0.0.1", port))?
            .run()
            .await
    })
}
