//! Serving a directory under a URL prefix, with no way out of it.

use std::path::PathBuf;

use crate::route::Route;

/// The routes that serve `dir` under `prefix`: `prefix/<path:file>` and `prefix/`.
pub(crate) fn mount(prefix: &str, dir: PathBuf) -> Vec<Route> {
    let _ = (prefix, dir);
    Vec::new()
}
