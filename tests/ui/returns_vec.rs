use httpserver::get;
use serde::Serialize;

#[derive(Serialize)]
struct User {
    name: String,
}

#[get("/users")]
async fn list_users() -> Vec<User> {
    vec![User { name: "ada".into() }]
}

fn main() {}
