//! Checks that `collect_routes!` and `url_for!` run at compile time, in `const`s: duplicate
//! routes and missing parameters, with messages built without allocation.

// ---------------------------------------------------------------------------------------
// Compile-time messages: `collect_routes!` and `url_for!` check their input in a `const`,
// and a `const` can only panic with a `&str`, so the message is built in a fixed buffer.
// ---------------------------------------------------------------------------------------

/// A message built at compile time (longer ones are cut at a character boundary).
pub struct ConstMessage {
    buf: [u8; 1024],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage {
            buf: [0; 1024],
            len: 0,
        }
    }

    const fn push(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        // Cut inside a character (the next byte continues it): drop its first bytes too.
        if i < bytes.len() && bytes[i] & 0xC0 == 0x80 {
            while i > 0 {
                i -= 1;
                self.len -= 1;
                if bytes[i] & 0xC0 != 0x80 {
                    break;
                }
            }
        }
        self
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        let (text, _) = self.buf.split_at(self.len);
        match std::str::from_utf8(text) {
            Ok(text) => text,
            Err(_) => "(message not valid UTF-8)",
        }
    }

    /// "`a` and `b` are the same route: both answer GET on `/u/<int:id>` and `/u/<int:uid>`.."
    pub const fn duplicate_route(
        a_name: &str,
        a_methods: &[&str],
        a_pattern: &str,
        b_name: &str,
        b_methods: &[&str],
        b_pattern: &str,
    ) -> Self {
        let mut m = ConstMessage::new()
            .push("`")
            .push(a_name)
            .push("` and `")
            .push(b_name)
            .push("` are the same route: both answer ")
            .push(shared_method(a_methods, b_methods))
            .push(" on `")
            .push(a_pattern);
        m = if bytes_eq(a_pattern.as_bytes(), b_pattern.as_bytes()) {
            m.push("`")
        } else {
            m.push("` and `")
                .push(b_pattern)
                .push("`, which differ only in parameter names")
        };
        m.push("; remove one, or change its path or methods")
    }

    /// The message for a `url_for!` that lacks some of the route's path parameters, or
    /// `None` if it lacks none, or if it names one the route does not have (rustc reports
    /// that one, at the name, and a missing parameter is often the same typo).
    pub const fn url_for_missing(handler: &str, pattern: &str, given: &[&str]) -> Option<Self> {
        let p = pattern.as_bytes();
        // Every given name must be a parameter.
        let mut g = 0;
        while g < given.len() {
            if !has_param(p, given[g].as_bytes()) {
                return None;
            }
            g += 1;
        }
        let missing = count_missing(p, given);
        if missing == 0 {
            return None;
        }
        let mut m = ConstMessage::new()
            .push("url_for!(")
            .push(handler)
            .push(", ..) lacks the path ")
            .push(if missing == 1 {
                "parameter "
            } else {
                "parameters "
            });
        m = push_missing(m, p, given, "`", "`");
        m = m.push(" of `").push(pattern).push("`; add ");
        m = push_missing(m, p, given, "`", " = ..`");
        Some(m)
    }
}

/// The first method two lists share (`same_route` found one).
const fn shared_method<'a>(a: &[&'a str], b: &[&str]) -> &'a str {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if bytes_eq(a[i].as_bytes(), b[j].as_bytes()) {
                return a[i];
            }
            j += 1;
        }
        i += 1;
    }
    "the same method"
}

/// The first parameter of pattern `p` at or after byte `from`: the byte range of its name,
/// and where to look for the next one.
const fn next_param(p: &[u8], from: usize) -> Option<(usize, usize, usize)> {
    let mut i = from;
    while i < p.len() {
        if p[i] == b'<' {
            let mut start = i + 1;
            let mut end = start;
            while end < p.len() && p[end] != b'>' {
                if p[end] == b':' {
                    start = end + 1;
                }
                end += 1;
            }
            return Some((start, end, end + 1));
        }
        i += 1;
    }
    None
}

const fn has_param(p: &[u8], name: &[u8]) -> bool {
    let mut at = 0;
    while let Some((start, end, next)) = next_param(p, at) {
        if bytes_eq(subslice(p, start, end), name) {
            return true;
        }
        at = next;
    }
    false
}

