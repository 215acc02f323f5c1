use httpserver::{get, HttpError};

// `?` on an io::Error in a handler whose error type is HttpError: rustc's hint must name
// what the user can use (httpserver::Error), not a private type of the framework.
#[get("/file")]
async fn file() -> Result<String, HttpError> {
    let text = std::fs::read_to_string("notes.txt")?;
    Ok(text)
}

fn main() {}
