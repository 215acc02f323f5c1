//! API §5: `App::static_files` and `FileResponse`: content types, validators, conditional
//! and range requests, directory indexes, and a table of path traversal attempts that must
//! never reach a file outside the mounted directory. Each test runs over a real socket and
//! through the in-process test client (`name::socket`, `name::in_process`); what only the
//! wire shows (a HEAD response's framing on a kept-alive connection) is socket-only.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use httpserver::{collect_routes, get, App, FileResponse, HttpError, Json, Request, State};
use httpserver_suite::{
    exchange_on_every, on_every_transport, request, Client, HttpResponse, TestServer, Transport,
};
use serde_json::json;

/// Only the file outside the root contains this; no response may ever carry it.
const SECRET: &str = "SECRET-MARKER-5b1f0e9d-never-served";
/// Size of the large file: big enough to need many 64 KiB chunks.
const BIG: usize = 3 * 1024 * 1024 + 12_345;

// ---------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------

/// A fresh directory tree per test, removed when the test ends:
///
/// ```text
/// base/
///   secret.txt            (SECRET, outside the root)
///   index.html            (SECRET, outside the root: a dir symlink must not serve it)
///   public2/secret.txt    (SECRET, a sibling whose name extends the root's)
///   public/               (the root)
///     index.html style.css app.js data.json logo.png notes.txt blob.unknownext noext
///     empty.txt big.bin special.txt "with space.txt" café.txt
///     sub/index.html sub/page.html noindex/file.txt
///     link_inside.txt -> notes.txt, link_to_secret.txt -> ../secret.txt,
///     link_sibling.txt -> ../public2/secret.txt, link_dir_out -> .. (base)
/// ```
struct Fixture {
    base: PathBuf,
    root: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn png_bytes() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0u8..=255).cycle().take(300));
    png
}

fn big_bytes() -> Vec<u8> {
    (0..BIG).map(|i| (i * 31 % 251) as u8).collect()
}

