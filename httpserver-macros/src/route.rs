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
use crate::pattern::{self, Converter, Pattern, Segment};
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
    let mut parsed_pattern: Option<Pattern> = None;
    if let Some(lit) = &args.path {
        match pattern::parse(&lit.value()) {
            Ok(parsed) => {
                params = parsed
                    .params()
                    .map(|(name, converter)| (name.to_string(), converter))
                    .collect();
                parsed_pattern = Some(parsed);
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
    let ok = errors.is_empty();

    // The hidden struct: one field per path parameter, for `url_for!`. A field's type is
    // `UrlArg<A>`, `A` being the type the handler takes the parameter as (see
    // `httpserver::__private::UrlValue`); while the handler has errors, the converter's
    // usual type, so that `url_for!` calls add no errors of their own.
    let fields = params.iter().map(|(name, converter)| {
        let arg = fn_args
            .iter()
            .find(|arg| arg.param.as_ref().is_some_and(|(n, _)| n == name));
        let ty = match arg {
            Some(arg) if ok => url_arg_type(&arg.ty),
            _ => match converter {
                Converter::Int => quote!(i64),
                Converter::Float => quote!(f64),
                Converter::Str | Converter::Path => quote!(::std::string::String),
            },
        };
        let field = Ident::new(name, pattern_lit.span());
        // Spanned at the pattern: rustc lists and suggests only fields defined outside
        // external macros ("available fields are: `id`", "a field with a similar name").
        quote_spanned!(pattern_lit.span()=> pub #field: ::httpserver::__private::UrlArg<#ty>)
    });
    let struct_def = quote! {
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(
            non_camel_case_types,
            dead_code,
            private_interfaces,
            missing_docs,
            missing_debug_implementations,
            unreachable_pub,
            clippy::exhaustive_structs
        )]
        #[derive(Default)]
        #vis struct #ident {
            #(#fields),*
        }
    };
    let info_consts = quote! {
        const NAME: &'static str = #fn_name;
        const PATTERN: &'static str = #pattern_lit;
        const METHODS: &'static [&'static str] = &[#(#methods),*];
    };

    if !ok {
        // Still define the struct (so `collect_routes!` and `url_for!` add no errors of
        // their own), with functions that are never compiled into anything that runs.
        let errors = combine(errors);
        return quote! {
            #errors
            #item
            #struct_def
            #(#cfgs)*
            impl ::httpserver::__private::RouteInfo for #ident {
                #info_consts
                fn route() -> ::httpserver::Route {
                    ::core::unreachable!()
                }
                fn url(&self) -> ::std::string::String {
                    ::core::unreachable!()
                }
            }
        };
    }

    // `url()`: the pattern, segment by segment, with the fields' values encoded.
    let url = Ident::new("__url", Span::call_site());
    let pushes = parsed_pattern
        .iter()
        .flat_map(|p| &p.segments)
        .map(|segment| match segment {
            Segment::Static(text) => quote! {
                ::httpserver::__private::push_static(&mut #url, #text);
            },
            Segment::Param { converter, name } => {
                let field = Ident::new(name, pattern_lit.span());
                let push = match converter {
                    Converter::Path => quote!(push_path),
                    _ => quote!(push_segment),
                };
                quote! {
                    ::httpserver::__private::#push(&mut #url, &self.#field);
                }
            }
        });

    // One parser per path parameter, `__parse_<i>` for the i-th in pattern order: the only
    // place where the argument's type meets its converter's bound (an error there points
    // at the type), shared by `__accepts` and `__handle`.
    let parse_fn = |i: usize| format_ident!("__parse_{}", i, span = Span::call_site());
    let mut parsers = Vec::new();
    let mut accept_checks = Vec::new();
    let values = Ident::new("__values", Span::call_site());
    for (i, (name, _)) in params.iter().enumerate() {
        let Some(arg) = fn_args
            .iter()
            .find(|arg| arg.param.as_ref().is_some_and(|(n, _)| n == name))
        else {
            continue; // cannot happen once there are no errors
        };
        let (_, converter) = arg.param.as_ref().unwrap();
        let ty = &arg.ty;
        let parse = match converter {
            Converter::Int => quote_spanned!(ty.span()=> parse_int),
            Converter::Float => quote_spanned!(ty.span()=> parse_float),
            Converter::Path => quote_spanned!(ty.span()=> parse_path),
            Converter::Str => quote_spanned!(ty.span()=> parse_str),
        };
        let parse_call = quote_spanned! {ty.span()=>
            ::httpserver::__private::#parse::<#ty>(raw)
        };
        let f = parse_fn(i);
        parsers.push(quote! {
            fn #f(raw: &str) -> ::core::option::Option<#ty> {
                #parse_call
            }
        });
        // The values of the parameters, in pattern order, must parse as the argument types
        // (`<int:n>` bound to a `u8` rejects "300"); any text is a `String` or `PathBuf`.
        if !is_any_string(ty) {
            accept_checks.push(quote! {
                && #f(#values[#i]).is_some()
            });
        }
    }

    // One extractor function per other argument, `__extract_<j>`, whose bound carries a
    // message naming the argument and the route's path parameters.
    let mut extractors = Vec::new();
    let req = Ident::new("__req", Span::call_site());
    let vars: Vec<Ident> = (0..fn_args.len())
        .map(|i| format_ident!("__arg{}", i, span = Span::call_site()))
        .collect();
    let mut bindings = Vec::new();
    // The extractor types, asked at start-up which `State<T>` they need.
    let mut extractor_types = Vec::new();
    for (j, (arg, var)) in fn_args.iter().zip(&vars).enumerate() {
        let ty = &arg.ty;
        let get = match &arg.param {
            Some((name, _)) => {
                let i = params.iter().position(|(n, _)| n == name).unwrap();
                let f = parse_fn(i);
                quote_spanned! {ty.span()=>
                    ::httpserver::__private::path_param::<#ty>(&#req, #name, #f)
                }
            }
            None => {
                let trait_name = format_ident!("__Extractor{}", j, span = Span::call_site());
                let fn_name_j = format_ident!("__extract_{}", j, span = Span::call_site());
                let diagnostic = extractor_diagnostic(arg, &fn_name, &pattern_lit.value(), &params);
                extractors.push(quote! {
                    #diagnostic
                    #[allow(non_camel_case_types)]
                    trait #trait_name: ::httpserver::FromRequest {}
                    impl<T: ::httpserver::FromRequest> #trait_name for T {}
                    #[allow(clippy::result_large_err)]
                    fn #fn_name_j<T: #trait_name>(
                        req: &::httpserver::Request,
                    ) -> ::core::result::Result<T, ::httpserver::Response> {
                        ::httpserver::__private::extract::<T>(req)
                    }
                });
                extractor_types.push(ty.clone());
                let callee = quote_spanned!(ty.span()=> #fn_name_j::<#ty>);
                quote_spanned! {ty.span()=>
                    #callee(&#req)
                }
            }
        };
        bindings.push(quote_spanned! {ty.span()=>
            let #var: #ty = match #get {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(r) => return r,
            };
        });
    }

    let extractor_count = extractor_types.len();

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
        #struct_def

        #(#cfgs)*
        // `move || handler()` for a sync handler without arguments is the closure clippy
        // would have the user write as a path; it is generated, not theirs to change.
        #[allow(clippy::redundant_closure)]
        impl ::httpserver::__private::RouteInfo for #ident {
            #info_consts

            fn route() -> ::httpserver::Route {
                #(#parsers)*
                #(#extractors)*

                // Autoref specialization: `State<T>` answers with its `T`, any other
                // extractor with nothing (see `httpserver::__private::Probe`).
                #[allow(clippy::needless_borrow, clippy::needless_borrows_for_generic_args)]
                fn __needs() -> ::std::vec::Vec<::httpserver::__private::StateNeed> {
                    #[allow(unused_imports)]
                    use ::httpserver::__private::{NeedsNoState as _, NeedsState as _};
                    let needs: [::core::option::Option<::httpserver::__private::StateNeed>; #extractor_count] = [
                        #((&::httpserver::__private::Probe::<#extractor_types>::new()).state_need()),*
                    ];
                    needs.into_iter().flatten().collect()
                }

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
                .needing_state(__needs)
            }

            fn url(&self) -> ::std::string::String {
                let mut #url = ::std::string::String::new();
                #(#pushes)*
                #url
            }
        }
    }
}

