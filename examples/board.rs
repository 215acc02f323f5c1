//! A task board for a team, on http://127.0.0.1:8008: register and log in, add tasks through
//! a form (or the JSON API), attach files, and watch every open page update live.
//!
//! ```text
//! cargo run --example board
//! APP_SECRET=$(head -c 48 /dev/urandom | base64) BOARD_DATA=/var/lib/board cargo run --example board
//! ```
//!
//! SQLite through sqlx (`board-data/board.sqlite3` unless `BOARD_DATA` says where, the
//! migrations in `board/migrations` run at start-up), templates in `board/templates`, Argon2
//! password hashes, flash messages, CSRF tokens in every form, uploads streamed to disk and
//! downloaded under their own names, and a WebSocket that tells every page what changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use httpserver::templates::{context, Template};
use httpserver::ws::{Message, WebSocketUpgrade};
use httpserver::{
    collect_routes, get, post, secure_filename, App, Error, Form, HttpError, IntoResponse, Json,
    OrAbort, Redirect, Request, Response, Session, State, StatusCode,
};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use tokio::sync::broadcast;

/// What the handlers share: the database, where uploads go, and the live feed.
#[derive(Clone)]
pub struct Board {
    db: SqlitePool,
    uploads: Arc<PathBuf>,
    live: broadcast::Sender<String>,
}

/// The member a request is from, loaded by the members' hook.
#[derive(Clone, Debug, Serialize)]
pub struct Member {
    id: i64,
    name: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Task {
    id: i64,
    title: String,
    notes: String,
    done: bool,
    author: String,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
struct Attachment {
    id: i64,
    file_name: String,
    size: i64,
}

const TASK_COLUMNS: &str = "SELECT tasks.id, title, notes, done, users.name AS author \
                            FROM tasks JOIN users ON users.id = tasks.author_id";

impl Board {
    /// Opens (or creates) the database under `data` and brings its schema up to date.
    pub async fn open(data: &Path) -> Result<Board, Error> {
        let uploads = data.join("uploads");
        tokio::fs::create_dir_all(&uploads).await?;
        let options = SqliteConnectOptions::new()
            .filename(data.join("board.sqlite3"))
            .create_if_missing(true)
            .foreign_keys(true);
        let db = SqlitePoolOptions::new().connect_with(options).await?;
        sqlx::migrate!("examples/board/migrations").run(&db).await?;
        Ok(Board {
            db,
            uploads: Arc::new(uploads),
            live: broadcast::channel(64).0,
        })
    }

    async fn tasks(&self) -> Result<Vec<Task>, sqlx::Error> {
        let sql = format!("{TASK_COLUMNS} ORDER BY tasks.id DESC");
        sqlx::query_as(&sql).fetch_all(&self.db).await
    }

    async fn task(&self, id: i64) -> Result<Option<Task>, sqlx::Error> {
        let sql = format!("{TASK_COLUMNS} WHERE tasks.id = ?");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.db).await
    }

    async fn create(&self, author: &Member, input: &TaskInput) -> Result<Task, Error> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (title, notes, done, author_id) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(input.title.trim())
        .bind(&input.notes)
        .bind(input.done)
        .bind(author.id)
        .fetch_one(&self.db)
        .await?;
        self.changed("created", id).await
    }

    async fn update(&self, id: i64, input: &TaskInput) -> Result<Task, Error> {
        sqlx::query("UPDATE tasks SET title = ?, notes = ?, done = ? WHERE id = ?")
            .bind(input.title.trim())
            .bind(&input.notes)
            .bind(input.done)
            .bind(id)
            .execute(&self.db)
            .await?;
        self.changed("updated", id).await
    }

    async fn delete(&self, id: i64) -> Result<(), Error> {
        let task = self.task(id).await?.or_404()?;
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT stored_name FROM attachments WHERE task_id = ?")
                .bind(id)
                .fetch_all(&self.db)
                .await?;
        sqlx::query("DELETE FROM tasks WHERE id = ?")
            .bind(id)
            .execute(&self.db)
            .await?;
        for name in stored {
            let _ = tokio::fs::remove_file(self.uploads.join(name)).await;
        }
        self.announce("deleted", &task);
        Ok(())
    }

