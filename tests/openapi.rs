//! The OpenAPI document follows the code: a path parameter's converter changes its type
//! there with no other edit, extractors become bodies and query parameters, return types
//! become response schemas, doc comments summaries, groups tags; types without a schema
//! degrade to untyped bodies; and the documents of the examples pass a validator nobody
//! here wrote (Python's `openapi-spec-validator`).

use std::process::Command;

use httpserver::openapi::ApiInfo;
use httpserver::{
    collect_routes, get, group, post, App, Form, HttpError, IntoResponse, Json, Query,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[allow(dead_code)]
#[path = "../examples/api.rs"]
mod api_example;

#[allow(dead_code)]
#[path = "../examples/board.rs"]
mod board_example;

/// The same handler twice, but for its parameter's converter and type: the two documents
/// differ in that parameter's schema and nowhere else.
mod by_int {
    #[httpserver::get("/items/<int:id>")]
    pub async fn item(id: i64) -> String {
        id.to_string()
    }
}

mod by_name {
    #[httpserver::get("/items/<id>")]
    pub async fn item(id: String) -> String {
        id
    }
}

mod by_float {
    #[httpserver::get("/items/<float:id>")]
    pub async fn item(id: f64) -> String {
        id.to_string()
    }
}

/// The document of an app of the one handler `item`, listed by that name.
macro_rules! document_of {
    ($module:ident) => {{
        use $module::item;
        App::new().routes(collect_routes![item]).openapi()
    }};
}

#[test]
fn a_path_parameters_type_changes_the_document_and_nothing_else() {
    let docs = [
        document_of!(by_int),
        document_of!(by_name),
        document_of!(by_float),
    ];
    let schema =
        |doc: &Value| doc["paths"]["/items/{id}"]["get"]["parameters"][0]["schema"].clone();
    assert_eq!(
        schema(&docs[0]),
        json!({"type": "integer", "format": "int64"})
    );
    assert_eq!(
        schema(&docs[1]),
        json!({"type": "string", "pattern": "^[^/]+$"})
    );
    assert_eq!(schema(&docs[2]), json!({"type": "number"}));
    let without_it = |doc: &Value| {
        let mut doc = doc.clone();
        doc["paths"]["/items/{id}"]["get"]["parameters"][0]["schema"] = Value::Null;
        doc
    };
    assert_eq!(without_it(&docs[0]), without_it(&docs[1]));
    assert_eq!(without_it(&docs[0]), without_it(&docs[2]));
}

#[allow(dead_code)] // read by the document, not the handler
#[derive(Deserialize, JsonSchema)]
struct Search {
    /// Words to look for.
    q: String,
    page: Option<u32>,
}

#[allow(dead_code)]
#[derive(Deserialize, JsonSchema)]
struct Login {
    name: String,
}

#[derive(Serialize, JsonSchema)]
struct Hit {
    title: String,
}

/// A type with no schema: its body is described, but not its shape.
#[derive(Deserialize, Serialize)]
struct Opaque {
    anything: String,
}

/// Search everything.
///
/// Ranked by relevance.
#[get("/search")]
async fn search(Query(_search): Query<Search>) -> Json<Vec<Hit>> {
    Json(Vec::new())
}

#[post("/login", responses = [(201, "Logged in"), (303, "Already logged in"), (401, "Wrong name")])]
async fn login(Form(_login): Form<Login>) -> Result<String, HttpError> {
    Ok(String::new())
}

#[post("/opaque")]
async fn opaque(Json(body): Json<Opaque>) -> Json<Opaque> {
    Json(body)
}

#[get("/anything")]
async fn anything() -> impl IntoResponse {
    "text"
}

#[get("/internal", openapi = false)]
async fn internal() -> &'static str {
    "not in the document"
}

#[group("/admin")]
mod admin {
    /// The admin's dashboard.
    #[httpserver::get("/")]
    pub async fn dashboard() -> &'static str {
        "dashboard"
    }
}

fn described_app() -> App {
    App::new()
        .routes(collect_routes![search, login, opaque, anything, internal])
        .group(admin::group())
        .openapi_info(ApiInfo::new("Test", "2.0.0").description("For the tests."))
}

