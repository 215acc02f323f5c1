//! The segment tree behind [`Router`](super::Router) and the backtracking search over it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use http::Method;

use super::pattern::{Converter, Segment};
use super::Route;

/// The dynamic children a node can have besides `<path:..>`, in precedence order.
const DYNAMIC: [Converter; 3] = [Converter::Int, Converter::Float, Converter::Str];

fn dynamic_index(converter: Converter) -> Option<usize> {
    DYNAMIC.iter().position(|c| *c == converter)
}

/// FNV-1a: a request's path segment is hashed once per level on every request, and
/// SipHash cost that lookup about 160 instructions. Its resistance to flooding is not
/// needed here: the keys are the app's own route segments; a client's segment is only
/// looked up, never inserted, so it cannot crowd a bucket.
#[derive(Default)]
pub(super) struct SegmentHasher(u64);

impl Hasher for SegmentHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type Statics = HashMap<Box<str>, Node, BuildHasherDefault<SegmentHasher>>;

/// One level of the tree: a node at depth `d` stands for every pattern prefix of `d`
/// segments with the same shape, so parameter names never split branches.
#[derive(Default)]
pub(super) struct Node {
    statics: Statics,
    dynamic: [Option<Box<Node>>; 3],
    /// Routes whose pattern ends at this node.
    routes: Vec<usize>,
    /// Routes whose pattern ends with `<path:..>` right below this node.
    rest: Vec<usize>,
}

impl Node {
    /// The routes registered for exactly this sequence of segments (names ignored).
    pub(super) fn slot(&self, segments: &[Segment]) -> &[usize] {
        let Some((first, tail)) = segments.split_first() else {
            return &self.routes;
        };
        let child = match first {
            Segment::Static(text) => self.statics.get(text.as_str()),
            Segment::Param { converter, .. } => match dynamic_index(*converter) {
                Some(i) => self.dynamic[i].as_deref(),
                None => return &self.rest,
            },
        };
        child.map_or(&[], |node| node.slot(tail))
    }

    /// Like [`Node::slot`], creating the branch. `<path:..>` ends the walk because the
    /// parser only allows it as the last segment.
    pub(super) fn slot_mut(&mut self, segments: &[Segment]) -> &mut Vec<usize> {
        let Some((first, tail)) = segments.split_first() else {
            return &mut self.routes;
        };
        match first {
            Segment::Static(text) => self
                .statics
                .entry(text.as_str().into())
                .or_default()
                .slot_mut(tail),
            Segment::Param { converter, .. } => match dynamic_index(*converter) {
                Some(i) => self.dynamic[i]
                    .get_or_insert_with(Box::default)
                    .slot_mut(tail),
                None => &mut self.rest,
            },
        }
    }
}

/// What the search is looking for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Goal {
    /// A route for the request method (HEAD falling back to GET).
    Method,
    /// Any accepted route for the path with one more, empty, segment: the trailing-slash probe.
    TrailingSlash,
}

/// A depth-first walk in precedence order. The tree has one node per distinct pattern
/// prefix, so a walk visits each node at most once and never deeper than the path.
pub(super) struct Search<'r, 'p, 'm, T, F> {
    pub(super) routes: &'r [Route<T>],
    pub(super) method: &'m Method,
    pub(super) accept: F,
    pub(super) goal: Goal,
    /// The values captured along the current branch; allocates only once a param matches.
    pub(super) captures: Vec<&'p str>,
    /// Methods of routes that matched and were accepted, but not for the request method.
    pub(super) allowed: Vec<Method>,
    pub(super) path_matched: bool,
}

impl<'r, 'p, T, F> Search<'r, 'p, '_, T, F>
where
    F: FnMut(&T, &[&'p str]) -> bool,
{
    /// Walks `rest` (the path after its leading `/`) and returns the chosen route's index;
    /// on success [`Search::captures`] holds its values.
    pub(super) fn run(&mut self, root: &'r Node, rest: &'p str, goal: Goal) -> Option<usize> {
        self.goal = goal;
        self.captures.clear();
        self.walk(root, rest)
    }

    /// `rest` starts at the segment to match against the children of `node`.
    fn walk(&mut self, node: &'r Node, rest: &'p str) -> Option<usize> {
        let (segment, tail) = match rest.split_once('/') {
            Some((segment, tail)) => (segment, Some(tail)),
            None => (rest, None),
        };
        if let Some(child) = node.statics.get(segment) {
            if let Some(found) = self.descend(child, tail) {
                return Some(found);
            }
        }
        for (converter, child) in DYNAMIC.iter().zip(&node.dynamic) {
            let Some(child) = child.as_deref() else {
                continue;
            };
            if converter.matches(segment) {
                if let Some(found) = self.capture(segment, |s| s.descend(child, tail)) {
                    return Some(found);
                }
            }
        }
        self.try_rest(node, rest)
    }

    /// `<path:..>` is skipped by the trailing-slash probe: if `rest` is non-empty the
    /// request itself already reached the same route.
    fn try_rest(&mut self, node: &'r Node, rest: &'p str) -> Option<usize> {
        if node.rest.is_empty() || rest.is_empty() || self.goal == Goal::TrailingSlash {
            return None;
        }
        self.capture(rest, |s| s.endpoints(&node.rest))
    }

    fn capture(
        &mut self,
        value: &'p str,
        then: impl FnOnce(&mut Self) -> Option<usize>,
    ) -> Option<usize> {
        self.captures.push(value);
        let found = then(self);
        if found.is_none() {
            self.captures.pop();
        }
        found
    }

    fn descend(&mut self, child: &'r Node, tail: Option<&'p str>) -> Option<usize> {
        match (tail, self.goal) {
            (Some(tail), _) => self.walk(child, tail),
            (None, Goal::Method) => self.endpoints(&child.routes),
            (None, Goal::TrailingSlash) => {
                let slash = child.statics.get("")?;
                self.endpoints(&slash.routes)
            }
        }
    }

    /// Picks among the routes of one matched node: an exact method beats HEAD-via-GET, and
    /// accepted routes with other methods are remembered for a 405.
    fn endpoints(&mut self, ids: &[usize]) -> Option<usize> {
        let routes = self.routes;
        let mut via_get = None;
        for &id in ids {
            let route = &routes[id];
            if !(self.accept)(&route.value, &self.captures) {
                continue;
            }
            if self.goal == Goal::TrailingSlash || route.methods.contains(self.method) {
                return Some(id);
            }
            if *self.method == Method::HEAD && route.methods.contains(&Method::GET) {
                via_get.get_or_insert(id);
            }
            self.path_matched = true;
            self.allowed.extend(route.methods.iter().cloned());
        }
        via_get
    }
}
