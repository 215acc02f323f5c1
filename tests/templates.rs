//! Templates: rendering with autoescaping on every transport, `url_for` built and checked
//! at start-up (a misspelt name names its template and line), flashed messages and the
//! CSRF token in forms, error pages from templates, and reloading.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use httpserver::templates::{context, Template, Templates};
use httpserver::{collect_routes, get, post, App, HttpError, Redirect, Request, Session};
use httpserver_suite::{on_every_transport, Client, Transport};

const KEY: &str = "a templates test secret of at least 32 bytes";

/// A fresh directory holding `files` (name, source).
fn template_dir(files: &[(&str, &str)]) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "httpserver-templates-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, source) in files {
        write(&dir, name, source);
    }
    dir
}

fn write(dir: &Path, name: &str, source: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap_or(dir)).unwrap();
    std::fs::write(path, source).unwrap();
}

#[get("/")]
async fn index() -> Template {
    Template::render(
        "index.html",
        context! { title => "Tasks & <notes>", items => vec!["a", "b"] },
    )
}

#[get("/tasks/<int:id>")]
async fn show_task(id: i64) -> Template {
    Template::render("tasks/show.html", context! { id })
}

#[post("/tasks")]
async fn create_task(session: Session) -> Redirect {
    session.flash("success", "Task <saved>");
    Redirect::to("/tasks/new")
}

#[get("/tasks/new")]
async fn new_task() -> Template {
    Template::render("tasks/new.html", ())
}

#[get("/invalid")]
async fn invalid() -> (Template, u16) {
    let errors = vec!["title is empty"];
    (Template::render("tasks/new.html", context! { errors }), 422)
}

const BASE: &str = "<!doctype html><title>{% block title %}{% endblock %}</title>\
{% for f in get_flashed_messages() %}<p class=\"{{ f.level }}\">{{ f.text }}</p>{% endfor %}\
{% block body %}{% endblock %}";

fn pages() -> Vec<(&'static str, &'static str)> {
    vec![
        ("base.html", BASE),
        (
            "index.html",
            "{% extends 'base.html' %}{% block title %}{{ title }}{% endblock %}\
             {% block body %}<ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>\
             <a href=\"{{ url_for('show_task', id=7, tab='a b&c') }}\">7</a> at {{ request.path }}{% endblock %}",
        ),
        ("tasks/show.html", "task {{ id }}: {{ url_for('index') }}"),
        (
            "tasks/new.html",
            "{% extends 'base.html' %}{% block body %}\
             {% for e in errors | default([]) %}<em>{{ e }}</em>{% endfor %}\
             <form method=\"post\" action=\"{{ url_for('create_task') }}\">{{ csrf_field() }}</form>\
             {% endblock %}",
        ),
    ]
}

fn app(dir: &Path) -> App {
    App::new()
        .secret_key(KEY)
        .templates(dir)
        .routes(collect_routes![
            index,
            show_task,
            create_task,
            new_task,
            invalid
        ])
        .access_log(false)
}

/// A page renders, escaped, with `url_for` and the request in its context.
async fn a_template_renders_escaped_with_url_for(t: Transport) {
    let dir = template_dir(&pages());
    let client = Client::start(app(&dir), t).await;
    let res = client.get("/").await;
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        res.text(),
        "<!doctype html><title>Tasks &amp; &lt;notes&gt;</title><ul><li>a</li><li>b</li></ul>\
         <a href=\"/tasks/7?tab=a+b%26c\">7</a> at &#x2f;",
        "{t:?}"
    );
    let res = client.get("/tasks/42").await;
    assert_eq!(res.text(), "task 42: /", "{t:?}");
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    client.stop().await;
}

/// The form's CSRF field lets its post through; the flashed message shows once, escaped.
async fn a_forms_csrf_field_and_flashes_work_together(t: Transport) {
    let dir = template_dir(&pages());
    let client = Client::start(app(&dir), t).await;
    let page = client.get("/tasks/new").await;
    let cookie = page
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("session="))
        .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
        .expect("rendering the token starts the session");
    let html = page.text();
    assert!(html.contains("<form method=\"post\" action=\"/tasks\"><input type=\"hidden\" name=\"csrf_token\" value=\""), "{html}");
    let token = html
        .split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_default();
    let form = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let res = client
        .call_with("POST", "/tasks", &form, &format!("csrf_token={token}"))
        .await;
    res.assert_status(302);
    let cookie = res
        .headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
        .expect("the flash changed the session");
    let shown = client
        .call_with("GET", "/tasks/new", &[("cookie", &cookie)], "")
        .await;
    assert!(
        shown
            .text()
            .contains("<p class=\"success\">Task &lt;saved&gt;</p>"),
        "{t:?}: {}",
        shown.text()
    );
    let after = shown
        .headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
        .expect("taking the flashes changed the session");
    let again = client
        .call_with("GET", "/tasks/new", &[("cookie", &after)], "")
        .await;
    assert!(!again.text().contains("Task"), "{t:?}: shown once");
    client.stop().await;
}

