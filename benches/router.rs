//! Shows that route lookup cost does not grow with the number of routes: the same few
//! paths are looked up in routers of 10 to 10,000 routes, as `lookup/{n}`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use httpserver::__private::router::{Lookup, Router};
use httpserver::Method;

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// Paths present in every router size (routes 0, 1 and 2 always exist), plus misses.
const PATHS: [(&str, bool); 5] = [
    ("/s0/items", true),
    ("/api/v1/r1/42", true),
    ("/r2/alice/edit", true),
    ("/api/v1/r1/not-a-number", false),
    ("/nowhere/at/all", false),
];

fn build(n: usize) -> Router<usize> {
    let mut router = Router::new();
    for i in 0..n {
        let pattern = match i % 3 {
            0 => format!("/s{i}/items"),
            1 => format!("/api/v1/r{i}/<int:id>"),
            _ => format!("/r{i}/<name>/edit"),
        };
        if let Err(e) = router.insert(&pattern, &[Method::GET], i) {
            panic!("{pattern}: {e}");
        }
    }
    router
}

fn lookup_all(router: &Router<usize>) -> usize {
    let mut hits = 0;
    for (path, _) in PATHS {
        let found = router.lookup(&Method::GET, black_box(path), |_, _| true);
        if let Lookup::Found { value, params, .. } = found {
            hits += value + params.len();
        }
    }
    hits
}

fn bench_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    for n in SIZES {
        let router = build(n);
        for (path, hit) in PATHS {
            let found = router.lookup(&Method::GET, path, |_, _| true);
            assert_eq!(matches!(found, Lookup::Found { .. }), hit, "{path} in {n}");
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &router, |b, router| {
            b.iter(|| lookup_all(router))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_lookup);
criterion_main!(benches);