#[test]
fn extractors_return_types_docs_and_groups_are_described() {
    let doc = described_app().openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["info"],
        json!({"title": "Test", "version": "2.0.0", "description": "For the tests."})
    );

    let search = &doc["paths"]["/search"]["get"];
    assert_eq!(search["summary"], "Search everything.");
    assert_eq!(search["description"], "Ranked by relevance.");
    assert_eq!(
        search["parameters"],
        json!([
            {"name": "page", "in": "query", "required": false,
             "schema": {"anyOf": [{"type": "integer", "format": "uint32", "minimum": 0},
                                  {"type": "string", "maxLength": 0}]}},
            {"name": "q", "in": "query", "required": true, "description": "Words to look for.",
             "schema": {"type": "string"}},
        ])
    );
    assert_eq!(
        search["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Hit"}})
    );
    assert!(
        search["responses"]["400"].is_object(),
        "a query that does not parse"
    );

    let login = &doc["paths"]["/login"]["post"];
    assert_eq!(
        login["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"],
        "#/components/schemas/Login"
    );
    assert_eq!(login["responses"]["201"]["description"], "Logged in");
    assert_eq!(
        login["responses"]["201"]["content"]["text/plain"]["schema"]["type"],
        "string"
    );
    assert!(
        login["responses"]["200"].is_null(),
        "the listed 201 is the success"
    );
    assert_eq!(
        login["responses"]["303"],
        json!({"description": "Already logged in"})
    );
    assert_eq!(login["responses"]["401"]["description"], "Wrong name");
    assert!(login["responses"]["415"].is_object() && login["responses"]["413"].is_object());

    let opaque = &doc["paths"]["/opaque"]["post"];
    assert_eq!(
        opaque["requestBody"]["content"]["application/json"]["schema"],
        json!({})
    );
    assert_eq!(
        opaque["responses"]["200"],
        json!({"description": "OK"}),
        "no schema, no content"
    );
    assert_eq!(
        doc["paths"]["/anything"]["get"]["responses"]["200"],
        json!({"description": "OK"})
    );
    assert!(doc["paths"]["/internal"].is_null(), "openapi = false");

    let dashboard = &doc["paths"]["/admin/"]["get"];
    assert_eq!(dashboard["tags"], json!(["admin"]));
    assert_eq!(dashboard["operationId"], "admin.dashboard");
    assert!(doc["components"]["schemas"]["Hit"].is_object());
}

/// `openapi-spec-validator` (Python) on `doc`: `Ok` or what it said.
fn validate(doc: &Value) -> Result<(), String> {
    let path = std::env::temp_dir().join(format!(
        "openapi-{}-{}.json",
        std::process::id(),
        doc["info"]["title"].as_str().unwrap_or("doc")
    ));
    std::fs::write(&path, doc.to_string()).map_err(|e| e.to_string())?;
    let script = "import json, sys\n\
                  from openapi_spec_validator import validate\n\
                  validate(json.load(open(sys.argv[1])))\n\
                  print('valid')";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'openapi_spec_validator'") {
        panic!(
            "this test needs Python's openapi-spec-validator: pip install openapi-spec-validator"
        );
    }
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )),
    }
}

#[tokio::test]
async fn the_documents_pass_the_validator() {
    validate(&api_example::app().openapi()).unwrap();
    validate(&described_app().openapi()).unwrap();
    let data = std::env::temp_dir().join(format!("board-openapi-{}", std::process::id()));
    let board = board_example::app("the board's openapi test secret, 32+ bytes", &data)
        .await
        .expect("the board starts");
    validate(&board.openapi().clone()).unwrap();
    let _ = std::fs::remove_dir_all(&data);
    // And the validator does say no.
    let mut broken = api_example::app().openapi();
    broken["paths"]["/books/{id}"]["get"]["parameters"][0]["in"] = json!("nowhere");
    assert!(validate(&broken).is_err());
}

#[tokio::test]
async fn the_document_and_its_page_are_served_on_every_transport() {
    for transport in httpserver_suite::Transport::ALL {
        let client = httpserver_suite::Client::start(api_example::app(), transport).await;
        let res = client.get("/openapi.json").await;
        res.assert_status(200);
        assert_eq!(res.header("content-type"), Some("application/json"));
        let doc: Value = serde_json::from_slice(&res.body).expect("JSON");
        assert_eq!(doc, api_example::app().openapi(), "{transport:?}");
        let page = client.get("/docs").await;
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let html = page.text();
        assert!(html.contains("fetch(\"/openapi.json\")"), "{transport:?}");
        assert!(
            !html.contains("https://") && !html.contains("http://"),
            "nothing from elsewhere"
        );
        client.stop().await;
    }
}

#[test]
fn a_page_without_a_document_is_a_start_up_error() {
    let err = App::new()
        .serve_openapi_docs("/docs")
        .into_service()
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .contains("App::serve_openapi_docs needs App::serve_openapi"),
        "{err}"
    );
}
