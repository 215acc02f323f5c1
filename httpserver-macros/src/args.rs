//! The arguments of a route attribute: `("/path")` for `#[get]` and friends,
//! `("/path", methods = ["GET", "POST"])` for `#[route]`.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Lit, LitStr, Token};

use crate::suggest;

/// The methods a route may name, in the order error messages list them.
pub const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// `s` as a canonical (uppercase) HTTP method, matched case-insensitively.
pub fn parse_method(s: &str) -> Option<&'static str> {
    HTTP_METHODS
        .iter()
        .copied()
        .find(|m| m.eq_ignore_ascii_case(s))
}

/// Every route attribute, by name, with the method it always handles (`route` takes its
/// methods as an argument). `#[group]` rewrites the attributes named here.
pub const ROUTE_ATTRIBUTES: [(&str, Option<&str>); 6] = [
    ("get", Some("GET")),
    ("post", Some("POST")),
    ("put", Some("PUT")),
    ("delete", Some("DELETE")),
    ("patch", Some("PATCH")),
    ("route", None),
];

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `#[route(path, methods = [..])]`.
    Route,
    /// `#[get(path)]` and friends: `attr` is the attribute's name, `method` the method it
    /// always handles.
    Fixed {
        attr: &'static str,
        method: &'static str,
    },
}

impl Kind {
    /// The kind of the route attribute named `name` (one of [`ROUTE_ATTRIBUTES`]).
    pub fn named(name: &'static str) -> Kind {
        match ROUTE_ATTRIBUTES.iter().find(|(attr, _)| *attr == name) {
            Some((attr, Some(method))) => Kind::Fixed { attr, method },
            _ => Kind::Route,
        }
    }

    pub fn attr_name(self) -> &'static str {
        match self {
            Kind::Route => "route",
            Kind::Fixed { attr, .. } => attr,
        }
    }

    fn example(self) -> String {
        match self {
            Kind::Route => "#[route(\"/items\", methods = [\"GET\", \"POST\"])]".to_string(),
            Kind::Fixed { attr, .. } => format!("#[{attr}(\"/users/<int:id>\")]"),
        }
    }
}

/// What the attribute said; `errors` holds everything wrong with it, and the other fields
/// hold whatever could still be made out (so the rest of the handler can be checked too).
pub struct RouteArgs {
    pub path: Option<LitStr>,
    /// Uppercase, without duplicates; never empty.
    pub methods: Vec<&'static str>,
    /// `max_body_size = EXPR`: the route's own body limit, a `usize` expression evaluated
    /// when the routes are collected (a constant, or read from configuration); the
    /// compiler checks its type where it is written.
    pub max_body_size: Option<Expr>,
    /// `csrf = false`: the route is exempt from the CSRF check.
    pub csrf_exempt: bool,
    /// `openapi = false`: the route is left out of the API document.
    pub openapi_hidden: bool,
    /// `responses = [(201, "Created"), (404, "No such task")]`: the statuses the API
    /// document lists, each with its description.
    pub responses: Vec<(u16, String)>,
    pub errors: Vec<syn::Error>,
}

pub fn parse_args(kind: Kind, tokens: TokenStream) -> RouteArgs {
    let mut args = RouteArgs {
        path: None,
        methods: Vec::new(),
        max_body_size: None,
        csrf_exempt: false,
        openapi_hidden: false,
        responses: Vec::new(),
        errors: Vec::new(),
    };
    let parser = |input: ParseStream| parse_into(kind, input, &mut args);
    if let Err(e) = parser.parse2(tokens) {
        args.errors.push(e);
    }
    if args.methods.is_empty() {
        args.methods.push(match kind {
            Kind::Route => "GET",
            Kind::Fixed { method, .. } => method,
        });
    }
    args
}

