//! What the route attributes say when a handler is wrong: each message names the handler,
//! the argument or the parameter at fault and says what to write instead.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{GenericArgument, LitStr, PathArguments, Receiver, ReturnType, Signature, Type};

use httpserver_pattern::Converter;

use super::model::BoundArg;
use crate::suggest;

pub fn method_handler(receiver: &Receiver, fn_name: &str) -> syn::Error {
    syn::Error::new_spanned(
        receiver,
        format!(
            "handlers must be free functions without generics: `{fn_name}` takes `self`; \
             move it out of the `impl` block and pass what it needs as arguments \
             (shared data via `State<T>`)"
        ),
    )
}

/// Generics, `where`, `unsafe`, variadics: what the router cannot call.
pub fn signature_errors(sig: &Signature, fn_name: &str) -> Vec<syn::Error> {
    let mut errors = Vec::new();
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
    errors
}

/// `Result<_, String>` (or `&str`): text says nothing of the status, and is not an error type
/// a handler may return. Caught here, where the message can say what to write instead.
pub fn text_error_type(sig: &Signature, fn_name: &str) -> Option<syn::Error> {
    let ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    let Type::Path(path) = strip(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    if last.ident != "Result" || args.args.len() != 2 {
        return None;
    }
    let Some(GenericArgument::Type(error)) = args.args.iter().nth(1) else {
        return None;
    };
    let is_text = match strip(error) {
        Type::Path(p) => p.qself.is_none() && p.path.is_ident("String"),
        Type::Reference(r) => matches!(strip(&r.elem), Type::Path(p) if p.path.is_ident("str")),
        _ => false,
    };
    is_text.then(|| {
        let written = error.to_token_stream().to_string().replace("& ", "&");
        syn::Error::new_spanned(
            error,
            format!(
                "`{fn_name}` returns `Result<_, {written}>`, but a handler's error type must \
                 implement `std::error::Error`: return `Result<_, HttpError>` and write \
                 `Err(HttpError::new(400, message))` (or `Err(abort(404))`), or return \
                 `Result<_, httpserver::Error>`, into which `?` converts any error (a 500 \
                 unless `App::error_handler_for` handles its type)"
            ),
        )
    })
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip(&g.elem),
        Type::Paren(p) => strip(&p.elem),
        other => other,
    }
}

/// Argument types the generated code cannot bind.
pub fn unsupported_arg_type(ty: &Type) -> Option<String> {
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

/// The usual type of a converter's argument, as suggested in messages.
pub fn usual_type(converter: Converter) -> &'static str {
    match converter {
        Converter::Int => "i64",
        Converter::Float => "f64",
        Converter::Str | Converter::Path => "String",
    }
}

/// "path parameter `id` has no argument; add `id: i64` to `get_user`'s arguments"
pub fn missing_param(
    lit: &LitStr,
    name: &str,
    converter: Converter,
    fn_name: &str,
    unclaimed: impl Iterator<Item = String>,
) -> syn::Error {
    let ty = usual_type(converter);
    // Plain-identifier arguments that no parameter claims may be this one misspelt.
    let unclaimed: Vec<String> = unclaimed.collect();
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
fn param_span(lit: &LitStr, name: &str) -> proc_macro2::Span {
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

/// `#[diagnostic::on_unimplemented(..)]` for the trait that a path parameter's argument
/// type must implement, naming the parameter: "path parameter `id` is `<int:id>`, so `id`
/// needs an integer type, not `String`".
pub fn param_type_diagnostic(name: &str, converter: Converter) -> TokenStream {
    let written = match converter {
        Converter::Str => format!("<{name}>"),
        other => format!("<{other}:{name}>"),
    };
    let (needs, note) = match converter {
        Converter::Int => (
            "an integer type",
            "use an integer type such as `i64`, `u32` or `usize` (a value out of its range \
             does not match: 404), or change the converter to `<name>` for any `FromStr` type",
        ),
        Converter::Float => (
            "`f32` or `f64`",
            "use `f64` or `f32`, or change the converter to `<name>` for any `FromStr` type",
        ),
        Converter::Path => (
            "`String` or `PathBuf`",
            "a `<path:..>` parameter is the rest of the path, slashes included: take it as \
             `String` or `std::path::PathBuf`",
        ),
        Converter::Str => (
            "a type that implements `FromStr`",
            "use `String`, or any type that implements `std::str::FromStr`",
        ),
    };
    let message = format!(
        "path parameter `{name}` is `{written}`, so `{name}` needs {needs}, not `{{Self}}`"
    );
    let label = format!("`{name}` receives `{written}`");
    quote! {
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
    }
}

/// `#[diagnostic::on_unimplemented(..)]` for an argument that no path parameter claims:
/// if its type is not an extractor either, the message names the argument and lists the
/// route's path parameters.
pub fn extractor_diagnostic(
    arg: &BoundArg,
    fn_name: &str,
    pattern: &str,
    params: &[&str],
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
                    let list: Vec<String> = params.iter().map(|n| format!("`{n}`")).collect();
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
                      `State<T>`, `Ext<T>`, `Session`, `Json<T>`, `Query<T>` (the query \
                      string, e.g. `?page=2`), `Form<T>`, an `Option` of one, or a type that \
                      implements `FromRequest`";
    quote! {
        #[diagnostic::on_unimplemented(
            message = #message,
            label = #label,
            note = #params_note,
            note = #extractors
        )]
    }
}
