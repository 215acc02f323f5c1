//! Templates (feature `templates`): Jinja syntax by [minijinja], as Flask users know it.
//! A directory of templates, HTML autoescaped, rendered by returning a [`Template`] from a
//! handler; every template sees `url_for`, the session's flashed messages and its CSRF
//! token. Every `url_for("..")` written in a template is checked against the route table
//! when the app starts, so a misspelt route name is a start-up error naming the template
//! and line, not a broken link.
//!
//! ```
//! use httpserver::templates::{context, Template};
//! use httpserver::{collect_routes, get, App};
//!
//! #[get("/hello/<name>")]
//! async fn hello(name: String) -> Template {
//!     Template::render("hello.html", context! { name })
//! }
//!
//! # let dir = std::env::temp_dir().join(format!("httpserver-doc-templates-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # std::fs::write(dir.join("hello.html"),
//! #     "<p>Hello, {{ name }}!</p><a href=\"{{ url_for('hello', name='you') }}\">again</a>").unwrap();
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // templates/hello.html:
//! //   <p>Hello, {{ name }}!</p><a href="{{ url_for('hello', name='you') }}">again</a>
//! let app = App::new()
//!     .templates(&dir) // e.g. "templates", next to Cargo.toml
//!     .routes(collect_routes![hello]);
//! let res = app.test_client().get("/hello/%3Cb%3E").send().await;
//! assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
//! assert_eq!(res.text(), "<p>Hello, &lt;b&gt;!</p><a href=\"/hello/you\">again</a>");
//! # });
//! ```
//!
//! **What every template sees**, beside the handler's context:
//!
//! | name | what |
//! |---|---|
//! | `url_for("handler", param=value, ..)` | the route's path, as [`url_for!`](crate::url_for) builds it; by the handler's name as `collect_routes!` listed it (`"index"`, `"tasks::show"`, `"members::home"`); arguments that are not path parameters become the query string |
//! | `csrf_token()` | the session's CSRF token ([`Session::csrf_token`](crate::Session::csrf_token)) |
//! | `csrf_field()` | the hidden `<input name="csrf_token">` that carries it in a form |
//! | `get_flashed_messages()` | the flashed messages (each with `.level` and `.text`), taken from the session: shown once |
//! | `request.path`, `request.method` | of the request being answered |
//!
//! **Autoescaping** is on for `.html`, `.htm` and `.xml` templates (and JSON-escaping for
//! `.json`), by the file's name: a value with `<` in it is shown, never run. Mark trusted
//! HTML with `|safe`.
//!
//! **Loading.** In a debug build, templates are read from disk at each render, so an edit
//! shows on the next reload of the page; in a release build, they are read once at start-up.
//! Either way the app reads and checks them all when it starts: a syntax error or a
//! `url_for` naming no route (or leaving out a path parameter) stops the start with the
//! template's name and line. A name computed at render time (`url_for(page)`) is checked
//! when it renders.
//!
//! **Trust.** Template names come from the code, never from the client: do not pass a
//! request's text as the name. Values from the client are escaped by the autoescaping
//! above, unless marked `|safe`.

mod route_urls;
mod url_check;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::header::{HeaderValue, CONTENT_TYPE};
use minijinja::value::Kwargs;
use minijinja::ErrorKind;
use serde::Serialize;

/// The template engine's own types, for [`Templates::setup`] and hand-built contexts.
/// Only these are re-exported: the whole crate would put its names beside the standard
/// library's in rustc's messages (`std::string::String` where `String` was meant).
pub use minijinja::{context, Environment, Error as TemplateEngineError, Value};

use crate::extract::session::{Session, SessionKeys};
use crate::extract::FromRequest;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::routes::route::Route;

use route_urls::RouteUrls;

/// A page to render: a template's name and the values it shows. Return it from a handler
/// (or an error handler); it renders once the response is on its way, with the request's
/// session for the flashed messages and the CSRF token. A status beside it
/// (`(Template::render(..), 422)`) is kept.
///
/// The context is any `Serialize` value that serializes as a map: a struct,
/// `serde_json::json!({..})`, or minijinja's [`context!`].
pub struct Template {
    name: Cow<'static, str>,
    context: Value,
}

impl Template {
    /// The template `name` (its path under the template directory, such as
    /// `"tasks/list.html"`) with `context`.
    pub fn render(name: impl Into<Cow<'static, str>>, context: impl Serialize) -> Self {
        Template {
            name: name.into(),
            context: Value::from_serialize(&context),
        }
    }
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .finish()
    }
}