    /// The task as it now is, told to every open page.
    async fn changed(&self, kind: &str, id: i64) -> Result<Task, Error> {
        let task = self.task(id).await?.or_404()?;
        self.announce(kind, &task);
        Ok(task)
    }

    fn announce(&self, kind: &str, task: &Task) {
        let event = serde_json::json!({"kind": kind, "task": task});
        let _ = self.live.send(event.to_string()); // no page open is fine
    }

    async fn attachments(&self, task_id: i64) -> Result<Vec<Attachment>, sqlx::Error> {
        sqlx::query_as("SELECT id, file_name, size FROM attachments WHERE task_id = ? ORDER BY id")
            .bind(task_id)
            .fetch_all(&self.db)
            .await
    }
}

// ---------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

impl Credentials {
    /// What is wrong with a registration, field by field.
    fn problems(&self) -> Vec<&'static str> {
        let mut problems = Vec::new();
        let name_ok = (3..=32).contains(&self.name.chars().count())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            problems.push("A name is 3 to 32 letters, digits, '-' or '_'.");
        }
        if self.password.chars().count() < 8 {
            problems.push("A password has at least 8 characters.");
        }
        problems
    }
}

#[get("/")]
async fn index(session: Session) -> Redirect {
    match session.get::<i64>("member") {
        Some(_) => Redirect::to(httpserver::url_for!(tasks::list)),
        None => Redirect::to(httpserver::url_for!(login_page)),
    }
}

#[get("/login")]
async fn login_page() -> Template {
    Template::render("login.html", context! { mode => "login" })
}

#[get("/register")]
async fn register_page() -> Template {
    Template::render("login.html", context! { mode => "register" })
}

#[post("/register")]
async fn register(
    board: State<Board>,
    session: Session,
    Form(form): Form<Credentials>,
) -> Result<Response, Error> {
    let mut problems = form.problems();
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = ?")
        .bind(&form.name)
        .fetch_optional(&board.db)
        .await?;
    if taken.is_some() {
        problems.push("That name is taken.");
    }
    if !problems.is_empty() {
        let page = context! { mode => "register", name => form.name, problems };
        return Ok((Template::render("login.html", page), 422).into_response());
    }
    let hash = hash_password(form.password).await?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO users (name, password_hash) VALUES (?, ?) RETURNING id")
            .bind(&form.name)
            .bind(hash)
            .fetch_one(&board.db)
            .await?;
    log_in(&session, id)?;
    session.flash("success", format!("Welcome, {}!", form.name));
    Ok(Redirect::to(httpserver::url_for!(tasks::list)).into_response())
}

#[post("/login")]
async fn login(
    board: State<Board>,
    session: Session,
    Form(form): Form<Credentials>,
) -> Result<Response, Error> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE name = ?")
            .bind(&form.name)
            .fetch_optional(&board.db)
            .await?;
    let verified = match row {
        Some((id, hash)) => verify_password(form.password, hash).await?.then_some(id),
        None => None,
    };
    let Some(member) = verified else {
        let problems = vec!["Wrong name or password."];
        let page = context! { mode => "login", name => form.name, problems };
        return Ok((Template::render("login.html", page), 401).into_response());
    };
    log_in(&session, member)?;
    session.flash("success", "Logged in.");
    Ok(Redirect::to(httpserver::url_for!(tasks::list)).into_response())
}

#[post("/logout")]
async fn logout(session: Session) -> Redirect {
    session.clear();
    session.flash("info", "Logged out.");
    Redirect::to(httpserver::url_for!(login_page))
}

/// A fresh session for the member: nothing from before the login carries over.
fn log_in(session: &Session, member: i64) -> Result<(), HttpError> {
    session.clear();
    session.insert("member", &member)
}

/// Argon2id with a random salt, off the async threads: hashing is slow on purpose.
async fn hash_password(password: String) -> Result<String, Error> {
    let hash = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await?;
    hash.map_err(|e| Error::msg(format!("password hashing failed: {e}")))
}

