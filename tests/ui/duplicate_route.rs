use httpserver::{collect_routes, get, App};

#[get("/users/<int:id>")]
async fn get_user(id: i64) -> String {
    format!("user {id}")
}

#[get("/users/<int:uid>")]
async fn get_user_again(uid: i64) -> String {
    format!("user {uid}")
}

fn main() {
    let _app = App::new().routes(collect_routes![get_user, get_user_again]);
}
