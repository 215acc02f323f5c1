//! `#[group("/prefix")] mod name { .. }`: the route attributes inside get the prefix written
//! into their paths (so `url_for!` and the duplicate check see the full path at compile
//! time), and the module gets `pub fn group() -> httpserver::Group` with its routes.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::ext::IdentExt;
use syn::{Attribute, Item, ItemMod, LitStr, Meta};

use httpserver_pattern as pattern;

use crate::args::ROUTE_ATTRIBUTES;

const EXAMPLE: &str = "#[group(\"/admin\")] mod admin { #[get(\"/users\")] pub async fn users() -> &'static str { \"..\" } }";

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand_checked(attr, item.clone()) {
        Ok(tokens) => tokens,
        Err(e) => {
            let e = e.to_compile_error();
            quote!(#e #item)
        }
    }
}

fn expand_checked(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let prefix: LitStr = syn::parse2(attr).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("#[group] takes the path prefix of its routes, e.g. {EXAMPLE}"),
        )
    })?;
    check_prefix(&prefix)?;
    let mut module: ItemMod = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("#[group] goes on an inline module of handlers, e.g. {EXAMPLE}"),
        )
    })?;
    let Some((_, items)) = module.content.as_mut() else {
        return Err(syn::Error::new_spanned(
            &module,
            format!(
                "#[group] needs the module's handlers in place (`mod {} {{ .. }}`), not in \
                 another file",
                module.ident
            ),
        ));
    };
    let mut handlers = Vec::new();
    for item in items.iter_mut() {
        let Item::Fn(func) = item else { continue };
        let mut routed = false;
        for attr in func.attrs.iter_mut().filter(|a| is_route_attribute(a)) {
            prefix_path(attr, &prefix)?;
            routed = true;
        }
        if routed {
            handlers.push(func.sig.ident.clone());
        }
    }
    let prefix_value = prefix.value();
    let module_name = module.ident.unraw().to_string();
    let doc = format!("The routes of this module under `{prefix_value}`, for `App::group`.");
    items.push(syn::parse_quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        pub fn group() -> ::httpserver::Group {
            ::httpserver::Group::new(#prefix, ::httpserver::collect_routes![#(#handlers),*])
                .listed_in(#module_name)
        }
    });
    Ok(quote!(#module))
}

/// A prefix is a pattern without a trailing slash: `/admin`, `/users/<int:uid>`.
fn check_prefix(prefix: &LitStr) -> syn::Result<()> {
    let value = prefix.value();
    if value.len() > 1 && value.ends_with('/') {
        return Err(syn::Error::new(
            prefix.span(),
            format!(
                "a group prefix has no trailing slash: write `{}` (a route `\"/\"` inside it \
                 then serves `{}`)",
                value.trim_end_matches('/'),
                value
            ),
        ));
    }
    if value == "/" || value.is_empty() {
        return Err(syn::Error::new(
            prefix.span(),
            "a group prefix is a path such as \"/admin\"; routes without a prefix need no group",
        ));
    }
    pattern::parse(&value).map(|_| ()).map_err(|e| {
        syn::Error::new(
            prefix.span(),
            format!("invalid group prefix: {}", e.message),
        )
    })
}

fn is_route_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|seg| ROUTE_ATTRIBUTES.iter().any(|(name, _)| seg.ident == name))
}

/// `#[get("/users")]` becomes `#[get("/admin/users")]`; the new literal keeps the old one's
/// span, so errors about the pattern still point at what the user wrote.
fn prefix_path(attr: &mut Attribute, prefix: &LitStr) -> syn::Result<()> {
    let Meta::List(list) = &mut attr.meta else {
        return Ok(()); // the route attribute reports its own missing path
    };
    let mut tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    let Some(TokenTree::Literal(first)) = tokens.first() else {
        return Ok(());
    };
    let Ok(path) = syn::parse2::<LitStr>(TokenTree::Literal(first.clone()).into()) else {
        return Ok(());
    };
    let joined = LitStr::new(&format!("{}{}", prefix.value(), path.value()), path.span());
    let Some(TokenTree::Literal(literal)) = quote!(#joined).into_iter().next() else {
        return Err(syn::Error::new(Span::call_site(), "unexpected token"));
    };
    tokens[0] = TokenTree::Literal(literal);
    list.tokens = tokens.into_iter().collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(out: &str) -> Vec<String> {
        out.split("compile_error ! {")
            .skip(1)
            .map(|rest| rest.split('"').nth(1).unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn routes_get_the_prefix_and_the_module_a_group_fn() {
        let out = expand(
            quote!("/admin"),
            quote! {
                mod admin {
                    use super::*;
                    #[get("/users")]
                    pub async fn users() -> &'static str { "" }
                    #[httpserver::route("/users/<int:id>", methods = ["GET", "POST"])]
                    pub async fn user(id: i64) -> String { String::new() }
                    #[get("/")]
                    pub async fn home() -> &'static str { "" }
                    fn helper() {}
                }
            },
        )
        .to_string();
        assert!(errors_of(&out).is_empty(), "{out}");
        assert!(out.contains("# [get (\"/admin/users\")]"), "{out}");
        assert!(
            out.contains("# [httpserver :: route (\"/admin/users/<int:id>\" , methods = [\"GET\" , \"POST\"])]"),
            "{out}"
        );
        assert!(out.contains("# [get (\"/admin/\")]"), "{out}");
        assert!(
            out.contains(":: httpserver :: Group :: new (\"/admin\" , :: httpserver :: collect_routes ! [users , user , home]) . listed_in (\"admin\")"),
            "{out}"
        );
    }

    #[test]
    fn mistakes() {
        let cases = [
            (
                quote!("/admin/"),
                quote!(
                    mod m {}
                ),
                "a group prefix has no trailing slash: write `/admin`",
            ),
            (
                quote!("/"),
                quote!(
                    mod m {}
                ),
                "a group prefix is a path such as",
            ),
            (
                quote!("admin"),
                quote!(
                    mod m {}
                ),
                "invalid group prefix: ",
            ),
            (
                quote!(admin),
                quote!(
                    mod m {}
                ),
                "#[group] takes the path prefix",
            ),
            (
                quote!("/admin"),
                quote!(
                    mod m;
                ),
                "#[group] needs the module's handlers in place",
            ),
            (
                quote!("/admin"),
                quote!(
                    fn f() {}
                ),
                "#[group] goes on an inline module",
            ),
        ];
        for (attr, item, message) in cases {
            let out = expand(attr, item).to_string();
            let errors = errors_of(&out);
            assert_eq!(errors.len(), 1, "{out}");
            assert!(errors[0].starts_with(message), "{errors:?}");
        }
    }
}
