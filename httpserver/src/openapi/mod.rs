//! The OpenAPI 3.1 document of an app (feature `openapi`), built from what its routes
//! already say: no second set of annotations to drift from the code.
//!
//! - **Paths and parameters** from each route's pattern: `<int:id>` is an integer,
//!   `<float:x>` a number, `<name>` a string without `/`, `<path:rest>` a string.
//! - **Methods** from the attribute (`HEAD` and `OPTIONS`, answered for every route, are
//!   not listed).
//! - **Request bodies** from `Json<T>` (`application/json`), `Form<T>`
//!   (`application/x-www-form-urlencoded`) and `Multipart` (`multipart/form-data`);
//!   **query parameters** from `Query<T>`, one per field of `T`.
//! - **Responses** from the return type where it is typed: `Json<T>`, `Result<Json<T>, _>`,
//!   `Option<..>` (with a 204 for `None`), `(Json<T>, status)`, `String`, `Html<_>`, `Template`. The
//!   success is a 200 unless the attribute lists another 2xx first: `#[post("/tasks",
//!   responses = [(201, "Created"), (422, "The title is empty")])]`. The statuses the
//!   framework itself answers for the route's inputs (400, 413, 415, and 404 for a path
//!   parameter that does not parse) are listed too.
//! - **Summaries and descriptions** from the handler's doc comment (its first line, then
//!   the rest); **tags** from the `#[group]` module a route is in.
//! - **Schemas** from `schemars::JsonSchema` (derive it with `#[derive(JsonSchema)]`, from
//!   `httpserver::openapi::schemars`). A type without one degrades to an untyped body:
//!   never a build error.
//! - `openapi = false` in a route's attribute leaves it out.
//!
//! ```
//! use httpserver::openapi::schemars::{self, JsonSchema};
//! use httpserver::{collect_routes, get, App, Json, OrAbort};
//! use serde::Serialize;
//!
//! #[derive(Serialize, JsonSchema)]
//! struct Task {
//!     id: i64,
//!     title: String,
//! }
//!
//! /// One task.
//! ///
//! /// By its id, as the list gives it.
//! #[get("/tasks/<int:id>", responses = [(404, "No such task")])]
//! async fn show(id: i64) -> Result<Json<Task>, httpserver::HttpError> {
//!     let found = (id == 1).then(|| Task { id, title: "write docs".into() });
//!     Ok(Json(found.or_404()?))
//! }
//!
//! let app = App::new().routes(collect_routes![show]);
//! let doc = app.openapi();
//! let op = &doc["paths"]["/tasks/{id}"]["get"];
//! assert_eq!(op["summary"], "One task.");
//! assert_eq!(op["parameters"][0]["schema"]["type"], "integer");
//! assert_eq!(
//!     op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
//!     "#/components/schemas/Task"
//! );
//! assert_eq!(op["responses"]["404"]["description"], "No such task");
//! ```
//!
//! Serve it with [`App::serve_openapi`](crate::App::serve_openapi), and a page that reads
//! it (no script from elsewhere) with
//! [`App::serve_openapi_docs`](crate::App::serve_openapi_docs).

mod page;

use std::collections::BTreeMap;

use httpserver_pattern::{Converter, Segment};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

pub use crate::routes::describe::{
    Describe, DescribeResponse, Operation, OtherInput, OtherOutput, Probe, TypedInput, TypedOutput,
    UntypedInput,
};
pub(crate) use page::DOCS_PAGE;
/// The schema crate the document's schemas come from: derive
/// [`JsonSchema`](schemars::JsonSchema) on the types handlers take and return.
pub use schemars;

use crate::routes::route::Route;

/// The document's `info`: the API's title and version.
#[derive(Debug, Clone)]
pub struct ApiInfo {
    pub(crate) title: String,
    pub(crate) version: String,
    pub(crate) description: Option<String>,
}

impl Default for ApiInfo {
    fn default() -> Self {
        ApiInfo {
            title: "API".to_owned(),
            version: "0.1.0".to_owned(),
            description: None,
        }
    }
}

