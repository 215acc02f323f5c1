#!/usr/bin/env bash
# WebSocket echo throughput of httpserver and axum: messages per second over 1 connection
# and over 100 and 1,000, each message waiting for its echo.
#
#   bash benches/ws-echo/run.sh
#
# Builds in release, then for each round, each connection count and each framework in turn
# (A B A B ...): starts the server pinned to one core, runs the load pinned to the other,
# stops the server. Prints the medians of the rounds: messages per second (h / a: httpserver
# over axum, above 1 is faster) and the server's CPU time per message (a / h: above 1,
# httpserver spends less). The load generator reads into a 4 KiB buffer so that from
# 100 connections on the server, not the load, saturates its core. Knobs
# (environment): ROUNDS (3), DURATION (5 seconds; not SECONDS, which bash keeps for itself), SIZE (32 bytes), CONNS ("1 100 1000"),
# SERVER_CPU (0), CLIENT_CPU (1), PORT (18090).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

ROUNDS="${ROUNDS:-3}"
SECONDS_EACH="${DURATION:-5}"
SIZE="${SIZE:-32}"
CONNS="${CONNS:-1 100 1000}"
# A thousand sockets on each side, and the two processes' own files.
ulimit -n 8192 2>/dev/null || true
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
PORT="${PORT:-18090}"
FRAMEWORKS="httpserver axum"

export CARGO_TARGET_DIR="$here/target"
echo "building (release) ..." >&2
source "$here/../compare/lib.sh"
build_each_bin "$here" $FRAMEWORKS load
bin="$CARGO_TARGET_DIR/release"

trap stop EXIT

declare -A results costs
for round in $(seq "$ROUNDS"); do
    for conns in $CONNS; do
        for fw in $FRAMEWORKS; do
            taskset -c "$SERVER_CPU" "$bin/$fw" "$PORT" 2>/dev/null &
            pid=$!
            wait_port
            ticks_before=$(cpu_ticks "$pid")
            rate=$(taskset -c "$CLIENT_CPU" "$bin/load" "ws://127.0.0.1:$PORT/ws" "$conns" "$SECONDS_EACH" "$SIZE")
            ticks=$(($(cpu_ticks "$pid") - ticks_before))
            stop
            cost=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v r="$rate" -v s="$SECONDS_EACH" 'BEGIN {printf "%.2f", t / hz * 1e6 / (r * s)}')
            echo "round $round, $conns connection(s), $fw: $rate msg/s, server CPU $cost us/msg" >&2
            results["$conns $fw"]+="$rate "
            costs["$conns $fw"]+="$cost "
        done
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# msg/s is the pair's throughput, bounded by whichever side saturates its core first;
# server CPU per message (connection setup included) is the server's own cost.
printf '%-12s %12s %12s %8s %18s %12s %8s\n' connections "httpserver" "axum" "h / a" \
    "httpserver us/msg" "axum us/msg" "a / h"
for conns in $CONNS; do
    h=$(echo "${results["$conns httpserver"]}" | median)
    a=$(echo "${results["$conns axum"]}" | median)
    hc=$(echo "${costs["$conns httpserver"]}" | median)
    ac=$(echo "${costs["$conns axum"]}" | median)
    printf '%-12s %12s %12s %8.2f %18s %12s %8.2f\n' "$conns" "$h" "$a" \
        "$(awk -v h="$h" -v a="$a" 'BEGIN {print h / a}')" "$hc" "$ac" \
        "$(awk -v h="$hc" -v a="$ac" 'BEGIN {print (h > 0 ? a / h : 0)}')"
done