impl Fixture {
    fn new() -> Fixture {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir().join(format!(
            "httpserver-static-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let root = base.join("public");
        let write = |rel: &str, bytes: &[u8]| {
            let path = base.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        };
        write("secret.txt", SECRET.as_bytes());
        write("index.html", SECRET.as_bytes());
        write("public2/secret.txt", SECRET.as_bytes());
        write("public/index.html", b"<h1>root index</h1>");
        write("public/style.css", b"body { color: red; }");
        write("public/app.js", b"console.log('hi');");
        write("public/data.json", br#"{"ok":true}"#);
        write("public/logo.png", &png_bytes());
        write("public/notes.txt", b"0123456789abcdefghijklmnopqrstuvwxyz");
        write("public/blob.unknownext", b"\x00\x01\x02");
        write("public/noext", b"no extension");
        write("public/empty.txt", b"");
        write("public/big.bin", &big_bytes());
        // Either side of the size up to which a file is read with its opening (64 KiB).
        write("public/edge_64k.bin", &big_bytes()[..64 * 1024]);
        write("public/edge_64k1.bin", &big_bytes()[..64 * 1024 + 1]);
        write("public/special.txt", b"from the file");
        write("public/with space.txt", b"spaced");
        write("public/caf\u{e9}.txt", b"accented");
        write("public/sub/index.html", b"<h1>sub index</h1>");
        write("public/sub/page.html", b"<p>sub page</p>");
        write("public/noindex/file.txt", b"listed? never");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(root.join("notes.txt"), root.join("link_inside.txt")).unwrap();
            symlink(base.join("secret.txt"), root.join("link_to_secret.txt")).unwrap();
            symlink("../public2/secret.txt", root.join("link_sibling.txt")).unwrap();
            symlink(&base, root.join("link_dir_out")).unwrap();
        }
        Fixture { base, root }
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.root.join(rel)).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------

/// Where the `FileResponse` routes look for files.
struct Files {
    dir: PathBuf,
}

#[get("/assets/special.txt")]
async fn special() -> &'static str {
    "from the route"
}

#[get("/file/<name>")]
async fn file(name: String, files: State<Files>) -> FileResponse {
    FileResponse::new(files.dir.join(name))
}

#[get("/download/<name>")]
async fn download(name: String, req: Request, files: State<Files>) -> FileResponse {
    let as_name = req.query("as").unwrap_or("report.txt").to_owned();
    FileResponse::new(files.dir.join(name)).with_download_name(as_name)
}

/// A client-given name taken as `PathBuf`: `..`, roots, drives and NUL never match.
#[get("/byname/<name>")]
async fn by_name(name: PathBuf, files: State<Files>) -> FileResponse {
    FileResponse::new(files.dir.join(name))
}

#[get("/bypath/<path:rel>")]
async fn by_path(rel: PathBuf, files: State<Files>) -> FileResponse {
    FileResponse::new(files.dir.join(rel))
}

/// A client-given path, trusted by nothing: `from_dir` keeps it inside, symlinks resolved.
#[get("/fromdir/<path:rel>")]
async fn from_dir(rel: String, files: State<Files>) -> FileResponse {
    FileResponse::from_dir(&files.dir, &rel)
}

async fn json_404(_req: Request, err: HttpError) -> (Json<serde_json::Value>, u16) {
    (Json(json!({"error": err.message()})), 404)
}

fn app(fx: &Fixture) -> App {
    App::new()
        .state(Files {
            dir: fx.root.clone(),
        })
        .routes(collect_routes![
            special, file, download, by_name, by_path, from_dir
        ])
        .static_files("/assets", &fx.root)
}

async fn start(fx: &Fixture, t: Transport) -> Client {
    Client::start(app(fx), t).await
}

async fn get_with(client: &Client, target: &str, headers: &[(&str, &str)]) -> HttpResponse {
    client.call_with("GET", target, headers, "").await
}

#[track_caller]
fn assert_file(res: &HttpResponse, content_type: &str, body: &[u8]) {
    res.assert_status(200);
    assert_eq!(res.header("content-type"), Some(content_type), "{res:?}");
    let len = body.len().to_string();
    assert_eq!(res.header("content-length"), Some(len.as_str()), "{res:?}");
    assert_eq!(res.body, body, "body of {res:?}");
    let etag = res.header("etag").expect("an ETag");
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "quoted strong ETag: {etag}"
    );
    let date = res.header("last-modified").expect("a Last-Modified");
    assert!(
        date.ends_with(" GMT") && date.len() == 29,
        "HTTP date: {date}"
    );
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
}

// ---------------------------------------------------------------------------------------
// Files and their headers
// ---------------------------------------------------------------------------------------

async fn files_carry_type_length_and_validators(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    for (path, content_type) in [
        ("index.html", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("logo.png", "image/png"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("blob.unknownext", "application/octet-stream"),
        ("noext", "application/octet-stream"),
        ("sub/page.html", "text/html; charset=utf-8"),
    ] {
        let res = server.get(&format!("/assets/{path}")).await;
        assert_file(&res, content_type, &fx.read(path));
    }
    // JavaScript: `text/javascript` or `application/javascript` by mime_guess's version.
    let js = server.get("/assets/app.js").await;
    let ct = js.header("content-type").unwrap().to_owned();
    assert!(
        ct == "text/javascript; charset=utf-8" || ct == "application/javascript; charset=utf-8",
        "{ct}"
    );
    assert_file(&js, &ct, b"console.log('hi');");
}

async fn empty_encoded_and_symlinked_inside_files_are_served(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    assert_file(
        &server.get("/assets/empty.txt").await,
        "text/plain; charset=utf-8",
        b"",
    );
    assert_file(
        &server.get("/assets/with%20space.txt").await,
        "text/plain; charset=utf-8",
        b"spaced",
    );
    assert_file(
        &server.get("/assets/caf%C3%A9.txt").await,
        "text/plain; charset=utf-8",
        b"accented",
    );
    #[cfg(unix)]
    assert_file(
        &server.get("/assets/link_inside.txt").await,
        "text/plain; charset=utf-8",
        &fx.read("notes.txt"),
    );
    server.get("/assets/missing.txt").await.assert_status(404);
    server.get("/assets/notes.txt/").await.assert_status(404);
    server.get("/assets/notes.txt/x").await.assert_status(404);
}

async fn large_file_is_streamed_intact(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let res = server.get("/assets/big.bin").await;
    assert_file(&res, "application/octet-stream", &big_bytes());
    // A range deep inside it.
    let start = 2 * 1024 * 1024 + 7;
    let end = start + 200_000;
    let res = get_with(
        &server,
        "/assets/big.bin",
        &[("Range", &format!("bytes={start}-{end}"))],
    )
    .await;
    res.assert_status(206);
    assert_eq!(res.body, &big_bytes()[start..=end]);
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes {start}-{end}/{BIG}").as_str())
    );
}

on_every_transport!(
    files_carry_type_length_and_validators,
    empty_encoded_and_symlinked_inside_files_are_served,
    large_file_is_streamed_intact
);

/// Socket-only: what is checked is the framing, that a HEAD response carries no body
/// bytes and leaves the kept-alive connection usable.
#[tokio::test]
async fn head_sends_the_headers_and_no_body() {
    let fx = Fixture::new();
    let server = TestServer::start(app(&fx)).await;
    let mut conn = server.connect().await;
    conn.write(request("HEAD", "/assets/big.bin", &[], "", true).as_bytes())
        .await;
    let head = conn.read_head_response().await;
    head.assert_status(200);
    assert_eq!(
        head.header("content-length"),
        Some(BIG.to_string().as_str())
    );
    assert_eq!(
        head.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(head.header("etag").is_some());
    assert!(head.header("last-modified").is_some());
    // Had the HEAD response carried a body, this next response would not parse.
    let next = conn
        .send(&request("GET", "/assets/notes.txt", &[], "", false))
        .await;
    assert_file(&next, "text/plain; charset=utf-8", &fx.read("notes.txt"));
}

// ---------------------------------------------------------------------------------------
// Conditional requests
// ---------------------------------------------------------------------------------------

async fn if_none_match_answers_304(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let first = server.get("/assets/style.css").await;
    let etag = first.header("etag").unwrap().to_owned();
    let last_modified = first.header("last-modified").unwrap().to_owned();

    let weak = format!("W/{etag}");
    let listed = format!("\"nope\", {etag}");
    for tag in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
        let res = get_with(&server, "/assets/style.css", &[("If-None-Match", tag)]).await;
        res.assert_status(304);
        assert!(res.body.is_empty());
        assert_eq!(res.header("etag"), Some(etag.as_str()), "{tag}");
        assert_eq!(res.header("last-modified"), Some(last_modified.as_str()));
    }
    // A different ETag: the file again, even with an If-Modified-Since that would match
    // (If-None-Match takes precedence).
    let res = get_with(
        &server,
        "/assets/style.css",
        &[
            ("If-None-Match", "\"something-else\""),
            ("If-Modified-Since", &last_modified),
        ],
    )
    .await;
    assert_file(&res, "text/css; charset=utf-8", b"body { color: red; }");
}

async fn if_modified_since_answers_304_when_not_modified(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let first = server.get("/assets/notes.txt").await;
    let last_modified = first.header("last-modified").unwrap().to_owned();
    for date in [last_modified.as_str(), "Fri, 01 Jan 2100 00:00:00 GMT"] {
        let res = get_with(&server, "/assets/notes.txt", &[("If-Modified-Since", date)]).await;
        res.assert_status(304);
        assert!(res.body.is_empty());
        assert!(res.header("etag").is_some());
    }
    for date in ["Mon, 01 Jan 1990 00:00:00 GMT", "not a date"] {
        let res = get_with(&server, "/assets/notes.txt", &[("If-Modified-Since", date)]).await;
        assert_file(&res, "text/plain; charset=utf-8", &fx.read("notes.txt"));
    }
}

async fn if_match_failures_answer_412(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let etag = server
        .get("/assets/notes.txt")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    get_with(&server, "/assets/notes.txt", &[("If-Match", "\"other\"")])
        .await
        .assert_status(412);
    get_with(&server, "/assets/notes.txt", &[("If-Match", &etag)])
        .await
        .assert_status(200);
    get_with(
        &server,
        "/assets/notes.txt",
        &[("If-Unmodified-Since", "Mon, 01 Jan 1990 00:00:00 GMT")],
    )
    .await
    .assert_status(412);
}

on_every_transport!(
    if_none_match_answers_304,
    if_modified_since_answers_304_when_not_modified,
    if_match_failures_answer_412
);

// ---------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------

async fn ranges_answer_206_with_exact_bytes(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let data = fx.read("notes.txt");
    let total = data.len(); // 36
    for (range, start, end) in [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, total - 1),
        ("bytes=-5", total - 5, total - 1),
        ("bytes=5-5", 5, 5),
        ("bytes=30-1000", 30, total - 1),
        ("bytes=-1000", 0, total - 1),
        ("bytes=0-", 0, total - 1),
    ] {
        let res = get_with(&server, "/assets/notes.txt", &[("Range", range)]).await;
        res.assert_status(206);
        assert_eq!(res.body, &data[start..=end], "{range}");
        assert_eq!(
            res.header("content-range"),
            Some(format!("bytes {start}-{end}/{total}").as_str()),
            "{range}"
        );
        assert_eq!(
            res.header("content-length"),
            Some((end - start + 1).to_string().as_str()),
            "{range}"
        );
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(res.header("etag").is_some());
    }
}

async fn unsatisfiable_ranges_answer_416(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    for (path, range, total) in [
        ("notes.txt", "bytes=36-", 36),
        ("notes.txt", "bytes=100-200", 36),
        ("notes.txt", "bytes=-0", 36),
        ("empty.txt", "bytes=0-", 0),
    ] {
        let res = get_with(&server, &format!("/assets/{path}"), &[("Range", range)]).await;
        res.assert_status(416);
        assert_eq!(
            res.header("content-range"),
            Some(format!("bytes */{total}").as_str()),
            "{range}"
        );
    }
}

async fn malformed_multi_and_stale_ranges_send_the_whole_file(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let data = fx.read("notes.txt");
    for range in [
        "bytes=0-1,5-6",
        "bytes=5-1",
        "bytes=abc",
        "items=0-5",
        "bytes=",
        "0-5",
    ] {
        let res = get_with(&server, "/assets/notes.txt", &[("Range", range)]).await;
        assert_file(&res, "text/plain; charset=utf-8", &data);
        assert!(res.header("content-range").is_none(), "{range}");
    }
    // If-Range: the current ETag or date lets the range through; a stale one does not.
    let first = server.get("/assets/notes.txt").await;
    let etag = first.header("etag").unwrap().to_owned();
    let date = first.header("last-modified").unwrap().to_owned();
    for validator in [etag.as_str(), date.as_str()] {
        let res = get_with(
            &server,
            "/assets/notes.txt",
            &[("Range", "bytes=0-3"), ("If-Range", validator)],
        )
        .await;
        res.assert_status(206);
        assert_eq!(res.body, b"0123");
    }
    let res = get_with(
        &server,
        "/assets/notes.txt",
        &[("Range", "bytes=0-3"), ("If-Range", "\"stale\"")],
    )
    .await;
    assert_file(&res, "text/plain; charset=utf-8", &data);
}

/// Files at and just over the size read with the opening (sent from memory, and
/// streamed) answer the same: whole, and in ranges at both ends.
async fn files_either_side_of_the_in_memory_size_answer_alike(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    for name in ["edge_64k.bin", "edge_64k1.bin"] {
        let data = fx.read(name);
        let total = data.len();
        let res = get_with(&server, &format!("/assets/{name}"), &[]).await;
        assert_file(&res, "application/octet-stream", &data);
        for (range, start, end) in [
            ("bytes=0-0".to_owned(), 0, 0),
            (format!("bytes={}-", total - 3), total - 3, total - 1),
            ("bytes=-1".to_owned(), total - 1, total - 1),
            ("bytes=1000-40000".to_owned(), 1000, 40000),
        ] {
            let res = get_with(&server, &format!("/assets/{name}"), &[("Range", &range)]).await;
            res.assert_status(206);
            assert_eq!(res.body, &data[start..=end], "{name} {range}");
            assert_eq!(
                res.header("content-range"),
                Some(format!("bytes {start}-{end}/{total}").as_str()),
                "{name} {range}"
            );
        }
        let etag = res.header("etag").map(str::to_owned);
        let etag = etag.as_deref().unwrap_or_default();
        let res = get_with(
            &server,
            &format!("/assets/{name}"),
            &[("If-None-Match", etag)],
        )
        .await;
        res.assert_status(304);
        assert!(res.body.is_empty(), "{name}");
    }
}

on_every_transport!(
    files_either_side_of_the_in_memory_size_answer_alike,
    ranges_answer_206_with_exact_bytes,
    unsatisfiable_ranges_answer_416,
    malformed_multi_and_stale_ranges_send_the_whole_file
);

// ---------------------------------------------------------------------------------------
// Directories
// ---------------------------------------------------------------------------------------

async fn directories_serve_index_html_and_never_a_listing(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    assert_file(
        &server.get("/assets/").await,
        "text/html; charset=utf-8",
        b"<h1>root index</h1>",
    );
    assert_file(
        &server.get("/assets/sub/").await,
        "text/html; charset=utf-8",
        b"<h1>sub index</h1>",
    );
    // Without the trailing slash: a redirect to it (keeping the query).
    let res = server.get("/assets/sub").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/assets/sub/"));
    let res = server.get("/assets/sub?x=1").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/assets/sub/?x=1"));
    let res = server.get("/assets").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/assets/"));
    // A directory without an index: 404, and nothing about its files.
    for target in ["/assets/noindex/", "/assets/noindex"] {
        let res = server.get(target).await;
        res.assert_status(404);
        assert!(!res.text().contains("file.txt"), "{target}: {}", res.text());
    }
    // HEAD on a directory index (its length is the file's, announced by the app).
    let head = server.exchange("HEAD", "/assets/sub/", &[], b"").await;
    head.assert_status(200);
    assert_eq!(head.header("content-length"), Some("18"));
}

async fn a_mount_without_root_index_answers_404_at_its_root(t: Transport) {
    let fx = Fixture::new();
    let app = App::new().static_files("/n/", fx.root.join("noindex"));
    let server = Client::start(app, t).await;
    server.get("/n/").await.assert_status(404);
    assert_eq!(server.get("/n/file.txt").await.text(), "listed? never");
}

/// Traversal attempts against a mount at `/`.
const ROOT_TRAVERSALS: &[&str] = &[
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "//secret.txt",
    "//etc/passwd",
    "/%2f%2e%2e%2fsecret.txt",
    "/%5c..%5csecret.txt",
    "/link_to_secret.txt",
    "/link_dir_out/",
    "/link_dir_out",
    "/link_dir_out/secret.txt",
];

async fn a_mount_at_the_root_serves_files_and_its_index(t: Transport) {
    let fx = Fixture::new();
    let server = Client::start(App::new().static_files("/", &fx.root), t).await;
    assert_eq!(server.get("/").await.text(), "<h1>root index</h1>");
    assert_eq!(server.get("/notes.txt").await.body, fx.read("notes.txt"));
    assert_eq!(server.get("/sub/").await.text(), "<h1>sub index</h1>");
    let res = server.get("/sub").await;
    res.assert_status(308);
    assert_eq!(res.header("location"), Some("/sub/"));
    for target in ROOT_TRAVERSALS {
        let res = server.get(target).await;
        assert_refused(target, &res, "/");
    }
}

async fn an_app_route_under_the_prefix_wins_over_a_file(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    assert_eq!(
        server.get("/assets/special.txt").await.text(),
        "from the route"
    );
    assert_eq!(fx.read("special.txt"), b"from the file");
}

on_every_transport!(
    directories_serve_index_html_and_never_a_listing,
    a_mount_without_root_index_answers_404_at_its_root,
    a_mount_at_the_root_serves_files_and_its_index,
    an_app_route_under_the_prefix_wins_over_a_file
);

// ---------------------------------------------------------------------------------------
// FileResponse
// ---------------------------------------------------------------------------------------

async fn file_response_serves_and_404s_through_error_handlers(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    assert_file(
        &server.get("/file/notes.txt").await,
        "text/plain; charset=utf-8",
        &fx.read("notes.txt"),
    );
    let res = get_with(&server, "/file/notes.txt", &[("Range", "bytes=-3")]).await;
    res.assert_status(206);
    assert_eq!(res.body, b"xyz");
    server.get("/file/missing.txt").await.assert_status(404);
    server.get("/file/sub").await.assert_status(404); // a directory

    let with_handler = Client::start(app(&fx).error_handler(404, json_404), t).await;
    let res = with_handler.get("/file/missing.txt").await;
    res.assert_status(404);
    assert_eq!(res.json(), json!({"error": "Not Found"}));
    let res = with_handler.get("/assets/nothing-here.txt").await;
    assert_eq!(res.json(), json!({"error": "Not Found"}));
}

async fn file_response_download_names(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let res = server.get("/download/notes.txt").await;
    assert_file(&res, "text/plain; charset=utf-8", &fx.read("notes.txt"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"report.txt\"")
    );
    let res = server
        .get("/download/notes.txt?as=r%C3%A9sum%C3%A9%20%22final%22.txt")
        .await;
    res.assert_status(200);
    assert_eq!(
        res.header("content-disposition"),
        Some(
            "attachment; filename=\"r_sum_ \\\"final\\\".txt\"; \
             filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt"
        )
    );
    // A CR LF in the name cannot split the header.
    let res = server
        .get("/download/notes.txt?as=a%0D%0Ax-evil:%201")
        .await;
    res.assert_status(200);
    assert!(res.header("x-evil").is_none());
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"a__x-evil: 1\"")
    );
}