impl ApiInfo {
    /// An API's title and version (`"Tasks"`, `"1.2.0"`).
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        ApiInfo {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// A longer description (Markdown).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }
}

/// Where the app serves its document and page, and what its `info` says.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServeOpenApi {
    pub(crate) info: ApiInfo,
    pub(crate) document_path: Option<String>,
    pub(crate) page_path: Option<String>,
}

impl ServeOpenApi {
    /// The routes that serve the document of `routes`, and its page, if asked for.
    pub(crate) fn routes(&self, routes: &[Route]) -> Result<Vec<Route>, String> {
        let mut served = Vec::new();
        let Some(document_path) = &self.document_path else {
            return match &self.page_path {
                Some(_) => Err(
                    "App::serve_openapi_docs needs App::serve_openapi: the page \
                                shows the document served there"
                        .to_owned(),
                ),
                None => Ok(served),
            };
        };
        let body = bytes::Bytes::from(document(routes, &self.info).to_string());
        served.push(fixed_route(
            "openapi document",
            document_path,
            body,
            "application/json",
        ));
        if let Some(page_path) = &self.page_path {
            let page = DOCS_PAGE.replace("{{OPENAPI_URL}}", &escape_for_page(document_path));
            let page = bytes::Bytes::from(page);
            served.push(fixed_route(
                "openapi page",
                page_path,
                page,
                "text/html; charset=utf-8",
            ));
        }
        Ok(served)
    }
}

/// A path written into the page's HTML and script: only characters a path needs.
fn escape_for_page(path: &str) -> String {
    path.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "/-._~".contains(*c))
        .collect()
}

/// A `GET` route that answers `body` as `content_type`.
fn fixed_route(
    name: &'static str,
    path: &str,
    body: bytes::Bytes,
    content_type: &'static str,
) -> Route {
    Route::dynamic(name, path.to_owned(), &["GET"], move |_req| {
        let body = body.clone();
        Box::pin(
            async move { crate::response::Response::new(body).with_content_type(content_type) },
        )
    })
}

