//! `#[get]`, `#[post]`, `#[put]`, `#[delete]`, `#[patch]` and `#[route]`.
//!
//! The handler function is emitted untouched. Beside it goes a hidden braced struct with the
//! same name (a braced struct lives only in the type namespace, so it coexists with the fn)
//! that implements `httpserver::__private::RouteInfo`; `collect_routes!` turns those structs
//! into `Route`s.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, Item, LitStr, Pat, ReturnType, Signature, Type, Visibility};

use crate::args::{parse_args, Kind};
use crate::pattern::{self, Converter};
use crate::suggest;

/// One argument of the handler.
struct Arg {
    ty: Type,
    /// The name it is bound to, when its pattern is a plain identifier (`id`, `mut id`,
    /// `_req`); only such arguments can receive path parameters.
    name: Option<Ident>,
    /// The path parameter it receives: its name and converter. `None` means the argument
    /// is extracted from the request (`FromRequest`).
    param: Option<(String, Converter)>,
}

/// The handler as far as the macro needs to read it: its body is kept as unparsed tokens,
/// so a mistake inside the body is reported by rustc alone, as for any function.
struct HandlerFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
}

impl Parse for HandlerFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body: Group = input.parse()?;
        if body.delimiter() != Delimiter::Brace || !input.is_empty() {
            return Err(input.error("expected a function body"));
        }
        Ok(HandlerFn { attrs, vis, sig })
    }
}

