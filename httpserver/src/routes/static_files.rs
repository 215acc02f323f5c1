//! Serving a directory under a URL prefix, with no way out of it.
//!
//! A request's path below the prefix (already percent-decoded by routing, so `%2e%2e`
//! and `%2f` arrive as `..` and `/`) goes through two independent checks:
//!
//! 1. `safe_path::sanitize` refuses any path with a `.` or `..` segment, an empty segment (`//`,
//!    a leading `/`), a backslash, a control character (NUL included), a drive prefix
//!    (`C:`) or anything the platform would not read as one plain file name.
//! 2. The joined path and the root are canonicalized (symlinks resolved), and the file
//!    must still lie inside the root: a symlink inside the root that points outside it
//!    is refused, one that stays inside is followed.
//!
//! Anything refused is a plain 404, as is a missing file: a client cannot tell a refused
//! path from an absent one. A directory serves its `index.html`, never a listing; asked
//! for without its trailing slash it redirects (308) to it, as Flask and nginx do, so
//! that the page's relative links resolve. Files are served by the same code as
//! [`FileResponse`](crate::FileResponse): conditional and range requests included.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::header::LOCATION;
use http::StatusCode;

use crate::error::HttpError;
use crate::protocol::safe_path::sanitize;
use crate::request::Request;
use crate::response::file::{not_opened, respond};
use crate::response::file_open::{
    on_blocking_pool, open_regular, resolve_inside, NotOpened, OpenFile,
};
use crate::response::{Body, IntoResponse, Response};
use crate::routes::route::HandlerFuture;
use crate::routes::route::Route;

/// The file a directory request serves.
const INDEX: &str = "index.html";

/// The routes that serve `dir` under `prefix`: `prefix/<path:file>` and `prefix/`.
///
/// # Panics
///
/// If `prefix` contains `<` or `>`, which would make it a route pattern rather than a
/// literal path.
pub(crate) fn mount(prefix: &str, dir: PathBuf) -> Vec<Route> {
    assert!(
        !prefix.contains(['<', '>']),
        "static_files prefix {prefix:?} must be a literal path, without `<` or `>`"
    );
    let prefix = normalize_prefix(prefix);
    let name = format!(
        "static_files({} -> {})",
        if prefix.is_empty() { "/" } else { &prefix },
        dir.display()
    );
    let root = Arc::new(dir);
    let files_root = Arc::clone(&root);
    vec![
        Route::dynamic(
            name.clone(),
            format!("{prefix}/<path:file>"),
            &["GET"],
            move |req: Request| -> HandlerFuture {
                let root = Arc::clone(&files_root);
                Box::pin(async move { serve_file(root, &req).await })
            },
        ),
        Route::dynamic(
            name,
            format!("{prefix}/"),
            &["GET"],
            move |req: Request| -> HandlerFuture {
                let root = Arc::clone(&root);
                Box::pin(async move { serve_dir(root, PathBuf::new(), &req).await })
            },
        ),
    ]
}

/// `"/assets"`, `"/assets/"`, `"assets"` → `"/assets"`; `"/"` and `""` → `""` (the root).
fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

fn not_found() -> Response {
    HttpError::new(404, "Not Found").into_response()
}

/// What a path below the mount names.
enum Found {
    File(PathBuf, OpenFile),
    /// A directory, asked for without its trailing slash: redirected to it if it has an
    /// index.
    Directory {
        has_index: bool,
    },
}

/// `prefix/<path:file>`: a file, or a directory with or without its trailing slash.
async fn serve_file(root: Arc<PathBuf>, req: &Request) -> Response {
    let Some(raw) = req.path_params().get("file") else {
        return not_found();
    };
    let (rel, wants_dir) = match raw.strip_suffix('/') {
        Some(dir) => (dir, true),
        None => (raw, false),
    };
    let Some(rel) = sanitize(rel) else {
        tracing::debug!(path = %raw, "static file path refused");
        return not_found();
    };
    if wants_dir {
        return serve_dir(root, rel, req).await;
    }
    let found = on_blocking_pool(move || {
        let target = resolve_inside(&root, &rel)?;
        match open_regular(&target) {
            Ok(file) => Ok(Found::File(target, file)),
            Err(NotOpened::Directory) => Ok(Found::Directory {
                has_index: index_of(&root, &rel).is_ok(),
            }),
            Err(why) => Err(why),
        }
    })
    .await;
    match found {
        Ok(Found::File(path, file)) => respond(file, &path, req, None).await,
        Ok(Found::Directory { has_index: true }) => redirect_to_slash(req),
        Ok(Found::Directory { has_index: false }) => not_found(),
        Err(why) => not_opened(Path::new(raw), why),
    }
}

