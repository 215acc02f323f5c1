#!/usr/bin/env python3
"""Writes the N-route app of one framework (httpserver, axum or actix) to stdout.

Half the handlers take an integer path parameter (`/rI/items/<int:id>`), half are static
(`/rI`); all are listed in one `collect_routes!` (httpserver), one `Router` (axum) or one
`App` (actix-web), and `main` serves them, so nothing is dead code.

    python3 gen.py httpserver 500 > src/main.rs
"""
import sys


def httpserver(n):
    out = ["use httpserver::{collect_routes, get, App};", "use serde_json::{json, Value};", ""]
    for i in range(n):
        if i % 2 == 0:
            out += [f'#[get("/r{i}/items/<int:id>")]',
                    f"async fn h{i}(id: i64) -> Value {{", f'    json!({{"route": {i}, "id": id}})', "}"]
        else:
            out += [f'#[get("/r{i}")]', f"async fn h{i}() -> &'static str {{", f'    "route {i}"', "}"]
    names = ", ".join(f"h{i}" for i in range(n))
    out += ["", "fn main() -> std::io::Result<()> {",
            f"    App::new().routes(collect_routes![{names}]).run(\"127.0.0.1:8000\")", "}"]
    return out


def axum(n):
    out = ["use axum::{extract::Path, routing::get, Json, Router};", "use serde_json::{json, Value};", ""]
    for i in range(n):
        if i % 2 == 0:
            out += [f"async fn h{i}(Path(id): Path<i64>) -> Json<Value> {{",
                    f'    Json(json!({{"route": {i}, "id": id}}))', "}"]
        else:
            out += [f"async fn h{i}() -> &'static str {{", f'    "route {i}"', "}"]
    out += ["", "#[tokio::main]", "async fn main() -> std::io::Result<()> {", "    let app = Router::new()"]
    for i in range(n):
        path = f"/r{i}/items/{{id}}" if i % 2 == 0 else f"/r{i}"
        out.append(f'        .route("{path}", get(h{i}))')
    out += ["        ;",
            '    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;',
            "    axum::serve(listener, app).await", "}"]
    return out


def actix(n):
    out = ["use actix_web::{get, web, App, HttpServer};", "use serde_json::{json, Value};", ""]
    for i in range(n):
        if i % 2 == 0:
            out += [f'#[get("/r{i}/items/{{id}}")]',
                    f"async fn h{i}(id: web::Path<i64>) -> web::Json<Value> {{",
                    f'    web::Json(json!({{"route": {i}, "id": id.into_inner()}}))', "}"]
        else:
            out += [f'#[get("/r{i}")]', f"async fn h{i}() -> &'static str {{", f'    "route {i}"', "}"]
    out += ["", "#[actix_web::main]", "async fn main() -> std::io::Result<()> {",
            "    HttpServer::new(|| {", "        App::new()"]
    out += [f"            .service(h{i})" for i in range(n)]
    out += ["    })", '    .bind("127.0.0.1:8000")?', "    .run()", "    .await", "}"]
    return out


if __name__ == "__main__":
    framework, n = sys.argv[1], int(sys.argv[2])
    print("\n".join({"httpserver": httpserver, "axum": axum, "actix": actix}[framework](n)))
