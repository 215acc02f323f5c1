//! The route-pattern grammar of [httpserver](https://docs.rs/httpserver), defined once.
//!
//! Both the runtime router and the route attributes (`httpserver-macros`) parse patterns
//! with this crate, so a pattern the router would refuse is a compile error with the same
//! message. Users do not depend on it directly: `httpserver` re-exports what they need.
//!
//! Grammar: a pattern starts with `/` and is a sequence of `/`-separated segments. A segment
//! is either literal text or exactly one parameter `<name>` / `<converter:name>`; only the
//! last segment may be empty (a trailing slash, or the root `/`), and `<path:name>` must be
//! the last segment.
//!
//! ```
//! use httpserver_pattern::{parse, Converter, Segment};
//!
//! let pattern = parse("/users/<int:id>").unwrap();
//! assert_eq!(pattern.params().collect::<Vec<_>>(), [("id", Converter::Int)]);
//! assert_eq!(pattern.shape(), "/users/<int>");
//! assert!(matches!(&pattern.segments[0], Segment::Static(s) if s == "users"));
//!
//! let err = parse("/users/<int:id").unwrap_err();
//! assert!(err.message.contains("is never closed"));
//! ```
#![warn(missing_docs)]

use std::fmt;

/// How a parameter segment is matched and, by its order in [`Converter::PRECEDENCE`],
/// which of several matching dynamic branches the router tries first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Converter {
    /// `<name>` or `<string:name>`: one non-empty segment.
    Str,
    /// `<int:name>`: `-?[0-9]+`.
    Int,
    /// `<float:name>`: `-?[0-9]+(\.[0-9]+)?`.
    Float,
    /// `<path:name>`: the non-empty rest of the path, `/` included.
    Path,
}

impl Converter {
    /// Every converter, in the order error messages list them.
    pub const KNOWN: [Converter; 4] = [
        Converter::Str,
        Converter::Int,
        Converter::Float,
        Converter::Path,
    ];

    /// The order in which the router tries dynamic branches: the most specific first.
    pub const PRECEDENCE: [Converter; 4] = [
        Converter::Int,
        Converter::Float,
        Converter::Str,
        Converter::Path,
    ];

    /// The name written before `:` in a pattern.
    pub fn name(&self) -> &'static str {
        match self {
            Converter::Str => "string",
            Converter::Int => "int",
            Converter::Float => "float",
            Converter::Path => "path",
        }
    }

    /// The converter written as `name` in `<name:..>`, if there is one.
    pub fn from_name(name: &str) -> Option<Converter> {
        Converter::KNOWN.into_iter().find(|c| c.name() == name)
    }

    /// Whether `text` (one decoded segment, or for `Path` the decoded rest of the path)
    /// is a value of this converter.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Converter::Str => !text.is_empty() && !text.contains('/'),
            Converter::Int => is_digits(text.strip_prefix('-').unwrap_or(text)),
            Converter::Float => is_float(text.strip_prefix('-').unwrap_or(text)),
            Converter::Path => !text.is_empty(),
        }
    }
}

impl fmt::Display for Converter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_float(unsigned: &str) -> bool {
    match unsigned.split_once('.') {
        Some((int, frac)) => is_digits(int) && is_digits(frac),
        None => is_digits(unsigned),
    }
}

/// One `/`-separated piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text, compared as-is with the decoded request segment; `""` only as the last
    /// segment (a trailing slash, or the root).
    Static(String),
    /// A parameter that captures the segment (or, for `Path`, the rest of the path).
    Param {
        /// What the segment must look like, and how its value converts.
        converter: Converter,
        /// The parameter's name: the handler argument that receives it.
        name: String,
    },
}

/// A parsed route pattern: `"/"` is `[Static("")]`, `"/x/"` is `[Static("x"), Static("")]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The segments, in order.
    pub segments: Vec<Segment>,
}

impl Pattern {
    /// The parameters' names and converters, in pattern order.
    pub fn params(&self) -> impl Iterator<Item = (&str, Converter)> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Static(_) => None,
            Segment::Param { converter, name } => Some((name.as_str(), *converter)),
        })
    }

    /// A key that ignores parameter names, e.g. `/u/<int>` for `/u/<int:id>`: two patterns
    /// with the same shape match exactly the same paths, so they are duplicates.
    pub fn shape(&self) -> String {
        self.render(|converter, _| format!("<{converter}>"))
    }

    /// A 64-bit FNV-1a hash of [`shape`](Pattern::shape): equal for patterns of the same
    /// shape. `collect_routes!` sorts its handlers by it to find duplicates in
    /// O(n log n) at compile time (equal hashes are then compared in full).
    pub fn shape_hash(&self) -> u64 {
        fnv1a(self.shape().as_bytes())
    }

    fn render(&self, param: impl Fn(Converter, &str) -> String) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Static(text) => out.push_str(text),
                Segment::Param { converter, name } => out.push_str(&param(*converter, name)),
            }
        }
        out
    }
}

