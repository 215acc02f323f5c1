use httpserver::get;

#[get("/users/<int:id>")]
async fn get_user(id: String) -> String {
    id
}

fn main() {}
