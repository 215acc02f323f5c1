//! What the generated code of the route macros calls. Not a public API: names here may
//! change in any release.

use std::borrow::Cow;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{panic_message, Failure, HttpError};
use crate::extract::FromRequest;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

pub use crate::router;

/// The future a route's handler returns once its arguments are extracted.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// What a route attribute knows about its handler, at compile time. Implemented by the
/// hidden struct that shares the handler's name; that struct has one field per path
/// parameter (a [`UrlArg`]), which is what `url_for!` fills in.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route handler",
    label = "not a function with a route attribute",
    note = "`collect_routes!` and `url_for!` take the names of functions marked with #[get(\"/path\")], #[post(..)], .. or #[route(..)]"
)]
pub trait RouteInfo {
    /// The handler's name.
    const NAME: &'static str;
    /// The path pattern.
    const PATTERN: &'static str;
    /// The methods, upper case.
    const METHODS: &'static [&'static str];
    /// The route, ready for `App::routes`.
    fn route() -> crate::Route;
    /// The pattern with each parameter replaced by its (percent-encoded) field.
    fn url(&self) -> String;
}

pub fn box_future<F: Future<Output = Response> + Send + 'static>(f: F) -> HandlerFuture {
    Box::pin(f)
}

/// A path parameter converted to its argument's type by `parse` (one of [`parse_int`],
/// [`parse_float`], [`parse_path`], [`parse_str`], wrapped in a function the route generates
/// once per parameter). Routing already checked that it converts (the route's `accepts`
/// calls the same function), so a failure here is a 404 like any non-matching path.
// The error is the response to send, moved once on a cold path; boxing it would cost an
// allocation on every failed extraction for nothing.
#[allow(clippy::result_large_err)]
pub fn path_param<T>(
    req: &Request,
    name: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, Response> {
    req.path_params()
        .get(name)
        .and_then(|raw| parse(raw))
        .ok_or_else(|| HttpError::new(404, "Not Found").into())
}

#[allow(clippy::result_large_err)]
pub fn extract<T: FromRequest>(req: &Request) -> Result<T, Response> {
    T::from_request(req).map_err(Response::from)
}

pub fn into_response<T: IntoResponse>(value: T) -> Response {
    value.into_response()
}

/// Runs a plain (non-async) handler on tokio's blocking pool, so it cannot stall the
/// threads that drive connections. A panic there becomes a 500 like any handler's.
pub async fn run_blocking<F, R>(handler: F) -> Response
where
    F: FnOnce() -> R + Send + 'static,
    R: IntoResponse + 'static,
{
    match tokio::task::spawn_blocking(move || handler().into_response()).await {
        Ok(res) => res,
        Err(join) => {
            let message = match join.try_into_panic() {
                Ok(payload) => panic_message(payload.as_ref()),
                Err(_) => "the blocking task was cancelled".to_owned(),
            };
            Response::from_failure(Failure::Panic(message))
        }
    }
}

/// Types an `<int:..>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<int:..>` parameters need an integer type, not `{Self}`",
    label = "this argument receives an `<int:..>` parameter",
    note = "use an integer type such as `i64`, `u32` or `usize` (a value out of its range does not match: 404), or change the converter to `<name>` for any `FromStr` type"
)]
pub trait IntParam: FromStr {}

/// Types a `<float:..>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<float:..>` parameters need `f32` or `f64`, not `{Self}`",
    label = "this argument receives a `<float:..>` parameter",
    note = "use `f64` or `f32`, or change the converter to `<name>` for any `FromStr` type"
)]
pub trait FloatParam: FromStr {}

/// Types a `<path:..>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<path:..>` parameters need `String` or `PathBuf`, not `{Self}`",
    label = "this argument receives a `<path:..>` parameter",
    note = "a `<path:..>` parameter is the rest of the path, slashes included: take it as `String` or `std::path::PathBuf`"
)]
pub trait PathParam: FromStr {}

/// Types a plain `<name>` parameter converts to.
#[diagnostic::on_unimplemented(
    message = "`<name>` parameters need a type that implements `FromStr`, and `{Self}` does not",
    label = "this argument receives a `<name>` parameter",
    note = "use `String`, or any type that implements `std::str::FromStr`"
)]
pub trait StrParam: FromStr {}
impl<T: FromStr> StrParam for T {}

