use httpserver::get;

#[get("/users/<int:id>/friends/<int:id>")]
async fn friend(id: i64) -> String {
    id.to_string()
}

fn main() {}
