//! `url_for!(handler, name = value, ..)`.
//!
//! The route attribute gave the handler a hidden struct of the same name with one field per
//! path parameter, so this macro only has to write a struct literal:
//!
//! ```text
//! url_for!(api::get_user, id = 42)
//!   ==> RouteInfo::url(&api::get_user { id: url_arg(&(42)) })
//! ```
//!
//! rustc then reports a missing parameter (missing field, at the handler's name), an
//! unknown one (no such field, with "a field with a similar name exists"), and a value of
//! the wrong type (`UrlValue`'s message, at the value). This macro reports only what it
//! can see in its own input: its syntax, and a parameter given twice.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Path, Token};

const EXAMPLE: &str = "url_for!(get_user, id = 42)";

/// One `name = value`.
struct Param {
    name: Ident,
    value: Expr,
}

impl Parse for Param {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(Ident::peek_any) && (input.peek2(Token![=]) || input.peek2(Token![:]))) {
            let expr: Expr = input.parse()?;
            return Err(syn::Error::new_spanned(
                expr,
                format!(
                    "url_for! takes path parameters by name: write `name = value`, e.g. \
                     {EXAMPLE}"
                ),
            ));
        }
        let name = input.call(Ident::parse_any)?;
        if input.peek(Token![:]) {
            let colon: Token![:] = input.parse()?;
            return Err(syn::Error::new(
                colon.span,
                format!("write `{} = value` (with `=`, not `:`)", name.unraw()),
            ));
        }
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(Param { name, value })
    }
}

fn parse(input: ParseStream) -> syn::Result<(Path, Vec<Param>)> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!(
                "url_for! needs the handler whose URL to build, then its path parameters, \
                 e.g. {EXAMPLE}"
            ),
        ));
    }
    let handler: Path = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("url_for! takes the handler's name first (a path such as `get_user` or `api::get_user`), e.g. {EXAMPLE}"),
        )
    })?;
    let mut params = Vec::new();
    while !input.is_empty() {
        input.parse::<Token![,]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected `,` between url_for!'s arguments, e.g. {EXAMPLE}"),
            )
        })?;
        if input.is_empty() {
            break;
        }
        params.push(input.parse()?);
    }
    Ok((handler, params))
}

pub fn expand(input: TokenStream) -> TokenStream {
    let (handler, params) = match parse.parse2(input) {
        Ok(parsed) => parsed,
        Err(e) => {
            let err = e.to_compile_error();
            // Keep the expression's type, so the caller gets no second error.
            return quote!({ #err ::std::string::String::new() });
        }
    };

    let mut errors = TokenStream::new();
    let mut fields = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for Param { name, value } in &params {
        let key = name.unraw().to_string();
        if seen.contains(&key) {
            errors.extend(
                syn::Error::new(
                    name.span(),
                    format!("`{key}` is given twice; give each path parameter once"),
                )
                .to_compile_error(),
            );
            continue;
        }
        seen.push(key);
        // The whole call sits on the value, so a type error underlines just the value.
        let arg = quote_spanned! {value.span()=>
            ::httpserver::__private::url_arg(&(#value))
        };
        fields.push(quote!(#name: #arg));
    }

    quote! {
        {
            #errors
            ::httpserver::__private::RouteInfo::url(&#handler { #(#fields),* })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(input: TokenStream) -> String {
        expand(input).to_string()
    }

    #[test]
    fn expansion() {
        let out = expand_str(quote!(api::get_user, id = 42, name = &user.name,));
        assert!(
            out.contains(
                ":: httpserver :: __private :: RouteInfo :: url (& api :: get_user { \
                 id : :: httpserver :: __private :: url_arg (& (42)) , \
                 name : :: httpserver :: __private :: url_arg (& (& user . name)) })"
            ),
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");

        let out = expand_str(quote!(index));
        assert!(out.contains("RouteInfo :: url (& index { })"), "{out}");
    }

    #[test]
    fn mistakes() {
        let out = expand_str(quote!());
        assert!(out.contains("url_for! needs the handler"), "{out}");
        assert!(out.contains("String :: new ()"), "{out}");

        let out = expand_str(quote!(get_user, 42));
        assert!(out.contains("takes path parameters by name"), "{out}");

        let out = expand_str(quote!(get_user, id: 42));
        assert!(out.contains("write `id = value`"), "{out}");

        let out = expand_str(quote!(get_user id = 42));
        assert!(out.contains("expected `,`"), "{out}");

        let out = expand_str(quote!("/users", id = 42));
        assert!(out.contains("takes the handler's name first"), "{out}");

        let out = expand_str(quote!(get_user, id = 1, id = 2));
        assert!(out.contains("`id` is given twice"), "{out}");
        assert_eq!(out.matches("url_arg").count(), 1, "{out}");
    }
}
