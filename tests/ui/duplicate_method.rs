use httpserver::route;

#[route("/items", methods = ["GET", "POST", "get"])]
async fn items() -> &'static str {
    "items"
}

fn main() {}
