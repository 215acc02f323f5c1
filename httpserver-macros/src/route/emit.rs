//! The code a route attribute generates: the function as written, the hidden struct that
//! names the route, and its `RouteInfo` impl. Kept small per route, since an app may have
//! thousands: the work is done by generic helpers in `httpserver::__private`, and the route
//! only names its types.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, ReturnType, Type};

use httpserver_pattern::{Converter, Segment};

use super::combine;
use super::messages;
use super::model::{Failed, Route, Source};
use super::parse::HandlerFn;
use crate::tokens::first_last_span;

/// The full expansion of a handler without mistakes.
pub fn route(func: &HandlerFn, route: &Route, item: TokenStream) -> TokenStream {
    let fields = route.args.iter().filter_map(|arg| match arg.source {
        Source::Param { index, .. } => Some((index, url_arg_type(&arg.ty))),
        Source::Extractor => None,
    });
    let mut fields: Vec<(usize, TokenStream)> = fields.collect();
    fields.sort_by_key(|(index, _)| *index);
    let names: Vec<&str> = route.pattern.params().map(|(name, _)| name).collect();
    let fields = fields.into_iter().map(|(index, ty)| (names[index], ty));
    let hidden = hidden_struct(func, &route.pattern_lit, fields);
    let consts = info_consts(
        &route.fn_name,
        route.pattern.shape_hash(),
        &route.pattern_lit,
        &route.methods,
    );
    let cfgs = func.cfgs();
    let ident = &func.sig.ident;
    let route_fn = route_fn(func, route);
    let url_fn = url_fn(route);
    quote! {
        #item
        #hidden
        #(#cfgs)*
        impl ::httpserver::__private::RouteInfo for #ident {
            #consts
            #route_fn
            #url_fn
        }
    }
}

/// The errors, the function, and a struct whose functions never run: `collect_routes!` and
/// `url_for!` then add no errors of their own.
pub fn with_errors(func: &HandlerFn, failed: &Failed, item: TokenStream) -> TokenStream {
    let errors = combine(failed.errors.clone());
    if failed.is_method {
        return quote!(#errors #item);
    }
    let fields = failed.params.iter().map(|(name, converter)| {
        let ty: Type = syn::parse_str(messages::usual_type(*converter)).expect("a type");
        (name.as_str(), ty.into_token_stream())
    });
    let hidden = hidden_struct(func, &failed.pattern_lit, fields);
    let consts = info_consts(&failed.fn_name, 0, &failed.pattern_lit, &failed.methods);
    let cfgs = func.cfgs();
    let ident = &func.sig.ident;
    quote! {
        #errors
        #item
        #hidden
        #(#cfgs)*
        impl ::httpserver::__private::RouteInfo for #ident {
            #consts
            fn route() -> ::httpserver::Route {
                ::core::unreachable!()
            }
            fn url(&self) -> ::std::string::String {
                ::core::unreachable!()
            }
        }
    }
}