impl IntoResponse for Template {
    fn into_response(self) -> Response {
        Response::deferred(move |req: &Request| -> BoxFuture<'static, Response> {
            let req = req.clone();
            Box::pin(async move { self.respond_to(&req).await })
        })
    }
}

/// In the API document, a rendered page is HTML.
#[cfg(feature = "openapi")]
impl crate::routes::describe::DescribeResponse for Template {
    fn describe(op: &mut crate::routes::describe::Operation<'_>) {
        op.success("text/html", serde_json::json!({"type": "string"}));
    }
}

impl Template {
    async fn respond_to(self, req: &Request) -> Response {
        let Some(engine) = req.app().state_arc::<TemplateEngine>() else {
            let error = TemplateError(format!(
                "`{}` cannot be rendered: the app has no template directory; set one with \
                 App::templates(\"templates\")",
                self.name
            ));
            return failed(error);
        };
        let session = match req.app().state_arc::<SessionKeys>() {
            Some(_) => match Session::from_request(req).await {
                Ok(session) => Some(session),
                Err(e) => return e.into_response(),
            },
            None => None,
        };
        match engine.render(&self.name, self.context, req, session) {
            Ok(html) => {
                let mut res = Response::new(html);
                let content_type = content_type_of(&self.name);
                res.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                res
            }
            Err(e) => failed(e),
        }
    }
}

/// A 500 that goes through the error handlers, its cause logged.
fn failed(error: impl std::error::Error + Send + Sync + 'static) -> Response {
    Result::<(), crate::error::Error>::Err(error.into()).into_response()
}

/// The `Content-Type` of a rendered template, from its name.
fn content_type_of(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "json" => "application/json",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// A template that cannot render for a reason of the app's making.
#[derive(Debug)]
struct TemplateError(String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

/// Where the templates are and how their environment is set up; given to
/// [`App::templates`](crate::App::templates) (a path converts into one).
///
/// ```
/// use httpserver::templates::Templates;
/// use httpserver::App;
///
/// let app = App::new().templates(
///     Templates::dir("templates").setup(|env| {
///         env.add_filter("shout", |s: String| s.to_uppercase());
///     }),
/// );
/// ```
#[derive(Clone)]
pub struct Templates {
    dir: PathBuf,
    reload: bool,
    setup: Option<Setup>,
}

type Setup = Arc<dyn Fn(&mut Environment<'static>) + Send + Sync>;

impl Templates {
    /// The templates under `dir` (a path relative to the working directory, or absolute).
    /// Reloaded at each render in a debug build, read once in a release build.
    pub fn dir(dir: impl Into<PathBuf>) -> Self {
        Templates {
            dir: dir.into(),
            reload: cfg!(debug_assertions),
            setup: None,
        }
    }

    /// Whether templates are read from disk at each render (default: in debug builds).
    pub fn reload(mut self, reload: bool) -> Self {
        self.reload = reload;
        self
    }

    /// Customizes the minijinja environment: filters, tests, globals, syntax. Runs on each
    /// environment made (once, or at each render when reloading).
    pub fn setup(
        mut self,
        setup: impl Fn(&mut Environment<'static>) + Send + Sync + 'static,
    ) -> Self {
        self.setup = Some(Arc::new(setup));
        self
    }
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("dir", &self.dir)
            .field("reload", &self.reload)
            .finish()
    }
}

impl<P: AsRef<Path>> From<P> for Templates {
    fn from(dir: P) -> Self {
        Templates::dir(dir.as_ref())
    }
}

/// The app's templates once it starts: checked, and loaded (or ready to reload).
pub(crate) struct TemplateEngine {
    settings: Templates,
    urls: Arc<RouteUrls>,
    /// Built once when not reloading.
    loaded: Option<Environment<'static>>,
}

impl TemplateEngine {
    /// Reads every template under the directory and checks it: its syntax, and each
    /// `url_for` call against `routes`. The error lists every problem found, each with
    /// its template and line.
    pub(crate) fn start(settings: Templates, routes: &[Route]) -> Result<Self, String> {
        let urls = Arc::new(RouteUrls::new(routes));
        let sources = read_all(&settings.dir)?;
        let mut env = environment(&settings, &urls);
        let mut problems = Vec::new();
        for (name, source) in &sources {
            if let Err(e) = env.add_template_owned(name.clone(), source.clone()) {
                problems.push(describe(name, &e));
            }
            for call in url_check::url_for_calls(source) {
                if let Err(e) = urls.check(&call) {
                    problems.push(format!("{name}, line {}: {e}", call.line));
                }
            }
        }
        if !problems.is_empty() {
            return Err(format!(
                "the templates in {} have {} problem{}:\n  {}",
                settings.dir.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                problems.join("\n  ")
            ));
        }
        let loaded = (!settings.reload).then_some(env);
        Ok(TemplateEngine {
            settings,
            urls,
            loaded,
        })
    }

    fn render(
        &self,
        name: &str,
        context: Value,
        req: &Request,
        session: Option<Session>,
    ) -> Result<String, minijinja::Error> {
        let fresh;
        let env = match &self.loaded {
            Some(env) => env,
            None => {
                let mut env = environment(&self.settings, &self.urls);
                env.set_loader(minijinja::path_loader(self.settings.dir.clone()));
                fresh = env;
                &fresh
            }
        };
        let template = env.get_template(name)?;
        template.render(request_context(context, req, session))
    }
}

/// An environment with the app's setup and `url_for`.
fn environment(settings: &Templates, urls: &Arc<RouteUrls>) -> Environment<'static> {
    let mut env = Environment::new();
    let urls = Arc::clone(urls);
    env.add_function(
        "url_for",
        move |state: &minijinja::State, name: String, kwargs: Kwargs| {
            let mut args = Vec::new();
            for key in kwargs.args() {
                let value: Value = kwargs.get(key)?;
                args.push((key.to_owned(), url_text(&value)));
            }
            let url = urls
                .build(&name, args)
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e))?;
            // The URL is percent-encoded: in HTML only its `&` needs escaping, and the
            // slashes stay readable (autoescaping would write them `&#x2f;`).
            Ok::<_, minijinja::Error>(match state.auto_escape() {
                minijinja::AutoEscape::Html => Value::from_safe_string(url.replace('&', "&amp;")),
                _ => Value::from(url),
            })
        },
    );
    if let Some(setup) = &settings.setup {
        setup(&mut env);
    }
    env
}

