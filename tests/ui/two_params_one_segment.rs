use httpserver::get;

#[get("/files/<name>.<ext>")]
async fn file(name: String, ext: String) -> String {
    format!("{name}.{ext}")
}

fn main() {}
