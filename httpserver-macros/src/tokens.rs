//! Token helpers that `collect_routes!`, `url_for!` and the route attributes share: spans
//! for errors, a path as the user wrote it, a `const` panic that points at their code.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::{Path, PathArguments};

/// `panic!("{}", message);` for a `const` check, where `message` is a `&str` expression.
/// The error underlines `at`: `panic!` starts at its first token and the parentheses sit
/// on its last. `::core::panic!` has the macro crate's hygiene, hence its 2021 edition
/// (where `panic!("{}", s)` works in a `const`), whatever the caller's edition.
pub fn const_panic(at: &impl ToTokens, message: TokenStream) -> TokenStream {
    let (first, last) = first_last_span(at);
    let mut panic_args = Group::new(Delimiter::Parenthesis, quote!("{}", #message));
    panic_args.set_span(last);
    let first = Span::mixed_site().located_at(first);
    quote_spanned!(first=> ::core::panic! #panic_args;)
}

/// The spans of the first and the last token of `tokens`.
pub fn first_last_span(tokens: &impl ToTokens) -> (Span, Span) {
    let mut tokens = tokens.to_token_stream().into_iter();
    let first = tokens.next().map_or_else(Span::call_site, |t| t.span());
    let last = tokens.last().map_or(first, |t| t.span());
    (first, last)
}

/// `api::users::list`, as written (without the token stream's spaces).
pub fn display_path(path: &Path) -> String {
    let simple = path
        .segments
        .iter()
        .all(|seg| matches!(seg.arguments, PathArguments::None));
    if !simple {
        return path.to_token_stream().to_string();
    }
    let mut out = String::new();
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(&seg.ident.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let p = |s: &str| display_path(&syn::parse_str(s).unwrap());
        assert_eq!(p("a"), "a");
        assert_eq!(p("api::users::list"), "api::users::list");
        assert_eq!(p("::krate::x"), "::krate::x");
        assert_eq!(p("r#type"), "r#type");
    }
}
