#!/usr/bin/env bash
# Instructions per echoed WebSocket message, httpserver and axum, at 1, 100 and 1,000
# connections: the stable figure where messages/s moves between runs.
#
#   bash benches/ws-echo/callgrind.sh
#
# For each connection count and server: two runs of the load (SHORT then LONG seconds) on
# fresh servers under callgrind; the difference in instructions over the difference in
# messages is the cost of one message, free of start-up and handshakes. Prints one TSV line
# per measurement: "ws-callgrind <connections> <server> <instructions/message>
# <without memset>". The second figure leaves out memset: tungstenite zeroes the free part
# of its read buffer before every read, which callgrind counts byte by byte (axum's default
# buffer is 128 KiB, httpserver's 8 KiB), while natively it is one fast `rep stosb`.
# Knobs (environment): CONNS ("1 100 1000"), SHORT (4), LONG (12), PORT (18190).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONNS="${CONNS:-1 100 1000}"
SHORT="${SHORT:-4}"
LONG="${LONG:-12}"
PORT="${PORT:-18190}"
FRAMEWORKS="httpserver axum"
ulimit -n 8192 2>/dev/null || true
command -v valgrind >/dev/null || { echo "callgrind.sh: needs valgrind" >&2; exit 1; }

export CARGO_TARGET_DIR="$here/target"
echo "building (release) ..." >&2
source "$here/../compare/lib.sh"
build_each_bin "$here" $FRAMEWORKS load
bin="$CARGO_TARGET_DIR/release"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# One run: prints "<instructions> <memset instructions> <messages>".
run_once() { # server connections seconds
    local out="$work/cg.$1.$2.$3"
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/$1" "$PORT" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
        sleep 0.1
    done
    local rate
    rate=$(taskset -c 1 "$bin/load" "ws://127.0.0.1:$PORT/ws" "$2" "$3" 32)
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    python3 "$here/memset_cost.py" "$out" "$rate" "$3"
}

for conns in $CONNS; do
    for fw in $FRAMEWORKS; do
        read -r i1 s1 m1 < <(run_once "$fw" "$conns" "$SHORT")
        read -r i2 s2 m2 < <(run_once "$fw" "$conns" "$LONG")
        awk -v c="$conns" -v fw="$fw" -v i1="$i1" -v s1="$s1" -v m1="$m1" -v i2="$i2" -v s2="$s2" -v m2="$m2" \
            'BEGIN { d = m2 - m1; if (d <= 0) { print "ws-callgrind\t" c "\t" fw "\t-\t-"; exit }
                     printf "ws-callgrind\t%s\t%s\t%.0f\t%.0f\n", c, fw, (i2 - i1) / d, ((i2 - s2) - (i1 - s1)) / d }'
    done
done
