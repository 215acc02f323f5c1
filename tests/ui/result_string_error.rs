use httpserver::get;

#[get("/users/<int:id>")]
async fn get_user(id: i64) -> Result<String, String> {
    if id < 0 {
        return Err(format!("no user {id}"));
    }
    Ok(format!("user {id}"))
}

fn main() {}
