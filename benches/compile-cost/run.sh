#!/usr/bin/env bash
# Compile cost of an N-route app: httpserver vs axum vs actix-web, side by side.
#
#   bash benches/compile-cost/run.sh
#
# Generates the same app for each framework (gen.py: half the routes with an integer path
# parameter, half static, all in one route list), prebuilds the dependencies, then for each
# round, each N and each framework in turn rebuilds the app crate alone (debug,
# CARGO_INCREMENTAL=0) and records wall seconds and peak RSS (GNU time: the largest process
# of the build, i.e. rustc). Prints the medians and the ratios against axum and actix-web.
# `httpserver-openapi` is the httpserver app with the "openapi" feature on (what the
# route descriptions cost); add it to FRAMEWORKS to measure it.
# Knobs (environment): SIZES ("100 500 2000"), ROUNDS (3), FRAMEWORKS, LTO_SIZE (empty: skip;
# else also a release build with fat LTO of that many routes, per framework), RESULTS
# (print the table of an earlier run's results.tsv and stop).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
SIZES="${SIZES:-100 500 2000}"
ROUNDS="${ROUNDS:-3}"
FRAMEWORKS="${FRAMEWORKS:-httpserver axum actix}"
LTO_SIZE="${LTO_SIZE:-}"

for tool in python3 /usr/bin/time awk; do
    command -v "$tool" >/dev/null || { echo "run.sh: '$tool' not found" >&2; exit 1; }
done

print_table() { # results.tsv
echo
echo "compile cost of the app crate alone, $(date -u '+%Y-%m-%d %H:%M UTC'), $(rustc --version | cut -d' ' -f1-2)," \
     "median of $ROUNDS round(s), dependencies prebuilt, CARGO_INCREMENTAL=0, $(nproc) cores"
echo
awk -F'\t' -v fws="$FRAMEWORKS" '
    function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR > 1 {
        k = $2 SUBSEP $3 SUBSEP $4
        if (!(($2 SUBSEP $3) in seen)) { seen[$2 SUBSEP $3] = 1; order[++rows] = $2 SUBSEP $3 }
        s[k] = s[k] " " $5; m[k] = m[k] " " $6
    }
    function cell(p, n, f, what) { return what == "s" ? median(s[p SUBSEP n SUBSEP f]) : median(m[p SUBSEP n SUBSEP f]) }
    function ratio(p, n, other, what,   h, o) {
        if (!((p SUBSEP n SUBSEP other) in s) || !((p SUBSEP n SUBSEP "httpserver") in s)) return "-"
        h = cell(p, n, "httpserver", what); o = cell(p, n, other, what)
        return o > 0 ? sprintf("%.2f", h / o) : "-"
    }
    END {
        nf = split(fws, fw, " ")
        printf "| build | routes |"
        for (f = 1; f <= nf; f++) printf " %s |", fw[f]
        printf " time httpserver/axum | time httpserver/actix | RSS httpserver/axum | RSS httpserver/actix |\n|---|---:|"
        for (f = 1; f <= nf; f++) printf "---|"
        printf "---:|---:|---:|---:|\n"
        for (r = 1; r <= rows; r++) {
            split(order[r], pn, SUBSEP)
            printf "| %s | %s |", (pn[1] == "debug" ? "debug" : "release, fat LTO"), pn[2]
            for (f = 1; f <= nf; f++) {
                k = pn[1] SUBSEP pn[2] SUBSEP fw[f]
                if (k in s) printf " %.1f s, %d MiB |", cell(pn[1], pn[2], fw[f], "s"), cell(pn[1], pn[2], fw[f], "m")
                else printf " - |"
            }
            printf " **%s** | %s | **%s** | %s |\n", ratio(pn[1], pn[2], "axum", "s"), ratio(pn[1], pn[2], "actix", "s"), \
                ratio(pn[1], pn[2], "axum", "m"), ratio(pn[1], pn[2], "actix", "m")
        }
    }
' "$1"
echo
echo "ratios below 1: httpserver builds faster / in less memory. raw: ${1#"$root/"}"
}

