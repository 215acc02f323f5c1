use httpserver::get;

#[get("/users/<int:id>")]
async fn get_user(id: i64, page: u32) -> String {
    format!("user {id}, page {page}")
}

fn main() {}
