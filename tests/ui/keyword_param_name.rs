use httpserver::get;

#[get("/items/<type>")]
async fn by_type(kind: String) -> String {
    kind
}

fn main() {}