on_every_transport!(
    file_response_serves_and_404s_through_error_handlers,
    file_response_download_names
);

// ---------------------------------------------------------------------------------------
// Traversal
// ---------------------------------------------------------------------------------------

/// The response to an attempt to leave the mount: never the secret; a 4xx, or a 308
/// to a path still inside the mount.
#[track_caller]
fn assert_refused(target: &str, res: &HttpResponse, mount: &str) {
    assert!(
        !res.text().contains(SECRET),
        "{target} leaked the secret: {res:?}"
    );
    match res.status {
        400..=499 => {}
        308 => {
            let location = res.header("location").unwrap_or_default();
            assert!(
                location.starts_with(mount) && !location.starts_with("//"),
                "{target} redirected out of the mount: {location}"
            );
        }
        other => panic!("{target} answered {other}: {res:?}"),
    }
}

/// Every one of these is a valid request target for `http::Uri` (the test below checks
/// it), so each runs through both transports. A payload that `http::Uri` rejects (a raw
/// space, a control or non-ASCII byte) could only be sent over the socket: the test
/// client parses the target with `http::Uri` and panics on a bad one, before the app.
/// Such a payload belongs in a socket-only table of its own.
const TRAVERSALS: &[&str] = &[
    "/assets/../secret.txt",
    "/assets/../../secret.txt",
    "/assets/..",
    "/assets/../",
    "/assets/%2e%2e/secret.txt",
    "/assets/%2E%2E/secret.txt",
    "/assets/%2e%2e",
    "/assets/%2e%2e/",
    "/assets/%2e%2e%2fsecret.txt",
    "/assets/..%2fsecret.txt",
    "/assets/.%2e/secret.txt",
    "/assets/%2e./secret.txt",
    "/assets/%252e%252e/secret.txt",
    "/assets/%252e%252e%252fsecret.txt",
    "/assets/....//secret.txt",
    "/assets/..\\secret.txt",
    "/assets/%5c..%5csecret.txt",
    "/assets/..%5csecret.txt",
    "/assets/%2e%2e%5c%2e%2e%5csecret.txt",
    "/assets/%00",
    "/assets/a%00.txt",
    "/assets/notes.txt%00.html",
    "/assets/..%00/secret.txt",
    "/assets//etc/passwd",
    "/assets//secret.txt",
    "/assets/%2fetc%2fpasswd",
    "/assets/%2f..%2fsecret.txt",
    "/assets/sub/../../secret.txt",
    "/assets/sub/%2e%2e/%2e%2e/secret.txt",
    "/assets/sub%2f..%2f..%2fsecret.txt",
    "/assets/sub/./../../secret.txt",
    "/assets/./../secret.txt",
    "/assets/%2e/%2e%2e/secret.txt",
    "/assets/%c0%ae%c0%ae/secret.txt",
    "/assets/%c0%2e%c0%2e/secret.txt",
    "/assets/%e0%80%ae%e0%80%ae/secret.txt",
    "/assets/%u002e%u002e/secret.txt",
    "/assets/..;/secret.txt",
    "/assets/C:%5csecret.txt",
    "/assets/c:/secret.txt",
    "/assets/%0d%0a../secret.txt",
    "/assets/../public2/secret.txt",
    "/assets/link_to_secret.txt",
    "/assets/link_sibling.txt",
    "/assets/link_dir_out/secret.txt",
    "/assets/link_dir_out/public2/secret.txt",
    "/assets/link_dir_out/",
    "/assets/link_dir_out",
    "/assets/link_dir_out/index.html",
    "http://test/assets/../secret.txt",
    "http://test/assets/%2e%2e/secret.txt",
];

