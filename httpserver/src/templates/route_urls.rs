//! The app's routes by name, for templates: `url_for("tasks::show", id=3)` builds the path
//! as `url_for!` does, and every call written in a template is checked against this table
//! when the app starts.

use std::collections::HashMap;

use httpserver_pattern::{Pattern, Segment};

use crate::protocol::url_text::{push_path_text, push_segment_text, push_static, with_query};
use crate::routes::route::Route;
use crate::templates::url_check::UrlForCall;

/// One route's name and pattern.
struct RouteUrl {
    pattern_text: String,
    pattern: Pattern,
}

/// The routes by the names templates call them by.
pub(crate) struct RouteUrls {
    by_name: HashMap<String, RouteUrl>,
}

impl RouteUrls {
    /// Names each route as `url_for!` does: by its module path as it was listed
    /// (`tasks::show`, `members::home`), and by its bare name too when no other route has
    /// it.
    pub(crate) fn new(routes: &[Route]) -> Self {
        let mut bare_count: HashMap<&str, usize> = HashMap::new();
        for route in routes {
            *bare_count.entry(route.name()).or_default() += 1;
        }
        let mut by_name = HashMap::new();
        for route in routes {
            let Ok(pattern) = httpserver_pattern::parse(route.pattern()) else {
                continue; // the router refuses it, with a better message
            };
            let url = || RouteUrl {
                pattern_text: route.pattern().to_owned(),
                pattern: pattern.clone(),
            };
            by_name.insert(route.listed_name().to_owned(), url());
            if bare_count.get(route.name()) == Some(&1) {
                by_name.insert(route.name().to_owned(), url());
            }
        }
        RouteUrls { by_name }
    }

    /// What is wrong with a call found in a template, if anything: a name that no route
    /// has, or a path parameter not given.
    pub(crate) fn check(&self, call: &UrlForCall) -> Result<(), String> {
        let Some(name) = &call.name else {
            return Ok(()); // a name computed at render time is checked then
        };
        let Some(route) = self.by_name.get(name) else {
            return Err(format!(
                "url_for(\"{name}\") names no route; the routes are: {}",
                self.names()
            ));
        };
        let missing: Vec<&str> = route
            .pattern
            .params()
            .map(|(param, _)| param)
            .filter(|param| !call.keywords.iter().any(|k| k == param))
            .collect();
        match missing.as_slice() {
            [] => Ok(()),
            _ => Err(format!(
                "url_for(\"{name}\") does not give the path parameter{} {} of {}",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                route.pattern_text
            )),
        }
    }

    /// The path of route `name` with its parameters filled in from `args` (by name,
    /// percent-encoded, each checked against its converter); arguments that are not path
    /// parameters become the query string, in order.
    pub(crate) fn build(
        &self,
        name: &str,
        mut args: Vec<(String, String)>,
    ) -> Result<String, String> {
        let route = self.by_name.get(name).ok_or_else(|| {
            format!(
                "url_for(\"{name}\") names no route; the routes are: {}",
                self.names()
            )
        })?;
        let mut url = String::new();
        for segment in &route.pattern.segments {
            match segment {
                Segment::Static(text) => push_static(&mut url, text),
                Segment::Param {
                    converter,
                    name: param,
                } => {
                    let at = args.iter().position(|(k, _)| k == param).ok_or_else(|| {
                        format!(
                            "url_for(\"{name}\") needs the path parameter `{param}` of {}",
                            route.pattern_text
                        )
                    })?;
                    let (_, value) = args.remove(at);
                    if !converter.matches(&value) {
                        return Err(format!(
                            "url_for(\"{name}\"): `{param}` = {value:?} is not a{} `{}` value ({})",
                            if converter.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                                "n"
                            } else {
                                ""
                            },
                            converter.name(),
                            route.pattern_text
                        ));
                    }
                    match converter {
                        httpserver_pattern::Converter::Path => push_path_text(&mut url, &value),
                        _ => push_segment_text(&mut url, &value),
                    }
                }
            }
        }
        if args.is_empty() {
            return Ok(url);
        }
        let pairs: Vec<(&str, String)> =
            args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        Ok(with_query(url, &pairs))
    }

    /// The names, sorted, for an error message.
    fn names(&self) -> String {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;
    use crate::response::Response;

    fn route(name: &'static str, pattern: &'static str) -> Route {
        fn handle(_: Request) -> crate::routes::route::HandlerFuture {
            Box::pin(async { Response::new("") })
        }
        Route::new(name, pattern, &["GET"], |_| true, handle)
    }

    fn urls() -> RouteUrls {
        RouteUrls::new(&[
            route("index", "/"),
            route("show", "/tasks/<int:id>"),
            route("file", "/files/<path:rest>"),
            route("list", "/tasks/"),
        ])
    }

    fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builds_paths_with_parameters_encoded_and_the_rest_as_query() {
        let urls = urls();
        assert_eq!(urls.build("index", vec![]).unwrap(), "/");
        assert_eq!(urls.build("list", vec![]).unwrap(), "/tasks/");
        assert_eq!(
            urls.build("show", args(&[("id", "7")])).unwrap(),
            "/tasks/7"
        );
        assert_eq!(
            urls.build("show", args(&[("tab", "a b&c"), ("id", "7")]))
                .unwrap(),
            "/tasks/7?tab=a+b%26c"
        );
        assert_eq!(
            urls.build("file", args(&[("rest", "a/b c.txt")])).unwrap(),
            "/files/a/b%20c.txt"
        );
    }

    #[test]
    fn wrong_names_missing_and_mistyped_parameters_are_errors() {
        let urls = urls();
        let err = urls.build("shw", vec![]).unwrap_err();
        assert!(
            err.starts_with(
                "url_for(\"shw\") names no route; the routes are: file, index, list, show"
            ),
            "{err}"
        );
        let err = urls.build("show", vec![]).unwrap_err();
        assert!(
            err.contains("needs the path parameter `id` of /tasks/<int:id>"),
            "{err}"
        );
        let err = urls.build("show", args(&[("id", "x")])).unwrap_err();
        assert!(err.contains("`id` = \"x\" is not an `int` value"), "{err}");
    }

    #[test]
    fn calls_are_checked_by_name_and_path_parameters() {
        let urls = urls();
        let call = |name: Option<&str>, keywords: &[&str]| UrlForCall {
            name: name.map(str::to_owned),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            line: 1,
        };
        assert!(urls.check(&call(Some("show"), &["id", "extra"])).is_ok());
        assert!(urls.check(&call(None, &[])).is_ok());
        let err = urls.check(&call(Some("show"), &["ident"])).unwrap_err();
        assert!(
            err.contains("does not give the path parameter `id` of /tasks/<int:id>"),
            "{err}"
        );
        assert!(urls.check(&call(Some("nope"), &[])).is_err());
    }
}