const fn is_given(name: &[u8], given: &[&str]) -> bool {
    let mut g = 0;
    while g < given.len() {
        if bytes_eq(given[g].as_bytes(), name) {
            return true;
        }
        g += 1;
    }
    false
}

const fn count_missing(p: &[u8], given: &[&str]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some((start, end, next)) = next_param(p, at) {
        if !is_given(subslice(p, start, end), given) {
            count += 1;
        }
        at = next;
    }
    count
}

/// Appends the missing names, each as `before` name `after`, separated by ", ".
const fn push_missing(
    mut m: ConstMessage,
    p: &[u8],
    given: &[&str],
    before: &str,
    after: &str,
) -> ConstMessage {
    let mut first = true;
    let mut at = 0;
    while let Some((start, end, next)) = next_param(p, at) {
        let name = subslice(p, start, end);
        if !is_given(name, given) {
            if !first {
                m = m.push(", ");
            }
            first = false;
            let name = match std::str::from_utf8(name) {
                Ok(name) => name,
                Err(_) => "?",
            };
            m = m.push(before).push(name).push(after);
        }
        at = next;
    }
    m
}

// ---------------------------------------------------------------------------------------
// Duplicate routes in one `collect_routes!`: one table, one check. The attribute hashed each
// pattern's shape when it expanded (`RouteInfo::SHAPE_HASH`); here the handlers are sorted
// by that hash, and only neighbours with equal hashes are compared in full, so the work
// grows as n log n and the generated code as n.
// ---------------------------------------------------------------------------------------

/// What `collect_routes!` knows of one handler.
#[derive(Clone, Copy)]
pub struct RouteKey {
    pub name: &'static str,
    pub pattern: &'static str,
    pub methods: &'static [&'static str],
    pub shape_hash: u64,
}

/// The first duplicate in a table of routes: the index of its second handler (the one the
/// error points at), or `usize::MAX` if there is none, and the message naming both.
pub struct Duplicate {
    pub second: usize,
    pub message: ConstMessage,
}

impl Duplicate {
    /// Finds, among the pairs of routes that answer the same requests, the one whose second
    /// handler comes first in the table.
    pub const fn find<const N: usize>(routes: &[RouteKey; N]) -> Duplicate {
        let mut order = [0usize; N];
        let mut i = 0;
        while i < N {
            order[i] = i;
            i += 1;
        }
        heap_sort_by_hash(&mut order, routes);

        let mut best: Option<(usize, usize)> = None;
        let mut start = 0;
        while start < N {
            let hash = routes[order[start]].shape_hash;
            let mut end = start + 1;
            while end < N && routes[order[end]].shape_hash == hash {
                end += 1;
            }
            // Routes of one shape (usually a handful: GET, POST, .. of one path).
            let mut a = start;
            while a < end {
                let mut b = a + 1;
                while b < end {
                    let (x, y) = (order[a], order[b]);
                    let (first, second) = if x < y { (x, y) } else { (y, x) };
                    let earlier = match best {
                        Some((_, s)) => second < s,
                        None => true,
                    };
                    if earlier && same(&routes[first], &routes[second]) {
                        best = Some((first, second));
                    }
                    b += 1;
                }
                a += 1;
            }
            start = end;
        }
        match best {
            Some((first, second)) => {
                let (a, b) = (&routes[first], &routes[second]);
                Duplicate {
                    second,
                    message: ConstMessage::duplicate_route(
                        a.name, a.methods, a.pattern, b.name, b.methods, b.pattern,
                    ),
                }
            }
            None => Duplicate {
                second: usize::MAX,
                message: ConstMessage::new(),
            },
        }
    }
}

const fn same(a: &RouteKey, b: &RouteKey) -> bool {
    same_route(a.methods, a.pattern, b.methods, b.pattern)
}

/// Sorts indices into `routes` by shape hash (heapsort: in place, no recursion, n log n).
const fn heap_sort_by_hash<const N: usize>(order: &mut [usize; N], routes: &[RouteKey; N]) {
    let mut start = N / 2;
    while start > 0 {
        start -= 1;
        sift_down(order, routes, start, N);
    }
    let mut end = N;
    while end > 1 {
        end -= 1;
        let top = order[0];
        order[0] = order[end];
        order[end] = top;
        sift_down(order, routes, 0, end);
    }
}

