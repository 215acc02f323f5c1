//! What validation makes of a route attribute and its handler: a route the emitter can
//! build, or the errors and what can still be made out of the attribute.

use syn::{Ident, LitStr, Type};

use httpserver_pattern::{Converter, Pattern};

/// A handler that passed every check: what the emitter needs.
pub struct Route {
    /// The handler's name without `r#`.
    pub fn_name: String,
    pub pattern_lit: LitStr,
    pub pattern: Pattern,
    pub methods: Vec<&'static str>,
    /// `max_body_size = EXPR`, if given.
    pub max_body_size: Option<syn::Expr>,
    /// `csrf = false` was given.
    pub csrf_exempt: bool,
    /// `openapi = false` was given.
    pub openapi_hidden: bool,
    /// `responses = [..]`: statuses and their descriptions, for the API document.
    pub responses: Vec<(u16, String)>,
    /// The arguments in signature order, each with where its value comes from.
    pub args: Vec<BoundArg>,
}

pub struct BoundArg {
    pub ty: Type,
    pub name: Option<Ident>,
    pub source: Source,
}

#[derive(Clone, Copy)]
pub enum Source {
    /// The path parameter at this position in pattern order.
    Param { index: usize, converter: Converter },
    /// Anything else: built from the request by `FromRequest`.
    Extractor,
}

/// A handler with mistakes: the errors, and what can still be made out of the attribute, so
/// that the hidden struct exists and `collect_routes!`/`url_for!` add no errors of their own.
pub struct Failed {
    pub errors: Vec<syn::Error>,
    pub fn_name: String,
    pub pattern_lit: LitStr,
    pub methods: Vec<&'static str>,
    pub params: Vec<(String, Converter)>,
    /// A method (`self`): no struct can go beside it (it would not parse inside an `impl`).
    pub is_method: bool,
}
