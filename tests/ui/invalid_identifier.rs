use httpserver::get;

#[get("/users/<user-id>")]
async fn get_user(user_id: String) -> String {
    user_id
}

fn main() {}
