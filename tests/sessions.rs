//! Cookies, sessions, request-scoped values, async extractors and route groups, through the
//! in-process test client (the same pipeline as the server); `tests/sessions_wire.rs` runs
//! the session cases over a real socket with Python's `requests`.

use std::sync::Mutex;
use std::time::Duration;

use httpserver::cookie::{Cookie, SameSite};
use httpserver::{
    abort, collect_routes, get, group, post, url_for, App, Ext, FromRequest, HttpError,
    IntoResponse, Request, Response, Session, SessionCookie, State,
};

use httpserver_suite::session_demo::{self, KEY, OLD_KEY};

// ---------------------------------------------------------------------------------------
// Cookies
// ---------------------------------------------------------------------------------------

#[get("/prefs")]
async fn prefs(req: Request) -> Response {
    let theme = req.cookie("theme").unwrap_or("light");
    let all: Vec<String> = req.cookies().map(|(n, v)| format!("{n}={v}")).collect();
    Response::new(format!("theme={theme} all={}", all.join(","))).with_cookie(
        Cookie::build(("seen", "1"))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax),
    )
}

#[post("/forget")]
async fn forget() -> Response {
    httpserver::Redirect::to("/")
        .into_response()
        .remove_cookie("seen")
}

#[tokio::test]
async fn request_cookies_and_set_cookie_headers() {
    let client = App::new()
        .routes(collect_routes![prefs, forget])
        .test_client()
        .keep_cookies(false);
    let res = client
        .get("/prefs")
        .header("cookie", "theme=dark; =bad; x=1; theme=light")
        .send()
        .await;
    assert_eq!(res.text(), "theme=dark all=theme=dark,x=1,theme=light");
    assert_eq!(
        res.header("set-cookie"),
        Some("seen=1; HttpOnly; SameSite=Lax; Path=/")
    );
    assert_eq!(client.get("/prefs").send().await.text(), "theme=light all=");

    let res = client.post("/forget").send().await;
    let removal = res.header("set-cookie").unwrap_or_default();
    assert!(
        removal.starts_with("seen=; Path=/; Max-Age=0; Expires="),
        "{removal}"
    );
}

#[tokio::test]
async fn the_test_client_keeps_cookies_like_a_browser() {
    let client = App::new()
        .routes(collect_routes![prefs, forget])
        .test_client();
    client.get("/prefs").send().await;
    assert_eq!(client.cookie("seen").as_deref(), Some("1"));
    client.set_cookie(Cookie::new("theme", "dark"));
    let res = client.get("/prefs").send().await;
    assert_eq!(res.text(), "theme=dark all=seen=1,theme=dark");
    client.post("/forget").send().await;
    assert_eq!(client.cookie("seen"), None, "Max-Age=0 removes it");
    // A cookie for another path is not sent.
    client.set_cookie(Cookie::build(("scoped", "1")).path("/admin"));
    assert!(!client.get("/prefs").send().await.text().contains("scoped"));
}

// ---------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------

fn session_app(keys: &[&str]) -> App {
    session_demo::app(keys)
}

#[tokio::test]
async fn login_flow_and_an_unchanged_session_sends_no_cookie() {
    let client = session_app(&[KEY]).test_client();
    assert_eq!(client.get("/me").send().await.status(), 401);
    let res = client.post("/login/ann").with_csrf_token().send().await;
    let set = res.header("set-cookie").expect("a session cookie");
    assert!(
        set.starts_with("session=") && set.contains("HttpOnly") && set.contains("SameSite=Lax")
    );
    assert!(
        !set.contains("ann"),
        "the client cannot read the session: {set}"
    );
    assert_eq!(client.get("/me").send().await.text(), "ann");
    assert!(client
        .get("/me")
        .send()
        .await
        .header("set-cookie")
        .is_none());
    // Logging in again as the same user changes nothing: no cookie.
    assert!(client
        .post("/login/ann")
        .with_csrf_token()
        .send()
        .await
        .header("set-cookie")
        .is_none());

    let out = client.post("/logout").with_csrf_token().send().await;
    assert!(out
        .header("set-cookie")
        .unwrap_or_default()
        .contains("Max-Age=0"));
    assert_eq!(client.get("/me").send().await.status(), 401);
}