macro_rules! int_param {
    ($($t:ty),*) => { $(impl IntParam for $t {})* };
}
int_param!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
// Written out, because rustc quotes these lines in its "other types implement" help.
impl FloatParam for f32 {}
impl FloatParam for f64 {}
impl PathParam for String {}
impl PathParam for PathBuf {}

// The one place where a parameter's type meets its converter's bound: the route generates
// one `fn(&str) -> Option<T>` per parameter that calls one of these, and both its `accepts`
// and its handler go through that function, so a type that does not fit is one error.

/// Parses an `<int:..>` value.
pub fn parse_int<T: IntParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// Parses a `<float:..>` value.
pub fn parse_float<T: FloatParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// Parses a `<path:..>` value.
pub fn parse_path<T: PathParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// Parses a `<name>` value.
pub fn parse_str<T: StrParam>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

// ---------------------------------------------------------------------------------------
// url_for!
//
// `url_for!(get_user, id = 42)` expands to
//
//     RouteInfo::url(&get_user { id: url_arg(&(42)) })
//
// where `get_user` is the hidden struct, whose fields are the path parameters, each of type
// `UrlArg<A>` with `A` the handler argument's type (`Path` for a `PathBuf` argument, see
// below). So rustc itself reports a missing parameter (missing field) or an unknown one
// (no such field, with its "a field with a similar name exists" help), and `url_arg`'s
// bound `T: UrlValue<A>` reports a value whose type does not fit, at the value.
// ---------------------------------------------------------------------------------------

/// A path parameter's value for `url_for!`, already rendered as text (not yet encoded).
/// `A` is the type the handler takes the parameter as.
pub struct UrlArg<A: ?Sized> {
    text: String,
    ty: PhantomData<fn() -> Box<A>>,
}

/// `url_for!` fills in the fields it is given and takes the others from `Default` (its
/// `const` check has already rejected a missing parameter).
impl<A: ?Sized> Default for UrlArg<A> {
    fn default() -> Self {
        UrlArg {
            text: String::new(),
            ty: PhantomData,
        }
    }
}

/// Renders a `url_for!` value for a parameter that the handler takes as `A`.
///
/// Takes the value by reference, as `format!` does, so `url_for!(show, name = user.name)`
/// does not move out of `user`.
pub fn url_arg<A: ?Sized, T: ?Sized + UrlValue<A>>(value: &T) -> UrlArg<A> {
    UrlArg {
        text: value.url_text().into_owned(),
        ty: PhantomData,
    }
}

/// Values `url_for!` accepts for a path parameter that the handler takes as `A`: an `A`
/// or a reference to one (rendered with `Display`); for a `String` parameter also `&str`,
/// `Cow<str>`, `Box<str>`, `Rc<str>`, `Arc<str>`; for a `PathBuf` parameter (`A` is `Path`,
/// as `PathBuf` is not `Display`) a `PathBuf`, `&Path`, `&str` or `String`.
///
/// Deliberately strict: an `i32` variable for an `i64` parameter is an error (write
/// `i64::from(x)`), as it would be in a call to the handler. Integer and float literals
/// take the parameter's type.
#[diagnostic::on_unimplemented(
    message = "`url_for!` got a `{Self}` for a path parameter that the handler takes as `{A}`",
    label = "expected `{A}` here, the type of the handler's argument",
    note = "pass a value of the argument's type or a reference to one (convert with `.parse()`, `From`, `.to_string()`, ..); a `String` parameter also takes `&str`, and a `PathBuf` parameter (shown as `Path`) `&str`, `String` or `&Path`"
)]
pub trait UrlValue<A: ?Sized> {
    /// The value as text, before percent-encoding.
    fn url_text(&self) -> Cow<'_, str>;
}

impl<A: Display> UrlValue<A> for A {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl<A: Display> UrlValue<A> for &A {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

// Written out, because rustc quotes these lines in its "other types implement" help.
impl UrlValue<String> for &str {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl UrlValue<String> for Cow<'_, str> {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl UrlValue<String> for Box<str> {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl UrlValue<String> for Rc<str> {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl UrlValue<String> for Arc<str> {
    fn url_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl UrlValue<Path> for PathBuf {
    fn url_text(&self) -> Cow<'_, str> {
        AsRef::<Path>::as_ref(self).to_string_lossy()
    }
}

impl UrlValue<Path> for &PathBuf {
    fn url_text(&self) -> Cow<'_, str> {
        AsRef::<Path>::as_ref(self).to_string_lossy()
    }
}

impl UrlValue<Path> for &Path {
    fn url_text(&self) -> Cow<'_, str> {
        AsRef::<Path>::as_ref(self).to_string_lossy()
    }
}