/// The type parameter of a parameter's `UrlArg`: the argument's type, except `Path` for a
/// `PathBuf` (see `httpserver::__private::UrlValue`).
fn url_arg_type(ty: &Type) -> TokenStream {
    if is_path_buf(ty) {
        quote!(::std::path::Path)
    } else {
        quote!(#ty)
    }
}

/// `#[diagnostic::on_unimplemented(..)]` for an argument that no path parameter claims:
/// if its type is not an extractor either, the message names the argument and lists the
/// route's path parameters.
fn extractor_diagnostic(
    arg: &Arg,
    fn_name: &str,
    pattern: &str,
    params: &[(String, Converter)],
) -> TokenStream {
    // `on_unimplemented` strings are format strings: `{Self}` is the type.
    let esc = |s: &str| s.replace('{', "{{").replace('}', "}}");
    let pattern = esc(pattern);
    let (message, params_note) = match &arg.name {
        Some(name) => {
            let name = name.unraw().to_string();
            let message = format!(
                "argument `{name}` of `{fn_name}` is neither a path parameter nor an extractor"
            );
            let note = match params.len() {
                0 => format!(
                    "`{pattern}` has no path parameters; to take `{name}` from the path, add \
                     `<{name}>` (or `<int:{name}>`, ..) to the pattern"
                ),
                _ => {
                    let list: Vec<String> = params.iter().map(|(n, _)| format!("`{n}`")).collect();
                    let has = match params.len() {
                        1 => "one path parameter,",
                        _ => "the path parameters",
                    };
                    format!(
                        "`{pattern}` has {has} {}; an argument receives a path parameter by \
                         having its name, and none is called `{name}`",
                        list.join(", ")
                    )
                }
            };
            (message, note)
        }
        None => {
            let message =
                format!("an argument of `{fn_name}` is neither a path parameter nor an extractor");
            let note = format!(
                "an argument written as a pattern is always an extractor (the path \
                 parameters of `{pattern}` go to arguments with their names)"
            );
            (message, note)
        }
    };
    let label = "`{Self}` cannot be built from a request (it does not implement `FromRequest`)";
    let extractors = "an argument that is not a path parameter is an extractor: `Request`, \
                      `State<T>`, `Json<T>`, `Query<T>` (the query string, e.g. `?page=2`), \
                      `Form<T>`, or a type that implements `FromRequest`";
    quote! {
        #[diagnostic::on_unimplemented(
            message = #message,
            label = #label,
            note = #params_note,
            note = #extractors
        )]
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
        param_span(lit, name),
        format!(
            "path parameter `{name}` has no argument; add `{name}: {ty}` to `{fn_name}`'s \
             arguments{hint}"
        ),
    )
}

