//! A login: a form, an encrypted session cookie, a members-only group whose hook loads the
//! user once and hands it to the handlers, and a logout. On http://127.0.0.1:8005.
//!
//! ```text
//! APP_SECRET=$(head -c 48 /dev/urandom | base64) cargo run --example login
//! # then, in a browser: http://127.0.0.1:8005 (users: ann / secret-ann, bob / secret-bob)
//! # curl, as a browser does it: the form's page first, for its CSRF token
//! TOKEN=$(curl -s -c jar localhost:8005/ | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
//! curl -i -c jar -b jar -d "csrf_token=$TOKEN&name=ann&password=secret-ann" localhost:8005/login
//! curl -i -c jar -b jar localhost:8005/members/
//! ```

use std::collections::HashMap;

use httpserver::{
    collect_routes, get, group, post, url_for, App, Form, FromRequest, Html, HttpError,
    IntoResponse, Redirect, Request, Response, Session, State,
};
use serde::Deserialize;

/// The users and their passwords. A real app keeps hashes (argon2) in a database.
pub struct Users(HashMap<&'static str, &'static str>);

impl Users {
    pub fn demo() -> Self {
        Users(HashMap::from([
            ("ann", "secret-ann"),
            ("bob", "secret-bob"),
        ]))
    }

    fn check(&self, name: &str, password: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|expected| *expected == password)
    }
}

/// The logged-in user, loaded by the members' hook and taken by their handlers as `Ext<User>`.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
}

#[derive(Deserialize)]
struct Login {
    name: String,
    password: String,
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    ))
}

/// The hidden field that carries the session's CSRF token in every form that posts.
fn csrf_field(session: &Session) -> Result<String, HttpError> {
    Ok(format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">",
        session.csrf_token()?
    ))
}

fn login_form(message: &str, session: &Session) -> Result<String, HttpError> {
    let action = url_for!(login);
    let csrf = csrf_field(session)?;
    Ok(format!(
        "<p id=\"message\">{message}</p>\
         <form method=\"post\" action=\"{action}\">{csrf}\
         <label>Name <input name=\"name\" id=\"name\"></label> \
         <label>Password <input name=\"password\" id=\"password\" type=\"password\"></label> \
         <button id=\"submit\">Log in</button></form>"
    ))
}

#[get("/")]
async fn index(session: Session) -> Result<Html<String>, HttpError> {
    Ok(match session.get::<String>("user") {
        Some(name) => page(
            "Welcome back",
            &format!(
                "<p>Logged in as {name}. <a href=\"{}\">Members' page</a></p>",
                url_for!(members::home)
            ),
        ),
        None => page("Log in", &login_form("", &session)?),
    })
}

#[post("/login")]
async fn login(
    users: State<Users>,
    session: Session,
    Form(form): Form<Login>,
) -> Result<Response, HttpError> {
    if !users.check(&form.name, &form.password) {
        let body = login_form("Wrong name or password.", &session)?;
        return Ok((page("Log in", &body), 401).into_response());
    }
    session.insert("user", &form.name)?;
    Ok(Redirect::to(url_for!(members::home)).into_response())
}

#[post("/logout")]
async fn logout(session: Session) -> Redirect {
    session.clear();
    Redirect::to(url_for!(index))
}

/// Before every members' route: the user from the session, or a redirect to the login form.
async fn load_user(req: Request) -> Option<Response> {
    let session = match Session::from_request(&req).await {
        Ok(session) => session,
        Err(e) => return Some(e.into_response()),
    };
    match session.get::<String>("user") {
        Some(name) => {
            req.set(User { name });
            None
        }
        None => Some(Redirect::to(url_for!(index)).into_response()),
    }
}

#[group("/members")]
pub mod members {
    use httpserver::{get, url_for, Ext, Html, HttpError, Json, Session};
    use serde_json::{json, Value};

    use super::User;

    #[get("/")]
    pub async fn home(Ext(user): Ext<User>, session: Session) -> Result<Html<String>, HttpError> {
        Ok(super::page(
            "Members",
            &format!(
                "<p id=\"greeting\">Hello, {}!</p><p><a href=\"{}\">Your notes</a></p>\
                 <form method=\"post\" action=\"{}\">{}<button id=\"logout\">Log out</button></form>",
                user.name,
                url_for!(notes),
                url_for!(super::logout),
                super::csrf_field(&session)?,
            ),
        ))
    }

    #[get("/notes")]
    pub async fn notes(Ext(user): Ext<User>) -> Json<Value> {
        Json(json!({"user": user.name, "notes": [format!("{}'s first note", user.name)]}))
    }
}