/// The canonical spelling of the pattern (`<id>` rather than `<string:id>`).
impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(|converter, name| match converter {
            Converter::Str => format!("<{name}>"),
            _ => format!("<{converter}:{name}>"),
        }))
    }
}

/// Why a pattern was rejected; the message says what is wrong and how to fix it, because
/// the macros show it verbatim as a compile error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The whole message, ready to show.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

fn error(pattern: &str, detail: String) -> PatternError {
    PatternError {
        message: format!("invalid route pattern `{pattern}`: {detail}"),
    }
}

/// Parses a route pattern such as `/users/<int:id>`, checking every rule of the grammar.
pub fn parse(pattern: &str) -> Result<Pattern, PatternError> {
    let body = check_start(pattern)?;
    check_forbidden(pattern)?;
    let pieces: Vec<&str> = body.split('/').collect();
    let mut segments: Vec<Segment> = Vec::with_capacity(pieces.len());
    for (index, piece) in pieces.iter().enumerate() {
        let last = index + 1 == pieces.len();
        let segment = parse_segment(pattern, piece, last)?;
        check_placement(pattern, &segments, &segment, last)?;
        segments.push(segment);
    }
    Ok(Pattern { segments })
}

fn check_start(pattern: &str) -> Result<&str, PatternError> {
    if pattern.is_empty() {
        return Err(error(
            pattern,
            "a pattern cannot be empty; write `/` for the root".into(),
        ));
    }
    pattern.strip_prefix('/').ok_or_else(|| {
        error(
            pattern,
            format!("a pattern must start with `/`; write `/{pattern}`"),
        )
    })
}

fn check_forbidden(pattern: &str) -> Result<(), PatternError> {
    if let Some(at) = pattern.find('?') {
        let query = &pattern[at..];
        return Err(error(
            pattern,
            format!("`{query}` is a query string, which is not part of routing; remove it from the pattern and read query parameters from the request"),
        ));
    }
    if let Some(at) = pattern.find('#') {
        let fragment = &pattern[at..];
        return Err(error(
            pattern,
            format!("`{fragment}` is a fragment, which browsers never send to the server; remove it from the pattern"),
        ));
    }
    if let Some(escape) = find_percent_escape(pattern) {
        return Err(error(
            pattern,
            format!("`{escape}` is a percent-escape, but patterns are matched against the decoded path; write the character itself instead"),
        ));
    }
    Ok(())
}