/// The span of the parameter `<..name>` inside the pattern literal, where the compiler can
/// point inside a literal (`Literal::subspan`, nightly only for now); else the literal's.
fn param_span(lit: &LitStr, name: &str) -> Span {
    let source = lit.token().to_string();
    let close = format!("{name}>");
    let found = source.match_indices(&close).find_map(|(at, _)| {
        let open = source[..at].rfind('<')?;
        let inner = &source[open + 1..at];
        // `<name>` or `<conv:name>`, not the tail of a longer name (`<id>` in `<uid>`).
        (inner.is_empty() || inner.ends_with(':')).then_some(open..at + close.len())
    });
    found
        .and_then(|range| lit.token().subspan(range))
        .unwrap_or_else(|| lit.span())
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

/// Whether `ty` is written as `PathBuf` (any path ending in it).
fn is_path_buf(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|seg| seg.arguments.is_none() && seg.ident == "PathBuf"),
        Type::Group(g) => is_path_buf(&g.elem),
        Type::Paren(p) => is_path_buf(&p.elem),
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
        assert!(
            out.contains(
                "struct get_user { pub id : :: httpserver :: __private :: UrlArg < i64 > }"
            ),
            "{out}"
        );
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
            out.contains(
                "fn __parse_0 (raw : & str) -> :: core :: option :: Option < i64 > { \
                 :: httpserver :: __private :: parse_int :: < i64 > (raw) }"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                ":: httpserver :: __private :: path_param :: < i64 > (& __req , \"id\" , __parse_0)"
            ),
            "{out}"
        );
        assert!(
            out.contains("true && __parse_0 (__values [0usize]) . is_some ()"),
            "{out}"
        );
        assert!(
            out.contains(
                "push_static (& mut __url , \"users\") ; \
                 :: httpserver :: __private :: push_segment (& mut __url , & self . id) ;"
            ),
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
        assert!(
            out.contains(
                "pub (crate) struct h { \
                 pub name : :: httpserver :: __private :: UrlArg < String > , \
                 pub rest : :: httpserver :: __private :: UrlArg < :: std :: path :: Path > }"
            ),
            "{out}"
        );
        assert!(out.contains("& [\"GET\" , \"POST\"]"), "{out}");
        assert!(
            out.contains("__extract_0 :: < State < Db > > (& __req)"),
            "{out}"
        );
        assert!(
            out.contains("__extract_2 :: < Json < Value > > (& __req)"),
            "{out}"
        );
        assert!(
            out.contains("argument `db` of `h` is neither a path parameter nor an extractor"),
            "{out}"
        );
        assert!(
            out.contains("`/x/<name>/<path:rest>` has the path parameters `name`, `rest`;"),
            "{out}"
        );
        assert!(
            out.contains("path_param :: < String > (& __req , \"name\" , __parse_0)"),
            "{out}"
        );
        assert!(
            out.contains("path_param :: < PathBuf > (& __req , \"rest\" , __parse_1)"),
            "{out}"
        );
        assert!(out.contains("parse_str :: < String > (raw)"), "{out}");
        assert!(out.contains("parse_path :: < PathBuf > (raw)"), "{out}");
        assert!(
            out.contains("true }"),
            "String and PathBuf need no check: {out}"
        );
        assert!(
            out.contains("push_path (& mut __url , & self . rest)"),
            "{out}"
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
        // The function and the struct are still there, the struct with a field of the
        // converter's usual type.
        assert!(out.contains("async fn get_user"), "{out}");
        assert!(
            out.contains(
                "struct get_user { pub id : :: httpserver :: __private :: UrlArg < i64 > }"
            ),
            "{out}"
        );

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
            out.contains("path_param :: < String > (& __req , \"kind\" , __parse_0)"),
            "{out}"
        );
        assert!(out.contains("struct r#type { pub kind :"), "{out}");
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

    /// The grammar's shared table of cases (`pattern::cases::CASES`, which the runtime
    /// router also runs, in `tests/accepted_forms.rs`), through the whole attribute: a
    /// valid pattern expands without errors, an invalid one is a compile error with the
    /// grammar's message.
    #[test]
    fn shared_case_table_through_the_attribute() {
        assert!(pattern::cases::CASES.len() >= 25);
        for (text, expected) in pattern::cases::CASES {
            let lit = LitStr::new(text, Span::call_site());
            match expected {
                Ok(_) => {
                    let parsed = pattern::parse(text).unwrap();
                    let args = parsed.params().map(|(name, converter)| {
                        let name = Ident::new(name, Span::call_site());
                        let ty = match converter {
                            Converter::Int => quote!(i64),
                            Converter::Float => quote!(f64),
                            Converter::Str | Converter::Path => quote!(String),
                        };
                        quote!(#name: #ty)
                    });
                    let out = expand_str(
                        GET,
                        quote!(#lit),
                        quote!(async fn h(#(#args),*) -> String { String::new() }),
                    );
                    assert!(errors_of(&out).is_empty(), "{text}: {out}");
                    assert!(out.contains("fn url (& self)"), "{text}: {out}");
                }
                Err(part) => {
                    let out = expand_str(
                        GET,
                        quote!(#lit),
                        quote!(
                            async fn h() -> String {
                                String::new()
                            }
                        ),
                    );
                    let errors = errors_of(&out);
                    assert_eq!(errors.len(), 1, "{text}: {errors:?}");
                    assert!(errors[0].contains(part), "{text}: {errors:?}");
                }
            }
        }
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
