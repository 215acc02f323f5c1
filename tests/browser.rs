//! A real browser: headless Chromium loads the page of `examples/sse.rs`, whose
//! `EventSource` must receive the server's events and write them into the DOM; and it logs
//! in through the form of `examples/login.rs`, keeping the session cookie like any browser;
//! uploads a file through the form of `examples/upload.rs`; and two pages of
//! `examples/chat.rs` talk to each other over WebSockets; and on the board of
//! `examples/board.rs` it registers, adds a task through one page's form and sees it
//! appear live in another page.
//!
//! Needs Chromium at /usr/bin/chromium (Debian: `apt-get install -y chromium`); without
//! it this test fails and says so.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use httpserver_suite::TestServer;

/// The example, compiled in so its app can be served from this test.
#[allow(dead_code)]
#[path = "../examples/sse.rs"]
mod sse_example;

#[allow(dead_code)]
#[path = "../examples/login.rs"]
mod login_example;

#[allow(dead_code)]
#[path = "../examples/upload.rs"]
mod upload_example;

#[allow(dead_code)]
#[path = "../examples/chat.rs"]
mod chat_example;

#[allow(dead_code)]
#[path = "../examples/board.rs"]
mod board_example;

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long the browser may take in all: start, load, receive, dump.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// Events the page waits for before it closes its `EventSource` (`?max=`).
const EVENTS: usize = 5;

/// A browser run: its process group and its scratch directory, both cleaned up on drop,
/// also when the test fails half way.
struct Browser {
    child: Child,
    dir: PathBuf,
}

impl Browser {
    /// Starts headless Chromium on `url`, dumping the DOM into `dir/dom.html` once the
    /// page is done (`--virtual-time-budget` waits for network activity to settle: the
    /// page closes its `EventSource` after `EVENTS` events, which ends it).
    /// `extra`: more command-line switches.
    fn dump_dom(url: &str, virtual_time_ms: u32, extra: &[String]) -> Browser {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("httpserver-browser-{}-{stamp}", std::process::id()));
        let profile = dir.join("profile");
        std::fs::create_dir_all(&profile).expect("create the browser's temp dir");
        let stdout = File::create(dir.join("dom.html")).expect("create dom.html");
        let stderr = File::create(dir.join("stderr.log")).expect("create stderr.log");
        let child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--virtual-time-budget={virtual_time_ms}"))
            .args(extra)
            .arg("--dump-dom")
            .arg(url)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Its own process group, so that its helper processes end with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
        Browser { child, dir }
    }

    /// Waits for the browser to exit, at most `deadline`; whether it did.
    fn wait(&mut self, deadline: Duration) -> bool {
        let until = Instant::now() + deadline;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The group this test started (its id is the browser's pid): the browser and
        // whatever helpers it left.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        if !self.wait(Duration::from_secs(10)) {
            eprintln!(
                "chromium (pid {}) did not exit after SIGKILL",
                self.child.id()
            );
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("could not remove {}: {e}", self.dir.display());
        }
    }
}

/// What a headless run of a page left: its DOM once the page settled, and Chromium's
/// stderr (for the failure message).
struct PageRun {
    dom: String,
    log: String,
}

impl PageRun {
    fn context(&self) -> String {
        format!(
            "DOM:\n{}\nchromium's stderr (tail):\n{}",
            self.dom,
            tail(&self.log)
        )
    }
}

/// `waitFor(check, then, tries)` for the driver pages: calls `then()` once `check()`
/// holds, or `then("timed out")` after `tries` polls. Chromium's `--virtual-time-budget`
/// lets virtual time run ahead whenever no fetch is pending, and an open WebSocket is not
/// a fetch: a page that waited on timers would run out its budget in a few milliseconds
/// of real time while its sockets still talk. So each poll waits on a fetch of `/__hold`,
/// which the server answers after `HOLD`, and virtual time stands still meanwhile.
macro_rules! wait_for_js {
    () => {
        r#"<script>
function waitFor(check, then, tries) {
  if (check()) return then();
  if (tries <= 0) return then("timed out");
  fetch("/__hold?" + tries, { cache: "no-store" })
    .catch(() => {})
    .then(() => waitFor(check, then, tries - 1));
}
</script>"#
    };
}