fn parse_into(kind: Kind, input: ParseStream, args: &mut RouteArgs) -> syn::Result<()> {
    let RouteArgs {
        path,
        methods,
        max_body_size,
        csrf_exempt,
        openapi_hidden,
        responses,
        errors,
    } = args;
    let mut csrf_key: Option<Ident> = None;
    let mut openapi_key: Option<Ident> = None;
    let mut responses_key: Option<Ident> = None;
    let attr = kind.attr_name();
    let missing_path = || {
        syn::Error::new(
            Span::call_site(),
            format!(
                "#[{attr}] needs the route's path as its first argument, e.g. {}",
                kind.example()
            ),
        )
    };

    // The path: a string literal, first.
    let mut expect_comma = true;
    if input.is_empty() {
        errors.push(missing_path());
        return Ok(());
    } else if input.peek(LitStr) {
        *path = Some(input.parse()?);
    } else if input.peek(Lit) {
        let lit: Lit = input.parse()?;
        errors.push(syn::Error::new(
            lit.span(),
            format!(
                "the route path must be a string literal, e.g. {}",
                kind.example()
            ),
        ));
    } else if input.peek(Ident::peek_any) && input.peek2(Token![=]) {
        // `#[route(methods = [..])]`: the keys are there, the path is not.
        errors.push(missing_path());
        expect_comma = false;
    } else {
        let expr: Expr = input.parse()?;
        errors.push(syn::Error::new_spanned(
            expr,
            format!(
                "the route path must be a string literal so it can be checked at compile time, e.g. {}",
                kind.example()
            ),
        ));
    }

    // Then `key = value` pairs.
    let mut methods_key: Option<Ident> = None;
    loop {
        if input.is_empty() {
            break;
        }
        if expect_comma {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
        }
        expect_comma = true;

        if input.peek(Lit) {
            let lit: Lit = input.parse()?;
            errors.push(syn::Error::new(
                lit.span(),
                format!("#[{attr}] takes one path; write a separate handler for each path"),
            ));
            continue;
        }
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        let key_name = key.unraw().to_string();
        match (kind, key_name.as_str()) {
            (Kind::Route, "methods") => {
                if methods_key.is_some() {
                    errors.push(syn::Error::new(
                        key.span(),
                        "`methods` is given twice; list all methods in one `methods = [..]`",
                    ));
                    continue;
                }
                methods_key = Some(key);
                *methods = parse_methods(&value, errors);
            }
            (_, "max_body_size") => {
                if max_body_size.is_some() {
                    errors.push(syn::Error::new(
                        key.span(),
                        "`max_body_size` is given twice; give the route one limit",
                    ));
                    continue;
                }
                *max_body_size = Some(value);
            }
            (_, "csrf") => {
                if csrf_key.is_some() {
                    errors.push(syn::Error::new(key.span(), "`csrf` is given twice"));
                    continue;
                }
                csrf_key = Some(key);
                match &value {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Bool(b), ..
                    }) => *csrf_exempt = !b.value,
                    _ => errors.push(syn::Error::new_spanned(
                        &value,
                        "`csrf` takes `false` (exempt the route from the CSRF check) or \
                         `true` (the default)",
                    )),
                }
            }
            (_, "openapi") => {
                if openapi_key.replace(key.clone()).is_some() {
                    errors.push(syn::Error::new(key.span(), "`openapi` is given twice"));
                    continue;
                }
                match &value {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Bool(b), ..
                    }) => *openapi_hidden = !b.value,
                    _ => errors.push(syn::Error::new_spanned(
                        &value,
                        "`openapi` takes `false` (leave the route out of the API document) \
                         or `true` (the default)",
                    )),
                }
            }
            (_, "responses") => {
                if responses_key.replace(key.clone()).is_some() {
                    errors.push(syn::Error::new(
                        key.span(),
                        "`responses` is given twice; list every status in one `responses = [..]`",
                    ));
                    continue;
                }
                *responses = parse_responses(&value, errors);
            }
            (Kind::Fixed { attr, method }, "methods") => {
                errors.push(syn::Error::new(
                    key.span(),
                    format!(
                        "#[{attr}] always handles {method} and takes no `methods`; \
                         to choose the methods, use #[route(\"/path\", methods = [\"{method}\", ..])]"
                    ),
                ));
            }
            (Kind::Route, other) => {
                let hint = match suggest::closest(
                    other,
                    ["methods", "max_body_size", "csrf", "openapi", "responses"],
                ) {
                    Some(s) => format!(" (did you mean `{s}`?)"),
                    None => String::new(),
                };
                errors.push(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{other}`{hint}; #[route] takes the path, and \
                         optionally `methods = [..]`, `max_body_size = ..`, `csrf = false`, \
                         `openapi = false` and `responses = [(status, \"description\"), ..]`, e.g. {}",
                        kind.example()
                    ),
                ));
            }
            (Kind::Fixed { .. }, other) => {
                let hint = match suggest::closest(
                    other,
                    ["max_body_size", "csrf", "openapi", "responses"],
                ) {
                    Some(s) => format!(" (did you mean `{s}`?)"),
                    None => String::new(),
                };
                errors.push(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{other}`{hint}; #[{attr}] takes the path, and \
                         optionally `max_body_size = ..` (bytes), `csrf = false`, `openapi = false` \
                         and `responses = [(status, \"description\"), ..]`, e.g. {}",
                        kind.example()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The value of `responses = [(201, "Created"), ..]`: statuses (100 to 599) with their
/// descriptions, each status once.
fn parse_responses(value: &Expr, errors: &mut Vec<syn::Error>) -> Vec<(u16, String)> {
    let shape = "`responses` takes a list of (status, \"description\") pairs, \
                 e.g. `responses = [(201, \"Created\"), (404, \"No such task\")]`";
    let Expr::Array(array) = value else {
        errors.push(syn::Error::new_spanned(value, shape));
        return Vec::new();
    };
    let mut found: Vec<(u16, String)> = Vec::new();
    for elem in &array.elems {
        let pair = match elem {
            Expr::Tuple(tuple) if tuple.elems.len() == 2 => (&tuple.elems[0], &tuple.elems[1]),
            _ => {
                errors.push(syn::Error::new_spanned(elem, shape));
                continue;
            }
        };
        let status = match pair.0 {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(n), ..
            }) => n.base10_parse::<u16>().ok(),
            _ => None,
        };
        let Some(status) = status.filter(|s| (100..=599).contains(s)) else {
            errors.push(syn::Error::new_spanned(
                pair.0,
                "a status is a number from 100 to 599",
            ));
            continue;
        };
        let Expr::Lit(syn::ExprLit {
            lit: Lit::Str(text),
            ..
        }) = pair.1
        else {
            errors.push(syn::Error::new_spanned(
                pair.1,
                "a status's description is a string literal",
            ));
            continue;
        };
        if found.iter().any(|(s, _)| *s == status) {
            errors.push(syn::Error::new_spanned(
                pair.0,
                format!("status {status} is listed twice"),
            ));
            continue;
        }
        found.push((status, text.value()));
    }
    found
}

/// The value of `methods = ..`: a non-empty array of distinct HTTP method names, written as
/// string literals (`"GET"`) or bare identifiers (`GET`), in any case.
fn parse_methods(value: &Expr, errors: &mut Vec<syn::Error>) -> Vec<&'static str> {
    let list = HTTP_METHODS.join(", ");
    let elems = match value {
        Expr::Array(array) => &array.elems,
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            errors.push(syn::Error::new_spanned(
                value,
                format!(
                    "`methods` takes a list; write `methods = [\"{}\"]`",
                    s.value().to_uppercase()
                ),
            ));
            return parse_method(&s.value()).into_iter().collect();
        }
        _ => {
            errors.push(syn::Error::new_spanned(
                value,
                "`methods` takes a list of HTTP methods, e.g. `methods = [\"GET\", \"POST\"]`",
            ));
            return Vec::new();
        }
    };
    if elems.is_empty() {
        errors.push(syn::Error::new_spanned(
            value,
            "`methods = []` lists no method; list at least one (one of GET, POST, PUT, DELETE, \
             PATCH, HEAD, OPTIONS), or leave `methods` out to handle GET",
        ));
        return Vec::new();
    }

    let mut out: Vec<&'static str> = Vec::new();
    for elem in elems {
        let (name, span) = match elem {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => (s.value(), s.span()),
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                let ident = p.path.get_ident().unwrap();
                (ident.unraw().to_string(), ident.span())
            }
            other => {
                errors.push(syn::Error::new_spanned(
                    other,
                    format!("each method must be a string literal such as \"GET\"; one of {list}"),
                ));
                continue;
            }
        };
        match parse_method(&name) {
            None => errors.push(syn::Error::new(
                span,
                format!("`{name}` is not an HTTP method; use one of {list}"),
            )),
            Some(m) if out.contains(&m) => errors.push(syn::Error::new(
                span,
                format!("method `{m}` is listed twice in `methods`; remove one"),
            )),
            Some(m) => out.push(m),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    const GET: Kind = Kind::Fixed {
        attr: "get",
        method: "GET",
    };

    fn messages(args: &RouteArgs) -> Vec<String> {
        args.errors.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn methods_are_case_insensitive() {
        assert_eq!(parse_method("get"), Some("GET"));
        assert_eq!(parse_method("Options"), Some("OPTIONS"));
        assert_eq!(parse_method("PATCH"), Some("PATCH"));
        assert_eq!(parse_method("FETCH"), None);
        assert_eq!(parse_method(""), None);
        assert_eq!(parse_method("GET "), None);
    }

    #[test]
    fn fixed_method_attribute() {
        let a = parse_args(GET, quote!("/users/<int:id>"));
        assert!(a.errors.is_empty());
        assert_eq!(a.path.unwrap().value(), "/users/<int:id>");
        assert_eq!(a.methods, ["GET"]);

        let a = parse_args(GET, quote!("/x",));
        assert!(a.errors.is_empty(), "{:?}", messages(&a));
        assert_eq!(a.path.unwrap().value(), "/x");

        let a = parse_args(GET, quote!(r"/raw"));
        assert_eq!(a.path.unwrap().value(), "/raw");
    }

    #[test]
    fn route_defaults_to_get() {
        let a = parse_args(Kind::Route, quote!("/items"));
        assert!(a.errors.is_empty());
        assert_eq!(a.methods, ["GET"]);
    }

    #[test]
    fn route_methods() {
        let a = parse_args(
            Kind::Route,
            quote!("/items", methods = ["get", "Post", DELETE]),
        );
        assert!(a.errors.is_empty(), "{:?}", messages(&a));
        assert_eq!(a.methods, ["GET", "POST", "DELETE"]);

        let a = parse_args(Kind::Route, quote!("/items", methods = ["PUT"],));
        assert!(a.errors.is_empty(), "{:?}", messages(&a));
        assert_eq!(a.methods, ["PUT"]);
    }

    #[test]
    fn bad_methods() {
        let a = parse_args(Kind::Route, quote!("/items", methods = ["GET", "FETCH"]));
        assert_eq!(
            messages(&a),
            ["`FETCH` is not an HTTP method; use one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS"]
        );
        assert_eq!(a.methods, ["GET"]);

        let a = parse_args(Kind::Route, quote!("/items", methods = []));
        assert_eq!(a.errors.len(), 1);
        assert!(messages(&a)[0].contains("`methods = []` lists no method"));

        let a = parse_args(
            Kind::Route,
            quote!("/items", methods = ["GET", "post", "get"]),
        );
        assert_eq!(
            messages(&a),
            ["method `GET` is listed twice in `methods`; remove one"]
        );
        assert_eq!(a.methods, ["GET", "POST"]);

        let a = parse_args(Kind::Route, quote!("/items", methods = "post"));
        assert_eq!(
            messages(&a),
            ["`methods` takes a list; write `methods = [\"POST\"]`"]
        );

        let a = parse_args(Kind::Route, quote!("/items", methods = [1]));
        assert!(messages(&a)[0].starts_with("each method must be a string literal"));

        let a = parse_args(
            Kind::Route,
            quote!("/items", methods = ["GET"], methods = ["POST"]),
        );
        assert!(messages(&a)[0].starts_with("`methods` is given twice"));
    }

    #[test]
    fn unknown_keys() {
        let a = parse_args(Kind::Route, quote!("/items", method = ["GET"]));
        assert_eq!(a.errors.len(), 1);
        assert!(
            messages(&a)[0].starts_with("unknown argument `method` (did you mean `methods`?)"),
            "{:?}",
            messages(&a)
        );

        let a = parse_args(Kind::Route, quote!("/items", name = "x"));
        assert!(messages(&a)[0].starts_with("unknown argument `name`;"));

        let a = parse_args(GET, quote!("/items", methods = ["POST"]));
        assert!(messages(&a)[0].starts_with("#[get] always handles GET"));

        let a = parse_args(GET, quote!("/items", type = 1));
        assert!(messages(&a)[0].starts_with(
            "unknown argument `type`; #[get] takes the path, and optionally `max_body_size = ..` \
             (bytes), `csrf = false`, `openapi = false` and `responses = [(status, \"description\"), ..]`"
        ));

        let a = parse_args(
            GET,
            quote!("/items", max_body_size = 1024, max_body_size = 2),
        );
        assert!(messages(&a)[0].starts_with("`max_body_size` is given twice"));
        let a = parse_args(GET, quote!("/items", max_body_sise = 1));
        assert!(
            messages(&a)[0].contains("(did you mean `max_body_size`?)"),
            "{:?}",
            messages(&a)
        );
        let a = parse_args(
            Kind::Route,
            quote!("/items", methods = ["PUT"], max_body_size = 64 * 1024),
        );
        assert!(a.errors.is_empty());
        assert!(a.max_body_size.is_some());
    }

    #[test]
    fn openapi_and_responses() {
        let a = parse_args(
            GET,
            quote!(
                "/t",
                openapi = false,
                responses = [(201, "Created"), (404, "No such task")]
            ),
        );
        assert!(a.errors.is_empty() && a.openapi_hidden);
        assert_eq!(
            a.responses,
            vec![
                (201, "Created".to_owned()),
                (404, "No such task".to_owned())
            ]
        );
        let a = parse_args(
            GET,
            quote!(
                "/t",
                responses = [(99, "x"), (201, 5), 3, (201, "a"), (201, "b")]
            ),
        );
        let m = messages(&a);
        assert!(
            m[0].starts_with("a status is a number from 100 to 599"),
            "{m:?}"
        );
        assert!(
            m[1].starts_with("a status's description is a string literal"),
            "{m:?}"
        );
        assert!(
            m[2].starts_with("`responses` takes a list of (status"),
            "{m:?}"
        );
        assert!(m[3].starts_with("status 201 is listed twice"), "{m:?}");
        let a = parse_args(GET, quote!("/t", openapi = "no"));
        assert!(messages(&a)[0].starts_with("`openapi` takes `false`"));
    }

    #[test]
    fn csrf_takes_a_bool_once() {
        let a = parse_args(GET, quote!("/hook", csrf = false));
        assert!(a.errors.is_empty() && a.csrf_exempt);
        let a = parse_args(GET, quote!("/hook", csrf = true));
        assert!(a.errors.is_empty() && !a.csrf_exempt);
        let a = parse_args(GET, quote!("/hook", csrf = "off"));
        assert!(messages(&a)[0].starts_with("`csrf` takes `false`"));
        let a = parse_args(GET, quote!("/hook", csrf = false, csrf = false));
        assert!(messages(&a)[0].starts_with("`csrf` is given twice"));
        let a = parse_args(GET, quote!("/hook", csr = false));
        assert!(
            messages(&a)[0].contains("(did you mean `csrf`?)"),
            "{:?}",
            messages(&a)
        );
    }

    #[test]
    fn missing_or_bad_path() {
        let a = parse_args(GET, quote!());
        assert!(a.path.is_none());
        assert!(messages(&a)[0].starts_with("#[get] needs the route's path"));

        let a = parse_args(Kind::Route, quote!(methods = ["GET", "POST"]));
        assert!(a.path.is_none());
        assert_eq!(a.errors.len(), 1, "{:?}", messages(&a));
        assert!(messages(&a)[0].starts_with("#[route] needs the route's path"));
        assert_eq!(a.methods, ["GET", "POST"]);

        let a = parse_args(GET, quote!(PATH));
        assert!(messages(&a)[0].starts_with("the route path must be a string literal"));

        let a = parse_args(GET, quote!(42));
        assert!(messages(&a)[0].starts_with("the route path must be a string literal"));

        let a = parse_args(GET, quote!("/a", "/b"));
        assert!(messages(&a)[0].starts_with("#[get] takes one path"));
    }

    #[test]
    fn syntax_errors_are_reported() {
        let a = parse_args(Kind::Route, quote!("/items" methods));
        assert_eq!(a.errors.len(), 1);
        let a = parse_args(Kind::Route, quote!("/items", methods));
        assert_eq!(a.errors.len(), 1);
    }
}
