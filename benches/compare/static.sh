#!/usr/bin/env bash
# Static files: httpserver's `App::static_files` against tower-http's `ServeDir` under
# axum, on a 1 KiB and a 1 MiB file.
#
#   bash benches/compare/static.sh                  # both parts
#   PART=rps bash benches/compare/static.sh         # requests/s (wrk) only
#   PART=callgrind bash benches/compare/static.sh   # instructions per request only
#
# rps: for each round, each file and each framework in turn (A B A B ...): the server
# pinned to SERVER_CPU, `wrk -t1 -c CONNS` pinned to CLIENT_CPU, WARMUP then DURATION.
# Prints: rps <file> <framework> <round> <req/s>.
# callgrind: the server under valgrind, cg_client.py's keep-alive connection (500
# warm-up requests, counters zeroed, N requests, counters dumped).
# Prints: callgrind <file> <framework> <instructions per request>.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PART="${PART:-rps callgrind}"
FRAMEWORKS="${FRAMEWORKS:-httpserver axum}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
CONNS="${CONNS:-64}"
N="${N:-2000}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
PORT="${PORT:-3995}"

export CARGO_TARGET_DIR="$here/target"
source "$here/lib.sh"
build_each_bin "$here" $FRAMEWORKS
bin="$CARGO_TARGET_DIR/release"

dir="$(mktemp -d)"
head -c 1024 /dev/urandom >"$dir/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$dir/1m.bin"
export BENCH_STATIC_DIR="$dir"

trap 'stop; rm -rf "$dir"' EXIT

# Both must send the file's bytes, or the comparison means nothing.
check_bodies() {
    local file
    for file in 1k.bin 1m.bin; do
        curl -sf "http://127.0.0.1:$PORT/static/$file" | cmp -s - "$dir/$file" \
            || { echo "static.sh: $1 /static/$file differs from the file" >&2; exit 1; }
    done
}

if [[ " $PART " == *" rps "* ]]; then
    for round in $(seq "$ROUNDS"); do
        for file in 1k.bin 1m.bin; do
            for fw in $FRAMEWORKS; do
                taskset -c "$SERVER_CPU" "$bin/$fw" "$PORT" >/dev/null 2>&1 &
                pid=$!
                wait_port
                [ "$round" = 1 ] && check_bodies "$fw"
                url="http://127.0.0.1:$PORT/static/$file"
                taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
                out="$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" "$url")"
                if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
                    echo "static.sh: errors from $fw:" >&2
                    echo "$out" >&2
                    exit 1
                fi
                printf "rps\t%s\t%s\t%s\t%s\n" "$file" "$fw" "$round" \
                    "$(awk '/Requests\/sec:/ {print $2}' <<<"$out")"
                stop
            done
        done
    done
fi

if [[ " $PART " == *" callgrind "* ]]; then
    for fw in $FRAMEWORKS; do
        for file in 1k.bin 1m.bin; do
            printf "callgrind\t%s\t%s\t%s\n" "$file" "$fw" \
                "$(instructions_per_request "$bin/$fw" "$N" python3 "$here/cg_client.py" "$PORT" "$N" "/static/$file")"
        done
    done
fi
