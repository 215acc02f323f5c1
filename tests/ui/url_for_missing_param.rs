use httpserver::{get, url_for};

#[get("/users/<int:id>/posts/<slug>")]
async fn get_post(id: i64, slug: String) -> String {
    format!("{id} {slug}")
}

fn main() {
    let _url = url_for!(get_post, id = 42);
}
