//! `collect_routes![a, b, module::c]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token};

use crate::tokens::{const_panic, display_path};

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

    // Two handlers with the same method and pattern shape: one table of the handlers' keys,
    // one `const` search for a duplicate (n log n), then one `if` per handler so that the
    // error names both and points at the second. Linear in the number of handlers.
    let checks = if unique.len() < 2 {
        TokenStream::new()
    } else {
        let count = unique.len();
        let keys = unique.iter().map(|(path, _)| {
            let info = info(path);
            quote_spanned!(path.span()=> #info::KEY)
        });
        let panics = unique.iter().enumerate().skip(1).map(|(j, (path, _))| {
            let panic = const_panic(path, quote!(__DUPLICATE.message.as_str()));
            quote!(if __DUPLICATE.second == #j { #panic })
        });
        quote! {
            const _: () = {
                const __ROUTES: [::httpserver::__private::RouteKey; #count] = [#(#keys),*];
                const __DUPLICATE: ::httpserver::__private::Duplicate =
                    ::httpserver::__private::Duplicate::find(&__ROUTES);
                #(#panics)*
            };
        }
    };

    // A handler named with its module path keeps that path for the start-up table; a
    // bare name adds nothing to the expansion.
    let routes = unique.iter().map(|(path, name)| {
        let info = info(path);
        let listed = (path.segments.len() > 1).then(|| quote!(.listed_as(#name)));
        quote_spanned!(path.span()=> #info::route() #listed)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let out = expand(quote!(a, b, m::c,)).to_string();
        // One table and one search, one `if` per handler after the first: linear.
        assert_eq!(out.matches("Duplicate :: find").count(), 1, "{out}");
        assert_eq!(out.matches("__DUPLICATE . second ==").count(), 2, "{out}");
        assert!(
            out.contains("[:: httpserver :: __private :: RouteKey ; 3usize] = [< a as :: httpserver :: __private :: RouteInfo > :: KEY"),
            "{out}"
        );
        assert!(out.contains("__DUPLICATE . second == 2usize"), "{out}");
        assert!(
            out.contains(
                "< m :: c as :: httpserver :: __private :: RouteInfo > :: route () . listed_as (\"m::c\")"
            ),
            "{out}"
        );
        // A bare name adds nothing.
        assert_eq!(out.matches("listed_as").count(), 1, "{out}");

        let out = expand(quote!()).to_string();
        assert!(!out.contains("Duplicate"), "{out}");
        assert!(out.contains(":: std :: vec ! []"), "{out}");

        let out = expand(quote!(a)).to_string();
        assert!(!out.contains("Duplicate"), "{out}");

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