fn find_percent_escape(pattern: &str) -> Option<&str> {
    pattern.match_indices('%').find_map(|(at, _)| {
        let escape = pattern.get(at..at + 3)?;
        escape[1..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then_some(escape)
    })
}

fn parse_segment(pattern: &str, piece: &str, last: bool) -> Result<Segment, PatternError> {
    if piece.is_empty() {
        return match last {
            true => Ok(Segment::Static(String::new())),
            false => Err(error(
                pattern,
                "it has an empty segment (`//`); remove the extra `/`".into(),
            )),
        };
    }
    match count_params(pattern, piece)? {
        0 => Ok(Segment::Static(piece.to_owned())),
        1 if piece.starts_with('<') && piece.ends_with('>') => {
            parse_param(pattern, &piece[1..piece.len() - 1])
        }
        _ => Err(error(
            pattern,
            format!("segment `{piece}` mixes a parameter with other text; a parameter must be a whole path segment, e.g. `/prefix/<name>` instead of `/prefix-<name>`"),
        )),
    }
}

/// Counts the `<...>` groups of one segment, rejecting unbalanced brackets.
fn count_params(pattern: &str, piece: &str) -> Result<usize, PatternError> {
    let unclosed = || {
        error(
            pattern,
            format!("the `<` in segment `{piece}` is never closed; close the parameter with `>` within the same segment, e.g. `<id>` (a parameter cannot contain `/`)"),
        )
    };
    let mut open = false;
    let mut count = 0;
    for c in piece.chars() {
        match (c, open) {
            ('<', true) => return Err(unclosed()),
            ('<', false) => open = true,
            ('>', false) => return Err(error(
                pattern,
                format!("the `>` in segment `{piece}` has no matching `<`; write a parameter as `<name>` or `<converter:name>`, or remove the `>`"),
            )),
            ('>', true) => {
                open = false;
                count += 1;
            }
            _ => {}
        }
    }
    match open {
        true => Err(unclosed()),
        false => Ok(count),
    }
}

fn parse_param(pattern: &str, inner: &str) -> Result<Segment, PatternError> {
    let (converter, name) = match inner.split_once(':') {
        Some((converter, name)) => (parse_converter(pattern, inner, converter)?, name),
        None => (Converter::Str, inner),
    };
    check_name(pattern, inner, name)?;
    Ok(Segment::Param {
        converter,
        name: name.to_owned(),
    })
}

fn parse_converter(pattern: &str, inner: &str, converter: &str) -> Result<Converter, PatternError> {
    Converter::from_name(converter).ok_or_else(|| {
        let known: Vec<String> = Converter::KNOWN
            .iter()
            .map(|c| format!("`{}`", c.name()))
            .collect();
        let what = match converter {
            "" => "an empty converter before `:`".to_owned(),
            _ => format!("unknown converter `{converter}`"),
        };
        error(
            pattern,
            format!("parameter `<{inner}>` has {what}; the known converters are {} (`string` is the default: `<name>` means `<string:name>`)", known.join(", ")),
        )
    })
}

fn check_name(pattern: &str, inner: &str, name: &str) -> Result<(), PatternError> {
    if name.is_empty() {
        let example = match inner {
            "" => "`<id>`".to_owned(),
            _ => format!("`<{inner}id>`"),
        };
        return Err(error(
            pattern,
            format!("parameter `<{inner}>` has no name; name it, e.g. {example}"),
        ));
    }
    if is_keyword(name) {
        return Err(error(
            pattern,
            format!("parameter name `{name}` in `<{inner}>` is a Rust keyword, so no handler argument can be called that; rename it, e.g. `{name}_`"),
        ));
    }
    if !is_identifier(name) {
        return Err(error(
            pattern,
            format!("parameter name `{name}` in `<{inner}>` is not a valid Rust identifier (it names a handler argument): use letters, digits and `_`, not starting with a digit{}", suggestion(name)),
        ));
    }
    Ok(())
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic());
    first_ok && name != "_" && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn suggestion(name: &str) -> String {
    let mut fixed: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if fixed.starts_with(|c: char| c.is_ascii_digit()) {
        fixed.insert(0, '_');
    }
    match is_identifier(&fixed) && !is_keyword(&fixed) {
        true => format!(", e.g. `{fixed}`"),
        false => String::new(),
    }
}

fn is_keyword(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
        "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
        "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv",
        "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "try",
        "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    KEYWORDS.contains(&name)
}

/// Rules that depend on the segments before this one.
fn check_placement(
    pattern: &str,
    before: &[Segment],
    segment: &Segment,
    last: bool,
) -> Result<(), PatternError> {
    let Segment::Param { converter, name } = segment else {
        return Ok(());
    };
    let taken = before
        .iter()
        .any(|s| matches!(s, Segment::Param { name: other, .. } if other == name));
    if taken {
        return Err(error(
            pattern,
            format!("parameter name `{name}` is used twice; give each parameter its own name, e.g. `{name}2` for the second"),
        ));
    }
    if *converter == Converter::Path && !last {
        return Err(error(
            pattern,
            format!("`<path:{name}>` captures the rest of the path, so it must be the last segment (not even a trailing `/` may follow); move it to the end, or use `<{name}>` to match a single segment"),
        ));
    }
    Ok(())
}

/// 64-bit FNV-1a: tiny, std-only and stable across releases and platforms, which a hash
/// computed by a proc macro and compared in another crate's `const` needs.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The shared table of grammar cases: pattern → `Ok(shape)` or `Err(part of the message)`.
/// Dependency-free so the macro crate can run the same table.
#[doc(hidden)]
pub mod cases {
    /// Each pattern with its shape, or a part of its error message.
    pub const CASES: &[(&str, Result<&str, &str>)] = &[
        // Valid patterns and their shapes.
        ("/", Ok("/")),
        ("/items", Ok("/items")),
        ("/x/", Ok("/x/")),
        ("/users/<int:id>", Ok("/users/<int>")),
        ("/users/<id>", Ok("/users/<string>")),
        ("/users/<string:id>", Ok("/users/<string>")),
        ("/p/<float:price>", Ok("/p/<float>")),
        ("/files/<path:filepath>", Ok("/files/<path>")),
        ("/<path:all>", Ok("/<path>")),
        ("/a/<int:x>/b/<y>/", Ok("/a/<int>/b/<string>/")),
        ("/_/<_id>/<id_2>", Ok("/_/<string>/<string>")),
        ("/caf\u{e9}/na\u{ef}ve file.txt", Ok("/caf\u{e9}/na\u{ef}ve file.txt")),
        ("/100%", Ok("/100%")),
        // Must start with `/`.
        ("", Err("write `/` for the root")),
        ("users", Err("must start with `/`; write `/users`")),
        ("<id>", Err("must start with `/`")),
        // Brackets.
        ("/<id", Err("the `<` in segment `<id` is never closed")),
        ("/<a/b>", Err("the `<` in segment `<a` is never closed")),
        ("/<<id>", Err("the `<` in segment `<<id>` is never closed")),
        ("/id>", Err("the `>` in segment `id>` has no matching `<`")),
        ("/<id>>", Err("the `>` in segment `<id>>` has no matching `<`")),
        // Names.
        ("/<>", Err("parameter `<>` has no name")),
        ("/<int:>", Err("parameter `<int:>` has no name; name it, e.g. `<int:id>`")),
        ("/<int:1x>", Err("parameter name `1x` in `<int:1x>` is not a valid Rust identifier")),
        ("/<my-id>", Err("e.g. `my_id`")),
        ("/<_>", Err("parameter name `_` in `<_>` is not a valid Rust identifier")),
        ("/<a b>", Err("parameter name `a b`")),
        ("/<type>", Err("`type` in `<type>` is a Rust keyword")),
        ("/<int:a:b>", Err("parameter name `a:b`")),
        // Converters.
        ("/<integer:id>", Err("unknown converter `integer`; the known converters are `string`, `int`, `float`, `path`")),
        ("/<str:id>", Err("unknown converter `str`")),
        ("/<:id>", Err("an empty converter before `:`")),
        // Duplicate names.
        ("/<id>/<int:id>", Err("parameter name `id` is used twice")),
        // `<path:..>` placement.
        ("/<path:p>/edit", Err("`<path:p>` captures the rest of the path, so it must be the last segment")),
        ("/files/<path:p>/", Err("must be the last segment")),
        // A parameter is a whole segment.
        ("/file-<id>.txt", Err("segment `file-<id>.txt` mixes a parameter with other text; a parameter must be a whole path segment")),
        ("/<a><b>", Err("a parameter must be a whole path segment")),
        ("/v<int:n>", Err("a parameter must be a whole path segment")),
        // Empty segments.
        ("/a//b", Err("empty segment (`//`)")),
        ("//", Err("empty segment")),
        ("/a//", Err("empty segment")),
        // Query, fragment, percent-escapes.
        ("/search?q=<q>", Err("`?q=<q>` is a query string")),
        ("/page#top", Err("`#top` is a fragment")),
        ("/a%20b", Err("`%20` is a percent-escape")),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_case_table() {
        assert!(cases::CASES.len() >= 25);
        for (pattern, expected) in cases::CASES {
            match (parse(pattern), expected) {
                (Ok(parsed), Ok(shape)) => assert_eq!(parsed.shape(), *shape, "{pattern}"),
                (Err(e), Err(part)) => {
                    assert!(e.message.contains(part), "{pattern}: {}", e.message);
                    assert!(e.message.contains(&format!("`{pattern}`")), "{}", e.message);
                }
                (got, want) => panic!("{pattern}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn segments_of_root_and_trailing_slash() {
        let root = parse("/").map(|p| p.segments);
        assert_eq!(root, Ok(vec![Segment::Static(String::new())]));
        let x = parse("/x/").map(|p| p.segments);
        assert_eq!(
            x,
            Ok(vec![
                Segment::Static("x".into()),
                Segment::Static(String::new())
            ])
        );
    }

    #[test]
    fn params_display_and_shape() {
        let pattern = parse("/u/<string:name>/<int:id>/<path:rest>").map_err(|e| e.message);
        let pattern = pattern.as_ref().map_err(String::as_str);
        let Ok(pattern) = pattern else {
            panic!("{pattern:?}")
        };
        let params: Vec<_> = pattern.params().collect();
        assert_eq!(
            params,
            [
                ("name", Converter::Str),
                ("id", Converter::Int),
                ("rest", Converter::Path)
            ]
        );
        assert_eq!(pattern.to_string(), "/u/<name>/<int:id>/<path:rest>");
        assert_eq!(pattern.shape(), "/u/<string>/<int>/<path>");
    }

    #[test]
    fn converter_values() {
        let int = ["0", "42", "-7", "007"];
        let not_int = ["", "-", "1.5", "+1", "1e3", "x", "\u{661}"];
        let float = ["1", "-1", "1.5", "-0.25", "10.0"];
        let not_float = ["1.", ".5", "-", "1.2.3", "1e5", "-.5", ""];
        assert!(int.iter().all(|v| Converter::Int.matches(v)));
        assert!(!not_int.iter().any(|v| Converter::Int.matches(v)));
        assert!(float.iter().all(|v| Converter::Float.matches(v)));
        assert!(!not_float.iter().any(|v| Converter::Float.matches(v)));
        assert!(Converter::Str.matches("\u{e9}"));
        assert!(!Converter::Str.matches("") && !Converter::Str.matches("a/b"));
        assert!(Converter::Path.matches("a/b/") && !Converter::Path.matches(""));
    }

    #[test]
    fn converter_names_round_trip() {
        for converter in Converter::KNOWN {
            assert_eq!(Converter::from_name(converter.name()), Some(converter));
        }
        assert_eq!(Converter::from_name("str"), None);
    }
}
