//! A typed JSON API whose OpenAPI document is built from its routes, on
//! http://127.0.0.1:8009: books with create, read, update, delete, filters in the query
//! string, and a cover image upload.
//!
//! ```text
//! cargo run --example api
//! # then: http://127.0.0.1:8009/docs (the page), http://127.0.0.1:8009/openapi.json
//! ```
//!
//! Nothing here describes the API twice: the paths, parameter types, bodies and responses
//! in the document come from the route attributes and the handlers' signatures, the
//! summaries from their doc comments, the schemas from `#[derive(JsonSchema)]`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use httpserver::openapi::ApiInfo;
use httpserver::{
    collect_routes, delete, get, post, put, App, HttpError, Json, Multipart, OrAbort, Query, State,
    StatusCode,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A book on the shelf.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Book {
    /// Given by the shelf.
    pub id: i64,
    pub title: String,
    pub author: String,
    pub year: i32,
    /// The cover's size in bytes, once one is uploaded.
    pub cover_bytes: Option<u64>,
}

/// A book as a client sends it.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewBook {
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    #[schemars(length(min = 1, max = 100))]
    pub author: String,
    #[schemars(range(min = -3000, max = 3000))]
    #[serde(deserialize_with = "whole_number")]
    pub year: i32,
}

/// An integer, also when written `1965.0`: JSON Schema's `integer` allows it, so clients
/// generated from the document may send it.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = f64::deserialize(d)?;
    if n.fract() != 0.0 || !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "{n} is not a whole number in range"
        )));
    }
    Ok(n as i32)
}

impl NewBook {
    /// What is wrong with it, as the schema says: the client may not have read it.
    fn check(&self) -> Result<(), HttpError> {
        let title = self.title.chars().count();
        let author = self.author.chars().count();
        if !(1..=200).contains(&title) || !(1..=100).contains(&author) {
            return Err(HttpError::new(
                422,
                "a title is 1 to 200 characters, an author 1 to 100",
            ));
        }
        if !(-3000..=3000).contains(&self.year) {
            return Err(HttpError::new(422, "the year is from -3000 to 3000"));
        }
        Ok(())
    }
}

/// Which books to list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Filter {
    /// Only this author's books.
    pub author: Option<String>,
    /// Only books from this year on.
    pub since: Option<i32>,
    /// At most this many (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// What an upload stored.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Cover {
    pub book: i64,
    pub bytes: u64,
    pub content_type: Option<String>,
}

/// The shelf: the books by id.
#[derive(Default)]
pub struct Shelf {
    books: Mutex<BTreeMap<i64, Book>>,
}

impl Shelf {
    fn books(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, Book>> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// List the books.
///
/// Newest first, filtered by author and year.
#[get("/books", responses = [(422, "`limit` is out of its range")])]
async fn list_books(
    shelf: State<Shelf>,
    Query(filter): Query<Filter>,
) -> Result<Json<Vec<Book>>, HttpError> {
    let limit = filter.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(HttpError::new(422, "`limit` is from 1 to 1000"));
    }
    let books = shelf.books();
    let found = books.values().rev().filter(|book| {
        filter.author.as_deref().is_none_or(|a| book.author == a)
            && filter.since.is_none_or(|year| book.year >= year)
    });
    Ok(Json(found.take(limit as usize).cloned().collect()))
}

/// Add a book.
#[post("/books", responses = [(201, "Created"), (422, "A field is out of its range")])]
async fn add_book(
    shelf: State<Shelf>,
    Json(new): Json<NewBook>,
) -> Result<(Json<Book>, StatusCode), HttpError> {
    new.check()?;
    let mut books = shelf.books();
    let id = books.keys().next_back().map_or(1, |last| last + 1);
    let book = Book {
        id,
        title: new.title,
        author: new.author,
        year: new.year,
        cover_bytes: None,
    };
    books.insert(id, book.clone());
    Ok((Json(book), StatusCode::CREATED))
}

/// One book.
#[get("/books/<int:id>", responses = [(404, "No such book")])]
async fn get_book(shelf: State<Shelf>, id: i64) -> Result<Json<Book>, HttpError> {
    Ok(Json(shelf.books().get(&id).cloned().or_404()?))
}

/// Replace a book's title, author and year.
#[put("/books/<int:id>", responses = [(404, "No such book"), (422, "A field is out of its range")])]
async fn update_book(
    shelf: State<Shelf>,
    id: i64,
    Json(new): Json<NewBook>,
) -> Result<Json<Book>, HttpError> {
    new.check()?;
    let mut books = shelf.books();
    let book = books
        .get_mut(&id)
        .ok_or_else(|| HttpError::new(404, "no such book"))?;
    book.title = new.title;
    book.author = new.author;
    book.year = new.year;
    Ok(Json(book.clone()))
}

/// Remove a book.
#[delete("/books/<int:id>", responses = [(204, "Deleted"), (404, "No such book")])]
async fn delete_book(shelf: State<Shelf>, id: i64) -> Result<StatusCode, HttpError> {
    match shelf.books().remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(HttpError::new(404, "no such book")),
    }
}

