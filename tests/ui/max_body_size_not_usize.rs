use httpserver::post;

#[post("/upload", max_body_size = "10 MiB")]
async fn upload() -> &'static str {
    "ok"
}

fn main() {}