impl UrlValue<Path> for &str {
    fn url_text(&self) -> Cow<'_, str> {
        AsRef::<Path>::as_ref(self).to_string_lossy()
    }
}

impl UrlValue<Path> for String {
    fn url_text(&self) -> Cow<'_, str> {
        AsRef::<Path>::as_ref(self).to_string_lossy()
    }
}

impl UrlValue<Path> for &String {
    fn url_text(&self) -> Cow<'_, str> {
        AsRef::<Path>::as_ref(self).to_string_lossy()
    }
}

// Two impls that match every type, so that `T: UrlValue<?A>` stays ambiguous until the
// struct field's type has fixed `A`. Without them rustc picks the only impl a value's type
// has (`i32: UrlValue<i32>`) before it knows the field wants `u8`, and reports a type
// mismatch between two `UrlArg`s instead of the message above. The field types never name
// these markers.
#[doc(hidden)]
pub struct Unresolved1<T: ?Sized>(PhantomData<fn() -> Box<T>>);
#[doc(hidden)]
pub struct Unresolved2<T: ?Sized>(PhantomData<fn() -> Box<T>>);

#[allow(unknown_or_malformed_diagnostic_attributes)]
#[diagnostic::do_not_recommend]
impl<T: ?Sized> UrlValue<Unresolved1<T>> for T {
    fn url_text(&self) -> Cow<'_, str> {
        unreachable!("no url_for! field has this type")
    }
}

#[allow(unknown_or_malformed_diagnostic_attributes)]
#[diagnostic::do_not_recommend]
impl<T: ?Sized> UrlValue<Unresolved2<T>> for T {
    fn url_text(&self) -> Cow<'_, str> {
        unreachable!("no url_for! field has this type")
    }
}

/// What a path segment may hold unencoded: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The same, plus `/`, for a `<path:..>` value.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// Appends `/` and a static segment of the pattern.
pub fn push_static(url: &mut String, text: &str) {
    url.push('/');
    url.extend(utf8_percent_encode(text, SEGMENT));
}

/// Appends `/` and the value of a one-segment parameter (`/` inside it is encoded).
pub fn push_segment<A: ?Sized>(url: &mut String, value: &UrlArg<A>) {
    url.push('/');
    url.extend(utf8_percent_encode(&value.text, SEGMENT));
}

/// Appends `/` and the value of a `<path:..>` parameter, keeping its slashes.
pub fn push_path<A: ?Sized>(url: &mut String, value: &UrlArg<A>) {
    url.push('/');
    url.extend(utf8_percent_encode(&value.text, PATH));
}

// ---------------------------------------------------------------------------------------
// Compile-time messages: `collect_routes!` and `url_for!` check their input in a `const`,
// and a `const` can only panic with a `&str`, so the message is built in a fixed buffer.
// ---------------------------------------------------------------------------------------

