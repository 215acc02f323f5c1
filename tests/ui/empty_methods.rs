use httpserver::route;

#[route("/items", methods = [])]
async fn items() -> &'static str {
    "items"
}

fn main() {}