/// How long `/__hold` keeps each poll of `waitFor` pending, in real time.
const HOLD: Duration = Duration::from_millis(25);

/// Answers after [`HOLD`]: see [`wait_for_js!`].
#[httpserver::get("/__hold")]
async fn hold() -> httpserver::StatusCode {
    tokio::time::sleep(HOLD).await;
    httpserver::StatusCode::NO_CONTENT
}

/// Loads `url` in headless Chromium (virtual time: `virtual_time_ms`) and dumps its DOM;
/// fails the test if Chromium is missing or does not finish within `BROWSER_DEADLINE`.
async fn run_page(url: String, virtual_time_ms: u32) -> PageRun {
    run_page_with(url, virtual_time_ms, Vec::new()).await
}

/// [`run_page`] with more Chromium switches.
async fn run_page_with(url: String, virtual_time_ms: u32, extra: Vec<String>) -> PageRun {
    assert!(
        Path::new(CHROMIUM).exists(),
        "this test needs Chromium at {CHROMIUM}: install it with \
         `apt-get update && apt-get install -y chromium` (Debian/Ubuntu package `chromium`)"
    );
    let (dom, log, exited) = tokio::task::spawn_blocking(move || {
        let mut browser = Browser::dump_dom(&url, virtual_time_ms, &extra);
        let exited = browser.wait(BROWSER_DEADLINE);
        (browser.read("dom.html"), browser.read("stderr.log"), exited)
        // `browser` dropped here: killed, its directory removed.
    })
    .await
    .expect("browser task");
    let page = PageRun { dom, log };
    assert!(
        exited,
        "chromium did not finish within {BROWSER_DEADLINE:?}\n{}",
        page.context()
    );
    page
}

/// The value of `data-count` in the dumped DOM.
fn data_count(dom: &str) -> Option<usize> {
    let start = dom.find("data-count=\"")? + "data-count=\"".len();
    let end = dom[start..].find('"')? + start;
    dom[start..end].parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_receives_server_sent_events() {
    let server = TestServer::start(sse_example::app(Duration::from_millis(100))).await;
    let url = format!("http://{}/?max={EVENTS}", server.addr);

    let page = run_page(url, 2000).await;
    let (dom, context) = (&page.dom, || page.context());
    assert_eq!(
        data_count(dom),
        Some(EVENTS),
        "the page did not count {EVENTS} events\n{}",
        context()
    );
    let items = dom.matches("<li>").count();
    assert_eq!(items, EVENTS, "one <li> per event\n{}", context());
    for id in 1..=EVENTS {
        assert!(
            dom.contains(&format!("<li>#{id} ")),
            "no <li> for the event with id {id}\n{}",
            context()
        );
    }
    assert!(
        dom.contains(" UTC</li>"),
        "events carry the time\n{}",
        context()
    );
    assert!(
        dom.contains(&format!("stopped after {EVENTS} events")),
        "{}",
        context()
    );
    server.stop().await.unwrap();
}

/// The same page over HTTPS: Chromium negotiates HTTP/2 by ALPN, and the `EventSource`
/// receives its events over an HTTP/2 stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_receives_server_sent_events_over_https_and_http2() {
    use std::sync::{Arc, Mutex};
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("rcgen makes a certificate");
    let tls = httpserver::TlsConfig::from_pem(
        made.cert.pem().as_bytes(),
        made.signing_key.serialize_pem().as_bytes(),
    )
    .expect("certificate");
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = {
        let seen = Arc::clone(&seen);
        move |req: httpserver::Request| {
            let line = format!("{:?} {} {}", req.version(), req.scheme(), req.path());
            seen.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            async { None::<httpserver::Response> }
        }
    };
    let app = sse_example::app(Duration::from_millis(100))
        .tls(tls)
        .before_request(record);
    let server = TestServer::start(app).await;
    let url = format!("https://localhost:{}/?max={EVENTS}", server.addr.port());
    let switches = vec![
        // The certificate was made a moment ago, for this test alone.
        "--ignore-certificate-errors".to_owned(),
        // Only IPv4, where the server listens.
        "--host-resolver-rules=MAP localhost 127.0.0.1".to_owned(),
    ];
    let page = run_page_with(url, 2000, switches).await;
    assert_eq!(
        data_count(&page.dom),
        Some(EVENTS),
        "the page did not count {EVENTS} events\n{}",
        page.context()
    );
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        seen.iter().any(|l| l.starts_with("HTTP/2.0 https /events")),
        "the events came over HTTP/2 and TLS: {seen:?}"
    );
    assert!(
        seen.iter().all(|l| l.starts_with("HTTP/2.0 https")),
        "{seen:?}"
    );
    server.stop().await.unwrap();
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Another site's page (the test server under another host name: `localhost` is not
/// `127.0.0.1` to a browser) that posts the login form to the app as soon as it loads:
/// a forged login.
fn forging_page(target: &str) -> String {
    format!(
        r#"<!doctype html><html><body><form id="f" method="post" action="{target}">
<input name="name" value="ann"><input name="password" value="secret-ann"></form>
<script>document.getElementById("f").submit();</script></body></html>"#
    )
}