/// A message built at compile time (longer ones are cut at a character boundary).
pub struct ConstMessage {
    buf: [u8; 1024],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage {
            buf: [0; 1024],
            len: 0,
        }
    }

    const fn push(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        // Cut inside a character (the next byte continues it): drop its first bytes too.
        if i < bytes.len() && bytes[i] & 0xC0 == 0x80 {
            while i > 0 {
                i -= 1;
                self.len -= 1;
                if bytes[i] & 0xC0 != 0x80 {
                    break;
                }
            }
        }
        self
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        let (text, _) = self.buf.split_at(self.len);
        match std::str::from_utf8(text) {
            Ok(text) => text,
            Err(_) => "(message not valid UTF-8)",
        }
    }

    /// "`a` and `b` are the same route: both answer GET on `/u/<int:id>` and `/u/<int:uid>`.."
    pub const fn duplicate_route(
        a_name: &str,
        a_methods: &[&str],
        a_pattern: &str,
        b_name: &str,
        b_methods: &[&str],
        b_pattern: &str,
    ) -> Self {
        let mut m = ConstMessage::new()
            .push("`")
            .push(a_name)
            .push("` and `")
            .push(b_name)
            .push("` are the same route: both answer ")
            .push(shared_method(a_methods, b_methods))
            .push(" on `")
            .push(a_pattern);
        m = if bytes_eq(a_pattern.as_bytes(), b_pattern.as_bytes()) {
            m.push("`")
        } else {
            m.push("` and `")
                .push(b_pattern)
                .push("`, which differ only in parameter names")
        };
        m.push("; remove one, or change its path or methods")
    }

    /// The message for a `url_for!` that lacks some of the route's path parameters, or
    /// `None` if it lacks none, or if it names one the route does not have (rustc reports
    /// that one, at the name, and a missing parameter is often the same typo).
    pub const fn url_for_missing(handler: &str, pattern: &str, given: &[&str]) -> Option<Self> {
        let p = pattern.as_bytes();
        // Every given name must be a parameter.
        let mut g = 0;
        while g < given.len() {
            if !has_param(p, given[g].as_bytes()) {
                return None;
            }
            g += 1;
        }
        let missing = count_missing(p, given);
        if missing == 0 {
            return None;
        }
        let mut m = ConstMessage::new()
            .push("url_for!(")
            .push(handler)
            .push(", ..) lacks the path ")
            .push(if missing == 1 {
                "parameter "
            } else {
                "parameters "
            });
        m = push_missing(m, p, given, "`", "`");
        m = m.push(" of `").push(pattern).push("`; add ");
        m = push_missing(m, p, given, "`", " = ..`");
        Some(m)
    }
}

/// The first method two lists share (`same_route` found one).
const fn shared_method<'a>(a: &[&'a str], b: &[&str]) -> &'a str {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if bytes_eq(a[i].as_bytes(), b[j].as_bytes()) {
                return a[i];
            }
            j += 1;
        }
        i += 1;
    }
    "the same method"
}

/// The first parameter of pattern `p` at or after byte `from`: the byte range of its name,
/// and where to look for the next one.
const fn next_param(p: &[u8], from: usize) -> Option<(usize, usize, usize)> {
    let mut i = from;
    while i < p.len() {
        if p[i] == b'<' {
            let mut start = i + 1;
            let mut end = start;
            while end < p.len() && p[end] != b'>' {
                if p[end] == b':' {
                    start = end + 1;
                }
                end += 1;
            }
            return Some((start, end, end + 1));
        }
        i += 1;
    }
    None
}

const fn has_param(p: &[u8], name: &[u8]) -> bool {
    let mut at = 0;
    while let Some((start, end, next)) = next_param(p, at) {
        if bytes_eq(subslice(p, start, end), name) {
            return true;
        }
        at = next;
    }
    false
}

const fn is_given(name: &[u8], given: &[&str]) -> bool {
    let mut g = 0;
    while g < given.len() {
        if bytes_eq(given[g].as_bytes(), name) {
            return true;
        }
        g += 1;
    }
    false
}

const fn count_missing(p: &[u8], given: &[&str]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some((start, end, next)) = next_param(p, at) {
        if !is_given(subslice(p, start, end), given) {
            count += 1;
        }
        at = next;
    }
    count
}

/// Appends the missing names, each as `before` name `after`, separated by ", ".
const fn push_missing(
    mut m: ConstMessage,
    p: &[u8],
    given: &[&str],
    before: &str,
    after: &str,
) -> ConstMessage {
    let mut first = true;
    let mut at = 0;
    while let Some((start, end, next)) = next_param(p, at) {
        let name = subslice(p, start, end);
        if !is_given(name, given) {
            if !first {
                m = m.push(", ");
            }
            first = false;
            let name = match std::str::from_utf8(name) {
                Ok(name) => name,
                Err(_) => "?",
            };
            m = m.push(before).push(name).push(after);
        }
        at = next;
    }
    m
}

/// Whether two routes answer the same requests: a method in common and the same pattern
/// once parameter names are ignored (`/u/<int:id>` and `/u/<int:uid>` are the same).
/// A `const fn`, so `collect_routes!` can reject duplicates at compile time.
pub const fn same_route(
    a_methods: &[&str],
    a_pattern: &str,
    b_methods: &[&str],
    b_pattern: &str,
) -> bool {
    shares_method(a_methods, b_methods) && same_shape(a_pattern.as_bytes(), b_pattern.as_bytes())
}

