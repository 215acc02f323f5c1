//! The rules of HTTP itself, with no framework types: decoding request paths, the checks
//! of a request head, which responses go without a body, forwarding headers, cookie parsing, safe file paths, and reading a
//! body under limits, and percent-encoding the URLs the app builds.

pub(crate) mod bodiless;
pub(crate) mod body;
pub(crate) mod cookies;
pub(crate) mod forwarded;
pub(crate) mod head_check;
pub(crate) mod path;
pub(crate) mod read_body;
pub(crate) mod safe_path;
pub(crate) mod url_text;
