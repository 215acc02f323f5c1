//! `#[get]`, `#[post]`, `#[put]`, `#[delete]`, `#[patch]` and `#[route]`: parse the
//! attribute and the signature, validate them against the pattern grammar, emit.
//!
//! The handler function is emitted untouched. Beside it goes a hidden braced struct with the
//! same name (a braced struct lives only in the type namespace, so it coexists with the fn)
//! that implements `httpserver::__private::RouteInfo`; `collect_routes!` turns those structs
//! into `Route`s and `url_for!` fills in their fields.

mod emit;
mod messages;
mod model;
mod parse;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::args::{parse_args, Kind};
use parse::HandlerFn;

pub fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    let func = match parse::handler(item.clone()) {
        Ok(func) => func,
        // A function whose signature does not parse: rustc reports that on its own.
        Err(parse::NotAHandler::BrokenFn) => return item,
        Err(parse::NotAHandler::OtherItem) => {
            let attr_name = kind.attr_name();
            let err = syn::Error::new(
                Span::call_site(),
                format!(
                    "#[{attr_name}] goes on a handler function, e.g. \
                     #[{attr_name}(\"/\")] async fn index() -> &'static str {{ \"hello\" }}"
                ),
            )
            .to_compile_error();
            return quote!(#err #item);
        }
    };
    let args = parse_args(kind, attr);
    match validate::route(&func, args) {
        Ok(route) => emit::route(&func, &route, item),
        Err(failed) => emit::with_errors(&func, &failed, item),
    }
}

/// The one place that turns collected errors into tokens.
fn combine(errors: Vec<syn::Error>) -> TokenStream {
    let mut iter = errors.into_iter();
    let Some(mut first) = iter.next() else {
        return TokenStream::new();
    };
    for e in iter {
        first.combine(e);
    }
    first.to_compile_error()
}

/// Borrowed by the emitters: the handler as written.
impl HandlerFn {
    /// `#[cfg(..)]` attributes, propagated so the companion items vanish with the function.
    fn cfgs(&self) -> impl Iterator<Item = &syn::Attribute> {
        self.attrs.iter().filter(|a| a.path().is_ident("cfg"))
    }
}