/// Upload a book's cover.
///
/// A multipart form whose `cover` field is the image; its bytes are counted, not kept. A
/// form without one removes the cover.
#[post(
    "/books/<int:id>/cover",
    max_body_size = 4 * 1024 * 1024,
    responses = [(404, "No such book")]
)]
async fn upload_cover(
    shelf: State<Shelf>,
    id: i64,
    mut form: Multipart,
) -> Result<Json<Cover>, HttpError> {
    if !shelf.books().contains_key(&id) {
        return Err(HttpError::new(404, "no such book"));
    }
    while let Some(mut field) = form.next_field().await? {
        if field.name() != Some("cover") {
            continue;
        }
        let content_type = field.content_type().map(str::to_owned);
        let mut bytes = 0u64;
        while let Some(chunk) = field.chunk().await? {
            bytes += chunk.len() as u64;
        }
        if let Some(book) = shelf.books().get_mut(&id) {
            book.cover_bytes = Some(bytes);
        }
        return Ok(Json(Cover {
            book: id,
            bytes,
            content_type,
        }));
    }
    if let Some(book) = shelf.books().get_mut(&id) {
        book.cover_bytes = None;
    }
    Ok(Json(Cover {
        book: id,
        bytes: 0,
        content_type: None,
    }))
}

/// The API, its document at /openapi.json and its page at /docs.
pub fn app() -> App {
    App::new()
        .state(Shelf::default())
        .routes(collect_routes![
            list_books,
            add_book,
            get_book,
            update_book,
            delete_book,
            upload_cover
        ])
        .openapi_info(ApiInfo::new("Shelf", "1.0.0").description("Books, typed end to end."))
        .serve_openapi("/openapi.json")
        .serve_openapi_docs("/docs")
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    app().run("127.0.0.1:8009")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[tokio::test]
    async fn the_document_says_what_the_handlers_take_and_give() {
        let doc = app().openapi();
        let add = &doc["paths"]["/books"]["post"];
        assert_eq!(add["summary"], "Add a book.");
        assert_eq!(
            add["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/NewBook"
        );
        assert_eq!(
            add["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Book"
        );
        assert!(
            add["responses"]["200"].is_null(),
            "the listed 201 is the success"
        );
        let list = &doc["paths"]["/books"]["get"];
        let names: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["author", "limit", "since"]);
        assert_eq!(
            list["description"],
            "Newest first, filtered by author and year."
        );
        let get = &doc["paths"]["/books/{id}"]["get"];
        assert_eq!(get["parameters"][0]["schema"]["type"], "integer");
        assert_eq!(get["responses"]["404"]["description"], "No such book");
        let cover = &doc["paths"]["/books/{id}/cover"]["post"];
        assert!(cover["requestBody"]["content"]["multipart/form-data"].is_object());
        assert_eq!(
            doc["components"]["schemas"]["Book"]["properties"]["id"]["description"],
            "Given by the shelf."
        );
        assert!(doc["paths"]["/openapi.json"].is_null() && doc["paths"]["/docs"].is_null());
    }

    #[tokio::test]
    async fn the_api_works_as_documented() {
        let client = app().test_client();
        let res = client
            .post("/books")
            .json(&json!({"title": "Dune", "author": "Herbert", "year": 1965}))
            .send()
            .await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<Value>()["id"], 1);
        let res = client
            .post("/books")
            .json(&json!({"title": "", "author": "x", "year": 1}))
            .send()
            .await;
        assert_eq!(res.status(), 422);
        let found: Vec<Value> = client
            .get("/books?author=Herbert&since=1960")
            .send()
            .await
            .json();
        assert_eq!(found.len(), 1);
        let form =
            httpserver::TestMultipart::new().file("cover", "dune.png", "image/png", vec![1, 2, 3]);
        let res = client.post("/books/1/cover").multipart(form).send().await;
        assert_eq!(
            res.json::<Value>(),
            json!({"book": 1, "bytes": 3, "content_type": "image/png"})
        );
        assert_eq!(client.delete("/books/1").send().await.status(), 204);
        assert_eq!(client.get("/books/1").send().await.status(), 404);
        let doc: Value = client.get("/openapi.json").send().await.json();
        assert_eq!(doc["info"]["title"], "Shelf");
        let page = client.get("/docs").send().await;
        assert!(
            page.text().contains("fetch(\"/openapi.json\")") && !page.text().contains("https://")
        );
    }
}