#[tokio::test]
async fn tampered_foreign_and_garbage_cookies_read_as_empty() {
    let client = session_app(&[KEY]).test_client();
    client.post("/login/ann").with_csrf_token().send().await;
    let sealed = client.cookie("session").expect("sealed");

    let fresh = session_app(&[KEY]).test_client().keep_cookies(false);
    let me_with = |value: String| {
        let fresh = fresh.clone();
        async move {
            fresh
                .get("/me")
                .header("cookie", &format!("session={value}"))
                .send()
                .await
                .status()
        }
    };
    assert_eq!(me_with(sealed.clone()).await, 200);
    for i in [0, sealed.len() / 2, sealed.len() - 1] {
        let mut bytes = sealed.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            me_with(String::from_utf8(bytes).unwrap()).await,
            401,
            "byte {i}"
        );
    }
    assert_eq!(me_with(sealed[..sealed.len() - 4].to_owned()).await, 401);
    assert_eq!(me_with("{\"v\":{\"user\":\"admin\"}}".into()).await, 401);
    assert_eq!(me_with(String::new()).await, 401);

    let foreign = session_app(&[OLD_KEY]).test_client().keep_cookies(false);
    let res = foreign
        .get("/me")
        .header("cookie", &format!("session={sealed}"))
        .send()
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn rotated_keys_open_old_sessions_and_seal_with_the_new_key() {
    let before = session_app(&[OLD_KEY]).test_client();
    before.post("/login/ann").with_csrf_token().send().await;
    let old_cookie = before.cookie("session").expect("sealed with the old key");

    let rotated = session_app(&[KEY, OLD_KEY]).test_client();
    rotated.set_cookie(Cookie::new("session", old_cookie));
    assert_eq!(rotated.get("/me").send().await.text(), "ann");
    rotated.post("/login/bob").with_csrf_token().send().await;
    let new_cookie = rotated.cookie("session").expect("sealed with the new key");

    let only_new = session_app(&[KEY]).test_client();
    only_new.set_cookie(Cookie::new("session", new_cookie.clone()));
    assert_eq!(only_new.get("/me").send().await.text(), "bob");
    let only_old = session_app(&[OLD_KEY]).test_client();
    only_old.set_cookie(Cookie::new("session", new_cookie));
    assert_eq!(only_old.get("/me").send().await.status(), 401);
}

#[tokio::test]
async fn an_expired_session_reads_as_empty_even_if_the_client_keeps_it() {
    let app =
        session_app(&[KEY]).session_cookie(SessionCookie::new().max_age(Duration::from_secs(1)));
    let client = app.test_client();
    let res = client.post("/login/ann").with_csrf_token().send().await;
    assert!(res
        .header("set-cookie")
        .unwrap_or_default()
        .contains("Max-Age=1"));
    let kept = client.cookie("session").expect("sealed");
    assert_eq!(client.get("/me").send().await.text(), "ann");
    // The sealed expiry has whole-second resolution: wait past the next second boundary.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let replay = app.test_client().keep_cookies(false);
    let res = replay
        .get("/me")
        .header("cookie", &format!("session={kept}"))
        .send()
        .await;
    assert_eq!(res.status(), 401, "a copy kept past Max-Age is refused");
}

