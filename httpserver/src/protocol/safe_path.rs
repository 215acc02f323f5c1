//! Paths a client names: which relative paths stay inside a directory, and file names made
//! safe to join to one. Shared by static files, `FileResponse::from_dir` and `<path:..>`
//! arguments taken as `PathBuf`.

use std::path::{Component, Path, PathBuf};

/// The relative path a decoded request path names, if it is made of plain file names
/// only: `None` for an empty path, an empty segment, `.` or `..`, a backslash, a control
/// character, a drive prefix or any segment the platform reads as more than one name.
pub(crate) fn sanitize(rel: &str) -> Option<PathBuf> {
    if rel.is_empty() {
        return None;
    }
    let mut out = PathBuf::new();
    for segment in rel.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.chars().any(|c| c == '\\' || c.is_control())
            || is_drive_prefix(segment)
            || !is_portable_on_this_platform(segment)
        {
            return None;
        }
        // A segment must be exactly one plain name to the platform's path parser.
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) if name == segment => {}
            _ => return None,
        }
        out.push(segment);
    }
    Some(out)
}

/// `C:` or `C:anything`: a drive on Windows, refused everywhere.
fn is_drive_prefix(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// On Windows, `:` opens an alternate data stream, and trailing dots and spaces are
/// dropped (`".. "` is `..`): refuse them there.
#[cfg(windows)]
fn is_portable_on_this_platform(segment: &str) -> bool {
    !segment.contains(':') && !segment.ends_with(['.', ' '])
}

#[cfg(not(windows))]
fn is_portable_on_this_platform(_segment: &str) -> bool {
    true
}

/// A client's file name (an upload's, say) made safe to join to a directory: no path
/// separators, no `..`, no leading dot, no control characters, nothing a shell or Windows
/// treats specially. Letters (any script), digits, `-`, `_` and `.` are kept, runs of
/// anything else become one `_`; an empty result is `file`; Windows device names get a `_`
/// in front; at most 255 bytes. As Werkzeug's `secure_filename`, it is for names, not paths:
/// `../../etc/passwd` becomes `etc_passwd`.
///
/// ```
/// use httpserver::secure_filename;
/// assert_eq!(secure_filename("My cat.jpg"), "My_cat.jpg");
/// assert_eq!(secure_filename("../../etc/passwd"), "etc_passwd");
/// assert_eq!(secure_filename("..\\windows\\win.ini"), "windows_win.ini");
/// assert_eq!(secure_filename(".bashrc"), "bashrc");
/// assert_eq!(secure_filename("CON.txt"), "_CON.txt");
/// assert_eq!(secure_filename("\u{0}\n"), "file");
/// ```
pub fn secure_filename(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    // Dots and underscores at the ends: no hidden files, no `..`, no trailing dot (Windows).
    let trimmed = out.trim_matches(|c| c == '.' || c == '_');
    let mut safe = if trimmed.is_empty() {
        "file".to_owned()
    } else {
        trimmed.to_owned()
    };
    let stem = safe
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if WINDOWS_DEVICES.contains(&stem.as_str()) {
        safe.insert(0, '_');
    }
    truncate_to(&mut safe, 255);
    safe
}

const WINDOWS_DEVICES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Cuts `s` to at most `max` bytes, at a character boundary, keeping the extension.
fn truncate_to(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let ext = s
        .rfind('.')
        .map(|i| s[i..].to_owned())
        .filter(|e| e.len() < 16)
        .unwrap_or_default();
    let mut cut = max - ext.len();
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s.push_str(&ext);
}