fn url_text(value: &Value) -> String {
    match value.as_str() {
        Some(text) => text.to_owned(),
        None => value.to_string(),
    }
}

/// The handler's context, with what every template sees.
fn request_context(context: Value, req: &Request, session: Option<Session>) -> Value {
    let no_session = || {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "this needs a session; give the app one with App::secret_key(..)",
        )
    };
    let token_session = session.clone();
    let csrf_token = Value::from_function(move || -> Result<String, minijinja::Error> {
        let session = token_session.as_ref().ok_or_else(no_session)?;
        session
            .csrf_token()
            .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    let field_session = session.clone();
    let csrf_field = Value::from_function(move || -> Result<Value, minijinja::Error> {
        let session = field_session.as_ref().ok_or_else(no_session)?;
        let token = session
            .csrf_token()
            .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        Ok(Value::from_safe_string(format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{token}\">",
            crate::config::CSRF_FIELD
        )))
    });
    let get_flashed_messages = Value::from_function(move || -> Value {
        let flashes = session
            .as_ref()
            .map(Session::take_flashes)
            .unwrap_or_default();
        let flashes: Vec<_> = flashes
            .into_iter()
            .map(|f| serde_json::json!({"level": f.level, "text": f.text}))
            .collect();
        Value::from_serialize(&flashes)
    });
    let request = context! {
        path => req.path(),
        method => req.method().as_str(),
    };
    context! {
        csrf_token,
        csrf_field,
        get_flashed_messages,
        request,
        ..context
    }
}

/// A template's error as one line: `name, line N: kind: detail`.
fn describe(name: &str, e: &minijinja::Error) -> String {
    let at = match e.line() {
        Some(line) => format!("{name}, line {line}"),
        None => name.to_owned(),
    };
    match e.detail() {
        Some(detail) => format!("{at}: {}: {detail}", e.kind()),
        None => format!("{at}: {}", e.kind()),
    }
}

/// Every template file under `dir`, by its name (the path under `dir`, with `/`).
fn read_all(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        let entries = std::fs::read_dir(&at).map_err(|e| {
            format!(
                "the template directory {} cannot be read: {e}",
                at.display()
            )
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", at.display()))?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let source = std::fs::read_to_string(&path)
                .map_err(|e| format!("the template {name} cannot be read: {e}"))?;
            found.push((name, source));
        }
    }
    found.sort();
    Ok(found)
}
