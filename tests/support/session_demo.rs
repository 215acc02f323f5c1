//! The small session app that `tests/sessions.rs` (test client) and `tests/sessions_wire.rs`
//! (a real socket and Python's `requests`) both exercise: log in as a name, read it back,
//! log out, and store a value of a chosen size.

use httpserver::{abort, collect_routes, get, post, App, HttpError, Session};

/// A secret key of the tests.
pub const KEY: &str = "the first secret key, 32 bytes or more";
/// Another one, for rotation and foreign-key cases.
pub const OLD_KEY: &str = "an older secret key, also 32 bytes or more";

#[post("/login/<name>")]
async fn login(name: String, session: Session) -> Result<&'static str, HttpError> {
    session.insert("user", &name)?;
    Ok("logged in")
}

#[get("/me")]
async fn me(session: Session) -> Result<String, HttpError> {
    session.get::<String>("user").ok_or_else(|| abort(401))
}

#[post("/logout")]
async fn logout(session: Session) -> &'static str {
    session.clear();
    "bye"
}

#[post("/big/<int:bytes>")]
async fn big(bytes: usize, session: Session) -> Result<&'static str, HttpError> {
    session.insert("blob", &"x".repeat(bytes))?;
    Ok("stored")
}

/// The session's CSRF token, for clients that post from scripts.
#[get("/csrf-token")]
async fn csrf_token(session: Session) -> Result<String, HttpError> {
    session.csrf_token()
}

/// The app, sealing with the first of `keys`.
pub fn app(keys: &[&str]) -> App {
    App::new()
        .secret_keys(keys.iter().copied())
        .routes(collect_routes![login, me, logout, big, csrf_token])
}

/// Only `GET /me`, for start-up checks.
pub fn me_route() -> Vec<httpserver::Route> {
    collect_routes![me]
}
