use httpserver::get;

#[get("/users/<int:id>/posts/<slug>")]
async fn get_post(slug: String) -> String {
    slug
}

fn main() {}
