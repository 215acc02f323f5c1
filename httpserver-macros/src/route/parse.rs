//! Reading the handler: attributes, visibility and signature. The body is kept as unparsed
//! tokens, so a mistake inside it is reported by rustc alone, as for any function.

use proc_macro2::{Delimiter, Group, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, FnArg, Ident, Item, Pat, Signature, Type, Visibility};

pub struct HandlerFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
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

/// Why the item is not a handler.
pub enum NotAHandler {
    /// A function whose signature does not parse (rustc says why).
    BrokenFn,
    /// Something else: a struct, a module, ...
    OtherItem,
}

pub fn handler(item: TokenStream) -> Result<HandlerFn, NotAHandler> {
    syn::parse2(item.clone()).map_err(|_| match syn::parse2::<Item>(item) {
        Err(_) | Ok(Item::Fn(_)) => NotAHandler::BrokenFn,
        Ok(_) => NotAHandler::OtherItem,
    })
}

/// One argument of the handler, as written.
pub struct Arg {
    pub ty: Type,
    /// The name it is bound to, when its pattern is a plain identifier (`id`, `mut id`,
    /// `_req`); only such arguments can receive path parameters.
    pub name: Option<Ident>,
}

/// The typed arguments (a receiver is reported by validation, not listed here).
pub fn args(sig: &Signature) -> Vec<Arg> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pat_type) => Some(pat_type),
            FnArg::Receiver(_) => None,
        })
        .map(|pat_type| Arg {
            ty: (*pat_type.ty).clone(),
            name: match &*pat_type.pat {
                Pat::Ident(pat_ident) if pat_ident.subpat.is_none() => {
                    Some(pat_ident.ident.clone())
                }
                _ => None,
            },
        })
        .collect()
}
