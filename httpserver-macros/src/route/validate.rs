//! Checking the handler against its attribute: the rules a handler's signature must follow,
//! the pattern's grammar, and one argument for each path parameter.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::LitStr;

use httpserver_pattern::{self as pattern, Converter};

use super::messages;
use super::model::{BoundArg, Failed, Route, Source};
use super::parse::{self, HandlerFn};
use crate::args::RouteArgs;

pub fn route(func: &HandlerFn, attr: RouteArgs) -> Result<Route, Failed> {
    let sig = &func.sig;
    let fn_name = sig.ident.unraw().to_string();
    let mut errors = attr.errors;
    let pattern_lit = attr
        .path
        .clone()
        .unwrap_or_else(|| LitStr::new("", Span::call_site()));
    let fail = |errors, params, is_method| Failed {
        errors,
        fn_name: fn_name.clone(),
        pattern_lit: pattern_lit.clone(),
        methods: attr.methods.clone(),
        params,
        is_method,
    };

    if let Some(receiver) = sig.receiver() {
        errors.push(messages::method_handler(receiver, &fn_name));
        return Err(fail(errors, Vec::new(), true));
    }
    errors.extend(messages::signature_errors(sig, &fn_name));
    errors.extend(messages::text_error_type(sig, &fn_name));

    let args = parse::args(sig);
    for arg in &args {
        if let Some(message) = messages::unsupported_arg_type(&arg.ty) {
            errors.push(syn::Error::new_spanned(&arg.ty, message));
        }
    }

    let parsed = attr
        .path
        .as_ref()
        .and_then(|lit| match pattern::parse(&lit.value()) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                errors.push(syn::Error::new(lit.span(), e.message));
                None
            }
        });
    let params: Vec<(String, Converter)> = parsed
        .iter()
        .flat_map(|p| p.params())
        .map(|(name, converter)| (name.to_string(), converter))
        .collect();

    let sources = bind_params(&args, &params, &pattern_lit, &fn_name, &mut errors);
    match parsed {
        Some(pattern) if errors.is_empty() => Ok(Route {
            fn_name,
            pattern_lit,
            pattern,
            methods: attr.methods,
            max_body_size: attr.max_body_size,
            csrf_exempt: attr.csrf_exempt,
            openapi_hidden: attr.openapi_hidden,
            responses: attr.responses,
            args: args
                .into_iter()
                .zip(sources)
                .map(|(arg, source)| BoundArg {
                    ty: arg.ty,
                    name: arg.name,
                    source,
                })
                .collect(),
        }),
        _ => Err(fail(errors, params, false)),
    }
}

/// Which argument receives each path parameter: the one with its name. A parameter without
/// such an argument is an error (with a guess at a misspelt one).
fn bind_params(
    args: &[parse::Arg],
    params: &[(String, Converter)],
    lit: &LitStr,
    fn_name: &str,
    errors: &mut Vec<syn::Error>,
) -> Vec<Source> {
    let mut sources = vec![Source::Extractor; args.len()];
    for (index, (name, converter)) in params.iter().enumerate() {
        let found = args.iter().enumerate().position(|(i, arg)| {
            matches!(sources[i], Source::Extractor)
                && arg
                    .name
                    .as_ref()
                    .is_some_and(|ident| ident.unraw() == name.as_str())
        });
        match found {
            Some(i) => {
                sources[i] = Source::Param {
                    index,
                    converter: *converter,
                }
            }
            None => {
                let unclaimed = args
                    .iter()
                    .zip(&sources)
                    .filter(|(_, source)| matches!(source, Source::Extractor))
                    .filter_map(|(arg, _)| arg.name.as_ref())
                    .map(|ident| ident.unraw().to_string())
                    .filter(|n| !params.iter().any(|(p, _)| p == n));
                errors.push(messages::missing_param(
                    lit, name, *converter, fn_name, unclaimed,
                ));
            }
        }
    }
    sources
}
