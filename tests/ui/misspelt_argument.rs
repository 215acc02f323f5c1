use httpserver::get;

#[get("/users/<int:id>")]
async fn get_user(uid: i64) -> String {
    format!("user {uid}")
}

fn main() {}
