use httpserver::get;
use serde::Serialize;

#[derive(Serialize)]
struct User {
    name: String,
}

#[get("/me")]
fn me() -> User {
    User { name: "ada".into() }
}

fn main() {}