async fn verify_password(password: String, hash: String) -> Result<bool, Error> {
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    })
    .await?)
}

/// Before every members' route: the member from the session, or no entry.
async fn members_only(req: Request, session: Session, board: State<Board>) -> Option<Response> {
    let found = match session.get::<i64>("member") {
        Some(id) => sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&board.db)
            .await
            .map_err(Error::from),
        None => Ok(None),
    };
    match found {
        Ok(Some((id, name))) => {
            req.set(Member { id, name });
            None
        }
        Ok(None) if req.path().starts_with("/api/") => {
            Some(HttpError::new(401, "log in first").into_response())
        }
        Ok(None) => {
            session.flash("info", "Log in to see the board.");
            Some(Redirect::to(httpserver::url_for!(login_page)).into_response())
        }
        Err(e) => Some(Result::<(), Error>::Err(e).into_response()),
    }
}

// ---------------------------------------------------------------------------------------
// Tasks: pages with forms, and the live feed
// ---------------------------------------------------------------------------------------

/// A task as a form or the API sends it.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TaskInput {
    #[serde(default)]
    title: String,
    #[serde(default)]
    notes: String,
    #[serde(default, deserialize_with = "checkbox")]
    done: bool,
}

/// A checkbox: `on` (or `true`) when ticked, absent when not; JSON sends a bool.
fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ticked {
        Bool(bool),
        Text(String),
    }
    Ok(match Ticked::deserialize(d)? {
        Ticked::Bool(b) => b,
        Ticked::Text(t) => matches!(t.as_str(), "on" | "true" | "1"),
    })
}

impl TaskInput {
    fn problems(&self) -> Vec<&'static str> {
        match self.title.trim().chars().count() {
            0 => vec!["A task needs a title."],
            201.. => vec!["A title has at most 200 characters."],
            _ => Vec::new(),
        }
    }
}

#[httpserver::group("/tasks")]
pub mod tasks {
    use super::*;
    use httpserver::{Ext, FileResponse, Multipart};

    /// The list, with the form for a new task (filled in again, with what was wrong, when
    /// a post was refused).
    async fn list_page(
        board: &Board,
        member: &Member,
        input: &TaskInput,
        problems: Vec<&str>,
    ) -> Result<Template, Error> {
        let tasks = board.tasks().await?;
        Ok(Template::render(
            "tasks.html",
            context! { member, tasks, input, problems },
        ))
    }

    #[get("/")]
    pub async fn list(board: State<Board>, Ext(member): Ext<Member>) -> Result<Template, Error> {
        list_page(&board, &member, &TaskInput::default(), Vec::new()).await
    }

    #[post("/")]
    pub async fn create(
        board: State<Board>,
        Ext(member): Ext<Member>,
        session: Session,
        Form(input): Form<TaskInput>,
    ) -> Result<Response, Error> {
        let problems = input.problems();
        if !problems.is_empty() {
            let page = list_page(&board, &member, &input, problems).await?;
            return Ok((page, 422).into_response());
        }
        let task = board.create(&member, &input).await?;
        session.flash("success", format!("Added \u{201c}{}\u{201d}.", task.title));
        Ok(Redirect::to(httpserver::url_for!(list)).into_response())
    }

    async fn task_page(
        board: &Board,
        member: &Member,
        task: Task,
        problems: Vec<&str>,
    ) -> Result<Template, Error> {
        let files = board.attachments(task.id).await?;
        Ok(Template::render(
            "task.html",
            context! { member, task, files, problems },
        ))
    }

    #[get("/<int:id>")]
    pub async fn show(
        board: State<Board>,
        Ext(member): Ext<Member>,
        id: i64,
    ) -> Result<Template, Error> {
        let task = board.task(id).await?.or_404()?;
        task_page(&board, &member, task, Vec::new()).await
    }

