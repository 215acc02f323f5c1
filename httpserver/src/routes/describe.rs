//! What a route's generated description calls: each extractor's type and the return type,
//! asked (by autoref specialization, as the extractor probes of `__private` do) what they
//! mean for the API document. A type with a JSON Schema (`schemars::JsonSchema`) is
//! described by it; one without degrades to an untyped body, never a build error.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Value};

use crate::extract::multipart::Multipart;
use crate::extract::{Form, Query};
use crate::response::{Html, Json};

/// The route description the route attributes generate (see [`Operation`]).
pub type Describe = fn(&mut Operation<'_>);

/// One operation as its route describes it, filled in when the document is built.
pub struct Operation<'a> {
    pub(crate) generator: &'a mut SchemaGenerator,
    pub(crate) docs: Vec<&'static str>,
    pub(crate) query: Vec<Value>,
    /// The request body: content type and schema, and whether it is required.
    pub(crate) body: Option<(&'static str, Value)>,
    /// What a success carries: content type and schema; `None` for no body.
    pub(crate) success: Option<(&'static str, Value)>,
    /// Whether the return type said what a success carries.
    pub(crate) typed_success: bool,
    /// Statuses the route answers beside its success, with their descriptions.
    pub(crate) statuses: BTreeMap<u16, String>,
    /// Statuses the attribute listed (they win over the ones found here).
    pub(crate) listed: Vec<(u16, &'static str)>,
}

impl Operation<'_> {
    /// The handler's doc comment, line by line.
    pub fn docs(&mut self, lines: &[&'static str]) {
        self.docs.extend_from_slice(lines);
    }

    /// The statuses the route attribute listed.
    pub fn responses(&mut self, listed: &[(u16, &'static str)]) {
        self.listed.extend_from_slice(listed);
    }

    fn status(&mut self, status: u16, text: &str) {
        self.statuses
            .entry(status)
            .or_insert_with(|| text.to_owned());
    }

    /// The schema of `T` (a reference into the document's schemas for a named type).
    pub fn schema_of<T: ?Sized + JsonSchema>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    fn body(&mut self, content_type: &'static str, schema: Value) {
        self.body = Some((content_type, schema));
        self.status(413, "The body is larger than the route's limit.");
        self.status(415, "The body is not of the declared type.");
        self.status(400, "The body does not parse, or does not fit its schema.");
    }

    /// What a success carries: its content type and schema.
    pub fn success(&mut self, content_type: &'static str, schema: Value) {
        self.success = Some((content_type, schema));
        self.typed_success = true;
    }
}

/// Asks what type `T` means for the document; see the module's docs.
#[doc(hidden)]
pub struct Probe<T: ?Sized>(PhantomData<fn() -> Box<T>>);

impl<T: ?Sized> Probe<T> {
    /// A probe of `T`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Probe(PhantomData)
    }
}

/// An extractor with a schema: the most specific answer.
#[doc(hidden)]
pub trait TypedInput {
    /// Adds what the extractor reads to `op`.
    fn input(&self, op: &mut Operation<'_>);
}

/// An extractor whose type says what it reads, without a schema for its contents.
#[doc(hidden)]
pub trait UntypedInput {
    /// Adds what the extractor reads to `op`.
    fn input(&self, op: &mut Operation<'_>);
}

/// Anything else (the request, state, the session): nothing for the document.
#[doc(hidden)]
pub trait OtherInput {
    /// Adds nothing.
    fn input(&self, _op: &mut Operation<'_>) {}
}

impl<T: ?Sized> OtherInput for Probe<T> {}

impl<T: JsonSchema> TypedInput for &&Probe<Json<T>> {
    fn input(&self, op: &mut Operation<'_>) {
        let schema = op.schema_of::<T>();
        op.body("application/json", schema);
    }
}

impl<T> UntypedInput for &Probe<Json<T>> {
    fn input(&self, op: &mut Operation<'_>) {
        op.body("application/json", json!({}));
    }
}

impl<T: JsonSchema> TypedInput for &&Probe<Form<T>> {
    fn input(&self, op: &mut Operation<'_>) {
        let schema = op.schema_of::<T>();
        op.body("application/x-www-form-urlencoded", schema);
    }
}

impl<T> UntypedInput for &Probe<Form<T>> {
    fn input(&self, op: &mut Operation<'_>) {
        op.body(
            "application/x-www-form-urlencoded",
            json!({"type": "object"}),
        );
    }
}

impl TypedInput for &&Probe<Multipart> {
    fn input(&self, op: &mut Operation<'_>) {
        // Any fields; a field's name travels in a quoted header parameter, which holds
        // no control character and no quote.
        let names = json!({"pattern": "^[^\\u0000-\\u001f\\u007f\"]*$"});
        op.body(
            "multipart/form-data",
            json!({"type": "object", "propertyNames": names}),
        );
    }
}

impl<T: JsonSchema> TypedInput for &&Probe<Query<T>> {
    fn input(&self, op: &mut Operation<'_>) {
        // Each property of `T` is one query parameter: the schema is made with
        // everything inline, so that a property's own schema is there to hand out.
        let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
            s.inline_subschemas = true;
        });
        let schema = settings
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                let required = required.contains(&name.as_str());
                let mut schema = property.as_object().cloned().unwrap_or_default();
                schema.remove("$schema");
                let description = schema.remove("description");
                if !required {
                    optional_query_schema(&mut schema);
                }
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required,
                    "schema": schema,
                });
                if let Some(description) = description {
                    parameter["description"] = description;
                }
                op.query.push(parameter);
            }
        }
        op.status(400, "The query string does not fit its schema.");
    }
}

/// The schema of an `Option` field as a query parameter: absent is `None` (a query string
/// has no null to send, so `null` goes), and so is an empty value (`?since=`), as HTML
/// forms send an empty field; a parameter that is not text then says so.
fn optional_query_schema(schema: &mut serde_json::Map<String, Value>) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema.insert("type".to_owned(), only);
        }
    }
    if schema.get("type").and_then(Value::as_str) == Some("string") {
        return;
    }
    let typed = Value::Object(std::mem::take(schema));
    schema.insert(
        "anyOf".to_owned(),
        json!([typed, {"type": "string", "maxLength": 0}]),
    );
}