async fn no_request_reaches_a_file_outside_the_mount(t: Transport) {
    assert!(TRAVERSALS.len() >= 25);
    for target in TRAVERSALS.iter().chain(ROOT_TRAVERSALS) {
        assert!(
            target.parse::<http::Uri>().is_ok(),
            "{target:?} is not an http::Uri: the test client cannot send it, list it as \
             socket-only"
        );
    }
    let fx = Fixture::new();
    assert_eq!(
        std::fs::read_to_string(fx.base.join("secret.txt")).unwrap(),
        SECRET
    );
    let server = start(&fx, t).await;
    // The mount works, so a refusal below is the check, not a broken setup.
    assert_file(
        &server.get("/assets/notes.txt").await,
        "text/plain; charset=utf-8",
        &fx.read("notes.txt"),
    );
    for target in TRAVERSALS {
        for method in ["GET", "HEAD"] {
            // `method target`, `Host: test`, `Connection: close`, nothing else.
            let res = server.exchange(method, target, &[], b"").await;
            assert_refused(target, &res, "/assets/");
            if method == "GET" && res.status != 400 {
                // Routed and refused by the mount, or not routed at all: never a 200.
                assert_ne!(res.status, 200, "{target}");
            }
        }
    }
    // Also with a range: no partial leak.
    for target in ["/assets/link_to_secret.txt", "/assets/%2e%2e/secret.txt"] {
        let res = get_with(&server, target, &[("Range", "bytes=0-5")]).await;
        assert_refused(target, &res, "/assets/");
    }
}