/// The struct named like the handler: one field per path parameter, for `url_for!`. A
/// field's type is `UrlArg<A>`, `A` being the type the handler takes the parameter as.
fn hidden_struct<'a>(
    func: &HandlerFn,
    pattern_lit: &LitStr,
    fields: impl Iterator<Item = (&'a str, TokenStream)>,
) -> TokenStream {
    let fields = fields.map(|(name, ty)| {
        // Spanned at the pattern: rustc lists and suggests only fields defined outside
        // external macros ("available fields are: `id`", "a field with a similar name").
        let field = Ident::new(name, pattern_lit.span());
        quote_spanned!(pattern_lit.span()=> pub #field: ::httpserver::__private::UrlArg<#ty>)
    });
    let cfgs = func.cfgs();
    let vis = &func.vis;
    let ident = &func.sig.ident;
    quote! {
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
    }
}

fn info_consts(fn_name: &str, shape_hash: u64, pattern: &LitStr, methods: &[&str]) -> TokenStream {
    quote! {
        const NAME: &'static str = #fn_name;
        const PATTERN: &'static str = #pattern;
        const METHODS: &'static [&'static str] = &[#(#methods),*];
        const SHAPE_HASH: u64 = #shape_hash;
    }
}

/// `RouteInfo::route`: the parsers of the path parameters, the check that routing runs on a
/// candidate match, and the function that turns a request into the handler's response.
fn route_fn(func: &HandlerFn, route: &Route) -> TokenStream {
    let mut items = TokenStream::new();
    let mut checks = Vec::new();
    for (position, arg) in route.args.iter().enumerate() {
        if let Source::Param { index, converter } = arg.source {
            let name = route
                .pattern
                .params()
                .nth(index)
                .map_or("", |(name, _)| name);
            items.extend(parser(position, name, converter, &arg.ty));
            // Any text is a `String` or `PathBuf`; other types must parse (`<int:n>` bound
            // to a `u8` rejects "300").
            if !is_any_string(&arg.ty) {
                let parse = parser_name(position);
                checks.push(quote!(#parse(__values[#index]).is_some()));
            }
        }
    }
    let accepts = if checks.is_empty() {
        quote!(::httpserver::__private::accept_any)
    } else {
        items.extend(quote! {
            fn __accepts(__values: &[&str]) -> bool {
                #(#checks)&&*
            }
        });
        quote!(__accepts)
    };

    let extractors: Vec<&Type> = route
        .args
        .iter()
        .filter(|arg| matches!(arg.source, Source::Extractor))
        .map(|arg| &arg.ty)
        .collect();
    let needing = if extractors.is_empty() {
        TokenStream::new()
    } else {
        let count = extractors.len();
        // Autoref specialization, one probe per extractor: `State<T>` answers with its `T`,
        // `Session` with the secret key, any other extractor with whether it streams the
        // body, and a type that is no extractor (its error is reported at its argument)
        // with nothing (see `httpserver::__private::Probe`).
        items.extend(quote! {
            #[allow(clippy::needless_borrow, clippy::needless_borrows_for_generic_args)]
            fn __needs() -> [::httpserver::__private::ExtractorNeed; #count] {
                #[allow(unused_imports)]
                use ::httpserver::__private::{
                    Extracts as _, NeedsState as _, NotAnExtractor as _,
                };
                [#((&&::httpserver::__private::Probe::<#extractors>::new()).need()),*]
            }
        });
        quote!(.needing(&__needs()))
    };

    let body_limit = route.max_body_size.as_ref().map(|expr| {
        // A `usize`, checked where it is written, and evaluated when the routes are
        // collected (at start-up): it may read the app's configuration.
        let limit = quote_spanned!(expr.span()=> let __max_body_size: usize = #expr;);
        quote!(.with_max_body_size({ #limit __max_body_size }))
    });
    let csrf = route.csrf_exempt.then(|| quote!(.without_csrf()));
    // By the extractor's own word, not its type's name: an alias or a wrapper of
    // `BodyStream` streams too.
    let handle = handle_fn(func, route, &mut items);
    let describe = describe(func, route);
    quote! {
        fn route() -> ::httpserver::Route {
            #items
            #handle
            let __route = ::httpserver::Route::new(
                <Self as ::httpserver::__private::RouteInfo>::NAME,
                <Self as ::httpserver::__private::RouteInfo>::PATTERN,
                <Self as ::httpserver::__private::RouteInfo>::METHODS,
                #accepts,
                __handle,
            )
            #needing
            #body_limit
            #csrf;
            #describe
        }
    }
}

/// What the API document says of the route, handed to `httpserver::__describe_route!`,
/// which is empty unless the runtime's `openapi` feature is on: the handler's doc comment,
/// its extractors' types, its return type, and the statuses its attribute lists.
fn describe(func: &HandlerFn, route: &Route) -> TokenStream {
    if route.openapi_hidden {
        return quote!(__route);
    }
    let docs: Vec<String> = func
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let inputs = route
        .args
        .iter()
        .filter(|arg| matches!(arg.source, Source::Extractor))
        .map(|arg| &arg.ty);
    // A return type that cannot be named (`impl IntoResponse`) is described as untyped.
    let output = match &func.sig.output {
        ReturnType::Type(_, ty) if !mentions_impl(ty) => quote!(#ty),
        ReturnType::Type(..) => quote!(::httpserver::__private::Unnamed),
        ReturnType::Default => quote!(()),
    };
    let statuses = route
        .responses
        .iter()
        .map(|(status, text)| quote!((#status, #text)));
    quote! {
        ::httpserver::__describe_route!(
            __route,
            docs = [#(#docs),*],
            inputs = [#(#inputs),*],
            output = #output,
            responses = [#(#statuses),*]
        )
    }
}

/// Whether `ty` holds an `impl Trait` anywhere.
fn mentions_impl(ty: &Type) -> bool {
    mentions_impl_tokens(ty.to_token_stream())
}

fn mentions_impl_tokens(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == "impl",
        proc_macro2::TokenTree::Group(g) => mentions_impl_tokens(g.stream()),
        _ => false,
    })
}

fn parser_name(position: usize) -> Ident {
    format_ident!("__parse_{}", position, span = Span::call_site())
}

/// `fn __parse_<i>(raw: &str) -> Option<T>` for the argument at position `i`: the one place
/// where the argument's type meets its converter's bound, shared by routing and the handler.
/// A type that obviously fits calls the converter's parser directly; any other goes through
/// a trait named for this parameter, so that a type that does not fit is one error that
/// names the parameter, at the type.
fn parser(position: usize, name: &str, converter: Converter, ty: &Type) -> TokenStream {
    // A `PathBuf` is a path whatever the converter: `<name>` decodes `%2F` too, so it
    // goes through the same check of plain names as `<path:..>`.
    let converter = match converter {
        Converter::Str if last_ident_is(ty, &["PathBuf"]) => Converter::Path,
        other => other,
    };
    let (parse, bound) = match converter {
        Converter::Int => (quote!(parse_int), quote!(IntParam)),
        Converter::Float => (quote!(parse_float), quote!(FloatParam)),
        Converter::Path => (quote!(parse_path), quote!(PathParam)),
        Converter::Str => (quote!(parse_str), quote!(StrParam)),
    };
    let f = parser_name(position);
    if fits(ty, converter) {
        let call = quote_spanned!(ty.span()=> ::httpserver::__private::#parse::<#ty>(raw));
        return quote! {
            fn #f(raw: &str) -> ::core::option::Option<#ty> {
                #call
            }
        };
    }
    let diagnostic = messages::param_type_diagnostic(name, converter);
    let param_trait = format_ident!("__Param{}", position, span = Span::call_site());
    let check = format_ident!("__check_{}", position, span = Span::call_site());
    let call = quote_spanned!(ty.span()=> #check::<#ty>(raw));
    quote! {
        #diagnostic
        #[allow(non_camel_case_types)]
        trait #param_trait: ::httpserver::__private::#bound {}
        impl<T: ::httpserver::__private::#bound> #param_trait for T {}
        fn #check<T: #param_trait>(raw: &str) -> ::core::option::Option<T> {
            ::httpserver::__private::#parse::<T>(raw)
        }
        fn #f(raw: &str) -> ::core::option::Option<#ty> {
            #call
        }
    }
}

/// `fn __handle(req) -> HandlerFuture`. Path parameters are parsed before the handler's
/// future is made, so a route without extractors needs no future of its own: its handler's
/// future is boxed as it is. Extractors are read inside one `async` block.
fn handle_fn(func: &HandlerFn, route: &Route, items: &mut TokenStream) -> TokenStream {
    let sig = &func.sig;
    let req = Ident::new("__req", Span::call_site());
    let vars: Vec<Ident> = (0..route.args.len())
        .map(|i| format_ident!("__arg{}", i, span = Span::call_site()))
        .collect();
    let direct = route
        .args
        .iter()
        .all(|arg| matches!(arg.source, Source::Param { .. }));
    let params: Vec<&str> = route.pattern.params().map(|(name, _)| name).collect();

    let mut bindings = TokenStream::new();
    for (position, (arg, var)) in route.args.iter().zip(&vars).enumerate() {
        let ty = &arg.ty;
        let get = match arg.source {
            Source::Param { index, .. } => {
                let f = parser_name(position);
                let name = params[index];
                quote_spanned! {ty.span()=>
                    ::httpserver::__private::path_param::<#ty>(&#req, #name, #f)
                }
            }
            Source::Extractor => {
                let trait_name = format_ident!("__Extractor{}", position, span = Span::call_site());
                let extract = format_ident!("__extract_{}", position, span = Span::call_site());
                let diagnostic = messages::extractor_diagnostic(
                    arg,
                    &route.fn_name,
                    &route.pattern_lit.value(),
                    &params,
                );
                items.extend(quote! {
                    #diagnostic
                    #[allow(non_camel_case_types)]
                    trait #trait_name: ::httpserver::FromRequest {}
                    impl<T: ::httpserver::FromRequest> #trait_name for T {}
                    // A named future type, not `impl Future`: an opaque type would repeat
                    // the bound's error in `FromRequest`'s words.
                    fn #extract<'r, T: #trait_name + 'r>(
                        req: &'r ::httpserver::Request,
                    ) -> ::httpserver::__private::Extraction<'r, T> {
                        ::httpserver::__private::extract::<T>(req)
                    }
                });
                let callee = quote_spanned!(ty.span()=> #extract::<#ty>);
                quote_spanned!(ty.span()=> #callee(&#req).await)
            }
        };
        let early = if direct {
            quote!(::httpserver::__private::ready(r))
        } else {
            quote!(r)
        };
        bindings.extend(quote_spanned! {ty.span()=>
            let #var: #ty = match #get {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(r) => return #early,
            };
        });
    }

    // Errors about the return type (`IntoResponse`) point at the return type: the call's
    // first token sits on the type's first token and its last on the type's last.
    let (ret_first, ret_last) = match &sig.output {
        ReturnType::Type(_, ty) => first_last_span(ty),
        ReturnType::Default => (sig.ident.span(), sig.ident.span()),
    };
    let mut callee = sig.ident.clone();
    callee.set_span(ret_first.resolved_at(sig.ident.span()));
    let mut call_args = Group::new(Delimiter::Parenthesis, quote!(#(#vars),*));
    call_args.set_span(ret_last);
    let is_async = sig.asyncness.is_some();
    let body = match (direct, is_async) {
        (true, true) => quote_spanned! {ret_first=>
            ::httpserver::__private::respond(#callee #call_args)
        },
        (true, false) => quote_spanned! {ret_first=>
            ::httpserver::__private::blocking(move || #callee #call_args)
        },
        (false, true) => {
            let await_ = quote_spanned!(ret_last=> .await);
            let call = quote_spanned! {ret_first=>
                ::httpserver::__private::into_response(#callee #call_args #await_)
            };
            // A handler whose future is not `Send` gets its error at the function's name.
            quote_spanned! {sig.ident.span()=>
                ::httpserver::__private::box_future(async move {
                    #bindings
                    ::core::mem::drop(#req);
                    #call
                })
            }
        }
        (false, false) => {
            let call = quote_spanned! {ret_first=>
                ::httpserver::__private::run_blocking(move || #callee #call_args).await
            };
            quote_spanned! {sig.ident.span()=>
                ::httpserver::__private::box_future(async move {
                    #bindings
                    ::core::mem::drop(#req);
                    #call
                })
            }
        }
    };
    let body = if direct {
        quote! {
            #bindings
            ::core::mem::drop(#req);
            #body
        }
    } else {
        body
    };
    quote! {
        // `move || handler()` for a sync handler without arguments is the closure clippy
        // would have the user write as a path; it is generated, not theirs to change.
        #[allow(clippy::redundant_closure)]
        fn __handle(#req: ::httpserver::Request) -> ::httpserver::__private::HandlerFuture {
            #body
        }
    }
}

/// `url()`: the pattern, segment by segment, with the fields' values encoded.
fn url_fn(route: &Route) -> TokenStream {
    let url = Ident::new("__url", Span::call_site());
    let pushes = route.pattern.segments.iter().map(|segment| match segment {
        Segment::Static(text) => quote! {
            ::httpserver::__private::push_static(&mut #url, #text);
        },
        Segment::Param { converter, name } => {
            let field = Ident::new(name, route.pattern_lit.span());
            let push = match converter {
                Converter::Path => quote!(push_path),
                _ => quote!(push_segment),
            };
            quote! {
                ::httpserver::__private::#push(&mut #url, &self.#field);
            }
        }
    });
    quote! {
        fn url(&self) -> ::std::string::String {
            let mut #url = ::std::string::String::new();
            #(#pushes)*
            #url
        }
    }
}

/// The type parameter of a parameter's `UrlArg`: the argument's type, except `Path` for a
/// `PathBuf` (see `httpserver::__private::UrlValue`).
fn url_arg_type(ty: &Type) -> TokenStream {
    if last_ident_is(ty, &["PathBuf"]) {
        quote!(::std::path::Path)
    } else {
        quote!(#ty)
    }
}

const INTEGERS: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
];
const FLOATS: &[&str] = &["f32", "f64"];
const STRINGS: &[&str] = &["String", "PathBuf"];

/// Whether `ty` is written as one of the types its converter is known to take, so that the
/// parameter needs no named bound (see [`parser`]).
fn fits(ty: &Type, converter: Converter) -> bool {
    match converter {
        Converter::Int => last_ident_is(ty, INTEGERS),
        Converter::Float => last_ident_is(ty, FLOATS),
        Converter::Path => last_ident_is(ty, STRINGS),
        Converter::Str => {
            last_ident_is(ty, STRINGS)
                || last_ident_is(ty, INTEGERS)
                || last_ident_is(ty, FLOATS)
                || last_ident_is(ty, &["bool", "char"])
        }
    }
}

/// Types that accept any path segment, so routing need not parse them: `String` (a
/// `PathBuf` refuses `..` and the like).
pub fn is_any_string(ty: &Type) -> bool {
    last_ident_is(ty, &["String"])
}

/// Whether `ty` is a path without generics whose last segment is one of `names`.
fn last_ident_is(ty: &Type, names: &[&str]) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|seg| {
            seg.arguments.is_none() && names.iter().any(|name| seg.ident == name)
        }),
        Type::Group(g) => last_ident_is(&g.elem, names),
        Type::Paren(p) => last_ident_is(&p.elem, names),
        _ => false,
    }
}