    #[post("/<int:id>")]
    pub async fn update(
        board: State<Board>,
        Ext(member): Ext<Member>,
        session: Session,
        id: i64,
        Form(input): Form<TaskInput>,
    ) -> Result<Response, Error> {
        let task = board.task(id).await?.or_404()?;
        let problems = input.problems();
        if !problems.is_empty() {
            let edited = Task {
                title: input.title,
                notes: input.notes,
                done: input.done,
                ..task
            };
            let page = task_page(&board, &member, edited, problems).await?;
            return Ok((page, 422).into_response());
        }
        board.update(id, &input).await?;
        session.flash("success", "Saved.");
        Ok(Redirect::to(httpserver::url_for!(show, id = id)).into_response())
    }

    #[post("/<int:id>/delete")]
    pub async fn delete(board: State<Board>, session: Session, id: i64) -> Result<Redirect, Error> {
        board.delete(id).await?;
        session.flash("info", "Task deleted.");
        Ok(Redirect::to(httpserver::url_for!(list)))
    }

    /// A file attached to a task: streamed to disk under a name of our making, its own
    /// name kept (made safe) for the download. The form's CSRF field comes first.
    #[post("/<int:id>/files", max_body_size = super::MAX_UPLOAD)]
    pub async fn attach(
        board: State<Board>,
        session: Session,
        id: i64,
        mut form: Multipart,
    ) -> Result<Redirect, Error> {
        board.task(id).await?.or_404()?;
        while let Some(mut field) = form.next_field().await? {
            let Some(file_name) = field.file_name().map(secure_filename) else {
                continue; // the CSRF field
            };
            if file_name.is_empty() {
                continue; // the form was sent without a file
            }
            let attachment_id: i64 = sqlx::query_scalar(
                "INSERT INTO attachments (task_id, file_name, stored_name, size) \
                 VALUES (?, ?, lower(hex(randomblob(16))), 0) RETURNING id",
            )
            .bind(id)
            .bind(&file_name)
            .fetch_one(&board.db)
            .await?;
            let stored: String =
                sqlx::query_scalar("SELECT stored_name FROM attachments WHERE id = ?")
                    .bind(attachment_id)
                    .fetch_one(&board.db)
                    .await?;
            let size = field.save_to(board.uploads.join(&stored)).await?;
            sqlx::query("UPDATE attachments SET size = ? WHERE id = ?")
                .bind(i64::try_from(size).unwrap_or(i64::MAX))
                .bind(attachment_id)
                .execute(&board.db)
                .await?;
            session.flash("success", format!("Attached {file_name}."));
        }
        Ok(Redirect::to(httpserver::url_for!(show, id = id)))
    }

    /// A download under the name it was uploaded with; the file on disk is found by the
    /// database's record, never by a name the client sent.
    #[get("/<int:id>/files/<int:file_id>")]
    pub async fn download(
        board: State<Board>,
        id: i64,
        file_id: i64,
    ) -> Result<FileResponse, Error> {
        let (stored, name): (String, String) = sqlx::query_as(
            "SELECT stored_name, file_name FROM attachments WHERE id = ? AND task_id = ?",
        )
        .bind(file_id)
        .bind(id)
        .fetch_optional(&board.db)
        .await?
        .or_404()?;
        Ok(FileResponse::from_dir(board.uploads.as_path(), &stored).with_download_name(name))
    }