on_every_transport!(no_request_reaches_a_file_outside_the_mount);

/// The same payloads through handlers that take the client's path themselves: as a
/// `PathBuf` argument (`<name>` and `<path:..>`), and through `FileResponse::from_dir`. A
/// `PathBuf` holds plain names only but, joined with `FileResponse::new`, follows symlinks
/// the server's own directory holds; `from_dir` also refuses those.
async fn client_paths_in_handlers_never_leave_the_directory(t: Transport) {
    let fx = Fixture::new();
    let server = start(&fx, t).await;
    let notes = fx.read("notes.txt");
    for mount in ["/byname/", "/bypath/", "/fromdir/"] {
        let res = server.get(&format!("{mount}notes.txt")).await;
        res.assert_status(200);
        assert_eq!(res.body, notes, "{mount}: the route works");
    }
    assert_eq!(server.get("/bypath/sub/index.html").await.status, 200);
    assert_eq!(server.get("/fromdir/sub/index.html").await.status, 200);
    let mut checked = 0;
    for payload in TRAVERSALS.iter().chain(ROOT_TRAVERSALS) {
        for mount in ["/byname/", "/bypath/", "/fromdir/"] {
            if payload.contains("link_") && mount != "/fromdir/" {
                continue; // a symlink inside the directory is the server's, not the client's
            }
            let target = match payload.strip_prefix("/assets/") {
                Some(rest) => format!("{mount}{rest}"),
                None if payload.starts_with("http://") => payload.replacen("/assets/", mount, 1),
                None => format!("{}{}", mount.trim_end_matches('/'), payload),
            };
            let res = server.exchange("GET", &target, &[], b"").await;
            assert_refused(&target, &res, mount);
            assert_ne!(res.status, 200, "{target}");
            checked += 1;
        }
    }
    assert!(checked >= 150, "{checked} requests");
}

