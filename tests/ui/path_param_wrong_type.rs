use httpserver::get;

#[get("/files/<path:rest>")]
async fn file(rest: Vec<String>) -> String {
    rest.join("/")
}

fn main() {}