on_every_transport!(
    a_template_renders_escaped_with_url_for,
    a_forms_csrf_field_and_flashes_work_together
);

fn start_error(app: App) -> String {
    match app.into_service() {
        Ok(_) => panic!("the app started"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_misspelt_url_for_is_a_start_up_error_with_the_template_and_line() {
    let mut files = pages();
    files.push((
        "tasks/list.html",
        "<ul>\n{% for t in tasks %}\n<li><a href=\"{{ url_for('show_tsk', id=t.id) }}\">x</a>\n{% endfor %}</ul>",
    ));
    let err = start_error(app(&template_dir(&files)));
    assert!(err.starts_with("the templates in "), "{err}");
    assert!(
        err.contains(
            "tasks/list.html, line 3: url_for(\"show_tsk\") names no route; the routes are: \
             create_task, index, invalid, new_task, show_task"
        ),
        "{err}"
    );
}

#[test]
fn a_missing_path_parameter_and_a_syntax_error_are_start_up_errors() {
    let mut files = pages();
    files.push(("a.html", "line 1\n{{ url_for('show_task') }}"));
    files.push(("b.html", "line 1\nline 2\n{% for x in %}"));
    let err = start_error(app(&template_dir(&files)));
    assert!(err.contains("have 2 problems"), "{err}");
    assert!(
        err.contains("a.html, line 2: url_for(\"show_task\") does not give the path parameter `id` of /tasks/<int:id>"),
        "{err}"
    );
    assert!(
        err.contains("b.html, line 3: syntax error: unexpected end of block"),
        "{err}"
    );
}

#[test]
fn a_missing_template_directory_is_a_start_up_error() {
    let err = start_error(app(Path::new("/nonexistent/templates")));
    assert!(
        err.contains("the template directory /nonexistent/templates cannot be read"),
        "{err}"
    );
}

#[tokio::test]
async fn edits_show_at_the_next_render_when_reloading_and_not_otherwise() {
    let dir = template_dir(&pages());
    let reloading = app(&dir)
        .templates(Templates::dir(&dir).reload(true))
        .test_client();
    let fixed = app(&dir)
        .templates(Templates::dir(&dir).reload(false))
        .test_client();
    assert_eq!(reloading.get("/tasks/1").send().await.text(), "task 1: /");
    write(&dir, "tasks/show.html", "edited {{ id }}");
    assert_eq!(reloading.get("/tasks/1").send().await.text(), "edited 1");
    assert_eq!(fixed.get("/tasks/1").send().await.text(), "task 1: /");
}

#[get("/broken")]
async fn broken() -> Template {
    Template::render("broken.html", ())
}

#[get("/missing")]
async fn missing() -> Template {
    Template::render("nope.html", ())
}

/// As in Flask, the page says its status: a template alone is a 200.
async fn not_found(_req: Request, error: HttpError) -> (Template, httpserver::StatusCode) {
    let status = error.status();
    (
        Template::render("404.html", context! { message => error.message() }),
        status,
    )
}

async fn server_error(_req: Request, error: HttpError) -> (Template, u16) {
    (
        Template::render("500.html", context! { message => error.message() }),
        500,
    )
}

#[tokio::test]
async fn error_pages_are_templates_and_a_failed_render_is_a_500() {
    let dir = template_dir(&[
        (
            "404.html",
            "no page here: {{ message }}; home is {{ url_for('broken') }}",
        ),
        ("500.html", "sorry"),
        ("broken.html", "{{ 1 | no_such_filter }}"),
    ]);
    let client = App::new()
        .templates(&dir)
        .routes(collect_routes![broken, missing])
        .error_handler(404, not_found)
        .error_handler(500, server_error)
        .access_log(false)
        .test_client();
    let res = client.get("/nowhere").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.text(), "no page here: Not Found; home is /broken");
    for path in ["/broken", "/missing"] {
        let res = client.get(path).send().await;
        assert_eq!(
            (res.status().as_u16(), res.text()),
            (500, "sorry".to_owned()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_status_beside_a_template_is_kept() {
    let dir = template_dir(&pages());
    let client = app(&dir).test_client();
    let res = client.get("/invalid").send().await;
    assert_eq!(res.status(), 422);
    assert!(res.text().contains("<em>title is empty</em>"));
}