on_every_transport!(client_paths_in_handlers_never_leave_the_directory);

// ---------------------------------------------------------------------------------------
// Both transports, side by side
// ---------------------------------------------------------------------------------------

/// The requests of this file answer the same over the socket and in process: status line,
/// headers (but those of the connection) in order, and body. Both apps serve the same
/// fixture, so the validators agree too.
#[tokio::test]
async fn the_test_client_answers_exactly_as_the_server() {
    let fx = Fixture::new();
    let files = || app(&fx);
    let with_handler = || app(&fx).error_handler(404, json_404);
    let at_root = || App::new().static_files("/", &fx.root);
    let no_index = || App::new().static_files("/n/", fx.root.join("noindex"));

    let first = exchange_on_every(files, "GET", "/assets/notes.txt", &[], b"").await;
    let etag = first.header("etag").unwrap().to_owned();
    let date = first.header("last-modified").unwrap().to_owned();
    let etag_listed = format!("\"nope\", W/{etag}");

    let mut gets: Vec<&str> = vec![
        "/assets/index.html",
        "/assets/style.css",
        "/assets/app.js",
        "/assets/data.json",
        "/assets/logo.png",
        "/assets/notes.txt",
        "/assets/blob.unknownext",
        "/assets/noext",
        "/assets/empty.txt",
        "/assets/big.bin",
        "/assets/with%20space.txt",
        "/assets/caf%C3%A9.txt",
        "/assets/link_inside.txt",
        "/assets/missing.txt",
        "/assets/notes.txt/",
        "/assets/notes.txt/x",
        "/assets/",
        "/assets",
        "/assets/sub/",
        "/assets/sub",
        "/assets/sub?x=1",
        "/assets/sub/page.html",
        "/assets/noindex/",
        "/assets/noindex",
        "/assets/special.txt",
        "/file/notes.txt",
        "/file/missing.txt",
        "/file/sub",
        "/download/notes.txt",
        "/download/notes.txt?as=r%C3%A9sum%C3%A9%20%22final%22.txt",
        "/download/notes.txt?as=a%0D%0Ax-evil:%201",
    ];
    gets.extend(TRAVERSALS);
    for target in &gets {
        for method in ["GET", "HEAD"] {
            exchange_on_every(files, method, target, &[], b"").await;
        }
    }
    for target in ["/file/missing.txt", "/assets/nothing-here.txt"] {
        exchange_on_every(with_handler, "GET", target, &[], b"").await;
    }
    for target in ["/", "/notes.txt", "/sub/", "/sub"]
        .iter()
        .chain(ROOT_TRAVERSALS)
    {
        exchange_on_every(at_root, "GET", target, &[], b"").await;
    }
    for target in ["/n/", "/n/file.txt"] {
        exchange_on_every(no_index, "GET", target, &[], b"").await;
    }

    let conditional: &[&[(&str, &str)]] = &[
        &[("If-None-Match", &etag)],
        &[("If-None-Match", &etag_listed)],
        &[("If-None-Match", "*")],
        &[
            ("If-None-Match", "\"something-else\""),
            ("If-Modified-Since", &date),
        ],
        &[("If-Modified-Since", &date)],
        &[("If-Modified-Since", "Mon, 01 Jan 1990 00:00:00 GMT")],
        &[("If-Modified-Since", "not a date")],
        &[("If-Match", "\"other\"")],
        &[("If-Match", &etag)],
        &[("If-Unmodified-Since", "Mon, 01 Jan 1990 00:00:00 GMT")],
        &[("Range", "bytes=0-9")],
        &[("Range", "bytes=-5")],
        &[("Range", "bytes=30-1000")],
        &[("Range", "bytes=36-")],
        &[("Range", "bytes=-0")],
        &[("Range", "bytes=0-1,5-6")],
        &[("Range", "items=0-5")],
        &[("Range", "bytes=0-3"), ("If-Range", &etag)],
        &[("Range", "bytes=0-3"), ("If-Range", &date)],
        &[("Range", "bytes=0-3"), ("If-Range", "\"stale\"")],
    ];
    for headers in conditional {
        for method in ["GET", "HEAD"] {
            exchange_on_every(files, method, "/assets/notes.txt", headers, b"").await;
        }
    }
    for (target, range) in [
        ("/assets/empty.txt", "bytes=0-"),
        ("/assets/big.bin", "bytes=2097159-2297159"),
        ("/file/notes.txt", "bytes=-3"),
        ("/assets/link_to_secret.txt", "bytes=0-5"),
        ("/assets/%2e%2e/secret.txt", "bytes=0-5"),
    ] {
        exchange_on_every(files, "GET", target, &[("Range", range)], b"").await;
    }
}

#[test]
fn fixture_paths_are_fresh() {
    let a = Fixture::new();
    let b = Fixture::new();
    assert_ne!(a.base, b.base);
    assert!(Path::new(&a.root).join("index.html").is_file());
}