/// The OpenAPI 3.1 document of `routes`.
pub(crate) fn document(routes: &[Route], info: &ApiInfo) -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "#/components/schemas/".into();
        s.meta_schema = None;
    });
    let mut generator = settings.into_generator();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for route in routes {
        let Some(describe) = route.description() else {
            continue; // left out (`openapi = false`), or made by the app (static files)
        };
        let Ok(pattern) = httpserver_pattern::parse(route.pattern()) else {
            continue;
        };
        let mut op = Operation {
            generator: &mut generator,
            docs: Vec::new(),
            query: Vec::new(),
            body: None,
            success: None,
            typed_success: false,
            statuses: BTreeMap::new(),
            listed: Vec::new(),
        };
        describe(&mut op);
        let path_params = path_parameters(&pattern);
        let operation = operation_json(route, op, path_params);
        let entry = paths.entry(openapi_path(&pattern)).or_default();
        for method in route.methods() {
            let mut operation = operation.clone();
            if route.methods().len() > 1 {
                operation["operationId"] =
                    json!(format!("{}_{}", operation_id(route), method.to_lowercase()));
            }
            entry.insert(method.to_lowercase(), operation);
        }
    }
    let schemas = generator.take_definitions(true);
    let mut info_json = json!({"title": info.title, "version": info.version});
    if let Some(description) = &info.description {
        info_json["description"] = json!(description);
    }
    json!({
        "openapi": "3.1.0",
        "info": info_json,
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// `/tasks/<int:id>` as OpenAPI writes it: `/tasks/{id}`.
fn openapi_path(pattern: &httpserver_pattern::Pattern) -> String {
    let mut path = String::new();
    for segment in &pattern.segments {
        path.push('/');
        match segment {
            Segment::Static(text) => path.push_str(text),
            Segment::Param { name, .. } => {
                path.push('{');
                path.push_str(name);
                path.push('}');
            }
        }
    }
    path
}

fn path_parameters(pattern: &httpserver_pattern::Pattern) -> Vec<Value> {
    pattern
        .params()
        .map(|(name, converter)| {
            let schema = match converter {
                Converter::Int => json!({"type": "integer", "format": "int64"}),
                Converter::Float => json!({"type": "number"}),
                Converter::Str => json!({"type": "string", "pattern": "^[^/]+$"}),
                Converter::Path => json!({"type": "string", "minLength": 1}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// `tasks::show` as an operation id: `tasks.show`.
fn operation_id(route: &Route) -> String {
    route.listed_name().replace("::", ".")
}

fn operation_json(route: &Route, mut op: Operation<'_>, path_params: Vec<Value>) -> Value {
    let mut operation = Map::new();
    operation.insert("operationId".into(), json!(operation_id(route)));
    let (summary, description) = summary_and_description(&op.docs);
    if let Some(summary) = summary {
        operation.insert("summary".into(), json!(summary));
    }
    if let Some(description) = description {
        operation.insert("description".into(), json!(description));
    }
    if let Some(group) = route.group() {
        operation.insert("tags".into(), json!([group]));
    }
    let has_path_params = !path_params.is_empty();
    let parameters: Vec<Value> = path_params
        .into_iter()
        .chain(std::mem::take(&mut op.query))
        .collect();
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some((content_type, schema)) = &op.body {
        operation.insert(
            "requestBody".into(),
            json!({"required": true, "content": {*content_type: {"schema": schema}}}),
        );
    }
    operation.insert("responses".into(), responses_json(&op, has_path_params));
    Value::Object(operation)
}

/// The first paragraph's first line is the summary; the rest, the description.
fn summary_and_description(docs: &[&str]) -> (Option<String>, Option<String>) {
    let lines: Vec<&str> = docs
        .iter()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    let text = lines.join("\n");
    let text = text.trim();
    if text.is_empty() {
        return (None, None);
    }
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let rest = rest.trim();
    (
        Some(first.trim().to_owned()),
        (!rest.is_empty()).then(|| rest.to_owned()),
    )
}

fn responses_json(op: &Operation<'_>, has_path_params: bool) -> Value {
    let mut responses = Map::new();
    let success = op
        .listed
        .iter()
        .find(|(status, _)| (200..300).contains(status))
        .map_or((200, "OK"), |(status, text)| (*status, *text));
    let mut success_json = json!({"description": success.1});
    if let Some((content_type, schema)) = &op.success {
        success_json["content"] = json!({*content_type: {"schema": schema}});
    }
    responses.insert(success.0.to_string(), success_json);
    let mut statuses = op.statuses.clone();
    if has_path_params {
        statuses
            .entry(404)
            .or_insert_with(|| "No route matches: a path parameter does not parse.".to_owned());
    }
    for (status, text) in &op.listed {
        statuses.insert(*status, (*text).to_owned());
    }
    for (status, text) in statuses {
        if status != success.0 {
            responses.insert(status.to_string(), json!({"description": text}));
        }
    }
    Value::Object(responses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_parameters_follow_the_converters() {
        let pattern =
            httpserver_pattern::parse("/a/<int:id>/<float:x>/<name>/<path:rest>").unwrap();
        assert_eq!(openapi_path(&pattern), "/a/{id}/{x}/{name}/{rest}");
        let types: Vec<Value> = path_parameters(&pattern)
            .into_iter()
            .map(|p| p["schema"]["type"].clone())
            .collect();
        assert_eq!(
            types,
            vec![
                json!("integer"),
                json!("number"),
                json!("string"),
                json!("string")
            ]
        );
        assert_eq!(openapi_path(&httpserver_pattern::parse("/").unwrap()), "/");
        assert_eq!(
            openapi_path(&httpserver_pattern::parse("/t/").unwrap()),
            "/t/"
        );
    }

    #[test]
    fn the_doc_comment_gives_summary_and_description() {
        assert_eq!(summary_and_description(&[]), (None, None));
        assert_eq!(
            summary_and_description(&[" One task.", "", " By its id.", " Really."]),
            (Some("One task.".into()), Some("By its id.\nReally.".into()))
        );
    }
}
