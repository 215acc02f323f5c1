use httpserver::{collect_routes, delete, get, post, route, App};

#[get("/items")]
async fn list() -> &'static str {
    "items"
}

#[post("/items")]
async fn create() -> &'static str {
    "created"
}

#[get("/items/<int:id>")]
async fn show(id: i64) -> String {
    format!("item {id}")
}

#[delete("/items/<int:id>")]
async fn remove(id: i64) -> String {
    format!("removed {id}")
}

#[get("/items/<slug>")]
async fn by_slug(slug: String) -> String {
    slug
}

// Answers PUT and DELETE on the shape of `remove`: a duplicate, far from its twin.
#[route("/items/<int:item_id>", methods = ["PUT", "DELETE"])]
async fn update(item_id: i64) -> String {
    format!("updated {item_id}")
}

fn main() {
    let _app = App::new().routes(collect_routes![list, create, show, remove, by_slug, update]);
}