#[httpserver::get("/__forger/<path:target>")]
async fn forger(target: String) -> httpserver::Html<String> {
    httpserver::Html(forging_page(&format!("http://{target}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_sees_a_cross_site_form_refused_by_the_apps_403_page() {
    let app = login_example::app("a browser test secret of at least 32 bytes")
        .routes(httpserver::collect_routes![forger]);
    let server = TestServer::start(app).await;
    let port = server.addr.port();
    // Served from localhost, posting to 127.0.0.1: two sites to the browser.
    let url = format!("http://localhost:{port}/__forger/127.0.0.1:{port}/login");

    let page = run_page(url, 10_000).await;
    let (dom, context) = (&page.dom, || page.context());
    assert!(
        dom.contains(
            "CSRF check failed: the request comes from another site (Sec-Fetch-Site: cross-site)"
        ),
        "the forged post reaches the app's 403 page, which says why\n{}",
        context()
    );
    server.stop().await.unwrap();
}

/// A page that drives the login example in a same-origin frame, as a user would: it fills
/// in and submits the form, then reports what the members' page says and opens another
/// members' page with the session cookie the browser kept.
const LOGIN_DRIVER: &str = r#"<!doctype html><html><body><div id="result">pending</div>
<iframe id="app" src="/"></iframe>
<script>
const frame = document.getElementById("app");
const result = document.getElementById("result");
let step = 0;
frame.onload = () => {
  const doc = frame.contentDocument;
  if (step === 0) {
    step = 1;
    doc.getElementById("name").value = "ann";
    doc.getElementById("password").value = "secret-ann";
    doc.getElementById("submit").click();
  } else if (step === 1) {
    step = 2;
    const greeting = doc.getElementById("greeting");
    result.textContent = "members=[" + (greeting ? greeting.textContent : "none") + "]"
      + " script-sees-session=" + document.cookie.includes("session");
    frame.src = "/members/notes";
  } else if (step === 2) {
    result.textContent += " notes=" + doc.body.textContent;
    result.setAttribute("data-done", "1");
  }
};
</script></body></html>"#;

#[httpserver::get("/__driver")]
async fn login_driver() -> httpserver::Html<&'static str> {
    httpserver::Html(LOGIN_DRIVER)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_logs_in_through_the_form_and_keeps_the_session() {
    let app = login_example::app("a browser test secret of at least 32 bytes")
        .routes(httpserver::collect_routes![login_driver]);
    let server = TestServer::start(app).await;
    let url = format!("http://{}/__driver", server.addr);

    let page = run_page(url, 10_000).await;
    let (dom, context) = (&page.dom, || page.context());
    assert!(
        dom.contains("data-done=\"1\""),
        "the login did not finish\n{}",
        context()
    );
    assert!(
        dom.contains("members=[Hello, ann!]"),
        "the members' page after logging in\n{}",
        context()
    );
    assert!(
        dom.contains("script-sees-session=false"),
        "the session cookie is HttpOnly\n{}",
        context()
    );
    assert!(
        dom.contains(r#"notes={"notes":["ann's first note"],"user":"ann"}"#),
        "the next members' page, with the kept cookie\n{}",
        context()
    );
    server.stop().await.unwrap();
}

/// A page that uploads a file through the upload example's form in a same-origin frame:
/// the file is made in the page (a script cannot pick one from disk) and put in the form's
/// file input, and the form is submitted as a user's click would; then the listing page
/// must show the file.
const UPLOAD_DRIVER: &str = r#"<!doctype html><html><body><div id="result">pending</div>
<iframe id="app" src="/"></iframe>
<script>
const frame = document.getElementById("app");
const result = document.getElementById("result");
let step = 0;
frame.onload = () => {
  const doc = frame.contentDocument;
  if (step === 0) {
    step = 1;
    const files = new DataTransfer();
    files.items.add(new File(["sent by chromium\n"], "from browser.txt", {type: "text/plain"}));
    doc.getElementById("file").files = files.files;
    doc.getElementById("note").value = "a note";
    doc.getElementById("send").click();
  } else if (step === 1) {
    step = 2;
    result.textContent = "upload=" + doc.body.textContent;
    frame.src = "/";
  } else if (step === 2) {
    result.textContent += " listed=" + doc.getElementById("files").textContent;
    result.setAttribute("data-done", "1");
  }
};
</script></body></html>"#;

#[httpserver::get("/__upload_driver")]
async fn upload_driver() -> httpserver::Html<&'static str> {
    httpserver::Html(UPLOAD_DRIVER)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_uploads_a_file_through_the_form() {
    let dir =
        std::env::temp_dir().join(format!("httpserver-browser-upload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("upload dir");
    let app = upload_example::app(dir.clone()).routes(httpserver::collect_routes![upload_driver]);
    let server = TestServer::start(app).await;
    let url = format!("http://{}/__upload_driver", server.addr);

    let page = run_page(url, 10_000).await;
    let (dom, context) = (&page.dom, || page.context());
    assert!(
        dom.contains("data-done=\"1\""),
        "the upload did not finish\n{}",
        context()
    );
    assert!(
        dom.contains(r#""file":"from_browser.txt""#),
        "the saved name is made safe\n{}",
        context()
    );
    assert!(
        dom.contains(r#""value":"a note""#),
        "the text field\n{}",
        context()
    );
    assert!(
        dom.contains("listed=from_browser.txt"),
        "the listing\n{}",
        context()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("from_browser.txt"))
            .ok()
            .as_deref(),
        Some("sent by chromium\n")
    );
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two frames of the chat page, as two people: each says one thing and leaves after two
/// messages (`until=2`, which marks its body `data-done`); then #result holds what each
/// one saw.
const CHAT_DRIVER: &str = concat!(
    r#"<!doctype html><html><body><pre id="result">pending</pre>
<iframe id="alice" src="/?name=alice&amp;say=hello%20from%20alice&amp;until=2"></iframe>
<iframe id="bob" src="/?name=bob&amp;say=hello%20from%20bob&amp;until=2"></iframe>"#,
    wait_for_js!(),
    r##"<script>
const seen = (id) => {
  const doc = document.getElementById(id).contentDocument;
  if (!doc || !doc.body || doc.body.dataset.done !== "1") return null;
  return Array.from(doc.querySelectorAll("#log li.message")).map((li) => li.textContent).sort();
};
waitFor(() => seen("alice") && seen("bob"), (failed) => {
  const result = document.getElementById("result");
  result.textContent = failed || JSON.stringify({ alice: seen("alice"), bob: seen("bob") });
  result.setAttribute("data-done", "1");
}, 400);
</script></body></html>"##
);

#[httpserver::get("/__chat_driver")]
async fn chat_driver() -> httpserver::Html<&'static str> {
    httpserver::Html(CHAT_DRIVER)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chat_pages_exchange_messages_over_websockets() {
    let app = chat_example::app().routes(httpserver::collect_routes![chat_driver, hold]);
    let server = TestServer::start(app).await;
    let url = format!("http://{}/__chat_driver", server.addr);
    let page = run_page(url, 20_000).await;
    let (dom, context) = (&page.dom, || page.context());
    assert!(
        dom.contains(r#"data-done="1""#),
        "the driver page did not finish\n{}",
        context()
    );
    let both = r#"["alice: hello from alice","bob: hello from bob"]"#;
    let expected = format!(r#"{{"alice":{both},"bob":{both}}}"#);
    assert!(
        dom.contains(&expected),
        "each page sees its own message and the other's\n{}",
        context()
    );
    server.stop().await.unwrap();
}

/// Drives the board in two same-origin frames, as two tabs of one user: frame A registers
/// and stays on the task list (its WebSocket open); once A's live feed is on, frame B
/// opens the list and adds a task through its form; A must show the task without a
/// reload. Then A is closed, so the page's network settles.
const BOARD_DRIVER: &str = concat!(
    r#"<!doctype html><html><body><div id="result">pending</div>
<iframe id="a" src="/register"></iframe><iframe id="b"></iframe>"#,
    wait_for_js!(),
    r#"<script>
const a = document.getElementById("a"), b = document.getElementById("b");
const result = document.getElementById("result");
const title = "Buy milk, said Chromium <b>";
const finish = (text) => { result.textContent = text; a.src = "about:blank"; result.setAttribute("data-done", "1"); };
const poll = (check, then, tries) => waitFor(check, (failed) => failed
  ? finish("timed out: " + (a.contentDocument ? a.contentDocument.body.innerText : "no page"))
  : then(), tries);
let stepA = 0, stepB = 0;
a.onload = () => {
  const doc = a.contentDocument;
  if (stepA === 0) {
    stepA = 1;
    doc.getElementById("name").value = "chromium";
    doc.getElementById("password").value = "a long password";
    doc.getElementById("submit").click();
  } else if (stepA === 1) {
    stepA = 2;
    const status = () => doc.getElementById("live-status").textContent;
    poll(() => status() === "Live updates: on", () => { b.src = "/tasks/"; }, 400);
  }
};
b.onload = () => {
  const doc = b.contentDocument;
  if (stepB === 0) {
    stepB = 1;
    doc.getElementById("title").value = title;
    doc.getElementById("add").click();
  } else if (stepB === 1) {
    stepB = 2;
    const flash = doc.querySelector(".flash") ? doc.querySelector(".flash").textContent : "none";
    const list = () => a.contentDocument.getElementById("tasks").innerText;
    poll(() => list().includes(title), () => finish("flash=[" + flash + "] live=[" + list() + "]"), 400);
  }
};
</script></body></html>"#
);

#[httpserver::get("/__board_driver")]
async fn board_driver() -> httpserver::Html<&'static str> {
    httpserver::Html(BOARD_DRIVER)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_adds_a_task_on_the_board_and_another_page_sees_it_live() {
    let data = std::env::temp_dir().join(format!("board-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let app = board_example::app("the board's browser test secret, 32+ bytes", &data)
        .await
        .expect("the board starts")
        .routes(httpserver::collect_routes![board_driver, hold]);
    let server = TestServer::start(app).await;
    let url = format!("http://{}/__board_driver", server.addr);

    let page = run_page(url, 20_000).await;
    let (dom, context) = (&page.dom, || page.context());
    assert!(
        dom.contains("data-done=\"1\""),
        "the board run did not finish\n{}",
        context()
    );
    assert!(
        dom.contains("flash=[Added “Buy milk, said Chromium &lt;b&gt;”.]"),
        "the adding page shows the flash\n{}",
        context()
    );
    assert!(
        dom.contains("live=[Buy milk, said Chromium &lt;b&gt; by chromium"),
        "the other page shows the task, as text, without a reload\n{}",
        context()
    );
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&data);
}