impl<T> UntypedInput for &Probe<Query<T>> {
    fn input(&self, op: &mut Operation<'_>) {
        op.status(400, "The query string does not fit its schema.");
    }
}

/// A return type that says what a success carries: implemented for `Json<T>` (with a
/// schema), `Value`, `String`, `Html<_>`, `Template`, `()` and their `Result`, `Option` (a
/// `None` is a 204) and `(_, status)` forms. Implement it for a response type of your own to describe it.
pub trait DescribeResponse {
    /// Sets the success's content type and schema on `op`.
    fn describe(op: &mut Operation<'_>);
}

impl<T: JsonSchema> DescribeResponse for Json<T> {
    fn describe(op: &mut Operation<'_>) {
        let schema = op.schema_of::<T>();
        op.success("application/json", schema);
    }
}

impl DescribeResponse for Value {
    fn describe(op: &mut Operation<'_>) {
        op.success("application/json", json!({}));
    }
}

impl DescribeResponse for String {
    fn describe(op: &mut Operation<'_>) {
        op.success("text/plain", json!({"type": "string"}));
    }
}

impl DescribeResponse for &'static str {
    fn describe(op: &mut Operation<'_>) {
        op.success("text/plain", json!({"type": "string"}));
    }
}

impl<T> DescribeResponse for Html<T> {
    fn describe(op: &mut Operation<'_>) {
        op.success("text/html", json!({"type": "string"}));
    }
}

impl DescribeResponse for () {
    fn describe(op: &mut Operation<'_>) {
        op.success = None;
        op.typed_success = true;
    }
}

impl<T: DescribeResponse, E> DescribeResponse for Result<T, E> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
    }
}

impl<T: DescribeResponse> DescribeResponse for Option<T> {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
        op.status(204, "Nothing (the handler answered `None`).");
    }
}

impl<T: DescribeResponse, S> DescribeResponse for (T, S) {
    fn describe(op: &mut Operation<'_>) {
        T::describe(op);
    }
}

/// The return type, described if it can be.
#[doc(hidden)]
pub trait TypedOutput {
    /// Adds what a success carries to `op`.
    fn output(&self, op: &mut Operation<'_>);
}

/// Any other return type: a success whose body the document does not describe.
#[doc(hidden)]
pub trait OtherOutput {
    /// Adds nothing.
    fn output(&self, _op: &mut Operation<'_>) {}
}

impl<T: DescribeResponse> TypedOutput for &Probe<T> {
    fn output(&self, op: &mut Operation<'_>) {
        T::describe(op);
    }
}

impl<T: ?Sized> OtherOutput for Probe<T> {}