/// A directory request (`prefix/` or `prefix/sub/`): its `index.html`, else 404.
async fn serve_dir(root: Arc<PathBuf>, rel: PathBuf, req: &Request) -> Response {
    let index = on_blocking_pool(move || {
        let index = index_of(&root, &rel)?;
        open_regular(&index).map(|file| (index, file))
    })
    .await;
    match index {
        Ok((path, file)) => respond(file, &path, req, None).await,
        Err(why) => not_opened(Path::new(INDEX), why),
    }
}

/// The canonical path of `rel/index.html` if it is a regular file inside the root
/// (`index.html` itself may be a symlink, and is checked like any other file). Blocking.
fn index_of(root: &Path, rel: &Path) -> Result<PathBuf, NotOpened> {
    let index = resolve_inside(root, &rel.join(INDEX))?;
    match std::fs::metadata(&index) {
        Ok(meta) if meta.is_file() => Ok(index),
        _ => Err(NotOpened::Refused("no index that is a regular file")),
    }
}

/// `/assets/sub` → 308 to `/assets/sub/`, from the raw request path (still
/// percent-encoded as the client sent it), keeping the query.
fn redirect_to_slash(req: &Request) -> Response {
    let uri = req.uri();
    let target = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    Response::new(Body::empty())
        .with_status(StatusCode::PERMANENT_REDIRECT)
        .with_header(LOCATION, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_pass() {
        for (input, expected) in [
            ("style.css", "style.css"),
            ("sub/page.html", "sub/page.html"),
            ("a/b/c/d.txt", "a/b/c/d.txt"),
            ("....", "...."),
            ("..foo", "..foo"),
            ("foo..", "foo.."),
            (".hidden", ".hidden"),
            ("with space.txt", "with space.txt"),
            ("café/naïve.txt", "café/naïve.txt"),
            ("%2e%2e", "%2e%2e"),
            ("ab:c", "ab:c"),
        ] {
            #[cfg(windows)]
            if input.contains(':') {
                continue;
            }
            assert_eq!(
                sanitize(input),
                Some(PathBuf::from(expected)),
                "{input:?} should pass"
            );
        }
    }

    #[test]
    fn traversal_and_odd_paths_are_refused() {
        for input in [
            "",
            ".",
            "..",
            "../secret.txt",
            "a/../../secret.txt",
            "sub/..",
            "./a",
            "a/./b",
            "/etc/passwd",
            "//etc/passwd",
            "a//b",
            "a/",
            "/",
            "..\\secret.txt",
            "\\etc\\passwd",
            "a\\b",
            "\0",
            "a\0.txt",
            "a\n.txt",
            "a\r",
            "\u{7f}",
            "\u{85}",
            "C:",
            "C:\\Windows",
            "c:secret.txt",
            "sub/D:x",
        ] {
            assert_eq!(sanitize(input), None, "{input:?} should be refused");
        }
    }

    #[test]
    fn prefixes_are_normalized() {
        assert_eq!(normalize_prefix("/assets"), "/assets");
        assert_eq!(normalize_prefix("/assets/"), "/assets");
        assert_eq!(normalize_prefix("assets"), "/assets");
        assert_eq!(normalize_prefix("/a/b/"), "/a/b");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix(""), "");
    }

    #[test]
    fn mount_patterns() {
        let patterns = |prefix| {
            mount(prefix, PathBuf::from("."))
                .iter()
                .map(|r| r.pattern().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(patterns("/assets/"), ["/assets/<path:file>", "/assets/"]);
        assert_eq!(patterns("/"), ["/<path:file>", "/"]);
        assert_eq!(patterns(""), ["/<path:file>", "/"]);
    }

    #[test]
    #[should_panic(expected = "literal path")]
    fn pattern_syntax_in_the_prefix_is_refused() {
        mount("/a/<x>", PathBuf::from("."));
    }
}