const fn shares_method(a: &[&str], b: &[&str]) -> bool {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if bytes_eq(a[i].as_bytes(), b[j].as_bytes()) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Compares two (already validated) patterns, each `<..>` reduced to its converter.
const fn same_shape(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b'<' && b[j] == b'<' {
            let (ca, next_i) = converter_of(a, i);
            let (cb, next_j) = converter_of(b, j);
            if ca != cb {
                return false;
            }
            i = next_i;
            j = next_j;
        } else if a[i] != b[j] {
            return false;
        } else {
            i += 1;
            j += 1;
        }
    }
    i == a.len() && j == b.len()
}

/// The converter of the parameter starting at `start` (0 string, 1 int, 2 float,
/// 3 path) and the index just past its `>`.
const fn converter_of(p: &[u8], start: usize) -> (u8, usize) {
    let mut end = start;
    let mut colon = 0;
    while end < p.len() && p[end] != b'>' {
        if p[end] == b':' && colon == 0 {
            colon = end;
        }
        end += 1;
    }
    let kind = if colon == 0 {
        0
    } else {
        let name = subslice(p, start + 1, colon);
        if bytes_eq(name, b"int") {
            1
        } else if bytes_eq(name, b"float") {
            2
        } else if bytes_eq(name, b"path") {
            3
        } else {
            0
        }
    };
    (kind, end + 1)
}

const fn subslice(p: &[u8], from: usize, to: usize) -> &[u8] {
    let (_, tail) = p.split_at(from);
    let (mid, _) = tail.split_at(to - from);
    mid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_messages() {
        let m = ConstMessage::duplicate_route(
            "a",
            &["GET", "POST"],
            "/u/<int:id>",
            "m::b",
            &["POST"],
            "/u/<int:uid>",
        );
        assert_eq!(
            m.as_str(),
            "`a` and `m::b` are the same route: both answer POST on `/u/<int:id>` and \
             `/u/<int:uid>`, which differ only in parameter names; remove one, or change its \
             path or methods"
        );
        let m = ConstMessage::duplicate_route("a", &["GET"], "/x", "b", &["GET"], "/x");
        assert_eq!(
            m.as_str(),
            "`a` and `b` are the same route: both answer GET on `/x`; remove one, or change \
             its path or methods"
        );

        let missing = |given: &[&str]| {
            ConstMessage::url_for_missing("h", "/u/<int:id>/<slug>/<path:rest>", given)
                .map(|m| m.as_str().to_owned())
        };
        assert_eq!(missing(&["id", "slug", "rest"]), None);
        assert_eq!(
            missing(&["id", "slug", "nope"]),
            None,
            "rustc reports `nope`"
        );
        assert_eq!(
            missing(&["slug", "id"]).as_deref(),
            Some(
                "url_for!(h, ..) lacks the path parameter `rest` of \
                 `/u/<int:id>/<slug>/<path:rest>`; add `rest = ..`"
            )
        );
        assert_eq!(
            missing(&["slug"]).as_deref(),
            Some(
                "url_for!(h, ..) lacks the path parameters `id`, `rest` of \
                 `/u/<int:id>/<slug>/<path:rest>`; add `id = ..`, `rest = ..`"
            )
        );
        assert_eq!(
            ConstMessage::url_for_missing("h", "/", &[]).map(|_| ()),
            None
        );

        // Long messages are cut, and never inside a character.
        let long = "\u{e9}".repeat(600);
        let m = ConstMessage::new().push("x").push(&long);
        assert!(m.as_str().len() <= 1024 && m.as_str().len() > 1000);
        assert!(m.as_str().ends_with('\u{e9}'));
    }

    #[test]
    fn same_route_ignores_names_but_not_converters_or_methods() {
        assert!(same_route(
            &["GET"],
            "/u/<int:id>",
            &["GET"],
            "/u/<int:uid>"
        ));
        assert!(same_route(&["GET"], "/u/<a>", &["GET"], "/u/<string:b>"));
        assert!(same_route(&["GET", "POST"], "/x", &["POST"], "/x"));
        assert!(!same_route(&["GET"], "/u/<int:id>", &["GET"], "/u/<id>"));
        assert!(!same_route(&["GET"], "/x", &["POST"], "/x"));
        assert!(!same_route(&["GET"], "/x", &["GET"], "/x/"));
        assert!(!same_route(&["GET"], "/a/<p>", &["GET"], "/a/<p>/b"));
    }
}
