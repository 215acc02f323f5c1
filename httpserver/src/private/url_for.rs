//! `url_for!`: a route's path with its parameters filled in and percent-encoded.

use std::borrow::Cow;
use std::fmt::Display;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use crate::protocol::url_text::{push_path_text, push_segment_text};
pub use crate::protocol::url_text::{push_static, with_query};

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

/// Appends `/` and the value of a one-segment parameter (`/` inside it is encoded).
pub fn push_segment<A: ?Sized>(url: &mut String, value: &UrlArg<A>) {
    push_segment_text(url, &value.text);
}

/// Appends `/` and the value of a `<path:..>` parameter, keeping its slashes.
pub fn push_path<A: ?Sized>(url: &mut String, value: &UrlArg<A>) {
    push_path_text(url, &value.text);
}
