//! `collect_routes![a, b, module::c]`.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, PathArguments, Token};

pub fn expand(input: TokenStream) -> TokenStream {
    let parser = Punctuated::<Path, Token![,]>::parse_terminated;
    let paths = match parser.parse2(input) {
        Ok(paths) => paths,
        Err(e) => {
            let mut err = syn::Error::new(
                e.span(),
                format!(
                    "{e}; collect_routes! takes the handlers' names separated by commas, \
                     e.g. collect_routes![index, get_user, api::users::list]"
                ),
            )
            .to_compile_error();
            // Keep the expression's type, so the caller gets no second error.
            err.extend(quote!(::std::vec::Vec::<::httpserver::Route>::new()));
            return quote!({ #err });
        }
    };

    let mut errors = TokenStream::new();
    let mut unique: Vec<(&Path, String)> = Vec::new();
    for path in &paths {
        let name = display_path(path);
        if unique.iter().any(|(_, n)| *n == name) {
            errors.extend(
                syn::Error::new_spanned(
                    path,
                    format!("`{name}` is listed twice in collect_routes!; remove one"),
                )
                .to_compile_error(),
            );
        } else {
            unique.push((path, name));
        }
    }

    let info =
        |path: &Path| quote_spanned!(path.span()=> <#path as ::httpserver::__private::RouteInfo>);

    // Two handlers with the same method and pattern shape: a const panic naming both, with
    // their method and patterns, pointing at the second.
    let mut checks = TokenStream::new();
    for (j, (b, b_name)) in unique.iter().enumerate() {
        for (a, a_name) in &unique[..j] {
            let (a_info, b_info) = (info(a), info(b));
            let message = quote! {
                ::httpserver::__private::ConstMessage::duplicate_route(
                    #a_name,
                    #a_info::METHODS,
                    #a_info::PATTERN,
                    #b_name,
                    #b_info::METHODS,
                    #b_info::PATTERN,
                )
                .as_str()
            };
            let panic = const_panic(b, message);
            checks.extend(quote_spanned! {b.span()=>
                if ::httpserver::__private::same_route(
                    #a_info::METHODS,
                    #a_info::PATTERN,
                    #b_info::METHODS,
                    #b_info::PATTERN,
                ) {
                    #panic
                }
            });
        }
    }
    let checks = if checks.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            const _: () = {
                #checks
            };
        }
    };

    let routes = unique.iter().map(|(path, _)| {
        let info = info(path);
        quote_spanned!(path.span()=> #info::route())
    });
    quote! {
        {
            #errors
            #checks
            let __routes: ::std::vec::Vec<::httpserver::Route> = ::std::vec![#(#routes),*];
            __routes
        }
    }
}

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

    #[test]
    fn expansion() {
        let out = expand(quote!(a, b, m::c,)).to_string();
        assert_eq!(out.matches("same_route").count(), 3, "{out}");
        assert!(
            out.contains("duplicate_route (\"a\" , < a as :: httpserver :: __private :: RouteInfo > :: METHODS"),
            "{out}"
        );
        assert!(out.contains("\"m::c\" , < m :: c as"), "{out}");
        assert!(
            out.contains("< m :: c as :: httpserver :: __private :: RouteInfo > :: route ()"),
            "{out}"
        );

        let out = expand(quote!()).to_string();
        assert!(!out.contains("same_route"), "{out}");
        assert!(out.contains(":: std :: vec ! []"), "{out}");

        let out = expand(quote!(a)).to_string();
        assert!(!out.contains("same_route"), "{out}");

        let out = expand(quote!(a, b, a)).to_string();
        assert!(out.contains("`a` is listed twice"), "{out}");
        assert_eq!(out.matches(":: route ()").count(), 2, "{out}");

        let out = expand(quote!(a b)).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(
            out.contains("Vec :: < :: httpserver :: Route > :: new ()"),
            "{out}"
        );
    }
}