#[tokio::test]
async fn cookie_name_secure_and_same_site_are_configurable() {
    let app = session_app(&[KEY]).session_cookie(
        SessionCookie::new()
            .name("sid")
            .secure(true)
            .same_site(SameSite::Strict),
    );
    let client = app.test_client();
    let set = client.post("/login/ann").with_csrf_token().send().await;
    let set = set.header("set-cookie").unwrap_or_default().to_owned();
    assert!(set.starts_with("sid="), "{set}");
    assert!(
        set.contains("Secure") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert_eq!(client.get("/me").send().await.text(), "ann");
}

/// Log lines written while `f` runs on this thread.
async fn logged<F: std::future::Future>(f: F) -> (F::Output, String) {
    httpserver_suite::logged("info", f).await
}

#[tokio::test]
async fn a_session_too_large_for_a_cookie_is_a_500_the_log_names() {
    let client = session_app(&[KEY]).test_client();
    let (ok, _) = logged(client.post("/big/2000").with_csrf_token().send()).await;
    assert_eq!(ok.status(), 200);
    let (res, log) = logged(client.post("/big/5000").with_csrf_token().send()).await;
    assert_eq!(res.status(), 500);
    assert!(res.header("set-cookie").is_none());
    assert!(
        log.contains("the session of POST /big/5000 is too large for a cookie"),
        "{log}"
    );
    // The session the client holds is the last one that fitted.
    assert_eq!(client.get("/me").send().await.status(), 401);
    assert!(client.cookie("session").is_some());
}

#[test]
fn session_without_a_key_or_with_a_short_key_refuses_to_start() {
    let err = App::new()
        .routes(session_demo::me_route())
        .into_service()
        .err()
        .expect("no secret key");
    let msg = err.to_string();
    assert!(
        msg.starts_with("`me` takes `Session`, but the app has no secret key"),
        "{msg}"
    );
    assert!(msg.contains("App::secret_key"), "{msg}");

    let err = App::new()
        .secret_key("too short")
        .into_service()
        .err()
        .expect("short key");
    let msg = err.to_string();
    assert!(
        msg.starts_with("the secret key is 9 bytes; it must be at least 32"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------
// Hooks and handlers share the session and request-scoped values
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct CurrentUser(String);

async fn count_visits(req: Request) -> Option<Response> {
    let session = match Session::from_request(&req).await {
        Ok(s) => s,
        Err(e) => return Some(e.into_response()),
    };
    let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
    if session.insert("visits", &visits).is_err() {
        return Some(abort(500).into_response());
    }
    if let Some(user) = session.get::<String>("user") {
        req.set(CurrentUser(user));
    }
    None
}

#[get("/visits")]
async fn visits(session: Session, user: Option<Ext<CurrentUser>>) -> String {
    let who = user.map_or("nobody".to_owned(), |Ext(u)| u.0);
    format!(
        "{} visits by {who}",
        session.get::<u32>("visits").unwrap_or(0)
    )
}

#[get("/whoami")]
async fn whoami(Ext(user): Ext<CurrentUser>) -> String {
    user.0
}

#[tokio::test]
async fn hooks_and_handlers_share_one_session_and_hand_over_values() {
    let app = session_app(&[KEY])
        .routes(collect_routes![visits, whoami])
        .before_request(count_visits);
    let client = app.test_client();
    assert_eq!(
        client.get("/visits").send().await.text(),
        "1 visits by nobody"
    );
    assert_eq!(
        client.get("/visits").send().await.text(),
        "2 visits by nobody"
    );
    // Ext<T> that no hook set: a 500, and the log says which type.
    let (res, log) = logged(client.get("/whoami").send()).await;
    assert_eq!(res.status(), 500);
    assert!(log.contains("no hook set a value of that type"), "{log}");
    assert!(log.contains("CurrentUser"), "{log}");

    client.post("/login/ann").with_csrf_token().send().await;
    assert_eq!(client.get("/visits").send().await.text(), "5 visits by ann");
    assert_eq!(client.get("/whoami").send().await.text(), "ann");
}

// ---------------------------------------------------------------------------------------
// Async extractors
// ---------------------------------------------------------------------------------------

struct Users(Mutex<Vec<(String, String)>>);

struct ApiUser(String);

impl FromRequest for ApiUser {
    async fn from_request(req: &Request) -> Result<Self, HttpError> {
        let key = req
            .header("x-api-key")
            .ok_or_else(|| HttpError::new(401, "missing x-api-key"))?
            .to_owned();
        // A lookup that awaits, as a database query would.
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
        let users = req.app().state::<Users>().ok_or_else(|| abort(500))?;
        let found = users
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| n.clone());
        found
            .map(ApiUser)
            .ok_or_else(|| HttpError::new(403, "unknown key"))
    }
}

#[get("/api/me")]
async fn api_me(user: ApiUser, users: State<Users>) -> String {
    // `State<T>` derefs to `T`: its fields are one `.` away.
    let count = users.0.lock().unwrap().len();
    format!("{} of {count}", user.0)
}

#[tokio::test]
async fn an_extractor_can_await() {
    let users = Users(Mutex::new(vec![("k1".into(), "ann".into())]));
    let client = App::new()
        .state(users)
        .routes(collect_routes![api_me])
        .test_client();
    assert_eq!(client.get("/api/me").send().await.status(), 401);
    assert_eq!(
        client
            .get("/api/me")
            .header("x-api-key", "nope")
            .send()
            .await
            .status(),
        403
    );
    let res = client.get("/api/me").header("x-api-key", "k1").send().await;
    assert_eq!(res.text(), "ann of 1");
}

// ---------------------------------------------------------------------------------------
// Two clones of one app, each with its own state
// ---------------------------------------------------------------------------------------

struct Greeting(&'static str);

#[get("/greet")]
async fn greet(greeting: State<Greeting>) -> &'static str {
    greeting.0
}

#[tokio::test]
async fn clones_of_an_app_given_different_state_each_see_their_own() {
    let base = App::new().routes(collect_routes![greet]);
    let english = base.clone().state(Greeting("hello")).test_client();
    let french = base.clone().state(Greeting("bonjour")).test_client();
    assert_eq!(english.get("/greet").send().await.text(), "hello");
    assert_eq!(french.get("/greet").send().await.text(), "bonjour");
    // And over real sockets, both serving at once.
    let a = httpserver_suite::TestServer::start(base.clone().state(Greeting("hej"))).await;
    let b = httpserver_suite::TestServer::start(base.state(Greeting("hola"))).await;
    assert_eq!(a.get("/greet").await.text(), "hej");
    assert_eq!(b.get("/greet").await.text(), "hola");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Route groups
// ---------------------------------------------------------------------------------------

#[get("/")]
async fn home() -> &'static str {
    "home"
}

#[group("/admin")]
mod admin {
    use httpserver::{get, post, Ext};

    #[get("/")]
    pub async fn dashboard(Ext(user): Ext<super::CurrentUser>) -> String {
        format!("dashboard of {}", user.0)
    }

    #[post("/users/<int:id>")]
    pub async fn edit_user(id: u32) -> String {
        format!("edited {id}")
    }
}

#[group("/shop/<int:shop>")]
mod shop {
    use httpserver::get;

    #[get("/items/<name>")]
    pub async fn item(shop: u32, name: String) -> String {
        format!("shop {shop}: {name}")
    }
}

async fn admins_only(req: Request) -> Option<Response> {
    match req.header("x-admin") {
        Some(name) => {
            req.set(CurrentUser(name.to_owned()));
            None
        }
        None => Some(abort(403).into_response()),
    }
}

async fn tag(tag: &'static str, mut res: Response) -> Response {
    let before = res
        .headers()
        .get("x-trail")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let trail = format!("{before}{tag}");
    res.headers_mut().insert("x-trail", trail.parse().unwrap());
    res
}

async fn group_after(_req: Request, res: Response) -> Response {
    tag("group,", res).await
}

async fn app_after(_req: Request, res: Response) -> Response {
    tag("app,", res).await
}

#[tokio::test]
async fn groups_prefix_their_routes_and_run_their_own_hooks() {
    assert_eq!(url_for!(admin::dashboard), "/admin/");
    assert_eq!(url_for!(admin::edit_user, id = 7), "/admin/users/7");
    assert_eq!(
        url_for!(shop::item, shop = 3, name = "a b"),
        "/shop/3/items/a%20b"
    );
    let app = App::new()
        .routes(collect_routes![home])
        .group(
            admin::group()
                .before_request(admins_only)
                .after_request(group_after),
        )
        .group(shop::group())
        .after_request(app_after);
    let client = app.test_client();

    let res = client.get("/").send().await;
    assert_eq!(
        res.text(),
        "home",
        "the group's hook does not run outside it"
    );
    assert_eq!(res.header("x-trail"), Some("app,"));
    let res = client.get("/admin/").send().await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.header("x-trail"),
        Some("group,app,"),
        "group after hooks run first"
    );
    let res = client.get("/admin/").header("x-admin", "root").send().await;
    assert_eq!(res.text(), "dashboard of root");
    let res = client
        .post("/admin/users/7")
        .header("x-admin", "root")
        .send()
        .await;
    assert_eq!(res.text(), "edited 7");
    assert_eq!(client.get("/admin").send().await.status(), 308);
    assert_eq!(
        client.get("/shop/3/items/a%20b").send().await.text(),
        "shop 3: a b"
    );
    assert_eq!(admin::group().prefix(), "/admin");
    assert_eq!(admin::group().routes().len(), 2);
}

#[test]
fn a_group_route_that_clashes_with_another_route_refuses_to_start() {
    #[get("/admin/")]
    async fn clash() -> &'static str {
        "clash"
    }
    let err = App::new()
        .routes(collect_routes![clash])
        .group(admin::group())
        .into_service()
        .err()
        .expect("a conflict");
    assert!(err.to_string().contains("`clash`"), "{err}");
    assert!(err.to_string().contains("`dashboard`"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Duplicate cookies, sealed expiry and revocation, on every transport
// ---------------------------------------------------------------------------------------

use httpserver_suite::{on_every_transport, Client, HttpResponse, Transport};

#[post("/sign-in/<name>")]
async fn sign_in(name: String, session: Session, generations: State<Generations>) -> String {
    let generation = generations.current(&name);
    let _ = session.insert("user", &name);
    let _ = session.insert("generation", &generation);
    format!("signed in as {name}")
}

#[post("/sign-out")]
async fn sign_out(session: Session, generations: State<Generations>) -> &'static str {
    if let Some(user) = session.get::<String>("user") {
        generations.bump(&user);
    }
    session.clear();
    "signed out"
}

#[get("/who")]
async fn who(session: Session) -> String {
    session
        .get::<String>("user")
        .unwrap_or_else(|| "nobody".to_owned())
}

/// user -> session generation, as a users table would keep it.
#[derive(Clone, Default)]
struct Generations(std::sync::Arc<Mutex<std::collections::HashMap<String, u64>>>);

impl Generations {
    fn current(&self, user: &str) -> u64 {
        let table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        table.get(user).copied().unwrap_or(0)
    }

    fn bump(&self, user: &str) {
        let mut table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *table.entry(user.to_owned()).or_default() += 1;
    }
}

fn revocable_app(check: bool) -> App {
    let generations = Generations::default();
    let app = App::new()
        .secret_key(KEY)
        .routes(collect_routes![sign_in, sign_out, who, csrf_token])
        .state(generations.clone())
        .access_log(false);
    if !check {
        return app;
    }
    app.session_check(move |_req: &Request, session: &Session| {
        let current = session
            .get::<String>("user")
            .map(|user| generations.current(&user));
        let sealed = session.get::<u64>("generation");
        async move { current.is_some() && current == sealed }
    })
}

/// The `name=value` of the response's session cookie.
fn session_pair(res: &HttpResponse) -> String {
    let set_cookie = res
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("session="))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session cookie in {res:?}"));
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

#[get("/csrf-token")]
async fn csrf_token(session: Session) -> Result<String, HttpError> {
    session.csrf_token()
}

/// Posts as a page's script does on a first visit: the token from `GET /csrf-token` (which
/// starts the session that holds its secret), then the post with that session's cookie
/// and the token in `X-CSRF-Token`.
async fn post_from_fresh_session(client: &Client, path: &str) -> HttpResponse {
    let res = client.get("/csrf-token").await;
    let (cookie, token) = (session_pair(&res), res.text());
    post_with_session(client, path, &cookie, &token).await
}

/// Posts with the session `cookie` and its CSRF `token`.
async fn post_with_session(client: &Client, path: &str, cookie: &str, token: &str) -> HttpResponse {
    client
        .call_with(
            "POST",
            path,
            &[("cookie", cookie), ("x-csrf-token", token)],
            "",
        )
        .await
}

/// A CSRF token of the session in `cookie` (which already holds a secret).
async fn token_of(client: &Client, cookie: &str) -> String {
    client
        .call_with("GET", "/csrf-token", &[("cookie", cookie)], "")
        .await
        .text()
}

async fn who_with(client: &Client, cookie: &str) -> String {
    client
        .call_with("GET", "/who", &[("cookie", cookie)], "")
        .await
        .text()
}

/// A cookie of the session's name planted before the real one (from a sibling subdomain,
/// or with a longer Path) does not log the user out: each is tried.
async fn the_first_session_cookie_that_unseals_wins(t: Transport) {
    let client = Client::start(revocable_app(false), t).await;
    let pair = session_pair(&post_from_fresh_session(&client, "/sign-in/ann").await);
    assert_eq!(who_with(&client, &pair).await, "ann");
    let planted = format!("session=garbage; {pair}");
    assert_eq!(who_with(&client, &planted).await, "ann", "{t:?}");
    let after = format!("{pair}; session=garbage");
    assert_eq!(who_with(&client, &after).await, "ann", "{t:?}");
    client.stop().await;
}

/// With a generation check, a cookie copied before a logout no longer authenticates
/// after it, and the browser is told to drop it; without one, it still would.
async fn a_session_check_revokes_a_copied_cookie_at_logout(t: Transport) {
    for check in [false, true] {
        let client = Client::start(revocable_app(check), t).await;
        let copied = session_pair(&post_from_fresh_session(&client, "/sign-in/ann").await);
        let token = token_of(&client, &copied).await;
        let res = post_with_session(&client, "/sign-out", &copied, &token).await;
        assert_eq!(res.text(), "signed out");
        let replay = client
            .call_with("GET", "/who", &[("cookie", &copied)], "")
            .await;
        if check {
            assert_eq!(replay.text(), "nobody", "{t:?}: the copy was revoked");
            assert!(
                session_pair(&replay) == "session=",
                "the revoked cookie is removed: {replay:?}"
            );
            // Signing in again starts a session of the new generation.
            let fresh = session_pair(&post_from_fresh_session(&client, "/sign-in/ann").await);
            assert_eq!(who_with(&client, &fresh).await, "ann");
        } else {
            assert_eq!(replay.text(), "ann", "{t:?}: no check, no revocation");
        }
        client.stop().await;
    }
}

on_every_transport!(
    the_first_session_cookie_that_unseals_wins,
    a_session_check_revokes_a_copied_cookie_at_logout
);

// ---------------------------------------------------------------------------------------
// Flash messages, on every transport
// ---------------------------------------------------------------------------------------

#[post("/tasks/new")]
async fn new_task(session: Session) -> httpserver::Redirect {
    session.flash("success", "Task saved");
    session.flash("info", "2 tasks left");
    httpserver::Redirect::to("/tasks")
}

#[get("/tasks")]
async fn tasks_page(session: Session) -> String {
    let shown: Vec<String> = session
        .take_flashes()
        .into_iter()
        .map(|flash| format!("{}: {}", flash.level, flash.text))
        .collect();
    format!("flashes [{}]", shown.join("; "))
}

/// A message flashed before a redirect is read once on the next page, then gone.
async fn flashed_messages_are_shown_once(t: Transport) {
    let app = App::new()
        .secret_key(KEY)
        .routes(collect_routes![new_task, tasks_page, csrf_token])
        .access_log(false);
    let client = Client::start(app, t).await;
    let res = post_from_fresh_session(&client, "/tasks/new").await;
    res.assert_status(302);
    let cookie = session_pair(&res);
    let shown = client
        .call_with("GET", "/tasks", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(
        shown.text(),
        "flashes [success: Task saved; info: 2 tasks left]",
        "{t:?}"
    );
    // Reading them changed the session: the browser gets it back without them.
    let after = session_pair(&shown);
    let again = client
        .call_with("GET", "/tasks", &[("cookie", &after)], "")
        .await;
    assert_eq!(again.text(), "flashes []", "{t:?}");
    client.stop().await;
}

on_every_transport!(flashed_messages_are_shown_once);

// ---------------------------------------------------------------------------------------
// Hooks that take extractors, on every transport
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct Greeter(&'static str);

#[get("/members/hello")]
async fn member_hello(Ext(user): Ext<CurrentUser>) -> String {
    user.0
}

/// A before hook takes the session, the app's state and the request as a handler does.
async fn members_only(req: Request, session: Session, greeter: State<Greeter>) -> Option<Response> {
    match session.get::<String>("user") {
        Some(name) => {
            req.set(CurrentUser(format!("{} {name}", greeter.0)));
            None
        }
        None => Some(("log in first", 401).into_response()),
    }
}

async fn hooks_take_extractors_as_handlers_do(t: Transport) {
    let app = App::new()
        .secret_key(KEY)
        .state(Generations::default())
        .state(Greeter("hello"))
        .routes(collect_routes![sign_in, member_hello, csrf_token])
        .before_request(members_only_unless_signing_in)
        .access_log(false);
    let client = Client::start(app, t).await;
    let res = client.get("/members/hello").await;
    assert_eq!(
        (res.status, res.text()),
        (401, "log in first".to_owned()),
        "{t:?}"
    );
    let cookie = session_pair(&post_from_fresh_session(&client, "/sign-in/ann").await);
    let res = client
        .call_with("GET", "/members/hello", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(
        (res.status, res.text()),
        (200, "hello ann".to_owned()),
        "{t:?}"
    );
    client.stop().await;
}

async fn members_only_unless_signing_in(
    req: Request,
    session: Session,
    greeter: State<Greeter>,
) -> Option<Response> {
    if req.path().starts_with("/sign-in/") || req.path() == "/csrf-token" {
        return None;
    }
    members_only(req, session, greeter).await
}

on_every_transport!(hooks_take_extractors_as_handlers_do);
