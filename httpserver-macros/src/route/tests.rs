//! The expansion of handlers, read back as text: errors, generated items, spans aside.

use proc_macro2::Span;
use quote::quote;
use syn::{Ident, LitStr, Type};

use httpserver_pattern::{self as pattern, Converter};

use super::emit::is_any_string;
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
    assert!(
        !t("::std::path::PathBuf"),
        "a PathBuf refuses `..`: routing checks it"
    );
    assert!(!t("PathBuf"));
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
        out.contains("struct get_user { pub id : :: httpserver :: __private :: UrlArg < i64 > }"),
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
        out.contains("fn __accepts (__values : & [& str]) -> bool { __parse_0 (__values [0usize]) . is_some () }"),
        "{out}"
    );
    assert!(
        out.contains(
            "push_static (& mut __url , \"users\") ; \
             :: httpserver :: __private :: push_segment (& mut __url , & self . id) ;"
        ),
        "{out}"
    );
    // Only path parameters: parsed before the handler runs, and the handler's own future
    // is the route's, with no `async` block, no state probe and no named bound around it.
    assert!(
        out.contains(
            "Err (r) => return :: httpserver :: __private :: ready (r) , } ; \
             :: core :: mem :: drop (__req) ; :: httpserver :: __private :: respond (get_user (__arg0))"
        ),
        "{out}"
    );
    assert!(!out.contains("async move"), "{out}");
    assert!(!out.contains("__needs"), "{out}");
    assert!(!out.contains("trait"), "{out}");
    assert!(out.contains("const SHAPE_HASH : u64 = "), "{out}");
}

#[test]
fn types_that_do_not_obviously_fit_get_a_bound_named_for_the_parameter() {
    let out = expand_str(
        GET,
        quote!("/users/<int:id>/<slug>"),
        quote!(
            fn get_user(id: UserId, slug: std::string::String) -> String {
                String::new()
            }
        ),
    );
    assert!(errors_of(&out).is_empty(), "{out}");
    assert!(
        out.contains(
            "message = \"path parameter `id` is `<int:id>`, so `id` needs an integer type, not `{Self}`\""
        ),
        "{out}"
    );
    assert!(
        out.contains("trait __Param0 : :: httpserver :: __private :: IntParam { }"),
        "{out}"
    );
    assert!(out.contains("__check_0 :: < UserId > (raw)"), "{out}");
    assert!(!out.contains("__Param1"), "a String fits `<slug>`: {out}");
    assert!(
        out.contains(":: httpserver :: __private :: blocking (move || get_user (__arg0 , __arg1))"),
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
        out.contains("path_param :: < String > (& __req , \"name\" , __parse_3)"),
        "{out}"
    );
    assert!(
        out.contains("path_param :: < PathBuf > (& __req , \"rest\" , __parse_1)"),
        "{out}"
    );
    assert!(out.contains("parse_str :: < String > (raw)"), "{out}");
    assert!(out.contains("parse_path :: < PathBuf > (raw)"), "{out}");
    assert!(
        out.contains("fn __accepts (__values : & [& str]) -> bool { __parse_1 (__values [1usize]) . is_some () }"),
        "a String needs no check, a PathBuf does: {out}"
    );
    assert!(out.contains(". needing (& __needs ())"), "{out}");
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
        out.contains("struct get_user { pub id : :: httpserver :: __private :: UrlArg < i64 > }"),
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

#[test]
fn text_error_types_are_refused_with_what_to_write() {
    for (ret, written) in [
        (quote!(Result<String, String>), "Result<_, String>"),
        (
            quote!(std::result::Result<(), &'static str>),
            "Result<_, &'static str>",
        ),
    ] {
        let out = expand_str(GET, quote!("/"), quote!(async fn h() -> #ret { todo!() }));
        let errors = errors_of(&out);
        assert_eq!(errors.len(), 1, "{out}");
        assert!(
            errors[0].starts_with(&format!(
                "`h` returns `{written}`, but a handler's error type"
            )),
            "{errors:?}"
        );
        assert!(errors[0].contains("Result<_, HttpError>"), "{errors:?}");
    }
    // Error types that are errors, and results that are not a handler's return type.
    for ret in [
        quote!(Result<String, HttpError>),
        quote!(Result<String, std::io::Error>),
        quote!(Option<Result<String, String>>),
    ] {
        let out = expand_str(GET, quote!("/"), quote!(async fn h() -> #ret { todo!() }));
        assert!(errors_of(&out).is_empty(), "{out}");
    }
}
