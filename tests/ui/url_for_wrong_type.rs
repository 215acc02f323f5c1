use httpserver::{get, url_for};

#[get("/users/<int:id>")]
async fn get_user(id: i64) -> String {
    format!("user {id}")
}

fn main() {
    let _url = url_for!(get_user, id = "42");
}
