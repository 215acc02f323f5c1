#!/usr/bin/env bash
# Instructions and allocations per request, by callgrind: stable where req/s is not.
#
#   bash benches/compare/callgrind.sh        (N=5000 requests per route; FRAMEWORKS)
#
# For each framework's release bench binary and each route: the server under valgrind,
# cg_client.py's one keep-alive connection (500 warm-up requests, counters zeroed, N
# requests, counters dumped); the process's instructions (all threads) and its malloc
# calls, divided by N. Prints one TSV line per measurement: framework route instr mallocs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${N:-5000}"
FRAMEWORKS="${FRAMEWORKS:-httpserver axum actix hyper}"
PORT="${PORT:-3998}"
export CARGO_TARGET_DIR="$here/target"
source "$here/lib.sh"
build_each_bin "$here" $FRAMEWORKS
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for fw in $FRAMEWORKS; do
    for path in /hello /users/42 /echo; do
        rm -f "$out"/cg.*
        valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
            "$CARGO_TARGET_DIR/release/$fw" "$PORT" >/dev/null 2>&1 &
        vpid=$!
        for _ in $(seq 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
            sleep 0.1
        done
        python3 "$here/cg_client.py" "$PORT" "$N" "$path" "$vpid"
        sleep 0.5
        kill -INT "$vpid" 2>/dev/null || true
        sleep 1
        kill "$vpid" 2>/dev/null || true
        wait "$vpid" 2>/dev/null || true
        dump="$(ls -t "$out"/cg.*.* 2>/dev/null | head -1)"
        instr="$(awk '/^summary:/ {print $2}' "$dump")"
        mallocs="$(python3 "$here/cg_mallocs.py" "$dump")"
        printf "%s\t%s\t%s\t%s\n" "$fw" "$path" "$((instr / N))" "$(awk -v m="$mallocs" -v n="$N" "BEGIN {printf \"%.1f\", m / n}")"
    done
done