const fn sift_down<const N: usize>(
    order: &mut [usize; N],
    routes: &[RouteKey; N],
    mut root: usize,
    end: usize,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && routes[order[child + 1]].shape_hash > routes[order[child]].shape_hash
        {
            child += 1;
        }
        if routes[order[child]].shape_hash <= routes[order[root]].shape_hash {
            return;
        }
        let parent = order[root];
        order[root] = order[child];
        order[child] = parent;
        root = child;
    }
}

/// Whether two routes answer the same requests: a method in common and the same pattern
/// once parameter names are ignored (`/u/<int:id>` and `/u/<int:uid>` are the same).
/// A `const fn`, so `collect_routes!` can reject duplicates at compile time.
pub const fn same_route(
    a_methods: &[&str],
    a_pattern: &str,
    b_methods: &[&str],
    b_pattern: &str,
) -> bool {
    shares_method(a_methods, b_methods) && same_shape(a_pattern.as_bytes(), b_pattern.as_bytes())
}

const fn shares_method(a: &[&str], b: &[&str]) -> bool {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if bytes_eq(a[i].as_bytes(), b[j].as_bytes()) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Compares two (already validated) patterns, each `<..>` reduced to its converter.
const fn same_shape(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b'<' && b[j] == b'<' {
            let (ca, next_i) = converter_of(a, i);
            let (cb, next_j) = converter_of(b, j);
            if ca != cb {
                return false;
            }
            i = next_i;
            j = next_j;
        } else if a[i] != b[j] {
            return false;
        } else {
            i += 1;
            j += 1;
        }
    }
    i == a.len() && j == b.len()
}

/// The converter of the parameter starting at `start` (0 string, 1 int, 2 float,
/// 3 path) and the index just past its `>`.
const fn converter_of(p: &[u8], start: usize) -> (u8, usize) {
    let mut end = start;
    let mut colon = 0;
    while end < p.len() && p[end] != b'>' {
        if p[end] == b':' && colon == 0 {
            colon = end;
        }
        end += 1;
    }
    let kind = if colon == 0 {
        0
    } else {
        let name = subslice(p, start + 1, colon);
        if bytes_eq(name, b"int") {
            1
        } else if bytes_eq(name, b"float") {
            2
        } else if bytes_eq(name, b"path") {
            3
        } else {
            0
        }
    };
    (kind, end + 1)
}