/// The secret that seals sessions: from the environment; a fixed demo key otherwise, with a
/// warning (anyone who knows it can forge sessions).
fn secret() -> String {
    std::env::var("APP_SECRET").unwrap_or_else(|_| {
        eprintln!("APP_SECRET is not set: using the demo key (never do this in production)");
        "demo key of the login example, not a secret at all".to_owned()
    })
}

/// Every 403 as a page: a form refused by the CSRF check (from another site, or older
/// than the last login) says so, instead of a bare "Forbidden".
async fn forbidden(_req: Request, error: HttpError) -> Response {
    let body = format!(
        "<p id=\"refused\">{}</p><p><a href=\"{}\">Start again</a></p>",
        escape_html(error.message()),
        url_for!(index)
    );
    (page("Refused", &body), 403).into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn app(secret: &str) -> App {
    App::new()
        .secret_key(secret)
        .error_handler(403, forbidden)
        .state(Users::demo())
        .routes(collect_routes![index, login, logout])
        .group(members::group().before_request(load_user))
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    app(&secret()).run("127.0.0.1:8005")
}

#[cfg(test)]
mod tests {
    use super::app;
    use httpserver::TestClient;
    use serde_json::Value;

    const SECRET: &str = "a test secret that is at least 32 bytes long";

    /// The CSRF token of the first form on the page at `path`, as a browser would send it.
    async fn form_token(client: &TestClient, path: &str) -> String {
        let page = client.get(path).send().await.text();
        let after = page
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no CSRF field on {path}: {page}"));
        after.split('"').next().unwrap_or_default().to_owned()
    }

    #[tokio::test]
    async fn login_members_logout() {
        let client = app(SECRET).test_client();
        // Not logged in: the members' hook sends the visitor to the form.
        let res = client.get("/members/").send().await;
        assert_eq!(res.status(), 302);
        assert_eq!(res.header("location"), Some("/"));
        let token = form_token(&client, "/").await;

        let forged = client
            .post("/login")
            .form(&[("name", "ann"), ("password", "secret-ann")])
            .send()
            .await;
        assert_eq!(forged.status(), 403, "no token: refused before the handler");
        assert!(
            forged
                .text()
                .contains("CSRF check failed: the CSRF token is missing"),
            "the app's 403 page says why: {}",
            forged.text()
        );
        let cross_site = client
            .post("/login")
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("csrf_token", &*token),
                ("name", "ann"),
                ("password", "secret-ann"),
            ])
            .send()
            .await;
        assert_eq!(
            cross_site.status(),
            403,
            "another site's form, even with a token"
        );
        assert!(cross_site.text().contains("comes from another site"));

        let wrong = client
            .post("/login")
            .form(&[
                ("csrf_token", &*token),
                ("name", "ann"),
                ("password", "nope"),
            ])
            .send()
            .await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong.header("set-cookie").is_none());

        let ok = client
            .post("/login")
            .form(&[
                ("csrf_token", &*token),
                ("name", "ann"),
                ("password", "secret-ann"),
            ])
            .send()
            .await;
        assert_eq!(ok.status(), 302);
        assert_eq!(ok.header("location"), Some("/members/"));
        assert!(client.cookie("session").is_some());

        let home = client.get("/members/").send().await;
        assert!(home.text().contains("Hello, ann!"), "{}", home.text());
        let notes = client.get("/members/notes").send().await.json::<Value>();
        assert_eq!(notes["user"], "ann");
        // An unchanged session sends no cookie.
        assert!(client
            .get("/members/notes")
            .send()
            .await
            .header("set-cookie")
            .is_none());

        let token = form_token(&client, "/members/").await;
        let out = client
            .post("/logout")
            .form(&[("csrf_token", &*token)])
            .send()
            .await;
        assert_eq!(out.status(), 302);
        assert_eq!(client.cookie("session"), None, "logout removes the cookie");
        assert_eq!(client.get("/members/").send().await.status(), 302);
    }

    #[tokio::test]
    async fn a_session_from_another_key_is_no_login() {
        let client = app(SECRET).test_client();
        let token = form_token(&client, "/").await;
        client
            .post("/login")
            .form(&[
                ("csrf_token", &*token),
                ("name", "bob"),
                ("password", "secret-bob"),
            ])
            .send()
            .await;
        let stolen = client.cookie("session").expect("logged in");
        let other = app("another secret, also at least 32 bytes").test_client();
        let res = other
            .get("/members/")
            .header("cookie", &format!("session={stolen}"))
            .send()
            .await;
        assert_eq!(res.status(), 302);
    }
}