    /// Every change to the board, as it happens, to each open page.
    #[get("/live")]
    pub async fn live(board: State<Board>, ws: WebSocketUpgrade) -> Response {
        let mut changes = board.live.subscribe();
        ws.on_upgrade(move |mut socket| async move {
            loop {
                tokio::select! {
                    change = changes.recv() => match change {
                        Ok(line) => {
                            if socket.send(Message::Text(line)).await.is_err() {
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    incoming = socket.recv() => if !matches!(incoming, Some(Ok(_))) {
                        return;
                    },
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// The JSON API, for scripts (same session and members' hook)
// ---------------------------------------------------------------------------------------

#[httpserver::group("/api")]
pub mod api {
    use super::*;
    use httpserver::{delete, put, Ext, Query};

    #[derive(Deserialize)]
    pub struct Filter {
        done: Option<bool>,
    }

    #[get("/tasks")]
    pub async fn list(
        board: State<Board>,
        Query(filter): Query<Filter>,
    ) -> Result<Json<Vec<Task>>, Error> {
        let tasks = board.tasks().await?;
        Ok(Json(
            tasks
                .into_iter()
                .filter(|t| filter.done.is_none_or(|done| t.done == done))
                .collect(),
        ))
    }

    #[post("/tasks")]
    pub async fn create(
        board: State<Board>,
        Ext(member): Ext<Member>,
        Json(input): Json<TaskInput>,
    ) -> Result<(Json<Task>, StatusCode), Error> {
        if let Some(problem) = input.problems().first() {
            return Err(HttpError::new(422, *problem).into());
        }
        Ok((
            Json(board.create(&member, &input).await?),
            StatusCode::CREATED,
        ))
    }

    #[get("/tasks/<int:id>")]
    pub async fn show(board: State<Board>, id: i64) -> Result<Json<Task>, Error> {
        Ok(Json(board.task(id).await?.or_404()?))
    }

    #[put("/tasks/<int:id>")]
    pub async fn update(
        board: State<Board>,
        id: i64,
        Json(input): Json<TaskInput>,
    ) -> Result<Json<Task>, Error> {
        board.task(id).await?.or_404()?;
        if let Some(problem) = input.problems().first() {
            return Err(HttpError::new(422, *problem).into());
        }
        Ok(Json(board.update(id, &input).await?))
    }

    #[delete("/tasks/<int:id>")]
    pub async fn remove(board: State<Board>, id: i64) -> Result<StatusCode, Error> {
        board.delete(id).await?;
        Ok(StatusCode::NO_CONTENT)
    }
}

/// The largest attachment.
const MAX_UPLOAD: usize = 10 * 1024 * 1024;

/// Error pages: JSON for the API, a page for people.
async fn error_page(req: Request, error: HttpError) -> Response {
    let status = error.status();
    if req.path().starts_with("/api/") {
        let body = serde_json::json!({"error": error.message(), "status": status.as_u16()});
        return (Json(body), status).into_response();
    }
    let page = context! { status => status.as_u16(), message => error.message() };
    (Template::render("error.html", page), status).into_response()
}

/// The board's app, with its data under `data`.
pub async fn app(secret: &str, data: &Path) -> Result<App, Error> {
    let board = Board::open(data).await?;
    let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/board/templates");
    Ok(App::new()
        .secret_key(secret)
        .state(board)
        .templates(templates)
        .routes(collect_routes![
            index,
            login_page,
            register_page,
            register,
            login,
            logout
        ])
        .group(tasks::group().before_request(members_only))
        .group(api::group().before_request(members_only))
        .error_handler(400, error_page)
        .error_handler(401, error_page)
        .error_handler(403, error_page)
        .error_handler(404, error_page)
        .error_handler(413, error_page)
        .error_handler(422, error_page)
        .error_handler(500, error_page))
}

/// The secret that seals sessions: from the environment; a fixed demo key otherwise.
fn secret() -> String {
    std::env::var("APP_SECRET").unwrap_or_else(|_| {
        eprintln!("APP_SECRET is not set: using the demo key (never do this in production)");
        "the board example's demo key, not a secret at all".to_owned()
    })
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Error> {
    let data =
        std::env::var_os("BOARD_DATA").map_or_else(|| PathBuf::from("board-data"), PathBuf::from);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8008").await?;
    println!(
        "the board: http://127.0.0.1:8008 (data in {})",
        data.display()
    );
    app(&secret(), &data).await?.serve(listener).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use httpserver::{TestClient, TestMultipart};
    use serde_json::{json, Value};

    const SECRET: &str = "the board's test secret, 32 bytes or more";

    /// A board on a fresh database of its own.
    pub async fn fresh_app() -> App {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let data = std::env::temp_dir().join(format!("board-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        app(SECRET, &data)
            .await
            .expect("the board starts")
            .access_log(false)
    }

    /// The CSRF token of the first form on the page at `path`, as a browser posts it back.
    async fn form_token(client: &TestClient, path: &str) -> String {
        let page = client.get(path).send().await.text();
        let after = page.split("name=\"csrf_token\" value=\"").nth(1);
        let token = after.and_then(|rest| rest.split('"').next());
        token
            .unwrap_or_else(|| panic!("no form on {path}: {page}"))
            .to_owned()
    }

    async fn register(client: &TestClient, name: &str) -> httpserver::TestResponse {
        let token = form_token(client, "/register").await;
        let form = [
            ("csrf_token", token.as_str()),
            ("name", name),
            ("password", "a long password"),
        ];
        client.post("/register").form(&form).send().await
    }

    #[tokio::test]
    async fn register_log_out_and_in_with_problems_shown_in_the_form() {
        let client = fresh_app().await.test_client();
        assert_eq!(
            client.get("/tasks/").send().await.header("location"),
            Some("/login")
        );

        let token = form_token(&client, "/register").await;
        let bad = [
            ("csrf_token", token.as_str()),
            ("name", "a b"),
            ("password", "short"),
        ];
        let res = client.post("/register").form(&bad).send().await;
        assert_eq!(res.status(), 422);
        let page = res.text();
        assert!(
            page.contains("A name is 3 to 32 letters") && page.contains("at least 8 characters")
        );
        assert!(page.contains("value=\"a b\""), "the name is shown again");

        assert_eq!(
            register(&client, "ann").await.header("location"),
            Some("/tasks/")
        );
        let tasks = client.get("/tasks/").send().await.text();
        assert!(tasks.contains("Welcome, ann!") && tasks.contains("<span>ann</span>"));
        let other = another_browser(&client);
        let res = register(&other, "ann").await;
        assert_eq!(res.status(), 422);
        assert!(res.text().contains("That name is taken."));

        let token = form_token(&client, "/tasks/").await;
        let res = client
            .post("/logout")
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await;
        assert_eq!(res.header("location"), Some("/login"));
        assert!(client
            .get("/login")
            .send()
            .await
            .text()
            .contains("Logged out."));
        let token = form_token(&client, "/login").await;
        let wrong = [
            ("csrf_token", token.as_str()),
            ("name", "ann"),
            ("password", "nope nope"),
        ];
        let res = client.post("/login").form(&wrong).send().await;
        assert_eq!(res.status(), 401);
        assert!(res.text().contains("Wrong name or password."));
        let right = [
            ("csrf_token", token.as_str()),
            ("name", "ann"),
            ("password", "a long password"),
        ];
        let res = client.post("/login").form(&right).send().await;
        assert_eq!(res.header("location"), Some("/tasks/"));
    }

    /// A second client of the same app with cookies of its own: another browser.
    fn another_browser(client: &TestClient) -> TestClient {
        client.clone().keep_cookies(true)
    }

    #[tokio::test]
    async fn tasks_through_forms_with_validation_flash_and_csrf() {
        let client = fresh_app().await.test_client();
        register(&client, "ann").await;

        let res = client
            .post("/tasks/")
            .form(&[("title", "no token")])
            .send()
            .await;
        assert_eq!(res.status(), 403);
        assert!(
            res.text()
                .contains("CSRF check failed: the CSRF token is missing"),
            "the board's 403 page"
        );

        let token = form_token(&client, "/tasks/").await;
        let empty = [
            ("csrf_token", token.as_str()),
            ("title", "  "),
            ("notes", "kept"),
        ];
        let res = client.post("/tasks/").form(&empty).send().await;
        assert_eq!(res.status(), 422);
        assert!(
            res.text().contains("A task needs a title.") && res.text().contains(">kept</textarea>")
        );

        let new = [
            ("csrf_token", token.as_str()),
            ("title", "Water <the> plants"),
            ("notes", ""),
        ];
        let res = client.post("/tasks/").form(&new).send().await;
        assert_eq!(res.header("location"), Some("/tasks/"));
        let list = client.get("/tasks/").send().await.text();
        assert!(
            list.contains("Added \u{201c}Water &lt;the&gt; plants\u{201d}."),
            "{list}"
        );
        assert!(list
            .contains("<a href=\"/tasks/1\">Water &lt;the&gt; plants</a> <small>by ann</small>"));

        let token = form_token(&client, "/tasks/1").await;
        let edit = [
            ("csrf_token", token.as_str()),
            ("title", "Water plants"),
            ("notes", "twice"),
            ("done", "on"),
        ];
        let res = client.post("/tasks/1").form(&edit).send().await;
        assert_eq!(res.header("location"), Some("/tasks/1"));
        let page = client.get("/tasks/1").send().await.text();
        assert!(
            page.contains("Saved.")
                && page.contains("class=\"done\">Water plants</h1>")
                && page.contains("checked")
        );

        let token = form_token(&client, "/tasks/1").await;
        let res = client
            .post("/tasks/1/delete")
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await;
        assert_eq!(res.header("location"), Some("/tasks/"));
        assert_eq!(client.get("/tasks/1").send().await.status(), 404);
    }

    #[tokio::test]
    async fn files_upload_with_the_token_first_and_download_under_their_name() {
        let client = fresh_app().await.test_client();
        register(&client, "ann").await;
        let token = form_token(&client, "/tasks/").await;
        client
            .post("/tasks/")
            .form(&[("csrf_token", token.as_str()), ("title", "Report")])
            .send()
            .await;

        let token = form_token(&client, "/tasks/1").await;
        let form = TestMultipart::new().text("csrf_token", &token).file(
            "file",
            "../../etc/quarterly report.pdf",
            "application/pdf",
            b"%PDF-1.7 bytes".to_vec(),
        );
        let res = client.post("/tasks/1/files").multipart(form).send().await;
        assert_eq!(res.header("location"), Some("/tasks/1"));
        let page = client.get("/tasks/1").send().await.text();
        assert!(
            page.contains("Attached etc_quarterly_report.pdf."),
            "a safe name: {page}"
        );
        let res = client.get("/tasks/1/files/1").send().await;
        assert_eq!(res.bytes().as_ref(), b"%PDF-1.7 bytes");
        let disposition = res.header("content-disposition").unwrap_or_default();
        assert!(
            disposition.contains("etc_quarterly_report.pdf"),
            "{disposition}"
        );
        assert_eq!(client.get("/tasks/1/files/2").send().await.status(), 404);
        assert_eq!(
            client.get("/tasks/2/files/1").send().await.status(),
            404,
            "another task's file"
        );
    }

    #[tokio::test]
    async fn the_json_api_shares_the_session_and_answers_errors_in_json() {
        let client = fresh_app().await.test_client();
        let res = client.get("/api/tasks").send().await;
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.json::<Value>(),
            json!({"error": "log in first", "status": 401})
        );
        register(&client, "ann").await;

        let res = client
            .post("/api/tasks")
            .json(&json!({"title": "API task"}))
            .send()
            .await;
        assert_eq!(
            res.status(),
            201,
            "JSON needs no CSRF token: {}",
            res.text()
        );
        assert_eq!(res.json::<Value>()["author"], "ann");
        let res = client
            .post("/api/tasks")
            .json(&json!({"title": ""}))
            .send()
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>()["error"], "A task needs a title.");

        let done = json!({"title": "API task", "notes": "n", "done": true});
        let res = client.put("/api/tasks/1").json(&done).send().await;
        assert_eq!(res.json::<Value>()["done"], true);
        client
            .post("/api/tasks")
            .json(&json!({"title": "open"}))
            .send()
            .await;
        let open: Vec<Value> = client.get("/api/tasks?done=false").send().await.json();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0]["title"], "open");

        assert_eq!(client.delete("/api/tasks/1").send().await.status(), 204);
        let res = client.get("/api/tasks/1").send().await;
        assert_eq!(
            (res.status().as_u16(), res.json::<Value>()["status"].clone()),
            (404, json!(404))
        );
    }
}
