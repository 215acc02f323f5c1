//! Finds the `url_for(..)` calls in a template's source, so that each can be checked
//! against the route table when the app starts: the route's name, when it is a string
//! literal, the keyword arguments given, and the line.
//!
//! A scanner, not the template parser: it reads only the insides of `{{ .. }}` and
//! `{% .. %}` (skipping comments, string literals and `{% raw %}` blocks), which is where
//! a call can be. A name that is not a literal (`url_for(page)`) cannot be checked before
//! rendering, and is left to the render.

/// One `url_for(..)` call in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlForCall {
    /// The route's name, if written as a string literal.
    pub(crate) name: Option<String>,
    /// The keyword arguments' names, in order.
    pub(crate) keywords: Vec<String>,
    /// 1-based.
    pub(crate) line: usize,
}

/// Every `url_for(..)` call in `source`, in order.
pub(crate) fn url_for_calls(source: &str) -> Vec<UrlForCall> {
    let mut calls = Vec::new();
    for (start, code) in code_blocks(source) {
        find_calls_in(source, start, code, &mut calls);
    }
    calls
}

/// The code inside each `{{ .. }}` and `{% .. %}`, with its offset in `source`.
fn code_blocks(source: &str) -> Vec<(usize, &str)> {
    let bytes = source.as_bytes();
    let mut blocks = Vec::new();
    let mut i = 0;
    let mut in_raw = false;
    while let Some(found) = source[i..].find('{') {
        let open = i + found;
        let kind = bytes.get(open + 1).copied();
        let close = match kind {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                i = open + 1;
                continue;
            }
        };
        let body_start = open + 2;
        let Some(body_len) = end_of_block(&source[body_start..], close) else {
            break;
        };
        let body = &source[body_start..body_start + body_len];
        i = body_start + body_len + 2;
        if kind == Some(b'%') {
            let words = body.trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
            if words == "raw" {
                in_raw = true;
            } else if words == "endraw" {
                in_raw = false;
            }
        }
        if kind != Some(b'#') && !in_raw {
            blocks.push((body_start, body));
        }
    }
    blocks
}

/// Where `close` ends the block that starts at `text`, skipping string literals.
fn end_of_block(text: &str, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') if close != "#}" => i = skip_string(bytes, i, quote),
            _ if text[i..].starts_with(close) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The index just past the string literal that opens at `start`.
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn find_calls_in(source: &str, offset: usize, code: &str, calls: &mut Vec<UrlForCall>) {
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i = skip_string(bytes, i, quote);
                continue;
            }
            _ if code[i..].starts_with("url_for") => {
                let before = i.checked_sub(1).map(|j| bytes[j]);
                let standalone = !before.is_some_and(|b| is_ident_byte(b) || b == b'.');
                let rest = &code[i + "url_for".len()..];
                let after_name = rest.trim_start();
                if standalone && after_name.starts_with('(') {
                    let args_start = code.len() - after_name.len() + 1;
                    let line = 1 + source[..offset + i].matches('\n').count();
                    calls.push(parse_call(&code[args_start..], line));
                }
                i += "url_for".len();
                continue;
            }
            _ => i += 1,
        }
    }
}

/// The call's arguments, from just after its `(`.
fn parse_call(args: &str, line: usize) -> UrlForCall {
    let mut call = UrlForCall {
        name: None,
        keywords: Vec::new(),
        line,
    };
    for (index, arg) in top_level_args(args).into_iter().enumerate() {
        let arg = arg.trim();
        if index == 0 {
            call.name = string_literal(arg);
        } else if let Some(keyword) = keyword_of(arg) {
            call.keywords.push(keyword.to_owned());
        }
    }
    call
}

/// The arguments up to the call's closing `)`, split at the commas of this level.
fn top_level_args(args: &str) -> Vec<&str> {
    let bytes = args.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i = skip_string(bytes, i, quote);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => {
                parts.push(&args[start..i]);
                return parts.into_iter().filter(|p| !p.trim().is_empty()).collect();
            }
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&args[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `"name"` or `'name'` as its text, if `arg` is exactly one plain string literal.
fn string_literal(arg: &str) -> Option<String> {
    let quote = arg.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = arg.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote) && !inner.contains('\\')).then(|| inner.to_owned())
}

/// `name` in `name = value` (and not `name == value`).
fn keyword_of(arg: &str) -> Option<&str> {
    let end = arg.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let (name, rest) = arg.split_at(end);
    let rest = rest.trim_start();
    let is_keyword = !name.is_empty()
        && rest.starts_with('=')
        && !rest.starts_with("==")
        && !name.as_bytes()[0].is_ascii_digit();
    is_keyword.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: Option<&str>, keywords: &[&str], line: usize) -> UrlForCall {
        UrlForCall {
            name: name.map(str::to_owned),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            line,
        }
    }

    #[test]
    fn finds_calls_in_expressions_and_statements_with_their_lines() {
        let source = "<a href=\"{{ url_for('index') }}\">home</a>\n\
                      {% for t in tasks %}\n\
                      <a href=\"{{ url_for(\"tasks::show\", id=t.id, tab='notes') }}\">\n\
                      {% endfor %}\n\
                      {% set back = url_for('tasks::list', page=(page + 1), q=q | default('')) %}";
        assert_eq!(
            url_for_calls(source),
            vec![
                call(Some("index"), &[], 1),
                call(Some("tasks::show"), &["id", "tab"], 3),
                call(Some("tasks::list"), &["page", "q"], 5),
            ]
        );
    }

    #[test]
    fn text_comments_strings_and_raw_blocks_hold_no_calls() {
        let source = "url_for('in_text')\n\
                      {# {{ url_for('commented') }} #}\n\
                      {{ \"url_for('in_a_string')\" }}\n\
                      {% raw %}{{ url_for('raw') }}{% endraw %}\n\
                      {{ my_url_for('other') }} {{ x.url_for('method') }}\n\
                      {{ url_for(name_in_a_variable, id=1) }}";
        assert_eq!(url_for_calls(source), vec![call(None, &["id"], 6)]);
    }

    #[test]
    fn comparisons_and_positional_values_are_not_keywords() {
        let source = "{{ url_for('a', x == 1, 'b', y=2) }}";
        assert_eq!(url_for_calls(source), vec![call(Some("a"), &["y"], 1)]);
    }

    #[test]
    fn unterminated_blocks_end_the_scan_without_a_panic() {
        for source in [
            "{{ url_for('a'",
            "{{ url_for(",
            "{% url_for('x') ",
            "{{ '",
            "{",
        ] {
            let _ = url_for_calls(source);
        }
        assert_eq!(
            url_for_calls("{{ url_for('a', b=(1, 2) }}"),
            vec![call(Some("a"), &["b"], 1)]
        );
    }
}
