use httpserver::get;

#[get("users/<int:id>")]
async fn get_user(id: i64) -> String {
    id.to_string()
}

fn main() {}