# RESULTS=path/to/results.tsv: print the table of an earlier run, build nothing.
if [ -n "${RESULTS:-}" ]; then
    print_table "$RESULTS"
    exit 0
fi

# A generated workspace of its own (git-ignored), one crate per framework.
work="$here/target/gen"
mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target"
export CARGO_INCREMENTAL=0
cat >"$work/Cargo.toml" <<TOML
[workspace]
members = ["httpserver", "httpserver-openapi", "axum", "actix"]
resolver = "2"

# The LTO figure: what a user who asks for the smallest, fastest binary pays.
[profile.release]
lto = "fat"
TOML
declare -A DEPS=(
    [httpserver]="httpserver = { path = \"$root/httpserver\" }"
    [httpserver-openapi]="httpserver = { path = \"$root/httpserver\", features = [\"openapi\"] }"
    [axum]='axum = "0.8"
tokio = { version = "1", features = ["rt-multi-thread", "net", "macros"] }'
    [actix]='actix-web = { version = "4", default-features = false, features = ["macros"] }'
)
for fw in httpserver httpserver-openapi axum actix; do
    mkdir -p "$work/$fw/src"
    cat >"$work/$fw/Cargo.toml" <<TOML
[package]
name = "app-$fw"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
serde_json = "1"
${DEPS[$fw]}
TOML
done

generate() { # framework n (httpserver-openapi: the httpserver app, with the feature on)
    python3 "$here/gen.py" "${1%-openapi}" "$2" >"$work/$1/src/main.rs.new"
    mv "$work/$1/src/main.rs.new" "$work/$1/src/main.rs"
    touch "$work/$1/src/main.rs"
}

# Dependencies first, so that each measurement is the app crate alone. (Every member of the
# workspace needs a main.rs, measured or not.)
echo "prebuilding dependencies ..." >&2
for fw in httpserver httpserver-openapi axum actix; do generate "$fw" 2; done
for fw in $FRAMEWORKS; do
    (cd "$work" && cargo build --quiet -p "app-$fw")
    [ -z "$LTO_SIZE" ] || (cd "$work" && cargo build --quiet --release -p "app-$fw")
done

# One unmeasured build of each app at the first size: the first build after the
# dependencies is slower (cold caches), and would count against whoever comes first.
first_size="${SIZES%% *}"
for fw in $FRAMEWORKS; do
    generate "$fw" "$first_size"
    (cd "$work" && cargo build --quiet -p "app-$fw")
done

raw="$here/target/results.tsv"
printf 'round\tprofile\tn\tframework\tseconds\tpeak_mib\n' >"$raw"

measure() { # round profile n framework
    local profile_flag="" out
    [ "$2" = release ] && profile_flag="--release"
    generate "$4" "$3"
    out="$(cd "$work" && /usr/bin/time -f '%e %M' cargo build --quiet $profile_flag -p "app-$4" 2>&1)" \
        || { echo "$out" | tail -n 30 >&2; echo "run.sh: build of $4 with $3 routes failed" >&2; exit 1; }
    read -r secs kib <<<"$(tail -n 1 <<<"$out")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$secs" "$((kib / 1024))" >>"$raw"
    printf '  round %s  %-7s %5s routes  %-10s %8.1f s  %6d MiB\n' "$1" "$2" "$3" "$4" "$secs" "$((kib / 1024))" >&2
}

for round in $(seq "$ROUNDS"); do
    for n in $SIZES; do
        for fw in $FRAMEWORKS; do measure "$round" debug "$n" "$fw"; done
    done
done
if [ -n "$LTO_SIZE" ]; then
    for fw in $FRAMEWORKS; do measure 1 release "$LTO_SIZE" "$fw"; done
fi

print_table "$raw"