const fn subslice(p: &[u8], from: usize, to: usize) -> &[u8] {
    let (_, tail) = p.split_at(from);
    let (mid, _) = tail.split_at(to - from);
    mid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_messages() {
        let m = ConstMessage::duplicate_route(
            "a",
            &["GET", "POST"],
            "/u/<int:id>",
            "m::b",
            &["POST"],
            "/u/<int:uid>",
        );
        assert_eq!(
            m.as_str(),
            "`a` and `m::b` are the same route: both answer POST on `/u/<int:id>` and \
             `/u/<int:uid>`, which differ only in parameter names; remove one, or change its \
             path or methods"
        );
        let m = ConstMessage::duplicate_route("a", &["GET"], "/x", "b", &["GET"], "/x");
        assert_eq!(
            m.as_str(),
            "`a` and `b` are the same route: both answer GET on `/x`; remove one, or change \
             its path or methods"
        );

        let missing = |given: &[&str]| {
            ConstMessage::url_for_missing("h", "/u/<int:id>/<slug>/<path:rest>", given)
                .map(|m| m.as_str().to_owned())
        };
        assert_eq!(missing(&["id", "slug", "rest"]), None);
        assert_eq!(
            missing(&["id", "slug", "nope"]),
            None,
            "rustc reports `nope`"
        );
        assert_eq!(
            missing(&["slug", "id"]).as_deref(),
            Some(
                "url_for!(h, ..) lacks the path parameter `rest` of \
                 `/u/<int:id>/<slug>/<path:rest>`; add `rest = ..`"
            )
        );
        assert_eq!(
            missing(&["slug"]).as_deref(),
            Some(
                "url_for!(h, ..) lacks the path parameters `id`, `rest` of \
                 `/u/<int:id>/<slug>/<path:rest>`; add `id = ..`, `rest = ..`"
            )
        );
        assert_eq!(
            ConstMessage::url_for_missing("h", "/", &[]).map(|_| ()),
            None
        );

        // Long messages are cut, and never inside a character.
        let long = "\u{e9}".repeat(600);
        let m = ConstMessage::new().push("x").push(&long);
        assert!(m.as_str().len() <= 1024 && m.as_str().len() > 1000);
        assert!(m.as_str().ends_with('\u{e9}'));
    }

    fn key(
        name: &'static str,
        methods: &'static [&'static str],
        pattern: &'static str,
    ) -> RouteKey {
        let shape_hash = crate::router::parse(pattern).unwrap().shape_hash();
        RouteKey {
            name,
            pattern,
            methods,
            shape_hash,
        }
    }

    #[test]
    fn duplicate_search_over_a_table() {
        const NONE: Duplicate = Duplicate::find(&[]);
        assert_eq!(NONE.second, usize::MAX);

        // Same path, other methods; same methods, other converters: no duplicate.
        let distinct = [
            key("a", &["GET"], "/x"),
            key("b", &["POST", "PUT"], "/x"),
            key("c", &["GET"], "/x/<int:id>"),
            key("d", &["GET"], "/x/<id>"),
            key("e", &["DELETE"], "/x"),
        ];
        assert_eq!(Duplicate::find(&distinct).second, usize::MAX);

        // Far apart in a large table, and the pair whose second handler comes first wins.
        let mut table: Vec<RouteKey> = (0..500)
            .map(|i| {
                let pattern: &'static str =
                    Box::leak(format!("/r{i}/items/<int:id>").into_boxed_str());
                key("h", &["GET"], pattern)
            })
            .collect();
        table[400] = key("late", &["GET", "PUT"], "/r3/items/<int:other>");
        table[300] = key("early", &["PUT"], "/r499/items/<int:x>");
        table[499] = key("last", &["PUT"], "/r499/items/<int:y>");
        let table: [RouteKey; 500] = table.try_into().ok().unwrap();
        let found = Duplicate::find(&table);
        assert_eq!(found.second, 400);
        assert_eq!(
            found.message.as_str(),
            "`h` and `late` are the same route: both answer GET on `/r3/items/<int:id>` and \
             `/r3/items/<int:other>`, which differ only in parameter names; remove one, or \
             change its path or methods"
        );
    }

    /// The macros hash shapes with the grammar crate; `same_route` compares them here. Two
    /// patterns `same_route` calls equal must hash alike, or a duplicate would go unseen.
    #[test]
    fn same_shape_means_same_hash() {
        let patterns: Vec<&str> = crate::router::pattern::cases::CASES
            .iter()
            .filter(|(_, expected)| expected.is_ok())
            .map(|(text, _)| *text)
            .chain(["/u/<a>", "/u/<string:b>", "/u/<int:a>", "/u/<int:b>", "/"])
            .collect();
        for a in &patterns {
            for b in &patterns {
                let (ha, hb) = (
                    crate::router::parse(a).unwrap().shape_hash(),
                    crate::router::parse(b).unwrap().shape_hash(),
                );
                if same_route(&["GET"], a, &["GET"], b) {
                    assert_eq!(ha, hb, "{a} and {b}");
                } else {
                    assert_ne!(ha, hb, "{a} and {b}");
                }
            }
        }
    }

    #[test]
    fn same_route_ignores_names_but_not_converters_or_methods() {
        assert!(same_route(
            &["GET"],
            "/u/<int:id>",
            &["GET"],
            "/u/<int:uid>"
        ));
        assert!(same_route(&["GET"], "/u/<a>", &["GET"], "/u/<string:b>"));
        assert!(same_route(&["GET", "POST"], "/x", &["POST"], "/x"));
        assert!(!same_route(&["GET"], "/u/<int:id>", &["GET"], "/u/<id>"));
        assert!(!same_route(&["GET"], "/x", &["POST"], "/x"));
        assert!(!same_route(&["GET"], "/x", &["GET"], "/x/"));
        assert!(!same_route(&["GET"], "/a/<p>", &["GET"], "/a/<p>/b"));
    }
}
