//! `url_for!(handler, name = value, .., ?key = value, ..)`: path parameters by name, and
//! query parameters after a `?`.
//!
//! The route attribute gave the handler a hidden struct of the same name with one field per
//! path parameter, so this macro only has to write a struct literal:
//!
//! ```text
//! url_for!(api::get_user, id = 42)
//!   ==> { const _: () = /* panic if `id` is not all of PATTERN's parameters */;
//!         let __route = api::get_user { id: url_arg(&(42)), ..Default::default() };
//!         RouteInfo::url(&__route) }
//! ```
//!
//! rustc then reports an unknown parameter (no such field, with "a field with a similar
//! name exists"), and a value of the wrong type (`UrlValue`'s message, at the value); the
//! `const` reports a missing one. This macro reports only what it can see in its own
//! input: its syntax, and a parameter given twice.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Path, Token};

use crate::tokens::{const_panic, display_path, first_last_span};

const EXAMPLE: &str = "url_for!(get_user, id = 42)";

/// One `name = value`.
struct Param {
    name: Ident,
    value: Expr,
}

/// One `?key = value`: a query parameter, not checked against the route (any key may be
/// given, any number of times); the value is anything `Display`.
struct QueryParam {
    key: String,
    value: Expr,
}

/// A path parameter, or a query parameter after its `?`.
enum Arg {
    Path(Param),
    Query(QueryParam),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            let key = if input.peek(syn::LitStr) {
                input.parse::<syn::LitStr>()?.value()
            } else {
                input.call(Ident::parse_any)?.unraw().to_string()
            };
            input.parse::<Token![=]>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("write a query parameter as `?{key} = value`"),
                )
            })?;
            return Ok(Arg::Query(QueryParam {
                key,
                value: input.parse()?,
            }));
        }
        input.parse().map(Arg::Path)
    }
}

impl Parse for Param {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(Ident::peek_any) && (input.peek2(Token![=]) || input.peek2(Token![:]))) {
            let expr: Expr = input.parse()?;
            return Err(syn::Error::new_spanned(
                expr,
                format!(
                    "url_for! takes path parameters by name: write `name = value`, e.g. \
                     {EXAMPLE} (and query parameters as `?name = value`)"
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

fn parse(input: ParseStream) -> syn::Result<(Path, Vec<Param>, Vec<QueryParam>)> {
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
    let (mut params, mut query) = (Vec::new(), Vec::new());
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
        match input.parse()? {
            Arg::Path(param) => params.push(param),
            Arg::Query(param) => query.push(param),
        }
    }
    Ok((handler, params, query))
}

pub fn expand(input: TokenStream) -> TokenStream {
    let (handler, params, query) = match parse.parse2(input) {
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

    // A missing parameter: a `const` check with a message of our own (rustc's "missing
    // field in initializer" would not say what to write), and `..Default::default()` so
    // rustc does not report it again.
    let display = display_path(&handler);
    let info = quote_spanned!(handler.span()=> <#handler as ::httpserver::__private::RouteInfo>);
    let message = quote!(__message.as_str());
    let panic = const_panic(&handler, message);
    let check = quote! {
        const _: () = if let ::core::option::Option::Some(__message) =
            ::httpserver::__private::ConstMessage::url_for_missing(
                #display,
                #info::PATTERN,
                &[#(#seen),*],
            )
        {
            #panic
        };
    };

    // The struct literal's span runs from the handler's name to its brace, which sits on
    // the name's last token, so it is not a span of this macro: rustc lists the available
    // fields ("available fields are: `id`") and suggests a similar one only for an
    // expression written outside macros. (`..Default::default()` keeps this macro's span,
    // so that lints about user code leave it alone.)
    let with_query = query_string(&query);
    let (_, last) = first_last_span(&handler);
    let mut body = Group::new(
        Delimiter::Brace,
        quote!(#(#fields,)* ..::core::default::Default::default()),
    );
    body.set_span(last);
    quote! {
        {
            #errors
            #check
            #[allow(clippy::needless_update)]
            let __route = #handler #body;
            #with_query
        }
    }
}

/// The route's path, with the query parameters after it when the call has any.
fn query_string(query: &[QueryParam]) -> TokenStream {
    let path = quote!(::httpserver::__private::RouteInfo::url(&__route));
    if query.is_empty() {
        return path;
    }
    let pairs = query.iter().map(|QueryParam { key, value }| {
        let value = quote_spanned!(value.span()=> ::std::string::ToString::to_string(&(#value)));
        quote!((#key, #value))
    });
    quote!(::httpserver::__private::with_query(#path, &[#(#pairs),*]))
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
                "let __route = api :: get_user { \
                 id : :: httpserver :: __private :: url_arg (& (42)) , \
                 name : :: httpserver :: __private :: url_arg (& (& user . name)) , \
                 .. :: core :: default :: Default :: default () }"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "url_for_missing (\"api::get_user\" , < api :: get_user as \
                 :: httpserver :: __private :: RouteInfo > :: PATTERN , & [\"id\" , \"name\"] ,)"
            ),
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");

        let out = expand_str(quote!(index));
        assert!(out.contains("let __route = index { .."), "{out}");
        assert!(out.contains("& [] ,"), "{out}");
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
