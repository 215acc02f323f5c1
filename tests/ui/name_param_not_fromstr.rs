use httpserver::get;

struct Slug(String);

#[get("/posts/<slug>")]
async fn post(slug: Slug) -> String {
    slug.0
}

fn main() {}