pub fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr_name = kind.attr_name();
    let func: HandlerFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        // A function whose signature does not parse: rustc reports that on its own.
        Err(_) if matches!(syn::parse2::<Item>(item.clone()), Err(_) | Ok(Item::Fn(_))) => {
            return item;
        }
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                format!(
                    "#[{attr_name}] goes on a handler function, e.g. \
                     #[{attr_name}(\"/\")] async fn index() -> &'static str {{ \"hello\" }}"
                ),
            );
            let err = err.to_compile_error();
            return quote!(#err #item);
        }
    };

    let args = parse_args(kind, attr);
    let mut errors = args.errors;

    let sig = &func.sig;
    let fn_name = sig.ident.unraw().to_string();

    // A method cannot be given a sibling struct (the output would not even parse inside an
    // `impl` block), so report it and emit the function alone.
    if let Some(receiver) = sig.receiver() {
        errors.push(syn::Error::new_spanned(
            receiver,
            format!(
                "handlers must be free functions without generics: `{fn_name}` takes `self`; \
                 move it out of the `impl` block and pass what it needs as arguments \
                 (shared data via `State<T>`)"
            ),
        ));
        let errors = combine(errors);
        return quote!(#errors #item);
    }

    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!(
                "handlers must be free functions without generics: give `{fn_name}` concrete \
                 argument and return types instead of generic parameters"
            ),
        ));
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            format!(
                "handlers must be free functions without generics: remove the `where` clause \
                 from `{fn_name}`"
            ),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            format!(
                "a handler cannot be an `unsafe fn`: the router calls `{fn_name}` without an \
                 `unsafe` block; make it safe and use `unsafe` blocks inside"
            ),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "handlers cannot be variadic",
        ));
    }

    // The arguments.
    let mut fn_args = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(pat_type) = input else {
            continue; // receivers were rejected above
        };
        let ty = (*pat_type.ty).clone();
        if let Some(message) = unsupported_arg_type(&ty) {
            errors.push(syn::Error::new_spanned(&pat_type.ty, message));
        }
        let name = match &*pat_type.pat {
            Pat::Ident(pat_ident) if pat_ident.subpat.is_none() => Some(pat_ident.ident.clone()),
            _ => None,
        };
        fn_args.push(Arg {
            ty,
            name,
            param: None,
        });
    }

    // The pattern, and which argument receives each of its parameters.
    let mut params: Vec<(String, Converter)> = Vec::new();
    if let Some(lit) = &args.path {
        match pattern::parse(&lit.value()) {
            Ok(parsed) => {
                params = parsed
                    .params()
                    .map(|(name, converter)| (name.to_string(), converter))
                    .collect();
            }
            Err(e) => errors.push(syn::Error::new(lit.span(), e.message)),
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (name, converter) in &params {
        if seen.contains(&name.as_str()) {
            // Normally rejected by the pattern grammar already; never bind one name twice.
            let lit = args.path.as_ref().unwrap();
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "path parameter `{name}` appears twice in the pattern; give each \
                     parameter its own name"
                ),
            ));
            continue;
        }
        seen.push(name);
        let found = fn_args.iter_mut().find(|arg| {
            arg.param.is_none()
                && arg
                    .name
                    .as_ref()
                    .is_some_and(|ident| ident.unraw() == name.as_str())
        });
        match found {
            Some(arg) => arg.param = Some((name.clone(), *converter)),
            None => {
                let lit = args.path.as_ref().unwrap();
                errors.push(missing_param_error(
                    lit, name, *converter, &fn_name, &fn_args, &params,
                ));
            }
        }
    }

    // Propagate `#[cfg(..)]` so the companion items vanish together with the function.
    let cfgs: Vec<_> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();
    let vis = &func.vis;
    let ident = &sig.ident;
    let pattern_lit = match &args.path {
        Some(lit) => lit.clone(),
        None => LitStr::new("", Span::call_site()),
    };
    let methods = &args.methods;
    let struct_and_consts = quote! {
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(
            non_camel_case_types,
            dead_code,
            clippy::empty_structs_with_brackets,
            clippy::exhaustive_structs
        )]
        #vis struct #ident {}
    };
    let info_consts = quote! {
        const NAME: &'static str = #fn_name;
        const PATTERN: &'static str = #pattern_lit;
        const METHODS: &'static [&'static str] = &[#(#methods),*];
    };

    if !errors.is_empty() {
        // Still define the struct (so `collect_routes!` does not add errors of its own),
        // with a `route()` that is never compiled into anything that runs.
        let errors = combine(errors);
        return quote! {
            #errors
            #item
            #struct_and_consts
            #(#cfgs)*
            impl ::httpserver::__private::RouteInfo for #ident {
                #info_consts
                fn route() -> ::httpserver::Route {
                    ::core::unreachable!()
                }
            }
        };
    }

    // Compile-time check that each path parameter's type fits its converter, pointing at
    // the argument's type.
    let asserts = fn_args
        .iter()
        .filter_map(|arg| {
            let (_, converter) = arg.param.as_ref()?;
            let ty = &arg.ty;
            let assert = match converter {
                Converter::Int => quote!(assert_int_param),
                Converter::Float => quote!(assert_float_param),
                Converter::Path => quote!(assert_path_param),
                Converter::Str => quote!(assert_str_param),
            };
            Some(quote_spanned! {ty.span()=>
                ::httpserver::__private::#assert::<#ty>();
            })
        })
        .collect::<Vec<_>>();

    let checks = if asserts.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            #(#cfgs)*
            const _: () = {
                #[allow(dead_code)]
                fn __check() {
                    #(#asserts)*
                }
            };
        }
    };

    // `__accepts`: the values of the parameters, in pattern order, parse as the argument
    // types (e.g. `<int:n>` bound to a `u8` rejects "300").
    let values = Ident::new("__values", Span::call_site());
    let accept_checks = params.iter().enumerate().filter_map(|(i, (name, _))| {
        let arg = fn_args
            .iter()
            .find(|arg| arg.param.as_ref().is_some_and(|(n, _)| n == name))?;
        if is_any_string(&arg.ty) {
            return None;
        }
        let ty = &arg.ty;
        Some(quote_spanned! {ty.span()=>
            && ::httpserver::__private::accepts::<#ty>(#values[#i])
        })
    });

    // `__handle`: one binding per argument, in declaration order, then the call.
    let req = Ident::new("__req", Span::call_site());
    let vars: Vec<Ident> = (0..fn_args.len())
        .map(|i| format_ident!("__arg{}", i, span = Span::call_site()))
        .collect();
    let bindings = fn_args.iter().zip(&vars).map(|(arg, var)| {
        let ty = &arg.ty;
        let get = match &arg.param {
            Some((name, _)) => quote_spanned! {ty.span()=>
                ::httpserver::__private::path_param::<#ty>(&#req, #name)
            },
            None => quote_spanned! {ty.span()=>
                ::httpserver::__private::extract::<#ty>(&#req)
            },
        };
        quote_spanned! {ty.span()=>
            let #var: #ty = match #get {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(r) => return r,
            };
        }
    });

    // Errors about the return type (`IntoResponse`) point at the return type: the call's
    // first token sits on the type's first token and its last on the type's last.
    let (ret_first, ret_last) = match &sig.output {
        ReturnType::Type(_, ty) => first_last_span(ty),
        ReturnType::Default => (sig.ident.span(), sig.ident.span()),
    };
    let mut callee = sig.ident.clone();
    callee.set_span(ret_first.resolved_at(sig.ident.span()));
    let call = if sig.asyncness.is_some() {
        let await_ = quote_spanned!(ret_last=> .await);
        quote_spanned! {ret_first=>
            ::httpserver::__private::into_response(#callee(#(#vars),*) #await_)
        }
    } else {
        let mut call_args = Group::new(Delimiter::Parenthesis, quote!(#(#vars),*));
        call_args.set_span(ret_last);
        quote_spanned! {ret_first=>
            ::httpserver::__private::run_blocking(move || #callee #call_args).await
        }
    };

    // A handler whose future is not `Send` gets its error at the function's name.
    let handler_future = quote_spanned! {sig.ident.span()=>
        ::httpserver::__private::box_future(async move {
            #(#bindings)*
            ::core::mem::drop(#req);
            #call
        })
    };

    quote! {
        #item
        #struct_and_consts

        #checks

        #(#cfgs)*
        impl ::httpserver::__private::RouteInfo for #ident {
            #info_consts

            fn route() -> ::httpserver::Route {
                #[allow(unused_variables)]
                fn __accepts(#values: &[&str]) -> bool {
                    true #(#accept_checks)*
                }

                fn __handle(#req: ::httpserver::Request) -> ::httpserver::__private::HandlerFuture {
                    #handler_future
                }

                ::httpserver::Route::new(
                    <Self as ::httpserver::__private::RouteInfo>::NAME,
                    <Self as ::httpserver::__private::RouteInfo>::PATTERN,
                    <Self as ::httpserver::__private::RouteInfo>::METHODS,
                    __accepts,
                    __handle,
                )
            }
        }
    }
}

/// "path parameter `id` has no argument; add `id: i64` to `get_user`'s arguments"
fn missing_param_error(
    lit: &LitStr,
    name: &str,
    converter: Converter,
    fn_name: &str,
    fn_args: &[Arg],
    params: &[(String, Converter)],
) -> syn::Error {
    let ty = match converter {
        Converter::Int => "i64",
        Converter::Float => "f64",
        Converter::Str | Converter::Path => "String",
    };
    // Plain-identifier arguments that no parameter claims (and whose name is not another
    // parameter of this pattern) may be this one misspelt.
    let unclaimed: Vec<String> = fn_args
        .iter()
        .filter(|arg| arg.param.is_none())
        .filter_map(|arg| arg.name.as_ref())
        .map(|ident| ident.unraw().to_string())
        .filter(|n| !params.iter().any(|(p, _)| p == n))
        .collect();
    let hint = match suggest::closest(name, unclaimed.iter().map(String::as_str)) {
        Some(close) => format!(" (did you mean to rename `{close}` to `{name}`?)"),
        None => String::new(),
    };
    syn::Error::new(
        lit.span(),
        format!(
            "path parameter `{name}` has no argument; add `{name}: {ty}` to `{fn_name}`'s \
             arguments{hint}"
        ),
    )
}

/// The spans of the first and the last token of `tokens`.
fn first_last_span(tokens: &impl ToTokens) -> (Span, Span) {
    let mut iter = tokens.to_token_stream().into_iter();
    let first = iter.next().map_or_else(Span::call_site, |t| t.span());
    let last = iter.last().map_or(first, |t| t.span());
    (first, last)
}

/// Argument types the generated code cannot bind.
fn unsupported_arg_type(ty: &Type) -> Option<String> {
    match ty {
        Type::Reference(r) => {
            let owned = match &*r.elem {
                Type::Path(p) if p.path.is_ident("str") => "`String`".to_string(),
                Type::Slice(s) => format!("`Vec<{}>`", s.elem.to_token_stream()),
                other => format!("`{}`", other.to_token_stream()),
            };
            Some(format!(
                "handler arguments must be owned values, not references: use {owned} \
                 instead (a handler outlives the borrow of the request)"
            ))
        }
        Type::ImplTrait(_) => Some(
            "handlers must be free functions without generics: `impl Trait` arguments are \
             generic; use a concrete type"
                .to_string(),
        ),
        Type::Group(g) => unsupported_arg_type(&g.elem),
        Type::Paren(p) => unsupported_arg_type(&p.elem),
        _ => None,
    }
}

/// Types that accept any path segment, so `__accepts` need not parse them: those whose last
/// path segment is `String` or `PathBuf`.
fn is_any_string(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|seg| {
            seg.arguments.is_none() && (seg.ident == "String" || seg.ident == "PathBuf")
        }),
        Type::Group(g) => is_any_string(&g.elem),
        Type::Paren(p) => is_any_string(&p.elem),
        _ => false,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const GET: Kind = Kind::Fixed {
        attr: "get",
        method: "GET",
    };

    fn expand_str(kind: Kind, attr: TokenStream, item: TokenStream) -> String {
        expand(kind, attr, item).to_string()
    }

    /// The messages of the `compile_error!`s in an expansion (given as its string form).
    fn errors_of(out: &str) -> Vec<String> {
        fn walk(tokens: TokenStream, out: &mut Vec<String>) {
            let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
            for (i, tt) in tokens.iter().enumerate() {
                match tt {
                    proc_macro2::TokenTree::Ident(id) if id == "compile_error" => {
                        if let Some(proc_macro2::TokenTree::Group(g)) = tokens.get(i + 2) {
                            let lit: LitStr = syn::parse2(g.stream()).unwrap();
                            out.push(lit.value());
                        }
                    }
                    proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                    _ => {}
                }
            }
        }
        let mut found = Vec::new();
        walk(out.parse().unwrap(), &mut found);
        found
    }

    #[test]
    fn any_string_types() {
        let t = |s: &str| is_any_string(&syn::parse_str::<Type>(s).unwrap());
        assert!(t("String"));
        assert!(t("std::string::String"));
        assert!(t("::std::path::PathBuf"));
        assert!(t("PathBuf"));
        assert!(!t("i64"));
        assert!(!t("Option<String>"));
        assert!(!t("&str"));
        assert!(!t("Box<str>"));
    }

    #[test]
    fn plain_expansion() {
        let out = expand_str(
            GET,
            quote!("/users/<int:id>"),
            quote!(
                async fn get_user(id: i64) -> Value {
                    json!({ "user_id": id })
                }
            ),
        );
        assert!(errors_of(&out).is_empty(), "{out}");
        assert!(out.contains("struct get_user { }"), "{out}");
        assert!(
            out.contains("const NAME : & 'static str = \"get_user\""),
            "{out}"
        );
        assert!(
            out.contains("const PATTERN : & 'static str = \"/users/<int:id>\""),
            "{out}"
        );
        assert!(
            out.contains("const METHODS : & 'static [& 'static str] = & [\"GET\"]"),
            "{out}"
        );
        assert!(
            out.contains(":: httpserver :: __private :: assert_int_param :: < i64 > ()"),
            "{out}"
        );
        assert!(
            out.contains(":: httpserver :: __private :: path_param :: < i64 > (& __req , \"id\")"),
            "{out}"
        );
        assert!(
            out.contains(":: httpserver :: __private :: accepts :: < i64 > (__values [0usize])"),
            "{out}"
        );
        assert!(
            out.contains("into_response (get_user (__arg0) . await)"),
            "{out}"
        );
    }

    #[test]
    fn blocking_and_extractors() {
        let out = expand_str(
            Kind::Route,
            quote!("/x/<name>/<path:rest>", methods = ["get", "post"]),
            quote!(
                pub(crate) fn h(
                    db: State<Db>,
                    rest: PathBuf,
                    Json(body): Json<Value>,
                    mut name: String,
                ) -> String {
                    String::new()
                }
            ),
        );
        assert!(errors_of(&out).is_empty(), "{out}");
        assert!(out.contains("pub (crate) struct h { }"), "{out}");
        assert!(out.contains("& [\"GET\" , \"POST\"]"), "{out}");
        assert!(
            out.contains("extract :: < State < Db > > (& __req)"),
            "{out}"
        );
        assert!(
            out.contains("extract :: < Json < Value > > (& __req)"),
            "{out}"
        );
        assert!(
            out.contains("path_param :: < String > (& __req , \"name\")"),
            "{out}"
        );
        assert!(
            out.contains("path_param :: < PathBuf > (& __req , \"rest\")"),
            "{out}"
        );
        assert!(out.contains("assert_str_param :: < String > ()"), "{out}");
        assert!(out.contains("assert_path_param :: < PathBuf > ()"), "{out}");
        assert!(
            !out.contains("accepts ::"),
            "String and PathBuf need no check: {out}"
        );
        assert!(
            out.contains("run_blocking (move || h (__arg0 , __arg1 , __arg2 , __arg3))"),
            "{out}"
        );
    }

    #[test]
    fn missing_parameter() {
        let out = expand_str(
            GET,
            quote!("/users/<int:id>"),
            quote!(
                async fn get_user(ide: i64) -> Value {
                    json!({})
                }
            ),
        );
        assert_eq!(
            errors_of(&out),
            [
                "path parameter `id` has no argument; add `id: i64` to `get_user`'s arguments \
              (did you mean to rename `ide` to `id`?)"
            ]
        );
        // The function and the struct are still there.
        assert!(out.contains("async fn get_user"), "{out}");
        assert!(out.contains("struct get_user { }"), "{out}");

        let out = expand_str(
            GET,
            quote!("/p/<path:file>"),
            quote!(
                fn f(req: Request) -> String {
                    String::new()
                }
            ),
        );
        assert_eq!(
            errors_of(&out),
            ["path parameter `file` has no argument; add `file: String` to `f`'s arguments"]
        );
    }

    #[test]
    fn raw_identifiers_match_parameters() {
        let out = expand_str(
            GET,
            quote!("/t/<kind>"),
            quote!(
                async fn r#type(r#kind: String) -> String {
                    kind
                }
            ),
        );
        assert!(errors_of(&out).is_empty(), "{out}");
        assert!(out.contains("NAME : & 'static str = \"type\""), "{out}");
        assert!(
            out.contains("path_param :: < String > (& __req , \"kind\")"),
            "{out}"
        );
        assert!(out.contains("struct r#type { }"), "{out}");
    }

    #[test]
    fn signature_errors() {
        let out = expand_str(
            GET,
            quote!("/"),
            quote!(
                async fn m(&self) -> String {
                    String::new()
                }
            ),
        );
        let errs = errors_of(&out);
        assert!(
            errs[0].starts_with("handlers must be free functions without generics"),
            "{errs:?}"
        );
        assert!(!out.contains("struct"), "{out}");

        let out = expand_str(
            GET,
            quote!("/"),
            quote!(
                async fn g<T>(t: State<T>) -> String {
                    String::new()
                }
            ),
        );
        assert!(errors_of(&out)[0].starts_with("handlers must be free functions without generics"));

        let out = expand_str(
            GET,
            quote!("/"),
            quote!(
                async fn g(t: impl Sized) -> String {
                    String::new()
                }
            ),
        );
        assert!(errors_of(&out)[0].starts_with("handlers must be free functions without generics"));

        let out = expand_str(
            GET,
            quote!("/<name>"),
            quote!(
                async fn g(name: &str) -> String {
                    String::new()
                }
            ),
        );
        assert!(errors_of(&out)[0].contains("use `String` instead"));

        let out = expand_str(
            GET,
            quote!("/"),
            quote!(
                struct S;
            ),
        );
        assert!(errors_of(&out)[0].starts_with("#[get] goes on a handler function"));
    }

    #[test]
    fn body_is_not_parsed() {
        let out = expand_str(
            GET,
            quote!("/"),
            quote!(async fn f() -> String { let x = ; }),
        );
        assert!(errors_of(&out).is_empty(), "{out}");
        assert!(out.contains("struct f { }"), "{out}");
        assert!(
            out.contains("let x = ;"),
            "the body is emitted as written: {out}"
        );

        // A signature that does not parse is left to rustc.
        let item = quote!(async fn f(x: ) -> String { String::new() });
        assert_eq!(
            expand(GET, quote!("/"), item.clone()).to_string(),
            item.to_string()
        );
    }

    #[test]
    fn several_errors_at_once() {
        let out = expand_str(
            Kind::Route,
            quote!("/a/<int:id>", methods = ["GETT"], bogus = 1),
            quote!(
                async fn g() -> String {
                    String::new()
                }
            ),
        );
        assert_eq!(errors_of(&out).len(), 3, "{out}");
    }
}
